"""The small loopback HTTP/1.1 server of ``assistant_ui.testing`` (``serve``, ``serve_async``)."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx
import pytest

from assistant_ui.testing import AbortConnection, serve, serve_async

pytestmark = pytest.mark.timeout(60)


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


class App:
    """A small ASGI app whose behaviour depends on the path."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gate = threading.Event()
        self.disconnected = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                self.events.append(message["type"])
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        body = await _read_body(receive)
        self.events.append(f"{scope['method']} {path}")
        if path == "/echo":
            info = f"{scope['method']} {scope['path']}?{scope['query_string'].decode()} {body.decode()}"
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": info.encode()})
        elif path == "/gated":
            # the second chunk is sent only once the client has seen the first
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"first", "more_body": True})
            await anyio.to_thread.run_sync(self.gate.wait, 10, abandon_on_cancel=True)
            await send({"type": "http.response.body", "body": b"second", "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/forever":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    if (await receive())["type"] == "http.disconnect":
                        self.disconnected.set()
                    tg.cancel_scope.cancel()

                tg.start_soon(watch)
                while True:
                    await send({"type": "http.response.body", "body": b"tick\n", "more_body": True})
                    await anyio.sleep(0.02)
        elif path == "/abort":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
            raise AbortConnection
        elif path == "/abort-in-group":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
            async with anyio.create_task_group():
                raise AbortConnection  # arrives wrapped in an exception group
        elif path == "/boom":
            raise RuntimeError("kaput")
        elif path == "/nothing":
            return
        elif path == "/slow":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(100):
                await send({"type": "http.response.body", "body": b".", "more_body": True})
                await anyio.sleep(0.1)
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not found"})


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def url(app: App) -> Iterator[str]:
    with serve(app) as base_url:
        yield base_url


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def _recv_until(sock: socket.socket, marker: bytes, data: bytes = b"") -> bytes:
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _recv_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_binds_loopback_on_an_ephemeral_port(app: App) -> None:
    with serve(app) as first, serve(app) as second:
        assert first.startswith("http://127.0.0.1:") and second.startswith("http://127.0.0.1:")
        assert first != second
        assert httpx.post(first + "/echo?x=1", content=b"hi", trust_env=False).text == "POST /echo?x=1 hi"


def test_keep_alive_and_pipelining(url: str) -> None:
    sock = _connect(url)
    with sock:
        sock.sendall(b"GET /echo?a HTTP/1.1\r\nHost: x\r\n\r\n")
        first = _recv_until(sock, b"GET /echo?a ")
        assert first.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 12" in first.lower()
        # the same connection serves the next requests, even sent back to back
        sock.sendall(b"POST /echo?b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                     b"GET /echo?c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rest = _recv_all(sock)
    assert rest.count(b"HTTP/1.1 200 OK") == 2
    assert rest.index(b"POST /echo?b abc") < rest.index(b"GET /echo?c ")
    assert b"connection: close" in rest.lower()


def test_chunked_request_body_and_expect_continue(url: str) -> None:
    sock = _connect(url)
    with sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Expect: 100-continue\r\nConnection: close\r\n\r\n")
        assert _recv_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
        response = _recv_all(sock)
    assert response.endswith(b"POST /echo? hello world")


def test_responses_are_flushed_per_message(app: App, url: str) -> None:
    with httpx.Client(trust_env=False) as http, http.stream("GET", url + "/gated") as response:
        assert response.headers["transfer-encoding"] == "chunked"
        chunks = response.iter_raw()
        # were "first" held back, the app would wait for the gate for ever
        assert next(chunks) == b"first"
        app.gate.set()
        assert b"".join(chunks) == b"second"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 70000 + b"\r\n\r\n", 431),
        (b"POST /echo HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
        (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ],
)
def test_bad_requests(url: str, request_bytes: bytes, status: int) -> None:
    sock = _connect(url)
    with sock:
        sock.sendall(request_bytes)
        response = _recv_all(sock)
    assert response.startswith(b"HTTP/1.1 %d " % status)
    assert b"connection: close" in response.lower()


def test_body_size_is_bounded(app: App) -> None:
    with serve(app, max_body_bytes=10) as base_url:
        response = httpx.post(base_url + "/echo", content=b"x" * 11, trust_env=False)
        assert response.status_code == 413
        assert httpx.post(base_url + "/echo", content=b"x" * 10, trust_env=False).status_code == 200


def test_http10_and_head(app: App, url: str) -> None:
    sock = _connect(url)
    with sock:
        sock.sendall(b"GET /gated HTTP/1.0\r\n\r\n")
        head = _recv_until(sock, b"first")
        assert head.startswith(b"HTTP/1.1 200 OK") and b"chunked" not in head
        assert b"connection: close" in head.lower()
        app.gate.set()
        assert _recv_all(sock) == b"second"  # the body ends with the connection
    assert httpx.head(url + "/echo", trust_env=False).content == b""


def test_app_errors(url: str) -> None:
    with httpx.Client(base_url=url, trust_env=False) as http:
        boom = http.get("/boom")
        assert boom.status_code == 500
        assert "RuntimeError: kaput" in boom.text  # helps debugging a test
        assert http.get("/nothing").status_code == 500
        for path in ("/abort", "/abort-in-group"):
            with pytest.raises(httpx.RemoteProtocolError):
                http.get(path)
        assert http.get("/echo").status_code == 200  # the server carries on


def test_disconnect_reaches_the_app(app: App, url: str) -> None:
    sock = _connect(url)
    sock.sendall(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"tick" in _recv_until(sock, b"tick")
    sock.close()
    assert app.disconnected.wait(5)


def test_lifespan(app: App) -> None:
    with serve(app) as base_url:
        assert app.events == ["lifespan.startup"]
        httpx.get(base_url + "/echo", trust_env=False)
    assert app.events == ["lifespan.startup", "GET /echo", "lifespan.shutdown"]


def test_lifespan_on_needs_support() -> None:
    async def http_only(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"

    with pytest.raises(RuntimeError, match="lifespan"), serve(http_only, lifespan="on"):
        pass
    with serve(http_only) as base_url:  # "auto" leaves it alone
        assert base_url


def test_shutdown_is_prompt_and_bounded(app: App) -> None:
    http = httpx.Client(trust_env=False)
    started = time.monotonic()
    with serve(app, shutdown_timeout=0.3) as base_url:
        http.get(base_url + "/echo")  # leaves an idle keep-alive connection
        response = http.send(http.build_request("GET", base_url + "/slow"), stream=True)
        chunks = response.iter_raw()
        assert next(chunks) == b"."
    # the slow response (10 s) was given 0.3 s, then cut
    assert time.monotonic() - started < 5
    with pytest.raises(httpx.RemoteProtocolError):
        for _ in chunks:
            pass
    http.close()


def test_exceptions_inside_the_block_are_not_wrapped(app: App) -> None:
    with pytest.raises(ValueError, match="mine"), serve(app):
        raise ValueError("mine")


def test_trio_thread_backend(app: App) -> None:
    with serve(app, backend="trio") as base_url:
        assert httpx.get(base_url + "/echo", trust_env=False).text == "GET /echo? "


@pytest.mark.anyio
async def test_serve_async_in_the_running_loop(app: App) -> None:
    async with serve_async(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as http:
            assert (await http.post("/echo", content=b"z")).text == "POST /echo? z"
            async with http.stream("GET", "/forever") as response:
                async for chunk in response.aiter_raw():
                    assert chunk.startswith(b"tick")
                    break
    assert app.disconnected.is_set()


@pytest.mark.skipif(importlib.util.find_spec("uvicorn") is None, reason="uvicorn not installed")
def test_uvicorn_option(app: App) -> None:
    with serve(app, server="uvicorn") as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(base_url + "/echo?u", trust_env=False).text == "GET /echo?u "
