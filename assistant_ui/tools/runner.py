"""The tool-calling loop: ``thread.run`` / ``run_sync`` / ``run_stream`` / ``run_stream_sync``
(docs/api.md §8).

The loop itself is written once, as pure code (:class:`~assistant_ui.tools._plan.Plan`);
:class:`AsyncRunStream` and :class:`RunStream` are its two drivers, and hold only what
differs between them: how a chat is streamed, how an approval is awaited and how the
calls of a step run (tasks, or a bounded pool of worker threads).

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
* ``"cancelled"``: ``thread.cancel()`` / ``cancel_sync()`` (on any ThreadClient of the
  same thread id) was called during the run: it stopped at once, sent nothing more,
  cancelled its running async tools and dropped the results of its running sync tools;
  ``executions`` holds the calls that finished before.
* ``"approval-requested"``: the server asked to have some of its own tool calls approved
  (AI SDK 6+) and there is no ``approve=`` to answer (or the request dialect cannot carry
  an answer: only ``"ai-sdk"`` can); the calls are ``result.approval_requests``, each
  with its ``approval`` (``{"id": <approvalId>, ...}``).
* ``"done"``: the backend stopped asking (any other way: read ``result.final.status`` to
  see whether it completed, was cancelled or cut short).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from .._call.result import ChatResult
from ._execution import approve_async, approve_sync
from ._gather import gather_async, gather_sync
from ._plan import Action, Approve, Chat, Emit, Plan, RunResult
from ._results import RunEvent, ToolExecution

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


class _Reply:
    """What an async action handler hands back to its driver, after the events."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _next(actions: Generator[Action, Any, None], reply: Any) -> Action | None:
    try:
        return actions.send(reply)
    except StopIteration:
        return None


class _RunStreamCore:
    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        self._result: RunResult | None = None

    @property
    def result(self) -> RunResult | None:
        """The :class:`RunResult` once the run is over, else ``None``."""
        return self._result

    @property
    def steps(self) -> list[ChatResult]:
        """The steps finished so far."""
        return list(self._plan.steps)

    def _finished(self) -> RunResult:
        if self._result is None:
            raise RuntimeError("the run was closed before it finished")
        return self._result


class AsyncRunStream(_RunStreamCore):
    """``async with thread.run_stream(...) as run: async for event in run: ...``

    Yields every step's events, as they arrive, and around each tool call a
    ``tool-execution-start`` event (before it runs) and a ``tool-execution-end`` event
    (``result``, ``isError``, ``duration`` in seconds). The calls of one step run
    concurrently; their end events come once they have all finished, in the order they
    finished (refused, unknown and invalid calls first). :meth:`final` gives the
    :class:`RunResult`.
    """

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan)
        self._events = self._drive()

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
        return self._finished()

    async def aclose(self) -> None:
        """Stop now: the current request's connection is released, nothing more is sent."""
        await self._events.aclose()

    async def _drive(self) -> AsyncGenerator[RunEvent, None]:
        actions = self._plan.actions()
        reply: Any = None
        while (action := _next(actions, reply)) is not None:
            async with aclosing(self._do(action)) as items:  # a close reaches the stream
                async for item in items:
                    if isinstance(item, _Reply):
                        reply = item.value
                    else:
                        yield item
        self._result = self._plan.result()

    async def _do(self, action: Action) -> AsyncGenerator[RunEvent | _Reply, None]:
        if isinstance(action, Chat):
            async with self._plan.thread.stream(**action.request) as stream:
                async for event in stream:
                    yield event
                yield _Reply(await stream.final())
        elif isinstance(action, Approve):
            yield _Reply(await approve_async(action.callback, action.call))
        elif isinstance(action, Emit):
            yield action.event
            yield _Reply(None)
        else:
            finished = await gather_async(action.prepared, action.limit, action.stop)
            for _, execution in finished:
                yield execution.end_event()
            yield _Reply(finished)


class RunStream(_RunStreamCore):
    """``with thread.run_stream_sync(...) as run: for event in run: ...``

    The events of :class:`AsyncRunStream`; here each ``tool-execution-end`` event comes
    as soon as its call has finished.
    """

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan)
        self._events = self._drive()

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
        return self._finished()

    def close(self) -> None:
        """Stop now: the current request's connection is released, nothing more is sent."""
        self._events.close()

    def _drive(self) -> Generator[RunEvent, None, None]:
        actions = self._plan.actions()
        reply: Any = None
        while (action := _next(actions, reply)) is not None:
            reply = yield from self._do(action)
        self._result = self._plan.result()

    def _do(self, action: Action) -> Generator[RunEvent, None, Any]:
        if isinstance(action, Chat):
            with self._plan.thread.stream_sync(**action.request) as stream:
                yield from stream
                return stream.final()
        if isinstance(action, Approve):
            return approve_sync(action.callback, action.call)
        if isinstance(action, Emit):
            yield action.event
            return None
        finished: list[tuple[int, ToolExecution]] = []
        for item in gather_sync(action.prepared, action.limit, action.stop):
            finished.append(item)
            yield item[1].end_event()
        return finished


# -- entry points (ThreadClient.run, run_sync, run_stream, run_stream_sync) ---------------------


def run_stream(thread: ThreadClient, messages: Any = None, **options: Any) -> AsyncRunStream:
    """The tool-calling loop as a stream of events (:class:`AsyncRunStream`).

    Options:

    * ``tools``: anything :class:`~assistant_ui.tools.Toolbox` takes (``@tool`` functions,
      plain functions, a Toolbox, schemas with ``tool_impls={name: function}``).
    * ``max_steps`` (default 8): the most requests to make.
    * ``approve(call) -> bool | str`` (sync or async) is asked before each call: ``True``
      runs it, ``False`` or a reason (``str``) refuses it, which sends an ``isError`` result
      ``"refused: <reason>"``; the calls of a step are put to it one by one, in order,
      before any of them runs (a sync callback is called in the event loop's thread: make
      it quick, or async). With ``api="ai-sdk"`` it also answers the approvals the server
      asks for its own tools (AI SDK 6+ ``tool-approval-request``): first, in call order;
      the next step sends ``approved`` (and the refusal's reason) on that tool part, as
      ``useChat``'s ``addToolApprovalResponse`` does, and the server runs the call or
      records the denial.
    * ``tool_timeout``: seconds a call may take, for tools without a timeout of their own.
    * ``max_concurrency`` (default: the Toolbox's, 64): the most calls of a step that run
      at once; sync tools run on at most that many worker threads.

    Everything else goes to each step's ``thread.stream(...)`` (``system=``,
    ``run_config=``, ``state=``, ``idle_timeout=``, extra body keys...).
    """
    return AsyncRunStream(Plan(thread, messages, **options))


def run_stream_sync(thread: ThreadClient, messages: Any = None, **options: Any) -> RunStream:
    """Blocking :func:`run_stream` (:class:`RunStream`)."""
    return RunStream(Plan(thread, messages, **options))


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
