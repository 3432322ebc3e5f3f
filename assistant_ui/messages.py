"""Builders for the TypedDict messages and parts of :mod:`assistant_ui.types`.

>>> user("What is in this picture?", image="https://example.com/cat.png")
{'role': 'user', 'content': [{'type': 'text', 'text': 'What is in this picture?'}, {'type': 'image', 'image': 'https://example.com/cat.png'}]}
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from .types import (
    AddMessageCommand,
    AddToolResultCommand,
    AssistantContentPart,
    AssistantMessage,
    FilePart,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolCallPart,
    ToolMessage,
    ToolResultPart,
    UserContentPart,
    UserMessage,
)

__all__ = [
    "add_message",
    "add_tool_result",
    "assistant",
    "file",
    "image",
    "system",
    "text",
    "tool_call",
    "tool_message",
    "tool_result",
    "user",
]


def text(value: str) -> TextPart:
    """A text part."""
    if not isinstance(value, str):
        raise TypeError(f"text must be a str, not {type(value).__name__}")
    return {"type": "text", "text": value}


def image(url: str) -> ImagePart:
    """An image part from a URL (``https://…`` or a ``data:`` URL)."""
    if not isinstance(url, str):
        raise TypeError(f"image must be a URL string, not {type(url).__name__}")
    return {"type": "image", "image": url}


def file(data: str | bytes, mime_type: str, *, filename: str | None = None) -> FilePart:
    """A file part. ``bytes`` are base64-encoded; a ``str`` is sent as is (a URL or base64)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = base64.b64encode(bytes(data)).decode("ascii")
    elif not isinstance(data, str):
        raise TypeError(f"file data must be str or bytes, not {type(data).__name__}")
    if not isinstance(mime_type, str) or "/" not in mime_type:
        raise ValueError(f"mime_type must look like 'type/subtype', got {mime_type!r}")
    part: FilePart = {"type": "file", "data": data, "mimeType": mime_type}
    if filename is not None:
        part["filename"] = filename
    return part


def _user_parts(
    content: str | Iterable[UserContentPart | str] | None,
    images: Iterable[str],
    files: Iterable[FilePart],
) -> list[UserContentPart]:
    parts: list[UserContentPart] = []
    if isinstance(content, str):
        parts.append(text(content))
    elif content is not None:
        for item in content:
            parts.append(text(item) if isinstance(item, str) else item)
    parts.extend(image(url) for url in images)
    parts.extend(files)
    return parts


def user(
    content: str | Iterable[UserContentPart | str] | None = None,
    *,
    image: str | Iterable[str] | None = None,
    file: FilePart | Iterable[FilePart] | None = None,
    id: str | None = None,
) -> UserMessage:
    """A user message: ``user("Hi")``, ``user("What is this?", image=url)``."""
    images = [image] if isinstance(image, str) else list(image or [])
    files: list[FilePart] = [file] if isinstance(file, Mapping) else list(file or [])  # type: ignore[list-item]
    parts = _user_parts(content, images, files)
    if not parts:
        raise ValueError("a user message needs some content")
    msg: UserMessage = {"role": "user", "content": parts}
    if id is not None:
        msg["unstable_id"] = id
    return msg


def system(content: str) -> SystemMessage:
    """A system message."""
    if not isinstance(content, str):
        raise TypeError("system content must be a str")
    return {"role": "system", "content": content}


def tool_call(
    tool_call_id: str, tool_name: str, args: Mapping[str, Any] | None = None
) -> ToolCallPart:
    """A tool-call part (for building an assistant message in a history)."""
    return {
        "type": "tool-call",
        "toolCallId": tool_call_id,
        "toolName": tool_name,
        "args": dict(args or {}),
    }


def assistant(
    content: str | Iterable[AssistantContentPart | str] | None = None,
    *,
    tool_calls: Iterable[ToolCallPart] = (),
    id: str | None = None,
) -> AssistantMessage:
    """An assistant message for a history: text and/or tool-call parts."""
    parts: list[AssistantContentPart] = []
    if isinstance(content, str):
        parts.append(text(content))
    elif content is not None:
        for item in content:
            parts.append(text(item) if isinstance(item, str) else item)
    parts.extend(tool_calls)
    msg: AssistantMessage = {"role": "assistant", "content": parts}
    if id is not None:
        msg["unstable_id"] = id
    return msg


def tool_result(
    call_id: str,
    name: str,
    result: Any,
    is_error: bool = False,
    *,
    artifact: Any = None,
) -> ToolMessage:
    """A tool message carrying one result (the seed package's shape)."""
    part: ToolResultPart = {
        "type": "tool-result",
        "toolCallId": call_id,
        "toolName": name,
        "result": result,
        "isError": is_error,
    }
    if artifact is not None:
        part["artifact"] = artifact
    return {"role": "tool", "content": [part]}


def tool_message(results: Iterable[ToolResultPart]) -> ToolMessage:
    """A tool message carrying several results."""
    return {"role": "tool", "content": list(results)}


def add_message(message: UserMessage | AssistantMessage) -> AddMessageCommand:
    """An ``add-message`` command (docs/wire-formats.md §12.1) from a user or assistant message."""
    from ._wire.requests.assistant_ui import message_to_command_parts

    parts, _ = message_to_command_parts(message)
    return {"type": "add-message", "message": {"role": message["role"], "parts": parts}}


def add_tool_result(
    call_id: str, name: str, result: Any, is_error: bool = False, *, artifact: Any = None
) -> AddToolResultCommand:
    """An ``add-tool-result`` command."""
    cmd: AddToolResultCommand = {
        "type": "add-tool-result",
        "toolCallId": call_id,
        "toolName": name,
        "result": result,
        "isError": is_error,
    }
    if artifact is not None:
        cmd["artifact"] = artifact
    return cmd
