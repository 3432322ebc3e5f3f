"""``thread.cancel()`` / ``cancel_sync()`` stops a tool loop (issue #17.4): the run stops at
once, running tools are cancelled (async) or their results dropped (sync), nothing more
is sent, and the run returns what it has with ``stop_reason == "cancelled"``."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from test_run_loop import DataStreamBackend, scripted, served

from assistant_ui import AssistantClient, user
from assistant_ui.tools import tool

#: the backend asks for tools again and again: only a cancel ends the run early
ALWAYS = scripted([("c1", "quick", {}), ("c2", "blocked", {})])


class Gate:
    """A sync tool that blocks until released (or 10 s), and says when it started."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()

    def tool(self) -> Any:
        @tool
        def blocked() -> str:
            self.started.set()
            self.release.wait(10)
            self.finished.set()
            return "late"

        return blocked


@tool
def quick() -> str:
    return "fast"


def check(backend: DataStreamBackend, result: Any) -> None:
    assert result.stop_reason == "cancelled"
    assert len(backend.bodies) == 1  # nothing was sent after the cancel
    assert len(result.steps) == 1
    # the call that finished before the cancel is kept; the running one is not
    assert [e.name for e in result.executions] in ([], ["quick"])
    assert all(e.name != "blocked" for e in result.executions)


def test_cancel_sync_stops_run_sync() -> None:
    gate = Gate()
    backend = DataStreamBackend(ALWAYS)
    with served(backend) as url, AssistantClient(url, max_retries=0, cancel_path=None) as client:

        def cancel_when_started() -> None:
            if gate.started.wait(10):
                client.threads("t").cancel_sync()  # another ThreadClient object, same thread id

        canceller = threading.Thread(target=cancel_when_started)
        canceller.start()
        try:
            result = client.threads("t").run_sync([user("go")], tools=[quick, gate.tool()])
            # the run came back while the tool was still blocked
            assert not gate.finished.is_set()
        finally:
            gate.release.set()
            canceller.join()
    check(backend, result)


@pytest.mark.anyio
async def test_cancel_stops_run_with_a_sync_tool(anyio_backend: str) -> None:
    gate = Gate()
    backend = DataStreamBackend(ALWAYS)
    with served(backend) as url:
        async with AssistantClient(url, max_retries=0, cancel_path=None) as client:
            result: Any = None

            async def run() -> None:
                nonlocal result
                result = await client.threads("t").run([user("go")], tools=[quick, gate.tool()])

            try:
                async with anyio.create_task_group() as group:
                    group.start_soon(run)
                    while not gate.started.is_set():
                        await anyio.sleep(0.01)
                    await client.threads("t").cancel()
                assert not gate.finished.is_set()
            finally:
                gate.release.set()
    check(backend, result)


@pytest.mark.anyio
async def test_cancel_cancels_a_running_async_tool(anyio_backend: str) -> None:
    seen: dict[str, bool] = {"started": False, "cancelled": False}

    @tool
    async def blocked() -> str:
        seen["started"] = True
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            seen["cancelled"] = True
            raise
        return "late"

    backend = DataStreamBackend(ALWAYS)
    with served(backend) as url:
        async with AssistantClient(url, max_retries=0, cancel_path=None) as client:
            result: Any = None

            async def run() -> None:
                nonlocal result
                result = await client.threads("t").run([user("go")], tools=[quick, blocked])

            with anyio.fail_after(8):
                async with anyio.create_task_group() as group:
                    group.start_soon(run)
                    while not seen["started"]:
                        await anyio.sleep(0.01)
                    await client.threads("t").cancel()
    assert seen["cancelled"]
    check(backend, result)


def test_cancel_of_another_thread_or_before_the_run_does_not_stop_it() -> None:
    backend = DataStreamBackend(scripted([("c1", "quick", {})], "done"))
    with served(backend) as url, AssistantClient(url, max_retries=0, cancel_path=None) as client:
        client.threads("t").cancel_sync()  # before the run: not this run's cancel

        @tool
        def quick() -> str:
            client.threads("other").cancel_sync()  # another thread id
            return "fast"

        result = client.threads("t").run_sync([user("go")], tools=[quick])
    assert result.stop_reason == "done" and result.text == "done"
    assert len(backend.bodies) == 2
