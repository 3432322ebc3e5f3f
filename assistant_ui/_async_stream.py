"""``AsyncChatStream``: the async driver of a streamed call (asyncio and trio).

It performs the actions of :class:`~assistant_ui._call.stream_flow.StreamFlow` in
async code. What only the async side has: each send and each read runs inside its
own anyio cancel scope whose deadline is the idle / call bound; ``thread.cancel()``
cancels that scope (from another task directly, from another OS thread on the
stream's event loop); connections are closed in shielded scopes, so a cancelled
task still hands its connection back.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from ._call.actions import (
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
    drive_async,
)
from ._call.decisions import FailureKind
from ._call.options import CallOptions
from ._call.result import ChatResult
from ._call.send_flow import CallInterrupted
from ._call.state import ChatCall
from ._call.stream_flow import StreamFlow
from ._stream_view import AsyncTextStream, StreamView
from ._transports.base import AsyncTransport
from ._transports.http import drive_send_async
from ._transports.inflight import InFlight
from ._transports.loops import current_loop_token, loop_clock, scope_factory, spawn_detached
from .errors import AssistantUIError
from .events import Event

if TYPE_CHECKING:
    from ._thread import ThreadClient

__all__ = ["YIELD_AFTER", "YIELD_EVERY", "AsyncChatStream"]

#: how often (in events handed out without waiting) a stream looks at the clock to see
#: whether it held the event loop for :data:`YIELD_AFTER` seconds: one read can bring
#: hundreds of events, and handing them all out in one go holds up the other streams'
#: reads and connection set-up (``bench/RESULTS.md``)
YIELD_EVERY = 16

#: the longest a stream hands out buffered events before it lets other tasks run once
#: (a yield per 16 events cost ~1 us per event on a CPU-bound stream; one per
#: millisecond costs ~1.5%). A read that took this long counts as a yield: other tasks
#: ran meanwhile (with 1,000 streams every read does, and a yield of the stream's own
#: would only add a loop step and a cancel scope per 16 events)
YIELD_AFTER = 0.001


def _now() -> float:
    import anyio

    return anyio.current_time()


async def _let_others_run() -> None:
    # a yield to the event loop, not a cancellation point: cancelling works as before
    import anyio.lowlevel

    await anyio.lowlevel.cancel_shielded_checkpoint()


def _cancel_scope(**kwargs: Any) -> Any:
    import anyio

    return anyio.CancelScope(**kwargs)


class AsyncChatStream(StreamView):
    """An async streamed chat call: ``async with thread.stream(...) as stream: ...``.

    Iterate it for the normalized events as they arrive, or :attr:`text_stream`
    for the text only; :meth:`final` reads the rest and returns the
    :class:`ChatResult`; :attr:`message` is the message so far, at any time.
    """

    __slots__ = (
        "_filler", "_handed", "_iter", "_reading", "_scope", "_thread", "_transport", "_unscoped",
        "_yielded_at",
    )

    def __init__(self, thread: ThreadClient, spec: Any, opts: CallOptions, call: ChatCall) -> None:
        self._thread = thread
        self._inflight = inflight = InFlight()
        self._flow = StreamFlow(
            thread._client._env, spec, opts, call, clock=_now, cancel=inflight,
            on_result=thread._answer_hook(),
        )
        self._transport: AsyncTransport | None = None
        self._iter: AsyncIterator[bytes] | None = None
        #: makes the cancel scope of each send and read (see ``_open``)
        self._scope: Callable[..., Any] = _cancel_scope
        #: inside the flow: an aclose() from another task then cancels, not races
        self._reading = False
        #: the flow of the reads (:meth:`StreamFlow.fill`), made at the first fill
        self._filler: Generator[Any, Any, None] | None = None
        #: what stands for a read's cancel scope when the body can be aborted
        #: (see ``_attach``); None: every read gets a real scope
        self._unscoped: _AbortOnCancel | None = None
        #: events handed out since the clock was last looked at
        self._handed = 0
        #: when the stream last let other tasks run (on the flow's clock)
        self._yielded_at = 0.0

    async def __aenter__(self) -> AsyncChatStream:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> Event:
        ev = self._flow.call.next_pending()
        if ev is None:
            await self._fill()
            ev = self._flow.call.next_pending()
            if ev is None:
                raise StopAsyncIteration
        handed = self._handed + 1
        if handed >= YIELD_EVERY:
            handed = 0
            clock = self._flow.clock
            if clock() - self._yielded_at >= YIELD_AFTER:
                await _let_others_run()
                self._yielded_at = clock()
        self._handed = handed
        return ev

    def __del__(self) -> None:
        # garbage collection releases the connection too: on the stream's own loop
        flow = self._abandoned()
        if flow is None:
            return
        native = self._inflight.native_token
        transport = self._transport
        if native is not None and transport is not None and (self._iter is not None or flow.response is not None):
            spawn_detached(native, _close_shielded, transport, self._iter, flow.response)

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The text deltas only, from the same underlying iterator as the events."""
        return AsyncTextStream(self)

    async def final(self) -> ChatResult:
        """Read to the end and return the :class:`ChatResult`."""
        self._flow.call.stop_collecting()
        while not self._flow.eof:
            await self._fill()
        return self._flow.result()

    async def aclose(self) -> None:
        """Stop reading and release the connection now."""
        action = self._flow.close_action(busy=self._reading)
        if action is CANCELLED:
            self._inflight.cancel()  # the task inside the flow releases
        elif isinstance(action, Release):
            await self._release(drain=action.drain)

    # -- driving the flow ---------------------------------------------------------------

    async def _open(self) -> None:
        if self._flow.opened:
            return
        inflight = self._inflight
        inflight.native_token = native = current_loop_token()
        # the same clock as _now's and the same scopes as anyio.CancelScope's, looked
        # up once (each chunk reads the clock and opens a scope)
        self._flow.clock = loop_clock(native)
        self._scope = scope_factory(native)
        client = self._thread._client
        self._transport = client._async_transport(self._flow.opts)
        self._thread._register(inflight)
        await self._run(self._flow.open())

    async def _fill(self) -> None:
        flow = self._flow
        if flow.eof:
            return
        if not flow.opened:
            await self._open()
        filler = self._filler
        if filler is None:  # one flow for the whole call, resumed at each fill
            filler = self._filler = flow.fill()
        self._reading = True
        try:
            # drive_async, with the hot action in line: a read without a bound over a
            # body that a cancel aborts is awaited right here (no coroutines per chunk)
            outcome: object = None
            clock = flow.clock
            while True:
                try:
                    action = filler.send(outcome)
                except StopIteration:
                    return
                if action is READY:
                    return
                started = clock()
                unscoped = self._unscoped
                if action is UNBOUNDED_READ and unscoped is not None:
                    inflight = self._inflight
                    inflight.scope = unscoped
                    try:
                        try:
                            outcome = await self._iter.__anext__()  # type: ignore[union-attr]
                        except StopAsyncIteration:
                            outcome = self._no_chunk(unscoped, None, ended=True)
                        except Exception as exc:
                            outcome = self._no_chunk(unscoped, exc, ended=False)
                        finally:
                            inflight.scope = None
                    except BaseException:
                        await self._abandon()
                        raise
                else:
                    outcome = await _ACTIONS[type(action)](self, action)
                now = clock()
                if now - started >= YIELD_AFTER:
                    # a read (or send) that took this long let the other tasks run: the
                    # stream has not held the loop since (no yield of its own is due)
                    self._yielded_at = now
        except BaseException:
            self._filler = None
            filler.close()
            raise
        finally:
            self._reading = False

    async def _run(self, flow: Generator[Any, Any, Any]) -> None:
        self._reading = True
        try:
            await drive_async(flow, self._perform)
        finally:
            self._reading = False
            flow.close()

    def _perform(self, action: Any) -> Awaitable[Any]:
        # a class-level table: bound methods kept on the instance would make a
        # reference cycle, and an abandoned stream must be freed (and released) at once;
        # the handler's own coroutine is returned for drive_async to await (no extra
        # coroutine per action)
        return _ACTIONS[type(action)](self, action)  # type: ignore[no-any-return]

    async def _send(self, action: Send) -> SendOutcome:
        import anyio

        inflight = self._inflight
        assert self._transport is not None
        response: Any = None
        error: Exception | None = None
        try:
            bound = action.bound if action.bound is not None else math.inf
            with self._scope(deadline=bound) as scope:
                if inflight.cancelled:
                    scope.cancel()
                inflight.scope = scope
                try:
                    if action.delay > 0:
                        await anyio.sleep(action.delay)
                    flow = self._flow.sender(action, inflight.is_cancelled, action.deadline_at)
                    response = await drive_send_async(self._transport, flow, inflight.is_cancelled)
                except CallInterrupted:
                    pass
                except AssistantUIError as exc:
                    error = exc
                finally:
                    inflight.scope = None
        except BaseException:
            self._flow.call.cancelled = True
            await self._release()
            raise
        return SendOutcome(response, error)

    async def _attach(self, action: Attach) -> None:
        transport = self._transport
        assert transport is not None
        response = action.response
        self._iter = transport.body(response)
        inflight = self._inflight
        if transport.abortable(response):
            # a cancel can end a read by shutting the socket down under it: reads
            # without a bound then need no cancel scope of their own (a scope costs
            # more than decoding a small chunk)
            with inflight.lock:
                inflight.transport = transport
                inflight.response = response
            self._unscoped = _AbortOnCancel(inflight)
        else:
            self._unscoped = None

    async def _read(self, action: Read) -> object:
        """A read with a bound, or over a body with nothing to abort: in a cancel scope
        (an unbounded read of a body that can be aborted is awaited in ``_fill``)."""
        inflight = self._inflight
        it = self._iter
        assert it is not None
        failure: Exception | None = None
        ended = False
        bound = action.bound
        scope = self._scope(deadline=bound if bound is not None else math.inf)
        try:
            with scope:
                inflight.scope = scope
                try:
                    return await it.__anext__()
                except StopAsyncIteration:
                    ended = True
                except Exception as exc:
                    failure = exc
                finally:
                    inflight.scope = None
            return self._no_chunk(scope, failure, ended=ended)
        except BaseException:
            await self._abandon()
            raise

    def _no_chunk(self, scope: Any, failure: Exception | None, *, ended: bool) -> object:
        """The outcome of a read that brought no chunk (``failure``: what it raised);
        an exception that is not the transport's propagates (the caller releases)."""
        inflight = self._inflight
        kind: FailureKind | None = None
        if failure is not None:
            assert self._transport is not None
            kind = self._transport.classify(failure)
            if kind is None:
                raise failure
        if scope.cancelled_caught and (not ended or scope is self._unscoped):
            return CANCELLED if inflight.cancelled else TimedOut()
        if failure is not None and kind is not None:
            return CANCELLED if inflight.cancelled else ReadFailed(failure, kind)
        return END

    async def _abandon(self) -> None:
        """A read was cancelled from outside (or a KeyboardInterrupt came): release."""
        self._flow.call.cancelled = True
        await self._release()

    async def _close_body(self, action: CloseBody) -> None:
        it, self._iter = self._iter, None
        await self._close(it, self._flow.response)

    async def _discard(self, action: Discard) -> None:
        await self._close(None, action.response)

    async def _perform_release(self, action: Release) -> None:
        await self._release(drain=action.drain)

    async def _release(self, *, drain: bool = False) -> None:
        flow = self._flow
        if not flow.begin_release():
            return
        flow.released = True
        inflight = self._inflight
        with inflight.lock:
            inflight.released = True
        it, self._iter = self._iter, None
        try:
            if it is not None or flow.response is not None:
                await self._close(it, flow.response, drain=drain)
        finally:
            self._thread._unregister(inflight)

    async def _close(self, it: AsyncIterator[bytes] | None, response: Any, *, drain: bool = False) -> None:
        if self._transport is not None:
            await _close_shielded(self._transport, it, response, drain=drain)


class _AbortOnCancel:
    """The stand-in for the cancel scope of a read that needs none: cancelling it
    aborts the body under the read (which then fails, and is seen as cancelled)."""

    __slots__ = ("cancelled_caught", "inflight")

    def __init__(self, inflight: InFlight) -> None:
        self.inflight = inflight
        #: a cancel came (named as a scope's flag: the read's outcome reads it)
        self.cancelled_caught = False

    def cancel(self) -> None:
        self.cancelled_caught = True
        self.inflight.shutdown()


#: how the driver performs each action of the flow
_ACTIONS: dict[type, Callable[..., Any]] = {
    Send: AsyncChatStream._send,
    Read: AsyncChatStream._read,
    Attach: AsyncChatStream._attach,
    CloseBody: AsyncChatStream._close_body,
    Discard: AsyncChatStream._discard,
    Release: AsyncChatStream._perform_release,
}


async def _close_shielded(
    transport: AsyncTransport, it: AsyncIterator[bytes] | None, response: Any, *, drain: bool = False
) -> None:
    import anyio

    with anyio.CancelScope(shield=True):
        await transport.close(it, response, drain=drain)
