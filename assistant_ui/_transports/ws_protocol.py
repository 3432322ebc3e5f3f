"""The WebSocket chat's session steps as pure flows, shared by the sync and async sockets.

A flow is a generator: it yields :class:`Recv` (the next JSON message, as a dict) or
:class:`SendText` (a text frame) and returns its result. The sockets of
:mod:`.websocket` perform the steps with blocking or async I/O. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from typing import Any

__all__ = [
    "ESTABLISHED",
    "MAX_MESSAGE_SIZE",
    "CommandFailed",
    "HandshakeFailed",
    "MessageTooBig",
    "Recv",
    "SendText",
    "SocketDropped",
    "command_flow",
    "open_flow",
    "parse_message",
]

#: the largest message accepted from the server by default, in bytes (the client's
#: ``max_event_size`` sets it: 64 MiB unless told; the seed's own client met
#: ``1009 message too big`` at the usual 1 MiB); beyond it the call fails with ``DecodeError``
MAX_MESSAGE_SIZE = 64 * 1024 * 1024
ESTABLISHED = "connection_established"
_AUTH_REPLIES = frozenset({"auth_configured", "auth_response"})

Flow = Generator[Any, Any, Any]


class SocketDropped(Exception):
    """The connection closed, broke, or was closed by a cancel (the text says which)."""


class MessageTooBig(Exception):
    """A message from the server is larger than the limit."""


class HandshakeFailed(Exception):
    """The server did not open the session as the protocol says (``status``: the HTTP
    status to report; ``text``: the server's words)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class CommandFailed(Exception):
    """The server answered a command with an ``error`` message."""


class Recv:
    """Receive the next message (-> dict)."""

    __slots__ = ()


class SendText:
    """Send one text frame."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


RECV = Recv()


def parse_message(data: str | bytes, limit: int = MAX_MESSAGE_SIZE) -> tuple[bytes, Any]:
    """One message as UTF-8 bytes and its JSON value (None when it is not JSON)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > limit:
        raise MessageTooBig(
            f"a WebSocket message of {len(raw)} bytes exceeds the limit of {limit} bytes"
        )
    try:
        return raw, json.loads(raw)
    except ValueError:
        return raw, None


def _text(msg: Mapping[str, Any]) -> str:
    value = msg.get("message")
    return value if isinstance(value, str) else json.dumps(value)


def open_flow(auth: dict[str, Any] | None) -> Flow:
    """After the handshake: read ``connection_established``, then send the ``auth``
    message (when there is one) and read its acknowledgement. Returns the session id."""
    first = yield RECV
    if not isinstance(first, Mapping) or first.get("type") != ESTABLISHED:
        kind = first.get("type") if isinstance(first, Mapping) else type(first).__name__
        if isinstance(first, Mapping) and kind == "error":
            raise HandshakeFailed(502, f"the server refused the session: {_text(first)}")
        raise HandshakeFailed(502, f"expected {ESTABLISHED} first, got {kind!r}")
    session_id = first.get("session_id")
    if auth is not None:
        yield SendText(json.dumps(auth, ensure_ascii=False))
        while True:
            reply = yield RECV
            kind = reply.get("type") if isinstance(reply, Mapping) else None
            if kind in _AUTH_REPLIES:
                if reply.get("success") is False:
                    raise HandshakeFailed(401, f"authentication failed: {_text(reply)}")
                break
            if kind == "error":
                raise HandshakeFailed(401, f"authentication failed: {_text(reply)}")
    return session_id if isinstance(session_id, str) else None


def command_flow(text: str, expect: str) -> Flow:
    """Send a command and return the first reply of type ``expect`` (other messages
    in between are skipped); an ``error`` reply raises :class:`CommandFailed`."""
    yield SendText(text)
    while True:
        reply = yield RECV
        kind = reply.get("type") if isinstance(reply, Mapping) else None
        if kind == expect:
            return reply
        if kind == "error":
            raise CommandFailed(f"the server answered with an error: {_text(reply)}")
