"""``ChatStream`` and ``AsyncChatStream``: one streamed chat call (API.md §4).

Both are thin shells over the pure :class:`~assistant_ui._call.ChatCall`; what
they share (buffering, timing, turning failures into typed errors that carry the
partial result) lives in :class:`_StreamCore`. They differ only where I/O does:
the async one reads with ``aiter_bytes`` inside an anyio cancel scope, the sync
one with ``iter_bytes`` and, to be cancelled from another OS thread, has its
socket shut down under it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from ._call import ChatCall
from ._requests import RequestSpec
from ._result import ChatResult
from .errors import APIConnectionError, APITimeoutError, AssistantUIError, DecodeError, StreamError
from .events import Event
from .types import AssistantMessage

if TYPE_CHECKING:
    from ._client import CallOptions
    from ._thread import ThreadClient

__all__ = ["AsyncChatStream", "ChatStream"]


class InFlight:
    """A handle on one running call, so that ``thread.cancel()`` can abort it from anywhere."""

    __slots__ = ("cancelled", "response", "scope", "thread_id", "token")

    def __init__(self) -> None:
        self.cancelled = False
        self.scope: Any = None
        self.token: Any = None
        self.thread_id = threading.get_ident()
        self.response: httpx.Response | None = None

    def cancel(self) -> None:
        self.cancelled = True
        scope = self.scope
        if scope is not None:
            if threading.get_ident() == self.thread_id:
                scope.cancel()
            elif self.token is not None:
                import anyio.from_thread

                try:
                    anyio.from_thread.run_sync(scope.cancel, token=self.token)
                except Exception:  # the loop is gone: nothing left to cancel there
                    pass
        if threading.get_ident() != self.thread_id or scope is None:
            _shutdown_socket(self.response)


def _shutdown_socket(response: httpx.Response | None) -> None:
    """Wake a read blocked in another thread by shutting the connection's socket down."""
    if response is None:
        return
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    try:
        sock = stream.get_extra_info("socket")
    except Exception:
        return
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _StreamCore:
    def __init__(
        self, thread: ThreadClient, spec: RequestSpec, opts: CallOptions, call: ChatCall
    ) -> None:
        self._thread = thread
        self._spec = spec
        self._opts = opts
        self._call = call
        self._pos = 0
        self._response: httpx.Response | None = None
        self._inflight = InFlight()
        self._started_at: float | None = None
        self._last_event_at = 0.0
        self._eof = False
        self._closed = False

    # -- what users read --------------------------------------------------------

    @property
    def message(self) -> AssistantMessage:
        """The message accumulated so far (a snapshot; final once the stream ended)."""
        return self._call.acc.message

    @property
    def events(self) -> list[Event]:
        """Every event decoded so far."""
        return self._call.events

    @property
    def response(self) -> httpx.Response | None:
        return self._response

    @property
    def stream_id(self) -> str | None:
        return self._call.stream_id

    @property
    def protocol(self) -> str | None:
        decoder = self._call.decoder
        return decoder.protocol if decoder is not None else None

    # -- shared mechanics -----------------------------------------------------------

    def _next_buffered(self) -> Event | None:
        events = self._call.events
        if self._pos < len(events):
            ev = events[self._pos]
            self._pos += 1
            return ev
        return None

    def _read_deadline(self, now: float) -> float | None:
        """When the next read must have produced an event (idle) or the call must end."""
        opts = self._opts
        bounds = []
        if opts.idle_timeout is not None:
            bounds.append(self._last_event_at + opts.idle_timeout)
        if opts.deadline is not None and self._started_at is not None:
            bounds.append(self._started_at + opts.deadline)
        return min(bounds) if bounds else None

    def _timeout_error(self, now: float | None = None) -> APITimeoutError:
        opts = self._opts
        if (
            opts.deadline is not None
            and self._started_at is not None
            and now is not None
            and now >= self._started_at + opts.deadline
        ):
            what = f"the call exceeded its deadline of {opts.deadline:g} s"
        elif opts.idle_timeout is not None:
            what = f"no event for {opts.idle_timeout:g} s (idle timeout)"
        else:
            what = "the read timed out"
        partial = self._call.interrupted_result("timeout", what)
        return APITimeoutError(what, partial=partial, request=self._request())

    def _connection_error(self, exc: Exception) -> AssistantUIError:
        if isinstance(exc, httpx.TimeoutException):
            return self._timeout_error()
        partial = self._call.interrupted_result("connection-error", str(exc) or type(exc).__name__)
        if self._call.acc.status.get("reason") == "error" and partial.status.get("reason") == "error":
            error = partial.status.get("error")
            if isinstance(error, dict) and error.get("code") != "connection-error":
                # the backend reported its own error before the connection dropped
                return StreamError(
                    f"the backend reported an error: {error.get('message')}",
                    partial=partial,
                    code=error.get("code"),
                )
        return APIConnectionError(
            f"the connection was lost mid-response: {type(exc).__name__}: {exc}",
            partial=partial,
            request=self._request(),
        )

    def _decode_error(self, exc: DecodeError) -> DecodeError:
        exc.partial = self._call.interrupted_result("decode-error", exc.message)
        return exc

    def _request(self) -> httpx.Request | None:
        return self._response.request if self._response is not None else None

    def _result(self) -> ChatResult:
        result = self._call.result()
        self._call.raise_for_stream_error(result)
        return result


class AsyncChatStream(_StreamCore):
    """An async streamed chat call: ``async with thread.stream(...) as stream: ...``."""

    _iter: AsyncIterator[bytes] | None = None

    async def __aenter__(self) -> AsyncChatStream:
        await self._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> Event:
        while True:
            ev = self._next_buffered()
            if ev is not None:
                return ev
            if self._eof:
                raise StopAsyncIteration
            await self._read()

    @property
    def text_stream(self) -> AsyncIterator[str]:
        """The text deltas only, from the same underlying iterator."""
        return self._text_deltas()

    async def _text_deltas(self) -> AsyncIterator[str]:
        async for ev in self:
            if ev["type"] == "text-delta":
                yield ev["delta"]

    async def final(self) -> ChatResult:
        """Read to the end and return the :class:`ChatResult`."""
        try:
            while not self._eof:
                await self._read()
        finally:
            if self._eof:
                await self._release()
        return self._result()

    async def aclose(self) -> None:
        """Stop reading and release the connection now."""
        if self._closed:
            return
        if not self._eof:
            self._call.cancelled = True
            self._eof = True
        await self._release()

    async def _release(self) -> None:
        self._closed = self._closed or self._eof
        response, self._response_to_close = getattr(self, "_response_to_close", None), None
        if response is not None:
            try:
                await response.aclose()
            except Exception:
                pass
        self._thread._unregister(self._inflight)

    async def _open(self) -> None:
        if self._response is not None or self._eof:
            return
        import anyio
        import anyio.lowlevel

        self._started_at = anyio.current_time()
        self._inflight.token = anyio.lowlevel.current_token()
        self._thread._register(self._inflight)
        deadline = None
        if self._opts.deadline is not None:
            deadline = self._started_at + self._opts.deadline
        try:
            with anyio.CancelScope(deadline=deadline if deadline is not None else float("inf")) as scope:
                self._inflight.scope = scope
                response = await self._thread._client.send_async(self._spec, self._opts)
        except BaseException:
            self._thread._unregister(self._inflight)
            raise
        finally:
            self._inflight.scope = None
        if scope.cancelled_caught:
            self._eof = True
            if self._inflight.cancelled:
                self._call.cancelled = True
                await self._release()
                return
            await self._release()
            raise self._timeout_error(anyio.current_time())
        self._response = self._response_to_close = response
        self._inflight.response = response
        self._call.start(response)
        self._iter = response.aiter_bytes()
        self._last_event_at = anyio.current_time()

    async def _read(self) -> None:
        import anyio

        await self._open()
        if self._eof:
            return
        if self._inflight.cancelled:
            await self._stop_cancelled()
            return
        assert self._iter is not None
        now = anyio.current_time()
        deadline = self._read_deadline(now)
        try:
            with anyio.CancelScope(deadline=deadline if deadline is not None else float("inf")) as scope:
                self._inflight.scope = scope
                chunk = await self._iter.__anext__()
        except StopAsyncIteration:
            self._inflight.scope = None
            self._eof = True
            try:
                self._call.end()
            except DecodeError as exc:
                await self._release()
                raise self._decode_error(exc) from None
            await self._release()
            return
        except httpx.TransportError as exc:
            self._inflight.scope = None
            self._eof = True
            await self._release()
            if self._inflight.cancelled:
                self._call.cancelled = True
                return
            raise self._connection_error(exc) from exc
        self._inflight.scope = None
        if scope.cancelled_caught:
            if self._inflight.cancelled:
                await self._stop_cancelled()
                return
            self._eof = True
            await self._release()
            raise self._timeout_error(anyio.current_time())
        try:
            events = self._call.feed(chunk)
        except DecodeError as exc:
            self._eof = True
            await self._release()
            raise self._decode_error(exc) from None
        if events:
            self._last_event_at = anyio.current_time()

    async def _stop_cancelled(self) -> None:
        self._call.cancelled = True
        self._eof = True
        await self._release()


class ChatStream(_StreamCore):
    """A sync streamed chat call: ``with thread.stream_sync(...) as stream: ...``."""

    _iter: Iterator[bytes] | None = None

    def __enter__(self) -> ChatStream:
        self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> Event:
        while True:
            ev = self._next_buffered()
            if ev is not None:
                return ev
            if self._eof:
                raise StopIteration
            self._read()

    def __del__(self) -> None:
        # garbage collection releases the connection too
        response = getattr(self, "_response_to_close", None)
        if response is not None:
            try:
                response.close()
            except Exception:
                pass

    @property
    def text_stream(self) -> Iterator[str]:
        """The text deltas only, from the same underlying iterator."""
        return self._text_deltas()

    def _text_deltas(self) -> Iterator[str]:
        for ev in self:
            if ev["type"] == "text-delta":
                yield ev["delta"]

    def final(self) -> ChatResult:
        """Read to the end and return the :class:`ChatResult`."""
        try:
            while not self._eof:
                self._read()
        finally:
            if self._eof:
                self._release()
        return self._result()

    def close(self) -> None:
        """Stop reading and release the connection now."""
        if self._closed:
            return
        if not self._eof:
            self._call.cancelled = True
            self._eof = True
        self._release()

    def _release(self) -> None:
        self._closed = self._closed or self._eof
        response, self._response_to_close = getattr(self, "_response_to_close", None), None
        if response is not None:
            try:
                response.close()
            except Exception:
                pass
        self._thread._unregister(self._inflight)

    def _open(self) -> None:
        if self._response is not None or self._eof:
            return
        self._started_at = time.monotonic()
        self._thread._register(self._inflight)
        try:
            response = self._thread._client.send_sync(self._spec, self._opts)
        except BaseException:
            self._thread._unregister(self._inflight)
            raise
        self._response = self._response_to_close = response
        self._inflight.response = response
        self._call.start(response)
        self._iter = response.iter_bytes()
        self._last_event_at = time.monotonic()
        if self._inflight.cancelled:
            self._stop_cancelled()

    def _read(self) -> None:
        self._open()
        if self._eof:
            return
        if self._inflight.cancelled:
            self._stop_cancelled()
            return
        assert self._iter is not None
        now = time.monotonic()
        deadline = self._read_deadline(now)
        if deadline is not None and now >= deadline:
            self._eof = True
            self._release()
            raise self._timeout_error(now)
        try:
            chunk = next(self._iter)
        except StopIteration:
            self._eof = True
            if self._inflight.cancelled:
                self._call.cancelled = True
                self._release()
                return
            try:
                self._call.end()
            except DecodeError as exc:
                self._release()
                raise self._decode_error(exc) from None
            self._release()
            return
        except httpx.TransportError as exc:
            self._eof = True
            self._release()
            if self._inflight.cancelled:
                self._call.cancelled = True
                return
            if isinstance(exc, httpx.TimeoutException):
                raise self._timeout_error(time.monotonic()) from exc
            raise self._connection_error(exc) from exc
        if self._inflight.cancelled:
            self._stop_cancelled()
            return
        try:
            events = self._call.feed(chunk)
        except DecodeError as exc:
            self._eof = True
            self._release()
            raise self._decode_error(exc) from None
        if events:
            self._last_event_at = time.monotonic()

    def _stop_cancelled(self) -> None:
        self._call.cancelled = True
        self._eof = True
        self._release()
