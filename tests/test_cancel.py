"""Cancellation against a real assistant-stream server (docs/api.md §4).

``thread.cancel()`` / ``cancel_sync()`` abort every in-flight call of the thread
promptly (from another task, another event loop or another OS thread) and then post
to the cancel path; the aborted call returns what arrived with status
incomplete/cancelled; the server sees both the cancel request and the client going
away. Cancellation of the caller's own task propagates as usual and still releases
the connection.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from live_server import LiveServer

from assistant_ui import APITimeoutError, AssistantClient, ChatResult, user

pytestmark = pytest.mark.timeout(30)

MSGS = [user("Hi")]
CANCELLED = {"type": "incomplete", "reason": "cancelled"}
#: the server would stream for 30 s
LONG = {"scenario": "slow", "n": 300, "delay": 0.1}


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer() as srv:
        yield srv


@pytest.fixture
def client(server: LiveServer) -> Iterator[AssistantClient]:
    c = AssistantClient(
        server.base_url,
        limits=httpx.Limits(max_connections=2),
        timeout=httpx.Timeout(5, pool=1),
        max_retries=0,
    )
    yield c
    c.close_sync()


def new_id() -> str:
    return uuid.uuid4().hex


async def wait_started(server: LiveServer, tag: str) -> None:
    """Until the server runs ``tag`` and a first delta had time to arrive."""
    assert await anyio.to_thread.run_sync(server.wait_for, tag, "start")
    await anyio.sleep(0.25)


def assert_aborted(result: ChatResult, server: LiveServer, tag: str, thread_id: str) -> None:
    assert result.status == CANCELLED
    assert result.text.startswith("t0 ")  # what arrived before the cancel is kept
    assert server.cancels_for(thread_id) == 1  # the server was told ...
    assert server.wait_for(tag, "disconnect")  # ... and saw the client go away


# -- async ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_cancel_from_another_task_aborts_chat(client: AssistantClient, server: LiveServer) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    box: dict[str, Any] = {}

    async def run() -> None:
        box["result"] = await thread.chat(MSGS, tag=tag, **LONG)
        box["done"] = time.monotonic()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await wait_started(server, tag)
        started = time.monotonic()
        await thread.cancel()
    assert box["done"] - started < 2
    assert_aborted(box["result"], server, tag, thread_id)
    assert thread._in_flight() == []


@pytest.mark.anyio
async def test_cancel_from_another_task_ends_a_stream(client: AssistantClient, server: LiveServer) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    seen: list[str] = []
    async with anyio.create_task_group() as tg:

        async def cancel_soon() -> None:
            await wait_started(server, tag)
            await thread.cancel()

        async with thread.stream(MSGS, tag=tag, **LONG) as stream:
            tg.start_soon(cancel_soon)
            async for delta in stream.text_stream:  # ends when cancelled
                seen.append(delta)
            result = await stream.final()
    assert "".join(seen) == result.text
    assert_aborted(result, server, tag, thread_id)


@pytest.mark.anyio
async def test_a_read_over_a_socket_is_cancelled_by_shutting_the_socket_down(
    client: AssistantClient, server: LiveServer
) -> None:
    """A read with no idle bound runs without a cancel scope of its own when the body
    has a socket: a cancel shuts the socket down under the read, and the stream
    ends cancelled as promptly as with a scope."""
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    async with anyio.create_task_group() as tg:

        async def cancel_soon() -> None:
            await wait_started(server, tag)
            box["cancel"] = time.monotonic()
            await thread.cancel()

        box: dict[str, float] = {}
        async with thread.stream(MSGS, tag=tag, **LONG) as stream:
            tg.start_soon(cancel_soon)
            async for _ev in stream:
                pass
            ended = time.monotonic()
            result = await stream.final()
            unscoped = stream._unscoped
    assert unscoped is not None and unscoped.cancelled_caught  # the abort did it
    assert ended - box["cancel"] < 2
    assert_aborted(result, server, tag, thread_id)


@pytest.mark.anyio
async def test_a_read_with_an_idle_bound_keeps_its_scope(client: AssistantClient, server: LiveServer) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    async with thread.stream(MSGS, tag=tag, idle_timeout=0.05, **LONG) as stream:
        with pytest.raises(APITimeoutError):  # the scope of the read, not the abort
            async for _ev in stream:
                pass
    assert stream._unscoped is not None and not stream._unscoped.cancelled_caught


@pytest.mark.anyio
async def test_cancel_from_inside_the_loop_body(client: AssistantClient, server: LiveServer) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    async with thread.stream(MSGS, tag=tag, **LONG) as stream:
        async for _ev in stream:
            await thread.cancel()
        result = await stream.final()
    assert result.text == "t0 "
    assert_aborted(result, server, tag, thread_id)


@pytest.mark.anyio
async def test_cancel_sync_from_another_os_thread_aborts_an_async_chat(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    fired: list[float] = []

    def canceller() -> None:
        server.wait_for(tag, "start")
        time.sleep(0.25)
        fired.append(time.monotonic())
        client.threads(thread_id).cancel_sync()  # another ThreadClient object, same id

    worker = threading.Thread(target=canceller)
    worker.start()
    try:
        result = await thread.chat(MSGS, tag=tag, **LONG)
        finished = time.monotonic()
    finally:
        await anyio.to_thread.run_sync(worker.join)
    assert finished - fired[0] < 2
    assert_aborted(result, server, tag, thread_id)


@pytest.mark.anyio
async def test_async_cancel_aborts_a_sync_chat_in_a_worker_thread(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    box: dict[str, Any] = {}

    def run() -> None:
        box["result"] = thread.chat_sync(MSGS, tag=tag, **LONG)
        box["done"] = time.monotonic()

    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, run)
        await wait_started(server, tag)
        started = time.monotonic()
        await thread.cancel()
    assert box["done"] - started < 2
    assert_aborted(box["result"], server, tag, thread_id)


@pytest.mark.anyio
async def test_cancel_while_waiting_for_the_response_head(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    box: dict[str, Any] = {}

    async def run() -> None:
        box["result"] = await thread.chat(MSGS, tag=tag, head_delay=30)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        assert await anyio.to_thread.run_sync(server.wait_for, tag, "head-wait")
        started = time.monotonic()
        await thread.cancel()
    assert time.monotonic() - started < 2
    result = box["result"]
    assert result.status == CANCELLED
    assert result.text == "" and result.response is None
    assert server.cancels_for(thread_id) == 1
    assert await anyio.to_thread.run_sync(server.wait_for, tag, "disconnect")


@pytest.mark.anyio
async def test_cancel_aborts_every_call_of_the_thread_and_only_those(
    server: LiveServer,
) -> None:
    client = AssistantClient(server.base_url, max_retries=0)
    target_id, other_id = new_id(), new_id()
    tags = [new_id(), new_id()]
    results: dict[str, ChatResult] = {}

    async def run(name: str, thread_id: str, **kw: Any) -> None:
        results[name] = await client.threads(thread_id).chat(MSGS, **kw)

    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: run("a", target_id, tag=tags[0], **LONG))
        tg.start_soon(lambda: run("b", target_id, tag=tags[1], **LONG))
        tg.start_soon(lambda: run("other", other_id, scenario="slow", n=8, delay=0.1))
        await wait_started(server, tags[0])
        await wait_started(server, tags[1])
        await client.threads(target_id).cancel()
    assert results["a"].status == CANCELLED
    assert results["b"].status == CANCELLED
    assert results["other"].status["type"] == "complete"
    assert results["other"].text == "".join(f"t{i} " for i in range(8))
    assert server.cancels_for(target_id) == 1 and server.cancels_for(other_id) == 0
    await client.close()


@pytest.mark.anyio
async def test_cancel_with_nothing_in_flight_still_tells_the_server(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id = new_id()
    await client.threads(thread_id).cancel()
    assert server.cancels_for(thread_id) == 1
    assert server.cancels[-1] == {"threadId": thread_id}


# -- the caller's own task is cancelled -------------------------------------------------------------


@pytest.mark.anyio
async def test_external_cancellation_propagates_and_releases(server: LiveServer) -> None:
    client = AssistantClient(
        server.base_url,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(5, pool=1),
        max_retries=0,
    )
    thread = client.threads(new_id())
    for i in range(3):
        tag = new_id()
        with anyio.move_on_after(0.3 + 0.05 * i) as scope:
            await thread.chat(MSGS, tag=tag, **LONG)
        assert scope.cancelled_caught
        assert thread._in_flight() == []
        assert await anyio.to_thread.run_sync(server.wait_for, tag, "disconnect")
    # a pool of one connection with a 1 s pool timeout: nothing was leaked
    assert (await thread.chat(MSGS, scenario="fast", n=2)).text == "t0 t1 "
    with anyio.move_on_after(0.3):
        async with thread.stream(MSGS, **LONG) as stream:
            async for _ev in stream:
                pass
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "
    await client.close()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_asyncio_wait_for_timeout_releases(server: LiveServer, anyio_backend: str) -> None:
    client = AssistantClient(
        server.base_url,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(5, pool=1),
        max_retries=0,
    )
    thread = client.threads(new_id())
    tag = new_id()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(thread.chat(MSGS, tag=tag, **LONG), 0.3)
    assert thread._in_flight() == []
    assert await anyio.to_thread.run_sync(server.wait_for, tag, "disconnect")
    task = asyncio.ensure_future(thread.chat(MSGS, **LONG))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await thread.chat(MSGS, scenario="fast", n=1)).text == "t0 "
    await client.close()


# -- sync ----------------------------------------------------------------------------------------


def test_cancel_sync_from_another_os_thread_aborts_chat_sync(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    fired: list[float] = []

    def canceller() -> None:
        server.wait_for(tag, "start")
        time.sleep(0.25)
        fired.append(time.monotonic())
        thread.cancel_sync()

    worker = threading.Thread(target=canceller)
    worker.start()
    try:
        result = thread.chat_sync(MSGS, tag=tag, **LONG)
        finished = time.monotonic()
    finally:
        worker.join()
    assert finished - fired[0] < 2
    assert_aborted(result, server, tag, thread_id)
    assert thread._in_flight() == []
    assert thread.chat_sync(MSGS, scenario="fast", n=1).text == "t0 "


def test_cancel_sync_from_another_os_thread_ends_stream_sync(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    timer = threading.Timer(0.4, thread.cancel_sync)
    with thread.stream_sync(MSGS, tag=tag, **LONG) as stream:
        timer.start()
        started = time.monotonic()
        deltas = list(stream.text_stream)
        assert time.monotonic() - started < 2
        result = stream.final()
    timer.join()
    assert "".join(deltas) == result.text
    assert_aborted(result, server, tag, thread_id)


def test_close_from_another_os_thread_aborts_a_blocked_read(
    client: AssistantClient, server: LiveServer
) -> None:
    tag = new_id()
    thread = client.threads(new_id())
    with thread.stream_sync(MSGS, tag=tag, scenario="silent", first_text="hi", delay=30) as stream:
        assert next(stream)["type"] == "text-delta"
        timer = threading.Timer(0.3, stream.close)
        timer.start()
        started = time.monotonic()
        assert list(stream) == []  # the blocked read is cut short
        assert time.monotonic() - started < 2
        timer.join()
    assert stream.final().status == CANCELLED
    assert server.wait_for(tag, "disconnect")


def test_cancel_sync_with_nothing_in_flight_still_tells_the_server(
    client: AssistantClient, server: LiveServer
) -> None:
    thread_id = new_id()
    client.threads(thread_id).cancel_sync()
    assert server.cancels_for(thread_id) == 1


def test_cancel_path_none_posts_nothing(server: LiveServer) -> None:
    client = AssistantClient(server.base_url, cancel_path=None)
    before = len(server.cancels)
    client.threads(new_id()).cancel_sync()
    assert len(server.cancels) == before
    client.close_sync()


def test_cancel_sync_interrupts_the_retry_back_off(server: LiveServer) -> None:
    client = AssistantClient(server.base_url, max_retries=1)  # the 503 says Retry-After: 30
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)

    def canceller() -> None:
        server.wait_for(tag, "busy")
        time.sleep(0.2)
        thread.cancel_sync()

    worker = threading.Thread(target=canceller)
    worker.start()
    started = time.monotonic()
    result = thread.chat_sync(MSGS, tag=tag, scenario="busy")
    worker.join()
    assert time.monotonic() - started < 2
    assert result.status == CANCELLED and result.response is None
    assert server.cancels_for(thread_id) == 1
    client.close_sync()


@pytest.mark.anyio
async def test_cancel_interrupts_the_async_retry_back_off(server: LiveServer) -> None:
    client = AssistantClient(server.base_url, max_retries=1)
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    box: dict[str, Any] = {}

    async def run() -> None:
        box["result"] = await thread.chat(MSGS, tag=tag, scenario="busy")

    started = time.monotonic()
    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        assert await anyio.to_thread.run_sync(server.wait_for, tag, "busy")
        await anyio.sleep(0.2)
        await thread.cancel()
    assert time.monotonic() - started < 2
    assert box["result"].status == CANCELLED
    await client.close()


def test_sync_cancel_while_waiting_for_the_head_takes_effect_when_it_arrives(
    client: AssistantClient, server: LiveServer
) -> None:
    # a blocked sync read can only be cut once the response exists (see the report):
    # the call then stops at once instead of streaming
    thread_id, tag = new_id(), new_id()
    thread = client.threads(thread_id)
    timer = threading.Timer(0.1, thread.cancel_sync)
    timer.start()
    result = thread.chat_sync(MSGS, tag=tag, head_delay=0.6, **LONG)
    timer.join()
    assert result.status == CANCELLED
    assert result.text == ""
    assert server.wait_for(tag, "disconnect")


@pytest.mark.anyio
async def test_a_foreign_error_in_a_read_without_scope_propagates_and_releases(server: LiveServer) -> None:
    """An exception that is not the transport's, raised by a read that has no cancel
    scope of its own (a body with a socket, no bound), propagates as it is and the
    connection is handed back (a pool of one connection serves the next call)."""

    class Broken(Exception):
        pass

    class BreaksAfterOne(httpx.AsyncByteStream):
        def __init__(self, inner: httpx.AsyncByteStream) -> None:
            self.inner = inner

        async def __aiter__(self) -> Any:
            async for chunk in self.inner:
                yield chunk
                raise Broken

        async def aclose(self) -> None:
            await self.inner.aclose()

    broken: list[int] = []

    async def on_response(response: httpx.Response) -> None:
        if not broken:
            broken.append(1)
            response.stream = BreaksAfterOne(response.stream)  # type: ignore[arg-type]

    client = AssistantClient(
        server.base_url,
        limits=httpx.Limits(max_connections=1),
        timeout=httpx.Timeout(5, pool=1),
        max_retries=0,
        event_hooks={"response": [on_response]},
    )
    thread = client.threads(new_id())
    stream = thread.stream(MSGS, **LONG)  # not in ``async with``: the read itself releases
    with pytest.raises(Broken):
        async for _ev in stream:
            pass
    assert stream._unscoped is not None  # the read had no scope of its own
    assert thread._in_flight() == []
    assert (await thread.chat(MSGS, scenario="fast", n=2)).text == "t0 t1 "
    await client.close()
