"""Encoding AWS event-stream messages (``docs/wire-formats.md``): the inverse of
:func:`~assistant_ui._wire.eventstream.decode_message`, for test services and tools
that speak the format. The client only decodes."""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
from collections.abc import Mapping

from .eventstream import (
    _UINT16,
    _UINT32,
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    MIN_MESSAGE_LENGTH,
    HeaderValue,
    Timestamp,
    _crc,
    _TypedInt,
)

__all__ = ["encode_message"]

def _encode_value(name: str, value: HeaderValue) -> bytes:
    if value is True:
        return b"\x00"
    if value is False:
        return b"\x01"
    if isinstance(value, _TypedInt):
        fmt = struct.Struct(value.FORMAT)
        try:
            return bytes((value.TYPE,)) + fmt.pack(int(value))
        except struct.error:
            raise ValueError(f"header {name!r}: {value!r} is out of range") from None
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return b"\x04" + struct.pack(">i", value)
        if -(2**63) <= value < 2**63:
            return b"\x05" + struct.pack(">q", value)
        raise ValueError(f"header {name!r}: {value} does not fit in 64 bits")
    if isinstance(value, (bytes, bytearray, memoryview, str)):
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        if len(raw) > 0xFFFF:
            raise ValueError(f"header {name!r}: value of {len(raw)} bytes exceeds 65535")
        return (b"\x07" if isinstance(value, str) else b"\x06") + _UINT16.pack(len(raw)) + raw
    if isinstance(value, _dt.datetime):
        return _encode_value(name, Timestamp.from_datetime(value))
    if isinstance(value, uuid.UUID):
        return b"\x09" + value.bytes
    raise TypeError(f"header {name!r}: cannot encode a {type(value).__name__}")


def encode_message(
    headers: Mapping[str, HeaderValue] | None = None, payload: bytes | bytearray = b""
) -> bytes:
    """The bytes of one message.

    Value types: ``bool``; :class:`Byte`/:class:`Short`/:class:`Integer`/:class:`Long`/
    :class:`Timestamp` as their types; any other ``int`` as an int32 when it fits, else
    an int64; ``bytes`` as a byte array; ``str`` as a string; ``datetime`` as a
    timestamp (naive means UTC); ``uuid.UUID`` as a uuid. Raises ``ValueError`` for
    values or sizes the format (or the decoder's limits) cannot carry.
    """
    block = bytearray()
    for name, value in (headers or {}).items():
        raw_name = name.encode("utf-8")
        if len(raw_name) > 0xFF:
            raise ValueError(f"header name {name!r} is longer than 255 bytes")
        block.append(len(raw_name))
        block += raw_name
        block += _encode_value(name, value)
    if len(block) > MAX_HEADERS_LENGTH:
        raise ValueError(f"headers of {len(block)} bytes exceed {MAX_HEADERS_LENGTH}")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_LENGTH}")
    total = MIN_MESSAGE_LENGTH + len(block) + len(payload)
    prelude = struct.pack(">II", total, len(block))
    message = bytearray(prelude)
    message += _UINT32.pack(_crc(prelude))
    message += block
    message += payload
    message += _UINT32.pack(_crc(message))
    return bytes(message)
