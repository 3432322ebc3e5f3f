"""A raw server with hostile answers (issue #17, round 2), on top of :class:`RawServer`.

Faults (the ``fault`` body key, besides those of :class:`RawServer`):

- ``rst-partial-sse``: an SSE head, the first ``cut`` bytes of an OpenAI SSE event
  (no event boundary), then a TCP reset.
- ``gzip-bomb``: a chunked gzip body that decodes to ``mib`` MiB (``kind``: ``plain``
  text/plain, ``unlabelled`` no Content-Type, ``ndjson``, ``data-stream`` text lines
  of 1000 characters, ``openai`` SSE deltas); a few KiB on the wire per MiB.

``POST /api/cancel`` answers as :attr:`HostileServer.cancel_mode` says (None:
``{"ok": true}`` at once; ``trickle``: one byte every 50 ms; ``huge``: ``cancel_mib``
MiB; ``gzip-bomb``: ``cancel_mib`` MiB of gzip-compressed spaces; ``broken-gzip``;
``slow``: ``{"ok": true}`` after 0.5 s).
"""

from __future__ import annotations

import asyncio
import struct
import time
import zlib
from typing import Any

from faultservers import (
    HOLD_MAX,
    SSE_HEADERS,
    RawServer,
    _chunk,
    _Close,
    _gone,
    _head,
    _Request,
    _reset,
    _send_full,
    openai_sse_events,
)

__all__ = ["BOMB_KINDS", "HostileServer"]

#: the bodies of the ``gzip-bomb`` fault: (first bytes, the unit repeated, last bytes)
_BOMB_UNITS: dict[str, tuple[bytes, bytes, bytes]] = {
    "plain": (b"", b"a", b""),
    "unlabelled": (b"", b"a", b""),
    "ndjson": (b"", b'{"type":"text-delta","delta":"a"}\n', b""),
    "data-stream": (b"", b'0:"' + b"a" * 1000 + b'"\n', b'd:{"finishReason":"stop"}\n'),
    "openai": (b"", b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n', b"data: [DONE]\n\n"),
}
_BOMB_HEADERS: dict[str, list[tuple[str, str]]] = {
    "plain": [("Content-Type", "text/plain; charset=utf-8")],
    "unlabelled": [],
    "ndjson": [("Content-Type", "application/x-ndjson")],
    "data-stream": [("Content-Type", "text/plain; charset=utf-8"), ("x-vercel-ai-data-stream", "v1")],
    "openai": list(SSE_HEADERS),
}
BOMB_KINDS = tuple(_BOMB_UNITS)
_JSON = ("Content-Type", "application/json")


class HostileServer(RawServer):
    """:class:`RawServer` with the faults of the module doc."""

    def __init__(self) -> None:
        super().__init__()
        #: how ``/api/cancel`` answers (see the module doc)
        self.cancel_mode: str | None = None
        self.cancel_mib = 64
        #: bytes of cancel answers written (a bounded reader stops them early)
        self.cancel_bytes = 0
        #: whether the last hostile cancel answer was written to its end
        self.cancel_finished = False

    async def _dispatch(
        self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        params = request.json()
        fault = str(params.get("fault", "ok"))
        if fault == "rst-partial-sse":
            self._count(params)
            event = openai_sse_events(2, done=False)[1]
            writer.write(_head(200, [*SSE_HEADERS, ("Transfer-Encoding", "chunked")]))
            writer.write(_chunk(event[: int(params.get("cut", 42))]))
            await writer.drain()
            await asyncio.sleep(float(params.get("pause", 0.05)))
            _reset(writer)
            return True
        if fault == "gzip-bomb":
            self._count(params)
            kind = str(params.get("kind", "plain"))
            head, unit, tail = _BOMB_UNITS[kind]
            headers = [*_BOMB_HEADERS[kind], ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
            writer.write(_head(200, headers))
            await _write_bomb(reader, writer, head, unit, tail, int(params.get("mib", 64)))
            return False
        return await super()._dispatch(request, reader, writer)

    def _count(self, params: dict[str, Any]) -> None:
        tag = str(params.get("tag", params.get("fault")))
        with self._lock:
            self.attempts[tag] += 1

    async def _answer_cancel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        mode = self.cancel_mode
        if mode is None:
            return await super()._answer_cancel(reader, writer)
        self.cancel_finished = False
        if mode == "trickle":
            writer.write(_head(200, [_JSON, ("Transfer-Encoding", "chunked")]))
            end = time.monotonic() + HOLD_MAX
            while time.monotonic() < end:
                if _gone(reader, writer):
                    return False
                writer.write(_chunk(b" "))
                await writer.drain()
                self.cancel_bytes += 1
                await asyncio.sleep(0.05)
        elif mode == "huge":
            writer.write(_head(200, [_JSON, ("Content-Length", str(self.cancel_mib << 20))]))
            block = b" " * (1 << 16)
            for _ in range(self.cancel_mib * 16):
                if _gone(reader, writer):
                    return False
                writer.write(block)
                await writer.drain()
                self.cancel_bytes += len(block)
        elif mode == "gzip-bomb":
            writer.write(_head(200, [_JSON, ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]))
            await _write_bomb(reader, writer, b"", b" ", b"{}", self.cancel_mib)
        elif mode == "slow":
            await asyncio.sleep(0.5)
            await _send_full(writer, 200, [_JSON], b'{"ok":true}')
        elif mode == "broken-gzip":
            await _send_full(writer, 200, [_JSON, ("Content-Encoding", "gzip")], b"this is not gzip")
        self.cancel_finished = True
        return False


async def _write_bomb(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    head: bytes,
    unit: bytes,
    tail: bytes,
    mib: int,
) -> None:
    """A chunked gzip body: ``head``, ``unit`` repeated to ``mib`` MiB, ``tail``.

    Each MiB is compressed once and ends with a full flush (which resets the
    compressor), so the same raw-deflate piece stands for every MiB and the body
    is written as fast as the network takes it; the gzip header and trailer (CRC,
    size) are written here.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = unit * max(1, (1 << 20) // len(unit))
    crc = zlib.crc32(head)
    size = len(head)
    gzip_head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    writer.write(_chunk(gzip_head + compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)))
    piece = _chunk(compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH))
    for i in range(mib):
        writer.write(piece)
        crc = zlib.crc32(block, crc)
        size += len(block)
        if i % 16 == 15:
            await writer.drain()
            if _gone(reader, writer):
                raise _Close()
    crc = zlib.crc32(tail, crc)
    size += len(tail)
    end = compressor.compress(tail) + compressor.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF)
    writer.write(_chunk(end) + b"0\r\n\r\n")
    await writer.drain()
