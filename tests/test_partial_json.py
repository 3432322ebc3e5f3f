"""The repairing partial-JSON parser (docs/wire-formats.md §3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui._wire.partial_json import IncompleteJSON
from assistant_ui.decoding import parse_partial, parse_partial_object


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("   ", {}),
        ("{", {}),
        ('{"', {}),
        ('{"a', {}),
        ('{"a"', {}),
        ('{"a":', {}),
        ('{"a": ', {}),
        ('{"a": "', {"a": ""}),
        ('{"a": "x', {"a": "x"}),
        ('{"a": "x"', {"a": "x"}),
        ('{"a": "x",', {"a": "x"}),
        ('{"a": "x", ', {"a": "x"}),
        ('{"a": "x", "b', {"a": "x"}),
        ('{"a": [', {"a": []}),
        ('{"a": [1', {"a": [1]}),
        ('{"a": [1,', {"a": [1]}),
        ('{"a": [1, {"b": "x', {"a": [1, {"b": "x"}]}),
        ('{"a":[{"b":f', {"a": [{"b": False}]}),
        ('{"a": t', {"a": True}),
        ('{"a": tr', {"a": True}),
        ('{"a": nu', {"a": None}),
        ('{"a": null', {"a": None}),
        ('{"a": -', {}),
        ('{"a": 12', {"a": 12}),
        ('{"a": 1.', {"a": 1}),
        ('{"a": 1.5', {"a": 1.5}),
        ('{"a": 1e', {"a": 1}),
        ('{"a": 1e+', {"a": 1}),
        ('{"a": 1e5', {"a": 100000.0}),
        ('{"a": -0.', {"a": 0}),
        ('{"a": "x\\', {"a": "x"}),
        ('{"a": "x\\n', {"a": "x\n"}),
        ('{"a": "\\u00', {"a": ""}),
        ('{"a": "\\u00e9', {"a": "é"}),
        ('{"a": "\\ud83d\\ude00', {"a": "\U0001f600"}),
        ('{"a": "\\ud83d\\u', {"a": "\ud83d"}),
        ('{"a": {"b": {"c": [[', {"a": {"b": {"c": [[]]}}}),
        ('{"city": "NYC"}', {"city": "NYC"}),
        ('{"a": 1}  ', {"a": 1}),
        ('{"é": "中\U0001f600', {"é": "中\U0001f600"}),
    ],
)
def test_repairs(text: str, expected: dict[str, Any]) -> None:
    assert parse_partial_object(text) == expected


@pytest.mark.parametrize("text", ["[1, 2", '"abc', "12", "true", "null", "[{", '"{'])
def test_non_objects_are_none(text: str) -> None:
    assert parse_partial_object(text) is None


@pytest.mark.parametrize(
    "text",
    ['{"a": 1} x', '{"a" 1', "{a: 1}", '{"a": tx', '{"a": 01', '{"a": [1 2', "}", '{"a": "x"} {'],
)
def test_text_that_is_no_json_prefix(text: str) -> None:
    assert parse_partial_object(text) is None
    with pytest.raises(IncompleteJSON):
        parse_partial(text)


def test_parse_partial_any_value() -> None:
    assert parse_partial("[1, [2, 3") == [1, [2, 3]]
    assert parse_partial('"ab') == "ab"
    assert parse_partial("fal") is False
    with pytest.raises(IncompleteJSON):
        parse_partial("")
    with pytest.raises(IncompleteJSON):
        parse_partial("-")


def test_deep_nesting_does_not_crash() -> None:
    assert parse_partial_object("[" * 100_000) is None
    assert parse_partial_object('{"a":' * 100_000) in (None, {})
    for text in ("[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"a":' * 100_000):
        with pytest.raises(IncompleteJSON):
            parse_partial(text)


# -- properties ---------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8"), max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=5), inner, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=5), json_values, max_size=5)
dumps_options = st.sampled_from(
    [
        {},
        {"ensure_ascii": False},
        {"separators": (",", ":")},
        {"indent": 2},
        {"indent": 1, "ensure_ascii": False},
    ]
)


@settings(max_examples=100, deadline=None)
@given(obj=objects, options=dumps_options)
def test_every_prefix_of_an_object_parses_to_a_dict(obj: dict[str, Any], options: dict[str, Any]) -> None:
    text = json.dumps(obj, **options)
    for i in range(len(text) + 1):
        value = parse_partial_object(text[:i])
        assert isinstance(value, dict), (text[:i], value)
    assert parse_partial_object(text) == obj
    assert parse_partial(text) == obj


@settings(max_examples=100, deadline=None)
@given(value=json_values, options=dumps_options)
def test_every_prefix_of_a_non_object_gives_none(value: Any, options: dict[str, Any]) -> None:
    if isinstance(value, dict):
        return
    text = json.dumps(value, **options)
    for i in range(len(text) + 1):
        prefix = text[:i]
        if prefix.strip():
            assert parse_partial_object(prefix) is None, prefix
    assert parse_partial(text) == value


@settings(max_examples=60, deadline=None)
@given(obj=objects)
def test_a_finished_member_never_changes_again(obj: dict[str, Any]) -> None:
    """Once a key carries its final value in a repaired prefix, longer prefixes keep it."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    done: set[str] = set()
    for i in range(len(text) + 1):
        value = parse_partial_object(text[:i])
        assert value is not None
        for key in done:
            assert value[key] == obj[key], (text[:i], key)
        done |= {k for k in value if k in obj and value[k] == obj[k]}
    assert done == set(obj)
