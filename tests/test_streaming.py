"""Streaming against a real assistant-stream server: events as they arrive, text_stream,
final(), message snapshots, and the connection going back to the pool in every way a
stream can end (docs/api.md §4)."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Iterator

import anyio
import httpx
import pytest
from live_server import LiveServer

from assistant_ui import AssistantClient, AsyncChatStream, ChatStream, user

pytestmark = pytest.mark.timeout(30)

MSGS = [user("Hi")]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer() as srv:
        yield srv


@pytest.fixture
def client(server: LiveServer) -> Iterator[AssistantClient]:
    # one connection and a short pool timeout: a leaked connection makes the next call fail
    c = AssistantClient(
        server.base_url,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(5, pool=1),
        max_retries=0,
    )
    yield c
    c.close_sync()


def tag() -> str:
    return uuid.uuid4().hex


def expected(n: int) -> str:
    return "".join(f"t{i} " for i in range(n))


# -- events as they arrive --------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_events_arrive_while_the_server_is_still_streaming(
    client: AssistantClient, server: LiveServer
) -> None:
    t = tag()
    thread = client.threads("stream-1")
    async with thread.stream(MSGS, scenario="slow", n=4, delay=0.1, tag=t) as stream:
        assert isinstance(stream, AsyncChatStream)
        first = await stream.__anext__()
        assert first == {"type": "text-delta", "delta": "t0 "}
        assert "complete" not in server.records[t]  # the server has not finished yet
        rest = [ev async for ev in stream]
        result = await stream.final()
    assert [first, *rest] == result.events
    assert result.text == expected(4)
    assert result.status["type"] == "complete"
    assert result.protocol == "data-stream"
    assert result.response is not None and result.response.status_code == 200


def test_sync_events_arrive_while_the_server_is_still_streaming(
    client: AssistantClient, server: LiveServer
) -> None:
    t = tag()
    thread = client.threads("stream-1")
    with thread.stream_sync(MSGS, scenario="slow", n=4, delay=0.1, tag=t) as stream:
        assert isinstance(stream, ChatStream)
        first = next(stream)
        assert first == {"type": "text-delta", "delta": "t0 "}
        assert "complete" not in server.records[t]
        rest = list(stream)
        result = stream.final()
    assert [first, *rest] == result.events
    assert result.text == expected(4)
    assert result.status["type"] == "complete"


@pytest.mark.anyio
async def test_async_assistant_transport_stream(client: AssistantClient) -> None:
    thread = client.threads("stream-at")
    async with thread.stream(MSGS, scenario="slow", n=3, delay=0.02, format="assistant-transport") as s:
        deltas = [d async for d in s.text_stream]
    assert "".join(deltas) == expected(3)
    result = await s.final()
    assert result.protocol == "assistant-transport"
    assert result.status["type"] == "complete"


# -- text_stream shares the iterator; final() has everything -------------------------------------


@pytest.mark.anyio
async def test_async_text_stream_then_final_has_everything(client: AssistantClient) -> None:
    thread = client.threads("stream-2")
    async with thread.stream(MSGS, scenario="slow", n=5, delay=0.01) as stream:
        first = await stream.__anext__()  # one event through the main iterator ...
        deltas = [d async for d in stream.text_stream]  # ... the rest as text
        result = await stream.final()
    assert first["type"] == "text-delta"
    assert first["delta"] + "".join(deltas) == expected(5)
    assert result.text == expected(5)
    assert len(result.events) == 5


def test_sync_text_stream_then_final_has_everything(client: AssistantClient) -> None:
    thread = client.threads("stream-2")
    with thread.stream_sync(MSGS, scenario="slow", n=5, delay=0.01) as stream:
        first = next(stream)
        deltas = list(stream.text_stream)
        result = stream.final()
    assert first["type"] == "text-delta"
    assert first["delta"] + "".join(deltas) == expected(5)
    assert result.text == expected(5)
    assert len(result.events) == 5


@pytest.mark.anyio
async def test_async_final_without_iterating_and_lazy_open(client: AssistantClient) -> None:
    thread = client.threads("stream-3")
    async with thread.stream(MSGS, scenario="fast", n=3) as stream:
        result = await stream.final()
    assert result.text == expected(3)
    # without ``async with``: the request goes out on first iteration
    events = [ev async for ev in thread.stream(MSGS, scenario="fast", n=2)]
    assert [e["delta"] for e in events if e["type"] == "text-delta"] == ["t0 ", "t1 "]


def test_sync_iterating_without_with(client: AssistantClient) -> None:
    thread = client.threads("stream-3")
    events = list(thread.stream_sync(MSGS, scenario="fast", n=2))
    assert [e["delta"] for e in events if e["type"] == "text-delta"] == ["t0 ", "t1 "]


# -- the message snapshot --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_message_snapshot_at_any_time(client: AssistantClient) -> None:
    thread = client.threads("stream-4")
    async with thread.stream(MSGS, scenario="slow", n=4, delay=0.02) as stream:
        assert stream.message["content"] == []
        await stream.__anext__()
        await stream.__anext__()
        snapshot = stream.message
        assert snapshot["status"]["type"] == "running"
        assert [p["text"] for p in snapshot["content"] if p["type"] == "text"] == ["t0 t1 "]
        result = await stream.final()
    # the snapshot did not move with later events
    assert [p["text"] for p in snapshot["content"] if p["type"] == "text"] == ["t0 t1 "]
    assert stream.message == result.message
    assert result.message["status"]["type"] == "complete"


def test_sync_message_snapshot_at_any_time(client: AssistantClient) -> None:
    thread = client.threads("stream-4")
    with thread.stream_sync(MSGS, scenario="slow", n=4, delay=0.02) as stream:
        next(stream)
        snapshot = stream.message
        assert [p["text"] for p in snapshot["content"] if p["type"] == "text"] == ["t0 "]
        result = stream.final()
    assert [p["text"] for p in snapshot["content"] if p["type"] == "text"] == ["t0 "]
    assert result.text == expected(4)


# -- release: break, exception, close(), garbage collection -----------------------------------------


@pytest.mark.anyio
async def test_async_break_after_first_event_50_times_never_leaks(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("stream-break")
    t = tag()
    for i in range(50):
        async with thread.stream(MSGS, scenario="slow", n=100, delay=0.05, tag=f"{t}-{i}") as s:
            async for _ev in s:
                break
    # 50 streams through a pool of one connection with a 1 s pool timeout: none leaked
    result = await thread.chat(MSGS, scenario="fast", n=2)
    assert result.text == expected(2)
    assert await anyio.to_thread.run_sync(server.wait_for, f"{t}-49", "disconnect")
    assert thread._in_flight() == []


def test_sync_break_after_first_event_50_times_never_leaks(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("stream-break")
    t = tag()
    for i in range(50):
        with thread.stream_sync(MSGS, scenario="slow", n=100, delay=0.05, tag=f"{t}-{i}") as s:
            for _ev in s:
                break
    assert thread.chat_sync(MSGS, scenario="fast", n=2).text == expected(2)
    assert server.wait_for(f"{t}-49", "disconnect")
    assert thread._in_flight() == []


def test_sync_break_out_of_a_bare_for_releases(client: AssistantClient, server: LiveServer) -> None:
    thread = client.threads("stream-bare")
    for i in range(5):
        for _ev in thread.stream_sync(MSGS, scenario="slow", n=100, delay=0.05, tag=f"bare-{i}"):
            break
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "


@pytest.mark.anyio
async def test_async_exception_inside_the_loop_releases(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("stream-exc")
    t = tag()
    with pytest.raises(KeyError):
        async with thread.stream(MSGS, scenario="slow", n=100, delay=0.05, tag=t) as s:
            async for _ev in s:
                raise KeyError("boom")
    assert await anyio.to_thread.run_sync(server.wait_for, t, "disconnect")
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "


def test_sync_exception_inside_the_loop_releases(client: AssistantClient, server: LiveServer) -> None:
    thread = client.threads("stream-exc")
    t = tag()
    with pytest.raises(KeyError):
        with thread.stream_sync(MSGS, scenario="slow", n=100, delay=0.05, tag=t) as s:
            for _ev in s:
                raise KeyError("boom")
    assert server.wait_for(t, "disconnect")
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "


@pytest.mark.anyio
async def test_async_aclose_mid_stream(client: AssistantClient, server: LiveServer) -> None:
    thread = client.threads("stream-close")
    t = tag()
    stream = thread.stream(MSGS, scenario="slow", n=100, delay=0.05, tag=t)
    async with stream:
        await stream.__anext__()
        started = time.monotonic()
        await stream.aclose()
        assert time.monotonic() - started < 1
        assert [ev async for ev in stream] == []
        result = await stream.final()
    assert result.text == "t0 "
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    assert await anyio.to_thread.run_sync(server.wait_for, t, "disconnect")
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "


def test_sync_close_mid_stream(client: AssistantClient, server: LiveServer) -> None:
    thread = client.threads("stream-close")
    t = tag()
    stream = thread.stream_sync(MSGS, scenario="slow", n=100, delay=0.05, tag=t)
    with stream:
        next(stream)
        stream.close()
        assert list(stream) == []
        result = stream.final()
    assert result.text == "t0 "
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    assert server.wait_for(t, "disconnect")
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "


@pytest.mark.anyio
async def test_async_garbage_collection_releases(client: AssistantClient, server: LiveServer) -> None:
    thread = client.threads("stream-gc")
    t = tag()
    stream = thread.stream(MSGS, scenario="slow", n=100, delay=0.05, tag=t)
    await stream.__anext__()
    del stream
    gc.collect()
    # the close runs on the loop as soon as it gets a turn; the pool timeout is 1 s
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "
    assert await anyio.to_thread.run_sync(server.wait_for, t, "disconnect")
    assert thread._in_flight() == []


def test_sync_garbage_collection_releases(client: AssistantClient, server: LiveServer) -> None:
    thread = client.threads("stream-gc")
    t = tag()
    stream = thread.stream_sync(MSGS, scenario="slow", n=100, delay=0.05, tag=t)
    next(stream)
    del stream
    gc.collect()
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "
    assert server.wait_for(t, "disconnect")
    assert thread._in_flight() == []


# -- a complete body keeps its connection ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["data-stream", "assistant-transport"])
def test_sync_complete_stream_reuses_the_connection(
    client: AssistantClient, server: LiveServer, fmt: str
) -> None:
    thread = client.threads("reuse")
    thread.chat_sync(MSGS, scenario="fast", n=3, format=fmt)
    with thread.stream_sync(MSGS, scenario="fast", n=3, format=fmt) as s:
        assert "".join(s.text_stream) == expected(3)
    thread.chat_sync(MSGS, scenario="fast", n=3, format=fmt)
    assert len(set(server.ports[-3:])) == 1  # one keep-alive connection for the three


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["data-stream", "assistant-transport"])
async def test_async_complete_stream_reuses_the_connection(
    client: AssistantClient, server: LiveServer, fmt: str
) -> None:
    thread = client.threads("reuse")
    await thread.chat(MSGS, scenario="fast", n=3, format=fmt)
    async with thread.stream(MSGS, scenario="fast", n=3, format=fmt) as s:
        assert "".join([d async for d in s.text_stream]) == expected(3)
    await thread.chat(MSGS, scenario="fast", n=3, format=fmt)
    assert len(set(server.ports[-3:])) == 1


@pytest.mark.anyio
async def test_async_leaving_after_the_finish_event_drains_and_reuses(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("drain")
    await thread.chat(MSGS, scenario="fast", n=1)
    async with thread.stream(MSGS, scenario="finish-then-end", delay=0.1) as s:
        async for ev in s:
            if ev["type"] == "finish":
                break  # the body has not ended yet: its tail is drained on exit
    result = await s.final()
    assert result.status["type"] == "complete" and result.text == "finished"
    await thread.chat(MSGS, scenario="fast", n=1)
    assert len(set(server.ports[-3:])) == 1


def test_sync_leaving_after_the_finish_event_drains_and_reuses(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("drain")
    thread.chat_sync(MSGS, scenario="fast", n=1)
    with thread.stream_sync(MSGS, scenario="finish-then-end", delay=0.1) as s:
        for ev in s:
            if ev["type"] == "finish":
                break
    result = s.final()
    assert result.status["type"] == "complete" and result.text == "finished"
    thread.chat_sync(MSGS, scenario="fast", n=1)
    assert len(set(server.ports[-3:])) == 1


@pytest.mark.anyio
async def test_async_server_holding_the_body_after_done_does_not_hang(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("hold")
    t = tag()
    started = time.monotonic()
    result = await thread.chat(MSGS, scenario="done-then-hold", delay=30, tag=t)
    assert time.monotonic() - started < 2.5
    assert result.text == "all done"
    assert result.status["type"] == "complete"
    assert await anyio.to_thread.run_sync(server.wait_for, t, "disconnect")
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "


def test_sync_server_holding_the_body_after_done_does_not_hang(
    client: AssistantClient, server: LiveServer
) -> None:
    thread = client.threads("hold")
    t = tag()
    started = time.monotonic()
    result = thread.chat_sync(MSGS, scenario="done-then-hold", delay=30, tag=t)
    assert time.monotonic() - started < 2.5
    assert result.text == "all done"
    assert result.status["type"] == "complete"
    assert server.wait_for(t, "disconnect")
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "
