"""Type hints to JSON Schema (the ``parameters`` of a ``@tool``).

:func:`compile_hint` turns one type hint into a :class:`Compiled` pair: the JSON Schema
sent to the backend, and a converter that turns validated JSON back into the hinted
Python type (an ``Enum`` member, a dataclass instance, a tuple, a set...).
:mod:`assistant_ui.tools._signature` does it for every parameter of a function.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import typing_extensions
from typing_extensions import is_typeddict

from ._docstrings import parse_docstring
from ._pydantic import is_model, model_converter, model_schema
from ._validator import json_type, validate

__all__ = [
    "MISSING",
    "Compiled",
    "Compiler",
    "Namespace",
    "compile_hint",
    "jsonable_default",
    "resolve_hints",
]

Converter = Callable[[Any], Any]
#: gives the extra names string annotations may need (called only when needed)
Namespace = Callable[[], Mapping[str, Any]]

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


def compile_hint(hint: Any, where: str = "type hint", namespace: Namespace | None = None) -> Compiled:
    """Compile one type hint; an unsupported one raises :class:`TypeError` naming ``where``.

    ``namespace()`` gives the names (a defining function's locals) that the string
    annotations of the dataclasses and TypedDicts met may need, beyond their module's.
    """
    compiler = Compiler(where, namespace)
    compiled = compiler.compile(hint)
    return Compiled(compiler.with_defs(compiled.schema), compiled.convert)


class _Field(NamedTuple):
    name: str
    hint: Any
    required: bool
    #: the default value, or ``MISSING``
    default: Any
    description: str | None


class Compiler:
    def __init__(self, where: str, namespace: Namespace | None = None) -> None:
        self.where = where
        self.namespace = namespace
        self.stack: list[type] = []
        #: ``$defs`` that nested schemas (pydantic models) refer to, for the root schema
        self.defs: dict[str, Any] = {}

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
        if is_model(hint):
            return self._model(hint)
        if isinstance(hint, (str, typing.ForwardRef)):
            raise self.fail(hint, f"cannot resolve the forward reference {_hint_name(hint)}")
        raise self.fail(hint)

    def _model(self, cls: type) -> Compiled:
        schema, defs = model_schema(cls)
        for name, definition in defs.items():
            if self.defs.setdefault(name, definition) != definition:
                raise self.fail(cls, f"two different models are named {name!r}; rename one")
        return Compiled(schema, model_converter(cls))

    def with_defs(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with the ``$defs`` its nested models refer to."""
        return {**schema, "$defs": dict(self.defs)} if self.defs else schema

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
            return resolve_hints(cls, self.namespace)
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
            if default is not MISSING:
                json_default = jsonable_default(default)
                if json_default is not MISSING:
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
            fields.append(_Field(name, inner, is_required, MISSING, None))
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
            default = MISSING if f.default is dataclasses.MISSING else f.default
            description = f.metadata.get("description") if f.metadata else None
            fields.append(_Field(f.name, hints.get(f.name, Any), is_required, default, description))
        schema, converters = self._object(cls, fields)

        def convert(value: Any) -> Any:
            return cls(**{k: converters[k](v) if k in converters else v for k, v in value.items()})

        return Compiled(schema, convert)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


#: no value (a field without a default, a default without a JSON form)
MISSING: Any = _Missing()


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
        kind = json_type(value)
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
    """A default value as JSON, or ``MISSING`` when it has no faithful JSON form."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else MISSING
    if isinstance(value, (list, tuple)):
        items = [jsonable_default(v) for v in value]
        return MISSING if any(i is MISSING for i in items) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        out = {k: jsonable_default(v) for k, v in value.items()}
        return MISSING if any(v is MISSING for v in out.values()) else out
    return MISSING


def resolve_hints(obj: Any, namespace: Namespace | None) -> dict[str, Any]:
    """``get_type_hints(obj)``; on a name the module lacks, again with ``namespace()`` as
    the local names (the module's names still count)."""
    try:
        return typing_extensions.get_type_hints(obj, include_extras=True)
    except NameError:
        localns = namespace() if namespace is not None else None
        if not localns:
            raise
        return typing_extensions.get_type_hints(obj, localns=dict(localns), include_extras=True)
