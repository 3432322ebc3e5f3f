"""Servers on 127.0.0.1 that misbehave on purpose, for tests/test_faults.py and test_leaks.py.

Two servers:

* :class:`RawServer`: a raw-socket HTTP/1.x server on asyncio, in a background
  thread, for the faults uvicorn cannot produce (a TCP reset mid-body, a chunked
  body that is never terminated, a server that never answers, one byte at a
  time, HTTP/1.0 close-delimited bodies, hand-made gzip, ...).
* :class:`UvicornServer`: uvicorn (h11) running a Starlette app whose successful
  answers come from ``assistant_stream`` (``create_run`` + ``DataStreamResponse``),
  and whose failures are plain status codes (5xx, 429, with or without
  ``Retry-After``) or a body cut by an exception in the app.

Both pick the behaviour of a ``POST /api/chat`` from its JSON body (the client
merges unknown keyword arguments into the body): ``fault`` names the behaviour,
``tag`` groups the attempts of one call (``attempts[tag]`` counts the requests
the server saw for it), and the other keys tune the fault. Every request is
bounded in time server-side: nothing waits longer than ``HOLD_MAX`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = [
    "HOLD_MAX",
    "RawServer",
    "UvicornServer",
    "active_connections",
    "ds_lines",
    "open_fds",
    "openai_sse_events",
    "pool_of",
    "wait_until",
]

#: the longest any request is held open server-side (never-answering, trickling)
HOLD_MAX = 20.0

FINISH = b'd:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":2}}\n'
DS_HEADERS = [("Content-Type", "text/plain; charset=utf-8"), ("x-vercel-ai-data-stream", "v1")]
SSE_HEADERS = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]


def ds_lines(n: int, *, finish: bool = True) -> list[bytes]:
    """A data-stream body: a message id, ``n`` text deltas ``t0 t1 ...``, a finish line."""
    lines = [b'f:{"messageId":"m1"}\n']
    lines += [f'0:"t{i} "\n'.encode() for i in range(n)]
    if finish:
        lines.append(FINISH)
    return lines


def openai_sse_events(n: int, *, done: bool = True) -> list[bytes]:
    """An OpenAI chat-completions SSE body: ``n`` content deltas, a finish chunk, ``[DONE]``."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": f"t{i} "}) for i in range(n)]
    if done:
        events.append(chunk({}, "stop"))
        events.append(b"data: [DONE]\n\n")
    return events


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _head(status: int, headers: list[tuple[str, str]], *, version: str = "HTTP/1.1") -> bytes:
    reasons = {200: "OK", 307: "Temporary Redirect", 308: "Permanent Redirect"}
    lines = [f"{version} {status} {reasons.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Request:
    __slots__ = ("body", "headers", "method", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class _Close(Exception):
    """End the connection (cleanly: FIN) after the current response."""


class RawServer:
    """A raw-socket HTTP/1.x server on 127.0.0.1 with one behaviour per ``fault``.

    ``fault`` values (body keys in brackets):

    - ``ok``: a complete data stream of ``n`` deltas, chunked, keep-alive.
      ``ok-length``: the same with ``Content-Length``. ``ok-sse``: an OpenAI SSE
      stream ending with ``[DONE]``, chunked, keep-alive.
    - ``status``: the first ``fail`` attempts of the tag get ``status`` (with
      ``retry_after`` as ``Retry-After`` when given, ``retry_after_ms`` as
      ``retry-after-ms``), then ``ok``.
    - ``rst-mid-body``: head and the first ``n`` deltas, then (after the gate ``tag``
      opens or ``pause`` seconds) a TCP reset: ``SO_LINGER`` 0. ``framing``:
      ``chunked`` (default), ``length`` (``Content-Length``) or ``http10``.
    - ``rst-before-head``: reads the request, then resets the connection.
    - ``rst-after-head``: a 200 head (chunked), no body byte, then a reset.
    - ``stall``: head and ``n`` deltas, then silence (until the client goes).
    - ``gzip-lie``: ``Content-Encoding: gzip`` on a body that is not compressed.
    - ``empty``: 200 with an empty body (``type``: its content type).
    - ``close-before-head``: reads the request, then closes (FIN) without a word.
    - ``unterminated-chunked``: ``n`` deltas then a clean close, no final chunk.
    - ``short-length``: ``Content-Length`` larger than what is sent, then a close.
    - ``sse-no-done``: an OpenAI SSE body, close-delimited (``Connection: close``,
      no length), that ends cleanly without the finish chunk and ``[DONE]``.
    - ``sse-no-done-chunked``: the same, chunked and properly terminated.
    - ``ds-no-finish``: a data stream that ends cleanly (chunked, terminated)
      without its finish line.
    - ``blackhole``: reads the request and never answers (until the client goes).
    - ``trickle``: a complete data stream (``finish``: with its finish line, default
      true), written one byte every ``interval`` s, ``Content-Length``.
    - ``heartbeats``: an SSE head, one delta, then only ``: ping`` comments every
      ``interval`` s.
    - ``html``: 200 ``text/html`` error page (``Content-Length``); ``echo``: quoting
      the value of that request header after ``pad`` spaces.
    - ``gzip``: an OpenAI SSE stream, ``Content-Encoding: gzip``, each event
      flushed on its own (``Z_SYNC_FLUSH``); after ``n`` events it waits for the gate
      ``tag`` (so a test can check the first events arrived before the rest was sent).
      ``gzip-ds``: a gzip data stream in one compressed piece, ``Content-Length``.
    - ``http10``: an ``HTTP/1.0`` answer, no length, no chunking: ends at the close
      (``finish`` false: the close comes before the finish line).
    - ``close-delimited``: an ``HTTP/1.1`` answer with ``Connection: close`` and no length.
    - ``redirect``: ``status`` (307 or 308) to ``location`` (default ``/api/chat``
      with ``?redirected=1``); the redirected request gets ``ok``.
    - ``slow``: ``n`` deltas ``interval`` s apart, chunked, keep-alive (for breaks
      and cancels).

    ``POST /api/cancel`` answers ``{"ok": true}``.
    """

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        #: when each attempt of a tag arrived (time.monotonic())
        self.times: dict[str, list[float]] = {}
        self.bodies: dict[str, list[dict[str, Any]]] = {}
        self.paths: dict[str, list[str]] = {}
        self.accepted = 0
        self.live = 0
        self.cancels = 0
        self.port = 0
        self._lock = threading.Lock()
        self._gates: dict[str, threading.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- for the tests ------------------------------------------------------------------

    def gate(self, tag: str) -> threading.Event:
        with self._lock:
            return self._gates.setdefault(tag, threading.Event())

    def open_gate(self, tag: str) -> None:
        self.gate(tag).set()

    def attempts_for(self, tag: str) -> int:
        with self._lock:
            return self.attempts[tag]

    def live_connections(self) -> int:
        with self._lock:
            return self.live

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> RawServer:
        self._thread = threading.Thread(target=self._run, name="raw-fault-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the raw server did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and self._stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=128)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=5)

    # -- connections --------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.accepted += 1
            self.live += 1
        aborted = False
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if request.path.startswith("/api/cancel"):
                    with self._lock:
                        self.cancels += 1
                    if not await self._answer_cancel(reader, writer):
                        raise _Close()
                    continue
                if await self._dispatch(request, reader, writer):
                    aborted = True
                    break
        except (_Close, ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            aborted = True
            writer.transport.abort()
        finally:
            with self._lock:
                self.live -= 1
            self._tasks.discard(task)
            if not aborted:
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 1)

    async def _answer_cancel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer ``POST /api/cancel``; False: the connection is to be closed."""
        await _send_full(writer, 200, [("Content-Type", "application/json")], b'{"ok":true}')
        return True

    async def _dispatch(
        self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request. True when the connection was reset (no close needed);
        raises :class:`_Close` to end the connection cleanly."""
        params = request.json()
        fault = str(params.get("fault", "ok"))
        tag = str(params.get("tag", fault))
        if "redirected=1" in request.path:
            fault = "ok"
        with self._lock:
            self.attempts[tag] += 1
            attempt = self.attempts[tag]
            self.times.setdefault(tag, []).append(time.monotonic())
            self.bodies.setdefault(tag, []).append(params)
            self.paths.setdefault(tag, []).append(request.path)
        n = int(params.get("n", 3))
        interval = float(params.get("interval", 0.05))

        if fault == "status" and attempt <= int(params.get("fail", 1)):
            headers = [("Content-Type", "application/json")]
            if params.get("retry_after") is not None:
                headers.append(("Retry-After", str(params["retry_after"])))
            if params.get("retry_after_ms") is not None:
                headers.append(("retry-after-ms", str(params["retry_after_ms"])))
            body = json.dumps({"error": "try again", "attempt": attempt}).encode()
            await _send_full(writer, int(params.get("status", 503)), headers, body)
            return False
        if fault in ("ok", "status"):
            await _send_chunked(writer, DS_HEADERS, ds_lines(n))
            return False
        if fault == "ok-length":
            await _send_full(writer, 200, DS_HEADERS, b"".join(ds_lines(n)))
            return False
        if fault == "ok-sse":
            await _send_chunked(writer, SSE_HEADERS, openai_sse_events(n))
            return False
        if fault == "slow":
            writer.write(_head(200, [*DS_HEADERS, ("Transfer-Encoding", "chunked")]))
            for line in ds_lines(n):
                if _gone(reader, writer):
                    raise _Close()
                writer.write(_chunk(line))
                await writer.drain()
                await asyncio.sleep(interval)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return False
        if fault == "rst-mid-body":
            lines = ds_lines(n, finish=False)
            framing = params.get("framing", "chunked")
            if framing == "chunked":
                writer.write(_head(200, [*DS_HEADERS, ("Transfer-Encoding", "chunked")]))
                for line in lines:
                    writer.write(_chunk(line))
            elif framing == "length":
                full = len(b"".join(ds_lines(n)))
                writer.write(_head(200, [*DS_HEADERS, ("Content-Length", str(full))]) + b"".join(lines))
            else:  # HTTP/1.0, close-delimited
                writer.write(_head(200, DS_HEADERS, version="HTTP/1.0") + b"".join(lines))
            await writer.drain()
            await self._wait_gate(tag, float(params.get("pause", 0.05)))
            _reset(writer)
            return True
        if fault == "rst-after-head":
            writer.write(_head(200, [*DS_HEADERS, ("Transfer-Encoding", "chunked")]))
            await writer.drain()
            await asyncio.sleep(float(params.get("pause", 0.02)))
            _reset(writer)
            return True
        if fault == "stall":
            writer.write(_head(200, [*DS_HEADERS, ("Transfer-Encoding", "chunked")]))
            for line in ds_lines(n, finish=False):
                writer.write(_chunk(line))
            await writer.drain()
            await _hold(reader, HOLD_MAX)
            raise _Close()
        if fault == "gzip-lie":
            headers = [*DS_HEADERS, ("Content-Encoding", "gzip")]
            await _send_full(writer, 200, headers, b"".join(ds_lines(n)))
            return False
        if fault == "empty":
            await _send_full(writer, 200, [("Content-Type", str(params.get("type", "text/plain")))], b"")
            return False
        if fault == "rst-before-head":
            _reset(writer)
            return True
        if fault == "close-before-head":
            raise _Close()
        if fault == "unterminated-chunked":
            writer.write(_head(200, [*DS_HEADERS, ("Transfer-Encoding", "chunked")]))
            for line in ds_lines(n, finish=False):
                writer.write(_chunk(line))
            await writer.drain()
            await self._wait_gate(tag, float(params.get("pause", 0.0)))
            raise _Close()
        if fault == "short-length":
            body = b"".join(ds_lines(n, finish=False))
            writer.write(_head(200, [*DS_HEADERS, ("Content-Length", str(len(body) + 1000))]))
            writer.write(body)
            await writer.drain()
            await self._wait_gate(tag, float(params.get("pause", 0.0)))
            raise _Close()
        if fault == "sse-no-done":
            writer.write(_head(200, [*SSE_HEADERS, ("Connection", "close")]))
            writer.write(b"".join(openai_sse_events(n, done=False)))
            await writer.drain()
            raise _Close()
        if fault == "sse-no-done-chunked":
            await _send_chunked(writer, SSE_HEADERS, openai_sse_events(n, done=False))
            return False
        if fault == "ds-no-finish":
            await _send_chunked(writer, DS_HEADERS, ds_lines(n, finish=False))
            return False
        if fault == "blackhole":
            await _hold(reader, HOLD_MAX)
            raise _Close()
        if fault == "trickle":
            lines = ds_lines(n, finish=bool(params.get("finish", True)))
            writer.write(_head(200, [*DS_HEADERS, ("Content-Length", str(len(b"".join(lines))))]))
            await writer.drain()
            for line in lines:
                for i in range(len(line)):
                    writer.write(line[i : i + 1])
                    await writer.drain()
                    await asyncio.sleep(interval)
                    if _gone(reader, writer):
                        raise _Close()
            return False
        if fault == "heartbeats":
            writer.write(_head(200, [*SSE_HEADERS, ("Transfer-Encoding", "chunked")]))
            writer.write(_chunk(openai_sse_events(1, done=False)[1]))
            await writer.drain()
            end = time.monotonic() + HOLD_MAX
            while time.monotonic() < end and not _gone(reader, writer):
                await asyncio.sleep(interval)
                writer.write(_chunk(b": ping\n\n"))
                await writer.drain()
            raise _Close()
        if fault == "html":
            echo = request.headers.get(str(params["echo"]).lower(), "") if params.get("echo") else ""
            pad = " " * int(params.get("pad", 0))  # whitespace before the echoed header
            page = (
                b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
                b"<body><h1>Please sign in</h1><p>Session expired.</p>"
                + f"{pad}<p>You sent: {echo}</p>".encode()
                + b"</body></html>\n"
            )
            await _send_full(writer, 200, [("Content-Type", "text/html; charset=utf-8")], page)
            return False
        if fault == "gzip":
            compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
            writer.write(
                _head(200, [*SSE_HEADERS, ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")])
            )
            events = openai_sse_events(int(params.get("total", 6)))
            for i, event in enumerate(events):
                if i == n:
                    await self._wait_gate(tag, float(params.get("pause", 0.0)))
                piece = compressor.compress(event) + compressor.flush(zlib.Z_SYNC_FLUSH)
                writer.write(_chunk(piece))
                await writer.drain()
            writer.write(_chunk(compressor.flush(zlib.Z_FINISH)) + b"0\r\n\r\n")
            await writer.drain()
            return False
        if fault == "gzip-ds":
            body = gzip.compress(b"".join(ds_lines(n)))
            await _send_full(writer, 200, [*DS_HEADERS, ("Content-Encoding", "gzip")], body)
            return False
        if fault in ("http10", "close-delimited"):
            version = "HTTP/1.0" if fault == "http10" else "HTTP/1.1"
            headers = list(DS_HEADERS)
            if fault == "close-delimited":
                headers.append(("Connection", "close"))
            writer.write(_head(200, headers, version=version))
            for line in ds_lines(n, finish=bool(params.get("finish", True))):
                writer.write(line)
                await writer.drain()
                await asyncio.sleep(float(params.get("pause", 0.0)))
            raise _Close()
        if fault == "redirect":
            location = str(params.get("location", "/api/chat?redirected=1"))
            headers = [("Location", location), ("Content-Type", "text/plain")]
            await _send_full(writer, int(params.get("status", 307)), headers, b"moved")
            return False
        await _send_full(writer, 400, [("Content-Type", "text/plain")], b"unknown fault " + fault.encode())
        return False

    async def _wait_gate(self, tag: str, pause: float) -> None:
        """Wait for the test to open the gate ``tag`` (at most ``HOLD_MAX``), or ``pause`` s."""
        gate = self.gate(tag)
        if pause > 0:
            end = time.monotonic() + pause
        else:
            end = time.monotonic() + HOLD_MAX
        while not gate.is_set() and time.monotonic() < end:
            await asyncio.sleep(0.002)
        if pause <= 0 and not gate.is_set():
            raise _Close()


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(data[:-2])
        body = b"".join(parts)
    return _Request(method, path, headers, body)


async def _send_full(
    writer: asyncio.StreamWriter, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    writer.write(_head(status, [*headers, ("Content-Length", str(len(body)))]) + body)
    await writer.drain()


async def _send_chunked(writer: asyncio.StreamWriter, headers: list[tuple[str, str]], pieces: list[bytes]) -> None:
    writer.write(_head(200, [*headers, ("Transfer-Encoding", "chunked")]))
    for piece in pieces:
        writer.write(_chunk(piece))
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def _hold(reader: asyncio.StreamReader, limit: float) -> None:
    """Until the client closes its side (or ``limit`` seconds)."""
    with contextlib.suppress(asyncio.TimeoutError, ConnectionError, OSError):
        await asyncio.wait_for(reader.read(), limit)


def _gone(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
    """The client closed or reset the connection (writing on would only be logged)."""
    return reader.at_eof() or writer.is_closing()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST: ``SO_LINGER`` on with a zero timeout, then close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# -- uvicorn + assistant-stream ---------------------------------------------------------------------


class UvicornServer:
    """uvicorn (h11) on 127.0.0.1 serving assistant-stream answers and status failures.

    ``fault`` values: ``ok`` (``create_run`` + ``DataStreamResponse``, ``n`` deltas
    ``t0 t1 ...``, ``delay`` s apart), ``status`` (the first ``fail`` attempts of
    the tag get ``status`` with the optional ``retry_after`` header, then ``ok``),
    ``cut`` (``n`` deltas then the app raises: uvicorn drops the connection
    without the final chunk). ``POST /api/cancel`` answers ``{"ok": true}``.
    """

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self.port = 0
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def attempts_for(self, tag: str) -> int:
        with self._lock:
            return self.attempts[tag]

    def app(self) -> Any:
        from assistant_stream import RunController, create_run  # type: ignore[import-untyped]
        from assistant_stream.serialization import DataStreamResponse  # type: ignore[import-untyped]
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response, StreamingResponse
        from starlette.routing import Route

        async def chat(request: Request) -> Response:
            params = await request.json()
            fault = str(params.get("fault", "ok"))
            tag = str(params.get("tag", fault))
            with self._lock:
                self.attempts[tag] += 1
                attempt = self.attempts[tag]
                self.times.setdefault(tag, []).append(time.monotonic())
            n = int(params.get("n", 3))
            delay = float(params.get("delay", 0.0))
            if fault == "status" and attempt <= int(params.get("fail", 1)):
                headers = {}
                if params.get("retry_after") is not None:
                    headers["Retry-After"] = str(params["retry_after"])
                return JSONResponse(
                    {"error": "try again", "attempt": attempt},
                    status_code=int(params.get("status", 503)),
                    headers=headers,
                )
            if fault == "cut":

                async def cut() -> AsyncIterator[bytes]:
                    for line in ds_lines(n, finish=False):
                        yield line
                    await asyncio.sleep(0.05)
                    raise RuntimeError("the backend died mid-answer")

                return StreamingResponse(cut(), media_type="text/plain")

            async def run(controller: RunController) -> None:
                for i in range(n):
                    controller.append_text(f"t{i} ")
                    if delay:
                        await asyncio.sleep(delay)
                    if controller.is_cancelled:
                        break

            response: Response = DataStreamResponse(create_run(run))
            return response

        async def cancel(request: Request) -> Response:
            return JSONResponse({"ok": True})

        return Starlette(
            routes=[
                Route("/api/chat", chat, methods=["POST"]),
                Route("/api/cancel", cancel, methods=["POST"]),
            ]
        )

    def start(self) -> UvicornServer:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            http="h11",
            lifespan="off",
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-faults", daemon=True
        )
        self._thread.start()
        end = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > end or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> UvicornServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def servers() -> Iterator[tuple[RawServer, UvicornServer]]:
    with RawServer() as raw, UvicornServer() as uv:
        yield raw, uv


# -- what the tests measure -------------------------------------------------------------------------


def pool_of(http: Any) -> Any:
    """The httpcore connection pool under an ``httpx.Client`` / ``httpx.AsyncClient``."""
    return http._transport._pool


def active_connections(http: Any) -> int:
    """Connections of the pool that are neither idle nor closed (a response is using them)."""
    return sum(1 for conn in pool_of(http).connections if not (conn.is_idle() or conn.is_closed()))


def open_fds() -> int:
    """The open file descriptors of this process (Linux)."""
    import os

    return len(os.listdir("/proc/self/fd"))


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
