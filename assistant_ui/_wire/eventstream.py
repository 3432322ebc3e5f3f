"""The AWS binary event stream (``application/vnd.amazon.eventstream``, docs/wire-formats.md §10).

Sans-IO: :class:`EventStreamFramer` turns body bytes into :class:`EventStreamMessage`
tuples (``eventstream_encoding.encode_message`` builds the bytes of one message).
Nothing here knows what the events mean; the ``aws-eventstream`` dialect does that.

Wire layout of one message (all integers big-endian, CRC32 = ``zlib.crc32``)::

    uint32 total_length | uint32 headers_length | uint32 prelude_crc = CRC32(bytes[0:8])
    headers (headers_length bytes) | payload | uint32 message_crc = CRC32(bytes[0:-4])

Decoded header values, by type byte:

==== ============ ==================================================================
type wire         Python value
==== ============ ==================================================================
0/1  bool         ``True`` / ``False``
2    int8         :class:`Byte` (an ``int``)
3    int16        :class:`Short` (an ``int``)
4    int32        :class:`Integer` (an ``int``)
5    int64        :class:`Long` (an ``int``)
6    byte array   ``bytes``
7    string       ``str`` (UTF-8)
8    timestamp    :class:`Timestamp`: an ``int`` of **milliseconds** since the Unix
                  epoch (``.to_datetime()`` gives an aware UTC ``datetime``)
9    uuid         ``uuid.UUID``
==== ============ ==================================================================

The ``int`` subclasses compare, hash and serialize like plain ints but remember
their wire type, so ``encode_message(message.headers, message.payload)``
reproduces the original bytes exactly.

Every problem raises :class:`~assistant_ui.errors.DecodeError` with
``protocol="aws-eventstream"`` and the byte offset in the body where it was found.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
import zlib
from typing import NamedTuple, TypeAlias

from ..errors import DecodeError

__all__ = [
    "MAX_HEADERS_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "MIN_MESSAGE_LENGTH",
    "PROTOCOL",
    "Byte",
    "EventStreamFramer",
    "EventStreamMessage",
    "HeaderValue",
    "Integer",
    "Long",
    "Short",
    "Timestamp",
    "decode_message",
    "looks_like_prelude",
]

PROTOCOL = "aws-eventstream"
#: total_length + headers_length + prelude_crc
PRELUDE_LENGTH = 12
#: prelude + message CRC: a message with no headers and no payload
MIN_MESSAGE_LENGTH = 16
#: limits botocore enforces
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024

_UINT32 = struct.Struct(">I")
_PRELUDE = struct.Struct(">III")
_UINT16 = struct.Struct(">H")
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MILLISECOND = _dt.timedelta(milliseconds=1)


class _TypedInt(int):
    """An ``int`` that remembers which integer header type it came from."""

    __slots__ = ()
    TYPE = 4
    FORMAT = ">i"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class Byte(_TypedInt):
    """Header type 2: a signed 8-bit integer."""

    __slots__ = ()
    TYPE = 2
    FORMAT = ">b"


class Short(_TypedInt):
    """Header type 3: a signed 16-bit integer."""

    __slots__ = ()
    TYPE = 3
    FORMAT = ">h"


class Integer(_TypedInt):
    """Header type 4: a signed 32-bit integer."""

    __slots__ = ()
    TYPE = 4
    FORMAT = ">i"


class Long(_TypedInt):
    """Header type 5: a signed 64-bit integer."""

    __slots__ = ()
    TYPE = 5
    FORMAT = ">q"


class Timestamp(_TypedInt):
    """Header type 8: milliseconds since the Unix epoch (signed 64-bit)."""

    __slots__ = ()
    TYPE = 8
    FORMAT = ">q"

    @classmethod
    def from_datetime(cls, value: _dt.datetime) -> Timestamp:
        """A naive ``datetime`` is taken as UTC; sub-millisecond precision is truncated."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return cls((value - _EPOCH) // _MILLISECOND)

    def to_datetime(self) -> _dt.datetime:
        """An aware UTC ``datetime`` (raises ``OverflowError`` outside years 1-9999)."""
        return _EPOCH + int(self) * _MILLISECOND


#: what a header value may be (decoding yields bool, the int subclasses above,
#: bytes, str, Timestamp and uuid.UUID; encoding also takes plain ints and datetimes)
HeaderValue: TypeAlias = bool | int | bytes | str | uuid.UUID | _dt.datetime

_FIXED: dict[int, tuple[struct.Struct, type[_TypedInt]]] = {
    cls.TYPE: (struct.Struct(cls.FORMAT), cls) for cls in (Byte, Short, Integer, Long, Timestamp)
}


class EventStreamMessage(NamedTuple):
    """One decoded message: its headers, its raw payload, and where it started in the body."""

    headers: dict[str, HeaderValue]
    payload: bytes
    offset: int


def _error(message: str, offset: int) -> DecodeError:
    return DecodeError(message, protocol=PROTOCOL, offset=offset)


def _crc(data: bytes | bytearray | memoryview) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


# -- decoding ---------------------------------------------------------------------


def looks_like_prelude(data: bytes) -> bool:
    """Do the first 12 bytes form a message prelude with a valid CRC (sniffing)?"""
    if len(data) < 12:
        return False
    total, headers_len, crc = _PRELUDE.unpack_from(data, 0)
    return bool(
        total >= MIN_MESSAGE_LENGTH
        and headers_len <= total - MIN_MESSAGE_LENGTH
        and _crc(data[:8]) == crc
    )


def _check_prelude(prelude: bytes | bytearray, offset: int, max_size: int | None = None) -> int:
    """Validate the 12-byte prelude of the message at body offset ``offset``; returns total_length.

    ``max_size`` bounds the whole message (checked before any of it is buffered).
    """
    total, headers_len, crc = _PRELUDE.unpack_from(prelude, 0)
    actual = _crc(prelude[:8])
    if actual != crc:
        raise _error(
            f"prelude CRC mismatch (message at byte {offset}): "
            f"expected 0x{crc:08x}, computed 0x{actual:08x}",
            offset + 8,
        )
    if total < MIN_MESSAGE_LENGTH:
        raise _error(f"message length {total} is below the minimum of {MIN_MESSAGE_LENGTH}", offset)
    if headers_len > MAX_HEADERS_LENGTH:
        raise _error(
            f"headers length {headers_len} exceeds the limit of {MAX_HEADERS_LENGTH}", offset + 4
        )
    payload_len = total - headers_len - MIN_MESSAGE_LENGTH
    if payload_len < 0:
        raise _error(
            f"headers length {headers_len} does not fit in a message of {total} bytes", offset + 4
        )
    if payload_len > MAX_PAYLOAD_LENGTH:
        raise _error(
            f"payload length {payload_len} exceeds the limit of {MAX_PAYLOAD_LENGTH}", offset
        )
    if max_size is not None and total > max_size:
        raise _error(f"message length {total} exceeds the limit of {max_size} bytes", offset)
    return int(total)


def _parse_headers(msg: bytes, end: int, base: int) -> dict[str, HeaderValue]:
    """The header block ``msg[12:end]``; ``base`` is the body offset of ``msg``."""
    headers: dict[str, HeaderValue] = {}
    pos = PRELUDE_LENGTH
    while pos < end:
        start = pos
        name_len = msg[pos]
        pos += 1
        if pos + name_len + 1 > end:
            raise _error("header name runs past the end of the header block", base + start)
        try:
            name = msg[pos : pos + name_len].decode("utf-8")
        except UnicodeDecodeError:
            raise _error("header name is not valid UTF-8", base + start) from None
        pos += name_len
        if name in headers:
            raise _error(f"duplicate header {name!r}", base + start)
        type_pos = pos
        htype = msg[pos]
        pos += 1
        value: HeaderValue
        if htype == 0:
            value = True
        elif htype == 1:
            value = False
        elif htype in _FIXED:
            fmt, cls = _FIXED[htype]
            if pos + fmt.size > end:
                raise _error(
                    f"value of header {name!r} runs past the header block", base + type_pos
                )
            value = cls(fmt.unpack_from(msg, pos)[0])
            pos += fmt.size
        elif htype in (6, 7):
            if pos + 2 > end:
                raise _error(
                    f"value of header {name!r} runs past the header block", base + type_pos
                )
            (size,) = _UINT16.unpack_from(msg, pos)
            pos += 2
            if pos + size > end:
                raise _error(
                    f"value of header {name!r} runs past the header block", base + type_pos
                )
            raw = msg[pos : pos + size]
            if htype == 6:
                value = raw
            else:
                try:
                    value = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise _error(f"header {name!r} is not valid UTF-8", base + pos) from None
            pos += size
        elif htype == 9:
            if pos + 16 > end:
                raise _error(
                    f"value of header {name!r} runs past the header block", base + type_pos
                )
            value = uuid.UUID(bytes=msg[pos : pos + 16])
            pos += 16
        else:
            raise _error(f"unknown type {htype} of header {name!r}", base + type_pos)
        headers[name] = value
    return headers


def _parse_message(msg: bytes, base: int) -> EventStreamMessage:
    """A whole message whose prelude was already checked; ``base`` is its body offset."""
    total = len(msg)
    (expected,) = _UINT32.unpack_from(msg, total - 4)
    actual = _crc(memoryview(msg)[: total - 4])
    if actual != expected:
        raise _error(
            f"message CRC mismatch (message at byte {base}): "
            f"expected 0x{expected:08x}, computed 0x{actual:08x}",
            base + total - 4,
        )
    (headers_len,) = _UINT32.unpack_from(msg, 4)
    headers_end = PRELUDE_LENGTH + headers_len
    headers = _parse_headers(msg, headers_end, base)
    return EventStreamMessage(headers, msg[headers_end : total - 4], base)


def decode_message(data: bytes, offset: int = 0) -> EventStreamMessage:
    """Decode exactly one complete message (``offset`` only labels errors)."""
    if len(data) < PRELUDE_LENGTH:
        raise _error(f"truncated message: {len(data)} bytes, not even a prelude", offset)
    total = _check_prelude(data[:PRELUDE_LENGTH], offset)
    if len(data) < total:
        raise _error(f"truncated message: {len(data)} of {total} bytes", offset)
    if len(data) > total:
        raise _error(f"{len(data) - total} bytes after the message", offset + total)
    return _parse_message(bytes(data), offset)


class EventStreamFramer:
    """Incremental framer: ``feed`` body bytes, get the messages they completed.

    Bytes are appended to one ``bytearray`` and a message is copied out once, when
    it is complete, so a large payload arriving in small pieces costs linear time.
    The prelude is checked as soon as its 12 bytes are in, so a message larger than
    the limits (botocore's, and ``max_message_size`` when given) is refused before
    any of it is buffered.

    Errors are fatal. When an error is found after some messages of the same
    ``feed`` call were complete, those messages are returned and the error is
    raised by the next ``feed`` or ``end`` call, so that no good message is lost;
    once raised, it is raised again by every later call.
    """

    __slots__ = ("_buf", "_ended", "_error", "_max", "_offset", "_total")

    def __init__(self, *, offset: int = 0, max_message_size: int | None = None) -> None:
        self._buf = bytearray()
        self._max = max_message_size
        #: body offset of ``_buf[0]``
        self._offset = offset
        #: total_length of the message at the start of the buffer, once its prelude checked out
        self._total = 0
        self._error: DecodeError | None = None
        self._ended = False

    @property
    def offset(self) -> int:
        """Body offset of the next message (bytes consumed so far)."""
        return self._offset

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete message."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[EventStreamMessage]:
        if self._error is not None:
            raise self._error
        if self._ended:
            raise RuntimeError("feed() after end()")
        buf = self._buf
        buf += data
        out: list[EventStreamMessage] = []
        try:
            while True:
                total = self._total
                if not total:
                    if len(buf) < PRELUDE_LENGTH:
                        break
                    total = self._total = _check_prelude(
                        bytes(buf[:PRELUDE_LENGTH]), self._offset, self._max
                    )
                if len(buf) < total:
                    break
                if len(buf) == total:
                    msg = bytes(buf)
                    buf.clear()
                else:
                    with memoryview(buf) as view, view[:total] as head:
                        msg = bytes(head)
                    del buf[:total]
                base = self._offset
                self._offset += total
                self._total = 0
                out.append(_parse_message(msg, base))
        except DecodeError as exc:
            self._error = exc
            if not out:
                raise
        return out

    def end(self) -> None:
        """The body is complete; raises :class:`DecodeError` if a partial message remains."""
        if self._error is not None:
            raise self._error
        self._ended = True
        size = len(self._buf)
        if not size:
            return
        if self._total:
            what = f"{size} of {self._total} bytes"
        else:
            what = f"{size} bytes, not even a prelude"
        self._error = _error(f"the body ended inside a message ({what})", self._offset)
        raise self._error
