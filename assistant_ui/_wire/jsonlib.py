"""JSON decoding for the hot path: orjson when installed (the ``fast`` extra), else the stdlib.

``loads`` is the raw, fastest function; call :func:`loads_lenient` only after it
raised, to get the stdlib's answer (invalid UTF-8 becomes U+FFFD; values orjson
refuses, such as integers beyond 64 bits, still parse).

Nesting depth: neither parser may be handed JSON nested deeper than the interpreter
can recurse (the stdlib raises ``RecursionError`` somewhere around depth 1000, at a
depth that depends on the caller's stack; orjson refuses depth 1024). The decoder
checks :func:`too_deep` first, so that the answer never depends on the backend or
on the stack: JSON nested deeper than :data:`DEFAULT_MAX_DEPTH` is refused.
"""

from __future__ import annotations

import itertools
import json
import operator
import os
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "BACKEND",
    "DEFAULT_MAX_DEPTH",
    "JSON_ERRORS",
    "loads",
    "loads_bounded",
    "loads_lenient",
    "nesting_depth",
    "parse",
    "scan_string",
    "too_deep",
]

#: the default bound on the nesting of arrays and objects in one JSON value
DEFAULT_MAX_DEPTH = 512

# The stdlib's C scanner, called directly: ``json.loads`` on bytes first guesses the
# encoding and then goes through two Python-level frames, which costs more than the
# parse itself for the short payloads of a token stream. Anything the fast path does
# not settle (not UTF-8, leading or trailing whitespace, extra data, no value) goes to
# ``json.loads`` itself, so results and errors are the stdlib's.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
#: the stdlib's (C) string scanner: ``scan_string(text, i)`` reads the JSON string
#: whose opening quote is at ``i - 1``, strictly; gives (value, index after it)
scan_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _loads_std(data: bytes | str) -> Any:
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value, end = _scan_once(text, 0)
    except (UnicodeDecodeError, StopIteration):
        return json.loads(data)
    if end != len(text):
        return json.loads(data)
    return value


loads: Callable[[bytes | str], Any] = _loads_std
BACKEND = "json"
#: the orjson-backed parser when orjson is installed (else None)
loads_orjson: Callable[[bytes | str], Any] | None = None

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:  # pragma: no cover - depends on the environment
    _orjson_loads = orjson.loads
    # orjson turns integers beyond 64 bits into floats; a run of 19+ digits
    # (anywhere, strings included) sends the payload to the stdlib instead. The
    # run is found by mapping every digit to "0" and looking for 19 zeros: two C
    # passes, several times cheaper than a regex over the payload.
    _DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
    _LONG_RUN = b"0" * 19

    def _loads_fast(data: bytes | str) -> Any:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        if len(raw) >= 19 and _LONG_RUN in raw.translate(_DIGITS_TO_ZERO):
            return _loads_std(data)
        return _orjson_loads(data)

    loads_orjson = _loads_fast
    if os.environ.get("ASSISTANT_UI_JSON", "").lower() != "json":
        loads = _loads_fast
        BACKEND = "orjson"


def loads_lenient(data: bytes | str) -> Any:
    """Parse with the stdlib; bytes that are not UTF-8 are replaced. Raises ValueError."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


#: what a JSON parse may raise on bad input
JSON_ERRORS = (ValueError, RecursionError)


def parse(data: bytes | str) -> Any:
    """Parse JSON (fast path, then lenient); raises ValueError when it is not JSON."""
    try:
        return loads(data)
    except JSON_ERRORS:
        return loads_lenient(data)


# -- nesting depth ---------------------------------------------------------------------

# a string literal, possibly cut off at the end of the text (so that brackets inside
# strings do not count); written as an unrolled loop, which the regex engine runs fast
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = bytes(c for c in range(256) if c not in b"[]{}")
# an opening bracket becomes 2 and a closing one 0: the running sum of the bytes minus
# their count is the depth after each bracket
_BRACKET_STEPS = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")


def nesting_depth(data: bytes | str) -> int:
    """How deeply arrays and objects nest in ``data`` (exact for valid JSON).

    Brackets inside string literals do not count. Linear, and the loop runs in C.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if b'"' in raw:
        raw = _STRING.sub(b"", raw)
    steps = raw.translate(_BRACKET_STEPS, _NOT_BRACKET)
    if not steps:
        return 0
    deepest: int = max(map(operator.sub, itertools.accumulate(steps), itertools.count(1)))
    return max(0, deepest)


def too_deep(data: bytes | str, max_depth: int) -> bool:
    """Whether ``data`` nests arrays and objects deeper than ``max_depth``.

    Two C-speed counts settle the common case; only a text holding more brackets
    than the limit is scanned.
    """
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= max_depth:
            return False
    elif data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    return nesting_depth(data) > max_depth


def loads_bounded(data: bytes | str, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse complete JSON whose nesting is at most ``max_depth``; ValueError otherwise.

    For text that arrives inside JSON strings (tool arguments): it is never fatal
    when it does not parse, and the answer does not depend on the caller's stack.
    """
    if too_deep(data, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth}")
    try:
        return json.loads(data)
    except RecursionError as exc:  # only when the caller is already deep in its stack
        raise ValueError("JSON nested too deeply for the current stack") from exc
