"""A blocking script: one question with ``chat_sync``, then the answer, its status and usage.

    python examples/sync_script.py                                # the built-in demo backend
    python examples/sync_script.py "Hello!" --base-url http://127.0.0.1:8000

Without ``--base-url`` (or ``$ASSISTANT_UI_BASE_URL``) the script serves the built-in demo
backend on 127.0.0.1 for the length of the run: no network, no key.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys

from assistant_ui import AssistantClient, user
from assistant_ui.testing import DemoBackend, serve


def ask(base_url: str, question: str) -> None:
    # The sync context manager closes the connection pool at the end.
    with AssistantClient(base_url=base_url, timeout=30.0) as client:
        thread = client.threads("sync-example")  # the server keeps the conversation by thread id
        # chat_sync sends the request and reads the whole streamed answer
        result = thread.chat_sync(messages=[user(question)], system="You are a helpful assistant.")

    print(f"question: {question}")
    print(f"answer: {result.text}")
    # tool calls the backend made (and, here, ran itself: the result came with the answer)
    for call in result.tool_calls:
        outcome = json.dumps(call["result"]) if "result" in call else "(no result yet)"
        print(f"tool call: {call['toolName']}({json.dumps(call['args'])}) -> {outcome}")
    print(f"status: {result.status['type']} (finish reason: {result.finish_reason})")
    if result.usage:
        print(f"usage: {result.usage.get('inputTokens', 0)} input tokens, "
              f"{result.usage.get('outputTokens', 0)} output tokens")
    else:
        print("usage: not reported by the backend")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ask one question with chat_sync.")
    parser.add_argument("question", nargs="?", default="What's the weather in Tokyo?")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the chat backend (default: $ASSISTANT_UI_BASE_URL, else a local demo)")
    args = parser.parse_args(argv)

    if args.base_url:
        ask(args.base_url, args.question)
    else:
        # the demo backend answers over real HTTP from a background thread
        local_backend_or_exit()
        with serve(DemoBackend()) as base_url:
            ask(base_url, args.question)


if __name__ == "__main__":
    main()
