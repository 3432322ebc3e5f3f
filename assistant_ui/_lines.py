"""Byte line splitting: CRLF, LF or a lone CR end a line (protocols.md §2).

Works on bytes so that a line is only ever decoded once it is complete (a LF or CR
byte never sits inside a UTF-8 sequence). The cost is linear in the input: a
chunk is scanned once, and an unterminated tail is kept as a list of pieces that
is joined only when its line ends, so one huge line fed in small reads is not
re-copied on every read.
"""

from __future__ import annotations

__all__ = ["LineSplitter"]

_BOM = b"\xef\xbb\xbf"


class LineSplitter:
    """Feed bytes, get complete lines (without their terminator)."""

    __slots__ = ("_at_start", "_max_line", "_pending", "_pending_len", "_skip_lf", "offset")

    def __init__(self, *, max_line: int | None = None, strip_bom: bool = True) -> None:
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._skip_lf = False
        self._at_start = strip_bom
        self._max_line = max_line
        #: bytes consumed so far (for error offsets)
        self.offset = 0

    @property
    def pending_bytes(self) -> int:
        """Length of the unterminated tail held back."""
        return self._pending_len

    def feed(self, data: bytes) -> list[bytes]:
        if not data:
            # nothing to do; in particular a pending CR must still swallow the next LF
            return []
        self.offset += len(data)
        if self._at_start:
            if self._pending:  # a held-back prefix of a BOM
                data = self._pending.pop() + data
                self._pending_len = 0
            if len(data) < 3 and _BOM.startswith(data):
                if data:
                    self._pending.append(data)
                    self._pending_len = len(data)
                return []
            self._at_start = False
            if data.startswith(_BOM):
                data = data[3:]
        if self._skip_lf:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
        if b"\r" in data:
            if data[-1:] == b"\r":
                self._skip_lf = True
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in data:
            if data:
                self._pending.append(data)
                self._pending_len += len(data)
                self._check_limit()
            return []
        lines = data.split(b"\n")
        tail = lines.pop()
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = b"".join(self._pending)
            self._pending.clear()
            self._pending_len = 0
        if tail:
            self._pending.append(tail)
            self._pending_len = len(tail)
        if self._max_line is not None:
            self._check_limit()
            limit = self._max_line
            for line in lines:
                if len(line) > limit:
                    self._too_long(len(line))
        return lines

    def flush(self) -> bytes | None:
        """At end of input: the unterminated last line, if any."""
        if not self._pending:
            return None
        line = b"".join(self._pending)
        self._pending.clear()
        self._pending_len = 0
        return line

    def _check_limit(self) -> None:
        if self._max_line is not None and self._pending_len > self._max_line:
            self._too_long(self._pending_len)

    def _too_long(self, size: int) -> None:
        from .errors import DecodeError

        raise DecodeError(
            f"line of at least {size} bytes exceeds the limit of {self._max_line} bytes",
            offset=self.offset,
        )
