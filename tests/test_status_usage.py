"""Honest status and usage: the status says why the answer ended, usage is never made up.

Served for real on 127.0.0.1 by uvicorn: runs of the ``assistant-stream`` server
library (both of its encoders) and AI SDK 7 UI message stream bodies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from assistant_stream import RunController, create_run
from assistant_stream.serialization import AssistantTransportResponse, DataStreamResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant_ui import AssistantClient, ChatResult
from assistant_ui._wire.usage import MAX_TOKEN_COUNT, normalize_usage
from assistant_ui.decoding import MessageAccumulator, StreamDecoder
from assistant_ui.messages import user
from assistant_ui.testing import serve as serve_app

# -- assistant-stream runs ----------------------------------------------------------------------


async def run_stop(c: RunController) -> None:
    c.add_step_start("s1")
    c.append_text("done")
    c.add_step_finish("stop", input_tokens=5, output_tokens=6)


async def run_length(c: RunController) -> None:
    c.add_step_start("s1")
    c.append_text("cut sh")
    c.add_step_finish("length", input_tokens=7, output_tokens=100)


async def run_tool_steps(c: RunController) -> None:
    c.add_step_start("s1")
    tool = await c.add_tool_call("lookup", "call_1")
    tool.append_args_text('{"q": 1}')
    tool.set_response("found")
    c.add_step_finish("tool-calls", input_tokens=3, output_tokens=4, is_continued=True)
    c.add_step_start("s2")
    c.append_text("answer")
    c.add_step_finish("stop", input_tokens=8, output_tokens=9)


async def run_no_steps(c: RunController) -> None:
    c.append_text("plain")


RUNS = {"stop": run_stop, "length": run_length, "tool-steps": run_tool_steps, "no-steps": run_no_steps}

# what the run ends with: (status, finish_reason, usage)
EXPECTED: dict[str, tuple[dict[str, Any], str | None, dict[str, int] | None]] = {
    "stop": ({"type": "complete", "reason": "stop"}, "stop", {"inputTokens": 5, "outputTokens": 6}),
    "length": ({"type": "incomplete", "reason": "length"}, "length", {"inputTokens": 7, "outputTokens": 100}),
    "tool-steps": ({"type": "complete", "reason": "stop"}, "stop", {"inputTokens": 8, "outputTokens": 9}),
    # the server said nothing about why or how much: nothing is made up
    "no-steps": ({"type": "complete", "reason": "unknown"}, None, None),
}

# -- AI SDK 7 UI message stream bodies ----------------------------------------------------------


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


UI_NO_USAGE = sse(
    {"type": "start", "messageId": "m1"},
    {"type": "start-step"},
    {"type": "text-start", "id": "t1"},
    {"type": "text-delta", "id": "t1", "delta": "Hi"},
    {"type": "text-end", "id": "t1"},
    {"type": "finish-step"},
    {"type": "start-step"},
    {"type": "text-start", "id": "t2"},
    {"type": "text-delta", "id": "t2", "delta": " there"},
    {"type": "text-end", "id": "t2"},
    {"type": "finish-step"},
    {"type": "finish", "finishReason": "stop"},
)
UI_HUGE_USAGE = (
    b'data: {"type": "start", "messageId": "m2"}\n\n'
    b'data: {"type": "text-start", "id": "t"}\n\ndata: {"type": "text-delta", "id": "t", "delta": "x"}\n\n'
    b'data: {"type": "text-end", "id": "t"}\n\n'
    b'data: {"type": "finish", "finishReason": "stop", "messageMetadata": '
    b'{"usage": {"inputTokens": 1e999, "outputTokens": 3}}}\n\ndata: [DONE]\n\n'
)
UI_BODIES = {"no-usage": UI_NO_USAGE, "huge-usage": UI_HUGE_USAGE}
UI_HEADERS = {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"}


def make_app() -> Starlette:
    async def chat(request: Request) -> Response:
        await request.body()
        name = request.path_params["name"]
        encoder = request.path_params["encoder"]
        if encoder == "ui":
            return Response(UI_BODIES[name], headers=UI_HEADERS)
        stream = create_run(RUNS[name])
        if encoder == "ds":
            return DataStreamResponse(stream)
        return AssistantTransportResponse(stream)

    return Starlette(routes=[Route("/{encoder}/{name}/api/chat", chat, methods=["POST"])])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serve_app(make_app(), lifespan="off") as url:
        yield url


def check_run(result: ChatResult, name: str) -> None:
    status, reason, usage = EXPECTED[name]
    assert result.status == status
    assert result.message["status"] == status
    assert result.finish_reason == reason
    assert result.usage == usage


@pytest.mark.parametrize("encoder", ["ds", "at"])
@pytest.mark.parametrize("name", list(RUNS))
def test_assistant_stream_runs_sync(server_url: str, encoder: str, name: str) -> None:
    with AssistantClient(base_url=f"{server_url}/{encoder}/{name}") as client:
        check_run(client.threads("t1").chat_sync(messages=[user("Hi")]), name)


@pytest.mark.anyio
@pytest.mark.parametrize("encoder", ["ds", "at"])
@pytest.mark.parametrize("name", list(RUNS))
async def test_assistant_stream_runs_async(server_url: str, encoder: str, name: str) -> None:
    async with AssistantClient(base_url=f"{server_url}/{encoder}/{name}") as client:
        check_run(await client.threads("t1").chat(messages=[user("Hi")]), name)


def test_assistant_stream_tool_steps_keep_each_steps_usage(server_url: str) -> None:
    with AssistantClient(base_url=f"{server_url}/ds/tool-steps") as client:
        steps = client.threads("t1").chat_sync(messages=[user("Hi")]).message["metadata"]["steps"]
    assert [(s["finishReason"], s.get("usage")) for s in steps] == [
        ("tool-calls", {"inputTokens": 3, "outputTokens": 4}), ("stop", {"inputTokens": 8, "outputTokens": 9})]


@pytest.mark.anyio
async def test_ui_message_stream_without_usage_has_none(server_url: str) -> None:
    async with AssistantClient(base_url=f"{server_url}/ui/no-usage") as client:
        result = await client.threads("t1").chat(messages=[user("Hi")])
    assert result.protocol == "ui-message-stream"
    assert result.text == "Hi there"
    assert result.status == {"type": "complete", "reason": "stop"}
    assert result.finish_reason == "stop"
    assert result.usage is None
    steps = result.message["metadata"]["steps"]
    assert len(steps) == 2 and all("usage" not in s for s in steps)
    assert [e.get("usage") for e in result.events if e["type"] in ("step-finish", "finish")] == [None, None, None]


def test_ui_message_stream_with_an_infinite_count_does_not_crash(server_url: str) -> None:
    with AssistantClient(base_url=f"{server_url}/ui/huge-usage") as client:
        result = client.threads("t1").chat_sync(messages=[user("Hi")])
    assert result.text == "x"
    assert result.status == {"type": "complete", "reason": "stop"}
    assert result.usage == {"outputTokens": 3}  # the count that is not a count is left out


# -- the rules, without a server ------------------------------------------------------------------


def finish_step(reason: str) -> dict[str, Any]:
    return {"type": "step-finish", "finishReason": reason, "usage": {"inputTokens": 1, "outputTokens": 1}}


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("stop", {"type": "complete", "reason": "stop"}),
        ("unknown", {"type": "complete", "reason": "unknown"}),
        ("length", {"type": "incomplete", "reason": "length"}),
        ("content-filter", {"type": "incomplete", "reason": "content-filter"}),
    ],
)
def test_the_last_step_settles_the_status_when_no_finish_came(reason: str, status: dict[str, Any]) -> None:
    acc = MessageAccumulator()
    acc.add_all([{"type": "text-delta", "delta": "x"}, finish_step("tool-calls"), finish_step(reason)])
    assert acc.finish()["status"] == status


def test_a_finish_event_and_the_end_rules_still_win_over_the_last_step() -> None:
    acc = MessageAccumulator()
    acc.add_all([finish_step("stop"), {"type": "finish", "finishReason": "length"}])
    assert acc.finish()["status"] == {"type": "incomplete", "reason": "length"}
    # a pending tool call
    acc = MessageAccumulator()
    acc.add_all([{"type": "tool-call", "toolCallId": "c", "toolName": "t", "args": {}}, finish_step("stop")])
    assert acc.finish()["status"] == {"type": "requires-action", "reason": "tool-calls"}
    # cancelled, cut short
    for kwargs, status in [({"cancelled": True}, {"type": "incomplete", "reason": "cancelled"}),
                           ({"interrupted": {"type": "incomplete", "reason": "other"}},
                            {"type": "incomplete", "reason": "other"})]:
        acc = MessageAccumulator()
        acc.add(finish_step("stop"))
        assert acc.finish(**kwargs)["status"] == status
    # tool calls whose results came, then the stream ended: nothing pending
    acc = MessageAccumulator()
    acc.add_all([{"type": "tool-call", "toolCallId": "c", "toolName": "t", "args": {}},
                 {"type": "tool-result", "toolCallId": "c", "result": 1}, finish_step("tool-calls")])
    assert acc.finish()["status"] == {"type": "complete", "reason": "unknown"}


def test_a_step_without_usage_keeps_the_last_usage_sent() -> None:
    acc = MessageAccumulator()
    acc.add_all([finish_step("tool-calls"), {"type": "step-finish", "finishReason": "stop", "usage": None}])
    assert acc.usage == {"inputTokens": 1, "outputTokens": 1}
    assert "usage" not in acc.finish()["metadata"]["steps"][1]


# -- counts that are not counts (1e999 and friends) -------------------------------------------------

BAD_COUNTS = [float("inf"), float("-inf"), float("nan"), -1, -0.5, 10**400, MAX_TOKEN_COUNT + 1, "12", None, True, [1]]


@pytest.mark.parametrize("bad", BAD_COUNTS, ids=repr)
@pytest.mark.parametrize(
    "spelling",
    [("inputTokens", "outputTokens"), ("promptTokens", "completionTokens"), ("prompt_tokens", "completion_tokens")],
)
def test_a_count_that_is_not_a_count_is_left_out(bad: Any, spelling: tuple[str, str]) -> None:
    inp, out = spelling
    assert normalize_usage({inp: bad, out: 2}) == {"outputTokens": 2}
    assert normalize_usage({inp: bad, out: bad}) is None
    assert normalize_usage({inp: 3.0, out: 2, "total_tokens": bad}) == {"inputTokens": 3, "outputTokens": 2}


def test_usage_that_is_not_an_object_is_none() -> None:
    for usage in (None, 3, "x", [1, 2], {}):
        assert normalize_usage(usage) is None
    assert normalize_usage({"inputTokens": MAX_TOKEN_COUNT, "outputTokens": 0, "totalTokens": 9}) == {
        "inputTokens": MAX_TOKEN_COUNT, "outputTokens": 0, "totalTokens": 9}


INF_BODIES = {
    "data-stream": (b'0:"x"\ne:{"finishReason":"stop","usage":{"promptTokens":1e999,"completionTokens":2},'
                    b'"isContinued":false}\nd:{"finishReason":"stop","usage":{"promptTokens":-1e999,"completionTokens":1e999}}\n'),
    "assistant-transport": (b'data: {"type":"step-finish","finishReason":"stop","usage":{"inputTokens":1e999,'
                            b'"outputTokens":2},"isContinued":false}\n\ndata: {"type":"message-finish",'
                            b'"finishReason":"stop","usage":{"inputTokens":1e999}}\n\ndata: [DONE]\n\n'),
    "openai": (b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"},'
               b'"finish_reason":"stop"}],"usage":{"prompt_tokens":1e999,"completion_tokens":2,"total_tokens":1e999}}'
               b"\n\ndata: [DONE]\n\n"),
    "ui-message-stream": UI_HUGE_USAGE,
}


@pytest.mark.parametrize("protocol", list(INF_BODIES))
@pytest.mark.parametrize("piece", [1, 5, 100_000])
def test_infinite_counts_in_every_format_do_not_raise(protocol: str, piece: int) -> None:
    body = INF_BODIES[protocol]
    decoder = StreamDecoder(protocol=protocol)
    acc = MessageAccumulator()
    for i in range(0, len(body), piece):
        acc.add_all(decoder.feed(body[i : i + piece]))
    acc.add_all(decoder.end())
    message = acc.finish()
    assert message["status"] == {"type": "complete", "reason": "stop"}
    assert acc.usage in ({"outputTokens": 2}, {"outputTokens": 3})
