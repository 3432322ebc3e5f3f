"""Object stream (``Assistant-Stream-Format: object-stream/v0``, docs/wire-formats.md §8).

Each SSE event's data is a JSON array of state operations (§6); it becomes one
``state-update`` event. The first event usually sets the whole snapshot
(``path: []``). There is no ``[DONE]``. Applying the operations (and reporting
the bad ones) is the accumulator's job; an empty array emits nothing.
"""

from __future__ import annotations

from typing import Any

from ..sse import SSEEvent
from .base import JSONEventDialect

__all__ = ["ObjectStreamDialect", "sniff_event"]


def sniff_event(value: Any) -> bool:
    """A first payload that is a non-empty array of ``set``/``append-text`` operations."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(op, dict) and op.get("type") in ("set", "append-text") and "path" in op
            for op in value
        )
    )


class ObjectStreamDialect(JSONEventDialect):
    name = "object-stream"

    def event(self, value: Any, ev: SSEEvent, out: list[Any]) -> bool:
        if type(value) is not list:
            return False
        if value:
            out.append({"type": "state-update", "operations": value})
        return True
