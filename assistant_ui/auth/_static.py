"""Static credentials: ``bearer``, ``api_key`` and ``basic``."""

from __future__ import annotations

import base64
import re

from ._base import (
    HEADER_NAME,
    MASK,
    AuthBase,
    SecretSource,
    check_header_value,
    check_source,
    resolve_async,
    resolve_sync,
    source_repr,
)

__all__ = ["APIKeyAuth", "BasicAuth", "BearerAuth", "api_key", "basic", "bearer"]


# -- bearer -------------------------------------------------------------------------------


_BEARER_PREFIX = re.compile(r"(?i)^bearer\s+")


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>``. Build with :func:`bearer`."""

    __slots__ = ("_source",)

    def __init__(self, token: SecretSource) -> None:
        self._source = check_source(token, "the bearer token")

    def __repr__(self) -> str:
        return f"bearer({source_repr(self._source)})"

    @staticmethod
    def _header(token: str) -> dict[str, str]:
        token = _BEARER_PREFIX.sub("", token.strip())  # bearer("Bearer x") is bearer("x")
        return {"Authorization": f"Bearer {check_header_value(token, 'the bearer token')}"}

    def sync_headers(self) -> dict[str, str]:
        return self._header(resolve_sync(self._source, "the bearer token"))

    async def async_headers(self) -> dict[str, str]:
        return self._header(await resolve_async(self._source, "the bearer token"))


def bearer(token_or_callable: SecretSource) -> BearerAuth:
    """``Authorization: Bearer <token>``.

    The token is a str, or a sync or async callable returning one (called before
    every request attempt, so it may refresh the token itself).
    """
    return BearerAuth(token_or_callable)


# -- API key --------------------------------------------------------------------------------


class APIKeyAuth(AuthBase):
    """``<header>: <key>``. Build with :func:`api_key`."""

    __slots__ = ("_source", "header")

    def __init__(self, key: SecretSource, header: str = "X-API-Key") -> None:
        if not isinstance(header, str) or not HEADER_NAME.fullmatch(header):
            raise ValueError(f"not a valid header name: {header!r}")
        self._source = check_source(key, "the API key")
        self.header = header

    def __repr__(self) -> str:
        return f"api_key({source_repr(self._source)}, header={self.header!r})"

    def sync_headers(self) -> dict[str, str]:
        return {self.header: resolve_sync(self._source, "the API key")}

    async def async_headers(self) -> dict[str, str]:
        return {self.header: await resolve_async(self._source, "the API key")}


def api_key(key: SecretSource, header: str = "X-API-Key") -> APIKeyAuth:
    """The key in a header of its own (``X-API-Key`` unless ``header=`` says otherwise).

    ``key`` is a str, or a sync or async callable returning one.
    """
    return APIKeyAuth(key, header)


# -- basic ----------------------------------------------------------------------------------


class BasicAuth(AuthBase):
    """``Authorization: Basic base64(user:password)`` (UTF-8). Build with :func:`basic`."""

    __slots__ = ("_value", "user")

    def __init__(self, user: str, password: str) -> None:
        if not isinstance(user, str) or not isinstance(password, str):
            raise TypeError("user and password must be str")
        if ":" in user:
            raise ValueError("a Basic auth user name cannot contain ':'")
        self.user = user
        raw = f"{user}:{password}".encode()
        self._value = "Basic " + base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:
        return f"basic({self.user!r}, {MASK})"

    def sync_headers(self) -> dict[str, str]:
        return {"Authorization": self._value}

    async def async_headers(self) -> dict[str, str]:
        return {"Authorization": self._value}


def basic(user: str, password: str) -> BasicAuth:
    """HTTP Basic authentication."""
    return BasicAuth(user, password)

