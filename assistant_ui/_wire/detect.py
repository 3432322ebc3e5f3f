"""Recognizing the wire format (docs/wire-formats.md §1): the one place that does it.

The rules of each format (the headers that name it, a predicate on its first
bytes, line, SSE payload or JSON body) live in the dialect registry
(:mod:`assistant_ui._wire.dialects`); this module asks them, in order:

1. :func:`framing_from_headers`: a MIME type or header that names a format;
2. :class:`BodySniffer`: the first bytes of a body whose headers say nothing
   usable (an AWS prelude, SSE field lines, a data-stream record, JSON, text);
3. :func:`sse_protocol` / :func:`first_sse_protocol`: the first JSON payload of an
   SSE body;
4. :func:`document_protocol`: a whole JSON body;
5. :func:`check_declared`: the first bytes of a body whose headers declare a
   format, against that declaration (the bytes win when they clearly disagree).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import jsonlib as _json
from .dialects import DIALECTS, FRAMING, sniffers
from .lines import compact
from .sse import SSEEvent

__all__ = [
    "SNIFF_LIMIT",
    "BodySniffer",
    "check_declared",
    "document_protocol",
    "first_sse_protocol",
    "framing_from_headers",
    "looks_like_aws_prelude",
    "sniff_body_start",
    "sse_protocol",
]

#: how much of a body without usable headers is looked at to recognize it
SNIFF_LIMIT = 64 * 1024
#: an AWS event-stream prelude: sniffing waits for it
_PRELUDE = 12
_BLANK = b"\xef\xbb\xbf \t\r\n"
_SSE_STARTS = (b"data:", b"event:", b"id:", b"retry:", b":", b"data\n", b"data\r")


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                return val.strip()
        return ""
    return value.strip()


def framing_from_headers(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """``(framing, protocol)`` from response headers; protocol ``None`` means "sniff".

    Framings: those of the registry, plus ``sniff-text`` (``text/plain`` with no
    header: data stream or plain text) and ``sniff`` (no usable content type).
    A MIME type a dialect claims wins, then a header a dialect claims, then the
    generic types (JSON, ``text/event-stream``, ``text/plain``).
    """
    content_type = _header(headers, "content-type").lower()
    mime = content_type.split(";", 1)[0].strip()
    entries = DIALECTS.values()
    for entry in entries:
        if mime in entry.mime_types:
            return entry.framing, entry.name
    for entry in entries:
        for name, value in entry.headers:
            if _header(headers, name) == value:
                return entry.framing, entry.name
    if mime == "application/json" or mime.endswith("+json"):
        return "json", None
    if mime == "text/event-stream":
        return "sse", None
    if mime == "text/plain":
        return "sniff-text", None
    return "sniff", None


def sse_protocol(value: Any) -> str:
    """Which SSE dialect a first JSON ``data:`` payload belongs to (``sse``: none)."""
    for name, sniff in sniffers("sse"):
        if sniff(value):
            return name
    return "sse"


def first_sse_protocol(events: Sequence[SSEEvent], max_depth: int) -> str | None:
    """The SSE dialect named by the first payload of ``events`` that parses as JSON.

    ``sse`` (generic) when a payload nested past ``max_depth`` comes first (the
    generic dialect reports it); ``None`` when no payload parses yet.
    """
    for ev in events:
        data = ev.data
        if len(data) > max_depth and _json.too_deep(data, max_depth):
            return "sse"
        try:
            value = _json.parse(data)
        except ValueError:
            continue
        return sse_protocol(value)
    return None


def check_declared(
    declared_framing: str, declared: str | None, found: str, declared_type: str
) -> tuple[str, str | None, str | None]:
    """Reconcile what the headers declared with what the first bytes are.

    ``found`` is what :class:`BodySniffer` saw. The headers stand when the bytes
    have their framing or say nothing clear (``plain-text``: an SSE body may open
    with a field nobody knows); otherwise the bytes win. Returns ``(framing,
    protocol, warning)``; ``protocol`` ``None`` means "pick it from the payloads".
    """
    framing = FRAMING[found]
    if framing == declared_framing or found == "plain-text":
        return declared_framing, declared, None
    return framing, found, (
        f"the body is {found}, not the {declared_type} its headers declare: decoded as {found}"
    )


def document_protocol(document: Any, hint: str | None) -> str:
    """Which dialect reads a whole JSON body (``json``: none; ``hint``: ``protocol=``)."""
    for name, sniff in sniffers("document"):
        if (hint is None or hint == name) and sniff(document, hint == name):
            return name
    return "json"


def looks_like_aws_prelude(data: bytes) -> bool:
    """Do the first 12 bytes form an AWS event-stream prelude with a valid CRC?"""
    return any(sniff(data[:_PRELUDE]) for _, sniff in sniffers("aws"))


def _lines_protocol(line: bytes, complete: bool) -> str | None:
    for name, sniff in sniffers("lines"):
        if sniff(line, complete):
            return name
    return None


def sniff_body_start(first_line: bytes, head: bytes) -> str:
    """Pick a protocol from the start of a body whose headers said nothing useful.

    ``first_line`` is the first non-blank line, ``head`` the raw bytes seen so far.
    """
    if looks_like_aws_prelude(head):
        return "aws-eventstream"
    stripped = first_line.lstrip()
    if stripped.startswith(_SSE_STARTS) or stripped in (b"data", b"event", b"id"):
        return "sse"
    protocol = _lines_protocol(first_line, True)
    if protocol is not None:
        return protocol
    if stripped.startswith((b"{", b"[")):
        return "json"
    return "plain-text"


def _is_sse_json_line(line: bytes) -> bool:
    if not line.startswith(b"data:"):
        return False
    payload = line[5:].strip()
    if not payload.startswith((b"{", b"[")) or _json.too_deep(payload, _json.DEFAULT_MAX_DEPTH):
        return False
    try:
        _json.parse(payload)
    except ValueError:
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


class BodySniffer:
    """Buffer the start of a body until its format can be told.

    The decision is made on the first line after the leading blanks, once it is
    complete within the first ``limit`` bytes (:data:`SNIFF_LIMIT`), or else on
    those bytes alone: never on more, so that it does not depend on how the body is cut. An
    AWS prelude is looked for in the first 12 bytes unless ``text_only``
    (``text/plain``: a data stream or plain text). The pieces are joined once.
    """

    def __init__(self, *, text_only: bool = False, limit: int = SNIFF_LIMIT) -> None:
        self.text_only = text_only
        #: the window: how many bytes at most are held to decide
        self.limit = limit
        self._head: list[Any] = []
        self._size = 0
        self._seen = False
        #: head offset of the first line end after the leading blanks (-1: none yet)
        self._eol = -1
        self._aws_checked = text_only

    def feed(self, data: bytes) -> str | None:
        """Buffer ``data``; the protocol once it can be told (then see :meth:`take`)."""
        before = self._size
        self._head.append(data)
        compact(self._head)
        self._size += len(data)
        if not self._seen:
            rest = data.lstrip(_BLANK)
            if rest:
                self._seen = True
                i = _find_line_end(rest)
                if i >= 0:
                    self._eol = before + len(data) - len(rest) + i
        elif self._eol < 0:
            i = _find_line_end(data)
            if i >= 0:
                self._eol = before + i
        if not self._aws_checked:
            if self._size < _PRELUDE:
                return None  # maybe an AWS event-stream prelude (binary: it may hold line ends)
            # decided at once on the first 12 bytes: a binary stream needs no line end
            self._aws_checked = True
            first = self._head[0] if len(self._head[0]) >= _PRELUDE else b"".join(self._head)
            if first[0] not in _BLANK and looks_like_aws_prelude(first[:_PRELUDE]):
                return "aws-eventstream"
        if 0 <= self._eol < self.limit or self._size >= self.limit:
            return self.decide()
        return None

    def take(self) -> bytes:
        """The bytes buffered so far (and forget them)."""
        head = b"".join(self._head)
        self._head = []
        return head

    def decide(self) -> str:
        """The protocol, from what was buffered (at the end of the body, from all of it)."""
        head = b"".join(self._head)
        self._head = [head]
        # (feed looked at the same first 12 bytes already, once it had them)
        if not self._aws_checked and head[:1] and head[0] not in _BLANK and looks_like_aws_prelude(head):
            return "aws-eventstream"
        first = head[: self.limit].lstrip(_BLANK)
        i = _find_line_end(first)
        if i >= 0:
            first = first[:i]
        elif len(head) >= self.limit:
            # the first line does not end within the window: decide on its start
            protocol = _lines_protocol(first, False)
            if protocol is not None:
                return protocol
        if self.text_only:
            protocol = _lines_protocol(first, True)
            if protocol is None:
                # SSE served as text/plain: taken as SSE only on a data line holding JSON
                protocol = "sse" if _is_sse_json_line(first) else "plain-text"
            return protocol
        return sniff_body_start(first, b"")
