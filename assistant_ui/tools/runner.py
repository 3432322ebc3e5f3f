"""The tool-calling loop: ``thread.run`` / ``run_sync`` / ``run_stream`` / ``run_stream_sync``
(API.md §8).

One step is one chat request. After each step the loop looks at the answer:

* the status is ``requires-action`` and some tool calls have no result (the calls the
  backend left to the client): unless ``max_steps`` requests were made already, it runs
  them (approvals first, one by one in call order; then every approved call concurrently),
  sends the results and starts the next step;
* otherwise the run is over.

How results go back depends on ``client.api``:

* ``"assistant-ui"``: ``add-tool-result`` commands on the same thread (the body carries
  ``commands`` only; the messages are not sent again). ``state`` is the state the last
  answer left, ``assistant_message_id`` the id of the message being continued.
* ``"ai-sdk"`` and ``"openai"``: the whole history again, grown by the assistant's step and
  a tool message with the results (:func:`assistant_ui._wire.requests.history.history_after`).

``RunResult.stop_reason``:

* ``"max_steps"``: the last answer still asked for tools, but ``max_steps`` requests were
  made; its calls were not run (they are ``result.final.pending_tool_calls``).
* ``"refused"``: the backend stopped asking right after a step in which ``approve=``
  refused at least one call; the final answer is its reaction to the refusal.
* ``"done"``: the backend stopped asking (any other way: read ``result.final.status`` to
  see whether it completed, was cancelled or cut short).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .._call.result import ChatResult
from .._wire.requests.history import history_after
from ..types import AssistantMessage, ToolCallPart
from ._execution import Approve, approve_async, approve_sync, gather_async, gather_sync
from ._results import RunEvent, ToolExecution, start_event
from ._toolbox import Toolbox, ToolsLike

if TYPE_CHECKING:
    from .._thread import ThreadClient

__all__ = [
    "AsyncRunStream",
    "RunResult",
    "RunStream",
    "run_async",
    "run_stream",
    "run_stream_sync",
    "run_sync",
]

StopReason = Literal["done", "max_steps", "refused"]


@dataclasses.dataclass
class RunResult:
    """What ``thread.run`` returns: every step and every tool execution."""

    #: every step's :class:`ChatResult`, in order (one per request)
    steps: list[ChatResult]
    #: every tool call the client handled, step by step, in the order of the calls
    executions: list[ToolExecution]
    #: ``"done"``, ``"max_steps"`` or ``"refused"`` (see :mod:`assistant_ui.tools.runner`)
    stop_reason: StopReason
    #: ``ai-sdk``/``openai``: the conversation after the run (the last request's messages
    #: plus the final answer), to send with the next user message. ``None`` for
    #: ``assistant-ui``, whose server keeps the thread.
    history: list[dict[str, Any]] | None = None

    @property
    def final(self) -> ChatResult:
        """The last step's result."""
        return self.steps[-1]

    @property
    def text(self) -> str:
        """The final answer's text."""
        return self.final.text

    @property
    def message(self) -> AssistantMessage:
        """The final answer's message."""
        return self.final.message

    def __repr__(self) -> str:
        text = self.text
        if len(text) > 60:
            text = text[:57] + "..."
        return (
            f"<RunResult stop_reason={self.stop_reason!r} steps={len(self.steps)} "
            f"executions={len(self.executions)} text={text!r}>"
        )


class _Loop:
    """The loop's state and decisions; the four shells below only do the I/O."""

    def __init__(
        self,
        thread: ThreadClient,
        messages: Any,
        *,
        tools: ToolsLike,
        tool_impls: Mapping[str, Any] | None,
        max_steps: int,
        approve: Approve | None,
        tool_timeout: float | None,
        kwargs: dict[str, Any],
    ) -> None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be an int >= 1, got {max_steps!r}")
        if approve is not None and not callable(approve):
            raise TypeError("approve= must be a callable")
        self.thread = thread
        self.toolbox = Toolbox(tools, impls=tool_impls, timeout=tool_timeout)
        self.specs = self.toolbox.to_spec() or None
        self.max_steps = max_steps
        self.approve = approve
        self.by_history = thread.client.api != "assistant-ui"
        kwargs = dict(kwargs)
        self.commands = kwargs.pop("commands", None)
        self.state = kwargs.pop("state", None)
        message_id = kwargs.pop("assistant_message_id", None)
        camel_id = kwargs.pop("unstable_assistantMessageId", None)
        if message_id is not None and camel_id is not None and message_id != camel_id:
            raise TypeError("got both unstable_assistantMessageId= and assistant_message_id= with different values")
        self.message_id = message_id if message_id is not None else camel_id
        if self.by_history and self.commands is not None:
            raise ValueError(
                f"run() with api={thread.client.api!r} re-sends the history; pass the "
                "conversation as messages= rather than commands="
            )
        self.kwargs = kwargs
        self.messages = messages
        self.steps: list[ChatResult] = []
        self.executions: list[ToolExecution] = []
        self.refused_last = False
        self.stop_reason: StopReason | None = None

    def request(self) -> dict[str, Any]:
        """The keyword arguments of the next ``thread.stream`` call."""
        return {
            "messages": self.messages,
            "tools": self.specs,
            "commands": self.commands,
            "state": self.state,
            "assistant_message_id": self.message_id,
            **self.kwargs,
        }

    def after_step(self, result: ChatResult) -> list[ToolCallPart]:
        """Record a step; the calls to run now, or ``[]`` when the run is over."""
        self.steps.append(result)
        pending = result.pending_tool_calls if result.status.get("type") == "requires-action" else []
        if not pending:
            self.stop_reason = "refused" if self.refused_last else "done"
            return []
        if len(self.steps) >= self.max_steps:
            self.stop_reason = "max_steps"
            return []
        return pending

    def after_tools(self, result: ChatResult, executions: list[ToolExecution]) -> None:
        """Record a step's executions and prepare the request that reports them."""
        self.executions.extend(executions)
        self.refused_last = any(e.refused for e in executions)
        self.state = result.state
        if self.by_history:
            self.messages = history_after(
                self.messages, result.message, [e.to_result_part() for e in executions]
            )
            self.message_id = None
        else:
            self.messages = None
            self.commands = [e.to_command() for e in executions]
            self.message_id = result.message.get("id") or self.message_id

    def result(self) -> RunResult:
        assert self.stop_reason is not None
        history = None
        if self.by_history:
            history = history_after(self.messages, self.steps[-1].message, [])
        return RunResult(
            steps=list(self.steps),
            executions=list(self.executions),
            stop_reason=self.stop_reason,
            history=history,
        )


class _RunStreamCore:
    def __init__(self, loop: _Loop) -> None:
        self._loop = loop
        self._result: RunResult | None = None

    @property
    def result(self) -> RunResult | None:
        """The :class:`RunResult` once the run is over, else ``None``."""
        return self._result

    @property
    def steps(self) -> list[ChatResult]:
        """The steps finished so far."""
        return list(self._loop.steps)


class AsyncRunStream(_RunStreamCore):
    """``async with thread.run_stream(...) as run: async for event in run: ...``

    Yields every step's events, as they arrive, and around each tool call a
    ``tool-execution-start`` event (before it runs) and a ``tool-execution-end`` event
    (``result``, ``isError``, ``duration`` in seconds). The calls of one step run
    concurrently; their end events come once they have all finished, in the order they
    finished (refused, unknown and invalid calls first). :meth:`final` gives the
    :class:`RunResult`.
    """

    def __init__(self, loop: _Loop) -> None:
        super().__init__(loop)
        self._events = self._run()

    async def __aenter__(self) -> AsyncRunStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncRunStream:
        return self

    async def __anext__(self) -> RunEvent:
        return await self._events.__anext__()

    async def final(self) -> RunResult:
        """Run to the end (reading the rest of the events) and return the :class:`RunResult`."""
        async for _ in self:
            pass
        if self._result is None:
            raise RuntimeError("the run was closed before it finished")
        return self._result

    async def aclose(self) -> None:
        """Stop now: the current request's connection is released, nothing more is sent."""
        await self._events.aclose()

    async def _run(self) -> AsyncGenerator[RunEvent, None]:
        loop = self._loop
        while True:
            async with loop.thread.stream(**loop.request()) as stream:
                async for event in stream:
                    yield event
                result = await stream.final()
            calls = loop.after_step(result)
            if not calls:
                break
            prepared = []
            for call in calls:
                refused = await approve_async(loop.approve, call)
                prepared.append(refused if refused is not None else loop.toolbox.prepare(call))
            for call in calls:
                yield start_event(call)
            finished = await gather_async(prepared)
            for _, execution in finished:
                yield execution.end_event()
            loop.after_tools(result, _ordered(len(calls), finished))
        self._result = loop.result()


class RunStream(_RunStreamCore):
    """``with thread.run_stream_sync(...) as run: for event in run: ...``

    The events of :class:`AsyncRunStream`; here each ``tool-execution-end`` event comes
    as soon as its call has finished.
    """

    def __init__(self, loop: _Loop) -> None:
        super().__init__(loop)
        self._events = self._run()

    def __enter__(self) -> RunStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> RunStream:
        return self

    def __next__(self) -> RunEvent:
        return next(self._events)

    def final(self) -> RunResult:
        """Run to the end (reading the rest of the events) and return the :class:`RunResult`."""
        for _ in self:
            pass
        if self._result is None:
            raise RuntimeError("the run was closed before it finished")
        return self._result

    def close(self) -> None:
        """Stop now: the current request's connection is released, nothing more is sent."""
        self._events.close()

    def _run(self) -> Generator[RunEvent, None, None]:
        loop = self._loop
        while True:
            with loop.thread.stream_sync(**loop.request()) as stream:
                yield from stream
                result = stream.final()
            calls = loop.after_step(result)
            if not calls:
                break
            prepared = []
            for call in calls:
                refused = approve_sync(loop.approve, call)
                prepared.append(refused if refused is not None else loop.toolbox.prepare(call))
            for call in calls:
                yield start_event(call)
            finished = []
            for item in gather_sync(prepared):
                finished.append(item)
                yield item[1].end_event()
            loop.after_tools(result, _ordered(len(calls), finished))
        self._result = loop.result()


def _ordered(count: int, finished: list[tuple[int, ToolExecution]]) -> list[ToolExecution]:
    by_index = dict(finished)
    return [by_index[i] for i in range(count)]


# -- entry points (ThreadClient.run, run_sync, run_stream, run_stream_sync) ---------------------


def run_stream(
    thread: ThreadClient,
    messages: Any = None,
    *,
    tools: ToolsLike = None,
    max_steps: int = 8,
    tool_impls: Mapping[str, Any] | None = None,
    approve: Approve | None = None,
    tool_timeout: float | None = None,
    **kwargs: Any,
) -> AsyncRunStream:
    """The tool-calling loop as a stream of events (:class:`AsyncRunStream`).

    ``tools``: anything :class:`~assistant_ui.tools.Toolbox` takes (``@tool`` functions,
    plain functions, a Toolbox, schemas with ``tool_impls={name: function}``).
    ``max_steps``: the most requests to make. ``approve(call) -> bool | str`` (sync or
    async) is asked before each call: ``True`` runs it, ``False`` or a reason (``str``)
    refuses it, which sends an ``isError`` result ``"refused: <reason>"``; the calls of a
    step are put to it one by one, in order, before any of them runs (a sync callback
    is called in the event loop's thread: make it quick, or async).
    ``tool_timeout``: seconds a call may take, for tools without a timeout of their own.
    Everything else goes to each step's ``thread.stream(...)`` (``system=``,
    ``run_config=``, ``state=``, ``idle_timeout=``, extra body keys...).
    """
    loop = _Loop(
        thread,
        messages,
        tools=tools,
        tool_impls=tool_impls,
        max_steps=max_steps,
        approve=approve,
        tool_timeout=tool_timeout,
        kwargs=kwargs,
    )
    return AsyncRunStream(loop)


def run_stream_sync(
    thread: ThreadClient,
    messages: Any = None,
    *,
    tools: ToolsLike = None,
    max_steps: int = 8,
    tool_impls: Mapping[str, Any] | None = None,
    approve: Approve | None = None,
    tool_timeout: float | None = None,
    **kwargs: Any,
) -> RunStream:
    """Blocking :func:`run_stream` (:class:`RunStream`)."""
    loop = _Loop(
        thread,
        messages,
        tools=tools,
        tool_impls=tool_impls,
        max_steps=max_steps,
        approve=approve,
        tool_timeout=tool_timeout,
        kwargs=kwargs,
    )
    return RunStream(loop)


async def run_async(thread: ThreadClient, messages: Any = None, **options: Any) -> RunResult:
    """Chat, run the tool calls the backend asks for, send the results, repeat.

    The options are those of :func:`run_stream`.
    """
    async with run_stream(thread, messages, **options) as stream:
        return await stream.final()


def run_sync(thread: ThreadClient, messages: Any = None, **options: Any) -> RunResult:
    """Blocking :func:`run_async`; sync tools run in worker threads, async ones too, each
    with an event loop of its own."""
    with run_stream_sync(thread, messages, **options) as stream:
        return stream.final()
