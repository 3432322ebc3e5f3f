"""The parts of the accumulated message that change while they stream, and value helpers.

:class:`ToolState` holds one tool-call part while its arguments arrive: the text
fragments, joined only when someone looks, and an
:class:`~assistant_ui._wire.incremental_json.IncrementalJSON` that reads each new
character once, so reading the arguments after every delta stays linear. The
arguments a tool call ends with depend on its text only, never on whether (or
when) a snapshot was read while it streamed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .incremental_json import IncrementalJSON
from .jsonlib import loads_bounded

__all__ = ["ToolState", "copy_value", "data_key", "deep_merge"]


class ToolState:
    """Book-keeping for one tool-call part."""

    __slots__ = ("fed", "frags", "index", "parser", "part", "snap_len", "state")

    def __init__(self, part: dict[str, Any], index: int) -> None:
        self.part = part
        #: the part's position in the message
        self.index = index
        self.frags: list[str] = []
        self.state = "partial-call"  # -> "call" -> "result"
        self.parser: IncrementalJSON | None = None
        #: how much of the text the parser has read
        self.fed = 0
        #: the length of the text when the last snapshot of the part was made (-1: none)
        self.snap_len = -1

    def args_text(self) -> str:
        if len(self.frags) > 1:
            self.frags[:] = ["".join(self.frags)]
        return self.frags[0] if self.frags else ""

    def current_args(self) -> dict[str, Any]:
        """The arguments so far: the repaired object, ``{}`` while there is none.

        Text that stops being JSON keeps the object read before that point."""
        text = self.args_text()
        parser = self.parser
        if parser is None:
            parser = self.parser = IncrementalJSON()
        if len(text) > self.fed:
            parser.feed(text[self.fed :])
            self.fed = len(text)
        try:
            value = parser.value()
        except LookupError:
            return {}
        return value if isinstance(value, dict) else {}

    def snapshot(self) -> dict[str, Any]:
        """A copy of the part with the arguments so far (the part itself is not changed)."""
        snap = dict(self.part)
        snap["argsText"] = self.args_text()
        snap["args"] = self.current_args()
        self.snap_len = len(snap["argsText"])
        return snap

    def close(self) -> None:
        """The arguments are complete: parse them for good."""
        if self.state != "partial-call":
            return
        text = self.args_text()
        try:
            args = loads_bounded(text) if text else {}
        except ValueError:
            args = None
        if not isinstance(args, dict):
            args = self.current_args()
        self.part["argsText"] = text or "{}"
        self.part["args"] = args
        self.frags = []
        self.parser = None
        self.state = "call"


def data_key(name: Any, part_id: Any) -> Any:
    """The key of a named data part with an id in the index: the pair itself when
    it is hashable, else a canonical JSON text of it (an id may be any JSON value
    in the data stream's ``aui-data``); ``None`` when neither works."""
    try:
        hash((name, part_id))
    except TypeError:
        pass
    else:
        return (name, part_id)
    try:
        return ("json", json.dumps([name, part_id], sort_keys=True, default=repr))
    except (TypeError, ValueError, RecursionError):
        return None


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
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
