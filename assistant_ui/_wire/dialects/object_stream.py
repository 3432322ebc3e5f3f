"""Object stream (``Assistant-Stream-Format: object-stream/v0``, protocols.md §8).

Each SSE event's data is a JSON array of state operations (§6); it becomes one
``state-update`` event. The first event usually sets the whole snapshot
(``path: []``). There is no ``[DONE]``. Applying the operations (and reporting
the bad ones) is the accumulator's job; an empty array emits nothing.
"""

from __future__ import annotations

from typing import Any

from ..sse import SSEEvent

__all__ = ["ObjectStreamDialect"]


class ObjectStreamDialect:
    name = "object-stream"

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []

    def feed_event(self, value: Any, event: SSEEvent, out: list[Any]) -> bool:
        if type(value) is not list:
            return False
        if value:
            out.append({"type": "state-update", "operations": value})
        return True

    def end(self, out: list[Any], *, done: bool) -> None:
        return None
