"""ASGI types shared by the fake backend and the server, and :class:`AbortConnection`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["ASGIApp", "AbortConnection", "Message", "Receive", "Scope", "Send", "is_abort"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AbortConnection(Exception):
    """Raise it from an ASGI app, once the response has started, to cut the connection.

    Served by :func:`assistant_ui.testing.serve`, the connection is closed
    without the end of the body (no terminating chunk), as a network cut
    would: the client sees a truncated body. Nothing is logged for it.
    """


def is_abort(exc: BaseException | None) -> bool:
    """An :class:`AbortConnection`, alone or in an exception group (from a task group)."""
    if isinstance(exc, AbortConnection):
        return True
    inner: Any = getattr(exc, "exceptions", None)
    return bool(inner) and all(is_abort(e) for e in inner)
