"""Approval requests of an AI SDK backend (6+), answered in the tool-calling loop.

A tool the *server* runs only once the user approved it streams a
``tool-approval-request``; the decoder puts it on the tool-call part as its
``approval`` (``{"id": <approvalId>, ...}``, without ``approved``). The AI SDK's
``useChat`` answers with ``addToolApprovalResponse({id, approved, reason?})``: the
part's approval gains ``approved`` (and ``reason``) and the grown messages are sent
again, the part in state ``approval-responded`` (see the ai-sdk request dialect). The
loop does the same with the ``approve=`` callback's verdict; the server then runs the
approved call (or records it as denied) and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._call.result import ChatResult
from ..types import AssistantMessage, ToolCallPart
from ._results import ToolExecution

__all__ = ["answer", "approval_requests", "is_approval_request", "with_answers"]

_REFUSED_PREFIX = "refused: "


def is_approval_request(call: Mapping[str, Any]) -> bool:
    """Whether a tool-call part is a call the server waits to have approved."""
    approval = call.get("approval")
    return (
        isinstance(approval, Mapping)
        and isinstance(approval.get("id"), str)
        and "approved" not in approval
        and "result" not in call
    )


def approval_requests(result: ChatResult) -> list[ToolCallPart]:
    """The tool calls of an answer whose approval the server asked for, in order."""
    return [call for call in result.tool_calls if is_approval_request(call)]


def answer(refused: ToolExecution | None) -> dict[str, Any]:
    """The approval fields for a verdict of ``approve=`` (``None``: approved)."""
    if refused is None:
        return {"approved": True}
    reason = str(refused.exception) if refused.exception is not None else str(refused.result)
    if reason.startswith(_REFUSED_PREFIX):
        reason = reason[len(_REFUSED_PREFIX) :]
    return {"approved": False, "reason": reason} if reason else {"approved": False}


def with_answers(message: AssistantMessage, answers: Mapping[str, dict[str, Any]]) -> AssistantMessage:
    """A copy of ``message`` whose approval-requested calls carry their answers.

    The approval keeps what the server sent with the request (its id, a signature...)
    except the request's own ``reason``, which the answer's replaces.
    """
    parts: list[Any] = []
    content: list[Any] = list(message.get("content", []))
    for part in content:
        call_id = part.get("toolCallId") if part.get("type") == "tool-call" else None
        fields = answers.get(call_id) if isinstance(call_id, str) else None
        if fields is not None:
            asked = dict(part.get("approval") or {})
            asked.pop("reason", None)
            part = {**part, "approval": {**asked, **fields}}
        parts.append(part)
    copy: dict[str, Any] = dict(message)
    copy["content"] = parts
    return copy  # type: ignore[return-value]
