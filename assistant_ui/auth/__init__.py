"""Authentication helpers for ``AssistantClient(headers=...)`` (README.md).

>>> from assistant_ui import AssistantClient
>>> from assistant_ui.auth import bearer, api_key, basic, token_file, OAuth2ClientCredentials
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

:func:`token_file` reads the token from a JSON file (what
``q user export-token > tokens.json`` writes) and reads it again when the file
changes on disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ._base import AuthBase
from ._base import SecretSource as SecretSource
from ._oauth2 import OAuth2ClientCredentials, OAuth2Error
from ._static import APIKeyAuth, BasicAuth, BearerAuth, api_key, basic, bearer
from ._token_file import TokenFileAuth, TokenFileError, token_file

__all__ = [
    "APIKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "OAuth2ClientCredentials",
    "OAuth2Error",
    "TokenFileAuth",
    "TokenFileError",
    "api_key",
    "basic",
    "bearer",
    "token_file",
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

