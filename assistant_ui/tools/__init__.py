"""Client-side tools: ``@tool``, :class:`Tool`, :class:`Toolbox` (docs/api.md §8).

>>> from typing import Literal
>>> @tool
... def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict:
...     '''Current weather of a city.
...
...     Args:
...         city: The city name.
...         unit: Temperature unit.
...     '''
...     return {"city": city, "temp": 21, "unit": unit}
>>> get_weather.name, get_weather.description
('get_weather', 'Current weather of a city.')
>>> get_weather.parameters["properties"]["unit"]
{'type': 'string', 'enum': ['c', 'f'], 'description': 'Temperature unit.', 'default': 'c'}
>>> get_weather("Paris")["temp"]
21

The schema comes from the type hints (see :mod:`assistant_ui.tools._schema_compiler` for the supported
ones: str, int, float, bool, None, Any, Literal, Enum, Optional/unions, list/tuple/set/dict,
TypedDict, dataclasses, ``Annotated[X, "description"]``, and pydantic models when pydantic
is installed), the description and the per-parameter descriptions from the docstring
(Google ``Args:``, reST ``:param x:`` or NumPy ``Parameters``). String annotations (``from
__future__ import annotations``) are resolved in the function's module and, for a tool
defined inside a function, in that function's locals. An unsupported hint raises
:class:`TypeError` when the function is decorated. Arguments the backend sends are
validated against the schema and converted to the hinted types (an ``Enum`` member, a
dataclass instance, a pydantic model, a tuple...) before the call; what does not fit
becomes an ``isError`` result naming the field.

Tools given as schemas (the ``{"name": {"description", "parameters"}}`` mapping of
``assistant-ui-sync-server-api``) get their implementations separately:
``Toolbox(schemas, impls={"name": fn})``, or ``thread.run(..., tools=schemas,
tool_impls={"name": fn})``; the schema is then sent exactly as given and the function is
called with the arguments as keywords.

:class:`Toolbox` runs tool calls (:meth:`Toolbox.execute`, :meth:`Toolbox.execute_all`
and their ``_sync`` twins): nothing a tool does can raise out of them. An unknown tool,
invalid arguments, an exception or a timeout becomes a :class:`ToolExecution` with
``is_error=True`` and a message the model can read.

Arguments are read defensively: argument text nested deeper than the decoder's limit (512
levels) is an ``isError`` result ("not valid JSON"), and arguments are copied and checked
without recursion. Values the run loop sends back on the next step (``state``, the grown
history, tool results) are made sendable first: a non-finite number (``1e999`` reads as
``inf``, ``NaN``) becomes ``null`` as ``JSON.stringify`` does, a lone surrogate in a string
or key becomes U+FFFD (a split surrogate pair is joined), and a value nested deeper than
576 levels is refused with :class:`UnsendableValueError`. ``RunResult`` keeps the values as
they arrived.
"""

from ._decorator import Tool, tool
from ._resend import UnsendableValueError
from ._results import (
    RunEvent,
    ToolArgumentsError,
    ToolError,
    ToolExecution,
    ToolExecutionEndEvent,
    ToolExecutionStartEvent,
    ToolRefusedError,
    ToolTimeoutError,
    UnknownToolError,
    to_jsonable,
)
from ._toolbox import Toolbox
from .runner import AsyncRunStream, RunResult, RunStream

__all__ = [
    "AsyncRunStream",
    "RunEvent",
    "RunResult",
    "RunStream",
    "Tool",
    "ToolArgumentsError",
    "ToolError",
    "ToolExecution",
    "ToolExecutionEndEvent",
    "ToolExecutionStartEvent",
    "ToolRefusedError",
    "ToolTimeoutError",
    "Toolbox",
    "UnknownToolError",
    "UnsendableValueError",
    "to_jsonable",
    "tool",
]
