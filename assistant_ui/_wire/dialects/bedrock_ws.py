"""The WebSocket chat of auto-bedrock-chat-fastapi, server side (docs/wire-formats.md §16).

The WebSocket transport hands over each JSON text message of a chat turn as one line
(so the framing is ``lines``). What each message becomes:

=========================  ===============================================================
``type``                   normalized events
=========================  ===============================================================
``connection_established`` a transient ``data`` event ``connection-established``
``typing``                 ``progress`` (its ``message``)
``ai_response``            ``metadata`` (the model), for each ``tool_results`` entry a
                           ``tool-call`` (arguments from the matching ``tool_calls``
                           entry) and its ``tool-result`` (``error`` entries are
                           ``isError``), the remaining ``tool_calls``, the ``message``
                           as text, and ``finish`` (``metadata.stop_reason``,
                           ``metadata.usage``); with ``"error": true`` an ``error``
                           event instead of the text and the finish
``error``                  ``error`` (its ``message``)
anything else              a transient ``data`` event named after its ``type``
=========================  ===============================================================

A line the transport adds itself, ``{"type": "assistant-ui.reconnected"}``, says the
thread's connection had been lost and a new one (a new server session) was opened: it
becomes a warning.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..jsonlib import DEFAULT_MAX_DEPTH, JSON_ERRORS, loads, too_deep
from ..usage import normalize_usage
from .base import UnitError

__all__ = ["RECONNECTED", "BedrockWSDialect", "finish_reason"]

#: the line the transport adds when it had to open a new connection for the thread
RECONNECTED = "assistant-ui.reconnected"

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "stop": "stop",
    "max_tokens": "length",
    "length": "length",
    "tool_use": "tool-calls",
    "tool_calls": "tool-calls",
    "content_filtered": "content-filter",
    "guardrail_intervened": "content-filter",
}


def finish_reason(stop_reason: Any) -> str:
    """Bedrock's ``stop_reason`` as our finish reason (an unknown one passes through)."""
    if not isinstance(stop_reason, str) or not stop_reason:
        return "stop"
    return _STOP_REASONS.get(stop_reason, stop_reason)


def _args(call: Mapping[str, Any]) -> dict[str, Any]:
    args = call.get("arguments", call.get("input"))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return {}
    return args if isinstance(args, dict) else {}


class BedrockWSDialect:
    name = "bedrock-ws"
    #: a message whose JSON nests deeper is a UnitError (the decoder sets it)
    max_json_depth = DEFAULT_MAX_DEPTH

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []
        self._calls = 0

    def feed(self, units: Sequence[bytes], out: list[Any]) -> None:
        for index, line in enumerate(units):
            if not line or line.isspace():
                continue
            if len(line) > self.max_json_depth and too_deep(line, self.max_json_depth):
                raise UnitError(f"JSON nested deeper than {self.max_json_depth} levels", index=index)
            try:
                value = loads(line)
            except JSON_ERRORS:
                raise UnitError(
                    f"a WebSocket message is not JSON: {line[:80].decode('utf-8', 'replace')!r}",
                    index=index,
                ) from None
            if not isinstance(value, dict):
                self.warnings.append(f"bedrock-ws: a message that is not an object dropped: {str(value)[:80]!r}")
                continue
            self.message(value, out)

    def end(self, out: list[Any], *, done: bool = False) -> None:
        return None

    def message(self, msg: dict[str, Any], out: list[Any]) -> None:
        kind = msg.get("type")
        if kind == "typing":
            text = msg.get("message")
            ev: dict[str, Any] = {"type": "progress", "message": text if isinstance(text, str) else ""}
            if isinstance(msg.get("timestamp"), str):
                ev["timestamp"] = msg["timestamp"]
            out.append(ev)
        elif kind == "ai_response":
            self._answer(msg, out)
        elif kind == "error":
            text = msg.get("message")
            out.append({"type": "error", "error": text if isinstance(text, str) else json.dumps(text)})
        elif kind == RECONNECTED:
            self.warnings.append(
                "the thread's WebSocket connection had closed; a new one was opened, so the "
                "server-held conversation started over"
                + (f" ({msg['reason']})" if isinstance(msg.get("reason"), str) else "")
            )
        elif kind == "connection_established":
            out.append({"type": "data", "name": "connection-established", "data": msg, "transient": True})
        else:
            name = kind if isinstance(kind, str) and kind else "message"
            out.append({"type": "data", "name": name, "data": msg, "transient": True})

    def _answer(self, msg: dict[str, Any], out: list[Any]) -> None:
        metadata = msg.get("metadata") if isinstance(msg.get("metadata"), Mapping) else {}
        assert isinstance(metadata, Mapping)
        custom = {k: metadata[k] for k in ("model",) if k in metadata}
        if custom:
            out.append({"type": "metadata", "metadata": custom})
        self._tools(msg, out)
        text = msg.get("message")
        if not isinstance(text, str):
            text = "" if text is None else json.dumps(text)
        if msg.get("error") is True:
            out.append({"type": "error", "error": text or "the server reported an error"})
            return
        if text:
            out.append({"type": "text-delta", "delta": text})
        finish: dict[str, Any] = {"type": "finish", "finishReason": finish_reason(metadata.get("stop_reason"))}
        usage = normalize_usage(dict(metadata["usage"]) if isinstance(metadata.get("usage"), Mapping) else None,
                                self.warnings)
        if usage is not None:  # only counts the server sent
            finish["usage"] = usage
        out.append(finish)

    def _tools(self, msg: dict[str, Any], out: list[Any]) -> None:
        raw_calls = msg.get("tool_calls")
        calls = [c for c in raw_calls if isinstance(c, Mapping)] if isinstance(raw_calls, list) else []
        by_id = {c.get("id"): c for c in calls if c.get("id") is not None}
        answered: set[Any] = set()
        results = msg.get("tool_results")
        for res in results if isinstance(results, list) else []:
            if not isinstance(res, Mapping):
                self.warnings.append(f"bedrock-ws: a tool result that is not an object dropped: {str(res)[:80]!r}")
                continue
            call_id = res.get("tool_call_id")
            answered.add(call_id)
            call = by_id.get(call_id, {})
            name = res.get("name") or call.get("name") or ""
            tool_id = self._call(str(call_id) if call_id else None, str(name), _args(call), out)
            is_error = "error" in res and "result" not in res
            out.append({
                "type": "tool-result",
                "toolCallId": tool_id,
                "toolName": str(name),
                "result": res.get("error") if is_error else res.get("result"),
                "isError": is_error,
            })
        for call in calls:
            if call.get("id") is not None and call.get("id") in answered:
                continue
            call_id = call.get("id")
            self._call(str(call_id) if call_id else None, str(call.get("name") or ""), _args(call), out)

    def _call(self, call_id: str | None, name: str, args: dict[str, Any], out: list[Any]) -> str:
        self._calls += 1
        tool_id = call_id or f"ws-tool-{self._calls}"
        out.append({
            "type": "tool-call",
            "toolCallId": tool_id,
            "toolName": name,
            "args": args,
            "argsText": json.dumps(args, ensure_ascii=False),
        })
        return tool_id
