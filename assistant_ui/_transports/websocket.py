"""The WebSocket transport (``ws://`` / ``wss://`` base URLs, the ``ws`` extra).

It serves the seam of :mod:`.base`: a "response" is one chat turn on the thread's
connection. :meth:`SyncWSTransport.attempt` sends the chat message (opening the
connection first, with the in-band ``auth`` message, when the thread has none or
its connection was lost) and returns a response whose body is the turn's server
messages, one JSON text message per line, up to the turn's ``ai_response`` or
``error``; the ``bedrock-ws`` decoder dialect reads them. A turn cut short (a
cancel, a timeout, a dropped connection) closes the connection: the protocol has
no cancel message, and a late answer must not end up in the next turn.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import httpx

from .._call.actions import Attempt, AttemptOutcome
from .._call.decisions import FailureKind
from .._call.options import CallOptions
from .._log import attach_secrets, log_request, redact_url
from .._wire.dialects.bedrock_ws import RECONNECTED
from .._wire.requests.bedrock_ws import TURN_END_TYPES, SocketSpec
from .headers import HeadersSpec, resolve_headers_async, resolve_headers_sync
from .http import classify as classify_http
from .http import request_timeout
from .ws_protocol import (
    MAX_MESSAGE_SIZE,
    CommandFailed,
    HandshakeFailed,
    MessageTooBig,
    SocketDropped,
    command_flow,
    open_flow,
    parse_message,
)
from .ws_sockets import AsyncSocket, SyncSocket, handshake_url, import_httpx_ws, loop_key

__all__ = [
    "MAX_MESSAGE_SIZE",
    "AsyncWSTransport",
    "CommandFailed",
    "SyncWSTransport",
    "WSConnections",
    "classify",
    "command_error",
]

#: the in-band auth message of the client's ``headers=`` (None: no auth helper)
AuthSync = Callable[[], "dict[str, Any] | None"]
AuthAsync = Callable[[], Awaitable["dict[str, Any] | None"]]
_TURN = "assistant_ui.ws_turn"


def classify(exc: BaseException) -> FailureKind | None:
    """What an exception of a turn means to the call core. A lost connection is not
    retried (the server may have taken the message): it ends the call."""
    if isinstance(exc, MessageTooBig):
        return FailureKind.DECODING
    if isinstance(exc, SocketDropped):
        return FailureKind.OTHER
    return classify_http(exc)


class Turn:
    """One chat turn on a socket: the response's body source."""

    __slots__ = ("finished", "note", "read_timeout", "socket")

    def __init__(self, socket: Any, note: str | None, read_timeout: float | None) -> None:
        self.socket = socket
        #: the connection was opened again for this turn (why), or None
        self.note = note
        self.read_timeout = read_timeout
        #: the turn's ai_response or error arrived
        self.finished = False

    def lines(self) -> Iterator[bytes]:
        if self.note is not None:
            yield parse_message(f'{{"type": "{RECONNECTED}", "reason": {_json(self.note)}}}')[0] + b"\n"

    def accept(self, data: str | bytes, limit: int) -> bytes:
        raw, value = parse_message(data, limit)
        if isinstance(value, Mapping) and value.get("type") in TURN_END_TYPES:
            self.finished = True
        return raw + b"\n"


def _json(text: str) -> str:
    import json

    return json.dumps(text)


def _turn_of(response: httpx.Response) -> Turn:
    turn = response.extensions[_TURN]
    assert isinstance(turn, Turn)
    return turn


_SECRET_FIELDS = ("token", "api_key", "password", "client_secret")


def _secrets(auth: dict[str, Any] | None) -> list[str]:
    """The secret values of an ``auth`` message."""
    if auth is None:
        return []
    return [v for k, v in auth.items() if k in _SECRET_FIELDS and isinstance(v, str)]


class WSConnections:
    """The sockets of one client, by thread id (and event loop, for async code)."""

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
        self.max_message_size = max_message_size
        self._lock = threading.Lock()
        self._sync: dict[str, SyncSocket] = {}
        self._async: dict[tuple[str, int], AsyncSocket] = {}
        #: threads whose connection was lost: the reason, said on the next call
        self._lost: dict[str, str] = {}

    def request(self, thread_id: str) -> httpx.Request:
        """A stand-in request for the logs and errors (the handshake's URL)."""
        request = httpx.Request("GET", self.url, extensions={"thread_id": thread_id})
        # the call's credentials, redacted from every error and log line
        attach_secrets(request, self.headers if isinstance(self.headers, Mapping) else None, base_url=self.url)
        return request

    # -- bookkeeping ----------------------------------------------------------------------

    def _take_note(self, thread_id: str, had: bool) -> str | None:
        with self._lock:
            reason = self._lost.pop(thread_id, None)
        if reason is None and had:
            reason = "the server closed it"
        return reason

    def forget(self, sock: SyncSocket | AsyncSocket, reason: str) -> None:
        """``sock`` is not used again; the thread's next call says it started over."""
        with self._lock:
            if isinstance(sock, SyncSocket):
                if self._sync.get(sock.thread_id) is sock:
                    del self._sync[sock.thread_id]
                    self._lost[sock.thread_id] = reason
            else:
                key = (sock.thread_id, id(sock.native))
                if self._async.get(key) is sock:
                    del self._async[key]
                    self._lost[sock.thread_id] = reason

    # -- sync -----------------------------------------------------------------------------

    def sync_socket(self, http: httpx.Client, thread_id: str, timeout: httpx.Timeout) -> tuple[SyncSocket, str | None]:
        """The thread's open socket (opened now if needed) and, when it had to be opened
        again, why."""
        with self._lock:
            sock = self._sync.get(thread_id)
        if sock is not None and sock.usable():
            return sock, None
        had = sock is not None
        if sock is not None:
            self.forget(sock, "the server closed it")
            sock.close()
        note = self._take_note(thread_id, had)
        sock = SyncSocket(thread_id)
        try:
            sock.connect(http, self.url, resolve_headers_sync(self.headers), timeout)
            auth = self.auth_sync()
            sock.secrets = _secrets(auth)
            sock.session_id = sock.run(open_flow(auth), timeout.read, self.max_message_size)
        except BaseException:
            sock.close()
            raise
        with self._lock:
            old = self._sync.get(thread_id)
            self._sync[thread_id] = sock
        if old is not None:
            old.close()
        return sock, note

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
        with self._lock:
            socks, self._sync = list(self._sync.values()), {}
            others, self._async = list(self._async.values()), {}
        for sock in socks:
            sock.close()
        for other in others:
            other.stop()

    # -- async ----------------------------------------------------------------------------

    async def async_socket(
        self, http: httpx.AsyncClient, thread_id: str, timeout: httpx.Timeout
    ) -> tuple[AsyncSocket, str | None]:
        native, key = loop_key()
        with self._lock:
            sock = self._async.get((thread_id, key))
        if sock is not None and sock.native is native and sock.usable():
            return sock, None
        had = sock is not None
        if sock is not None:
            self.forget(sock, "the server closed it")
            await sock.close()
        note = self._take_note(thread_id, had)
        sock = AsyncSocket(thread_id, native)
        try:
            await sock.connect(http, self.url, await resolve_headers_async(self.headers), timeout)
            auth = await self.auth_async()
            sock.secrets = _secrets(auth)
            sock.session_id = await sock.run(open_flow(auth), timeout.read, self.max_message_size)
        except BaseException:
            sock.stop()
            raise
        with self._lock:
            old = self._async.get((thread_id, key))
            self._async[(thread_id, key)] = sock
        if old is not None:
            old.stop()
        return sock, note

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
        """Close every socket of the running loop (and ask the others' loops to)."""
        with self._lock:
            socks, self._async = list(self._async.values()), {}
        for sock in socks:
            if sock.native is loop_key()[0]:
                await sock.close()
            else:
                sock.stop()


# -- the transports -------------------------------------------------------------------------


def _status_response(request: httpx.Request, status: int, text: str, headers: Any = None) -> httpx.Response:
    """A response that is not a turn: the handshake was refused, or the session was not
    opened (``text``: what the server said)."""
    return httpx.Response(status, headers=headers, content=text.encode("utf-8"), request=request)


def _turn_response(request: httpx.Request, turn: Turn) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"content-type": "application/x-ndjson"},
        request=request,
        extensions={_TURN: turn},
    )


def _failed(request: httpx.Request, exc: BaseException, started: float) -> AttemptOutcome | None:
    """The outcome of an attempt that failed with ``exc`` (None: not a transport failure)."""
    httpx_ws = import_httpx_ws()
    if isinstance(exc, HandshakeFailed):
        return AttemptOutcome(request, _status_response(request, exc.status, exc.text), started=started)
    if isinstance(exc, httpx_ws.WebSocketUpgradeError):
        refused = exc.response
        return AttemptOutcome(
            request, _status_response(request, refused.status_code, "", refused.headers), started=started
        )
    if isinstance(exc, SocketDropped):
        return AttemptOutcome(request, error=exc, kind=FailureKind.TRANSPORT, started=started)
    if isinstance(exc, MessageTooBig):
        return AttemptOutcome(request, error=exc, kind=FailureKind.DECODING, started=started)
    if isinstance(exc, httpx.TransportError):
        return AttemptOutcome(request, error=exc, kind=classify_http(exc), started=started)
    return None


class SyncWSTransport:
    """Blocking chat turns on the thread's WebSocket (implements ``SyncTransport``)."""

    __slots__ = ("http", "opts", "pool")

    def __init__(self, pool: WSConnections, http: httpx.Client, opts: CallOptions | None) -> None:
        self.pool = pool
        self.http = http
        self.opts = opts

    def attempt(self, action: Attempt) -> AttemptOutcome:
        spec = action.spec
        assert isinstance(spec, SocketSpec)
        pool = self.pool
        request = pool.request(spec.thread_id)
        started = log_request(request, action.attempt, action.max_retries)
        timeout = request_timeout(pool.timeout, self.opts, action.remaining)
        try:
            sock, note = pool.sync_socket(self.http, spec.thread_id, timeout)
            attach_secrets(request, extra=sock.secrets)
            sock.claim()
            try:
                sock.send(spec.text())
            except BaseException:
                sock.busy = False
                pool.forget(sock, "it could not be written to")
                sock.close()
                raise
        except Exception as exc:
            outcome = _failed(request, exc, started)
            if outcome is None:
                raise
            return outcome
        return AttemptOutcome(request, _turn_response(request, Turn(sock, note, timeout.read)), started=started)

    def read_error_body(self, response: httpx.Response) -> str:
        return response.content.decode("utf-8", "replace")

    def body(self, response: httpx.Response) -> Iterator[bytes]:
        turn = _turn_of(response)
        yield from turn.lines()
        limit = self.pool.max_message_size
        while not turn.finished:
            yield turn.accept(turn.socket.receive(turn.read_timeout), limit)

    def classify(self, exc: BaseException) -> FailureKind | None:
        return classify(exc)

    def close(self, response: httpx.Response) -> None:
        turn = response.extensions.get(_TURN)
        if not isinstance(turn, Turn):
            return
        sock = turn.socket
        sock.busy = False
        if not turn.finished:
            self.pool.forget(sock, "the previous call on it was cut short")
            sock.close()

    def abort(self, response: httpx.Response) -> None:
        turn = response.extensions.get(_TURN)
        if isinstance(turn, Turn) and not turn.finished:
            turn.socket.abort()


class AsyncWSTransport:
    """Chat turns on the thread's WebSocket in async code (implements ``AsyncTransport``)."""

    __slots__ = ("http", "opts", "pool")

    def __init__(self, pool: WSConnections, http: httpx.AsyncClient, opts: CallOptions | None) -> None:
        self.pool = pool
        self.http = http
        self.opts = opts

    async def attempt(self, action: Attempt) -> AttemptOutcome:
        spec = action.spec
        assert isinstance(spec, SocketSpec)
        pool = self.pool
        request = pool.request(spec.thread_id)
        started = log_request(request, action.attempt, action.max_retries)
        timeout = request_timeout(pool.timeout, self.opts, action.remaining)
        try:
            sock, note = await pool.async_socket(self.http, spec.thread_id, timeout)
            attach_secrets(request, extra=sock.secrets)
            sock.claim()
            try:
                await sock.send(spec.text())
            except BaseException:
                sock.busy = False
                pool.forget(sock, "it could not be written to")
                sock.stop()
                raise
        except Exception as exc:
            outcome = _failed(request, exc, started)
            if outcome is None:
                raise
            return outcome
        return AttemptOutcome(request, _turn_response(request, Turn(sock, note, timeout.read)), started=started)

    async def read_error_body(self, response: httpx.Response) -> str:
        return response.content.decode("utf-8", "replace")

    async def body(self, response: httpx.Response) -> AsyncIterator[bytes]:
        turn = _turn_of(response)
        for line in turn.lines():
            yield line
        limit = self.pool.max_message_size
        while not turn.finished:
            yield turn.accept(await turn.socket.receive(turn.read_timeout), limit)

    def classify(self, exc: BaseException) -> FailureKind | None:
        return classify(exc)

    async def close(self, body: AsyncIterator[bytes] | None, response: Any, *, drain: bool) -> None:
        aclose = getattr(body, "aclose", None)
        if aclose is not None:
            try:
                await aclose()
            except Exception:
                pass
        turn = response.extensions.get(_TURN) if isinstance(response, httpx.Response) else None
        if not isinstance(turn, Turn):
            return
        sock = turn.socket
        sock.busy = False
        if not turn.finished:
            self.pool.forget(sock, "the previous call on it was cut short")
            await sock.close()


def command_error(exc: Exception) -> Exception | None:
    """The typed error of a failed command (``history``, ``clear``, ``ping``), or None
    when ``exc`` is not the transport's."""
    from ..errors import (
        APIConnectionError,
        APIError,
        APITimeoutError,
        DecodeError,
        make_status_error,
    )

    httpx_ws = import_httpx_ws()
    if isinstance(exc, CommandFailed):
        return APIError(str(exc))
    if isinstance(exc, HandshakeFailed):
        request = httpx.Request("GET", "ws://handshake")
        return make_status_error(_status_response(request, exc.status, exc.text), exc.text)
    if isinstance(exc, httpx_ws.WebSocketUpgradeError):
        refused = exc.response
        request = refused.request
        return make_status_error(_status_response(request, refused.status_code, "", refused.headers), "")
    if isinstance(exc, MessageTooBig):
        return DecodeError(str(exc), protocol="bedrock-ws")
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the WebSocket command timed out: {type(exc).__name__}")
    if isinstance(exc, (SocketDropped, httpx.TransportError)):
        return APIConnectionError(f"the WebSocket command failed: {exc or type(exc).__name__}")
    return None
