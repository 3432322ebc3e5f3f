"""The message accumulator (docs/wire-formats.md §3) and the worked examples of §4 and §5.4."""

from __future__ import annotations

from typing import Any

import pytest

from assistant_ui.decoding import MessageAccumulator, StreamDecoder


def run(events: list[dict[str, Any]], **kwargs: Any) -> MessageAccumulator:
    acc = MessageAccumulator(**kwargs)
    acc.add_all(events)
    acc.finish()
    return acc


def message_of(events: list[dict[str, Any]], **kwargs: Any) -> Any:
    return run(events, **kwargs).message


def empty_metadata(**changes: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "unstable_state": None,
        "unstable_data": [],
        "unstable_annotations": [],
        "steps": [],
        "custom": {},
    }
    meta.update(changes)
    return meta


def T(delta: str, parent: str | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": "text-delta", "delta": delta}
    if parent is not None:
        ev["parentId"] = parent
    return ev


def R(delta: str, parent: str | None = None) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": "reasoning-delta", "delta": delta}
    if parent is not None:
        ev["parentId"] = parent
    return ev


def start(call_id: str, name: str = "t") -> dict[str, Any]:
    return {"type": "tool-call-start", "toolCallId": call_id, "toolName": name}


def delta(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "tool-call-delta", "toolCallId": call_id, "argsTextDelta": text}


def result(call_id: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "tool-result", "toolCallId": call_id, "result": value, "isError": False, **extra}


FINISH_STEP = {"type": "step-finish", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": False}


# -- worked examples: whole messages ----------------------------------------------------

SPEC_4_EXAMPLE = b"""f:{"messageId": "msg_1"}
g:"Let me check."
0:"Checking"
0:" the weather."
b:{"toolCallId": "call_1", "toolName": "get_weather"}
c:{"toolCallId": "call_1", "argsTextDelta": "{\\"city\\": "}
c:{"toolCallId": "call_1", "argsTextDelta": "\\"NYC\\"}"}
aui-state:[{"type": "set", "path": ["status"], "value": "running"}]
a:{"toolCallId": "call_1", "result": {"temp": 70}}
2:[{"progress": 1}]
h:{"sourceType": "url", "id": "s1", "url": "https://example.com", "title": "Example"}

0:"It is sunny."
e:{"finishReason": "stop", "usage": {"inputTokens": 12, "outputTokens": 34}, "isContinued": false}
"""

SPEC_4_MESSAGE = {
    "role": "assistant",
    "id": "msg_1",
    "content": [
        {"type": "reasoning", "text": "Let me check."},
        {"type": "text", "text": "Checking the weather."},
        {
            "type": "tool-call",
            "toolCallId": "call_1",
            "toolName": "get_weather",
            "args": {"city": "NYC"},
            "argsText": '{"city": "NYC"}',
            "result": {"temp": 70},
            "isError": False,
        },
        {"type": "source", "sourceType": "url", "id": "s1", "url": "https://example.com", "title": "Example"},
        {"type": "text", "text": "It is sunny."},
    ],
    "status": {"type": "complete", "reason": "stop"},  # no d:, but the step said "stop"
    "metadata": {
        "unstable_state": {"status": "running"},
        "unstable_data": [{"progress": 1}],
        "unstable_annotations": [],
        "steps": [
            {
                "state": "finished",
                "messageId": "msg_1",
                "finishReason": "stop",
                "usage": {"inputTokens": 12, "outputTokens": 34},
                "isContinued": False,
            }
        ],
        "custom": {},
    },
}


@pytest.mark.parametrize("piece", [1, 7, 10_000])
def test_spec_section_4_example_whole_message(piece: int) -> None:
    decoder = StreamDecoder(content_type="text/plain; charset=utf-8")
    acc = MessageAccumulator()
    for i in range(0, len(SPEC_4_EXAMPLE), piece):
        acc.add_all(decoder.feed(SPEC_4_EXAMPLE[i : i + piece]))
    acc.add_all(decoder.end())
    assert acc.finish() == SPEC_4_MESSAGE
    assert decoder.protocol == "data-stream"
    assert decoder.warnings == [] and acc.warnings == []
    assert acc.finish_reason == "stop"
    assert acc.usage == {"inputTokens": 12, "outputTokens": 34}


SPEC_5_4_EXAMPLE = b""": heartbeat

data: {"type": "step-start", "messageId": "m1"}

data: {"type": "part-start", "part": {"type": "text"}, "path": []}

data: {"type": "text-delta", "textDelta": "Hi", "path": [0]}

data: {"type": "part-finish", "path": [0]}

data: {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "t1", "toolName": "search"}, "path": []}

data: {"type": "text-delta", "textDelta": "{\\"q\\": \\"x\\"}", "path": [1]}

data: {"type": "tool-call-args-text-finish", "path": [1]}

data: {"type": "part-finish", "path": [1]}

data: {"type": "update-state", "operations": [{"type": "set", "path": ["log"], "value": "search"}, {"type": "append-text", "path": ["log"], "value": "ing"}]}

data: {"type": "step-finish", "finishReason": "tool-calls", "usage": {"inputTokens": 3, "outputTokens": 4}, "isContinued": false}

data: [DONE]

"""

SPEC_5_4_MESSAGE = {
    "role": "assistant",
    "id": "m1",
    "content": [
        {"type": "text", "text": "Hi"},
        {"type": "tool-call", "toolCallId": "t1", "toolName": "search", "args": {"q": "x"}, "argsText": '{"q": "x"}'},
    ],
    "status": {"type": "requires-action", "reason": "tool-calls"},
    "metadata": {
        "unstable_state": {"log": "searching"},
        "unstable_data": [],
        "unstable_annotations": [],
        "steps": [
            {
                "state": "finished",
                "messageId": "m1",
                "finishReason": "tool-calls",
                "usage": {"inputTokens": 3, "outputTokens": 4},
                "isContinued": False,
            }
        ],
        "custom": {},
    },
}


@pytest.mark.parametrize("piece", [1, 13, 10_000])
@pytest.mark.parametrize("content_type", ["text/event-stream", None])
def test_spec_section_5_4_example_whole_message(piece: int, content_type: str | None) -> None:
    decoder = StreamDecoder(content_type=content_type)
    acc = MessageAccumulator()
    for i in range(0, len(SPEC_5_4_EXAMPLE), piece):
        acc.add_all(decoder.feed(SPEC_5_4_EXAMPLE[i : i + piece]))
    acc.add_all(decoder.end())
    assert acc.finish() == SPEC_5_4_MESSAGE
    assert decoder.protocol == "assistant-transport"
    assert decoder.done
    assert decoder.warnings == [] and acc.warnings == []


# -- status rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("stop", {"type": "complete", "reason": "stop"}),
        ("unknown", {"type": "complete", "reason": "unknown"}),
        ("tool-calls", {"type": "requires-action", "reason": "tool-calls"}),
        ("length", {"type": "incomplete", "reason": "length"}),
        ("content-filter", {"type": "incomplete", "reason": "content-filter"}),
        ("other", {"type": "incomplete", "reason": "other"}),
        ("error", {"type": "incomplete", "reason": "error"}),
    ],
)
def test_finish_reason_to_status(reason: str, status: dict[str, Any]) -> None:
    acc = run([T("x"), {"type": "finish", "finishReason": reason}])
    assert acc.message["status"] == status
    assert acc.finish_reason == reason


def test_status_is_running_until_the_end() -> None:
    acc = MessageAccumulator()
    acc.add(T("x"))
    assert acc.message["status"] == {"type": "running"}
    acc.add(FINISH_STEP)
    assert acc.message["status"] == {"type": "running"}  # step-finish does not change it
    # ... until the end: with no finish event, the last step's reason settles the status
    assert acc.finish()["status"] == {"type": "complete", "reason": "stop"}


def test_error_sets_incomplete_error_whatever_the_severity() -> None:
    for severity in (None, "critical", "warning", "info"):
        ev: dict[str, Any] = {"type": "error", "error": "boom"}
        if severity:
            ev["severity"] = severity
        error: dict[str, Any] = {"code": "unknown", "message": "boom"}
        if severity:
            error["severity"] = severity
        assert message_of([T("a"), ev])["status"] == {"type": "incomplete", "reason": "error", "error": error}


def test_error_code_is_kept() -> None:
    msg = message_of([{"type": "error", "error": "slow down", "code": "rate_limited"}])
    assert msg["status"]["error"] == {"code": "rate_limited", "message": "slow down"}


def test_a_finish_never_overwrites_an_error() -> None:
    msg = message_of([{"type": "error", "error": "boom"}, {"type": "finish", "finishReason": "stop"}])
    assert msg["status"] == {"type": "incomplete", "reason": "error", "error": {"code": "unknown", "message": "boom"}}


def test_an_error_after_a_finish_wins() -> None:
    msg = message_of([{"type": "finish", "finishReason": "stop"}, {"type": "error", "error": "late"}])
    assert msg["status"]["reason"] == "error"


def test_end_with_a_pending_tool_call_requires_action() -> None:
    msg = message_of([start("c1"), delta("c1", '{"a": 1}')])
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_end_with_all_results_is_complete_unknown() -> None:
    msg = message_of([start("c1"), result("c1", 1)])
    assert msg["status"] == {"type": "complete", "reason": "unknown"}


def test_cancelled_and_interrupted() -> None:
    acc = MessageAccumulator()
    acc.add(T("x"))
    assert acc.finish(cancelled=True)["status"] == {"type": "incomplete", "reason": "cancelled"}
    acc = MessageAccumulator()
    interrupted = {"type": "incomplete", "reason": "error", "error": {"code": "connection-error", "message": "x"}}
    assert acc.finish(interrupted=interrupted)["status"] == interrupted  # type: ignore[arg-type]


def test_finish_is_idempotent_and_freezes() -> None:
    acc = MessageAccumulator()
    acc.add(T("x"))
    first = acc.finish()
    acc.add(T("y"))
    assert acc.finish() is first
    assert acc.text == "x"
    assert acc.finished


# -- append target grouping ------------------------------------------------------------------------


def test_consecutive_text_deltas_extend_one_part() -> None:
    assert message_of([T("a"), T("b"), T("c")])["content"] == [{"type": "text", "text": "abc"}]


def test_kind_change_opens_new_parts() -> None:
    assert message_of([T("a"), R("r"), T("b"), R("s"), R("t")])["content"] == [
        {"type": "text", "text": "a"},
        {"type": "reasoning", "text": "r"},
        {"type": "text", "text": "b"},
        {"type": "reasoning", "text": "st"},
    ]


def test_parent_change_opens_new_parts() -> None:
    assert message_of([T("a"), T("b", "p1"), T("c", "p1"), T("d", "p2"), T("e")])["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "bc", "parentId": "p1"},
        {"type": "text", "text": "d", "parentId": "p2"},
        {"type": "text", "text": "e"},
    ]


@pytest.mark.parametrize(
    "splitter",
    [
        start("c1"),
        {"type": "source", "sourceType": "url", "id": "s", "url": "https://x"},
        {"type": "file", "data": "aGk=", "mimeType": "text/plain"},
        {"type": "data", "name": "chart", "data": {"x": 1}},
        {"type": "reasoning-start"},
        {"type": "text-start"},
    ],
)
def test_part_creating_events_end_the_append_target(splitter: dict[str, Any]) -> None:
    content = message_of([T("a"), splitter, T("b")])["content"]
    assert content[0] == {"type": "text", "text": "a"}
    assert content[-1] == {"type": "text", "text": "b"}
    assert len(content) == (2 if splitter["type"] == "text-start" else 3)


@pytest.mark.parametrize(
    "between",
    [
        {"type": "data", "data": [1]},
        {"type": "annotations", "annotations": [1]},
        {"type": "state-update", "operations": [{"type": "set", "path": ["a"], "value": 1}]},
        {"type": "step-start", "messageId": "m"},
        FINISH_STEP,
        {"type": "raw", "event": "x", "data": 1},
    ],
)
def test_non_part_events_do_not_split_text(between: dict[str, Any]) -> None:
    assert message_of([T("a"), between, T("b")])["content"] == [{"type": "text", "text": "ab"}]


def test_reasoning_start_carries_summary_and_becomes_target() -> None:
    msg = message_of([R("x"), {"type": "reasoning-start", "summary": "S"}, R("y"), R("z")])
    assert msg["content"] == [
        {"type": "reasoning", "text": "x"},
        {"type": "reasoning", "text": "yz", "summary": "S"},
    ]


def test_text_start_opens_an_empty_part() -> None:
    assert message_of([{"type": "text-start"}])["content"] == [{"type": "text", "text": ""}]


def test_text_property_concatenates_without_separator() -> None:
    acc = run([T("a"), start("c"), T("b")])
    assert acc.text == "ab"


# -- tool calls --------------------------------------------------------------------------------------


def test_streamed_args_are_partial_json_parsed_in_snapshots() -> None:
    acc = MessageAccumulator()
    acc.add(start("c1", "get_weather"))
    part = acc.message["content"][0]
    assert part == {"type": "tool-call", "toolCallId": "c1", "toolName": "get_weather", "args": {}, "argsText": ""}
    acc.add(delta("c1", '{"city": "N'))
    assert acc.message["content"][0]["args"] == {"city": "N"}
    assert acc.message["content"][0]["argsText"] == '{"city": "N'
    acc.add(delta("c1", 'Y", "x": ['))
    assert acc.message["content"][0]["args"] == {"city": "NY", "x": []}
    acc.add(delta("c1", "}}"))  # not JSON: the last good object stays
    assert acc.message["content"][0]["args"] == {"city": "NY", "x": []}
    assert acc.message["content"][0]["argsText"] == '{"city": "N' + 'Y", "x": [' + "}}"


def test_snapshot_is_not_changed_by_later_events() -> None:
    acc = MessageAccumulator()
    acc.add(T("a"))
    acc.add(start("c1"))
    acc.add(delta("c1", '{"a": 1'))
    snap = acc.message
    acc.add(delta("c1", "}"))
    acc.add(result("c1", "r"))
    acc.add({"type": "data", "data": [1]})
    acc.add(FINISH_STEP)
    assert snap["content"] == [
        {"type": "text", "text": "a"},
        {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": 1}, "argsText": '{"a": 1'},
    ]
    assert snap["metadata"] == empty_metadata()
    assert snap["status"] == {"type": "running"}


@pytest.mark.parametrize(
    "closer",
    [
        FINISH_STEP,
        {"type": "finish", "finishReason": "tool-calls"},
        None,  # end of stream
    ],
)
def test_args_close_at_step_finish_finish_and_eof(closer: dict[str, Any] | None) -> None:
    acc = MessageAccumulator()
    acc.add_all([start("c1"), delta("c1", '{"a": '), start("c2")])
    if closer is not None:
        acc.add(closer)
        # a late delta for a closed call is dropped with a warning
        acc.add(delta("c1", "1}"))
        assert any("c1" in w for w in acc.warnings)
    msg = acc.finish()
    c1, c2 = msg["content"]
    assert c1["argsText"] == '{"a": ' and c1["args"] == {}
    assert c2["argsText"] == "{}" and c2["args"] == {}


def test_tool_call_event_after_streaming_keeps_the_streamed_text() -> None:
    msg = message_of([start("c1"), delta("c1", '{"a": 1}'), {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": 1}, "argsText": '{"a": 1}'}])
    assert msg["content"][0]["argsText"] == '{"a": 1}'
    assert msg["content"][0]["args"] == {"a": 1}


def test_tool_call_event_for_a_new_call_creates_it() -> None:
    msg = message_of([{"type": "tool-call", "toolCallId": "c9", "toolName": "x", "args": {"k": [1]}, "argsText": '{"k": [1]}'}])
    assert msg["content"] == [{"type": "tool-call", "toolCallId": "c9", "toolName": "x", "args": {"k": [1]}, "argsText": '{"k": [1]}'}]
    assert msg["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_result_closes_args_with_empty_object() -> None:
    msg = message_of([start("c1"), result("c1", {"ok": True}, artifact={"a": 1})])
    assert msg["content"] == [
        {
            "type": "tool-call",
            "toolCallId": "c1",
            "toolName": "t",
            "args": {},
            "argsText": "{}",
            "result": {"ok": True},
            "isError": False,
            "artifact": {"a": 1},
        }
    ]


def test_error_result() -> None:
    msg = message_of([start("c1"), {"type": "tool-result", "toolCallId": "c1", "result": "nope", "isError": True}])
    assert msg["content"][0]["isError"] is True
    assert msg["content"][0]["result"] == "nope"


def test_unknown_ids_are_dropped_with_warnings() -> None:
    acc = run([delta("zz", "{}"), result("zz", 1), T("a")])
    assert acc.message["content"] == [{"type": "text", "text": "a"}]
    assert len(acc.warnings) == 2


def test_duplicate_start_is_dropped() -> None:
    acc = run([start("c1", "a"), start("c1", "b")])
    assert len(acc.message["content"]) == 1
    assert acc.message["content"][0]["toolName"] == "a"
    assert acc.warnings


def test_parallel_tool_calls_interleaved() -> None:
    msg = message_of(
        [start("c1", "a"), start("c2", "b"), delta("c2", '{"y"'), delta("c1", '{"x": 1}'), delta("c2", ": 2}"), result("c2", "B"), result("c1", "A")]
    )
    assert [(p["toolCallId"], p["args"], p["result"]) for p in msg["content"]] == [
        ("c1", {"x": 1}, "A"),
        ("c2", {"y": 2}, "B"),
    ]
    assert msg["status"] == {"type": "complete", "reason": "unknown"}


# -- data, annotations, sources, files, steps, usage ----------------------------------------------------


def test_data_and_annotations_extend_lists() -> None:
    msg = message_of(
        [
            {"type": "data", "data": [1, {"a": 2}]},
            {"type": "data", "data": [3]},
            {"type": "annotations", "annotations": [{"x": 1}]},
            {"type": "annotations", "annotations": [{"y": 2}]},
        ]
    )
    assert msg["metadata"]["unstable_data"] == [1, {"a": 2}, 3]
    assert msg["metadata"]["unstable_annotations"] == [{"x": 1}, {"y": 2}]
    assert msg["content"] == []


def test_named_data_parts_replace_by_name_and_id() -> None:
    msg = message_of(
        [
            {"type": "data", "name": "w", "id": "1", "data": "loading"},
            {"type": "data", "name": "w", "id": "1", "data": "done"},
            {"type": "data", "name": "w", "data": "other"},
        ]
    )
    assert msg["content"] == [
        {"type": "data", "name": "w", "data": "done", "id": "1"},
        {"type": "data", "name": "w", "data": "other"},
    ]


def test_steps() -> None:
    msg = message_of(
        [
            {"type": "step-start", "messageId": "a"},
            FINISH_STEP,
            {"type": "step-start", "messageId": "b"},
            {"type": "step-finish", "finishReason": "tool-calls", "usage": {"inputTokens": 5, "outputTokens": 6}, "isContinued": True},
            {"type": "step-start", "messageId": "c"},
        ]
    )
    assert msg["metadata"]["steps"] == [
        {"state": "finished", "messageId": "a", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": False},
        {"state": "finished", "messageId": "b", "finishReason": "tool-calls", "usage": {"inputTokens": 5, "outputTokens": 6}, "isContinued": True},
        {"state": "started", "messageId": "c"},
    ]
    assert msg["id"] == "a"


def test_step_finish_without_a_start_appends_a_finished_step() -> None:
    msg = message_of([FINISH_STEP])
    assert msg["metadata"]["steps"] == [
        {"state": "finished", "messageId": None, "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": False}
    ]


@pytest.mark.parametrize(
    "usage",
    [
        {"inputTokens": 9, "outputTokens": 7},
        {"promptTokens": 9, "completionTokens": 7},
        {"prompt_tokens": 9, "completion_tokens": 7},
    ],
)
def test_usage_spellings(usage: dict[str, Any]) -> None:
    acc = run([{"type": "finish", "finishReason": "stop", "usage": usage}])
    assert acc.usage == {"inputTokens": 9, "outputTokens": 7}


def test_usage_missing_or_not_numbers() -> None:
    # no count sent: no usage (never made-up zeros), and the step shows none either
    acc = run([{"type": "step-finish", "finishReason": "stop", "usage": {"promptTokens": "NaN", "completionTokens": None}, "isContinued": False}])
    assert acc.usage is None
    assert "usage" not in acc.finish()["metadata"]["steps"][0]
    acc = run([{"type": "step-finish", "finishReason": "stop", "usage": None, "isContinued": False}])
    assert acc.usage is None
    # only the counts that were sent
    acc = run([{"type": "finish", "finishReason": "stop", "usage": {"promptTokens": 4}}])
    assert acc.usage == {"inputTokens": 4}


def test_metadata_event_merges_custom_and_sets_id() -> None:
    msg = message_of(
        [
            {"type": "metadata", "messageId": "m9", "metadata": {"a": {"b": 1}}},
            {"type": "metadata", "metadata": {"a": {"c": 2}, "d": 3}},
        ]
    )
    assert msg["id"] == "m9"
    assert msg["metadata"]["custom"] == {"a": {"b": 1, "c": 2}, "d": 3}


def test_message_id_from_constructor_wins_over_step_start() -> None:
    assert message_of([{"type": "step-start", "messageId": "s"}], message_id="given")["id"] == "given"


def test_initial_state_is_not_mutated() -> None:
    state = {"log": "a", "xs": [1]}
    msg = message_of(
        [{"type": "state-update", "operations": [{"type": "append-text", "path": ["log"], "value": "b"}, {"type": "set", "path": ["xs", "1"], "value": 2}]}],
        state=state,
    )
    assert msg["metadata"]["unstable_state"] == {"log": "ab", "xs": [1, 2]}
    assert state == {"log": "a", "xs": [1]}


def test_reset_goes_back_to_the_initial_state() -> None:
    """A replayed stream (resume from byte 0) must not apply state operations twice."""
    events = [
        T("hi"),
        {"type": "state-update", "operations": [{"type": "append-text", "path": ["log"], "value": "x"}]},
    ]
    acc = MessageAccumulator(state={"log": ">"}, message_id="m")
    acc.add_all(events)
    acc.reset()
    acc.add_all(events)
    msg = acc.finish()
    assert msg["metadata"]["unstable_state"] == {"log": ">x"}
    assert msg["content"] == [{"type": "text", "text": "hi"}]
    assert msg["id"] == "m"


def test_unknown_event_types_are_ignored() -> None:
    assert message_of([{"type": "something-new", "x": 1}, T("a")])["content"] == [{"type": "text", "text": "a"}]


def test_handlers_are_one_table_per_class_and_a_subclass_can_override_one() -> None:
    """The handler table is made once per class (no bound methods per message), and a
    subclass's own handler is the one called."""
    from assistant_ui._wire.accumulator import MessageAccumulator

    a, b = MessageAccumulator(), MessageAccumulator()
    assert a._handlers is b._handlers
    assert not hasattr(a, "__dict__")  # (slots: no handler table nor anything else per message)

    seen: list[str] = []

    class Shouting(MessageAccumulator):
        def _on_text_delta(self, ev: dict[str, Any]) -> None:
            seen.append(ev["delta"])
            super()._on_text_delta({**ev, "delta": ev["delta"].upper()})

    acc = Shouting()
    acc.add_all([{"type": "text-delta", "delta": "hi"}, {"type": "finish", "finishReason": "stop"}])
    assert seen == ["hi"]
    assert acc.finish()["content"] == [{"type": "text", "text": "HI"}]
    assert MessageAccumulator._handlers["text-delta"] is MessageAccumulator._on_text_delta


def test_folds_are_spaced_by_the_length_of_the_text() -> None:
    """A fold copies the text when CPython cannot grow it in place: folds are spaced by
    a share of the text's length, so a long text is folded O(log n) times past the
    first ones, not once per 64 deltas (which made copying quadratic)."""
    from assistant_ui._wire.accumulator import MessageAccumulator

    folds: list[int] = []

    class Counting(MessageAccumulator):
        def _fold(self) -> None:
            folds.append(len(self._frags))
            super()._fold()

    acc = Counting()
    deltas = [f"tok{i:06d} " for i in range(200_000)]  # 11 characters each
    acc.add_all({"type": "text-delta", "delta": d} for d in deltas)
    acc.add({"type": "finish", "finishReason": "stop"})
    assert acc.finish()["content"] == [{"type": "text", "text": "".join(deltas)}]
    assert len(folds) < 300  # 3,125 at one fold per 64 deltas
    assert max(folds) < 200_000 * 11 // 256 + 64  # the fragments held stay a small share
