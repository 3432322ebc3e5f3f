"""``@tool`` resolves string annotations where they were written: a tool defined inside a
function, in a module with ``from __future__ import annotations``, may use typing names,
dataclasses and TypedDicts that only the defining function holds (issue #13.7).

This module deliberately imports no typing name at module level."""

from __future__ import annotations

import dataclasses

import pytest

from assistant_ui.tools import Toolbox, tool


def call(name: str, args: object) -> dict[str, object]:
    return {"type": "tool-call", "toolCallId": "c1", "toolName": name, "args": args}


def test_local_literal_and_dataclass() -> None:
    from typing import Literal

    Unit = Literal["c", "f"]

    @dataclasses.dataclass
    class Place:
        city: str
        unit: Unit = "c"

    @tool
    def weather(place: Place, detail: Literal["low", "high"] = "low") -> str:
        """Weather of a place."""
        return f"{place.city} {place.unit} {detail}"

    props = weather.parameters["properties"]
    assert props["detail"] == {"type": "string", "enum": ["low", "high"], "default": "low"}
    assert props["place"]["properties"]["unit"] == {"type": "string", "enum": ["c", "f"], "default": "c"}
    box = Toolbox([weather])
    done = box.execute_sync(call("weather", {"place": {"city": "Paris", "unit": "f"}, "detail": "high"}))
    assert (done.result, done.is_error) == ("Paris f high", False)


def test_local_names_with_tool_options_and_toolbox() -> None:
    from typing import Literal

    @tool(name="pick", timeout=5)
    def pick(x: Literal[1, 2]) -> int:
        return x

    def plain(flag: Literal["on", "off"]) -> str:
        return flag

    box = Toolbox([pick, plain])
    assert box["pick"].parameters["properties"]["x"]["enum"] == [1, 2]
    assert box["plain"].parameters["properties"]["flag"]["enum"] == ["on", "off"]


def test_local_typeddict() -> None:
    from typing_extensions import NotRequired, TypedDict

    class Query(TypedDict):
        text: str
        limit: NotRequired[int]

    @tool
    def search(query: Query) -> int:
        return query.get("limit", 0)

    schema = search.parameters["properties"]["query"]
    assert schema["required"] == ["text"]
    assert schema["properties"]["limit"] == {"type": "integer"}


def test_a_name_defined_nowhere_is_still_an_error() -> None:
    with pytest.raises(TypeError, match="cannot resolve the type hints: name 'Nowhere' is not defined"):

        @tool
        def broken(x: Nowhere) -> None:  # type: ignore[name-defined]  # noqa: F821
            return None
