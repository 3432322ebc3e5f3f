"""``FakeBackend``: a scripted chat backend as a plain ASGI 3 app, and what it records.

Use it through ``httpx.ASGITransport`` (async clients; the body then arrives all
at once) or on loopback with :func:`assistant_ui.testing.serve` (real HTTP,
streamed, sync and async clients)::

    backend = FakeBackend([text_reply("Hello!"), tool_call_reply("get_weather", {"city": "Paris"})])
    with serve(backend) as base_url:
        client = AssistantClient(base_url=base_url)
        assert client.threads("t").chat_sync(messages=[user("Hi")]).text == "Hello!"
    backend.requests[0].body["commands"]       # what the client sent

Routes: ``POST /api/chat`` (assistant-ui and AI SDK bodies), ``POST
/v1/chat/completions`` (OpenAI bodies), ``POST /api/cancel``, ``GET
/api/chat/resume/{id}`` (always 404: resuming is not scripted).
"""

from __future__ import annotations

import inspect
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import anyio

from ._asgi import AbortConnection, Receive, Scope, Send
from ._encoders import FORMATS, encode
from ._replies import Reply, ReplyLike, Responder, as_reply

__all__ = ["FakeBackend", "RecordedRequest", "request_dialect"]


@dataclass(eq=False)
class RecordedRequest:
    """One request the backend received, and what it did with it."""

    method: str
    path: str
    query: str
    #: header names in lower case (repeated headers joined with ``", "``)
    headers: dict[str, str]
    #: the raw body
    content: bytes
    #: the body parsed as JSON (``None`` when it is not JSON)
    body: Any
    #: the reply sent (``None`` for cancel and unscripted routes)
    reply: Reply | None = None
    #: the format the reply was sent in
    format: str | None = None
    #: body chunks sent so far
    chunks_sent: int = 0
    #: the whole reply was sent
    completed: bool = False
    #: the client went away before the reply was complete
    disconnected: bool = False
    #: a cancel for this thread ended the reply early
    cancelled: bool = False

    def json(self) -> Any:
        """The parsed JSON body (like ``httpx.Response.json()``); ``None`` when it is not JSON."""
        return self.body

    @property
    def thread_id(self) -> str | None:
        """``threadId`` (assistant-ui) or ``id`` (AI SDK) of the body."""
        if isinstance(self.body, dict):
            value = self.body.get("threadId", self.body.get("id"))
            return value if isinstance(value, str) else None
        return None


class FakeBackend:
    """A chat backend that replays scripted replies (a plain ASGI 3 app).

    ``replies`` are consumed in order (a ``str`` is a :func:`text_reply`); once
    they are used up, ``responder(body)`` (sync or async; ``body`` is the parsed
    JSON request) is asked, if given; otherwise the backend answers 410. Each
    reply's ``format`` and ``delay`` default to the backend's ``format`` and
    ``delay``.

    Every request is recorded in :attr:`requests`; every cancel's thread id in
    :attr:`cancels`. A cancel also ends the replies still streaming to that thread.
    """

    def __init__(
        self,
        replies: Iterable[ReplyLike] = (),
        *,
        responder: Responder | None = None,
        format: str | None = None,
        delay: float = 0.0,
        chat_path: str = "/api/chat",
        openai_path: str = "/v1/chat/completions",
        cancel_path: str = "/api/cancel",
        resume_prefix: str = "/api/chat/resume/",
    ) -> None:
        if format is not None and format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
        self.replies: deque[ReplyLike] = deque(replies)
        self.responder = responder
        self.format = format
        self.delay = delay
        self.chat_path = chat_path
        self.openai_path = openai_path
        self.cancel_path = cancel_path
        self.resume_prefix = resume_prefix
        #: every request received, in order
        self.requests: list[RecordedRequest] = []
        #: the thread id of every cancel received, in order
        self.cancels: list[str | None] = []
        self._lock = threading.Lock()
        self._active: dict[str | None, set[tuple[anyio.Event, RecordedRequest]]] = {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(replies_left={len(self.replies)}, "
            f"requests={len(self.requests)})"
        )

    # -- scripting ---------------------------------------------------------------

    def add(self, *replies: ReplyLike) -> None:
        """Queue more replies."""
        with self._lock:
            self.replies.extend(replies)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The requests to the chat routes (not cancels and the like)."""
        return [r for r in self.requests if r.path in (self.chat_path, self.openai_path)]

    @property
    def last_request(self) -> RecordedRequest:
        if not self.requests:
            raise LookupError("no request received yet")
        return self.requests[-1]

    async def respond(self, request: RecordedRequest) -> Reply | None:
        """The reply for a chat request (``None``: none is scripted). Override for custom logic."""
        with self._lock:
            scripted = self.replies.popleft() if self.replies else None
        if scripted is not None:
            return as_reply(scripted)
        if self.responder is None:
            return None
        value = self.responder(request.body)
        if inspect.isawaitable(value):
            value = await value
        return as_reply(value)

    def pick_format(self, request: RecordedRequest, reply: Reply) -> str:
        """The wire format of a reply (see :class:`Reply`)."""
        if reply.format is not None:
            return reply.format
        if self.format is not None:
            return self.format
        body = request.body if isinstance(request.body, dict) else {}
        if request.path == self.openai_path or request_dialect(body) == "openai":
            return "openai" if body.get("stream") is True else "openai-json"
        if request_dialect(body) == "ai-sdk":
            return "ui-message-stream"
        return "data-stream"

    # -- ASGI ----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                break
        content = b"".join(chunks)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = bytes(raw_name).decode("latin-1").lower()
            value = bytes(raw_value).decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        try:
            body: Any = json.loads(content) if content else None
        except ValueError:
            body = None
        query = scope.get("query_string", b"")
        request = RecordedRequest(
            method=str(scope["method"]).upper(),
            path=str(scope["path"]),
            query=bytes(query).decode("latin-1"),
            headers=headers,
            content=content,
            body=body,
        )
        with self._lock:
            self.requests.append(request)
        await self._route(request, receive, send)

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        path = request.path
        if path in (self.chat_path, self.openai_path):
            if request.method != "POST":
                await _send_json(send, 405, _error_body(405, "use POST"))
                return
            reply = await self.respond(request)
            if reply is None:
                n = len(self.chat_requests)
                await _send_json(send, 410, _error_body(
                    410, f"FakeBackend has no scripted reply left (chat request #{n})"))
                return
            await self._reply(request, reply, receive, send)
        elif path == self.cancel_path:
            if request.method != "POST":
                await _send_json(send, 405, _error_body(405, "use POST"))
                return
            thread_id = request.thread_id
            with self._lock:
                self.cancels.append(thread_id)
                active = list(self._active.get(thread_id, ()))
            for stop, streaming in active:
                streaming.cancelled = True
                stop.set()
            await _send_json(send, 200, {"ok": True})
        elif path.startswith(self.resume_prefix):
            await _send_json(send, 404, _error_body(404, "no resumable stream"))
        else:
            await _send_json(send, 404, _error_body(404, f"no route for {path}"))

    async def _reply(
        self, request: RecordedRequest, reply: Reply, receive: Receive, send: Send
    ) -> None:
        request.reply = reply
        extra = {k.lower(): v for k, v in (reply.headers or {}).items()}
        if reply.body is not None or (
            reply.chunks is None and not reply.events and reply.status >= 400
        ):
            body = reply.body if reply.body is not None else _error_body(reply.status)
            if isinstance(body, (bytes, str)):
                data = body.encode() if isinstance(body, str) else body
                headers = {"content-type": "text/plain; charset=utf-8"}
            else:
                data = json.dumps(body).encode()
                headers = {"content-type": "application/json"}
            headers.update(extra)
            await _start(send, reply.status, headers)
            await send({"type": "http.response.body", "body": data})
            request.chunks_sent = 1
            request.completed = True
            return
        heartbeat: bytes | None
        if reply.chunks is not None:
            pieces: Iterable[bytes] = [c.encode() if isinstance(c, str) else c for c in reply.chunks]
            headers = {"content-type": "text/plain; charset=utf-8"}
            heartbeat = None
            request.format = None
        else:
            fmt = self.pick_format(request, reply)
            encoded = encode(reply.events, fmt)
            pieces, headers, heartbeat = encoded.chunks, dict(encoded.headers), encoded.heartbeat
            request.format = fmt
        headers.update(extra)
        delay = reply.delay if reply.delay is not None else self.delay
        await self._stream(request, reply, pieces, headers, heartbeat, delay, receive, send)

    async def _stream(
        self,
        request: RecordedRequest,
        reply: Reply,
        pieces: Iterable[bytes],
        headers: dict[str, str],
        heartbeat: bytes | None,
        delay: float,
        receive: Receive,
        send: Send,
    ) -> None:
        stop = anyio.Event()
        key = (stop, request)
        thread_id = request.thread_id
        with self._lock:
            self._active.setdefault(thread_id, set()).add(key)
        cut = False
        try:
            await _start(send, reply.status, headers)
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    while True:
                        message = await receive()
                        if message["type"] == "http.disconnect":
                            if not request.completed:
                                request.disconnected = True
                            stop.set()
                            return

                tg.start_soon(watch)
                for piece in pieces:
                    if delay > 0:
                        await _pause(delay, stop, reply.heartbeat, heartbeat, send)
                    if stop.is_set():
                        break
                    try:
                        await send({"type": "http.response.body", "body": piece, "more_body": True})
                    except OSError:
                        request.disconnected = True
                        break
                    request.chunks_sent += 1
                    if reply.cut_after is not None and request.chunks_sent >= reply.cut_after:
                        cut = True
                        break
                if not cut and not request.disconnected:
                    request.completed = not request.cancelled
                    await send({"type": "http.response.body", "body": b""})
                tg.cancel_scope.cancel()
        finally:
            with self._lock:
                self._active.get(thread_id, set()).discard(key)
        if cut:
            raise AbortConnection("FakeBackend: cut_after reached")


async def _pause(
    seconds: float, stop: anyio.Event, every: float | None, beat: bytes | None, send: Send
) -> None:
    """Wait ``seconds`` (or until ``stop``), sending ``beat`` every ``every`` seconds."""
    deadline = anyio.current_time() + seconds
    while not stop.is_set():
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            return
        step = min(remaining, every) if every and beat else remaining
        with anyio.move_on_after(step):
            await stop.wait()
        if stop.is_set() or not (every and beat):
            return
        if anyio.current_time() < deadline:
            await send({"type": "http.response.body", "body": beat, "more_body": True})


async def _start(send: Send, status: int, headers: Mapping[str, str]) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})


async def _send_json(send: Send, status: int, value: Any) -> None:
    await _start(send, status, {"content-type": "application/json"})
    await send({"type": "http.response.body", "body": json.dumps(value).encode()})


def _error_body(status: int, message: str | None = None) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": {"message": message or phrase, "type": "fake_backend_error", "code": status}}


def request_dialect(body: Mapping[str, Any]) -> str:
    """Which client sent a chat body: ``"assistant-ui"``, ``"ai-sdk"`` or ``"openai"``."""
    if "threadId" in body or "commands" in body:
        return "assistant-ui"
    if "trigger" in body or ("id" in body and "messages" in body):
        return "ai-sdk"
    if "model" in body and "messages" in body:
        return "openai"
    return "assistant-ui"
