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

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx

from .._call.actions import Attempt, AttemptOutcome, ReadNotice
from .._call.decisions import FailureKind
from .._call.options import CallOptions
from .._log import attach_secrets, log_request
from .._wire.dialects.bedrock_ws import RECONNECTED
from .._wire.requests.bedrock_ws import TURN_END_TYPES, SocketSpec
from .http import classify as classify_http
from .http_requests import request_timeout
from .ws_pool import WSConnections
from .ws_protocol import (
    MAX_MESSAGE_SIZE,
    CommandFailed,
    HandshakeFailed,
    MessageTooBig,
    SocketDropped,
    parse_message,
)
from .ws_sockets import AsyncSocket, SyncSocket, import_httpx_ws

__all__ = [
    "MAX_MESSAGE_SIZE",
    "AsyncWSTransport",
    "CommandFailed",
    "SyncWSTransport",
    "WSConnections",
    "classify",
    "command_error",
]

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


def _begin(pool: WSConnections, action: Attempt, opts: CallOptions | None) -> tuple[httpx.Request, float, httpx.Timeout]:
    """The stand-in request of an attempt (logged), its start time and its timeouts."""
    assert isinstance(action.spec, SocketSpec)
    request = pool.request(action.spec.thread_id)
    started = log_request(request, action.attempt, action.max_retries)
    return request, started, request_timeout(pool.timeout, opts, action.remaining)


def _claim(request: httpx.Request, sock: SyncSocket | AsyncSocket) -> None:
    """The turn starts on ``sock``: its auth secrets are the call's too."""
    attach_secrets(request, extra=sock.secrets)
    sock.claim()


def _turn_outcome(request: httpx.Request, turn: Turn, started: float) -> AttemptOutcome:
    return AttemptOutcome(request, _turn_response(request, turn), started=started)


def _failed(request: httpx.Request, exc: Exception, started: float) -> AttemptOutcome:
    """The outcome of an attempt that failed with ``exc`` (re-raised when it is not a
    transport failure)."""
    outcome = _failure(request, exc, started)
    if outcome is None:
        raise exc
    return outcome


def _failure(request: httpx.Request, exc: BaseException, started: float) -> AttemptOutcome | None:
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
        request, started, timeout = _begin(self.pool, action, self.opts)
        try:
            sock, note = self.pool.sync_socket(self.http, action.spec.thread_id, timeout)
            _claim(request, sock)
            try:
                sock.send(action.spec.text())
            except BaseException:
                self.pool.forget(sock, "it could not be written to")
                sock.close()
                raise
        except Exception as exc:
            return _failed(request, exc, started)
        return _turn_outcome(request, Turn(sock, note, timeout.read), started)

    def read_error_body(self, response: httpx.Response, deadline_at: float | None = None) -> str:
        return response.content.decode("utf-8", "replace")

    def read_notice(self, action: ReadNotice) -> None:
        """A WebSocket has no notices (its cancel closes the socket)."""
        raise TypeError("a WebSocket transport sends no notices")

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
        request, started, timeout = _begin(self.pool, action, self.opts)
        try:
            sock, note = await self.pool.async_socket(self.http, action.spec.thread_id, timeout)
            _claim(request, sock)
            try:
                await sock.send(action.spec.text())
            except BaseException:
                self.pool.forget(sock, "it could not be written to")
                sock.stop()
                raise
        except Exception as exc:
            return _failed(request, exc, started)
        return _turn_outcome(request, Turn(sock, note, timeout.read), started)

    async def read_error_body(self, response: httpx.Response, deadline_at: float | None = None) -> str:
        return response.content.decode("utf-8", "replace")

    async def read_notice(self, action: ReadNotice) -> None:
        """A WebSocket has no notices (its cancel closes the socket)."""
        raise TypeError("a WebSocket transport sends no notices")

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

    def abortable(self, response: Any) -> bool:
        return False  # a read is ended by cancelling its scope

    def abort(self, response: Any) -> None:
        return None


def command_error(exc: Exception) -> Exception | None:
    """The typed error of a failed command (``history``, ``clear``, ``ping``), or None
    when ``exc`` is not the transport's."""
    from .._call.status_errors import make_status_error
    from ..errors import APIConnectionError, APIError, APITimeoutError, DecodeError

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
