"""The data stream protocol (docs/wire-formats.md §4): every code, framing and leniency rules."""

from __future__ import annotations

from typing import Any

import pytest

from assistant_ui.decoding import MessageAccumulator, StreamDecoder


def decode(body: bytes, **kwargs: Any) -> tuple[list[Any], StreamDecoder]:
    kwargs.setdefault("content_type", "text/plain; charset=utf-8")
    decoder = StreamDecoder(**kwargs)
    return decoder.decode(body), decoder


def events(body: bytes, **kwargs: Any) -> list[Any]:
    return decode(body, **kwargs)[0]


def message(body: bytes, **kwargs: Any) -> Any:
    evs, _ = decode(body, **kwargs)
    acc = MessageAccumulator()
    acc.add_all(evs)
    return acc.finish()


# -- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content_type": "text/plain; charset=utf-8"},
        {"headers": {"Content-Type": "text/plain", "X-Vercel-AI-Data-Stream": " v1 "}},
        {"headers": {"x-vercel-ai-data-stream": "v1"}},
        {"content_type": None},
        {"content_type": "application/octet-stream"},
        {"protocol": "data-stream", "content_type": "text/event-stream"},
    ],
)
def test_detected(kwargs: dict[str, Any]) -> None:
    evs, decoder = decode(b'\n0:"hi"\n', **kwargs)
    assert decoder.protocol == "data-stream"
    assert evs == [{"type": "text-delta", "delta": "hi"}]


def test_plain_text_is_not_a_data_stream() -> None:
    evs, decoder = decode(b"Hello: world\nmore")
    assert decoder.protocol == "plain-text"
    assert "".join(e["delta"] for e in evs) == "Hello: world\nmore"


# -- framing -----------------------------------------------------------------------------


def test_split_at_first_colon_and_py_separators() -> None:
    body = b'aui-text-delta:{"textDelta": "a:b", "parentId": "p:1"}\n0:"x:y"\n'
    assert events(body) == [
        {"type": "text-delta", "delta": "a:b", "parentId": "p:1"},
        {"type": "text-delta", "delta": "x:y"},
    ]


def test_blank_and_whitespace_lines_are_keepalives() -> None:
    evs, decoder = decode(b'\n   \n\t\n0:"a"\n\n\n0:"b"\n\r\n')
    assert [e["delta"] for e in evs] == ["a", "b"]
    assert decoder.warnings == []


def test_cr_and_crlf_line_ends() -> None:
    assert [e["delta"] for e in events(b'0:"a"\r0:"b"\r\n0:"c"\n')] == ["a", "b", "c"]


def test_trailing_line_without_newline_is_parsed() -> None:
    assert events(b'0:"a"\n0:"b"') == [{"type": "text-delta", "delta": "a"}, {"type": "text-delta", "delta": "b"}]


def test_trailing_invalid_line_is_dropped_with_warning() -> None:
    evs, decoder = decode(b'0:"a"\n0:"b')
    assert evs == [{"type": "text-delta", "delta": "a"}]
    assert len(decoder.warnings) == 1


@pytest.mark.parametrize(
    "line",
    [b"no colon here", b"0:not json", b'0:"unterminated', b"zz:1", b"7:1", b"aui-unknown:{}", b' 0:"leading space"'],
)
def test_bad_lines_are_dropped_with_a_warning(line: bytes) -> None:
    evs, decoder = decode(b'0:"a"\n' + line + b'\n0:"b"\n')
    assert [e["delta"] for e in evs] == ["a", "b"]
    assert len(decoder.warnings) == 1


@pytest.mark.parametrize(
    "line",
    [b'i:{"data": "x"}', b'j:{"signature": "s"}', b'4:{"id": "x"}', b'5:{"threadId": "t"}', b'6:{"messageId": "m"}'],
)
def test_ignored_codes(line: bytes) -> None:
    evs, decoder = decode(line + b'\n0:"a"\n')
    assert evs == [{"type": "text-delta", "delta": "a"}]
    assert decoder.warnings == []


@pytest.mark.parametrize(
    "line",
    [b"0:1", b"g:null", b'aui-text-delta:{"parentId": "p"}', b'b:{"toolName": "x"}', b'c:"x"', b"h:{}", b"k:{}", b"aui-data:{}", b'aui-state:{"a": 1}', b"9:[]", b"a:[]"],
)
def test_wrong_value_shapes_are_dropped_with_a_warning(line: bytes) -> None:
    evs, decoder = decode(line + b"\n")
    assert evs == []
    assert decoder.warnings


# -- codes ----------------------------------------------------------------------------------


def test_text_and_reasoning_codes() -> None:
    body = (
        b'0:"t"\ng:"r"\n'
        b'aui-text-delta:{"textDelta": "pt", "parentId": "p"}\n'
        b'aui-reasoning-delta:{"reasoningDelta": "pr", "parentId": "p"}\n'
        b'aui-text-delta:{"textDelta": "nt", "parentId": null}\n'
    )
    assert events(body) == [
        {"type": "text-delta", "delta": "t"},
        {"type": "reasoning-delta", "delta": "r"},
        {"type": "text-delta", "delta": "pt", "parentId": "p"},
        {"type": "reasoning-delta", "delta": "pr", "parentId": "p"},
        {"type": "text-delta", "delta": "nt"},
    ]


def test_reasoning_part_start_always_opens_a_part() -> None:
    body = b'g:"a"\naui-reasoning-part-start:{"unstable_summary": "Plan"}\ng:"b"\ng:"c"\naui-reasoning-part-start:{}\ng:"d"\n'
    assert message(body)["content"] == [
        {"type": "reasoning", "text": "a"},
        {"type": "reasoning", "text": "bc", "summary": "Plan"},
        {"type": "reasoning", "text": "d"},
    ]


def test_tool_call_streaming_events() -> None:
    body = (
        b'b:{"toolCallId": "c1", "toolName": "get_weather", "parentId": "p"}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "{\\"city\\": "}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": ""}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "\\"NYC\\"}", "isFinal": true}\n'
    )
    assert events(body) == [
        {"type": "tool-call-start", "toolCallId": "c1", "toolName": "get_weather", "parentId": "p"},
        {"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": '{"city": '},
        {"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": '"NYC"}'},
        {"type": "tool-call", "toolCallId": "c1", "toolName": "get_weather", "args": {"city": "NYC"}, "argsText": '{"city": "NYC"}', "parentId": "p"},
    ]


def test_is_final_with_no_args_gives_empty_object() -> None:
    body = b'b:{"toolCallId": "c1", "toolName": "t"}\nc:{"toolCallId": "c1", "argsTextDelta": "", "isFinal": true}\n'
    msg = message(body)
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {}, "argsText": "{}"}]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_server_sent_empty_object_closer() -> None:
    body = b'b:{"toolCallId": "c1", "toolName": "t"}\nc:{"toolCallId": "c1", "argsTextDelta": "{}", "isFinal": true}\n'
    assert message(body)["content"][0]["argsText"] == "{}"


def test_delta_after_args_closed_is_dropped_with_warning() -> None:
    body = (
        b'b:{"toolCallId": "c1", "toolName": "t"}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "{}", "isFinal": true}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "x"}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "", "isFinal": true}\n'
    )
    evs, decoder = decode(body)
    assert [e["type"] for e in evs] == ["tool-call-start", "tool-call-delta", "tool-call"]
    assert len(decoder.warnings) == 1


def test_unknown_ids_are_dropped_with_warnings() -> None:
    body = (
        b'c:{"toolCallId": "nope", "argsTextDelta": "{}"}\n'
        b'a:{"toolCallId": "nope", "result": 1}\n'
        b'0:"still fine"\n'
    )
    evs, decoder = decode(body)
    assert evs == [{"type": "text-delta", "delta": "still fine"}]
    assert len(decoder.warnings) == 2


def test_duplicate_start_is_dropped() -> None:
    body = b'b:{"toolCallId": "c1", "toolName": "a"}\nb:{"toolCallId": "c1", "toolName": "b"}\n'
    evs, decoder = decode(body)
    assert [e["type"] for e in evs] == ["tool-call-start", "tool-call"]
    assert decoder.warnings


def test_9_after_streaming_keeps_the_streamed_text() -> None:
    body = (
        b'b:{"toolCallId": "c1", "toolName": "t"}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "{\\"a\\":  1}"}\n'
        b'9:{"toolCallId": "c1", "toolName": "t", "args": {"other": true}}\n'
    )
    msg = message(body)
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": 1}, "argsText": '{"a":  1}'}]


def test_9_without_streaming_creates_the_call() -> None:
    msg = message(b'9:{"toolCallId": "c1", "toolName": "t", "args": {"x": 1}}\n')
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"x": 1}, "argsText": '{"x": 1}'}]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_a_closes_args_with_empty_object_and_defaults() -> None:
    body = b'b:{"toolCallId": "c1", "toolName": "t"}\na:{"toolCallId": "c1"}\n'
    evs = events(body)
    assert evs == [
        {"type": "tool-call-start", "toolCallId": "c1", "toolName": "t"},
        {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {}, "argsText": "{}"},
        {"type": "tool-result", "toolCallId": "c1", "result": "<no result>", "isError": False, "toolName": "t"},
    ]


def test_a_with_artifact_and_error() -> None:
    body = (
        b'b:{"toolCallId": "c1", "toolName": "t"}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "{\\"q\\": 1}"}\n'
        b'a:{"toolCallId": "c1", "result": "bad", "isError": true, "artifact": {"trace": [1]}}\n'
    )
    assert message(body)["content"] == [
        {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"q": 1}, "argsText": '{"q": 1}', "result": "bad", "isError": True, "artifact": {"trace": [1]}}
    ]


def test_a_result_null_is_kept() -> None:
    body = b'b:{"toolCallId": "c1", "toolName": "t"}\na:{"toolCallId": "c1", "result": null}\n'
    assert message(body)["content"][0]["result"] is None


def test_data_annotations_sources_files_and_data_parts() -> None:
    body = (
        b'2:[{"progress": 1}, 2]\n'
        b'2:{"single": true}\n'
        b'8:[{"note": "a"}]\n'
        b'h:{"sourceType": "url", "id": "s1", "url": "https://e.com", "title": "E", "providerMetadata": {}}\n'
        b'h:{"sourceType": "url", "id": "s2", "url": "https://f.com"}\n'
        b'k:{"data": "aGk=", "mimeType": "text/plain"}\n'
        b'aui-data:{"name": "chart", "data": {"x": [1, 2]}}\n'
    )
    msg = message(body)
    assert msg["content"] == [
        {"type": "source", "sourceType": "url", "id": "s1", "url": "https://e.com", "title": "E"},
        {"type": "source", "sourceType": "url", "id": "s2", "url": "https://f.com"},
        {"type": "file", "data": "aGk=", "mimeType": "text/plain"},
        {"type": "data", "name": "chart", "data": {"x": [1, 2]}},
    ]
    assert msg["metadata"]["unstable_data"] == [{"progress": 1}, 2, {"single": True}]
    assert msg["metadata"]["unstable_annotations"] == [{"note": "a"}]


def test_state_steps_finish_and_usage() -> None:
    body = (
        b'f:{"messageId": "m1"}\n'
        b'aui-state:[{"type": "set", "path": ["n"], "value": 1}]\n'
        b'0:"a"\n'
        b'e:{"finishReason": "tool-calls", "usage": {"promptTokens": 5, "completionTokens": 3}, "isContinued": true}\n'
        b'f:{"messageId": "m2"}\n'
        b'd:{"finishReason": "length", "usage": {"promptTokens": 9, "completionTokens": 7}}\n'
    )
    evs, _ = decode(body)
    acc = MessageAccumulator()
    acc.add_all(evs)
    msg = acc.finish()
    assert msg["status"] == {"type": "incomplete", "reason": "length"}
    assert msg["metadata"]["unstable_state"] == {"n": 1}
    assert msg["metadata"]["steps"] == [
        {"state": "finished", "messageId": "m1", "finishReason": "tool-calls", "usage": {"inputTokens": 5, "outputTokens": 3}, "isContinued": True},
        {"state": "started", "messageId": "m2"},
    ]
    assert acc.finish_reason == "length"
    assert acc.usage == {"inputTokens": 9, "outputTokens": 7}


def test_ai_sdk_4_flavour_end_of_stream() -> None:
    body = (
        b'9:{"toolCallId":"c1","toolName":"t","args":{"x":1}}\n'
        b'a:{"toolCallId":"c1","result":"ok"}\n'
        b'e:{"finishReason":"tool-calls","usage":{"promptTokens":5,"completionTokens":3},"isContinued":false}\n'
        b'd:{"finishReason":"stop","usage":{"promptTokens":9,"completionTokens":7}}\n'
    )
    assert message(body) == {
        "role": "assistant",
        "id": None,
        "content": [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"x": 1}, "argsText": '{"x": 1}', "result": "ok", "isError": False}],
        "status": {"type": "complete", "reason": "stop"},
        "metadata": {
            "unstable_state": None,
            "unstable_data": [],
            "unstable_annotations": [],
            "steps": [{"state": "finished", "messageId": None, "finishReason": "tool-calls", "usage": {"inputTokens": 5, "outputTokens": 3}, "isContinued": False}],
            "custom": {},
        },
    }


def test_error_is_not_fatal_and_leaves_args_open() -> None:
    body = (
        b'b:{"toolCallId": "c1", "toolName": "t"}\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": "{\\"a\\""}\n'
        b'3:"transient problem"\n'
        b'c:{"toolCallId": "c1", "argsTextDelta": ": 1}"}\n'
        b'0:"after"\n'
    )
    msg = message(body)
    assert msg["content"][0]["args"] == {"a": 1}
    assert msg["content"][1] == {"type": "text", "text": "after"}
    assert msg["status"] == {"type": "incomplete", "reason": "error", "error": {"code": "unknown", "message": "transient problem"}}


def test_args_closed_by_decoder_at_step_finish_finish_and_eof() -> None:
    for closer in (b'e:{"finishReason": "tool-calls"}\n', b'd:{"finishReason": "tool-calls"}\n', b""):
        body = b'b:{"toolCallId": "c1", "toolName": "t"}\nc:{"toolCallId": "c1", "argsTextDelta": "{\\"a\\": 2}"}\n' + closer
        evs = events(body)
        closing = [e for e in evs if e["type"] == "tool-call"]
        assert closing == [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": 2}, "argsText": '{"a": 2}'}]
        # the closing event comes before the step/finish event
        if closer:
            assert evs[-1]["type"] in ("step-finish", "finish")
            assert evs[-2]["type"] == "tool-call"


def test_finish_defaults() -> None:
    evs = events(b"d:{}\ne:null\nf:null\n")
    assert evs == [
        {"type": "finish", "finishReason": "unknown"},
        {"type": "step-finish", "finishReason": "unknown", "usage": None, "isContinued": False},
        {"type": "step-start", "messageId": None},
    ]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    evs, _ = decode(b'0:"a\xffb"\n0:"ok"\n')
    assert evs == [{"type": "text-delta", "delta": "a\ufffdb"}, {"type": "text-delta", "delta": "ok"}]


def test_unicode_escapes_and_lone_surrogates() -> None:
    body = b'0:"\\ud83d\\ude00 \\u2028"\n0:"\\ud83d!"\n'
    msg = message(body)
    assert msg["content"] == [{"type": "text", "text": "\U0001f600 \u2028\ud83d!"}]


def test_big_integers_keep_their_precision() -> None:
    msg = message(b'2:[123456789012345678901234567890, -98765432109876543210]\n')
    assert msg["metadata"]["unstable_data"] == [123456789012345678901234567890, -98765432109876543210]
