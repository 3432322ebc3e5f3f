"""The tool-calling loop as pure code: :meth:`Plan.actions` is a generator that says what
to do next (:class:`Chat`, :class:`Approve`, :class:`Emit`, :class:`Execute`) and is sent
back what came of it. It does no I/O: the sync and async drivers of
:mod:`assistant_ui.tools.runner` carry the actions out, so the loop is written once.

One step is one chat request. After each step the plan looks at the answer:

* the status is ``requires-action`` and some tool calls have no result (the calls the
  backend left to the client): unless ``max_steps`` requests were made already, it runs
  them (approvals first, one by one in call order; then every approved call concurrently),
  sends the results and starts the next step;
* the server asked to have some of its own calls approved (``approval`` on the part, AI
  SDK 6+; :mod:`assistant_ui.tools._approvals`): with ``approve=`` and ``api="ai-sdk"``
  each is put to the callback and the next step sends the answers, as ``useChat`` does;
  without, the run stops (``"approval-requested"``);
* otherwise the run is over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Literal, Union

from .._call.result import ChatResult
from .._wire.requests.history import history_after
from ..types import AssistantMessage, ToolCallPart
from ._approvals import answer, approval_requests, is_approval_request, with_answers
from ._execution import Approve as ApproveCallback
from ._execution import Prepared
from ._resend import resendable
from ._results import RunEvent, ToolExecution, start_event
from ._toolbox import Toolbox, ToolsLike

if TYPE_CHECKING:
    from .._thread import ThreadClient

__all__ = ["Action", "Approve", "Chat", "Emit", "Execute", "Plan", "RunResult", "StopReason"]

StopReason = Literal["done", "max_steps", "refused", "cancelled", "approval-requested"]


@dataclasses.dataclass
class RunResult:
    """What ``thread.run`` returns: every step and every tool execution."""

    #: every step's :class:`ChatResult`, in order (one per request)
    steps: list[ChatResult]
    #: every tool call the client handled, step by step, in the order of the calls
    executions: list[ToolExecution]
    #: ``"done"``, ``"max_steps"``, ``"refused"``, ``"cancelled"`` or
    #: ``"approval-requested"`` (see :mod:`assistant_ui.tools.runner`)
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
    def approval_requests(self) -> list[ToolCallPart]:
        """The calls of the final answer whose approval the server asked for and that
        were not answered (their ``approval`` holds its id)."""
        return approval_requests(self.final)

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


# -- actions: what the plan asks its driver to do, and what the driver sends back ----------


@dataclasses.dataclass
class Chat:
    """Stream one chat (``thread.stream(**request)``), passing its events on; send back
    its :class:`ChatResult`."""

    request: dict[str, Any]


@dataclasses.dataclass
class Approve:
    """Ask the ``approve=`` callback about one call; send back the refused execution, or
    ``None`` when the call may run."""

    callback: ApproveCallback | None
    call: ToolCallPart


@dataclasses.dataclass
class Emit:
    """Pass one event on; send back ``None``."""

    event: RunEvent


@dataclasses.dataclass
class Execute:
    """Run the prepared calls concurrently, at most ``limit`` at once, passing on each
    execution's end event, and stop early once ``stop()`` is true; send back the
    ``(index, execution)`` pairs of the calls that finished, in the order they finished."""

    prepared: list[Prepared]
    limit: int
    stop: Callable[[], bool]


Action = Union[Chat, Approve, Emit, Execute]


class Plan:
    """The loop's state and decisions."""

    def __init__(
        self,
        thread: ThreadClient,
        messages: Any = None,
        *,
        tools: ToolsLike = None,
        tool_impls: Mapping[str, Any] | None = None,
        max_steps: int = 8,
        approve: ApproveCallback | None = None,
        tool_timeout: float | None = None,
        max_concurrency: int | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be an int >= 1, got {max_steps!r}")
        if approve is not None and not callable(approve):
            raise TypeError("approve= must be a callable")
        self.thread = thread
        self.toolbox = Toolbox(tools, impls=tool_impls, timeout=tool_timeout, max_concurrency=max_concurrency)
        self.specs = self.toolbox.to_spec() or None
        self.max_steps = max_steps
        self.approve = approve
        self.by_history = thread.client.api != "assistant-ui"
        # only the ai-sdk request can carry an answer to a server's approval request
        self.answers_approvals = approve is not None and thread.client.api == "ai-sdk"
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
        self._cancels = 0

    def cancelled(self) -> bool:
        """Whether ``thread.cancel()`` (on any ThreadClient of this thread id) was called
        since the run started."""
        return self.thread._cancel_count() != self._cancels

    def _stop_if_cancelled(self) -> bool:
        if self.cancelled():
            self.stop_reason = "cancelled"
        return self.stop_reason == "cancelled"

    def actions(self) -> Generator[Action, Any, None]:
        """The whole run, as actions for a driver."""
        self._cancels = self.thread._cancel_count()
        while not (self.steps and self._stop_if_cancelled()):  # a cancel between two steps
            result: ChatResult = yield Chat(self.request())
            calls = self.after_step(result)
            if self._stop_if_cancelled() or not calls:
                return
            answers: dict[str, dict[str, Any]] = {}
            for call in [c for c in calls if is_approval_request(c)]:  # the server runs these
                answers[call["toolCallId"]] = answer((yield Approve(self.approve, call)))
            calls = [c for c in calls if not is_approval_request(c)]
            prepared: list[Prepared] = []
            for call in calls:
                refused = yield Approve(self.approve, call)
                prepared.append(refused if refused is not None else self.toolbox.prepare(call))
            for call in calls:
                yield Emit(start_event(call))
            if self._stop_if_cancelled():
                return
            finished: list[tuple[int, ToolExecution]] = []
            if prepared:  # (none when the step only asked for approvals)
                finished = yield Execute(prepared, self.toolbox.max_concurrency, self.cancelled)
            if self._stop_if_cancelled():  # what finished is kept; nothing is sent
                self.executions.extend(e for _, e in sorted(finished, key=lambda pair: pair[0]))
                return
            self.after_tools(result, _ordered(len(calls), finished), answers)

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
        requests = approval_requests(result)
        pending = result.pending_tool_calls if result.status.get("type") == "requires-action" else []
        pending = [c for c in pending if not is_approval_request(c)]
        if requests and not self.answers_approvals:
            self.stop_reason = "approval-requested"
            return []
        if not pending and not requests:
            self.stop_reason = "refused" if self.refused_last else "done"
            return []
        if len(self.steps) >= self.max_steps:
            self.stop_reason = "max_steps"
            return []
        return requests + pending

    def after_tools(
        self,
        result: ChatResult,
        executions: list[ToolExecution],
        answers: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        """Record a step's executions and prepare the request that reports them (and the
        answers to the server's approval requests)."""
        self.executions.extend(executions)
        answers = answers or {}
        self.refused_last = any(e.refused for e in executions) or any(
            a.get("approved") is False for a in answers.values()
        )
        # what the backend sent may not survive the trip back (assistant_ui.tools._resend)
        self.state = resendable(result.state, "the state")
        if self.by_history:
            message = with_answers(result.message, answers) if answers else result.message
            history = history_after(self.messages, message, [e.to_result_part() for e in executions])
            self.messages = resendable(history, "the conversation")
            self.message_id = None
        else:
            self.messages = None
            self.commands = resendable([e.to_command() for e in executions], "the tool results")
            self.message_id = resendable(result.message.get("id") or self.message_id)

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


def _ordered(count: int, finished: list[tuple[int, ToolExecution]]) -> list[ToolExecution]:
    by_index = dict(finished)
    return [by_index[i] for i in range(count)]
