"""Tool-call book-keeping shared by the dialects.

Every wire format streams tool arguments a little differently (by id, by index,
by content block); they all report to a :class:`ToolTracker`, which emits the
normalized ``tool-call-start`` / ``tool-call-delta`` / ``tool-call`` events and
closes argument streams that the server left open.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from ..jsonlib import loads_bounded
from ..partial_json import parse_partial_object

__all__ = ["StepFinishHold", "ToolTracker", "parse_args"]


def parse_args(text: str) -> dict[str, Any]:
    """Arguments text to a dict: complete JSON, else repaired partial JSON, else ``{}``.

    Text nested too deeply (:data:`assistant_ui._wire.jsonlib.DEFAULT_MAX_DEPTH`) or
    holding an integer past the interpreter's digit limit counts as not parsing:
    arguments are a string inside the stream, never fatal.
    """
    value = _parse_object(text)
    return value if value is not None else {}


def _parse_object(text: str) -> dict[str, Any] | None:
    """Like :func:`parse_args`, but ``None`` when the text gives no object."""
    if not text:
        return {}
    try:
        value = loads_bounded(text)
    except ValueError:
        value = parse_partial_object(text)
    return value if isinstance(value, dict) else None


class _Open:
    __slots__ = ("frags", "name", "parent")

    def __init__(self, name: str, parent: Any) -> None:
        self.name = name
        self.parent = parent
        self.frags: list[str] = []


class ToolTracker:
    __slots__ = ("_open", "closed", "names", "warnings")

    def __init__(self, warnings: list[str]) -> None:
        self._open: dict[str, _Open] = {}
        #: ids whose arguments are complete (a dict of None: one of strings only is not
        #: tracked by the garbage collector, a set always is)
        self.closed: dict[str, None] = {}
        #: tool name of every id seen
        self.names: dict[str, str] = {}
        self.warnings = warnings

    def known(self, call_id: str) -> bool:
        return call_id in self._open or call_id in self.closed

    def has_open(self) -> bool:
        """Whether any call's arguments are still streaming."""
        return bool(self._open)

    def is_open(self, call_id: str) -> bool:
        return call_id in self._open

    def open_ids(self) -> tuple[str, ...]:
        """The calls whose arguments are still streaming."""
        return tuple(self._open)

    def start(self, out: list[Any], call_id: str, name: str, parent: Any = None) -> bool:
        if self.known(call_id):
            self.warnings.append(f"duplicate tool call id {call_id!r}: start dropped")
            return False
        self._open[call_id] = _Open(name, parent)
        self.names[call_id] = name
        event: dict[str, Any] = {"type": "tool-call-start", "toolCallId": call_id, "toolName": name}
        if parent is not None:
            event["parentId"] = parent
        out.append(event)
        return True

    def delta(self, out: list[Any], call_id: str, text: str) -> bool:
        entry = self._open.get(call_id)
        if entry is None:
            what = "closed" if call_id in self.closed else "unknown"
            self.warnings.append(f"arguments for {what} tool call {call_id!r} dropped")
            return False
        if text:
            entry.frags.append(text)
            out.append({"type": "tool-call-delta", "toolCallId": call_id, "argsTextDelta": text})
        return True

    def finish(
        self,
        out: list[Any],
        call_id: str,
        *,
        args: Any = None,
        name: str | None = None,
        parent: Any = None,
        args_text: str | None = None,
        check: bool = True,
    ) -> None:
        """The arguments are complete.

        A call still streaming keeps its streamed text (``args`` is ignored); a call
        never seen is created from ``args`` (or ``args_text``). Streamed text that
        gives no JSON object is reported in ``warnings`` unless ``check`` is false
        (the caller knows the text is not JSON).
        """
        entry = self._open.pop(call_id, None)
        if entry is not None:
            text = "".join(entry.frags) or "{}"
            found = _parse_object(text) if check else parse_args(text)
            if found is None:
                self.warnings.append(
                    f"tool call {call_id!r}: the arguments are not a JSON object "
                    f"({len(text)} characters, kept as argsText): args are {{}}"
                )
            parsed = found or {}
            name = entry.name
            parent = entry.parent
        elif call_id in self.closed:
            return
        else:
            if args_text is not None:
                text = args_text or "{}"
                parsed = parse_args(text)
            else:
                parsed = args if isinstance(args, dict) else {}
                text = json.dumps(parsed) if args is not None else "{}"
            name = name or ""
            self.names[call_id] = name
        self.closed[call_id] = None
        event: dict[str, Any] = {
            "type": "tool-call",
            "toolCallId": call_id,
            "toolName": name,
            "args": parsed,
            "argsText": text,
        }
        if parent is not None:
            event["parentId"] = parent
        out.append(event)

    def finish_all(self, out: list[Any]) -> None:
        for call_id in list(self._open):
            self.finish(out, call_id)


#: a handler of a dialect's table: ``handler(dialect, value, out)``
_Handler = Callable[[Any, Any, list[Any]], None]


class StepFinishHold:
    """Hold a step finish back while the tool calls open at it still stream arguments.

    assistant-stream can put a call's last argument deltas after the step finish on
    the wire (its tool calls are sub-streams merged into the main one), and the
    accumulator closes every open call at a step finish. So a step finish met while
    calls are open is held: the chunks in between pass as they come (text of the
    next step, say), the held calls take their late deltas, and the step finish is
    emitted, after those calls are closed, as soon as the last of them closes
    (``closing`` handlers) or a chunk that must follow it arrives (``release_on``:
    a step start, another step finish, the message finish) or the body ends.

    It works by swapping entries of the dialect's ``handlers`` dict in place, so
    that decoding costs nothing extra when nothing is held.
    """

    __slots__ = ("_closing_keys", "_handlers", "_normal", "_release_keys", "calls", "event", "tools")

    def __init__(
        self,
        tools: ToolTracker,
        handlers: dict[Any, Any],
        *,
        release_on: Iterable[Any],
        closing: Iterable[Any],
        normal: Mapping[Any, Any],
    ) -> None:
        self.tools = tools
        self._handlers = handlers
        #: the handlers when nothing is held (a table that never changes)
        self._normal = normal
        self._release_keys = tuple(release_on)
        self._closing_keys = tuple(closing)
        #: the step finish held back, and the calls it waits for
        self.event: dict[str, Any] | None = None
        self.calls: tuple[str, ...] = ()

    def step_finish(self, event: dict[str, Any], out: list[Any]) -> None:
        """Emit the step finish ``event`` now, or hold it while calls are open."""
        if not self.tools.has_open():
            out.append(event)
            return
        calls = self.tools.open_ids()
        self.event = event
        self.calls = calls
        handlers = self._handlers
        for key in self._release_keys:
            handlers[key] = self._releasing(self._normal[key])
        for key in self._closing_keys:
            handlers[key] = self._closing(self._normal[key])

    def release(self, out: list[Any]) -> None:
        """Close the held calls still open, then emit the step finish."""
        event = self.event
        if event is None:
            return
        self._handlers.update(self._normal)
        self.event = None
        for call_id in self.calls:
            self.tools.finish(out, call_id)
        out.append(event)

    def _releasing(self, handler: _Handler) -> _Handler:
        def release_then(dialect: Any, value: Any, out: list[Any]) -> None:
            self.release(out)
            handler(dialect, value, out)

        return release_then

    def _closing(self, handler: _Handler) -> _Handler:
        def then_release_when_closed(dialect: Any, value: Any, out: list[Any]) -> None:
            handler(dialect, value, out)
            is_open = self.tools.is_open
            if not any(is_open(call_id) for call_id in self.calls):
                self.release(out)

        return then_release_when_closed


class HoldingDialect(Protocol):
    """A dialect whose step finishes may wait for late argument deltas."""

    tools: ToolTracker
    #: the handler table read for each unit: the shared one until a hold is made
    _handlers: dict[Any, Any]
    _hold: StepFinishHold | None


def hold_step_finish(
    dialect: HoldingDialect,
    event: dict[str, Any],
    out: list[Any],
    *,
    normal: Mapping[Any, Any],
    release_on: Iterable[Any],
    closing: Iterable[Any],
) -> None:
    """Emit ``event``, a step finish, or hold it while calls are open. Until a finish has
    to wait, the dialect reads ``normal``, a table shared by every call, and has no hold;
    the first that waits makes both its own table (a copy the hold swaps entries of) and
    its hold. A dialect reading units in a loop must read its table again after each
    handler, since it may be replaced in between."""
    hold = dialect._hold
    if hold is None:
        if not dialect.tools.has_open():
            out.append(event)
            return
        dialect._handlers = handlers = dict(normal)
        hold = dialect._hold = StepFinishHold(
            dialect.tools, handlers, release_on=release_on, closing=closing, normal=normal
        )
    hold.step_finish(event, out)
