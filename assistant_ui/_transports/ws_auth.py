"""The WebSocket chat's in-band ``auth`` message, from the client's auth helper.

With a ``ws://`` base URL, the helpers of :mod:`assistant_ui.auth` given as
``headers=`` are not sent as HTTP headers: their credentials go in the ``auth``
message sent right after ``connection_established`` (the server uses them for its
own tool calls). Plain ``headers=`` (a mapping or a callable) go on the handshake.
The secrets only ever reach the socket; nothing here logs or quotes them.
"""

from __future__ import annotations

import base64
from typing import Any

from .._wire.requests.bedrock_ws import auth_message
from ..auth import APIKeyAuth, BasicAuth, BearerAuth, OAuth2ClientCredentials
from ..auth._base import resolve_async as _resolve_async
from ..auth._base import resolve_sync as _resolve_sync
from .headers import HeadersSpec

__all__ = ["InBandAuth", "is_auth_helper"]

_HELPERS = (BearerAuth, APIKeyAuth, BasicAuth, OAuth2ClientCredentials)


def is_auth_helper(headers: HeadersSpec) -> bool:
    """Whether ``headers`` is one of the helpers that go in band."""
    return isinstance(headers, _HELPERS)


def _basic_fields(helper: BasicAuth) -> dict[str, Any]:
    value: str = helper._value
    raw = base64.b64decode(value.split(" ", 1)[1]).decode("utf-8")
    username, _, password = raw.partition(":")
    return {"username": username, "password": password}


def _oauth2_fields(helper: OAuth2ClientCredentials) -> dict[str, Any]:
    return {
        "client_id": helper.client_id,
        "client_secret": helper._client_secret,
        "token_url": helper.token_url,
        "scope": helper.scope,
    }


class InBandAuth:
    """Builds the ``auth`` message of one helper (None: nothing to send)."""

    __slots__ = ("helper",)

    def __init__(self, headers: HeadersSpec) -> None:
        self.helper = headers if is_auth_helper(headers) else None

    def __repr__(self) -> str:
        return f"InBandAuth({self.helper!r})"

    def sync(self) -> dict[str, Any] | None:
        helper = self.helper
        if isinstance(helper, BearerAuth):
            return auth_message("bearer_token", {"token": _resolve_sync(helper._source, "the bearer token")})
        if isinstance(helper, APIKeyAuth):
            key = _resolve_sync(helper._source, "the API key")
            return auth_message("api_key", {"api_key": key, "api_key_header": helper.header})
        return self._static()

    async def async_(self) -> dict[str, Any] | None:
        helper = self.helper
        if isinstance(helper, BearerAuth):
            token = await _resolve_async(helper._source, "the bearer token")
            return auth_message("bearer_token", {"token": token})
        if isinstance(helper, APIKeyAuth):
            key = await _resolve_async(helper._source, "the API key")
            return auth_message("api_key", {"api_key": key, "api_key_header": helper.header})
        return self._static()

    def _static(self) -> dict[str, Any] | None:
        helper = self.helper
        if isinstance(helper, BasicAuth):
            return auth_message("basic_auth", _basic_fields(helper))
        if isinstance(helper, OAuth2ClientCredentials):
            return auth_message("oauth2", _oauth2_fields(helper))
        return None
