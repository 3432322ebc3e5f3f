"""A hostile value in one event becomes a warning, never an untyped exception.

Two values past the interpreter's limits: a streamed tool-argument string holding a
5,000-digit integer (``int()`` refuses more than 4,300 digits, so JSON parsers raise
``ValueError``) and a usage count of ``1e999`` (infinite: ``int()`` raises
``OverflowError``). Each is served in the OpenAI, data stream, UI message stream and
AWS formats through ``chat_sync``, ``stream_sync`` and ``chat``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui._wire.eventstream_encoding import encode_message
from assistant_ui.decoding import (
    MessageAccumulator,
    StreamDecoder,
    parse_partial,
    parse_partial_object,
)

BIG = "1" * 5000
BIG_ARGS = '{"n": ' + BIG + "}"


def sse(*chunks: Any) -> bytes:
    return b"".join(
        b"data: " + (c if isinstance(c, bytes) else json.dumps(c).encode()) + b"\n\n" for c in chunks
    ) + b"data: [DONE]\n\n"


def aws(name: str, payload: bytes) -> bytes:
    headers = {":message-type": "event", ":event-type": name, ":content-type": "application/json"}
    return encode_message(headers, payload)


SSE = {"content-type": "text/event-stream"}
UI = {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"}
TEXT = {"content-type": "text/plain"}
AWS = {"content-type": "application/vnd.amazon.eventstream"}

ARGS_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "openai": (sse(
        {"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "c1", "function": {"name": "t", "arguments": BIG_ARGS[:3000]}}]}}]},
        {"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": BIG_ARGS[3000:]}}]}, "finish_reason": "tool_calls"}]},
    ), SSE),
    "data-stream": (
        b'b:{"toolCallId":"c1","toolName":"t"}\n'
        + b'c:{"toolCallId":"c1","argsTextDelta":' + json.dumps(BIG_ARGS[:3000]).encode() + b"}\n"
        + b'c:{"toolCallId":"c1","argsTextDelta":' + json.dumps(BIG_ARGS[3000:]).encode() + b"}\n"
        + b'd:{"finishReason":"tool-calls"}\n',
        TEXT,
    ),
    "ui-message-stream": (sse(
        {"type": "tool-input-start", "toolCallId": "c1", "toolName": "t"},
        {"type": "tool-input-delta", "toolCallId": "c1", "inputTextDelta": BIG_ARGS[:3000]},
        {"type": "tool-input-delta", "toolCallId": "c1", "inputTextDelta": BIG_ARGS[3000:]},
        {"type": "finish", "finishReason": "tool-calls"},
    ), UI),
    "aws": (
        aws("contentBlockStart", b'{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"c1","name":"t"}}}')
        + aws("contentBlockDelta", json.dumps({"contentBlockIndex": 0, "delta": {"toolUse": {"input": BIG_ARGS}}}).encode())
        + aws("contentBlockStop", b'{"contentBlockIndex":0}')
        + aws("messageStop", b'{"stopReason":"tool_use"}'),
        AWS,
    ),
}

USAGE_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "openai": (sse(
        {"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]},
        b'{"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1e999,"completion_tokens":2}}',
    ), SSE),
    "data-stream-d": (b'0:"hi"\nd:{"finishReason":"stop","usage":{"inputTokens":1e999,"outputTokens":2}}\n', TEXT),
    "data-stream-e": (b'0:"hi"\ne:{"finishReason":"stop","usage":{"inputTokens":2,"outputTokens":1e999}}\n'
                      b'd:{"finishReason":"stop","usage":{"inputTokens":1e999,"outputTokens":2}}\n', TEXT),
    "ui-message-stream": (sse(
        {"type": "text-delta", "id": "t", "delta": "hi"},
        b'{"type":"finish","finishReason":"stop","messageMetadata":{"usage":{"inputTokens":1e999,"outputTokens":2}}}',
    ), UI),
    "aws": (
        aws("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"hi"}}')
        + aws("messageStop", b'{"stopReason":"end_turn"}')
        + aws("metadata", b'{"usage":{"inputTokens":1e999,"outputTokens":2}}'),
        AWS,
    ),
}


def client_for(body: bytes, headers: dict[str, str]) -> AssistantClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body)

    return AssistantClient("http://backend.test", transport=httpx.MockTransport(handler), max_retries=0)


def check_args(result: Any) -> None:
    [call] = [p for p in result.message["content"] if p["type"] == "tool-call"]
    assert call["args"] == {}
    assert call["argsText"] == BIG_ARGS  # nothing the server sent is lost
    assert any("not a JSON object" in w for w in result.warnings)


def check_usage(result: Any) -> None:
    assert result.text == "hi"
    # the hostile count is left out (never invented), the other one is kept, and it is said
    usage = result.usage
    assert usage is None or len({"inputTokens", "outputTokens"} & set(usage)) <= 1
    assert any("usage count" in w for w in result.warnings)


@pytest.mark.parametrize("fmt", list(ARGS_BODIES))
def test_huge_integer_in_tool_arguments_chat_sync_and_stream_sync(fmt: str) -> None:
    body, headers = ARGS_BODIES[fmt]
    with client_for(body, headers) as client:
        check_args(client.threads("t").chat_sync(messages=[user("go")]))
        with client.threads("t").stream_sync(messages=[user("go")]) as stream:
            events = list(stream)
            snapshot = stream.message  # a snapshot re-parses the partial arguments too
            result = stream.final()
        assert any(e["type"] == "tool-call-delta" for e in events)
        assert snapshot["role"] == "assistant"
        check_args(result)


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", list(ARGS_BODIES))
async def test_huge_integer_in_tool_arguments_chat(fmt: str) -> None:
    body, headers = ARGS_BODIES[fmt]

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body)

    async with AssistantClient("http://backend.test", transport=httpx.MockTransport(handler)) as client:
        check_args(await client.threads("t").chat(messages=[user("go")]))


@pytest.mark.parametrize("fmt", list(USAGE_BODIES))
def test_infinite_usage_chat_sync_and_stream_sync(fmt: str) -> None:
    body, headers = USAGE_BODIES[fmt]
    with client_for(body, headers) as client:
        check_usage(client.threads("t").chat_sync(messages=[user("go")]))
        with client.threads("t").stream_sync(messages=[user("go")]) as stream:
            list(stream)
            check_usage(stream.final())


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", list(USAGE_BODIES))
async def test_infinite_usage_chat(fmt: str) -> None:
    body, headers = USAGE_BODIES[fmt]

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body)

    async with AssistantClient("http://backend.test", transport=httpx.MockTransport(handler)) as client:
        check_usage(await client.threads("t").chat(messages=[user("go")]))


def test_partial_parser_refuses_a_huge_integer_with_its_own_error() -> None:
    assert parse_partial_object('{"a": 1, "n": ' + BIG) is None
    with pytest.raises(ValueError) as info:
        parse_partial("[" + BIG)
    assert type(info.value).__name__ == "IncompleteJSON"


def test_accumulator_snapshots_of_huge_arguments_never_raise() -> None:
    acc = MessageAccumulator()
    acc.add({"type": "tool-call-start", "toolCallId": "c", "toolName": "t"})
    acc.add({"type": "tool-call-delta", "toolCallId": "c", "argsTextDelta": '{"a": 1, "n": '})
    assert acc.message["content"][0]["args"] == {"a": 1}
    acc.add({"type": "tool-call-delta", "toolCallId": "c", "argsTextDelta": BIG})
    assert acc.message["content"][0]["args"] == {"a": 1}  # the last good parse is kept
    assert acc.finish()["content"][0]["argsText"].endswith(BIG)


@pytest.mark.parametrize("split", [1, 97, 4096])
def test_every_split_gives_the_same_events(split: int) -> None:
    for body, headers in [*ARGS_BODIES.values(), *USAGE_BODIES.values()]:
        whole = StreamDecoder(headers=headers).decode(body)
        decoder = StreamDecoder(headers=headers)
        events: list[Any] = []
        for i in range(0, len(body), split):
            events += decoder.feed(body[i : i + split])
        assert events + decoder.end() == whole
