"""Many concurrent streams from one async client against a real server on 127.0.0.1.

    python bench/scale.py [--streams 200] [--deltas 200]

Starts an ``assistant-stream`` app under uvicorn in a subprocess (a data-stream
endpoint and an OpenAI-format endpoint with the same content), then opens
``--streams`` concurrent streams through one ``AssistantClient`` and, for
comparison, through openai-python's ``AsyncOpenAI``. Reports total throughput and
p50/p99 time to first event, and where the first event waited: the p50 of
each phase of one stream (request sent until the response head arrived; head until
the first body chunk; that chunk until the first event came out of the client), taken
by a timing wrapper around the same httpx transport for both clients. Needs
``uvicorn``, ``starlette`` and ``assistant-stream`` (the test extra) and optionally
``openai``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import os
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from assistant_ui import AssistantClient, user

SERVER = textwrap.dedent(
    """
    import asyncio, os
    from starlette.applications import Starlette
    from starlette.routing import Route
    from assistant_stream import create_run
    from assistant_stream.serialization import DataStreamResponse, OpenAIStreamResponse

    DELTAS = int(os.environ["BENCH_DELTAS"])

    async def run(controller):
        for i in range(DELTAS):
            controller.append_text(f"token{i} ")
            if i % 20 == 0:
                await asyncio.sleep(0)

    async def chat(request):
        await request.body()
        return DataStreamResponse(create_run(run))

    async def openai(request):
        await request.body()
        return OpenAIStreamResponse(create_run(run))

    app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"]),
                            Route("/v1/chat/completions", openai, methods=["POST"])])
    """
)


#: per stream (each runs in its own task): when each phase ended
PHASES: contextvars.ContextVar[dict[str, float]] = contextvars.ContextVar("phases")


class _FirstChunk(httpx.AsyncByteStream):
    def __init__(self, inner: Any, phases: dict[str, float]) -> None:
        self.inner = inner
        self.phases = phases

    async def __aiter__(self) -> Any:
        async for chunk in self.inner:
            self.phases.setdefault("chunk", time.perf_counter())
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class TimedTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, noting when the head and the first body chunk arrive."""

    def __init__(self, limits: httpx.Limits) -> None:
        self.inner = httpx.AsyncHTTPTransport(limits=limits)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        phases = PHASES.get(None)
        if phases is not None:
            async def trace(name: str, info: Any) -> None:
                if name in ("connection.connect_tcp.complete", "http11.send_request_body.complete"):
                    phases[name.split(".")[1]] = time.perf_counter()

            request.extensions = dict(request.extensions, trace=trace)
        response = await self.inner.handle_async_request(request)
        if phases is None:
            return response
        phases["head"] = time.perf_counter()
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_FirstChunk(response.stream, phases),
                              extensions=response.extensions)

    async def aclose(self) -> None:
        await self.inner.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, deltas: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, BENCH_DELTAS=str(deltas), PYTHONPATH=os.getcwd())
    code = SERVER + textwrap.dedent(
        f"""
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", backlog=2048)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def measure(
    name: str, streams: int, one: Callable[[], Awaitable[tuple[float, int]]]
) -> dict[str, Any]:
    t0 = time.perf_counter()
    phases: list[dict[str, float]] = []

    async def timed() -> tuple[float, int]:
        marks = {"start": time.perf_counter()}
        PHASES.set(marks)
        phases.append(marks)
        return await one()

    results = await asyncio.gather(*(timed() for _ in range(streams)))
    total = time.perf_counter() - t0
    ttfe = sorted(r[0] for r in results)
    events = sum(r[1] for r in results)

    def p50(a: str, b: str) -> float:
        spans = [m[b] - m[a] for m in phases if a in m and b in m]
        return statistics.median(spans) * 1000 if spans else float("nan")

    return {
        "connected": sum("connect_tcp" in m for m in phases),
        "connect_ms": p50("start", "connect_tcp"),
        "sent_ms": p50("start", "send_request_body"),
        "wait_ms": p50("send_request_body", "head"),
        "head_ms": p50("start", "head"),
        "chunk_ms": p50("head", "chunk"),
        "event_ms": p50("chunk", "event"),
        "name": name,
        "total_s": total,
        "events_per_s": events / total,
        "p50_ttfe_ms": statistics.median(ttfe) * 1000,
        "p99_ttfe_ms": ttfe[min(len(ttfe) - 1, int(len(ttfe) * 0.99))] * 1000,
    }


async def main_async(streams: int, deltas: int) -> list[dict[str, Any]]:
    port = free_port()
    proc = start_server(port, deltas)
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=streams, max_keepalive_connections=streams)
    out = []
    try:
        client = AssistantClient(base_url=base, transport=TimedTransport(limits),
                                 timeout=httpx.Timeout(60, pool=60))
        thread = client.threads("bench")

        async def ours() -> tuple[float, int]:
            start = time.perf_counter()
            first = None
            count = 0
            async with thread.stream(messages=[user("hi")]) as stream:
                async for _ in stream:
                    if first is None:
                        first = time.perf_counter() - start
                        PHASES.get({})["event"] = start + first
                    count += 1
            return first or 0.0, count

        await ours()  # warm-up
        out.append(await measure("assistant_ui AssistantClient.stream", streams, ours))
        await client.close()
        try:
            import openai
        except ImportError:
            return out
        oc = openai.AsyncOpenAI(
            base_url=base + "/v1", api_key="sk-bench", max_retries=0,
            http_client=httpx.AsyncClient(transport=TimedTransport(limits),
                                          timeout=httpx.Timeout(60, pool=60)),
        )

        async def theirs() -> tuple[float, int]:
            start = time.perf_counter()
            first = None
            count = 0
            stream = await oc.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            async for _ in stream:
                if first is None:
                    first = time.perf_counter() - start
                    PHASES.get({})["event"] = start + first
                count += 1
            return first or 0.0, count

        await theirs()
        out.append(await measure(f"openai {openai.__version__} AsyncOpenAI stream", streams, theirs))
        await oc.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--deltas", type=int, default=200)
    args = parser.parse_args()
    rows = asyncio.run(main_async(args.streams, args.deltas))
    print(f"{args.streams} concurrent streams x {args.deltas} deltas, server and client on one 2-core machine\n")
    print("| client | total s | events/s | p50 TTFE ms | p99 TTFE ms | new connections "
          "| p50 until connected ms | p50 until request sent ms | p50 request sent -> head ms "
          "| p50 until head ms | p50 head -> 1st chunk ms | p50 1st chunk -> 1st event ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['total_s']:.2f} | {r['events_per_s']:,.0f} | "
              f"{r['p50_ttfe_ms']:.0f} | {r['p99_ttfe_ms']:.0f} | {r['connected']} | "
              f"{r['connect_ms']:.0f} | {r['sent_ms']:.0f} | {r['wait_ms']:.0f} | {r['head_ms']:.0f} | "
              f"{r['chunk_ms']:.0f} | {r['event_ms']:.0f} |")


if __name__ == "__main__":
    main()
