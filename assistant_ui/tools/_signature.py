"""A function's parameters as the ``parameters`` object schema of a tool, with the
converters that turn validated JSON arguments into the hinted Python values."""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ._schema_compiler import (
    MISSING,
    Compiler,
    Converter,
    Namespace,
    jsonable_default,
    resolve_hints,
)

__all__ = ["FunctionSchema", "function_schema"]


class FunctionSchema(NamedTuple):
    parameters: dict[str, Any]
    converters: dict[str, Converter]
    #: the names of positional-only parameters, in order (passed positionally)
    positional: tuple[str, ...]


def function_schema(
    fn: Callable[..., Any],
    where: str,
    param_docs: Mapping[str, str],
    namespace: Namespace | None = None,
) -> FunctionSchema:
    """The ``parameters`` object schema of a function (``additionalProperties: false``).

    String annotations (``from __future__ import annotations``) are resolved in the
    function's module and, when that is not enough, in ``namespace()`` (the locals of the
    frame that defined the tool: a ``Literal`` imported, or a dataclass defined, inside a
    function).
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: cannot read the signature: {exc}") from None
    hints = _function_hints(fn, where, namespace)
    compiler = Compiler(where, namespace)
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
            if default is not MISSING:
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
    return FunctionSchema(compiler.with_defs(schema), converters, tuple(positional))


def _function_hints(fn: Callable[..., Any], where: str, namespace: Namespace | None) -> dict[str, Any]:
    target: Any = fn
    for _ in range(3):  # partials and callable objects: their underlying function
        if isinstance(target, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
            break
        inner = getattr(target, "func", None) or getattr(target, "__call__", None)  # noqa: B004
        if inner is None or inner is target:
            break
        target = inner
    try:
        return resolve_hints(target, namespace)
    except Exception as exc:
        raise TypeError(f"{where}: cannot resolve the type hints: {exc}") from None
