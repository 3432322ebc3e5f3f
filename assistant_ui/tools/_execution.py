"""Running tool calls: a prepared :class:`Job` (sync or async, with its timeout), the
concurrent gatherers used by :class:`~assistant_ui.tools.Toolbox` and the run loop, and
the ``approve=`` callback."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
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
    "gather_async",
    "gather_sync",
    "in_order",
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


Prepared = Union[Job, ToolExecution]


def in_order(count: int, done: Iterable[tuple[int, ToolExecution]]) -> list[ToolExecution]:
    ordered: list[ToolExecution | None] = [None] * count
    for index, execution in done:
        ordered[index] = execution
    return [e for e in ordered if e is not None]


async def gather_async(prepared: list[Prepared]) -> list[tuple[int, ToolExecution]]:
    """Run the jobs concurrently (sync tools in worker threads); ``(index, execution)``
    pairs in the order they finished, the calls that never ran first."""
    import anyio

    finished = [(i, p) for i, p in enumerate(prepared) if isinstance(p, ToolExecution)]

    async def one(index: int, job: Job) -> None:
        finished.append((index, await job.run_async()))

    async with anyio.create_task_group() as group:
        for index, item in enumerate(prepared):
            if isinstance(item, Job):
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
    deadlines: dict[int, tuple[float | None, float, Job]] = {}
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


