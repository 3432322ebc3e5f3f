"""The HTTP transport: streaming responses over httpx, for both drivers.

It builds each request (:mod:`.http_requests`: headers resolved per attempt,
timeouts capped by the call's idle bound and deadline), sends it, hands out the
body's chunks, closes or drains a response, and classifies httpx's exceptions for the pure core. The
send flow of :mod:`assistant_ui._call.send_flow` runs on it through
:func:`drive_send_sync` / :func:`drive_send_async`.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from .._call.actions import (
    Attempt,
    AttemptOutcome,
    ReadErrorBody,
    ReadNotice,
    Sleep,
    drive,
    drive_async,
)
from .._call.decisions import FailureKind
from .._call.options import CallOptions
from .._call.send_flow import SendFlow
from .._log import log_request
from .base import AsyncTransport, SyncTransport
from .headers import HeadersSpec, resolve_headers_async, resolve_headers_sync
from .http_requests import build_request
from .loops import watchdog

__all__ = [
    "DRAIN_LIMIT",
    "DRAIN_TIMEOUT",
    "AsyncHTTPTransport",
    "SyncHTTPTransport",
    "classify",
    "drive_send_async",
    "drive_send_sync",
    "shutdown_socket",
]

#: at most this many bytes are read after the message completed, to reuse the connection
DRAIN_LIMIT = 64 * 1024
#: ... and for at most this long (seconds)
DRAIN_TIMEOUT = 0.5
#: how much of a response that is not the answer is read, for the error
ERROR_BODY_LIMIT = 64 * 1024


def classify(exc: BaseException, request: httpx.Request | None = None) -> FailureKind | None:
    """What an httpx exception means to the call core (None: not one of httpx's).

    ``request``: the request whose body was being read; an exception raised by the
    byte stream read directly (see :func:`_take_raw`) gets it, as ``iter_bytes``
    would have given it."""
    if request is not None and isinstance(exc, httpx.RequestError):
        try:
            exc.request  # noqa: B018 - raises when it was never set
        except RuntimeError:
            exc.request = request
    if isinstance(exc, httpx.TimeoutException):
        return FailureKind.TIMEOUT
    if isinstance(exc, httpx.DecodingError):
        return FailureKind.DECODING
    if isinstance(exc, httpx.TransportError):
        return FailureKind.TRANSPORT
    if isinstance(exc, (httpx.HTTPError, httpx.InvalidURL, httpx.CookieConflict)):
        # a redirect loop, a redirect to a URL that is none (``data:``), ...
        return FailureKind.OTHER
    return None


def classify_send(exc: BaseException, http: httpx.Client | httpx.AsyncClient) -> FailureKind | None:
    """:func:`classify` for an exception of ``send``: httpx's, or the ``RuntimeError``
    of a client closed meanwhile (by another thread or task)."""
    kind = classify(exc)
    if kind is None and isinstance(exc, RuntimeError) and http.is_closed:
        return FailureKind.OTHER
    return kind


def _take_raw(response: httpx.Response, stream_type: type) -> bool:
    """Whether ``response``'s byte stream (of ``stream_type``) is read directly: when its
    body is sent as is (no ``Content-Encoding``), without the layers of ``iter_bytes``
    (a decoder and a re-chunker that would do nothing, and two generators per chunk).
    The response then counts as read, as ``iter_bytes`` would have marked it."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "") or not isinstance(response.stream, stream_type):
        return False
    response.is_stream_consumed = True
    return True


def socket_of(response: httpx.Response | None) -> Any:
    """The socket under ``response``'s connection, or None (no network stream, as
    with a mock transport). Under asyncio it is the loop's wrapper of the socket."""
    if response is None:
        return None
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        return stream.get_extra_info("socket")
    except Exception:
        return None


def shutdown_socket(response: httpx.Response | None) -> None:
    """Shut the connection's socket down: a read blocked on it (in another thread, or
    awaited by another task) returns at once."""
    sock = socket_of(response)
    if sock is None:
        return
    try:
        if isinstance(sock, socket.socket):
            # the base-class method: ``SSLSocket.shutdown`` would also drop its SSL
            # object under a reader in another thread
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        else:  # asyncio's TransportSocket hands it on to its socket
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, TypeError, AttributeError):
        pass


def _error_text(chunks: list[bytes]) -> str:
    return b"".join(chunks)[:ERROR_BODY_LIMIT].decode("utf-8", "replace")


class _Cutoff:
    """Shuts the socket of ``response`` down at ``at`` (``time.monotonic()``), on the
    watchdog thread, unless disarmed first: a blocking read of a trickling body
    ends at a deadline, however often the server's bytes reset the read timeout."""

    __slots__ = ("armed", "lock", "response")

    def __init__(self, response: httpx.Response, at: float | None) -> None:
        self.response = response
        self.lock = threading.Lock()
        self.armed = at is not None
        if at is not None:
            watchdog.call_at(at, self.fire)

    def fire(self) -> None:
        with self.lock:
            if self.armed:
                shutdown_socket(self.response)

    def disarm(self) -> None:
        # before the response is closed: its connection may go back to the pool
        with self.lock:
            self.armed = False


def _collect_sync(
    response: httpx.Response, chunks: Iterator[bytes], limit: int, deadline_at: float | None
) -> list[bytes]:
    """At most ``limit`` bytes of ``chunks`` (and what came until ``deadline_at``);
    closes the response."""
    out: list[bytes] = []
    size = 0
    cutoff = _Cutoff(response, deadline_at)
    try:
        for chunk in chunks:
            out.append(chunk)
            size += len(chunk)
            if size >= limit or (deadline_at is not None and time.monotonic() >= deadline_at):
                break
    except (httpx.HTTPError, httpx.StreamError):  # a body read already (in memory): nothing to read
        pass
    finally:
        cutoff.disarm()
        response.close()
    return out


async def _collect_async(
    response: httpx.Response, chunks: AsyncIterator[bytes], limit: int, deadline_at: float | None
) -> list[bytes]:
    """:func:`_collect_sync` in async code (the deadline is a cancel scope's)."""
    import anyio

    out: list[bytes] = []
    size = 0
    wait = math.inf if deadline_at is None else max(deadline_at - time.monotonic(), 0.0)
    try:
        with anyio.move_on_after(wait):
            try:
                async for chunk in chunks:
                    out.append(chunk)
                    size += len(chunk)
                    if size >= limit:
                        break
            except (httpx.HTTPError, httpx.StreamError):
                pass
    finally:
        with anyio.CancelScope(shield=True):
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    pass
            await response.aclose()
    return out


def _failed_attempt(
    exc: Exception, http: httpx.Client | httpx.AsyncClient, request: httpx.Request, started: float
) -> AttemptOutcome:
    """Every exception of httpx during a send becomes a typed failure (a redirect loop, a
    ``data:`` Location, a redirect hop's broken gzip body...); any other is raised again."""
    kind = classify_send(exc, http)
    if kind is None:
        raise exc
    return AttemptOutcome(request, error=exc, kind=kind, started=started)


class SyncHTTPTransport:
    """Blocking HTTP over an ``httpx.Client`` (implements ``SyncTransport``)."""

    __slots__ = ("headers", "http", "opts", "reading", "timeout")

    def __init__(
        self, http: httpx.Client, headers: HeadersSpec, timeout: httpx.Timeout, opts: CallOptions | None
    ) -> None:
        self.http = http
        self.headers = headers
        self.timeout = timeout
        self.opts = opts
        #: the request whose body is being read (see :func:`classify`)
        self.reading: httpx.Request | None = None

    def attempt(self, action: Attempt) -> AttemptOutcome:
        request = build_request(self.http, action, resolve_headers_sync(self.headers), self.timeout, self.opts)
        started = log_request(request, action.attempt, action.max_retries)
        try:
            response = self.http.send(request, stream=action.stream)
        except Exception as exc:
            return _failed_attempt(exc, self.http, request, started)
        return AttemptOutcome(request, response, started=started)

    def read_error_body(self, response: httpx.Response, deadline_at: float | None = None) -> str:
        return _error_text(_collect_sync(response, response.iter_bytes(), ERROR_BODY_LIMIT, deadline_at))

    def read_notice(self, action: ReadNotice) -> None:
        response = action.response
        _collect_sync(response, response.iter_raw(), action.limit, action.deadline_at)

    def body(self, response: httpx.Response) -> Iterator[bytes]:
        self.reading = response.request
        if _take_raw(response, httpx.SyncByteStream):
            return iter(response.stream)  # type: ignore[arg-type]
        return response.iter_bytes()

    def classify(self, exc: BaseException) -> FailureKind | None:
        return classify(exc, self.reading)

    def close(self, response: httpx.Response) -> None:
        try:
            response.close()
        except Exception:
            pass

    def abort(self, response: httpx.Response) -> None:
        shutdown_socket(response)


class AsyncHTTPTransport:
    """HTTP over an ``httpx.AsyncClient`` (implements ``AsyncTransport``)."""

    __slots__ = ("headers", "http", "opts", "reading", "timeout")

    def __init__(
        self,
        http: httpx.AsyncClient,
        headers: HeadersSpec,
        timeout: httpx.Timeout,
        opts: CallOptions | None,
    ) -> None:
        self.http = http
        self.headers = headers
        self.timeout = timeout
        self.opts = opts
        #: the request whose body is being read (see :func:`classify`)
        self.reading: httpx.Request | None = None

    async def attempt(self, action: Attempt) -> AttemptOutcome:
        headers = await resolve_headers_async(self.headers)
        request = build_request(self.http, action, headers, self.timeout, self.opts)
        started = log_request(request, action.attempt, action.max_retries)
        try:
            response = await self.http.send(request, stream=action.stream)
        except Exception as exc:
            return _failed_attempt(exc, self.http, request, started)
        return AttemptOutcome(request, response, started=started)

    async def read_error_body(self, response: httpx.Response, deadline_at: float | None = None) -> str:
        chunks = await _collect_async(response, response.aiter_bytes(), ERROR_BODY_LIMIT, deadline_at)
        return _error_text(chunks)

    async def read_notice(self, action: ReadNotice) -> None:
        response = action.response
        await _collect_async(response, response.aiter_raw(), action.limit, action.deadline_at)

    def body(self, response: httpx.Response) -> AsyncIterator[bytes]:
        self.reading = response.request
        if _take_raw(response, httpx.AsyncByteStream):
            return aiter(response.stream)  # type: ignore[arg-type]
        return response.aiter_bytes()

    def abortable(self, response: httpx.Response) -> bool:
        return socket_of(response) is not None

    def abort(self, response: httpx.Response) -> None:
        shutdown_socket(response)

    def classify(self, exc: BaseException) -> FailureKind | None:
        return classify(exc, self.reading)

    async def close(
        self, body: AsyncIterator[bytes] | None, response: httpx.Response | None, *, drain: bool
    ) -> None:
        """Drain a finished body's tail, or cut it off; then close the response.

        A pending read is cut off by running it in a cancelled scope rather than by
        dropping the iterator, so that every layer of httpx's async generators ends
        here (no "async generator was garbage collected" warnings under trio).
        """
        import anyio

        if body is not None and getattr(body, "ag_frame", True) is None:
            body = None  # an async generator that has ended: nothing of it is left to end
        if body is not None:
            if drain:
                total = 0
                with anyio.move_on_after(DRAIN_TIMEOUT):
                    try:
                        async for chunk in body:
                            total += len(chunk)
                            if total > DRAIN_LIMIT:
                                break
                    except Exception:
                        pass
            with anyio.CancelScope() as scope:
                scope.cancel()
                try:
                    async for _ in body:
                        pass
                except Exception:
                    pass
        if response is not None:
            try:
                await response.aclose()
            except Exception:
                pass


# -- the two drivers of the send flow ---------------------------------------------------


def drive_send_sync(
    transport: SyncTransport, flow: SendFlow, interrupt: threading.Event | None = None
) -> httpx.Response:
    """Run the send flow with blocking I/O; a back-off wakes at once on ``interrupt``."""

    def perform(action: Any) -> Any:
        if isinstance(action, Attempt):
            return transport.attempt(action)
        if isinstance(action, ReadErrorBody):
            return transport.read_error_body(action.response, action.deadline_at)
        if isinstance(action, ReadNotice):
            return transport.read_notice(action)
        assert isinstance(action, Sleep)
        if interrupt is None:
            time.sleep(action.seconds)
            return False
        return interrupt.wait(action.seconds)

    response: httpx.Response = drive(flow, perform)
    return response


async def drive_send_async(
    transport: AsyncTransport, flow: SendFlow, interrupted: Callable[[], bool] | None = None
) -> httpx.Response:
    """Run the send flow in async code (cancel the task, or its scope, to abort)."""
    import anyio

    async def perform(action: Any) -> Any:
        if isinstance(action, Attempt):
            return await transport.attempt(action)
        if isinstance(action, ReadErrorBody):
            return await transport.read_error_body(action.response, action.deadline_at)
        if isinstance(action, ReadNotice):
            return await transport.read_notice(action)
        assert isinstance(action, Sleep)
        await anyio.sleep(action.seconds)
        return interrupted is not None and interrupted()

    response: httpx.Response = await drive_async(flow, perform)
    return response
