"""Values the run loop sends again, made sendable; and a copy of JSON arguments. Both
iterative: a value nested thousands deep costs no Python stack.

What a backend sent may not survive the trip back: Python's JSON decoder reads ``1e999``
as ``inf`` and ``"\\ud800"`` as a lone surrogate, and neither can be encoded in a request
body (``ValueError: Out of range float``, ``UnicodeEncodeError``). Before the run loop
re-sends state, history or tool results (each step after the first), it applies
:func:`resendable`:

* a number that is not finite (``inf``, ``-inf``, ``nan``) becomes ``null``, as
  ``JSON.stringify`` does in the browser;
* a string (or an object key) with a lone surrogate has it replaced by U+FFFD (a
  surrogate pair split in two code points is joined into its character), as a browser's
  UTF-8 encoder does;
* tuples become lists; anything nested deeper than :data:`MAX_DEPTH` is refused with
  :class:`UnsendableValueError` (the decoder never accepts such JSON, so only values
  built by the caller or by state operations can get there).

The values a run returns (``RunResult.steps``, ``executions``) are left as they arrived.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .._wire.jsonlib import DEFAULT_MAX_DEPTH
from .._wire.state_ops import MAX_PATH_LENGTH
from ..errors import AssistantUIError

__all__ = ["MAX_DEPTH", "UnsendableValueError", "json_copy", "resendable"]

#: deepest nesting the loop re-sends: that of the JSON the decoder accepts, plus the
#: levels a state operation's path may add
MAX_DEPTH = DEFAULT_MAX_DEPTH + MAX_PATH_LENGTH


class UnsendableValueError(AssistantUIError, ValueError):
    """A value the run loop would send again cannot be encoded as JSON."""


def _clean_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _leaf(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return _clean_text(value)
    return value


def _walk(value: Any, what: str, leaf: Any, max_depth: int | None) -> Any:
    """Copy dicts, lists and tuples (as lists), mapping every other value with ``leaf``."""
    if not isinstance(value, (Mapping, list, tuple)):
        return leaf(value)
    root: list[Any] = [None]
    # (container to fill, key or index in it, value to copy, depth)
    todo: list[tuple[Any, Any, Any, int]] = [(root, 0, value, 1)]
    while todo:
        target, slot, item, depth = todo.pop()
        if isinstance(item, Mapping):
            copy: Any = {}
            children = [(leaf(k) if isinstance(k, str) else k, v) for k, v in item.items()]
        elif isinstance(item, (list, tuple)):
            copy = [None] * len(item)
            children = list(enumerate(item))
        else:
            target[slot] = leaf(item)
            continue
        if max_depth is not None and depth > max_depth:
            raise UnsendableValueError(f"cannot send {what} again: it nests deeper than {max_depth} levels")
        target[slot] = copy
        for key, child in children:
            if isinstance(child, (Mapping, list, tuple)):
                if isinstance(copy, dict):
                    copy[key] = None  # keeps the key order
                todo.append((copy, key, child, depth + 1))
            else:
                copy[key] = leaf(child)
    return root[0]


def resendable(value: Any, what: str = "a value") -> Any:
    """``value`` as it can be sent in a JSON body (see the module docstring)."""
    return _walk(value, what, _leaf, MAX_DEPTH)


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts and lists; tuples become lists), at any depth."""
    return _walk(value, "", lambda leaf: leaf, None)
