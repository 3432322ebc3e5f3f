"""``ChatStream`` and ``AsyncChatStream``: one streamed chat call (API.md §4).

Both are thin shells over the pure :class:`~assistant_ui._call.state.ChatCall`; what
they share (buffering, timing, turning failures into typed errors that carry the
partial result) lives in :class:`_StreamCore`. They differ only where I/O does.

The async stream reads each body chunk inside its own anyio cancel scope whose
deadline is the idle / call bound; ``thread.cancel()`` cancels that scope (from
another task directly, from another OS thread by scheduling the cancellation on
the stream's event loop). The sync stream cannot be interrupted that way, so a
cancel from another thread, or the watchdog thread when a bound passes, shuts
the connection's socket down under the blocked read.

Releasing a connection: a body read to its end puts the connection back in the
pool. A body abandoned half-way (``break``, an exception, ``close()``, garbage
collection, cancellation) is closed at once and its connection discarded. When
the message is complete but the body is not (``[DONE]`` or a finish event
seen), the tail is drained, within :data:`DRAIN_LIMIT` bytes and
:data:`DRAIN_TIMEOUT` seconds, so the keep-alive connection can be reused.

Resuming: a body cut by the network (a transport error mid-body; for the SSE
protocols that end with ``[DONE]``, also a clean end without it), not by a
cancel, ``break`` or timeout, is picked up again when the call allows it
(``resume=``) and the server does (see :mod:`assistant_ui._call.state`): the cut body
is closed, and up to ``max_resume_attempts`` reconnections are made (the first at
once, then with the retry back-off, or the SSE ``retry:`` delay), each inside the
same cancel scope / interrupt / watchdog machinery as any other wait. The count
of attempts starts again once a resumed body brings new data.
"""

from __future__ import annotations

import functools
import math
import socket
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

from ._call.result import ChatResult
from ._call.retry import RETRYABLE_STATUS
from ._call.state import ChatCall, ReplayMismatch
from ._log import log_resume, log_stream_end
from ._transports.loops import (
    call_soon_threadsafe,
    current_loop_token,
    in_loop,
    spawn_detached,
    watchdog,
)
from ._wire.requests import RequestSpec
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantUIError,
    DecodeError,
    StreamError,
)
from .events import Event
from .types import AssistantMessage

if TYPE_CHECKING:
    from ._client import CallOptions
    from ._thread import ThreadClient

__all__ = ["DRAIN_LIMIT", "DRAIN_TIMEOUT", "AsyncChatStream", "ChatStream", "InFlight"]

#: at most this many bytes are read after the message completed, to reuse the connection
DRAIN_LIMIT = 64 * 1024
#: ... and for at most this long (seconds)
DRAIN_TIMEOUT = 0.5


class InFlight:
    """A handle on one running call, so that ``thread.cancel()`` can abort it from anywhere.

    It holds no reference to its stream (the thread's registry keeps handles, and
    an abandoned stream must stay collectable).
    """

    __slots__ = (
        "__weakref__",
        "cancelled",
        "event",
        "lock",
        "native_token",
        "released",
        "response",
        "scope",
    )

    def __init__(self) -> None:
        self.cancelled = False
        #: set on cancel (wakes the sync retry back-off)
        self.event = threading.Event()
        #: guards ``released`` against a concurrent socket shutdown
        self.lock = threading.Lock()
        #: the event loop of an async call (None for a sync call)
        self.native_token: object | None = None
        self.released = False
        #: the response of a sync call, once its head arrived
        self.response: httpx.Response | None = None
        #: the cancel scope of the async read in progress, if any
        self.scope: Any = None

    def cancel(self) -> None:
        """Abort the call; callable from any thread and any event loop, never blocks."""
        with self.lock:
            self.cancelled = True
            released = self.released
            native = self.native_token
        self.event.set()
        if released:
            return
        if native is None:
            self.shutdown()
        elif in_loop(native):
            self._cancel_scope()
        else:
            call_soon_threadsafe(native, self._cancel_scope)

    def _cancel_scope(self) -> None:
        # runs in the call's event loop thread, so it cannot interleave with the
        # reader's check of ``cancelled`` and its entering a new scope
        scope = self.scope
        if scope is not None:
            scope.cancel()

    def shutdown(self) -> None:
        """Wake a sync read blocked in another thread (unless the call was released)."""
        with self.lock:
            if not self.released:
                _shutdown_socket(self.response)


def _shutdown_socket(response: httpx.Response | None) -> None:
    """Shut the connection's socket down: a blocked ``recv`` returns at once."""
    if response is None:
        return
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    try:
        sock = stream.get_extra_info("socket")
    except Exception:
        return
    if sock is None:
        return
    try:
        # the base-class method: ``SSLSocket.shutdown`` would also drop its SSL
        # object under a reader in another thread
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass


class _StreamCore:
    def __init__(
        self, thread: ThreadClient, spec: RequestSpec, opts: CallOptions, call: ChatCall
    ) -> None:
        self._thread = thread
        self._spec = spec
        self._opts = opts
        self._call = call
        call.resume_enabled = opts.resume
        #: reconnections made since a resumed body last brought new data
        self._resume_failures = 0
        self._resends = 0  # requests sent again after a cut before any body byte
        #: ``call.consumed`` when the last resumed body started
        self._resume_mark = 0
        #: ``time.monotonic()`` at the start (for the stream-end log line)
        self._mono_start = 0.0
        self._logged_end = False
        self._pos = 0
        self._response: httpx.Response | None = None
        self._inflight = InFlight()
        self._started_at = 0.0
        self._idle_since = 0.0
        self._opened = False
        #: no more events will come (the body ended, or the stream was stopped)
        self._eof = False
        #: the connection was handed back (or is being)
        self._released = False
        #: the error that ended the stream; ``final()`` raises it again
        self._error: AssistantUIError | None = None

    # -- what users read --------------------------------------------------------

    @property
    def message(self) -> AssistantMessage:
        """The message accumulated so far (a snapshot; final once the stream ended)."""
        return self._call.acc.message

    @property
    def events(self) -> list[Event]:
        """Every event decoded so far."""
        return self._call.events

    @property
    def response(self) -> httpx.Response | None:
        """The HTTP response, once its head arrived (the first one, when the body was resumed)."""
        return self._call.response or self._response

    @property
    def stream_id(self) -> str | None:
        """The resumable stream id (``x-resumable-stream-id``), if the server sent one."""
        return self._call.stream_id

    @property
    def protocol(self) -> str | None:
        """The wire format being decoded (None until it is known)."""
        decoder = self._call.decoder
        return decoder.protocol if decoder is not None else None

    # -- shared mechanics -----------------------------------------------------------

    def _next_buffered(self) -> Event | None:
        events = self._call.events
        if self._pos < len(events):
            ev = events[self._pos]
            self._pos += 1
            return ev
        return None

    def _bound(self) -> float | None:
        """When the read in progress must have produced an event, or the call must end.

        The idle clock runs from the later of the last event and the moment the
        consumer asked for more: time the consumer spends between events is not
        the server's silence.
        """
        opts = self._opts
        bound = math.inf
        if opts.idle_timeout is not None:
            bound = self._idle_since + opts.idle_timeout
        if opts.deadline is not None:
            bound = min(bound, self._started_at + opts.deadline)
        return bound if bound != math.inf else None

    def _deadline_passed(self, now: float) -> bool:
        deadline = self._opts.deadline
        return deadline is not None and now >= self._started_at + deadline - 1e-3

    def _timeout_message(self, now: float) -> str:
        opts = self._opts
        if self._deadline_passed(now):
            return f"the call exceeded its deadline of {opts.deadline:g} s"
        if opts.idle_timeout is not None:
            return f"no event for {opts.idle_timeout:g} s (idle timeout)"
        return "the read timed out"

    def _timeout_error(self, now: float) -> APITimeoutError:
        what = self._timeout_message(now)
        partial = self._call.interrupted_result("timeout", what) if self._response else None
        return APITimeoutError(what, partial=partial, request=self._request())

    def _connection_error(self, exc: Exception, now: float) -> AssistantUIError:
        from ._client import describe_error

        if isinstance(exc, httpx.TimeoutException):
            return self._timeout_error(now)
        if isinstance(exc, httpx.DecodingError):
            # the body is not what its Content-Encoding says
            what = f"the body could not be decoded: {describe_error(exc)}"
            return DecodeError(
                what,
                protocol=self._call.decoder.protocol if self._call.decoder else None,
                offset=self._call.consumed,
                partial=self._call.interrupted_result("decode-error", what),
            )
        text = describe_error(exc)
        partial = self._call.interrupted_result("connection-error", text)
        if self._call.acc.status.get("reason") == "error" and partial.status.get("reason") == "error":
            error = partial.status.get("error")
            if isinstance(error, dict) and error.get("code") != "connection-error":
                # the backend reported its own error before the connection dropped
                return StreamError(
                    f"the backend reported an error: {error.get('message')}",
                    partial=partial,
                    code=error.get("code"),
                )
        return APIConnectionError(
            f"the connection was lost mid-response: {type(exc).__name__}: {text}",
            partial=partial,
            request=self._request(),
        )

    def _decode_error(self, exc: DecodeError) -> DecodeError:
        exc.partial = self._call.interrupted_result("decode-error", exc.message)
        return exc

    def _replay_error(self, exc: ReplayMismatch) -> APIConnectionError:
        what = f"the stream could not be resumed: {exc}"
        return APIConnectionError(
            what,
            partial=self._call.interrupted_result("connection-error", what),
            request=self._request(),
        )

    # -- resuming: what the sync and async shells share ----------------------------------

    def _resumable(self, failure: Exception | None) -> str | None:
        """How to pick up a body cut by ``failure`` (None: a clean end), or None."""
        if self._inflight.cancelled:
            return None
        call = self._call
        if (
            failure is not None
            and call.consumed == 0
            and isinstance(failure, httpx.TransportError)
            and not isinstance(failure, httpx.TimeoutException)
            and self._resends < self._thread._client.retry.max_retries
        ):
            # cut before the first body byte: an ordinary retry (API.md §9)
            return "resend"
        if failure is not None:
            if not isinstance(failure, httpx.TransportError) or isinstance(
                failure, httpx.TimeoutException
            ):
                return None
        elif not call.eof_is_cut():
            return None
        return call.resume_mode()

    def _begin_resume(self, failure: Exception | None) -> str:
        """The body was cut: forget its tail; returns the reason, for the log."""
        call = self._call
        call.cut()
        if call.consumed > self._resume_mark:
            self._resume_failures = 0  # the last resumed body brought new data
        if failure is None:
            return "the body ended before its end ([DONE])"
        return f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__

    def _resume_request(self, mode: str) -> tuple[RequestSpec, dict[str, str] | None, str]:
        """The request that picks the body up, its extra headers, and where it resumes."""
        call = self._call
        if mode == "resend":
            return self._spec, None, "sending the request again (no body byte had arrived)"
        if mode == "replay":
            assert call.stream_id is not None
            spec = self._thread._client._resume_spec(call.stream_id)
            return spec, None, f"replay from byte 0, skipping {call.fed} bytes"
        last = call.last_event_id
        return self._spec, {"Last-Event-ID": last}, f"Last-Event-ID {last}"

    def _resume_delay(self, mode: str, attempt: int, headers: httpx.Headers | None) -> float:
        """The wait before reconnection ``attempt`` (from 0): none for the first."""
        policy = self._thread._client.retry
        if mode == "resend":
            return policy.delay(self._resends, headers)
        if mode == "last-event-id":
            retry = self._call.retry_delay
            if retry is not None:
                return min(retry, policy.max_retry_after)
        if attempt == 0 and headers is None:
            return 0.0
        return policy.delay(max(attempt - 1, 0), headers)

    def _gave_up(self, reason: str) -> APIConnectionError:
        attempts = self._opts.max_resume_attempts
        what = (
            f"the connection was lost mid-response and could not be resumed "
            f"({attempts} attempt{'s' if attempts != 1 else ''}): {reason}"
        )
        return APIConnectionError(
            what,
            partial=self._call.interrupted_result("connection-error", what),
            request=self._request(),
        )

    def _refused(self, exc: APIStatusError) -> APIConnectionError:
        what = (
            f"the connection was lost mid-response and the server cannot resume the "
            f"stream (HTTP {exc.status_code} for {exc.response.request.url.path})"
        )
        return APIConnectionError(
            what,
            partial=self._call.interrupted_result("connection-error", what),
            request=exc.response.request,
        )

    def _resume_outcome(
        self, error: AssistantUIError
    ) -> tuple[AssistantUIError | None, str, httpx.Headers | None]:
        """A reconnection failed: (the error to raise now or None to try again, the
        reason, the headers that may set the wait)."""
        if isinstance(error, APIStatusError):
            code = error.status_code
            if code in RETRYABLE_STATUS or code >= 500:
                return None, f"HTTP {code}", error.response.headers
            return self._refused(error), f"HTTP {code}", None
        return None, error.message if isinstance(error, APIConnectionError) else str(error), None

    def _resumed(self, response: httpx.Response, mode: str) -> None:
        self._response = response
        if mode == "resend":
            self._resends += 1
            self._call.start(response)  # nothing was decoded: a fresh start
        else:
            self._call.resumed_with(response, mode)
        self._resume_mark = self._call.consumed

    def _log_end(self) -> None:
        if self._logged_end:
            return
        self._logged_end = True
        response = self._response
        if response is None:
            return
        error = self._error
        if error is not None:
            outcome = "timeout" if isinstance(error, APITimeoutError) else f"error: {type(error).__name__}"
        elif self._call.cancelled:
            outcome = "cancelled"
        else:
            outcome = "complete"
        resumed = self._call.resumed
        if resumed:
            outcome += f" (resumed {resumed} time{'s' if resumed != 1 else ''})"
        log_stream_end(response.request, outcome, len(self._call.events), self._mono_start)

    def _request(self) -> httpx.Request | None:
        return self._response.request if self._response is not None else None

    def _message_done(self) -> bool:
        """The message is complete although the body may not have ended."""
        decoder = self._call.decoder
        if decoder is not None and decoder.done:
            return True
        return self._call.acc.status.get("type") != "running"

    def _feed(self, chunk: bytes) -> tuple[bool, bool]:
        """Decode one chunk: (events were produced, the message is complete)."""
        try:
            events = self._call.feed(chunk)
        except DecodeError as exc:
            self._error = self._decode_error(exc)
            return False, False
        except ReplayMismatch as exc:
            self._error = self._replay_error(exc)
            return False, False
        decoder = self._call.decoder
        return bool(events), decoder is not None and decoder.done

    def _end_decoder(self) -> bool:
        """The body ended: flush the decoder. True when that produced events."""
        try:
            return bool(self._call.end())
        except DecodeError as exc:
            self._error = self._decode_error(exc)
            return False
        except ReplayMismatch as exc:
            self._error = self._replay_error(exc)
            return False

    def _result(self) -> ChatResult:
        if self._error is not None:
            raise self._error
        result = self._call.result()
        self._thread._after_answer(result)  # TEMP facade wiring for sessions
        self._call.raise_for_stream_error(result)
        return result


# -- async --------------------------------------------------------------------------------


class _AsyncTextStream:
    """``stream.text_stream``: the text deltas, read from the stream's own iterator."""

    __slots__ = ("_stream",)

    def __init__(self, stream: AsyncChatStream) -> None:
        self._stream = stream

    def __aiter__(self) -> _AsyncTextStream:
        return self

    async def __anext__(self) -> str:
        while True:
            ev = await self._stream.__anext__()
            if ev["type"] == "text-delta":
                return ev["delta"]


async def _close_body(
    it: AsyncIterator[bytes] | None, response: httpx.Response | None, *, drain: bool
) -> None:
    """Hand a response's connection back: drain a finished body's tail, or cut it off.

    A pending read is cut off by running it in a cancelled scope rather than by
    dropping the iterator, so that every layer of httpx's async generators ends
    here (no "async generator was garbage collected" warnings under trio).
    """
    import anyio

    if it is not None:
        if drain:
            total = 0
            with anyio.move_on_after(DRAIN_TIMEOUT):
                try:
                    async for chunk in it:
                        total += len(chunk)
                        if total > DRAIN_LIMIT:
                            break
                except Exception:
                    pass
        with anyio.CancelScope() as scope:
            scope.cancel()
            try:
                async for _ in it:
                    pass
            except Exception:
                pass
    if response is not None:
        try:
            await response.aclose()
        except Exception:
            pass


class AsyncChatStream(_StreamCore):
    """An async streamed chat call: ``async with thread.stream(...) as stream: ...``.

    Iterate it for the normalized events as they arrive, or :attr:`text_stream`
    for the text only; :meth:`final` reads the rest and returns the
    :class:`ChatResult`; :attr:`message` is the message so far, at any time.
    """

    def __init__(
        self, thread: ThreadClient, spec: RequestSpec, opts: CallOptions, call: ChatCall
    ) -> None:
        super().__init__(thread, spec, opts, call)
        self._iter: AsyncIterator[bytes] | None = None
        self._reading = False

    async def __aenter__(self) -> AsyncChatStream:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> Event:
        ev = self._next_buffered()
        if ev is None:
            await self._fill()
            ev = self._next_buffered()
            if ev is None:
                raise StopAsyncIteration
        return ev

    def __del__(self) -> None:
        # garbage collection releases the connection too: on the stream's own loop
        if getattr(self, "_released", True):
            return
        self._released = True
        self._inflight.released = True
        native = self._inflight.native_token
        if native is not None and (self._iter is not None or self._response is not None):
            spawn_detached(native, _close_body_shielded, self._iter, self._response)

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The text deltas only, from the same underlying iterator as the events."""
        return _AsyncTextStream(self)

    async def final(self) -> ChatResult:
        """Read to the end and return the :class:`ChatResult`."""
        while not self._eof:
            await self._fill()
        return self._result()

    async def aclose(self) -> None:
        """Stop reading and release the connection now."""
        if self._released:
            self._eof = True
            return
        if self._reading:
            # another task is sending or reading: cut that short, it releases
            self._inflight.cancel()
            return
        if self._eof or (self._opened and self._message_done()):
            await self._release(drain=not self._eof)
            return
        self._call.cancelled = True
        await self._release()

    # -- internals ----------------------------------------------------------------

    async def _release(self, *, drain: bool = False) -> None:
        self._eof = True
        if self._released:
            return
        self._released = True
        self._log_end()
        inflight = self._inflight
        with inflight.lock:
            inflight.released = True
        it, self._iter = self._iter, None
        try:
            if it is not None or self._response is not None:
                await _close_body_shielded(it, self._response, drain=drain)
        finally:
            self._thread._unregister(inflight)

    async def _fail(self, error: AssistantUIError, cause: BaseException | None = None) -> NoReturn:
        self._error = error
        await self._release()
        raise error from cause

    async def _open(self) -> None:
        if self._opened:
            return
        self._opened = True
        import anyio

        inflight = self._inflight
        self._started_at = anyio.current_time()
        self._mono_start = time.monotonic()
        inflight.native_token = current_loop_token()
        self._thread._register(inflight)
        from ._client import CallInterrupted

        deadline = math.inf
        deadline_at = None  # the same bound on the clock send_async uses for its retries
        if self._opts.deadline is not None:
            deadline = self._started_at + self._opts.deadline
            deadline_at = time.monotonic() + self._opts.deadline
        response: httpx.Response | None = None
        self._reading = True  # an aclose() from another task now cancels, not races
        try:
            with anyio.CancelScope(deadline=deadline) as scope:
                inflight.scope = scope
                try:
                    response = await self._thread._client.send_async(
                        self._spec, self._opts, interrupt=inflight.event, deadline_at=deadline_at
                    )
                except CallInterrupted:
                    pass
                finally:
                    inflight.scope = None
        except BaseException as exc:
            self._reading = False
            if isinstance(exc, AssistantUIError):
                self._error = exc
            await self._release()
            raise
        self._reading = False
        if response is None:  # our scope was cancelled, or the retries were interrupted
            if inflight.cancelled:
                self._call.cancelled = True
                await self._release()
                return
            await self._fail(self._timeout_error(anyio.current_time()))
        self._response = response
        self._call.start(response)
        self._iter = response.aiter_bytes()
        if inflight.cancelled:
            self._call.cancelled = True
            await self._release()

    async def _fill(self) -> None:
        """Read until at least one new event is buffered or the stream ends."""
        if self._eof:
            return
        await self._open()
        import anyio

        self._idle_since = anyio.current_time()
        while not self._eof:
            if await self._step():
                return

    async def _step(self) -> bool:
        """Read and decode one chunk; True when it produced events."""
        import anyio

        inflight = self._inflight
        if inflight.cancelled:
            self._call.cancelled = True
            await self._release()
            return False
        it = self._iter
        assert it is not None
        bound = self._bound()
        chunk: bytes | None = None
        ended = False
        failure: Exception | None = None
        self._reading = True
        try:
            with anyio.CancelScope(deadline=bound if bound is not None else math.inf) as scope:
                inflight.scope = scope
                try:
                    chunk = await it.__anext__()
                except StopAsyncIteration:
                    ended = True
                except httpx.HTTPError as exc:
                    failure = exc
                finally:
                    inflight.scope = None
        except BaseException:
            # cancelled from outside (or KeyboardInterrupt): release, then propagate
            self._reading = False
            self._call.cancelled = True
            await self._release()
            raise
        self._reading = False
        now = anyio.current_time()
        if scope.cancelled_caught and chunk is None and not ended:
            if inflight.cancelled:
                self._call.cancelled = True
                await self._release()
                return False
            await self._fail(self._timeout_error(now))
        if failure is not None:
            if inflight.cancelled:
                self._call.cancelled = True
                await self._release()
                return False
            mode = self._resumable(failure)
            if mode is None:
                await self._fail(self._connection_error(failure, now), failure)
            await self._resume(mode, failure)
            return False
        if ended:
            mode = self._resumable(None)
            if mode is not None:
                await self._resume(mode, None)
                return False
            produced = self._end_decoder()
            if self._error is not None:
                await self._fail(self._error)
            await self._release()
            return produced
        assert chunk is not None
        produced, done = self._feed(chunk)
        if self._error is not None:
            await self._fail(self._error)
        if done:  # [DONE]: nothing after it counts; drain the tail, keep the connection
            produced = self._end_decoder() or produced
            if self._error is not None:
                await self._fail(self._error)
            await self._release(drain=True)
        if produced:
            self._idle_since = now
        return produced


    async def _resume(self, mode: str, failure: Exception | None) -> None:
        """Pick a cut body up: reconnect until a new body is open (or give up, raising)."""
        self._reading = True  # an aclose() from another task now cancels, not races
        try:
            await self._resume_loop(mode, failure)
        finally:
            self._reading = False

    async def _resume_loop(self, mode: str, failure: Exception | None) -> None:
        reason = self._begin_resume(failure)
        it, self._iter = self._iter, None
        await _close_body_shielded(it, self._response)
        headers: httpx.Headers | None = None
        while True:
            attempt = self._resume_failures
            if attempt >= self._opts.max_resume_attempts:
                await self._fail(self._gave_up(reason), failure)
            self._resume_failures += 1
            spec, extra, where = self._resume_request(mode)
            delay = self._resume_delay(mode, attempt, headers)
            request = self._response.request if self._response is not None else None
            log_resume(request, self._call.stream_id, attempt, f"{reason}; {where}")
            outcome = await self._reconnect(spec, extra, delay)
            if outcome is None:  # cancelled: released
                return
            if isinstance(outcome, httpx.Response):
                self._resumed(outcome, mode)
                self._iter = outcome.aiter_bytes()
                return
            error, reason, headers = self._resume_outcome(outcome)
            if error is not None:
                await self._fail(error, outcome)

    async def _reconnect(
        self, spec: RequestSpec, extra: dict[str, str] | None, delay: float
    ) -> httpx.Response | AssistantUIError | None:
        """Wait ``delay``, then send ``spec`` once: the response, the error, or None
        when the call was cancelled meanwhile (it is then released)."""
        import anyio

        from ._client import CallInterrupted

        inflight = self._inflight
        bound = self._bound()
        deadline_at = None
        if self._opts.deadline is not None:
            deadline_at = self._mono_start + self._opts.deadline
        response: httpx.Response | None = None
        error: AssistantUIError | None = None
        try:
            with anyio.CancelScope(deadline=bound if bound is not None else math.inf) as scope:
                if inflight.cancelled:
                    scope.cancel()
                inflight.scope = scope
                try:
                    if delay > 0:
                        await anyio.sleep(delay)
                    response = await self._thread._client.send_async(
                        spec,
                        self._opts,
                        extra_headers=extra,
                        interrupt=inflight.event,
                        deadline_at=deadline_at,
                        max_retries=0,
                    )
                except CallInterrupted:
                    pass
                except AssistantUIError as exc:
                    error = exc
                finally:
                    inflight.scope = None
        except BaseException:
            self._call.cancelled = True
            await self._release()
            raise
        if inflight.cancelled:
            self._call.cancelled = True
            if response is not None:
                await _close_body_shielded(None, response)
            await self._release()
            return None
        if response is not None:
            return response
        now = anyio.current_time()
        if error is None or (isinstance(error, APITimeoutError) and bound is not None and now >= bound - 1e-3):
            await self._fail(self._timeout_error(now), error)
        return error


async def _close_body_shielded(
    it: AsyncIterator[bytes] | None, response: httpx.Response | None, *, drain: bool = False
) -> None:
    import anyio

    with anyio.CancelScope(shield=True):
        await _close_body(it, response, drain=drain)


# -- sync ---------------------------------------------------------------------------------


class _TextStream:
    """``stream.text_stream``: the text deltas, read from the stream's own iterator."""

    __slots__ = ("_stream",)

    def __init__(self, stream: ChatStream) -> None:
        self._stream = stream

    def __iter__(self) -> _TextStream:
        return self

    def __next__(self) -> str:
        while True:
            ev = self._stream.__next__()
            if ev["type"] == "text-delta":
                return ev["delta"]


def _close_quietly(response: httpx.Response) -> None:
    try:
        response.close()
    except Exception:
        pass


def _on_timer(ref: weakref.ReferenceType[ChatStream], at: float) -> None:
    stream = ref()
    if stream is not None:
        stream._on_timer(at)


class ChatStream(_StreamCore):
    """A sync streamed chat call: ``with thread.stream_sync(...) as stream: ...``.

    Iterate it for the normalized events as they arrive, or :attr:`text_stream`
    for the text only; :meth:`final` reads the rest and returns the
    :class:`ChatResult`; :attr:`message` is the message so far, at any time.
    """

    def __init__(
        self, thread: ThreadClient, spec: RequestSpec, opts: CallOptions, call: ChatCall
    ) -> None:
        super().__init__(thread, spec, opts, call)
        self._iter: Iterator[bytes] | None = None
        #: the OS thread inside a read, if any
        self._reader: int | None = None
        #: the bound the watchdog enforces on the read in progress
        self._watch_bound: float | None = None
        self._timer_at: float | None = None
        self._timed_out = False

    def __enter__(self) -> ChatStream:
        self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> Event:
        ev = self._next_buffered()
        if ev is None:
            self._fill()
            ev = self._next_buffered()
            if ev is None:
                raise StopIteration
        return ev

    def __del__(self) -> None:
        # garbage collection releases the connection too. Not here: the collector
        # may have interrupted this thread inside the pool's lock.
        if getattr(self, "_released", True):
            return
        self._released = True
        self._inflight.released = True
        if self._response is not None:
            watchdog.call_soon(functools.partial(_close_quietly, self._response))

    @property
    def text_stream(self) -> Iterator[str]:
        """The text deltas only, from the same underlying iterator as the events."""
        return _TextStream(self)

    def final(self) -> ChatResult:
        """Read to the end and return the :class:`ChatResult`."""
        while not self._eof:
            self._fill()
        return self._result()

    def close(self) -> None:
        """Stop reading and release the connection now.

        From another thread while a read is blocked, this aborts the read (the
        reading thread then releases the connection).
        """
        if self._released:
            self._eof = True
            return
        reader = self._reader
        if reader is not None and reader != threading.get_ident():
            self._inflight.cancel()
            return
        if self._eof or (self._opened and self._message_done()):
            self._release(drain=not self._eof)
            return
        self._call.cancelled = True
        self._release()

    # -- internals ----------------------------------------------------------------

    def _release(self, *, drain: bool = False) -> None:
        self._eof = True
        if self._released:
            return
        self._log_end()
        inflight = self._inflight
        try:
            if drain and self._iter is not None:
                self._drain(self._iter)
        finally:
            self._released = True
            with inflight.lock:
                inflight.released = True
            self._iter = None
            if self._response is not None:
                _close_quietly(self._response)
            self._thread._unregister(inflight)

    def _drain(self, it: Iterator[bytes]) -> None:
        total = 0
        self._watch(time.monotonic() + DRAIN_TIMEOUT)
        try:
            for chunk in it:
                total += len(chunk)
                if total > DRAIN_LIMIT:
                    break
        except Exception:
            pass
        finally:
            self._unwatch()

    def _fail(self, error: AssistantUIError, cause: BaseException | None = None) -> NoReturn:
        self._error = error
        self._release()
        raise error from cause

    def _open(self) -> None:
        if self._opened:
            return
        self._opened = True
        from ._client import CallInterrupted

        inflight = self._inflight
        self._started_at = self._mono_start = time.monotonic()
        self._thread._register(inflight)
        deadline_at = None
        if self._opts.deadline is not None:
            deadline_at = self._started_at + self._opts.deadline
        self._reader = threading.get_ident()  # a close() from another thread now cancels
        try:
            response = self._thread._client.send_sync(
                self._spec, self._opts, interrupt=inflight.event, deadline_at=deadline_at
            )
        except CallInterrupted:
            self._reader = None
            self._call.cancelled = True
            self._release()
            return
        except BaseException as exc:
            self._reader = None
            if isinstance(exc, AssistantUIError):
                self._error = exc
            self._release()
            raise
        self._reader = None
        self._response = response
        with inflight.lock:
            inflight.response = response
        self._call.start(response)
        self._iter = response.iter_bytes()
        if inflight.cancelled:
            self._call.cancelled = True
            self._release()

    def _fill(self) -> None:
        """Read until at least one new event is buffered or the stream ends."""
        if self._eof:
            return
        self._open()
        self._idle_since = time.monotonic()
        while not self._eof:
            if self._step():
                return

    def _step(self) -> bool:
        """Read and decode one chunk; True when it produced events."""
        inflight = self._inflight
        if inflight.cancelled:
            self._call.cancelled = True
            self._release()
            return False
        it = self._iter
        assert it is not None
        bound = self._bound()
        if bound is not None:
            now = time.monotonic()
            if now >= bound:
                self._fail(self._timeout_error(now))
            self._watch(bound)
        chunk: bytes | None = None
        ended = False
        failure: Exception | None = None
        self._reader = threading.get_ident()
        try:
            chunk = next(it)
        except StopIteration:
            ended = True
        except httpx.HTTPError as exc:
            failure = exc
        except BaseException:
            # KeyboardInterrupt and the like: release, then propagate
            self._reader = None
            self._unwatch()
            self._call.cancelled = True
            self._release()
            raise
        self._reader = None
        if bound is not None:
            self._unwatch()
        now = time.monotonic()
        if inflight.cancelled and chunk is None:
            self._call.cancelled = True
            self._release()
            return False
        if self._timed_out and chunk is None:
            self._fail(self._timeout_error(now), failure)
        if failure is not None:
            mode = self._resumable(failure)
            if mode is None:
                self._fail(self._connection_error(failure, now), failure)
            self._resume(mode, failure)
            return False
        if ended:
            mode = self._resumable(None)
            if mode is not None:
                self._resume(mode, None)
                return False
            produced = self._end_decoder()
            if self._error is not None:
                self._fail(self._error)
            self._release()
            return produced
        assert chunk is not None
        produced, done = self._feed(chunk)
        if self._error is not None:
            self._fail(self._error)
        if done:  # [DONE]: nothing after it counts; drain the tail, keep the connection
            produced = self._end_decoder() or produced
            if self._error is not None:
                self._fail(self._error)
            self._release(drain=True)
        if produced:
            self._idle_since = now
        return produced

    def _resume(self, mode: str, failure: Exception | None) -> None:
        """Pick a cut body up: reconnect until a new body is open (or give up, raising)."""
        self._reader = threading.get_ident()  # a close() from another thread now cancels
        try:
            self._resume_loop(mode, failure)
        finally:
            self._reader = None

    def _resume_loop(self, mode: str, failure: Exception | None) -> None:
        reason = self._begin_resume(failure)
        self._iter = None
        if self._response is not None:
            _close_quietly(self._response)
        headers: httpx.Headers | None = None
        while True:
            attempt = self._resume_failures
            if attempt >= self._opts.max_resume_attempts:
                self._fail(self._gave_up(reason), failure)
            self._resume_failures += 1
            spec, extra, where = self._resume_request(mode)
            delay = self._resume_delay(mode, attempt, headers)
            request = self._response.request if self._response is not None else None
            log_resume(request, self._call.stream_id, attempt, f"{reason}; {where}")
            outcome = self._reconnect(spec, extra, delay)
            if outcome is None:  # cancelled: released
                return
            if isinstance(outcome, httpx.Response):
                self._resumed(outcome, mode)
                self._iter = outcome.iter_bytes()
                return
            error, reason, headers = self._resume_outcome(outcome)
            if error is not None:
                self._fail(error, outcome)

    def _reconnect(
        self, spec: RequestSpec, extra: dict[str, str] | None, delay: float
    ) -> httpx.Response | AssistantUIError | None:
        """Wait ``delay``, then send ``spec`` once: the response, the error, or None
        when the call was cancelled meanwhile (it is then released)."""
        from ._client import CallInterrupted

        inflight = self._inflight
        bound = self._bound()  # on time.monotonic(), like send_sync's deadline_at
        deadline_at = None
        if self._opts.deadline is not None:
            deadline_at = self._started_at + self._opts.deadline
        if delay > 0:
            wait = delay if bound is None else min(delay, max(bound - time.monotonic(), 0.0))
            inflight.event.wait(wait)
        response: httpx.Response | None = None
        error: AssistantUIError | None = None
        if not inflight.cancelled and (bound is None or time.monotonic() < bound):
            try:
                response = self._thread._client.send_sync(
                    spec,
                    self._opts,
                    extra_headers=extra,
                    interrupt=inflight.event,
                    deadline_at=bound if bound is not None else deadline_at,
                    max_retries=0,
                )
            except CallInterrupted:
                pass
            except AssistantUIError as exc:
                error = exc
            except BaseException:
                self._call.cancelled = True
                self._release()
                raise
        if response is not None:
            with inflight.lock:
                inflight.response = response
        if inflight.cancelled:
            self._call.cancelled = True
            if response is not None:
                _close_quietly(response)
            self._release()
            return None
        if response is not None:
            return response
        now = time.monotonic()
        if error is None or (isinstance(error, APITimeoutError) and bound is not None and now >= bound - 1e-3):
            self._fail(self._timeout_error(now), error)
        return error

    # -- the watchdog: exact idle / deadline bounds for blocking reads ---------------

    def _watch(self, bound: float) -> None:
        with self._inflight.lock:
            self._watch_bound = bound
            arm = self._timer_at is None or self._timer_at > bound
            if arm:
                self._timer_at = bound
        if arm:
            watchdog.call_at(bound, functools.partial(_on_timer, weakref.ref(self), bound))

    def _unwatch(self) -> None:
        with self._inflight.lock:
            self._watch_bound = None

    def _on_timer(self, at: float) -> None:
        """On the watchdog thread: the bound may have passed; if so, cut the read."""
        inflight = self._inflight
        with inflight.lock:
            if self._timer_at == at:
                self._timer_at = None
            bound = self._watch_bound
            if bound is None or inflight.released:
                return
            if time.monotonic() >= bound:
                self._timed_out = True
                _shutdown_socket(inflight.response)
                return
            rearm = self._timer_at is None or self._timer_at > bound
            if rearm:
                self._timer_at = bound
        if rearm:
            watchdog.call_at(bound, functools.partial(_on_timer, weakref.ref(self), bound))
