"""Amazon Q Developer: ``AssistantClient(api="amazon-q")`` with a token from the Q CLI.

    q user export-token > tokens.json
    python examples/amazon_q.py --base-url https://codewhisperer.us-east-1.amazonaws.com \\
        --tokens tokens.json [--profile-arn arn:aws:codewhisperer:...]
    python examples/amazon_q.py          # no --base-url: a local stand-in for the service

The client POSTs ``GenerateAssistantResponse`` (``/generateAssistantResponse``, JSON) and
decodes the AWS event stream into the same ``ChatResult`` as any backend. The service
keeps the ``conversationId`` but not the transcript: the thread remembers the id, and
every turn sends the earlier messages as ``history`` (``run_sync`` grows it for you).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import struct
import sys
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant_ui import AssistantClient, user
from assistant_ui.auth import token_file
from assistant_ui.testing import serve
from assistant_ui.tools import tool


@tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather of a city.

    Args:
        city: The city name.
    """
    return {"city": city, "temperature": 14, "conditions": "cloudy"}


def talk(base_url: str, tokens: Path, profile_arn: str | None) -> None:
    extra = {"profileArn": profile_arn} if profile_arn else {}
    with AssistantClient(base_url, api="amazon-q", headers=token_file(tokens)) as client:
        thread = client.threads("q-example")

        # the seed's first call, streamed
        question = [user("Hello, can you help me with Python?")]
        with thread.stream_sync(messages=question, **extra) as stream:
            print("q: ", end="")
            for delta in stream.text_stream:
                print(delta, end="", flush=True)
            print()
            hello = stream.final()
        print(f"  finish reason: {hello.finish_reason}, usage: {hello.usage}, "
              f"conversation: {hello.message['metadata']['custom'].get('conversationId')}")

        # a follow-up with context: the history goes along, the conversationId too
        history = [user("Write a Python function to calculate fibonacci")]
        first = thread.chat_sync(messages=history, **extra)
        history += [first.message, user("Can you make it more efficient?")]
        second = thread.chat_sync(messages=history, **extra)
        print(f"follow-up: {second.text}")

        # tools: Q asks, run_sync runs get_weather and sends the result back
        run = thread.run_sync(messages=[user("What's the weather in Paris?")], tools=[get_weather], **extra)
        for execution in run.executions:
            print(f"  ran {execution.name}({json.dumps(execution.args)}) -> {json.dumps(execution.result)}")
        print(f"run: {run.text}")


# -- a local stand-in for the service (no network, no AWS account) ---------------------------------


def _frame(event_type: str, payload: dict[str, Any]) -> bytes:
    """One AWS event-stream message: prelude, string headers, JSON payload, CRCs."""
    headers = b""
    for name, value in ((":message-type", "event"), (":event-type", event_type), (":content-type", "application/json")):
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(value)) + value.encode()
    body = json.dumps(payload).encode()
    prelude = struct.pack(">II", 16 + len(headers) + len(body), len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + body
    return message + struct.pack(">I", zlib.crc32(message))


def _answer(request: dict[str, Any], turn: int) -> list[bytes]:
    state = request["conversationState"]
    message = state["currentMessage"]["userInputMessage"]
    context = message.get("userInputMessageContext", {})
    frames = [_frame("messageMetadataEvent", {"conversationId": state.get("conversationId", "conv-demo"),
                                              "utteranceId": f"utt-{turn}"})]
    if context.get("toolResults"):
        weather = context["toolResults"][0]["content"][0]["json"]
        frames.append(_frame("assistantResponseEvent", {
            "content": f"It's {weather['temperature']} °C and {weather['conditions']} in {weather['city']}."}))
    elif context.get("tools"):
        frames += [_frame("toolUseEvent", {"toolUseId": "tu-1", "name": "get_weather", "input": piece})
                   for piece in ('{"city": ', '"Paris"}')]
        frames.append(_frame("toolUseEvent", {"toolUseId": "tu-1", "name": "get_weather", "stop": True}))
    else:
        earlier = len(state.get("history", [])) // 2
        known = state.get("conversationId", "new")
        for word in f"(turn {turn}, {earlier} earlier, conversation {known}) You said: {message['content']}".split(" "):
            frames.append(_frame("assistantResponseEvent", {"content": word + " "}))
    frames.append(_frame("metadataEvent", {"tokenUsage": {"uncachedInputTokens": 12, "outputTokens": 9,
                                                          "totalTokens": 21}}))
    return frames


class FakeAmazonQ:
    """An ASGI app answering ``POST /generateAssistantResponse`` like the service does."""

    def __init__(self) -> None:
        self.turns = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            chunk = await receive()
            body, more = body + chunk.get("body", b""), chunk.get("more_body", False)
        headers = dict(scope["headers"])
        if scope["path"] != "/generateAssistantResponse" or headers.get(b"authorization") != b"Bearer demo-token":
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"x-amzn-errortype", b"AccessDeniedException"), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"message": "access denied"}'})
            return
        self.turns += 1
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/vnd.amazon.eventstream")]})
        for frame in _answer(json.loads(body), self.turns):
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


@contextlib.contextmanager
def local_service() -> Iterator[tuple[str, Path]]:
    with tempfile.TemporaryDirectory() as tmp, serve(FakeAmazonQ()) as base_url:
        tokens = Path(tmp) / "tokens.json"
        tokens.write_text(json.dumps({"accessToken": "demo-token", "refreshToken": "r"}), encoding="utf-8")
        yield base_url, tokens


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local stand-in, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Talk to Amazon Q Developer.")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="e.g. https://codewhisperer.us-east-1.amazonaws.com (default: a local stand-in)")
    parser.add_argument("--tokens", type=Path, default=Path("tokens.json"),
                        help="the output of `q user export-token`")
    parser.add_argument("--profile-arn", default=None, help="sent as profileArn (IAM Identity Center profiles)")
    args = parser.parse_args(argv)
    if args.base_url:
        talk(args.base_url, args.tokens, args.profile_arn)
    else:
        local_backend_or_exit()
        with local_service() as (base_url, tokens):
            talk(base_url, tokens, args.profile_arn)


if __name__ == "__main__":
    main()
