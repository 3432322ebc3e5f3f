"""Event-loop and thread plumbing shared by the client and the streams.

* :func:`current_loop_token` names the running event loop (the asyncio loop, or
  trio's ``TrioToken``) so work can be handed to it from any thread;
* :func:`call_soon_threadsafe` and :func:`spawn_detached` do that handing over,
  without ever blocking the caller;
* :data:`watchdog` is one lazily started daemon thread that runs callbacks at given
  monotonic times. The sync streams use it to enforce ``idle_timeout`` /
  ``deadline`` exactly (by shutting the socket down under a blocked read) and to
  run clean-ups that must not happen inside a garbage-collection callback.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = [
    "Watchdog",
    "call_soon_threadsafe",
    "current_loop_token",
    "in_loop",
    "loop_clock",
    "scope_factory",
    "spawn_detached",
    "watchdog",
]


def current_loop_token() -> object:
    """The native token of the event loop running in this thread.

    The asyncio event loop itself, or ``trio.lowlevel.current_trio_token()``.
    Raises ``RuntimeError`` when no event loop runs here.
    """
    import asyncio

    loop = asyncio._get_running_loop()
    if loop is not None and asyncio.current_task(loop) is not None:
        # inside an asyncio task, anyio's token is this loop: said without anyio's
        # backend look-up (~8 us, and each streamed call asks twice). Trio, in guest mode
        # on an asyncio loop too, runs its tasks outside any asyncio task
        return loop
    try:
        import anyio.lowlevel

        getter: Any = getattr(anyio.lowlevel, "current_token", None)  # anyio >= 4.11
        if getter is not None:
            return getter().native_token
    except Exception:  # no loop that anyio knows of; try the two we support directly
        pass
    if loop is not None:
        return loop
    try:
        import trio

        return trio.lowlevel.current_trio_token()
    except Exception as exc:  # ImportError, or not inside trio.run
        raise RuntimeError("no running event loop in this thread") from exc


def loop_clock(native: object) -> Callable[[], float]:
    """The clock of anyio's cancel-scope deadlines on the loop ``native`` (a
    :func:`current_loop_token`), called from inside that loop: an asyncio loop's own
    ``time`` (what ``anyio.current_time()`` reads there, without looking the backend
    up on every call), else ``anyio.current_time``."""
    import asyncio

    if getattr(type(native), "time", None) is asyncio.BaseEventLoop.time:
        # a stock asyncio loop (the token of a loop anyio runs asyncio on): its time()
        # is time.monotonic(), so that function itself, no bound method per call
        return time.monotonic
    import anyio

    now = anyio.current_time()
    own = getattr(native, "time", None)
    # checked once: under trio (guest mode on an asyncio loop too) the clocks differ
    if own is not None and callable(own) and abs(own() - now) < 1.0:
        clock: Callable[[], float] = own
        return clock
    return anyio.current_time


def scope_factory(native: object) -> Callable[..., Any]:
    """Makes ``anyio.CancelScope(deadline=..., shield=...)`` for the running backend,
    called from inside its loop ``native`` (a :func:`current_loop_token`): the
    backend's scope class itself when it can be made directly (``anyio.CancelScope()``
    looks the backend up on every call), else ``anyio.CancelScope``. Found once per
    type of loop token (the backend follows from it)."""
    kind = type(native)
    found = _SCOPES.get(kind)
    if found is None:
        found = _SCOPES[kind] = _find_scope_factory()
    return found


#: the scope factory of each type of loop token (a handful at most: asyncio's loops, trio's token)
_SCOPES: dict[type, Callable[..., Any]] = {}


def _find_scope_factory() -> Callable[..., Any]:
    import anyio

    made = type(anyio.CancelScope())
    try:
        if isinstance(made(deadline=math.inf), anyio.CancelScope):
            return made
    except Exception:
        pass
    return anyio.CancelScope


def in_loop(native: object) -> bool:
    """True when ``native`` (a :func:`current_loop_token`) is the loop of this thread."""
    try:
        return current_loop_token() is native
    except RuntimeError:
        return False


def call_soon_threadsafe(native: object, fn: Callable[[], object]) -> bool:
    """Schedule ``fn()`` on the loop ``native``, from any thread; never blocks.

    Returns False when the loop is gone (closed, or its run has finished).
    """
    try:
        schedule = getattr(native, "call_soon_threadsafe", None)  # asyncio
        if schedule is not None:
            schedule(fn)
            return True
        run_sync_soon = getattr(native, "run_sync_soon", None)  # trio
        if run_sync_soon is not None:
            run_sync_soon(fn)
            return True
    except Exception:  # RuntimeError: loop closed / trio.RunFinishedError
        return False
    return False


_BACKGROUND: set[Any] = set()


def spawn_detached(native: object, fn: Callable[..., Awaitable[None]], *args: Any) -> bool:
    """Run ``await fn(*args)`` as a background task of the loop ``native``; never blocks.

    ``fn`` must not raise (anything but cancellation is swallowed anyway).
    """

    async def guarded() -> None:
        try:
            await fn(*args)
        except Exception:
            pass

    def start() -> None:
        if hasattr(native, "create_task"):  # asyncio
            task = native.create_task(guarded())
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)
        else:  # trio
            import trio

            try:
                trio.lowlevel.spawn_system_task(guarded)
            except RuntimeError:  # the run is shutting down
                pass

    return call_soon_threadsafe(native, start)


class Watchdog:
    """Run callbacks at monotonic times on one daemon thread (started when needed)."""

    #: the thread exits after this long with nothing to do
    IDLE_EXIT = 30.0

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def call_at(self, when: float, fn: Callable[[], None]) -> None:
        """Call ``fn()`` on the watchdog thread at ``time.monotonic() >= when``."""
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), fn))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="assistant-ui-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is fn:
                self._cond.notify()

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Call ``fn()`` on the watchdog thread as soon as possible."""
        self.call_at(0.0, fn)

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if not self._heap:
                        self._cond.wait(self.IDLE_EXIT)
                        if not self._heap:
                            self._thread = None
                            return
                        continue
                    when = self._heap[0][0]
                    now = time.monotonic()
                    if when <= now:
                        fn = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(when - now)
            try:
                fn()
            except Exception:  # a callback's failure must not stop the others
                pass


watchdog = Watchdog()

if hasattr(os, "register_at_fork"):
    # the thread does not survive a fork; neither may a lock it held
    os.register_at_fork(after_in_child=watchdog._reset)
