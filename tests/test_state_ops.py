"""State operations ``set`` / ``append-text`` (docs/wire-formats.md §6)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui.decoding import StreamDecoder, accumulate, apply_operations


def s(path: list[Any], value: Any) -> dict[str, Any]:
    return {"type": "set", "path": path, "value": value}


def a(path: list[Any], value: str) -> dict[str, Any]:
    return {"type": "append-text", "path": path, "value": value}


def test_the_spec_example() -> None:
    ops = [s(["messages"], []), s(["messages", "0"], {"text": ""}), a(["messages", "0", "text"], "Hel")]
    assert apply_operations(None, ops) == {"messages": [{"text": "Hel"}]}


def test_set_root_replaces_everything() -> None:
    assert apply_operations({"a": 1}, [s([], [1, 2])]) == [1, 2]
    assert apply_operations({"a": 1}, [s([], None)]) is None


def test_missing_and_null_containers_are_created_as_objects() -> None:
    assert apply_operations(None, [s(["a", "b", "c"], 1)]) == {"a": {"b": {"c": 1}}}
    assert apply_operations({"a": None}, [s(["a", "b"], 1)]) == {"a": {"b": 1}}


def test_array_index_descend_append_and_clamp() -> None:
    state = {"xs": [{"n": 0}, {"n": 1}]}
    assert apply_operations(state, [s(["xs", "1", "n"], 9)]) == {"xs": [{"n": 0}, {"n": 9}]}
    assert apply_operations(state, [s(["xs", "2"], {"n": 2})])["xs"][2] == {"n": 2}
    # index past the end: clamped to an append in lenient mode
    assert apply_operations(state, [s(["xs", "7"], "x")])["xs"] == [{"n": 0}, {"n": 1}, "x"]
    # descending into a new slot at the end
    assert apply_operations(state, [s(["xs", "2", "n"], 3)])["xs"][2] == {"n": 3}


def test_int_segments_are_accepted() -> None:
    assert apply_operations({"xs": ["a"]}, [a(["xs", 0], "b")]) == {"xs": ["ab"]}


@pytest.mark.parametrize("seg", ["-1", "01", "x", "1.0", " 1", ""])
def test_bad_array_index_is_skipped(seg: str) -> None:
    errors: list[str] = []
    state = {"xs": [1]}
    assert apply_operations(state, [s(["xs", seg], 2), s(["ok"], True)], errors) == {"xs": [1], "ok": True}
    assert len(errors) == 1


@pytest.mark.parametrize("container", ["text", 5, 1.5, True])
def test_scalar_as_a_container_is_skipped(container: Any) -> None:
    errors: list[str] = []
    state = {"v": container}
    assert apply_operations(state, [s(["v", "x"], 1)], errors) == state
    assert errors


@pytest.mark.parametrize("seg", ["__proto__", "constructor", "prototype"])
def test_forbidden_segments(seg: str) -> None:
    errors: list[str] = []
    assert apply_operations({}, [s([seg], 1)], errors) == {}
    assert errors


def test_append_text() -> None:
    assert apply_operations({"t": "ab"}, [a(["t"], "c")]) == {"t": "abc"}
    # lenient: a missing (or null) target counts as ""
    assert apply_operations({}, [a(["t"], "c")]) == {"t": "c"}
    assert apply_operations({"t": None}, [a(["t"], "c")]) == {"t": "c"}
    assert apply_operations(None, [a([], "c")]) == "c"
    assert apply_operations("ab", [a([], "c")]) == "abc"


@pytest.mark.parametrize(
    "op",
    [
        a(["n"], "x"),  # onto a number
        a(["o"], "x"),  # onto an object
        {"type": "append-text", "path": ["t"], "value": 5},  # not a string value
        {"type": "merge", "path": [], "value": 1},  # unknown type
        {"type": "set", "path": "t", "value": 1},  # path not a list
        {"type": "set", "path": [None], "value": 1},  # bad segment
        {"type": "set", "path": [True], "value": 1},  # bool is not an index
        {"path": ["t"], "value": 1},  # no type
        "not an object",
    ],
)
def test_bad_operations_are_skipped_and_reported(op: Any) -> None:
    state = {"n": 1, "o": {}, "t": "x"}
    errors: list[str] = []
    after = apply_operations(state, [op, s(["after"], 1)], errors)
    assert after == {"n": 1, "o": {}, "t": "x", "after": 1}
    assert len(errors) == 1


def test_operations_not_a_list() -> None:
    errors: list[str] = []
    assert apply_operations({"a": 1}, {"type": "set"}, errors) == {"a": 1}
    assert errors


def test_copy_on_write_old_snapshots_do_not_change() -> None:
    s0 = {"messages": [{"text": "a"}], "other": {"k": [1]}}
    frozen = copy.deepcopy(s0)
    s1 = apply_operations(s0, [a(["messages", "0", "text"], "b")])
    s2 = apply_operations(s1, [s(["messages", "1"], {"text": "c"}), s(["other", "k", "1"], 2)])
    s3 = apply_operations(s2, [s([], {"fresh": True})])
    assert s0 == frozen
    assert s1 == {"messages": [{"text": "ab"}], "other": {"k": [1]}}
    assert s2 == {"messages": [{"text": "ab"}, {"text": "c"}], "other": {"k": [1, 2]}}
    assert s3 == {"fresh": True}
    # untouched branches are shared, touched ones are new objects
    assert s1["other"] is s0["other"]
    assert s1["messages"] is not s0["messages"]


def test_a_failing_operation_leaves_the_state_as_it_was() -> None:
    s0 = {"a": {"b": "x"}}
    s1 = apply_operations(s0, [s(["a", "b", "c"], 1)])
    assert s1 == {"a": {"b": "x"}}
    assert s0 == {"a": {"b": "x"}}


def test_accumulator_snapshots_of_the_state_do_not_change() -> None:
    from assistant_ui.decoding import MessageAccumulator

    acc = MessageAccumulator(state={"log": "a"})
    acc.add({"type": "state-update", "operations": [a(["log"], "b")]})
    first = acc.message["metadata"]["unstable_state"]
    acc.add({"type": "state-update", "operations": [a(["log"], "c"), s(["n"], 1)]})
    assert first == {"log": "ab"}
    assert acc.message["metadata"]["unstable_state"] == {"log": "abc", "n": 1}


def test_initial_state_from_the_request_is_the_starting_point() -> None:
    body = b'aui-state:[{"type": "append-text", "path": ["log"], "value": "!"}]\n'
    events = StreamDecoder(content_type="text/plain").decode(body)
    assert accumulate(events, state={"log": "hi"})["metadata"]["unstable_state"] == {"log": "hi!"}
    assert accumulate(events)["metadata"]["unstable_state"] == {"log": "!"}


def test_bad_ops_in_a_stream_are_warnings_not_errors() -> None:
    from assistant_ui.decoding import MessageAccumulator

    ops = [s(["a"], 1), a(["a"], "x"), s(["b"], 2)]
    body = ("aui-state:" + json.dumps(ops) + "\n" + '0:"ok"\n').encode()
    acc = MessageAccumulator()
    acc.add_all(StreamDecoder(content_type="text/plain").decode(body))
    message = acc.finish()
    assert message["metadata"]["unstable_state"] == {"a": 1, "b": 2}
    assert message["status"] == {"type": "complete", "reason": "unknown"}
    assert len(acc.warnings) == 1


# -- property: applying ops agrees with a straightforward model --------------------------

keys = st.sampled_from(["a", "b", "c"])


@st.composite
def op_sequences(draw: st.DrawFn) -> list[dict[str, Any]]:
    ops = []
    for _ in range(draw(st.integers(0, 8))):
        path = draw(st.lists(keys, min_size=0, max_size=3))
        if draw(st.booleans()):
            ops.append(s(path, draw(st.none() | st.integers() | st.text(max_size=3) | st.just({}))))
        else:
            ops.append(a(path, draw(st.text(max_size=3))))
    return ops


def model(state: Any, op: dict[str, Any]) -> Any:
    """Reference semantics for object-only paths, with deep copies."""
    state = copy.deepcopy(state)
    path = op["path"]
    if not path:
        if op["type"] == "set":
            return op["value"]
        if state is None:
            return op["value"]
        if not isinstance(state, str):
            raise ValueError
        return state + op["value"]
    root = {} if state is None else state
    if not isinstance(root, dict):
        raise ValueError
    node = root
    for seg in path[:-1]:
        child = node.get(seg)
        if child is None:
            child = node[seg] = {}
        if not isinstance(child, dict):
            raise ValueError
        node = child
    last = path[-1]
    if op["type"] == "set":
        node[last] = op["value"]
    else:
        current = node.get(last)
        if current is None:
            node[last] = op["value"]
        elif isinstance(current, str):
            node[last] = current + op["value"]
        else:
            raise ValueError
    return root


@settings(max_examples=150, deadline=None)
@given(ops=op_sequences(), start=st.none() | st.just({"a": "x"}))
def test_matches_reference_model_and_never_mutates(ops: list[dict[str, Any]], start: Any) -> None:
    expected = start
    for op in ops:
        try:
            expected = model(expected, op)
        except ValueError:
            pass
    before = copy.deepcopy(start)
    snapshots = []
    state = start
    for op in ops:
        snapshots.append((state, copy.deepcopy(state)))
        state = apply_operations(state, [op])
    assert state == expected
    assert start == before
    for snapshot, frozen in snapshots:
        assert snapshot == frozen
    assert apply_operations(start, ops) == expected
