"""``AssistantClient``: configuration, the httpx clients, and request sending with retries.

One client serves sync and async code alike. The sync side owns one
``httpx.Client``; the async side owns one ``httpx.AsyncClient`` per event loop, so
the same client object keeps working across separate ``asyncio.run(...)`` calls
(and under trio).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ._decoder import DEFAULT_MAX_EVENT_SIZE
from ._dialects import PROTOCOLS
from ._headers import HeadersSpec, resolve_headers_async, resolve_headers_sync
from ._requests import APIS, RequestSpec
from ._retry import RetryPolicy
from .errors import APIConnectionError, APITimeoutError, make_status_error

if TYPE_CHECKING:
    from ._thread import ThreadClient

__all__ = ["DEFAULT_TIMEOUT", "AssistantClient", "CallOptions"]

#: never "no timeout": 10 s to connect, 2 min between two body reads
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
_ERROR_BODY_LIMIT = 64 * 1024
_DEFAULT_CHAT_PATHS = {"assistant-ui": "/api/chat", "ai-sdk": "/api/chat", "openai": "/v1/chat/completions"}


@dataclass
class CallOptions:
    """Per-call knobs, resolved from the client defaults and the call's keywords."""

    protocol: str | None
    idle_timeout: float | None
    deadline: float | None
    max_event_size: int
    resume: bool
    max_resume_attempts: int


class AssistantClient:
    """A client for one chat backend.

    ``headers`` may be a mapping, a callable returning one, or an async callable
    returning one (called before every attempt, in sync and async mode alike).
    Extra keyword arguments (``transport=``, ``limits=``, ``verify=``, ``proxy=``,
    ...) go to the httpx clients; or pass your own ``http_client=`` /
    ``async_http_client=``.
    """

    def __init__(
        self,
        base_url: str,
        headers: HeadersSpec = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        *,
        api: str = "assistant-ui",
        model: str | None = None,
        chat_path: str | None = None,
        cancel_path: str | None = "/api/cancel",
        resume_path: str = "/api/chat/resume/{stream_id}",
        protocol: str | None = None,
        max_retries: int = 2,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool = True,
        max_resume_attempts: int = 3,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        **httpx_kwargs: Any,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if api not in APIS:
            raise ValueError(f"api must be one of {', '.join(APIS)}; got {api!r}")
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}; got {protocol!r}")
        if api == "openai" and not model:
            raise ValueError('api="openai" needs model=')
        if timeout is None:
            # the reference package passed None through; we keep a bound on connect and reads
            timeout = DEFAULT_TIMEOUT
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.model = model
        self.chat_path = chat_path or _DEFAULT_CHAT_PATHS[api]
        self.cancel_path = cancel_path if api == "assistant-ui" or cancel_path != "/api/cancel" else None
        self.resume_path = resume_path
        self.protocol = protocol
        self.retry = RetryPolicy(max_retries)
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.resume = resume
        self.max_resume_attempts = max_resume_attempts
        self.max_event_size = max_event_size
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._headers = headers
        self._httpx_kwargs = httpx_kwargs
        self._user_sync = http_client
        self._user_async = async_http_client
        self._sync: httpx.Client | None = None
        self._async: dict[int, tuple[Any, httpx.AsyncClient]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"AssistantClient(base_url={self.base_url!r}, api={self.api!r})"

    # -- threads --------------------------------------------------------------------

    def threads(self, thread_id: str) -> ThreadClient:
        """A :class:`ThreadClient` for one conversation thread."""
        from ._thread import ThreadClient

        return ThreadClient(self, thread_id)

    # -- httpx clients ------------------------------------------------------------------

    def _client_kwargs(self, kind: type[Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"base_url": self.base_url, "timeout": self.timeout}
        kwargs.update(self._httpx_kwargs)
        transport = kwargs.get("transport")
        if transport is not None and not isinstance(transport, kind):
            side = "sync" if kind is httpx.BaseTransport else "async"
            raise TypeError(
                f"the transport= given ({type(transport).__name__}) cannot serve {side} calls; "
                f"pass {'http_client' if side == 'sync' else 'async_http_client'}= for those"
            )
        return kwargs

    @property
    def sync_http(self) -> httpx.Client:
        if self._user_sync is not None:
            return self._user_sync
        with self._lock:
            if self._sync is None or self._sync.is_closed:
                self._sync = httpx.Client(**self._client_kwargs(httpx.BaseTransport))
            return self._sync

    @property
    def async_http(self) -> httpx.AsyncClient:
        if self._user_async is not None:
            return self._user_async
        import anyio.lowlevel

        token = anyio.lowlevel.current_token().native_token
        key = id(token)
        with self._lock:
            entry = self._async.get(key)
            if entry is None or entry[0] is not token or entry[1].is_closed:
                # a loop we have not seen (or an id reused by a new loop): clients
                # bound to finished loops cannot be closed from here and are dropped
                client = httpx.AsyncClient(**self._client_kwargs(httpx.AsyncBaseTransport))
                self._async[key] = (token, client)
                return client
            return entry[1]

    # -- closing ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the async HTTP client of the running event loop (and forget the others)."""
        with self._lock:
            entries = list(self._async.values())
            self._async.clear()
        import anyio.lowlevel

        current = anyio.lowlevel.current_token().native_token
        for token, client in entries:
            if token is current:
                await client.aclose()

    def close_sync(self) -> None:
        """Close the sync HTTP client."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def __aenter__(self) -> AssistantClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
        self.close_sync()

    def __enter__(self) -> AssistantClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_sync()
        with self._lock:
            self._async.clear()

    # -- per-call options ---------------------------------------------------------------------

    def call_options(
        self,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool | None = None,
    ) -> CallOptions:
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}; got {protocol!r}")
        return CallOptions(
            protocol=protocol or self.protocol,
            idle_timeout=idle_timeout if idle_timeout is not None else self.idle_timeout,
            deadline=deadline if deadline is not None else self.deadline,
            max_event_size=self.max_event_size,
            resume=self.resume if resume is None else resume,
            max_resume_attempts=self.max_resume_attempts,
        )

    def _request_timeout(self, opts: CallOptions | None) -> httpx.Timeout:
        """The httpx timeout for one request: reads never wait longer than the idle bound."""
        timeout = self.timeout
        if opts is None:
            return timeout
        bounds = [b for b in (opts.idle_timeout, opts.deadline, timeout.read) if b is not None]
        read = min(bounds) if bounds else None
        return httpx.Timeout(
            connect=timeout.connect, read=read, write=timeout.write, pool=timeout.pool
        )

    def _build(self, http: httpx.Client | httpx.AsyncClient, spec: RequestSpec, headers: Mapping[str, str], opts: CallOptions | None, extra_headers: Mapping[str, str] | None = None) -> httpx.Request:
        merged = dict(headers)
        merged.update(spec.headers)
        if extra_headers:
            merged.update(extra_headers)
        if spec.json is not None:
            merged.setdefault("Accept", "text/event-stream, text/plain, application/json")
        return http.build_request(
            spec.method,
            spec.path,
            json=spec.json,
            headers=merged,
            timeout=self._request_timeout(opts),
        )

    # -- sending (retries before the first body byte only) -----------------------------------

    def send_sync(
        self,
        spec: RequestSpec,
        opts: CallOptions | None = None,
        *,
        stream: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        before_send: Any = None,
    ) -> httpx.Response:
        http = self.sync_http
        attempt = 0
        while True:
            request = self._build(http, spec, resolve_headers_sync(self._headers), opts, extra_headers)
            if before_send is not None:
                before_send()
            try:
                response = http.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                if self.retry.should_retry_error(attempt):
                    time.sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                raise APITimeoutError(f"request timed out: {type(exc).__name__}", request=request) from exc
            except httpx.TransportError as exc:
                if self.retry.should_retry_error(attempt):
                    time.sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                raise APIConnectionError(f"connection failed: {exc}", request=request) from exc
            if response.is_success:
                return response
            retry = self.retry.should_retry_status(response.status_code, attempt)
            body = _read_error_body_sync(response)
            if retry:
                time.sleep(self.retry.delay(attempt, response.headers))
                attempt += 1
                continue
            raise make_status_error(response, body)

    async def send_async(
        self,
        spec: RequestSpec,
        opts: CallOptions | None = None,
        *,
        stream: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        before_send: Any = None,
    ) -> httpx.Response:
        import anyio

        http = self.async_http
        attempt = 0
        while True:
            headers = await resolve_headers_async(self._headers)
            request = self._build(http, spec, headers, opts, extra_headers)
            if before_send is not None:
                before_send()
            try:
                response = await http.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                if self.retry.should_retry_error(attempt):
                    await anyio.sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                raise APITimeoutError(f"request timed out: {type(exc).__name__}", request=request) from exc
            except httpx.TransportError as exc:
                if self.retry.should_retry_error(attempt):
                    await anyio.sleep(self.retry.delay(attempt))
                    attempt += 1
                    continue
                raise APIConnectionError(f"connection failed: {exc}", request=request) from exc
            if response.is_success:
                return response
            retry = self.retry.should_retry_status(response.status_code, attempt)
            body = await _read_error_body_async(response)
            if retry:
                await anyio.sleep(self.retry.delay(attempt, response.headers))
                attempt += 1
                continue
            raise make_status_error(response, body)


def _read_error_body_sync(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    finally:
        response.close()
    return b"".join(chunks)[:_ERROR_BODY_LIMIT].decode("utf-8", "replace")


async def _read_error_body_async(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
    return b"".join(chunks)[:_ERROR_BODY_LIMIT].decode("utf-8", "replace")
