"""Cancel a slow stream from another task with ``await thread.cancel()``.

    python examples/cancel_from_task.py                                 # a slow local backend
    python examples/cancel_from_task.py --base-url http://127.0.0.1:8000   # examples/fastapi_backend.py

The reader prints the story as it arrives; once a few words are in, a watchdog task
cancels the thread. ``cancel()`` aborts every call in flight on that thread (whichever task,
event loop or ``ThreadClient`` object started it) and then tells the server (``POST
/api/cancel``). The aborted stream ends normally, with what arrived so far and the status
``incomplete`` / ``cancelled``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import time

from assistant_ui import AssistantClient, user
from assistant_ui.testing import FakeBackend, serve_async, text_reply

THREAD_ID = "story-time"

STORY = (
    "Once upon a time a very slow storyteller began a story that had no end in sight, "
    "and every word took its time to arrive, so that the listener had ample opportunity "
    "to decide that enough was enough and to cancel the rest of this rambling tale. "
    "Nobody ever reached this sentence."
)


async def tell_story(base_url: str, words_before_cancel: int) -> None:
    async with AssistantClient(base_url=base_url) as client:
        enough = asyncio.Event()

        async def watchdog() -> None:
            await enough.wait()
            # Another task, and even another ThreadClient of the same thread id: cancel()
            # finds the calls in flight through the client.
            await client.threads(THREAD_ID).cancel()

        watchdog_task = asyncio.create_task(watchdog())
        started = time.perf_counter()
        async with client.threads(THREAD_ID).stream(messages=[user("Tell me a long story.")]) as stream:
            words = 0
            async for delta in stream.text_stream:
                print(delta, end="", flush=True)
                words += 1
                if words == words_before_cancel:
                    enough.set()  # the watchdog cancels from its own task
            result = await stream.final()  # returns normally, no exception
        await watchdog_task
        print()

    elapsed = time.perf_counter() - started
    print(f"cancelled after {elapsed:.2f} s and {words} text deltas")
    print(f"partial message: {result.text!r}")
    status = result.status
    print(f"status: {status['type']} / {status.get('reason')}")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


async def main_async(base_url: str | None, words_before_cancel: int) -> None:
    if base_url:
        await tell_story(base_url, words_before_cancel)
        return
    # A slow backend: the story streams word by word, 0.2 s apart (about 12 s in all).
    backend = FakeBackend(responder=lambda body: text_reply(STORY, delay=0.2))
    local_backend_or_exit()
    async with serve_async(backend) as demo_url:
        await tell_story(demo_url, words_before_cancel)
    print(f"the backend received a cancel for: {backend.cancels}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Cancel a stream from another task.")
    parser.add_argument("--words", type=int, default=5, help="text deltas to read before cancelling")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the chat backend (default: $ASSISTANT_UI_BASE_URL, else a local demo)")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.base_url, args.words))


if __name__ == "__main__":
    main()
