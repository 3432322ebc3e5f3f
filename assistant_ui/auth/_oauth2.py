"""OAuth 2.0 client-credentials grant (RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import json
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus

import httpx

from .._log import logger, redact_text, redact_url
from ..errors import APIConnectionError, APITimeoutError, AuthenticationError
from ._base import MASK, AuthBase, check_header_value, get_header

__all__ = ["OAuth2ClientCredentials", "OAuth2Error"]

_BODY_QUOTE_LIMIT = 200
_BODY_READ_LIMIT = 64 * 1024
#: a token response is small; more than this is not read (the fetch fails)
_MAX_RESPONSE = 1024 * 1024


# -- OAuth 2.0 client credentials ------------------------------------------------------------


class OAuth2Error(AuthenticationError):
    """The token endpoint refused to issue a token (or answered something unusable).

    A subclass of :class:`~assistant_ui.errors.AuthenticationError` whatever the
    token endpoint's status (``status_code``, ``response`` are the token endpoint's).
    ``error`` and ``error_description`` are the OAuth error fields (RFC 6749 §5.2)
    when the endpoint sent them. The message quotes at most 200 characters of the
    body, with credentials redacted.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        super().__init__(message, response=response, body=body)
        self.error = error
        self.error_description = error_description


class _Token:
    __slots__ = ("expires_at", "value")

    def __init__(self, value: str, expires_at: float | None) -> None:
        self.value = value
        self.expires_at = expires_at

    def __repr__(self) -> str:
        return f"_Token({MASK}, expires_at={self.expires_at!r})"


class OAuth2ClientCredentials(AuthBase):
    """OAuth 2.0 client-credentials grant (RFC 6749 §4.4), as ``headers=``.

    The first request fetches a token: a form POST to ``token_url`` with
    ``grant_type=client_credentials`` (and ``scope`` when given; a list of scopes is
    joined with spaces), the client authenticated with HTTP Basic (RFC 6749 §2.3.1:
    ``client_id`` and ``client_secret`` form-urlencoded, then base64). The token is
    sent as ``Authorization: Bearer <access_token>`` and cached until
    ``refresh_margin`` seconds before it expires (``expires_in``; the margin is
    capped at half the token's lifetime; a token without ``expires_in`` is kept until
    the backend refuses it). However many requests start at once, one fetch happens:
    the others wait for it (a thread lock in sync mode, an anyio lock per event loop in
    async mode).

    When a request gets a 401 the client calls :meth:`invalidate` and retries once
    with a fresh token.

    ``http_client`` / ``async_http_client`` send the token requests (e.g. to set a
    proxy or custom CA); by default a short-lived client is made for each fetch,
    with ``timeout`` seconds. Token requests are not retried: a failure raises
    :class:`~assistant_ui.errors.APIConnectionError` (or ``APITimeoutError``) or
    :class:`OAuth2Error`, and the next request tries again.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | Iterable[str] | None = None,
        *,
        refresh_margin: float = 30,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout = 30.0,
    ) -> None:
        if not isinstance(token_url, str) or not token_url.startswith(("http://", "https://")):
            raise ValueError("token_url must be an http(s) URL")
        if not isinstance(client_id, str) or not client_id:
            raise ValueError("client_id must be a non-empty str")
        if not isinstance(client_secret, str):
            raise TypeError("client_secret must be a str")
        if refresh_margin < 0:
            raise ValueError("refresh_margin must be >= 0")
        if scope is not None and not isinstance(scope, str):
            scope = " ".join(scope)
        self.token_url = token_url
        self.client_id = client_id
        self.scope: str | None = scope or None
        self.refresh_margin = float(refresh_margin)
        self.timeout = timeout
        self._client_secret = client_secret
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._auth_header = "Basic " + base64.b64encode(
            f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
        ).decode("ascii")
        self._token: _Token | None = None
        self._state_lock = threading.Lock()  # guards _token and _async_locks
        self._fetch_lock = threading.Lock()  # one sync fetch at a time
        self._async_locks: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        parts = [
            f"token_url={redact_url(self.token_url)!r}",
            f"client_id={self.client_id!r}",
            f"client_secret={MASK}",
        ]
        if self.scope is not None:
            parts.append(f"scope={self.scope!r}")
        return f"OAuth2ClientCredentials({', '.join(parts)})"

    # -- the cache --------------------------------------------------------------------------

    def _fresh(self) -> _Token | None:
        token = self._token
        if token is None:
            return None
        if token.expires_at is not None and time.monotonic() >= token.expires_at:
            return None
        return token

    def invalidate(self, headers: Mapping[str, str] | None = None) -> None:
        """Forget the cached token, so the next request fetches a new one.

        With ``headers`` (those of the request that was refused), only if that
        request carried the cached token: when many requests fail together, the
        token fetched after the first failure is kept.
        """
        with self._state_lock:
            token = self._token
            if token is None:
                return
            if headers is not None:
                sent = get_header(headers, "authorization")
                if sent is not None and sent != f"Bearer {token.value}":
                    return
            self._token = None

    @staticmethod
    def _headers_for(token: _Token) -> dict[str, str]:
        return {"Authorization": f"Bearer {token.value}"}

    # -- sync -------------------------------------------------------------------------------

    def sync_headers(self) -> dict[str, str]:
        token = self._fresh()
        if token is None:
            with self._fetch_lock:
                token = self._fresh()
                if token is None:
                    token = self._fetch_sync()
        return self._headers_for(token)

    def _fetch_sync(self) -> _Token:
        started = time.monotonic()
        logger.debug("fetching an OAuth2 token from %s", redact_url(self.token_url))
        try:
            if self._http_client is not None:
                response, content = self._post_sync(self._http_client)
            else:
                with httpx.Client(timeout=self.timeout) as http:
                    response, content = self._post_sync(http)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        return self._accept(response, content, started)

    def _post_sync(self, http: httpx.Client) -> tuple[httpx.Response, bytes]:
        content = bytearray()
        with http.stream("POST", self.token_url, **self._request_kwargs()) as response:
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > _MAX_RESPONSE:
                    break
        return response, bytes(content)

    # -- async ------------------------------------------------------------------------------

    async def async_headers(self) -> dict[str, str]:
        token = self._fresh()
        if token is None:
            async with self._async_lock():
                token = self._fresh()
                if token is None:
                    token = await self._fetch_async()
        return self._headers_for(token)

    def _async_lock(self) -> Any:
        """The anyio lock of the running event loop (a lock is bound to one loop)."""
        import anyio
        import anyio.lowlevel

        loop = anyio.lowlevel.current_token().native_token
        with self._state_lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = anyio.Lock()
                self._async_locks[loop] = lock
            return lock

    async def _fetch_async(self) -> _Token:
        started = time.monotonic()
        logger.debug("fetching an OAuth2 token from %s", redact_url(self.token_url))
        try:
            if self._async_http_client is not None:
                response, content = await self._post_async(self._async_http_client)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    response, content = await self._post_async(http)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        return self._accept(response, content, started)

    async def _post_async(self, http: httpx.AsyncClient) -> tuple[httpx.Response, bytes]:
        content = bytearray()
        async with http.stream("POST", self.token_url, **self._request_kwargs()) as response:
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > _MAX_RESPONSE:
                    break
        return response, bytes(content)

    # -- shared -----------------------------------------------------------------------------

    def _request_kwargs(self) -> dict[str, Any]:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        return {
            "data": data,
            "headers": {"Authorization": self._auth_header, "Accept": "application/json"},
            # the client's own auth= (if any) must not replace the client credentials
            "auth": None,
        }

    def _secrets(self) -> list[str]:
        encoded = self._auth_header.split(" ", 1)[1]
        return [self._client_secret, quote_plus(self._client_secret), encoded, self._auth_header]

    def _redact(self, text: str) -> str:
        return redact_text(text, self._secrets())

    def _transport_error(self, exc: httpx.HTTPError) -> APIConnectionError:
        url = redact_url(self.token_url)
        detail = self._redact(str(exc)) or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"the token request to {url} timed out: {type(exc).__name__}")
        return APIConnectionError(
            f"the token request to {url} failed: {type(exc).__name__}: {detail}"
        )

    def _accept(self, response: httpx.Response, content: bytes, started: float) -> _Token:
        """The token in a token response (RFC 6749 §5.1), or :class:`OAuth2Error`.

        Whatever the endpoint sent (a body too large, JSON nested past the
        interpreter's recursion limit, a token no header can carry, numbers out of
        range), the outcome is a token or an ``OAuth2Error``.
        """
        url = redact_url(self.token_url)
        if len(content) > _MAX_RESPONSE:
            raise OAuth2Error(
                f"the token endpoint {url} answered more than {_MAX_RESPONSE} bytes",
                response=response,
            )
        try:
            head = content[:_BODY_READ_LIMIT].decode(response.encoding or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            head = content[:_BODY_READ_LIMIT].decode("utf-8", "replace")
        text = self._redact(head)
        data: Any = None
        try:
            data = json.loads(content)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
            pass
        if not response.is_success:
            error = data.get("error") if isinstance(data, dict) else None
            description = data.get("error_description") if isinstance(data, dict) else None
            message = f"the token request to {url} failed: HTTP {response.status_code}"
            if response.reason_phrase:
                message += f" {response.reason_phrase}"
            if isinstance(error, str):
                message += f": {self._redact(error)}"
                if isinstance(description, str):
                    message += f" ({self._redact(description)})"
            elif text:
                message += f": {_quote(text)}"
            logger.debug("%s", message)
            raise OAuth2Error(
                message,
                response=response,
                body=text,
                error=self._redact(error) if isinstance(error, str) else None,
                error_description=self._redact(description)
                if isinstance(description, str)
                else None,
            )
        access_token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(access_token, str) or not access_token:
            raise OAuth2Error(
                f"the token endpoint {url} answered without an access_token: {_quote(text)}",
                response=response,
                body=text,
            )
        try:
            access_token = check_header_value(access_token, "the access token")
        except ValueError:
            raise OAuth2Error(
                f"the token endpoint {url} sent an access_token unusable in a header",
                response=response,
            ) from None
        expires_in = _number(data.get("expires_in"))
        expires_at = None
        if expires_in is not None:
            margin = min(self.refresh_margin, expires_in / 2)
            expires_at = started + expires_in - margin
        token = _Token(access_token, expires_at)
        with self._state_lock:
            self._token = token
        logger.debug(
            "got an OAuth2 token from %s (expires_in=%s)",
            url,
            "none" if expires_in is None else f"{expires_in:g}",
        )
        return token


def _quote(text: str) -> str:
    text = text.strip()
    if len(text) > _BODY_QUOTE_LIMIT:
        return text[:_BODY_QUOTE_LIMIT] + "..."
    return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int past the largest float: as good as forever
            return float("inf") if value > 0 else None
        return number if number >= 0 else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number >= 0 else None
    return None
