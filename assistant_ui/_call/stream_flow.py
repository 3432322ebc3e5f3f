"""One streamed chat call as pure code: the flow both stream drivers run.

:class:`StreamFlow` holds the call's state (around the decoding state of
:class:`~.state.ChatCall`) and its generators (:meth:`StreamFlow.open`,
:meth:`StreamFlow.fill`) yield the actions of :mod:`.actions` (send, read, attach
a body, close, release) and receive their outcomes. Everything that decides lives
here: the idle and deadline bounds, what a failure becomes, when a cut body is
resumed (the table is in :mod:`.decisions`) and how. The drivers
(``assistant_ui._sync_stream``, ``assistant_ui._async_stream``) only perform the
actions: blocking reads under a watchdog on one side, cancel scopes on the other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, NoReturn, Protocol

from .._log import log_resume, redact_for_request
from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantUIError,
    DecodeError,
)
from ..events import Event
from ..types import AssistantMessage
from .actions import (
    CANCELLED,
    END,
    READY,
    UNBOUNDED_READ,
    Attach,
    CloseBody,
    Discard,
    Read,
    ReadFailed,
    Release,
    Send,
    SendOutcome,
    TimedOut,
)
from .decisions import FailureKind, ResumeMode, resume_delay, resume_mode, resume_verdict
from .event_log import EventLog
from .options import CallOptions
from .result import ChatResult
from .send_flow import SendEnv, SendFlow, send_flow
from .state import ChatCall, ReplayMismatch
from .stream_ending import StreamEnding

__all__ = ["FEED_SLICE", "StreamEnv", "StreamFlow"]

#: the most bytes decoded at once; the call's deadline is checked between slices
FEED_SLICE = 1 << 20

Flow = Generator[Any, Any, Any]


class CancelFlag(Protocol):
    """Says whether a call was cancelled (the drivers' in-flight handle)."""

    cancelled: bool


class StreamEnv(SendEnv, Protocol):
    """What a streamed call needs of its client (what a send needs, and more)."""

    def resume_spec(self, stream_id: str) -> Any:
        """The request that replays the resumable stream ``stream_id``."""
        ...


class StreamFlow(StreamEnding):
    """The state and the flow of one streamed call (see the module doc)."""

    __slots__ = (
        "body_size", "cancel", "clock", "env", "idle_since", "max_response_size", "on_result",
        "resends", "resume_failures", "resume_mark", "spec",
    )

    def __init__(
        self,
        env: StreamEnv,
        spec: Any,
        opts: CallOptions,
        call: ChatCall,
        *,
        clock: Callable[[], float],
        cancel: CancelFlag,
        on_result: Callable[[Sequence[Event]], None] | None = None,
    ) -> None:
        super().__init__(opts, call)
        self.env = env
        self.spec = spec
        #: the driver's clock (cancel scopes and bounds are on it)
        self.clock = clock
        #: says whether the call was cancelled (``thread.cancel()``, a close from elsewhere)
        self.cancel = cancel
        #: (``opts.max_response_size``, read for every chunk)
        self.max_response_size = opts.max_response_size
        #: told the events of the final answer (a request dialect's per-thread session)
        self.on_result = on_result
        call.resume_enabled = opts.resume
        #: reconnections made since a resumed body last brought new data
        self.resume_failures = 0
        #: requests sent again after a cut before any body byte
        self.resends = 0
        #: bytes of the current response's body so far (``max_response_size`` bounds it)
        self.body_size = 0
        #: ``call.consumed`` when the last resumed body started
        self.resume_mark = 0
        self.idle_since = 0.0

    def cancelled(self) -> bool:
        """Whether the call was cancelled."""
        return self.cancel.cancelled

    # -- what users read ------------------------------------------------------------------

    @property
    def message(self) -> AssistantMessage:
        return self.call.acc.message

    @property
    def events(self) -> EventLog:
        return self.call.events

    def result(self) -> ChatResult:
        """The final result (the stream has ended), or the error that ended it."""
        if self.error is not None:
            raise self.error
        result = self.call.result()
        if self.on_result is not None:
            self.on_result(self.call.events)
        try:
            self.call.raise_for_stream_error(result)
        except AssistantUIError as error:  # an in-band error may echo the request's key
            raise redact_for_request(error, self.request()) from None
        return result

    # -- bounds ---------------------------------------------------------------------------

    def bound(self) -> float | None:
        """When the read in progress must have produced an event, or the call must end.

        The idle clock runs from the later of the last event and the moment the
        consumer asked for more: time the consumer spends between events is not
        the server's silence.
        """
        opts = self.opts
        bound = math.inf
        if opts.idle_timeout is not None:
            bound = self.idle_since + opts.idle_timeout
        if opts.deadline is not None:
            bound = min(bound, self.started_at + opts.deadline)
        return bound if bound != math.inf else None

    # -- the flows ------------------------------------------------------------------------

    def fail(
        self, error: AssistantUIError, cause: BaseException | None = None
    ) -> Generator[Any, Any, NoReturn]:
        # nothing the call's own credentials are in leaves in a message or a cause
        redact_for_request(error, self.request(), cause)
        self.error = error
        yield Release()
        raise error from cause

    def stop_cancelled(self) -> Flow:
        self.call.cancelled = True
        yield Release()

    def sender(self, action: Send, interrupted: Callable[[], bool], deadline_at: float | None) -> SendFlow:
        """The send flow that performs ``action`` (its retries end at ``deadline_at``, on
        ``time.monotonic()``; ``interrupted`` stops them)."""
        return send_flow(
            self.env,
            action.spec,
            self.opts,
            extra_headers=action.extra_headers,
            interrupted=interrupted,
            deadline_at=deadline_at,
            max_retries=action.max_retries,
        )

    def open(self) -> Flow:
        """Send the request (with the client's retries) and attach its body."""
        self.opened = True
        self.started_at = self.clock()
        self.mono_start = time.monotonic()
        deadline = self.opts.deadline
        out: SendOutcome = yield Send(
            self.spec,
            bound=self.started_at + deadline if deadline is not None else None,
            deadline_at=self.mono_start + deadline if deadline is not None else None,
        )
        if out.error is not None:
            if isinstance(out.error, AssistantUIError):
                self.error = out.error
            yield Release()
            raise out.error
        if out.response is None:  # cancelled, or the deadline passed
            if self.cancelled():
                yield from self.stop_cancelled()
                return
            yield from self.fail(self.timeout_error(self.clock()))
        self.response = out.response
        self.call.start(out.response)
        self.body_size = 0
        yield Attach(out.response)
        if self.cancelled():
            yield from self.stop_cancelled()

    def fill(self) -> Flow:
        """Read and decode until the call ends, yielding :data:`READY` whenever a read
        buffered events (the driver hands them out and resumes this same flow when
        its consumer wants more): one flow per call, not one per read."""
        opts = self.opts
        idle = opts.idle_timeout is not None
        # a call with neither bound reads with one shared action (none made per chunk)
        unbounded = None if idle or opts.deadline is not None else UNBOUNDED_READ
        cancel = self.cancel
        while not self.eof:
            if idle:  # the consumer asked for more: the idle clock starts again
                self.idle_since = self.clock()
            produced = False
            while not produced:
                if cancel.cancelled:
                    yield from self.stop_cancelled()
                    return
                out = yield unbounded or Read(self.bound())
                if type(out) is bytes:
                    # the common case, in line: a chunk, decoded without a problem
                    produced, done = self.feed_bounded(out)
                    if done or self.error is not None or unbounded is None:
                        produced = yield from self.after_feed(produced, done)
                else:
                    produced = yield from self.after_read(out)
                if self.eof:
                    return
            yield READY

    def after_read(self, out: object) -> Generator[Any, Any, bool]:
        """What a read's outcome other than a plain chunk leads to (an end, a failure, a
        cancel, a timeout; or a chunk of another bytes type); True when events came."""
        now = self.clock()
        if out is CANCELLED:
            yield from self.stop_cancelled()
            return False
        if isinstance(out, TimedOut):
            yield from self.fail(self.timeout_error(now), out.cause)
        if isinstance(out, ReadFailed):
            mode = self.resumable(out.kind)
            if mode is None:
                yield from self.fail(self.connection_error(out.error, out.kind, now), out.error)
            else:
                yield from self.resume(mode, out.error)
            return False
        if out is END:
            mode = self.resumable(None)
            if mode is not None:
                yield from self.resume(mode, None)
                return False
            produced = self.end_decoder()
            if self.error is not None:
                yield from self.fail(self.error)
            self.call.result()  # settle the message: a snapshot read now shows its final status
            yield Release()
            return produced
        produced, done = self.feed_bounded(out)  # type: ignore[arg-type]
        return (yield from self.after_feed(produced, done))

    def after_feed(self, produced: bool, done: bool) -> Generator[Any, Any, bool]:
        """After a chunk was decoded: its error, the deadline, the end of the message."""
        if self.error is not None:
            yield from self.fail(self.error)
        if self.deadline_passed(self.clock()):
            # checked after every chunk: a decompression bomb yields large chunks
            # without ever waiting on the network, where the read bound would fire
            yield from self.fail(self.timeout_error(self.clock()))
        if done:  # [DONE]: nothing after it counts; drain the tail, keep the connection
            produced = self.end_decoder() or produced
            if self.error is not None:
                yield from self.fail(self.error)
            self.call.result()
            yield Release(drain=True)
        return produced

    # -- resuming ---------------------------------------------------------------------------

    def resumable(self, failure: FailureKind | None) -> ResumeMode | None:
        """How to pick up a body stopped by ``failure`` (None: a clean end), or None."""
        call = self.call
        return resume_mode(
            cancelled=self.cancelled(),
            failure=failure,
            received=call.received,
            resends=self.resends,
            max_retries=self.env.retry.max_retries,
            eof_is_cut=call.eof_is_cut,
            server_mode=call.resume_mode,
        )

    def resume(self, mode: ResumeMode, failure: Exception | None) -> Flow:
        """Pick a cut body up: reconnect until a new body is attached (or give up)."""
        reason = self.begin_resume(failure)
        yield CloseBody()
        headers: Any = None
        while True:
            attempt = self.resume_failures
            if attempt >= self.opts.max_resume_attempts:
                yield from self.fail(self.gave_up(reason), failure)
            self.resume_failures += 1
            spec, extra, where = self.resume_request(mode)
            delay = resume_delay(
                mode,
                attempt,
                headers,
                policy=self.env.retry,
                resends=self.resends,
                sse_retry=self.call.retry_delay,
            )
            request = self.response.request if self.response is not None else None
            log_resume(request, self.call.stream_id, attempt, f"{reason}; {where}")
            outcome = yield from self.reconnect(spec, extra, delay)
            if outcome is None:  # cancelled: released
                return
            if isinstance(outcome, APIStatusError):
                if not resume_verdict(outcome.status_code):
                    yield from self.fail(self.refused(outcome), outcome)
                reason, headers = f"HTTP {outcome.status_code}", outcome.response.headers
                continue
            if isinstance(outcome, AssistantUIError):
                reason = outcome.message if isinstance(outcome, APIConnectionError) else str(outcome)
                headers = None
                continue
            self.resumed(outcome, mode)
            yield Attach(outcome)
            return

    def begin_resume(self, failure: Exception | None) -> str:
        """The body was cut: forget its tail; returns the reason, for the log."""
        call = self.call
        call.cut()
        if call.consumed > self.resume_mark:
            self.resume_failures = 0  # the last resumed body brought new data
        if failure is None:
            return "the body ended before its end ([DONE])"
        return f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__

    def resume_request(self, mode: ResumeMode) -> tuple[Any, dict[str, str] | None, str]:
        """The request that picks the body up, its extra headers, and where it resumes."""
        call = self.call
        if mode is ResumeMode.RESEND:
            return self.spec, None, "sending the request again (no body byte had arrived)"
        if mode is ResumeMode.REPLAY:
            assert call.stream_id is not None
            spec = self.env.resume_spec(call.stream_id)
            return spec, None, f"replay from byte 0, skipping {call.fed} bytes"
        last = call.last_event_id
        return self.spec, {"Last-Event-ID": last}, f"Last-Event-ID {last}"

    def reconnect(self, spec: Any, extra: dict[str, str] | None, delay: float) -> Flow:
        """Wait ``delay``, then send ``spec`` once: returns the response, the error, or
        None when the call was cancelled meanwhile (it is then released)."""
        bound = self.bound()
        deadline = self.opts.deadline
        out: SendOutcome = yield Send(
            spec,
            extra_headers=extra,
            max_retries=0,
            delay=delay,
            bound=bound,
            deadline_at=self.mono_start + deadline if deadline is not None else None,
        )
        if self.cancelled():
            if out.response is not None:
                yield Discard(out.response)
            yield from self.stop_cancelled()
            return None
        if out.response is not None:
            return out.response
        now = self.clock()
        error = out.error
        if error is None or (
            isinstance(error, APITimeoutError) and bound is not None and now >= bound - 1e-3
        ):
            yield from self.fail(self.timeout_error(now), error)
        return error

    def resumed(self, response: Any, mode: ResumeMode) -> None:
        self.response = response
        if mode is ResumeMode.RESEND:
            self.resends += 1
            self.call.start(response)  # nothing was decoded: a fresh start
        else:
            self.call.resumed_with(response, mode.value)
        self.resume_mark = self.call.consumed
        self.body_size = 0

    # -- decoding -----------------------------------------------------------------------------

    def feed_bounded(self, chunk: bytes) -> tuple[bool, bool]:
        """:meth:`feed`, bounded: at most ``max_response_size`` bytes per response (the
        part past it is not decoded; the call ends with :meth:`too_large`), and in
        slices of :data:`FEED_SLICE` bytes with the deadline checked between them (a
        decompression bomb hands over huge chunks without waiting on the network)."""
        size = len(chunk)
        room = self.max_response_size - self.body_size
        self.body_size += size
        if 0 < size <= room and size <= FEED_SLICE:
            return self.feed(chunk)  # the common case: one slice, within the bound
        over = size > room
        if over:
            chunk = chunk[: max(room, 0)]
        produced = done = False
        for start in range(0, len(chunk), FEED_SLICE):
            if start and self.deadline_passed(self.clock()):
                self.error = self.timeout_error(self.clock())
                return produced, done
            fed, done = self.feed(chunk[start : start + FEED_SLICE] if len(chunk) > FEED_SLICE else chunk)
            produced = produced or fed
            if self.error is not None or done:
                return produced, done
        if over:
            self.error = self.too_large()
        return produced, done

    def feed(self, chunk: bytes) -> tuple[bool, bool]:
        """Decode one chunk: (events were produced, the message is complete)."""
        call = self.call
        try:
            events = call.feed(chunk)
        except DecodeError as exc:
            self.error = self.decode_error(exc)
            return False, False
        except ReplayMismatch as exc:
            self.error = self.replay_error(exc)
            return False, False
        decoder = call.decoder
        return bool(events), decoder is not None and decoder.done

    def end_decoder(self) -> bool:
        """The body ended: flush the decoder. True when that produced events."""
        try:
            return bool(self.call.end())
        except DecodeError as exc:
            self.error = self.decode_error(exc)
            return False
        except ReplayMismatch as exc:
            self.error = self.replay_error(exc)
            return False
