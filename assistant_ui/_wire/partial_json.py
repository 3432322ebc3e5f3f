"""A repairing parser for JSON cut off at an arbitrary point (docs/wire-formats.md §3).

``parse_partial('{"a": [1, {"b": "x')`` gives ``{"a": [1, {"b": "x"}]}``: strings,
arrays and objects left open are closed, a trailing comma or a dangling key is
dropped, an incomplete number loses its unfinished tail and a partial literal is
completed when its prefix allows it. Complete JSON takes the ``json.loads`` fast
path; this parser only runs on the (rare) incomplete text.

The parser keeps its own stack (it never recurses), and text nested deeper than
``max_depth`` (default :data:`assistant_ui._wire.jsonlib.DEFAULT_MAX_DEPTH`) is refused
with :class:`IncompleteJSON`, whatever the caller's stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .jsonlib import DEFAULT_MAX_DEPTH, too_deep

__all__ = ["IncompleteJSON", "parse_partial", "parse_partial_object"]

_WS = re.compile(r"[ \t\n\r]*")
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?")
_COMPLETE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class IncompleteJSON(ValueError):
    """The text is not a prefix of any JSON value."""


class _Missing:
    pass


_MISSING: Any = _Missing()

# what the parser expects next
_VALUE = 0  # a value (top level, after "[", after "," in an array, after ":")
_KEY = 1  # a key (after "{" or after "," in an object)
_AFTER = 2  # "," or the closing bracket (or the end, at top level)


def parse_partial(text: str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse complete or truncated JSON; raise :class:`IncompleteJSON` if impossible
    (including JSON nested deeper than ``max_depth``)."""
    if too_deep(text, max_depth):
        raise IncompleteJSON(f"JSON nested deeper than {max_depth}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    return _Parser(text, max_depth).parse()


def parse_partial_object(text: str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, Any] | None:
    """Like :func:`parse_partial` but only an object counts; ``None`` otherwise."""
    if not text.strip():
        return {}
    try:
        value = parse_partial(text, max_depth=max_depth)
    except IncompleteJSON:
        return None
    return value if isinstance(value, dict) else None


class _Parser:
    """An explicit-stack parser: containers are attached to their parent when they
    open, so whatever is open when the text ends is already in place."""

    __slots__ = ("max_depth", "pos", "text")

    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.pos = 0
        self.max_depth = max_depth

    def skip_ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()

    def parse(self) -> Any:
        text = self.text
        end = len(text)
        stack: list[Any] = []  # open containers
        keys: list[Any] = []  # per open container: the key awaiting its value (objects)
        root: Any = _MISSING
        state = _VALUE

        def attach(value: Any) -> None:
            nonlocal root
            if not stack:
                root = value
            elif type(stack[-1]) is dict:
                stack[-1][keys[-1]] = value
            else:
                stack[-1].append(value)

        while True:
            self.skip_ws()
            if state == _AFTER:
                if not stack:
                    if self.pos < end:
                        raise IncompleteJSON(f"unexpected data at {self.pos}")
                    return root
                if self.pos >= end:
                    return root  # cut after a value: close everything open
                ch = text[self.pos]
                if ch == ",":
                    self.pos += 1
                    state = _KEY if type(stack[-1]) is dict else _VALUE
                elif ch == ("}" if type(stack[-1]) is dict else "]"):
                    self.pos += 1
                    stack.pop()
                    keys.pop()
                else:
                    raise IncompleteJSON(f"expected ',' or a closing bracket at {self.pos}")
                continue
            if state == _KEY:
                if self.pos >= end:
                    return root  # cut after "{" or after a comma
                if text[self.pos] != '"':
                    raise IncompleteJSON(f"expected a key at {self.pos}")
                key, cut = self.string()
                if cut:
                    return root  # the key itself is cut off
                self.skip_ws()
                if self.pos >= end:
                    return root  # dangling key
                if text[self.pos] != ":":
                    raise IncompleteJSON(f"expected ':' at {self.pos}")
                self.pos += 1
                keys[-1] = key
                state = _VALUE
                continue
            # _VALUE
            if self.pos >= end:
                if root is _MISSING:
                    raise IncompleteJSON("no JSON value")
                return root  # dangling key, or a trailing comma in an array
            ch = text[self.pos]
            if ch == "{" or ch == "[":
                if len(stack) >= self.max_depth:
                    raise IncompleteJSON("JSON nested too deeply")
                container: Any = {} if ch == "{" else []
                attach(container)
                stack.append(container)
                keys.append(None)
                self.pos += 1
                self.skip_ws()
                close = "}" if ch == "{" else "]"
                if self.pos < end and text[self.pos] == close:
                    self.pos += 1
                    stack.pop()
                    keys.pop()
                    state = _AFTER
                else:
                    state = _KEY if ch == "{" else _VALUE
                continue
            if ch == '"':
                value, _ = self.string()
            elif ch == "-" or "0" <= ch <= "9":
                value = self.number()
                if value is _MISSING:  # a number with no digit yet, at the end
                    if root is _MISSING:
                        raise IncompleteJSON("no JSON value")
                    return root
            else:
                value = self.literal()
            attach(value)
            state = _AFTER

    def string(self) -> tuple[str, bool]:
        """The string at ``pos`` and whether the text ended inside it."""
        text = self.text
        start = self.pos + 1
        m = _STRING_BODY.match(text, start)
        assert m is not None
        end = m.end()
        if end < len(text) and text[end] == '"':
            self.pos = end + 1
            try:
                return str(json.loads(text[start - 1 : end + 1])), False
            except ValueError:  # an invalid escape ("\x") or control character
                raise IncompleteJSON(f"bad string at {start - 1}") from None
        # Cut off inside the string. The body regex stops before a lone final
        # backslash; an unfinished \uXXXX escape is trimmed off below.
        self.pos = len(text)
        body = text[start:end]
        for trim in range(6):
            try:
                return str(json.loads('"' + body[: len(body) - trim] + '"')), True
            except ValueError:
                continue
        raise IncompleteJSON("bad string")

    def number(self) -> Any:
        m = _NUMBER.match(self.text, self.pos)
        assert m is not None
        raw = m.group()
        self.pos = m.end()
        if self.pos >= len(self.text):
            c = _COMPLETE_NUMBER.match(raw)
            if c is None:
                return _MISSING
            raw = c.group()
        elif _COMPLETE_NUMBER.fullmatch(raw) is None:
            raise IncompleteJSON(f"bad number at {self.pos}")
        try:
            return json.loads(raw)
        except ValueError:  # an integer past the interpreter's digit limit (4300)
            raise IncompleteJSON(f"number too long at {self.pos - len(raw)}") from None

    def literal(self) -> Any:
        text = self.text
        for word, value in _LITERALS.items():
            if text.startswith(word, self.pos):
                self.pos += len(word)
                return value
            rest = text[self.pos :]
            if word.startswith(rest) and rest:
                self.pos = len(text)
                return value
        raise IncompleteJSON(f"unexpected character at {self.pos}")
