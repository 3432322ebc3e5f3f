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


class _SlowChunks(httpx.AsyncByteStream):
    """One event per chunk; each read "waits" ``WAIT`` seconds on the fake clock."""

    def __init__(self, clock: list[float], chunks: int) -> None:
        self.clock = clock
        self.chunks = chunks

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for i in range(self.chunks):
            await anyio.sleep(0)
            self.clock[0] += 0.01  # the read waited 10 ms (other tasks ran meanwhile)
            yield b'0:"t%d "\n' % i
        yield b'd:{"finishReason":"stop"}\n'


def _fake_clock_and_yields(monkeypatch: pytest.MonkeyPatch) -> tuple[list[float], list[int]]:
    """The streams' clock becomes ``now[0]`` (moved by the test), and their own yields
    to the loop are counted in ``yields[0]`` (and still made)."""
    now = [1000.0]
    monkeypatch.setattr(async_stream, "loop_clock", lambda native: lambda: now[0])
    yields = [0]
    real = async_stream._let_others_run

    async def counting() -> None:
        yields[0] += 1
        await real()

    monkeypatch.setattr(async_stream, "_let_others_run", counting)
    return now, yields


@pytest.mark.anyio
async def test_a_stream_whose_reads_waited_does_not_yield_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # every read takes 10 ms of (fake) time and brings one event: the stream lets other
    # tasks run at each read, so its own yield (a checkpoint, a loop step and a cancel
    # scope per 16 events) would only cost time
    now, yields = _fake_clock_and_yields(monkeypatch)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"x-vercel-ai-data-stream": "v1"}, stream=_SlowChunks(now, 64))

    client = AssistantClient(base_url="http://test", transport=httpx.MockTransport(answer))
    async with client.threads("t").stream(messages=[user("hi")]) as stream:
        texts = [ev["delta"] async for ev in stream if ev["type"] == "text-delta"]
    await client.close()
    assert texts == [f"t{i} " for i in range(64)]
    assert yields == [0]


@pytest.mark.anyio
async def test_a_stream_yields_when_its_reads_did_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same, but the clock moves 10 ms while the events are handed out, not in the
    # reads: the stream held the loop, and yields once per 16 events
    now, yields = _fake_clock_and_yields(monkeypatch)
    client = _client()
    async with client.threads("t").stream(messages=[user("hi")]) as stream:
        async for _ in stream:
            now[0] += 0.01
    await client.close()
    assert yields == [(EVENTS + 1) // YIELD_EVERY]
