"""The terminal chat on a WebSocket chat server (a ``ws://`` or ``wss://`` URL).

The options of the seed's interactive client: ``--url`` (the same as ``--base-url``),
``--auth none|bearer|api_key|basic|oauth2`` with ``--token``, ``--api-key``,
``--api-key-header``, ``--username``, ``--password``, ``--client-id``,
``--client-secret``, ``--token-url``, ``--scope``; defaults from
``BEDROCK_WS_ENDPOINT``, ``BEDROCK_AUTH_TYPE``, ``BEDROCK_AUTH_TOKEN`` and
``BEDROCK_API_KEY``. The credentials go in band (the server's ``auth`` message). The
commands ``/history`` (the conversation the server holds), ``/clear`` and ``/ping``
talk to the server.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

__all__ = [
    "WS_AUTH_CHOICES",
    "add_websocket_arguments",
    "is_websocket_url",
    "websocket_auth",
    "websocket_base_url",
    "websocket_command",
]

#: ``--auth`` (and ``BEDROCK_AUTH_TYPE``) values, the seed's and the protocol's spellings
WS_AUTH_CHOICES = ("none", "bearer", "bearer_token", "api_key", "basic", "basic_auth", "oauth2",
                   "oauth2_client_credentials")
_KIND = {"bearer_token": "bearer", "basic_auth": "basic", "oauth2_client_credentials": "oauth2"}


def add_websocket_arguments(parser: argparse.ArgumentParser) -> None:
    """The WebSocket chat's options (``--token`` is the chat's own)."""
    group = parser.add_argument_group(
        "WebSocket chat (a ws:// URL; credentials go in band, as the server's auth message)"
    )
    group.add_argument("--url", dest="ws_url", metavar="URL",
                       help="the same as --base-url (default: $BEDROCK_WS_ENDPOINT for a ws:// server)")
    group.add_argument("--auth", dest="ws_auth", choices=WS_AUTH_CHOICES, metavar="KIND",
                       help="none, bearer, api_key, basic or oauth2 (default: $BEDROCK_AUTH_TYPE, "
                            "else from the credentials given)")
    group.add_argument("--api-key", dest="ws_api_key", metavar="KEY", help="the API key (default: $BEDROCK_API_KEY)")
    group.add_argument("--api-key-header", dest="ws_api_key_header", metavar="NAME", default="X-API-Key",
                       help="the header the server sends the API key in (default: X-API-Key)")
    group.add_argument("--username", dest="ws_username", metavar="USER", help="basic auth")
    group.add_argument("--password", dest="ws_password", metavar="PASSWORD", help="basic auth")
    group.add_argument("--client-id", dest="ws_client_id", metavar="ID", help="OAuth2 client credentials")
    group.add_argument("--client-secret", dest="ws_client_secret", metavar="SECRET", help="OAuth2 client credentials")
    group.add_argument("--token-url", dest="ws_token_url", metavar="URL", help="OAuth2 token endpoint")
    group.add_argument("--scope", dest="ws_scope", metavar="SCOPE", help="OAuth2 scope")


def is_websocket_url(url: str | None) -> bool:
    return isinstance(url, str) and url.startswith(("ws://", "wss://"))


def websocket_base_url(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> str | None:
    """``--url`` / ``--base-url``, else ``$ASSISTANT_UI_BASE_URL``, else ``$BEDROCK_WS_ENDPOINT``."""
    return (
        getattr(args, "ws_url", None)
        or getattr(args, "base_url", None)
        or environ.get("ASSISTANT_UI_BASE_URL")
        or environ.get("BEDROCK_WS_ENDPOINT")
    )


def websocket_auth(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Any:
    """The auth helper the options ask for (None: no auth). Raises ``ValueError`` with
    a message fit for the command line (never quoting a secret)."""
    from ..auth import OAuth2ClientCredentials, api_key, basic, bearer

    token = getattr(args, "token", None) or environ.get("BEDROCK_AUTH_TOKEN") or environ.get("ASSISTANT_UI_TOKEN")
    key = getattr(args, "ws_api_key", None) or environ.get("BEDROCK_API_KEY")
    kind = getattr(args, "ws_auth", None) or environ.get("BEDROCK_AUTH_TYPE") or ""
    kind = _KIND.get(kind, kind)
    if not kind:  # from the credentials given
        if getattr(args, "ws_client_id", None):
            kind = "oauth2"
        elif getattr(args, "ws_username", None):
            kind = "basic"
        elif getattr(args, "ws_api_key", None):
            kind = "api_key"
        elif token:
            kind = "bearer"
        else:
            kind = "none"
    if kind == "none":
        return None
    if kind == "bearer":
        if not token:
            raise ValueError("--auth bearer needs --token (or $BEDROCK_AUTH_TOKEN)")
        return bearer(token)
    if kind == "api_key":
        if not key:
            raise ValueError("--auth api_key needs --api-key (or $BEDROCK_API_KEY)")
        return api_key(key, header=getattr(args, "ws_api_key_header", None) or "X-API-Key")
    if kind == "basic":
        user, password = getattr(args, "ws_username", None), getattr(args, "ws_password", None)
        if not user or password is None:
            raise ValueError("--auth basic needs --username and --password")
        return basic(user, password)
    if kind == "oauth2":
        needed = ("ws_client_id", "ws_client_secret", "ws_token_url")
        if not all(getattr(args, name, None) for name in needed):
            raise ValueError("--auth oauth2 needs --client-id, --client-secret and --token-url")
        return OAuth2ClientCredentials(
            args.ws_token_url, args.ws_client_id, args.ws_client_secret, scope=getattr(args, "ws_scope", None)
        )
    raise ValueError(f"--auth must be one of {', '.join(WS_AUTH_CHOICES)}")


def websocket_command(session: Any, name: str) -> bool:
    """Run ``/history``, ``/clear`` or ``/ping`` on the server; False: not one of them."""
    if name not in ("/history", "/clear", "/ping"):
        return False
    from ..errors import AssistantUIError
    from ._render import Renderer

    thread = session.client.threads(session.thread_id)
    try:
        if name == "/ping":
            thread.ping_sync()
            session.notice("[pong]")
        elif name == "/clear":
            thread.clear_sync()
            session.transcript.clear()
            session.notice("[the server cleared the conversation]")
        else:
            messages = thread.history_sync()
            if not messages:
                session.notice("[the server holds no messages for this thread]")
            renderer = Renderer(session.out, color=session.color, sanitize=session._sanitize)
            for message in messages:
                content = message.get("content")
                parts = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
                label = "you: " if message.get("role") == "user" else f"{message.get('role')}: "
                renderer.write(label, "bold")
                for part in parts:
                    if part.get("type") == "text":
                        renderer.write(part.get("text", ""))
                    elif part.get("type") == "tool-call":
                        renderer.event({**part, "type": "tool-call"})
                        if "result" in part:
                            renderer.event({**part, "type": "tool-result"})
                renderer.finish()
    except AssistantUIError as exc:
        session.error(str(session._redact(exc)))
    return True
