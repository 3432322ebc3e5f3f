"""The ``openai`` and ``openai-json`` encoders (OpenAI chat completions).

``openai``: ``chat.completion.chunk`` SSE, then ``[DONE]``. Carries text deltas
(``content``) and reasoning deltas (``reasoning_content``), both non-empty and
without ``parentId``; tool calls by ``index`` (the ``tool-call`` event that
closes a streamed call sends nothing: the arguments end with the
``finish_reason``); one ``finish`` as the last event (reasons ``stop``,
``length``, ``tool-calls``, ``content-filter``, ``error``, ``other``; usage as the
extra ``include_usage`` chunk); errors (``{"error": {"message", "code"}}``, no
severity). Every chunk carries the completion ``id`` and ``model``, which the
decoder reports as a ``metadata`` event: a ``metadata`` event placed first gives
them (``{"messageId": id, "metadata": {"model": model}}``); otherwise they are
made up, and the decoded message gets that id and model. Not carried: tool
results, sources, files, data, annotations, state, steps.

``openai-json``: the non-streaming ``chat.completion``, the whole answer as one
document: reasoning and text each concatenated, the tool calls after them, the
last ``finish`` reason and usage. It round-trips only lists in that order
(reasoning, then text, then tool calls). The wire formats are described in
docs/wire-formats.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from .base import (
    IDS,
    Encoder,
    ToolState,
    args_text,
    put_opt,
    sse_line,
    usage_dict,
)

__all__ = ["OpenAIEncoder", "openai_document"]


#: normalized finish reason -> OpenAI ``finish_reason``
_OPENAI_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool-calls": "tool_calls",
    "content-filter": "content_filter",
    "error": "error",
}


def _openai_usage(usage: Any) -> dict[str, Any]:
    u = usage_dict(usage)
    out: dict[str, Any] = {
        "prompt_tokens": u.get("inputTokens", 0),
        "completion_tokens": u.get("outputTokens", 0),
    }
    if "totalTokens" in u:
        out["total_tokens"] = u["totalTokens"]
    return out


class OpenAIEncoder(Encoder):
    format = "openai"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.id = f"chatcmpl-fake{next(IDS)}"
        self.model = "assistant-ui-testing"
        self.created = int(time.time())
        self.begun = False
        self.tools: dict[str, ToolState] = {}

    def event(self, ev: Mapping[str, Any]) -> str:
        if not self.begun and ev.get("type") == "metadata":
            # a leading metadata event names the completion: no bytes of its own
            if isinstance(ev.get("messageId"), str) and ev["messageId"]:
                self.id = ev["messageId"]
            meta = ev.get("metadata")
            if isinstance(meta, dict) and isinstance(meta.get("model"), str):
                self.model = meta["model"]
            return ""
        text = super().event(ev)
        if text and not self.begun:
            text = self._begin() + text
        return text

    def _begin(self) -> str:
        self.begun = True
        return self.chunk({"role": "assistant", "content": ""})

    def chunk(self, delta: dict[str, Any] | None, finish_reason: str | None = None,
              **extra: Any) -> str:
        value: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }
        if delta is None:
            value["choices"] = []
        else:
            value["choices"] = [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ]
        value.update(extra)
        return sse_line(value)

    def on_metadata(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(self.unsupported(ev))

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(self.chunk({"content": ev["delta"]}))

    def on_reasoning_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(self.chunk({"reasoning_content": ev["delta"]}))

    def _start(self, call_id: str, name: str, arguments: str, out: list[str]) -> ToolState:
        tool = self.tools[call_id] = ToolState(name, len(self.tools))
        fragment = {"index": tool.index, "id": call_id, "type": "function",
                    "function": {"name": name, "arguments": arguments}}
        out.append(self.chunk({"tool_calls": [fragment]}))
        return tool

    def on_tool_call_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        if ev["toolCallId"] not in self.tools:
            self._start(ev["toolCallId"], ev.get("toolName") or "", "", out)

    def on_tool_call_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        tool = self.tools.get(ev["toolCallId"])
        delta = ev.get("argsTextDelta") or ""
        if tool is not None and tool.open and delta:
            fragment = {"index": tool.index, "function": {"arguments": delta}}
            out.append(self.chunk({"tool_calls": [fragment]}))

    def on_tool_call(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            text = ev.get("argsText")
            if not isinstance(text, str):
                text = args_text(ev)
            tool = self._start(call_id, ev.get("toolName") or "", text, out)
        tool.open = False  # the arguments end with the finish_reason

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        reason = str(ev.get("finishReason") or "other")
        out.append(self.chunk({}, _OPENAI_REASONS.get(reason, "other")))
        if "usage" in ev:
            out.append(self.chunk(None, usage=_openai_usage(ev["usage"])))

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        error = put_opt({"message": str(ev.get("error", ""))}, "code", ev.get("code"))
        out.append(sse_line({"error": error}))

    def end(self) -> str:
        head = "" if self.begun else self._begin()
        return head + "data: [DONE]\n\n"


def openai_document(events: Iterable[Mapping[str, Any]], strict: bool) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` for a list of events."""
    completion_id = f"chatcmpl-fake{next(IDS)}"
    model = "assistant-ui-testing"
    text: list[str] = []
    reasoning: list[str] = []
    calls: dict[str, dict[str, Any]] = {}
    reason: str | None = None
    usage: Any = None
    error: dict[str, Any] | None = None
    for i, ev in enumerate(events):
        kind = ev.get("type")
        if kind == "metadata" and i == 0:
            if isinstance(ev.get("messageId"), str) and ev["messageId"]:
                completion_id = ev["messageId"]
            meta = ev.get("metadata")
            if isinstance(meta, dict) and isinstance(meta.get("model"), str):
                model = meta["model"]
        elif kind == "text-delta":
            text.append(ev["delta"])
        elif kind == "reasoning-delta":
            reasoning.append(ev["delta"])
        elif kind in ("tool-call-start", "tool-call-delta", "tool-call"):
            call_id = ev["toolCallId"]
            call = calls.get(call_id)
            if call is None:
                call = calls[call_id] = {"id": call_id, "type": "function",
                                         "function": {"name": ev.get("toolName") or "",
                                                      "arguments": ""}}
            fn = call["function"]
            if kind == "tool-call-delta":
                fn["arguments"] += ev.get("argsTextDelta") or ""
            elif kind == "tool-call" and not fn["arguments"]:
                fn["arguments"] = args_text(ev)
        elif kind == "finish":
            reason = _OPENAI_REASONS.get(str(ev.get("finishReason") or "other"), "other")
            if "usage" in ev:
                usage = _openai_usage(ev["usage"])
        elif kind == "error":
            error = put_opt({"message": str(ev.get("error", ""))}, "code", ev.get("code"))
        elif strict:
            raise ValueError(f"the openai-json format cannot carry a {kind!r} event")
    if error is not None:
        return {"error": error}
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) if text else None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = list(calls.values())
    doc: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": reason or ("tool_calls" if calls else "stop")}],
    }
    if usage is not None:
        doc["usage"] = usage
    return doc
