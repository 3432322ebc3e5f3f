"""Type hints to JSON Schema, docstring parameter descriptions, and a small validator.

Used by :mod:`assistant_ui.tools`. Three pure pieces:

* :func:`compile_hint` turns one type hint into a :class:`Compiled` pair: the JSON Schema
  sent to the backend, and a converter that turns validated JSON back into the hinted
  Python type (an ``Enum`` member, a dataclass instance, a tuple, a set...).
* :func:`parse_docstring` reads the description and the per-parameter descriptions of a
  Google-style (``Args:``), reST (``:param x:``) or NumPy-style docstring.
* :func:`validate` checks a JSON value against the subset of JSON Schema the compiler
  generates (and the common keywords hand-written tool schemas use): ``type``, ``enum``,
  ``const``, ``properties``, ``required``, ``additionalProperties``, ``items``,
  ``prefixItems``, ``minItems``/``maxItems``/``uniqueItems``, ``anyOf``/``oneOf``/``allOf``,
  ``nullable``, string lengths and ``pattern``, numeric bounds. Unknown keywords are
  ignored (a hand-written schema is never rejected for using more than we check).
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import enum
import inspect
import math
import operator
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import typing_extensions
from typing_extensions import is_typeddict

__all__ = [
    "Compiled",
    "compile_hint",
    "function_schema",
    "jsonable_default",
    "parse_docstring",
    "validate",
]

Converter = Callable[[Any], Any]

_SUPPORTED = (
    "str, int, float, bool, None, Any, Literal[...], Enum, Optional/Union (X | None), "
    "list/Sequence[X], tuple[X, ...], tuple[X, Y], set/frozenset[X], dict/Mapping[str, X], "
    "TypedDict, dataclass, Annotated[X, 'description']"
)


def _spellings(name: str) -> set[Any]:
    """A typing special form as spelled by typing_extensions and by typing (when it has it)."""
    return {getattr(module, name) for module in (typing, typing_extensions) if hasattr(module, name)}


_REQUIRED = _spellings("Required")
_NOT_REQUIRED = _spellings("NotRequired")
_REQUIRED_WRAPPERS = _REQUIRED | _NOT_REQUIRED | _spellings("ReadOnly")
_ANNOTATED = _spellings("Annotated")
_LITERAL = _spellings("Literal")
_LIST_ORIGINS = {list, abc.Sequence, abc.MutableSequence}
_SET_ORIGINS = {set, frozenset, abc.Set, abc.MutableSet}
_DICT_ORIGINS = {dict, abc.Mapping, abc.MutableMapping}
_PRIMITIVES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class Compiled(NamedTuple):
    """A hint's JSON Schema and the converter from validated JSON to the hinted type."""

    schema: dict[str, Any]
    #: ``None`` means the JSON value is used as it is
    convert: Converter | None


# -- hints to schema --------------------------------------------------------------------------


def compile_hint(hint: Any, where: str = "type hint") -> Compiled:
    """Compile one type hint; an unsupported one raises :class:`TypeError` naming ``where``."""
    return _Compiler(where).compile(hint)


class _Field(NamedTuple):
    name: str
    hint: Any
    required: bool
    #: the default value, or ``_MISSING``
    default: Any
    description: str | None


class _Compiler:
    def __init__(self, where: str) -> None:
        self.where = where
        self.stack: list[type] = []

    def fail(self, hint: Any, why: str = "") -> TypeError:
        why = why or f"unsupported type hint {_hint_name(hint)}; supported: {_SUPPORTED}"
        return TypeError(f"{self.where}: {why}")

    def compile(self, hint: Any) -> Compiled:
        if hint is Any or hint is object:
            return Compiled({}, None)
        if hint is None or hint is type(None):
            return Compiled({"type": "null"}, None)
        origin = typing_extensions.get_origin(hint)
        args = typing_extensions.get_args(hint)
        if origin in _ANNOTATED:
            return self._annotated(args[0], hint.__metadata__)
        if origin in _REQUIRED_WRAPPERS:
            return self.compile(args[0])
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return self._enum(hint)
        if hint in _PRIMITIVES:
            return self._primitive(hint)
        if origin in _LITERAL:
            return self._literal(hint, args)
        if origin is typing.Union or origin is types.UnionType:
            return self._union(args)
        if hint in _LIST_ORIGINS or origin in _LIST_ORIGINS:
            return self._array(args, list, {})
        if hint is tuple or origin is tuple:
            return self._tuple(hint, args)
        if hint in _SET_ORIGINS or origin in _SET_ORIGINS:
            kind = frozenset if (origin or hint) is frozenset else set
            return self._array(args, kind, {"uniqueItems": True})
        if hint in _DICT_ORIGINS or origin in _DICT_ORIGINS:
            return self._dict(hint, args)
        if isinstance(hint, type) and is_typeddict(hint):
            return self._nested(hint, self._typeddict)
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self._nested(hint, self._dataclass)
        if isinstance(hint, (str, typing.ForwardRef)):
            raise self.fail(hint, f"cannot resolve the forward reference {_hint_name(hint)}")
        raise self.fail(hint)

    def _annotated(self, inner: Any, metadata: tuple[Any, ...]) -> Compiled:
        compiled = self.compile(inner)
        notes = [m for m in metadata if isinstance(m, str)]
        if not notes:
            return compiled
        return Compiled({**compiled.schema, "description": " ".join(notes)}, compiled.convert)

    def _primitive(self, hint: Any) -> Compiled:
        schema = {"type": _PRIMITIVES[hint]}
        if hint is float:
            return Compiled(schema, _to_float)
        if hint is int:
            return Compiled(schema, _to_int)
        return Compiled(schema, None)

    def _enum(self, cls: type[enum.Enum]) -> Compiled:
        values = [member.value for member in cls]
        for value in values:
            if not _is_json_scalar(value):
                raise self.fail(cls, f"the values of {cls.__name__} must be str, int, float or bool")
        schema = _enum_schema(values)
        doc = _own_doc(cls)
        if doc:
            schema["description"] = doc
        return Compiled(schema, cls)

    def _literal(self, hint: Any, args: tuple[Any, ...]) -> Compiled:
        values = [a.value if isinstance(a, enum.Enum) else a for a in args]
        for value in values:
            if value is not None and not _is_json_scalar(value):
                raise self.fail(hint, f"Literal values must be str, int, float, bool or None: {hint!r}")
        return Compiled(_enum_schema(values), None)

    def _union(self, args: tuple[Any, ...]) -> Compiled:
        members = [self.compile(a) for a in args]
        schemas = [m.schema for m in members]
        if any(not s for s in schemas):  # a member is Any
            return Compiled({}, None)
        converters = [(m.schema, m.convert) for m in members]
        if all(c is None for _, c in converters):
            return Compiled({"anyOf": schemas}, None)

        def convert(value: Any) -> Any:
            for schema, conv in converters:
                if not validate(value, schema):
                    return conv(value) if conv is not None else value
            return value

        return Compiled({"anyOf": schemas}, convert)

    def _array(self, args: tuple[Any, ...], kind: type, extra: dict[str, Any]) -> Compiled:
        schema: dict[str, Any] = {"type": "array", **extra}
        item_conv: Converter | None = None
        if args:
            item = self.compile(args[0])
            if item.schema:
                schema["items"] = item.schema
            item_conv = item.convert
        if item_conv is None:
            return Compiled(schema, None if kind is list else kind)
        conv = item_conv
        return Compiled(schema, lambda value: kind(conv(v) for v in value))

    def _tuple(self, hint: Any, args: tuple[Any, ...]) -> Compiled:
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return self._array(args[:1], tuple, {})
        if Ellipsis in args:
            raise self.fail(hint, f"unsupported tuple form {_hint_name(hint)}")
        if args == ((),):  # tuple[()]
            return Compiled({"type": "array", "maxItems": 0}, tuple)
        items = [self.compile(a) for a in args]
        schema = {
            "type": "array",
            "prefixItems": [i.schema for i in items],
            "minItems": len(items),
            "maxItems": len(items),
        }
        convs = [i.convert for i in items]
        return Compiled(
            schema,
            lambda value: tuple(c(v) if c is not None else v for c, v in zip(convs, value, strict=False)),
        )

    def _dict(self, hint: Any, args: tuple[Any, ...]) -> Compiled:
        schema: dict[str, Any] = {"type": "object"}
        if not args:
            return Compiled(schema, None)
        key, value = args
        if key is not str and key is not Any:
            raise self.fail(hint, f"dict keys must be str (JSON object keys), not {_hint_name(key)}")
        compiled = self.compile(value)
        if compiled.schema:
            schema["additionalProperties"] = compiled.schema
        conv = compiled.convert
        if conv is None:
            return Compiled(schema, None)
        return Compiled(schema, lambda obj: {k: conv(v) for k, v in obj.items()})

    def _nested(self, cls: type, build: Callable[[type], Compiled]) -> Compiled:
        if cls in self.stack:
            raise self.fail(cls, f"recursive type {cls.__name__} is not supported")
        self.stack.append(cls)
        try:
            return build(cls)
        finally:
            self.stack.pop()

    def _class_hints(self, cls: type) -> dict[str, Any]:
        try:
            return typing_extensions.get_type_hints(cls, include_extras=True)
        except Exception as exc:
            raise self.fail(cls, f"cannot resolve the type hints of {cls.__name__}: {exc}") from None

    def _object(self, cls: type, fields: list[_Field]) -> tuple[dict[str, Any], dict[str, Converter]]:
        summary, docs = parse_docstring(_own_doc(cls, full=True))
        properties: dict[str, Any] = {}
        required: list[str] = []
        converters: dict[str, Converter] = {}
        for name, hint, is_required, default, description in fields:
            compiled = self.compile(hint)
            prop = dict(compiled.schema)
            note = description or docs.get(name)
            if note and "description" not in prop:
                prop["description"] = note
            if default is not _MISSING:
                json_default = jsonable_default(default)
                if json_default is not _MISSING:
                    prop["default"] = json_default
            properties[name] = prop
            if is_required:
                required.append(name)
            if compiled.convert is not None:
                converters[name] = compiled.convert
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        if summary:
            schema["description"] = summary
        return schema, converters

    def _typeddict(self, cls: type) -> Compiled:
        hints = self._class_hints(cls)
        required_keys: frozenset[str] = getattr(cls, "__required_keys__", frozenset(hints))
        fields: list[_Field] = []
        for name, hint in hints.items():
            inner, marked = _strip_required(hint)
            # an explicit Required/NotRequired wins: under postponed annotations
            # (``from __future__ import annotations``) the class itself cannot see it
            is_required = marked if marked is not None else name in required_keys
            fields.append(_Field(name, inner, is_required, _MISSING, None))
        schema, converters = self._object(cls, fields)

        def convert(value: Any) -> Any:
            return {k: converters[k](v) if k in converters else v for k, v in value.items()}

        return Compiled(schema, convert if converters else None)

    def _dataclass(self, cls: type) -> Compiled:
        hints = self._class_hints(cls)
        fields: list[_Field] = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            has_factory = f.default_factory is not dataclasses.MISSING
            is_required = f.default is dataclasses.MISSING and not has_factory
            default = _MISSING if f.default is dataclasses.MISSING else f.default
            description = f.metadata.get("description") if f.metadata else None
            fields.append(_Field(f.name, hints.get(f.name, Any), is_required, default, description))
        schema, converters = self._object(cls, fields)

        def convert(value: Any) -> Any:
            return cls(**{k: converters[k](v) if k in converters else v for k, v in value.items()})

        return Compiled(schema, convert)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _strip_required(hint: Any) -> tuple[Any, bool | None]:
    """``NotRequired[Annotated[int, "x"]]`` -> ``(Annotated[int, "x"], False)``."""
    origin = typing_extensions.get_origin(hint)
    if origin in _REQUIRED_WRAPPERS:
        inner, marked = _strip_required(typing_extensions.get_args(hint)[0])
        if marked is None and origin in _REQUIRED:
            marked = True
        elif marked is None and origin in _NOT_REQUIRED:
            marked = False
        return inner, marked
    if origin in _ANNOTATED:
        inner, marked = _strip_required(typing_extensions.get_args(hint)[0])
        if marked is not None:
            annotated: Any = typing_extensions.Annotated
            return annotated[tuple([inner, *hint.__metadata__])], marked
    return hint, None


def _to_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


def _to_int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _is_json_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    kinds = []
    for value in values:
        kind = _json_type(value)
        if kind not in kinds:
            kinds.append(kind)
    schema: dict[str, Any] = {}
    if len(kinds) == 1:
        schema["type"] = kinds[0]
    elif kinds == ["integer", "number"] or kinds == ["number", "integer"]:
        schema["type"] = "number"
    else:
        schema["type"] = kinds
    schema["enum"] = values
    return schema


def _hint_name(hint: Any) -> str:
    if isinstance(hint, type) and typing_extensions.get_origin(hint) is None:
        return hint.__qualname__
    return repr(hint)


def _own_doc(cls: type, *, full: bool = False) -> str:
    """A class's own docstring (not an inherited one, nor the one dataclasses generate)."""
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str):
        return ""
    if dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "("):
        return ""
    if is_typeddict(cls) and doc.strip() in ("", "dict() -> new empty dictionary"):
        return ""
    if isinstance(cls, type) and issubclass(cls, enum.Enum) and doc.strip() == "An enumeration.":
        return ""
    return doc if full else parse_docstring(doc)[0]


def jsonable_default(value: Any) -> Any:
    """A default value as JSON, or ``_MISSING`` when it has no faithful JSON form."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _MISSING
    if isinstance(value, (list, tuple)):
        items = [jsonable_default(v) for v in value]
        return _MISSING if any(i is _MISSING for i in items) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        out = {k: jsonable_default(v) for k, v in value.items()}
        return _MISSING if any(v is _MISSING for v in out.values()) else out
    return _MISSING


# -- functions --------------------------------------------------------------------------------


class FunctionSchema(NamedTuple):
    parameters: dict[str, Any]
    converters: dict[str, Converter]
    #: the names of positional-only parameters, in order (passed positionally)
    positional: tuple[str, ...]


def function_schema(fn: Callable[..., Any], where: str, param_docs: Mapping[str, str]) -> FunctionSchema:
    """The ``parameters`` object schema of a function (``additionalProperties: false``)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: cannot read the signature: {exc}") from None
    hints = _function_hints(fn, where)
    compiler = _Compiler(where)
    properties: dict[str, Any] = {}
    required: list[str] = []
    converters: dict[str, Converter] = {}
    positional: list[str] = []
    for name, param in signature.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            star = "*" if param.kind is param.VAR_POSITIONAL else "**"
            raise TypeError(
                f"{where}: {star}{name} cannot be described to the model; declare each parameter"
            )
        compiler.where = f"{where}, parameter {name!r}"
        compiled = compiler.compile(hints.get(name, Any))
        prop = dict(compiled.schema)
        note = param_docs.get(name)
        if note and "description" not in prop:
            prop["description"] = note
        if param.default is param.empty:
            required.append(name)
        else:
            default = jsonable_default(param.default)
            if default is not _MISSING:
                prop["default"] = default
        properties[name] = prop
        if compiled.convert is not None:
            converters[name] = compiled.convert
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return FunctionSchema(schema, converters, tuple(positional))


def _function_hints(fn: Callable[..., Any], where: str) -> dict[str, Any]:
    target: Any = fn
    for _ in range(3):  # partials and callable objects: their underlying function
        if isinstance(target, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
            break
        inner = getattr(target, "func", None) or getattr(target, "__call__", None)  # noqa: B004
        if inner is None or inner is target:
            break
        target = inner
    try:
        return typing_extensions.get_type_hints(target, include_extras=True)
    except Exception as exc:
        raise TypeError(f"{where}: cannot resolve the type hints: {exc}") from None


# -- docstrings -------------------------------------------------------------------------------

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


# -- validation -------------------------------------------------------------------------------

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


def _json_type(value: Any) -> str:
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


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: ``True`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
                f"{_where(path)}expected {' or '.join(known)}, got {_json_type(value)} {_short(value)}"
            )
            return
    if "enum" in schema and isinstance(schema["enum"], list):
        if not any(_json_equal(value, option) for option in schema["enum"]):
            options = ", ".join(_short(o) for o in schema["enum"])
            errors.append(f"{_where(path)}expected one of {options}; got {_short(value)}")
            return
    if "const" in schema and not _json_equal(value, schema["const"]):
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
            if any(_json_equal(item, other) for other in value[:i]):
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
