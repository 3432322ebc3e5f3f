"""The shared sans-IO decoder, public for bytes that come from elsewhere (docs/api.md §6).

>>> from assistant_ui.decoding import StreamDecoder, MessageAccumulator
>>> decoder = StreamDecoder(content_type="text/plain")
>>> acc = MessageAccumulator()
>>> acc.add_all(decoder.feed(b'0:"Hello"\\n0:" world"\\n'))
>>> acc.add_all(decoder.end())
>>> acc.finish()["content"]
[{'type': 'text', 'text': 'Hello world'}]
"""

from __future__ import annotations

from typing import Any

from ._wire.accumulator import MessageAccumulator
from ._wire.decoder import DEFAULT_MAX_EVENT_SIZE, StreamDecoder
from ._wire.dialects import PROTOCOLS
from ._wire.partial_json import parse_partial, parse_partial_object
from ._wire.state_ops import apply_operations
from .events import Event
from .types import AssistantMessage

__all__ = [
    "DEFAULT_MAX_EVENT_SIZE",
    "PROTOCOLS",
    "Event",
    "MessageAccumulator",
    "StreamDecoder",
    "accumulate",
    "apply_operations",
    "decode",
    "parse_partial",
    "parse_partial_object",
]


def decode(
    body: bytes,
    *,
    protocol: str | None = None,
    headers: Any = None,
    content_type: str | None = None,
) -> list[Event]:
    """Decode a whole body to events."""
    return StreamDecoder(protocol=protocol, headers=headers, content_type=content_type).decode(body)


def accumulate(events: Any, *, state: Any = None) -> AssistantMessage:
    """Accumulate events into the final assistant message."""
    acc = MessageAccumulator(state=state)
    acc.add_all(events)
    return acc.finish()
