"""Docstrings: the description and per-parameter descriptions of Google-style
(``Args:``), reST (``:param x:``) and NumPy-style docstrings. Pure text handling."""

from __future__ import annotations

import inspect
import re

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


def _google_section(lines: list[str], i: int, is_params: bool, params: dict[str, str]) -> int:
    item_indent: int | None = None
    name: str | None = None
    text: list[str] = []

    def flush() -> None:
        if name is not None and is_params:
            params[name] = " ".join(text).strip()

    while i < len(lines):
        line = lines[i]
        if line.strip() and _indent(line) == 0:
            break
        if line.strip():
            indent = _indent(line)
            if item_indent is None:
                item_indent = indent
            match = _GOOGLE_ITEM.match(line.strip()) if indent <= item_indent else None
            if match is not None:
                flush()
                name, text = match.group(1), [match.group(2)] if match.group(2) else []
            elif name is not None:
                text.append(line.strip())
        i += 1
    flush()
    return i


def _numpy_section(lines: list[str], i: int, is_params: bool, params: dict[str, str]) -> int:
    name: str | None = None
    text: list[str] = []

    def flush() -> None:
        if name is not None and is_params:
            params[name] = " ".join(text).strip()

    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _NUMPY_RULE.match(lines[i + 1]) and not _indent(line):
            break
        if line.strip():
            if not _indent(line):
                match = _NUMPY_ITEM.match(line.strip())
                flush()
                name, text = (match.group(1) if match else None), []
            elif name is not None:
                text.append(line.strip())
        i += 1
    flush()
    return i


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

