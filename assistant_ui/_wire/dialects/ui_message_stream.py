"""AI SDK 5/6/7 UI message stream: SSE of ``UIMessageChunk`` JSON (docs/wire-formats.md §7).

Also reads the older/alternate dialect that assistant-stream's decoder accepts
(``text-delta{textDelta}``, ``source{source}``, ``file{file}``,
``tool-call-start``/``tool-call-delta``/``tool-call-end``, ``tool-result``).

Mapping choices (where docs/wire-formats.md leaves room):

* ``start`` gives a ``metadata`` event (message id, ``messageMetadata``) and a
  ``step-start``. The AI SDK always follows ``start`` with ``start-step``; a
  ``start-step`` that comes right after ``start`` (nothing emitted in between)
  is folded into that step, so a message never carries a step that is started
  twice and finished once. Every step-start carries the message id.
* Text and reasoning use the append-target rule, with one refinement from the
  part ids: a ``source-url`` / ``source-document`` arriving while a text or
  reasoning part is open (between its ``*-start`` and ``*-end``) is held back
  until that part ends (or another kind of part starts, or the step ends), so
  the deltas around it continue the same part, as in the AI SDK.
* Tool input is **streamed** (``tool-call-start`` / ``tool-call-delta``) rather
  than buffered. At ``tool-input-available`` the ``input`` object is
  authoritative (as in the AI SDK): when it differs from what the streamed text
  parses to (say the server repaired the call), the ``tool-call`` event carries
  ``args = input`` and ``argsText`` = its compact JSON; otherwise the streamed
  text is kept. A call never streamed is created from ``input``.
* ``inputEncoding: "text"`` (v6+ free-form tools): the deltas still stream as
  ``tool-call-delta``; the ``tool-call`` event has ``argsText`` = the raw input
  string and ``args = {}`` (the input is not an object, and ``args`` is always
  one).
* ``tool-input-error``: a ``tool-call`` (``argsText`` = the raw input when it is
  a string) and a ``tool-result`` with ``isError: true`` and ``result`` = the
  ``errorText``.
* ``tool-output-available`` with ``preliminary: true``: not a result (a later
  output overwrites it). It becomes ``{"type": "data", "name":
  "tool-output-preliminary", "id": toolCallId, "data": {"toolCallId", "output"},
  "transient": True}``: event consumers see every interim output; being
  transient, it is not meant to be stored in the message (and its id makes a
  later one replace an earlier one if it is).
* ``tool-output-denied``: ``tool-result`` with ``isError: true`` and
  ``result = "Tool execution denied."`` (plus `` Reason: ...`` when the
  matching ``tool-approval-response`` gave one).
* ``tool-approval-request`` / ``tool-approval-response``: a ``tool-approval``
  event; the accumulator puts it on the tool-call part as its ``approval``
  (``{"id": approvalId, ...}`` with the chunk's other fields, then ``approved``
  and ``reason`` from the response), as the AI SDK does. For a call never seen
  they are dropped with a warning.
* ``source-document``: a ``source`` event with ``sourceType: "document"``,
  ``url: ""`` and every field kept (``id``, ``title``, ``mediaType``,
  ``filename``).
* ``file`` / ``reasoning-file``: ``file`` event ``{data: url, mimeType: mediaType}``.
* ``data-<name>``: ``data`` event with ``name`` (without ``data-``), ``data`` and
  ``id`` when given; ``transient: true`` is passed on as ``"transient": True``.
* ``custom`` and ``steering-message`` (v7): ``data`` events of those names,
  ``data`` = the chunk without ``type`` (the steering message keeps its ``id``).
* ``finish-step``: ``step-finish`` (reason ``unknown``, zero usage unless the
  chunk has them). ``finish``: a ``metadata`` event for ``messageMetadata``, then
  ``finish`` (reason default ``unknown``, any other reason such as ``interrupted``
  passed through; usage from ``usage`` or ``messageMetadata.usage``).
* ``abort``: ``finish`` with ``finishReason: "cancelled"`` (the status becomes
  ``incomplete/cancelled``) and ``abortReason`` when the chunk has a ``reason``.
  A ``finish`` after an ``abort`` keeps the reason ``cancelled``.
* ``error``: ``error`` event (``errorText``); the stream goes on.
* ``reset-step`` (v7) cannot be expressed as a normalized event: it is left to
  the decoder as a ``raw`` event, with a warning.
* Older dialect: ``tool-call-delta`` goes to the latest started call, and a new
  ``tool-call-start`` or ``tool-call-end`` closes the previous call's arguments.
* Outputs, errors and denials for a tool call id never seen are dropped with a
  warning (there is no part to attach them to).
* Unknown types: not claimed (the decoder emits them as ``raw``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..sse import SSEEvent
from ..usage import normalize_usage
from ._tools import ToolTracker
from .base import JSONEventDialect
from .ui_message_content import UIContentChunks
from .ui_message_tools import DENIED_RESULT, UIToolChunks

__all__ = ["DENIED_RESULT", "UI_TYPES", "UIMessageStreamDialect", "sniff_event"]

#: a chunk type's handler: ``handler(dialect, chunk, out)``
_Handler = Callable[["UIMessageStreamDialect", dict[str, Any], list[Any]], None]

#: the chunks that do not release sources held back while a text part is open
_KEEP_SOURCES_HELD = frozenset(
    {
        "text-delta", "reasoning-delta", "text-start", "reasoning-start", "text-end",
        "reasoning-end", "source-url", "source-document", "message-metadata", "error",
    }
)

#: chunk types only the UI message stream has
UI_TYPES = frozenset(
    {
        "start",
        "start-step",
        "text-start",
        "text-end",
        "reasoning-start",
        "reasoning-end",
        "source-url",
        "source-document",
        "finish-step",
        "finish",
        "message-metadata",
        "abort",
        "file",
        "reasoning-file",
        "custom",
        "steering-message",
        "reset-step",
        "tool-approval-request",
        "tool-approval-response",
    }
)


def sniff_event(value: Any) -> bool:
    """Is a first SSE payload a UI message stream chunk (docs/wire-formats.md §1)?

    Asked after assistant-transport's rule, which takes the shared types sent in
    its own shape (``text-delta`` with ``textDelta``, ``error`` without ``errorText``).
    """
    if not isinstance(value, dict):
        return False
    kind = value.get("type")
    if not isinstance(kind, str):
        return False
    if kind == "text-delta":
        return "delta" in value
    if kind == "error":
        return "errorText" in value
    return (
        kind == "reasoning-delta"
        or kind in UI_TYPES
        or kind.startswith(("data-", "tool-input-", "tool-output-"))
    )


class UIMessageStreamDialect(UIToolChunks, UIContentChunks, JSONEventDialect):
    name = "ui-message-stream"

    def __init__(self, warnings: list[str] | None = None) -> None:
        JSONEventDialect.__init__(self, warnings)
        self.tools = ToolTracker(self.warnings)
        self._message_id: str | None = None
        # the chunk before was ``start``: a ``start-step`` now is the same step
        self._fresh_step = False
        # raw input of the ``inputEncoding: "text"`` calls still streaming
        self._text_tools: dict[str, list[str]] = {}
        self._last_tool: str | None = None
        self._denials: dict[str, str] = {}  # approvalId -> reason, for denied calls
        self._approvals: dict[str, tuple[str, dict[str, Any]]] = {}  # approvalId -> (call, approval)
        self._aborted = False
        self._finished = False
        #: chunk type -> handler: the class's table (plain functions, called with the
        #: dialect), or one of this dialect's own while sources are held back (see
        #: :meth:`_source`); the class's table itself is never changed
        self._handlers: dict[str, _Handler] = _HANDLERS
        #: ids of the text / reasoning parts open (between ``*-start`` and ``*-end``)
        self._open_parts: set[str] = set()
        #: sources met while a text or reasoning part was open
        self._held_sources: list[dict[str, Any]] = []

    def event(self, value: Any, ev: SSEEvent, out: list[Any]) -> bool:
        if type(value) is not dict:
            return False
        kind = value.get("type")
        if self._fresh_step and kind != "start-step":
            self._fresh_step = False
        if type(kind) is not str:
            return False  # (a list or an object is no type, and cannot be looked up)
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(self, value, out)
            return True
        if kind.startswith("data-"):
            if self._held_sources:
                self._release_sources(out)
            self._data_part(kind, value, out)
            return True
        if kind == "reset-step":
            self.warnings.append("ui-message-stream 'reset-step' is not supported: parts kept")
        return False

    def end(self, out: list[Any], *, done: bool) -> None:
        if self._held_sources:
            self._release_sources(out)
        if not done and not self._finished:
            self.warnings.append("ui-message-stream ended without [DONE] or a finish chunk")
        self._finish_all(out)

    # -- text -------------------------------------------------------------------

    def _text_delta(self, chunk: dict[str, Any], out: list[Any]) -> None:
        delta = chunk.get("delta")
        if type(delta) is not str:
            delta = chunk.get("textDelta")  # older dialect
            if type(delta) is not str:
                self._drop(chunk, "no delta")
                return
        if delta:
            out.append({"type": "text-delta", "delta": delta})

    def _reasoning_delta(self, chunk: dict[str, Any], out: list[Any]) -> None:
        delta = chunk.get("delta")
        if type(delta) is not str:
            self._drop(chunk, "no delta")
            return
        if delta:
            out.append({"type": "reasoning-delta", "delta": delta})

    def _part_start(self, chunk: dict[str, Any], out: list[Any]) -> None:
        part_id = chunk.get("id")
        if type(part_id) is str:
            self._open_parts.add(part_id)

    def _part_end(self, chunk: dict[str, Any], out: list[Any]) -> None:
        self._open_parts.discard(chunk.get("id"))
        if not self._open_parts and self._held_sources:
            self._release_sources(out)

    # -- sources held back while a text part is open -----------------------------------

    def _source(self, ev: dict[str, Any], out: list[Any]) -> None:
        if not self._open_parts:
            out.append(ev)
            return
        if not self._held_sources:
            # any chunk but text, reasoning and sources releases them first
            self._handlers = {
                k: h if k in _KEEP_SOURCES_HELD else _releasing(h) for k, h in _HANDLERS.items()
            }
        self._held_sources.append(ev)

    def _release_sources(self, out: list[Any]) -> None:
        self._handlers = _HANDLERS
        out.extend(self._held_sources)
        self._held_sources.clear()

    # -- message level ------------------------------------------------------------

    def _metadata(self, chunk: dict[str, Any], out: list[Any], message_id: Any = None) -> None:
        meta = chunk.get("messageMetadata")
        ev: dict[str, Any] = {"type": "metadata"}
        if type(message_id) is str and message_id:
            ev["messageId"] = message_id
        if type(meta) is dict:
            ev["metadata"] = meta
        elif meta is not None:
            self.warnings.append("ui-message-stream messageMetadata is not an object: ignored")
        if len(ev) > 1:
            out.append(ev)

    def _start(self, chunk: dict[str, Any], out: list[Any]) -> None:
        message_id = chunk.get("messageId")
        if type(message_id) is str and message_id:
            self._message_id = message_id
        self._metadata(chunk, out, message_id)
        out.append({"type": "step-start", "messageId": self._message_id})
        self._fresh_step = True

    def _start_step(self, chunk: dict[str, Any], out: list[Any]) -> None:
        if self._fresh_step:
            self._fresh_step = False
            return
        message_id = chunk.get("messageId")
        if type(message_id) is not str:
            message_id = self._message_id
        out.append({"type": "step-start", "messageId": message_id})

    def _finish_step(self, chunk: dict[str, Any], out: list[Any]) -> None:
        self._open_parts.clear()  # (AI SDK 5/6 forget the active part ids here)
        self._finish_all(out)
        reason = chunk.get("finishReason")
        out.append(
            {
                "type": "step-finish",
                "finishReason": reason if type(reason) is str and reason else "unknown",
                "usage": normalize_usage(chunk.get("usage"), self.warnings),
                "isContinued": chunk.get("isContinued") is True,
            }
        )

    def _finish(self, chunk: dict[str, Any], out: list[Any]) -> None:
        self._finished = True
        self._finish_all(out)
        self._metadata(chunk, out)
        reason = chunk.get("finishReason")
        if self._aborted:
            reason = "cancelled"
        ev: dict[str, Any] = {
            "type": "finish",
            "finishReason": reason if type(reason) is str and reason else "unknown",
        }
        usage = chunk.get("usage")
        if usage is None:
            meta = chunk.get("messageMetadata")
            if type(meta) is dict:
                usage = meta.get("usage")
        if type(usage) is dict:
            ev["usage"] = normalize_usage(usage, self.warnings)
        out.append(ev)

    def _abort(self, chunk: dict[str, Any], out: list[Any]) -> None:
        self._aborted = self._finished = True
        self._finish_all(out)
        ev: dict[str, Any] = {"type": "finish", "finishReason": "cancelled"}
        reason = chunk.get("reason")
        if reason is not None:
            ev["abortReason"] = reason
        out.append(ev)

    def _error(self, chunk: dict[str, Any], out: list[Any]) -> None:
        text = chunk.get("errorText")
        if type(text) is not str:
            text = chunk.get("error")  # tolerate assistant-stream's spelling
            text = text if type(text) is str else ("unknown error" if text is None else str(text))
        out.append({"type": "error", "error": text})

    def _message_metadata(self, chunk: dict[str, Any], out: list[Any]) -> None:
        self._metadata(chunk, out)


def _releasing(handler: _Handler) -> _Handler:
    """``handler``, after the sources held back are released."""

    def release_then(
        dialect: UIMessageStreamDialect, chunk: dict[str, Any], out: list[Any]
    ) -> None:
        dialect._release_sources(out)
        handler(dialect, chunk, out)

    return release_then


#: chunk type -> handler (the methods above, called as plain functions: a dialect made
#: per call binds none of them)
_HANDLERS: dict[str, _Handler] = {
    "text-delta": UIMessageStreamDialect._text_delta,
    "reasoning-delta": UIMessageStreamDialect._reasoning_delta,
    "text-start": UIMessageStreamDialect._part_start,
    "text-end": UIMessageStreamDialect._part_end,
    "reasoning-start": UIMessageStreamDialect._part_start,
    "reasoning-end": UIMessageStreamDialect._part_end,
    "start": UIMessageStreamDialect._start,
    "start-step": UIMessageStreamDialect._start_step,
    "finish-step": UIMessageStreamDialect._finish_step,
    "finish": UIMessageStreamDialect._finish,
    "abort": UIMessageStreamDialect._abort,
    "error": UIMessageStreamDialect._error,
    "message-metadata": UIMessageStreamDialect._message_metadata,
    "tool-input-start": UIMessageStreamDialect._tool_input_start,
    "tool-input-delta": UIMessageStreamDialect._tool_input_delta,
    "tool-input-available": UIMessageStreamDialect._tool_input_available,
    "tool-input-error": UIMessageStreamDialect._tool_input_error,
    "tool-output-available": UIMessageStreamDialect._tool_output_available,
    "tool-output-error": UIMessageStreamDialect._tool_output_error,
    "tool-output-denied": UIMessageStreamDialect._tool_output_denied,
    "tool-approval-request": UIMessageStreamDialect._approval_request,
    "tool-approval-response": UIMessageStreamDialect._approval_response,
    "source-url": UIMessageStreamDialect._source_url,
    "source-document": UIMessageStreamDialect._source_document,
    "file": UIMessageStreamDialect._file,
    "reasoning-file": UIMessageStreamDialect._file,
    "custom": UIMessageStreamDialect._custom,
    "steering-message": UIMessageStreamDialect._steering,
    # older / alternate dialect
    "source": UIMessageStreamDialect._legacy_source,
    "tool-call-start": UIMessageStreamDialect._legacy_tool_start,
    "tool-call-delta": UIMessageStreamDialect._legacy_tool_delta,
    "tool-call-end": UIMessageStreamDialect._legacy_tool_end,
    "tool-result": UIMessageStreamDialect._legacy_tool_result,
}
