"""State operations: ``set`` and ``append-text`` at a path (docs/wire-formats.md §6).

Applied leniently: an operation that cannot be applied is skipped and reported,
never fatal. A path longer than :data:`MAX_PATH_LENGTH` segments is refused, so
that a stream cannot grow the state deeper than its JSON values already are
(which the decoder bounds) plus that many levels: every consumer of the state
(copies, ``json.dumps`` when it is sent back) can handle it without running out
of stack.

Copy-on-write, at a fixed cost per operation: :class:`StateBuilder` copies a
container on the path (shallowly) the first time it changes it and remembers the
copy as its own; later operations change their own containers in place, until the
state is handed out (:attr:`StateBuilder.value`), after which the next change
copies again. So a state value handed out earlier never changes under its holder,
the initial state and the values of ``set`` operations are never changed, and
16 000 operations on one object do not copy it 16 000 times. ``append-text``
collects its fragments and joins them when the state is handed out, so appending
to one long string is linear too. Every operation is checked before anything is
changed: a failing operation leaves the state as it was.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_PATH_LENGTH", "StateBuilder", "StateError", "apply_operations"]

#: the longest path an operation may have
MAX_PATH_LENGTH = 64

_FORBIDDEN = frozenset({"__proto__", "constructor", "prototype"})


class StateError(ValueError):
    """One operation could not be applied."""


class StateBuilder:
    """Applies operations to a state, copy-on-write (see the module docstring)."""

    __slots__ = ("_holder", "_owned", "_texts")

    def __init__(self, state: Any = None) -> None:
        # the root lives in slot 0 of a list of our own, so that replacing the root
        # and changing a value inside it are the same operation
        self._holder: list[Any] = [state]
        # containers made here and not handed out yet, by id (the value keeps
        # the object alive, so that its id cannot be reused by another object)
        self._owned: dict[int, Any] = {}
        # strings being appended to: (container, key, fragments)
        self._texts: list[tuple[Any, Any, _Text]] = []

    @property
    def value(self) -> Any:
        """The state, handed out: later operations leave this value unchanged."""
        if self._texts:
            for container, key, text in self._texts:
                if container[key] is text:
                    container[key] = self._join(text.frags)
            self._texts.clear()
        self._owned.clear()
        return self._holder[0]

    def apply(self, operations: Any, errors: list[str] | None = None) -> None:
        """Apply a list of operations in order; the messages of skipped ones go to ``errors``."""
        if not isinstance(operations, list):
            if errors is not None:
                errors.append("state operations must be a list")
            return
        for op in operations:
            try:
                self._apply_one(op)
            except StateError as exc:
                if errors is not None:
                    errors.append(str(exc))

    def _apply_one(self, op: Any) -> None:
        if not isinstance(op, dict):
            raise StateError("operation must be an object")
        kind = op.get("type")
        if kind not in ("set", "append-text"):
            raise StateError(f"unknown operation {kind!r}")
        segs = _segments(op.get("path"))
        value: Any = op.get("value")
        if kind == "append-text" and not isinstance(value, str):
            raise StateError("append-text needs a string value")
        # check the whole path first, resolving each segment to a key of its container
        keys: list[Any] = [0]
        node = self._holder[0]
        for seg in segs:
            if node is None:  # a missing container is created as an object
                keys.append(seg)
            elif isinstance(node, dict):
                keys.append(seg)
                node = node.get(seg)
            elif isinstance(node, list):
                i = _index(node, seg)
                keys.append(i)
                node = node[i] if i < len(node) else None
            else:
                raise StateError("invalid path: cannot descend into a scalar")
        if kind == "append-text" and node is not None and not isinstance(node, (str, _Text)):
            raise StateError("append-text target is not a string")
        # then change it: nothing below can fail
        parent: Any = self._holder
        for key in keys[:-1]:
            parent = self._own_child(parent, key)
        key = keys[-1]
        if kind == "set" or node is None:
            _put(parent, key, value)
        elif isinstance(node, _Text):
            node.frags.append(value)
        else:
            text = _Text([node, value])
            _put(parent, key, text)
            self._texts.append((parent, key, text))

    def _own_child(self, parent: Any, key: Any) -> Any:
        """Make ``parent[key]`` a container of our own (``parent`` is ours) and return it."""
        if isinstance(parent, list):
            current = parent[key] if key < len(parent) else None
        else:
            current = parent.get(key)
        if current is None:
            new: Any = {}
        elif self._owned.get(id(current)) is current:
            return current
        else:
            new = self._copy(current)
        self._owned[id(new)] = new
        _put(parent, key, new)
        return new


    def _copy(self, container: dict[str, Any] | list[Any]) -> Any:
        """A shallow copy (a method, so that tests can count the copying)."""
        return dict(container) if isinstance(container, dict) else list(container)

    def _join(self, frags: list[str]) -> str:
        return "".join(frags)


class _Text:
    """A string being appended to, kept as fragments until the state is handed out."""

    __slots__ = ("frags",)

    def __init__(self, frags: list[str]) -> None:
        self.frags = frags


def _put(container: Any, key: Any, value: Any) -> None:
    if isinstance(container, list) and key == len(container):
        container.append(value)
    else:
        container[key] = value


def apply_operations(state: Any, operations: Any, errors: list[str] | None = None) -> Any:
    """Return the state after ``operations``; bad operations are skipped.

    ``state`` itself is never changed. The messages of skipped operations are
    appended to ``errors`` when given.
    """
    builder = StateBuilder(state)
    builder.apply(operations, errors)
    return builder.value


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
