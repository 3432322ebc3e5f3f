"""The generic ``sse`` encoder: ``raw`` events only.

Each becomes ``event:``, ``id:`` (reset with an empty ``id:`` when an event has
none after one that had one) and the ``data`` as JSON. A client should pass
``protocol="sse"``: otherwise the first payload is sniffed and may look like one
of the other formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    Encoder,
    dumps,
)

__all__ = ["SSEEncoder"]


class SSEEncoder(Encoder):
    format = "sse"

    def __init__(self, strict: bool) -> None:
        super().__init__(strict)
        self.last_id = ""

    def on_raw(self, ev: Mapping[str, Any], out: list[str]) -> None:
        name = ev.get("event") or "message"
        event_id = ev.get("id") or ""
        for value in (name, event_id):
            if "\n" in value or "\r" in value:
                raise ValueError(f"an SSE event name or id cannot hold a line break: {value!r}")
        lines: list[str] = []
        if name != "message":
            lines.append(f"event: {name}\n")
        if event_id != self.last_id:
            lines.append(f"id: {event_id}\n" if event_id else "id\n")
            self.last_id = event_id
        lines.append(f"data: {dumps(ev.get('data'))}\n\n")
        out.append("".join(lines))
