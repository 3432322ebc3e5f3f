"""No leaks: many streams with a seeded mix of faults, completions, breaks and cancels.

One client runs them all against the raw fault server and uvicorn +
assistant-stream (tests/faultservers.py); every stream's outcome is checked
against what its fault must give. Afterwards the open file descriptors of the
process (client and server sockets alike: the servers run in this process) and
the connections of the pool are back at their starting level, up to a small
constant slack for keep-alive connections idle in the pool; the level is also
sampled every 100 streams, so growth proportional to the number of streams would
show. The pool allows 3 connections and waits at most 1 s for one: a connection
that stayed in use would, after three such leaks, make every later stream fail.
"""

from __future__ import annotations

import gc
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from faultservers import RawServer, UvicornServer, active_connections, open_fds, pool_of, wait_until

from assistant_ui import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantClient,
    AssistantUIError,
    DecodeError,
    user,
)
from assistant_ui._call.retry import RetryPolicy

SEED = 20240611
N_SYNC = 1000
N_ASYNC = 300
MAX_CONNECTIONS = 3
#: fds that may stay open: each keep-alive connection is two sockets (client and
#: server side), plus a little room for the event loops' own descriptors
SLACK = 2 * MAX_CONNECTIONS + 4
MSGS = [user("Hi")]

#: kind -> (weight, what it must end with)
KINDS: dict[str, tuple[int, str]] = {
    "ok": (14, "complete"),
    "ok-sse": (5, "complete"),
    "ok-length": (2, "complete"),
    "gzip": (3, "complete"),
    "gzip-ds": (2, "complete"),
    "http10": (2, "complete"),
    "close-delimited": (2, "complete"),
    "sse-no-done": (2, "complete"),
    "uv-ok": (10, "complete"),
    "status-then-ok": (5, "complete"),
    "uv-status-then-ok": (4, "complete"),
    "uv-status-gives-up": (2, "APIStatusError"),
    "break": (6, "break"),
    "uv-break": (4, "break"),
    "cancel-other-thread": (4, "cancelled"),
    "cancel-same-thread": (3, "cancelled"),
    "raise-in-consumer": (3, "raised"),
    "abandon": (2, "abandoned"),
    "rst-mid-body": (4, "APIConnectionError"),
    "unterminated-chunked": (3, "APIConnectionError"),
    "short-length": (2, "APIConnectionError"),
    "uv-cut": (3, "APIConnectionError"),
    "rst-before-head": (2, "APIConnectionError"),
    "close-before-head": (2, "APIConnectionError"),
    "html": (2, "DecodeError"),
    "redirect": (1, "APIStatusError"),
    "blackhole": (1, "APITimeoutError"),
    "trickle": (1, "APITimeoutError"),
    "heartbeats": (1, "APITimeoutError"),
}


class Boom(Exception):
    pass


def plan(seed: int, n: int) -> list[tuple[str, dict[str, Any]]]:
    """``n`` (kind, request body) pairs drawn from :data:`KINDS` (seeded)."""
    rng = random.Random(seed)
    names = list(KINDS)
    weights = [KINDS[k][0] for k in names]
    steps = []
    for kind in rng.choices(names, weights, k=n):
        body: dict[str, Any] = {"tag": uuid.uuid4().hex, "n": rng.randint(1, 5)}
        if kind in ("ok", "ok-sse", "ok-length", "gzip-ds", "http10", "close-delimited", "sse-no-done", "html"):
            body["fault"] = kind
        elif kind == "gzip":
            body.update(fault="gzip", n=2, total=4, pause=0.001)
        elif kind in ("uv-ok", "uv-break"):
            body.update(fault="ok", n=rng.randint(3, 20))
        elif kind == "status-then-ok":
            body.update(fault="status", status=rng.choice([500, 502, 503, 429]), fail=rng.randint(1, 2))
            if rng.random() < 0.5:
                body["retry_after_ms"] = rng.randint(0, 5)
        elif kind == "uv-status-then-ok":
            body.update(fault="status", status=rng.choice([500, 502, 503, 429]), fail=rng.randint(1, 2), retry_after=0)
        elif kind == "uv-status-gives-up":
            body.update(fault="status", status=rng.choice([500, 503, 429]), fail=3)
        elif kind in ("break", "cancel-other-thread", "cancel-same-thread", "raise-in-consumer", "abandon"):
            body.update(fault="slow", n=30, interval=0.003)
        elif kind == "rst-mid-body":
            body.update(fault=kind, pause=0.002, framing=rng.choice(["chunked", "length", "http10"]))
        elif kind in ("unterminated-chunked", "short-length"):
            body.update(fault=kind, pause=0.002)
        elif kind == "uv-cut":
            body.update(fault="cut")
        elif kind in ("rst-before-head", "close-before-head"):
            body["fault"] = kind
        elif kind == "redirect":
            body.update(fault="redirect", status=rng.choice([307, 308]))
        elif kind == "blackhole":
            body.update(fault="blackhole", deadline=0.1)
        elif kind == "trickle":
            body.update(fault="trickle", interval=0.02, idle_timeout=0.05)
        elif kind == "heartbeats":
            body.update(fault="heartbeats", interval=0.02, idle_timeout=0.1)
        steps.append((kind, body))
    return steps


@pytest.fixture(scope="module")
def raw() -> Iterator[RawServer]:
    with RawServer() as server:
        yield server


@pytest.fixture(scope="module")
def uv() -> Iterator[UvicornServer]:
    with UvicornServer() as server:
        yield server


def make_client(raw: RawServer) -> AssistantClient:
    client = AssistantClient(
        raw.base_url,
        limits=httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS),
        timeout=httpx.Timeout(2.0, pool=1.0),
        max_retries=2,
    )
    client.retry = RetryPolicy(2, base_delay=0.001, max_delay=0.005)
    return client


def route(client: AssistantClient, kind: str, uv: UvicornServer) -> None:
    """One client for both servers: the uvicorn kinds post to its absolute URL."""
    client.chat_path = f"{uv.base_url}/api/chat" if kind.startswith("uv-") else "/api/chat"


def label(exc: BaseException) -> str:
    for cls in (APITimeoutError, APIConnectionError, APIStatusError, DecodeError):
        if isinstance(exc, cls):
            return cls.__name__
    return f"unexpected {type(exc).__name__}: {exc}"


# -- sync --------------------------------------------------------------------------------------------


def run_one_sync(client: AssistantClient, kind: str, body: dict[str, Any], keep: list[Any]) -> str:
    """Run one stream; ``keep`` gets the stream and the error, so that garbage
    collection cannot hand back a connection the stream failed to release."""
    thread = client.threads("leaks")
    kwargs = body  # deadline= / idle_timeout= are call options, the rest goes in the body
    try:
        if kind in ("break", "uv-break", "raise-in-consumer"):
            with thread.stream_sync(messages=MSGS, **kwargs) as stream:
                keep.append(stream)
                for event in stream:
                    if event["type"] == "text-delta" and event["delta"] == "t1 ":
                        if kind == "raise-in-consumer":
                            raise Boom()
                        return "break"
            return "no break"
        if kind.startswith("cancel"):
            cancels: list[threading.Thread] = []
            with thread.stream_sync(messages=MSGS, **kwargs) as stream:
                keep.append(stream)
                for event in stream:
                    if event["type"] == "text-delta" and event["delta"] == "t0 ":
                        if kind == "cancel-same-thread":
                            thread.cancel_sync()
                        else:
                            canceller = threading.Thread(target=thread.cancel_sync)
                            canceller.start()
                            cancels.append(canceller)
                result = stream.final()
            for canceller in cancels:
                canceller.join(5)
            return "cancelled" if result.status.get("reason") == "cancelled" else str(result.status)
        if kind == "abandon":
            stream = thread.stream_sync(messages=MSGS, **kwargs)
            stream.__enter__()
            next(iter(stream))
            del stream  # never closed: garbage collection must release the connection
            return "abandoned"
        with thread.stream_sync(messages=MSGS, **kwargs) as stream:
            keep.append(stream)
            result = stream.final()
        return "complete" if result.status["type"] == "complete" else str(result.status)
    except Boom:
        return "raised"
    except AssistantUIError as exc:
        keep.append(exc)
        return label(exc)


def settle_sync(client: AssistantClient, raw: RawServer, limit: int) -> tuple[int, int]:
    """Wait (bounded) until the idle level is reached; returns (fds, pool connections)."""
    http = client.sync_http

    def settled() -> bool:
        gc.collect()
        return active_connections(http) == 0 and open_fds() <= limit

    wait_until(settled, 5)
    return open_fds(), len(pool_of(http).connections)


@pytest.mark.timeout(150)
def test_no_leaks_sync(raw: RawServer, uv: UvicornServer) -> None:
    steps = plan(SEED, N_SYNC)
    client = make_client(raw)
    try:
        http = client.sync_http
        for kind in ("ok", "uv-ok"):  # warm up: the watchdog thread, a connection per server
            route(client, kind, uv)
            client.threads("warm").chat_sync(messages=MSGS, fault="ok")
        gc.collect()
        wait_until(lambda: raw.live_connections() <= 1)
        base_fds = open_fds()
        base_threads = {t.name for t in threading.enumerate()} | {"assistant-ui-watchdog"}
        outcomes: Counter[str] = Counter()
        keep: list[Any] = []  # every stream and error stays alive until the end
        mismatches: list[tuple[int, str, str]] = []
        samples: list[int] = []
        started = time.monotonic()
        for i, (kind, body) in enumerate(steps):
            route(client, kind, uv)
            got = run_one_sync(client, kind, body, keep)
            outcomes[got] += 1
            if got != KINDS[kind][1]:
                mismatches.append((i, kind, got))
                if len(mismatches) > 10:
                    break
            if i % 100 == 99:
                samples.append(open_fds())
        elapsed = time.monotonic() - started
        fds, pooled = settle_sync(client, raw, base_fds + SLACK)
        print(f"\nsync: {sum(outcomes.values())} streams in {elapsed:.1f} s; outcomes {dict(outcomes)}; "
              f"fds {base_fds} -> {fds} (samples {samples}); pool {pooled}; server live {raw.live_connections()}")
        assert not mismatches, mismatches[:20]
        assert active_connections(http) == 0
        assert not pool_of(http)._requests
        assert pooled <= MAX_CONNECTIONS
        assert raw.live_connections() <= MAX_CONNECTIONS
        assert fds - base_fds <= SLACK, (base_fds, fds, samples)
        # no growth along the way either (sampled while streams came and went)
        assert max(samples) - base_fds <= SLACK + 4, (base_fds, samples)
        # no thread left behind (the cancelling threads ended; the watchdog may run on)
        assert wait_until(lambda: {t.name for t in threading.enumerate()} <= base_threads, 5), threading.enumerate()
        # every fault was injected at least a few times
        assert all(outcomes[want] > 0 for _, want in KINDS.values())
    finally:
        client.close_sync()
    # closing the client closes its keep-alive connections: nothing of it stays open
    assert wait_until(lambda: raw.live_connections() == 0)
    assert wait_until(lambda: open_fds() <= base_fds, 5), (base_fds, open_fds())


# -- async (asyncio) ---------------------------------------------------------------------------------


async def run_one_async(client: AssistantClient, kind: str, body: dict[str, Any], keep: list[Any]) -> str:
    thread = client.threads("leaks")
    kwargs = body  # deadline= / idle_timeout= are call options, the rest goes in the body
    try:
        if kind in ("break", "uv-break", "raise-in-consumer"):
            async with thread.stream(messages=MSGS, **kwargs) as stream:
                keep.append(stream)
                async for event in stream:
                    if event["type"] == "text-delta" and event["delta"] == "t1 ":
                        if kind == "raise-in-consumer":
                            raise Boom()
                        return "break"
            return "no break"
        if kind == "cancel-other-thread":
            # from another task: thread.cancel() while this one reads; and an outer
            # cancel scope that expires mid-read (cancellation from outside)
            async with anyio.create_task_group() as tg:
                async with thread.stream(messages=MSGS, **kwargs) as stream:
                    keep.append(stream)
                    async for event in stream:
                        if event["type"] == "text-delta" and event["delta"] == "t0 ":
                            tg.start_soon(thread.cancel)
                    result = await stream.final()
            with anyio.move_on_after(0.01):
                await thread.chat(messages=MSGS, fault="slow", n=30, interval=0.003)
            return "cancelled" if result.status.get("reason") == "cancelled" else str(result.status)
        if kind == "cancel-same-thread":
            async with thread.stream(messages=MSGS, **kwargs) as stream:
                keep.append(stream)
                async for event in stream:
                    if event["type"] == "text-delta" and event["delta"] == "t0 ":
                        await thread.cancel()
                result = await stream.final()
            return "cancelled" if result.status.get("reason") == "cancelled" else str(result.status)
        if kind == "abandon":
            astream = thread.stream(messages=MSGS, **kwargs)
            await astream.__aenter__()
            await astream.__anext__()
            del astream  # never closed: garbage collection must release the connection
            return "abandoned"
        async with thread.stream(messages=MSGS, **kwargs) as stream:
            keep.append(stream)
            result = await stream.final()
        return "complete" if result.status["type"] == "complete" else str(result.status)
    except Boom:
        return "raised"
    except AssistantUIError as exc:
        keep.append(exc)
        return label(exc)


@pytest.mark.timeout(90)
def test_no_leaks_async(raw: RawServer, uv: UvicornServer) -> None:
    steps = plan(SEED + 1, N_ASYNC)
    client = make_client(raw)
    base: dict[str, int] = {}
    report: dict[str, Any] = {}

    async def main() -> None:
        http = client.async_http
        for kind in ("ok", "uv-ok"):
            route(client, kind, uv)
            await client.threads("warm").chat(messages=MSGS, fault="ok")
        gc.collect()
        await anyio.to_thread.run_sync(lambda: wait_until(lambda: raw.live_connections() <= 1))
        base["fds"] = open_fds()
        outcomes: Counter[str] = Counter()
        keep: list[Any] = []  # every stream and error stays alive until the end
        mismatches: list[tuple[int, str, str]] = []
        samples: list[int] = []
        started = time.monotonic()
        for i, (kind, body) in enumerate(steps):
            route(client, kind, uv)
            got = await run_one_async(client, kind, body, keep)
            outcomes[got] += 1
            if got != KINDS[kind][1]:
                mismatches.append((i, kind, got))
                if len(mismatches) > 10:
                    break
            if i % 100 == 99:
                samples.append(open_fds())
        elapsed = time.monotonic() - started
        for _ in range(100):  # let the detached closes of abandoned streams run
            gc.collect()
            await anyio.sleep(0.02)
            if active_connections(http) == 0 and open_fds() <= base["fds"] + SLACK:
                break
        report.update(
            elapsed=elapsed, outcomes=dict(outcomes), mismatches=mismatches, samples=samples,
            fds=open_fds(), active=active_connections(http), queued=len(pool_of(http)._requests),
            pooled=len(pool_of(http).connections),
        )

    anyio.run(main, backend="asyncio")
    print(f"\nasync: {sum(report['outcomes'].values())} streams in {report['elapsed']:.1f} s; outcomes {report['outcomes']}; "
          f"fds {base['fds']} -> {report['fds']} (samples {report['samples']}); pool {report['pooled']}")
    assert not report["mismatches"], report["mismatches"][:20]
    assert report["active"] == 0 and report["queued"] == 0
    assert report["pooled"] <= MAX_CONNECTIONS
    assert report["fds"] - base["fds"] <= SLACK, report
    assert max(report["samples"]) - base["fds"] <= SLACK + 4, report
    # the loop's client was closed with its loop: its connections are gone too
    assert wait_until(lambda: raw.live_connections() == 0)
    assert wait_until(lambda: open_fds() <= base["fds"], 5), (base, open_fds())
    client.close_sync()
