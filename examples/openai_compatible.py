"""An OpenAI-compatible backend: ``AssistantClient(api="openai", model=...)``.

    python examples/openai_compatible.py                                 # a local fake
    python examples/openai_compatible.py --base-url https://api.openai.com --model gpt-4o-mini
    (with OPENAI_API_KEY set; any /v1/chat/completions server works: vLLM, Ollama, LiteLLM...)

The client posts ``{"model", "messages", "stream": true}`` to ``/v1/chat/completions`` and
decodes the ``chat.completion.chunk`` stream into the same ``ChatResult`` as any backend.
OpenAI keeps no conversation: a thread id is not sent, and tool results go back as
``tool`` messages in the grown history (``run_sync`` does that for you).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import Any, Literal

from assistant_ui import AssistantClient, user
from assistant_ui.auth import bearer
from assistant_ui.testing import DemoBackend, serve
from assistant_ui.tools import tool


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather of a city.

    Args:
        city: The city name.
        unit: Celsius ("c") or Fahrenheit ("f").
    """
    return {"city": city, "temperature": 14, "unit": unit, "conditions": "cloudy"}


def talk(base_url: str, model: str) -> None:
    api_key = os.environ.get("OPENAI_API_KEY", "sk-demo")  # the local fake accepts anything
    with AssistantClient(base_url=base_url, api="openai", model=model, headers=bearer(api_key)) as client:
        thread = client.threads("openai-example")

        # a plain chat: the system prompt becomes the first message
        result = thread.chat_sync(messages=[user("Hello!")], system="Answer in one sentence.")
        print(f"chat: {result.text}")
        print(f"  status: {result.status['type']}, finish reason: {result.finish_reason}, "
              f"usage: {result.usage}, wire format: {result.protocol}")

        # a tool call: the model asks, run_sync calls get_weather and sends a tool message
        run = thread.run_sync(messages=[user("What's the weather in London?")], tools=[get_weather])
        for execution in run.executions:
            print(f"  ran {execution.name}({json.dumps(execution.args)}) -> {json.dumps(execution.result)}")
        print(f"run: {run.text}")
        # the history to send with the next question: user, assistant (tool call), tool, assistant
        print(f"  history: {[m['role'] for m in run.history or []]}")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Talk to an OpenAI-compatible backend.")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the server (default: $ASSISTANT_UI_BASE_URL, else a local fake)")
    args = parser.parse_args(argv)

    if args.base_url:
        talk(args.base_url, args.model)
        return
    # The demo backend answers at /v1/chat/completions in OpenAI's streaming format.
    backend = DemoBackend(format="openai")
    local_backend_or_exit()
    with serve(backend) as base_url:
        talk(base_url, args.model)
    first = backend.chat_requests[0]
    print(f"the fake received: {first.method} {first.path} "
          f"model={first.body['model']} stream={first.body['stream']} "
          f"roles={[m['role'] for m in first.body['messages']]} "
          f"authorization={'yes' if 'authorization' in first.headers else 'no'}")


if __name__ == "__main__":
    main()
