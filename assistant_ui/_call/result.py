"""``ChatResult``: what ``chat`` returns (docs/api.md §2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..events import Event
from ..types import AssistantMessage, MessageStatus, ToolCallPart, Usage

if TYPE_CHECKING:
    import httpx

__all__ = ["ChatResult"]

_NO_DOCUMENT: Any = object()


class ChatResult:
    """The outcome of one chat call: the accumulated message and everything around it."""

    __slots__ = (
        "_document",
        "_events",
        "_log",
        "finish_reason",
        "message",
        "protocol",
        "response",
        "resumed",
        "stream_id",
        "usage",
        "warnings",
    )

    def __init__(
        self,
        *,
        message: AssistantMessage,
        events: Sequence[Event],
        response: httpx.Response | None,
        finish_reason: str | None = None,
        usage: Usage | None = None,
        protocol: str | None = None,
        warnings: list[str] | None = None,
        stream_id: str | None = None,
        resumed: int = 0,
        document: Any = _NO_DOCUMENT,
    ) -> None:
        #: the accumulated assistant message
        self.message = message
        # a list is kept as given; the call's compact log becomes a list when first read
        self._events: list[Event] | None = events if isinstance(events, list) else None
        self._log = events
        #: the HTTP response (status, headers; body already consumed)
        self.response = response
        self.finish_reason = finish_reason
        self.usage = usage
        #: the wire format that was decoded
        self.protocol = protocol
        #: problems the decoder recovered from (dropped lines, unknown chunks, ...)
        self.warnings = warnings if warnings is not None else []
        #: the resumable stream id (``x-resumable-stream-id``), if the server sent one
        self.stream_id = stream_id
        #: how many times the body was resumed after a network cut
        self.resumed = resumed
        self._document = document

    @property
    def events(self) -> list[Event]:
        """Every normalized event, in order.

        The call keeps its events compactly (text deltas as their text); this list of
        dicts is built the first time it is read, so a call whose events nobody reads
        costs about the size of its body in memory.
        """
        if self._events is None:
            self._events = list(self._log)
            self._log = self._events
        return self._events

    @events.setter
    def events(self, value: list[Event]) -> None:
        self._events = self._log = value

    @property
    def text(self) -> str:
        """The text parts concatenated, no separator."""
        return "".join(p["text"] for p in self.message["content"] if p["type"] == "text")

    @property
    def reasoning(self) -> str:
        """The reasoning parts concatenated."""
        return "".join(p["text"] for p in self.message["content"] if p["type"] == "reasoning")

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        """The tool-call parts, in order."""
        return [p for p in self.message["content"] if p["type"] == "tool-call"]

    @property
    def pending_tool_calls(self) -> list[ToolCallPart]:
        """Tool calls the backend left for the client (no result yet)."""
        return [p for p in self.tool_calls if "result" not in p]

    @property
    def status(self) -> MessageStatus:
        return self.message["status"]

    @property
    def state(self) -> Any:
        """The agent state after every state operation."""
        return self.message["metadata"]["unstable_state"]

    @property
    def status_code(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def json(self) -> Any:
        """The backend's JSON document when it answered with one, else :attr:`message`."""
        if self._document is not _NO_DOCUMENT:
            return self._document
        return self.message

    def __repr__(self) -> str:
        text = self.text
        if len(text) > 60:
            text = text[:57] + "..."
        return (
            f"<ChatResult status={self.status.get('type')!r} text={text!r} "
            f"tool_calls={len(self.tool_calls)} events={len(self._log)}>"
        )
