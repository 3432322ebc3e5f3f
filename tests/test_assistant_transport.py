"""assistant-transport (docs/wire-formats.md §5): canonical chunks, validation, legacy flat form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant_ui.decoding import MessageAccumulator, StreamDecoder


def sse(*chunks: Any, done: bool = True) -> bytes:
    body = "".join(f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks)
    if done:
        body += "data: [DONE]\n\n"
    return body.encode()


def decode(body: bytes, **kwargs: Any) -> tuple[list[Any], StreamDecoder]:
    kwargs.setdefault("content_type", "text/event-stream")
    decoder = StreamDecoder(**kwargs)
    return decoder.decode(body), decoder


def accumulate(body: bytes, **kwargs: Any) -> tuple[Any, StreamDecoder, MessageAccumulator]:
    evs, decoder = decode(body, **kwargs)
    acc = MessageAccumulator()
    acc.add_all(evs)
    return acc.finish(), decoder, acc


def part_start(part: dict[str, Any]) -> dict[str, Any]:
    return {"type": "part-start", "part": part, "path": []}


def td(text: str, index: int) -> dict[str, Any]:
    return {"type": "text-delta", "textDelta": text, "path": [index]}


def tool(call_id: str, name: str = "t") -> dict[str, Any]:
    return part_start({"type": "tool-call", "toolCallId": call_id, "toolName": name})


# -- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        part_start({"type": "text"}),
        {"type": "step-start", "messageId": "m"},
        {"type": "update-state", "operations": []},
        {"type": "text-delta", "textDelta": "x", "path": [0]},
        {"type": "data", "data": [1]},
    ],
)
@pytest.mark.parametrize("content_type", ["text/event-stream", None])
def test_detected_from_the_first_payload(first: dict[str, Any], content_type: str | None) -> None:
    _, decoder = decode(b": heartbeat\n\n" + sse(first), content_type=content_type)
    assert decoder.protocol == "assistant-transport"


def test_forced_protocol() -> None:
    _, decoder = decode(sse({"type": "error", "error": "x"}), protocol="assistant-transport")
    assert decoder.protocol == "assistant-transport"


# -- canonical chunks ---------------------------------------------------------------------------


def test_all_canonical_part_kinds() -> None:
    body = sse(
        {"type": "step-start", "messageId": "m1"},
        part_start({"type": "reasoning", "unstable_summary": "S", "parentId": "p"}),
        td("think", 0),
        {"type": "part-finish", "path": [0]},
        part_start({"type": "text"}),
        td("Hel", 1),
        td("lo", 1),
        {"type": "part-finish", "path": [1]},
        part_start({"type": "source", "sourceType": "url", "id": "s1", "url": "https://e.com", "title": "E"}),
        {"type": "part-finish", "path": [2]},
        part_start({"type": "file", "data": "aGk=", "mimeType": "text/plain"}),
        {"type": "part-finish", "path": [3]},
        part_start({"type": "data", "name": "chart", "data": {"x": 1}}),
        {"type": "part-finish", "path": [4]},
        tool("c1", "search"),
        td('{"q": ', 5),
        td('"x"}', 5),
        {"type": "result", "result": {"hits": 3}, "isError": False, "artifact": {"raw": 1}, "path": [5]},
        {"type": "tool-call-args-text-finish", "path": [5]},
        {"type": "part-finish", "path": [5]},
        {"type": "annotations", "annotations": [{"a": 1}]},
        {"type": "data", "data": [{"d": 1}, 2]},
        {"type": "update-state", "operations": [{"type": "set", "path": ["k"], "value": "v"}]},
        {"type": "step-finish", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": False},
        {"type": "message-finish", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}},
    )
    msg, decoder, acc = accumulate(body)
    assert decoder.warnings == [] and acc.warnings == []
    assert msg == {
        "role": "assistant",
        "id": "m1",
        "content": [
            {"type": "reasoning", "text": "think", "summary": "S", "parentId": "p"},
            {"type": "text", "text": "Hello"},
            {"type": "source", "sourceType": "url", "id": "s1", "url": "https://e.com", "title": "E"},
            {"type": "file", "data": "aGk=", "mimeType": "text/plain"},
            {"type": "data", "name": "chart", "data": {"x": 1}},
            {
                "type": "tool-call",
                "toolCallId": "c1",
                "toolName": "search",
                "args": {"q": "x"},
                "argsText": '{"q": "x"}',
                "result": {"hits": 3},
                "isError": False,
                "artifact": {"raw": 1},
            },
        ],
        "status": {"type": "complete", "reason": "stop"},
        "metadata": {
            "unstable_state": {"k": "v"},
            "unstable_data": [{"d": 1}, 2],
            "unstable_annotations": [{"a": 1}],
            "steps": [{"state": "finished", "messageId": "m1", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": False}],
            "custom": {},
        },
    }
    assert acc.usage == {"inputTokens": 1, "outputTokens": 2}


def test_two_text_parts_with_part_start_stay_separate() -> None:
    body = sse(part_start({"type": "text"}), td("a", 0), {"type": "part-finish", "path": [0]}, part_start({"type": "text"}), td("b", 1))
    msg, _, _ = accumulate(body)
    assert msg["content"] == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]


def test_result_after_part_finish_deferred_hitl() -> None:
    body = sse(
        tool("c1"),
        td("{}", 0),
        {"type": "tool-call-args-text-finish", "path": [0]},
        {"type": "part-finish", "path": [0]},
        part_start({"type": "text"}),
        td("waiting", 1),
        {"type": "result", "result": "approved", "path": [0]},
    )
    msg, decoder, _ = accumulate(body)
    assert msg["content"][0]["result"] == "approved"
    assert msg["content"][0]["isError"] is False
    assert msg["status"] == {"type": "complete", "reason": "unknown"}
    assert decoder.warnings == []


def test_pending_tool_call_requires_action() -> None:
    body = sse(tool("c1"), td('{"a": 1}', 0), {"type": "tool-call-args-text-finish", "path": [0]}, {"type": "part-finish", "path": [0]})
    msg, _, _ = accumulate(body)
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": 1}, "argsText": '{"a": 1}'}]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_args_finish_ignored_in_other_states() -> None:
    body = sse(
        tool("c1"),
        {"type": "result", "result": 1, "path": [0]},
        {"type": "tool-call-args-text-finish", "path": [0]},
        {"type": "tool-call-args-text-finish", "path": [0]},
    )
    evs, decoder = decode(body)
    assert [e["type"] for e in evs] == ["tool-call-start", "tool-call", "tool-result"]
    assert decoder.warnings == []


def test_message_level_result_is_dropped() -> None:
    body = sse({"type": "result", "result": 1, "path": []}, part_start({"type": "text"}), td("x", 0))
    msg, decoder, _ = accumulate(body)
    assert msg["content"] == [{"type": "text", "text": "x"}]
    assert decoder.warnings


@pytest.mark.parametrize(
    "bad",
    [
        td("x", 5),  # no part there
        {"type": "text-delta", "textDelta": "x", "path": [0, 1]},  # nested
        {"type": "text-delta", "textDelta": "x", "path": ["0"]},  # not an int
        {"type": "text-delta", "textDelta": "x", "path": [-1]},
        {"type": "text-delta", "textDelta": 5, "path": [0]},  # wrong field type
        {"type": "part-start"},  # no part
        {"type": "update-state", "operations": {"not": "a list"}},
        {"type": "tool-call-args-text-finish", "path": [9]},
        {"type": "annotations", "annotations": {"not": "an array"}},
        {"type": "part-start", "part": {"type": "text"}, "path": [0]},  # nested part
    ],
)
def test_validation_failures_are_dropped_with_a_warning(bad: dict[str, Any]) -> None:
    body = sse(part_start({"type": "text"}), td("a", 0), bad, td("b", 0))
    msg, decoder, _ = accumulate(body)
    assert msg["content"] == [{"type": "text", "text": "ab"}]
    assert decoder.warnings
    assert msg["status"] == {"type": "complete", "reason": "unknown"}


def test_text_delta_into_a_source_part_is_dropped() -> None:
    body = sse(part_start({"type": "source", "sourceType": "url", "id": "s", "url": "https://x"}), td("x", 0))
    msg, decoder, _ = accumulate(body)
    assert msg["content"] == [{"type": "source", "sourceType": "url", "id": "s", "url": "https://x"}]
    assert decoder.warnings


def test_unknown_part_type_keeps_indices_aligned() -> None:
    body = sse(part_start({"type": "hologram"}), part_start({"type": "text"}), td("a", 1), td("lost", 0))
    msg, decoder, _ = accumulate(body)
    assert msg["content"] == [{"type": "text", "text": "a"}]
    assert len(decoder.warnings) == 2


def test_unknown_chunk_type_is_raw_with_a_warning() -> None:
    body = sse(part_start({"type": "text"}), {"type": "future-chunk", "x": 1}, td("a", 0), "[1, 2]")
    evs, decoder = decode(body)
    assert {"type": "raw", "event": "message", "data": {"type": "future-chunk", "x": 1}} in evs
    assert {"type": "raw", "event": "message", "data": [1, 2]} in evs
    assert len(decoder.warnings) == 2


def test_error_with_code_and_severity() -> None:
    body = sse(part_start({"type": "text"}), td("a", 0), {"type": "error", "error": "bad", "code": "E1", "severity": "warning"})
    msg, _, _ = accumulate(body)
    assert msg["status"] == {"type": "incomplete", "reason": "error", "error": {"code": "E1", "message": "bad", "severity": "warning"}}


def test_message_finish_does_not_overwrite_error() -> None:
    body = sse({"type": "error", "error": "bad"}, {"type": "message-finish", "finishReason": "stop", "usage": {}})
    msg, _, _ = accumulate(body)
    assert msg["status"]["reason"] == "error"


# -- [DONE] and end of stream ----------------------------------------------------------------------


def test_everything_after_done_is_ignored() -> None:
    body = sse(part_start({"type": "text"}), td("a", 0)) + sse(td("b", 0), done=False)
    msg, decoder, _ = accumulate(body)
    assert msg["content"] == [{"type": "text", "text": "a"}]
    assert decoder.done


def test_eof_without_done_is_a_warning_and_the_message_is_finalized() -> None:
    body = sse(tool("c1"), td('{"a": [1', 0), done=False)
    msg, decoder, _ = accumulate(body)
    assert any("[DONE]" in w for w in decoder.warnings)
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": [1]}, "argsText": '{"a": [1'}]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_heartbeats_and_other_comments() -> None:
    body = b": heartbeat\n\n" + sse(part_start({"type": "text"})) [: -len(b"data: [DONE]\n\n")] + b": heartbeat\n\n: x\n" + sse(td("a", 0))
    msg, decoder, _ = accumulate(body)
    assert msg["content"] == [{"type": "text", "text": "a"}]
    assert decoder.warnings == []


# -- legacy flat form ---------------------------------------------------------------------------


def test_legacy_flat_form() -> None:
    body = sse(
        {"type": "reasoning-delta", "reasoningDelta": "hmm", "parentId": None},
        {"type": "text-delta", "textDelta": "Hi ", "parentId": None},
        {"type": "text-delta", "textDelta": "there", "parentId": None},
        {"type": "tool-call-begin", "toolCallId": "c1", "toolName": "get", "parentId": None},
        {"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": '{"k": 1}'},
        {"type": "tool-result", "toolCallId": "c1", "result": {"v": 2}, "artifact": None, "isError": False},
        {"type": "data", "data": [1, 2]},
        {"type": "data", "data": {"x": 1}},
        {"type": "source", "id": "s1", "url": "https://e.com", "sourceType": "url", "title": None, "parentId": None},
        {"type": "update-state", "operations": [{"type": "set", "path": ["a"], "value": 1}]},
        {"type": "text-delta", "textDelta": "sub", "parentId": "p1"},
        {"type": "error", "error": "late"},
    )
    msg, decoder, acc = accumulate(body)
    assert decoder.protocol == "assistant-transport"
    assert decoder.warnings == [] and acc.warnings == []
    assert msg == {
        "role": "assistant",
        "id": None,
        "content": [
            {"type": "reasoning", "text": "hmm"},
            {"type": "text", "text": "Hi there"},
            {"type": "tool-call", "toolCallId": "c1", "toolName": "get", "args": {"k": 1}, "argsText": '{"k": 1}', "result": {"v": 2}, "isError": False},
            {"type": "source", "sourceType": "url", "id": "s1", "url": "https://e.com"},
            {"type": "text", "text": "sub", "parentId": "p1"},
        ],
        "status": {"type": "incomplete", "reason": "error", "error": {"code": "unknown", "message": "late"}},
        "metadata": {
            # legacy data is not wrapped: a list value is one item
            "unstable_data": [[1, 2], {"x": 1}],
            "unstable_state": {"a": 1},
            "unstable_annotations": [],
            "steps": [],
            "custom": {},
        },
    }


def test_legacy_result_for_unknown_call_and_missing_result() -> None:
    body = sse(
        {"type": "text-delta", "textDelta": "x"},
        {"type": "tool-result", "toolCallId": "zz", "result": 1},
        {"type": "tool-call-begin", "toolCallId": "c1", "toolName": "t"},
        {"type": "tool-result", "toolCallId": "c1"},
    )
    msg, decoder, _ = accumulate(body)
    assert msg["content"][1]["result"] == "<no result>"
    assert msg["content"][1]["argsText"] == "{}"
    assert len(decoder.warnings) == 1


def test_canonical_data_is_unwrapped_even_without_a_path() -> None:
    """Py >= 0.0.35 sends ``{"type": "data", "data": [value]}`` with no path."""
    body = sse({"type": "data", "data": [[1, 2]]}, part_start({"type": "text"}), {"type": "data", "data": [{"x": 1}]})
    msg, _, _ = accumulate(body)
    assert msg["metadata"]["unstable_data"] == [[1, 2], {"x": 1}]


def test_the_dialect_is_freed_without_the_garbage_collector() -> None:
    """No reference cycle per call (a handler table of bound methods made one): a decoder
    and its dialect go as soon as the last reference does, with a held step finish too."""
    import gc
    import weakref

    body = b"".join(
        b"data: " + json.dumps(chunk).encode() + b"\n\n"
        for chunk in [
            {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "c1", "toolName": "t"}, "path": []},
            {"type": "step-finish", "finishReason": "tool-calls"},  # held: c1 is open
            {"type": "text-delta", "textDelta": "{}", "path": [0]},
            {"type": "part-finish", "path": [0]},
        ]
    ) + b"data: [DONE]\n\n"
    gc.disable()
    try:
        decoder = StreamDecoder(protocol="assistant-transport")
        kinds = [e["type"] for e in decoder.decode(body)]
        assert kinds.index("tool-call") < kinds.index("step-finish")
        dialect = weakref.ref(decoder._dialect)
        del decoder
        assert dialect() is None
    finally:
        gc.enable()
