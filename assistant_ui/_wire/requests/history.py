"""What the history-based dialects (``ai-sdk``, ``openai``) share.

:func:`history_after` grows a conversation by one tool-calling step; the tool-calling
loop (``assistant_ui.tools.runner``) sends the result as the next request's ``messages``. The
rest are small part helpers both request dialects use.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .base import validate_messages

__all__ = [
    "content_parts",
    "data_url_parts",
    "file_extension",
    "file_url",
    "guess_image_media_type",
    "history_after",
    "is_url",
    "json_text",
    "tool_input",
]

#: assistant parts kept in the grown history (everything the accumulator produces)
_KEPT_ASSISTANT_PARTS = frozenset({"text", "reasoning", "tool-call", "source", "file", "data"})
_RESULT_KEYS = ("result", "isError", "artifact")
#: checked before :mod:`mimetypes`, whose answers depend on the platform's tables
_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".ico": "image/x-icon",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".avif": "image/avif",
}
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/json": ".json",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "text/markdown": ".md",
    "text/html": ".html",
}
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.DOTALL)


def history_after(
    messages: Any,
    assistant_message: Any,
    tool_results: Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The history sent, plus the assistant's step, plus the locally computed results.

    * ``messages``: the history that was sent (our TypedDict messages; ``None`` = empty).
      It is copied, never mutated.
    * ``assistant_message``: the accumulated ``AssistantMessage`` (docs/api.md §5) the backend
      produced, or anything with a ``.message`` attribute holding one (a ``ChatResult``).
    * ``tool_results``: ``{"toolCallId", "toolName"?, "result", "isError"?, "artifact"?}``
      dicts; a missing ``toolName`` is taken from the matching tool call.

    Returns ``messages + [assistant, tool]`` in our message format: the assistant message
    keeps its text, reasoning, tool-call, source, file and data parts in order (``status``
    and ``metadata`` are dropped, its ``id`` becomes ``unstable_id``; tool-call parts keep
    ``toolCallId``/``toolName``/``args``, an ``approval`` and a result the *backend*
    already gave, but not ``argsText``). The tool message carries one ``tool-result`` part per local result, in
    the order given, and is left out when there are none. An assistant message with no
    parts at all is left out too.
    """
    history = [dict(m) for m in validate_messages(messages)]
    message = getattr(assistant_message, "message", assistant_message)
    if not isinstance(message, Mapping):
        raise TypeError("assistant_message must be an AssistantMessage dict (or a ChatResult)")
    results = [dict(r) for r in tool_results]
    local_ids = {r.get("toolCallId") for r in results}
    names: dict[str, str] = {}

    parts: list[dict[str, Any]] = []
    for part in content_parts(message):
        kind = part.get("type")
        if kind not in _KEPT_ASSISTANT_PARTS:
            continue
        if kind == "tool-call":
            call: dict[str, Any] = {
                "type": "tool-call",
                "toolCallId": part.get("toolCallId"),
                "toolName": part.get("toolName"),
                "args": tool_input(part),
            }
            names[str(call["toolCallId"])] = str(call["toolName"])
            if isinstance(part.get("approval"), Mapping):  # an AI SDK approval, asked or answered
                call["approval"] = dict(part["approval"])
            if call["toolCallId"] not in local_ids:
                for key in _RESULT_KEYS:
                    if key in part:
                        call[key] = part[key]
            parts.append(call)
        else:
            parts.append(dict(part))
    if parts:
        out: dict[str, Any] = {"role": "assistant", "content": parts}
        message_id = message.get("unstable_id") or message.get("id")
        if isinstance(message_id, str) and message_id:
            out["unstable_id"] = message_id
        history.append(out)

    result_parts: list[dict[str, Any]] = []
    for i, res in enumerate(results):
        call_id = res.get("toolCallId")
        if not isinstance(call_id, str) or not call_id:
            raise ValueError(f"tool_results[{i}] needs a toolCallId")
        name = res.get("toolName") or names.get(call_id)
        if not isinstance(name, str) or not name:
            raise ValueError(f"tool_results[{i}] ({call_id}) has no toolName and no matching tool call")
        item: dict[str, Any] = {
            "type": "tool-result",
            "toolCallId": call_id,
            "toolName": name,
            "result": res.get("result"),
            "isError": bool(res.get("isError", False)),
        }
        if res.get("artifact") is not None:
            item["artifact"] = res["artifact"]
        result_parts.append(item)
    if result_parts:
        history.append({"role": "tool", "content": result_parts})
    return history


# -- part helpers -----------------------------------------------------------------------------


def content_parts(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A message's content as a list of parts (a bare string is one text part)."""
    content = message.get("content")
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content)


def is_url(data: str) -> bool:
    """True for ``https://…``, ``data:…`` and any other ``scheme:`` string.

    Base64 never contains a colon, so this tells a URL from base64 file data.
    """
    return ":" in data


def file_url(data: str, media_type: str) -> str:
    """File data as a URL: URLs (``data:`` included) as they are, base64 as a ``data:`` URL."""
    if is_url(data):
        return data
    return f"data:{media_type};base64,{data}"


def data_url_parts(url: str) -> tuple[str, bool, str] | None:
    """``(media_type, is_base64, payload)`` of a ``data:`` URL, else ``None``."""
    match = _DATA_URL.match(url)
    if match is None:
        return None
    params = [p.strip().lower() for p in match.group(2).split(";") if p.strip()]
    return match.group(1).strip().lower(), "base64" in params, match.group(3)


def guess_image_media_type(url: str) -> str:
    """The media type of an image URL: from a ``data:`` URL's header, else from the
    path's extension, else the AI SDK's wildcard ``image/*``."""
    parsed = data_url_parts(url)
    if parsed is not None:
        media_type = parsed[0]
        return media_type if media_type.startswith("image/") else "image/*"
    try:
        path = urlsplit(url).path
    except ValueError:
        return "image/*"
    _, dot, ext = path.rpartition(".")
    if dot and "/" not in ext and f".{ext.lower()}" in _IMAGE_TYPES:
        return _IMAGE_TYPES[f".{ext.lower()}"]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed and guessed.startswith("image/"):
        return guessed
    return "image/*"


def file_extension(media_type: str) -> str:
    """A file name extension for a media type (``""`` when unknown)."""
    media_type = media_type.split(";", 1)[0].strip().lower()
    return _EXTENSIONS.get(media_type) or mimetypes.guess_extension(media_type) or ""


def tool_input(part: Mapping[str, Any]) -> Any:
    """A tool call's arguments: ``args``, or ``argsText`` parsed when ``args`` is absent."""
    args = part.get("args")
    if args is not None:
        return args
    text = part.get("argsText")
    if isinstance(text, str) and text.strip():
        try:
            return json.loads(text)
        except ValueError:
            return {}
    return {}


def json_text(value: Any) -> str:
    """A tool result as text: a ``str`` as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
