"""Interop with the real Python server library ``assistant-stream`` (0.0.36).

Every kind of content its ``RunController`` can emit is served through BOTH of its
encoders (``DataStreamResponse`` and ``AssistantTransportResponse``), once in
process through ``httpx.ASGITransport`` and once over real HTTP through uvicorn on
127.0.0.1, and the whole accumulated message is checked. Both encoders must give
the same message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from assistant_stream import RunController, create_run
from assistant_stream.serialization import AssistantTransportResponse, DataStreamResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant_ui import AssistantClient, ChatResult, StreamError
from assistant_ui.messages import user
from assistant_ui.testing import serve as serve_app

Run = Callable[[RunController], Awaitable[None]]


async def settle() -> None:
    """Let assistant-stream's sub-stream tasks forward their chunks (keeps the order fixed)."""
    await asyncio.sleep(0.01)


LONG_UNICODE = "".join(
    f"{i}: héllo wörld ✓ 中文字符 \U0001f600\U0001f680 line\u2028sep\u2029para\u0085nel \x0b\x0c; "
    for i in range(400)
)


# -- the runs ------------------------------------------------------------------------------------


async def run_text(c: RunController) -> None:
    c.append_text("Hello")
    c.append_text(", world")


async def run_unicode(c: RunController) -> None:
    for i in range(0, len(LONG_UNICODE), 97):
        c.append_text(LONG_UNICODE[i : i + 97])


async def run_reasoning(c: RunController) -> None:
    c.append_reasoning("Let me ")
    c.append_reasoning("think.")
    c.append_text("The answer is 42.")


async def run_tool(c: RunController) -> None:
    c.append_text("Checking.")
    tool = await c.add_tool_call("get_weather", "call_1")
    tool.append_args_text('{"city": ')
    tool.append_args_text('"NYC", "unit": "c"}')
    await settle()
    tool.set_response({"temp": 21, "sky": "clear"})
    await settle()
    c.append_text("It is clear.")


async def run_parallel_tools(c: RunController) -> None:
    a = await c.add_tool_call("search", "call_a")
    b = await c.add_tool_call("lookup", "call_b")
    await settle()
    a.append_args_text('{"q": ')
    b.append_args_text('{"id": ')
    a.append_args_text('"x"}')
    b.append_args_text("7}")
    await settle()
    b.set_response({"found": True})
    a.set_response(["r1", "r2"])
    await settle()


async def run_error_result(c: RunController) -> None:
    tool = await c.add_tool_call("divide", "call_e")
    tool.append_args_text('{"a": 1, "b": 0}')
    await settle()
    tool.set_response("division by zero", is_error=True)
    await settle()


async def run_pending_tool(c: RunController) -> None:
    c.append_text("Please confirm.")
    tool = await c.add_tool_call("confirm", "call_p")
    tool.append_args_text('{"action": "delete"}')
    await settle()


async def run_sources(c: RunController) -> None:
    c.append_text("See ")
    c.add_source("s1", "https://example.com/a", "A")
    c.add_source("s2", "https://example.com/b")
    c.append_text("these.")


async def run_data(c: RunController) -> None:
    c.append_text("a")
    c.add_data({"progress": 0.5})
    c.add_data([1, 2])
    c.add_annotations([{"kind": "note", "text": "n1"}, 3])
    c.append_text("b")


async def run_file(c: RunController) -> None:
    c.add_file("aGVsbG8gd29ybGQ=", "text/plain")
    c.append_text("Attached.")


async def run_state(c: RunController) -> None:
    c.state = {"log": "", "items": [], "meta": {"n": 0}}
    await settle()
    c.state["log"] += "Hel"  # extends "": a set
    c.state["log"] += "lo"  # extends "Hel": an append-text
    c.append_state_text(["log"], "!")
    c.state["items"].append({"n": 1})
    c.state["meta"]["n"] = 2
    c.append_text("done")


async def run_state_from_request(c: RunController) -> None:
    c.append_state_text(["log"], " more")
    c.state["count"] = 1
    c.append_text("ok")


async def run_error(c: RunController) -> None:
    c.append_text("partial")
    c.add_error("something broke")
    c.append_text(" after")


async def run_exception(c: RunController) -> None:
    c.append_text("partial")
    await settle()
    raise RuntimeError("kaboom")


async def run_steps(c: RunController) -> None:
    c.add_step_start("step_1")
    c.append_text("one ")
    c.add_step_finish("tool-calls", input_tokens=3, output_tokens=4, is_continued=True)
    c.add_step_start("step_2")
    c.append_text("two")
    c.add_step_finish("stop", input_tokens=5, output_tokens=6)


async def run_empty(c: RunController) -> None:
    return None


async def run_heartbeats(c: RunController) -> None:
    c.append_text("slow")
    await asyncio.sleep(0.15)
    c.append_text(" and")
    await asyncio.sleep(0.15)
    c.append_text(" steady")


RUNS: dict[str, Run] = {
    "text": run_text,
    "unicode": run_unicode,
    "reasoning": run_reasoning,
    "tool": run_tool,
    "parallel-tools": run_parallel_tools,
    "error-result": run_error_result,
    "pending-tool": run_pending_tool,
    "sources": run_sources,
    "data": run_data,
    "file": run_file,
    "state": run_state,
    "state-from-request": run_state_from_request,
    "error": run_error,
    "exception": run_exception,
    "steps": run_steps,
    "empty": run_empty,
    "heartbeats": run_heartbeats,
}


def make_app() -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        assert body["threadId"] == "thread-1"
        name = request.path_params["name"]
        stream = create_run(RUNS[name], state=body.get("state"))
        heartbeat = 0.05 if name == "heartbeats" else None
        if request.path_params["encoder"] == "ds":
            return DataStreamResponse(stream, heartbeat=heartbeat or False)
        return AssistantTransportResponse(stream, heartbeat=heartbeat or False)

    return Starlette(routes=[Route("/{encoder}/{name}/api/chat", chat, methods=["POST"])])


APP = make_app()


# -- expected messages ------------------------------------------------------------------------------


def msg(
    content: list[dict[str, Any]],
    status: dict[str, Any] | None = None,
    *,
    id: str | None = None,
    state: Any = None,
    data: list[Any] | None = None,
    annotations: list[Any] | None = None,
    steps: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "role": "assistant",
        "id": id,
        "content": content,
        "status": status or {"type": "complete", "reason": "unknown"},
        "metadata": {
            "unstable_state": state,
            "unstable_data": data or [],
            "unstable_annotations": annotations or [],
            "steps": steps or [],
            "custom": {},
        },
    }


def text(t: str) -> dict[str, Any]:
    return {"type": "text", "text": t}


ERROR_STATUS = {"type": "incomplete", "reason": "error"}

EXPECTED: dict[str, dict[str, Any]] = {
    "text": msg([text("Hello, world")]),
    "unicode": msg([text(LONG_UNICODE)]),
    "reasoning": msg([{"type": "reasoning", "text": "Let me think."}, text("The answer is 42.")]),
    "tool": msg(
        [
            text("Checking."),
            {
                "type": "tool-call",
                "toolCallId": "call_1",
                "toolName": "get_weather",
                "args": {"city": "NYC", "unit": "c"},
                "argsText": '{"city": "NYC", "unit": "c"}',
                "result": {"temp": 21, "sky": "clear"},
                "isError": False,
            },
            text("It is clear."),
        ]
    ),
    "parallel-tools": msg(
        [
            {"type": "tool-call", "toolCallId": "call_a", "toolName": "search", "args": {"q": "x"}, "argsText": '{"q": "x"}', "result": ["r1", "r2"], "isError": False},
            {"type": "tool-call", "toolCallId": "call_b", "toolName": "lookup", "args": {"id": 7}, "argsText": '{"id": 7}', "result": {"found": True}, "isError": False},
        ]
    ),
    "error-result": msg(
        [{"type": "tool-call", "toolCallId": "call_e", "toolName": "divide", "args": {"a": 1, "b": 0}, "argsText": '{"a": 1, "b": 0}', "result": "division by zero", "isError": True}]
    ),
    "pending-tool": msg(
        [text("Please confirm."), {"type": "tool-call", "toolCallId": "call_p", "toolName": "confirm", "args": {"action": "delete"}, "argsText": '{"action": "delete"}'}],
        {"type": "requires-action", "reason": "tool-calls"},
    ),
    "sources": msg(
        [
            text("See "),
            {"type": "source", "sourceType": "url", "id": "s1", "url": "https://example.com/a", "title": "A"},
            {"type": "source", "sourceType": "url", "id": "s2", "url": "https://example.com/b"},
            text("these."),
        ]
    ),
    "data": msg([text("ab")], data=[{"progress": 0.5}, [1, 2]], annotations=[{"kind": "note", "text": "n1"}, 3]),
    "file": msg([{"type": "file", "data": "aGVsbG8gd29ybGQ=", "mimeType": "text/plain"}, text("Attached.")]),
    "state": msg([text("done")], state={"log": "Hello!", "items": [{"n": 1}], "meta": {"n": 2}}),
    "state-from-request": msg([text("ok")], state={"log": "from client more", "count": 1}),
    "error": msg([text("partial after")], {**ERROR_STATUS, "error": {"code": "unknown", "message": "something broke"}}),
    "exception": msg([text("partial")], {**ERROR_STATUS, "error": {"code": "unknown", "message": "kaboom"}}),
    "steps": msg(
        [text("one two")],
        {"type": "complete", "reason": "stop"},  # no message finish: the last step's reason
        id="step_1",
        steps=[
            {"state": "finished", "messageId": "step_1", "finishReason": "tool-calls", "usage": {"inputTokens": 3, "outputTokens": 4}, "isContinued": True},
            {"state": "finished", "messageId": "step_2", "finishReason": "stop", "usage": {"inputTokens": 5, "outputTokens": 6}, "isContinued": False},
        ],
    ),
    "empty": msg([]),
    "heartbeats": msg([text("slow and steady")]),
}
ERRORS = {"error", "exception"}
REQUEST_STATE = {"state-from-request": {"log": "from client"}}
PROTOCOLS = {"ds": "data-stream", "at": "assistant-transport"}


def check(result: ChatResult, name: str, encoder: str) -> None:
    assert result.message == EXPECTED[name]
    if name != "empty":
        assert result.protocol == PROTOCOLS[encoder]
    assert result.response is not None and result.response.status_code == 200
    # no event was dropped or misread on the way
    assert [w for w in result.warnings if "[DONE]" not in w] == []
    if name == "steps":
        assert result.finish_reason == "stop"
        assert result.usage == {"inputTokens": 5, "outputTokens": 6}
    if name == "state":
        assert result.state == {"log": "Hello!", "items": [{"n": 1}], "meta": {"n": 2}}
        ops = [op for e in result.events if e["type"] == "state-update" for op in e["operations"]]
        # the server really sent both kinds of operation
        assert {"type": "append-text", "path": ["log"], "value": "lo"} in ops
        assert {"type": "append-text", "path": ["log"], "value": "!"} in ops
        assert {"type": "set", "path": ["items", "0"], "value": {"n": 1}} in ops
    if name == "tool":
        assert [t["toolCallId"] for t in result.tool_calls] == ["call_1"]
        assert result.text == "Checking.It is clear."


def check_error(exc: StreamError, name: str, encoder: str) -> None:
    partial = exc.partial
    assert partial is not None
    assert partial.message == EXPECTED[name]
    assert exc.code == "unknown"
    assert ("kaboom" if name == "exception" else "something broke") in str(exc)


CASES = [(encoder, name) for name in RUNS for encoder in ("ds", "at")]


def chat_kwargs(name: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"messages": [user("Hi")]}
    if name in REQUEST_STATE:
        kwargs["state"] = REQUEST_STATE[name]
    return kwargs


# -- in process: httpx.ASGITransport ------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # assistant-stream runs on asyncio
@pytest.mark.parametrize(("encoder", "name"), CASES)
async def test_asgi_transport(encoder: str, name: str) -> None:
    # raise_app_exceptions=False: behave like a server (an app exception ends the body)
    transport = httpx.ASGITransport(APP, raise_app_exceptions=False)
    async with AssistantClient(base_url=f"http://test/{encoder}/{name}", transport=transport) as client:
        thread = client.threads("thread-1")
        if name in ERRORS:
            with pytest.raises(StreamError) as info:
                await thread.chat(**chat_kwargs(name))
            check_error(info.value, name, encoder)
        else:
            check(await thread.chat(**chat_kwargs(name)), name, encoder)


# -- over HTTP: uvicorn on loopback ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serve_app(APP, lifespan="off") as url:
        yield url


@pytest.mark.parametrize(("encoder", "name"), CASES)
def test_uvicorn_chat_sync(server_url: str, encoder: str, name: str) -> None:
    with AssistantClient(base_url=f"{server_url}/{encoder}/{name}") as client:
        thread = client.threads("thread-1")
        if name in ERRORS:
            with pytest.raises(StreamError) as info:
                thread.chat_sync(**chat_kwargs(name))
            check_error(info.value, name, encoder)
        else:
            check(thread.chat_sync(**chat_kwargs(name)), name, encoder)


@pytest.mark.anyio
@pytest.mark.parametrize(("encoder", "name"), CASES)
async def test_uvicorn_chat(server_url: str, encoder: str, name: str) -> None:
    async with AssistantClient(base_url=f"{server_url}/{encoder}/{name}") as client:
        thread = client.threads("thread-1")
        if name in ERRORS:
            with pytest.raises(StreamError) as info:
                await thread.chat(**chat_kwargs(name))
            check_error(info.value, name, encoder)
        else:
            check(await thread.chat(**chat_kwargs(name)), name, encoder)


@pytest.mark.parametrize(("encoder", "keepalive"), [("ds", b"\n\n"), ("at", b": heartbeat\n\n")])
def test_heartbeats_are_really_sent(server_url: str, encoder: str, keepalive: bytes) -> None:
    """The heartbeat route does send keep-alives, so the checks above do cover them."""
    body = httpx.post(f"{server_url}/{encoder}/heartbeats/api/chat", json={"threadId": "thread-1"}).content
    assert keepalive in body


def test_exception_cuts_the_connection_after_the_error_event(server_url: str) -> None:
    """What the exception case looks like on the wire: an error record, then a cut body."""
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server_url}/ds/exception/api/chat", json={"threadId": "thread-1"}).raise_for_status()


def test_streaming_events_arrive_before_the_end(server_url: str) -> None:
    with AssistantClient(base_url=f"{server_url}/ds/heartbeats") as client:
        with client.threads("thread-1").stream_sync(messages=[user("Hi")]) as stream:
            first = next(iter(stream))
            assert first == {"type": "text-delta", "delta": "slow"}
            assert stream.message["status"] == {"type": "running"}
            result = stream.final()
    assert result.text == "slow and steady"


def test_request_state_is_not_mutated(server_url: str) -> None:
    state = {"log": "from client"}
    with AssistantClient(base_url=f"{server_url}/at/state-from-request") as client:
        result = client.threads("thread-1").chat_sync(messages=[user("Hi")], state=state)
    assert result.state == {"log": "from client more", "count": 1}
    assert state == {"log": "from client"}
