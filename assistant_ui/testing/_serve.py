"""Serving an ASGI app over real HTTP on loopback with uvicorn, for tests and the demo.

::

    with serve(app) as base_url:               # uvicorn in a background thread
        httpx.get(base_url + "/health")

    async with serve_async(app) as base_url:   # asyncio: in the running loop;
        ...                                    # trio: uvicorn in a background thread

The listening socket is bound before uvicorn starts (``port=0``: an ephemeral
port), so the URL is known at once. Leaving the block stops the server: idle
keep-alive connections are closed at once, responses still running get
``shutdown_timeout`` seconds, then are cancelled; the app's lifespan shutdown
runs last.

uvicorn is not a runtime dependency of the library: it comes with the
``testing`` and ``demo`` extras. Without it, ``serve()`` raises a
``RuntimeError`` that names the install line.

An app that raises :class:`~assistant_ui.testing.AbortConnection` once its
response has started gets its connection cut without the end of the body, as a
network cut would. An app that raises anything else before it started its
response gets a 500 whose body names the exception (to help debug a test).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread

from ._asgi import ASGIApp, Message, Receive, Scope, Send, is_abort

__all__ = ["INSTALL_HINT", "serve", "serve_async"]

logger = logging.getLogger("assistant_ui.testing")

#: what to install when uvicorn is missing
INSTALL_HINT = (
    'pip install uvicorn (or, from a checkout of assistant-ui, pip install -e ".[testing]")'
)

_START_TIMEOUT = 30.0


class _QuietAborts(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" record for an :class:`AbortConnection`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and is_abort(record.exc_info[1]))


_QUIET_ABORTS = _QuietAborts()


def _guard(app: ASGIApp) -> ASGIApp:
    """``app`` with a 500 that names the exception when it fails before answering."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await app(scope, receive, tracking_send)
        except Exception as exc:
            if started or is_abort(exc):
                raise  # uvicorn closes the connection mid-body
            logger.error("the ASGI app raised an exception", exc_info=exc)
            detail = f"Internal Server Error\n\n{type(exc).__name__}: {exc}"
            await send({
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"connection", b"close")],
            })
            await send({"type": "http.response.body", "body": detail.encode("utf-8", "replace")})

    return guarded


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _Server:
    """One uvicorn server on a socket bound up front."""

    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        *,
        lifespan: str,
        keepalive_timeout: float,
        shutdown_timeout: float,
    ) -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ValueError('lifespan must be "auto", "on" or "off"')
        try:
            import uvicorn
        except ImportError:
            raise RuntimeError(
                f"assistant_ui.testing.serve() needs uvicorn, which is not installed: {INSTALL_HINT}"
            ) from None

        class LoopbackServer(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield  # Ctrl-C and SIGTERM stay the caller's, even in the main thread

        options: dict[str, Any] = {
            "http": "h11",
            "ws": "none",
            "interface": "asgi3",
            "lifespan": lifespan,
            "log_config": None,  # the caller's logging set-up is left alone
            "log_level": "warning",
            "access_log": False,
            "proxy_headers": False,
            "timeout_keep_alive": keepalive_timeout,
            "timeout_graceful_shutdown": shutdown_timeout,
        }
        logging.getLogger("uvicorn.error").addFilter(_QUIET_ABORTS)
        self.shutdown_timeout = shutdown_timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.url = _url(host, int(sock.getsockname()[1]))
        self.uvicorn = LoopbackServer(uvicorn.Config(_guard(app), **options))
        self.error: BaseException | None = None
        self.finished = False

    async def run(self) -> None:
        try:
            await self.uvicorn.serve(sockets=[self.sock])
        except SystemExit:  # uvicorn's way of saying that the lifespan startup failed
            self.error = RuntimeError(
                "the ASGI app's lifespan startup failed (or, with lifespan=\"on\", "
                "the app does not support lifespan); see the log"
            )
        except Exception as exc:
            self.error = exc
        finally:
            self.finished = True
            self.sock.close()

    def started(self) -> bool:
        """Whether it serves; raises what stopped it from starting."""
        if self.uvicorn.started:
            return True
        if self.finished:
            raise self.error or RuntimeError("uvicorn stopped before serving")
        return False

    def stop(self) -> None:
        self.uvicorn.should_exit = True


class _Thread:
    """A :class:`_Server` on its own asyncio loop in a background thread."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.thread = threading.Thread(
            target=lambda: asyncio.run(server.run()), name="assistant-ui-serve", daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.server.started():
            if not self.thread.is_alive() and not self.server.finished:
                raise RuntimeError("the server thread died before serving")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("uvicorn did not start in time")
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(self.server.shutdown_timeout + 10)
        if self.thread.is_alive():
            self.server.uvicorn.force_exit = True
            self.thread.join(5)


def _in_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextlib.contextmanager
def serve(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: str = "auto",
    keepalive_timeout: float = 5.0,
    shutdown_timeout: float = 1.0,
) -> Iterator[str]:
    """Serve ``app`` with uvicorn from a background thread; yields the base URL.

    ``port=0`` picks a free port. ``lifespan``: ``"auto"`` (run the ASGI
    lifespan protocol if the app supports it), ``"on"`` (fail if it does not)
    or ``"off"``. Idle keep-alive connections are closed after
    ``keepalive_timeout`` seconds; on leaving the block, running responses get
    ``shutdown_timeout`` seconds before they are cancelled.
    """
    runner = _Thread(_Server(
        app, host, port, lifespan=lifespan, keepalive_timeout=keepalive_timeout,
        shutdown_timeout=shutdown_timeout,
    ))
    runner.start()
    try:
        yield runner.server.url
    finally:
        runner.stop()


@contextlib.asynccontextmanager
async def serve_async(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: str = "auto",
    keepalive_timeout: float = 5.0,
    shutdown_timeout: float = 1.0,
) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn while the block runs; yields the base URL.

    On asyncio, uvicorn runs in the running loop (the app's code runs there
    too); on trio, which uvicorn does not support, in a background thread with
    its own asyncio loop. The arguments are those of :func:`serve`.
    """
    server = _Server(
        app, host, port, lifespan=lifespan, keepalive_timeout=keepalive_timeout,
        shutdown_timeout=shutdown_timeout,
    )
    if not _in_asyncio():
        runner = _Thread(server)
        await anyio.to_thread.run_sync(runner.start)
        try:
            yield server.url
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(runner.stop)
        return
    task = asyncio.get_running_loop().create_task(server.run())
    try:
        with anyio.fail_after(_START_TIMEOUT):
            while not server.started():
                await anyio.sleep(0.005)
        yield server.url
    finally:
        server.stop()
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(shutdown_timeout + 10):
                while not task.done():
                    await anyio.sleep(0.01)
            if not task.done():
                server.uvicorn.force_exit = True
                task.cancel()
