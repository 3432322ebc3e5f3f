"""TypedDicts for messages, parts, commands and tools (docs/api.md §5).

Everything here is a plain ``dict`` at run time: build them with the helpers in
:mod:`assistant_ui.messages` or write them literally.
"""

# (no ``from __future__ import annotations`` here: a TypedDict's string annotations
# are each compiled when the class is made, which doubled this module's import time)

import sys
from typing import Any, Literal, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

__all__ = [
    "AddMessageCommand",
    "AddToolResultCommand",
    "AssistantContentPart",
    "AssistantMessage",
    "AssistantTransportCommand",
    "DataPart",
    "FilePart",
    "ImagePart",
    "Message",
    "MessageMetadata",
    "MessageStatus",
    "ReasoningPart",
    "SourcePart",
    "StepInfo",
    "SystemMessage",
    "TextPart",
    "Tool",
    "ToolCallPart",
    "ToolMessage",
    "ToolParameters",
    "ToolResultPart",
    "Usage",
    "UserContentPart",
    "UserMessage",
]


# --- parts -----------------------------------------------------------------


class TextPart(TypedDict):
    type: Literal["text"]
    text: str
    parentId: NotRequired[str]


class ImagePart(TypedDict):
    type: Literal["image"]
    image: str  # URL or data: URL


class FilePart(TypedDict):
    type: Literal["file"]
    data: str  # URL or base64
    mimeType: str
    filename: NotRequired[str]
    parentId: NotRequired[str]


class ToolCallPart(TypedDict):
    """A tool call. ``approval`` (AI SDK 6+ servers): the approval asked for this
    call, ``{"id": <approvalId>, ...}``, with ``approved`` once it was answered."""

    type: Literal["tool-call"]
    toolCallId: str
    toolName: str
    args: dict[str, Any]
    argsText: NotRequired[str]
    result: NotRequired[Any]
    isError: NotRequired[bool]
    artifact: NotRequired[Any]
    parentId: NotRequired[str]
    approval: NotRequired[dict[str, Any]]


class ToolResultPart(TypedDict):
    type: Literal["tool-result"]
    toolCallId: str
    toolName: str
    result: Any
    isError: NotRequired[bool]
    artifact: NotRequired[Any]


class ReasoningPart(TypedDict):
    type: Literal["reasoning"]
    text: str
    summary: NotRequired[Any]
    parentId: NotRequired[str]


class SourcePart(TypedDict):
    type: Literal["source"]
    sourceType: Literal["url", "document"]
    id: str
    url: str
    title: NotRequired[str]
    mediaType: NotRequired[str]
    filename: NotRequired[str]
    parentId: NotRequired[str]


class DataPart(TypedDict):
    type: Literal["data"]
    name: str
    data: Any
    id: NotRequired[str]
    parentId: NotRequired[str]


UserContentPart = Union[TextPart, ImagePart, FilePart]
AssistantContentPart = Union[
    TextPart, ReasoningPart, ToolCallPart, SourcePart, FilePart, DataPart
]


# --- messages --------------------------------------------------------------


class SystemMessage(TypedDict):
    role: Literal["system"]
    content: str
    unstable_id: NotRequired[str]


class UserMessage(TypedDict):
    role: Literal["user"]
    content: list[UserContentPart]
    unstable_id: NotRequired[str]


class Usage(TypedDict, total=False):
    inputTokens: int
    outputTokens: int
    totalTokens: int


class MessageStatus(TypedDict):
    type: Literal["running", "complete", "requires-action", "incomplete"]
    reason: NotRequired[str]
    error: NotRequired[Any]


class StepInfo(TypedDict):
    state: Literal["started", "finished"]
    messageId: NotRequired[str | None]
    finishReason: NotRequired[str]
    usage: NotRequired[Usage]
    isContinued: NotRequired[bool]


class MessageMetadata(TypedDict):
    unstable_state: Any
    unstable_data: list[Any]
    unstable_annotations: list[Any]
    steps: list[StepInfo]
    custom: dict[str, Any]


class AssistantMessage(TypedDict):
    """A message written by the assistant.

    As a request input only ``role`` and ``content`` are needed; the accumulator
    always fills ``id``, ``status`` and ``metadata`` too.
    """

    role: Literal["assistant"]
    content: list[AssistantContentPart]
    id: NotRequired[str | None]
    status: NotRequired[MessageStatus]
    metadata: NotRequired[MessageMetadata]
    unstable_id: NotRequired[str]


class ToolMessage(TypedDict):
    role: Literal["tool"]
    content: list[ToolResultPart]
    unstable_id: NotRequired[str]


Message = Union[SystemMessage, UserMessage, AssistantMessage, ToolMessage]


# --- tools and commands ----------------------------------------------------


#: A tool's parameters: a JSON Schema of type ``object`` (the keys 0.1.1 named, plus
#: the ones a schema often carries). Any other JSON Schema dict is accepted as
#: ``Tool["parameters"]`` too.
ToolParameters = TypedDict(
    "ToolParameters",
    {
        "type": Literal["object"],
        "properties": NotRequired[dict[str, Any]],
        "required": NotRequired[list[str]],
        "additionalProperties": NotRequired[Any],
        "description": NotRequired[str],
        "$defs": NotRequired[dict[str, Any]],
    },
)


class Tool(TypedDict):
    """One entry of the ``tools`` mapping: ``{name: Tool}``."""

    description: NotRequired[str]
    parameters: Union[ToolParameters, dict[str, Any]]


class AddMessageCommand(TypedDict):
    type: Literal["add-message"]
    message: dict[str, Any]  # {"role": ..., "parts": [...]} (docs/wire-formats.md §12.1)
    parentId: NotRequired[str | None]
    sourceId: NotRequired[str | None]


class AddToolResultCommand(TypedDict):
    type: Literal["add-tool-result"]
    toolCallId: str
    toolName: str
    result: Any
    isError: bool
    artifact: NotRequired[Any]


AssistantTransportCommand = Union[AddMessageCommand, AddToolResultCommand]
