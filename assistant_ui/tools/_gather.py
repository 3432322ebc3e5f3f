"""Running the calls of one step concurrently, at most ``limit`` at a time.

* :func:`gather_async`: one task per call, ``limit`` of them running at once; sync tools
  run in anyio worker threads bounded by a limiter of the same size (not anyio's default
  of 40 threads shared by the whole program).
* :func:`gather_sync`: a pool of at most ``limit`` daemon worker threads, started as
  needed and ended when the queue is empty. A call's ``timeout`` counts from when it
  starts running. A call past its timeout is reported at once; its thread cannot be
  stopped, so it is left to finish in the background (its result dropped) and another
  worker takes its place.

Both stop early when ``stop()`` becomes true (``thread.cancel()``): calls not started are
never started, running async tools are cancelled, and running sync tools are abandoned
(their results dropped); the executions finished so far are returned.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Union

from ._execution import Job, Prepared
from ._results import ToolError, ToolExecution, failed

__all__ = ["DEFAULT_MAX_CONCURRENCY", "check_limit", "gather_async", "gather_sync", "in_order"]

#: the most tool calls a step runs at once unless told otherwise (``max_concurrency=``)
DEFAULT_MAX_CONCURRENCY = 64
#: seconds between two looks at ``stop()`` while calls run
POLL = 0.02

Stop = Callable[[], bool]


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"max_concurrency must be an int >= 1, got {limit!r}")
    return limit


def in_order(count: int, done: Iterable[tuple[int, ToolExecution]]) -> list[ToolExecution]:
    ordered: list[ToolExecution | None] = [None] * count
    for index, execution in done:
        ordered[index] = execution
    return [e for e in ordered if e is not None]


async def gather_async(
    prepared: list[Prepared], limit: int = DEFAULT_MAX_CONCURRENCY, stop: Stop | None = None
) -> list[tuple[int, ToolExecution]]:
    """Run the jobs concurrently; ``(index, execution)`` pairs in the order they finished,
    the calls that never ran first."""
    import anyio

    finished = [(i, p) for i, p in enumerate(prepared) if isinstance(p, ToolExecution)]
    jobs = [(i, p) for i, p in enumerate(prepared) if isinstance(p, Job)]
    if not jobs:
        return finished
    slots = anyio.CapacityLimiter(limit)
    threads = anyio.CapacityLimiter(limit)
    all_done = anyio.Event()

    async def one(index: int, job: Job) -> None:
        async with slots:
            finished.append((index, await job.run_async(threads)))
        if len(finished) == len(prepared):
            all_done.set()

    async with anyio.create_task_group() as group:
        for index, job in jobs:
            group.start_soon(one, index, job)
        while stop is not None and not all_done.is_set():
            if stop():
                group.cancel_scope.cancel()
                break
            with anyio.move_on_after(POLL):
                await all_done.wait()
    return finished


class _Pool:
    """At most ``limit`` worker threads taking jobs from a queue; what they do goes to
    ``events`` as ``("start", index, t)`` and ``("done", index, execution)``."""

    def __init__(self, jobs: list[tuple[int, Job]], limit: int) -> None:
        self.waiting = collections.deque(jobs)
        self.limit = limit
        self.live = 0  # workers not abandoned
        self.lock = threading.Lock()
        self.events: queue.SimpleQueue[tuple[str, int, Any]] = queue.SimpleQueue()

    def grow(self) -> None:
        """Start workers until ``limit`` are live or each waiting job has one.

        When the system refuses a thread (``can't start new thread``), the pool makes do
        with the workers it has; with none at all, the waiting calls fail.
        """
        with self.lock:
            while self.live < self.limit and self.live < len(self.waiting):
                worker = threading.Thread(target=self._work, name="assistant-ui-tool", daemon=True)
                try:
                    worker.start()
                except RuntimeError as exc:
                    if self.live == 0:
                        self._fail_waiting(exc)
                    return
                self.live += 1

    def _fail_waiting(self, exc: BaseException) -> None:
        error = ToolError(f"cannot start a worker thread for the tool: {exc}")
        while self.waiting:
            index, job = self.waiting.popleft()
            self.events.put(("done", index, failed(job.call, error)))

    def abandon(self) -> None:
        """A worker is stuck in a timed-out call: let another take its place."""
        with self.lock:
            self.live -= 1
        self.grow()

    def clear(self) -> None:
        with self.lock:
            self.waiting.clear()

    def _work(self) -> None:
        while True:
            with self.lock:
                if not self.waiting:
                    self.live -= 1
                    return
                index, job = self.waiting.popleft()
            self.events.put(("start", index, time.perf_counter()))
            self.events.put(("done", index, job.run_blocking()))


Running = dict[int, tuple[Union[float, None], float, Job]]


def gather_sync(
    prepared: list[Prepared], limit: int = DEFAULT_MAX_CONCURRENCY, stop: Stop | None = None
) -> Iterator[tuple[int, ToolExecution]]:
    """Run the jobs on a pool of at most ``limit`` threads; yield ``(index, execution)``
    as each finishes, the calls that never ran first."""
    jobs: list[tuple[int, Job]] = []
    for index, item in enumerate(prepared):
        if isinstance(item, ToolExecution):
            yield index, item
        else:
            jobs.append((index, item))
    pool = _Pool(jobs, limit)
    pending = {index: job for index, job in jobs}
    running: Running = {}  # index -> (deadline, started, job)
    pool.grow()
    try:
        while pending:
            if stop is not None and stop():
                return
            for index, execution in _next_events(pool, pending, running, stop is not None):
                yield index, execution
    finally:
        pool.clear()  # closed early or stopped: start nothing more


def _next_events(pool: _Pool, pending: dict[int, Job], running: Running, poll: bool) -> list[tuple[int, ToolExecution]]:
    """Wait for the next thing to happen; the executions it ends."""
    bounds = [d for d, _, _ in running.values() if d is not None]
    wait = max(0.0, min(bounds) - time.perf_counter()) if bounds else None
    if poll:
        wait = POLL if wait is None else min(wait, POLL)
    try:
        kind, index, value = pool.events.get(timeout=wait)
    except queue.Empty:
        now = time.perf_counter()
        late = [(i, started, job) for i, (d, started, job) in running.items() if d is not None and d <= now]
        for i, _, _ in late:
            del running[i], pending[i]
            pool.abandon()
        return [(i, job.timed_out(started)) for i, started, job in late]
    if kind == "start":
        job = pending.get(index)
        if job is not None:
            deadline = value + job.timeout if job.timeout is not None else None
            running[index] = (deadline, value, job)
        return []
    running.pop(index, None)
    return [(index, value)] if pending.pop(index, None) is not None else []
