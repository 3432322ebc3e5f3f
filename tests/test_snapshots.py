"""Snapshots (``acc.message`` while streaming) are current, cheap and change nothing.

Reading the message after every event gives the same final message as never
reading it; each snapshot equals the one a fresh accumulator gives for the same
events; a snapshot never changes afterwards; and the work per read is bounded by
what changed (counted, not timed).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui._wire.incremental_json import IncrementalJSON
from assistant_ui._wire.partial_json import IncompleteJSON, parse_partial
from assistant_ui.decoding import MessageAccumulator, StreamDecoder
from tests.test_linear_work import CountingList


def feed(events: list[dict[str, Any]], *, read: bool) -> tuple[Any, list[tuple[Any, Any]]]:
    acc = MessageAccumulator(state={"seed": [1]})
    seen = []
    for ev in events:
        acc.add(copy.deepcopy(ev))
        if read:
            snap = acc.message
            seen.append((snap, copy.deepcopy(snap)))
    return acc.finish(), seen


# -- the case: unparseable arguments ------------------------------------------------------

BROKEN_ARGS = ['{"city": "Par', 'is", "days": [1, 2', ", tru", "x, 3]}", " trailing"]


def tool_events(fragments: list[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"type": "tool-call-start", "toolCallId": "c1", "toolName": "weather"}]
    events += [{"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": f} for f in fragments]
    return events


def test_unparseable_arguments_end_the_same_with_and_without_reads() -> None:
    with_reads, _ = feed(tool_events(BROKEN_ARGS), read=True)
    without, _ = feed(tool_events(BROKEN_ARGS), read=False)
    assert with_reads == without
    call = without["content"][0]
    assert call["argsText"] == "".join(BROKEN_ARGS)
    # the object read before the text stopped being JSON
    assert call["args"] == {"city": "Paris", "days": [1, 2]}


def test_snapshot_arguments_follow_the_text() -> None:
    acc = MessageAccumulator()
    args = []
    for ev in tool_events(['{"q": "he', 'llo", "n": 1', "2", ', "t": tr', "ue}"]):
        acc.add(ev)
        args.append(acc.message["content"][0]["args"])
    assert args == [{}, {"q": "he"}, {"q": "hello", "n": 1}, {"q": "hello", "n": 12},
                    {"q": "hello", "n": 12, "t": True}, {"q": "hello", "n": 12, "t": True}]


# -- linear work per read ----------------------------------------------------------------------------


def test_argument_characters_are_read_once_however_often_the_message_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fed: list[int] = []
    original = IncrementalJSON.feed

    def counting_feed(self: IncrementalJSON, text: str) -> None:
        fed.append(len(text))
        original(self, text)

    monkeypatch.setattr(IncrementalJSON, "feed", counting_feed)
    pieces = ['{"x": ['] + ['"' + "a" * 100 + '",'] * 500 + ["0]}"]
    acc = MessageAccumulator()
    for ev in tool_events(pieces):
        acc.add(ev)
        acc.message  # noqa: B018
    assert sum(fed) == len("".join(pieces))  # each character read once
    assert len(acc.finish()["content"][0]["args"]["x"]) == 501


def test_a_read_copies_only_the_parts_that_changed() -> None:
    n = 2000
    acc = MessageAccumulator()
    acc._parts = CountingList()
    for i in range(n):
        acc.add({"type": "data", "name": "row", "id": f"r{i % (n // 2)}", "data": i})
        acc.add({"type": "text-delta", "delta": "x"})
        acc.message  # noqa: B018
    assert acc._parts.visits <= 6 * n  # type: ignore[attr-defined]
    content = acc.finish()["content"]
    assert [p["data"] for p in content if p["type"] == "data"] == list(range(n // 2, n))


def test_reads_do_not_copy_the_state_and_later_operations_do_not_change_it() -> None:
    acc = MessageAccumulator()
    states = []
    for i in range(50):
        acc.add({"type": "state-update", "operations": [{"type": "set", "path": ["k", str(i)], "value": i},
                                                        {"type": "append-text", "path": ["log"], "value": "."}]})
        states.append(acc.message["metadata"]["unstable_state"])
    assert states[-1] is acc.message["metadata"]["unstable_state"]  # unchanged: handed out as it is
    for i, state in enumerate(states):
        assert state == {"k": {str(j): j for j in range(i + 1)}, "log": "." * (i + 1)}


def test_reads_through_the_decoder_give_the_same_message() -> None:
    body = b"".join([
        b'f:{"messageId":"m1"}\n0:"Hel"\n0:"lo"\nb:{"toolCallId":"c1","toolName":"t"}\n',
        b'c:{"toolCallId":"c1","argsTextDelta":"{\\"a\\": [1, "}\n',
        b'c:{"toolCallId":"c1","argsTextDelta":"2]}"}\n',
        b'aui-state:[{"type":"set","path":["x"],"value":"a"},{"type":"append-text","path":["x"],"value":"b"}]\n',
        b'2:[{"p":1}]\n8:[{"note":1}]\na:{"toolCallId":"c1","result":"ok"}\n0:"bye"\n',
        b'e:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":2},"isContinued":false}\n',
    ])
    finals = []
    for read in (False, True):
        decoder = StreamDecoder(protocol="data-stream")
        acc = MessageAccumulator()
        for i in range(0, len(body), 7):
            for ev in decoder.feed(body[i : i + 7]):
                acc.add(ev)
                if read:
                    acc.message  # noqa: B018
        acc.add_all(decoder.end())
        finals.append(acc.finish())
    assert finals[0] == finals[1]
    assert finals[1]["content"][1]["args"] == {"a": [1, 2]}


# -- property: any events, read or not -----------------------------------------------------------------

JSONISH = st.sampled_from(['{"a": ', '"x', 'yz"', ", ", "1", "2.5", "[", "]", "}", "{", "tru", "e", "nul",
                           "l", '"k":', "\\", '\\"', "\\u00", "e9", "garbage", " ", ","])


@st.composite
def event_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = st.sampled_from(["c1", "c2"])
    event = st.one_of(
        st.builds(lambda d, p: {"type": "text-delta", "delta": d, "parentId": p},
                  st.text("ab", max_size=2), st.sampled_from([None, "p1"])),
        st.builds(lambda d: {"type": "reasoning-delta", "delta": d}, st.text("r", max_size=2)),
        st.builds(lambda i: {"type": "tool-call-start", "toolCallId": i, "toolName": "t"}, ids),
        st.builds(lambda i, d: {"type": "tool-call-delta", "toolCallId": i, "argsTextDelta": d}, ids, JSONISH),
        st.builds(lambda i: {"type": "tool-call", "toolCallId": i, "toolName": "t"}, ids),
        st.builds(lambda i: {"type": "tool-result", "toolCallId": i, "result": 1}, ids),
        st.builds(lambda n, i, d: {"type": "data", "name": n, "id": i, "data": d},
                  st.sampled_from(["a", "b"]), st.sampled_from(["1", "2"]), st.integers(0, 3)),
        st.builds(lambda d: {"type": "data", "data": [d]}, st.integers(0, 3)),
        st.builds(lambda d: {"type": "annotations", "annotations": [d]}, st.integers(0, 3)),
        st.builds(lambda v: {"type": "state-update", "operations": [
            {"type": "append-text", "path": ["log"], "value": v}, {"type": "set", "path": ["seed", "1"], "value": v}]},
            st.text("s", max_size=2)),
        st.builds(lambda m: {"type": "metadata", "metadata": {"k": {m: 1}}}, st.sampled_from(["x", "y"])),
        st.just({"type": "step-start", "messageId": "m"}),
        st.just({"type": "step-finish", "finishReason": "stop", "usage": {"inputTokens": 1}}),
        st.just({"type": "source", "id": "s", "url": "https://x"}),
        st.just({"type": "text-start"}),
    )
    return draw(st.lists(event, max_size=25))


@settings(max_examples=300, deadline=None)
@given(events=event_lists())
def test_reads_change_nothing_and_every_snapshot_is_current(events: list[dict[str, Any]]) -> None:
    with_reads, seen = feed(events, read=True)
    without, _ = feed(events, read=False)
    assert with_reads == without
    for k, (snap, frozen) in enumerate(seen):
        # never changed afterwards
        assert snap == frozen
        # the same as a fresh accumulator's only snapshot after the same events
        fresh = MessageAccumulator(state={"seed": [1]})
        fresh.add_all(copy.deepcopy(events[: k + 1]))
        assert snap == fresh.message


# -- the incremental reader against the whole-text parser ----------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


def read_in_pieces(text: str, cuts: list[int]) -> Any:
    reader = IncrementalJSON()
    last = 0
    for cut in sorted(cuts):
        reader.feed(text[last:cut])
        last = cut
    reader.feed(text[last:])
    try:
        return reader.value()
    except LookupError:
        return "<none>"


@settings(max_examples=400, deadline=None)
@given(value=json_values, data=st.data())
def test_incremental_reading_of_any_prefix_matches_the_repairing_parser(value: Any, data: st.DataObject) -> None:
    text = json.dumps(value, indent=data.draw(st.sampled_from([None, 1])), ensure_ascii=data.draw(st.booleans()))
    prefix = text[: data.draw(st.integers(0, len(text)))]
    cuts = data.draw(st.lists(st.integers(0, len(prefix)), max_size=6))
    try:
        expected = parse_partial(prefix)
    except IncompleteJSON:
        expected = "<none>"
    assert read_in_pieces(prefix, cuts) == expected


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(JSONISH, max_size=12), data=st.data())
def test_incremental_reading_does_not_depend_on_the_cuts(pieces: list[str], data: st.DataObject) -> None:
    text = "".join(pieces)
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=6))
    assert read_in_pieces(text, cuts) == read_in_pieces(text, [])


def test_a_surrogate_pair_cut_in_half_is_one_character() -> None:
    assert read_in_pieces('{"e": "\\ud83d\\ude00"}', [14]) == {"e": "\U0001f600"}
    assert read_in_pieces('{"e": "\\ud83d\\ude00', [14, 16]) == {"e": "\U0001f600"}


def test_hostile_argument_text_stops_the_reading_without_crashing() -> None:
    deep = "[" * 600
    reader = IncrementalJSON(max_depth=512)
    reader.feed('{"a": ' + deep)
    assert reader.failed
    node, depth = reader.value(), 1
    while node:
        node = node["a"] if isinstance(node, dict) else node[0]
        depth += 1
    assert depth == 512  # the object and 511 arrays: reading stopped at the bound of 512
    for text in ['{"n": ' + "1" * 20_000 + "}", '{"n": ' + "9" * 5000 + ", ", '{"a": 1} x', '{"a": 1,}', '{"a":}']:
        reader = IncrementalJSON()
        for i in range(0, len(text), 1000):
            reader.feed(text[i : i + 1000])
        assert reader.failed, text[:20]
        assert isinstance(reader.value(), dict)
    # the accumulator settles such arguments to what was read before the text broke
    acc = MessageAccumulator()
    acc.add_all(tool_events(['{"ok": true, "n": ', "9" * 5000, ", "]))
    assert acc.finish()["content"][0]["args"] == {"ok": True}
