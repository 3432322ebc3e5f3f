"""``assistant_ui.testing.serve`` / ``serve_async``: an ASGI app served by uvicorn on 127.0.0.1.

Real HTTP over real sockets: what these check is what the helpers promise (an
ephemeral loopback port, streaming flushed per message, keep-alive, the app told
of a disconnect, mid-body cuts, lifespan, a prompt and bounded shutdown, asyncio
and trio), not uvicorn's HTTP parser.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx
import pytest

import assistant_ui.testing._serve as serve_module
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
        if path == "/port":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": str(scope["client"][1]).encode()})
        elif path == "/echo":
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
        elif path == "/abort-later":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(3):
                await send({"type": "http.response.body", "body": b"0123456789", "more_body": True})
            raise AbortConnection
        elif path == "/boom":
            raise RuntimeError("kaput")
        elif path == "/boom-late":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
            raise RuntimeError("late kaput")
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
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


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
    # once the block is left, nothing listens there any more
    with pytest.raises(httpx.ConnectError):
        httpx.get(first + "/echo", trust_env=False)


def test_serves_on_a_thread_and_not_the_callers_signals(app: App) -> None:
    before = signal.getsignal(signal.SIGINT)
    with serve(app) as base_url:
        names = [t.name for t in threading.enumerate()]
        assert "assistant-ui-serve" in names
        assert httpx.get(base_url + "/echo", trust_env=False).status_code == 200
    assert signal.getsignal(signal.SIGINT) is before
    assert "assistant-ui-serve" not in [t.name for t in threading.enumerate()]


def test_keep_alive_reuses_the_connection(url: str) -> None:
    with httpx.Client(base_url=url, trust_env=False) as http:
        ports = {http.get("/port").text for _ in range(3)}
    assert len(ports) == 1


def test_responses_are_flushed_per_message(app: App, url: str) -> None:
    with httpx.Client(trust_env=False) as http, http.stream("GET", url + "/gated") as response:
        assert response.headers["transfer-encoding"] == "chunked"
        chunks = response.iter_raw()
        # were "first" held back, the app would wait for the gate for ever
        assert next(chunks) == b"first"
        app.gate.set()
        assert b"".join(chunks) == b"second"


@pytest.mark.parametrize("path", ["/abort", "/abort-in-group", "/abort-later", "/boom-late"])
def test_a_cut_mid_body_reaches_the_client_as_a_truncated_body(url: str, path: str) -> None:
    seen = b""
    with httpx.Client(base_url=url, trust_env=False) as http:
        with pytest.raises(httpx.RemoteProtocolError), http.stream("GET", path) as response:
            assert response.status_code == 200
            for chunk in response.iter_raw():
                seen += chunk
        assert http.get("/echo").status_code == 200  # the server carries on
    assert seen in (b"partial", b"0123456789" * 3)


def test_a_cut_on_the_wire_has_no_terminating_chunk(url: str) -> None:
    sock = _connect(url)
    with sock:
        sock.sendall(b"GET /abort-later HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = _recv_all(sock)  # the server closes the connection
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body.count(b"0123456789") == 3
    assert not body.endswith(b"0\r\n\r\n")


def test_an_abort_is_not_logged_as_an_error(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=url, trust_env=False) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/abort")
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/boom-late")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    # the real failure is logged, the simulated cut is not
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert isinstance(errors[0].exc_info[1], RuntimeError)


def test_app_errors_before_the_response(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with httpx.Client(base_url=url, trust_env=False) as http:
        boom = http.get("/boom")
        assert boom.status_code == 500
        assert "RuntimeError: kaput" in boom.text  # helps debugging a test
        assert http.get("/nothing").status_code == 500
        assert http.get("/echo").status_code == 200  # the server carries on
    assert any("kaput" in str(r.exc_info and r.exc_info[1]) for r in caplog.records)


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
    app.events.clear()
    with serve(app, lifespan="off") as base_url:
        httpx.get(base_url + "/echo", trust_env=False)
    assert app.events == ["GET /echo"]


def test_lifespan_on_needs_support() -> None:
    async def http_only(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"

    with pytest.raises(RuntimeError, match="lifespan"), serve(http_only, lifespan="on"):
        pass
    with serve(http_only) as base_url:  # "auto" leaves it alone
        assert base_url
    with pytest.raises(ValueError, match="lifespan"), serve(http_only, lifespan="maybe"):
        pass


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


def test_without_uvicorn_the_error_names_the_install_line(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # makes the import fail
    with pytest.raises(RuntimeError, match=r"needs uvicorn.*pip install uvicorn"), serve(app):
        pass
    assert "testing" in serve_module.INSTALL_HINT


@pytest.mark.anyio
async def test_serve_async(app: App, anyio_backend: str) -> None:
    # asyncio: uvicorn in the running loop; trio: in a thread with its own asyncio loop
    sigint = signal.getsignal(signal.SIGINT)
    async with serve_async(app) as base_url:
        threads = [t.name for t in threading.enumerate()]
        assert ("assistant-ui-serve" in threads) == (anyio_backend == "trio")
        assert signal.getsignal(signal.SIGINT) is sigint  # uvicorn leaves Ctrl-C to the caller
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as http:
            assert (await http.post("/echo", content=b"z")).text == "POST /echo? z"
            async with http.stream("GET", "/forever") as response:
                async for chunk in response.aiter_raw():
                    assert chunk.startswith(b"tick")
                    break
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/abort")
    with anyio.fail_after(5):
        while not app.disconnected.is_set():
            await anyio.sleep(0.01)
    assert app.events[0] == "lifespan.startup" and app.events[-1] == "lifespan.shutdown"


@pytest.mark.anyio
async def test_serve_async_exceptions_and_cancellation(app: App, anyio_backend: str) -> None:
    with pytest.raises(ValueError, match="mine"):
        async with serve_async(app):
            raise ValueError("mine")
    with anyio.move_on_after(0.2) as scope:
        async with serve_async(app) as base_url:
            await anyio.sleep(10)
    assert scope.cancelled_caught
    async with httpx.AsyncClient(trust_env=False) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(base_url + "/echo")
    with pytest.raises(RuntimeError, match="lifespan"):

        async def http_only(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "http"

        async with serve_async(http_only, lifespan="on"):
            pass
