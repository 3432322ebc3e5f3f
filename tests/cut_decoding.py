"""Decoding a body cut into pieces, for tests that compare two ways of decoding it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui.errors import DecodeError


def decode_in_pieces(
    decoder: StreamDecoder, body: bytes, cuts: list[int], before_piece: Callable[[], None] | None = None
) -> tuple[list[Any], list[str], Any]:
    """Feed ``body`` cut at ``cuts``, then end: (events, warnings, the error as a tuple
    of its message, protocol, offset and events, or None). ``before_piece`` runs before
    each piece is fed."""
    events: list[Any] = []
    error: Any = None
    try:
        start = 0
        for cut in [*cuts, len(body)]:
            if before_piece is not None:
                before_piece()
            events.extend(decoder.feed(body[start:cut]))
            start = cut
        events.extend(decoder.end())
    except DecodeError as exc:
        error = (exc.message, exc.protocol, exc.offset, list(exc.events))
    return events, list(decoder.warnings), error
