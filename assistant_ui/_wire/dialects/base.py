"""The one interface between the decoder and a wire-format dialect.

The decoder owns the *framing*: it turns body bytes into units (lines, SSE events,
AWS event-stream messages, a parsed JSON document, decoded text) and hands them to
the dialect in batches. A dialect owns the *meaning*: it turns units into
normalized events (docs/architecture.md). Every dialect has the same two entry
points:

* ``feed(units, out)``: decode a batch of units, appending events to ``out``;
* ``end(out, done=...)``: the body is complete (``done``: an SSE ``[DONE]`` was
  seen); flush what is pending and close what the server left open.

A problem with one unit that must end decoding (JSON nested past
``max_json_depth``) is raised as :class:`UnitError` carrying the unit's index in
the batch; the decoder turns it into a :class:`~assistant_ui.errors.DecodeError`
at that unit's body offset. Problems a dialect can recover from go to its
``warnings`` list.

Which unit a dialect receives is fixed by its framing in the registry
(:mod:`assistant_ui._wire.dialects`):

=========  ========================================================
framing    unit
=========  ========================================================
``lines``  one line, ``bytes``, without its terminator
``sse``    one :class:`~assistant_ui._wire.sse.SSEEvent`
``aws``    one :class:`~assistant_ui._wire.eventstream.EventStreamMessage`
``json``   the whole body, parsed (any JSON value)
``text``   a piece of the body decoded as UTF-8, ``str``
=========  ========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from ...errors import DecodeError
from .. import jsonlib as _json
from ..sse import SSEEvent, TextRun

if TYPE_CHECKING:
    import re

__all__ = ["Dialect", "Framing", "JSONEventDialect", "UnitError", "raw_event"]

#: how a body is cut into units (see the table above)
Framing = Literal["lines", "sse", "aws", "json", "text"]

UnitT = TypeVar("UnitT", contravariant=True)


class Dialect(Protocol[UnitT]):
    """What the decoder needs from a dialect (see the module docstring)."""

    #: the protocol name, as in the registry
    name: str
    #: problems met and recovered from (shared with the decoder)
    warnings: list[str]
    #: JSON nested deeper than this is a :class:`UnitError` (set by the decoder)
    max_json_depth: int

    def feed(self, units: Sequence[UnitT], out: list[Any]) -> None:
        """Decode ``units`` in order; events go to ``out``."""

    def end(self, out: list[Any], *, done: bool) -> None:
        """The body is complete: flush pending events (``done``: ``[DONE]`` was seen)."""


class UnitError(DecodeError):
    """A problem with unit ``index`` of the batch being fed (internal: the decoder
    turns it into a :class:`DecodeError` at that unit's body offset)."""

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


def raw_event(ev: SSEEvent, data: Any) -> dict[str, Any]:
    """The event for an SSE event no dialect claims: its name, data and id."""
    raw: dict[str, Any] = {"type": "raw", "event": ev.event, "data": data}
    if ev.id:
        raw["id"] = ev.id
    return raw


class JSONEventDialect:
    """Base of the SSE dialects whose events each carry one JSON value.

    :meth:`feed` parses each event's data (one JSON parse per event) and hands the
    value to :meth:`event`; data that is not JSON, and values :meth:`event` does
    not claim, go out as ``raw`` events. A :class:`~assistant_ui._wire.sse.TextRun`
    unit (events the SSE framer matched with the text template, see below) is one
    ``text-delta`` per non-empty string.
    """

    name = "sse"
    max_json_depth = _json.DEFAULT_MAX_DEPTH
    #: a dialect that sets these (see :meth:`learn`) says: an event whose data is
    #: ``text_prefix`` + one JSON string literal + ``text_suffix`` means exactly one
    #: ``text-delta`` of that string (nothing when it is empty), and changes nothing
    #: else; such events skip the JSON parse and :meth:`event`. It must stay true for
    #: the rest of the body, also after the template is replaced or dropped: the
    #: SSE framer reads it once per batch (``framing.TextTemplate``)
    text_prefix: bytes | None = None
    text_suffix = b""
    #: or, with ``text_suffix`` empty: what must follow the literal, to the end (a last
    #: field whose value changes with every event, see ``framing.TextTemplate``)
    text_tail: re.Pattern[str] | None = None
    #: call :meth:`learn` after each claimed event
    learning = False
    #: events that took the text fast path
    text_hits = 0

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []

    def feed(self, units: Sequence[SSEEvent | TextRun], out: list[Any]) -> None:
        loads = _json.loads
        max_depth = self.max_json_depth
        event = self.event
        hits = 0
        scan_string = _json.scan_string
        prefix, suffix, padded = self.text_prefix, self.text_suffix, self.text_tail
        start, tail = len(prefix or b""), len(suffix)
        for ev in units:
            if isinstance(ev, TextRun):
                # events the framer matched with an envelope announced before this
                # batch: each means one text-delta whatever was learned since
                # (a loop, not a list comprehension: that is a function call per unit)
                texts = ev.texts
                hits += len(texts)
                for piece in texts:
                    if piece:
                        out.append({"type": "text-delta", "delta": piece})
                continue
            data = ev.data
            if prefix is not None and data.startswith(prefix) and data.endswith(suffix):
                # the middle must be exactly one JSON string literal (strict, as the
                # stdlib parses it); anything else goes the whole way below
                try:
                    middle = data[start : len(data) - tail].decode("utf-8")
                    text, end = scan_string(middle, 1) if middle[:1] == '"' else (None, -1)
                except ValueError:
                    text = None
                else:
                    if (end != len(middle)) if padded is None else (padded.fullmatch(middle, end) is None):
                        text = None
                if text is not None:
                    hits += 1
                    if text:
                        out.append({"type": "text-delta", "delta": text})
                    continue
            # (data no longer than the limit cannot nest deeper: one length test
            # is all most events cost)
            if len(data) > max_depth and _json.too_deep(data, max_depth):
                # the first event equal to this one is this one: it would have failed too
                raise UnitError(
                    f"JSON nested deeper than {max_depth} levels", index=units.index(ev)
                )
            try:
                value = loads(data)
            except _json.JSON_ERRORS:
                try:
                    value = _json.loads_lenient(data)
                except ValueError:
                    out.append(raw_event(ev, data.decode("utf-8", "replace")))
                    continue
            if not event(value, ev, out):
                out.append(raw_event(ev, value))
            elif self.learning:
                self.text_hits += hits
                hits = 0
                self.learn(value, data)
                prefix, suffix, padded = self.text_prefix, self.text_suffix, self.text_tail
                start, tail = len(prefix or b""), len(suffix)
        if hits:
            self.text_hits += hits

    def learn(self, value: Any, data: bytes) -> None:
        """``value`` (parsed from ``data``) was claimed by :meth:`event`; a dialect
        may set ``text_prefix`` and ``text_suffix`` from it."""
        return None

    def event(self, value: Any, ev: SSEEvent, out: list[Any]) -> bool:
        """Decode one event's JSON ``value``; ``False``: not claimed (it goes out raw)."""
        return False

    def end(self, out: list[Any], *, done: bool) -> None:
        return None
