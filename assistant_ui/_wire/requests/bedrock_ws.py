"""``api="bedrock-ws"``: the WebSocket chat of auto-bedrock-chat-fastapi (docs/wire-formats.md §16).

Pure: what the client sends on a thread's WebSocket, as JSON text messages.

* a chat turn: ``{"type": "chat", "message": <the last user message's text>}`` (the
  server keeps the conversation, so earlier messages are not sent);
* the commands ``{"type": "ping" | "history" | "clear" | "logout"}``;
* the in-band ``auth`` message, one of four kinds (:func:`auth_message`).

The server's ``history`` messages become our message dicts (:func:`history_messages`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .base import ChatRequest, RequestDialect, RequestSpec, last_user_text, validate_messages

__all__ = [
    "API_NAME",
    "DIALECT",
    "PROTOCOL",
    "TURN_END_TYPES",
    "SocketSpec",
    "auth_message",
    "build_chat_request",
    "command",
    "history_messages",
    "last_user_text",
]

API_NAME = "bedrock-ws"
#: the decoder dialect of the turn's messages
PROTOCOL = "bedrock-ws"
#: the server messages that end a chat turn
TURN_END_TYPES = frozenset({"ai_response", "error"})
_COMMANDS = frozenset({"ping", "history", "clear", "logout"})


class SocketSpec(RequestSpec):
    """A message to send on the WebSocket of one thread (``json`` is the message)."""

    __slots__ = ("thread_id",)

    def __init__(self, thread_id: str, message: dict[str, Any]) -> None:
        super().__init__("WS", "", json=message)
        self.thread_id = thread_id

    def text(self) -> str:
        """The message as the JSON text frame sent."""
        return json.dumps(self.json, ensure_ascii=False, separators=(",", ":"))

    def __repr__(self) -> str:
        kind = self.json.get("type") if isinstance(self.json, dict) else None
        return f"SocketSpec(thread_id={self.thread_id!r}, type={kind!r})"


def build_chat_request(req: ChatRequest) -> RequestSpec:
    """The chat message of one turn: the last user message's text."""
    text = last_user_text(validate_messages(req.messages), "bedrock-ws")
    if text is None:
        raise ValueError(
            "api='bedrock-ws' sends the last user message's text on the thread's WebSocket "
            "(the server keeps the conversation): give a user message"
        )
    if req.tools:
        raise ValueError(
            "api='bedrock-ws' runs its tools on the server; client-side tools= cannot be sent"
        )
    message: dict[str, Any] = {"type": "chat", "message": text}
    for key, value in req.extra.items():
        if key in ("type", "message"):
            raise ValueError(f"{key}= is set by the chat message itself")
        message[key] = value
    return SocketSpec(req.thread_id, message)


def command(thread_id: str, kind: str) -> SocketSpec:
    """One of the seed's commands: ``ping``, ``history``, ``clear``, ``logout``."""
    if kind not in _COMMANDS:
        raise ValueError(f"unknown command {kind!r}; expected one of {', '.join(sorted(_COMMANDS))}")
    return SocketSpec(thread_id, {"type": kind})


def auth_message(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The in-band ``auth`` message.

    ``kind`` is ``bearer_token`` (``token``), ``api_key`` (``api_key``,
    ``api_key_header``), ``basic_auth`` (``username``, ``password``) or ``oauth2``
    (``client_id``, ``client_secret``, ``token_url``, ``scope``). Values that are
    None are left out.
    """
    allowed = {
        "bearer_token": ("token",),
        "api_key": ("api_key", "api_key_header"),
        "basic_auth": ("username", "password"),
        "oauth2": ("client_id", "client_secret", "token_url", "scope"),
    }
    names = allowed.get(kind)
    if names is None:
        raise ValueError(f"unknown auth kind {kind!r}")
    message: dict[str, Any] = {"type": "auth", "auth_type": kind}
    for name in names:
        value = fields.get(name)
        if value is not None:
            message[name] = value
    return message


def _history_message(item: Mapping[str, Any]) -> dict[str, Any] | None:
    role = item.get("role")
    content = item.get("content")
    text = content if isinstance(content, str) else "" if content is None else json.dumps(content)
    metadata: dict[str, Any] = dict(item["metadata"]) if isinstance(item.get("metadata"), Mapping) else {}
    if item.get("timestamp") is not None:
        metadata["timestamp"] = item["timestamp"]
    if role in ("user", "system"):
        msg: dict[str, Any] = {"role": role, "content": text if role == "system" else [{"type": "text", "text": text}]}
    elif role in ("assistant", "tool"):
        parts: list[dict[str, Any]] = []
        calls = {c.get("id"): c for c in item.get("tool_calls") or [] if isinstance(c, Mapping)}
        answered: set[Any] = set()
        for i, res in enumerate(item.get("tool_results") or []):
            if not isinstance(res, Mapping):
                continue
            call_id = res.get("tool_call_id") or f"tool-{i}"
            answered.add(call_id)
            call = calls.get(call_id) or {}
            args = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
            part: dict[str, Any] = {
                "type": "tool-call",
                "toolCallId": str(call_id),
                "toolName": str(res.get("name") or call.get("name") or ""),
                "args": args,
                "argsText": json.dumps(args),
            }
            is_error = "error" in res and "result" not in res
            part["result"] = res.get("error") if is_error else res.get("result")
            part["isError"] = is_error
            parts.append(part)
        for call_id, call in calls.items():
            if call_id in answered:
                continue
            args = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
            parts.append({
                "type": "tool-call",
                "toolCallId": str(call_id),
                "toolName": str(call.get("name") or ""),
                "args": args,
                "argsText": json.dumps(args),
            })
        if text:
            parts.append({"type": "text", "text": text})
        msg = {"role": "assistant", "content": parts}
    else:
        return None
    if metadata:
        msg["metadata"] = metadata
    return msg


def history_messages(payload: Any, warnings: list[str] | None = None) -> list[dict[str, Any]]:
    """The server's ``history`` message as our message dicts (``user``, ``assistant``
    with text and tool-call parts, ``system``). The server's ``tool`` entries (a
    round of tool results) become assistant messages holding the tool calls; an
    entry of an unknown role is dropped with a warning."""
    items = payload.get("messages") if isinstance(payload, Mapping) else None
    if not isinstance(items, list):
        raise ValueError("the history message carries no list of messages")
    out: list[dict[str, Any]] = []
    for item in items:
        msg = _history_message(item) if isinstance(item, Mapping) else None
        if msg is None:
            if warnings is not None:
                warnings.append(f"history entry dropped (unknown shape): {str(item)[:80]!r}")
            continue
        out.append(msg)
    return out


DIALECT = RequestDialect(
    name=API_NAME,
    default_chat_path="",
    build_chat=build_chat_request,
    default_protocol=PROTOCOL,
)
