"""The SSE gate of a resumable call: an SSE body passes on only up to its last event
boundary, so that a cut leaves no half event in the decoder, and the ids delivered
are remembered for ``Last-Event-ID`` (see :mod:`assistant_ui._call.state`). Pure.
"""

from __future__ import annotations

import re

__all__ = ["SSEGate"]

#: an SSE tail without an event boundary is held back up to this size; past it, it is
#: passed on (the body can then not be picked up with ``Last-Event-ID`` until the
#: next boundary)
_GATE_LIMIT = 1024 * 1024
#: two line ends in a row (LF LF, CR CR, LF CR; CRLF pairs contain one of them): an
#: empty line, which ends an SSE event
_BLANKS = (b"\n\n", b"\r\r", b"\n\r")
_BOUNDARY = re.compile(rb"\n\n|\r\r|\n\r")
_ID_LINE = re.compile(rb"(?:\A|(?<=[\r\n]))id(?::([^\r\n]*))?(?=[\r\n]|\Z)")


def _has_id_line(data: bytes) -> bool:
    """Whether ``data`` (starting at a line start) may hold an ``id`` field: cheap, and
    false for the usual bodies whose JSON mentions ``"id"`` but have no such line."""
    return data[:2] == b"id" or b"\nid" in data or b"\rid" in data


def _last_boundary(data: bytes) -> int:
    """The index just past the last empty line in ``data``, or -1."""
    i = data.rfind(b"\n\n")  # from the end: usually found at once
    end = i + 2 if i >= 0 else -1
    if 13 in data:  # (an int: a plain byte search, cheaper than b"\r" in data)
        for pattern in (b"\r\r", b"\n\r"):
            i = data.rfind(pattern, max(end - 1, 0))
            if i >= 0 and i + 2 > end:
                end = i + 2
    return end


def _id_lines(block: bytes) -> list[str | None]:
    """The values of the ``id`` fields in ``block`` (None: one holding NUL, ignored)."""
    out: list[str | None] = []
    for m in _ID_LINE.finditer(block):
        value = m.group(1) or b""
        if value[:1] == b" ":
            value = value[1:]
        out.append(None if b"\x00" in value else value.decode("utf-8", "replace"))
    return out


class SSEGate:
    """Pass an SSE body on up to its last event boundary; remember delivered ids.

    After a reconnect with ``Last-Event-ID`` (:meth:`reconnected`) it also drops
    the events of the new body whose id was already delivered.
    """

    __slots__ = ("clean", "dropping", "filtering", "held", "held_len", "ids", "prev", "with_ids")

    def __init__(self) -> None:
        self.held: list[bytes] = []
        self.held_len = 0
        #: the last byte seen (a boundary may straddle two reads)
        self.prev = b""
        #: everything passed on ends at an event boundary
        self.clean = True
        #: the ids of the events passed on (looked for once the body has shown one)
        self.ids: set[str] = set()
        self.with_ids = False
        self.filtering = False
        self.dropping = False

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        if data[-2:] == b"\n\n" and not self.held:
            # the usual read: whole events, nothing held back. It all passes: the
            # last boundary is its end (what follows is what the general case does)
            self.prev = b"\n"
            self.held_len = 0
            self.clean = True
            return self._filter(data) if self.filtering else data
        cut = _last_boundary(data)
        if cut < 0 and self.prev and self.prev + data[:1] in _BLANKS:
            cut = 1
        self.prev = data[-1:]
        if cut < 0:
            self.held.append(data)
            self.held_len += len(data)
            if self.held_len <= _GATE_LIMIT:
                return b""
            out = b"".join(self.held)
            self.held = []
            self.held_len = 0
            self.clean = False
            return self._pass(out)
        out = data if cut == len(data) else data[:cut]
        if self.held:
            self.held.append(out)
            out = b"".join(self.held)
            self.held = []
        tail = data[cut:]
        if tail:
            self.held = [tail]
        self.held_len = len(tail)
        self.clean = True
        return self._pass(out)

    def flush(self) -> bytes:
        """The body ended: what is held back goes on (the decoder settles the tail)."""
        out = b"".join(self.held)
        self.held = []
        self.held_len = 0
        return self._pass(out) if out else b""

    def cut(self) -> None:
        """The body was cut: the unfinished event is dropped."""
        self.held = []
        self.held_len = 0
        self.prev = b""

    def reconnected(self) -> None:
        self.cut()
        self.clean = True
        self.filtering = True
        self.dropping = False

    def _pass(self, out: bytes) -> bytes:
        return self._filter(out) if self.filtering else out

    def remember(self, out: bytes) -> None:
        """``out`` went to the decoder, which has seen an id by now: note its ids."""
        self.with_ids = True
        if _has_id_line(out):
            for value in _id_lines(out):
                if value:
                    self.ids.add(value)

    def _filter(self, out: bytes) -> bytes:
        kept: list[bytes] = []
        start = 0
        ends = [m.end() for m in _BOUNDARY.finditer(out)]
        if not ends or ends[-1] < len(out):
            ends.append(len(out))
        for end in ends:
            block = out[start:end]
            start = end
            ids = _id_lines(block) if _has_id_line(block) else []
            if ids:
                value = ids[-1]
                if value is not None:
                    self.dropping = bool(value) and value in self.ids
            if self.dropping:
                continue
            for value in ids:
                if value:
                    self.ids.add(value)
            kept.append(block)
        return b"".join(kept)
