"""The httpx clients of one ``AssistantClient``: one sync client, one async client per
event loop.

The same ``AssistantClient`` keeps working across separate ``asyncio.run(...)``
calls and under trio: each event loop gets its own ``httpx.AsyncClient``, closed
when that loop ends (a guard registered in the loop closes it) or by ``close()``.

Notices (``thread.cancel()``'s) may come from another thread while the client is
being closed (``threading.Timer(2.0, thread.cancel_sync)`` inside ``with
AssistantClient(...)``): a notice sent on the shared sync client holds it open,
and ``close_sync()`` waits for such notices (each is bounded by its own short
deadline) before it closes the client; a notice that comes when no shared client
is open goes out on a short-lived client of the same settings.

The clients made here hold up to :data:`DEFAULT_LIMITS` connections (a stream holds
its connection for its whole length; httpx's own default, 100 connections, would
queue the 101st stream until another ends) unless ``limits=`` (or ``transport=``) is
given, and the async ones assign their connections with :mod:`.pool`.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from .loops import current_loop_token
from .pool import reserve_connections

__all__ = ["DEFAULT_LIMITS", "HTTPClients"]

#: the connection limits of the httpx clients made here (``limits=`` overrides them):
#: as many connections as openai-python's clients (one per concurrent stream)
DEFAULT_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100, keepalive_expiry=5.0)


def _with_default_limits(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with :data:`DEFAULT_LIMITS` unless limits (or a transport, which
    brings its own) are given."""
    if "limits" in kwargs or "transport" in kwargs:
        return kwargs
    return {**kwargs, "limits": DEFAULT_LIMITS}


def _make_async(kwargs: dict[str, Any]) -> httpx.AsyncClient:
    http = httpx.AsyncClient(**_with_default_limits(kwargs))
    if "transport" not in kwargs:  # a transport given is the user's: left as it is
        reserve_connections(http)
    return http


class _LoopClient:
    """The ``httpx.AsyncClient`` of one event loop, and the guard that closes it.

    The guard is an async generator advanced once inside the loop: the loop then
    finalizes it when it ends (``asyncio.run`` calls ``shutdown_asyncgens``;
    ``trio.run`` closes the async generators still alive), and its ``finally``
    closes the client while the loop can still run the close.
    """

    __slots__ = ("abandoned", "guard", "http", "native")

    def __init__(self, native: object, http: httpx.AsyncClient) -> None:
        self.native = native
        self.http = http
        self.guard: Any = None
        self.abandoned = False

    def start_guard(self, owner: weakref.ReferenceType[HTTPClients]) -> None:
        guard: Any = _loop_guard(owner, self)
        try:
            guard.asend(None).send(None)
        except StopIteration:
            pass
        self.guard = guard

    async def close(self) -> None:
        guard = self.guard
        if guard is not None:
            await guard.aclose()
        else:
            await self.http.aclose()

    def abandon(self) -> None:
        """The loop is gone without finalizing the guard: end it without awaiting."""
        self.abandoned = True
        guard, self.guard = self.guard, None
        if guard is not None:
            try:
                guard.aclose().send(None)
            except (StopIteration, RuntimeError):
                pass


async def _loop_guard(
    owner: weakref.ReferenceType[HTTPClients], entry: _LoopClient
) -> AsyncIterator[None]:
    try:
        yield
    finally:
        client = owner()
        if client is not None:
            client._forget_loop_client(entry)
        if not entry.abandoned:
            try:
                await entry.http.aclose()
            except Exception:
                pass


def _loop_closed(native: object) -> bool:
    is_closed = getattr(native, "is_closed", None)  # asyncio loops; trio runs finalize the guard
    return bool(is_closed()) if callable(is_closed) else False


class HTTPClients:
    """Makes, hands out and closes the httpx clients (see the module doc)."""

    def __init__(
        self,
        make_kwargs: Callable[[type[Any]], dict[str, Any]],
        user_sync: httpx.Client | None,
        user_async: httpx.AsyncClient | None,
    ) -> None:
        self._make_kwargs = make_kwargs
        self._user_sync = user_sync
        self._user_async = user_async
        self._sync: httpx.Client | None = None
        self._async: dict[int, _LoopClient] = {}
        self._lock = threading.Lock()
        #: signalled when a notice on the shared sync client ends
        self._idle = threading.Condition(self._lock)
        #: notices in flight on the shared sync client
        self._notices = 0

    @property
    def sync(self) -> httpx.Client:
        if self._user_sync is not None:
            return self._user_sync
        with self._lock:
            if self._sync is None or self._sync.is_closed:
                self._sync = httpx.Client(**_with_default_limits(self._make_kwargs(httpx.BaseTransport)))
            return self._sync

    @property
    def async_(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` of the running event loop (one per loop, made on first use)."""
        if self._user_async is not None:
            return self._user_async
        native = current_loop_token()
        key = id(native)
        with self._lock:
            entry = self._async.get(key)
            if entry is not None and entry.native is native and not entry.http.is_closed:
                return entry.http
            stale = [e for e in self._async.values() if e is not entry and _loop_closed(e.native)]
            for e in stale:
                del self._async[id(e.native)]
            entry = _LoopClient(native, _make_async(self._make_kwargs(httpx.AsyncBaseTransport)))
            self._async[key] = entry
        for e in stale:
            e.abandon()
        entry.start_guard(weakref.ref(self))
        return entry.http

    def _forget_loop_client(self, entry: _LoopClient) -> None:
        with self._lock:
            if self._async.get(id(entry.native)) is entry:
                del self._async[id(entry.native)]

    async def close_async(self) -> None:
        """Close the async client of the running event loop (others close with their loop)."""
        try:
            native = current_loop_token()
        except RuntimeError:
            return
        with self._lock:
            entry = self._async.get(id(native))
        if entry is not None and entry.native is native:
            await entry.close()

    def close_sync(self, *, wait: float = 0.0) -> None:
        """Close the sync client, after the notices in flight on it end (at most ``wait`` s)."""
        with self._idle:
            if wait > 0:
                self._idle.wait_for(lambda: self._notices == 0, timeout=wait)
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    @contextlib.contextmanager
    def notice_sync(self) -> Iterator[httpx.Client]:
        """The client a sync notice goes out on (see the module doc)."""
        if self._user_sync is not None:
            yield self._user_sync
            return
        with self._lock:
            shared = self._sync if self._sync is not None and not self._sync.is_closed else None
            if shared is not None:
                self._notices += 1
        if shared is not None:
            try:
                yield shared
            finally:
                with self._idle:
                    self._notices -= 1
                    self._idle.notify_all()
            return
        kwargs = self._make_kwargs(httpx.BaseTransport)
        own = httpx.Client(**_with_default_limits(kwargs))
        try:
            yield own
        finally:
            if "transport" not in kwargs:  # a transport= given is the user's: not closed here
                own.close()
