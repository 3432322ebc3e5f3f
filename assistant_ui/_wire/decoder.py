"""The one sans-IO stream decoder: bytes in, normalized events out.

    decoder = StreamDecoder(headers=response.headers)
    for chunk in body_chunks:
        events = decoder.feed(chunk)
    events = decoder.end()

It picks the framing (lines, SSE, JSON document, plain text, AWS event stream)
from the headers or, when they say nothing, from the first bytes; SSE dialects
are picked from the first JSON payload. Nothing here does I/O.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import Any, cast

from ..errors import DecodeError
from ..events import Event
from . import jsonlib as _json
from .detect import (
    framing_from_headers,
    looks_like_aws_prelude,
    sniff_body_start,
    sniff_sse_payload,
)
from .dialects import FRAMING, PROTOCOLS, create_dialect
from .lines import LineError, LineSplitter, LineTooLong, compact
from .sse import EventTooLarge, SSEDecoder, SSEEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_JSON_DEPTH", "StreamDecoder"]

#: default bound on one line / SSE event / JSON body / AWS frame, in bytes
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024
#: default bound on the nesting of arrays and objects in one JSON value
DEFAULT_MAX_JSON_DEPTH = _json.DEFAULT_MAX_DEPTH
_DONE = b"[DONE]"
#: how much of a body without usable headers is looked at to recognize it
_SNIFF_LIMIT = 64 * 1024
#: an AWS event-stream prelude: sniffing waits for it
_PRELUDE = 12
_BLANK = b"\xef\xbb\xbf \t\r\n"
_DS_CODE = re.compile(rb"([0-9a-k]|aui-[a-z-]+):")
#: forced protocols that also read a JSON document answer (``feed_document``)
_DOCUMENT_PROTOCOLS = frozenset({"openai", "agentcore"})


def _looks_like_data_stream_prefix(line: bytes) -> bool:
    """Is ``line`` (unterminated) the start of a data-stream record ``CODE:JSON``?"""
    m = _DS_CODE.match(line)
    if m is None:
        return False
    from .partial_json import IncompleteJSON, parse_partial

    payload = line[m.end() :].decode("utf-8", "replace")
    try:
        parse_partial(payload)
    except IncompleteJSON:
        return False
    return True


def _find_line_end(data: bytes) -> int:
    lf = data.find(b"\n")
    cr = data.find(b"\r")
    if lf < 0:
        return cr
    if cr < 0:
        return lf
    return min(lf, cr)


class StreamDecoder:
    """Decode one response body into normalized events.

    ``protocol`` forces a wire format (one of :data:`PROTOCOLS`); otherwise it is
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

    Errors lose nothing: when a problem is found after some events were decoded by
    the same :meth:`feed` call, those events are returned and the error is raised
    by the next :meth:`feed` or :meth:`end` call (and by every call after that).
    An error found by :meth:`end` carries the events that call decoded before it
    as ``error.events``. Events and errors are the same however the body is cut
    into pieces. After an SSE ``data: [DONE]`` the rest of the body is ignored,
    problems included.
    """

    def __init__(
        self,
        *,
        protocol: str | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ) -> None:
        if protocol is not None and protocol not in FRAMING:
            raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
        if isinstance(max_event_size, bool) or not isinstance(max_event_size, int) or max_event_size < 1:
            raise ValueError(f"max_event_size must be a positive int, got {max_event_size!r}")
        if isinstance(max_json_depth, bool) or not isinstance(max_json_depth, int) or max_json_depth < 1:
            raise ValueError(f"max_json_depth must be a positive int, got {max_json_depth!r}")
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
        self._dialect: Any = None
        self._lines: LineSplitter | None = None
        self._sse: SSEDecoder | None = None
        self._done = False
        self._ended = False
        self._error: DecodeError | None = None
        self._head: list[bytes] = []
        self._head_len = 0
        self._sniff_seen = False
        #: head offset of the first line end after the leading blanks (-1: none yet)
        self._sniff_eol = -1
        self._sniff_aws_checked = False
        self._text: Any = None
        self.protocol: str | None = None
        #: the parsed body, when the response was one JSON document
        self.document: Any = None
        #: whether :attr:`document` holds a parsed body (it may be JSON ``null``)
        self.has_document = False
        framing, detected = framing_from_headers(hdrs)
        if protocol is not None:
            if protocol in _DOCUMENT_PROTOCOLS and framing == "json":
                framing = "json"
            elif protocol == "agentcore" and framing == "sniff-text":
                framing = "text"  # an AgentCore agent that answered with text/plain
            else:
                framing = FRAMING[protocol]
            detected = protocol
        self._protocol_hint = protocol
        self._framing = framing
        if framing in ("sniff", "sniff-text"):
            return
        self._start(framing, detected)

    # -- public API --------------------------------------------------------------

    @property
    def last_event_id(self) -> str:
        """The SSE ``id:`` in force (for ``Last-Event-ID`` on reconnect)."""
        return self._sse.last_event_id if self._sse is not None else ""

    @property
    def retry(self) -> int | None:
        """The SSE ``retry:`` delay in milliseconds, if the server sent one."""
        return self._sse.retry if self._sse is not None else None

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
        if self._done:
            self.offset += len(data)
            return out
        try:
            self._feed(data, out)
        except DecodeError as exc:
            error = self._fail(exc)
            if not out:
                raise error from None
        return cast("list[Event]", out)

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
        self.offset += len(data)
        framing = self._framing
        if framing == "sse":
            assert self._lines is not None
            try:
                lines = self._lines.feed(data)
            except LineTooLong as exc:
                self._feed_sse(exc.lines, out)
                if not self._done:  # past [DONE] nothing matters
                    raise self._line_too_long(exc) from None
                return
            self._feed_sse(lines, out)
        elif framing == "lines":
            assert self._lines is not None
            try:
                lines = self._lines.feed(data)
            except LineTooLong as exc:
                self._feed_lines(exc.lines, out)
                raise self._line_too_long(exc) from None
            self._feed_lines(lines, out)
        elif framing == "text":
            delta = self._text.decode(data)
            if delta:
                out.append({"type": "text-delta", "delta": delta})
        elif framing == "aws":
            self._dialect.feed_bytes(data, out, self.offset - len(data))
        elif framing == "json":
            self._buffer_head(data)
        else:
            self._sniff(data, out)

    def _refeed(self, head: bytes, out: list[Any]) -> None:
        """Decode the bytes buffered while sniffing, as if they arrived now."""
        saved, self.offset = self.offset, self.offset - len(head)
        try:
            self._feed(head, out)
        finally:
            self.offset = saved

    def _end(self, out: list[Any]) -> None:
        if self._framing in ("sniff", "sniff-text"):
            self._sniff_decide(out)
        self._ended = True
        framing = self._framing
        if framing == "sse":
            assert self._lines is not None and self._sse is not None
            tail = self._lines.flush()
            if tail is not None and not self._done:
                # an event without its closing blank line is discarded (WHATWG): a
                # last line still counts for ``id:`` / ``retry:``, never for data
                try:
                    self._sse.feed([tail], [])
                except EventTooLarge:
                    pass
            self._sse.end()
            if self._dialect is not None:
                self._dialect.end(out, done=self._done)
        elif framing == "lines":
            assert self._lines is not None
            start = self._lines.pending_start
            tail = self._lines.flush()
            if tail is not None:
                try:
                    self._dialect.feed_lines([tail], out)
                except LineError as exc:
                    raise self._error_at(exc.message, start) from None
            self._dialect.end(out)
        elif framing == "text":
            delta = self._text.decode(b"", True)
            if delta:
                out.append({"type": "text-delta", "delta": delta})
        elif framing == "aws":
            self._dialect.end(out)
        elif framing == "json":
            self._end_json(out)

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

    def _line_too_long(self, exc: LineTooLong) -> DecodeError:
        what = "an SSE line" if self._framing == "sse" else "a line"
        return self._error_at(
            f"{what} exceeds the limit of {self.max_event_size} bytes", exc.offset
        )

    # -- set-up ------------------------------------------------------------------

    def _start(self, framing: str, protocol: str | None) -> None:
        self._framing = framing
        self.protocol = protocol
        if framing in ("sse", "lines"):
            self._lines = LineSplitter(max_line=self.max_event_size)
        if framing == "sse":
            self._sse = SSEDecoder(max_event_size=self.max_event_size)
            if protocol is not None:
                self._dialect = create_dialect(protocol, self.warnings)
        elif framing == "lines":
            self._dialect = create_dialect(protocol or "data-stream", self.warnings)
            self._dialect.max_json_depth = self.max_json_depth
            self.protocol = protocol or "data-stream"
        elif framing == "text":
            self._text = codecs.getincrementaldecoder("utf-8")("replace")
            self.protocol = "plain-text"
        elif framing == "aws":
            self._dialect = create_dialect("aws-eventstream", self.warnings)
            self._dialect.max_json_depth = self.max_json_depth
            self._dialect.max_message_size = self.max_event_size
            self.protocol = "aws-eventstream"

    def _buffer_head(self, data: bytes) -> None:
        self._head.append(data)
        compact(self._head)
        self._head_len += len(data)
        if self._head_len > self.max_event_size:
            self._head = []
            raise self._error_at(
                f"the JSON body exceeds the limit of {self.max_event_size} bytes",
                self.max_event_size,
            )

    # -- sniffing -------------------------------------------------------------------

    def _sniff(self, data: bytes, out: list[Any]) -> None:
        """Buffer the start of a body whose headers did not say what it is.

        The decision is made on the first line after the leading blanks, once it is
        complete within the first :data:`_SNIFF_LIMIT` bytes, or else on those bytes
        alone: never on more, so that it does not depend on how the body is cut.
        The pieces are joined once, when deciding.
        """
        before = self._head_len
        self._head.append(data)
        compact(self._head)
        self._head_len += len(data)
        if not self._sniff_seen:
            rest = data.lstrip(_BLANK)
            if rest:
                self._sniff_seen = True
                i = _find_line_end(rest)
                if i >= 0:
                    self._sniff_eol = before + len(data) - len(rest) + i
        elif self._sniff_eol < 0:
            i = _find_line_end(data)
            if i >= 0:
                self._sniff_eol = before + i
        if self._framing == "sniff":
            if self._head_len < _PRELUDE:
                return  # maybe an AWS event-stream prelude (binary: it may hold line ends)
            if not self._sniff_aws_checked:
                # decided at once on the first 12 bytes: a binary stream needs no line end
                self._sniff_aws_checked = True
                first = self._head[0] if len(self._head[0]) >= _PRELUDE else b"".join(self._head)
                if first[0] not in _BLANK and looks_like_aws_prelude(first[:_PRELUDE]):
                    self._sniff_decide(out)
                    return
        if 0 <= self._sniff_eol < _SNIFF_LIMIT or self._head_len >= _SNIFF_LIMIT:
            self._sniff_decide(out)

    def _sniff_decide(self, out: list[Any]) -> None:
        head = b"".join(self._head)
        self._head = []
        if (
            self._framing == "sniff"
            and head[:1]
            and head[0] not in _BLANK
            and looks_like_aws_prelude(head[:_PRELUDE])
        ):
            protocol = "aws-eventstream"
        else:
            first = head[:_SNIFF_LIMIT].lstrip(_BLANK)
            i = _find_line_end(first)
            truncated = False
            if i >= 0:
                first = first[:i]
            elif len(head) >= _SNIFF_LIMIT:
                # the first line does not end within the window: decide on its start
                truncated = True
            if truncated and _looks_like_data_stream_prefix(first):
                protocol = "data-stream"
            elif self._framing == "sniff-text":
                from .dialects.data_stream import looks_like_data_stream

                protocol = "data-stream" if looks_like_data_stream(first) else "plain-text"
            else:
                protocol = sniff_body_start(first, b"")
        self._start(FRAMING[protocol], None if protocol == "sse" else protocol)
        if protocol == "json":
            self._head_len = 0
        if head:
            self._refeed(head, out)

    # -- SSE ----------------------------------------------------------------------

    def _feed_sse(self, lines: list[bytes], out: list[Any]) -> None:
        assert self._sse is not None
        events: list[SSEEvent] = []
        where: list[int] = []
        try:
            self._sse.feed(lines, events, where)
        except EventTooLarge as exc:
            self._dispatch_sse(events, where, out)
            if not self._done:
                assert self._lines is not None
                raise self._error_at(
                    f"an SSE event exceeds the limit of {self.max_event_size} bytes",
                    self._lines.line_start(exc.index),
                ) from None
            return
        if events:
            self._dispatch_sse(events, where, out)

    def _dispatch_sse(self, events: list[SSEEvent], where: list[int], out: list[Any]) -> None:
        dialect = self._dialect
        loads = _json.loads
        max_depth = self.max_json_depth
        for ev in events:
            data = ev.data
            if self._done:
                return
            if data == _DONE:
                self._done = True
                continue
            if len(data) > max_depth and _json.too_deep(data, max_depth):
                assert self._lines is not None
                # (the first event equal to this one is this one: it would have failed too)
                line = where[events.index(ev)]
                raise self._error_at(
                    f"JSON nested deeper than {max_depth} levels", self._lines.line_start(line)
                )
            try:
                value = loads(data)
            except _json.JSON_ERRORS:
                try:
                    value = _json.loads_lenient(data)
                except ValueError:
                    out.append(self._raw(ev, data.decode("utf-8", "replace")))
                    continue
            if dialect is None:
                protocol = sniff_sse_payload(value)
                dialect = self._dialect = create_dialect(protocol, self.warnings)
                self.protocol = protocol
            if not dialect.feed_event(value, ev, out):
                out.append(self._raw(ev, value))

    def _feed_lines(self, lines: list[bytes], out: list[Any]) -> None:
        try:
            self._dialect.feed_lines(lines, out)
        except LineError as exc:
            assert self._lines is not None
            raise self._error_at(exc.message, self._lines.line_start(exc.index)) from None

    @staticmethod
    def _raw(ev: SSEEvent, data: Any) -> dict[str, Any]:
        raw: dict[str, Any] = {"type": "raw", "event": ev.event, "data": data}
        if ev.id:
            raw["id"] = ev.id
        return raw

    # -- JSON document ---------------------------------------------------------------

    def _end_json(self, out: list[Any]) -> None:
        body = b"".join(self._head)
        self._head = []
        if not body.strip():
            self.protocol = self.protocol or "json"
            return
        if _json.too_deep(body, self.max_json_depth):
            raise self._error_at(f"JSON nested deeper than {self.max_json_depth} levels", 0)
        try:
            doc = _json.parse(body)
        except ValueError as exc:
            raise DecodeError(
                f"the body is not valid JSON: {exc}", protocol="json", offset=self.offset
            ) from exc
        self.document = doc
        self.has_document = True
        if self._protocol_hint == "agentcore":
            self.protocol = "agentcore"
            self._dialect = create_dialect("agentcore", self.warnings)
            self._dialect.feed_document(doc, out)
            return
        if self._protocol_hint in (None, "openai") and isinstance(doc, dict) and (
            doc.get("object") == "chat.completion"
            or (self._protocol_hint == "openai" and "choices" in doc)
        ):
            dialect = create_dialect("openai", self.warnings)
            self.protocol = "openai"
            self._dialect = dialect
            dialect.feed_document(doc, out)
            return
        self.protocol = "json"
        out.append({"type": "raw", "event": "json", "data": doc})
