"""A small HTTP/1.1 server for ASGI apps on loopback, built on anyio streams only.

For tests and the demo, not for production::

    with serve(app) as base_url:             # a background thread with its own loop
        httpx.get(base_url + "/health")

    async with serve_async(app) as base_url:   # in the running loop (asyncio or trio)
        ...

What it does: request line, headers and body (``Content-Length`` or chunked)
with bounded sizes; responses streamed as the app sends them (each
``http.response.body`` is written at once, with ``Transfer-Encoding: chunked``
unless the app gave a ``Content-Length`` or sent the whole body in one message);
keep-alive; ``http.disconnect`` delivered to the app when the client goes away;
the ASGI lifespan protocol when the app supports it; a clean shutdown (idle
connections closed at once, running responses given ``shutdown_timeout``
seconds, then cancelled). What it does not: TLS, HTTP/2, websockets, pipelining
beyond the requests already buffered.

An app can raise :class:`AbortConnection` to drop the connection without ending
the response, as a network cut would.
"""

from __future__ import annotations

import http
import logging
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.abc
import anyio.from_thread

__all__ = [
    "ASGIApp",
    "AbortConnection",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "serve",
    "serve_async",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("assistant_ui.testing")

#: bounds on one request
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
MAX_BODY_BYTES = 16 * 1024 * 1024
_READ_SIZE = 64 * 1024
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade"})
_NETWORK_ERRORS = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,
)


class AbortConnection(Exception):
    """Raise it from an ASGI app to drop the connection mid-response (a simulated network cut)."""


class _HTTPError(Exception):
    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(detail or http.HTTPStatus(status).phrase)
        self.status = status


def _is_abort(exc: BaseException) -> bool:
    """An :class:`AbortConnection`, alone or in an exception group (from the app's task group)."""
    if isinstance(exc, AbortConnection):
        return True
    inner: Any = getattr(exc, "exceptions", None)
    return bool(inner) and all(_is_abort(e) for e in inner)


def _reason(status: int) -> bytes:
    try:
        return http.HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


class _Connection:
    """One client connection: reads requests, runs the app, writes responses."""

    def __init__(self, server: _Server, stream: anyio.abc.SocketStream) -> None:
        self.server = server
        self.stream = stream
        self.buf = bytearray()
        self.eof = False
        self.busy = False
        self.scope = anyio.CancelScope()
        self.client: tuple[str, int] | None = None
        try:
            remote: Any = stream.extra(anyio.abc.SocketAttribute.remote_address)
            self.client = (str(remote[0]), int(remote[1]))
        except Exception:
            pass

    # -- reading ---------------------------------------------------------------

    async def _fill(self) -> bool:
        try:
            data = await self.stream.receive(_READ_SIZE)
        except _NETWORK_ERRORS:
            self.eof = True
            return False
        self.buf += data
        return True

    async def _read_head(self) -> bytes | None:
        limit = self.server.max_head_bytes
        while True:
            while self.buf[:2] == b"\r\n" or self.buf[:1] == b"\n":
                del self.buf[: 2 if self.buf[:1] == b"\r" else 1]
            end, size = self.buf.find(b"\r\n\r\n"), 4
            lf = self.buf.find(b"\n\n")
            if lf >= 0 and (end < 0 or lf < end):
                end, size = lf, 2
            if end >= 0:
                if end > limit:
                    raise _HTTPError(431)
                head = bytes(self.buf[:end])
                del self.buf[: end + size]
                return head
            if len(self.buf) > limit:
                raise _HTTPError(431)
            if not await self._fill():
                return None  # closed (an unfinished head is dropped)

    async def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not await self._fill():
                raise _HTTPError(400, "incomplete body")
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    async def _read_line(self, limit: int = 4096) -> bytes:
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i]).rstrip(b"\r")
                del self.buf[: i + 1]
                return line
            if len(self.buf) > limit:
                raise _HTTPError(400, "line too long")
            if not await self._fill():
                raise _HTTPError(400, "incomplete body")

    async def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = await self._read_line()
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _HTTPError(400, "bad chunk size") from None
            if size < 0:
                raise _HTTPError(400, "bad chunk size")
            if size == 0:
                trailers = 0
                while await self._read_line():  # trailers, ignored
                    trailers += 1
                    if trailers > MAX_HEADERS:
                        raise _HTTPError(431)
                return b"".join(parts)
            total += size
            if total > self.server.max_body_bytes:
                raise _HTTPError(413)
            parts.append(await self._read_exact(size))
            if await self._read_line():
                raise _HTTPError(400, "bad chunk terminator")

    # -- the request loop ----------------------------------------------------------

    async def run(self) -> None:
        with self.scope:
            try:
                await self._loop()
            finally:
                with anyio.CancelScope(shield=True):
                    await self.stream.aclose()

    async def _loop(self) -> None:
        server = self.server
        while not self.eof:
            head: bytes | None = None
            with anyio.move_on_after(server.keepalive_timeout):
                try:
                    head = await self._read_head()
                except _HTTPError as exc:
                    await self._send_error(exc.status, str(exc))
                    return
            if head is None:
                return
            self.busy = True
            try:
                try:
                    request = self._parse_head(head)
                    if request["expect_continue"]:
                        await self.stream.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                    body = await self._read_body(request)
                except _HTTPError as exc:
                    await self._send_error(exc.status, str(exc))
                    return
                except _NETWORK_ERRORS:
                    return
                keep_alive = await self._run_app(request, body)
            finally:
                self.busy = False
            if not keep_alive or server.closing:
                return

    def _parse_head(self, head: bytes) -> dict[str, Any]:
        lines = [line.rstrip(b"\r") for line in head.split(b"\n")]
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
            raise _HTTPError(400, "bad request line")
        method, target, version = parts
        if version not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise _HTTPError(505)
        if len(lines) - 1 > MAX_HEADERS:
            raise _HTTPError(431)
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t"):
                raise _HTTPError(400, "folded header lines are not supported")
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip() or b" " in name:
                raise _HTTPError(400, "bad header line")
            headers.append((name.lower(), value.strip(b" \t")))
        if target.startswith((b"http://", b"https://")):
            rest = target.split(b"//", 1)[1]
            slash = rest.find(b"/")
            target = rest[slash:] if slash >= 0 else b"/"
        raw_path, _, query = target.partition(b"?")
        raw_path = raw_path.split(b"#", 1)[0]
        lookup: dict[bytes, list[bytes]] = {}
        for name, value in headers:
            lookup.setdefault(name, []).append(value)
        http10 = version == b"HTTP/1.0"
        connection = b",".join(lookup.get(b"connection", [])).lower()
        tokens = {t.strip() for t in connection.split(b",")}
        keep_alive = b"keep-alive" in tokens if http10 else b"close" not in tokens
        expect = b",".join(lookup.get(b"expect", [])).lower()
        return {
            "method": method.decode("ascii").upper(),
            "raw_path": raw_path,
            "query": query,
            "http_version": "1.0" if http10 else "1.1",
            "headers": headers,
            "lookup": lookup,
            "keep_alive": keep_alive,
            "expect_continue": expect == b"100-continue" and not http10,
        }

    async def _read_body(self, request: dict[str, Any]) -> bytes:
        lookup: dict[bytes, list[bytes]] = request["lookup"]
        te = lookup.get(b"transfer-encoding")
        if te:
            codings = [c.strip().lower() for c in b",".join(te).split(b",")]
            if codings[-1] != b"chunked":
                raise _HTTPError(501, "unsupported transfer coding")
            if lookup.get(b"content-length"):
                request["keep_alive"] = False
            return await self._read_chunked()
        lengths = set(lookup.get(b"content-length", []))
        if not lengths:
            return b""
        if len(lengths) > 1:
            raise _HTTPError(400, "conflicting Content-Length")
        text = lengths.pop().strip()
        if not text.isdigit():
            raise _HTTPError(400, "bad Content-Length")
        length = int(text)
        if length > self.server.max_body_bytes:
            raise _HTTPError(413)
        return await self._read_exact(length)

    # -- one exchange ------------------------------------------------------------------

    async def _run_app(self, request: dict[str, Any], body: bytes) -> bool:
        """Run the app for one request; return whether the connection may be reused."""
        server = self.server
        host_port = server.address
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request["http_version"],
            "method": request["method"],
            "scheme": "http",
            "path": unquote(request["raw_path"].decode("latin-1")),
            "raw_path": request["raw_path"],
            "query_string": request["query"],
            "root_path": "",
            "headers": request["headers"],
            "client": self.client,
            "server": host_port,
            "state": dict(server.state),
        }
        exchange = _Exchange(self, request, body)
        async with anyio.create_task_group() as tg:
            tg.start_soon(exchange.watch_disconnect)
            try:
                await server.app(scope, exchange.receive, exchange.send)
            except Exception as exc:
                if _is_abort(exc):
                    exchange.abort()
                    return exchange.keep_alive
                if not exchange.disconnected.is_set():
                    logger.exception("the ASGI app raised an exception")
                await exchange.fail(f"{type(exc).__name__}: {exc}")
            else:
                if not exchange.complete:
                    if exchange.started:
                        exchange.abort()
                    else:
                        logger.error("the ASGI app returned without sending a response")
                        await exchange.fail()
            finally:
                exchange.ended.set()
                tg.cancel_scope.cancel()
        return exchange.keep_alive and exchange.complete and not self.eof

    async def _send_error(self, status: int, detail: str) -> None:
        body = detail.encode("utf-8", "replace")
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % (status, _reason(status), len(body))
        )
        try:
            await self.stream.send(head + body)
        except _NETWORK_ERRORS:
            pass


class _Exchange:
    """The ASGI ``receive``/``send`` pair of one request."""

    def __init__(self, conn: _Connection, request: dict[str, Any], body: bytes) -> None:
        self.conn = conn
        self.request = request
        self.body = body
        self.keep_alive: bool = request["keep_alive"]
        self.body_pending = True
        self.started = False
        self.head_sent = False
        self.complete = False
        self.chunked = False
        self.no_body = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.disconnected = anyio.Event()
        #: set when the client went away or the response is complete
        self.ended = anyio.Event()

    async def receive(self) -> Message:
        if self.body_pending:
            self.body_pending = False
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.ended.wait()
        return {"type": "http.disconnect"}

    def _disconnect(self) -> None:
        self.keep_alive = False
        self.conn.eof = True
        self.disconnected.set()
        self.ended.set()

    async def watch_disconnect(self) -> None:
        """Read ahead while the app runs: EOF means the client went away."""
        conn = self.conn
        while not conn.eof and len(conn.buf) < conn.server.max_head_bytes:
            if not await conn._fill():
                break
        if conn.eof:
            self._disconnect()

    async def _write(self, data: bytes) -> None:
        if self.disconnected.is_set():
            return
        try:
            await self.conn.stream.send(data)
        except _NETWORK_ERRORS:
            self._disconnect()

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.started = True
            self.status = int(message["status"])
            headers: list[tuple[bytes, bytes]] = []
            for name, value in message.get("headers", []):
                name, value = bytes(name).lower(), bytes(value)
                if b"\r" in name + value or b"\n" in name + value:
                    raise ValueError("a header name or value holds a line break")
                if name == b"connection" and b"close" in value.lower():
                    self.keep_alive = False
                if name not in _HOP_BY_HOP:
                    headers.append((name, value))
            self.headers = headers
            self.no_body = (
                self.request["method"] == "HEAD"
                or self.status < 200
                or self.status in (204, 304)
            )
        elif kind == "http.response.body":
            if not self.started:
                raise RuntimeError("http.response.body before http.response.start")
            if self.complete:
                raise RuntimeError("http.response.body after the response was complete")
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if not self.head_sent:
                await self._write(self._head(body, more) + (b"" if self.no_body else self._frame(body)))
            elif body and not self.no_body:
                await self._write(self._frame(body))
            if not more:
                self.complete = True
                if self.chunked:
                    await self._write(b"0\r\n\r\n")
                self.ended.set()
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    def _frame(self, body: bytes) -> bytes:
        if not body:
            return b""
        if self.chunked:
            return b"%x\r\n%s\r\n" % (len(body), body)
        return body

    def _head(self, body: bytes, more: bool) -> bytes:
        self.head_sent = True
        headers = list(self.headers)
        has_length = any(name == b"content-length" for name, _ in headers)
        if not self.no_body and not has_length:
            if not more:
                headers.append((b"content-length", b"%d" % len(body)))
            elif self.request["http_version"] == "1.1":
                self.chunked = True
                headers.append((b"transfer-encoding", b"chunked"))
            else:
                self.keep_alive = False  # HTTP/1.0: the body ends when the connection does
        if self.conn.server.closing:
            self.keep_alive = False
        if not self.keep_alive:
            headers.append((b"connection", b"close"))
        elif self.request["http_version"] == "1.0":
            headers.append((b"connection", b"keep-alive"))
        lines = [b"HTTP/1.1 %d %s" % (self.status, _reason(self.status))]
        lines.extend(name + b": " + value for name, value in headers)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    def abort(self) -> None:
        """Drop the connection without ending the response."""
        self.keep_alive = False
        self.complete = False
        self.conn.eof = True

    async def fail(self, detail: str = "") -> None:
        """Answer 500 (with ``detail``, to help debug a test) or, once started, drop the connection."""
        self.keep_alive = False
        if not self.started:
            body = b"Internal Server Error"
            if detail:
                body += b"\n\n" + detail.encode("utf-8", "replace")
            self.started = True
            self.status = 500
            self.headers = [(b"content-type", b"text/plain; charset=utf-8")]
            self.no_body = self.request["method"] == "HEAD"
            await self.send({"type": "http.response.body", "body": body})
        else:
            self.abort()


class _Server:
    def __init__(
        self,
        app: ASGIApp,
        *,
        keepalive_timeout: float,
        shutdown_timeout: float,
        max_head_bytes: int,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.keepalive_timeout = keepalive_timeout
        self.shutdown_timeout = shutdown_timeout
        self.max_head_bytes = max_head_bytes
        self.max_body_bytes = max_body_bytes
        self.address: tuple[str, int] = ("127.0.0.1", 0)
        self.connections: set[_Connection] = set()
        self.closing = False
        self.state: dict[str, Any] = {}
        self.idle = anyio.Event()

    async def handle(self, stream: anyio.abc.SocketStream) -> None:
        if self.closing:
            await stream.aclose()
            return
        try:
            raw = stream.extra(anyio.abc.SocketAttribute.raw_socket)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except Exception:
            pass
        conn = _Connection(self, stream)
        self.connections.add(conn)
        try:
            await conn.run()
        finally:
            self.connections.discard(conn)
            if self.closing and not any(c.busy for c in self.connections):
                self.idle.set()

    async def shutdown(self) -> None:
        """Close idle connections now; give running ones ``shutdown_timeout`` seconds."""
        self.closing = True
        with anyio.CancelScope(shield=True):
            for conn in list(self.connections):
                if not conn.busy:
                    conn.scope.cancel()
            if any(c.busy for c in self.connections):
                with anyio.move_on_after(self.shutdown_timeout):
                    await self.idle.wait()
            for conn in list(self.connections):
                conn.scope.cancel()


class _Lifespan:
    """Runs the app's lifespan protocol; apps that do not support it are left alone."""

    def __init__(self, app: ASGIApp, mode: str, state: dict[str, Any]) -> None:
        self.app = app
        self.mode = mode
        self.state = state
        self.supported = True
        self.to_app, self.app_inbox = anyio.create_memory_object_stream[Message](2)
        self.from_app_send, self.from_app = anyio.create_memory_object_stream[Message](2)

    async def run(self) -> None:
        scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                        "state": self.state}
        try:
            async with self.from_app_send:
                await self.app(scope, self.app_inbox.receive, self.from_app_send.send)
        except Exception as exc:
            self.supported = False
            if self.mode == "on":
                logger.error("the ASGI lifespan failed: %r", exc)

    async def _ask(self, kind: str) -> None:
        await self.to_app.send({"type": f"lifespan.{kind}"})
        try:
            reply = await self.from_app.receive()
        except anyio.EndOfStream:
            self.supported = False
            if self.mode == "on":
                raise RuntimeError(f"the ASGI app does not support lifespan {kind}") from None
            return
        if reply.get("type") == f"lifespan.{kind}.failed":
            raise RuntimeError(f"ASGI lifespan {kind} failed: {reply.get('message', '')}")

    async def startup(self) -> None:
        await self._ask("startup")

    async def shutdown(self) -> None:
        if self.supported:
            with anyio.move_on_after(5):
                await self._ask("shutdown")


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@asynccontextmanager
async def serve_async(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: str = "auto",
    keepalive_timeout: float = 5.0,
    shutdown_timeout: float = 1.0,
    max_head_bytes: int = MAX_HEAD_BYTES,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> AsyncIterator[str]:
    """Serve ``app`` in the running event loop; yields the base URL (``http://127.0.0.1:PORT``).

    ``port=0`` picks a free port. ``lifespan``: ``"auto"`` (run it if the app
    supports it), ``"on"`` (fail if it does not) or ``"off"``.
    """
    if lifespan not in ("auto", "on", "off"):
        raise ValueError('lifespan must be "auto", "on" or "off"')
    server = _Server(
        app,
        keepalive_timeout=keepalive_timeout,
        shutdown_timeout=shutdown_timeout,
        max_head_bytes=max_head_bytes,
        max_body_bytes=max_body_bytes,
    )
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    failure: Exception | None = None
    try:
        sockname: Any = listener.extra(anyio.abc.SocketAttribute.local_address)
        bound_host, bound_port = str(sockname[0]), int(sockname[1])
        server.address = (bound_host, bound_port)
        async with anyio.create_task_group() as tg:
            life: _Lifespan | None = None
            if lifespan != "off":
                life = _Lifespan(app, lifespan, server.state)
                tg.start_soon(life.run)
                try:
                    await life.startup()
                except Exception as exc:
                    failure = exc  # raised below, outside the task group
                    tg.cancel_scope.cancel()
            if failure is None:
                accept = anyio.CancelScope()

                async def accept_loop() -> None:
                    with accept:
                        await listener.serve(server.handle, task_group=tg)

                tg.start_soon(accept_loop)
                try:
                    yield _url(bound_host, bound_port)
                except Exception as exc:
                    # re-raised below, outside the task group, so that it is not
                    # wrapped in an exception group
                    failure = exc
                finally:
                    accept.cancel()
                    await server.shutdown()
                    if life is not None:
                        with anyio.CancelScope(shield=True):
                            await life.shutdown()
                    tg.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            await listener.aclose()
    if failure is not None:
        raise failure


@contextmanager
def serve(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    server: str = "builtin",
    backend: str = "asyncio",
    **kwargs: Any,
) -> Iterator[str]:
    """Serve ``app`` from a background thread with its own event loop; yields the base URL.

    ``server="uvicorn"`` uses uvicorn instead (it must be installed: the
    ``demo`` extra). ``backend`` is the anyio backend of the built-in server's
    thread (``"asyncio"`` or ``"trio"``). Other keyword arguments go to
    :func:`serve_async`.
    """
    if server == "uvicorn":
        with _serve_uvicorn(app, host, port) as url:
            yield url
        return
    if server != "builtin":
        raise ValueError('server must be "builtin" or "uvicorn"')
    with anyio.from_thread.start_blocking_portal(backend) as portal:
        with portal.wrap_async_context_manager(serve_async(app, host, port, **kwargs)) as url:
            yield url


@contextmanager
def _serve_uvicorn(app: ASGIApp, host: str, port: int) -> Iterator[str]:
    try:
        import uvicorn
    except ImportError:
        raise RuntimeError(
            'serve(server="uvicorn") needs uvicorn: pip install "assistant-ui[demo]"'
        ) from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="auto")
    uv = uvicorn.Server(config)  # in a thread that is not the main one, it leaves signals alone
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not uv.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn failed to start")
            threading.Event().wait(0.01)
        yield _url(host, bound_port)
    finally:
        uv.should_exit = True
        thread.join(10)
        sock.close()
