"""Stream an answer to the terminal as it arrives, then show the tool calls and the status.

    python examples/stream_to_terminal.py                          # the built-in demo backend
    python examples/stream_to_terminal.py "Tell me a story" --base-url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import sys

from assistant_ui import AssistantClient, user
from assistant_ui.testing import DemoBackend, serve_async


async def stream_answer(base_url: str, question: str) -> None:
    async with AssistantClient(base_url=base_url) as client:
        thread = client.threads("terminal-example")
        print(f"you: {question}")
        print("assistant: ", end="", flush=True)
        # the request is sent when the block is entered; leaving it releases the connection
        async with thread.stream(messages=[user(question)]) as stream:
            async for delta in stream.text_stream:  # text deltas only, as they arrive
                print(delta, end="", flush=True)
            # stream.message is the message so far at any time; final() drains the rest
            result = await stream.final()
        print()

    for call in result.tool_calls:
        outcome = json.dumps(call["result"]) if "result" in call else "(left to the client)"
        print(f"[tool] {call['toolName']}({json.dumps(call['args'])}) -> {outcome}")
    status = result.status
    print(f"[status] {status['type']}" + (f" ({status['reason']})" if "reason" in status else ""))


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


async def main_async(base_url: str | None, question: str) -> None:
    if base_url:
        await stream_answer(base_url, question)
        return
    # The demo backend on 127.0.0.1, streaming a word every 50 ms so that you see it arrive.
    local_backend_or_exit()
    async with serve_async(DemoBackend(delay=0.05)) as demo_url:
        await stream_answer(demo_url, question)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stream an answer to the terminal.")
    parser.add_argument("question", nargs="?", default="What's the weather in Paris?")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the chat backend (default: $ASSISTANT_UI_BASE_URL, else a local demo)")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.base_url, args.question))


if __name__ == "__main__":
    main()
