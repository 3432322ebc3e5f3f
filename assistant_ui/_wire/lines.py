"""Byte line splitting: CRLF, LF or a lone CR end a line (docs/wire-formats.md §2).

Works on bytes so that a line is only ever decoded once it is complete (a LF or CR
byte never sits inside a UTF-8 sequence). The cost is linear in the input: a
chunk is scanned once, and an unterminated tail is kept as a list of pieces that
is joined only when its line ends, so one huge line fed in small reads is not
re-copied on every read.

With ``max_line``, a line longer than that many bytes (terminator excluded) is a
:class:`LineTooLong` error, raised as soon as the held-back tail grows past the
limit: a peer that never sends a line end cannot make it buffer more than
``max_line`` bytes. The error carries the complete lines that came before the bad
one in the same read (``lines``), and its ``offset`` is the body offset of the
first byte past the limit, the same however the body was cut into reads.
"""

from __future__ import annotations

from typing import Any

from ..errors import DecodeError

__all__ = ["LineError", "LineSplitter", "LineTooLong", "compact"]

_BOM = b"\xef\xbb\xbf"
#: how many pieces a buffer keeps before folding them into one bytearray
_MAX_PIECES = 32


def compact(pieces: list[Any], sep: bytes = b"") -> None:
    """Fold ``pieces`` (joined by ``sep``) into one bytearray, in place, once there are many.

    Buffers keep the pieces they receive and join them once; but a peer sending
    one byte per read would make each byte cost a whole bytes object (~40 bytes).
    Folding keeps the memory held close to the bytes held, and stays linear: each
    byte is copied into the bytearray once (its growth is amortized).
    """
    if len(pieces) <= _MAX_PIECES:
        return
    head = pieces[0]
    if type(head) is not bytearray:
        head = bytearray(head)
    for i in range(1, len(pieces)):
        if sep:
            head += sep
        head += pieces[i]
    pieces[:] = [head]


class LineError(DecodeError):
    """A problem found at line ``index`` of the list of lines being processed.

    Internal: the decoder turns it into a :class:`DecodeError` carrying the body
    offset of that line (see :meth:`LineSplitter.line_start`).
    """

    def __init__(self, message: str, *, index: int) -> None:
        super().__init__(message)
        self.index = index


class LineTooLong(DecodeError):
    """A line exceeds ``max_line``; ``lines`` holds the good lines read before it."""

    def __init__(self, message: str, *, offset: int, lines: list[bytes], line_start: int) -> None:
        super().__init__(message, offset=offset)
        self.lines = lines
        #: body offset of the first byte of the over-long line
        self.line_start = line_start


class LineSplitter:
    """Feed bytes, get complete lines (without their terminator)."""

    __slots__ = (
        "_at_start",
        "_base",
        "_chunk",
        "_first_start",
        "_max_line",
        "_pending",
        "_pending_len",
        "_pending_start",
        "_skip_lf",
        "offset",
    )

    def __init__(self, *, max_line: int | None = None, strip_bom: bool = True) -> None:
        #: the unterminated tail, in pieces (made when a read first leaves one)
        self._pending: list[bytes] | None = None
        self._pending_len = 0
        #: body offset of the first byte of the held-back tail
        self._pending_start = 0
        self._skip_lf = False
        self._at_start = strip_bom
        self._max_line = max_line
        # the bytes of the last read (after a stripped BOM or swallowed LF), their
        # body offset, and the body offset of the first line it returned: enough
        # to find where any returned line starts (see line_start)
        self._chunk = b""
        self._base = 0
        self._first_start = 0
        #: bytes consumed so far (for error offsets)
        self.offset = 0

    @property
    def pending_bytes(self) -> int:
        """Length of the unterminated tail held back."""
        return self._pending_len

    @property
    def pending_start(self) -> int:
        """Body offset of the unterminated tail (meaningful while there is one)."""
        return self._pending_start

    def feed(self, data: bytes) -> list[bytes]:
        if not data:
            # nothing to do; in particular a pending CR must still swallow the next LF
            return []
        base = self.offset
        self.offset = base + len(data)
        if self._at_start or self._skip_lf:
            data, base = self._opening(data, base)
        raw = data
        # (``13 in data``, an int, is a plain byte search; ``b"\r" in data`` costs
        # several times more on a short chunk)
        if 13 in data:
            if data[-1] == 13:
                self._skip_lf = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if 10 not in data:
            if data:
                pending = self._pending
                if pending is None:
                    pending = self._pending = []
                if not pending:
                    self._pending_start = base
                pending.append(data)
                compact(pending)
                self._pending_len += len(data)
                if self._max_line is not None and self._pending_len > self._max_line:
                    self._too_long(self._pending_start, [])
            return []
        lines = data.split(b"\n")
        tail = lines.pop()
        # (the length, not the list: a chunk of whole lines touches no list of its own)
        if self._pending_len:
            pending = self._held()
            first_start = self._pending_start
            # no line of this read (nor its tail) is longer than the bytes held and read
            held = self._pending_len + len(data)
            pending.append(lines[0])
            lines[0] = b"".join(pending)
            pending.clear()
            self._pending_len = 0
        else:
            first_start = base
            held = len(data)
        if tail:
            # the tail follows the last line end, so it is the end of ``raw`` as is
            self._held().append(tail)
            self._pending_len = len(tail)
            self._pending_start = base + len(raw) - len(tail)
        self._chunk = raw
        self._base = base
        self._first_start = first_start
        limit = self._max_line
        if limit is not None and held > limit:
            for k, line in enumerate(lines):
                if len(line) > limit:
                    self._held().clear()
                    self._pending_len = 0
                    self._too_long(self.line_start(k), lines[:k])
            if self._pending_len > limit:
                self._too_long(self._pending_start, lines)
        return lines

    def _opening(self, data: bytes, base: int) -> tuple[bytes, int]:
        """``data`` (at body offset ``base``) past a leading BOM or the LF of a CRLF
        pair cut after its CR, and its new offset. A prefix of a BOM at the start of
        the body is held back (then nothing is left)."""
        if self._at_start:
            if self._pending_len:  # a held-back prefix of a BOM
                prefix = self._held().pop()
                data = prefix + data
                base -= len(prefix)
                self._pending_len = 0
            if len(data) < 3 and _BOM.startswith(data):
                self._held().append(data)
                self._pending_len = len(data)
                self._pending_start = base
                return b"", base
            self._at_start = False
            if data.startswith(_BOM):
                data = data[3:]
                base += 3
        if self._skip_lf:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
                base += 1
        return data, base

    def _held(self) -> list[bytes]:
        pending = self._pending
        if pending is None:
            pending = self._pending = []
        return pending

    def line_start(self, k: int) -> int:
        """Body offset of the first byte of line ``k`` of those the last :meth:`feed` returned.

        Found by scanning that read again, so it costs nothing until asked (on errors).
        """
        if k <= 0:
            return self._first_start
        chunk = self._chunk
        pos = 0
        for _ in range(k):
            lf = chunk.find(b"\n", pos)
            cr = chunk.find(b"\r", pos)
            i = lf if cr < 0 or (0 <= lf < cr) else cr
            if i < 0:  # pragma: no cover - k is past the lines of the read
                return self._base + len(chunk)
            pos = i + 2 if chunk[i : i + 2] == b"\r\n" else i + 1
        return self._base + pos

    def flush(self) -> bytes | None:
        """At end of input: the unterminated last line, if any."""
        pending = self._pending
        if not pending:
            return None
        line = b"".join(pending)
        pending.clear()
        self._pending_len = 0
        return line

    def _too_long(self, line_start: int, good: list[bytes]) -> None:
        raise LineTooLong(
            f"a line exceeds the limit of {self._max_line} bytes",
            offset=line_start + (self._max_line or 0),
            lines=good,
            line_start=line_start,
        )
