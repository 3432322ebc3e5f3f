""":class:`Toolbox`: tools by name, what to send as ``tools=`` and how to run the calls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, Union, overload

from typing_extensions import ParamSpec

from .._wire.jsonlib import loads_bounded
from ..types import Tool as ToolSpec
from ._decorator import Tool, check_timeout
from ._execution import Job, Prepared
from ._gather import DEFAULT_MAX_CONCURRENCY, check_limit, gather_async, gather_sync, in_order
from ._resend import json_copy
from ._results import ToolArgumentsError, ToolExecution, UnknownToolError, failed

__all__ = ["Toolbox", "ToolsLike"]

P = ParamSpec("P")
R = TypeVar("R")

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
    of the tools that have none of their own. ``max_concurrency`` (default 64) is the most
    calls :meth:`execute_all`, :meth:`execute_all_sync` and each step of a run execute at
    once (the sync side on that many worker threads at most).

    A Toolbox is also a valid ``tools=`` for ``chat``/``stream``: it iterates over its
    tools, and :meth:`to_spec` gives the ``{name: {"description", "parameters"}}`` mapping.
    """

    def __init__(
        self,
        tools: ToolsLike = None,
        *,
        impls: Mapping[str, Callable[..., Any]] | None = None,
        timeout: float | None = None,
        max_concurrency: int | None = None,
    ) -> None:
        self._tools: dict[str, Tool[..., Any]] = {}
        self.timeout = check_timeout(timeout)
        if max_concurrency is None:
            other: Any = tools
            max_concurrency = other.max_concurrency if isinstance(other, Toolbox) else DEFAULT_MAX_CONCURRENCY
        #: the most calls :meth:`execute_all` (and a run's step) runs at once
        self.max_concurrency: int = check_limit(max_concurrency)
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
                loads_bounded(text)  # arguments nested past the decoder's limit are refused
            except ValueError as exc:
                shown = text if len(text) <= 80 else text[:77] + "..."
                error = ToolArgumentsError(
                    f"invalid arguments for tool {name!r}: not valid JSON ({exc}): {shown!r}"
                )
                return failed(call, error)
        try:
            positional, kwargs = item.bind(json_copy(call.get("args", {})))
        except ToolArgumentsError as exc:
            return failed(call, exc)
        except RecursionError:  # a converter or a hand-written schema deeper than the stack
            return failed(call, ToolArgumentsError(f"invalid arguments for tool {name!r}: nested too deeply"))
        timeout = item.timeout if item.timeout is not None else self.timeout
        return Job(call, item, positional, kwargs, timeout)

    async def execute(self, call: Mapping[str, Any]) -> ToolExecution:
        """Run one tool call (a ``tool-call`` part: ``toolCallId``, ``toolName``, ``args``)."""
        job = self.prepare(call)
        return await job.run_async() if isinstance(job, Job) else job

    def execute_sync(self, call: Mapping[str, Any]) -> ToolExecution:
        """Blocking :meth:`execute`."""
        return self.execute_all_sync([call])[0]

    async def execute_all(self, calls: Iterable[Mapping[str, Any]]) -> list[ToolExecution]:
        """Run several calls concurrently; the executions come back in the order of the calls."""
        prepared = [self.prepare(c) for c in calls]
        return in_order(len(prepared), await gather_async(prepared, self.max_concurrency))

    def execute_all_sync(self, calls: Iterable[Mapping[str, Any]]) -> list[ToolExecution]:
        """Blocking :meth:`execute_all` (on at most ``max_concurrency`` worker threads)."""
        prepared = [self.prepare(c) for c in calls]
        return in_order(len(prepared), list(gather_sync(prepared, self.max_concurrency)))


