"""Tool arguments sent after the step finish are kept.

With the ordinary assistant-stream pattern ``tc.append_args_text(...); tc.close();
controller.add_step_finish(...)`` (no await between), assistant-stream 0.0.36 puts
the last argument delta *after* the step-finish on the wire, in both the data
stream and assistant-transport. The real package serves it here (uvicorn on
127.0.0.1); the bytes-level tests pin the wire orders down.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from assistant_stream import RunController, create_run
from assistant_stream.serialization import AssistantTransportResponse, DataStreamResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant_ui import AssistantClient, user
from assistant_ui.decoding import StreamDecoder, accumulate
from assistant_ui.tools import tool

ARGS = {"city": "NYC"}


async def late_args(c: RunController) -> None:
    c.append_text("Checking.")
    tc = await c.add_tool_call("get_weather", "call_1")
    await asyncio.sleep(0.01)
    tc.append_args_text('{"city": ')
    await asyncio.sleep(0.01)
    tc.append_args_text('"NYC"}')
    tc.close()
    c.add_step_finish("tool-calls", input_tokens=3, output_tokens=4)


async def late_args_then_text(c: RunController) -> None:
    # the next step's text, sent right after the step finish, comes before the late delta
    await late_args(c)
    c.append_text("Done.")


async def answer(c: RunController) -> None:
    c.append_text("It is 21 degrees in NYC.")


def make_app(seen: list[bytes]) -> Starlette:
    async def chat(request: Request) -> Response:
        raw = await request.body()
        # the second request carries the tool result
        run = answer if b"21" in raw else RUNS[request.path_params["variant"]]
        stream = create_run(run)
        if request.path_params["encoder"] == "ds":
            response: Response = DataStreamResponse(stream)
        else:
            response = AssistantTransportResponse(stream)
        seen.append(raw)
        return response

    return Starlette(routes=[Route("/{encoder}/{variant}/api/chat", chat, methods=["POST"])])


RUNS = {"late": late_args, "late-then-text": late_args_then_text}
VARIANTS = [(encoder, variant) for encoder in ("ds", "at") for variant in RUNS]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, list[bytes]]]:
    seen: list[bytes] = []
    config = uvicorn.Config(make_app(seen), host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="uvicorn-late-args", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        srv.should_exit = True
        thread.join(10)


def check_call(part: dict[str, Any]) -> None:
    assert part["type"] == "tool-call" and part["toolCallId"] == "call_1"
    assert part["args"] == ARGS
    assert json.loads(part["argsText"]) == ARGS


@pytest.mark.parametrize(("encoder", "variant"), VARIANTS)
def test_real_server_puts_the_delta_after_the_step_finish(
    server: tuple[str, list[bytes]], encoder: str, variant: str
) -> None:
    url, _ = server
    import httpx

    body = httpx.post(f"{url}/{encoder}/{variant}/api/chat", json={"messages": []}).content
    # the wire order this test is about (if assistant-stream changes it, this says so)
    finish = body.find(b"step-finish" if encoder == "at" else b"\ne:")
    assert 0 < finish < body.find(b'\\"NYC\\"}')


@pytest.mark.parametrize(("encoder", "variant"), VARIANTS)
def test_chat_sync_keeps_the_late_delta(server: tuple[str, list[bytes]], encoder: str, variant: str) -> None:
    url, _ = server
    with AssistantClient(f"{url}/{encoder}/{variant}", max_retries=0) as client:
        result = client.threads("t").chat_sync(messages=[user("weather?")])
    check_call(result.message["content"][1])
    if variant == "late-then-text":
        assert result.message["content"][2] == {"type": "text", "text": "Done."}
    assert result.status == {"type": "requires-action", "reason": "tool-calls"}
    assert result.message["metadata"]["steps"][0]["finishReason"] == "tool-calls"
    assert [w for w in result.warnings if "[DONE]" not in w] == []


@pytest.mark.parametrize(("encoder", "variant"), VARIANTS)
def test_run_sync_calls_the_tool_with_the_whole_arguments(
    server: tuple[str, list[bytes]], encoder: str, variant: str
) -> None:
    url, _ = server
    calls: list[dict[str, Any]] = []

    @tool
    def get_weather(city: str) -> dict[str, Any]:
        """Current weather.

        Args:
            city: The city.
        """
        calls.append({"city": city})
        return {"temp": 21}

    with AssistantClient(f"{url}/{encoder}/{variant}", max_retries=0) as client:
        result = client.threads("t").run_sync([user("weather?")], tools=[get_weather])
    assert calls == [ARGS]
    assert result.text.endswith("It is 21 degrees in NYC.")


@pytest.mark.anyio
@pytest.mark.parametrize(("encoder", "variant"), VARIANTS)
async def test_chat_keeps_the_late_delta(server: tuple[str, list[bytes]], encoder: str, variant: str) -> None:
    url, _ = server
    async with AssistantClient(f"{url}/{encoder}/{variant}", max_retries=0) as client:
        result = await client.threads("t").chat(messages=[user("weather?")])
    check_call(result.message["content"][1])


# -- the wire orders, byte by byte ------------------------------------------------------------------

DS_LATE = (
    b'0:"Checking."\n'
    b'b:{"toolCallId": "call_1", "toolName": "get_weather"}\n'
    b'c:{"toolCallId": "call_1", "argsTextDelta": "{\\"city\\": "}\n'
    b'e:{"finishReason": "tool-calls", "usage": {"inputTokens": 3, "outputTokens": 4}, "isContinued": false}\n'
    b'c:{"toolCallId": "call_1", "argsTextDelta": "\\"NYC\\"}"}\n'
)


def sse(*chunks: Any) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


AT_LATE = sse(
    {"type": "part-start", "part": {"type": "text"}, "path": []},
    {"type": "text-delta", "textDelta": "Checking.", "path": [0]},
    {"type": "part-finish", "path": [0]},
    {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "call_1", "toolName": "get_weather"}, "path": []},
    {"type": "text-delta", "textDelta": '{"city": ', "path": [1]},
    {"type": "step-finish", "finishReason": "tool-calls", "usage": {"inputTokens": 3, "outputTokens": 4}, "isContinued": False},
    {"type": "text-delta", "textDelta": '"NYC"}', "path": [1]},
    {"type": "tool-call-args-text-finish", "path": [1]},
    {"type": "part-finish", "path": [1]},
)


@pytest.mark.parametrize(("body", "ctype"), [(DS_LATE, "text/plain"), (AT_LATE, "text/event-stream")])
def test_late_delta_every_split(body: bytes, ctype: str) -> None:
    for cut in range(1, len(body), 5):
        decoder = StreamDecoder(content_type=ctype)
        events = decoder.feed(body[:cut]) + decoder.feed(body[cut:]) + decoder.end()
        kinds = [e["type"] for e in events]
        # the call closes (whole) before the step finish
        assert kinds.index("tool-call") < kinds.index("step-finish")
        message = accumulate(events)
        check_call(message["content"][1])
        assert message["metadata"]["steps"][0]["state"] == "finished"


def test_data_stream_late_delta_after_the_next_steps_text() -> None:
    head, _, late = DS_LATE.rpartition(b"c:")
    body = head + b'0:"Done."\nc:' + late  # the order assistant-stream really uses
    events = StreamDecoder(content_type="text/plain").decode(body)
    kinds = [e["type"] for e in events]
    assert kinds.index("tool-call") < kinds.index("step-finish")
    message = accumulate(events)
    check_call(message["content"][1])
    assert message["content"][2] == {"type": "text", "text": "Done."}


def test_data_stream_step_start_releases_the_finish() -> None:
    body = DS_LATE + b'f:{"messageId": "m2"}\n0:"next step"\nc:{"toolCallId": "call_1", "argsTextDelta": "x"}\n'
    decoder = StreamDecoder(content_type="text/plain")
    events = decoder.decode(body)
    kinds = [e["type"] for e in events]
    assert kinds[kinds.index("tool-call") + 1 : kinds.index("tool-call") + 4] == ["step-finish", "step-start", "text-delta"]
    message = accumulate(events)
    check_call(message["content"][1])
    assert [s["state"] for s in message["metadata"]["steps"]] == ["finished", "started"]
    # a delta after the call closed for good is still dropped, with a warning
    assert any("closed tool call" in w for w in decoder.warnings)


def test_assistant_transport_other_parts_pass_while_the_finish_waits() -> None:
    body = sse(
        {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "call_1", "toolName": "t"}, "path": []},
        {"type": "text-delta", "textDelta": '{"a": ', "path": [0]},
        {"type": "step-finish", "finishReason": "tool-calls"},
        {"type": "part-start", "part": {"type": "text"}, "path": []},
        {"type": "text-delta", "textDelta": "hi", "path": [1]},
        {"type": "part-finish", "path": [1]},
        {"type": "text-delta", "textDelta": "1}", "path": [0]},
        {"type": "step-start", "messageId": "m2"},
    )
    events = StreamDecoder(content_type="text/event-stream").decode(body)
    kinds = [e["type"] for e in events]
    assert kinds == ["tool-call-start", "tool-call-delta", "text-start", "text-delta", "tool-call-delta",
                     "tool-call", "step-finish", "step-start"]
    message = accumulate(events)
    assert message["content"][0]["args"] == {"a": 1}
    assert [s["state"] for s in message["metadata"]["steps"]] == ["finished", "started"]


def test_a_call_started_after_the_finish_does_not_keep_it_waiting() -> None:
    body = sse(
        {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "c1", "toolName": "t"}, "path": []},
        {"type": "step-finish", "finishReason": "tool-calls"},
        {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "c2", "toolName": "t"}, "path": []},
        {"type": "tool-call-args-text-finish", "path": [0]},
        {"type": "text-delta", "textDelta": "{}", "path": [1]},
    )
    kinds = [e["type"] for e in StreamDecoder(content_type="text/event-stream").decode(body)]
    assert kinds == ["tool-call-start", "tool-call-start", "tool-call", "step-finish", "tool-call-delta",
                     "tool-call"]


def test_finish_without_open_calls_is_not_held() -> None:
    body = b'0:"a"\ne:{"finishReason": "stop"}\n'
    decoder = StreamDecoder(content_type="text/plain")
    assert [e["type"] for e in decoder.feed(body)] == ["text-delta", "step-finish"]
