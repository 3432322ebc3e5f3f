"""An async service: many conversation threads handled concurrently with one shared client.

    python examples/async_service.py                      # 20 threads, the built-in demo backend
    python examples/async_service.py --threads 50 --concurrency 10 --base-url http://127.0.0.1:8000

One ``AssistantClient`` serves every task (it holds the connection pool); each customer has
a thread of its own. A semaphore bounds how many chats are in flight at once.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import textwrap
import time

from assistant_ui import AssistantClient, user
from assistant_ui.testing import DemoBackend, serve_async


async def handle(client: AssistantClient, limit: asyncio.Semaphore, customer: int) -> tuple[str, str, float]:
    """One customer's request: its own thread, the shared client."""
    thread = client.threads(f"customer-{customer:02d}")
    async with limit:
        started = time.perf_counter()
        result = await thread.chat(messages=[user(f"Where is my order #{1000 + customer}?")])
        took = time.perf_counter() - started
    return thread.thread_id, result.text, took


async def serve_customers(base_url: str, threads: int, concurrency: int) -> None:
    limit = asyncio.Semaphore(concurrency)
    async with AssistantClient(base_url=base_url) as client:
        started = time.perf_counter()
        # gather keeps the order of the results; an exception in one task propagates
        answers = await asyncio.gather(*(handle(client, limit, i) for i in range(threads)))
        elapsed = time.perf_counter() - started

    for thread_id, text, _ in answers:
        print(f"{thread_id}: {textwrap.shorten(text, 72)}")
    total = sum(took for _, _, took in answers)
    print(f"{threads} threads answered in {elapsed:.2f} s "
          f"(the answers took {total:.2f} s in total: they ran concurrently)")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


async def main_async(base_url: str | None, threads: int, concurrency: int) -> None:
    if base_url:
        await serve_customers(base_url, threads, concurrency)
        return
    # no backend given: serve the demo backend in this event loop, on 127.0.0.1
    local_backend_or_exit()
    async with serve_async(DemoBackend()) as demo_url:
        await serve_customers(demo_url, threads, concurrency)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Handle many threads concurrently.")
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20, help="chats in flight at most")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the chat backend (default: $ASSISTANT_UI_BASE_URL, else a local demo)")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.base_url, args.threads, args.concurrency))


if __name__ == "__main__":
    main()
