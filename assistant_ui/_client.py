"""``AssistantClient``: configuration, the httpx clients, and request sending with retries.

One client serves sync and async code alike. The sync side owns one
``httpx.Client``; the async side owns one ``httpx.AsyncClient`` per event loop, so
the same client object keeps working across separate ``asyncio.run(...)`` calls
(and under trio).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ._call.retry import RetryPolicy
from ._log import (
    log_auth_refresh,
    log_failure,
    log_request,
    log_response,
    log_retry,
    redact_url,
)
from ._transports.headers import HeadersSpec, resolve_headers_async, resolve_headers_sync
from ._transports.loops import current_loop_token
from ._transports.redirects import RedirectGuard, merge_event_hooks
from ._wire.decoder import DEFAULT_MAX_EVENT_SIZE
from ._wire.dialects import PROTOCOLS
from ._wire.requests import APIS, REQUEST_DIALECTS, RequestSpec, format_path
from .auth import invalidate_auth
from .errors import (
    APIConnectionError,
    APITimeoutError,
    AssistantUIError,
    DecodeError,
    make_status_error,
)

if TYPE_CHECKING:
    from ._thread import ThreadClient

__all__ = ["DEFAULT_TIMEOUT", "AssistantClient", "CallInterrupted", "CallOptions", "describe_error"]

#: never "no timeout": 10 s to connect, 2 min between two body reads
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
_ERROR_BODY_LIMIT = 64 * 1024
_ACCEPT = "text/event-stream, text/plain, application/json"


class CallInterrupted(Exception):
    """Internal: the call was cancelled before its response arrived (sync side)."""


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

    def start_guard(self, owner: weakref.ReferenceType[AssistantClient]) -> None:
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
    owner: weakref.ReferenceType[AssistantClient], entry: _LoopClient
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


class CallOptions:
    """Per-call knobs, resolved from the client defaults and the call's keywords."""

    __slots__ = ("deadline", "idle_timeout", "max_event_size", "max_resume_attempts", "protocol", "resume")

    def __init__(
        self,
        *,
        protocol: str | None,
        idle_timeout: float | None,
        deadline: float | None,
        max_event_size: int,
        resume: bool,
        max_resume_attempts: int,
    ) -> None:
        self.protocol = protocol
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.max_event_size = max_event_size
        self.resume = resume
        self.max_resume_attempts = max_resume_attempts


class AssistantClient:
    """A client for one chat backend.

    ``headers`` may be a mapping, a callable returning one, or an async callable
    returning one (called before every attempt, in sync and async mode alike).
    Extra keyword arguments (``transport=``, ``limits=``, ``verify=``, ``proxy=``,
    ...) go to the httpx clients; or pass your own ``http_client=`` /
    ``async_http_client=``.

    A body cut by the network is picked up again (``resume=True``, up to
    ``max_resume_attempts`` reconnections in a row without progress) when the
    server allows it: ``x-resumable-stream-id`` (replayed from ``resume_path``,
    where ``{stream_id}`` is filled in percent-encoded) or SSE ``id:`` fields
    (the request is sent again with ``Last-Event-ID``).
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
            shown = redact_url(base_url) if isinstance(base_url, str) else base_url
            raise ValueError(f"base_url must be an http(s) URL, got {shown!r}")
        if api not in APIS:
            raise ValueError(f"api must be one of {', '.join(APIS)}; got {api!r}")
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}; got {protocol!r}")
        if api == "openai" and not model:
            raise ValueError('api="openai" needs model=')
        if isinstance(max_resume_attempts, bool) or not isinstance(max_resume_attempts, int) or max_resume_attempts < 0:
            raise ValueError(f"max_resume_attempts must be an int >= 0, got {max_resume_attempts!r}")
        if timeout is None:
            # the reference package passed None through; we keep a bound on connect and reads
            timeout = DEFAULT_TIMEOUT
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.model = model
        self.chat_path = chat_path or REQUEST_DIALECTS[api].default_chat_path
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
        self._async: dict[int, _LoopClient] = {}
        self._lock = threading.Lock()
        # the calls in flight per conversation thread, for ``thread.cancel()``: shared by
        # every ThreadClient of the same id; weak, so dropped streams stay collectable
        self._in_flight: dict[str, weakref.WeakSet[Any]] = {}
        # TEMP facade wiring for sessions: what the request dialect keeps per thread id
        self._sessions: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"AssistantClient(base_url={redact_url(self.base_url)!r}, api={self.api!r})"

    # -- threads --------------------------------------------------------------------

    def threads(self, thread_id: str) -> ThreadClient:
        """A :class:`ThreadClient` for one conversation thread."""
        from ._thread import ThreadClient

        return ThreadClient(self, thread_id)

    def _track(self, thread_id: str, handle: Any) -> None:
        with self._lock:
            handles = self._in_flight.get(thread_id)
            if handles is None:
                handles = self._in_flight[thread_id] = weakref.WeakSet()
            handles.add(handle)

    def _untrack(self, thread_id: str, handle: Any) -> None:
        with self._lock:
            handles = self._in_flight.get(thread_id)
            if handles is not None:
                handles.discard(handle)
                if not handles:
                    del self._in_flight[thread_id]

    def _tracked(self, thread_id: str) -> list[Any]:
        with self._lock:
            handles = self._in_flight.get(thread_id)
            return list(handles) if handles is not None else []

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
        # with follow_redirects=True, credential headers never reach another origin
        guard = RedirectGuard(self.base_url)
        kwargs["event_hooks"] = merge_event_hooks(
            kwargs.get("event_hooks"),
            guard.sync_hook if kind is httpx.BaseTransport else guard.async_hook,
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
        """The ``httpx.AsyncClient`` of the running event loop (one per loop, made on first use).

        It is closed when that loop ends (``asyncio.run`` / ``trio.run`` finalize the
        guard registered here) or by :meth:`close`.
        """
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
            entry = _LoopClient(native, httpx.AsyncClient(**self._client_kwargs(httpx.AsyncBaseTransport)))
            self._async[key] = entry
        for e in stale:
            e.abandon()
        entry.start_guard(weakref.ref(self))
        return entry.http

    def _forget_loop_client(self, entry: _LoopClient) -> None:
        with self._lock:
            if self._async.get(id(entry.native)) is entry:
                del self._async[id(entry.native)]

    # -- closing ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the async HTTP client of the running event loop.

        The clients of other event loops are closed when their loop ends.
        """
        try:
            native = current_loop_token()
        except RuntimeError:
            return
        with self._lock:
            entry = self._async.get(id(native))
        if entry is not None and entry.native is native:
            await entry.close()

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

    def _resume_spec(self, stream_id: str) -> RequestSpec:
        """The request that replays the resumable stream ``stream_id`` (``resume_path``)."""
        if not isinstance(stream_id, str) or not stream_id:
            raise ValueError("stream_id must be a non-empty str")
        # one percent-encoded path segment, whatever the id (``/``, ``?``, ``..``)
        path = format_path(self.resume_path, stream_id=stream_id)
        return RequestSpec("GET", path, headers={"Accept": _ACCEPT})

    def _request_timeout(
        self, opts: CallOptions | None, remaining: float | None = None
    ) -> httpx.Timeout:
        """The httpx timeout for one request attempt.

        Reads never wait longer than the idle bound or the deadline, and nothing
        waits longer than what is ``remaining`` of the deadline.
        """
        timeout = self.timeout
        if opts is None and remaining is None:
            return timeout

        def cap(value: float | None, *bounds: float | None) -> float | None:
            present = [b for b in (value, *bounds) if b is not None]
            return max(min(present), 0.0) if present else None

        idle = opts.idle_timeout if opts is not None else None
        deadline = opts.deadline if opts is not None else None
        return httpx.Timeout(
            connect=cap(timeout.connect, remaining),
            read=cap(timeout.read, idle, deadline, remaining),
            write=cap(timeout.write, remaining),
            pool=cap(timeout.pool, remaining),
        )

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        spec: RequestSpec,
        headers: Mapping[str, str],
        opts: CallOptions | None,
        extra_headers: Mapping[str, str] | None = None,
        remaining: float | None = None,
    ) -> httpx.Request:
        merged = dict(headers)
        merged.update(spec.headers)
        if extra_headers:
            merged.update(extra_headers)
        if spec.json is not None:
            merged.setdefault("Accept", _ACCEPT)
        return http.build_request(
            spec.method,
            spec.path,
            json=spec.json,
            headers=merged,
            timeout=self._request_timeout(opts, remaining),
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
        interrupt: threading.Event | None = None,
        deadline_at: float | None = None,
        max_retries: int | None = None,
    ) -> httpx.Response:
        """Send with retries. ``interrupt`` (set by a cancel) stops the retries and
        their back-off with :class:`CallInterrupted`; ``deadline_at``
        (``time.monotonic()``) bounds every attempt and the back-off between them;
        ``max_retries`` overrides the client's (0: one attempt).
        """
        http = self.sync_http
        policy = self.retry if max_retries is None else RetryPolicy(max_retries)
        attempt = 0
        auth_retried = False
        while True:
            if interrupt is not None and interrupt.is_set():
                raise CallInterrupted()
            remaining = _remaining(deadline_at, opts)
            headers = resolve_headers_sync(self._headers)
            request = self._build(http, spec, headers, opts, extra_headers, remaining)
            if before_send is not None:
                before_send()
            started = log_request(request, attempt, policy.max_retries)
            try:
                response = http.send(request, stream=stream)
            except httpx.TransportError as exc:
                reason = _failure_reason(exc)
                if self._back_off_sync(request, reason, attempt, None, interrupt, deadline_at, policy):
                    attempt += 1
                    continue
                log_failure(request, reason)
                raise _failure_error(exc, request, opts, deadline_at) from exc
            log_response(request, response, started)
            verdict = self._verdict(response, request, opts, policy, attempt, auth_retried)
            if verdict == "ok":
                return response
            body = _read_error_body_sync(response)
            if verdict == "auth":
                log_auth_refresh(request)
                auth_retried = True
                continue
            if verdict == "retry" and self._back_off_sync(
                request, f"HTTP {response.status_code}", attempt, response.headers,
                interrupt, deadline_at, policy,
            ):
                attempt += 1
                continue
            raise _status_failure(response, request, body, opts)

    def _back_off_sync(
        self,
        request: httpx.Request,
        reason: str,
        attempt: int,
        headers: httpx.Headers | None,
        interrupt: threading.Event | None,
        deadline_at: float | None,
        policy: RetryPolicy | None = None,
    ) -> bool:
        """Sleep before retry ``attempt + 1``; False when there is no retry to make."""
        policy = policy or self.retry
        if headers is None and not policy.should_retry_error(attempt):
            return False
        delay = policy.delay(attempt, headers) if headers is not None else policy.delay(attempt)
        if deadline_at is not None and time.monotonic() + delay >= deadline_at:
            return False  # the retry could not finish in time: report this failure
        log_retry(request, reason, attempt, policy.max_retries, delay)
        if interrupt is not None:
            if interrupt.wait(delay):
                raise CallInterrupted()
        else:
            time.sleep(delay)
        return True

    async def send_async(
        self,
        spec: RequestSpec,
        opts: CallOptions | None = None,
        *,
        stream: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        before_send: Any = None,
        interrupt: threading.Event | None = None,
        deadline_at: float | None = None,
        max_retries: int | None = None,
    ) -> httpx.Response:
        """:meth:`send_sync` for async code (same arguments; cancel the task to abort)."""
        http = self.async_http
        policy = self.retry if max_retries is None else RetryPolicy(max_retries)
        attempt = 0
        auth_retried = False
        while True:
            if interrupt is not None and interrupt.is_set():
                raise CallInterrupted()
            remaining = _remaining(deadline_at, opts)
            headers = await resolve_headers_async(self._headers)
            request = self._build(http, spec, headers, opts, extra_headers, remaining)
            if before_send is not None:
                before_send()
            started = log_request(request, attempt, policy.max_retries)
            try:
                response = await http.send(request, stream=stream)
            except httpx.TransportError as exc:
                reason = _failure_reason(exc)
                if await self._back_off_async(
                    request, reason, attempt, None, interrupt, deadline_at, policy
                ):
                    attempt += 1
                    continue
                log_failure(request, reason)
                raise _failure_error(exc, request, opts, deadline_at) from exc
            log_response(request, response, started)
            verdict = self._verdict(response, request, opts, policy, attempt, auth_retried)
            if verdict == "ok":
                return response
            body = await _read_error_body_async(response)
            if verdict == "auth":
                log_auth_refresh(request)
                auth_retried = True
                continue
            if verdict == "retry" and await self._back_off_async(
                request, f"HTTP {response.status_code}", attempt, response.headers,
                interrupt, deadline_at, policy,
            ):
                attempt += 1
                continue
            raise _status_failure(response, request, body, opts)

    def _verdict(
        self,
        response: httpx.Response,
        request: httpx.Request,
        opts: CallOptions | None,
        policy: RetryPolicy,
        attempt: int,
        auth_retried: bool,
    ) -> str:
        """What a response head means (pure): ``ok``, ``auth`` (refresh the credentials
        and send again), ``retry`` (a retryable status) or ``fail``."""
        if response.is_success:
            return "fail" if _is_html_page(response, opts) else "ok"
        if (
            response.status_code == 401
            and not auth_retried
            and invalidate_auth(self._headers, request)
        ):
            return "auth"
        if policy.should_retry_status(response.status_code, attempt):
            return "retry"
        return "fail"

    async def _back_off_async(
        self,
        request: httpx.Request,
        reason: str,
        attempt: int,
        headers: httpx.Headers | None,
        interrupt: threading.Event | None,
        deadline_at: float | None,
        policy: RetryPolicy | None = None,
    ) -> bool:
        """:meth:`_back_off_sync` for async code."""
        import anyio

        policy = policy or self.retry
        if headers is None and not policy.should_retry_error(attempt):
            return False
        delay = policy.delay(attempt, headers) if headers is not None else policy.delay(attempt)
        if deadline_at is not None and time.monotonic() + delay >= deadline_at:
            return False
        log_retry(request, reason, attempt, policy.max_retries, delay)
        await anyio.sleep(delay)
        if interrupt is not None and interrupt.is_set():
            raise CallInterrupted()
        return True


def describe_error(exc: BaseException) -> str:
    """The text of an exception, or of the first one in its chain that has some.

    Under asyncio, httpx's ``ReadError`` for a reset connection says nothing (its
    text is the empty text of anyio's ``BrokenResourceError``); the
    ``ConnectionResetError`` it came from does.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        text = str(current)
        if text:
            return text
        current = current.__cause__ or current.__context__
    return type(exc).__name__


def _remaining(deadline_at: float | None, opts: CallOptions | None) -> float | None:
    """Seconds left before the call's deadline (None: no deadline); raises when none is."""
    if deadline_at is None:
        return None
    remaining = deadline_at - time.monotonic()
    if remaining <= 0:
        raise APITimeoutError(_deadline_message(opts))
    return remaining


def _failure_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return type(exc).__name__
    return f"{type(exc).__name__}: {describe_error(exc)}"


def _failure_error(
    exc: httpx.TransportError,
    request: httpx.Request,
    opts: CallOptions | None,
    deadline_at: float | None,
) -> APIConnectionError:
    """The typed error for a request that failed before any response."""
    if isinstance(exc, httpx.TimeoutException):
        if deadline_at is not None and time.monotonic() >= deadline_at - 1e-3:
            return APITimeoutError(_deadline_message(opts), request=request)
        return APITimeoutError(f"request timed out: {type(exc).__name__}", request=request)
    return APIConnectionError(f"connection failed: {describe_error(exc)}", request=request)


def _status_failure(
    response: httpx.Response, request: httpx.Request, body: str, opts: CallOptions | None
) -> AssistantUIError:
    """The typed error for a response that is not the answer (logged)."""
    if response.is_success:  # a 2xx HTML page
        log_failure(request, "an HTML page")
        return _html_page_error(response, body)
    log_failure(request, f"HTTP {response.status_code}")
    return make_status_error(response, body)


def _deadline_message(opts: CallOptions | None) -> str:
    deadline = opts.deadline if opts is not None else None
    if deadline is None:
        return "the call exceeded its deadline"
    return f"the call exceeded its deadline of {deadline:g} s"


#: what an HTML page says it is: never a chat stream (a login page, a proxy's error
#: page, a web app's index.html served for an unknown path)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _is_html_page(response: httpx.Response, opts: CallOptions | None) -> bool:
    """A 2xx answer to a chat call that is an HTML page, and no ``protocol=`` forced."""
    if opts is None or opts.protocol is not None:
        return False
    mime = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return mime in _HTML_TYPES


def _html_page_error(response: httpx.Response, body: str) -> DecodeError:
    """The error for a 2xx HTML page: it is not decoded as the assistant's text."""
    from ._log import redact_text, secrets_from_headers

    raw = body[:_HTML_SCAN]
    text = " ".join(raw.split())
    if len(body) > len(raw) and " " in text:
        text = text.rsplit(" ", 1)[0]  # the cut may have split a word (a secret): drop it
    # redact past the excerpt, so that a secret at its end is not half-quoted
    page = redact_text(text[: _HTML_EXCERPT + 1024], secrets_from_headers(response.request.headers))
    if len(page) > _HTML_EXCERPT:
        page = page[:_HTML_EXCERPT] + "..."
    content_type = response.headers.get("content-type", "")
    return DecodeError(
        f"the backend answered HTTP {response.status_code} with an HTML page "
        f"(Content-Type: {content_type}), not a chat stream; check base_url and chat_path, "
        f"or pass protocol= to decode it anyway. The page begins: {page}"
    )


#: how much of an HTML page an error quotes (whitespace collapsed), and reads for it
_HTML_EXCERPT = 200
_HTML_SCAN = 8192


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
