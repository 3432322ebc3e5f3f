"""The connection pool of the async httpx clients this package makes.

Every stream holds its HTTP/1.1 connection for its whole length, so a burst of
streams meets httpcore's pool at its weakest (httpcore 1.0.x): each pass of
``_assign_requests_to_connections`` hands *every* queued request to the first idle
connection, and an idle connection already handed to a request that has not sent
yet is handed out again by the next pass. One request wins it; each of the others
fails with ``ConnectionNotAvailable`` a few loop turns later, is queued again and
runs after whichever connection is idle next. Under load the pool then hardly grows:
with 1,000 streams started at once and one warm connection, ~20-30 connections
served all 1,000 streams in turn (``bench/RESULTS.md``), whatever ``max_connections``
said, and each pass cost (queued requests x connections).

:func:`reserve_connections` gives a pool made by httpx its own pass, which differs
from httpcore's in this:

- an idle connection goes to one request only, within a pass and until that request
  has sent on it (the churn above is gone, and a pass costs requests + connections);
- a connection some request holds (connecting, in use, or handed to it) is not looked
  at: it is neither closed as expired nor as surplus keep-alive;
- a connection freed goes to a queued request before the keep-alive surplus is closed,
  and the surplus is counted over the idle connections (httpcore counts all of them);
- an idle connection is checked for expiry (keep-alive time over, or the server hung
  up: a ``poll`` of its socket) before it is handed out, and the idle ones nobody asks
  for at most every :data:`SWEEP_INTERVAL` seconds (httpcore polls every idle socket
  on every pass, i.e. on every request started or ended).

The pool is changed only when it is exactly httpcore's ``AsyncConnectionPool`` with the
attributes this relies on, unused, without HTTP/2 (an HTTP/2 connection takes several
requests) and without a proxy; otherwise it is left as it is.
"""

from __future__ import annotations

import functools
import operator
import time
from itertools import compress, filterfalse, repeat
from typing import Any

__all__ = ["SWEEP_INTERVAL", "reserve_connections"]

#: how often (seconds, at most) the idle connections nobody asks for are checked for
#: expiry; one about to be handed out is checked every time
SWEEP_INTERVAL = 0.5

#: what the pass reads on the pool
_POOL_ATTRS = ("_requests", "_connections", "_max_connections", "_max_keepalive_connections", "_http2", "_proxy")


_CONNECTION = operator.attrgetter("connection")


def _take(free: list[Any], origin: Any, closing: list[Any], drop: set[Any], checked: bool) -> Any:
    """The oldest connection of ``free`` to ``origin`` that has not expired (or None);
    expired ones met on the way are closed. ``checked``: all were checked this pass."""
    i = 0
    while i < len(free):
        connection = free[i]
        if not connection.can_handle_request(origin):
            i += 1
            continue
        del free[i]
        if checked or not connection.has_expired():
            return connection
        closing.append(connection)
        drop.add(connection)
    return None


def _assign(pool: Any) -> list[Any]:
    """httpcore's ``_assign_requests_to_connections`` with reservations (see the
    module doc). Returns the connections to close (the pool closes them after the pass).

    Connections are compared by identity (httpcore's define no ``__eq__``; checked in
    :func:`_pool_class`). A pass costs a set of the requests' connections (made in C);
    the connections are looked at only when a request waits, a sweep is due, or the
    idle ones are past the keep-alive bound (then only the oldest of those); the
    requests one by one only when one waits. The pass after a request left a pool
    where none waited costs nothing more (``_aui_settled``).
    """
    requests = pool._requests
    connections = pool._connections
    keep = pool._max_keepalive_connections
    now = time.monotonic()
    sweep = now >= getattr(pool, "_aui_sweep_at", 0.0)
    count = len(requests)
    if not sweep and count == getattr(pool, "_aui_settled", -2) - 1 and len(connections) - count <= keep:
        # a request left a pool where none waited (httpcore runs this pass after each
        # single change of its requests): the others each hold a connection, and the
        # idle ones are within the keep-alive bound. Nothing to do, and no look at the
        # requests: this pass runs twice per request
        pool._aui_settled = count
        return []
    # (loops in C)
    holders = list(map(_CONNECTION, requests))
    held = set(holders)
    queued = None in held
    held.discard(None)
    if sweep:
        pool._aui_sweep_at = now + SWEEP_INTERVAL
    elif not queued and len(connections) - len(held) <= keep:
        # nobody waits and the connections nobody holds are within the keep-alive
        # bound: nothing to do until the next sweep (a closed one is dropped then)
        pool._aui_settled = count
        return []
    closing: list[Any] = []
    drop: set[Any] = set()
    free: list[Any] = []  # idle and held by nobody: each can take one request
    # only trimming idle connections past the keep-alive bound (nobody waits, no sweep):
    # the oldest ``trim`` idle ones are all that is looked at, not every connection
    trim = None if queued or sweep else len(connections) - len(held) - keep
    if len(held) < len(connections):
        for connection in filterfalse(held.__contains__, connections):  # held by nobody
            if connection.is_closed():
                drop.add(connection)
                if trim is not None:
                    trim -= 1  # (one fewer idle connection to close)
            elif sweep and connection.has_expired():
                closing.append(connection)
                drop.add(connection)
            elif connection.is_available():
                free.append(connection)
            if trim is not None and len(free) >= trim:
                break
    if trim is not None:
        keep = 0  # the idle connections gathered are the ones past the bound

    created: list[Any] = []
    waiting = 0
    if queued:
        waiting = holders.count(None)
        budget = pool._max_connections - (len(connections) - len(drop))
        for request in compress(requests, map(operator.is_, holders, repeat(None))):  # the queued
            if not free and budget <= 0:
                break
            origin = request.request.url.origin
            connection = _take(free, origin, closing, drop, sweep)
            if connection is None:
                if budget > 0:
                    budget -= 1
                elif free:
                    # the pool is full: close an idle connection to another origin instead
                    closing.append(free.pop(0))
                    drop.add(closing[-1])
                else:
                    continue
                connection = pool.create_connection(origin)
                created.append(connection)
            request.assign_to_connection(connection)
            waiting -= 1

    # idle connections nobody took, past the keep-alive bound: closed, oldest first
    for connection in free[: max(len(free) - keep, 0)]:
        closing.append(connection)
        drop.add(connection)
    if drop:
        pool._connections = list(filterfalse(drop.__contains__, connections))
    if created:
        pool._connections.extend(created)
    # the requests after this pass, when none of them waits (else -1: no shortcut next time)
    pool._aui_settled = count if not waiting else -1
    return closing


@functools.cache
def _pool_class() -> type[Any] | None:
    """httpcore's ``AsyncConnectionPool`` with the reserving pass, or None when this
    httpcore does not look like the one the pass was written for."""
    try:
        import httpcore
        from httpcore._async.connection_pool import AsyncPoolRequest
    except ImportError:  # pragma: no cover - httpx always brings httpcore
        return None
    base = getattr(httpcore, "AsyncConnectionPool", None)
    if base is None or not callable(getattr(base, "_assign_requests_to_connections", None)):
        return None
    if not all(callable(getattr(AsyncPoolRequest, a, None)) for a in ("assign_to_connection", "is_queued")):
        return None
    try:
        from httpcore._async.connection import AsyncHTTPConnection
    except ImportError:  # pragma: no cover
        return None
    if AsyncHTTPConnection.__eq__ is not object.__eq__ or AsyncHTTPConnection.__hash__ is not object.__hash__:
        return None  # the pass keeps connections in sets: by identity

    class ReservingAsyncPool(base):  # type: ignore[misc, valid-type]
        """httpcore's async pool whose assignment pass reserves idle connections."""

        def _assign_requests_to_connections(self) -> list[Any]:
            return _assign(self)

    return ReservingAsyncPool


def reserve_connections(client: Any) -> bool:
    """Give the pool of ``client`` (an ``httpx.AsyncClient`` this package made) the
    reserving pass; True when it was changed (see the module doc for when it is not)."""
    cls = _pool_class()
    if cls is None:
        return False
    transport = getattr(client, "_transport", None)
    pool: Any = getattr(transport, "_pool", None)
    base: Any = cls.__mro__[1]
    if pool is None or type(pool) is not base:
        return False
    if not all(hasattr(pool, a) for a in _POOL_ATTRS) or pool._http2 or pool._proxy is not None:
        return False
    if pool._requests or pool._connections:  # only a pool nobody has used yet
        return False
    pool.__class__ = cls
    return True
