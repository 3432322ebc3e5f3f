"""OpenAI Chat Completions, streaming and non-streaming (docs/wire-formats.md §9)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.dialects.openai import OpenAIDialect, map_finish_reason

SSE = {"content-type": "text/event-stream"}
JSON = {"content-type": "application/json"}


@pytest.fixture
def anyio_backend() -> str:
    # assistant-stream's create_run is asyncio-only
    return "asyncio"


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, index: int = 0,
          **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-x",
        "choices": [{"index": index, "delta": delta or {}, "logprobs": None,
                     "finish_reason": finish}],
        "usage": None,
    }
    value.update(extra)
    return value


def sse(*chunks: Any, done: bool = True, eol: str = "\n") -> bytes:
    parts = []
    for c in chunks:
        data = c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)
        parts.append(f"data: {data}{eol}{eol}")
    if done:
        parts.append(f"data: [DONE]{eol}{eol}")
    return "".join(parts).encode()


def decode(
    body: bytes, headers: dict[str, str] | None = SSE, pieces: list[bytes] | None = None
) -> tuple[list[dict[str, Any]], StreamDecoder]:
    decoder = StreamDecoder(headers=headers)
    events: list[Any] = []
    for piece in pieces if pieces is not None else [body]:
        events.extend(decoder.feed(piece))
    events.extend(decoder.end())
    return events, decoder


def accumulate(events: list[dict[str, Any]]) -> Any:
    acc = MessageAccumulator()
    acc.add_all(events)
    return acc.finish()


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["delta"] for e in events if e["type"] == "text-delta")


# the example of docs/wire-formats.md §9, byte for byte
SPEC_EXAMPLE = (
    b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
    b'data: {"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]},"finish_reason":null}]}\n\n'
    b'data: {"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"NYC\\"}"}}]},"finish_reason":null}]}\n\n'
    b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
    b'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}\n\n'
    b"data: [DONE]\n\n"
)

SPEC_EVENTS = [
    {"type": "metadata", "messageId": "c1", "metadata": {"model": "m"}},
    {"type": "tool-call-start", "toolCallId": "call_1", "toolName": "get_weather"},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": '{"city":'},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": '"NYC"}'},
    {"type": "tool-call", "toolCallId": "call_1", "toolName": "get_weather",
     "args": {"city": "NYC"}, "argsText": '{"city":"NYC"}'},
    {"type": "finish", "finishReason": "tool-calls",
     "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}},
]


def test_spec_example() -> None:
    events, decoder = decode(SPEC_EXAMPLE)
    assert decoder.protocol == "openai"
    assert events == SPEC_EVENTS
    assert decoder.warnings == []
    msg = accumulate(events)
    assert msg["id"] == "c1"
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "call_1",
                               "toolName": "get_weather", "args": {"city": "NYC"},
                               "argsText": '{"city":"NYC"}'}]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_spec_example_forced_and_sniffed() -> None:
    assert StreamDecoder(protocol="openai").decode(SPEC_EXAMPLE) == SPEC_EVENTS
    events, decoder = decode(SPEC_EXAMPLE, headers=None)
    assert decoder.protocol == "openai"
    assert events == SPEC_EVENTS


def test_finish_waits_for_usage_chunk() -> None:
    decoder = StreamDecoder(headers=SSE)
    first = decoder.feed(sse(chunk({"role": "assistant", "content": ""}),
                             chunk({"content": "Hi"}), chunk({}, "stop"), done=False))
    assert [e["type"] for e in first] == ["metadata", "text-delta"]
    usage = {"id": "chatcmpl-1", "choices": [], "usage": {
        "prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0}}}
    second = decoder.feed(sse(usage))
    assert second == [{"type": "finish", "finishReason": "stop",
                       "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9}}]
    assert decoder.end() == []
    msg = accumulate(first + second)
    assert msg["content"] == [{"type": "text", "text": "Hi"}]
    assert msg["status"] == {"type": "complete", "reason": "stop"}


def test_finish_without_usage_is_emitted_at_end() -> None:
    decoder = StreamDecoder(headers=SSE)
    events = decoder.feed(sse(chunk({"content": "Hi"}), chunk({}, "length")))
    assert events[-1] == {"type": "text-delta", "delta": "Hi"}
    assert decoder.end() == [{"type": "finish", "finishReason": "length"}]


def test_usage_in_the_finish_chunk_and_later_usage_ignored() -> None:
    u1 = {"prompt_tokens": 1, "completion_tokens": 2}
    events, _ = decode(sse(chunk({"content": "x"}, "stop", usage=u1),
                           {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 9}}))
    assert [e for e in events if e["type"] == "finish"] == [
        {"type": "finish", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}}
    ]


def test_groq_usage() -> None:
    events, _ = decode(sse(chunk({}, "stop", x_groq={"usage": {"prompt_tokens": 3,
                                                                 "completion_tokens": 4}})))
    assert events[-1] == {"type": "finish", "finishReason": "stop",
                          "usage": {"inputTokens": 3, "outputTokens": 4}}


def test_missing_done() -> None:
    events, decoder = decode(sse(chunk({"content": "Hel"}), chunk({"content": "lo"}), done=False))
    assert text_of(events) == "Hello"
    assert not any(e["type"] == "finish" for e in events)
    assert any("[DONE]" in w for w in decoder.warnings)
    assert accumulate(events)["status"] == {"type": "complete", "reason": "unknown"}
    # a finish_reason without [DONE] is not worth a warning
    events, decoder = decode(sse(chunk({"content": "x"}), chunk({}, "stop"), done=False))
    assert events[-1] == {"type": "finish", "finishReason": "stop"}
    assert decoder.warnings == []


def test_keep_alive_comments() -> None:
    body = (b": OPENROUTER PROCESSING\n\n" + sse(chunk({"content": "a"}), done=False)
            + b": heartbeat\n\n" + sse(chunk({"content": "b"}), chunk({}, "stop")))
    events, decoder = decode(body, headers=None)
    assert decoder.protocol == "openai"
    assert text_of(events) == "ab"


def test_raw_u2028_inside_data_is_text() -> None:
    text = "one\u2028two\u2029three\x85four"
    events, _ = decode(sse(chunk({"content": text}), chunk({}, "stop")))
    assert text_of(events) == text


def test_azure_empty_choices_first() -> None:
    azure_first = {"choices": [], "created": 0, "id": "", "model": "", "object": "",
                   "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]}
    body = sse(azure_first, chunk({"role": "assistant", "content": ""}),
               chunk({"content": "Hi"}), chunk({}, "stop"))
    events, decoder = decode(body, headers=None)
    assert decoder.protocol == "openai"
    assert events == [
        {"type": "metadata", "messageId": "chatcmpl-1", "metadata": {"model": "gpt-x"}},
        {"type": "text-delta", "delta": "Hi"},
        {"type": "finish", "finishReason": "stop"},
    ]
    assert decoder.warnings == []


def test_parallel_tool_calls_interleaved() -> None:
    def tc(index: int, args: str, **first: Any) -> dict[str, Any]:
        call: dict[str, Any] = {"index": index, "function": {"arguments": args}}
        if first:
            call["id"] = first["id"]
            call["type"] = "function"
            call["function"]["name"] = first["name"]
        return chunk({"tool_calls": [call]})

    body = sse(
        chunk({"role": "assistant", "content": None}),
        tc(0, "", id="call_a", name="search"),
        tc(1, '{"ci', id="call_b", name="weather"),
        tc(0, '{"q": "py'),
        tc(1, 'ty": "Paris"}'),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'thon"}'}},
                              {"index": 2, "id": "call_c", "type": "function",
                               "function": {"name": "noargs", "arguments": ""}}]}),
        chunk({}, "tool_calls"),
    )
    events, decoder = decode(body)
    assert decoder.warnings == []
    starts = [e["toolCallId"] for e in events if e["type"] == "tool-call-start"]
    assert starts == ["call_a", "call_b", "call_c"]
    calls = {e["toolCallId"]: e for e in events if e["type"] == "tool-call"}
    assert calls["call_a"]["args"] == {"q": "python"}
    assert calls["call_a"]["argsText"] == '{"q": "python"}'
    assert calls["call_b"]["args"] == {"city": "Paris"}
    assert calls["call_c"]["args"] == {} and calls["call_c"]["argsText"] == "{}"
    msg = accumulate(events)
    assert [p["toolName"] for p in msg["content"]] == ["search", "weather", "noargs"]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_tool_call_robustness() -> None:
    # a server that reuses index 0 for every call, repeats ids, and omits ids or indices
    body = sse(
        chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 0, "id": "b", "function": {"name": "g", "arguments": "{"}}]}),
        chunk({"tool_calls": [{"index": 0, "id": "b", "function": {"arguments": '"x":1}'}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"name": "h", "arguments": {"y": 2}}}]}),
        chunk({"tool_calls": [{"function": {"arguments": ""}}]}),
        chunk({}, "tool_calls"),
    )
    events, _ = decode(body)
    calls = [(e["toolCallId"], e["toolName"], e["args"]) for e in events if e["type"] == "tool-call"]
    assert calls == [("a", "f", {}), ("b", "g", {"x": 1}), ("call_1", "h", {"y": 2})]


def test_deprecated_function_call() -> None:
    body = sse(
        chunk({"role": "assistant", "function_call": {"name": "lookup", "arguments": ""}}),
        chunk({"function_call": {"arguments": '{"id": 4'}}),
        chunk({"function_call": {"arguments": "2}"}}),
        chunk({}, "function_call"),
    )
    events, _ = decode(body)
    call = [e for e in events if e["type"] == "tool-call"]
    assert call == [{"type": "tool-call", "toolCallId": "function_call", "toolName": "lookup",
                     "args": {"id": 42}, "argsText": '{"id": 42}'}]
    assert events[-1] == {"type": "finish", "finishReason": "tool-calls"}


def test_refusal() -> None:
    body = sse(chunk({"role": "assistant", "content": None, "refusal": ""}),
               chunk({"refusal": "I can't "}), chunk({"refusal": "help with that."}),
               chunk({}, "stop"))
    events, _ = decode(body)
    assert events[1:] == [
        {"type": "text-delta", "delta": "I can't "},
        {"type": "text-delta", "delta": "help with that."},
        {"type": "metadata", "metadata": {"refusal": "I can't help with that."}},
        {"type": "finish", "finishReason": "stop"},
    ]
    msg = accumulate(events)
    assert msg["content"] == [{"type": "text", "text": "I can't help with that."}]
    assert msg["metadata"]["custom"]["refusal"] == "I can't help with that."


def test_refusal_without_finish() -> None:
    events, _ = decode(sse(chunk({"refusal": "No."}), done=False))
    assert events[-1] == {"type": "metadata", "metadata": {"refusal": "No."}}


def test_reasoning_fields() -> None:
    body = sse(chunk({"reasoning_content": "think "}), chunk({"reasoning": "more"}),
               chunk({"content": "answer", "reasoning_content": None}), chunk({}, "stop"))
    msg = accumulate(decode(body)[0])
    assert msg["content"] == [{"type": "reasoning", "text": "think more"},
                              {"type": "text", "text": "answer"}]


def test_content_as_parts_and_annotations() -> None:
    body = sse(
        chunk({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}),
        chunk({"annotations": [{"type": "url_citation", "url_citation": {
            "url": "https://x.example", "title": "X", "start_index": 0, "end_index": 1}},
            {"type": "file_citation"}]}),
        chunk({}, "stop"),
    )
    events, _ = decode(body)
    assert events[1:3] == [
        {"type": "text-delta", "delta": "ab"},
        {"type": "source", "sourceType": "url", "id": "source-0", "url": "https://x.example",
         "title": "X"},
    ]


def test_error_chunk() -> None:
    body = sse(chunk({"content": "partial"}),
               {"error": {"message": "Rate limit", "type": "rate_limit_error", "code": None}},
               {"error": {"message": "Overloaded", "type": "server_error", "code": 529}},
               {"error": "plain"})
    events, _ = decode(body)
    assert [e for e in events if e["type"] == "error"] == [
        {"type": "error", "error": "Rate limit", "code": "rate_limit_error"},
        {"type": "error", "error": "Overloaded", "code": "529"},
        {"type": "error", "error": "plain"},
    ]
    msg = accumulate(events)
    assert msg["status"]["type"] == "incomplete" and msg["status"]["reason"] == "error"


def test_error_first_is_sniffed_as_openai() -> None:
    events, decoder = decode(sse({"error": {"message": "bad key", "code": "invalid_api_key"}}))
    assert decoder.protocol == "openai"
    assert events == [{"type": "error", "error": "bad key", "code": "invalid_api_key"}]


def test_other_choices() -> None:
    body = sse(
        chunk({"content": "zero "}),
        chunk({"content": "one "}, index=1),
        chunk({"tool_calls": [{"index": 0, "id": "t", "function": {"name": "f", "arguments": "{"}}]},
              index=2),
        chunk({"content": "zero2"}),
        chunk({"content": "one2"}, index=1),
        chunk({}, "stop", index=1),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}, index=2),
        chunk({}, "stop"),
    )
    events, _ = decode(body)
    assert text_of(events) == "zero zero2"
    side = [e for e in events if e["type"] == "data"]
    assert side == [
        {"type": "data", "name": "openai-choice", "id": "1", "data": {
            "index": 1, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "one one2"}}},
        {"type": "data", "name": "openai-choice", "id": "2", "data": {
            "index": 2, "finish_reason": None,
            "message": {"role": "assistant", "content": None, "tool_calls": [
                {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}},
    ]
    msg = accumulate(events)
    assert msg["content"][0] == {"type": "text", "text": "zero zero2"}


def test_unclaimed_payloads_are_raw() -> None:
    events, _ = decode(sse(chunk({"content": "x"}), {"something": "else"}, [1]))
    assert events[-2:] == [{"type": "raw", "event": "message", "data": {"something": "else"}},
                           {"type": "raw", "event": "message", "data": [1]}]


def test_map_finish_reason() -> None:
    assert [map_finish_reason(r) for r in ("stop", "length", "tool_calls", "function_call",
                                           "content_filter", "weird", None)] == [
        "stop", "length", "tool-calls", "tool-calls", "content-filter", "other", "unknown"]
    events, _ = decode(sse(chunk({}, "content_filter")))
    assert accumulate(events)["status"] == {"type": "incomplete", "reason": "content-filter"}


# -- non-streaming ---------------------------------------------------------------------

COMPLETION = {
    "id": "chatcmpl-9",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-x",
    "system_fingerprint": "fp",
    "choices": [{
        "index": 0,
        "message": {
            "role": "assistant",
            "content": "Checking.",
            "refusal": None,
            "annotations": [{"type": "url_citation", "url_citation": {
                "url": "https://w.example", "title": "W", "start_index": 0, "end_index": 3}}],
            "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "broken", "arguments": "{\"a\": [1,"}},
                {"id": "call_3", "type": "function", "function": {"name": "none", "arguments": ""}},
            ],
        },
        "logprobs": None,
        "finish_reason": "tool_calls",
    }],
    "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
}


def test_non_streaming_with_tool_calls() -> None:
    body = json.dumps(COMPLETION).encode()
    events, decoder = decode(body, headers=JSON)
    assert decoder.protocol == "openai"
    assert events == [
        {"type": "metadata", "messageId": "chatcmpl-9", "metadata": {"model": "gpt-x"}},
        {"type": "text-delta", "delta": "Checking."},
        {"type": "source", "sourceType": "url", "id": "source-0", "url": "https://w.example",
         "title": "W"},
        {"type": "tool-call", "toolCallId": "call_1", "toolName": "get_weather",
         "args": {"city": "Paris"}, "argsText": '{"city": "Paris"}'},
        {"type": "tool-call", "toolCallId": "call_2", "toolName": "broken", "args": {},
         "argsText": '{"a": [1,'},
        {"type": "tool-call", "toolCallId": "call_3", "toolName": "none", "args": {},
         "argsText": "{}"},
        {"type": "finish", "finishReason": "tool-calls",
         "usage": {"inputTokens": 20, "outputTokens": 8, "totalTokens": 28}},
    ]
    msg = accumulate(events)
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}
    assert [p["type"] for p in msg["content"]] == ["text", "source", "tool-call", "tool-call",
                                                  "tool-call"]


def test_non_streaming_content_array_and_refusal() -> None:
    doc = {"id": "x", "object": "chat.completion", "model": "m", "choices": [{
        "index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "reasoning_content": "hmm",
            "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "world"},
                        {"type": "refusal", "refusal": "!"}]}}]}
    events, _ = decode(json.dumps(doc).encode(), headers={"content-type": "application/json; charset=utf-8"})
    assert events == [
        {"type": "metadata", "messageId": "x", "metadata": {"model": "m"}},
        {"type": "reasoning-delta", "delta": "hmm"},
        {"type": "text-delta", "delta": "Hello world!"},
        {"type": "metadata", "metadata": {"refusal": "!"}},
        {"type": "finish", "finishReason": "stop"},
    ]
    doc = {"object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop",
           "message": {"role": "assistant", "content": None, "refusal": "No."}}]}
    events, _ = decode(json.dumps(doc).encode(), headers=JSON)
    assert events == [{"type": "text-delta", "delta": "No."},
                      {"type": "metadata", "metadata": {"refusal": "No."}},
                      {"type": "finish", "finishReason": "stop"}]


def test_non_streaming_other_choices_and_function_call() -> None:
    other = {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "B"}}
    doc = {"object": "chat.completion", "choices": [
        {"index": 0, "finish_reason": "function_call", "message": {
            "role": "assistant", "content": None,
            "function_call": {"name": "f", "arguments": "{\"x\": 1}"}}},
        other,
    ]}
    events, _ = decode(json.dumps(doc).encode(), headers=JSON)
    assert events == [
        {"type": "tool-call", "toolCallId": "function_call", "toolName": "f", "args": {"x": 1},
         "argsText": '{"x": 1}'},
        {"type": "data", "name": "openai-choice", "id": "1", "data": other},
        {"type": "finish", "finishReason": "tool-calls"},
    ]


def test_json_detection() -> None:
    # application/json with "object":"chat.completion" is OpenAI, other JSON is raw
    events, decoder = decode(b'{"object": "chat.completion", "choices": []}', headers=JSON)
    assert decoder.protocol == "openai"
    assert events == [{"type": "finish", "finishReason": "unknown"}]
    events, decoder = decode(b'{"hello": 1}', headers=JSON)
    assert decoder.protocol == "json"
    assert events == [{"type": "raw", "event": "json", "data": {"hello": 1}}]
    # a JSON body with no content type is sniffed
    events, decoder = decode(json.dumps(COMPLETION).encode(), headers=None)
    assert decoder.protocol == "openai"
    # forced: "choices" is enough
    forced = StreamDecoder(protocol="openai", headers=JSON).decode(b'{"choices": []}')
    assert forced == [{"type": "finish", "finishReason": "unknown"}]


def test_non_streaming_split_anywhere() -> None:
    body = json.dumps(COMPLETION, ensure_ascii=False).replace("Checking.", "Ch\u00e9\u2028ck").encode()
    expected, _ = decode(body, headers=JSON)
    for i in range(1, len(body)):
        assert decode(body, headers=JSON, pieces=[body[:i], body[i:]])[0] == expected


def test_dialect_directly() -> None:
    from assistant_ui._wire.sse import SSEEvent

    dialect = OpenAIDialect()
    assert dialect.name == "openai"
    out: list[Any] = []
    data = json.dumps(chunk({"content": "x"})).encode()
    dialect.feed([SSEEvent("message", data, ""), SSEEvent("message", b'"x"', "")], out)
    dialect.end(out, done=True)
    assert out[-2:] == [
        {"type": "text-delta", "delta": "x"},
        {"type": "raw", "event": "message", "data": "x"},
    ]


# -- split invariance ------------------------------------------------------------------

RICH_BODY = (
    b": OPENROUTER PROCESSING\r\n\r\n"
    + sse(
        {"choices": [], "id": "", "model": "", "prompt_filter_results": []},
        chunk({"role": "assistant", "content": "", "reasoning_content": "d\u00e9j\u00e0 \U0001f914"}),
        chunk({"content": "\u65e5\u672c\u8a9e \u2028 caf\u00e9 \u0085"}),
        chunk({"tool_calls": [{"index": 0, "id": "a", "type": "function",
                               "function": {"name": "s", "arguments": '{"q": "\u00fc'}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "b", "type": "function",
                               "function": {"name": "s", "arguments": '{"q": "\u20ac"}'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"}'}}]}),
        chunk({"refusal": "n\u00f6"}),
        chunk({"content": "side \u00e9"}, index=1),
        chunk({}, "tool_calls"),
        {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}},
        eol="\r\n",
    )
)


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(body)})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


@pytest.mark.parametrize("headers", [SSE, None])
def test_one_byte_at_a_time(headers: dict[str, str] | None) -> None:
    expected, _ = decode(RICH_BODY, headers=headers)
    # choice 1 never finished: it is reported at the end, after the finish of choice 0
    assert [e["type"] for e in expected[-2:]] == ["finish", "data"]
    pieces = [RICH_BODY[i : i + 1] for i in range(len(RICH_BODY))]
    assert decode(RICH_BODY, headers=headers, pieces=pieces)[0] == expected


def test_every_two_way_split() -> None:
    expected, _ = decode(RICH_BODY)
    for i in range(1, len(RICH_BODY)):
        assert decode(RICH_BODY, pieces=[RICH_BODY[:i], RICH_BODY[i:]])[0] == expected, i


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(RICH_BODY)), max_size=60))
def test_arbitrary_splits_give_identical_events(cuts: list[int]) -> None:
    expected, _ = decode(RICH_BODY)
    for headers in (SSE, None):
        assert decode(RICH_BODY, headers=headers, pieces=_split(RICH_BODY, cuts))[0] == expected


@settings(max_examples=100, deadline=None)
@given(
    deltas=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=30),
)
def test_arbitrary_text_and_splits(deltas: list[str], cuts: list[int]) -> None:
    body = sse(*[chunk({"content": d}) for d in deltas], chunk({}, "stop"), eol="\r\n")
    events, _ = decode(body, headers=None, pieces=_split(body, cuts))
    assert text_of(events) == "".join(deltas)
    assert events[-1] == {"type": "finish", "finishReason": "stop"}


# -- interop with assistant-stream's OpenAIStreamResponse --------------------------------


@pytest.mark.anyio
async def test_interop_assistant_stream_openai_response() -> None:
    from assistant_stream import create_run
    from assistant_stream.serialization import OpenAIStreamResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    pieces = ["Hello", ", w\u00f6rld", " \u2028 ", "\U0001f600", "!"]

    async def endpoint(request: Request) -> OpenAIStreamResponse:
        async def run(controller: Any) -> None:
            for piece in pieces:
                controller.append_text(piece)
            controller.append_reasoning("dropped by the encoder")

        return OpenAIStreamResponse(create_run(run))

    app = Starlette(routes=[Route("/v1/chat/completions", endpoint, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        response = await client.post("/v1/chat/completions", json={"messages": []})
        body = await response.aread()
    assert response.status_code == 200
    decoder = StreamDecoder(headers=response.headers)
    events: list[Any] = []
    for i in range(0, len(body), 7):
        events.extend(decoder.feed(body[i : i + 7]))
    events.extend(decoder.end())
    assert decoder.protocol == "openai"
    assert decoder.done
    assert decoder.warnings == []
    assert text_of(events) == "".join(pieces)
    assert events[0]["type"] == "metadata"
    assert events[0]["messageId"].startswith("chatcmpl-")
    assert events[0]["metadata"] == {"model": "assistant_stream"}
    assert events[-1] == {"type": "finish", "finishReason": "stop"}
    msg = accumulate(events)
    assert msg["content"] == [{"type": "text", "text": "".join(pieces)}]
    assert msg["status"] == {"type": "complete", "reason": "stop"}
