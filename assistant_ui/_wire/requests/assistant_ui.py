"""The ``assistant-ui`` request dialect (docs/wire-formats.md §12.1): ``POST {base}/api/chat``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    ChatRequest,
    RequestDialect,
    RequestSpec,
    merge_fields,
    normalize_tools,
    validate_messages,
)

__all__ = ["build_cancel_request", "build_chat_request", "message_to_command_parts", "messages_to_commands"]


def message_to_command_parts(message: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split a message's content into parts a command can carry and parts it cannot."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}], []
    kept: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    role = message.get("role")
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            kept.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image" and role == "user":
            kept.append({"type": "image", "image": part.get("image")})
        else:
            rest.append(dict(part))
    return kept, rest


def messages_to_commands(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Legacy messages to commands: system dropped, user text/image and assistant text
    become ``add-message``, tool results become ``add-tool-result`` (artifact null).

    What a command cannot express (files, tool calls, system prompts) is not lost: the
    messages themselves are sent too.
    """
    commands: list[dict[str, Any]] = []
    for msg in messages:
        role = msg["role"]
        if role in ("user", "assistant"):
            parts, _ = message_to_command_parts(msg)
            if parts:
                commands.append({"type": "add-message", "message": {"role": role, "parts": parts}})
        elif role == "tool":
            for part in msg.get("content") or []:
                if part.get("type") != "tool-result":
                    continue
                commands.append(
                    {
                        "type": "add-tool-result",
                        "toolCallId": part.get("toolCallId"),
                        "toolName": part.get("toolName"),
                        "result": part.get("result"),
                        "isError": bool(part.get("isError", False)),
                        "artifact": part.get("artifact"),
                    }
                )
    return commands


def build_chat_request(req: ChatRequest) -> RequestSpec:
    path, thread_id, messages, commands = req.path, req.thread_id, req.messages, req.commands
    system, tools, run_config, state = req.system, req.tools, req.run_config, req.state
    assistant_message_id, extra = req.assistant_message_id, req.extra
    msgs = validate_messages(messages) if messages is not None else None
    all_commands: list[dict[str, Any]] = []
    if msgs:
        all_commands.extend(messages_to_commands(msgs))
    if commands:
        all_commands.extend(dict(c) for c in commands)
    body: dict[str, Any] = {"threadId": thread_id, "commands": all_commands}
    if msgs is not None:
        body["messages"] = msgs
    optional = {
        "system": system,
        "tools": normalize_tools(tools),
        "runConfig": run_config,
        "state": state,
        "unstable_assistantMessageId": assistant_message_id,
    }
    return RequestSpec("POST", path, merge_fields(body, optional, extra or {}))


def build_cancel_request(*, path: str, thread_id: str) -> RequestSpec:
    return RequestSpec("POST", path, {"threadId": thread_id})


DIALECT = RequestDialect(
    "assistant-ui",
    "/api/chat",
    build_chat_request,
    build_cancel=lambda path, thread_id: build_cancel_request(path=path, thread_id=thread_id),
)
