"""The tool chunks of the AI SDK UI message stream (docs/wire-formats.md §7).

Part of :class:`assistant_ui._wire.dialects.ui_message_stream.UIMessageStreamDialect`,
whose docstring gives the mapping: tool input is streamed, ``tool-input-available``'s
``input`` is authoritative, ``inputEncoding: "text"`` keeps the raw input,
approvals, denials and preliminary outputs.
"""

from __future__ import annotations

import json
from typing import Any

from ..jsonlib import loads_bounded
from ._tools import ToolTracker

__all__ = ["DENIED_RESULT", "UIToolChunks", "without_type"]

#: the result of a tool call whose execution the user denied
DENIED_RESULT = "Tool execution denied."


def _dumps(value: Any) -> str:
    """Compact JSON, like ``JSON.stringify``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _approval_fields(chunk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in chunk.items() if k not in ("type", "approvalId", "toolCallId")}


def without_type(chunk: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in chunk.items() if k != "type"}


class UIToolChunks:
    """The tool handlers (a mixin: the dialect sets up the state below)."""

    warnings: list[str]
    tools: ToolTracker
    # raw input of the ``inputEncoding: "text"`` calls still streaming
    _text_tools: dict[str, list[str]]
    _last_tool: str | None
    _denials: dict[str, str]  # approvalId -> reason, for denied calls
    _approvals: dict[str, tuple[str, dict[str, Any]]]  # approvalId -> (toolCallId, approval)

    def _drop(self, chunk: dict[str, Any], why: str) -> None:
        self.warnings.append(f"ui-message-stream {chunk.get('type')!r} dropped: {why}")

    def _call_id(self, chunk: dict[str, Any]) -> str | None:
        call_id = chunk.get("toolCallId")
        if type(call_id) is str:
            return call_id
        self._drop(chunk, "no toolCallId")
        return None

    def _close_tool(
        self,
        out: list[Any],
        call_id: str,
        chunk: dict[str, Any] | None = None,
    ) -> None:
        """Close the arguments of ``call_id`` (creating the call from ``chunk`` if
        it was never started); ``chunk['input']``, when present, is authoritative."""
        tools = self.tools
        if call_id in tools.closed:
            self._text_tools.pop(call_id, None)
            return
        was_open = tools.is_open(call_id)
        name = chunk.get("toolName") if chunk is not None else None
        inp = chunk.get("input") if chunk is not None else None
        n = len(out)
        # (the raw input of a text tool, or a call the chunk's input replaces, is no JSON to check)
        check = inp is None and call_id not in self._text_tools
        tools.finish(out, call_id, name=name if type(name) is str else "", check=check)
        if len(out) == n:
            return
        ev = out[-1]
        if not ev["toolName"] and type(name) is str and name:
            ev["toolName"] = tools.names[call_id] = name  # the start had no name
        raw = self._text_tools.pop(call_id, None)
        if raw is not None:
            ev["argsText"] = inp if type(inp) is str else "".join(raw)
            ev["args"] = {}
            return
        if inp is None:
            return
        if type(inp) is dict:
            if not was_open or ev["args"] != inp:
                ev["args"] = inp
                ev["argsText"] = _dumps(inp)
        elif type(inp) is str:
            # the raw text of a call that failed to parse (tool-input-error)
            ev["argsText"] = inp
            try:
                parsed = loads_bounded(inp)
            except ValueError:
                parsed = None
            ev["args"] = parsed if type(parsed) is dict else {}
        else:
            ev["argsText"] = _dumps(inp)
            ev["args"] = {}

    def _finish_all(self, out: list[Any]) -> None:
        for call_id in list(self._text_tools):
            self._close_tool(out, call_id)
        self.tools.finish_all(out)

    def _result(self, out: list[Any], call_id: str, result: Any, is_error: bool) -> dict[str, Any]:
        self._close_tool(out, call_id)
        ev: dict[str, Any] = {
            "type": "tool-result",
            "toolCallId": call_id,
            "result": result,
            "isError": is_error,
            "toolName": self.tools.names.get(call_id, ""),
        }
        out.append(ev)
        return ev

    def _known_call(self, chunk: dict[str, Any]) -> str | None:
        call_id = self._call_id(chunk)
        if call_id is None:
            return None
        if not self.tools.known(call_id):
            self._drop(chunk, f"unknown tool call {call_id!r}")
            return None
        return call_id

    # -- tools ------------------------------------------------------------------------

    def _tool_input_start(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._call_id(chunk)
        if call_id is None:
            return
        name = chunk.get("toolName")
        if self.tools.start(out, call_id, name if type(name) is str else ""):
            self._last_tool = call_id
            if chunk.get("inputEncoding") == "text":
                self._text_tools[call_id] = []

    def _tool_input_delta(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = chunk.get("toolCallId")
        if type(call_id) is not str:
            call_id = self._last_tool
        delta = chunk.get("inputTextDelta")
        if call_id is None or type(delta) is not str:
            self._drop(chunk, "no toolCallId or inputTextDelta")
            return
        if self.tools.delta(out, call_id, delta) and call_id in self._text_tools:
            self._text_tools[call_id].append(delta)

    def _tool_input_available(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._call_id(chunk)
        if call_id is not None:
            if call_id in self.tools.closed:
                self._drop(chunk, f"tool call {call_id!r} already has its input")
                return
            self._close_tool(out, call_id, chunk)

    def _tool_input_error(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._call_id(chunk)
        if call_id is None:
            return
        self._close_tool(out, call_id, chunk)
        text = chunk.get("errorText")
        self._result(out, call_id, text if type(text) is str else "", True)

    def _tool_output_available(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._known_call(chunk)
        if call_id is None:
            return
        if chunk.get("preliminary") is True:
            out.append(
                {
                    "type": "data",
                    "name": "tool-output-preliminary",
                    "id": call_id,
                    "data": {"toolCallId": call_id, "output": chunk.get("output")},
                    "transient": True,
                }
            )
            return
        self._result(out, call_id, chunk.get("output"), False)

    def _tool_output_error(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._known_call(chunk)
        if call_id is not None:
            text = chunk.get("errorText")
            self._result(out, call_id, text if type(text) is str else "", True)

    def _tool_output_denied(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._known_call(chunk)
        if call_id is None:
            return
        result = DENIED_RESULT
        for approval_id, reason in self._denials.items():
            if self._approvals.get(approval_id, ("",))[0] == call_id and reason:
                result = f"{DENIED_RESULT} Reason: {reason}"
        self._result(out, call_id, result, True)

    def _approval_request(self, chunk: dict[str, Any], out: list[Any]) -> None:
        approval_id = chunk.get("approvalId")
        if type(approval_id) is not str:
            self._drop(chunk, "no approvalId")
            return
        call_id = self._known_call(chunk)
        if call_id is None:
            return
        approval = {"id": approval_id, **_approval_fields(chunk)}
        self._approvals[approval_id] = (call_id, approval)
        out.append({"type": "tool-approval", "toolCallId": call_id, "approval": approval})

    def _approval_response(self, chunk: dict[str, Any], out: list[Any]) -> None:
        approval_id = chunk.get("approvalId")
        if type(approval_id) is not str:
            self._drop(chunk, "no approvalId")
            return
        call_id, asked = self._approvals.get(approval_id, (chunk.get("toolCallId"), {}))
        if type(call_id) is not str or not self.tools.known(call_id):
            self._drop(chunk, f"no tool call for approval {approval_id!r}")
            return
        if chunk.get("approved") is False:
            reason = chunk.get("reason")
            self._denials[approval_id] = reason if type(reason) is str else ""
        # the answer completes the approval asked (the AI SDK's approval-responded state)
        approval = {"id": approval_id, **asked, **_approval_fields(chunk)}
        out.append({"type": "tool-approval", "toolCallId": call_id, "approval": approval})

    # -- older / alternate dialect: tools ------------------------------------------

    def _legacy_tool_start(self, chunk: dict[str, Any], out: list[Any]) -> None:
        # deltas only ever go to the latest call: the previous one is complete
        if self._last_tool is not None:
            self._close_tool(out, self._last_tool)
        self._tool_input_start(chunk, out)

    def _legacy_tool_delta(self, chunk: dict[str, Any], out: list[Any]) -> None:
        delta = chunk.get("argsText")
        call_id = self._last_tool
        if call_id is None or type(delta) is not str:
            self._drop(chunk, "no open tool call or argsText")
            return
        if self.tools.delta(out, call_id, delta) and call_id in self._text_tools:
            self._text_tools[call_id].append(delta)

    def _legacy_tool_end(self, chunk: dict[str, Any], out: list[Any]) -> None:
        if self._last_tool is not None:
            self._close_tool(out, self._last_tool)
            self._last_tool = None

    def _legacy_tool_result(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = self._known_call(chunk)
        if call_id is None:
            return
        ev = self._result(out, call_id, chunk.get("result"), chunk.get("isError") is True)
        if chunk.get("messages") is not None:
            ev["messages"] = chunk["messages"]
