"""Normalized events to one assistant message (protocols.md §3, API.md §5).

Pure and I/O-free, like openai-python's ``ChatCompletionStreamState``: feed it
events with :meth:`MessageAccumulator.add`, call :meth:`finish` at the end of the
stream, read :attr:`message` at any time.

Hot-path notes: text deltas are collected as fragment lists and joined only when
the part stops being the append target or when a snapshot is taken, and tool
arguments are re-parsed only when someone looks at them, so accumulating stays
linear in the number of deltas.

Nothing here recurses on the shape of the data: snapshots copy values with an
explicit stack (:func:`copy_value`) and metadata is merged the same way, so a
deeply nested value from a hostile server cannot raise ``RecursionError``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, cast

from ..events import Event
from ..types import AssistantMessage, MessageStatus, Usage
from .jsonlib import loads_bounded
from .partial_json import parse_partial_object
from .state_ops import apply_operations
from .usage import normalize_usage

__all__ = ["MessageAccumulator", "copy_value", "status_for_finish_reason"]

_Handler = Callable[[dict[str, Any]], None]


def status_for_finish_reason(reason: str) -> MessageStatus:
    if reason == "tool-calls":
        return {"type": "requires-action", "reason": "tool-calls"}
    if reason in ("stop", "unknown"):
        return {"type": "complete", "reason": reason}
    return {"type": "incomplete", "reason": reason}


class _ToolState:
    """Book-keeping for one tool-call part."""

    __slots__ = ("frags", "last_args", "part", "state")

    def __init__(self, part: dict[str, Any]) -> None:
        self.part = part
        self.frags: list[str] = []
        self.state = "partial-call"  # -> "call" -> "result"
        self.last_args: dict[str, Any] = {}

    def args_text(self) -> str:
        if len(self.frags) > 1:
            self.frags[:] = ["".join(self.frags)]
        return self.frags[0] if self.frags else ""

    def sync_partial(self) -> None:
        text = self.args_text()
        parsed = parse_partial_object(text)
        if parsed is not None:
            self.last_args = parsed
        self.part["argsText"] = text
        self.part["args"] = self.last_args

    def close(self) -> None:
        if self.state != "partial-call":
            return
        text = self.args_text()
        if not text:
            text = "{}"
        self.part["argsText"] = text
        try:
            args = loads_bounded(text)
        except ValueError:
            args = parse_partial_object(text)
        self.part["args"] = args if isinstance(args, dict) else self.last_args
        self.frags = []
        self.state = "call"


class MessageAccumulator:
    """Builds the assistant message from normalized events."""

    def __init__(self, *, state: Any = None, message_id: str | None = None) -> None:
        self._parts: list[dict[str, Any]] = []
        # the current append target: kind ("text"/"reasoning"/None), parentId, part, fragments
        self._kind: str | None = None
        self._parent: Any = None
        self._part: dict[str, Any] | None = None
        self._frags: list[str] = []
        self._tools: dict[str, _ToolState] = {}
        self._open_tools: dict[str, _ToolState] = {}
        self.id = message_id
        self.status: MessageStatus = {"type": "running"}
        self.state = state
        # what reset() goes back to (state operations are copy-on-write, so the
        # initial state object itself is never changed)
        self._initial = (state, message_id)
        self.data: list[Any] = []
        self.annotations: list[Any] = []
        self.steps: list[dict[str, Any]] = []
        self.custom: dict[str, Any] = {}
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        #: problems met while accumulating (dropped events, bad state operations)
        self.warnings: list[str] = []
        self._finished = False
        self._final: AssistantMessage | None = None
        self._handlers: dict[str, _Handler] = {
            "text-delta": self._on_text_delta,
            "reasoning-delta": self._on_reasoning_delta,
            "text-start": self._on_text_start,
            "reasoning-start": self._on_reasoning_start,
            "tool-call-start": self._on_tool_call_start,
            "tool-call-delta": self._on_tool_call_delta,
            "tool-call": self._on_tool_call,
            "tool-result": self._on_tool_result,
            "tool-approval": self._on_tool_approval,
            "source": self._on_source,
            "file": self._on_file,
            "data": self._on_data,
            "annotations": self._on_annotations,
            "metadata": self._on_metadata,
            "state-update": self._on_state_update,
            "step-start": self._on_step_start,
            "step-finish": self._on_step_finish,
            "finish": self._on_finish,
            "error": self._on_error,
        }

    # -- feeding ------------------------------------------------------------

    def add(self, event: Event | dict[str, Any]) -> None:
        handler = self._handlers.get(event["type"])
        if handler is not None:
            handler(cast("dict[str, Any]", event))

    def add_all(self, events: Iterable[Event | dict[str, Any]]) -> None:
        handlers = self._handlers
        for event in events:
            handler = handlers.get(event["type"])
            if handler is not None:
                handler(cast("dict[str, Any]", event))

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
            else:
                self.status = {"type": "complete", "reason": "unknown"}
        self._finished = True
        self._final = self._build(copy_parts=False)
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
        if self._part is not None:
            text = "".join(self._frags)
            self._frags = [text] if text else []
            self._part["text"] = text
        for tool in self._open_tools.values():
            tool.sync_partial()
        return self._build(copy_parts=True)

    @property
    def text(self) -> str:
        return "".join(p["text"] for p in self.message["content"] if p["type"] == "text")

    @property
    def finished(self) -> bool:
        return self._finished

    def _build(self, *, copy_parts: bool) -> AssistantMessage:
        parts = self._parts
        state = self.state
        if copy_parts:
            parts = [dict(p) for p in parts]
            state = copy_value(state)
        msg = {
            "role": "assistant",
            "id": self.id,
            "content": parts,
            "status": dict(self.status),
            "metadata": {
                "unstable_state": state,
                "unstable_data": list(self.data) if copy_parts else self.data,
                "unstable_annotations": list(self.annotations) if copy_parts else self.annotations,
                "steps": [dict(s) for s in self.steps] if copy_parts else self.steps,
                "custom": copy_value(self.custom) if copy_parts else self.custom,
            },
        }
        return cast(AssistantMessage, msg)

    # -- append target --------------------------------------------------------

    def _close_target(self) -> None:
        if self._part is not None:
            self._part["text"] = "".join(self._frags)
            self._part = None
            self._frags = []
            self._kind = None
            self._parent = None

    def _open(self, kind: str, parent: Any, extra: dict[str, Any] | None = None) -> None:
        self._close_target()
        part: dict[str, Any] = {"type": kind, "text": ""}
        if extra:
            part.update(extra)
        if parent is not None:
            part["parentId"] = parent
        self._parts.append(part)
        self._part = part
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
        self._frags.append(ev["delta"])

    def _on_reasoning_delta(self, ev: dict[str, Any]) -> None:
        parent = ev.get("parentId")
        if self._kind != "reasoning" or self._parent != parent:
            self._open("reasoning", parent)
        self._frags.append(ev["delta"])

    def _on_text_start(self, ev: dict[str, Any]) -> None:
        self._open("text", ev.get("parentId"))

    def _on_reasoning_start(self, ev: dict[str, Any]) -> None:
        extra = {"summary": ev["summary"]} if ev.get("summary") is not None else None
        self._open("reasoning", ev.get("parentId"), extra)

    def _new_tool(self, ev: dict[str, Any]) -> _ToolState:
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
        tool = _ToolState(part)
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
        part = tool.part
        part["result"] = ev.get("result")
        part["isError"] = bool(ev.get("isError", False))
        if ev.get("artifact") is not None:
            part["artifact"] = ev["artifact"]
        tool.state = "result"

    def _on_tool_approval(self, ev: dict[str, Any]) -> None:
        if (tool := self._tools.get(ev["toolCallId"])) is not None:
            tool.part["approval"] = dict(ev["approval"])

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
        if part_id is not None:
            for part in self._parts:
                if part["type"] == "data" and part.get("name") == name and part.get("id") == part_id:
                    part["data"] = ev.get("data")
                    return
        part = {"type": "data", "name": name, "data": ev.get("data")}
        if part_id is not None:
            part["id"] = part_id
        if ev.get("parentId") is not None:
            part["parentId"] = ev["parentId"]
        self._append_part(part)

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
            _deep_merge(self.custom, meta)

    def _on_state_update(self, ev: dict[str, Any]) -> None:
        self.state = apply_operations(self.state, ev.get("operations"), self.warnings)

    def _on_step_start(self, ev: dict[str, Any]) -> None:
        message_id = ev.get("messageId")
        if self.id is None and message_id:
            self.id = message_id
        self.steps.append({"state": "started", "messageId": message_id})

    def _on_step_finish(self, ev: dict[str, Any]) -> None:
        self._close_all_args()
        reason = ev.get("finishReason") or "unknown"
        usage = normalize_usage(ev.get("usage"))
        self.finish_reason = reason
        self.usage = usage
        finished = {
            "state": "finished",
            "finishReason": reason,
            "usage": usage,
            "isContinued": bool(ev.get("isContinued", False)),
        }
        for step in reversed(self.steps):
            if step["state"] == "started":
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
        if "usage" in ev:
            self.usage = normalize_usage(ev["usage"])
        if self.status["type"] == "incomplete" and self.status.get("reason") == "error":
            return
        self.status = status_for_finish_reason(reason)

    def _on_error(self, ev: dict[str, Any]) -> None:
        error: dict[str, Any] = {"code": ev.get("code") or "unknown", "message": ev.get("error", "")}
        if ev.get("severity"):
            error["severity"] = ev["severity"]
        self.status = {"type": "incomplete", "reason": "error", "error": error}

    def _close_all_args(self) -> None:
        if self._open_tools:
            for tool in self._open_tools.values():
                tool.close()
            self._open_tools.clear()


def _deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merge ``source`` into ``target`` (objects merge key by key, anything else
    replaces). Values are copied in, so that later merges never change the event
    they came from."""
    stack = [(target, source)]
    while stack:
        into, src = stack.pop()
        for key, value in src.items():
            current = into.get(key)
            if isinstance(value, dict) and isinstance(current, dict):
                stack.append((current, value))
            else:
                into[key] = copy_value(value)


_ATOMIC = frozenset({str, int, float, bool, type(None), bytes})


def copy_value(value: Any) -> Any:
    """A deep copy of a JSON-like value, made with an explicit stack.

    Plain dicts and lists are copied however deeply they nest (shared and cyclic
    references are preserved, like :func:`copy.deepcopy` does); scalars are kept;
    anything else goes to :func:`copy.deepcopy`.
    """
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if kind is not dict and kind is not list:
        return copy.deepcopy(value)
    memo: dict[int, Any] = {}
    root: Any = {} if kind is dict else []
    memo[id(value)] = root
    stack: list[tuple[Any, Any]] = [(value, root)]

    def child(item: Any) -> Any:
        t = type(item)
        if t in _ATOMIC:
            return item
        if t is dict or t is list:
            new = memo.get(id(item))
            if new is None:
                new = memo[id(item)] = {} if t is dict else []
                stack.append((item, new))
            return new
        return copy.deepcopy(item, memo)

    while stack:
        src, dst = stack.pop()
        if type(src) is dict:
            for key, item in src.items():
                dst[key] = child(item)
        else:
            dst.extend([child(item) for item in src])
    return root
