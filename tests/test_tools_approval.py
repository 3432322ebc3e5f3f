"""Approval requests of an AI SDK backend (6+) in the tool-calling loop (#13.8).

A tool the server runs only once approved streams ``tool-approval-request``; the part
gets ``approval: {"id": ...}``. ``run`` with ``approve=`` answers it as ``useChat``'s
``addToolApprovalResponse`` does (the next request's tool part in state
``approval-responded`` with ``approval: {"id", "approved", "reason"?}``); without
``approve=`` the run stops with the request in the result.

Three levels: the request dialect alone; the plan (:class:`Plan`) driven by hand with a
real client; and ``run_sync`` / ``run`` end to end against an AI SDK-shaped backend
(httpx ``MockTransport``) — those need the decoder to put the approval on the part and
are skipped where it does not yet.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui._call.result import ChatResult
from assistant_ui._wire.requests import ai_sdk
from assistant_ui.decoding import accumulate, decode
from assistant_ui.tools import tool
from assistant_ui.tools._plan import Approve, Chat, Plan

APPROVAL = {"id": "appr-1"}


def tool_call(approval: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    part: dict[str, Any] = {
        "type": "tool-call",
        "toolCallId": "call-1",
        "toolName": "delete_file",
        "args": {"path": "/tmp/x"},
        **extra,
    }
    if approval is not None:
        part["approval"] = approval
    return part


def answer_message(*parts: dict[str, Any], status: str = "requires-action") -> dict[str, Any]:
    return {
        "role": "assistant",
        "id": "a1",
        "content": list(parts),
        "status": {"type": status, "reason": "tool-calls"},
        "metadata": {"unstable_state": None, "unstable_data": [], "unstable_annotations": [], "steps": [], "custom": {}},
    }


def tool_part(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for m in messages for p in m["parts"] if p["type"].startswith("tool-"))


# -- the request dialect ----------------------------------------------------------------------------


def test_an_approval_asked_is_sent_back_as_approval_requested() -> None:
    ui = ai_sdk.to_ui_messages([user("rm"), {"role": "assistant", "content": [tool_call(APPROVAL)]}])
    assert tool_part(ui) == {
        "type": "tool-delete_file",
        "toolCallId": "call-1",
        "state": "approval-requested",
        "input": {"path": "/tmp/x"},
        "approval": {"id": "appr-1"},
    }


@pytest.mark.parametrize(
    "approval",
    [{"id": "appr-1", "approved": True}, {"id": "appr-1", "approved": False, "reason": "not that file"}],
)
def test_an_answered_approval_is_approval_responded(approval: dict[str, Any]) -> None:
    ui = ai_sdk.to_ui_messages([{"role": "assistant", "content": [tool_call(approval)]}])
    part = tool_part(ui)
    assert part["state"] == "approval-responded"
    assert part["approval"] == approval
    assert "output" not in part and "errorText" not in part


def test_after_the_server_ran_it_the_part_keeps_its_approval() -> None:
    ran = tool_call({"id": "appr-1", "approved": True}, result={"deleted": True})
    denied = tool_call({"id": "appr-2", "approved": False}, result="Tool execution denied.", isError=True)
    denied["toolCallId"] = "call-2"
    ui = ai_sdk.to_ui_messages([{"role": "assistant", "content": [ran, denied]}])
    first, second = ui[0]["parts"]
    assert first["state"] == "output-available" and first["output"] == {"deleted": True}
    assert first["approval"] == {"id": "appr-1", "approved": True}
    assert second["state"] == "output-denied" and "errorText" not in second
    assert second["approval"] == {"id": "appr-2", "approved": False}


# -- the plan, driven by hand with a real client ------------------------------------------------------


def step(message: dict[str, Any]) -> ChatResult:
    return ChatResult(message=message, events=[], response=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        (True, {"id": "appr-1", "approved": True}),
        (False, {"id": "appr-1", "approved": False, "reason": "the user did not approve this tool call"}),
        ("not /tmp", {"id": "appr-1", "approved": False, "reason": "not /tmp"}),
    ],
)
def test_the_plan_answers_an_approval_in_the_next_request(verdict: Any, expected: dict[str, Any]) -> None:
    asked: list[Any] = []

    def approve(call: Any) -> Any:
        asked.append(call)
        return verdict

    client = AssistantClient("http://backend.test", api="ai-sdk")
    plan = Plan(client.threads("t"), [user("delete /tmp/x")], approve=approve)
    actions = plan.actions()
    first = next(actions)
    assert isinstance(first, Chat)
    # the server asks, with a reason of its own (replaced by the answer's)
    approve_action = actions.send(step(answer_message(tool_call({"id": "appr-1", "reason": "destructive"}))))
    assert isinstance(approve_action, Approve)
    assert approve_action.call["toolCallId"] == "call-1"
    from assistant_ui.tools._execution import approve_sync

    second = actions.send(approve_sync(approve_action.callback, approve_action.call))
    assert isinstance(second, Chat), second
    assert len(asked) == 1
    assert plan.executions == []  # the server runs it, not the client
    body = ai_sdk.build_chat_request(_request(client, second.request)).json
    assert tool_part(body["messages"]) == {
        "type": "tool-delete_file",
        "toolCallId": "call-1",
        "state": "approval-responded",
        "input": {"path": "/tmp/x"},
        "approval": expected,
    }
    with pytest.raises(StopIteration):
        actions.send(step(answer_message({"type": "text", "text": "done"}, status="complete")))
    assert plan.result().stop_reason == ("done" if verdict is True else "refused")


def _request(client: AssistantClient, request: dict[str, Any]) -> Any:
    from assistant_ui._wire.requests import ChatRequest

    return ChatRequest(
        path="/api/chat",
        thread_id="t",
        messages=request["messages"],
        commands=None,
        system=None,
        tools=request["tools"],
        run_config=None,
        state=None,
        assistant_message_id=None,
        extra={},
        model=None,
        session={},
    )


@pytest.mark.parametrize("api", ["ai-sdk", "assistant-ui"])
def test_without_approve_the_run_stops_with_the_request_visible(api: str) -> None:
    client = AssistantClient("http://backend.test", api=api)
    plan = Plan(client.threads("t"), [user("delete /tmp/x")])
    actions = plan.actions()
    next(actions)
    with pytest.raises(StopIteration):
        actions.send(step(answer_message(tool_call(APPROVAL))))
    result = plan.result()
    assert result.stop_reason == "approval-requested"
    assert [c["toolCallId"] for c in result.approval_requests] == ["call-1"]
    assert result.approval_requests[0]["approval"] == APPROVAL  # type: ignore[typeddict-item]
    assert result.executions == []


def test_an_approval_and_a_client_tool_in_one_step() -> None:
    @tool
    def lookup(path: str) -> str:
        """Look a file up."""
        return f"found {path}"

    client = AssistantClient("http://backend.test", api="ai-sdk")
    plan = Plan(client.threads("t"), [user("go")], tools=[lookup], approve=lambda call: True)
    actions = plan.actions()
    next(actions)
    local = {"type": "tool-call", "toolCallId": "call-2", "toolName": "lookup", "args": {"path": "/a"}}
    action = actions.send(step(answer_message(tool_call(APPROVAL), local)))
    from assistant_ui.tools._execution import approve_sync

    seen = []
    while not isinstance(action, Chat):
        if isinstance(action, Approve):
            seen.append(action.call["toolCallId"])
            action = actions.send(approve_sync(action.callback, action.call))
        elif hasattr(action, "prepared"):
            finished = [(i, p.run_blocking()) for i, p in enumerate(action.prepared)]  # type: ignore[union-attr]
            action = actions.send(finished)
        else:
            action = actions.send(None)
    assert seen == ["call-1", "call-2"]  # the server's approvals first, then the client's calls
    assert [e.tool_call_id for e in plan.executions] == ["call-2"]
    body = ai_sdk.build_chat_request(_request(client, action.request)).json
    parts = body["messages"][1]["parts"]
    assert parts[0]["state"] == "approval-responded" and parts[0]["approval"] == {"id": "appr-1", "approved": True}
    assert parts[1]["state"] == "output-available" and parts[1]["output"] == "found /a"


# -- end to end: an AI SDK-shaped backend -------------------------------------------------------------


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


ASK = sse(
    {"type": "start", "messageId": "m1"},
    {"type": "start-step"},
    {"type": "tool-input-available", "toolCallId": "call-1", "toolName": "delete_file", "input": {"path": "/tmp/x"}},
    {"type": "tool-approval-request", "approvalId": "appr-1", "toolCallId": "call-1"},
    {"type": "finish-step"},
    {"type": "finish"},
)


def decoder_puts_approvals_on_parts() -> bool:
    events = decode(ASK, headers={"x-vercel-ai-ui-message-stream": "v1", "content-type": "text/event-stream"})
    message = accumulate(events)
    return any(isinstance(p.get("approval"), dict) for p in message["content"])  # type: ignore[union-attr]


needs_wire = pytest.mark.skipif(
    not decoder_puts_approvals_on_parts(),
    reason="the UI message stream decoder does not put tool-approval-request on the part yet",
)


class Backend:
    """Streams like an AI SDK 6 ``streamText`` route with a tool that needs approval."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        parts = [p for m in body["messages"] for p in m["parts"] if p["type"] == "tool-delete_file"]
        if not parts:
            chunks = ASK
        elif parts[-1]["state"] == "approval-responded" and parts[-1]["approval"]["approved"]:
            chunks = sse(
                {"type": "start", "messageId": "m1"},
                {"type": "tool-output-available", "toolCallId": "call-1", "output": {"deleted": True}},
                {"type": "start-step"},
                {"type": "text-start", "id": "t1"},
                {"type": "text-delta", "id": "t1", "delta": "Deleted."},
                {"type": "text-end", "id": "t1"},
                {"type": "finish-step"},
                {"type": "finish"},
            )
        else:
            chunks = sse(
                {"type": "start", "messageId": "m1"},
                {"type": "tool-output-denied", "toolCallId": "call-1"},
                {"type": "text-start", "id": "t1"},
                {"type": "text-delta", "id": "t1", "delta": "Not deleted."},
                {"type": "text-end", "id": "t1"},
                {"type": "finish"},
            )
        return httpx.Response(
            200, content=chunks, headers={"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"}
        )


@needs_wire
@pytest.mark.parametrize(("verdict", "text"), [(True, "Deleted."), ("keep it", "Not deleted.")])
def test_run_sync_answers_the_backends_approval(verdict: Any, text: str) -> None:
    backend = Backend()
    with AssistantClient("http://backend.test", api="ai-sdk", transport=httpx.MockTransport(backend)) as client:
        result = client.threads("t").run_sync([user("delete /tmp/x")], approve=lambda call: verdict)
    assert result.text == text
    assert len(backend.bodies) == 2
    part = tool_part(backend.bodies[1]["messages"])
    approval = {"id": "appr-1", "approved": True} if verdict is True else {"id": "appr-1", "approved": False, "reason": "keep it"}
    assert (part["state"], part["approval"]) == ("approval-responded", approval)
    assert result.stop_reason == ("done" if verdict is True else "refused")


@needs_wire
@pytest.mark.anyio
async def test_run_without_approve_stops_with_the_request() -> None:
    backend = Backend()
    async with AssistantClient("http://backend.test", api="ai-sdk", transport=httpx.MockTransport(backend)) as client:
        result = await client.threads("t").run([user("delete /tmp/x")])
    assert len(backend.bodies) == 1
    assert result.stop_reason == "approval-requested"
    assert result.approval_requests[0]["approval"]["id"] == "appr-1"  # type: ignore[typeddict-item]
