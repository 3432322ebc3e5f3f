"""What both stream drivers show their users: the accumulated message, the events,
the response, the stream id, the protocol; and their ``text_stream`` helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._call.stream_flow import StreamFlow
from ._transports.inflight import InFlight
from .events import Event
from .types import AssistantMessage

if TYPE_CHECKING:
    from ._async_stream import AsyncChatStream
    from ._sync_stream import ChatStream

__all__ = ["AsyncTextStream", "StreamView", "TextStream"]


class StreamView:
    """The read-only face of a streamed call (a base of both stream classes)."""

    __slots__ = ("__weakref__", "_flow", "_inflight")

    _flow: StreamFlow
    _inflight: InFlight

    def _abandoned(self) -> StreamFlow | None:
        """Garbage collection of an unreleased stream: mark it released and return its
        flow (the driver then closes the connection), or None when nothing is left."""
        flow: StreamFlow | None = getattr(self, "_flow", None)
        if flow is None or flow.released:
            return None
        flow.released = True
        self._inflight.released = True
        return flow

    @property
    def message(self) -> AssistantMessage:
        """The message accumulated so far (a snapshot; final once the stream ended)."""
        return self._flow.message

    @property
    def events(self) -> Sequence[Event]:
        """Every event decoded so far (a live, read-only sequence)."""
        return self._flow.events

    @property
    def response(self) -> Any:
        """The HTTP response, once its head arrived (the first one, when the body was resumed)."""
        return self._flow.call.response or self._flow.response

    @property
    def stream_id(self) -> str | None:
        """The resumable stream id (``x-resumable-stream-id``), if the server sent one."""
        return self._flow.call.stream_id

    @property
    def protocol(self) -> str | None:
        """The wire format being decoded (None until it is known)."""
        decoder = self._flow.call.decoder
        return decoder.protocol if decoder is not None else None


class TextStream:
    """``stream.text_stream``: the text deltas, read from the stream's own iterator."""

    __slots__ = ("_stream",)

    def __init__(self, stream: ChatStream) -> None:
        self._stream = stream

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        while True:
            ev = self._stream.__next__()
            if ev["type"] == "text-delta":
                return ev["delta"]


class AsyncTextStream:
    """``stream.text_stream`` of an async stream."""

    __slots__ = ("_stream",)

    def __init__(self, stream: AsyncChatStream) -> None:
        self._stream = stream

    def __aiter__(self) -> AsyncTextStream:
        return self

    async def __anext__(self) -> str:
        while True:
            ev = await self._stream.__anext__()
            if ev["type"] == "text-delta":
                return ev["delta"]
