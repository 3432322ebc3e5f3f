"""UI message stream captures decode to the parts ai 7's own decoder builds.

(a) ``text-delta``s of one text id around ``source-url`` / ``source-document``
chunks continue the same text part; (b) a ``tool-approval-request`` is the
tool-call part's ``approval``, not a separate data part.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui.decoding import StreamDecoder, accumulate

HEADERS = {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"}


def sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


# a capture of the shape ai 7 streams for a web-search answer: the sources arrive
# while the text part is open
SOURCES_CAPTURE = sse(
    {"type": "start", "messageId": "msg_1"},
    {"type": "start-step"},
    {"type": "text-start", "id": "t1"},
    {"type": "text-delta", "id": "t1", "delta": "According to "},
    {"type": "source-url", "sourceId": "s1", "url": "https://a.example", "title": "A"},
    {"type": "text-delta", "id": "t1", "delta": "the docs "},
    {"type": "source-document", "sourceId": "d1", "mediaType": "application/pdf", "title": "Doc",
     "filename": "doc.pdf"},
    {"type": "text-delta", "id": "t1", "delta": "it works."},
    {"type": "text-end", "id": "t1"},
    {"type": "finish-step"},
    {"type": "finish", "finishReason": "stop"},
)
SOURCES_PARTS = [
    {"type": "text", "text": "According to the docs it works."},
    {"type": "source", "sourceType": "url", "id": "s1", "url": "https://a.example", "title": "A"},
    {"type": "source", "sourceType": "document", "id": "d1", "url": "", "title": "Doc",
     "mediaType": "application/pdf", "filename": "doc.pdf"},
]

APPROVAL_CAPTURE = sse(
    {"type": "start", "messageId": "msg_2"},
    {"type": "start-step"},
    {"type": "tool-input-start", "toolCallId": "call_1", "toolName": "delete_file"},
    {"type": "tool-input-delta", "toolCallId": "call_1", "inputTextDelta": '{"path": "/tmp/x"}'},
    {"type": "tool-input-available", "toolCallId": "call_1", "toolName": "delete_file",
     "input": {"path": "/tmp/x"}},
    {"type": "tool-approval-request", "approvalId": "ap_1", "toolCallId": "call_1"},
    {"type": "finish-step"},
    {"type": "finish", "finishReason": "tool-calls"},
)
APPROVAL_PARTS = [
    {"type": "tool-call", "toolCallId": "call_1", "toolName": "delete_file", "args": {"path": "/tmp/x"},
     "argsText": '{"path": "/tmp/x"}', "approval": {"id": "ap_1"}},
]


def decode(body: bytes, size: int) -> tuple[list[Any], StreamDecoder]:
    decoder = StreamDecoder(headers=HEADERS)
    events: list[Any] = []
    for i in range(0, len(body), size):
        events += decoder.feed(body[i : i + size])
    return events + decoder.end(), decoder


@pytest.mark.parametrize("size", [1, 7, 64, 10_000])
def test_text_continues_around_sources(size: int) -> None:
    events, decoder = decode(SOURCES_CAPTURE, size)
    message = accumulate(events)
    assert message["content"] == SOURCES_PARTS
    assert message["status"] == {"type": "complete", "reason": "stop"}
    assert decoder.warnings == []


def test_source_outside_an_open_text_part_is_not_held() -> None:
    body = sse(
        {"type": "text-start", "id": "t1"},
        {"type": "text-delta", "id": "t1", "delta": "a"},
        {"type": "text-end", "id": "t1"},
        {"type": "source-url", "sourceId": "s1", "url": "https://a.example"},
        {"type": "text-start", "id": "t2"},
        {"type": "text-delta", "id": "t2", "delta": "b"},
        {"type": "text-end", "id": "t2"},
    )
    decoder = StreamDecoder(headers=HEADERS)
    events = decoder.feed(body)
    assert [e["type"] for e in events] == ["text-delta", "source", "text-delta"]
    parts = accumulate(events + decoder.end())["content"]
    assert [p["type"] for p in parts] == ["text", "source", "text"]


def test_held_sources_keep_their_place_before_a_tool_call() -> None:
    body = sse(
        {"type": "text-start", "id": "t1"},
        {"type": "text-delta", "id": "t1", "delta": "a"},
        {"type": "source-url", "sourceId": "s1", "url": "https://a.example"},
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": {}},
        {"type": "data-x", "data": 1},
    )
    events = StreamDecoder(headers=HEADERS).decode(body)
    assert [p["type"] for p in accumulate(events)["content"]] == ["text", "source", "tool-call", "data"]


def test_sources_held_at_the_end_are_not_lost() -> None:
    body = (
        b'data: {"type": "text-start", "id": "t1"}\n\n'
        b'data: {"type": "text-delta", "id": "t1", "delta": "a"}\n\n'
        b'data: {"type": "source-url", "sourceId": "s1", "url": "https://a.example"}\n\n'
    )
    events = StreamDecoder(headers=HEADERS).decode(body)
    assert [p["type"] for p in accumulate(events)["content"]] == ["text", "source"]


@pytest.mark.parametrize("size", [1, 5, 10_000])
def test_approval_is_on_the_tool_call_part(size: int) -> None:
    events, decoder = decode(APPROVAL_CAPTURE, size)
    message = accumulate(events)
    assert message["content"] == APPROVAL_PARTS
    assert message["status"] == {"type": "requires-action", "reason": "tool-calls"}
    assert decoder.warnings == []


def test_approval_keeps_the_request_fields_and_the_answer() -> None:
    body = sse(
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": {}},
        {"type": "tool-approval-request", "approvalId": "ap", "toolCallId": "c", "isAutomatic": False,
         "reason": "writes files"},
        {"type": "tool-approval-response", "approvalId": "ap", "approved": True},
    )
    message = accumulate(StreamDecoder(headers=HEADERS).decode(body))
    assert message["content"][0]["approval"] == {
        "id": "ap", "isAutomatic": False, "reason": "writes files", "approved": True,
    }


def test_approval_for_an_unknown_call_is_dropped_with_a_warning() -> None:
    body = sse({"type": "tool-approval-request", "approvalId": "ap", "toolCallId": "nope"})
    decoder = StreamDecoder(headers=HEADERS)
    events = decoder.decode(body)
    assert events == [] and decoder.warnings


def test_chat_sync_gives_the_ai_sdk_parts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = SOURCES_CAPTURE if b"sources" in request.content else APPROVAL_CAPTURE
        return httpx.Response(200, headers=HEADERS, content=body)

    with AssistantClient("http://backend.test", transport=httpx.MockTransport(handler), api="ai-sdk") as client:
        result = client.threads("t").chat_sync(messages=[user("sources")])
        assert result.message["content"] == SOURCES_PARTS
        result = client.threads("t2").chat_sync(messages=[user("delete it")])
        assert result.message["content"] == APPROVAL_PARTS
