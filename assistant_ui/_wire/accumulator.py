"""Normalized events to one assistant message (docs/wire-formats.md §3, docs/api.md §5).

Pure and I/O-free, like openai-python's ``ChatCompletionStreamState``: feed it
events with :meth:`MessageAccumulator.add`, call :meth:`finish` at the end of the
stream, read :attr:`message` at any time.

Hot-path notes: text deltas are collected as fragment lists and joined only when
the part stops being the append target or when a snapshot is taken, and tool
arguments are read only when someone looks at them, so accumulating stays
linear in the number of deltas.

Snapshots (:attr:`MessageAccumulator.message` while streaming) are cheap enough
to take after every event: the copy of each part is kept and remade only for the
parts that changed since the last snapshot, tool arguments are read
incrementally (each character once), and the state is handed out as it is (the
state operations are copy-on-write). What did not change is shared between
snapshots, so treat a snapshot as read-only; the final message is yours. Reading
snapshots never changes the result.

Nothing here recurses on the shape of the data: snapshots copy values with an
explicit stack (:func:`copy_value`) and metadata is merged the same way, so a
deeply nested value from a hostile server cannot raise ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from ..events import Event
from ..types import AssistantMessage, MessageStatus, Usage
from .message_parts import ToolState, copy_value, data_key, deep_merge
from .state_ops import StateBuilder
from .tool_parts import ToolCallParts
from .usage import normalize_usage

__all__ = ["MessageAccumulator", "copy_value", "status_for_finish_reason"]

_Handler = Callable[[Any, dict[str, Any]], None]

#: text fragments kept as strings before they are folded into the part's text (see _fold)
_FOLD = 64
#: past ``_FOLD``, the fragments are folded when there are (text length >> this) of them
_FOLD_SHIFT = 8


def status_for_finish_reason(reason: str) -> MessageStatus:
    if reason == "tool-calls":
        return {"type": "requires-action", "reason": "tool-calls"}
    if reason in ("stop", "unknown"):
        return {"type": "complete", "reason": reason}
    return {"type": "incomplete", "reason": reason}


#: each event type the accumulator applies, and the name of its handler
_HANDLED = {
    "text-delta": "_on_text_delta",
    "reasoning-delta": "_on_reasoning_delta",
    "text-start": "_on_text_start",
    "reasoning-start": "_on_reasoning_start",
    "tool-call-start": "_on_tool_call_start",
    "tool-call-delta": "_on_tool_call_delta",
    "tool-call": "_on_tool_call",
    "tool-result": "_on_tool_result",
    "tool-approval": "_on_tool_approval",
    "source": "_on_source",
    "file": "_on_file",
    "data": "_on_data",
    "annotations": "_on_annotations",
    "metadata": "_on_metadata",
    "state-update": "_on_state_update",
    "step-start": "_on_step_start",
    "step-finish": "_on_step_finish",
    "finish": "_on_finish",
    "error": "_on_error",
}


def _handler_table(cls: type) -> dict[str, _Handler]:
    return {kind: getattr(cls, name) for kind, name in _HANDLED.items()}


class MessageAccumulator(ToolCallParts):
    """Builds the assistant message from normalized events."""

    __slots__ = (
        "_annotations", "_data", "_data_parts", "_final", "_finished", "_fold_at", "_frags",
        "_initial", "_kind", "_parent", "_part", "_part_index", "_parts", "_plain_state",
        "_started_steps", "_state", "_text", "_warnings", "custom", "finish_reason", "id",
        "status", "steps", "usage",
    )

    #: event type -> the handler function of this class (a subclass gets its own
    #: table): one look-up and one call per event, and no bound methods per message
    _handlers: ClassVar[dict[str, _Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = _handler_table(cls)

    #: applies the state operations (a class attribute, so that tests can count its work)
    _state_builder: type[StateBuilder] = StateBuilder

    def __init__(self, *, state: Any = None, message_id: str | None = None) -> None:
        self._parts: list[dict[str, Any]] = []
        # the copy of each part in the last snapshot, and the parts changed since
        # (both made by the first snapshot: most calls take none, see _snapshot)
        self._snap_parts: list[dict[str, Any]] | None = None
        self._changed: set[int] | None = None
        # the metadata of the last snapshot, and whether steps/custom changed since
        self._snap_meta: dict[str, Any] = {}
        self._meta_changed = True
        # the current append target: kind ("text"/"reasoning"/None), parentId, part, fragments
        self._kind: str | None = None
        self._parent: Any = None
        self._part: dict[str, Any] | None = None
        self._part_index = -1
        self._frags: list[str] = []
        #: how many fragments are folded at once (grows with the text, see _fold)
        self._fold_at = _FOLD
        # the target's text folded from the fragments so far (see _fold)
        self._text = ""
        self._tools: dict[str, ToolState] = {}
        self._open_tools: dict[str, ToolState] = {}
        self.id = message_id
        self.status: MessageStatus = {"type": "running"}
        # the state builder is made by the first state operation (most messages have
        # none); until then the state is the initial value as given
        self._state: StateBuilder | None = None
        self._plain_state = state
        # what reset() goes back to (state operations are copy-on-write, so the
        # initial state object itself is never changed)
        self._initial = (state, message_id)
        # (data, annotations and warnings: lists made on first use, see the properties)
        self._data: list[Any] | None = None
        self._annotations: list[Any] | None = None
        self.steps: list[dict[str, Any]] = []
        # the steps started and not finished yet, oldest first (a step-finish
        # finishes the last one): no scan of ``steps`` per event
        self._started_steps: list[dict[str, Any]] = []
        # named data parts by (name, id), to their index: a replacement is one look-up
        self._data_parts: dict[Any, int] = {}
        self.custom: dict[str, Any] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        #: problems met while accumulating (dropped events, bad state operations)
        self._warnings: list[str] | None = None
        self._finished = False
        self._final: AssistantMessage | None = None

    # -- feeding ------------------------------------------------------------

    def add(self, event: Event | dict[str, Any]) -> None:
        handler = self._handlers.get(event["type"])
        if handler is not None:
            handler(self, event)  # type: ignore[arg-type]

    def add_all(self, events: Iterable[Event | dict[str, Any]]) -> None:
        handlers = self._handlers
        for event in events:
            handler = handlers.get(event["type"])
            if handler is not None:
                # (no ``typing.cast``: it is a function call per event)
                handler(self, event)  # type: ignore[arg-type]

    def finish(
        self, *, cancelled: bool = False, interrupted: MessageStatus | None = None
    ) -> AssistantMessage:
        """End of stream: close open arguments, settle the status, freeze the message.

        ``cancelled`` marks a run the user aborted; ``interrupted`` is the status to
        set when the body was cut short some other way (a timeout, a network error).
        """
        if self._final is not None:
            return self._final
        self._close_target()
        self._close_all_args()
        if self.status["type"] == "running":
            if cancelled:
                self.status = {"type": "incomplete", "reason": "cancelled"}
            elif interrupted is not None:
                self.status = interrupted
            elif any(t.state != "result" for t in self._tools.values()):
                self.status = {"type": "requires-action", "reason": "tool-calls"}
            elif self.finish_reason is not None and self.finish_reason != "tool-calls":
                # no finish event, but the last step said why it ended (assistant-stream
                # sends step finishes only)
                self.status = status_for_finish_reason(self.finish_reason)
            else:
                self.status = {"type": "complete", "reason": "unknown"}
        self._finished = True
        self._final = self._build()
        return self._final

    def reset(self) -> None:
        """Forget everything (used when a resumed stream replays from byte 0).

        The state goes back to the initial one: a replay applies every state
        operation again, so keeping the current state would apply them twice.
        """
        state, message_id = self._initial
        self.__init__(state=state, message_id=message_id)  # type: ignore[misc]

    # -- reading ------------------------------------------------------------

    @property
    def message(self) -> AssistantMessage:
        """The final message once finished, else a snapshot that later events do not change."""
        if self._final is not None:
            return self._final
        return self._snapshot()

    @property
    def state(self) -> Any:
        """The state so far (``metadata.unstable_state``); later events leave this value unchanged."""
        builder = self._state
        return self._plain_state if builder is None else builder.value

    @state.setter
    def state(self, value: Any) -> None:
        self._state = None
        self._plain_state = value

    @property
    def data(self) -> list[Any]:
        """The message's data items (``metadata.unstable_data``)."""
        if self._data is None:
            self._data = []
        return self._data

    @property
    def annotations(self) -> list[Any]:
        """The message's annotations (``metadata.unstable_annotations``)."""
        if self._annotations is None:
            self._annotations = []
        return self._annotations

    @property
    def warnings(self) -> list[str]:
        """Problems met while accumulating (dropped events, bad state operations)."""
        if self._warnings is None:
            self._warnings = []
        return self._warnings

    @property
    def text(self) -> str:
        return "".join(p["text"] for p in self.message["content"] if p["type"] == "text")

    @property
    def finished(self) -> bool:
        return self._finished

    # -- append target --------------------------------------------------------

    def _close_target(self) -> None:
        if self._part is not None:
            self._part["text"] = self._target_text()
            self._mark(self._part_index)
            self._part = None
            self._text = ""
            self._fold_at = _FOLD
            self._kind = None
            self._parent = None

    def _fold(self) -> None:
        """Append the fragments to the target's text, in place when nobody else holds it.

        A string object per delta would cost ~60 bytes per token; folding every
        :data:`_FOLD` fragments keeps one string that CPython grows in place (its
        only reference is the local ``text`` while ``+=`` runs), so a long text costs
        its own size while streaming and no second copy when it is finished.

        When the string cannot grow where it is (another block right after it), ``+=``
        copies it; folds are then spaced by a share of the text's length (one
        fragment per 256 characters, at least :data:`_FOLD`), so that copying stays
        linear in the length of the text, not quadratic.
        """
        text = self._text
        self._text = ""
        text += "".join(self._frags)
        self._text = text
        self._frags = []
        self._fold_at = max(_FOLD, len(text) >> _FOLD_SHIFT)

    def _target_text(self) -> str:
        """The append target's whole text so far (the fragments are folded into it)."""
        if self._frags:
            self._fold()
        return self._text

    def _open(self, kind: str, parent: Any, extra: dict[str, Any] | None = None) -> None:
        self._close_target()
        part: dict[str, Any] = {"type": kind, "text": ""}
        if extra:
            part.update(extra)
        if parent is not None:
            part["parentId"] = parent
        self._parts.append(part)
        self._part = part
        self._part_index = len(self._parts) - 1
        self._kind = kind
        self._parent = parent

    def _append_part(self, part: dict[str, Any]) -> None:
        self._close_target()
        self._parts.append(part)

    # -- handlers -------------------------------------------------------------

    def _on_text_delta(self, ev: dict[str, Any]) -> None:
        parent = ev.get("parentId")
        if self._kind != "text" or self._parent != parent:
            self._open("text", parent)
        frags = self._frags
        frags.append(ev["delta"])
        if len(frags) >= self._fold_at:
            self._fold()

    def _on_reasoning_delta(self, ev: dict[str, Any]) -> None:
        parent = ev.get("parentId")
        if self._kind != "reasoning" or self._parent != parent:
            self._open("reasoning", parent)
        frags = self._frags
        frags.append(ev["delta"])
        if len(frags) >= self._fold_at:
            self._fold()

    def _on_text_start(self, ev: dict[str, Any]) -> None:
        self._open("text", ev.get("parentId"))

    def _on_reasoning_start(self, ev: dict[str, Any]) -> None:
        extra = {"summary": ev["summary"]} if ev.get("summary") is not None else None
        self._open("reasoning", ev.get("parentId"), extra)

    def _on_source(self, ev: dict[str, Any]) -> None:
        part = {k: v for k, v in ev.items() if v is not None}
        part["type"] = "source"
        part.setdefault("sourceType", "url")
        self._append_part(part)

    def _on_file(self, ev: dict[str, Any]) -> None:
        part = {k: v for k, v in ev.items() if v is not None}
        part["type"] = "file"
        self._append_part(part)

    def _on_data(self, ev: dict[str, Any]) -> None:
        if ev.get("transient"):
            return  # delivered as an event only, never stored (AI SDK semantics)
        name = ev.get("name")
        if name is None:
            data = ev.get("data")
            if isinstance(data, list):
                self.data.extend(data)
            else:
                self.data.append(data)
            return
        part_id = ev.get("id")
        key = data_key(name, part_id) if part_id is not None else None
        if key is not None:
            index = self._data_parts.get(key)
            if index is not None:
                self._parts[index]["data"] = ev.get("data")
                self._mark(index)
                return
        part = {"type": "data", "name": name, "data": ev.get("data")}
        if part_id is not None:
            part["id"] = part_id
        if ev.get("parentId") is not None:
            part["parentId"] = ev["parentId"]
        self._append_part(part)
        if key is not None:
            self._data_parts[key] = len(self._parts) - 1

    def _on_annotations(self, ev: dict[str, Any]) -> None:
        ann = ev.get("annotations")
        if isinstance(ann, list):
            self.annotations.extend(ann)
        else:
            self.annotations.append(ann)

    def _on_metadata(self, ev: dict[str, Any]) -> None:
        if ev.get("messageId"):
            self.id = ev["messageId"]
        meta = ev.get("metadata")
        if isinstance(meta, dict):
            deep_merge(self.custom, meta)
            self._meta_changed = True

    def _on_state_update(self, ev: dict[str, Any]) -> None:
        builder = self._state
        if builder is None:
            builder = self._state = self._state_builder(self._plain_state)
        builder.apply(ev.get("operations"), self.warnings)

    def _on_step_start(self, ev: dict[str, Any]) -> None:
        self._meta_changed = True
        message_id = ev.get("messageId")
        if self.id is None and message_id:
            self.id = message_id
        step = {"state": "started", "messageId": message_id}
        self.steps.append(step)
        self._started_steps.append(step)

    def _on_step_finish(self, ev: dict[str, Any]) -> None:
        self._meta_changed = True
        self._close_all_args()
        reason = ev.get("finishReason") or "unknown"
        usage = normalize_usage(ev.get("usage"))
        self.finish_reason = reason
        finished: dict[str, Any] = {"state": "finished", "finishReason": reason}
        if usage is not None:  # no usage sent: none shown (never made-up zeros)
            self.usage = usage
            finished["usage"] = usage
        finished["isContinued"] = bool(ev.get("isContinued", False))
        if self._started_steps:
            step = self._started_steps.pop()
            finished["messageId"] = step.get("messageId")
            step.clear()
            step.update(finished)
            return
        finished["messageId"] = None
        self.steps.append(finished)

    def _on_finish(self, ev: dict[str, Any]) -> None:
        self._close_all_args()
        reason = ev.get("finishReason") or "unknown"
        self.finish_reason = reason
        usage = normalize_usage(ev.get("usage"))
        if usage is not None:
            self.usage = usage
        if self.status["type"] == "incomplete" and self.status.get("reason") == "error":
            return
        self.status = status_for_finish_reason(reason)

    def _on_error(self, ev: dict[str, Any]) -> None:
        error: dict[str, Any] = {"code": ev.get("code") or "unknown", "message": ev.get("error", "")}
        if ev.get("severity"):
            error["severity"] = ev["severity"]
        self.status = {"type": "incomplete", "reason": "error", "error": error}


MessageAccumulator._handlers = _handler_table(MessageAccumulator)
