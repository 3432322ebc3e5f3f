"""The ``data-stream`` encoder (assistant-ui data stream, ``x-vercel-ai-data-stream: v1``).

Carries text and reasoning deltas (``0``/``g``, or ``aui-text-delta`` /
``aui-reasoning-delta`` with a ``parentId``), ``reasoning-start``
(``aui-reasoning-part-start``, summary and parentId), tool calls (``b``, ``c``
with ``isFinal``; a call never streamed is sent as ``b`` + one final ``c`` so
that its exact ``argsText`` survives), results (``a``: result, isError,
artifact), sources (``h``), files (``k``), named data parts (``aui-data``),
unnamed data (``2``), annotations (``8``), state updates (``aui-state``), steps
(``f``/``e``), finish (``d``) and errors (``3``: the message only, no code or
severity). Not carried: ``text-start``, ``metadata``, ``raw``. Open tool
arguments are closed (``c`` with ``isFinal``) before ``e``, ``d`` and at the
end, like the Python and TypeScript encoders do. The wire format is described
in docs/wire-formats.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    Encoder,
    ToolState,
    args_text,
    dumps,
    put_opt,
    usage_dict,
)

__all__ = ["DataStreamEncoder"]


class DataStreamEncoder(Encoder):
    format = "data-stream"
    content_type = "text/plain; charset=utf-8"
    heartbeat = b"\n"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.tools: dict[str, ToolState] = {}

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type, "x-vercel-ai-data-stream": "v1"}

    @staticmethod
    def line(out: list[str], code: str, value: Any) -> None:
        out.append(f"{code}:{dumps(value)}\n")

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        parent = ev.get("parentId")
        if parent is None:
            self.line(out, "0", ev["delta"])
        else:
            self.line(out, "aui-text-delta", {"textDelta": ev["delta"], "parentId": parent})

    def on_reasoning_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        parent = ev.get("parentId")
        if parent is None:
            self.line(out, "g", ev["delta"])
        else:
            self.line(out, "aui-reasoning-delta", {"reasoningDelta": ev["delta"], "parentId": parent})

    def on_reasoning_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        value = put_opt({}, "unstable_summary", ev.get("summary"))
        self.line(out, "aui-reasoning-part-start", put_opt(value, "parentId", ev.get("parentId")))

    def _start(self, ev: Mapping[str, Any], out: list[str]) -> ToolState:
        call_id = ev["toolCallId"]
        name = ev.get("toolName") or ""
        tool = self.tools[call_id] = ToolState(name, len(self.tools))
        value = {"toolCallId": call_id, "toolName": name}
        self.line(out, "b", put_opt(value, "parentId", ev.get("parentId")))
        return tool

    def _close(self, call_id: str, tool: ToolState, out: list[str], text: str = "") -> None:
        if not text and not tool.text:
            text = "{}"  # so that decoders predating isFinal still get valid JSON
        self.line(out, "c", {"toolCallId": call_id, "argsTextDelta": text, "isFinal": True})
        tool.open = False

    def _close_all(self, out: list[str]) -> None:
        for call_id, tool in self.tools.items():
            if tool.open:
                self._close(call_id, tool, out)

    def on_tool_call_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        if ev["toolCallId"] not in self.tools:
            self._start(ev, out)

    def on_tool_call_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        tool = self.tools.get(ev["toolCallId"])
        if tool is not None and tool.open:
            delta = ev.get("argsTextDelta") or ""
            self.line(out, "c", {"toolCallId": ev["toolCallId"], "argsTextDelta": delta})
            if delta:
                tool.text.append(delta)

    def on_tool_call(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            tool = self._start(ev, out)
            self._close(call_id, tool, out, args_text(ev))
        elif tool.open:
            self._close(call_id, tool, out)

    def on_tool_result(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            if not ev.get("toolName"):
                return  # the accumulator drops a result for a call it never saw
            tool = self._start(ev, out)
        tool.open = False  # a result settles the call without a final "c"
        value: dict[str, Any] = {"toolCallId": call_id, "result": ev.get("result")}
        if ev.get("isError"):
            value["isError"] = True
        self.line(out, "a", put_opt(value, "artifact", ev.get("artifact")))

    def on_source(self, ev: Mapping[str, Any], out: list[str]) -> None:
        value = {k: v for k, v in ev.items() if k != "type" and v is not None}
        value.setdefault("sourceType", "url")
        self.line(out, "h", value)

    def on_file(self, ev: Mapping[str, Any], out: list[str]) -> None:
        value = {"data": ev["data"], "mimeType": ev["mimeType"]}
        self.line(out, "k", put_opt(value, "parentId", ev.get("parentId")))

    def on_data(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("name")
        if name is None:
            data = ev.get("data")
            self.line(out, "2", data if isinstance(data, list) else [data])
            return
        value: dict[str, Any] = {"name": name, "data": ev.get("data")}
        put_opt(value, "id", ev.get("id"))
        self.line(out, "aui-data", put_opt(value, "parentId", ev.get("parentId")))

    def on_annotations(self, ev: Mapping[str, Any], out: list[str]) -> None:
        ann = ev.get("annotations")
        self.line(out, "8", ann if isinstance(ann, list) else [ann])

    def on_state_update(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self.line(out, "aui-state", list(ev.get("operations") or []))

    def on_step_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self.line(out, "f", put_opt({}, "messageId", ev.get("messageId")))

    def on_step_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        value = {
            "finishReason": ev.get("finishReason") or "unknown",
            "usage": usage_dict(ev.get("usage")),
            "isContinued": bool(ev.get("isContinued", False)),
        }
        self.line(out, "e", value)

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        value: dict[str, Any] = {"finishReason": ev.get("finishReason") or "unknown"}
        if "usage" in ev:
            value["usage"] = usage_dict(ev["usage"])
        self.line(out, "d", value)

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self.line(out, "3", str(ev.get("error", "")))

    def end(self) -> str:
        out: list[str] = []
        self._close_all(out)
        return "".join(out)
