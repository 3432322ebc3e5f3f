"""Generic SSE: claims nothing, so every event comes out as a ``raw`` event."""

from __future__ import annotations

from typing import Any

from ..sse import SSEEvent

__all__ = ["RawSSEDialect"]


class RawSSEDialect:
    name = "sse"

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []

    def feed_event(self, value: Any, event: SSEEvent, out: list[Any]) -> bool:
        return False

    def end(self, out: list[Any], *, done: bool) -> None:
        return None
