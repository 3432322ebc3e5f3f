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

from . import _json
from ._detect import framing_from_headers, sniff_body_start, sniff_sse_payload
from ._dialects import FRAMING, PROTOCOLS, create_dialect
from ._lines import LineSplitter
from ._sse import SSEDecoder, SSEEvent
from .errors import DecodeError
from .events import Event

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "StreamDecoder"]

#: default bound on one line / SSE event / JSON body / AWS frame, in bytes
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024
_DONE = b"[DONE]"
_SNIFF_LIMIT = 64 * 1024
_BLANK = b"\xef\xbb\xbf \t\r\n"
_DS_CODE = re.compile(rb"([0-9a-k]|aui-[a-z-]+):")


def _looks_like_data_stream_prefix(line: bytes) -> bool:
    """Is ``line`` (unterminated) the start of a data-stream record ``CODE:JSON``?"""
    m = _DS_CODE.match(line)
    if m is None:
        return False
    from ._partial_json import IncompleteJSON, parse_partial

    payload = line[m.end() :].decode("utf-8", "replace")
    try:
        parse_partial(payload)
    except (IncompleteJSON, RecursionError):
        return False
    return True


class StreamDecoder:
    """Decode one response body into normalized events.

    ``protocol`` forces a wire format (one of :data:`PROTOCOLS`); otherwise it is
    detected from ``headers`` (or ``content_type``) and the first bytes.
    """

    def __init__(
        self,
        *,
        protocol: str | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        if protocol is not None and protocol not in FRAMING:
            raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
        hdrs: dict[str, str] = dict(headers or {})
        if content_type is not None:
            hdrs["content-type"] = content_type
        #: problems met and recovered from (dropped lines, unknown chunks, ...)
        self.warnings: list[str] = []
        #: bytes fed so far
        self.offset = 0
        #: SSE comments / blank keep-alive lines seen (they are not events)
        self.max_event_size = max_event_size
        self._dialect: Any = None
        self._lines: LineSplitter | None = None
        self._sse: SSEDecoder | None = None
        self._done = False
        self._ended = False
        self._head: list[bytes] = []
        self._head_len = 0
        self._sniff_seen = False
        self._sniff_leading_blank = False
        self._sniff_aws_checked = False
        self._sniff_limit = _SNIFF_LIMIT
        self._sniff_ds = False
        self._text: Any = None
        self._aws: Any = None
        self.protocol: str | None = None
        #: the parsed body, when the response was one JSON document
        self.document: Any = None
        #: whether :attr:`document` holds a parsed body (it may be JSON ``null``)
        self.has_document = False
        framing, detected = framing_from_headers(hdrs)
        if protocol is not None:
            if protocol == "openai" and framing == "json":
                framing = "json"
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

    def feed(self, data: bytes) -> list[Event]:
        """Decode the next piece of the body; returns the events it completed."""
        if self._ended:
            raise RuntimeError("feed() after end()")
        out: list[Any] = []
        if not data:
            return out
        self.offset += len(data)
        framing = self._framing
        if framing == "sse":
            assert self._lines is not None
            self._feed_sse(self._lines.feed(data), out)
        elif framing == "lines":
            assert self._lines is not None
            self._dialect.feed_lines(self._lines.feed(data), out)
        elif framing == "text":
            delta = self._text.decode(data)
            if delta:
                out.append({"type": "text-delta", "delta": delta})
        elif framing == "aws":
            self._feed_aws(data, out)
        elif framing == "json":
            self._buffer_head(data)
        else:
            self._sniff(data, out)
        return cast("list[Event]", out)

    def end(self) -> list[Event]:
        """The body is complete: flush what is pending and close open tool arguments."""
        if self._ended:
            return []
        out: list[Any] = []
        if self._framing in ("sniff", "sniff-text"):
            if self._sniff_ds:
                self._sniff_start_data_stream(out)
            else:
                self._sniff_decide(out)
        self._ended = True
        framing = self._framing
        if framing == "sse":
            assert self._lines is not None and self._sse is not None
            tail = self._lines.flush()
            if tail is not None:
                # an event without its closing blank line is discarded (WHATWG)
                self._feed_sse([tail], out)
            self._sse.end()
            if self._dialect is not None:
                self._dialect.end(out, done=self._done)
        elif framing == "lines":
            assert self._lines is not None
            tail = self._lines.flush()
            if tail is not None:
                self._dialect.feed_lines([tail], out)
            self._dialect.end(out)
        elif framing == "text":
            delta = self._text.decode(b"", True)
            if delta:
                out.append({"type": "text-delta", "delta": delta})
        elif framing == "aws":
            self._aws_end(out)
        elif framing == "json":
            self._end_json(out)
        return cast("list[Event]", out)

    def decode(self, data: bytes) -> list[Event]:
        """Decode a whole body at once (``feed`` then ``end``)."""
        return self.feed(data) + self.end()

    # -- set-up ------------------------------------------------------------------

    def _start(self, framing: str, protocol: str | None) -> None:
        self._framing = framing
        self.protocol = protocol
        if framing in ("sse", "lines"):
            self._lines = LineSplitter(max_line=self.max_event_size)
        if framing == "sse":
            self._sse = SSEDecoder()
            if protocol is not None:
                self._dialect = create_dialect(protocol, self.warnings)
        elif framing == "lines":
            self._dialect = create_dialect(protocol or "data-stream", self.warnings)
            self.protocol = protocol or "data-stream"
        elif framing == "text":
            self._text = codecs.getincrementaldecoder("utf-8")("replace")
            self.protocol = "plain-text"
        elif framing == "aws":
            self._dialect = create_dialect("aws-eventstream", self.warnings)
            self.protocol = "aws-eventstream"

    def _buffer_head(self, data: bytes) -> None:
        self._head.append(data)
        self._head_len += len(data)
        if self._head_len > self.max_event_size:
            raise DecodeError(
                f"JSON body larger than {self.max_event_size} bytes",
                protocol=self.protocol or "json",
                offset=self.offset,
            )

    def _sniff(self, data: bytes, out: list[Any]) -> None:
        # Buffer until the first non-blank line is complete. The pieces are kept in
        # a list and joined once, so a long first line fed in small reads stays
        # linear; only the new piece is searched for a line end.
        self._head.append(data)
        self._head_len += len(data)
        if not self._sniff_seen:
            rest = data.lstrip(_BLANK)
            if rest:
                self._sniff_seen = True
                self._sniff_leading_blank = self._head_len - len(rest) > 0
        else:
            rest = data
        if (
            self._framing == "sniff"
            and not self._sniff_aws_checked
            and self._head_len >= 12
        ):
            self._sniff_aws_checked = True
            head = b"".join(self._head)
            self._head = [head]
            from ._detect import looks_like_aws_prelude

            if not self._sniff_leading_blank and looks_like_aws_prelude(head):
                self._head = []
                self._decide(head, head, out)
                return
        if (
            self._framing == "sniff"
            and not self._sniff_aws_checked
            and self._head[0][:1] == b"\x00"
        ):
            # maybe an AWS event-stream prelude (binary: its length bytes may
            # look like a line end); no text format starts with NUL
            return
        if self._sniff_seen and (b"\n" in rest or b"\r" in rest):
            self._sniff_decide(out)
            return
        if self._head_len < self._sniff_limit:
            return
        if not self._sniff_ds and self._sniff_seen:
            # A data-stream record can be long (a base64 file, a big state
            # snapshot): when the first line so far is a valid prefix of one, wait
            # for its end (up to the event size bound) before deciding.
            head = b"".join(self._head)
            self._head = [head]
            if _looks_like_data_stream_prefix(head.lstrip(_BLANK)):
                self._sniff_ds = True
                self._sniff_limit = max(self.max_event_size, _SNIFF_LIMIT) + 1
                if self._head_len < self._sniff_limit:
                    return
        if self._sniff_ds:
            # one unterminated data-stream record: the line splitter reports it
            # as too long
            self._sniff_start_data_stream(out)
            return
        self._sniff_decide(out)

    def _sniff_start_data_stream(self, out: list[Any]) -> None:
        head = b"".join(self._head)
        self._head = []
        self._start("lines", "data-stream")
        saved, self.offset = self.offset, self.offset - len(head)
        out.extend(self.feed(head))
        self.offset = saved

    def _sniff_decide(self, out: list[Any]) -> None:
        head = b"".join(self._head)
        self._head = []
        self._decide(head, head, out)

    def _decide(self, first_line: bytes, head: bytes, out: list[Any]) -> None:
        first = first_line.lstrip(b"\xef\xbb\xbf \t\r\n")
        for sep in (b"\n", b"\r"):
            i = first.find(sep)
            if i >= 0:
                first = first[:i]
        if self._framing == "sniff-text":
            from ._dialects.data_stream import looks_like_data_stream

            protocol = "data-stream" if looks_like_data_stream(first) else "plain-text"
        else:
            protocol = sniff_body_start(first, head) if head else "plain-text"
        self._start(FRAMING[protocol], None if protocol == "sse" else protocol)
        if protocol == "json":
            self._head_len = 0
        if head:
            saved, self.offset = self.offset, self.offset - len(head)
            out.extend(self.feed(head))
            self.offset = saved

    # -- SSE ----------------------------------------------------------------------

    def _feed_sse(self, lines: list[bytes], out: list[Any]) -> None:
        assert self._sse is not None
        events: list[SSEEvent] = []
        self._sse.feed(lines, events)
        if not events:
            return
        dialect = self._dialect
        loads = _json.loads
        for ev in events:
            data = ev.data
            if self._done:
                continue
            if data == _DONE:
                self._done = True
                continue
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
        try:
            doc = _json.parse(body)
        except ValueError as exc:
            raise DecodeError(
                f"the body is not valid JSON: {exc}", protocol="json", offset=self.offset
            ) from exc
        self.document = doc
        self.has_document = True
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

    # -- AWS event stream ---------------------------------------------------------------

    def _feed_aws(self, data: bytes, out: list[Any]) -> None:
        self._dialect.feed_bytes(data, out, self.offset - len(data))

    def _aws_end(self, out: list[Any]) -> None:
        self._dialect.end(out)
