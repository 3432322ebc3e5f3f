"""Docstrings: the description and per-parameter descriptions of Google-style
(``Args:``), reST (``:param x:``) and NumPy-style docstrings. Pure text handling."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable

__all__ = ["parse_docstring"]

_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_PARAM_SECTIONS = {
    "args",
    "arguments",
    "parameters",
    "params",
    "keyword args",
    "keyword arguments",
    "other parameters",
    "attributes",
}
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_RULE = re.compile(r"^\s*-{3,}\s*$")
_NUMPY_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?::.*)?$")
_REST_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]*?))?\s*:\s*(.*)$")
_REST_PARAM_FIELDS = {"param", "parameter", "arg", "argument", "key", "keyword"}


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """``(description, {parameter: description})`` of a Google, reST or NumPy docstring.

    The description is the text before the first section (``Args:``, ``Returns:``,
    ``:param``, a NumPy ``----`` header...); line breaks inside a paragraph become spaces.
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    description: list[str] = []
    i = 0
    seen_section = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped and i + 1 < len(lines) and _NUMPY_RULE.match(lines[i + 1]) and not _indent(line):
            seen_section = True
            i = _numpy_section(lines, i + 2, stripped.lower() in _GOOGLE_PARAM_SECTIONS, params)
            continue
        header = _GOOGLE_HEADER.match(line)
        if header is not None:
            seen_section = True
            i = _google_section(lines, i + 1, header.group(1).lower() in _GOOGLE_PARAM_SECTIONS, params)
            continue
        field = _REST_FIELD.match(stripped) if not _indent(line) else None
        if field is not None:
            seen_section = True
            i = _rest_field(lines, i, field, params)
            continue
        if not seen_section:
            description.append(stripped)
        i += 1
    return _paragraphs(description), params


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _paragraphs(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join(paragraphs)


_Head = Callable[[str], "tuple[str | None, str] | None"]


def _section(
    lines: list[str], i: int, is_params: bool, params: dict[str, str], ends: Callable[[int], bool], head: _Head
) -> int:
    """Read the items of a section from line ``i`` up to the line where ``ends(i)``.

    ``head(line)`` is ``None`` for a continuation line, else ``(name, first text)`` of a
    new item (a ``None`` name: an item that is not a parameter).
    """
    name: str | None = None
    text: list[str] = []
    while i < len(lines) and not ends(i):
        stripped = lines[i].strip()
        if stripped:
            item = head(lines[i])
            if item is not None:
                if name is not None and is_params:
                    params[name] = " ".join(text).strip()
                name, text = item[0], [item[1]] if item[1] else []
            elif name is not None:
                text.append(stripped)
        i += 1
    if name is not None and is_params:
        params[name] = " ".join(text).strip()
    return i


def _google_section(lines: list[str], i: int, is_params: bool, params: dict[str, str]) -> int:
    first = next((line for line in lines[i:] if line.strip()), "")
    item_indent = _indent(first)

    def head(line: str) -> tuple[str | None, str] | None:
        match = _GOOGLE_ITEM.match(line.strip()) if _indent(line) <= item_indent else None
        return (match.group(1), match.group(2)) if match is not None else None

    def ends(j: int) -> bool:
        return bool(lines[j].strip()) and _indent(lines[j]) == 0

    return _section(lines, i, is_params, params, ends, head)


def _numpy_section(lines: list[str], i: int, is_params: bool, params: dict[str, str]) -> int:
    def head(line: str) -> tuple[str | None, str] | None:
        if _indent(line):
            return None
        match = _NUMPY_ITEM.match(line.strip())
        return (match.group(1) if match else None), ""

    def ends(j: int) -> bool:
        following = lines[j + 1] if j + 1 < len(lines) else ""
        return bool(lines[j].strip()) and not _indent(lines[j]) and bool(_NUMPY_RULE.match(following))

    return _section(lines, i, is_params, params, ends, head)


def _rest_field(lines: list[str], i: int, field: re.Match[str], params: dict[str, str]) -> int:
    kind, arg, first = field.group(1), field.group(2), field.group(3)
    text = [first] if first else []
    i += 1
    while i < len(lines) and lines[i].strip() and _indent(lines[i]):
        text.append(lines[i].strip())
        i += 1
    if kind in _REST_PARAM_FIELDS and arg:
        name = arg.split()[-1].lstrip("*")
        params[name] = " ".join(text).strip()
    return i

