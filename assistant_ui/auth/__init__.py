"""Authentication helpers for ``AssistantClient(headers=...)`` (API.md §3).

>>> from assistant_ui import AssistantClient
>>> from assistant_ui.auth import bearer, api_key, basic, OAuth2ClientCredentials
>>> client = AssistantClient("https://api.example.com", headers=bearer("sk-..."))
>>> bearer("sk-...")
bearer(****)

Every helper works in sync and async mode: it offers ``sync_headers()`` and
``async_headers()`` (which the client prefers) and is callable (``helper()`` returns
the headers, like ``sync_headers()``). Secrets never appear in a ``repr``, a log line
or an exception message.

:class:`OAuth2ClientCredentials` fetches, caches and refreshes a token with the
OAuth 2.0 client-credentials grant. When a request gets a 401, the client calls the
helper's ``invalidate()`` and retries that request once with a fresh token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ._base import AuthBase
from ._base import SecretSource as SecretSource
from ._oauth2 import OAuth2ClientCredentials, OAuth2Error
from ._static import APIKeyAuth, BasicAuth, BearerAuth, api_key, basic, bearer

__all__ = [
    "APIKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "OAuth2ClientCredentials",
    "OAuth2Error",
    "api_key",
    "basic",
    "bearer",
]


def invalidate_auth(spec: Any, request: httpx.Request | None = None) -> bool:
    """For the client, on a 401: tell ``headers=`` its credentials were refused.

    Returns whether ``spec`` supports it (has an ``invalidate()`` method), in which
    case the request is worth retrying once.
    """
    if spec is None or isinstance(spec, Mapping):
        return False
    method = getattr(spec, "invalidate", None)
    if not callable(method):
        return False
    if isinstance(spec, AuthBase):  # ours take the refused request's headers
        method(request.headers if request is not None else None)
    else:
        method()
    return True

