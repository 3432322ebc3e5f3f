"""The data stream protocol: AI SDK 4 codes and assistant-ui ``aui-*`` (docs/wire-formats.md §4).

One record per line, ``CODE:JSON``. Per line the work is one ``find``, one dict
lookup and one ``json.loads``; a text delta (``0:``) that is exactly one JSON string
is read by the standard library's strict string scanner instead, which gives what
any of the parsers gives for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeGuard

from ..jsonlib import (
    DEFAULT_MAX_DEPTH,
    JSON_ERRORS,
    loads,
    loads_lenient,
    scan_string,
    too_deep,
)
from ..usage import normalize_usage
from ._tools import StepFinishHold, ToolTracker, hold_step_finish
from .base import UnitError

__all__ = ["DataStreamDialect", "looks_like_data_stream", "sniff_line"]

_LINE = re.compile(rb"^([0-9a-k]|aui-[a-z-]+):")


def sniff_line(line: bytes, complete: bool) -> bool:
    """The sniffing rule of docs/wire-formats.md §1 for a first non-blank line: ``CODE:JSON``.

    A line cut off by the sniffing window (``complete`` false) counts when its
    payload is the start of some JSON value.
    """
    m = _LINE.match(line)
    if m is None:
        return False
    payload = line[m.end() :]
    if too_deep(payload, DEFAULT_MAX_DEPTH):
        return False  # never asks the JSON parser to recurse that deep
    if not complete:
        from ..partial_json import IncompleteJSON, parse_partial

        try:
            parse_partial(payload.decode("utf-8", "replace"))
        except IncompleteJSON:
            return False
        return True
    try:
        loads_lenient(payload)
    except ValueError:
        return False
    return True


def looks_like_data_stream(line: bytes) -> bool:
    """Is a complete first non-blank line a data-stream record?"""
    return sniff_line(line, True)


#: a code's handler: ``handler(dialect, value, out)``
_Handler = Callable[["DataStreamDialect", Any, list[Any]], None]


def _str(value: Any) -> TypeGuard[str]:
    return type(value) is str


class DataStreamDialect:
    __slots__ = (
        "_fast_text", "_handlers", "_hold", "dropped", "max_json_depth", "tools", "warnings",
    )

    name = "data-stream"

    def __init__(self, warnings: list[str] | None = None) -> None:
        #: a record whose JSON nests deeper is a UnitError (the decoder sets it)
        self.max_json_depth = DEFAULT_MAX_DEPTH
        self.warnings: list[str] = warnings if warnings is not None else []
        self.tools = ToolTracker(self.warnings)
        #: lines dropped (no code, unknown code, invalid JSON)
        self.dropped = 0
        # the class's table of plain functions (called with the dialect), until a step
        # finish must wait for late argument deltas: then a copy of this dialect's own,
        # whose entries the hold swaps (see _step_finish)
        self._handlers: dict[bytes, _Handler] = _HANDLERS
        #: text deltas skip the JSON parse (see feed; the step-finish hold never swaps
        #: the text handler, so the fast path does the handler's work)
        self._fast_text = True
        # (late argument deltas: the finish waits for them, see StepFinishHold; made by
        # the first finish that has to wait, most answers have none)
        self._hold: StepFinishHold | None = None

    # -- framing ---------------------------------------------------------------

    def feed(self, lines: Sequence[bytes], out: list[Any]) -> None:
        handlers = self._handlers
        max_depth = self.max_json_depth
        fast = self._fast_text
        scan = scan_string
        for line in lines:
            if fast and line.startswith(b'0:"'):
                # a text delta that is exactly one JSON string (read strictly, as the
                # parsers read it): no JSON parse; anything else goes the whole way.
                # (its first three bytes are ASCII: the line decodes as its payload does)
                try:
                    text = line.decode()  # (UTF-8, strict)
                    value, end = scan(text, 3)
                except ValueError:
                    pass
                else:
                    if end == len(text):
                        out.append({"type": "text-delta", "delta": value})
                        continue
            colon = line.find(b":")
            handler = handlers.get(line[:colon]) if colon > 0 else None
            if handler is None:
                if line and not line.isspace():
                    self._drop(line, "unknown code" if colon > 0 else "no code")
                continue
            payload = line[colon + 1 :]
            # (a record no longer than the limit cannot nest deeper: one length test
            # is all most records cost)
            if len(payload) > max_depth and too_deep(payload, max_depth):
                # the first line equal to this one is this one: it would have failed too
                raise UnitError(f"JSON nested deeper than {max_depth} levels", index=lines.index(line))
            try:
                value = loads(payload)
            except JSON_ERRORS:
                try:
                    value = loads_lenient(payload)
                except ValueError:
                    self._drop(line, "invalid JSON")
                    continue
            handler(self, value, out)
            handlers = self._handlers  # (a step finish may have made this dialect its own)

    def end(self, out: list[Any], *, done: bool) -> None:
        if self._hold is not None:
            self._hold.release(out)
        self.tools.finish_all(out)

    def _drop(self, line: bytes, why: str) -> None:
        self.dropped += 1
        excerpt = line[:80].decode("utf-8", "replace")
        self.warnings.append(f"data stream line dropped ({why}): {excerpt!r}")

    def _bad(self, code: str, value: Any) -> None:
        self.warnings.append(f"data stream {code}: unexpected value {str(value)[:80]!r} dropped")

    # -- codes -------------------------------------------------------------------

    def _text(self, value: Any, out: list[Any]) -> None:
        if type(value) is str:
            out.append({"type": "text-delta", "delta": value})
        else:
            self._bad("0", value)

    def _reasoning(self, value: Any, out: list[Any]) -> None:
        if type(value) is str:
            out.append({"type": "reasoning-delta", "delta": value})
        else:
            self._bad("g", value)

    def _aui_text(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("textDelta")):
            ev: dict[str, Any] = {"type": "text-delta", "delta": value["textDelta"]}
            if value.get("parentId") is not None:
                ev["parentId"] = value["parentId"]
            out.append(ev)
        else:
            self._bad("aui-text-delta", value)

    def _aui_reasoning(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("reasoningDelta")):
            ev: dict[str, Any] = {"type": "reasoning-delta", "delta": value["reasoningDelta"]}
            if value.get("parentId") is not None:
                ev["parentId"] = value["parentId"]
            out.append(ev)
        else:
            self._bad("aui-reasoning-delta", value)

    def _aui_reasoning_start(self, value: Any, out: list[Any]) -> None:
        ev: dict[str, Any] = {"type": "reasoning-start"}
        if isinstance(value, dict):
            if value.get("unstable_summary") is not None:
                ev["summary"] = value["unstable_summary"]
            if value.get("parentId") is not None:
                ev["parentId"] = value["parentId"]
        out.append(ev)

    def _tool_start(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("toolCallId")):
            name = value.get("toolName")
            self.tools.start(
                out, value["toolCallId"], name if _str(name) else "", value.get("parentId")
            )
        else:
            self._bad("b", value)

    def _tool_delta(self, value: Any, out: list[Any]) -> None:
        if not (isinstance(value, dict) and _str(value.get("toolCallId"))):
            self._bad("c", value)
            return
        call_id = value["toolCallId"]
        delta = value.get("argsTextDelta")
        if not self.tools.is_open(call_id):
            if delta or not value.get("isFinal"):
                self.tools.delta(out, call_id, delta if _str(delta) else "")
            return
        if _str(delta) and delta:
            self.tools.delta(out, call_id, delta)
        if value.get("isFinal"):
            self.tools.finish(out, call_id)

    def _tool_call(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("toolCallId")):
            name = value.get("toolName")
            self.tools.finish(
                out,
                value["toolCallId"],
                args=value.get("args"),
                name=name if _str(name) else "",
                parent=value.get("parentId"),
            )
        else:
            self._bad("9", value)

    def _tool_result(self, value: Any, out: list[Any]) -> None:
        if not (isinstance(value, dict) and _str(value.get("toolCallId"))):
            self._bad("a", value)
            return
        call_id = value["toolCallId"]
        if not self.tools.known(call_id):
            self.warnings.append(f"result for unknown tool call {call_id!r} dropped")
            return
        self.tools.finish(out, call_id)
        ev: dict[str, Any] = {
            "type": "tool-result",
            "toolCallId": call_id,
            "result": value["result"] if "result" in value else "<no result>",
            "isError": bool(value.get("isError", False)),
        }
        if value.get("artifact") is not None:
            ev["artifact"] = value["artifact"]
        ev["toolName"] = self.tools.names.get(call_id, "")
        out.append(ev)

    def _data(self, value: Any, out: list[Any]) -> None:
        out.append({"type": "data", "data": value if isinstance(value, list) else [value]})

    def _annotations(self, value: Any, out: list[Any]) -> None:
        out.append(
            {"type": "annotations", "annotations": value if isinstance(value, list) else [value]}
        )

    def _source(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("url")):
            ev: dict[str, Any] = {
                "type": "source",
                "sourceType": "url",
                "id": str(value.get("id", "")),
                "url": value["url"],
            }
            if value.get("title") is not None:
                ev["title"] = value["title"]
            if value.get("parentId") is not None:
                ev["parentId"] = value["parentId"]
            out.append(ev)
        else:
            self._bad("h", value)

    def _file(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("data")):
            ev: dict[str, Any] = {
                "type": "file",
                "data": value["data"],
                "mimeType": str(value.get("mimeType", "application/octet-stream")),
            }
            if value.get("parentId") is not None:
                ev["parentId"] = value["parentId"]
            out.append(ev)
        else:
            self._bad("k", value)

    def _aui_data(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, dict) and _str(value.get("name")):
            ev: dict[str, Any] = {"type": "data", "name": value["name"], "data": value.get("data")}
            if value.get("id") is not None:
                ev["id"] = value["id"]
            if value.get("parentId") is not None:
                ev["parentId"] = value["parentId"]
            out.append(ev)
        else:
            self._bad("aui-data", value)

    def _state(self, value: Any, out: list[Any]) -> None:
        if isinstance(value, list):
            out.append({"type": "state-update", "operations": value})
        else:
            self._bad("aui-state", value)

    def _step_start(self, value: Any, out: list[Any]) -> None:
        message_id = value.get("messageId") if isinstance(value, dict) else None
        out.append({"type": "step-start", "messageId": message_id})

    def _step_finish(self, value: Any, out: list[Any]) -> None:
        v = value if isinstance(value, dict) else {}
        ev: dict[str, Any] = {
            "type": "step-finish",
            "finishReason": v.get("finishReason") or "unknown",
            "usage": normalize_usage(v.get("usage"), self.warnings),
            "isContinued": bool(v.get("isContinued", False)),
        }
        # (what releases a held finish: a step start, another finish, the message's; what
        # may close the calls it waits for: their deltas, their whole call, their result)
        hold_step_finish(
            self, ev, out, normal=_HANDLERS, release_on=(b"f", b"e", b"d"), closing=(b"c", b"9", b"a")
        )

    def _finish(self, value: Any, out: list[Any]) -> None:
        self.tools.finish_all(out)
        v = value if isinstance(value, dict) else {}
        ev: dict[str, Any] = {"type": "finish", "finishReason": v.get("finishReason") or "unknown"}
        if "usage" in v:
            ev["usage"] = normalize_usage(v["usage"], self.warnings)
        out.append(ev)

    def _error(self, value: Any, out: list[Any]) -> None:
        # an error may be non-fatal (docs/wire-formats.md §4): open arguments stay open
        out.append({"type": "error", "error": value if _str(value) else str(value)})

    def _ignored(self, value: Any, out: list[Any]) -> None:
        return None


#: code -> handler (the methods above, called as plain functions: a dialect made per
#: call binds none of them)
_HANDLERS: dict[bytes, _Handler] = {
    b"0": DataStreamDialect._text,
    b"g": DataStreamDialect._reasoning,
    b"aui-text-delta": DataStreamDialect._aui_text,
    b"aui-reasoning-delta": DataStreamDialect._aui_reasoning,
    b"aui-reasoning-part-start": DataStreamDialect._aui_reasoning_start,
    b"b": DataStreamDialect._tool_start,
    b"c": DataStreamDialect._tool_delta,
    b"9": DataStreamDialect._tool_call,
    b"a": DataStreamDialect._tool_result,
    b"2": DataStreamDialect._data,
    b"8": DataStreamDialect._annotations,
    b"h": DataStreamDialect._source,
    b"k": DataStreamDialect._file,
    b"aui-data": DataStreamDialect._aui_data,
    b"aui-state": DataStreamDialect._state,
    b"f": DataStreamDialect._step_start,
    b"e": DataStreamDialect._step_finish,
    b"d": DataStreamDialect._finish,
    b"3": DataStreamDialect._error,
    b"i": DataStreamDialect._ignored,
    b"j": DataStreamDialect._ignored,
    # retired "assistant stream" codes
    b"4": DataStreamDialect._ignored,
    b"5": DataStreamDialect._ignored,
    b"6": DataStreamDialect._ignored,
}
