"""Client-side tools: ``@tool``, :class:`Tool`, :class:`Toolbox` (API.md §8).

>>> from typing import Literal
>>> @tool
... def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict:
...     '''Current weather of a city.
...
...     Args:
...         city: The city name.
...         unit: Temperature unit.
...     '''
...     return {"city": city, "temp": 21, "unit": unit}
>>> get_weather.name, get_weather.description
('get_weather', 'Current weather of a city.')
>>> get_weather.parameters["properties"]["unit"]
{'type': 'string', 'enum': ['c', 'f'], 'description': 'Temperature unit.', 'default': 'c'}
>>> get_weather("Paris")["temp"]
21

The schema comes from the type hints (see :mod:`assistant_ui.tools.schema` for the supported
ones: str, int, float, bool, None, Any, Literal, Enum, Optional/unions, list/tuple/set/dict,
TypedDict, dataclasses, ``Annotated[X, "description"]``), the description and the
per-parameter descriptions from the docstring (Google ``Args:``, reST ``:param x:`` or
NumPy ``Parameters``). An unsupported hint raises :class:`TypeError` when the function is
decorated. Arguments the backend sends are validated against the schema and converted to
the hinted types (an ``Enum`` member, a dataclass instance, a tuple...) before the call.

Tools given as schemas (the ``{"name": {"description", "parameters"}}`` mapping of
``assistant-ui-sync-server-api``) get their implementations separately:
``Toolbox(schemas, impls={"name": fn})``, or ``thread.run(..., tools=schemas,
tool_impls={"name": fn})``; the schema is then sent exactly as given and the function is
called with the arguments as keywords.

:class:`Toolbox` runs tool calls (:meth:`Toolbox.execute`, :meth:`Toolbox.execute_all`
and their ``_sync`` twins): nothing a tool does can raise out of them. An unknown tool,
invalid arguments, an exception or a timeout becomes a :class:`ToolExecution` with
``is_error=True`` and a message the model can read.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime
import enum
import functools
import inspect
import json
import math
import queue
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Union, overload

from typing_extensions import ParamSpec, TypedDict

from .._transports.headers import run_coroutine_sync
from ..events import Event
from ..messages import add_tool_result
from ..types import AddToolResultCommand, ToolCallPart, ToolResultPart
from ..types import Tool as ToolSpec
from .schema import function_schema, parse_docstring, validate

if TYPE_CHECKING:
    from .runner import AsyncRunStream, RunResult, RunStream

__all__ = [
    "AsyncRunStream",
    "RunEvent",
    "RunResult",
    "RunStream",
    "Tool",
    "ToolArgumentsError",
    "ToolError",
    "ToolExecution",
    "ToolExecutionEndEvent",
    "ToolExecutionStartEvent",
    "ToolRefusedError",
    "ToolTimeoutError",
    "Toolbox",
    "UnknownToolError",
    "to_jsonable",
    "tool",
]

P = ParamSpec("P")
R = TypeVar("R")

#: what providers accept as a function name (OpenAI: ``^[a-zA-Z0-9_-]{1,64}$``), plus ``.``/``:``
_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


# -- errors (what ToolExecution.exception holds when the tool itself did not raise) ------------


class ToolError(Exception):
    """Base of the errors a tool call can end with besides the tool's own exception."""


class UnknownToolError(ToolError, LookupError):
    """The backend asked for a tool that is not in the toolbox."""


class ToolArgumentsError(ToolError, ValueError):
    """The arguments do not fit the tool's schema."""


class ToolTimeoutError(ToolError, TimeoutError):
    """The tool ran longer than its timeout."""


class ToolRefusedError(ToolError):
    """The ``approve=`` callback refused the call."""


# -- events the run stream adds to the normal ones ----------------------------------------------


class ToolExecutionStartEvent(TypedDict):
    type: Literal["tool-execution-start"]
    toolCallId: str
    toolName: str
    args: Any


class ToolExecutionEndEvent(TypedDict):
    type: Literal["tool-execution-end"]
    toolCallId: str
    toolName: str
    result: Any
    isError: bool
    #: seconds
    duration: float


RunEvent = Union[Event, ToolExecutionStartEvent, ToolExecutionEndEvent]


# -- Tool -------------------------------------------------------------------------------------------


def _check_timeout(timeout: float | None) -> float | None:
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
            compiled = function_schema(fn, f"tool {name!r}", param_docs)
            self.parameters = compiled.parameters
            self._converters = compiled.converters
            self._positional = compiled.positional
        else:
            if not isinstance(parameters, Mapping):
                raise TypeError(f"tool {name!r}: parameters must be a JSON Schema dict")
            self.parameters = dict(parameters)
            self._converters = {}
            self._positional = ()
        self.timeout = _check_timeout(timeout)
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
                    kwargs[key] = convert(kwargs[key])
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


# -- executions -----------------------------------------------------------------------------------


@dataclasses.dataclass
class ToolExecution:
    """One tool call the client ran (or refused, or could not run)."""

    tool_call_id: str
    #: the tool name the backend asked for
    name: str
    #: the arguments as the backend sent them
    args: Any
    #: what goes back to the backend: the tool's return value as JSON, or the error message
    result: Any
    is_error: bool = False
    #: seconds, from the start of the call to its end (0 for calls that never ran)
    duration: float = 0.0
    #: the approve= callback refused the call
    refused: bool = False
    #: why the call failed: the tool's own exception, or a :class:`ToolError`
    exception: BaseException | None = dataclasses.field(default=None, repr=False)

    def to_command(self) -> AddToolResultCommand:
        """The ``add-tool-result`` command reporting this execution."""
        return add_tool_result(self.tool_call_id, self.name, self.result, self.is_error)

    def to_result_part(self) -> ToolResultPart:
        """The ``tool-result`` part reporting this execution."""
        return {
            "type": "tool-result",
            "toolCallId": self.tool_call_id,
            "toolName": self.name,
            "result": self.result,
            "isError": self.is_error,
        }

    def end_event(self) -> ToolExecutionEndEvent:
        return {
            "type": "tool-execution-end",
            "toolCallId": self.tool_call_id,
            "toolName": self.name,
            "result": self.result,
            "isError": self.is_error,
            "duration": self.duration,
        }


def start_event(call: Mapping[str, Any]) -> ToolExecutionStartEvent:
    return {
        "type": "tool-execution-start",
        "toolCallId": str(call.get("toolCallId", "")),
        "toolName": str(call.get("toolName", "")),
        "args": call.get("args", {}),
    }


def failed(call: Mapping[str, Any], exc: BaseException, *, duration: float = 0.0) -> ToolExecution:
    """An error execution for ``call``, the message being ``str(exc)``."""
    return ToolExecution(
        tool_call_id=str(call.get("toolCallId", "")),
        name=str(call.get("toolName", "")),
        args=call.get("args", {}),
        result=str(exc),
        is_error=True,
        duration=duration,
        refused=isinstance(exc, ToolRefusedError),
        exception=exc,
    )


def to_jsonable(value: Any) -> Any:
    """A tool's return value as JSON: dataclasses and mappings become objects, tuples and
    sets lists, enums their value, dates ISO strings, pydantic models their
    ``model_dump(mode="json")``, bytes text (or base64); anything else its ``str()``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return to_jsonable(dump(mode="json"))
        except Exception:
            pass
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode("ascii")
    return str(value)


@dataclasses.dataclass
class _Job:
    """A call that passed lookup and validation: what remains is running it."""

    call: Mapping[str, Any]
    tool: Tool[..., Any]
    positional: tuple[Any, ...]
    kwargs: dict[str, Any]
    timeout: float | None

    def done(self, started: float, value: Any) -> ToolExecution:
        duration = time.perf_counter() - started
        try:
            result = to_jsonable(value)
        except Exception as exc:  # a cycle, a __str__ that raises...
            error = ToolError(f"tool {self.tool.name!r} returned a value that cannot be sent: {exc}")
            return failed(self.call, error, duration=duration)
        return ToolExecution(
            tool_call_id=str(self.call.get("toolCallId", "")),
            name=self.tool.name,
            args=self.call.get("args", {}),
            result=result,
            duration=duration,
        )

    def raised(self, started: float, exc: BaseException) -> ToolExecution:
        error = ToolError(f"tool {self.tool.name!r} failed: {type(exc).__name__}: {exc}")
        execution = failed(self.call, error, duration=time.perf_counter() - started)
        execution.exception = exc
        return execution

    def timed_out(self, started: float) -> ToolExecution:
        error = ToolTimeoutError(f"tool {self.tool.name!r} timed out after {self.timeout:g} s")
        return failed(self.call, error, duration=time.perf_counter() - started)

    async def run_async(self) -> ToolExecution:
        import anyio
        import anyio.to_thread

        started = time.perf_counter()
        try:
            with anyio.move_on_after(self.timeout) as scope:
                if self.tool.is_async:
                    value = await self.tool.fn(*self.positional, **self.kwargs)
                else:
                    call = functools.partial(self.tool.fn, *self.positional, **self.kwargs)
                    value = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
                if inspect.isawaitable(value):
                    value = await value
            if scope.cancelled_caught:
                return self.timed_out(started)
        except Exception as exc:
            return self.raised(started, exc)
        return self.done(started, value)

    def run_blocking(self) -> ToolExecution:
        """Run in the current (worker) thread; an async tool gets an event loop of its own."""
        started = time.perf_counter()
        try:
            if self.tool.is_async:
                value = run_coroutine_sync(self._bounded)
            else:
                value = self.tool.fn(*self.positional, **self.kwargs)
                if inspect.isawaitable(value):
                    awaitable = value
                    value = run_coroutine_sync(lambda: awaitable)
        except _TimedOut:
            return self.timed_out(started)
        except Exception as exc:
            return self.raised(started, exc)
        return self.done(started, value)

    async def _bounded(self) -> Any:
        import anyio

        with anyio.move_on_after(self.timeout) as scope:
            value = await self.tool.fn(*self.positional, **self.kwargs)
            if inspect.isawaitable(value):
                value = await value
            return value
        if scope.cancelled_caught:
            raise _TimedOut
        return None  # pragma: no cover - only reached when the scope ended without a value


class _TimedOut(Exception):
    pass


Prepared = Union[_Job, ToolExecution]


# -- Toolbox ----------------------------------------------------------------------------------------

ToolsLike = Union[
    "Toolbox",
    Mapping[str, Any],
    Iterable[Union[Tool[..., Any], Callable[..., Any], Mapping[str, Any]]],
    None,
]


class Toolbox:
    """Tools by name: what to send as ``tools=`` and how to run the calls the backend asks for.

    ``tools`` may be a list of :class:`Tool` objects and plain functions (made tools with
    :func:`tool`), a mapping ``{name: Tool | function | schema}``, another Toolbox, or
    ``{"name", "description", "parameters"}`` dicts. Schemas (the seed package's
    ``{name: {"description", "parameters"}}`` style) take their implementation from
    ``impls={name: function}``; a schema without one, or an implementation that matches no
    schema, raises :class:`ValueError`. ``timeout`` is the default per-call limit (seconds)
    of the tools that have none of their own.

    A Toolbox is also a valid ``tools=`` for ``chat``/``stream``: it iterates over its
    tools, and :meth:`to_spec` gives the ``{name: {"description", "parameters"}}`` mapping.
    """

    def __init__(
        self,
        tools: ToolsLike = None,
        *,
        impls: Mapping[str, Callable[..., Any]] | None = None,
        timeout: float | None = None,
    ) -> None:
        self._tools: dict[str, Tool[..., Any]] = {}
        self.timeout = _check_timeout(timeout)
        impls = dict(impls or {})
        used: set[str] = set()
        if tools is None:
            pass
        elif isinstance(tools, Toolbox):
            for existing in tools:
                self._put(existing)
            self.timeout = self.timeout if timeout is not None else tools.timeout
        elif isinstance(tools, Mapping):
            for name, value in tools.items():
                if not isinstance(name, str):
                    raise TypeError(f"tool names must be str, not {type(name).__name__}")
                self._put(self._entry(name, value, impls, used))
        elif isinstance(tools, (str, bytes)) or not isinstance(tools, Iterable):
            raise TypeError(f"tools must be a list or a mapping of tools, not {type(tools).__name__}")
        else:
            for item in tools:
                if isinstance(item, Mapping):
                    name = item.get("name")
                    if not isinstance(name, str):
                        raise TypeError(f"a tool schema dict needs a 'name': {item!r}")
                    spec = {k: v for k, v in item.items() if k != "name"}
                    self._put(self._entry(name, spec, impls, used))
                else:
                    self._put(self._entry(None, item, impls, used))
        unused = sorted(set(impls) - used)
        if unused:
            raise ValueError(
                f"implementations given for {', '.join(map(repr, unused))}, but no tool schema "
                "has that name"
            )

    @staticmethod
    def _entry(
        name: str | None, value: Any, impls: Mapping[str, Callable[..., Any]], used: set[str]
    ) -> Tool[..., Any]:
        if isinstance(value, Tool):
            return value._renamed(name) if name is not None else value
        if isinstance(value, Mapping):
            assert name is not None
            fn = impls.get(name)
            if fn is None:
                raise ValueError(
                    f"tool {name!r} is a schema without an implementation: pass "
                    f"tool_impls={{{name!r}: function}} (or Toolbox(..., impls=...))"
                )
            used.add(name)
            parameters = value.get("parameters")
            if parameters is None:
                parameters = {"type": "object", "properties": {}}
            made: Tool[..., Any] = Tool(
                fn,
                name=name,
                description=value.get("description") or "",
                parameters=parameters,
            )
            made._extra_spec = {k: v for k, v in value.items() if k not in ("description", "parameters")}
            return made
        if callable(value):
            return Tool(value, name=name)
        raise TypeError(f"cannot use {value!r} as a tool")

    def _put(self, item: Tool[..., Any]) -> None:
        if item.name in self._tools and self._tools[item.name] is not item:
            raise ValueError(f"two tools are named {item.name!r}")
        self._tools[item.name] = item

    # -- registering ---------------------------------------------------------------------------

    def add(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Tool[..., Any]:
        """Add a :class:`Tool` (or make one of a function, with :func:`tool`'s options)."""
        if isinstance(fn, Tool):
            if description is not None or parameters is not None or timeout is not None:
                raise TypeError("only name= may be changed when adding a Tool")
            item = fn._renamed(name) if name is not None else fn
        else:
            item = Tool(fn, name=name, description=description, parameters=parameters, timeout=timeout)
        self._put(item)
        return item

    @overload
    def tool(self, fn: Callable[P, R], /) -> Tool[P, R]: ...

    @overload
    def tool(
        self,
        fn: None = ...,
        /,
        *,
        name: str | None = ...,
        description: str | None = ...,
        parameters: Mapping[str, Any] | None = ...,
        timeout: float | None = ...,
    ) -> Callable[[Callable[P, R]], Tool[P, R]]: ...

    def tool(
        self,
        fn: Callable[P, R] | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
        """Decorator: ``@box.tool`` or ``@box.tool(name=...)`` makes a tool and adds it."""

        def wrap(func: Callable[P, R]) -> Tool[P, R]:
            made = Tool(func, name=name, description=description, parameters=parameters, timeout=timeout)
            self._put(made)
            return made

        if fn is None:
            return wrap
        return wrap(fn)

    # -- reading ---------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Tool[..., Any]]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __getitem__(self, name: str) -> Tool[..., Any]:
        try:
            return self._tools[name]
        except KeyError:
            raise KeyError(f"no tool named {name!r}") from None

    def get(self, name: str) -> Tool[..., Any] | None:
        return self._tools.get(name)

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def to_spec(self) -> dict[str, ToolSpec]:
        """The request's ``tools`` mapping: ``{name: {"description", "parameters"}}``."""
        return {name: item.to_spec() for name, item in self._tools.items()}

    def __repr__(self) -> str:
        return f"Toolbox({', '.join(self._tools)})"

    # -- running -----------------------------------------------------------------------------------

    def prepare(self, call: Mapping[str, Any]) -> Prepared:
        """Look the tool up and bind the arguments: a job to run, or the error execution."""
        name = call.get("toolName")
        item = self._tools.get(name) if isinstance(name, str) else None
        if item is None:
            available = ", ".join(self._tools) or "none"
            return failed(call, UnknownToolError(f"unknown tool {name!r}; available tools: {available}"))
        text = call.get("argsText")
        if isinstance(text, str) and text.strip():
            # the accumulator repairs broken JSON (or falls back to {}): the model should
            # hear that its arguments did not parse rather than have them guessed
            try:
                json.loads(text)
            except ValueError as exc:
                shown = text if len(text) <= 80 else text[:77] + "..."
                error = ToolArgumentsError(
                    f"invalid arguments for tool {name!r}: not valid JSON ({exc}): {shown!r}"
                )
                return failed(call, error)
        try:
            positional, kwargs = item.bind(copy.deepcopy(call.get("args", {})))
        except ToolArgumentsError as exc:
            return failed(call, exc)
        timeout = item.timeout if item.timeout is not None else self.timeout
        return _Job(call, item, positional, kwargs, timeout)

    async def execute(self, call: Mapping[str, Any]) -> ToolExecution:
        """Run one tool call (a ``tool-call`` part: ``toolCallId``, ``toolName``, ``args``)."""
        job = self.prepare(call)
        return await job.run_async() if isinstance(job, _Job) else job

    def execute_sync(self, call: Mapping[str, Any]) -> ToolExecution:
        """Blocking :meth:`execute`."""
        return self.execute_all_sync([call])[0]

    async def execute_all(self, calls: Iterable[Mapping[str, Any]]) -> list[ToolExecution]:
        """Run several calls concurrently; the executions come back in the order of the calls."""
        prepared = [self.prepare(c) for c in calls]
        return _in_order(len(prepared), await gather_async(prepared))

    def execute_all_sync(self, calls: Iterable[Mapping[str, Any]]) -> list[ToolExecution]:
        """Blocking :meth:`execute_all` (one worker thread per call)."""
        prepared = [self.prepare(c) for c in calls]
        return _in_order(len(prepared), list(gather_sync(prepared)))


def _in_order(count: int, done: Iterable[tuple[int, ToolExecution]]) -> list[ToolExecution]:
    ordered: list[ToolExecution | None] = [None] * count
    for index, execution in done:
        ordered[index] = execution
    return [e for e in ordered if e is not None]


async def gather_async(prepared: list[Prepared]) -> list[tuple[int, ToolExecution]]:
    """Run the jobs concurrently (sync tools in worker threads); ``(index, execution)``
    pairs in the order they finished, the calls that never ran first."""
    import anyio

    finished = [(i, p) for i, p in enumerate(prepared) if isinstance(p, ToolExecution)]

    async def one(index: int, job: _Job) -> None:
        finished.append((index, await job.run_async()))

    async with anyio.create_task_group() as group:
        for index, item in enumerate(prepared):
            if isinstance(item, _Job):
                group.start_soon(one, index, item)
    return finished


def gather_sync(prepared: list[Prepared]) -> Iterator[tuple[int, ToolExecution]]:
    """Run the jobs, one daemon worker thread each; yield ``(index, execution)`` as each
    finishes, the calls that never ran first.

    A job past its timeout is reported at once; its thread cannot be stopped and is left
    to finish in the background (its result is dropped). Daemon threads, so a stuck tool
    never keeps the interpreter from exiting.
    """
    done: queue.SimpleQueue[tuple[int, ToolExecution]] = queue.SimpleQueue()
    deadlines: dict[int, tuple[float | None, float, _Job]] = {}
    for index, item in enumerate(prepared):
        if isinstance(item, ToolExecution):
            yield index, item
            continue
        started = time.perf_counter()
        deadline = started + item.timeout if item.timeout is not None else None
        deadlines[index] = (deadline, started, item)
        worker = threading.Thread(
            target=lambda i=index, j=item: done.put((i, j.run_blocking())),
            name=f"assistant-ui-tool-{item.tool.name}",
            daemon=True,
        )
        worker.start()
    while deadlines:
        bounds = [d for d, _, _ in deadlines.values() if d is not None]
        wait = max(0.0, min(bounds) - time.perf_counter()) if bounds else None
        try:
            index, execution = done.get(timeout=wait)
        except queue.Empty:
            now = time.perf_counter()
            for index, (deadline, started, job) in list(deadlines.items()):
                if deadline is not None and deadline <= now:
                    del deadlines[index]
                    yield index, job.timed_out(started)
            continue
        if deadlines.pop(index, None) is not None:
            yield index, execution


# -- approvals -----------------------------------------------------------------------------------

Verdict = Union[bool, str]
Approve = Callable[[ToolCallPart], Union[Verdict, Awaitable[Verdict]]]

DEFAULT_REFUSAL = "the user did not approve this tool call"


def refusal(call: Mapping[str, Any], verdict: Any) -> ToolExecution | None:
    """``None`` when ``verdict`` approves the call, else the refused execution.

    ``True`` approves; ``False`` (or ``None``) refuses; a ``str`` refuses with that reason.
    """
    if verdict is True:
        return None
    if verdict is False or verdict is None or verdict == "":
        reason = DEFAULT_REFUSAL
    elif isinstance(verdict, str):
        reason = verdict
    else:
        raise TypeError(f"approve= must return True, False or a refusal reason (str), not {verdict!r}")
    return failed(call, ToolRefusedError(f"refused: {reason}"))


async def approve_async(approve: Approve | None, call: ToolCallPart) -> ToolExecution | None:
    if approve is None:
        return None
    verdict = approve(call)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    return refusal(call, verdict)


def approve_sync(approve: Approve | None, call: ToolCallPart) -> ToolExecution | None:
    if approve is None:
        return None
    verdict = approve(call)
    if inspect.isawaitable(verdict):
        awaitable = verdict
        verdict = run_coroutine_sync(lambda: awaitable)
    return refusal(call, verdict)


def __getattr__(name: str) -> Any:
    # RunResult and the run streams live with the loop (assistant_ui.tools.runner), which imports
    # this module; they are exported from here too without an import cycle.
    if name in ("RunResult", "AsyncRunStream", "RunStream"):
        from . import runner as _run

        return getattr(_run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
