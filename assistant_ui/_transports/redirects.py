"""Credentials stay with the backend's origin, even across redirects.

httpx strips ``Authorization`` when it follows a redirect to another origin, but
nothing else: an ``X-API-Key``, a ``Cookie`` header set by hand or any custom
credential header would be sent to wherever the backend (or anyone able to make
it answer a 3xx) points. The client does not follow redirects unless told to
(``follow_redirects=True`` among the httpx keyword arguments); when it does, the
event hooks built here drop every credential header from a request whose origin
is not the backend's, the way httpx treats ``Authorization`` (an ``http`` to
``https`` upgrade on the same host keeps them). A credential header is one whose
name says so, by the same rule that redacts text
(:func:`assistant_ui._redaction.is_secret_name`: a name holding token, secret,
key, auth, password, cookie, credential or session: ``X-Session-Id`` and
``X-Password`` too), or one whose value is among the credentials recorded on the
request (:func:`assistant_ui._redaction.attach_secrets`: the values given with
``headers=``), whatever its name.

Wiring (in ``AssistantClient``, for the httpx clients it creates)::

    guard = RedirectGuard(base_url)
    httpx.Client(..., event_hooks=merge_event_hooks(user_hooks, guard.sync_hook))
    httpx.AsyncClient(..., event_hooks=merge_event_hooks(user_hooks, guard.async_hook))

httpx runs request hooks for every request it sends, the redirected ones included.
The guard runs last, so that a credential added by another hook is stripped too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

__all__ = ["RedirectGuard", "merge_event_hooks", "same_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: credentials of the proxy, not of the origin: httpx manages them per transport
_KEEP = frozenset({"proxy-authorization"})


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def same_origin(target: httpx.URL, origin: httpx.URL) -> bool:
    """Whether credentials meant for ``origin`` may go to ``target``.

    The same scheme, host and port; or the same host reached over https instead of
    http on the default ports (httpx's own rule for ``Authorization``).
    """
    if _origin(target) == _origin(origin):
        return True
    return (
        origin.scheme == "http"
        and _origin(origin)[2] == 80
        and target.scheme == "https"
        and _origin(target)[2] == 443
        and target.host == origin.host
    )


class RedirectGuard:
    """Request hooks that strip credential headers from requests to another origin."""

    __slots__ = ("origin",)

    def __init__(self, base_url: str | httpx.URL) -> None:
        self.origin = httpx.URL(base_url)

    def strip(self, request: httpx.Request) -> list[str]:
        """Drop the credential headers of ``request`` when it leaves the origin; their names."""
        if same_origin(request.url, self.origin):
            return []
        from .._redaction import SECRETS_EXTENSION, is_secret_name  # (first use: import time)

        recorded = set(request.extensions.get(SECRETS_EXTENSION) or ())
        names = [
            name
            for name, value in request.headers.items()
            if name.lower() not in _KEEP and (is_secret_name(name) or value in recorded)
        ]
        names = list(dict.fromkeys(name.lower() for name in names))
        for name in names:
            if name in request.headers:
                del request.headers[name]
        return names

    def sync_hook(self, request: httpx.Request) -> None:
        self.strip(request)

    async def async_hook(self, request: httpx.Request) -> None:
        self.strip(request)


def merge_event_hooks(
    hooks: Mapping[str, list[Callable[..., Any]]] | None, guard: Callable[..., Any]
) -> dict[str, list[Callable[..., Any]]]:
    """``hooks`` (httpx ``event_hooks``) with ``guard`` run after the other request hooks."""
    merged = {key: list(value) for key, value in (hooks or {}).items()}
    merged["request"] = [*merged.get("request", []), guard]
    return merged
