"""``assistant_ui.testing``: the script builders and the fake backend, through
``httpx.ASGITransport`` and over real HTTP with ``serve`` (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import anyio
import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui.errors import APIConnectionError, APIStatusError, AuthenticationError
from assistant_ui.testing import (
    DemoBackend,
    FakeBackend,
    Reply,
    fake_weather,
    message_events,
    serve,
    serve_async,
    text_events,
    text_reply,
    tool_call_events,
    tool_call_reply,
)


def accumulate(events: list[Any]) -> Any:
    acc = MessageAccumulator()
    acc.add_all(events)
    return acc.finish()


# -- script builders ------------------------------------------------------------------------


def test_message_events_wrap_steps_and_pick_the_finish_reason() -> None:
    pending = message_events(tool_call_events("f", {}, "c1"))
    assert [e["type"] for e in pending][:2] == ["step-start", "tool-call-start"]
    assert pending[-2]["finishReason"] == "tool-calls"
    assert pending[-1]["finishReason"] == "tool-calls"
    done = message_events(tool_call_events("f", {}, "c1", result=1), text_events("ok"))
    assert [e["finishReason"] for e in done if e["type"] == "step-finish"] == ["tool-calls", "stop"]
    assert done[-1]["finishReason"] == "stop"
    assert accumulate(done)["status"] == {"type": "complete", "reason": "stop"}


def test_tool_call_reply_streams_the_arguments() -> None:
    reply = tool_call_reply("search", {"query": "a long query string"}, call_id="c9", text="Looking.")
    deltas = [e["argsTextDelta"] for e in reply.events if e["type"] == "tool-call-delta"]
    assert len(deltas) > 1 and "".join(deltas) == '{"query": "a long query string"}'
    message = accumulate(list(reply.events))
    assert message["content"][0] == {"type": "text", "text": "Looking."}
    assert message["content"][1]["args"] == {"query": "a long query string"}
    assert message["status"]["type"] == "requires-action"


def test_reply_rejects_unknown_formats() -> None:
    with pytest.raises(ValueError):
        Reply(format="xml")
    with pytest.raises(ValueError):
        FakeBackend(format="xml")


# -- FakeBackend through httpx.ASGITransport ----------------------------------------------------


def asgi_client(backend: Any, **kwargs: Any) -> AssistantClient:
    transport = httpx.ASGITransport(app=backend)
    return AssistantClient(base_url="http://fake", transport=transport, **kwargs)


@pytest.mark.anyio
async def test_asgi_transport_chat_and_recording() -> None:
    backend = FakeBackend([text_reply("Hello there!")])
    async with asgi_client(backend, headers={"X-Test": "1"}) as client:
        result = await client.threads("t-1").chat(messages=[user("Hi")], system="be nice")
    assert result.text == "Hello there!"
    assert result.status == {"type": "complete", "reason": "stop"}
    assert result.protocol == "data-stream"
    [request] = backend.requests
    assert (request.method, request.path) == ("POST", "/api/chat")
    assert request.headers["x-test"] == "1"
    assert request.headers["content-type"] == "application/json"
    assert request.body["threadId"] == "t-1" and request.thread_id == "t-1"
    assert request.body["system"] == "be nice"
    assert request.body["commands"][0]["message"]["parts"] == [{"type": "text", "text": "Hi"}]
    assert json.loads(request.content) == request.body
    assert request.completed and request.format == "data-stream"
    assert request.json() == request.body
    assert backend.chat_requests == [request] and backend.last_request is request


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["data-stream", "assistant-transport", "ui-message-stream"])
async def test_asgi_transport_every_rich_format(fmt: str) -> None:
    reply = tool_call_reply("get_weather", {"city": "Paris"}, "c1", result={"t": 18}, text="Checking.")
    backend = FakeBackend([Reply(events=reply.events, format=fmt)])
    async with asgi_client(backend) as client:
        result = await client.threads("t").chat(messages=[user("weather?")])
    assert result.protocol == fmt
    assert result.message["content"] == accumulate(list(reply.events))["content"]
    assert result.tool_calls[0]["result"] == {"t": 18}


@pytest.mark.anyio
async def test_responders_sync_and_async() -> None:
    async def later(body: Any) -> Reply:
        await anyio.sleep(0)
        return text_reply("async " + body["threadId"])

    backend = FakeBackend(["scripted first"], responder=lambda body: f"echo {body['threadId']}")
    async with asgi_client(backend) as client:
        assert (await client.threads("a").chat(messages=[user("x")])).text == "scripted first"
        assert (await client.threads("b").chat(messages=[user("x")])).text == "echo b"
        backend.responder = later
        assert (await client.threads("c").chat(messages=[user("x")])).text == "async c"


@pytest.mark.anyio
async def test_status_replies_retries_and_exhaustion() -> None:
    backend = FakeBackend([
        Reply(status=503, headers={"retry-after": "0"}),
        text_reply("recovered"),
        Reply(status=401, body={"error": "bad token"}),
    ])
    async with asgi_client(backend) as client:
        thread = client.threads("t")
        assert (await thread.chat(messages=[user("x")])).text == "recovered"
        assert len(backend.requests) == 2  # the 503 was retried
        with pytest.raises(AuthenticationError) as info:
            await thread.chat(messages=[user("x")])
        assert "bad token" in str(info.value.body)
        with pytest.raises(APIStatusError) as gone:
            await thread.chat(messages=[user("x")])
        assert gone.value.status_code == 410
        assert "no scripted reply left" in str(gone.value.body)


@pytest.mark.anyio
async def test_other_routes() -> None:
    backend = FakeBackend()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=backend),
                                 base_url="http://fake") as http:
        assert (await http.get("/api/chat/resume/abc")).status_code == 404
        assert (await http.get("/api/chat")).status_code == 405
        assert (await http.get("/nowhere")).status_code == 404
        cancel = await http.post("/api/cancel", json={"threadId": "t9"})
        assert cancel.status_code == 200 and cancel.json() == {"ok": True}
        raw = await http.post("/api/chat", content=b"not json")
        assert raw.status_code == 410
    assert backend.cancels == ["t9"]
    assert [r.path for r in backend.requests][-1] == "/api/chat"
    assert backend.requests[-1].body is None and backend.requests[-1].content == b"not json"


@pytest.mark.anyio
async def test_raw_bodies_and_chunks() -> None:
    backend = FakeBackend([
        Reply(chunks=[b'0:"raw "\n', '0:"pieces"\n']),
        Reply(body={"object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "json!"}, "finish_reason": "stop"}]}),
    ])
    async with asgi_client(backend) as client:
        assert (await client.threads("t").chat(messages=[user("x")])).text == "raw pieces"
        assert (await client.threads("t").chat(messages=[user("x")])).text == "json!"


# -- FakeBackend over real HTTP ---------------------------------------------------------------


@pytest.fixture
def live() -> Iterator[tuple[FakeBackend, AssistantClient]]:
    backend = FakeBackend()
    with serve(backend) as base_url, AssistantClient(base_url=base_url, trust_env=False) as client:
        yield backend, client


def test_chat_sync_over_loopback(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply("Hi!"), tool_call_reply("get_weather", {"city": "Oslo"}, "c1"))
    thread = client.threads("t-sync")
    assert thread.chat_sync(messages=[user("hello")]).text == "Hi!"
    result = thread.chat_sync(messages=[user("weather?")])
    assert result.status == {"type": "requires-action", "reason": "tool-calls"}
    assert [(c["toolName"], c["args"]) for c in result.pending_tool_calls] == [("get_weather", {"city": "Oslo"})]
    assert [r.body["commands"][-1]["message"]["parts"][0]["text"] for r in backend.requests] == [
        "hello", "weather?"
    ]
    assert all(r.completed and r.headers["host"].startswith("127.0.0.1:") for r in backend.requests)


@pytest.mark.parametrize("fmt", ["data-stream", "assistant-transport", "ui-message-stream", "openai"])
def test_every_streaming_format_over_loopback(live: tuple[FakeBackend, AssistantClient], fmt: str) -> None:
    backend, client = live
    events = message_events(text_events("Let me see."), tool_call_events("lookup", {"q": "x"}, "c1"))
    backend.add(Reply(events=events, format=fmt))
    result = client.threads("t").chat_sync(messages=[user("go")])
    assert result.protocol == fmt
    assert result.text == "Let me see."
    assert [(c["toolCallId"], c["args"]) for c in result.tool_calls] == [("c1", {"q": "x"})]
    assert result.status["type"] == "requires-action"


def _arrival_times(stream: Any) -> list[float]:
    start = time.monotonic()
    times = []
    for event in stream:
        if event["type"] == "text-delta":
            times.append(time.monotonic() - start)
    return times


def test_stream_sync_events_arrive_as_they_are_sent(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply("one two three four", delay=0.15))
    with client.threads("t").stream_sync(messages=[user("count")]) as stream:
        times = _arrival_times(stream)
        snapshot_text = "".join(p["text"] for p in stream.message["content"] if p["type"] == "text")
    assert snapshot_text == "one two three four"
    assert len(times) == 4
    # streamed, not buffered: each word came about one delay after the one before
    assert times[-1] - times[0] > 0.3
    assert sum(b - a > 0.05 for a, b in pairwise(times)) >= 2  # (a stalled reader may merge two)


@pytest.mark.anyio
async def test_stream_async_events_arrive_as_they_are_sent() -> None:
    backend = FakeBackend([text_reply("alpha beta gamma", delay=0.15)])
    async with serve_async(backend) as base_url:
        async with AssistantClient(base_url=base_url, trust_env=False) as client:
            async with client.threads("t").stream(messages=[user("x")]) as stream:
                start = anyio.current_time()
                times = [anyio.current_time() - start async for e in stream if e["type"] == "text-delta"]
                result = await stream.final()
    assert result.text == "alpha beta gamma"
    assert len(times) == 3 and times[-1] - times[0] > 0.2


def test_cancel_ends_the_reply_and_is_recorded(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply(" ".join(["tick"] * 100), delay=0.05))
    thread = client.threads("t-cancel")
    started = time.monotonic()
    with thread.stream_sync(messages=[user("slow")]) as stream:
        first = next(iter(stream))
        assert first["type"] in ("step-start", "text-delta")
        timer = threading.Timer(0.2, thread.cancel_sync)  # from another thread
        timer.start()
        result = stream.final()
    assert time.monotonic() - started < 3  # the whole reply would take 5 s
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    timer.join(5)  # the call is aborted first, then the server is told
    assert backend.cancels == ["t-cancel"]
    chat = backend.chat_requests[0]
    _wait_for(lambda: chat.cancelled or chat.disconnected)
    assert not chat.completed and chat.chunks_sent < 100


@pytest.mark.anyio
async def test_async_cancel_over_loopback() -> None:
    backend = FakeBackend([text_reply(" ".join(["tick"] * 100), delay=0.05)])
    async with serve_async(backend) as base_url:
        async with AssistantClient(base_url=base_url, trust_env=False) as client:
            thread = client.threads("t-async-cancel")
            async with thread.stream(messages=[user("slow")]) as stream:
                async for event in stream:
                    if event["type"] == "text-delta":
                        await thread.cancel()
                result = await stream.final()
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    assert backend.cancels == ["t-async-cancel"]
    assert not backend.chat_requests[0].completed


def _wait_for(predicate: Any, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def test_closing_the_stream_disconnects(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply(" ".join(["word"] * 200), delay=0.02))
    with client.threads("t").stream_sync(messages=[user("x")]) as stream:
        for event in stream:
            if event["type"] == "text-delta":
                break
    request = backend.chat_requests[0]
    _wait_for(lambda: request.disconnected)
    assert not request.completed and request.chunks_sent < 200


def test_cut_connection_raises_with_the_partial_result(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply("never finished words", cut_after=3))
    with pytest.raises(APIConnectionError) as info:
        client.threads("t").chat_sync(messages=[user("x")])
    partial = info.value.partial
    assert partial is not None and partial.text == "never finished "  # f:, then two words
    assert backend.chat_requests[0].chunks_sent == 3


def test_heartbeats_while_waiting(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply("a b", delay=0.25, heartbeat=0.1, format="assistant-transport"))
    result = client.threads("t").chat_sync(messages=[user("x")])
    assert result.text == "a b"
    base = str(client.base_url)
    backend.add(text_reply("a b", delay=0.25, heartbeat=0.1, format="assistant-transport"))
    with httpx.Client(trust_env=False) as http:
        body = http.post(base + "/api/chat", json={"threadId": "raw"}).content
    assert body.count(b": heartbeat\n\n") >= 4  # about two per pause


def test_openai_route(live: tuple[FakeBackend, AssistantClient]) -> None:
    backend, client = live
    backend.add(text_reply("streamed"), text_reply("whole"))
    base = str(client.base_url)
    with httpx.Client(trust_env=False) as http:
        streamed = http.post(base + "/v1/chat/completions",
                             json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]})
        whole = http.post(base + "/v1/chat/completions",
                          json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert streamed.headers["content-type"] == "text/event-stream"
    assert b"chat.completion.chunk" in streamed.content and streamed.content.endswith(b"data: [DONE]\n\n")
    assert whole.json()["choices"][0]["message"]["content"] == "whole"
    assert [r.format for r in backend.chat_requests] == ["openai", "openai-json"]


# -- the demo backend ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_demo_backend_resolves_the_weather_itself() -> None:
    backend = DemoBackend(delay=0)
    async with asgi_client(backend) as client:
        result = await client.threads("d").chat(messages=[user("What's the weather in Tokyo?")])
    [call] = result.tool_calls
    assert call["toolName"] == "get_weather" and call["args"] == {"city": "Tokyo"}
    assert call["result"] == fake_weather("Tokyo")
    assert result.text.startswith("Let me check the current weather in Tokyo.")
    assert "22 °C and clear in Tokyo" in result.text
    assert result.status == {"type": "complete", "reason": "stop"}
    assert len(result.message["metadata"]["steps"]) == 2


@pytest.mark.anyio
async def test_demo_backend_client_side_tool_then_results() -> None:
    backend = DemoBackend(delay=0)
    tools = {"get_weather": {"description": "weather", "parameters": {"type": "object", "properties": {}}}}
    async with asgi_client(backend) as client:
        thread = client.threads("d")
        first = await thread.chat(messages=[user("weather in Lisbon please")], tools=tools)
        assert first.status["type"] == "requires-action"
        [call] = first.pending_tool_calls
        assert call["args"] == {"city": "Lisbon"}
        command = {"type": "add-tool-result", "toolCallId": call["toolCallId"], "toolName": "get_weather",
                   "result": {"city": "Lisbon", "temperature": 25, "unit": "c", "conditions": "sunny"},
                   "isError": False}
        second = await thread.chat(commands=[command], tools=tools)
    assert second.text == "It's 25 °C and sunny in Lisbon right now."
    assert second.status == {"type": "complete", "reason": "stop"}


def test_demo_backend_other_dialects_and_echo() -> None:
    demo = DemoBackend()
    openai = demo.demo_reply({"model": "m", "stream": True,
                              "messages": [{"role": "user", "content": "weather in Paris?"}]})
    assert [e["type"] for e in openai.events if e["type"].startswith("tool")] == []
    assert "18 °C" in accumulate(list(openai.events))["content"][0]["text"]
    tool_result = demo.demo_reply({"model": "m", "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1",
         "content": json.dumps({"city": "Rome", "temperature": 30, "unit": "c", "conditions": "hot"})},
    ]})
    assert "30 °C and hot in Rome" in accumulate(list(tool_result.events))["content"][0]["text"]
    ai_sdk = demo.demo_reply({"id": "chat-1", "trigger": "submit-message", "messages": [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "weather?"}]},
        {"id": "a1", "role": "assistant", "parts": [
            {"type": "tool-get_weather", "toolCallId": "c1", "state": "output-error", "errorText": "offline"}]},
    ]})
    assert "get_weather failed (offline)" in accumulate(list(ai_sdk.events))["content"][0]["text"]
    echo = accumulate(list(demo.demo_reply({"threadId": "t", "commands": [
        {"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": "ping"}]}}
    ]}).events))
    assert echo["content"][0]["text"].startswith('You said: "ping"')
    hello = accumulate(list(demo.demo_reply({"threadId": "t", "commands": []}).events))
    assert "demo backend" in hello["content"][0]["text"]
