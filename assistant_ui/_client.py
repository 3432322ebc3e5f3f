"""``AssistantClient``: the configuration of one backend, its transports, its threads.

The calls themselves are run by the stream drivers (``_sync_stream``,
``_async_stream``) over the pure call core (``_call``); this module holds what
they share per client: settings, the httpx clients, the retry policy, the
registry of calls in flight per thread id (for ``thread.cancel()``).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

import httpx

from ._base_url import SOCKET_API, handshake_origin, socket_api, socket_pool, split_query
from ._call.retry import RetryPolicy
from ._wire.limits import DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_RESPONSE_SIZE, check_max_response_size
from ._wire.names import APIS, DEFAULT_CHAT_PATHS, PROTOCOLS

# What only a call needs (the httpx clients, the request and decoder dialects, the
# call flows, the transports, the auth helpers, the WebSocket modules) is imported on
# first use: making a client checks its settings against the name tables of
# ``_wire/names.py`` and loads nothing else, so that ``from assistant_ui import
# AssistantClient`` costs little more than httpx (tests/test_import_weight.py).
if TYPE_CHECKING:
    from ._call.options import CallOptions
    from ._thread import ThreadClient
    from ._transports.base import AsyncTransport, SyncTransport
    from ._transports.headers import HeadersSpec
    from ._transports.http_clients import HTTPClients
    from ._transports.websocket import WSConnections
    from ._wire.requests import RequestSpec

__all__ = ["DEFAULT_TIMEOUT", "AssistantClient"]

#: never "no timeout": 10 s to connect, 2 min between two body reads
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class AssistantClient:
    """A client for one chat backend; hands out :class:`ThreadClient` objects.

    One client serves sync and async code alike (asyncio and trio). Use it as a
    context manager, or call :meth:`close` / :meth:`close_sync` when done.

    Args:
        base_url: the backend's ``http://`` or ``https://`` URL; a ``ws://`` or
            ``wss://`` URL chats over a WebSocket per thread (``api="bedrock-ws"``,
            the ``ws`` extra; README.md, "WebSocket chat"). A query string
            (``?api_key=...``) is sent with every request; user info is redacted
            from every repr, log line and error.
        headers: sent with every request: a mapping, a callable returning one, or
            an async callable returning one (called before every attempt, in sync
            and async calls alike), or a helper of :mod:`assistant_ui.auth`.
        timeout: seconds (or an ``httpx.Timeout``) for connecting and between two
            body reads. ``None`` means the default (10 s to connect, 120 s between
            reads), never "no limit".
        api: the backend's request dialect: ``"assistant-ui"`` (default),
            ``"ai-sdk"``, ``"openai"``, and the others of
            ``assistant_ui._wire.names.APIS``.
        model: the model name (``api="openai"`` needs one).
        chat_path: where chats are POSTed (default: the dialect's, ``/api/chat``
            or ``/v1/chat/completions``).
        cancel_path: where ``thread.cancel()`` tells the server (``/api/cancel``
            for assistant-ui; None: never).
        resume_path: where a resumable stream is replayed (``{stream_id}`` is filled
            in, percent-encoded).
        protocol: force the answer's wire format instead of detecting it.
        max_retries: retries of a failed request before its first body byte
            (connection errors, 408/409/429/5xx; ``Retry-After`` honoured).
        idle_timeout: seconds without a decoded event before ``APITimeoutError``
            (heartbeats do not count); None: only ``timeout`` applies.
        deadline: seconds a whole call may take; None: no limit.
        resume: pick up a body cut by the network when the server allows it
            (``x-resumable-stream-id``, or SSE ids with ``Last-Event-ID``).
        max_resume_attempts: reconnections in a row without progress before giving up.
        max_event_size: the largest event (line, SSE event, frame, WebSocket message)
            accepted, in bytes.
        max_response_size: the most bytes one response may decode to, after its
            Content-Encoding (64 MiB by default): past it the call ends with
            ``DecodeError`` carrying the partial result (a gzip bomb stops there).
        http_client, async_http_client: your own httpx clients, used as they are.
        **httpx_kwargs: anything else (``transport=``, ``limits=``, ``verify=``,
            ``proxy=``, ``follow_redirects=``...) goes to the httpx clients this
            client makes. Credentials never follow a redirect to another origin.

    Every per-call option (``idle_timeout``, ``deadline``, ``resume``,
    ``protocol``, ``max_response_size``) can be overridden on each call.
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
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        **httpx_kwargs: Any,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://", "ws://", "wss://")):
            from ._log import redact_url  # (loaded on first use: import time)

            shown = redact_url(base_url) if isinstance(base_url, str) else base_url
            raise ValueError(f"base_url must be an http(s) or ws(s) URL, got {shown!r}")
        api = socket_api(base_url, api)
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
        base_url, params = split_query(base_url)
        if params:
            # the query string of base_url goes on every request, after the path
            httpx_kwargs = {**httpx_kwargs, "params": {**params, **dict(httpx_kwargs.get("params") or {})}}
        self.base_url = base_url.rstrip("/")
        self.api = api
        self.model = model
        self.chat_path = chat_path or DEFAULT_CHAT_PATHS[api]
        self.cancel_path = cancel_path if api == "assistant-ui" or cancel_path != "/api/cancel" else None
        self.resume_path = resume_path
        self.protocol = protocol
        self.retry = RetryPolicy(max_retries)
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.resume = resume
        self.max_resume_attempts = max_resume_attempts
        self.max_event_size = max_event_size
        self.max_response_size = check_max_response_size(max_response_size)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._headers = headers
        self._httpx_kwargs = httpx_kwargs
        self._user_http = (http_client, async_http_client)
        #: the httpx clients (``_http``), made on first use
        self._http_clients: HTTPClients | None = None
        #: the WebSocket connections per thread (``ws://`` / ``wss://`` base URLs only)
        self._ws = socket_pool(self.base_url, headers, self.timeout, max_event_size) if api == SOCKET_API else None
        self._lock = threading.Lock()
        #: the options of the last call and what they were made from (see _call_options)
        self._last_options: tuple[tuple[Any, ...], CallOptions] | None = None
        self._env = _ClientEnv(self)
        #: what each thread id's request dialect keeps between calls (``RequestDialect.update_session``)
        self._sessions: dict[str, dict[str, Any]] = {}
        #: how many times each thread id was cancelled (a tool-run loop stops when it changes)
        self._cancels_by_thread: dict[str, int] = {}
        # the calls in flight per conversation thread, for ``thread.cancel()``: shared by
        # every ThreadClient of the same id; weak, so dropped streams stay collectable
        self._in_flight: dict[str, weakref.WeakSet[Any]] = {}

    def __repr__(self) -> str:
        from ._log import redact_url

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

    # -- httpx clients and transports ----------------------------------------------------

    @property
    def _http(self) -> HTTPClients:
        """The httpx clients of this client (made on first use)."""
        http = self._http_clients
        if http is None:
            from ._transports.http_clients import HTTPClients

            with self._lock:
                http = self._http_clients
                if http is None:
                    http = self._http_clients = HTTPClients(self._client_kwargs, *self._user_http)
        return http

    def _client_kwargs(self, kind: type[Any]) -> dict[str, Any]:
        # a ws:// client's handshakes are http:// requests to the same origin
        origin = handshake_origin(self.base_url)
        kwargs: dict[str, Any] = {"base_url": origin, "timeout": self.timeout}
        kwargs.update(self._httpx_kwargs)
        transport = kwargs.get("transport")
        if transport is not None and not isinstance(transport, kind):
            side = "sync" if kind is httpx.BaseTransport else "async"
            raise TypeError(
                f"the transport= given ({type(transport).__name__}) cannot serve {side} calls; "
                f"pass {'http_client' if side == 'sync' else 'async_http_client'}= for those"
            )
        # with follow_redirects=True, credential headers never reach another origin
        from ._transports.redirects import RedirectGuard, merge_event_hooks

        guard = RedirectGuard(origin)
        kwargs["event_hooks"] = merge_event_hooks(
            kwargs.get("event_hooks"),
            guard.sync_hook if kind is httpx.BaseTransport else guard.async_hook,
        )
        return kwargs

    @property
    def sync_http(self) -> httpx.Client:
        """The ``httpx.Client`` of sync calls."""
        return self._http.sync

    @property
    def async_http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` of the running event loop (one per loop, made on first use).

        It is closed when that loop ends (``asyncio.run`` / ``trio.run`` finalize the
        guard registered here) or by :meth:`close`.
        """
        return self._http.async_

    def _sync_transport(self, opts: CallOptions | None) -> SyncTransport:
        from ._transports.http import SyncHTTPTransport

        if self._ws is not None:
            from ._transports.websocket import SyncWSTransport

            return SyncWSTransport(self._ws, self.sync_http, opts)
        return SyncHTTPTransport(self.sync_http, self._headers, self.timeout, opts)

    def _async_transport(self, opts: CallOptions | None) -> AsyncTransport:
        from ._transports.http import AsyncHTTPTransport

        if self._ws is not None:
            from ._transports.websocket import AsyncWSTransport

            return AsyncWSTransport(self._ws, self.async_http, opts)
        return AsyncHTTPTransport(self.async_http, self._headers, self.timeout, opts)

    def _sockets(self) -> WSConnections:
        """The WebSocket connections (a ``ws://`` client only)."""
        if self._ws is None:
            raise TypeError("history, clear and ping are WebSocket commands: they need a ws:// base_url")
        return self._ws

    def _send_sync(self, spec: RequestSpec) -> httpx.Response:
        """Send a notice (a cancel) with the client's retries, within its own short
        deadline; its answer is read only in part, then closed (``notice_flow``)."""
        from ._call.send_flow import notice_flow
        from ._transports.http import SyncHTTPTransport, drive_send_sync

        with self._http.notice_sync() as http:
            transport = SyncHTTPTransport(http, self._headers, self.timeout, None)
            return drive_send_sync(transport, notice_flow(self._env, spec))

    async def _send_async(self, spec: RequestSpec) -> httpx.Response:
        """:meth:`_send_sync` for async code."""
        # the running loop's client (made again if it was closed); one closed
        # meanwhile by another task fails the notice with a typed error
        from ._call.send_flow import notice_flow
        from ._transports.http import AsyncHTTPTransport, drive_send_async

        transport = AsyncHTTPTransport(self.async_http, self._headers, self.timeout, None)
        return await drive_send_async(transport, notice_flow(self._env, spec))

    # -- closing ---------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the async HTTP client of the running event loop.

        The clients of other event loops are closed when their loop ends. With a
        ``ws://`` base URL, the WebSockets of this loop are closed too (and the
        others' loops are asked to close theirs).
        """
        if self._ws is not None:
            await self._ws.close_async()
        if self._http_clients is not None:
            await self._http_clients.close_async()

    def close_sync(self) -> None:
        """Close the sync HTTP client (and every WebSocket of a ``ws://`` client).

        A cancel notice in flight on it (``thread.cancel_sync()`` from another
        thread) is let finish first: it is bounded by its own deadline (5 s).
        """
        if self._ws is not None:
            self._ws.close_sync()
        if self._http_clients is None:
            return  # no httpx client was ever made
        from ._call.send_flow import NOTICE_DEADLINE

        self._http_clients.close_sync(wait=NOTICE_DEADLINE)

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

    def _call_options(
        self,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool | None = None,
        max_response_size: int | None = None,
    ) -> CallOptions:
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}; got {protocol!r}")
        from ._call.options import CallOptions
        from ._wire.requests import REQUEST_DIALECTS

        key = (
            protocol or self.protocol or REQUEST_DIALECTS[self.api].default_protocol,
            idle_timeout if idle_timeout is not None else self.idle_timeout,
            deadline if deadline is not None else self.deadline,
            self.max_event_size,
            self.resume if resume is None else resume,
            self.max_resume_attempts,
            self.max_response_size if max_response_size is None else check_max_response_size(max_response_size),
        )
        # the options of the last call, when they are the same (CallOptions is never
        # changed once made): most calls share one object instead of keeping one each
        last = self._last_options
        if last is not None and last[0] == key:
            return last[1]
        p, idle, dl, event_size, res, attempts, size = key
        opts = CallOptions(
            protocol=p, idle_timeout=idle, deadline=dl, max_event_size=event_size, resume=res,
            max_resume_attempts=attempts, max_response_size=size,
        )
        self._last_options = (key, opts)
        return opts

    def _resume_spec(self, stream_id: str) -> RequestSpec:
        """The request that replays the resumable stream ``stream_id`` (``resume_path``)."""
        if not isinstance(stream_id, str) or not stream_id:
            raise ValueError("stream_id must be a non-empty str")
        from ._transports.http_requests import ACCEPT
        from ._wire.requests import RequestSpec, format_path

        # one percent-encoded path segment, whatever the id (``/``, ``?``, ``..``)
        path = format_path(self.resume_path, stream_id=stream_id)

        return RequestSpec("GET", path, headers={"Accept": ACCEPT})



class _ClientEnv:
    """What the pure call flows need of a client (``SendEnv``, ``StreamEnv``)."""

    __slots__ = ("_client",)

    def __init__(self, client: AssistantClient) -> None:
        self._client = client

    @property
    def retry(self) -> RetryPolicy:
        return self._client.retry

    def refresh_auth(self, request: Any) -> bool:
        from .auth import invalidate_auth

        return invalidate_auth(self._client._headers, request)

    def resume_spec(self, stream_id: str) -> RequestSpec:
        return self._client._resume_spec(stream_id)
