"""Encoders: normalized events (:mod:`assistant_ui.events`) to wire bytes.

The inverse of :class:`assistant_ui.decoding.StreamDecoder`, used by the fake
backend and handy on its own::

    stream = encode(events, "data-stream")
    stream.headers          # {"content-type": ..., "x-vercel-ai-data-stream": "v1"}
    for chunk in stream.chunks:   # one chunk of bytes per event
        ...

Round trip: decoding ``encode(events, fmt)`` and accumulating gives the same
message as accumulating ``events`` themselves, for every event list made only of
the events the format carries (:data:`FORMAT_EVENTS`, and the limits below).
An event a format cannot carry is dropped (or, with ``strict=True``, raises
``ValueError``).

What each format carries:

``data-stream`` (protocols.md §4; ``x-vercel-ai-data-stream: v1``)
    text and reasoning deltas (``0``/``g``, or ``aui-text-delta`` /
    ``aui-reasoning-delta`` with a ``parentId``), ``reasoning-start``
    (``aui-reasoning-part-start``, summary and parentId), tool calls (``b``, ``c``
    with ``isFinal``; a call never streamed is sent as ``b`` + one final ``c``
    so that its exact ``argsText`` survives), results (``a``: result, isError,
    artifact), sources (``h``), files (``k``), named data parts (``aui-data``),
    unnamed data (``2``), annotations (``8``), state updates (``aui-state``),
    steps (``f``/``e``), finish (``d``) and errors (``3``: the message only, no
    code or severity). Not carried: ``text-start``, ``metadata``, ``raw``.
    Open tool arguments are closed (``c`` with ``isFinal``) before ``e``, ``d``
    and at the end, like the Python and TypeScript encoders do.

``assistant-transport`` (§5.2 canonical chunks, then ``data: [DONE]``)
    everything the data stream carries, plus ``text-start``, and errors keep
    their ``code`` and ``severity``. Parts are addressed by ``path``; text and
    reasoning parts get a ``part-finish`` when the next part starts. Not
    carried: ``metadata``, ``raw``.

``ui-message-stream`` (§7; ``x-vercel-ai-ui-message-stream: v1``, then ``[DONE]``)
    text and reasoning deltas (non-empty; no ``parentId``), tool calls
    (``tool-input-start`` / ``-delta`` / ``-available``), results
    (``tool-output-available``, or ``tool-output-error`` when ``isError``: the
    result is then sent as ``errorText``, a string, JSON-encoded when it is not
    one; no artifact), url sources (``source-url``, no parentId), files (``file``,
    no parentId), named data parts (``data-<name>``, with ``id``; no parentId),
    ``metadata`` events that carry only ``metadata`` (``message-metadata``),
    steps (the first ``step-start`` becomes ``start`` + ``start-step``; step ids
    other than the message id are sent as a ``messageId`` field on
    ``start-step``; a ``step-start`` without an id after one with an id cannot be
    told apart), ``finish-step``, ``finish`` (reason and usage as extra fields)
    and errors (``errorText`` only). Not carried: ``text-start``,
    ``reasoning-start``, unnamed data, annotations, state updates, ``raw``.

``openai`` (§9; ``chat.completion.chunk`` SSE, then ``[DONE]``)
    text deltas (``content``) and reasoning deltas (``reasoning_content``), both
    non-empty and without ``parentId``; tool calls by ``index`` (the ``tool-call``
    event that closes a streamed call sends nothing: the arguments end with the
    ``finish_reason``); one ``finish`` as the last event (reasons ``stop``,
    ``length``, ``tool-calls``, ``content-filter``, ``error``, ``other``; usage as
    the extra ``include_usage`` chunk); errors (``{"error": {"message", "code"}}``,
    no severity). Every chunk carries the completion ``id`` and ``model``, which
    the decoder reports as a ``metadata`` event: a ``metadata`` event placed
    first gives them (``{"messageId": id, "metadata": {"model": model}}``);
    otherwise they are made up, and the decoded message gets that id and model.
    Not carried: tool results, sources, files, data, annotations, state, steps.

``openai-json`` (§9 non-streaming ``chat.completion``)
    the whole answer as one document: reasoning and text each concatenated, the
    tool calls after them, the last ``finish`` reason and usage. It round-trips
    only lists in that order (reasoning, then text, then tool calls).

``plain-text`` (§8)
    non-empty text deltas only (one text part). Text that starts like a data
    stream line (``0:"...``) is sniffed as one: decode with
    ``protocol="plain-text"`` then.

``sse`` (§2, generic)
    ``raw`` events only: ``event:``, ``id:`` (reset with an empty ``id:`` when an
    event has none after one that had one) and the ``data`` as JSON. A client
    should pass ``protocol="sse"``: otherwise the first payload is sniffed and may
    look like one of the formats above.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .._wire.dialects._tools import parse_args

__all__ = [
    "FORMATS",
    "FORMAT_EVENTS",
    "EncodedStream",
    "encode",
    "encode_body",
]

#: every format :func:`encode` knows
FORMATS = (
    "data-stream",
    "assistant-transport",
    "ui-message-stream",
    "openai",
    "openai-json",
    "plain-text",
    "sse",
)

_COMMON = frozenset(
    {
        "text-delta",
        "reasoning-delta",
        "reasoning-start",
        "tool-call-start",
        "tool-call-delta",
        "tool-call",
        "tool-result",
        "source",
        "file",
        "data",
        "annotations",
        "state-update",
        "step-start",
        "step-finish",
        "finish",
        "error",
    }
)

#: the event types each format carries (see the module docstring for the finer limits)
FORMAT_EVENTS: Mapping[str, frozenset[str]] = {
    "data-stream": _COMMON,
    "assistant-transport": _COMMON | {"text-start"},
    "ui-message-stream": frozenset(
        {
            "text-delta",
            "reasoning-delta",
            "tool-call-start",
            "tool-call-delta",
            "tool-call",
            "tool-result",
            "source",
            "file",
            "data",
            "metadata",
            "step-start",
            "step-finish",
            "finish",
            "error",
        }
    ),
    "openai": frozenset(
        {
            "text-delta",
            "reasoning-delta",
            "tool-call-start",
            "tool-call-delta",
            "tool-call",
            "metadata",
            "finish",
            "error",
        }
    ),
    "openai-json": frozenset(
        {"text-delta", "reasoning-delta", "tool-call-start", "tool-call-delta", "tool-call",
         "metadata", "finish", "error"}
    ),
    "plain-text": frozenset({"text-delta"}),
    "sse": frozenset({"raw"}),
}

_SSE_HEARTBEAT = b": heartbeat\n\n"
_DONE = b"data: [DONE]\n\n"
_ids = itertools.count(1)


def _dumps(value: Any) -> str:
    """Compact JSON (like ``JSON.stringify``), UTF-8 left as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _sse(value: Any) -> str:
    return f"data: {_dumps(value)}\n\n"


def _usage(usage: Any) -> dict[str, Any]:
    if not isinstance(usage, Mapping):
        return {"inputTokens": 0, "outputTokens": 0}
    return dict(usage)


def _args_text(ev: Mapping[str, Any]) -> str:
    """The argument text of a ``tool-call`` event (``argsText``, else the JSON of ``args``)."""
    text = ev.get("argsText")
    if isinstance(text, str) and text:
        return text
    args = ev.get("args")
    return _dumps(args) if isinstance(args, dict) and args else "{}"


def _opt(target: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    if value is not None:
        target[key] = value
    return target


@dataclass
class EncodedStream:
    """An encoded response: its headers and its body as an iterator of chunks.

    ``chunks`` yields one ``bytes`` per event (events that encode to nothing yield
    nothing), plus a closing chunk for the formats that have one; it can be
    consumed once. ``heartbeat`` is the format's keep-alive (``None`` when the
    format has none).
    """

    format: str
    content_type: str
    headers: dict[str, str]
    chunks: Iterator[bytes]
    heartbeat: bytes | None = None

    def body(self) -> bytes:
        """The whole body (consumes :attr:`chunks`)."""
        return b"".join(self.chunks)


# -- the encoders ------------------------------------------------------------------


class _Encoder:
    """Stateful: ``event()`` per event, then ``end()``. Both return text to send."""

    format = ""
    content_type = "text/event-stream"
    heartbeat: bytes | None = _SSE_HEARTBEAT

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type, "cache-control": "no-cache"}

    def event(self, ev: Mapping[str, Any]) -> str:
        kind = ev.get("type")
        handler = getattr(self, "on_" + str(kind).replace("-", "_"), None)
        if handler is None or kind not in FORMAT_EVENTS[self.format]:
            return self.unsupported(ev)
        out: list[str] = []
        handler(ev, out)
        return "".join(out)

    def unsupported(self, ev: Mapping[str, Any]) -> str:
        if self.strict:
            raise ValueError(f"the {self.format} format cannot carry a {ev.get('type')!r} event")
        return ""

    def end(self) -> str:
        return ""


class _Parts:
    """Mirrors the accumulator's part rules, so that encoders know when a part begins.

    Consecutive text (or reasoning) deltas with the same parentId extend one part;
    a part-creating event (a new tool call, a source, a file, a new data part,
    ``text-start``/``reasoning-start``) ends it. A named data event whose
    ``(name, id)`` is already known replaces that part and creates nothing.
    """

    def __init__(self) -> None:
        self.kind: str | None = None
        self.parent: Any = None
        self.data_keys: set[tuple[str, str]] = set()

    def extends(self, kind: str, parent: Any) -> bool:
        return self.kind == kind and self.parent == parent

    def is_replace(self, ev: Mapping[str, Any]) -> bool:
        """A named data event that replaces an earlier part (and records a new one)."""
        name, part_id = ev.get("name"), ev.get("id")
        if not isinstance(name, str) or part_id is None:
            return False
        key = (name, str(part_id))
        if key in self.data_keys:
            return True
        self.data_keys.add(key)
        return False


class _Tool:
    __slots__ = ("args", "index", "name", "open", "result_sent", "text")

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.open = True
        self.text: list[str] = []
        self.args: Any = None
        self.result_sent = False


class _DataStream(_Encoder):
    format = "data-stream"
    content_type = "text/plain; charset=utf-8"
    heartbeat = b"\n"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.tools: dict[str, _Tool] = {}

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type, "x-vercel-ai-data-stream": "v1"}

    @staticmethod
    def line(out: list[str], code: str, value: Any) -> None:
        out.append(f"{code}:{_dumps(value)}\n")

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
        value = _opt({}, "unstable_summary", ev.get("summary"))
        self.line(out, "aui-reasoning-part-start", _opt(value, "parentId", ev.get("parentId")))

    def _start(self, ev: Mapping[str, Any], out: list[str]) -> _Tool:
        call_id = ev["toolCallId"]
        name = ev.get("toolName") or ""
        tool = self.tools[call_id] = _Tool(name, len(self.tools))
        value = {"toolCallId": call_id, "toolName": name}
        self.line(out, "b", _opt(value, "parentId", ev.get("parentId")))
        return tool

    def _close(self, call_id: str, tool: _Tool, out: list[str], text: str = "") -> None:
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
            self._close(call_id, tool, out, _args_text(ev))
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
        self.line(out, "a", _opt(value, "artifact", ev.get("artifact")))

    def on_source(self, ev: Mapping[str, Any], out: list[str]) -> None:
        value = {k: v for k, v in ev.items() if k != "type" and v is not None}
        value.setdefault("sourceType", "url")
        self.line(out, "h", value)

    def on_file(self, ev: Mapping[str, Any], out: list[str]) -> None:
        value = {"data": ev["data"], "mimeType": ev["mimeType"]}
        self.line(out, "k", _opt(value, "parentId", ev.get("parentId")))

    def on_data(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("name")
        if name is None:
            data = ev.get("data")
            self.line(out, "2", data if isinstance(data, list) else [data])
            return
        value: dict[str, Any] = {"name": name, "data": ev.get("data")}
        _opt(value, "id", ev.get("id"))
        self.line(out, "aui-data", _opt(value, "parentId", ev.get("parentId")))

    def on_annotations(self, ev: Mapping[str, Any], out: list[str]) -> None:
        ann = ev.get("annotations")
        self.line(out, "8", ann if isinstance(ann, list) else [ann])

    def on_state_update(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self.line(out, "aui-state", list(ev.get("operations") or []))

    def on_step_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self.line(out, "f", _opt({}, "messageId", ev.get("messageId")))

    def on_step_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        value = {
            "finishReason": ev.get("finishReason") or "unknown",
            "usage": _usage(ev.get("usage")),
            "isContinued": bool(ev.get("isContinued", False)),
        }
        self.line(out, "e", value)

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        value: dict[str, Any] = {"finishReason": ev.get("finishReason") or "unknown"}
        if "usage" in ev:
            value["usage"] = _usage(ev["usage"])
        self.line(out, "d", value)

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self.line(out, "3", str(ev.get("error", "")))

    def end(self) -> str:
        out: list[str] = []
        self._close_all(out)
        return "".join(out)


class _AssistantTransport(_Encoder):
    format = "assistant-transport"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.parts = _Parts()
        self.count = 0  # part-starts sent: the next part's index
        self.target: int | None = None  # index of the text/reasoning part being extended
        self.tools: dict[str, _Tool] = {}

    # -- parts --------------------------------------------------------------------

    def _end_target(self, out: list[str]) -> None:
        if self.target is not None:
            out.append(_sse({"type": "part-finish", "path": [self.target]}))
        self.target = None
        self.parts.kind = self.parts.parent = None

    def _part_start(self, part: dict[str, Any], out: list[str], *, ends_target: bool = True) -> int:
        if ends_target:
            self._end_target(out)
        out.append(_sse({"type": "part-start", "part": part, "path": []}))
        index = self.count
        self.count += 1
        return index

    def _text_like(self, kind: str, ev: Mapping[str, Any], out: list[str]) -> None:
        parent = ev.get("parentId")
        if self.target is None or not self.parts.extends(kind, parent):
            self._open_text(kind, parent, None, out)
        out.append(_sse({"type": "text-delta", "textDelta": ev["delta"], "path": [self.target]}))

    def _open_text(self, kind: str, parent: Any, summary: Any, out: list[str]) -> None:
        part = _opt({"type": kind}, "unstable_summary", summary)
        self.target = self._part_start(_opt(part, "parentId", parent), out)
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

    def _start(self, ev: Mapping[str, Any], out: list[str]) -> _Tool:
        call_id = ev["toolCallId"]
        name = ev.get("toolName") or ""
        part = {"type": "tool-call", "toolCallId": call_id, "toolName": name}
        index = self._part_start(_opt(part, "parentId", ev.get("parentId")), out)
        tool = self.tools[call_id] = _Tool(name, index)
        return tool

    def _finish_args(self, tool: _Tool, out: list[str]) -> None:
        if not tool.text:
            out.append(_sse({"type": "text-delta", "textDelta": "{}", "path": [tool.index]}))
        out.append(_sse({"type": "tool-call-args-text-finish", "path": [tool.index]}))
        tool.open = False

    def on_tool_call_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        if ev["toolCallId"] not in self.tools:
            self._start(ev, out)

    def on_tool_call_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        tool = self.tools.get(ev["toolCallId"])
        delta = ev.get("argsTextDelta") or ""
        if tool is not None and tool.open and delta:
            tool.text.append(delta)
            out.append(_sse({"type": "text-delta", "textDelta": delta, "path": [tool.index]}))

    def on_tool_call(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            tool = self._start(ev, out)
            text = _args_text(ev)
            tool.text.append(text)
            out.append(_sse({"type": "text-delta", "textDelta": text, "path": [tool.index]}))
        elif not tool.open:
            return
        self._finish_args(tool, out)
        out.append(_sse({"type": "part-finish", "path": [tool.index]}))

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
        _opt(chunk, "artifact", ev.get("artifact"))
        chunk["path"] = [tool.index]
        out.append(_sse(chunk))
        if was_open:
            out.append(_sse({"type": "part-finish", "path": [tool.index]}))

    # -- other parts ------------------------------------------------------------------

    def on_source(self, ev: Mapping[str, Any], out: list[str]) -> None:
        part = {k: v for k, v in ev.items() if k != "type" and v is not None}
        part = {"type": "source", "sourceType": part.pop("sourceType", "url"), **part}
        index = self._part_start(part, out)
        out.append(_sse({"type": "part-finish", "path": [index]}))

    def on_file(self, ev: Mapping[str, Any], out: list[str]) -> None:
        part = {"type": "file", "data": ev["data"], "mimeType": ev["mimeType"]}
        index = self._part_start(_opt(part, "parentId", ev.get("parentId")), out)
        out.append(_sse({"type": "part-finish", "path": [index]}))

    def on_data(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("name")
        if name is None:
            data = ev.get("data")
            out.append(_sse({"type": "data", "data": data if isinstance(data, list) else [data]}))
            return
        part: dict[str, Any] = {"type": "data", "name": name, "data": ev.get("data")}
        _opt(part, "id", ev.get("id"))
        _opt(part, "parentId", ev.get("parentId"))
        replace = self.parts.is_replace(ev)
        index = self._part_start(part, out, ends_target=not replace)
        out.append(_sse({"type": "part-finish", "path": [index]}))

    # -- message level ------------------------------------------------------------------

    def on_annotations(self, ev: Mapping[str, Any], out: list[str]) -> None:
        ann = ev.get("annotations")
        out.append(_sse({"type": "annotations", "annotations": ann if isinstance(ann, list) else [ann]}))

    def on_state_update(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(_sse({"type": "update-state", "operations": list(ev.get("operations") or [])}))

    def on_step_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(_sse(_opt({"type": "step-start"}, "messageId", ev.get("messageId"))))

    def on_step_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(_sse({
            "type": "step-finish",
            "finishReason": ev.get("finishReason") or "unknown",
            "usage": _usage(ev.get("usage")),
            "isContinued": bool(ev.get("isContinued", False)),
        }))

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        chunk: dict[str, Any] = {"type": "message-finish",
                                 "finishReason": ev.get("finishReason") or "unknown"}
        if "usage" in ev:
            chunk["usage"] = _usage(ev["usage"])
        out.append(_sse(chunk))

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        chunk: dict[str, Any] = {"type": "error", "error": str(ev.get("error", ""))}
        _opt(chunk, "code", ev.get("code"))
        out.append(_sse(_opt(chunk, "severity", ev.get("severity"))))

    def end(self) -> str:
        out: list[str] = []
        self._end_target(out)
        out.append("data: [DONE]\n\n")
        return "".join(out)


class _UIMessageStream(_Encoder):
    format = "ui-message-stream"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.parts = _Parts()
        self.part_id: str | None = None  # id of the open text/reasoning part
        self.n = 0
        self.started = False
        self.message_id: Any = None
        self.tools: dict[str, _Tool] = {}

    def headers(self) -> dict[str, str]:
        return {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "x-vercel-ai-ui-message-stream": "v1",
            "x-accel-buffering": "no",
        }

    def _end_part(self, out: list[str]) -> None:
        if self.part_id is not None:
            out.append(_sse({"type": f"{self.parts.kind}-end", "id": self.part_id}))
        self.part_id = None
        self.parts.kind = None

    def _text_like(self, kind: str, ev: Mapping[str, Any], out: list[str]) -> None:
        if self.part_id is None or self.parts.kind != kind:
            self._end_part(out)
            self.n += 1
            self.part_id = f"{kind[:4]}_{self.n}"
            self.parts.kind = kind
            out.append(_sse({"type": f"{kind}-start", "id": self.part_id}))
        out.append(_sse({"type": f"{kind}-delta", "id": self.part_id, "delta": ev["delta"]}))

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._text_like("text", ev, out)

    def on_reasoning_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._text_like("reasoning", ev, out)

    # -- tools --------------------------------------------------------------------

    def _start(self, call_id: str, name: str, out: list[str]) -> _Tool:
        self._end_part(out)
        tool = self.tools[call_id] = _Tool(name, len(self.tools))
        out.append(_sse({"type": "tool-input-start", "toolCallId": call_id, "toolName": name}))
        return tool

    def _available(self, call_id: str, tool: _Tool, out: list[str], args: Any = None) -> None:
        if not isinstance(args, dict):
            args = parse_args("".join(tool.text))
        out.append(_sse({"type": "tool-input-available", "toolCallId": call_id,
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
            out.append(_sse({"type": "tool-input-delta", "toolCallId": ev["toolCallId"],
                             "inputTextDelta": delta}))

    def on_tool_call(self, ev: Mapping[str, Any], out: list[str]) -> None:
        call_id = ev["toolCallId"]
        tool = self.tools.get(call_id)
        if tool is None:
            tool = self._start(call_id, ev.get("toolName") or "", out)
            text = _args_text(ev)
            tool.text.append(text)
            out.append(_sse({"type": "tool-input-delta", "toolCallId": call_id,
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
            text = result if isinstance(result, str) else _dumps(result)
            out.append(_sse({"type": "tool-output-error", "toolCallId": call_id, "errorText": text}))
        else:
            out.append(_sse({"type": "tool-output-available", "toolCallId": call_id,
                             "output": result}))

    # -- other parts ------------------------------------------------------------------

    def on_source(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._end_part(out)
        chunk = {"type": "source-url", "sourceId": ev.get("id", ""), "url": ev["url"]}
        out.append(_sse(_opt(chunk, "title", ev.get("title"))))

    def on_file(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._end_part(out)
        out.append(_sse({"type": "file", "url": ev["data"], "mediaType": ev["mimeType"]}))

    def on_data(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("name")
        if not isinstance(name, str):
            out.append(self.unsupported(ev))
            return
        if not self.parts.is_replace(ev):
            self._end_part(out)
        chunk: dict[str, Any] = {"type": f"data-{name}"}
        _opt(chunk, "id", ev.get("id"))
        chunk["data"] = ev.get("data")
        out.append(_sse(chunk))

    # -- message level ------------------------------------------------------------------

    def on_metadata(self, ev: Mapping[str, Any], out: list[str]) -> None:
        meta = ev.get("metadata")
        if isinstance(meta, dict):
            out.append(_sse({"type": "message-metadata", "messageMetadata": meta}))

    def on_step_start(self, ev: Mapping[str, Any], out: list[str]) -> None:
        message_id = ev.get("messageId")
        if not self.started:
            self.started = True
            self.message_id = message_id
            out.append(_sse(_opt({"type": "start"}, "messageId", message_id)))
            out.append(_sse({"type": "start-step"}))
            return
        chunk: dict[str, Any] = {"type": "start-step"}
        if isinstance(message_id, str) and message_id != self.message_id:
            chunk["messageId"] = message_id
        out.append(_sse(chunk))

    def on_step_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        self._end_part(out)
        out.append(_sse({
            "type": "finish-step",
            "finishReason": ev.get("finishReason") or "unknown",
            "usage": _usage(ev.get("usage")),
            "isContinued": bool(ev.get("isContinued", False)),
        }))

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        self._close_all(out)
        self._end_part(out)
        chunk: dict[str, Any] = {"type": "finish", "finishReason": ev.get("finishReason") or "unknown"}
        if "usage" in ev:
            chunk["usage"] = _usage(ev["usage"])
        out.append(_sse(chunk))

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(_sse({"type": "error", "errorText": str(ev.get("error", ""))}))

    def end(self) -> str:
        out: list[str] = []
        self._close_all(out)
        self._end_part(out)
        out.append("data: [DONE]\n\n")
        return "".join(out)


#: protocols.md §3 finish reason -> OpenAI finish_reason
_OPENAI_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool-calls": "tool_calls",
    "content-filter": "content_filter",
    "error": "error",
}


def _openai_usage(usage: Any) -> dict[str, Any]:
    u = _usage(usage)
    out: dict[str, Any] = {
        "prompt_tokens": u.get("inputTokens", 0),
        "completion_tokens": u.get("outputTokens", 0),
    }
    if "totalTokens" in u:
        out["total_tokens"] = u["totalTokens"]
    return out


class _OpenAI(_Encoder):
    format = "openai"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.id = f"chatcmpl-fake{next(_ids)}"
        self.model = "assistant-ui-testing"
        self.created = int(time.time())
        self.begun = False
        self.tools: dict[str, _Tool] = {}

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
        return _sse(value)

    def on_metadata(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(self.unsupported(ev))

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(self.chunk({"content": ev["delta"]}))

    def on_reasoning_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(self.chunk({"reasoning_content": ev["delta"]}))

    def _start(self, call_id: str, name: str, arguments: str, out: list[str]) -> _Tool:
        tool = self.tools[call_id] = _Tool(name, len(self.tools))
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
                text = _args_text(ev)
            tool = self._start(call_id, ev.get("toolName") or "", text, out)
        tool.open = False  # the arguments end with the finish_reason

    def on_finish(self, ev: Mapping[str, Any], out: list[str]) -> None:
        reason = str(ev.get("finishReason") or "other")
        out.append(self.chunk({}, _OPENAI_REASONS.get(reason, "other")))
        if "usage" in ev:
            out.append(self.chunk(None, usage=_openai_usage(ev["usage"])))

    def on_error(self, ev: Mapping[str, Any], out: list[str]) -> None:
        error = _opt({"message": str(ev.get("error", ""))}, "code", ev.get("code"))
        out.append(_sse({"error": error}))

    def end(self) -> str:
        head = "" if self.begun else self._begin()
        return head + "data: [DONE]\n\n"


class _PlainText(_Encoder):
    format = "plain-text"
    content_type = "text/plain; charset=utf-8"
    heartbeat = None

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type}

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(ev["delta"])


class _RawSSE(_Encoder):
    format = "sse"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.last_id = ""

    def on_raw(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("event") or "message"
        event_id = ev.get("id") or ""
        for value in (name, event_id):
            if "\n" in value or "\r" in value:
                raise ValueError(f"an SSE event name or id cannot hold a line break: {value!r}")
        lines: list[str] = []
        if name != "message":
            lines.append(f"event: {name}\n")
        if event_id != self.last_id:
            lines.append(f"id: {event_id}\n" if event_id else "id\n")
            self.last_id = event_id
        lines.append(f"data: {_dumps(ev.get('data'))}\n\n")
        out.append("".join(lines))


_ENCODERS: dict[str, type[_Encoder]] = {
    "data-stream": _DataStream,
    "assistant-transport": _AssistantTransport,
    "ui-message-stream": _UIMessageStream,
    "openai": _OpenAI,
    "plain-text": _PlainText,
    "sse": _RawSSE,
}


def _openai_document(events: Iterable[Mapping[str, Any]], strict: bool) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` for a list of events."""
    completion_id = f"chatcmpl-fake{next(_ids)}"
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
                fn["arguments"] = _args_text(ev)
        elif kind == "finish":
            reason = _OPENAI_REASONS.get(str(ev.get("finishReason") or "other"), "other")
            if "usage" in ev:
                usage = _openai_usage(ev["usage"])
        elif kind == "error":
            error = _opt({"message": str(ev.get("error", ""))}, "code", ev.get("code"))
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


def encode(
    events: Iterable[Mapping[str, Any]],
    format: str = "data-stream",
    *,
    heartbeat: bool = False,
    strict: bool = False,
) -> EncodedStream:
    """Encode normalized events in one wire format.

    ``heartbeat=True`` puts the format's keep-alive (a blank line for the data
    stream, ``: heartbeat`` for SSE formats) before every event, as its own chunk.
    ``strict=True`` raises ``ValueError`` for an event the format cannot carry
    instead of dropping it.
    """
    if format == "openai-json":
        doc = _openai_document(list(events), strict)
        body = _dumps(doc).encode()
        return EncodedStream(
            format=format,
            content_type="application/json",
            headers={"content-type": "application/json"},
            chunks=iter([body]),
            heartbeat=None,
        )
    cls = _ENCODERS.get(format)
    if cls is None:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    encoder = cls(strict)
    headers = encoder.headers()
    events = list(events)

    def chunks() -> Iterator[bytes]:
        beat = encoder.heartbeat if heartbeat else None
        for ev in events:
            if beat:
                yield beat
            text = encoder.event(ev)
            if text:
                yield text.encode("utf-8")
        tail = encoder.end()
        if tail:
            yield tail.encode("utf-8")

    return EncodedStream(
        format=format,
        content_type=headers["content-type"],
        headers=headers,
        chunks=chunks(),
        heartbeat=encoder.heartbeat,
    )


def encode_body(
    events: Iterable[Mapping[str, Any]], format: str = "data-stream", **kwargs: Any
) -> bytes:
    """The whole encoded body at once."""
    return encode(events, format, **kwargs).body()

