"""The accumulator does a fixed amount of work per event, on hostile bodies too.

No clocks here: the work is counted. Lists the accumulator keeps are swapped
for lists that count how many items anyone visits, and the state builder is
swapped for one that counts what it copies and joins. A quadratic accumulator
visits or copies about n²/2 items for n events; these tests allow a few per event.
``bench/hostile_bodies.py`` times the same bodies.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any, SupportsIndex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui._wire.state_ops import StateBuilder
from assistant_ui.decoding import MessageAccumulator, StreamDecoder, apply_operations

N = 3000


class CountingList(list[Any]):
    """A list that counts the items visited through iteration and indexing."""

    visits = 0

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            self.visits += 1
            yield item

    def __reversed__(self) -> Iterator[Any]:
        for item in super().__reversed__():
            self.visits += 1
            yield item

    def __getitem__(self, index: Any) -> Any:
        value = super().__getitem__(index)
        self.visits += len(value) if isinstance(index, slice) else 1
        return value

    def index(self, value: Any, start: SupportsIndex = 0, stop: SupportsIndex = 2**62) -> int:
        i = super().index(value, start, stop)
        self.visits += i + 1
        return i


class CountingBuilder(StateBuilder):
    copied = 0  # container items copied
    joined = 0  # characters joined

    def _copy(self, container: Any) -> Any:
        CountingBuilder.copied += len(container)
        return super()._copy(container)

    def _join(self, frags: list[str]) -> str:
        text = super()._join(frags)
        CountingBuilder.joined += len(text)
        return text


class CountingAccumulator(MessageAccumulator):
    _state_builder = CountingBuilder


@pytest.fixture(autouse=True)
def _reset_counters() -> None:
    CountingBuilder.copied = CountingBuilder.joined = 0


def watched(acc: MessageAccumulator) -> MessageAccumulator:
    acc._parts = CountingList()
    acc.steps = CountingList()
    return acc


def decode(body: bytes, protocol: str, piece: int = 997) -> list[Any]:
    decoder = StreamDecoder(protocol=protocol)
    events: list[Any] = []
    for i in range(0, len(body), piece):
        events += decoder.feed(body[i : i + piece])
    return events + decoder.end()


def sse(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


# -- named data parts ------------------------------------------------------------------


def data_events(n: int) -> list[dict[str, Any]]:
    return [{"type": "data", "name": "row", "id": f"id-{i}", "data": i} for i in range(n)]


def test_named_data_parts_with_distinct_ids_do_not_scan_the_parts() -> None:
    acc = watched(MessageAccumulator())
    acc.add_all(data_events(N))
    acc.add({"type": "data", "name": "row", "id": "id-7", "data": "replaced"})
    assert acc._parts.visits <= 2 * N  # type: ignore[attr-defined]
    content = acc.finish()["content"]
    assert len(content) == N
    assert content[7] == {"type": "data", "name": "row", "id": "id-7", "data": "replaced"}
    assert content[8]["data"] == 8


def test_named_data_parts_from_ui_message_stream_bytes() -> None:
    body = sse([{"type": "data-row", "id": f"id-{i}", "data": i} for i in range(N)]
               + [{"type": "data-row", "id": "id-0", "data": "again"}])
    acc = watched(MessageAccumulator())
    acc.add_all(decode(body, "ui-message-stream"))
    assert acc._parts.visits <= 2 * N  # type: ignore[attr-defined]
    content = acc.finish()["content"]
    assert len(content) == N and content[0]["data"] == "again"


def test_named_data_index_keeps_the_matching_rules() -> None:
    acc = MessageAccumulator()
    acc.add_all([
        {"type": "data", "name": "a", "id": 1, "data": 1},
        {"type": "data", "name": "a", "id": 1.0, "data": 2},  # equal ids match, as with ==
        {"type": "data", "name": "b", "id": 1, "data": 3},  # another name: another part
        {"type": "data", "name": "a", "id": {"k": [1, 2], "j": None}, "data": 4},
        {"type": "data", "name": "a", "id": {"j": None, "k": [1, 2]}, "data": 5},  # unhashable ids too
        {"type": "data", "name": "a", "data": 6},  # no id: always a new part
        {"type": "data", "name": "a", "data": 7},
    ])
    assert [(p["name"], p["data"]) for p in acc.finish()["content"]] == [
        ("a", 2), ("b", 3), ("a", 5), ("a", 6), ("a", 7)]


def test_the_data_index_is_forgotten_on_reset() -> None:
    acc = MessageAccumulator()
    acc.add({"type": "data", "name": "a", "id": "x", "data": 1})
    acc.reset()
    acc.add({"type": "data", "name": "a", "id": "x", "data": 2})
    assert acc.finish()["content"] == [{"type": "data", "name": "a", "id": "x", "data": 2}]


# -- steps -----------------------------------------------------------------------------


def finish_step(reason: str = "stop") -> dict[str, Any]:
    return {"type": "step-finish", "finishReason": reason,
            "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": False}


def test_step_finishes_without_a_start_do_not_scan_the_steps() -> None:
    acc = watched(MessageAccumulator())
    acc.add_all([finish_step() for _ in range(N)])
    assert acc.steps.visits <= 2 * N  # type: ignore[attr-defined]
    steps = acc.finish()["metadata"]["steps"]
    assert len(steps) == N and all(s["state"] == "finished" and s["messageId"] is None for s in steps)


def test_step_finishes_from_data_stream_bytes() -> None:
    rec = b'e:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":1},"isContinued":false}\n'
    acc = watched(MessageAccumulator())
    acc.add_all(decode(rec * N, "data-stream"))
    assert acc.steps.visits <= 2 * N  # type: ignore[attr-defined]
    assert len(acc.finish()["metadata"]["steps"]) == N


def test_a_step_finish_finishes_the_last_started_step() -> None:
    acc = MessageAccumulator()
    acc.add_all([
        {"type": "step-start", "messageId": "m1"},
        {"type": "step-start", "messageId": "m2"},
        finish_step("tool-calls"),
        finish_step("stop"),
        finish_step("length"),
        {"type": "step-start", "messageId": "m3"},
    ])
    steps = acc.finish()["metadata"]["steps"]
    assert [(s["state"], s["messageId"], s.get("finishReason")) for s in steps] == [
        ("finished", "m1", "stop"), ("finished", "m2", "tool-calls"),
        ("finished", None, "length"), ("started", "m3", None)]


# -- state operations ------------------------------------------------------------------


def test_set_on_distinct_keys_copies_nothing_twice() -> None:
    acc = CountingAccumulator(state={"k": {"seed": 0}})
    acc.add_all({"type": "state-update", "operations": [{"type": "set", "path": ["k", f"key{i}"], "value": i}]}
                for i in range(N))
    assert CountingBuilder.copied <= 2 + 1  # the root and "k", once each
    assert len(acc.finish()["metadata"]["unstable_state"]["k"]) == N + 1


def test_append_text_joins_once() -> None:
    body = b"".join(
        b"aui-state:" + json.dumps([{"type": "append-text", "path": ["log"], "value": f"{i:04d}"}]).encode() + b"\n"
        for i in range(N))
    acc = CountingAccumulator(state={"log": ""})
    acc.add_all(decode(body, "data-stream"))
    log = acc.finish()["metadata"]["unstable_state"]["log"]
    assert log == "".join(f"{i:04d}" for i in range(N))
    assert CountingBuilder.joined == len(log)
    assert CountingBuilder.copied <= 1


def test_reading_the_state_hands_it_out_and_later_operations_copy_again() -> None:
    acc = CountingAccumulator(state=None)
    acc.add({"type": "state-update", "operations": [{"type": "set", "path": ["a", "b"], "value": "x"}]})
    first = acc.state
    acc.add({"type": "state-update", "operations": [{"type": "append-text", "path": ["a", "b"], "value": "y"},
                                                    {"type": "append-text", "path": ["a", "b"], "value": "z"}]})
    assert first == {"a": {"b": "x"}}
    assert acc.state == {"a": {"b": "xyz"}}
    assert CountingBuilder.copied == 2  # the root and "a" once after the read, not once per operation


# -- the builder against a model, with hand-outs at random points ------------------------

segments = st.sampled_from(["a", "b", "0", "1", "2", 0, 1])
values = st.none() | st.integers(0, 3) | st.text("xy", max_size=2) | st.just({}) | st.just([]) | st.just(["p"])


@st.composite
def operations(draw: st.DrawFn) -> list[Any]:
    out: list[Any] = []
    for _ in range(draw(st.integers(0, 12))):
        path = draw(st.lists(segments, max_size=3))
        if draw(st.integers(0, 9)) == 0:
            out.append("read")
        elif draw(st.booleans()):
            out.append({"type": "set", "path": path, "value": draw(values)})
        else:
            out.append({"type": "append-text", "path": path, "value": draw(st.text("xyz", max_size=2))})
    return out


@settings(max_examples=300, deadline=None)
@given(ops=operations(), start=st.none() | st.just({"a": ["s", {"b": "t"}]}) | st.just(["u"]) | st.just("v"))
def test_builder_matches_one_operation_at_a_time_and_never_changes_what_it_handed_out(
    ops: list[Any], start: Any
) -> None:
    frozen_ops = copy.deepcopy(ops)
    frozen_start = copy.deepcopy(start)
    expected = start
    for op in ops:
        if op != "read":
            # the reference: a fresh pure application per operation (no ownership carried over)
            expected = apply_operations(copy.deepcopy(expected), [op])
    builder = StateBuilder(start)
    handed: list[tuple[Any, Any]] = []
    errors: list[str] = []
    for op in ops:
        if op == "read":
            value = builder.value
            handed.append((value, copy.deepcopy(value)))
        else:
            builder.apply([op], errors)
    assert builder.value == expected
    for value, frozen in handed:
        assert value == frozen
    assert start == frozen_start
    assert ops == frozen_ops
