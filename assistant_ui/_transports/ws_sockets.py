"""The WebSocket connections of one client: one per thread id (and per event loop for
async code), opened on the thread's first call and kept for its later calls.

Built on httpx-ws (the ``ws`` extra), over the client's own httpx clients, so proxies,
TLS settings and transports carry over. A sync socket is httpx-ws's threaded session;
an async socket's session lives in a background task of its event loop (its owner),
so that it outlives the call that opened it and any task may read it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx

from .loops import call_soon_threadsafe, current_loop_token, in_loop, spawn_detached
from .ws_protocol import Recv, SendText, SocketDropped, parse_message

__all__ = ["AsyncSocket", "SyncSocket", "handshake_url", "import_httpx_ws"]

#: how often a blocked sync read looks for an abort (seconds)
POLL = 0.05
#: the read chunk of httpx-ws (not a message limit: messages are bounded by us)
READ_CHUNK = 64 * 1024
#: how long a close waits for the server's closing handshake
CLOSE_WAIT = 1.0


def import_httpx_ws() -> Any:
    """The httpx_ws module, or an ImportError that says which extra to install."""
    try:
        import httpx_ws
    except ImportError as exc:
        raise ImportError(
            'ws:// and wss:// base URLs need httpx-ws: pip install "assistant-ui[ws]"'
        ) from exc
    return httpx_ws


def handshake_url(base_url: str) -> str:
    """The HTTP URL of the WebSocket handshake (``ws`` -> ``http``, ``wss`` -> ``https``)."""
    if base_url.startswith("wss://"):
        return "https://" + base_url[len("wss://") :]
    if base_url.startswith("ws://"):
        return "http://" + base_url[len("ws://") :]
    return base_url


def _dropped(exc: BaseException) -> SocketDropped:
    code = getattr(exc, "code", None)
    if code is not None:
        reason = getattr(exc, "reason", "") or ""
        return SocketDropped(f"the server closed the WebSocket (code {code}{': ' + reason if reason else ''})")
    return SocketDropped("the WebSocket connection broke")


def _message_data(event: Any) -> str | bytes | None:
    import wsproto.events

    if isinstance(event, wsproto.events.TextMessage):
        return event.data
    if isinstance(event, wsproto.events.BytesMessage):
        return bytes(event.data)
    return None


class _Socket:
    """What both kinds of socket keep: the session id, the turn in progress, the state."""

    def __init__(self, thread_id: str) -> None:
        self.thread_id = thread_id
        self.session: Any = None
        self.session_id: str | None = None
        #: a call is using the socket (one at a time per thread)
        self.busy = False
        #: closed, broken, or being closed: never used again
        self.dead = False
        #: a cancel or a timeout asked the read in progress to stop
        self.aborted = False
        #: the secrets its auth message carried (redacted from errors and logs)
        self.secrets: list[str] = []

    def usable(self) -> bool:
        if self.dead or self.session is None:
            return False
        import wsproto.connection

        return bool(self.session.connection.state is wsproto.connection.ConnectionState.OPEN)

    def claim(self) -> None:
        if self.busy:
            raise RuntimeError(
                f"thread {self.thread_id!r} already has a call on its WebSocket; "
                "one call at a time per thread"
            )
        self.busy = True
        self.aborted = False


class SyncSocket(_Socket):
    """One blocking connection (httpx-ws's ``WebSocketSession``)."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(thread_id)
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()

    def connect(self, http: httpx.Client, url: str, headers: dict[str, str], timeout: httpx.Timeout) -> None:
        httpx_ws = import_httpx_ws()
        self.session = self._stack.enter_context(
            httpx_ws.connect_ws(url, http, headers=headers, timeout=timeout, max_message_size_bytes=READ_CHUNK)
        )

    def run(self, flow: Generator[Any, Any, Any], read_timeout: float | None, limit: int) -> Any:
        """Perform the steps of a :mod:`.ws_protocol` flow; returns its result."""
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as stop:
                return stop.value
            if isinstance(step, SendText):
                self.send(step.text)
                reply = None
            else:
                assert isinstance(step, Recv)
                reply = parse_message(self.receive(read_timeout), limit)[1]

    def send(self, text: str) -> None:
        try:
            self.session.send_text(text)
        except Exception as exc:
            self.dead = True
            raise SocketDropped(f"the WebSocket could not be written to: {type(exc).__name__}") from exc

    def receive(self, read_timeout: float | None) -> str | bytes:
        """The next message; an abort (from any thread) makes it raise at once."""
        httpx_ws = import_httpx_ws()
        deadline = None if read_timeout is None else time.monotonic() + read_timeout
        while True:
            if self.aborted:
                raise SocketDropped("the WebSocket was closed by a cancel or a timeout")
            wait = POLL if deadline is None else min(POLL, deadline - time.monotonic())
            if wait <= 0:
                raise httpx.ReadTimeout("no WebSocket message within the read timeout")
            try:
                event = self.session.receive(timeout=wait)
            except queue.Empty:
                continue
            except (httpx_ws.WebSocketDisconnect, httpx_ws.WebSocketNetworkError) as exc:
                self.dead = True
                raise _dropped(exc) from None
            data = _message_data(event)
            if data is not None:
                return data

    def abort(self) -> None:
        """From any thread: the read in progress raises; the socket is not used again."""
        self.aborted = True
        self.dead = True
        session = self.session
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()

    def close(self) -> None:
        self.dead = True
        with self._lock:
            stack, self._stack = self._stack, contextlib.ExitStack()
        with contextlib.suppress(Exception):
            stack.close()


class AsyncSocket(_Socket):
    """One connection for async code; its httpx-ws session is held open by an owner task
    on the event loop ``native``."""

    def __init__(self, thread_id: str, native: object) -> None:
        super().__init__(thread_id)
        import anyio

        self.native = native
        self._stop = anyio.Event()
        self._done = anyio.Event()
        self._ready = anyio.Event()
        self._error: BaseException | None = None

    async def connect(
        self, http: httpx.AsyncClient, url: str, headers: dict[str, str], timeout: httpx.Timeout
    ) -> None:
        spawn_detached(self.native, self._own, http, url, headers, timeout)
        await self._ready.wait()
        if self._error is not None:
            raise self._error
        if self.session is None:
            raise SocketDropped("the WebSocket closed while it was being opened")

    async def _own(self, http: httpx.AsyncClient, url: str, headers: dict[str, str], timeout: httpx.Timeout) -> None:
        httpx_ws = import_httpx_ws()
        try:
            async with httpx_ws.aconnect_ws(
                url, http, headers=headers, timeout=timeout, max_message_size_bytes=READ_CHUNK
            ) as session:
                self.session = session
                self._ready.set()
                await self._stop.wait()
        except Exception as exc:
            if self.session is None:
                self._error = exc
        finally:
            self.dead = True
            self._ready.set()
            self._done.set()

    async def run(self, flow: Generator[Any, Any, Any], read_timeout: float | None, limit: int) -> Any:
        """Perform the steps of a :mod:`.ws_protocol` flow; returns its result."""
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as stop:
                return stop.value
            if isinstance(step, SendText):
                await self.send(step.text)
                reply = None
            else:
                assert isinstance(step, Recv)
                reply = parse_message(await self.receive(read_timeout), limit)[1]

    async def send(self, text: str) -> None:
        try:
            await self.session.send_text(text)
        except Exception as exc:
            self.dead = True
            raise SocketDropped(f"the WebSocket could not be written to: {type(exc).__name__}") from exc

    async def receive(self, read_timeout: float | None) -> str | bytes:
        import anyio

        httpx_ws = import_httpx_ws()
        while True:
            try:
                with anyio.fail_after(read_timeout):
                    event = await self.session.receive()
            except TimeoutError:
                raise httpx.ReadTimeout("no WebSocket message within the read timeout") from None
            except (httpx_ws.WebSocketDisconnect, httpx_ws.WebSocketNetworkError) as exc:
                self.dead = True
                raise _dropped(exc) from None
            except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                self.dead = True
                raise SocketDropped("the WebSocket connection was closed") from None
            data = _message_data(event)
            if data is not None:
                return data

    def stop(self) -> None:
        """From any thread: ask the owner task to close the session."""
        self.dead = True
        if in_loop(self.native):
            self._stop.set()
        else:
            call_soon_threadsafe(self.native, self._stop.set)

    async def close(self) -> None:
        """Close the session and wait (bounded) for it to end; on its own loop only."""
        import anyio

        self.stop()
        with anyio.move_on_after(CLOSE_WAIT):
            await self._done.wait()


def loop_key() -> tuple[object, int]:
    native = current_loop_token()
    return native, id(native)


Opener = Callable[[], Any]
