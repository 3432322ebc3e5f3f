"""Encoders: normalized events (:mod:`assistant_ui.events`) to wire bytes, one module per format.

The inverse of :class:`assistant_ui.decoding.StreamDecoder`, used by the fake
backend and handy on its own::

    stream = encode(events, "data-stream")
    stream.headers          # {"content-type": ..., "x-vercel-ai-data-stream": "v1"}
    for chunk in stream.chunks:   # one chunk of bytes per event
        ...

Round trip: decoding ``encode(events, fmt)`` and accumulating gives the same
message as accumulating ``events`` themselves, for every event list made only of
the events the format carries (:data:`FORMAT_EVENTS`, and the limits each
format's module states: :mod:`.data_stream`, :mod:`.assistant_transport`,
:mod:`.ui_message_stream`, :mod:`.openai` (``openai`` and ``openai-json``),
:mod:`.plain_text`, :mod:`.sse`). An event a format cannot carry is dropped
(or, with ``strict=True``, raises ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .assistant_transport import AssistantTransportEncoder
from .base import FORMAT_EVENTS, FORMATS, EncodedStream, Encoder, dumps
from .data_stream import DataStreamEncoder
from .openai import OpenAIEncoder, openai_document
from .plain_text import PlainTextEncoder
from .sse import SSEEncoder
from .ui_message_stream import UIMessageStreamEncoder

__all__ = [
    "FORMATS",
    "FORMAT_EVENTS",
    "EncodedStream",
    "encode",
    "encode_body",
]

#: the streaming encoders by format (``openai-json`` is one document: :func:`openai_document`)
ENCODERS: dict[str, type[Encoder]] = {
    "data-stream": DataStreamEncoder,
    "assistant-transport": AssistantTransportEncoder,
    "ui-message-stream": UIMessageStreamEncoder,
    "openai": OpenAIEncoder,
    "plain-text": PlainTextEncoder,
    "sse": SSEEncoder,
}


def encode(
    events: Iterable[Mapping[str, Any]],
    format: str = "data-stream",
    *,
    heartbeat: bool = False,
    strict: bool = False,
) -> EncodedStream:
    """Encode normalized events in one wire format.

    ``heartbeat=True`` puts the format's keep-alive (a blank line for the data
    stream, ``: heartbeat`` for SSE formats) before every event, as its own chunk.
    ``strict=True`` raises ``ValueError`` for an event the format cannot carry
    instead of dropping it.
    """
    if format == "openai-json":
        doc = openai_document(list(events), strict)
        body = dumps(doc).encode()
        return EncodedStream(
            format=format,
            content_type="application/json",
            headers={"content-type": "application/json"},
            chunks=iter([body]),
            heartbeat=None,
        )
    cls = ENCODERS.get(format)
    if cls is None:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    encoder = cls(strict)
    headers = encoder.headers()
    events = list(events)

    def chunks() -> Iterator[bytes]:
        beat = encoder.heartbeat if heartbeat else None
        for ev in events:
            if beat:
                yield beat
            text = encoder.event(ev)
            if text:
                yield text.encode("utf-8")
        tail = encoder.end()
        if tail:
            yield tail.encode("utf-8")

    return EncodedStream(
        format=format,
        content_type=headers["content-type"],
        headers=headers,
        chunks=chunks(),
        heartbeat=encoder.heartbeat,
    )


def encode_body(
    events: Iterable[Mapping[str, Any]], format: str = "data-stream", **kwargs: Any
) -> bytes:
    """The whole encoded body at once."""
    return encode(events, format, **kwargs).body()
