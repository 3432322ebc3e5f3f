"""The decoding state of one chat call, shared by the sync and async shells. Pure.

A :class:`ChatCall` receives the response head, then body pieces, then the end
(or an interruption), and produces events and finally a :class:`ChatResult`.

Resuming a body cut by the network (docs/api.md §4) is decided and prepared here; the
shells only reconnect. Two ways exist:

* ``"replay"``: the response carried ``x-resumable-stream-id``. The resume path
  serves the same stream again, byte for byte from its first byte (assistant-stream's
  resumable context reads its store from the start), then live. The call counts
  the bytes it decoded (``fed``, with a CRC-32 of them); on resume the first
  ``fed`` bytes of the replay are skipped after checking their CRC, and the rest
  goes to the *same* decoder, so the events are exactly those of an uncut body
  (the decoder gives the same events however a body is cut into pieces).

  When the replay does not match (a different CRC, or it ends before ``fed``
  bytes), the call falls back to a fresh decoder fed from byte 0 and
  *reconciles*: each event the new decoder produces is compared with the event
  delivered at the same index; matching events are dropped (the user has them,
  and the accumulator already holds their effect, so it needs no reset); once
  every delivered event is matched, new events flow as usual. A replay whose
  events differ from what was delivered raises :class:`ReplayMismatch`: the
  shells turn it into ``APIConnectionError`` carrying the partial result,
  rather than deliver a duplicate or an inconsistent message.

* ``"last-event-id"``: a generic SSE body whose events carry ``id:`` fields. An
  SSE body is passed to the decoder only up to its last event boundary (a blank
  line; events are dispatched only there, so nothing is delayed), so at a cut
  the decoder holds no half event and the unfinished tail is dropped. The shells
  send the request again with ``Last-Event-ID``; in the new body every event
  whose id was already delivered is skipped.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from .._log import logger
from .._wire.accumulator import MessageAccumulator
from .._wire.decoder import DEFAULT_MAX_EVENT_SIZE, StreamDecoder
from .._wire.detect import framing_from_headers
from .._wire.dialects import FRAMING
from ..errors import DecodeError, StreamError
from ..events import Event
from ..types import MessageStatus
from .event_log import EventLog
from .result import _NO_DOCUMENT, ChatResult
from .sse_gate import SSEGate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import httpx

__all__ = ["RESUMABLE_STREAM_ID_HEADER", "ChatCall", "ReplayMismatch"]

RESUMABLE_STREAM_ID_HEADER = "x-resumable-stream-id"

#: SSE protocols whose body ends with ``data: [DONE]``: a clean end without it is a cut
_DONE_PROTOCOLS = frozenset({"assistant-transport", "openai", "ui-message-stream"})
class ReplayMismatch(Exception):
    """The replayed stream does not give the events already delivered."""


class _Replay:
    """Skipping the first ``left`` bytes of a replay, checking them against a CRC."""

    __slots__ = ("crc", "expected", "held", "left")

    def __init__(self, size: int, expected: int) -> None:
        self.left = size
        self.expected = expected
        self.crc = 0
        self.held: list[bytes] = []


#: ``ChatCall.pending`` when every event decoded was handed out
_NOTHING_PENDING: tuple[Event, ...] = ()


class ChatCall:
    __slots__ = (
        "_crc",
        "_gate",
        "_handed",
        "_headers",
        "_match",
        "_match_end",
        "_old_warnings",
        "_replay",
        "_result",
        "acc",
        "cancelled",
        "consumed",
        "decoder",
        "events",
        "fed",
        "max_event_size",
        "pending",
        "protocol",
        "received",
        "response",
        "resume_enabled",
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
        #: every event so far, kept compactly (``stream.events``, ``ChatResult.events``)
        self.events = EventLog()
        #: events decoded but not handed out by an iterator yet (the very dicts the
        #: decoder made); None once nobody iterates (``final()``): then only the log keeps them
        self.pending: Sequence[Event] | None = _NOTHING_PENDING
        #: how many of ``pending`` were handed out
        self._handed = 0
        self.response: httpx.Response | None = None
        self.cancelled = False
        self.stream_id: str | None = None
        #: how many times the body was picked up again after a cut
        self.resumed = 0
        #: whether a cut body may be resumed (``resume=``)
        self.resume_enabled = False
        #: bytes given to the current decoder (a replay skips that many)
        self.fed = 0
        #: bytes given to any decoder (grows only with new data: progress)
        self.consumed = 0
        #: body bytes that arrived, decoded or held back (then the request is never resent)
        self.received = 0
        self._crc = 0
        self._gate: SSEGate | None = None
        self._replay: _Replay | None = None
        self._headers: Mapping[str, str] = {}
        #: reconciling a replay decoded from byte 0: the index of the next delivered
        #: event to match, and how many there are to match (0: not reconciling)
        self._match = 0
        self._match_end = 0
        #: the warnings of a decoder replaced by a replay from byte 0 (a tuple until then:
        #: no list per call)
        self._old_warnings: Sequence[str] = ()
        self._result: ChatResult | None = None

    def start(self, response: httpx.Response) -> None:
        """The response head arrived (2xx)."""
        self.response = response
        # a plain dict, made in one pass (httpx's ``Headers`` scans every header for each
        # look-up, and the decoder and the SSE check look up several)
        headers = dict(response.headers.items())
        self.stream_id = headers.get(RESUMABLE_STREAM_ID_HEADER) or self.stream_id
        self._headers = headers
        self.decoder = self._new_decoder(headers)
        if self.resume_enabled and self._is_sse(headers):
            self._gate = SSEGate()

    def _new_decoder(self, headers: Mapping[str, str]) -> StreamDecoder:
        return StreamDecoder(protocol=self.protocol, headers=headers, max_event_size=self.max_event_size)

    def _is_sse(self, headers: Mapping[str, str]) -> bool:
        if self.protocol is not None:
            return FRAMING.get(self.protocol) == "sse"
        return framing_from_headers(headers)[0] == "sse"

    # -- the body -----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Event]:
        self.received += len(data)
        if self._replay is None and self._gate is None:
            return self._decode(data)  # no replay to skip, no SSE gate: straight on
        return self._feed_held(data)

    def _feed_held(self, data: bytes) -> list[Event]:
        """:meth:`feed` through the replay being skipped or the SSE gate (an SSE body
        with ``resume`` on), which may hold bytes back."""
        replay = self._replay
        if replay is not None:
            take = min(replay.left, len(data))
            if take:
                head = data if take == len(data) else data[:take]
                data = data[take:]
                replay.held.append(head)
                replay.crc = zlib.crc32(head, replay.crc)
                replay.left -= take
            if replay.left:
                return []
            self._replay = None
            if replay.crc != replay.expected:
                replay.held.append(data)
                return self._restart(b"".join(replay.held))
        if self._gate is not None:
            data = self._gate.feed(data)
        return self._decode(data)

    def _decode(self, data: bytes) -> list[Event]:
        size = len(data)
        if not size:
            return []
        decoder = self.decoder
        assert decoder is not None
        self.fed += size
        self.consumed += size
        if self.stream_id is not None:
            self._crc = zlib.crc32(data, self._crc)
        events = decoder.feed(data)
        gate = self._gate
        if gate is not None and (gate.with_ids or decoder.last_event_id):
            gate.remember(data)
        return self._emit(events) if events else events

    def end(self) -> list[Event]:
        """The body ended normally."""
        assert self.decoder is not None
        events: list[Event] = []
        replay = self._replay
        if replay is not None:
            # the replay is shorter than what was decoded: it cannot be the same
            # stream; decode it from its start and let reconciliation judge
            self._replay = None
            events = list(self._restart(b"".join(replay.held)))  # (a copy: pending may be it)
        if self._gate is not None:
            events.extend(self._decode(self._gate.flush()))
        try:
            events.extend(self._emit(self.decoder.end()))
        except DecodeError as exc:
            # what was decoded before the error is delivered, not lost
            self._emit(list(exc.events))
            raise
        if self._match_end:
            raise ReplayMismatch(
                f"the replayed stream ended after {self._match} of the "
                f"{self._match_end} events already received"
            )
        return events

    def _emit(self, events: list[Event]) -> list[Event]:
        """Record and hand out ``events`` (past those a replay matched): the one place
        decoded events reach the log, the message and the iterators."""
        if self._match_end and events:
            i, end, delivered = self._match, self._match_end, self.events
            n = 0
            for ev in events:
                if i >= end:
                    break
                if ev != delivered[i]:
                    raise ReplayMismatch(
                        f"the replayed stream differs from what was received at event {i}"
                    )
                i += 1
                n += 1
            self._match = i
            if i >= end:
                self._match_end = 0
            if n:
                events = events[n:]
        if events:
            self.events.extend(events)
            self.acc.add_all(events)
            pending = self.pending
            if pending is not None:
                # all handed out (the usual case): hand out this new list itself, so a
                # chunk touches no list kept for the whole call
                self.pending = [*pending, *events] if pending else events
        return events

    def next_pending(self) -> Event | None:
        """The next event an iterator has not handed out, or None."""
        pending = self.pending
        if pending:
            i = self._handed
            ev = pending[i]
            i += 1
            if i == len(pending):
                self.pending = _NOTHING_PENDING  # (the list may be a caller's: not cleared)
                i = 0
            self._handed = i
            return ev
        return None

    def stop_collecting(self) -> None:
        """Nobody iterates any more (``final()``): keep events in the log only."""
        self.pending = None
        self._handed = 0

    def _restart(self, body: bytes) -> list[Event]:
        """Decode a replay from byte 0 with a fresh decoder, reconciling its events."""
        logger.debug(
            "the replay of stream %s does not start with the %d bytes received: "
            "decoding it from byte 0 and matching its events with the %d received",
            self.stream_id,
            self.fed,
            len(self.events),
        )
        self._old_warnings = self._warnings()
        known = self.fed  # the replay's first ``known`` bytes were received before
        self.decoder = self._new_decoder(self._headers)
        self.fed = 0
        self._crc = 0
        self._match = 0
        self._match_end = len(self.events)
        if self._gate is not None:
            self._gate = SSEGate()
            body = self._gate.feed(body)
        consumed = self.consumed
        out = self._decode(body)
        self.consumed = consumed + max(0, len(body) - known)
        return out

    def _warnings(self) -> list[str]:
        """The decoders' warnings; a decoder restarted from byte 0 repeats those of the
        one it replaced first, so only what it adds counts."""
        decoder = self.decoder
        if decoder is None:
            return list(self._old_warnings)
        old = self._old_warnings
        return [*old, *decoder.warnings[len(old) :]] if old else list(decoder.warnings)

    # -- resuming (decided here, done by the shells) ---------------------------------------

    def resume_mode(self) -> str | None:
        """How a cut body can be picked up: ``"replay"``, ``"last-event-id"`` or None."""
        if not self.resume_enabled or self.cancelled or self.decoder is None:
            return None
        if self.stream_id:
            return "replay"
        gate = self._gate
        if gate is not None and gate.clean and self.decoder.last_event_id:
            return "last-event-id"
        return None

    def eof_is_cut(self) -> bool:
        """A clean end of the body is a cut (an SSE protocol that ends with ``[DONE]``
        ended without it, and the message is not finished)."""
        decoder = self.decoder
        if decoder is None or decoder.done or decoder.protocol not in _DONE_PROTOCOLS:
            return False
        if self._replay is not None:
            return True  # a replay that ended before reaching the cut point: try again
        return self.acc.status.get("type") == "running"

    @property
    def last_event_id(self) -> str:
        return self.decoder.last_event_id if self.decoder is not None else ""

    @property
    def retry_delay(self) -> float | None:
        """The SSE ``retry:`` reconnection delay in seconds, if the server sent one."""
        retry = self.decoder.retry if self.decoder is not None else None
        return retry / 1000 if retry is not None else None

    def cut(self) -> None:
        """The body was cut: forget its unfinished tail."""
        if self._gate is not None:
            self._gate.cut()
        self._replay = None

    def resumed_with(self, response: httpx.Response, mode: str) -> None:
        """A resumed body starts (its head arrived)."""
        self.resumed += 1
        if mode == "replay":
            self._headers = response.headers
            if self.fed:
                self._replay = _Replay(self.fed, self._crc)
            if self._gate is not None:
                self._gate.cut()
        elif self._gate is not None:
            self._gate.reconnected()

    # -- the result -------------------------------------------------------------------------

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
        warnings = self._warnings()
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
