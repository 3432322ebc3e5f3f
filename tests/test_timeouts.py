"""``idle_timeout=`` and ``deadline=`` against a real assistant-stream server (docs/api.md §4, §9).

The idle timeout bounds the silence between two decoded events: heartbeats (blank
data-stream lines, SSE comments) keep the socket busy but do not count. The deadline
bounds the whole call, including the wait for the response head. Both raise
APITimeoutError carrying what arrived (``.partial``) and release the connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from live_server import LiveServer

from assistant_ui import (
    APIConnectionError,
    APITimeoutError,
    AssistantClient,
    InternalServerError,
    user,
)

pytestmark = pytest.mark.timeout(30)

MSGS = [user("Hi")]
FORMATS = ["data-stream", "assistant-transport"]


def heartbeats_only(fmt: str) -> dict[str, Any]:
    """One text delta, then nothing but heartbeats for 30 s."""
    return {
        "scenario": "silent",
        "first_text": "hello",
        "delay": 30,
        "heartbeat": 0.05,
        "format": fmt,
    }


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer() as srv:
        yield srv


def make_client(server: LiveServer, **kwargs: Any) -> AssistantClient:
    return AssistantClient(
        server.base_url,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(5, pool=1),
        max_retries=0,
        **kwargs,
    )


@pytest.fixture
def client(server: LiveServer) -> Iterator[AssistantClient]:
    c = make_client(server)
    yield c
    c.close_sync()


def new_id() -> str:
    return uuid.uuid4().hex


def check_partial(exc: APITimeoutError, text: str) -> None:
    partial = exc.partial
    assert partial is not None
    assert partial.text == text
    assert partial.status["type"] == "incomplete"
    assert partial.status.get("error", {}).get("code") == "timeout"


# -- idle timeout -------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", FORMATS)
async def test_async_idle_timeout_ignores_heartbeats(
    client: AssistantClient, server: LiveServer, fmt: str
) -> None:
    tag = new_id()
    thread = client.threads("idle")
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await thread.chat(MSGS, idle_timeout=0.4, tag=tag, **heartbeats_only(fmt))
    assert 0.3 < time.monotonic() - started < 2.5
    assert "idle" in str(info.value)
    check_partial(info.value, "hello")
    assert await anyio.to_thread.run_sync(server.wait_for, tag, "disconnect")
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "  # pool is clean


@pytest.mark.parametrize("fmt", FORMATS)
def test_sync_idle_timeout_ignores_heartbeats(
    client: AssistantClient, server: LiveServer, fmt: str
) -> None:
    tag = new_id()
    thread = client.threads("idle")
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        thread.chat_sync(MSGS, idle_timeout=0.4, tag=tag, **heartbeats_only(fmt))
    assert 0.3 < time.monotonic() - started < 2.5
    assert "idle" in str(info.value)
    check_partial(info.value, "hello")
    assert server.wait_for(tag, "disconnect")
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "


@pytest.mark.anyio
async def test_async_idle_timeout_from_the_client_default(server: LiveServer) -> None:
    client = make_client(server, idle_timeout=0.4)
    thread = client.threads("idle-default")
    with pytest.raises(APITimeoutError) as info:
        async with thread.stream(MSGS, **heartbeats_only("data-stream")) as stream:
            async for _ev in stream:
                pass
    check_partial(info.value, "hello")
    assert stream.message["content"][0]["type"] == "text"
    with pytest.raises(APITimeoutError):  # final() reports the same failure
        await stream.final()
    await client.close()


def test_sync_idle_timeout_from_the_client_default_and_per_call_override(server: LiveServer) -> None:
    client = make_client(server, idle_timeout=60)
    thread = client.threads("idle-default")
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        with thread.stream_sync(MSGS, idle_timeout=0.3, **heartbeats_only("data-stream")) as s:
            for _ev in s:
                pass
    assert time.monotonic() - started < 2.5
    client.close_sync()


@pytest.mark.anyio
async def test_async_idle_timeout_is_not_hit_while_events_flow(client: AssistantClient) -> None:
    # 8 deltas 0.1 s apart (0.8 s in all), heartbeats in between, idle bound 0.4 s
    result = await client.threads("flow").chat(
        MSGS, idle_timeout=0.4, scenario="slow", n=8, delay=0.1, heartbeat=0.03
    )
    assert result.status["type"] == "complete"
    assert result.text == "".join(f"t{i} " for i in range(8))


def test_sync_idle_timeout_is_not_hit_while_events_flow(client: AssistantClient) -> None:
    result = client.threads("flow").chat_sync(
        MSGS, idle_timeout=0.4, scenario="slow", n=8, delay=0.1, heartbeat=0.03
    )
    assert result.status["type"] == "complete"


@pytest.mark.anyio
async def test_async_a_slow_consumer_is_not_the_server_s_silence(client: AssistantClient) -> None:
    async with client.threads("consumer").stream(
        MSGS, idle_timeout=0.3, scenario="slow", n=2, delay=0.05
    ) as stream:
        async for _ev in stream:
            await anyio.sleep(0.5)  # longer than the idle bound, between our own reads
        result = await stream.final()
    assert result.status["type"] == "complete"


def test_sync_a_slow_consumer_is_not_the_server_s_silence(client: AssistantClient) -> None:
    with client.threads("consumer").stream_sync(
        MSGS, idle_timeout=0.3, scenario="slow", n=2, delay=0.05
    ) as stream:
        for _ev in stream:
            time.sleep(0.5)
        result = stream.final()
    assert result.status["type"] == "complete"


# -- deadline --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_deadline_bounds_the_whole_call(client: AssistantClient, server: LiveServer) -> None:
    tag = new_id()
    thread = client.threads("deadline")
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        # a delta every 50 ms: never idle, but it would take 15 s
        await thread.chat(MSGS, deadline=0.6, idle_timeout=5, tag=tag, scenario="slow", n=300, delay=0.05)
    assert 0.5 < time.monotonic() - started < 2.5
    assert "deadline" in str(info.value)
    partial = info.value.partial
    assert partial is not None and partial.text.startswith("t0 t1 ")
    assert await anyio.to_thread.run_sync(server.wait_for, tag, "disconnect")
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "


def test_sync_deadline_bounds_the_whole_call(client: AssistantClient, server: LiveServer) -> None:
    tag = new_id()
    thread = client.threads("deadline")
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        thread.chat_sync(MSGS, deadline=0.6, idle_timeout=5, tag=tag, scenario="slow", n=300, delay=0.05)
    assert 0.5 < time.monotonic() - started < 2.5
    assert "deadline" in str(info.value)
    partial = info.value.partial
    assert partial is not None and partial.text.startswith("t0 t1 ")
    assert server.wait_for(tag, "disconnect")
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "


def test_sync_deadline_during_a_silence_is_exact(client: AssistantClient, server: LiveServer) -> None:
    # no heartbeats, so the read blocks: the watchdog cuts it at the deadline
    thread = client.threads("deadline")
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        with thread.stream_sync(MSGS, deadline=1.0, scenario="silent", first_text="a", delay=30) as s:
            next(s)
            time.sleep(0.7)  # the next read starts 0.7 s into the call
            next(s)
    # a per-read socket timeout alone would end at 0.7 + 1.0 s
    assert 0.9 < time.monotonic() - started < 1.6
    assert "deadline" in str(info.value)


@pytest.mark.anyio
async def test_async_deadline_while_waiting_for_the_head(client: AssistantClient, server: LiveServer) -> None:
    tag = new_id()
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await client.threads("head").chat(MSGS, deadline=0.5, tag=tag, head_delay=30)
    assert time.monotonic() - started < 2
    assert "deadline" in str(info.value)
    assert info.value.partial is None  # nothing arrived
    assert await anyio.to_thread.run_sync(server.wait_for, tag, "disconnect")


def test_sync_deadline_while_waiting_for_the_head(server: LiveServer) -> None:
    client = AssistantClient(server.base_url, max_retries=2)  # retries stop at the deadline too
    tag = new_id()
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.threads("head").chat_sync(MSGS, deadline=0.5, tag=tag, head_delay=30)
    assert time.monotonic() - started < 2
    assert "deadline" in str(info.value)
    assert info.value.partial is None
    assert server.wait_for(tag, "disconnect")
    client.close_sync()


@pytest.mark.anyio
async def test_async_deadline_from_the_client_default(server: LiveServer) -> None:
    client = make_client(server, deadline=0.5)
    with pytest.raises(APITimeoutError) as info:
        await client.threads("d").chat(MSGS, scenario="slow", n=300, delay=0.05)
    assert isinstance(info.value, APIConnectionError)  # the hierarchy of docs/api.md §9
    await client.close()


@pytest.mark.anyio
async def test_async_retry_back_off_never_outlives_the_deadline(server: LiveServer) -> None:
    client = AssistantClient(server.base_url, max_retries=2)
    started = time.monotonic()
    with pytest.raises(InternalServerError):  # Retry-After: 30 would pass the deadline
        await client.threads("busy").chat(MSGS, deadline=1.0, scenario="busy")
    assert time.monotonic() - started < 1
    await client.close()


def test_sync_retry_back_off_never_outlives_the_deadline(server: LiveServer) -> None:
    client = AssistantClient(server.base_url, max_retries=2)
    started = time.monotonic()
    with pytest.raises(InternalServerError):
        client.threads("busy").chat_sync(MSGS, deadline=1.0, scenario="busy")
    assert time.monotonic() - started < 1
    client.close_sync()
