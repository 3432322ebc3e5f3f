"""What a client's base URL says: whether it speaks the WebSocket chat (``ws://``,
``wss://``) or HTTP, the query parameters it carries, and the HTTP origin of a
WebSocket handshake. Used by ``AssistantClient`` when it is made (nothing here loads a
transport until a ``ws://`` client makes its connections)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit, urlunsplit

if TYPE_CHECKING:
    import httpx

    from ._transports.headers import HeadersSpec
    from ._transports.websocket import WSConnections

__all__ = ["SOCKET_API", "handshake_origin", "socket_api", "socket_pool", "split_query"]

#: the request dialect of a ``ws://`` base URL
SOCKET_API = "bedrock-ws"


def socket_api(base_url: str, api: str) -> str:
    """The request dialect of ``base_url``: a ``ws://`` URL speaks the WebSocket chat."""
    socket = base_url.startswith(("ws://", "wss://"))
    if socket and api in ("assistant-ui", SOCKET_API):
        return SOCKET_API
    if socket:
        raise ValueError(f"a ws:// base_url speaks api={SOCKET_API!r}, not api={api!r}")
    if api == SOCKET_API:
        raise ValueError(f"api={SOCKET_API!r} needs a ws:// or wss:// base_url")
    return api


def socket_pool(base_url: str, headers: HeadersSpec, timeout: httpx.Timeout, max_size: int) -> WSConnections:
    """The WebSocket connections of a ``ws://`` client (ImportError without the ``ws`` extra);
    ``max_size`` (``max_event_size``) bounds one message from the server."""
    from ._transports.websocket import WSConnections
    from ._transports.ws_auth import InBandAuth, is_auth_helper

    auth = InBandAuth(headers)
    handshake = None if is_auth_helper(headers) else headers
    return WSConnections(base_url, handshake, auth.sync, auth.async_, timeout, max_size)


def handshake_origin(base_url: str) -> str:
    """The HTTP URL of a WebSocket handshake (``ws`` -> ``http``, ``wss`` -> ``https``)."""
    from ._transports.ws_sockets import handshake_url

    return handshake_url(base_url) if base_url.startswith(("ws://", "wss://")) else base_url


def split_query(base_url: str) -> tuple[str, dict[str, str]]:
    """``base_url`` without its query string, and the query's parameters."""
    parts = urlsplit(base_url)
    if not parts.query:
        return base_url, {}
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), params
