"""Bounded concurrency of tool calls (issue #17.8): ``max_concurrency`` bounds the calls a
step runs at once and the worker threads ``run_sync`` starts; ``run`` is not held to
anyio's default of 40 threads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import anyio
import pytest
from test_run_loop import DataStreamBackend, scripted, served

from assistant_ui import AssistantClient, user
from assistant_ui.tools import Toolbox, tool


class Meter:
    """Counts the calls running at once, and the tool worker threads alive."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.peak_threads = 0

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            workers = sum(t.name == "assistant-ui-tool" for t in threading.enumerate())
            self.peak_threads = max(self.peak_threads, workers)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def tools_for(meter: Meter) -> list[Any]:
    @tool
    def work(i: int) -> int:
        meter.enter()
        time.sleep(0.01)
        meter.leave()
        return i

    @tool
    async def awork(i: int) -> int:
        meter.enter()
        await anyio.sleep(0.01)
        meter.leave()
        return i

    return [work, awork]


def many_calls(n: int) -> list[tuple[str, str, Any]]:
    return [(f"c{i}", "work" if i % 2 else "awork", {"i": i}) for i in range(n)]


def test_run_sync_is_bounded() -> None:
    meter = Meter()
    backend = DataStreamBackend(scripted(many_calls(60), "done"))
    before = threading.active_count()
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("go")], tools=tools_for(meter), max_concurrency=4)
    assert result.stop_reason == "done"
    assert [c["result"] for c in backend.results[1]] == list(range(60))
    assert meter.peak == 4  # reached, never passed
    assert meter.peak_threads <= 4
    # the workers end when the queue is empty
    deadline = time.monotonic() + 5
    while any(t.name == "assistant-ui-tool" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before + 1


@pytest.mark.anyio
async def test_run_is_bounded(anyio_backend: str) -> None:
    meter = Meter()
    backend = DataStreamBackend(scripted(many_calls(40), "done"))
    with served(backend) as url:
        async with AssistantClient(url, max_retries=0) as client:
            result = await client.threads("t").run([user("go")], tools=tools_for(meter), max_concurrency=3)
    assert result.stop_reason == "done"
    assert [c["result"] for c in backend.results[1]] == list(range(40))
    assert meter.peak == 3


@pytest.mark.anyio
async def test_run_is_not_held_to_anyios_40_threads(anyio_backend: str) -> None:
    # 60 sync calls that can only finish when all 60 run at once
    barrier = threading.Barrier(60, timeout=10)

    @tool
    def meet(i: int) -> int:
        barrier.wait()
        return i

    box = Toolbox([meet], max_concurrency=60)
    calls = [{"toolCallId": f"c{i}", "toolName": "meet", "args": {"i": i}} for i in range(60)]
    done = await box.execute_all(calls)
    assert [e.result for e in done] == list(range(60))


def test_a_timed_out_call_does_not_block_the_pool() -> None:
    release = threading.Event()

    @tool(timeout=0.2)
    def hang() -> str:
        release.wait(10)
        return "late"

    @tool
    def fine() -> str:
        return "ok"

    box = Toolbox([hang, fine], max_concurrency=1)
    calls = [{"toolCallId": f"c{i}", "toolName": name, "args": {}} for i, name in enumerate(["hang", "fine", "fine"])]
    try:
        done = box.execute_all_sync(calls)
    finally:
        release.set()
    assert [(e.is_error, e.result) for e in done] == [
        (True, "tool 'hang' timed out after 0.2 s"),
        (False, "ok"),
        (False, "ok"),
    ]


def test_max_concurrency_is_checked() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_concurrency"):
            Toolbox([], max_concurrency=bad)  # type: ignore[arg-type]
    assert Toolbox([]).max_concurrency == 64
    assert Toolbox(Toolbox([], max_concurrency=5)).max_concurrency == 5


LOW_MEMORY = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from assistant_ui.tools import Toolbox, tool

@tool
def nap(i: int) -> int:
    time.sleep(0.05)
    return i

calls = [{"toolCallId": f"c{i}", "toolName": "nap", "args": {"i": i}} for i in range(1000)]
# with the default bound: 1,000 calls start 64 threads, not 1,000
done = Toolbox([nap]).execute_all_sync(calls)
assert [e.result for e in done] == list(range(1000)), [e.result for e in done if e.is_error][:3]
# asked for more threads than the system gives: the pool makes do with those it got
done = Toolbox([nap], max_concurrency=1000).execute_all_sync(calls)
assert [e.result for e in done] == list(range(1000)), [e.result for e in done if e.is_error][:3]
print("ok")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as on Linux")
def test_under_a_2gib_address_space_limit() -> None:
    done = subprocess.run([sys.executable, "-c", LOW_MEMORY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
