"""The WebSocket connections of one client: by thread id (and event loop, for async
code), opened on a thread's first call with the in-band auth, kept for its later calls,
opened again (and said so) when lost."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from .._log import attach_secrets, redact_url
from .headers import HeadersSpec, resolve_headers_async, resolve_headers_sync
from .ws_protocol import MAX_MESSAGE_SIZE, command_flow, open_flow
from .ws_sockets import AsyncSocket, SyncSocket, handshake_url, import_httpx_ws, loop_key

__all__ = ["AuthAsync", "AuthSync", "WSConnections"]

#: the in-band auth message of the client's ``headers=`` (None: no auth helper)
AuthSync = Callable[[], "dict[str, Any] | None"]
AuthAsync = Callable[[], Awaitable["dict[str, Any] | None"]]

_SECRET_FIELDS = ("token", "api_key", "password", "client_secret")
_CLOSED = "the server closed it"


def _secrets(auth: dict[str, Any] | None) -> list[str]:
    """The secret values of an ``auth`` message."""
    if auth is None:
        return []
    return [v for k, v in auth.items() if k in _SECRET_FIELDS and isinstance(v, str)]


class WSConnections:
    """The sockets of one client (see the module doc)."""

    def __init__(
        self,
        base_url: str,
        headers: HeadersSpec,
        auth_sync: AuthSync,
        auth_async: AuthAsync,
        timeout: httpx.Timeout,
        max_message_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        import_httpx_ws()
        self.url = handshake_url(base_url)
        self.shown_url = redact_url(base_url)
        #: sent on the HTTP handshake (plain ``headers=``; an auth helper goes in band)
        self.headers = headers
        self.auth_sync = auth_sync
        self.auth_async = auth_async
        self.timeout = timeout
        #: the largest message accepted from the server, in bytes
        self.max_message_size = max_message_size
        self._lock = threading.Lock()
        self._sockets: dict[tuple[str, int | None], SyncSocket | AsyncSocket] = {}
        #: threads whose connection was lost: the reason, said on the next call
        self._lost: dict[str, str] = {}

    def request(self, thread_id: str) -> httpx.Request:
        """A stand-in request for the logs and errors (the handshake's URL)."""
        request = httpx.Request("GET", self.url, extensions={"thread_id": thread_id})
        # the call's credentials, redacted from every error and log line
        attach_secrets(request, self.headers if isinstance(self.headers, Mapping) else None, base_url=self.url)
        return request

    # -- bookkeeping ----------------------------------------------------------------------

    @staticmethod
    def _key(sock: SyncSocket | AsyncSocket) -> tuple[str, int | None]:
        return (sock.thread_id, id(sock.native) if isinstance(sock, AsyncSocket) else None)

    def forget(self, sock: SyncSocket | AsyncSocket, reason: str) -> None:
        """``sock`` is not used again; the thread's next call says it started over."""
        key = self._key(sock)
        with self._lock:
            if self._sockets.get(key) is sock:
                del self._sockets[key]
                self._lost[sock.thread_id] = reason

    def _reusable(self, key: tuple[str, int | None], native: object = None) -> tuple[Any, Any, str | None]:
        """(the open socket to reuse, a stale one to close, why the thread starts over)."""
        with self._lock:
            sock = self._sockets.get(key)
        if sock is not None and (native is None or getattr(sock, "native", None) is native) and sock.usable():
            return sock, None, None
        if sock is not None:
            self.forget(sock, _CLOSED)
        with self._lock:
            note = self._lost.pop(key[0], None)
        return None, sock, note

    def _install(self, key: tuple[str, int | None], sock: SyncSocket | AsyncSocket) -> Any:
        with self._lock:
            old = self._sockets.get(key)
            self._sockets[key] = sock
        return old

    def _taken(self) -> list[SyncSocket | AsyncSocket]:
        with self._lock:
            socks = list(self._sockets.values())
            self._sockets.clear()
        return socks

    # -- sync -----------------------------------------------------------------------------

    def sync_socket(self, http: httpx.Client, thread_id: str, timeout: httpx.Timeout) -> tuple[SyncSocket, str | None]:
        """The thread's open socket (opened now if needed) and, when it had to be opened
        again, why."""
        key = (thread_id, None)
        sock, stale, note = self._reusable(key)
        if sock is not None:
            return sock, None
        if stale is not None:
            stale.close()
        sock = self._open_sync(SyncSocket(thread_id), http, timeout)
        old = self._install(key, sock)
        if old is not None:
            old.close()
        return sock, note

    def _open_sync(self, sock: SyncSocket, http: httpx.Client, timeout: httpx.Timeout) -> SyncSocket:
        """Connect ``sock``, read ``connection_established``, send the auth message."""
        try:
            sock.connect(http, self.url, resolve_headers_sync(self.headers), timeout)
            auth = self.auth_sync()
            sock.secrets = _secrets(auth)
            sock.session_id = sock.run(open_flow(auth), timeout.read, self.max_message_size)
        except BaseException:
            sock.close()
            raise
        return sock

    def command_sync(self, http: httpx.Client, thread_id: str, message: str, expect: str) -> Any:
        sock, _ = self.sync_socket(http, thread_id, self.timeout)
        sock.claim()
        try:
            return sock.run(command_flow(message, expect), self.timeout.read, self.max_message_size)
        except BaseException:
            self.forget(sock, "a command failed")
            sock.close()
            raise
        finally:
            sock.busy = False

    def close_sync(self) -> None:
        """Close every socket: sync ones now, async ones on their loops."""
        for sock in self._taken():
            if isinstance(sock, SyncSocket):
                sock.close()
            else:
                sock.stop()

    # -- async ----------------------------------------------------------------------------

    async def async_socket(
        self, http: httpx.AsyncClient, thread_id: str, timeout: httpx.Timeout
    ) -> tuple[AsyncSocket, str | None]:
        """:meth:`sync_socket` for async code: one socket per thread and event loop."""
        native, loop_id = loop_key()
        key = (thread_id, loop_id)
        sock, stale, note = self._reusable(key, native)
        if sock is not None:
            return sock, None
        if stale is not None:
            if stale.native is native:
                await stale.close()
            else:  # a socket of a loop that is gone (its id was reused)
                stale.stop()
        sock = await self._open_async(AsyncSocket(thread_id, native), http, timeout)
        old = self._install(key, sock)
        if old is not None:
            old.stop()
        return sock, note

    async def _open_async(self, sock: AsyncSocket, http: httpx.AsyncClient, timeout: httpx.Timeout) -> AsyncSocket:
        """:meth:`_open_sync` for async code."""
        try:
            await sock.connect(http, self.url, await resolve_headers_async(self.headers), timeout)
            auth = await self.auth_async()
            sock.secrets = _secrets(auth)
            sock.session_id = await sock.run(open_flow(auth), timeout.read, self.max_message_size)
        except BaseException:
            sock.stop()
            raise
        return sock

    async def command_async(self, http: httpx.AsyncClient, thread_id: str, message: str, expect: str) -> Any:
        sock, _ = await self.async_socket(http, thread_id, self.timeout)
        sock.claim()
        try:
            return await sock.run(command_flow(message, expect), self.timeout.read, self.max_message_size)
        except BaseException:
            self.forget(sock, "a command failed")
            sock.stop()
            raise
        finally:
            sock.busy = False

    async def close_async(self) -> None:
        """Close every socket: those of the running loop now (waiting for them, bounded),
        sync ones too, the other loops' on their loops."""
        native = loop_key()[0]
        for sock in self._taken():
            if isinstance(sock, SyncSocket):
                sock.close()
            elif sock.native is native:
                await sock.close()
            else:
                sock.stop()
