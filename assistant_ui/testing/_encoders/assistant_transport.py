"""The ``assistant-transport`` encoder (canonical chunks as SSE, then ``data: [DONE]``).

Carries everything the data stream carries, plus ``text-start``, and errors
keep their ``code`` and ``severity``. Parts are addressed by ``path``; text and
reasoning parts get a ``part-finish`` when the next part starts. Not carried:
``metadata``, ``raw``. The wire format is described in docs/wire-formats.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    Encoder,
    Parts,
    ToolState,
    args_text,
    put_opt,
    sse_line,
    usage_dict,
)

__all__ = ["AssistantTransportEncoder"]


class AssistantTransportEncoder(Encoder):
    format = "assistant-transport"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.parts = Parts()
        self.count = 0  # part-starts sent: the next part's index
        self.target: int | None = None  # index of the text/reasoning part being extended
        self.tools: dict[str, ToolState] = {}

    # -- parts --------------------------------------------------------------------

    def _end_target(self, out: list[str]) -> None:
        if self.target is not None:
            out.append(sse_line({"type": "part-finish", "path": [self.target]}))
        self.target = None
        self.parts.kind = self.parts.parent = None

    def _part_start(self, part: dict[str, Any], out: list[str], *, ends_target: bool = True) -> int:
        if ends_target:
            self._end_target(out)
        out.append(sse_line({"type": "part-start", "part": part, "path": []}))
        index = self.count
        self.count += 1
        return index

    def _text_like(self, kind: str, ev: Mapping[str, Any], out: list[str]) -> None:
        parent = ev.get("parentId")
        if self.target is None or not self.parts.extends(kind, parent):
            self._open_text(kind, parent, None, out)
        out.append(sse_line({"type": "text-delta", "textDelta": ev["delta"], "path": [self.target]}))

    def _open_text(self, kind: str, parent: Any, summary: Any, out: list[str]) -> None:
        part = put_opt({"type": kind}, "unstable_summary", summary)
        self.target = self._part_start(put_opt(part, "parentId", parent), out)
        self.parts.kind, self.parts.parent = kind, parent

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._text_like("text", ev, out)

    def on_reasoning_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._text_like("reasoning", ev, out)

    def on_text_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._open_text("text", ev.get("parentId"), None, out)

    def on_reasoning_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._open_text("reasoning", ev.get("parentId"), ev.get("summary"), out)

    # -- tools --------------------------------------------------------------------

    def _start(self, ev: Mapping[str, Any], out: list[str]) -> ToolState:
        call_id = ev["toolCallId"]
        name = ev.get("toolName") or ""
        part = {"type": "tool-call", "toolCallId": call_id, "toolName": name}
        index = self._part_start(put_opt(part, "parentId", ev.get("parentId")), out)
        tool = self.tools[call_id] = ToolState(name, index)
        return tool

    def _finish_args(self, tool: ToolState, out: list[str]) -> None:
        if not tool.text:
            out.append(sse_line({"type": "text-delta", "textDelta": "{}", "path": [tool.index]}))
        out.append(sse_line({"type": "tool-call-args-text-finish", "path": [tool.index]}))
        tool.open = False

    def on_tool_call_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        if ev["toolCallId"] not in self.tools:
            self._start(ev, out)

    def on_tool_call_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        tool = self.tools.get(ev["toolCallId"])
        delta = ev.get("argsTextDelta") or ""
        if tool is not None and tool.open and delta:
            tool.text.append(delta)
            out.append(sse_line({"type": "text-delta", "textDelta": delta, "path": [tool.index]}))

    def on_tool_call(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            tool = self._start(ev, out)
            text = args_text(ev)
            tool.text.append(text)
            out.append(sse_line({"type": "text-delta", "textDelta": text, "path": [tool.index]}))
        elif not tool.open:
            return
        self._finish_args(tool, out)
        out.append(sse_line({"type": "part-finish", "path": [tool.index]}))

    def on_tool_result(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            if not ev.get("toolName"):
                return
            tool = self._start(ev, out)
        was_open = tool.open
        if was_open:
            self._finish_args(tool, out)
        chunk: dict[str, Any] = {"type": "result", "result": ev.get("result"),
                                 "isError": bool(ev.get("isError", False))}
        put_opt(chunk, "artifact", ev.get("artifact"))
        chunk["path"] = [tool.index]
        out.append(sse_line(chunk))
        if was_open:
            out.append(sse_line({"type": "part-finish", "path": [tool.index]}))

    # -- other parts ------------------------------------------------------------------

    def on_source(self, ev: Mapping[str, Any], out: list[str]) -> None:
        part = {k: v for k, v in ev.items() if k != "type" and v is not None}
        part = {"type": "source", "sourceType": part.pop("sourceType", "url"), **part}
        index = self._part_start(part, out)
        out.append(sse_line({"type": "part-finish", "path": [index]}))

    def on_file(self, ev: Mapping[str, Any], out: list[str]) -> None:
        part = {"type": "file", "data": ev["data"], "mimeType": ev["mimeType"]}
        index = self._part_start(put_opt(part, "parentId", ev.get("parentId")), out)
        out.append(sse_line({"type": "part-finish", "path": [index]}))

    def on_data(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("name")
        if name is None:
            data = ev.get("data")
            out.append(sse_line({"type": "data", "data": data if isinstance(data, list) else [data]}))
            return
        part: dict[str, Any] = {"type": "data", "name": name, "data": ev.get("data")}
        put_opt(part, "id", ev.get("id"))
        put_opt(part, "parentId", ev.get("parentId"))
        replace = self.parts.is_replace(ev)
        index = self._part_start(part, out, ends_target=not replace)
        out.append(sse_line({"type": "part-finish", "path": [index]}))

    # -- message level ------------------------------------------------------------------

    def on_annotations(self, ev: Mapping[str, Any], out: list[str]) -> None:
        ann = ev.get("annotations")
        out.append(sse_line({"type": "annotations", "annotations": ann if isinstance(ann, list) else [ann]}))

    def on_state_update(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(sse_line({"type": "update-state", "operations": list(ev.get("operations") or [])}))

    def on_step_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(sse_line(put_opt({"type": "step-start"}, "messageId", ev.get("messageId"))))

    def on_step_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(sse_line({
            "type": "step-finish",
            "finishReason": ev.get("finishReason") or "unknown",
            "usage": usage_dict(ev.get("usage")),
            "isContinued": bool(ev.get("isContinued", False)),
        }))

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        chunk: dict[str, Any] = {"type": "message-finish",
                                 "finishReason": ev.get("finishReason") or "unknown"}
        if "usage" in ev:
            chunk["usage"] = usage_dict(ev["usage"])
        out.append(sse_line(chunk))

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        chunk: dict[str, Any] = {"type": "error", "error": str(ev.get("error", ""))}
        put_opt(chunk, "code", ev.get("code"))
        out.append(sse_line(put_opt(chunk, "severity", ev.get("severity"))))

    def end(self) -> str:
        out: list[str] = []
        self._end_target(out)
        out.append("data: [DONE]\n\n")
        return "".join(out)
