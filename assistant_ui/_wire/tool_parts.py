"""The tool-call parts of the message being accumulated (docs/wire-formats.md §3).

A part of :class:`~.accumulator.MessageAccumulator`, kept in a module of its own: the
handlers of the ``tool-call-start``, ``tool-call-delta``, ``tool-call``,
``tool-result`` and ``tool-approval`` events. Arguments stay fragments until
someone reads them (:class:`~.message_parts.ToolState`).
"""

from __future__ import annotations

from typing import Any

from .message_parts import ToolState
from .partial_json import parse_partial_object
from .snapshots import MessageSnapshots

__all__ = ["ToolCallParts"]


class ToolCallParts(MessageSnapshots):
    """The tool-call handlers; the accumulator provides the parts they go into."""

    __slots__ = ("_open_tools", "_tools")

    _parts: list[dict[str, Any]]
    _tools: dict[str, ToolState]
    _open_tools: dict[str, ToolState]

    @property
    def warnings(self) -> list[str]:
        """Problems met (the accumulator's list)."""
        raise NotImplementedError

    def _append_part(self, part: dict[str, Any]) -> None:
        raise NotImplementedError

    def _new_tool(self, ev: dict[str, Any]) -> ToolState:
        part: dict[str, Any] = {
            "type": "tool-call",
            "toolCallId": ev["toolCallId"],
            "toolName": ev.get("toolName") or "",
            "args": {},
            "argsText": "",
        }
        if ev.get("parentId") is not None:
            part["parentId"] = ev["parentId"]
        self._append_part(part)
        tool = ToolState(part, len(self._parts) - 1)
        self._tools[ev["toolCallId"]] = tool
        return tool

    def _on_tool_call_start(self, ev: dict[str, Any]) -> None:
        if ev["toolCallId"] in self._tools:
            self.warnings.append(f"duplicate tool call id {ev['toolCallId']!r} dropped")
            return
        tool = self._new_tool(ev)
        self._open_tools[ev["toolCallId"]] = tool

    def _on_tool_call_delta(self, ev: dict[str, Any]) -> None:
        tool = self._open_tools.get(ev["toolCallId"])
        if tool is None:
            self.warnings.append(f"arguments for unknown or closed tool call {ev['toolCallId']!r} dropped")
            return
        delta = ev["argsTextDelta"]
        if delta:
            tool.frags.append(delta)

    def _on_tool_call(self, ev: dict[str, Any]) -> None:
        call_id = ev["toolCallId"]
        tool = self._tools.get(call_id)
        if tool is None:
            tool = self._new_tool(ev)
        elif ev.get("toolName") and not tool.part["toolName"]:
            tool.part["toolName"] = ev["toolName"]
        self._open_tools.pop(call_id, None)
        self._mark(tool.index)
        if tool.state != "partial-call":
            return
        # the decoder already joined (and parsed) the arguments: take them as they are
        text = ev.get("argsText") or tool.args_text() or "{}"
        args = ev.get("args")
        if not isinstance(args, dict):
            args = parse_partial_object(text) or {}
        tool.part["argsText"] = text
        tool.part["args"] = args
        tool.frags = []
        tool.state = "call"

    def _on_tool_result(self, ev: dict[str, Any]) -> None:
        call_id = ev["toolCallId"]
        tool = self._tools.get(call_id)
        if tool is None:
            if not ev.get("toolName"):
                self.warnings.append(f"result for unknown tool call {call_id!r} dropped")
                return
            tool = self._new_tool(ev)
        tool.close()
        self._open_tools.pop(call_id, None)
        self._mark(tool.index)
        part = tool.part
        part["result"] = ev.get("result")
        part["isError"] = bool(ev.get("isError", False))
        if ev.get("artifact") is not None:
            part["artifact"] = ev["artifact"]
        tool.state = "result"

    def _on_tool_approval(self, ev: dict[str, Any]) -> None:
        if (tool := self._tools.get(ev["toolCallId"])) is not None:
            tool.part["approval"] = dict(ev["approval"])

    def _close_all_args(self) -> None:
        if self._open_tools:
            for tool in self._open_tools.values():
                tool.close()
                self._mark(tool.index)
            self._open_tools.clear()
