"""AI SDK UI message stream (docs/wire-formats.md §7) and SSE sniffing (§1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.dialects.ui_message_stream import DENIED_RESULT, UIMessageStreamDialect

UI_HEADERS = {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"}
SSE = {"content-type": "text/event-stream"}


def sse(*chunks: Any, done: bool = True, eol: str = "\n") -> bytes:
    """An SSE body: one ``data:`` event per chunk (dicts are JSON-encoded)."""
    parts = []
    for chunk in chunks:
        data = (chunk if isinstance(chunk, str)
                else json.dumps(chunk, ensure_ascii=False, separators=(",", ":")))
        parts.append(f"data: {data}{eol}{eol}")
    if done:
        parts.append(f"data: [DONE]{eol}{eol}")
    return "".join(parts).encode()


def decode(
    body: bytes, headers: dict[str, str] | None = UI_HEADERS, pieces: list[bytes] | None = None
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


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


# the example of docs/wire-formats.md §7, byte for byte
SPEC_EXAMPLE = (
    b'data: {"type":"start","messageId":"msg_1"}\n\n'
    b'data: {"type":"start-step"}\n\n'
    b'data: {"type":"text-start","id":"t1"}\n\n'
    b'data: {"type":"text-delta","id":"t1","delta":"Hel"}\n\n'
    b'data: {"type":"text-delta","id":"t1","delta":"lo"}\n\n'
    b'data: {"type":"text-end","id":"t1"}\n\n'
    b'data: {"type":"tool-input-start","toolCallId":"call_1","toolName":"get_weather"}\n\n'
    b'data: {"type":"tool-input-delta","toolCallId":"call_1","inputTextDelta":"{\\"city\\":\\"NY"}\n\n'
    b'data: {"type":"tool-input-delta","toolCallId":"call_1","inputTextDelta":"C\\"}"}\n\n'
    b'data: {"type":"tool-input-available","toolCallId":"call_1","toolName":"get_weather","input":{"city":"NYC"}}\n\n'
    b'data: {"type":"tool-output-available","toolCallId":"call_1","output":{"temp":70}}\n\n'
    b'data: {"type":"data-weather","id":"w1","data":{"status":"loading"}}\n\n'
    b'data: {"type":"data-weather","id":"w1","data":{"status":"done"}}\n\n'
    b'data: {"type":"finish-step"}\n\n'
    b'data: {"type":"finish","finishReason":"stop","messageMetadata":{"usage":{"inputTokens":9}}}\n\n'
    b"data: [DONE]\n\n"
)

SPEC_EVENTS = [
    {"type": "metadata", "messageId": "msg_1"},
    {"type": "step-start", "messageId": "msg_1"},
    {"type": "text-delta", "delta": "Hel"},
    {"type": "text-delta", "delta": "lo"},
    {"type": "tool-call-start", "toolCallId": "call_1", "toolName": "get_weather"},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": '{"city":"NY'},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": 'C"}'},
    {"type": "tool-call", "toolCallId": "call_1", "toolName": "get_weather",
     "args": {"city": "NYC"}, "argsText": '{"city":"NYC"}'},
    {"type": "tool-result", "toolCallId": "call_1", "result": {"temp": 70}, "isError": False,
     "toolName": "get_weather"},
    {"type": "data", "name": "weather", "data": {"status": "loading"}, "id": "w1"},
    {"type": "data", "name": "weather", "data": {"status": "done"}, "id": "w1"},
    {"type": "step-finish", "finishReason": "unknown", "usage": None, "isContinued": False},
    {"type": "metadata", "metadata": {"usage": {"inputTokens": 9}}},
    {"type": "finish", "finishReason": "stop", "usage": {"inputTokens": 9}},
]


def test_spec_example_events() -> None:
    events, decoder = decode(SPEC_EXAMPLE)
    assert decoder.protocol == "ui-message-stream"
    assert decoder.done
    assert events == SPEC_EVENTS
    assert decoder.warnings == []


def test_spec_example_message() -> None:
    events, _ = decode(SPEC_EXAMPLE)
    msg = accumulate(events)
    assert msg["id"] == "msg_1"
    assert msg["content"] == [
        {"type": "text", "text": "Hello"},
        {"type": "tool-call", "toolCallId": "call_1", "toolName": "get_weather",
         "args": {"city": "NYC"}, "argsText": '{"city":"NYC"}', "result": {"temp": 70},
         "isError": False},
        {"type": "data", "name": "weather", "data": {"status": "done"}, "id": "w1"},
    ]
    assert msg["status"] == {"type": "complete", "reason": "stop"}
    # `start` + `start-step` is one step, started and finished
    assert msg["metadata"]["steps"] == [
        {"state": "finished", "messageId": "msg_1", "finishReason": "unknown", "isContinued": False}
    ]
    assert msg["metadata"]["custom"] == {"usage": {"inputTokens": 9}}


def test_spec_example_sniffed_without_header() -> None:
    events, decoder = decode(SPEC_EXAMPLE, headers=SSE)
    assert decoder.protocol == "ui-message-stream"
    assert events == SPEC_EVENTS
    events, decoder = decode(SPEC_EXAMPLE, headers=None)
    assert decoder.protocol == "ui-message-stream"
    assert events == SPEC_EVENTS


def test_spec_example_crlf_and_cr() -> None:
    for eol in (b"\r\n", b"\r"):
        events, _ = decode(SPEC_EXAMPLE.replace(b"\n", eol))
        assert events == SPEC_EVENTS


# -- detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"},
        {"Content-Type": "text/event-stream; charset=utf-8", "X-Vercel-AI-UI-Message-Stream": " v1 "},
        # the header wins whatever the content type says
        {"content-type": "text/plain", "x-vercel-ai-ui-message-stream": "v1"},
    ],
)
def test_header_detection(headers: dict[str, str]) -> None:
    decoder = StreamDecoder(headers=headers)
    assert decoder.protocol == "ui-message-stream"
    events = decoder.decode(sse({"type": "text-delta", "id": "t", "delta": "x"}))
    assert events == [{"type": "text-delta", "delta": "x"}]


def test_header_other_value_is_not_ui_stream() -> None:
    decoder = StreamDecoder(headers={"content-type": "text/event-stream",
                                     "x-vercel-ai-ui-message-stream": "v2"})
    assert decoder.protocol is None  # sniffed from the first payload instead


@pytest.mark.parametrize(
    ("first", "protocol"),
    [
        # OpenAI
        ({"choices": []}, "openai"),
        ({"object": "chat.completion.chunk", "id": "x"}, "openai"),
        ({"error": {"message": "boom"}}, "openai"),
        # assistant-transport, canonical
        ({"type": "text-delta", "textDelta": "x", "path": [0]}, "assistant-transport"),
        ({"type": "part-start", "part": {"type": "text"}, "path": []}, "assistant-transport"),
        ({"type": "part-finish", "path": [0]}, "assistant-transport"),
        ({"type": "result", "result": 1, "path": [0]}, "assistant-transport"),
        ({"type": "step-start", "messageId": "m"}, "assistant-transport"),
        ({"type": "step-finish", "finishReason": "stop"}, "assistant-transport"),
        ({"type": "message-finish", "finishReason": "stop"}, "assistant-transport"),
        ({"type": "update-state", "operations": []}, "assistant-transport"),
        ({"type": "tool-call-args-text-finish", "path": [0]}, "assistant-transport"),
        # assistant-transport, legacy flat
        ({"type": "tool-call-begin", "toolCallId": "c", "toolName": "t"}, "assistant-transport"),
        ({"type": "tool-call-delta", "toolCallId": "c", "argsTextDelta": ""}, "assistant-transport"),
        ({"type": "tool-result", "toolCallId": "c", "result": 1}, "assistant-transport"),
        ({"type": "reasoning-delta", "reasoningDelta": "r"}, "assistant-transport"),
        ({"type": "text-delta", "textDelta": "x"}, "assistant-transport"),
        # UI message stream
        ({"type": "start"}, "ui-message-stream"),
        ({"type": "start-step"}, "ui-message-stream"),
        ({"type": "text-start", "id": "t"}, "ui-message-stream"),
        ({"type": "reasoning-start", "id": "r"}, "ui-message-stream"),
        ({"type": "tool-input-start", "toolCallId": "c", "toolName": "t"}, "ui-message-stream"),
        ({"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": {}},
         "ui-message-stream"),
        ({"type": "tool-output-available", "toolCallId": "c", "output": 1}, "ui-message-stream"),
        ({"type": "tool-output-error", "toolCallId": "c", "errorText": "e"}, "ui-message-stream"),
        ({"type": "source-url", "sourceId": "s", "url": "u"}, "ui-message-stream"),
        ({"type": "finish-step"}, "ui-message-stream"),
        ({"type": "finish"}, "ui-message-stream"),
        ({"type": "message-metadata", "messageMetadata": {}}, "ui-message-stream"),
        ({"type": "abort"}, "ui-message-stream"),
        ({"type": "data-weather", "data": 1}, "ui-message-stream"),
        ({"type": "text-delta", "id": "t", "delta": "x"}, "ui-message-stream"),
        ({"type": "reasoning-delta", "id": "r", "delta": "x"}, "ui-message-stream"),
        ({"type": "error", "errorText": "boom"}, "ui-message-stream"),
        # object stream
        ([{"type": "set", "path": [], "value": {}}], "object-stream"),
        ([{"type": "append-text", "path": ["a"], "value": "x"}], "object-stream"),
        # nothing known: generic SSE
        ({"hello": "world"}, "sse"),
    ],
)
def test_sse_sniff_table(first: Any, protocol: str) -> None:
    body = b": comment first\n\n" + sse(first)
    decoder = StreamDecoder(headers=SSE)
    decoder.decode(body)
    assert decoder.protocol == protocol


def test_sniff_skips_done_and_comments() -> None:
    body = b": stream-open\n\n:\n\n" + sse({"type": "start", "messageId": "m"})
    events, decoder = decode(body, headers=SSE)
    assert decoder.protocol == "ui-message-stream"
    assert events[0] == {"type": "metadata", "messageId": "m"}


# -- framing details -----------------------------------------------------------------


def test_keep_alive_comments_are_ignored() -> None:
    body = (
        b": stream-open\n\n"
        + sse({"type": "text-delta", "id": "t", "delta": "a"}, done=False)
        + b": keep-alive\n\n: keep-alive\n\n"
        + sse({"type": "text-delta", "id": "t", "delta": "b"})
    )
    events, decoder = decode(body)
    assert events == [{"type": "text-delta", "delta": "a"}, {"type": "text-delta", "delta": "b"}]
    assert decoder.warnings == []


def test_raw_u2028_inside_data_is_text() -> None:
    text = "a\u2028b\u2029c\x85d"  # raw: JSON allows them unescaped
    body = ('data: {"type":"text-delta","id":"t","delta":"' + text + '"}\n\n'
            "data: [DONE]\n\n").encode()
    events, _ = decode(body)
    assert events == [{"type": "text-delta", "delta": text}]


def test_missing_done_after_finish_is_fine() -> None:
    body = sse({"type": "start"}, {"type": "text-delta", "id": "t", "delta": "hi"},
               {"type": "finish"}, done=False)
    events, decoder = decode(body)
    assert events[-1] == {"type": "finish", "finishReason": "unknown"}
    assert decoder.warnings == []
    assert not decoder.done


def test_missing_done_and_finish_warns_and_closes_tools() -> None:
    body = sse(
        {"type": "tool-input-start", "toolCallId": "c1", "toolName": "t"},
        {"type": "tool-input-delta", "toolCallId": "c1", "inputTextDelta": '{"a": [1, 2'},
        done=False,
    )
    events, decoder = decode(body)
    assert events[-1] == {"type": "tool-call", "toolCallId": "c1", "toolName": "t",
                          "args": {"a": [1, 2]}, "argsText": '{"a": [1, 2'}
    assert any("without [DONE]" in w for w in decoder.warnings)
    msg = accumulate(events)
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_unterminated_last_event_is_discarded() -> None:
    body = sse({"type": "text-delta", "id": "t", "delta": "a"}, done=False)
    body += b'data: {"type":"text-delta","id":"t","delta":"b"}\n'
    events, _ = decode(body)
    assert events == [{"type": "text-delta", "delta": "a"}]


def test_events_after_done_are_ignored() -> None:
    body = sse({"type": "text-delta", "id": "t", "delta": "a"})
    body += sse({"type": "text-delta", "id": "t", "delta": "b"})
    events, _ = decode(body)
    assert events == [{"type": "text-delta", "delta": "a"}]


def test_event_name_and_multiline_data() -> None:
    body = b'event: message\nid: 7\ndata: {"type":"text-delta",\ndata: "id":"t","delta":"x"}\n\n'
    events, decoder = decode(body)
    assert events == [{"type": "text-delta", "delta": "x"}]
    assert decoder.last_event_id == "7"


def test_non_json_payload_is_raw() -> None:
    events, _ = decode(b"data: not json\n\n" + sse({"type": "text-delta", "id": "t", "delta": "x"}))
    assert events == [
        {"type": "raw", "event": "message", "data": "not json"},
        {"type": "text-delta", "delta": "x"},
    ]


# -- text, reasoning, steps -----------------------------------------------------------


def test_append_target_ignores_part_ids() -> None:
    body = sse(
        {"type": "reasoning-start", "id": "r1"},
        {"type": "reasoning-delta", "id": "r1", "delta": "think"},
        {"type": "reasoning-end", "id": "r1"},
        {"type": "text-start", "id": "t1"},
        {"type": "text-delta", "id": "t1", "delta": "a"},
        {"type": "text-end", "id": "t1"},
        {"type": "text-start", "id": "t2"},
        {"type": "text-delta", "id": "t2", "delta": "b"},
        {"type": "text-delta", "id": "unknown", "delta": "c"},
        {"type": "text-delta", "id": "t2", "delta": ""},
        {"type": "text-end", "id": "t2"},
    )
    events, _ = decode(body)
    assert events == [
        {"type": "reasoning-delta", "delta": "think"},
        {"type": "text-delta", "delta": "a"},
        {"type": "text-delta", "delta": "b"},
        {"type": "text-delta", "delta": "c"},
    ]
    msg = accumulate(events)
    assert msg["content"] == [{"type": "reasoning", "text": "think"}, {"type": "text", "text": "abc"}]
    assert msg["status"] == {"type": "complete", "reason": "unknown"}


def test_multi_step_message() -> None:
    body = sse(
        {"type": "start", "messageId": "m1", "messageMetadata": {"a": {"x": 1}}},
        {"type": "start-step"},
        {"type": "tool-input-available", "toolCallId": "c1", "toolName": "t", "input": {"q": 1}},
        {"type": "tool-output-available", "toolCallId": "c1", "output": "ok"},
        {"type": "finish-step"},
        {"type": "start-step"},
        {"type": "text-delta", "id": "t", "delta": "done"},
        {"type": "finish-step"},
        {"type": "message-metadata", "messageMetadata": {"a": {"y": 2}}},
        {"type": "finish", "finishReason": "stop"},
    )
    events, _ = decode(body)
    assert of_type(events, "step-start") == [
        {"type": "step-start", "messageId": "m1"},
        {"type": "step-start", "messageId": "m1"},
    ]
    msg = accumulate(events)
    assert [s["state"] for s in msg["metadata"]["steps"]] == ["finished", "finished"]
    assert msg["metadata"]["custom"] == {"a": {"x": 1, "y": 2}}
    assert msg["content"][0]["args"] == {"q": 1}
    assert msg["content"][0]["argsText"] == '{"q":1}'
    assert msg["content"][1] == {"type": "text", "text": "done"}
    assert msg["status"] == {"type": "complete", "reason": "stop"}


def test_start_without_start_step_and_start_step_alone() -> None:
    events, _ = decode(sse({"type": "start"}, {"type": "text-delta", "id": "t", "delta": "x"}))
    assert events == [{"type": "step-start", "messageId": None}, {"type": "text-delta", "delta": "x"}]
    events, _ = decode(sse({"type": "start-step"}, {"type": "start-step"}))
    assert events == [{"type": "step-start", "messageId": None}] * 2


def test_finish_reasons_and_usage() -> None:
    events, _ = decode(sse({"type": "finish", "finishReason": "interrupted"}))
    assert events == [{"type": "finish", "finishReason": "interrupted"}]
    assert accumulate(events)["status"] == {"type": "incomplete", "reason": "interrupted"}
    events, _ = decode(sse({"type": "finish", "finishReason": "tool-calls", "messageMetadata": {
        "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}}}))
    assert events[-1] == {"type": "finish", "finishReason": "tool-calls",
                          "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}}
    events, _ = decode(sse({"type": "finish", "finishReason": "length"}))
    assert accumulate(events)["status"] == {"type": "incomplete", "reason": "length"}


def test_abort() -> None:
    body = sse(
        {"type": "tool-input-start", "toolCallId": "c1", "toolName": "t"},
        {"type": "text-delta", "id": "t", "delta": "partial"},
        {"type": "abort", "reason": "user"},
        {"type": "finish", "finishReason": "stop"},
    )
    events, decoder = decode(body)
    assert events[-3:] == [
        {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {}, "argsText": "{}"},
        {"type": "finish", "finishReason": "cancelled", "abortReason": "user"},
        {"type": "finish", "finishReason": "cancelled"},
    ]
    assert accumulate(events)["status"] == {"type": "incomplete", "reason": "cancelled"}
    events, decoder = decode(sse({"type": "abort"}, done=False))
    assert events == [{"type": "finish", "finishReason": "cancelled"}]
    assert decoder.warnings == []


def test_error_chunk() -> None:
    events, _ = decode(sse({"type": "text-delta", "id": "t", "delta": "a"},
                           {"type": "error", "errorText": "rate limited"},
                           {"type": "text-delta", "id": "t", "delta": "b"},
                           {"type": "finish", "finishReason": "stop"}))
    assert {"type": "error", "error": "rate limited"} in events
    msg = accumulate(events)
    assert msg["status"]["type"] == "incomplete"
    assert msg["status"]["error"] == {"code": "unknown", "message": "rate limited"}
    assert msg["content"] == [{"type": "text", "text": "ab"}]


def test_message_metadata_and_bad_metadata() -> None:
    events, decoder = decode(sse({"type": "message-metadata", "messageMetadata": {"k": 1}},
                                 {"type": "message-metadata", "messageMetadata": 5}))
    assert events == [{"type": "metadata", "metadata": {"k": 1}}]
    assert decoder.warnings


# -- tools ------------------------------------------------------------------------


def test_parallel_tool_calls_interleaved() -> None:
    body = sse(
        {"type": "tool-input-start", "toolCallId": "a", "toolName": "search"},
        {"type": "tool-input-start", "toolCallId": "b", "toolName": "weather", "dynamic": True},
        {"type": "tool-input-delta", "toolCallId": "a", "inputTextDelta": '{"q":'},
        {"type": "tool-input-delta", "toolCallId": "b", "inputTextDelta": '{"city":'},
        {"type": "tool-input-delta", "toolCallId": "a", "inputTextDelta": '"x"}'},
        {"type": "tool-input-delta", "toolCallId": "b", "inputTextDelta": '"Paris"}'},
        {"type": "tool-input-available", "toolCallId": "b", "toolName": "weather",
         "input": {"city": "Paris"}, "dynamic": True},
        {"type": "tool-input-available", "toolCallId": "a", "toolName": "search", "input": {"q": "x"}},
        {"type": "tool-output-available", "toolCallId": "a", "output": [1]},
        {"type": "tool-output-available", "toolCallId": "b", "output": {"t": 20}, "dynamic": True},
        {"type": "finish", "finishReason": "tool-calls"},
    )
    events, _ = decode(body)
    assert [(e["type"], e.get("toolCallId")) for e in events[:6]] == [
        ("tool-call-start", "a"), ("tool-call-start", "b"),
        ("tool-call-delta", "a"), ("tool-call-delta", "b"),
        ("tool-call-delta", "a"), ("tool-call-delta", "b"),
    ]
    msg = accumulate(events)
    parts = msg["content"]
    assert [(p["toolCallId"], p["toolName"], p["args"], p["result"]) for p in parts] == [
        ("a", "search", {"q": "x"}, [1]),
        ("b", "weather", {"city": "Paris"}, {"t": 20}),
    ]
    # a result was given for every call, so a finish `tool-calls` is requires-action
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_tool_input_available_without_start() -> None:
    events, _ = decode(sse({"type": "tool-input-available", "toolCallId": "c", "toolName": "t",
                            "input": {"é": [1, {"b": None}]}, "providerExecuted": True}))
    assert events == [{"type": "tool-call", "toolCallId": "c", "toolName": "t",
                       "args": {"é": [1, {"b": None}]}, "argsText": '{"é":[1,{"b":null}]}'}]


def test_tool_name_missing_at_start_is_taken_from_input_available() -> None:
    events, _ = decode(sse(
        {"type": "tool-input-start", "toolCallId": "c"},
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "late", "input": {}},
        {"type": "tool-output-available", "toolCallId": "c", "output": 1},
    ))
    assert events[1]["toolName"] == "late"
    assert events[2]["toolName"] == "late"
    assert accumulate(events)["content"][0]["toolName"] == "late"


def test_tool_input_object_wins_over_streamed_text() -> None:
    body = sse(
        {"type": "tool-input-start", "toolCallId": "c", "toolName": "t"},
        {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": '{"a": 1}'},
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": {"a": 1}},
        {"type": "tool-input-start", "toolCallId": "d", "toolName": "t"},
        {"type": "tool-input-delta", "toolCallId": "d", "inputTextDelta": '{"a": "brok'},
        {"type": "tool-input-available", "toolCallId": "d", "toolName": "t",
         "input": {"a": "repaired"}},
    )
    calls = of_type(decode(body)[0], "tool-call")
    # same value: the streamed text is kept
    assert calls[0]["argsText"] == '{"a": 1}'
    # repaired by the server: the input object wins
    assert calls[1]["args"] == {"a": "repaired"}
    assert calls[1]["argsText"] == '{"a":"repaired"}'


def test_tool_input_text_encoding() -> None:
    body = sse(
        {"type": "tool-input-start", "toolCallId": "c", "toolName": "patch", "inputEncoding": "text"},
        {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": '{"not": "json'},
        {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": " really"},
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "patch",
         "input": '{"not": "json really'},
        {"type": "tool-input-start", "toolCallId": "d", "toolName": "patch", "inputEncoding": "text"},
        {"type": "tool-input-delta", "toolCallId": "d", "inputTextDelta": "{}"},
        {"type": "tool-input-start", "toolCallId": "e", "toolName": "patch", "inputEncoding": "text"},
    )
    events, _ = decode(body)
    calls = of_type(events, "tool-call")
    assert calls[0] == {"type": "tool-call", "toolCallId": "c", "toolName": "patch",
                        "args": {}, "argsText": '{"not": "json really'}
    # closed at the end of the stream: raw text kept, even when it is empty
    assert calls[1]["argsText"] == "{}" and calls[1]["args"] == {}
    assert calls[2]["argsText"] == "" and calls[2]["args"] == {}


def test_tool_input_error() -> None:
    body = sse(
        {"type": "tool-input-start", "toolCallId": "c", "toolName": "t"},
        {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": "{bad"},
        {"type": "tool-input-error", "toolCallId": "c", "toolName": "t", "input": "{bad",
         "errorText": "Invalid JSON"},
        {"type": "tool-input-error", "toolCallId": "u", "toolName": "nope", "input": {"x": 1},
         "errorText": "No such tool: nope"},
    )
    events, _ = decode(body)
    assert events[2:] == [
        {"type": "tool-call", "toolCallId": "c", "toolName": "t", "args": {}, "argsText": "{bad"},
        {"type": "tool-result", "toolCallId": "c", "result": "Invalid JSON", "isError": True,
         "toolName": "t"},
        {"type": "tool-call", "toolCallId": "u", "toolName": "nope", "args": {"x": 1},
         "argsText": '{"x":1}'},
        {"type": "tool-result", "toolCallId": "u", "result": "No such tool: nope",
         "isError": True, "toolName": "nope"},
    ]
    msg = accumulate(events)
    assert [p["isError"] for p in msg["content"]] == [True, True]


def test_tool_output_error_and_preliminary() -> None:
    body = sse(
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": {}},
        {"type": "tool-output-available", "toolCallId": "c", "output": {"p": 1}, "preliminary": True},
        {"type": "tool-output-available", "toolCallId": "c", "output": {"p": 2}, "preliminary": True},
        {"type": "tool-output-available", "toolCallId": "c", "output": {"final": True}},
        {"type": "tool-input-available", "toolCallId": "d", "toolName": "t", "input": {}},
        {"type": "tool-output-error", "toolCallId": "d", "errorText": "boom"},
    )
    events, _ = decode(body)
    assert events[1:4] == [
        {"type": "data", "name": "tool-output-preliminary", "id": "c",
         "data": {"toolCallId": "c", "output": {"p": 1}}, "transient": True},
        {"type": "data", "name": "tool-output-preliminary", "id": "c",
         "data": {"toolCallId": "c", "output": {"p": 2}}, "transient": True},
        {"type": "tool-result", "toolCallId": "c", "result": {"final": True}, "isError": False,
         "toolName": "t"},
    ]
    assert events[-1] == {"type": "tool-result", "toolCallId": "d", "result": "boom",
                          "isError": True, "toolName": "t"}


def test_output_for_unknown_tool_is_dropped_with_warning() -> None:
    events, decoder = decode(sse({"type": "tool-output-available", "toolCallId": "x", "output": 1},
                                 {"type": "tool-input-delta", "toolCallId": "y",
                                  "inputTextDelta": "{"}))
    assert events == []
    assert len(decoder.warnings) == 2


def test_approval_and_denial() -> None:
    body = sse(
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "rm", "input": {"p": "/"}},
        {"type": "tool-approval-request", "approvalId": "ap1", "toolCallId": "c"},
        {"type": "tool-approval-response", "approvalId": "ap1", "approved": False,
         "reason": "too risky"},
        {"type": "tool-output-denied", "toolCallId": "c"},
        {"type": "tool-input-available", "toolCallId": "d", "toolName": "rm", "input": {}},
        {"type": "tool-output-denied", "toolCallId": "d"},
    )
    events, _ = decode(body)
    assert events[1:4] == [
        {"type": "tool-approval", "toolCallId": "c", "approval": {"id": "ap1"}},
        {"type": "tool-approval", "toolCallId": "c",
         "approval": {"id": "ap1", "approved": False, "reason": "too risky"}},
        {"type": "tool-result", "toolCallId": "c", "result": f"{DENIED_RESULT} Reason: too risky",
         "isError": True, "toolName": "rm"},
    ]
    assert events[-1]["result"] == DENIED_RESULT
    # the approval is on the tool-call part (as in ai 7), not a separate data part
    msg = accumulate(events)
    assert [p["type"] for p in msg["content"]] == ["tool-call", "tool-call"]
    assert msg["content"][0]["approval"] == {"id": "ap1", "approved": False, "reason": "too risky"}
    assert "approval" not in msg["content"][1]


def test_pending_approval_requires_action() -> None:
    body = sse(
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "rm", "input": {}},
        {"type": "tool-approval-request", "approvalId": "ap1", "toolCallId": "c"},
        {"type": "finish-step"},
    )
    msg = accumulate(decode(body)[0])
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


# -- sources, files, data -----------------------------------------------------------


def test_sources_and_files() -> None:
    body = sse(
        {"type": "source-url", "sourceId": "s1", "url": "https://a.example", "title": "A",
         "providerMetadata": {"x": 1}},
        {"type": "source-url", "sourceId": "s2", "url": "https://b.example"},
        {"type": "source-document", "sourceId": "d1", "mediaType": "application/pdf",
         "title": "Doc", "filename": "doc.pdf"},
        {"type": "file", "url": "data:image/png;base64,iVBO", "mediaType": "image/png"},
        {"type": "reasoning-file", "url": "https://f.example/x.txt", "mediaType": "text/plain"},
    )
    events, _ = decode(body)
    assert events == [
        {"type": "source", "sourceType": "url", "id": "s1", "url": "https://a.example",
         "title": "A"},
        {"type": "source", "sourceType": "url", "id": "s2", "url": "https://b.example"},
        {"type": "source", "sourceType": "document", "id": "d1", "url": "", "title": "Doc",
         "mediaType": "application/pdf", "filename": "doc.pdf"},
        {"type": "file", "data": "data:image/png;base64,iVBO", "mimeType": "image/png"},
        {"type": "file", "data": "https://f.example/x.txt", "mimeType": "text/plain"},
    ]
    msg = accumulate(events)
    assert [p["type"] for p in msg["content"]] == ["source", "source", "source", "file", "file"]


def test_data_parts() -> None:
    body = sse(
        {"type": "text-delta", "id": "t", "delta": "a"},
        {"type": "data-progress", "data": {"pct": 10}},
        {"type": "data-weather", "id": "w", "data": {"s": "loading"}},
        {"type": "data-notice", "data": "hi", "transient": True},
        {"type": "data-weather", "id": "w", "data": {"s": "done"}},
        {"type": "data-weather", "id": "other", "data": 1},
        {"type": "text-delta", "id": "t", "delta": "b"},
    )
    events, _ = decode(body)
    assert events[1:6] == [
        {"type": "data", "name": "progress", "data": {"pct": 10}},
        {"type": "data", "name": "weather", "data": {"s": "loading"}, "id": "w"},
        {"type": "data", "name": "notice", "data": "hi", "transient": True},
        {"type": "data", "name": "weather", "data": {"s": "done"}, "id": "w"},
        {"type": "data", "name": "weather", "data": 1, "id": "other"},
    ]
    msg = accumulate(events)  # transient data is not stored
    assert msg["content"] == [
        {"type": "text", "text": "a"},
        {"type": "data", "name": "progress", "data": {"pct": 10}},
        {"type": "data", "name": "weather", "data": {"s": "done"}, "id": "w"},
        {"type": "data", "name": "weather", "data": 1, "id": "other"},
        {"type": "text", "text": "b"},
    ]


def test_v7_custom_steering_and_reset_step() -> None:
    body = sse(
        {"type": "custom", "kind": "openai.compaction", "providerMetadata": {"a": 1}},
        {"type": "steering-message", "id": "u1", "parts": [{"type": "text", "text": "stop"}]},
        {"type": "reset-step"},
    )
    events, decoder = decode(body)
    assert events == [
        {"type": "data", "name": "custom",
         "data": {"kind": "openai.compaction", "providerMetadata": {"a": 1}}},
        {"type": "data", "name": "steering-message", "id": "u1",
         "data": {"id": "u1", "parts": [{"type": "text", "text": "stop"}]}},
        {"type": "raw", "event": "message", "data": {"type": "reset-step"}},
    ]
    assert any("reset-step" in w for w in decoder.warnings)


def test_unknown_chunks_are_raw() -> None:
    events, _ = decode(
        b"id: 3\n"
        + sse({"type": "future-thing", "x": 1}, [1, 2], "5", {"no": "type"}, done=False)
    )
    assert events == [
        {"type": "raw", "event": "message", "data": {"type": "future-thing", "x": 1}, "id": "3"},
        {"type": "raw", "event": "message", "data": [1, 2], "id": "3"},
        {"type": "raw", "event": "message", "data": 5, "id": "3"},
        {"type": "raw", "event": "message", "data": {"no": "type"}, "id": "3"},
    ]


def test_malformed_known_chunks_are_dropped_with_warnings() -> None:
    events, decoder = decode(sse(
        {"type": "text-delta", "id": "t"},
        {"type": "reasoning-delta", "id": "r", "delta": 5},
        {"type": "tool-input-start", "toolName": "t"},
        {"type": "source-url", "sourceId": "s"},
        {"type": "file", "mediaType": "x/y"},
        {"type": "source", "source": None},
    ))
    assert events == []
    assert len(decoder.warnings) == 6


# -- the older / alternate dialect ---------------------------------------------------------


def test_alternate_dialect() -> None:
    body = sse(
        {"type": "start-step", "messageId": "m9"},
        {"type": "text-delta", "textDelta": "Hi "},
        {"type": "source", "source": {"sourceType": "url", "id": "s", "url": "https://s", "title": "S"}},
        {"type": "file", "file": {"mimeType": "text/plain", "data": "aGk="}},
        {"type": "tool-call-start", "id": "p1", "toolCallId": "c1", "toolName": "t"},
        {"type": "tool-call-delta", "argsText": '{"x":'},
        {"type": "tool-call-delta", "argsText": "2}"},
        {"type": "tool-call-end"},
        {"type": "tool-result", "toolCallId": "c1", "result": "r", "messages": [{"m": 1}]},
        {"type": "tool-call-start", "id": "p2", "toolCallId": "c2", "toolName": "u"},
        {"type": "tool-result", "toolCallId": "c2", "result": "bad", "isError": True},
        {"type": "finish-step", "finishReason": "tool-calls",
         "usage": {"promptTokens": 5, "completionTokens": 3}, "isContinued": True},
        {"type": "finish", "finishReason": "stop", "usage": {"inputTokens": 9, "outputTokens": 7}},
    )
    events, decoder = decode(body)
    assert decoder.warnings == []
    assert events == [
        {"type": "step-start", "messageId": "m9"},
        {"type": "text-delta", "delta": "Hi "},
        {"type": "source", "sourceType": "url", "id": "s", "url": "https://s", "title": "S"},
        {"type": "file", "data": "aGk=", "mimeType": "text/plain"},
        {"type": "tool-call-start", "toolCallId": "c1", "toolName": "t"},
        {"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": '{"x":'},
        {"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": "2}"},
        {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"x": 2},
         "argsText": '{"x":2}'},
        {"type": "tool-result", "toolCallId": "c1", "result": "r", "isError": False,
         "toolName": "t", "messages": [{"m": 1}]},
        {"type": "tool-call-start", "toolCallId": "c2", "toolName": "u"},
        {"type": "tool-call", "toolCallId": "c2", "toolName": "u", "args": {}, "argsText": "{}"},
        {"type": "tool-result", "toolCallId": "c2", "result": "bad", "isError": True,
         "toolName": "u"},
        {"type": "step-finish", "finishReason": "tool-calls",
         "usage": {"inputTokens": 5, "outputTokens": 3}, "isContinued": True},
        {"type": "finish", "finishReason": "stop", "usage": {"inputTokens": 9, "outputTokens": 7}},
    ]


def test_dialect_directly() -> None:
    from assistant_ui._wire.sse import SSEEvent

    warnings: list[str] = []
    dialect = UIMessageStreamDialect(warnings)
    assert dialect.name == "ui-message-stream"
    assert dialect.warnings is warnings
    out: list[Any] = []
    dialect.feed(
        [
            SSEEvent("message", b'{"type": "text-delta", "delta": "x"}', ""),
            SSEEvent("message", b'{"type": "nope"}', "7"),
            SSEEvent("message", b'"text"', ""),
            SSEEvent("message", b"not json", ""),
        ],
        out,
    )
    dialect.end(out, done=True)
    assert out == [
        {"type": "text-delta", "delta": "x"},
        {"type": "raw", "event": "message", "data": {"type": "nope"}, "id": "7"},
        {"type": "raw", "event": "message", "data": "text"},
        {"type": "raw", "event": "message", "data": "not json"},
    ]
    assert warnings == []


# -- split invariance ------------------------------------------------------------------

RICH_BODY = (
    b": stream-open\r\n\r\n"
    + sse(
        {"type": "start", "messageId": "m\u00e9"},
        {"type": "start-step"},
        {"type": "reasoning-delta", "id": "r", "delta": "h\u00e9las \U0001f914"},
        {"type": "text-delta", "id": "t", "delta": "\u65e5\u672c\u8a9e \u2028 line\u2029sep"},
        {"type": "tool-input-start", "toolCallId": "a", "toolName": "s"},
        {"type": "tool-input-start", "toolCallId": "b", "toolName": "s"},
        {"type": "tool-input-delta", "toolCallId": "a", "inputTextDelta": '{"q":"\u00fc'},
        {"type": "tool-input-delta", "toolCallId": "b", "inputTextDelta": '{"q":"\u20ac"}'},
        {"type": "tool-input-delta", "toolCallId": "a", "inputTextDelta": '"}'},
        {"type": "tool-input-available", "toolCallId": "a", "toolName": "s", "input": {"q": "\u00fc"}},
        {"type": "tool-output-available", "toolCallId": "a", "output": "\U0001f600"},
        {"type": "data-x", "id": "1", "data": {"v": "\u00e9"}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
        done=False,
        eol="\r\n",
    )
    + b": keep-alive\r\n\r\n"
    + 'data: {"type":"text-delta","id":"t","delta":"raw \u2028 \u0085"}\n\r\n'.encode()
    + b"data: [DONE]\r\n\r\n"
)


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(body)})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


@pytest.mark.parametrize("headers", [UI_HEADERS, SSE, None])
def test_one_byte_at_a_time(headers: dict[str, str] | None) -> None:
    expected, _ = decode(RICH_BODY, headers=headers)
    assert any(e["type"] == "tool-result" for e in expected)
    pieces = [RICH_BODY[i : i + 1] for i in range(len(RICH_BODY))]
    assert decode(RICH_BODY, headers=headers, pieces=pieces)[0] == expected


def test_every_two_way_split() -> None:
    """Covers every cut inside a UTF-8 sequence and between every CR and LF."""
    expected, _ = decode(RICH_BODY)
    assert b"\r\n" in RICH_BODY and "\u00e9".encode() in RICH_BODY
    for i in range(1, len(RICH_BODY)):
        assert decode(RICH_BODY, pieces=[RICH_BODY[:i], RICH_BODY[i:]])[0] == expected, i


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(RICH_BODY)), max_size=60))
def test_arbitrary_splits_give_identical_events(cuts: list[int]) -> None:
    expected, _ = decode(RICH_BODY)
    for headers in (UI_HEADERS, None):
        assert decode(RICH_BODY, headers=headers, pieces=_split(RICH_BODY, cuts))[0] == expected


@settings(max_examples=100, deadline=None)
@given(
    deltas=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=30),
)
def test_arbitrary_text_and_splits(deltas: list[str], cuts: list[int]) -> None:
    chunks = [{"type": "text-delta", "id": "t", "delta": d} for d in deltas]
    body = sse({"type": "start"}, *chunks, eol="\r\n")
    events, _ = decode(body, pieces=_split(body, cuts))
    assert "".join(e["delta"] for e in events if e["type"] == "text-delta") == "".join(deltas)
