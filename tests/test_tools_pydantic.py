"""pydantic models as ``@tool`` parameters (issue #18.3): the model's JSON Schema is sent,
the arguments are validated into a model instance, a validation error becomes an
``isError`` result naming the field. And without pydantic, nothing changes and nothing
imports it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

pydantic = pytest.importorskip("pydantic")
from pydantic import BaseModel, Field, field_validator  # noqa: E402
from test_run_loop import DataStreamBackend, in_process, scripted  # noqa: E402

from assistant_ui import user  # noqa: E402
from assistant_ui.tools import ToolArgumentsError, Toolbox, tool  # noqa: E402


class Point(BaseModel):
    """A point on the map."""

    lat: float = Field(description="Latitude, degrees.", ge=-90, le=90)
    lon: float = Field(description="Longitude, degrees.")


class Trip(BaseModel):
    name: str
    stops: list[Point] = Field(description="Where to stop, in order.")
    note: str | None = None

    @field_validator("name")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


SEEN: list[Any] = []


@tool
def plan(trip: Trip, speed: int = 50) -> str:
    """Plan a trip.

    Args:
        trip: The trip.
        speed: km/h.
    """
    SEEN.append(trip)
    return f"{trip.name}: {len(trip.stops)} stops at {speed}"


@tool
def locate(point: Point) -> dict[str, float]:
    """Name a point."""
    SEEN.append(point)
    return {"lat": point.lat, "lon": point.lon}


def call(name: str, args: Any) -> dict[str, Any]:
    return {"type": "tool-call", "toolCallId": "c1", "toolName": name, "args": args}


def test_model_schema_is_sent_with_descriptions_and_defs() -> None:
    params = plan.parameters
    trip = params["properties"]["trip"]
    assert trip["type"] == "object" and trip["required"] == ["name", "stops"]
    assert trip["properties"]["stops"]["description"] == "Where to stop, in order."
    assert trip["properties"]["stops"]["items"] == {"$ref": "#/$defs/Point"}
    # the $defs the model refers to sit at the root, where "#/$defs/..." points
    point = params["$defs"]["Point"]
    assert point["description"] == "A point on the map."
    assert point["properties"]["lat"]["description"] == "Latitude, degrees."
    assert point["properties"]["lat"]["maximum"] == 90
    assert params["required"] == ["trip"]
    assert params["properties"]["speed"] == {"type": "integer", "description": "km/h.", "default": 50}
    json.dumps(plan.to_spec())  # plain JSON


def test_model_arguments_become_an_instance() -> None:
    SEEN.clear()
    args = {"trip": {"name": "Tour", "stops": [{"lat": 1, "lon": 2}, {"lat": 3.5, "lon": 4}]}}
    done = Toolbox([plan]).execute_sync(call("plan", args))
    assert (done.result, done.is_error) == ("Tour: 2 stops at 50", False)
    assert isinstance(SEEN[0], Trip) and isinstance(SEEN[0].stops[1], Point)
    assert SEEN[0].stops[1].lat == 3.5


def test_single_model_parameter() -> None:
    SEEN.clear()
    assert locate.parameters["properties"]["point"]["description"] == "A point on the map."
    done = Toolbox([locate]).execute_sync(call("locate", {"point": {"lat": 10, "lon": 20}}))
    assert (done.result, done.is_error) == ({"lat": 10.0, "lon": 20.0}, False)
    assert isinstance(SEEN[0], Point)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # the model's own validator
        ({"trip": {"name": " ", "stops": []}}, "trip.name: Value error, must not be blank"),
        # a nested field, found by pydantic
        (
            {"trip": {"name": "x", "stops": [{"lat": 1, "lon": 2}, {"lat": 91, "lon": 2}]}},
            "trip.stops[1].lat: Input should be less than or equal to 90",
        ),
        # a missing field, found by the schema check
        ({"trip": {"stops": []}}, "trip: missing required property 'name'"),
    ],
)
def test_validation_errors_name_the_field(args: dict[str, Any], message: str) -> None:
    done = Toolbox([plan]).execute_sync(call("plan", args))
    assert done.is_error
    assert done.result == f"invalid arguments for tool 'plan': {message}"
    assert isinstance(done.exception, ToolArgumentsError)
    with pytest.raises(ToolArgumentsError, match="invalid arguments"):
        plan.bind(args)


def test_local_model_under_postponed_annotations() -> None:
    class Box(BaseModel):
        side: int = Field(description="Side length.")

    @tool
    def volume(box: Box) -> int:
        return box.side**3

    assert volume.parameters["properties"]["box"]["properties"]["side"]["description"] == "Side length."
    assert Toolbox([volume]).execute_sync(call("volume", {"box": {"side": 3}})).result == 27


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_run_loop_with_a_model(anyio_backend: str) -> None:
    backend = DataStreamBackend(
        scripted(
            [("c1", "locate", {"point": {"lat": 1, "lon": 2}}), ("c2", "locate", {"point": {"lat": "x", "lon": 2}})],
            "done",
        )
    )
    async with in_process(backend) as client:
        result = await client.threads("t").run([user("go")], tools=[locate])
    sent = backend.results[1]
    assert sent[0]["result"] == {"lat": 1.0, "lon": 2.0} and not sent[0]["isError"]
    assert sent[1]["isError"] and sent[1]["result"].startswith("invalid arguments for tool 'locate': point.lat:")
    assert backend.bodies[0]["tools"]["locate"]["parameters"]["properties"]["point"]["required"] == ["lat", "lon"]
    assert result.stop_reason == "done"


WITHOUT_PYDANTIC = textwrap.dedent(
    """
    import sys
    sys.modules["pydantic"] = None  # as if it were not installed: importing it fails
    from dataclasses import dataclass
    from assistant_ui.tools import Toolbox, tool, to_jsonable

    @dataclass
    class Point:
        lat: float
        lon: float

    @tool
    def where(p: Point, label: str = "") -> str:
        return f"{p.lat},{p.lon} {label}"

    box = Toolbox([where])
    call = {"toolCallId": "c", "toolName": "where", "args": {"p": {"lat": 1, "lon": 2}}}
    done = box.execute_sync(call)
    assert (done.result, done.is_error) == ("1.0,2.0 ", False), done
    bad = box.execute_sync({**call, "args": {"p": {"lat": "x", "lon": 2}}})
    assert bad.is_error and "p.lat: expected number" in bad.result, bad.result
    assert "$defs" not in where.parameters
    assert to_jsonable(Point(1, 2)) == {"lat": 1, "lon": 2}
    assert sys.modules["pydantic"] is None
    print("ok")
    """
)


def test_without_pydantic() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYDANTIC], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_importing_tools_does_not_import_pydantic() -> None:
    code = "import sys, assistant_ui, assistant_ui.tools; print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
