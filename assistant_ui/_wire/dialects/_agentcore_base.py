"""The message-building side of the ``agentcore`` decoder dialect (README.md, "Bedrock
AgentCore"): steps, text (deltas or whole messages), tool calls and results, usage and errors
as normalized events, whatever wire shape they came in. :mod:`.agentcore` reads the shapes.
"""

from __future__ import annotations

from typing import Any

from ..jsonlib import loads_bounded
from ._tools import ToolTracker

__all__ = ["MessageBuilder", "content_parts", "parse_embedded_sse", "usage_of"]


def parse_embedded_sse(text: str) -> list[tuple[str, Any]] | None:
    """``(event name, data)`` of each event in a string holding SSE text, else ``None``.

    The data is parsed as JSON when it is JSON, else kept as text.
    """
    if "data:" not in text and "event:" not in text:
        return None
    events: list[tuple[str, Any]] = []
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        name, data, seen = "", [], False
        for line in block.split("\n"):
            field, colon, value = line.partition(":")
            if not colon:
                continue
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name, seen = value, True
            elif field == "data":
                data.append(value)
                seen = True
        if not seen:
            continue
        raw = "\n".join(data)
        try:
            value_: Any = loads_bounded(raw)
        except ValueError:
            value_ = raw
        events.append((name, value_))
    return events or None


def content_parts(content: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """``(text, reasoning, tool_use blocks)`` of a LangChain message content."""
    if isinstance(content, str):
        return content, "", []
    text: list[str] = []
    reasoning: list[str] = []
    uses: list[dict[str, Any]] = []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, str):
            text.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in ("text", None) and isinstance(block.get("text"), str):
                text.append(block["text"])
            elif kind in ("thinking", "reasoning"):
                value = block.get(kind)
                if isinstance(value, str):
                    reasoning.append(value)
            elif kind == "tool_use" and isinstance(block.get("id"), str):
                uses.append(block)
    return "".join(text), "".join(reasoning), uses


def usage_of(meta: Any) -> dict[str, int] | None:
    if not isinstance(meta, dict):
        return None
    out = {}
    for src, dst in (("input_tokens", "inputTokens"), ("output_tokens", "outputTokens"), ("total_tokens", "totalTokens")):
        value = meta.get(src)
        if isinstance(value, int) and not isinstance(value, bool):
            out[dst] = value
    return out or None


class MessageBuilder:
    """Normalized events for one answer, with the book-keeping that keeps text from being
    repeated (tokens, then the whole message) and tool results tied to their calls."""

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []
        self._tools = ToolTracker(self.warnings)
        self._step_open = False
        self._step_key: Any = None
        self._step_streamed = False
        self._step_reason = "stop"
        self._step_usage: dict[str, int] = {}
        self._usage: dict[str, int] = {}
        #: ids of messages whose text came as deltas, and of the message being streamed
        self._streamed: set[str] = set()
        self._chunk_id: Any = None
        self._chunk_text = False
        self._chunk_calls: dict[Any, str] = {}
        #: calls without a result yet, oldest first: ``(id, name)``
        self._pending: list[tuple[str, str]] = []
        self._deltas = False
        self._last_text: str | None = None
        self._seen = False
        self._finished = False
        self._errored = False
        self._ids = 0

    # -- building blocks -------------------------------------------------------------------

    def _new_id(self) -> str:
        self._ids += 1
        return f"agentcore-call-{self._ids}"

    def _open_step(self, out: list[Any]) -> None:
        out.append({"type": "step-start"})
        self._step_open = True
        self._step_streamed = False
        self._step_reason = "stop"
        self._step_usage = {}

    def _close_step(self, out: list[Any]) -> None:
        if not self._step_open:
            return
        self._end_chunk_message(out)
        self._step_open = False
        self._step_key = None
        usage = {"inputTokens": 0, "outputTokens": 0, **self._step_usage}
        out.append({"type": "step-finish", "finishReason": self._step_reason, "usage": usage, "isContinued": False})

    def _end_chunk_message(self, out: list[Any]) -> None:
        for key in [k for k in self._chunk_calls if k[0] == self._chunk_id]:
            call_id = self._chunk_calls.pop(key)
            if self._tools.is_open(call_id):
                self._tools.finish(out, call_id)
            self._step_reason = "tool-calls"
        self._chunk_id = None
        self._chunk_text = False

    def _delta(self, text: str, out: list[Any]) -> None:
        if text:
            out.append({"type": "text-delta", "delta": text})
            self._deltas = True
            self._step_streamed = True
            self._last_text = None

    def _whole(self, text: str, out: list[Any]) -> None:
        if text:
            out.append({"type": "text-start"})
            out.append({"type": "text-delta", "delta": text})
            self._last_text = text

    def _call(self, call_id: Any, name: Any, args: Any, out: list[Any]) -> None:
        call_id = call_id if isinstance(call_id, str) and call_id else self._new_id()
        if self._tools.known(call_id):
            return  # already streamed (messages mode), now seen whole
        name = name if isinstance(name, str) else ""
        if isinstance(args, str):
            self._tools.finish(out, call_id, name=name, args_text=args)
        else:
            self._tools.finish(out, call_id, name=name, args=args if isinstance(args, dict) else {})
        self._pending.append((call_id, name))
        self._step_reason = "tool-calls"

    def _result(
        self, call_id: str | None, name: str | None, result: Any, out: list[Any], *,
        is_error: bool = False, artifact: Any = None, node: str | None = None,
    ) -> None:
        if call_id is None:
            match = [c for c in self._pending if name is None or c[1] == name]
            if match:
                call_id, name = match[0]
            else:
                call_id = self._new_id()
                name = name or node or "tool"
        self._pending = [c for c in self._pending if c[0] != call_id]
        if self._tools.is_open(call_id):
            self._tools.finish(out, call_id)
        name = name or self._tools.names.get(call_id) or node
        event: dict[str, Any] = {"type": "tool-result", "toolCallId": call_id, "result": result, "isError": is_error}
        if name:
            event["toolName"] = name
        if artifact is not None:
            event["artifact"] = artifact
        out.append(event)

    def _add_usage(self, meta: Any) -> None:
        usage = usage_of(meta)
        for target in (self._usage, self._step_usage) if usage else ():
            for k, v in usage.items():  # type: ignore[union-attr]
                target[k] = target.get(k, 0) + v

    def _error(self, message: str, code: Any, out: list[Any]) -> None:
        self._close_step(out)
        event: dict[str, Any] = {"type": "error", "error": message}
        if isinstance(code, str) and code:
            event["code"] = code
        out.append(event)
        self._errored = True
