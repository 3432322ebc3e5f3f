"""Per-chunk cost of a streamed call when every body chunk carries one event.

In process, no network: ``streams`` concurrent calls, each answered with ``deltas``
data-stream text deltas, one per chunk (the chunk boundary is a yield to the event
loop), read by ``AssistantClient.stream`` and, in the same run, by a bare
``httpx.AsyncClient`` that only iterates the body (the floor). Prints microseconds of
CPU per chunk for both and their ratio (3 interleaved repetitions)::

    python bench/per_chunk.py                 # 1,000 streams x 100 deltas
    python bench/per_chunk.py 200 1000        # 200 streams x 1,000 deltas
    python bench/per_chunk.py 1000 0          # what a call costs apart from its chunks

``--socket-abort`` makes the calls read as they do over a real socket (no cancel scope
per read; see docs/architecture.md); ``--no-gc`` turns the garbage collector off.
``bench/scale.py`` measures the same against a real server and openai-python.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from assistant_ui import AssistantClient, user


def body(deltas: int) -> list[bytes]:
    usage = '"usage":{"promptTokens":0,"completionTokens":0}'
    return (
        [b'f:{"messageId":"m1"}\n']
        + [f'0:"token{i} "\n'.encode() for i in range(deltas)]
        + [
            ('e:{"finishReason":"stop",' + usage + ',"isContinued":false}\n').encode(),
            ('d:{"finishReason":"stop",' + usage + "}\n").encode(),
        ]
    )


class Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await asyncio.sleep(0)
            yield chunk


class Server(httpx.AsyncBaseTransport):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        headers = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}
        return httpx.Response(200, headers=headers, stream=Chunks(self.chunks))


async def measure(streams: int, deltas: int, repeat: int) -> dict[str, list[float]]:
    chunks = body(deltas)
    http = httpx.AsyncClient(transport=Server(chunks))
    client = AssistantClient(base_url="http://bench", transport=Server(chunks))
    thread = client.threads("bench")

    async def count(items: AsyncIterator[Any]) -> int:
        n = 0
        async for _ in items:
            n += 1
        return n

    async def floor() -> int:
        async with http.stream("POST", "http://bench/api/chat", json={"messages": []}) as response:
            return await count(response.aiter_bytes())

    async def ours() -> int:
        async with thread.stream(messages=[user("hi")]) as stream:
            return await count(stream)

    runs: dict[str, Callable[[], Awaitable[int]]] = {"floor": floor, "ours": ours}
    out: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, one in runs.items():
            started = time.process_time()
            await asyncio.gather(*(one() for _ in range(streams)))
            out[name].append((time.process_time() - started) * 1e6 / (streams * len(chunks)))
    await http.aclose()
    await client.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("streams", nargs="?", type=int, default=1000)
    parser.add_argument("deltas", nargs="?", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--socket-abort", action="store_true")
    parser.add_argument("--no-gc", action="store_true")
    args = parser.parse_args()
    if args.socket_abort:
        from assistant_ui._transports.http import AsyncHTTPTransport

        AsyncHTTPTransport.abortable = lambda self, response: True  # type: ignore[method-assign]
    if args.no_gc:
        gc.disable()
    out: Any = asyncio.run(measure(args.streams, args.deltas, args.repeat))
    for name, values in out.items():
        print(f"{name:6} " + "  ".join(f"{v:6.2f}" for v in values) + "  us of CPU per chunk")
    best = {name: min(values) for name, values in out.items()}
    print(f"ours / floor: {best['ours'] / best['floor']:.2f}x, ours - floor: {best['ours'] - best['floor']:.2f} us per chunk (best runs)")


if __name__ == "__main__":
    main()
