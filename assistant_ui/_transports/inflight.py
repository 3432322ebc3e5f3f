"""``InFlight``: a handle on one running call, so that ``thread.cancel()`` aborts it.

Callable from any thread and any event loop, never blocking. An async call is
aborted by cancelling the cancel scope of its pending read or send (on its own
event loop); a sync call, blocked in a read, by the transport's ``abort`` (for
HTTP, shutting the socket down under the read).
"""

from __future__ import annotations

import threading
from typing import Any

from .loops import call_soon_threadsafe, in_loop

__all__ = ["InFlight"]


class InFlight:
    """The cancel handle of one call. It holds no reference to its stream (the
    thread's registry keeps handles, and an abandoned stream must stay collectable)."""

    __slots__ = (
        "__weakref__",
        "_event",
        "cancelled",
        "lock",
        "native_token",
        "released",
        "response",
        "scope",
        "transport",
    )

    def __init__(self) -> None:
        self.cancelled = False
        #: set on cancel (see :attr:`event`)
        self._event: threading.Event | None = None
        #: guards ``released`` against a concurrent abort
        self.lock = threading.Lock()
        #: the event loop of an async call (None for a sync call)
        self.native_token: object | None = None
        self.released = False
        #: the response being read, once its head arrived (sync calls; async ones whose
        #: reads have no scope, see ``AsyncChatStream._attach``)
        self.response: Any = None
        #: the transport, whose ``abort`` wakes a read blocked or awaited on ``response``
        #: (the transport itself, not a bound method made per call)
        self.transport: Any = None
        #: the cancel scope of the async read in progress, if any
        self.scope: Any = None

    @property
    def event(self) -> threading.Event:
        """Set on cancel (wakes a sync call's retry back-off); made on first use (an
        async call never needs one)."""
        with self.lock:
            event = self._event
            if event is None:
                event = self._event = threading.Event()
                if self.cancelled:
                    event.set()
            return event

    def is_cancelled(self) -> bool:
        return self.cancelled

    def cancel(self) -> None:
        """Abort the call; callable from any thread and any event loop, never blocks."""
        with self.lock:
            self.cancelled = True
            released = self.released
            native = self.native_token
            event = self._event
        if event is not None:
            event.set()
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
            if not self.released and self.transport is not None and self.response is not None:
                self.transport.abort(self.response)
