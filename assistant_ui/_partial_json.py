"""A repairing parser for JSON cut off at an arbitrary point (protocols.md §3).

``parse_partial('{"a": [1, {"b": "x')`` gives ``{"a": [1, {"b": "x"}]}``: strings,
arrays and objects left open are closed, a trailing comma or a dangling key is
dropped, an incomplete number loses its unfinished tail and a partial literal is
completed when its prefix allows it. Complete JSON takes the ``json.loads`` fast
path; this parser only runs on the (rare) incomplete text.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["IncompleteJSON", "parse_partial", "parse_partial_object"]

_WS = re.compile(r"[ \t\n\r]*")
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)?(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?")
_COMPLETE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class IncompleteJSON(ValueError):
    """The text is not a prefix of any JSON value."""


class _Missing:
    pass


_MISSING: Any = _Missing()


def parse_partial(text: str) -> Any:
    """Parse complete or truncated JSON; raise :class:`IncompleteJSON` if impossible
    (including JSON nested too deeply to parse)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    except RecursionError as exc:
        raise IncompleteJSON("JSON nested too deeply") from exc
    parser = _Parser(text)
    try:
        value = parser.value()
    except RecursionError as exc:
        raise IncompleteJSON("JSON nested too deeply") from exc
    if value is _MISSING:
        raise IncompleteJSON("no JSON value")
    parser.skip_ws()
    if parser.pos < len(text):
        raise IncompleteJSON(f"unexpected data at {parser.pos}")
    return value


def parse_partial_object(text: str) -> dict[str, Any] | None:
    """Like :func:`parse_partial` but only an object counts; ``None`` otherwise."""
    if not text.strip():
        return {}
    try:
        value = parse_partial(text)
    except (IncompleteJSON, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class _Parser:
    __slots__ = ("cut", "pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.cut = False

    def skip_ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        assert m is not None
        self.pos = m.end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def value(self) -> Any:
        self.skip_ws()
        if self.at_end():
            return _MISSING
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj()
        if ch == "[":
            return self.arr()
        if ch == '"':
            return self.string()
        if ch == "-" or ch.isdigit():
            return self.number()
        return self.literal()

    def obj(self) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        self.skip_ws()
        if not self.at_end() and self.text[self.pos] == "}":
            self.pos += 1
            return result
        while True:
            self.skip_ws()
            if self.at_end():
                return result  # cut after "{" or after a comma
            if self.text[self.pos] != '"':
                raise IncompleteJSON(f"expected a key at {self.pos}")
            key = self.string()
            if self.cut:
                return result  # the key itself is cut off
            self.skip_ws()
            if self.at_end():
                return result  # dangling key
            if self.text[self.pos] != ":":
                raise IncompleteJSON(f"expected ':' at {self.pos}")
            self.pos += 1
            value = self.value()
            if value is _MISSING:
                return result  # dangling key (or a number with no digit yet)
            result[key] = value
            if not self.separator("}"):
                return result

    def arr(self) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        self.skip_ws()
        if not self.at_end() and self.text[self.pos] == "]":
            self.pos += 1
            return result
        while True:
            value = self.value()
            if value is _MISSING:
                return result
            result.append(value)
            if not self.separator("]"):
                return result

    def separator(self, close: str) -> bool:
        """After a member: ``True`` on a comma (more follow), ``False`` at the end
        of the text or on the closing bracket; anything else is not JSON."""
        self.skip_ws()
        if self.at_end():
            return False
        ch = self.text[self.pos]
        if ch == ",":
            self.pos += 1
            return True
        if ch == close:
            self.pos += 1
            return False
        raise IncompleteJSON(f"expected ',' or {close!r} at {self.pos}")

    def string(self) -> str:
        text = self.text
        start = self.pos + 1
        m = _STRING_BODY.match(text, start)
        assert m is not None
        end = m.end()
        if end < len(text) and text[end] == '"':
            self.pos = end + 1
            return str(json.loads(text[start - 1 : end + 1]))
        # Cut off inside the string. The body regex stops before a lone final
        # backslash; an unfinished \uXXXX escape is trimmed off below.
        self.pos = len(text)
        self.cut = True
        body = text[start:end]
        for trim in range(6):
            try:
                return str(json.loads('"' + body[: len(body) - trim] + '"'))
            except ValueError:
                continue
        raise IncompleteJSON("bad string")

    def number(self) -> Any:
        m = _NUMBER.match(self.text, self.pos)
        assert m is not None
        raw = m.group()
        self.pos = m.end()
        if self.at_end():
            c = _COMPLETE_NUMBER.match(raw)
            if c is None:
                return _MISSING
            raw = c.group()
        elif _COMPLETE_NUMBER.fullmatch(raw) is None:
            raise IncompleteJSON(f"bad number at {self.pos}")
        return json.loads(raw)

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
