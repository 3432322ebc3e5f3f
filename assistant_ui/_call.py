"""The decoding state of one chat call, shared by the sync and async shells. Pure.

A :class:`ChatCall` receives the response head, then body pieces, then the end
(or an interruption), and produces events and finally a :class:`ChatResult`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._accumulator import MessageAccumulator
from ._decoder import DEFAULT_MAX_EVENT_SIZE, StreamDecoder
from ._result import _NO_DOCUMENT, ChatResult
from .errors import StreamError
from .events import Event
from .types import MessageStatus

if TYPE_CHECKING:
    import httpx

__all__ = ["ChatCall"]

RESUMABLE_STREAM_ID_HEADER = "x-resumable-stream-id"


class ChatCall:
    __slots__ = (
        "_result",
        "acc",
        "cancelled",
        "decoder",
        "events",
        "max_event_size",
        "protocol",
        "response",
        "resumed",
        "stream_id",
    )

    def __init__(
        self,
        *,
        protocol: str | None = None,
        state: Any = None,
        message_id: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        self.protocol = protocol
        self.max_event_size = max_event_size
        self.acc = MessageAccumulator(state=state, message_id=message_id)
        self.decoder: StreamDecoder | None = None
        self.events: list[Event] = []
        self.response: httpx.Response | None = None
        self.cancelled = False
        self.stream_id: str | None = None
        self.resumed = 0
        self._result: ChatResult | None = None

    def start(self, response: httpx.Response) -> None:
        """The response head arrived (2xx)."""
        self.response = response
        self.stream_id = response.headers.get(RESUMABLE_STREAM_ID_HEADER) or self.stream_id
        self.decoder = StreamDecoder(
            protocol=self.protocol, headers=response.headers, max_event_size=self.max_event_size
        )

    def feed(self, data: bytes) -> list[Event]:
        assert self.decoder is not None
        events = self.decoder.feed(data)
        if events:
            self.events.extend(events)
            self.acc.add_all(events)
        return events

    def end(self) -> list[Event]:
        """The body ended normally."""
        assert self.decoder is not None
        events = self.decoder.end()
        if events:
            self.events.extend(events)
            self.acc.add_all(events)
        return events

    @property
    def finished(self) -> bool:
        return self._result is not None

    def result(self, *, interrupted: MessageStatus | None = None) -> ChatResult:
        """Freeze and return the result (idempotent)."""
        if self._result is not None:
            return self._result
        message = self.acc.finish(cancelled=self.cancelled, interrupted=interrupted)
        document: Any = _NO_DOCUMENT
        decoder = self.decoder
        if decoder is not None and decoder.has_document:
            # the backend answered with one JSON document (an OpenAI chat.completion,
            # or any other JSON): json() gives it back as sent
            document = decoder.document
        warnings = list(decoder.warnings) if decoder is not None else []
        warnings.extend(self.acc.warnings)
        self._result = ChatResult(
            message=message,
            events=self.events,
            response=self.response,
            finish_reason=self.acc.finish_reason,
            usage=self.acc.usage,
            protocol=decoder.protocol if decoder is not None else None,
            warnings=warnings,
            stream_id=self.stream_id,
            resumed=self.resumed,
            document=document,
        )
        return self._result

    def interrupted_result(self, code: str, message: str) -> ChatResult:
        return self.result(
            interrupted={
                "type": "incomplete",
                "reason": "error",
                "error": {"code": code, "message": message},
            }
        )

    def raise_for_stream_error(self, result: ChatResult) -> None:
        """Raise :class:`StreamError` when the backend ended the message with an error."""
        status = result.status
        if status.get("type") == "incomplete" and status.get("reason") == "error":
            error = status.get("error") or {}
            text = error.get("message") if isinstance(error, dict) else str(error)
            code = error.get("code") if isinstance(error, dict) else None
            raise StreamError(
                f"the backend reported an error: {text}", partial=result, code=code
            )
