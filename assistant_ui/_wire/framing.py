"""Framers: body bytes to the units the dialects read (see ``dialects/base.py``).

One class per framing. ``feed(data)`` returns the units completed by ``data``;
``end()`` those completed by the end of the body. A limit crossed (a line, an
SSE event, a JSON body or an AWS message past ``max_event_size``) is a
:class:`Truncated` error carrying the good units that came before it in the same
read, so that nothing decoded is lost; ``offset_of(i)`` is the body offset of
unit ``i`` of the last batch (for errors the dialect finds in it). Every framer
is linear in the body: bytes are scanned once and buffered pieces joined once.
"""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import DecodeError
from . import jsonlib as _json
from .eventstream import EventStreamFramer
from .lines import LineSplitter, LineTooLong, compact
from .sse import EventTooLarge, SSEDecoder, SSEEvent, TextRun

if TYPE_CHECKING:
    import re

__all__ = [
    "AWSFramer",
    "Framer",
    "JSONFramer",
    "LinesFramer",
    "SSEFramer",
    "TextFramer",
    "TextTemplate",
    "Truncated",
    "make_framer",
]


class Truncated(Exception):
    """A limit was crossed: ``units`` are the good ones before it, ``error`` the problem."""

    def __init__(self, units: list[Any], error: DecodeError) -> None:
        super().__init__(error.message)
        self.units = units
        self.error = error


class Framer:
    """The interface every framer has (see the module docstring)."""

    #: an end marker (SSE ``[DONE]``) was seen: the rest of the body is ignored
    done = False

    def feed(self, data: bytes) -> list[Any]:
        raise NotImplementedError

    def end(self) -> list[Any]:
        return []

    def offset_of(self, index: int) -> int | None:
        return None


class LinesFramer(Framer):
    """One unit per line (``bytes``, without its terminator)."""

    def __init__(self, max_size: int) -> None:
        self.lines = LineSplitter(max_line=max_size)
        self.max_size = max_size
        self._tail_start: int | None = None

    def feed(self, data: bytes) -> list[Any]:
        try:
            return self.lines.feed(data)
        except LineTooLong as exc:
            raise Truncated(exc.lines, self.too_long(exc)) from None

    def too_long(self, exc: LineTooLong) -> DecodeError:
        """The decoding error of a line past the limit."""
        return DecodeError(f"a line exceeds the limit of {self.max_size} bytes", offset=exc.offset)

    def end(self) -> list[Any]:
        self._tail_start = self.lines.pending_start
        tail = self.lines.flush()
        return [tail] if tail is not None else []

    def offset_of(self, index: int) -> int | None:
        if self._tail_start is not None:
            return self._tail_start
        return self.lines.line_start(index)


class TextTemplate(Protocol):
    """What the reader of an :class:`SSEFramer`'s events may announce (the OpenAI
    text fast path, ``JSONEventDialect``): an event whose data is ``text_prefix`` +
    one JSON string literal + ``text_suffix`` means only that string to it, now and
    for the rest of the body (also once it announces another template or none), and
    it reads :class:`~assistant_ui._wire.sse.TextRun` units. The framer reads the
    template before each batch, so a batch may be cut with the template of the
    batch before. With ``text_tail`` set, what follows the literal must match it to
    the end instead (``text_suffix`` is then empty): an envelope whose last field
    changes with every event (OpenAI's ``obfuscation`` padding)."""

    text_prefix: bytes | None
    text_suffix: bytes
    text_tail: re.Pattern[str] | None


class SSEFramer(LinesFramer):
    """One unit per SSE event (:class:`~assistant_ui._wire.sse.SSEEvent`); stops at ``[DONE]``.

    With a :attr:`template` whose ``text_prefix`` is set, runs of events that fit it
    come as one :class:`~assistant_ui._wire.sse.TextRun` unit each
    (:meth:`SSEDecoder.feed_templated <assistant_ui._wire.sse.SSEDecoder.feed_templated>`).
    """

    def __init__(self, max_size: int) -> None:
        super().__init__(max_size)
        self.sse = SSEDecoder(max_event_size=max_size, stop_at_done=True)
        #: per event of the last batch: the index of the line that dispatched it
        self._where: list[int] = []
        #: an event was dispatched
        self.seen_events = False
        #: the reader's text template, read before each batch (set by the decoder)
        self.template: TextTemplate | None = None

    @property
    def done(self) -> bool:  # type: ignore[override]
        return self.sse.done

    def feed(self, data: bytes) -> list[Any]:
        try:
            lines = self.lines.feed(data)
        except LineTooLong as exc:
            events = self._events(exc.lines)
            if self.sse.done:  # past [DONE] nothing matters
                return events
            raise Truncated(events, self.too_long(exc)) from None
        return self._events(lines)

    def too_long(self, exc: LineTooLong) -> DecodeError:
        return DecodeError(
            f"an SSE line exceeds the limit of {self.max_size} bytes", offset=exc.offset
        )

    def _events(self, lines: list[bytes]) -> list[Any]:
        events: list[SSEEvent | TextRun] = []
        where: list[int] = []
        self._where = where
        template = self.template
        try:
            if template is not None and template.text_prefix is not None and len(lines) > 1:
                self.sse.feed_templated(
                    lines, events, where, template.text_prefix, template.text_suffix,
                    template.text_tail,
                )
            else:
                self.sse.feed(lines, events, where)
        except EventTooLarge as exc:
            raise Truncated(
                list(events),
                DecodeError(
                    f"an SSE event exceeds the limit of {self.max_size} bytes",
                    offset=self.lines.line_start(exc.index),
                ),
            ) from None
        if events:
            self.seen_events = True
        return events

    def end(self) -> list[Any]:
        tail = self.lines.flush()
        if tail is not None and not self.sse.done:
            # an event without its closing blank line is discarded (WHATWG): a last
            # line still counts for ``id:`` / ``retry:``, never for data
            try:
                self.sse.feed([tail], [])
            except EventTooLarge:
                pass
        self.sse.end()
        return []

    def offset_of(self, index: int) -> int | None:
        return self.lines.line_start(self._where[index])


class AWSFramer(Framer):
    """One unit per AWS event-stream message (they carry their own offsets)."""

    def __init__(self, max_size: int, offset: int) -> None:
        self.framer = EventStreamFramer(offset=offset, max_message_size=max_size)

    def feed(self, data: bytes) -> list[Any]:
        return self.framer.feed(data)

    def end(self) -> list[Any]:
        self.framer.end()  # a partial message is a DecodeError
        return []


class JSONFramer(Framer):
    """The whole body, parsed, as one unit (an empty body gives none)."""

    def __init__(self, max_size: int, max_depth: int) -> None:
        self.max_size = max_size
        self.max_depth = max_depth
        self._pieces: list[Any] = []
        self._size = 0
        #: bytes fed so far
        self.offset = 0

    def feed(self, data: bytes) -> list[Any]:
        self._pieces.append(data)
        compact(self._pieces)
        self._size += len(data)
        self.offset += len(data)
        if self._size > self.max_size:
            self._pieces = []
            raise Truncated(
                [],
                DecodeError(
                    f"the JSON body exceeds the limit of {self.max_size} bytes",
                    offset=self.max_size,
                ),
            )
        return []

    def end(self) -> list[Any]:
        body = b"".join(self._pieces)
        self._pieces = []
        if not body.strip():
            return []
        if _json.too_deep(body, self.max_depth):
            raise DecodeError(f"JSON nested deeper than {self.max_depth} levels", offset=0)
        try:
            return [_json.parse(body)]
        except ValueError as exc:
            raise DecodeError(
                f"the body is not valid JSON: {exc}", protocol="json", offset=self.offset
            ) from exc


class TextFramer(Framer):
    """The body decoded as UTF-8 (invalid bytes replaced), one ``str`` per read."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes) -> list[Any]:
        text = self._decoder.decode(data)
        return [text] if text else []

    def end(self) -> list[Any]:
        text = self._decoder.decode(b"", True)
        return [text] if text else []


def make_framer(framing: str, max_size: int, max_depth: int, offset: int) -> Framer:
    """The framer for ``framing``; ``offset`` is where the body it reads starts."""
    if framing == "sse":
        return SSEFramer(max_size)
    if framing == "lines":
        return LinesFramer(max_size)
    if framing == "aws":
        return AWSFramer(max_size, offset)
    if framing == "json":
        return JSONFramer(max_size, max_depth)
    return TextFramer()
