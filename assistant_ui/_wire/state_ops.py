"""State operations: ``set`` and ``append-text`` at a path (protocols.md §6).

Applied leniently: an operation that cannot be applied is skipped and reported,
never fatal. A path longer than :data:`MAX_PATH_LENGTH` segments is refused, so
that a stream cannot grow the state deeper than its JSON values already are
(which the decoder bounds) plus that many levels: every consumer of the state
(copies, ``json.dumps`` when it is sent back) can handle it without running out
of stack. Containers along the path are copied before they are changed
(copy-on-write, shallow copies of the containers on the path only), so a state
value handed out earlier never changes under its holder, and a failing operation
leaves the state as it was.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_PATH_LENGTH", "StateError", "apply_operations"]

#: the longest path an operation may have
MAX_PATH_LENGTH = 64

_FORBIDDEN = frozenset({"__proto__", "constructor", "prototype"})


class StateError(ValueError):
    """One operation could not be applied."""


def apply_operations(state: Any, operations: Any, errors: list[str] | None = None) -> Any:
    """Return the state after ``operations``; bad operations are skipped.

    The messages of skipped operations are appended to ``errors`` when given.
    """
    if not isinstance(operations, list):
        if errors is not None:
            errors.append("state operations must be a list")
        return state
    for op in operations:
        try:
            state = _apply_one(state, op)
        except StateError as exc:
            if errors is not None:
                errors.append(str(exc))
    return state


def _segments(path: Any) -> list[str]:
    if not isinstance(path, list):
        raise StateError("path must be a list")
    if len(path) > MAX_PATH_LENGTH:
        raise StateError(f"path longer than {MAX_PATH_LENGTH} segments")
    segs = []
    for seg in path:
        if isinstance(seg, bool) or not isinstance(seg, (str, int)):
            raise StateError(f"invalid path segment of type {type(seg).__name__}")
        try:
            seg = str(seg)
        except ValueError:  # an int of more than 4300 digits
            raise StateError("invalid path segment: an integer too large") from None
        if seg in _FORBIDDEN:
            raise StateError(f"forbidden path segment {seg!r}")
        segs.append(seg)
    return segs


def _index(container: list[Any], seg: str) -> int:
    # ASCII digits only ("²".isdigit() is true, and int() refuses it)
    if not (seg.isascii() and seg.isdigit()) or (len(seg) > 1 and seg[0] == "0"):
        raise StateError(f"invalid array index {seg[:40]!r}")
    if len(seg) > 18:  # far past any end (and int() refuses more than 4300 digits)
        return len(container)
    # lenient mode: an index past the end is clamped to an append
    return min(int(seg), len(container))


def _apply_one(state: Any, op: Any) -> Any:
    if not isinstance(op, dict):
        raise StateError("operation must be an object")
    kind = op.get("type")
    if kind not in ("set", "append-text"):
        raise StateError(f"unknown operation {kind!r}")
    segs = _segments(op.get("path"))
    value: Any = op.get("value")
    if kind == "append-text" and not isinstance(value, str):
        raise StateError("append-text needs a string value")
    if not segs:
        return _final(kind, state, value)
    root = _copy(state)
    parent = root
    for seg in segs[:-1]:
        parent = _descend(parent, seg)
    last = segs[-1]
    if isinstance(parent, list):
        i = _index(parent, last)
        current = parent[i] if i < len(parent) else None
        new = _final(kind, current, value)
        if i == len(parent):
            parent.append(new)
        else:
            parent[i] = new
    else:
        parent[last] = _final(kind, parent.get(last), value)
    return root


def _final(kind: str, current: Any, value: Any) -> Any:
    if kind == "set":
        return value
    if current is None:
        return value
    if not isinstance(current, str):
        raise StateError("append-text target is not a string")
    return current + value


def _copy(container: Any) -> Any:
    if container is None:
        return {}
    if isinstance(container, dict):
        return dict(container)
    if isinstance(container, list):
        return list(container)
    raise StateError("invalid path: cannot descend into a scalar")


def _descend(parent: dict[str, Any] | list[Any], seg: str) -> Any:
    if isinstance(parent, list):
        i = _index(parent, seg)
        child = _copy(parent[i] if i < len(parent) else None)
        if i == len(parent):
            parent.append(child)
        else:
            parent[i] = child
        return child
    child = _copy(parent.get(seg))
    parent[seg] = child
    return child
