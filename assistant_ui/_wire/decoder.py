"""The one sans-IO stream decoder: bytes in, normalized events out.

    decoder = StreamDecoder(headers=response.headers)
    for chunk in body_chunks:
        events = decoder.feed(chunk)
    events = decoder.end()

The format comes from ``protocol=``, else from the headers, else from the first
bytes (:mod:`assistant_ui._wire.detect`); SSE dialects are picked from the first
JSON payload. A framer (:mod:`assistant_ui._wire.framing`) cuts the body into
units and the dialect (:mod:`assistant_ui._wire.dialects`) turns them into
events, through the one interface of ``dialects/base.py``. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ..errors import DecodeError
from ..events import Event
from . import jsonlib as _json
from .detect import (
    BodySniffer,
    check_declared,
    document_protocol,
    first_sse_protocol,
    framing_from_headers,
)
from .dialects import DIALECTS, FRAMING, create_dialect
from .dialects.base import JSONEventDialect, UnitError
from .framing import Framer, JSONFramer, LinesFramer, SSEFramer, Truncated, make_framer
from .limits import DEFAULT_MAX_EVENT_SIZE
from .lines import LineSplitter, LineTooLong

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_JSON_DEPTH", "StreamDecoder"]

#: default bound on the nesting of arrays and objects in one JSON value
DEFAULT_MAX_JSON_DEPTH = _json.DEFAULT_MAX_DEPTH


#: how much of a body whose headers declare its format is looked at to check them
_CHECK_LIMIT = 4096


def _content_type(headers: Mapping[str, str]) -> str:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value.split(";", 1)[0].strip().lower()
    return ""


def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


class StreamDecoder:
    """Decode one response body into normalized events.

    ``protocol`` forces a wire format (a name of the dialect registry, such as
    those of :data:`~assistant_ui.decoding.PROTOCOLS`); otherwise it is
    detected from ``headers`` (or ``content_type``) and the first bytes.

    Limits (a hostile or broken server cannot make the decoder buffer without
    bound nor recurse without bound): ``max_event_size`` bounds, in bytes, one line
    (data stream, SSE), the data of one SSE event (however many ``data:`` lines it
    is made of), a JSON body and one AWS event-stream message. It is enforced while
    buffering: a body that never ends its line is refused once the line passes the
    limit. ``max_json_depth`` bounds the nesting of arrays and objects in every
    JSON value read from the body. Going past either is a :class:`DecodeError`
    carrying ``protocol`` and the body ``offset`` where it was found; a line or
    event of exactly the limit passes.

    Mislabelled bodies: when the headers declare SSE, a data stream or JSON but
    the first bytes clearly are another format (a data stream served as
    ``text/event-stream`` is a common server mistake), the body is decoded as what
    the bytes are and :attr:`warnings` says so. A body with content that still
    decodes to nothing at all (no event, no SSE event or comment, no ``[DONE]``)
    is a :class:`DecodeError` at :meth:`end`, never an empty answer.

    Errors lose nothing: when a problem is found after some events were decoded by
    the same :meth:`feed` call, those events are returned and the error is raised
    by the next :meth:`feed` or :meth:`end` call (and by every call after that).
    An error found by :meth:`end` carries the events that call decoded before it
    as ``error.events``. Events and errors are the same however the body is cut
    into pieces. After an SSE ``data: [DONE]`` the rest of the body is ignored,
    problems included.
    """

    __slots__ = (
        "_content", "_declared", "_declared_type", "_dialect", "_done", "_emitted", "_ended",
        "_error", "_framer", "_framing", "_hint", "_lines", "_sniffer", "document", "has_document",
        "max_event_size", "max_json_depth", "offset", "protocol", "warnings",
    )

    def __init__(
        self,
        *,
        protocol: str | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ) -> None:
        if protocol is not None and protocol not in DIALECTS:
            raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(DIALECTS)}")
        _positive("max_event_size", max_event_size)
        _positive("max_json_depth", max_json_depth)
        hdrs: dict[str, str] = dict(headers or {})
        if content_type is not None:
            hdrs["content-type"] = content_type
        #: problems met and recovered from (dropped lines, unknown chunks, ...)
        self.warnings: list[str] = []
        #: bytes fed so far
        self.offset = 0
        #: bound on one line / SSE event / JSON body / AWS message, in bytes
        self.max_event_size = max_event_size
        #: bound on the nesting of JSON arrays and objects
        self.max_json_depth = max_json_depth
        #: the protocol decoding the body (``None`` until it is known)
        self.protocol: str | None = None
        #: the parsed body, when the response was one JSON document
        self.document: Any = None
        #: whether :attr:`document` holds a parsed body (it may be JSON ``null``)
        self.has_document = False
        self._dialect: Any = None
        self._framer: Framer | None = None
        self._sniffer: BodySniffer | None = None
        #: the line splitter, once the body is known to be lines for a known dialect
        #: (the fast path of :meth:`feed`)
        self._lines: LineSplitter | None = None
        self._done = False
        self._ended = False
        self._error: DecodeError | None = None
        #: an event was returned (a body that yields none is checked at the end)
        self._emitted = False
        #: the body has bytes other than blanks
        self._content = False
        framing, detected = framing_from_headers(hdrs)
        #: what the headers declared, while the first bytes are checked against it
        self._declared: tuple[str, str | None] | None = None
        self._declared_type = ""
        if protocol is not None:
            entry = DIALECTS[protocol]
            if framing == "sniff-text" and entry.plain_text:
                framing, protocol = "text", "plain-text"
            elif not (framing == "json" and entry.document is not None):
                framing = FRAMING[protocol]
            detected = protocol
        elif framing in ("sse", "lines", "json"):
            self._declared = (framing, detected)
            self.protocol = detected
            self._sniffer = BodySniffer(limit=_CHECK_LIMIT)
            self._declared_type = detected or _content_type(hdrs) or framing
        self._hint = protocol
        self._framing = framing
        if framing in ("sniff", "sniff-text"):
            self._sniffer = BodySniffer(text_only=framing == "sniff-text")
        elif self._declared is None:
            self._start(framing, detected)

    # -- public API --------------------------------------------------------------

    @property
    def last_event_id(self) -> str:
        """The SSE ``id:`` in force (for ``Last-Event-ID`` on reconnect)."""
        framer = self._framer
        return framer.sse.last_event_id if isinstance(framer, SSEFramer) else ""

    @property
    def retry(self) -> int | None:
        """The SSE ``retry:`` delay in milliseconds, if the server sent one."""
        framer = self._framer
        return framer.sse.retry if isinstance(framer, SSEFramer) else None

    @property
    def done(self) -> bool:
        """An SSE ``[DONE]`` was seen (the rest of the body is ignored)."""
        return self._done

    @property
    def error(self) -> DecodeError | None:
        """The problem that stopped decoding, once found (raised by the next call)."""
        return self._error

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next piece of the body; returns the events it completed."""
        if self._error is not None:
            raise self._error
        if self._ended:
            raise RuntimeError("feed() after end()")
        out: list[Any] = []
        if not data:
            return out
        self.offset += len(data)
        if self._done:
            return out
        if not self._content and not data.isspace():  # (the blanks of ``bytes.strip``)
            self._content = True
        try:
            lines = self._lines
            if lines is not None:
                # lines framing with its dialect known (the data stream): the splitter
                # straight to the dialect, no framer or delivery call in between
                try:
                    units = lines.feed(data)
                    if units:
                        self._dialect.feed(units, out)
                except (LineTooLong, UnitError) as exc:
                    self._line_failure(exc, out)
            elif self._sniffer is None:
                self._feed(data, out)
            else:
                self._sniff(data, out)
        except DecodeError as exc:
            error = self._fail(exc)
            if not out:
                raise error from None
        if out and not self._emitted:
            self._emitted = True
        return out

    def end(self) -> list[Event]:
        """The body is complete: flush what is pending and close open tool arguments."""
        if self._error is not None:
            raise self._error
        if self._ended:
            return []
        out: list[Any] = []
        try:
            self._end(out)
        except DecodeError as exc:
            error = self._fail(exc)
            error.events = cast("list[Event]", out)
            raise error from None
        return cast("list[Event]", out)

    def decode(self, data: bytes) -> list[Event]:
        """Decode a whole body at once (``feed`` then ``end``)."""
        events = self.feed(data)
        try:
            return events + self.end()
        except DecodeError as exc:
            exc.events = events + exc.events
            raise

    # -- driving -----------------------------------------------------------------

    def _feed(self, data: bytes, out: list[Any]) -> None:
        framer = self._framer
        assert framer is not None
        try:
            units = framer.feed(data)
        except Truncated as exc:
            if exc.units:
                self._deliver(exc.units, out)
            raise exc.error from None
        if units:
            self._deliver(units, out)
        if framer.done:
            self._done = True

    def _deliver(self, units: list[Any], out: list[Any]) -> None:
        dialect = self._dialect
        if dialect is None:
            dialect = self._pick_sse_dialect(units)
        try:
            dialect.feed(units, out)
        except UnitError as exc:
            assert self._framer is not None
            raise self._error_at(exc.message, self._framer.offset_of(exc.index)) from None

    def _line_failure(self, exc: DecodeError, out: list[Any]) -> None:
        """The error of the lines fast path in :meth:`feed`, as :meth:`_feed` and
        :meth:`_deliver` make it: the lines before a line too long are delivered
        first; a dialect's unit error is placed at that line's body offset."""
        framer = self._framer
        assert isinstance(framer, LinesFramer)
        if isinstance(exc, LineTooLong):
            if exc.lines:
                self._deliver(exc.lines, out)
            raise framer.too_long(exc) from None
        assert isinstance(exc, UnitError)
        raise self._error_at(exc.message, framer.offset_of(exc.index)) from None

    def _end(self, out: list[Any]) -> None:
        if self._sniffer is not None:
            self._decide(self._sniffer.decide(), out)
        self._ended = True
        framer = self._framer
        assert framer is not None
        units = framer.end()
        if isinstance(framer, JSONFramer):
            self._start_document(units)
        if units:
            self._deliver(units, out)
        if self._dialect is not None:
            self._dialect.end(out, done=self._done)
        if not out and not self._emitted and self._content and not self._done:
            self._check_not_empty(framer)

    def _check_not_empty(self, framer: Framer) -> None:
        """A body with content that decoded to nothing is not an empty answer."""
        if isinstance(framer, SSEFramer):
            sse = framer.sse
            if framer.seen_events or sse.comments or sse.last_event_id or sse.retry is not None:
                return  # an SSE stream (keep-alives, ids, events no one reads)
            what = "no SSE event or comment"
        elif getattr(self._dialect, "dropped", 0):
            what = "no line that is a data-stream record"
        else:
            return
        raise self._error_at(
            f"the body ({self.offset} bytes) has {what}: it is not "
            f"{self._declared_type or self.protocol or self._framing}",
            0,
        )

    def _fail(self, exc: DecodeError) -> DecodeError:
        """Record the error that ends decoding (with the protocol filled in)."""
        if exc.protocol is None or type(exc) is not DecodeError:
            exc = DecodeError(
                exc.message,
                protocol=exc.protocol or self.protocol or self._framing,
                offset=exc.offset,
            )
        self._error = exc
        return exc

    def _error_at(self, message: str, offset: int | None) -> DecodeError:
        return DecodeError(message, protocol=self.protocol or self._framing, offset=offset)

    # -- set-up ------------------------------------------------------------------

    def _start(self, framing: str, protocol: str | None) -> None:
        """Decode the rest of the body with ``framing`` (``protocol`` ``None``: sniff SSE)."""
        self._framing = framing
        self._framer = make_framer(
            framing, self.max_event_size, self.max_json_depth, self.offset
        )
        if framing == "json":
            self.protocol = protocol
            return  # the dialect is picked from the parsed body
        if framing == "sse" and protocol in (None, "sse"):
            self.protocol = None
            return  # picked from the first JSON payload
        assert protocol is not None
        self._set_dialect(create_dialect(protocol, self.warnings, max_json_depth=self.max_json_depth))
        self.protocol = protocol

    def _set_dialect(self, dialect: Any) -> None:
        self._dialect = dialect
        framer = self._framer
        # (exactly a LinesFramer: an SSE framer does more than split lines)
        self._lines = framer.lines if type(framer) is LinesFramer else None
        if isinstance(framer, SSEFramer) and isinstance(dialect, JSONEventDialect):
            # the dialect's text template (the OpenAI fast path) reaches the framer
            framer.template = dialect

    def _pick_sse_dialect(self, events: list[Any]) -> Any:
        """The SSE dialect, from the first payload that parses as JSON (generic SSE
        until one does; a ``protocol="sse"`` stays generic)."""
        max_depth = self.max_json_depth
        protocol = "sse" if self._hint == "sse" else first_sse_protocol(events, max_depth)
        if protocol is None:
            # nothing parsed yet: these go out raw, and the next batch decides
            return create_dialect("sse", self.warnings, max_json_depth=max_depth)
        dialect = create_dialect(protocol, self.warnings, max_json_depth=max_depth)
        self._set_dialect(dialect)
        self.protocol = protocol
        return dialect

    def _start_document(self, units: list[Any]) -> None:
        """Pick the dialect for a whole JSON body (``units``: the parsed body, if any)."""
        if not units:
            self.protocol = self.protocol or "json"
            self._dialect = create_dialect("json", self.warnings)
            return
        self.document = units[0]
        self.has_document = True
        protocol = document_protocol(units[0], self._hint)
        self.protocol = protocol
        self._dialect = create_dialect(
            protocol, self.warnings, max_json_depth=self.max_json_depth,
            document=DIALECTS[protocol].document is not None,
        )

    # -- sniffing -------------------------------------------------------------------

    def _sniff(self, data: bytes, out: list[Any]) -> None:
        assert self._sniffer is not None
        protocol = self._sniffer.feed(data)
        if protocol is not None:
            self._decide(protocol, out)

    def _decide(self, protocol: str, out: list[Any]) -> None:
        """Start decoding as ``protocol`` (or as declared, when the bytes agree or
        say nothing clear) and decode the bytes held while sniffing."""
        assert self._sniffer is not None
        framing = FRAMING[protocol]
        chosen: str | None = protocol
        if self._declared is not None:
            declared_framing, declared = self._declared
            self._declared = None
            framing, chosen, warning = check_declared(
                declared_framing, declared, protocol, self._declared_type
            )
            if warning:
                self.warnings.append(warning)
        elif protocol == "sse" and self._sniffer.text_only:
            self.warnings.append("the body is SSE, not the text/plain its headers declare: decoded as SSE")
        head = self._sniffer.take()
        self._sniffer = None
        saved, self.offset = self.offset, self.offset - len(head)
        try:
            self._start(framing, chosen)
            if head:
                self._feed(head, out)
        finally:
            self.offset = saved
