"""assistant-transport: SSE of ``AssistantStreamChunk`` JSON (docs/wire-formats.md §5).

Both forms are read: the canonical, path-addressed chunks (Py >= 0.0.35, every TS
encoder) and the legacy flat chunks of Py <= 0.0.34. Chunks that fail validation
are dropped with a warning, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..sse import SSEEvent
from ..usage import normalize_usage
from ._tools import StepFinishHold, ToolTracker, hold_step_finish
from .base import JSONEventDialect

__all__ = ["CANONICAL_TYPES", "LEGACY_TYPES", "AssistantTransportDialect", "sniff_event"]

_Handler = Callable[["AssistantTransportDialect", dict[str, Any], list[Any]], None]

#: chunk types only the canonical form has
CANONICAL_TYPES = frozenset(
    {
        "part-start",
        "part-finish",
        "result",
        "step-start",
        "step-finish",
        "message-finish",
        "update-state",
        "tool-call-args-text-finish",
    }
)
#: chunk types only the legacy flat form has
LEGACY_TYPES = frozenset({"tool-call-begin", "tool-call-delta", "tool-result", "reasoning-delta"})


def sniff_event(value: Any) -> bool:
    """Is a first SSE payload assistant-transport (docs/wire-formats.md §1)?

    Asked after the OpenAI rule and before the UI message stream's, whose types
    overlap these (``text-delta``, ``reasoning-delta``, ``error``).
    """
    if not isinstance(value, dict):
        return False
    kind = value.get("type")
    if not isinstance(kind, str):
        kind = None  # a list or an object is no type (and cannot be looked up)
    if isinstance(value.get("path"), list) or kind in CANONICAL_TYPES:
        return True
    if kind == "reasoning-delta":
        return "reasoningDelta" in value
    if kind == "text-delta":
        return "textDelta" in value
    if kind == "error":
        return "errorText" not in value
    return kind in LEGACY_TYPES or kind in ("data", "annotations", "source")


class _Part:
    __slots__ = ("call_id", "kind", "parent")

    def __init__(self, kind: str, call_id: str | None, parent: Any) -> None:
        self.kind = kind
        self.call_id = call_id
        self.parent = parent


def _opt(ev: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    if value is not None:
        ev[key] = value
    return ev


class AssistantTransportDialect(JSONEventDialect):
    name = "assistant-transport"

    def __init__(self, warnings: list[str] | None = None) -> None:
        super().__init__(warnings)
        self.tools = ToolTracker(self.warnings)
        self._parts: list[_Part] = []
        #: which form the server speaks: True legacy flat, False canonical, None not known yet
        self.legacy: bool | None = None
        # the class's table of plain functions (called with the dialect), until a step
        # finish must wait for a tool call still open: then a copy of this dialect's own,
        # whose entries the hold swaps (see _step_finish). Like the reference
        # accumulator, a tool-call part stays open until its args-finish / part-finish,
        # even past a step finish (see StepFinishHold)
        self._handlers: dict[str, _Handler] = _HANDLERS
        self._hold: StepFinishHold | None = None

    def event(self, value: Any, ev: SSEEvent, out: list[Any]) -> bool:
        if type(value) is not dict:
            self.warnings.append(
                f"assistant-transport event dropped: not a JSON object: {str(value)[:80]!r}"
            )
            return False
        kind = value.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.warnings.append(f"assistant-transport chunk of unknown type {kind!r} passed on raw")
            return False
        if self.legacy is None:
            if "path" in value or kind in CANONICAL_TYPES:
                self.legacy = False
            elif kind in LEGACY_TYPES or kind == "source" or kind == "text-delta":
                self.legacy = True
        handler(self, value, out)
        return True

    def end(self, out: list[Any], *, done: bool) -> None:
        if self._hold is not None:
            self._hold.release(out)
        if not done:
            self.warnings.append("assistant-transport stream ended without [DONE]")
        self.tools.finish_all(out)

    # -- helpers ----------------------------------------------------------------

    def _drop(self, chunk: dict[str, Any], why: str) -> None:
        self.warnings.append(f"assistant-transport {chunk.get('type')!r} dropped: {why}")

    def _at(self, chunk: dict[str, Any]) -> _Part | None:
        path = chunk.get("path")
        if (
            type(path) is list
            and len(path) == 1
            and type(path[0]) is int
            and 0 <= path[0] < len(self._parts)
        ):
            return self._parts[path[0]]
        self._drop(chunk, f"no part at path {path!r}")
        return None

    # -- canonical chunks -------------------------------------------------------------

    def _part_start(self, chunk: dict[str, Any], out: list[Any]) -> None:
        part = chunk.get("part")
        if not isinstance(part, dict):
            self._drop(chunk, "no part")
            return
        if chunk.get("path", []) != []:
            # nested parts are unsupported; they do not take a top-level index
            self._drop(chunk, f"part-start at path {chunk.get('path')!r}")
            return
        kind = part.get("type")
        parent = part.get("parentId")
        if kind == "text":
            self._parts.append(_Part("text", None, parent))
            out.append(_opt({"type": "text-start"}, "parentId", parent))
        elif kind == "reasoning":
            self._parts.append(_Part("reasoning", None, parent))
            ev = _opt({"type": "reasoning-start"}, "summary", part.get("unstable_summary"))
            out.append(_opt(ev, "parentId", parent))
        elif kind == "tool-call" and isinstance(part.get("toolCallId"), str):
            call_id = part["toolCallId"]
            tool_name = part.get("toolName")
            name = tool_name if isinstance(tool_name, str) else ""
            if not self.tools.start(out, call_id, name, parent):
                self._parts.append(_Part("ignored", None, parent))
                return
            self._parts.append(_Part("tool-call", call_id, parent))
        elif kind == "source" and isinstance(part.get("url"), str):
            self._parts.append(_Part("source", None, parent))
            ev = {"type": "source", "sourceType": "url", "id": str(part.get("id", "")),
                  "url": part["url"]}
            _opt(ev, "title", part.get("title"))
            out.append(_opt(ev, "parentId", parent))
        elif kind == "file" and isinstance(part.get("data"), str):
            self._parts.append(_Part("file", None, parent))
            ev = {"type": "file", "data": part["data"],
                  "mimeType": str(part.get("mimeType", "application/octet-stream"))}
            out.append(_opt(ev, "parentId", parent))
        elif kind == "data" and isinstance(part.get("name"), str):
            self._parts.append(_Part("data", None, parent))
            ev = {"type": "data", "name": part["name"], "data": part.get("data")}
            _opt(ev, "id", part.get("id"))
            out.append(_opt(ev, "parentId", parent))
        else:
            # keep later indices aligned (docs/wire-formats.md §5.2)
            self._parts.append(_Part("ignored", None, parent))
            self._drop(chunk, f"unknown part type {kind!r}")

    def _text_delta(self, chunk: dict[str, Any], out: list[Any]) -> None:
        delta = chunk.get("textDelta")
        if type(delta) is not str:
            self._drop(chunk, "textDelta is not a string")
            return
        if "path" not in chunk:
            # legacy flat text-delta
            out.append(_opt({"type": "text-delta", "delta": delta}, "parentId", chunk.get("parentId")))
            return
        part = self._at(chunk)
        if part is None:
            return
        if part.kind == "text":
            out.append(_opt({"type": "text-delta", "delta": delta}, "parentId", part.parent))
        elif part.kind == "reasoning":
            out.append(_opt({"type": "reasoning-delta", "delta": delta}, "parentId", part.parent))
        elif part.kind == "tool-call" and part.call_id is not None:
            self.tools.delta(out, part.call_id, delta)
        else:
            self._drop(chunk, f"text-delta into a {part.kind} part")

    def _args_finish(self, chunk: dict[str, Any], out: list[Any]) -> None:
        part = self._at(chunk)
        if part is not None and part.kind == "tool-call" and part.call_id is not None:
            self.tools.finish(out, part.call_id)

    def _result(self, chunk: dict[str, Any], out: list[Any]) -> None:
        part = self._at(chunk)
        if part is None or part.kind != "tool-call" or part.call_id is None:
            return
        self.tools.finish(out, part.call_id)
        ev: dict[str, Any] = {
            "type": "tool-result",
            "toolCallId": part.call_id,
            "result": chunk.get("result"),
            "isError": bool(chunk.get("isError", False)),
        }
        _opt(ev, "artifact", chunk.get("artifact"))
        ev["toolName"] = self.tools.names.get(part.call_id, "")
        out.append(ev)

    def _part_finish(self, chunk: dict[str, Any], out: list[Any]) -> None:
        # a tool call's arguments are complete at its part-finish at the latest
        part = self._at(chunk)
        if part is not None and part.kind == "tool-call" and part.call_id is not None:
            self.tools.finish(out, part.call_id)

    def _annotations(self, chunk: dict[str, Any], out: list[Any]) -> None:
        ann = chunk.get("annotations")
        if isinstance(ann, list):
            out.append({"type": "annotations", "annotations": ann})
        else:
            self._drop(chunk, "annotations is not an array")

    def _data(self, chunk: dict[str, Any], out: list[Any]) -> None:
        data = chunk.get("data")
        if self.legacy or not isinstance(data, list):
            # legacy flat data is any JSON value, not wrapped in an array
            out.append({"type": "data", "data": [data]})
        else:
            out.append({"type": "data", "data": data})

    def _step_start(self, chunk: dict[str, Any], out: list[Any]) -> None:
        out.append({"type": "step-start", "messageId": chunk.get("messageId")})

    def _step_finish(self, chunk: dict[str, Any], out: list[Any]) -> None:
        ev: dict[str, Any] = {
            "type": "step-finish",
            "finishReason": chunk.get("finishReason") or "unknown",
            "usage": normalize_usage(chunk.get("usage"), self.warnings),
            "isContinued": bool(chunk.get("isContinued", False)),
        }
        hold_step_finish(
            self, ev, out, normal=_HANDLERS,
            release_on=("step-start", "step-finish", "message-finish"),
            closing=("text-delta", "tool-call-args-text-finish", "result", "part-finish",
                     "tool-call-delta", "tool-result"),
        )

    def _message_finish(self, chunk: dict[str, Any], out: list[Any]) -> None:
        self.tools.finish_all(out)
        ev: dict[str, Any] = {"type": "finish", "finishReason": chunk.get("finishReason") or "unknown"}
        if "usage" in chunk:
            ev["usage"] = normalize_usage(chunk["usage"], self.warnings)
        out.append(ev)

    def _error(self, chunk: dict[str, Any], out: list[Any]) -> None:
        error = chunk.get("error")
        ev: dict[str, Any] = {"type": "error", "error": error if isinstance(error, str) else str(error)}
        _opt(ev, "code", chunk.get("code"))
        out.append(_opt(ev, "severity", chunk.get("severity")))

    def _update_state(self, chunk: dict[str, Any], out: list[Any]) -> None:
        ops = chunk.get("operations")
        if isinstance(ops, list):
            out.append({"type": "state-update", "operations": ops})
        else:
            self._drop(chunk, "operations is not a list")

    # -- legacy flat chunks ---------------------------------------------------------

    def _legacy_reasoning(self, chunk: dict[str, Any], out: list[Any]) -> None:
        delta = chunk.get("reasoningDelta")
        if type(delta) is str:
            out.append(_opt({"type": "reasoning-delta", "delta": delta}, "parentId", chunk.get("parentId")))
        else:
            self._drop(chunk, "reasoningDelta is not a string")

    def _legacy_tool_begin(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = chunk.get("toolCallId")
        if isinstance(call_id, str):
            name = chunk.get("toolName")
            self.tools.start(out, call_id, name if isinstance(name, str) else "", chunk.get("parentId"))
        else:
            self._drop(chunk, "no toolCallId")

    def _legacy_tool_delta(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = chunk.get("toolCallId")
        delta = chunk.get("argsTextDelta")
        if isinstance(call_id, str) and isinstance(delta, str):
            self.tools.delta(out, call_id, delta)
        else:
            self._drop(chunk, "bad tool-call-delta")

    def _legacy_tool_result(self, chunk: dict[str, Any], out: list[Any]) -> None:
        call_id = chunk.get("toolCallId")
        if not isinstance(call_id, str) or not self.tools.known(call_id):
            self._drop(chunk, f"result for unknown tool call {call_id!r}")
            return
        self.tools.finish(out, call_id)
        ev: dict[str, Any] = {
            "type": "tool-result",
            "toolCallId": call_id,
            "result": chunk["result"] if "result" in chunk else "<no result>",
            "isError": bool(chunk.get("isError", False)),
        }
        _opt(ev, "artifact", chunk.get("artifact"))
        ev["toolName"] = self.tools.names.get(call_id, "")
        out.append(ev)

    def _legacy_source(self, chunk: dict[str, Any], out: list[Any]) -> None:
        if not isinstance(chunk.get("url"), str):
            self._drop(chunk, "no url")
            return
        ev: dict[str, Any] = {"type": "source", "sourceType": "url", "id": str(chunk.get("id", "")),
                              "url": chunk["url"]}
        _opt(ev, "title", chunk.get("title"))
        out.append(_opt(ev, "parentId", chunk.get("parentId")))


#: chunk type -> its handler, a plain function called with the dialect (no bound
#: methods, and no reference cycle, per call)
_HANDLERS: dict[str, _Handler] = {
    # canonical
    "part-start": AssistantTransportDialect._part_start,
    "text-delta": AssistantTransportDialect._text_delta,
    "tool-call-args-text-finish": AssistantTransportDialect._args_finish,
    "result": AssistantTransportDialect._result,
    "part-finish": AssistantTransportDialect._part_finish,
    "annotations": AssistantTransportDialect._annotations,
    "data": AssistantTransportDialect._data,
    "step-start": AssistantTransportDialect._step_start,
    "step-finish": AssistantTransportDialect._step_finish,
    "message-finish": AssistantTransportDialect._message_finish,
    "error": AssistantTransportDialect._error,
    "update-state": AssistantTransportDialect._update_state,
    # legacy flat
    "reasoning-delta": AssistantTransportDialect._legacy_reasoning,
    "tool-call-begin": AssistantTransportDialect._legacy_tool_begin,
    "tool-call-delta": AssistantTransportDialect._legacy_tool_delta,
    "tool-result": AssistantTransportDialect._legacy_tool_result,
    "source": AssistantTransportDialect._legacy_source,
}
