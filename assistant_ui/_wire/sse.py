"""Server-sent events framing over complete lines (docs/wire-formats.md §2, WHATWG).

Fields are parsed on bytes; ``data`` stays bytes (``json.loads`` takes bytes), the
event name and id are decoded (they are short).

With ``max_event_size``, an event whose data (its ``data`` lines joined with LF)
grows past that many bytes is an :class:`EventTooLarge` error, raised by the line
that crossed the limit: each line is bounded by the line splitter, and this bounds
an event made of many lines.

With ``stop_at_done``, an event whose data is exactly ``[DONE]`` (the end marker
of OpenAI, the AI SDK and assistant-transport) is not dispatched: it sets
:attr:`SSEDecoder.done`, and every line after it is ignored.

Templated runs (:meth:`SSEDecoder.feed_templated`): when the reader of the events
says that data of the form ``prefix`` + one JSON string literal + ``suffix`` is all
it needs to know of an event (the OpenAI text fast path), consecutive events that
are one ``data:`` line of that form are handed out as one :class:`TextRun` of their
decoded strings instead of one :class:`SSEEvent` each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from . import jsonlib as _json
from .lines import LineError, compact

if TYPE_CHECKING:
    import re

__all__ = ["EventTooLarge", "SSEDecoder", "SSEEvent", "TextRun"]


class EventTooLarge(LineError):
    """An event's data exceeds the limit; ``index`` is the line (in the list being
    fed) that crossed it. The events completed before it are already in ``out``."""


class SSEEvent(NamedTuple):
    event: str
    data: bytes
    id: str
    retry: int | None = None


_new_event = tuple.__new__  # builds an SSEEvent without NamedTuple's Python-level __new__


class TextRun:
    """Consecutive events, each a single ``data:`` line holding exactly the template's
    prefix, one JSON string literal and its suffix (see :meth:`SSEDecoder.feed_templated`):
    ``texts`` are those strings, decoded, in order (one per event, empty ones included)."""

    __slots__ = ("texts",)

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def __repr__(self) -> str:
        return f"TextRun({self.texts!r})"


class SSEDecoder:
    __slots__ = (
        "_data", "_done_marker", "_event", "_head", "_max", "_size", "comments", "done",
        "last_event_id", "retry",
    )

    def __init__(self, *, max_event_size: int | None = None, stop_at_done: bool = False) -> None:
        self._done_marker = b"[DONE]" if stop_at_done else None
        self._data: list[bytes] = []
        #: size of the pending event's data so far (lines and the LFs that join them)
        self._size = 0
        self._max = max_event_size
        self._event = ""
        #: the last ``id:`` seen (persists across events, WHATWG)
        self.last_event_id = ""
        #: the last valid ``retry:`` in milliseconds
        self.retry: int | None = None
        #: comment lines seen (keep-alives)
        self.comments = 0
        #: a ``data: [DONE]`` event was seen: the rest is ignored
        self.done = False
        #: the template prefix :meth:`feed_templated` last saw, and the line head it makes
        self._head: tuple[bytes, bytes] = (b"", b'data: "')

    def feed(
        self, lines: list[bytes], out: list[Any], where: list[int] | None = None, first: int = 0
    ) -> None:
        """Events completed by ``lines`` go to ``out``; with ``where``, the index in
        ``lines`` (plus ``first``) of the blank line that dispatched each of them goes there."""
        if self.done:
            return
        marker = self._done_marker
        data = self._data
        limit = self._max
        for index, line in enumerate(lines, first):
            if not line:
                if data:
                    payload = data[0] if len(data) == 1 else b"\n".join(data)
                    if type(payload) is not bytes:  # (a compacted bytearray)
                        payload = bytes(payload)
                    if payload == marker:
                        self.done = True
                        data.clear()
                        self._size = 0
                        return
                    out.append(
                        _new_event(
                            SSEEvent,
                            (self._event or "message", payload, self.last_event_id, self.retry),
                        )
                    )
                    data.clear()
                    self._size = 0
                    if where is not None:
                        where.append(index)
                self._event = ""
                continue
            if line.startswith(b"data:"):
                # (a one-byte slice is a cached object: cheaper than a second startswith)
                value = line[6:] if line[5:6] == b" " else line[5:]
                if limit is not None:
                    # (inline: this runs once per event; _grow only reports)
                    size = self._size + len(value) + (1 if data else 0)
                    if size > limit:
                        self._grow(len(value), index)
                    self._size = size
                data.append(value)
                if len(data) > 32:
                    compact(data, b"\n")
                continue
            if line[:1] == b":":
                self.comments += 1
                continue
            self._field(line, index)

    def _field(self, line: bytes, index: int) -> None:
        """A line that is not blank, not a comment and does not start with ``data:``."""
        colon = line.find(b":")
        if colon < 0:
            field, value = line, b""
        else:
            field, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if field == b"data":
            if self._max is not None:
                self._grow(len(value), index)
            data = self._data
            data.append(value)
            if len(data) > 32:
                compact(data, b"\n")
        elif field == b"event":
            self._event = value.decode("utf-8", "replace")
        elif field == b"id":
            if b"\x00" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif field == b"retry":
            # (a value of thousands of digits is no delay anyone means, and
            # int() refuses to convert more than 4300 of them)
            if value.isdigit() and len(value) <= 18:
                self.retry = int(value)
        # any other field is ignored

    def feed_templated(
        self,
        lines: list[bytes],
        out: list[Any],
        where: list[int],
        prefix: bytes,
        suffix: bytes,
        tail: re.Pattern[str] | None = None,
    ) -> None:
        """As :meth:`feed`, but an event that is one ``data: `` line whose data is
        ``prefix`` + one JSON string literal + ``suffix``, dispatched by the blank line
        right after it while no other event is pending, is not built: runs of such
        events (with blank lines, comments and fields other than ``data`` and
        ``event`` between them) go to ``out`` as one :class:`TextRun` each, and
        ``where`` gets the index of the run's last line.

        The literal is read as the JSON parsers of :mod:`~assistant_ui._wire.jsonlib`
        read it (strict, the data UTF-8 and nothing before or after it); an event
        whose middle is anything else is an ordinary event. Lines are looked at once:
        the lines between runs go through :meth:`feed` in one piece. With ``tail``
        (``suffix`` then empty), what follows the literal must match ``tail`` to the
        end of the line.
        """
        if self.done:
            return
        # the opening quote is part of the head: the string is read from just after it
        known, head = self._head
        if prefix is not known:
            head = b"data: " + prefix + b'"'
            self._head = (prefix, head)
        start, stop = len(head), -len(suffix) or None
        scan = _json.scan_string
        last = len(lines) - 1
        # lines[:i] are decoded; lines[i:j] are ordinary lines not yet fed; ``texts``
        # is the run being gathered (None: none is)
        i = j = 0
        texts: list[str] | None = None
        while j < last:
            line = lines[j]
            if not lines[j + 1] and line.startswith(head) and line.endswith(suffix):
                if texts is None:
                    if i < j:
                        self.feed(lines[i:j], out, where, i)
                        i = j
                        if self.done:
                            return
                    if self._data or self._event:  # (a line of a pending event)
                        j += 1
                        continue
                try:
                    middle = line[start:stop].decode()
                    text, end = scan(middle, 0)
                except ValueError:  # not UTF-8, or not one JSON string literal
                    middle, end = "", -1
                if (end == len(middle)) if tail is None else (tail.fullmatch(middle, end) is not None):
                    if texts is None:
                        texts = [text]
                    else:
                        texts.append(text)
                    j += 2
                    continue
            elif texts is not None and not line.startswith((b"data", b"event")):
                # between the run's events, lines that leave no event pending:
                # blank lines, comments, fields other than data and event
                if line[:1] == b":":
                    self.comments += 1
                elif line:
                    self._field(line, j)
                j += 1
                continue
            if texts is not None:  # the run ends before this line, an ordinary one
                out.append(TextRun(texts))
                where.append(j - 1)
                texts = None
                i = j
            j += 1
        if texts is not None:
            out.append(TextRun(texts))
            where.append(j - 1)
            i = j
        if i <= last:
            self.feed(lines[i:] if i else lines, out, where, i)

    def _grow(self, size: int, index: int) -> None:
        size += self._size + (1 if self._data else 0)
        self._size = size
        if self._max is not None and size > self._max:
            self._data.clear()
            self._size = 0
            raise EventTooLarge(
                f"an event's data exceeds the limit of {self._max} bytes", index=index
            )

    def end(self) -> None:
        """End of stream: a pending event without its blank line is discarded."""
        self._data.clear()
        self._size = 0
        self._event = ""
