"""An AI SDK backend (a Next.js ``/api/chat`` route with ``toUIMessageStreamResponse()``):
``AssistantClient(api="ai-sdk")``.

    python examples/ai_sdk_backend.py                                  # a local fake
    python examples/ai_sdk_backend.py --base-url http://localhost:3000

The client posts ``{"id": <thread id>, "messages": [UIMessage...], "trigger":
"submit-message"}`` and decodes the UI message stream (``text-delta``, ``tool-input-*``,
``tool-output-available``, ``finish``... as SSE). An AI SDK route keeps no history, so the
script keeps it: every request carries the whole conversation.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import Any

from assistant_ui import AssistantClient, user
from assistant_ui.testing import DemoBackend, serve


def talk(base_url: str) -> None:
    history: list[Any] = []  # our message dicts; the client converts them to UIMessages
    with AssistantClient(base_url=base_url, api="ai-sdk") as client:
        thread = client.threads("ai-sdk-example")  # sent as the chat "id"
        for question in ("Hello!", "What's the weather in Berlin?"):
            history.append(user(question))
            result = thread.chat_sync(messages=history)
            history.append(result.message)  # the accumulated assistant message, as is
            print(f"you: {question}")
            print(f"assistant: {result.text}")
            for call in result.tool_calls:  # the backend ran this tool itself
                print(f"  [tool] {call['toolName']}({json.dumps(call['args'])}) "
                      f"-> {json.dumps(call.get('result'))}")
            print(f"  status: {result.status['type']}, wire format: {result.protocol}, "
                  f"usage: {result.usage}")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Talk to an AI SDK UI-message-stream backend.")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the backend (default: $ASSISTANT_UI_BASE_URL, else a local fake)")
    args = parser.parse_args(argv)

    if args.base_url:
        talk(args.base_url)
        return
    # The demo backend, answering in the AI SDK 5 UI message stream format.
    backend = DemoBackend(format="ui-message-stream")
    local_backend_or_exit()
    with serve(backend) as base_url:
        talk(base_url)
    for request in backend.chat_requests:
        body = request.body
        print(f"the fake received: id={body['id']} trigger={body['trigger']} "
              f"messages={[m['role'] for m in body['messages']]}")


if __name__ == "__main__":
    main()
