"""``ChatStream``: the sync driver of a streamed call.

It performs the actions of :class:`~assistant_ui._call.stream_flow.StreamFlow` with
blocking I/O. What only the sync side has: a blocking read cannot be interrupted
by a cancel scope, so a cancel from another thread (:class:`InFlight`) or the
watchdog thread, when the idle bound or the deadline passes, aborts the read
through the transport (for HTTP: the socket is shut down under it). It needs no
extra thread per call, works inside a running event loop and after a fork.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from ._call.actions import (
    CANCELLED,
    END,
    Attach,
    CloseBody,
    Discard,
    Read,
    ReadFailed,
    Release,
    Send,
    SendOutcome,
    TimedOut,
    drive,
)
from ._call.decisions import FailureKind
from ._call.options import CallOptions
from ._call.result import ChatResult
from ._call.send_flow import CallInterrupted
from ._call.state import ChatCall
from ._call.stream_flow import StreamFlow
from ._stream_view import StreamView, TextStream
from ._transports.http import DRAIN_LIMIT, DRAIN_TIMEOUT, drive_send_sync
from ._transports.inflight import InFlight
from ._transports.loops import watchdog
from .errors import AssistantUIError
from .events import Event

if TYPE_CHECKING:
    from ._thread import ThreadClient

__all__ = ["ChatStream"]


def _on_timer(ref: weakref.ReferenceType[ChatStream], at: float) -> None:
    stream = ref()
    if stream is not None:
        stream._on_timer(at)


class ChatStream(StreamView):
    """A sync streamed chat call: ``with thread.stream_sync(...) as stream: ...``.

    Iterate it for the normalized events as they arrive, or :attr:`text_stream`
    for the text only; :meth:`final` reads the rest and returns the
    :class:`ChatResult`; :attr:`message` is the message so far, at any time.
    """

    __slots__ = (
        "_filler", "_iter", "_reader", "_thread", "_timed_out", "_timer_at", "_transport",
        "_watch_bound",
    )

    def __init__(self, thread: ThreadClient, spec: Any, opts: CallOptions, call: ChatCall) -> None:
        self._thread = thread
        self._inflight = inflight = InFlight()
        client = thread._client
        self._transport = client._sync_transport(opts)
        inflight.transport = self._transport
        self._flow = StreamFlow(
            client._env, spec, opts, call, clock=time.monotonic, cancel=inflight,
            on_result=thread._answer_hook(),
        )
        self._iter: Iterator[bytes] | None = None
        #: the flow of the reads (:meth:`StreamFlow.fill`), made at the first fill
        self._filler: Generator[Any, Any, None] | None = None
        #: the OS thread inside the flow, if any (a close() from another one cancels)
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
        ev = self._flow.call.next_pending()
        if ev is None:
            self._fill()
            ev = self._flow.call.next_pending()
            if ev is None:
                raise StopIteration
        return ev

    def __del__(self) -> None:
        # garbage collection releases the connection too. Not here: the collector
        # may have interrupted this thread inside the pool's lock.
        flow = self._abandoned()
        if flow is not None and flow.response is not None:
            watchdog.call_soon(functools.partial(self._transport.close, flow.response))

    @property
    def text_stream(self) -> Iterator[str]:
        """The text deltas only, from the same underlying iterator as the events."""
        return TextStream(self)

    def final(self) -> ChatResult:
        """Read to the end and return the :class:`ChatResult`."""
        self._flow.call.stop_collecting()
        while not self._flow.eof:
            self._fill()
        return self._flow.result()

    def close(self) -> None:
        """Stop reading and release the connection now.

        From another thread while a read is blocked, this aborts the read (the
        reading thread then releases the connection).
        """
        reader = self._reader
        action = self._flow.close_action(busy=reader is not None and reader != threading.get_ident())
        if action is CANCELLED:
            self._inflight.cancel()
        elif isinstance(action, Release):
            self._release(drain=action.drain)

    # -- driving the flow ---------------------------------------------------------------

    def _open(self) -> None:
        if self._flow.opened:
            return
        self._thread._register(self._inflight)
        self._run(self._flow.open())

    def _fill(self) -> None:
        if self._flow.eof:
            return
        self._open()
        filler = self._filler
        if filler is None:  # one flow for the whole call, resumed at each fill
            filler = self._filler = self._flow.fill()
        try:
            drive(filler, self._perform)
        except BaseException:
            self._filler = None
            filler.close()
            raise

    def _run(self, flow: Generator[Any, Any, Any]) -> None:
        try:
            drive(flow, self._perform)
        finally:
            flow.close()

    def _perform(self, action: Any) -> Any:
        # a class-level table: bound methods kept on the instance would make a
        # reference cycle, and an abandoned stream must be freed (and released) at once
        return _ACTIONS[type(action)](self, action)

    def _send(self, action: Send) -> SendOutcome:
        inflight = self._inflight
        bound = action.bound  # on time.monotonic(), like the send flow's deadline
        if action.delay > 0:
            wait = action.delay if bound is None else min(action.delay, max(bound - time.monotonic(), 0.0))
            inflight.event.wait(wait)
        if inflight.cancelled or (bound is not None and time.monotonic() >= bound):
            return SendOutcome()
        # the bound is on time.monotonic() here, the send flow's clock
        deadline_at = bound if bound is not None else action.deadline_at
        flow = self._flow.sender(action, inflight.event.is_set, deadline_at)
        self._reader = threading.get_ident()
        try:
            response = drive_send_sync(self._transport, flow, inflight.event)
        except CallInterrupted:
            return SendOutcome()
        except AssistantUIError as exc:
            return SendOutcome(error=exc)
        except BaseException:
            self._reader = None
            self._flow.call.cancelled = True
            self._release()
            raise
        finally:
            self._reader = None
        with inflight.lock:
            inflight.response = response
        return SendOutcome(response)

    def _attach(self, action: Attach) -> None:
        with self._inflight.lock:
            self._inflight.response = action.response
        self._iter = self._transport.body(action.response)

    def _read(self, action: Read) -> object:
        bound = action.bound
        if bound is not None:
            if time.monotonic() >= bound:
                return TimedOut()
            self._watch(bound)
        it = self._iter
        assert it is not None
        chunk: bytes | None = None
        failure: Exception | None = None
        kind: FailureKind | None = None
        self._reader = threading.get_ident()
        try:
            chunk = next(it)
        except StopIteration:
            pass
        except BaseException as exc:
            kind = self._transport.classify(exc)
            if kind is None or not isinstance(exc, Exception):
                # KeyboardInterrupt and the like: release, then propagate
                self._reader = None
                self._unwatch()
                self._flow.call.cancelled = True
                self._release()
                raise
            failure = exc
        self._reader = None
        if bound is not None:
            self._unwatch()
        if chunk is not None:
            return chunk
        if self._inflight.cancelled:
            return CANCELLED
        if self._timed_out:
            return TimedOut(failure)
        if failure is not None and kind is not None:
            return ReadFailed(failure, kind)
        return END

    def _close_body(self, action: CloseBody) -> None:
        self._iter = None
        if self._flow.response is not None:
            self._transport.close(self._flow.response)

    def _discard(self, action: Discard) -> None:
        self._transport.close(action.response)

    def _perform_release(self, action: Release) -> None:
        self._release(drain=action.drain)

    def _release(self, *, drain: bool = False) -> None:
        flow = self._flow
        if not flow.begin_release():
            return
        inflight = self._inflight
        try:
            if drain and self._iter is not None:
                self._drain(self._iter)
        finally:
            flow.released = True
            with inflight.lock:
                inflight.released = True
            self._iter = None
            if flow.response is not None:
                self._transport.close(flow.response)
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
                if inflight.response is not None:
                    self._transport.abort(inflight.response)
                return
            rearm = self._timer_at is None or self._timer_at > bound
            if rearm:
                self._timer_at = bound
        if rearm:
            watchdog.call_at(bound, functools.partial(_on_timer, weakref.ref(self), bound))


#: how the driver performs each action of the flow
_ACTIONS: dict[type, Callable[..., Any]] = {
    Send: ChatStream._send,
    Read: ChatStream._read,
    Attach: ChatStream._attach,
    CloseBody: ChatStream._close_body,
    Discard: ChatStream._discard,
    Release: ChatStream._perform_release,
}
