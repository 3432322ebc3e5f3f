"""Normalized stream events (docs/api.md §6).

Every wire format decodes to these plain dicts. The ``type`` key tells them apart;
each TypedDict below documents one ``type``. They are produced by
:class:`assistant_ui.decoding.StreamDecoder` and consumed by
:class:`assistant_ui.decoding.MessageAccumulator`.
"""

from __future__ import annotations

import sys
from typing import Any, Literal, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

from .types import Usage

__all__ = [
    "AnnotationsEvent",
    "DataEvent",
    "ErrorEvent",
    "Event",
    "FileEvent",
    "FinishEvent",
    "MetadataEvent",
    "ProgressEvent",
    "RawEvent",
    "ReasoningDeltaEvent",
    "ReasoningStartEvent",
    "SourceEvent",
    "StateUpdateEvent",
    "StepFinishEvent",
    "StepStartEvent",
    "TextDeltaEvent",
    "TextStartEvent",
    "ToolApprovalEvent",
    "ToolCallDeltaEvent",
    "ToolCallEvent",
    "ToolCallStartEvent",
    "ToolResultEvent",
]


class TextDeltaEvent(TypedDict):
    type: Literal["text-delta"]
    delta: str
    parentId: NotRequired[str]


class TextStartEvent(TypedDict):
    """Forces a new text part (canonical assistant-transport ``part-start``)."""

    type: Literal["text-start"]
    parentId: NotRequired[str]


class ReasoningDeltaEvent(TypedDict):
    type: Literal["reasoning-delta"]
    delta: str
    parentId: NotRequired[str]


class ReasoningStartEvent(TypedDict):
    """Forces a new reasoning part, optionally carrying a summary."""

    type: Literal["reasoning-start"]
    summary: NotRequired[Any]
    parentId: NotRequired[str]


class ToolCallStartEvent(TypedDict):
    type: Literal["tool-call-start"]
    toolCallId: str
    toolName: str
    parentId: NotRequired[str]


class ToolCallDeltaEvent(TypedDict):
    type: Literal["tool-call-delta"]
    toolCallId: str
    argsTextDelta: str


class ToolCallEvent(TypedDict):
    """The arguments of a tool call are complete."""

    type: Literal["tool-call"]
    toolCallId: str
    toolName: str
    args: dict[str, Any]
    argsText: str
    parentId: NotRequired[str]


class ToolResultEvent(TypedDict):
    type: Literal["tool-result"]
    toolCallId: str
    result: Any
    isError: bool
    artifact: NotRequired[Any]
    toolName: NotRequired[str]
    messages: NotRequired[Any]


class ToolApprovalEvent(TypedDict):
    """An approval asked (or answered) for a tool call (AI SDK 6+ ``tool-approval-*``).

    The accumulator stores ``approval`` on the tool-call part as its ``approval``:
    ``{"id": <approvalId>, ...}`` with the request's other fields (``reason``,
    ``isAutomatic``, ...); an answer to the same id adds ``approved`` (and its
    ``reason``).
    """

    type: Literal["tool-approval"]
    toolCallId: str
    approval: dict[str, Any]


class SourceEvent(TypedDict):
    type: Literal["source"]
    sourceType: Literal["url", "document"]
    id: str
    url: str
    title: NotRequired[str]
    mediaType: NotRequired[str]
    filename: NotRequired[str]
    parentId: NotRequired[str]


class FileEvent(TypedDict):
    type: Literal["file"]
    data: str
    mimeType: str
    parentId: NotRequired[str]


class DataEvent(TypedDict):
    """Data sent alongside the message.

    With ``name`` it is a data part (a later one with the same ``name`` and ``id``
    replaces it); without ``name``, ``data`` is a list whose items extend
    ``metadata.unstable_data``.
    """

    type: Literal["data"]
    data: Any
    name: NotRequired[str]
    id: NotRequired[str]
    parentId: NotRequired[str]
    #: delivered as an event only; the accumulator does not store it
    transient: NotRequired[bool]


class AnnotationsEvent(TypedDict):
    type: Literal["annotations"]
    annotations: list[Any]


class MetadataEvent(TypedDict):
    """Message-level metadata (message id, custom metadata)."""

    type: Literal["metadata"]
    messageId: NotRequired[str]
    metadata: NotRequired[dict[str, Any]]


class StateUpdateEvent(TypedDict):
    type: Literal["state-update"]
    operations: list[dict[str, Any]]


class StepStartEvent(TypedDict):
    type: Literal["step-start"]
    messageId: NotRequired[str | None]


class StepFinishEvent(TypedDict):
    type: Literal["step-finish"]
    finishReason: str
    #: None when the server sent no counts (never invented)
    usage: Usage | None
    isContinued: bool


class FinishEvent(TypedDict):
    type: Literal["finish"]
    finishReason: str
    usage: NotRequired[Usage | None]
    abortReason: NotRequired[Any]


class ErrorEvent(TypedDict):
    type: Literal["error"]
    error: str
    code: NotRequired[str]
    severity: NotRequired[str]


class ProgressEvent(TypedDict):
    """The backend is working on the answer: a status line for the user (the WebSocket
    chat's ``typing`` messages, also sent while it runs its own tools). Not part of the
    message."""

    type: Literal["progress"]
    message: str
    timestamp: NotRequired[str]


class RawEvent(TypedDict):
    """An SSE event (or AWS event-stream message) that no dialect claims."""

    type: Literal["raw"]
    event: str
    data: Any
    id: NotRequired[str]


Event = Union[
    TextDeltaEvent,
    TextStartEvent,
    ReasoningDeltaEvent,
    ReasoningStartEvent,
    ToolCallStartEvent,
    ToolCallDeltaEvent,
    ToolCallEvent,
    ToolResultEvent,
    ToolApprovalEvent,
    SourceEvent,
    FileEvent,
    DataEvent,
    AnnotationsEvent,
    MetadataEvent,
    StateUpdateEvent,
    StepStartEvent,
    StepFinishEvent,
    FinishEvent,
    ErrorEvent,
    RawEvent,
    ProgressEvent,
]
