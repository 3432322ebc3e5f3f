"""A small JSON Schema validator for tool arguments.

It checks the subset of JSON Schema the compiler (:mod:`assistant_ui.tools._schema_compiler`)
generates and the common keywords hand-written tool schemas use: ``type``, ``enum``,
``const``, ``properties``, ``required``, ``additionalProperties``, ``items``,
``prefixItems``, ``minItems``/``maxItems``/``uniqueItems``, ``anyOf``/``oneOf``/``allOf``,
``nullable``, string lengths and ``pattern``, numeric bounds. Unknown keywords are
ignored (a hand-written schema is never rejected for using more than we check).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["json_equal", "json_type", "validate"]

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, (list, tuple)),
    "object": lambda v: isinstance(v, Mapping),
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: ``True`` is not ``1``. Iterative: any depth."""
    todo = [(a, b)]
    while todo:
        x, y = todo.pop()
        if isinstance(x, bool) or isinstance(y, bool):
            if type(x) is not type(y) or x != y:
                return False
        elif isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            if len(x) != len(y):
                return False
            todo.extend(zip(x, y, strict=True))
        elif isinstance(x, Mapping) and isinstance(y, Mapping):
            if x.keys() != y.keys():
                return False
            todo.extend((x[k], y[k]) for k in x)
        elif isinstance(x, (list, tuple, Mapping)) or isinstance(y, (list, tuple, Mapping)) or not x == y:
            return False
    return True


class _Text(str):
    """Literal text in :func:`_short`'s work list."""


def _short(value: Any, limit: int = 60) -> str:
    """A ``repr``-like preview of ``value``, at most ``limit`` characters; it reads only as
    much of the value as it shows, at any depth."""
    out: list[str] = []
    size = 0
    todo: list[Any] = [value]
    while todo and size <= limit:
        item = todo.pop()
        if isinstance(item, _Text):
            piece = str(item)
        elif isinstance(item, (Mapping, list, tuple)):
            is_map = isinstance(item, Mapping)
            entries = list(itertools.islice(item.items() if isinstance(item, Mapping) else item, 32))
            parts: list[Any] = []
            for i, entry in enumerate(entries):
                if i:
                    parts.append(_Text(", "))
                parts.extend([_Text(repr(entry[0]) + ": "), entry[1]] if is_map else [entry])
            if len(entries) < len(item):
                parts.append(_Text(", ..."))
            opening, closing = ("{", "}") if is_map else ("[", "]") if isinstance(item, list) else ("(", ")")
            todo.append(_Text(closing))
            todo.extend(reversed(parts))
            piece = opening
        else:
            piece = repr(item)
        out.append(piece)
        size += len(piece)
    text = "".join(out)
    return text if len(text) <= limit and not todo else text[: limit - 3] + "..."


def validate(value: Any, schema: Any, path: str = "") -> list[str]:
    """The ways ``value`` breaks ``schema``, as readable messages (empty when it fits)."""
    errors: list[str] = []
    _check(value, schema, path, errors)
    return errors


def _where(path: str) -> str:
    return f"{path}: " if path else ""


def _check(value: Any, schema: Any, path: str, errors: list[str]) -> None:
    if schema is True or schema is None:
        return
    if schema is False:
        errors.append(f"{_where(path)}no value is allowed here")
        return
    if not isinstance(schema, Mapping):
        return
    if value is None and schema.get("nullable") is True:
        return
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            failures = [validate(value, b, path) for b in branches]
            if all(failures):
                expected = [_describe(b) for b in branches]
                errors.append(
                    f"{_where(path)}expected {' or '.join(expected)}, got {_short(value)}"
                )
                return
    for branch in schema.get("allOf") or []:
        _check(value, branch, path, errors)
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if schema.get("nullable") is True:
            kinds = [*kinds, "null"]
        known = [k for k in kinds if k in _TYPE_CHECKS]
        if known and not any(_TYPE_CHECKS[k](value) for k in known):
            errors.append(
                f"{_where(path)}expected {' or '.join(known)}, got {json_type(value)} {_short(value)}"
            )
            return
    if "enum" in schema and isinstance(schema["enum"], list):
        if not any(json_equal(value, option) for option in schema["enum"]):
            options = ", ".join(_short(o) for o in schema["enum"])
            errors.append(f"{_where(path)}expected one of {options}; got {_short(value)}")
            return
    if "const" in schema and not json_equal(value, schema["const"]):
        errors.append(f"{_where(path)}expected {_short(schema['const'])}, got {_short(value)}")
        return
    if isinstance(value, Mapping):
        _check_object(value, schema, path, errors)
    elif isinstance(value, (list, tuple)):
        _check_array(value, schema, path, errors)
    elif isinstance(value, str):
        _check_string(value, schema, path, errors)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, schema, path, errors)


def _describe(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return "any value" if schema is not False else "nothing"
    if "enum" in schema:
        return "one of " + ", ".join(_short(o) for o in schema["enum"])
    if "const" in schema:
        return _short(schema["const"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if isinstance(kind, str):
        return kind
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(_describe(b) for b in schema.get("anyOf") or schema.get("oneOf") or [])
    return "a matching value"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_object(value: Mapping[str, Any], schema: Mapping[str, Any], path: str, errors: list[str]) -> None:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    for name in schema.get("required") or []:
        if name not in value:
            what = "argument" if not path else "property"
            errors.append(f"{_where(path)}missing required {what} {name!r}")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(item, properties[key], _join(path, str(key)), errors)
        elif extra is False:
            what = "argument" if not path else "property"
            allowed = ", ".join(repr(p) for p in properties) or "none"
            errors.append(f"{_where(path)}unexpected {what} {key!r} (allowed: {allowed})")
        elif isinstance(extra, Mapping):
            _check(item, extra, _join(path, str(key)), errors)


def _check_array(value: list[Any] | tuple[Any, ...], schema: Mapping[str, Any], path: str, errors: list[str]) -> None:
    prefix = schema.get("prefixItems")
    prefix = prefix if isinstance(prefix, list) else []
    min_items, max_items = schema.get("minItems"), schema.get("maxItems")
    if isinstance(min_items, int) and len(value) < min_items:
        errors.append(f"{_where(path)}expected at least {min_items} items, got {len(value)}")
    if isinstance(max_items, int) and len(value) > max_items:
        errors.append(f"{_where(path)}expected at most {max_items} items, got {len(value)}")
    items = schema.get("items")
    for i, item in enumerate(value):
        if i < len(prefix):
            _check(item, prefix[i], f"{path}[{i}]", errors)
        elif items is not None:
            _check(item, items, f"{path}[{i}]", errors)
    if schema.get("uniqueItems") is True:
        for i, item in enumerate(value):
            if any(json_equal(item, other) for other in value[:i]):
                errors.append(f"{_where(path)}items must be unique; {_short(item)} is repeated")
                break


def _check_string(value: str, schema: Mapping[str, Any], path: str, errors: list[str]) -> None:
    min_length, max_length = schema.get("minLength"), schema.get("maxLength")
    if isinstance(min_length, int) and len(value) < min_length:
        errors.append(f"{_where(path)}expected at least {min_length} characters")
    if isinstance(max_length, int) and len(value) > max_length:
        errors.append(f"{_where(path)}expected at most {max_length} characters")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            matched = re.search(pattern, value) is not None
        except re.error:
            matched = True  # a pattern Python cannot read is not the caller's fault
        if not matched:
            errors.append(f"{_where(path)}{_short(value)} does not match {pattern!r}")


_BOUNDS: tuple[tuple[str, Callable[[Any, Any], Any], str], ...] = (
    ("minimum", operator.ge, ">="),
    ("maximum", operator.le, "<="),
    ("exclusiveMinimum", operator.gt, ">"),
    ("exclusiveMaximum", operator.lt, "<"),
)


def _check_number(value: float, schema: Mapping[str, Any], path: str, errors: list[str]) -> None:
    for key, ok, sign in _BOUNDS:
        bound = schema.get(key)
        if isinstance(bound, (int, float)) and not isinstance(bound, bool) and not ok(value, bound):
            errors.append(f"{_where(path)}expected a number {sign} {bound}, got {value}")
