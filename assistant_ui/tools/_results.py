"""What a tool call ends with: :class:`ToolExecution`, the :class:`ToolError` family,
the run stream's tool events, and :func:`to_jsonable` (a return value as JSON)."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import math
from collections.abc import Mapping
from typing import Any, Literal, Union

from typing_extensions import TypedDict

from ..events import Event
from ..messages import add_tool_result
from ..types import AddToolResultCommand, ToolResultPart

__all__ = [
    "RunEvent",
    "ToolArgumentsError",
    "ToolError",
    "ToolExecution",
    "ToolExecutionEndEvent",
    "ToolExecutionStartEvent",
    "ToolRefusedError",
    "ToolTimeoutError",
    "UnknownToolError",
    "failed",
    "start_event",
    "to_jsonable",
]

# -- errors (what ToolExecution.exception holds when the tool itself did not raise) ------------


class ToolError(Exception):
    """Base of the errors a tool call can end with besides the tool's own exception."""


class UnknownToolError(ToolError, LookupError):
    """The backend asked for a tool that is not in the toolbox."""


class ToolArgumentsError(ToolError, ValueError):
    """The arguments do not fit the tool's schema."""


class ToolTimeoutError(ToolError, TimeoutError):
    """The tool ran longer than its timeout."""


class ToolRefusedError(ToolError):
    """The ``approve=`` callback refused the call."""


# -- events the run stream adds to the normal ones ----------------------------------------------


class ToolExecutionStartEvent(TypedDict):
    type: Literal["tool-execution-start"]
    toolCallId: str
    toolName: str
    args: Any


class ToolExecutionEndEvent(TypedDict):
    type: Literal["tool-execution-end"]
    toolCallId: str
    toolName: str
    result: Any
    isError: bool
    #: seconds
    duration: float


RunEvent = Union[Event, ToolExecutionStartEvent, ToolExecutionEndEvent]


# -- executions -----------------------------------------------------------------------------------


@dataclasses.dataclass
class ToolExecution:
    """One tool call the client ran (or refused, or could not run)."""

    tool_call_id: str
    #: the tool name the backend asked for
    name: str
    #: the arguments as the backend sent them
    args: Any
    #: what goes back to the backend: the tool's return value as JSON, or the error message
    result: Any
    is_error: bool = False
    #: seconds, from the start of the call to its end (0 for calls that never ran)
    duration: float = 0.0
    #: the approve= callback refused the call
    refused: bool = False
    #: why the call failed: the tool's own exception, or a :class:`ToolError`
    exception: BaseException | None = dataclasses.field(default=None, repr=False)

    def to_command(self) -> AddToolResultCommand:
        """The ``add-tool-result`` command reporting this execution."""
        return add_tool_result(self.tool_call_id, self.name, self.result, self.is_error)

    def to_result_part(self) -> ToolResultPart:
        """The ``tool-result`` part reporting this execution."""
        return {
            "type": "tool-result",
            "toolCallId": self.tool_call_id,
            "toolName": self.name,
            "result": self.result,
            "isError": self.is_error,
        }

    def end_event(self) -> ToolExecutionEndEvent:
        return {
            "type": "tool-execution-end",
            "toolCallId": self.tool_call_id,
            "toolName": self.name,
            "result": self.result,
            "isError": self.is_error,
            "duration": self.duration,
        }


def start_event(call: Mapping[str, Any]) -> ToolExecutionStartEvent:
    return {
        "type": "tool-execution-start",
        "toolCallId": str(call.get("toolCallId", "")),
        "toolName": str(call.get("toolName", "")),
        "args": call.get("args", {}),
    }


def failed(call: Mapping[str, Any], exc: BaseException, *, duration: float = 0.0) -> ToolExecution:
    """An error execution for ``call``, the message being ``str(exc)``."""
    return ToolExecution(
        tool_call_id=str(call.get("toolCallId", "")),
        name=str(call.get("toolName", "")),
        args=call.get("args", {}),
        result=str(exc),
        is_error=True,
        duration=duration,
        refused=isinstance(exc, ToolRefusedError),
        exception=exc,
    )


def to_jsonable(value: Any) -> Any:
    """A tool's return value as JSON: dataclasses and mappings become objects, tuples and
    sets lists, enums their value, dates ISO strings, pydantic models their
    ``model_dump(mode="json")``, bytes text (or base64); anything else its ``str()``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return to_jsonable(dump(mode="json"))
        except Exception:
            pass
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode("ascii")
    return str(value)

