"""Streamed JSON read as it arrives, for tool arguments (docs/wire-formats.md).

:class:`IncrementalJSON` takes the text in pieces (:meth:`~IncrementalJSON.feed`)
and reads each character once: values already complete are kept, and only the
token being cut off is held back. :meth:`~IncrementalJSON.value` gives the value
of the text so far, repaired like :func:`assistant_ui._wire.partial_json.parse_partial`
(open strings, arrays and objects closed, a dangling key or an unfinished number
tail dropped, a partial literal completed), at the cost of copying the containers
still open, not of parsing the text again. So reading the arguments after every
delta stays linear in their length.

The result depends on the text only, never on how it was cut into pieces. Text
that stops being a prefix of any JSON value ends the reading there: the value is
what was read before that point ("the last value that parsed").
"""

from __future__ import annotations

import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from .jsonlib import DEFAULT_MAX_DEPTH

__all__ = ["IncrementalJSON"]

_WS = re.compile(r"[ \t\n\r]*")
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?")
_COMPLETE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
# a \uD800-\uDBFF escape at the very end: its low half may come with the next piece
_HIGH_SURROGATE_TAIL = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\Z")
_LITERALS: tuple[tuple[str, Any], ...] = (("true", True), ("false", False), ("null", None))
_NUMBER_START = frozenset("-0123456789")
#: a number token longer than this stops the reading (it is held back whole while cut)
_MAX_NUMBER = 10_000


class _Missing:
    pass


_MISSING: Any = _Missing()

_VALUE, _KEY, _COLON, _AFTER = range(4)


class IncrementalJSON:
    """One JSON value read from pieces of text (see the module docstring)."""

    __slots__ = ("_buf", "_failed", "_keys", "_max_depth", "_pieces", "_root", "_stack", "_state", "_str_key")

    def __init__(self, *, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self._buf = ""  # text not consumed yet (the start of a cut token)
        self._stack: list[Any] = []  # open containers, outermost first
        self._keys: list[Any] = []  # per open container: the key awaiting its value
        self._root: Any = _MISSING
        self._state = _VALUE
        self._pieces: list[str] | None = None  # decoded pieces of the string being read
        self._str_key = False  # that string is a key
        self._failed = False
        self._max_depth = max_depth

    @property
    def failed(self) -> bool:
        """The text stopped being a prefix of a JSON value (reading stopped there)."""
        return self._failed

    def feed(self, text: str) -> None:
        if self._failed or not text:
            return
        self._buf = self._buf + text if self._buf else text
        self._run()

    # -- reading ------------------------------------------------------------------------

    def value(self) -> Any:
        """The value so far, repaired; a fresh copy of every container still open.

        Raises :class:`LookupError` when no value has begun (or none could be read).
        """
        stack = self._stack
        if not stack:
            if self._root is not _MISSING:
                return self._root
            tail = self._tail()
            if tail is _MISSING:
                raise LookupError("no JSON value")
            return tail
        copies = [c.copy() for c in stack]
        for i in range(1, len(copies)):
            parent = copies[i - 1]
            if type(parent) is dict:
                parent[self._keys[i - 1]] = copies[i]
            else:
                parent[-1] = copies[i]
        tail = self._tail()
        if tail is not _MISSING:
            top = copies[-1]
            if type(top) is dict:
                top[self._keys[-1]] = tail
            else:
                top.append(tail)
        return copies[0]

    def _tail(self) -> Any:
        """The value of the cut token at the end, or _MISSING (nothing, or a key)."""
        if self._failed:
            return _MISSING
        if self._pieces is not None:
            if self._str_key:
                return _MISSING  # a dangling key is dropped
            return "".join(self._pieces) + _decode_cut(self._buf)
        if self._state != _VALUE or not self._buf:
            return _MISSING
        buf = self._buf
        if buf[0] in _NUMBER_START:
            m = _COMPLETE_NUMBER.match(buf)
            return _number(m.group()) if m is not None else _MISSING
        for word, value in _LITERALS:
            if word.startswith(buf):
                return value
        return _MISSING

    # -- the machine -----------------------------------------------------------------------

    def _fail(self) -> None:
        self._failed = True
        self._pieces = None
        self._buf = ""

    def _attach(self, value: Any) -> None:
        stack = self._stack
        if not stack:
            self._root = value
        elif type(stack[-1]) is dict:
            stack[-1][self._keys[-1]] = value
        else:
            stack[-1].append(value)
        self._state = _AFTER

    def _run(self) -> None:
        text = self._buf
        end = len(text)
        pos = 0
        stack = self._stack
        while True:
            if self._pieces is not None:  # inside a string
                m = _STRING_BODY.match(text, pos)
                assert m is not None
                stop = m.end()
                if stop < end and text[stop] == '"':  # the closing quote
                    try:
                        piece, _ = scanstring(text[pos : stop + 1], 0)
                    except ValueError:
                        return self._fail()
                    self._pieces.append(piece)
                    value = "".join(self._pieces)
                    self._pieces = None
                    pos = stop + 1
                    if self._str_key:
                        self._keys[-1] = value
                        self._state = _COLON
                    else:
                        self._attach(value)
                    continue
                # cut inside the string: decode what is safe, keep a cut escape
                raw = text[pos:stop]
                keep = _decodable_prefix(raw)
                if keep is None:
                    return self._fail()
                if _HIGH_SURROGATE_TAIL.search(raw, 0, keep) and _escaped_at(raw, keep - 6):
                    keep -= 6  # wait for the low half of the pair
                if keep:
                    self._pieces.append(scanstring(raw[:keep] + '"', 0)[0])
                self._buf = text[pos + keep :]
                return
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                self._buf = ""
                return
            ch = text[pos]
            state = self._state
            if state == _AFTER:
                if not stack:
                    return self._fail()  # data after the value
                if ch == ",":
                    pos += 1
                    self._state = _KEY if type(stack[-1]) is dict else _VALUE
                elif ch == ("}" if type(stack[-1]) is dict else "]"):
                    pos += 1
                    stack.pop()
                    self._keys.pop()
                else:
                    return self._fail()
            elif state == _KEY:
                if ch == "}" and not stack[-1]:  # "{}"
                    pos += 1
                    stack.pop()
                    self._keys.pop()
                    self._state = _AFTER
                    continue
                if ch != '"':
                    return self._fail()
                pos += 1
                self._pieces = []
                self._str_key = True
            elif state == _COLON:
                if ch != ":":
                    return self._fail()
                pos += 1
                self._state = _VALUE
            elif ch == "{" or ch == "[":
                if len(stack) >= self._max_depth:
                    return self._fail()
                container: Any = {} if ch == "{" else []
                self._attach(container)
                stack.append(container)
                self._keys.append(None)
                pos += 1
                self._state = _KEY if ch == "{" else _VALUE
            elif ch == "]":  # only "[]" closes where a value is expected
                if not stack or type(stack[-1]) is not list or stack[-1]:
                    return self._fail()
                pos += 1
                stack.pop()
                self._keys.pop()
                self._state = _AFTER
            elif ch == '"':
                pos += 1
                self._pieces = []
                self._str_key = False
            elif ch in _NUMBER_START:
                m = _NUMBER.match(text, pos)
                assert m is not None
                if m.end() - pos > _MAX_NUMBER:
                    return self._fail()
                if m.end() >= end:  # the number may go on
                    self._buf = text[pos:]
                    return
                raw = m.group()
                number = _number(raw) if _COMPLETE_NUMBER.fullmatch(raw) else _MISSING
                if number is _MISSING:
                    return self._fail()
                pos = m.end()
                self._attach(number)
            else:
                rest = text[pos : pos + 5]
                for word, literal in _LITERALS:
                    if rest.startswith(word):
                        pos += len(word)
                        self._attach(literal)
                        break
                    if word.startswith(rest) and pos + len(rest) >= end:
                        self._buf = text[pos:]  # a literal cut short
                        return
                else:
                    return self._fail()


def _number(raw: str) -> Any:
    """The number ``raw`` stands for (as json.loads reads it); _MISSING if Python refuses it."""
    try:
        if "." in raw or "e" in raw or "E" in raw:
            return float(raw)
        return int(raw)
    except ValueError:  # an integer of more than 4300 digits
        return _MISSING


def _escaped_at(raw: str, i: int) -> bool:
    """Whether the backslash at ``raw[i]`` starts an escape (an even run of backslashes before it)."""
    j = i
    while j > 0 and raw[j - 1] == "\\":
        j -= 1
    return (i - j) % 2 == 0


def _decodable_prefix(raw: str) -> int | None:
    """The length of the longest prefix of a cut string body (within 6 characters of
    its end, for a cut escape) that decodes; ``None`` if there is none."""
    for trim in range(min(6, len(raw)) + 1):
        try:
            scanstring(raw[: len(raw) - trim] + '"', 0)
        except ValueError:
            continue
        return len(raw) - trim
    return None


def _decode_cut(buf: str) -> str:
    """The cut escape held back at the end of a string: nothing (it is dropped)."""
    keep = _decodable_prefix(buf) if buf else 0
    return scanstring(buf[:keep] + '"', 0)[0] if keep else ""
