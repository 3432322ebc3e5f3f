"""The ``@tool`` decorator and :class:`Tool`: a function with its name, description and
JSON Schema (built from the type hints and docstring), and argument binding."""

from __future__ import annotations

import copy
import functools
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, overload

from typing_extensions import ParamSpec

from ..types import Tool as ToolSpec
from ._docstrings import parse_docstring
from ._pydantic import ConversionError
from ._results import ToolArgumentsError
from ._signature import function_schema
from ._validator import validate

__all__ = ["Tool", "check_timeout", "tool"]

P = ParamSpec("P")
R = TypeVar("R")

#: what providers accept as a function name (OpenAI: ``^[a-zA-Z0-9_-]{1,64}$``), plus ``.``/``:``
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


# -- Tool -------------------------------------------------------------------------------------------


def check_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return float(timeout)


def _doc_of(fn: Callable[..., Any]) -> str | None:
    target: Any = fn
    if isinstance(fn, functools.partial):
        target = fn.func
    elif not inspect.isroutine(fn):  # a callable object: its __call__, else its class
        return inspect.getdoc(type(fn).__call__) or inspect.getdoc(type(fn))
    return inspect.getdoc(target)


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004
    )


def _converted(key: str, convert: Callable[[Any], Any], value: Any) -> Any:
    try:
        return convert(value)
    except ConversionError as exc:  # a pydantic model said no: name the fields
        problems = []
        for path, message in exc.problems:
            where = key if not path else f"{key}{path}" if path.startswith("[") else f"{key}.{path}"
            problems.append(f"{where}: {message}")
        raise ToolArgumentsError("; ".join(problems)) from exc


def _caller_locals() -> dict[str, Any]:
    """The local names of the nearest frame outside this package: where ``@tool`` (or
    ``Tool(...)``, ``Toolbox([...])``, ``thread.run(tools=[...])``) was written. A tool
    defined inside a function may name types (``Literal``, a local dataclass) that only
    that function's locals hold, as pydantic resolves them too."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (isinstance(module, str) and (module == "assistant_ui" or module.startswith("assistant_ui."))):
            break
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None or frame.f_locals is frame.f_globals:
        return {}
    try:
        return dict(frame.f_locals)
    finally:
        del frame


class Tool(Generic[P, R]):
    """A function the backend may call, with its name, description and JSON Schema.

    Calling the tool calls the function. Build one with :func:`tool`.
    """

    #: the name the backend calls the tool by
    name: str
    description: str
    #: the JSON Schema of the arguments (an object schema)
    parameters: dict[str, Any]
    #: seconds a call may take (None: no limit of its own; a Toolbox default may apply)
    timeout: float | None
    fn: Callable[P, R]
    is_async: bool

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"a tool must be a function, not {type(fn).__name__}")
        if name is None:
            name = getattr(fn, "__name__", None)
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(f"cannot name a tool after {fn!r}; pass name=")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(
                f"invalid tool name {name!r}: use 1-128 letters, digits, '_', '-', '.' or ':'"
            )
        summary, param_docs = parse_docstring(_doc_of(fn))
        if description is not None and not isinstance(description, str):
            raise TypeError("description must be a str")
        self.name = name
        self.description = description if description is not None else summary
        self._extra_spec: dict[str, Any] = {}
        if parameters is None:
            compiled = function_schema(fn, f"tool {name!r}", param_docs, _caller_locals)
            self.parameters = compiled.parameters
            self._converters = compiled.converters
            self._positional = compiled.positional
        else:
            if not isinstance(parameters, Mapping):
                raise TypeError(f"tool {name!r}: parameters must be a JSON Schema dict")
            self.parameters = dict(parameters)
            self._converters = {}
            self._positional = ()
        self.timeout = check_timeout(timeout)
        self.fn = fn
        self.is_async = _is_async(fn)
        self.__wrapped__ = fn
        self.__doc__ = getattr(fn, "__doc__", None)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        params = ", ".join(self.parameters.get("properties") or {})
        return f"<Tool {self.name}({params})>"

    def to_spec(self) -> ToolSpec:
        """The ``{"description", "parameters"}`` entry of the request's ``tools`` mapping."""
        spec: dict[str, Any] = {}
        if self.description:
            spec["description"] = self.description
        spec["parameters"] = copy.deepcopy(self.parameters)
        spec.update(copy.deepcopy(self._extra_spec))
        return spec  # type: ignore[return-value]

    def validate(self, args: Any) -> list[str]:
        """What is wrong with ``args`` (the JSON arguments of a call); empty when they fit."""
        if not isinstance(args, Mapping):
            return [f"the arguments must be a JSON object, got {type(args).__name__}"]
        return validate(args, self.parameters)

    def bind(self, args: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Validate ``args`` and convert them to the call's ``(positional, keyword)`` arguments.

        Raises :class:`ToolArgumentsError` naming every problem.
        """
        errors = self.validate(args)
        if errors:
            raise ToolArgumentsError(f"invalid arguments for tool {self.name!r}: " + "; ".join(errors))
        kwargs = dict(args)
        try:
            for key, convert in self._converters.items():
                if key in kwargs:
                    kwargs[key] = _converted(key, convert, kwargs[key])
        except ToolArgumentsError as exc:
            raise ToolArgumentsError(f"invalid arguments for tool {self.name!r}: {exc}") from exc.__cause__
        except Exception as exc:  # a dataclass __post_init__ or an Enum may still say no
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: {type(exc).__name__}: {exc}"
            ) from exc
        positional = tuple(kwargs.pop(name) for name in self._positional if name in kwargs)
        return positional, kwargs

    def _renamed(self, name: str) -> Tool[P, R]:
        if name == self.name:
            return self
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"invalid tool name {name!r}")
        clone = copy.copy(self)
        clone.name = name
        return clone


@overload
def tool(
    fn: Callable[P, R],
    /,
    *,
    name: str | None = ...,
    description: str | None = ...,
    parameters: Mapping[str, Any] | None = ...,
    timeout: float | None = ...,
) -> Tool[P, R]: ...


@overload
def tool(
    fn: None = ...,
    /,
    *,
    name: str | None = ...,
    description: str | None = ...,
    parameters: Mapping[str, Any] | None = ...,
    timeout: float | None = ...,
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a :class:`Tool` of a sync or async function.

    ``@tool``, ``@tool(name=..., description=..., timeout=...)`` or ``tool(fn)``.
    ``name`` defaults to the function's name, ``description`` to its docstring's
    description, ``parameters`` (the JSON Schema) to the one built from its type hints;
    ``timeout`` (seconds) bounds each call: past it the call ends as an error result.
    """

    def wrap(func: Callable[P, R]) -> Tool[P, R]:
        if isinstance(func, Tool):
            raise TypeError(f"{func.name!r} is a Tool already")
        return Tool(func, name=name, description=description, parameters=parameters, timeout=timeout)

    if fn is None:
        return wrap
    return wrap(fn)


