"""The ``ui-message-stream`` encoder (AI SDK UI message stream, ``x-vercel-ai-ui-message-stream: v1``).

Carries text and reasoning deltas (non-empty; no ``parentId``), tool calls
(``tool-input-start`` / ``-delta`` / ``-available``), results
(``tool-output-available``, or ``tool-output-error`` when ``isError``: the
result is then sent as ``errorText``, a string, JSON-encoded when it is not one;
no artifact), url sources (``source-url``, no parentId), files (``file``, no
parentId), named data parts (``data-<name>``, with ``id``; no parentId),
``metadata`` events that carry only ``metadata`` (``message-metadata``), steps
(the first ``step-start`` becomes ``start`` + ``start-step``; step ids other
than the message id are sent as a ``messageId`` field on ``start-step``; a
``step-start`` without an id after one with an id cannot be told apart),
``finish-step``, ``finish`` (reason and usage as extra fields) and errors
(``errorText`` only), then ``data: [DONE]``. Not carried: ``text-start``,
``reasoning-start``, unnamed data, annotations, state updates, ``raw``. The
wire format is described in docs/wire-formats.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._wire.dialects._tools import parse_args
from .base import (
    Encoder,
    Parts,
    ToolState,
    args_text,
    dumps,
    put_opt,
    sse_line,
    usage_dict,
)

__all__ = ["UIMessageStreamEncoder"]


class UIMessageStreamEncoder(Encoder):
    format = "ui-message-stream"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.parts = Parts()
        self.part_id: str | None = None  # id of the open text/reasoning part
        self.n = 0
        self.started = False
        self.message_id: Any = None
        self.tools: dict[str, ToolState] = {}

    def headers(self) -> dict[str, str]:
        return {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "x-vercel-ai-ui-message-stream": "v1",
            "x-accel-buffering": "no",
        }

    def _end_part(self, out: list[str]) -> None:
        if self.part_id is not None:
            out.append(sse_line({"type": f"{self.parts.kind}-end", "id": self.part_id}))
        self.part_id = None
        self.parts.kind = None

    def _text_like(self, kind: str, ev: Mapping[str, Any], out: list[str]) -> None:
        if self.part_id is None or self.parts.kind != kind:
            self._end_part(out)
            self.n += 1
            self.part_id = f"{kind[:4]}_{self.n}"
            self.parts.kind = kind
            out.append(sse_line({"type": f"{kind}-start", "id": self.part_id}))
        out.append(sse_line({"type": f"{kind}-delta", "id": self.part_id, "delta": ev["delta"]}))

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._text_like("text", ev, out)

    def on_reasoning_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._text_like("reasoning", ev, out)

    # -- tools --------------------------------------------------------------------

    def _start(self, call_id: str, name: str, out: list[str]) -> ToolState:
        self._end_part(out)
        tool = self.tools[call_id] = ToolState(name, len(self.tools))
        out.append(sse_line({"type": "tool-input-start", "toolCallId": call_id, "toolName": name}))
        return tool

    def _available(self, call_id: str, tool: ToolState, out: list[str], args: Any = None) -> None:
        if not isinstance(args, dict):
            args = parse_args("".join(tool.text))
        out.append(sse_line({"type": "tool-input-available", "toolCallId": call_id,
                            "toolName": tool.name, "input": args}))
        tool.open = False

    def _close_all(self, out: list[str]) -> None:
        for call_id, tool in self.tools.items():
            if tool.open:
                self._available(call_id, tool, out)

    def on_tool_call_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        if ev["toolCallId"] not in self.tools:
            self._start(ev["toolCallId"], ev.get("toolName") or "", out)

    def on_tool_call_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        tool = self.tools.get(ev["toolCallId"])
        delta = ev.get("argsTextDelta") or ""
        if tool is not None and tool.open and delta:
            tool.text.append(delta)
            out.append(sse_line({"type": "tool-input-delta", "toolCallId": ev["toolCallId"],
                                "inputTextDelta": delta}))

    def on_tool_call(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            tool = self._start(call_id, ev.get("toolName") or "", out)
            text = args_text(ev)
            tool.text.append(text)
            out.append(sse_line({"type": "tool-input-delta", "toolCallId": call_id,
                                "inputTextDelta": text}))
        elif not tool.open:
            return
        self._available(call_id, tool, out, ev.get("args"))

    def on_tool_result(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            if not ev.get("toolName"):
                return
            tool = self._start(call_id, ev["toolName"], out)
        if tool.open:
            self._available(call_id, tool, out)
        result = ev.get("result")
        if ev.get("isError"):
            text = result if isinstance(result, str) else dumps(result)
            out.append(sse_line({"type": "tool-output-error", "toolCallId": call_id, "errorText": text}))
        else:
            out.append(sse_line({"type": "tool-output-available", "toolCallId": call_id,
                                "output": result}))

    # -- other parts ------------------------------------------------------------------

    def on_source(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._end_part(out)
        chunk = {"type": "source-url", "sourceId": ev.get("id", ""), "url": ev["url"]}
        out.append(sse_line(put_opt(chunk, "title", ev.get("title"))))

    def on_file(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._end_part(out)
        out.append(sse_line({"type": "file", "url": ev["data"], "mediaType": ev["mimeType"]}))

    def on_data(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("name")
        if not isinstance(name, str):
            out.append(self.unsupported(ev))
            return
        if not self.parts.is_replace(ev):
            self._end_part(out)
        chunk: dict[str, Any] = {"type": f"data-{name}"}
        put_opt(chunk, "id", ev.get("id"))
        chunk["data"] = ev.get("data")
        out.append(sse_line(chunk))

    # -- message level ------------------------------------------------------------------

    def on_metadata(self, ev: Mapping[str, Any], out: list[str]) -> None:
        meta = ev.get("metadata")
        if isinstance(meta, dict):
            out.append(sse_line({"type": "message-metadata", "messageMetadata": meta}))

    def on_step_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        message_id = ev.get("messageId")
        if not self.started:
            self.started = True
            self.message_id = message_id
            out.append(sse_line(put_opt({"type": "start"}, "messageId", message_id)))
            out.append(sse_line({"type": "start-step"}))
            return
        chunk: dict[str, Any] = {"type": "start-step"}
        if isinstance(message_id, str) and message_id != self.message_id:
            chunk["messageId"] = message_id
        out.append(sse_line(chunk))

    def on_step_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        self._end_part(out)
        out.append(sse_line({
            "type": "finish-step",
            "finishReason": ev.get("finishReason") or "unknown",
            "usage": usage_dict(ev.get("usage")),
            "isContinued": bool(ev.get("isContinued", False)),
        }))

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        self._end_part(out)
        chunk: dict[str, Any] = {"type": "finish", "finishReason": ev.get("finishReason") or "unknown"}
        if "usage" in ev:
            chunk["usage"] = usage_dict(ev["usage"])
        out.append(sse_line(chunk))

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(sse_line({"type": "error", "errorText": str(ev.get("error", ""))}))

    def end(self) -> str:
        out: list[str] = []
        self._close_all(out)
        self._end_part(out)
        out.append("data: [DONE]\n\n")
        return "".join(out)
