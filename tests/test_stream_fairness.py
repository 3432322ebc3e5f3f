"""An async stream lets other tasks run while it hands out buffered events
(``YIELD_EVERY``, ``YIELD_AFTER``): one read can bring hundreds of events, and other
streams' reads and connection set-up must not wait for all of them. Counted, not timed:
the time bound is set to 0 (a yield at every look at the clock) or to a day (none)."""

from __future__ import annotations

import anyio
import httpx
import pytest

import assistant_ui._async_stream as async_stream
from assistant_ui import AssistantClient, user
from assistant_ui._async_stream import YIELD_EVERY

EVENTS = 200
#: one chunk holding every event: the stream never waits on the network for them
BODY = b"".join(b'0:"t%d "\n' % i for i in range(EVENTS)) + b'd:{"finishReason":"stop"}\n'


def _client() -> AssistantClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"x-vercel-ai-data-stream": "v1"}, content=BODY)

    return AssistantClient(base_url="http://test", transport=httpx.MockTransport(answer))


async def _ticks_while_streaming() -> int:
    client = _client()
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await anyio.sleep(0)

    async with anyio.create_task_group() as tg:
        async with client.threads("t").stream(messages=[user("hi")]) as stream:
            tg.start_soon(ticker)
            await anyio.sleep(0)  # the ticker starts
            ticks = 0
            texts = [ev["delta"] async for ev in stream if ev["type"] == "text-delta"]
            done = True
    assert texts == [f"t{i} " for i in range(EVENTS)]
    await client.close()
    return ticks


@pytest.mark.anyio
async def test_other_tasks_run_while_buffered_events_are_handed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(async_stream, "YIELD_AFTER", 0.0)
    assert await _ticks_while_streaming() >= EVENTS // YIELD_EVERY - 1


@pytest.mark.anyio
async def test_a_stream_that_did_not_hold_the_loop_long_does_not_yield(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(async_stream, "YIELD_AFTER", 86400.0)
    assert await _ticks_while_streaming() <= 2  # the network reads' own checkpoints only


@pytest.mark.anyio
async def test_the_yield_is_not_a_cancellation_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_stream, "YIELD_AFTER", 0.0)
    # a scope cancelled while events are buffered: they are still handed out (the
    # stream only stops at the network, as before)
    client = _client()
    async with client.threads("t").stream(messages=[user("hi")]) as stream:
        first = await stream.__anext__()
        assert first["type"] == "text-delta"
        got = 1
        with anyio.CancelScope() as scope:
            scope.cancel()
            for _ in range(YIELD_EVERY * 3):
                await stream.__anext__()
                got += 1
        assert not scope.cancelled_caught
        assert got == 1 + YIELD_EVERY * 3
    await client.close()
