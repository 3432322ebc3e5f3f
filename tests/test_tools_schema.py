"""``assistant_ui.tools``: schemas from type hints and docstrings, validation, conversion,
the Toolbox and running tool calls (docs/api.md §8)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Optional, Union

import anyio
import pytest
from typing_extensions import NotRequired, Required, TypedDict

from assistant_ui import AssistantClient
from assistant_ui._wire.requests import normalize_tools
from assistant_ui.tools import (
    RunResult,
    Tool,
    ToolArgumentsError,
    Toolbox,
    ToolExecution,
    ToolRefusedError,
    ToolTimeoutError,
    UnknownToolError,
    to_jsonable,
    tool,
)
from assistant_ui.tools._docstrings import parse_docstring
from assistant_ui.tools._schema_compiler import compile_hint
from assistant_ui.tools._validator import validate


def schema(hint: Any) -> dict[str, Any]:
    return compile_hint(hint).schema


def params(fn: Any) -> dict[str, Any]:
    return tool(fn).parameters


# -- hints to JSON Schema ------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(TypedDict):
    """A postal address."""

    street: str
    zip: NotRequired[str]


class Partial(TypedDict, total=False):
    a: int
    b: Required[str]


@dataclasses.dataclass
class Point:
    """A point on the map.

    Attributes:
        lat: Latitude in degrees.
        lon: Longitude in degrees.
    """

    lat: float
    lon: float = 0.0
    tags: list[str] = dataclasses.field(default_factory=list)
    label: str = dataclasses.field(default="", metadata={"description": "A name for it."})


@dataclasses.dataclass
class Route:
    start: Point
    stops: list[Point]
    color: Color = Color.RED


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (None, {"type": "null"}),
        (type(None), {"type": "null"}),
        (Any, {}),
        (Optional[int], {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045 - the old spelling on purpose
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        (Union[int, str], {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        (int | Any, {}),
        (Literal["c", "f"], {"type": "string", "enum": ["c", "f"]}),
        (Literal[1, 2.5], {"type": "number", "enum": [1, 2.5]}),
        (Literal["a", 1, None], {"type": ["string", "integer", "null"], "enum": ["a", 1, None]}),
        (Literal[True], {"type": "boolean", "enum": [True]}),
        (Color, {"type": "string", "enum": ["red", "green"]}),
        (Level, {"type": "integer", "enum": [1, 2]}),
        (list, {"type": "array"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (Sequence[str], {"type": "array", "items": {"type": "string"}}),
        (list[Any], {"type": "array"}),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (
            tuple[int, str],
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        (set[str], {"type": "array", "uniqueItems": True, "items": {"type": "string"}}),
        (frozenset[int], {"type": "array", "uniqueItems": True, "items": {"type": "integer"}}),
        (dict, {"type": "object"}),
        (dict[str, Any], {"type": "object"}),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (Mapping[str, list[int]], {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "integer"}}}),
        (Annotated[int, "How many."], {"type": "integer", "description": "How many."}),
        (
            list[Literal["x", "y"] | None],
            {"type": "array", "items": {"anyOf": [{"type": "string", "enum": ["x", "y"]}, {"type": "null"}]}},
        ),
    ],
)
def test_schema_of_hint(hint: Any, expected: dict[str, Any]) -> None:
    assert schema(hint) == expected


def test_typeddict_required_and_not_required() -> None:
    assert schema(Address) == {
        "type": "object",
        "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
        "required": ["street"],
        "additionalProperties": False,
        "description": "A postal address.",
    }
    # total=False with one Required key (this module uses postponed annotations, so the
    # wrappers themselves must be read: the class cannot see them)
    assert schema(Partial)["required"] == ["b"]


def test_dataclass_schema_defaults_and_descriptions() -> None:
    assert schema(Point) == {
        "type": "object",
        "properties": {
            "lat": {"type": "number", "description": "Latitude in degrees."},
            "lon": {"type": "number", "description": "Longitude in degrees.", "default": 0.0},
            "tags": {"type": "array", "items": {"type": "string"}},
            "label": {"type": "string", "description": "A name for it.", "default": ""},
        },
        "required": ["lat"],
        "additionalProperties": False,
        "description": "A point on the map.",
    }


def test_nested_dataclasses() -> None:
    route = schema(Route)
    assert route["required"] == ["start", "stops"]
    assert route["properties"]["start"] == schema(Point)
    assert route["properties"]["stops"] == {"type": "array", "items": schema(Point)}
    assert route["properties"]["color"] == {"type": "string", "enum": ["red", "green"], "default": "red"}
    assert "description" not in route  # the docstring dataclasses generate is not a description


def test_function_parameters_required_defaults_and_top_level_closed() -> None:
    def f(
        city: str,
        days: int = 3,
        unit: Literal["c", "f"] = "c",
        when: dt.date | None = None,
    ) -> None: ...

    with pytest.raises(TypeError, match=r"tool 'f', parameter 'when': unsupported type hint"):
        tool(f)

    def g(city: str, days: int = 3, unit: Literal["c", "f"] = "c", at: object = dt.date(2020, 1, 1)) -> None: ...

    assert params(g) == {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer", "default": 3},
            "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
            "at": {},  # the default is not JSON: left out of the schema
        },
        "required": ["city"],
        "additionalProperties": False,
    }


def test_no_parameters_and_unannotated() -> None:
    def ping() -> str:
        return "pong"

    def loose(x, y=1):  # type: ignore[no-untyped-def]
        return x

    assert params(ping) == {"type": "object", "properties": {}, "additionalProperties": False}
    assert params(loose)["properties"] == {"x": {}, "y": {"default": 1}}


class Opaque:
    pass


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node]


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        (bytes, "unsupported type hint bytes"),
        (dt.datetime, "unsupported type hint datetime"),
        (Opaque, "unsupported type hint Opaque"),
        (dict[int, str], "dict keys must be str"),
        (list[Opaque], "unsupported type hint Opaque"),
        (Node, "recursive type Node"),
        (Literal[b"x"], "Literal values must be"),
        (tuple[int, str, ...], "unsupported tuple form"),  # type: ignore[misc]
    ],
)
def test_unsupported_hints_raise_at_decoration(hint: Any, message: str) -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return x

    f.__annotations__ = {"x": hint}
    with pytest.raises(TypeError, match=message) as info:
        tool(f)
    assert "tool 'f', parameter 'x'" in str(info.value)


def test_varargs_and_unresolvable_hints_raise() -> None:
    def star(*args: int) -> None: ...

    def stars(**kwargs: int) -> None: ...

    def forward(x: DoesNotExist) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match=r"\*args cannot be described"):
        tool(star)
    with pytest.raises(TypeError, match=r"\*\*kwargs cannot be described"):
        tool(stars)
    with pytest.raises(TypeError, match="cannot resolve the type hints"):
        tool(forward)


# -- docstrings --------------------------------------------------------------------------------


def test_google_docstring() -> None:
    @tool
    def get_weather(city: str, unit: str = "c") -> dict[str, Any]:
        """Get the current weather
        for a city.

        Second paragraph.

        Args:
            city (str): The city name,
                e.g. "Paris".
            unit: The unit.

        Returns:
            The weather.
        """
        return {}

    assert get_weather.name == "get_weather"
    assert get_weather.description == "Get the current weather for a city.\n\nSecond paragraph."
    props = get_weather.parameters["properties"]
    assert props["city"]["description"] == 'The city name, e.g. "Paris".'
    assert props["unit"]["description"] == "The unit."


def test_rest_docstring() -> None:
    summary, docs = parse_docstring(
        """Add two numbers.

        :param a: The first
            number.
        :param int b: The second number.
        :returns: The sum.
        """
    )
    assert summary == "Add two numbers."
    assert docs == {"a": "The first number.", "b": "The second number."}


def test_numpy_docstring() -> None:
    summary, docs = parse_docstring(
        """Add two numbers.

        Parameters
        ----------
        a : int
            The first number.
        b : int, optional
            The second
            number.

        Returns
        -------
        int
            The sum.
        """
    )
    assert summary == "Add two numbers."
    assert docs == {"a": "The first number.", "b": "The second number."}


def test_annotated_description_wins_over_docstring_and_overrides() -> None:
    @tool(name="lookup", description="Find a thing.", timeout=2)
    def find(q: Annotated[str, "The query."]) -> str:
        """Ignored description.

        Args:
            q: Docstring description.
        """
        return q

    assert find.name == "lookup"
    assert find.description == "Find a thing."
    assert find.timeout == 2.0
    assert find.parameters["properties"]["q"] == {"type": "string", "description": "The query."}


# -- Tool objects -----------------------------------------------------------------------------


def test_decorator_forms_and_call_through() -> None:
    def plain(x: int) -> int:
        return x * 2

    a = tool(plain)
    b = tool(plain, name="double")
    c = tool()(plain)
    d = tool(name="twice")(plain)
    assert [t.name for t in (a, b, c, d)] == ["plain", "double", "plain", "twice"]
    assert a(4) == 8
    assert d(x=5) == 10
    assert isinstance(a, Tool)
    assert a.__wrapped__ is plain
    assert repr(a) == "<Tool plain(x)>"


def test_async_tool_call_through() -> None:
    @tool
    async def slow_double(x: int) -> int:
        await anyio.sleep(0)
        return x * 2

    assert slow_double.is_async
    assert anyio.run(slow_double, 21) == 42


def test_tool_names_are_checked() -> None:
    with pytest.raises(ValueError, match="pass name="):
        tool(lambda x: x)
    assert tool(lambda x: x, name="ident").name == "ident"
    with pytest.raises(ValueError, match="invalid tool name"):
        tool(lambda x: x, name="has space")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        tool(lambda x: x, name="t", timeout=0)


def test_partials_and_callable_objects() -> None:
    def power(base: int, exp: int) -> int:
        """Raise to a power."""
        return int(base**exp)

    square = tool(functools.partial(power, exp=2), name="square")
    assert square.description == "Raise to a power."
    assert square.parameters["required"] == ["base"]
    assert square(base=3) == 9

    class Counter:
        def __call__(self, step: int = 1) -> int:
            """Count up."""
            return step

    counter = tool(Counter(), name="count")
    assert counter.description == "Count up."
    assert counter.parameters["properties"] == {"step": {"type": "integer", "default": 1}}


def test_to_spec_and_request_builders() -> None:
    @tool
    def get_weather(city: str) -> str:
        """Weather."""
        return city

    spec = get_weather.to_spec()
    assert spec == {"description": "Weather.", "parameters": get_weather.parameters}
    spec["parameters"]["properties"].clear()  # a copy: the tool is not changed
    assert get_weather.parameters["properties"]
    assert normalize_tools([get_weather]) == {"get_weather": get_weather.to_spec()}
    assert normalize_tools(Toolbox([get_weather])) == {"get_weather": get_weather.to_spec()}

    def nodoc(x: int) -> int:
        return x

    assert "description" not in tool(nodoc).to_spec()


def test_bind_converts_to_hinted_types() -> None:
    seen: dict[str, Any] = {}

    @tool
    def f(
        route: Route,
        level: Level,
        pair: tuple[int, str],
        tags: set[str],
        scale: float,
        count: int,
        maybe: Color | None = None,
        address: Address | None = None,
        /,
    ) -> None:
        seen.update(locals())

    args, kwargs = f.bind(
        {
            "route": {"start": {"lat": 1}, "stops": [{"lat": 2, "lon": 3, "tags": ["a"]}]},
            "level": 2,
            "pair": [1, "x"],
            "tags": ["a", "b"],
            "scale": 2,
            "count": 3.0,
            "maybe": "green",
            "address": {"street": "Main"},
        }
    )
    assert kwargs == {}  # positional-only parameters are passed positionally
    f(*args)
    assert seen["route"] == Route(Point(1.0), [Point(2.0, 3.0, ["a"])])
    assert isinstance(seen["route"].start.lat, float)
    assert seen["level"] is Level.HIGH
    assert seen["pair"] == (1, "x")
    assert seen["tags"] == {"a", "b"}
    assert seen["scale"] == 2.0 and isinstance(seen["scale"], float)
    assert seen["count"] == 3 and isinstance(seen["count"], int)
    assert seen["maybe"] is Color.GREEN
    assert seen["address"] == {"street": "Main"}


def test_bind_reports_every_problem() -> None:
    @tool
    def f(city: str, unit: Literal["c", "f"] = "c", days: int = 1) -> None: ...

    with pytest.raises(ToolArgumentsError) as info:
        f.bind({"unit": "k", "days": True, "extra": 1})
    message = str(info.value)
    assert message.startswith("invalid arguments for tool 'f': ")
    assert "missing required argument 'city'" in message
    assert "unit: expected one of 'c', 'f'; got 'k'" in message
    assert "days: expected integer, got boolean True" in message
    assert "unexpected argument 'extra'" in message
    with pytest.raises(ToolArgumentsError, match="must be a JSON object"):
        f.bind(["Paris"])


def test_bind_reports_conversion_failures() -> None:
    @dataclasses.dataclass
    class Positive:
        n: int

        def __post_init__(self) -> None:
            if self.n <= 0:
                raise ValueError("n must be positive")

    def f(p: Positive) -> int:
        return p.n

    f.__annotations__ = {"p": Positive, "return": int}
    with pytest.raises(ToolArgumentsError, match="ValueError: n must be positive"):
        tool(f).bind({"p": {"n": -1}})


# -- the validator ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "schema_", "errors"),
    [
        (3.0, {"type": "integer"}, []),
        (3.5, {"type": "integer"}, ["expected integer, got number 3.5"]),
        (True, {"type": "integer"}, ["expected integer, got boolean True"]),
        (1, {"type": "number"}, []),
        (None, {"type": "string", "nullable": True}, []),
        (None, {"type": ["string", "null"]}, []),
        (1, {"enum": [True]}, ["expected one of True; got 1"]),
        ("x", {"const": "x"}, []),
        (2, {"anyOf": [{"type": "string"}, {"type": "null"}]}, ["expected string or null, got 2"]),
        ([1, "a"], {"type": "array", "items": {"type": "integer"}}, ["[1]: expected integer, got string 'a'"]),
        ([1, 1], {"type": "array", "uniqueItems": True}, ["items must be unique; 1 is repeated"]),
        ({"a": {"b": 1}}, {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}}, ["a.b: expected string, got integer 1"]),
        ({"k": "v"}, {"type": "object", "additionalProperties": {"type": "integer"}}, ["k: expected integer, got string 'v'"]),
        ("ab", {"type": "string", "minLength": 3}, ["expected at least 3 characters"]),
        ("ab", {"type": "string", "pattern": "^a"}, []),
        (5, {"type": "integer", "maximum": 4}, ["expected a number <= 4, got 5"]),
        ({"x": 1}, {"type": "object", "unknownKeyword": 1}, []),
        (1, {"allOf": [{"type": "integer"}, {"minimum": 2}]}, ["expected a number >= 2, got 1"]),
    ],
)
def test_validator(value: Any, schema_: dict[str, Any], errors: list[str]) -> None:
    assert validate(value, schema_) == errors


# -- the Toolbox ---------------------------------------------------------------------------------

WEATHER_SCHEMA = {
    "description": "Get the current weather for a location",
    "parameters": {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location"],
    },
}


def test_toolbox_from_seed_style_schemas_and_impls() -> None:
    def weather(location: str, unit: str = "celsius") -> dict[str, Any]:
        return {"location": location, "unit": unit}

    box = Toolbox({"get_weather": WEATHER_SCHEMA}, impls={"get_weather": weather})
    # the schema is sent exactly as given
    assert box.to_spec() == {"get_weather": WEATHER_SCHEMA}
    execution = box.execute_sync(
        {"toolCallId": "c1", "toolName": "get_weather", "args": {"location": "Oslo", "unit": "fahrenheit"}}
    )
    assert execution.result == {"location": "Oslo", "unit": "fahrenheit"}
    bad = box.execute_sync({"toolCallId": "c2", "toolName": "get_weather", "args": {"unit": "kelvin"}})
    assert bad.is_error
    assert "missing required argument 'location'" in bad.result


def test_toolbox_forms_and_errors() -> None:
    @tool
    def a(x: int) -> int:
        return x

    def b(y: str) -> str:
        return y

    box = Toolbox([a, b, {"name": "c", **WEATHER_SCHEMA}], impls={"c": b}, timeout=3)
    assert box.names == ["a", "b", "c"]
    assert "a" in box and len(box) == 3
    assert box["b"].parameters["required"] == ["y"]
    assert box.timeout == 3.0
    renamed = Toolbox({"alias": a, "other": b})
    assert renamed.names == ["alias", "other"]
    assert renamed["alias"].fn is a.fn and a.name == "a"

    with pytest.raises(ValueError, match=r"schema without an implementation: pass tool_impls=\{'w': function\}"):
        Toolbox({"w": WEATHER_SCHEMA})
    with pytest.raises(ValueError, match="implementations given for 'zzz'"):
        Toolbox([a], impls={"zzz": b})
    with pytest.raises(ValueError, match="two tools are named 'a'"):
        Toolbox([a, tool(b, name="a")])
    with pytest.raises(TypeError, match="cannot use 42 as a tool"):
        Toolbox([42])
    with pytest.raises(KeyError, match="no tool named 'nope'"):
        box["nope"]


def test_toolbox_registering() -> None:
    box = Toolbox()

    @box.tool
    def one(x: int) -> int:
        return x

    @box.tool(name="two", timeout=1)
    def second(x: int) -> int:
        return x

    box.add(lambda q: q, name="three")
    assert box.names == ["one", "two", "three"]
    assert isinstance(one, Tool) and one(1) == 1
    assert repr(box) == "Toolbox(one, two, three)"


# -- running calls -------------------------------------------------------------------------------


def boom(x: int) -> int:
    """Always fails."""
    raise ValueError(f"bad x {x}")


def call(name: str, args: Any, call_id: str = "c1") -> dict[str, Any]:
    return {"type": "tool-call", "toolCallId": call_id, "toolName": name, "args": args}


def test_execute_sync_outcomes() -> None:
    @tool
    def add(a: int, b: int) -> int:
        return a + b

    @tool
    async def async_add(a: int, b: int) -> int:
        await anyio.sleep(0.01)
        return a + b

    box = Toolbox([add, async_add, boom])
    ok = box.execute_sync(call("add", {"a": 1, "b": 2}))
    assert (ok.result, ok.is_error, ok.tool_call_id, ok.name, ok.args) == (3, False, "c1", "add", {"a": 1, "b": 2})
    assert ok.duration >= 0
    assert box.execute_sync(call("async_add", {"a": 1, "b": 2})).result == 3

    failed = box.execute_sync(call("boom", {"x": 7}))
    assert failed.is_error and failed.result == "tool 'boom' failed: ValueError: bad x 7"
    assert isinstance(failed.exception, ValueError)

    unknown = box.execute_sync(call("nope", {}))
    assert unknown.is_error
    assert unknown.result == "unknown tool 'nope'; available tools: add, async_add, boom"
    assert isinstance(unknown.exception, UnknownToolError)

    invalid = box.execute_sync(call("add", {"a": "1"}))
    assert invalid.is_error and isinstance(invalid.exception, ToolArgumentsError)
    assert invalid.result.startswith("invalid arguments for tool 'add'")

    assert ok.to_command() == {
        "type": "add-tool-result",
        "toolCallId": "c1",
        "toolName": "add",
        "result": 3,
        "isError": False,
    }
    assert failed.to_result_part()["isError"] is True


def test_execute_sync_timeouts() -> None:
    release = threading.Event()

    @tool(timeout=0.2)
    def stuck() -> str:
        release.wait(5)
        return "late"

    @tool(timeout=0.2)
    async def stuck_async() -> str:
        await anyio.sleep(5)
        return "late"

    box = Toolbox([stuck, stuck_async])
    started = time.perf_counter()
    a, b = box.execute_all_sync([call("stuck", {}, "s1"), call("stuck_async", {}, "s2")])
    release.set()
    assert time.perf_counter() - started < 2
    for execution, name in ((a, "stuck"), (b, "stuck_async")):
        assert execution.is_error
        assert execution.result == f"tool {name!r} timed out after 0.2 s"
        assert isinstance(execution.exception, ToolTimeoutError)
        assert 0.15 < execution.duration < 2


def test_execute_all_sync_runs_concurrently_in_call_order() -> None:
    barrier = threading.Barrier(3, timeout=5)

    @tool
    def meet(n: int) -> int:
        barrier.wait()  # only passes if all three calls run at once
        time.sleep(0.05 * (3 - n))
        return n

    box = Toolbox([meet])
    results = box.execute_all_sync([call("meet", {"n": i}, f"c{i}") for i in range(3)])
    assert [r.result for r in results] == [0, 1, 2]
    assert [r.tool_call_id for r in results] == ["c0", "c1", "c2"]


@pytest.mark.anyio
async def test_execute_async_outcomes() -> None:
    entered = 0
    both = anyio.Event()

    @tool
    async def wait_for_other(n: int) -> int:
        nonlocal entered
        entered += 1
        if entered == 2:
            both.set()
        with anyio.fail_after(5):
            await both.wait()  # only passes if both calls run at once
        return n

    @tool
    def blocking(n: int) -> int:
        time.sleep(0.01)  # a sync tool: runs in a worker thread
        return n * 10

    @tool(timeout=0.1)
    async def too_slow() -> None:
        await anyio.sleep(5)

    @tool(timeout=0.1)
    def too_slow_sync() -> None:
        time.sleep(0.5)

    box = Toolbox([wait_for_other, blocking, boom, too_slow, too_slow_sync])
    results = await box.execute_all(
        [
            call("wait_for_other", {"n": 1}, "a"),
            call("blocking", {"n": 2}, "b"),
            call("wait_for_other", {"n": 3}, "c"),
            call("boom", {"x": 1}, "d"),
            call("too_slow", {}, "e"),
            call("too_slow_sync", {}, "f"),
            call("missing", {}, "g"),
        ]
    )
    assert [r.tool_call_id for r in results] == list("abcdefg")
    assert [r.result for r in results[:3]] == [1, 20, 3]
    assert results[3].result == "tool 'boom' failed: ValueError: bad x 1"
    assert results[4].result == "tool 'too_slow' timed out after 0.1 s"
    assert results[5].result == "tool 'too_slow_sync' timed out after 0.1 s"
    assert results[6].is_error and "unknown tool 'missing'" in results[6].result
    assert [r.is_error for r in results] == [False, False, False, True, True, True, True]
    one = await box.execute(call("blocking", {"n": 4}))
    assert one.result == 40


def test_to_jsonable() -> None:
    class Model:
        def model_dump(self, mode: str = "python") -> dict[str, Any]:
            return {"mode": mode, "when": dt.date(2024, 5, 1)}

    value = {
        "point": Point(1.0),
        "color": Color.RED,
        "pair": (1, 2),
        "set": frozenset([3]),
        "when": dt.datetime(2024, 5, 1, 12, 0),
        "bytes": b"hi",
        "binary": b"\xff\x00",
        "model": Model(),
        "nan": float("nan"),
        1: "int key",
        "other": Opaque,
    }
    assert to_jsonable(value) == {
        "point": {"lat": 1.0, "lon": 0.0, "tags": [], "label": ""},
        "color": "red",
        "pair": [1, 2],
        "set": [3],
        "when": "2024-05-01T12:00:00",
        "bytes": "hi",
        "binary": "/wA=",
        "model": {"mode": "json", "when": "2024-05-01"},
        "nan": "nan",
        "1": "int key",
        "other": str(Opaque),
    }


def test_tool_returning_objects_is_sent_as_json() -> None:
    @tool
    def where() -> Point:
        return Point(1.5, 2.5)

    assert Toolbox([where]).execute_sync(call("where", {})).result == {
        "lat": 1.5,
        "lon": 2.5,
        "tags": [],
        "label": "",
    }


def test_exports() -> None:
    from assistant_ui.tools import runner as _run

    assert RunResult is _run.RunResult
    assert ToolRefusedError.__mro__[1].__name__ == "ToolError"
    assert ToolExecution.__dataclass_fields__["exception"].repr is False
    # a Toolbox is accepted wherever tools= is
    client = AssistantClient("http://127.0.0.1:1")
    from assistant_ui._thread import build_chat_spec

    spec = build_chat_spec(
        client,
        "t",
        messages=None,
        system=None,
        tools=Toolbox([boom]),
        commands=None,
        run_config=None,
        state=None,
        assistant_message_id=None,
        extra={},
    )
    assert spec.json["tools"] == {"boom": tool(boom).to_spec()}
