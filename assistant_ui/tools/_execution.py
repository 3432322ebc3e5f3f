"""Running tool calls: a prepared :class:`Job` (sync or async, with its timeout), the
concurrent gatherers used by :class:`~assistant_ui.tools.Toolbox` and the run loop, and
the ``approve=`` callback."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Union

from .._transports.headers import run_coroutine_sync
from ..types import ToolCallPart
from ._decorator import Tool
from ._results import (
    ToolError,
    ToolExecution,
    ToolRefusedError,
    ToolTimeoutError,
    failed,
    to_jsonable,
)

__all__ = [
    "Approve",
    "Prepared",
    "approve_async",
    "approve_sync",
    "refusal",
]


@dataclasses.dataclass
class Job:
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

    async def run_async(self, threads: Any = None) -> ToolExecution:
        """Run in the current task; a sync tool in a worker thread (``threads``: the
        ``anyio.CapacityLimiter`` bounding them; None: anyio's default)."""
        import anyio
        import anyio.to_thread

        started = time.perf_counter()
        try:
            with anyio.move_on_after(self.timeout) as scope:
                if self.tool.is_async:
                    value = await self.tool.fn(*self.positional, **self.kwargs)
                else:
                    call = functools.partial(self.tool.fn, *self.positional, **self.kwargs)
                    value = await anyio.to_thread.run_sync(call, abandon_on_cancel=True, limiter=threads)
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


Prepared = Union[Job, ToolExecution]


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


