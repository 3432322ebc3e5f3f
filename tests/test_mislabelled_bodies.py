"""A body whose headers declare one format and whose bytes are another is never silently empty.

Either the decoder detects the format from the bytes (and says so in ``warnings``),
or it raises ``DecodeError``: a non-empty body never comes back as an empty,
complete answer.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, DecodeError
from assistant_ui.decoding import MessageAccumulator, StreamDecoder
from assistant_ui.messages import user

DATA_STREAM = (
    b'f:{"messageId": "m1"}\n'
    b'0:"Hello"\n'
    b'0:" world"\n'
    b'e:{"finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": false}\n'
    b'd:{"finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}}\n'
)
UI_SSE = b"".join(
    b"data: " + json.dumps(c).encode() + b"\n\n"
    for c in (
        {"type": "start", "messageId": "m1"},
        {"type": "text-delta", "id": "t", "delta": "Hello"},
        {"type": "text-delta", "id": "t", "delta": " world"},
        {"type": "finish", "finishReason": "stop"},
    )
) + b"data: [DONE]\n\n"
OPENAI_SSE = b"".join(
    b"data: " + json.dumps(c).encode() + b"\n\n"
    for c in (
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hello world"}}]},
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    )
) + b"data: [DONE]\n\n"


def run(body: bytes, pieces: list[bytes] | None = None, **kwargs: Any) -> tuple[list[Any], StreamDecoder]:
    decoder = StreamDecoder(**kwargs)
    events: list[Any] = []
    for piece in pieces if pieces is not None else [body]:
        events += decoder.feed(piece)
    events += decoder.end()
    return events, decoder


def text_of(events: list[Any]) -> str:
    acc = MessageAccumulator()
    acc.add_all(events)
    message = acc.finish()
    assert message["status"] == {"type": "complete", "reason": "stop"}
    return "".join(p["text"] for p in message["content"] if p["type"] == "text")


# -- detected from the bytes ----------------------------------------------------------------


def test_readme_example_on_data_stream_bytes_served_as_event_stream() -> None:
    # the README's own example, fed the body of a data-stream server that says text/event-stream
    decoder, acc = StreamDecoder(content_type="text/event-stream"), MessageAccumulator()
    for i in range(0, len(DATA_STREAM), 7):
        acc.add_all(decoder.feed(DATA_STREAM[i : i + 7]))
    acc.add_all(decoder.end())
    message = acc.finish()
    assert message["content"] == [{"type": "text", "text": "Hello world"}]
    assert decoder.protocol == "data-stream"
    assert any("data-stream" in w and "text/event-stream" in w for w in decoder.warnings)


@pytest.mark.parametrize("split", range(1, 60))
def test_data_stream_as_event_stream_every_split(split: int) -> None:
    events, decoder = run(DATA_STREAM, [DATA_STREAM[:split], DATA_STREAM[split:]],
                          content_type="text/event-stream; charset=utf-8")
    assert text_of(events) == "Hello world"
    assert len(decoder.warnings) == 1


def test_event_stream_behind_the_data_stream_header() -> None:
    events, decoder = run(UI_SSE, headers={"x-vercel-ai-data-stream": "v1", "content-type": "text/plain"})
    assert text_of(events) == "Hello world"
    assert decoder.protocol == "ui-message-stream"
    assert "data-stream" in decoder.warnings[0]


def test_event_stream_served_as_json() -> None:
    pieces = [OPENAI_SSE[i : i + 3] for i in range(0, len(OPENAI_SSE), 3)]
    events, decoder = run(OPENAI_SSE, pieces, content_type="application/json")
    assert text_of(events) == "Hello world"
    assert decoder.protocol == "openai"
    assert "application/json" in decoder.warnings[0]


@pytest.mark.parametrize("size", [1, 5, 100_000])
def test_event_stream_served_as_text_plain(size: int) -> None:
    pieces = [UI_SSE[i : i + size] for i in range(0, len(UI_SSE), size)]
    events, decoder = run(UI_SSE, pieces, content_type="text/plain; charset=utf-8")
    assert text_of(events) == "Hello world"
    assert decoder.protocol == "ui-message-stream"
    assert "text/plain" in decoder.warnings[0]


def test_text_plain_that_merely_starts_with_data_stays_text() -> None:
    body = b"data: the figures you asked for\nare below.\n"
    events, decoder = run(body, content_type="text/plain")
    assert decoder.protocol == "plain-text" and not decoder.warnings
    assert "".join(e["delta"] for e in events) == body.decode()


def test_agreeing_headers_give_no_warning() -> None:
    for body, ctype, protocol in (
        (UI_SSE, "text/event-stream", "ui-message-stream"),
        (OPENAI_SSE, "text/event-stream", "openai"),
        (b'{"object": "chat.completion", "choices": []}', "application/json", "openai"),
    ):
        _, decoder = run(body, content_type=ctype)
        assert decoder.protocol == protocol
        assert decoder.warnings == []


def test_event_stream_whose_first_line_is_an_unknown_field_stays_sse() -> None:
    body = b"hello\n" + UI_SSE
    events, decoder = run(body, content_type="text/event-stream")
    assert text_of(events) == "Hello world"
    assert decoder.protocol == "ui-message-stream"


def test_forced_protocol_is_not_second_guessed() -> None:
    # protocol= is the caller's word: no detection, but nothing decoded is still an error
    decoder = StreamDecoder(protocol="sse", content_type="text/event-stream")
    assert decoder.feed(DATA_STREAM) == []
    with pytest.raises(DecodeError):
        decoder.end()
    assert not decoder.warnings
    events, decoder = run(DATA_STREAM, protocol="data-stream", content_type="text/event-stream")
    assert text_of(events) == "Hello world" and not decoder.warnings


# -- nothing recognized: an error, never an empty answer ------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"Hello world, this is plain text.", {"content-type": "text/event-stream"}),
        (b"Hello\nworld\n", {"content-type": "text/event-stream"}),
        (b"hello: there\n\n", {"content-type": "text/event-stream"}),
        (b"hello\nthere\n", {"x-vercel-ai-data-stream": "v1"}),
    ],
)
def test_content_that_decodes_to_nothing_is_an_error(body: bytes, headers: dict[str, str]) -> None:
    decoder = StreamDecoder(headers=headers)
    events = decoder.feed(body)
    with pytest.raises(DecodeError) as info:
        decoder.end()
    assert events == [] and info.value.events == []
    assert "is not" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [b"", b"\n\n  \n", b": keep-alive\n\n", b"data: [DONE]\n\n", b"id: 7\n\n", b"retry: 100\n\n"],
)
def test_sse_without_content_or_with_only_keepalives_is_fine(body: bytes) -> None:
    events, _ = run(body, content_type="text/event-stream")
    assert events == []


# -- through the client ------------------------------------------------------------------------


def client_for(body: bytes, content_type: str) -> AssistantClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=body)

    return AssistantClient(base_url="http://backend.test", transport=httpx.MockTransport(handler))


def test_chat_sync_on_a_data_stream_served_as_event_stream() -> None:
    with client_for(DATA_STREAM, "text/event-stream") as client:
        result = client.threads("t").chat_sync(messages=[user("hi")])
    assert result.text == "Hello world"
    assert result.status == {"type": "complete", "reason": "stop"}
    assert any("data-stream" in w for w in result.warnings)


def test_chat_sync_on_plain_text_served_as_event_stream_raises() -> None:
    with client_for(b"Sorry, something went wrong.", "text/event-stream") as client:
        with pytest.raises(DecodeError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    partial = info.value.partial
    assert partial is None or partial.status["type"] != "complete"


@pytest.mark.anyio
async def test_chat_on_a_data_stream_served_as_event_stream() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=DATA_STREAM)

    async with AssistantClient(base_url="http://backend.test", transport=httpx.MockTransport(handler)) as client:
        result = await client.threads("t").chat(messages=[user("hi")])
    assert result.text == "Hello world"
    assert any("data-stream" in w for w in result.warnings)
