"""``FakeBackend``: a scripted chat backend as a plain ASGI 3 app, and ``DemoBackend``.

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
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Union

import anyio

from ._asgi import AbortConnection, Receive, Scope, Send
from ._encoders import FORMATS, encode

__all__ = [
    "DemoBackend",
    "FakeBackend",
    "RecordedRequest",
    "Reply",
    "message_events",
    "text_events",
    "text_reply",
    "tool_call_events",
    "tool_call_reply",
]

_call_ids = itertools.count(1)


class _Omitted:
    def __repr__(self) -> str:
        return "<omitted>"


#: the default ``result`` of :func:`tool_call_reply`: no result (a client-side tool)
OMIT: Any = _Omitted()


@dataclass
class Reply:
    """One scripted answer.

    ``events`` are normalized events (:mod:`assistant_ui.events`), sent in
    ``format`` (one of :data:`~assistant_ui.testing.FORMATS`; ``None``: the
    backend's default, else picked from the request: ``data-stream`` for
    assistant-ui bodies, ``ui-message-stream`` for AI SDK bodies, ``openai`` for
    OpenAI bodies, ``openai-json`` when those ask for ``stream: false``).

    ``delay`` seconds pass before each chunk (``None``: the backend's default);
    while waiting, a keep-alive is sent every ``heartbeat`` seconds when given.
    ``cut_after=n`` drops the connection after ``n`` chunks, as a network cut
    would. ``status`` and ``headers`` set the response head (``headers`` are
    added to, or replace, the format's own).

    Instead of events, ``body`` sends a fixed body (``bytes``, ``str``, or any
    JSON value, sent as ``application/json``) and ``chunks`` streams raw
    pieces. A reply with an error ``status`` and nothing else sends an
    OpenAI-style JSON error.
    """

    events: Sequence[Mapping[str, Any]] = ()
    format: str | None = None
    delay: float | None = None
    status: int = 200
    headers: Mapping[str, str] | None = None
    heartbeat: float | None = None
    cut_after: int | None = None
    body: Any = None
    chunks: Sequence[bytes | str] | None = None

    def __post_init__(self) -> None:
        self.events = [dict(ev) for ev in self.events]
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}; expected one of {', '.join(FORMATS)}")


ReplyLike = Union[Reply, str]
Responder = Callable[[Any], Union[ReplyLike, Awaitable[ReplyLike]]]


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


def _as_reply(value: ReplyLike) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return text_reply(value)
    raise TypeError(f"a responder must return a Reply or a str, not {type(value).__name__}")


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
            return _as_reply(scripted)
        if self.responder is None:
            return None
        value = self.responder(request.body)
        if inspect.isawaitable(value):
            value = await value
        return _as_reply(value)

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


# -- building scripts ----------------------------------------------------------------

_WORDS = re.compile(r"\S+\s*|\s+")


def text_events(text: str, *, parent_id: str | None = None) -> list[dict[str, Any]]:
    """``text-delta`` events for ``text``, one per word (with its trailing spaces)."""
    events: list[dict[str, Any]] = []
    for word in _WORDS.findall(text):
        ev: dict[str, Any] = {"type": "text-delta", "delta": word}
        if parent_id is not None:
            ev["parentId"] = parent_id
        events.append(ev)
    return events


def tool_call_events(
    name: str,
    args: Mapping[str, Any] | None = None,
    call_id: str | None = None,
    result: Any = OMIT,
    *,
    is_error: bool = False,
    piece_size: int = 12,
) -> list[dict[str, Any]]:
    """A tool call with its arguments streamed in pieces, and its result unless omitted."""
    call_id = call_id or f"call_{next(_call_ids)}"
    args = dict(args or {})
    args_text = json.dumps(args)
    events: list[dict[str, Any]] = [{"type": "tool-call-start", "toolCallId": call_id, "toolName": name}]
    for i in range(0, len(args_text), max(1, piece_size)):
        events.append({"type": "tool-call-delta", "toolCallId": call_id,
                       "argsTextDelta": args_text[i : i + piece_size]})
    events.append({"type": "tool-call", "toolCallId": call_id, "toolName": name,
                   "args": args, "argsText": args_text})
    if result is not OMIT:
        events.append({"type": "tool-result", "toolCallId": call_id, "toolName": name,
                       "result": result, "isError": is_error})
    return events


def _count_output(events: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for ev in events if ev.get("type") in ("text-delta", "reasoning-delta",
                                                        "tool-call-delta"))


def message_events(
    *steps: Sequence[Mapping[str, Any]],
    finish_reason: str | None = None,
    usage: Mapping[str, int] | None = None,
    message_id: str | None = None,
) -> list[dict[str, Any]]:
    """Wrap groups of events into steps (``step-start`` ... ``step-finish``) and a ``finish``.

    A step's finish reason is ``tool-calls`` when it holds a tool call, else
    ``stop``; the message's is ``tool-calls`` when a tool call has no result, else
    ``stop`` (or ``finish_reason``). ``usage`` defaults to counting the deltas.
    """
    out: list[dict[str, Any]] = []
    pending: set[str] = set()
    total_out = 0
    for step in steps:
        step_start: dict[str, Any] = {"type": "step-start"}
        if message_id is not None:
            step_start["messageId"] = message_id
        out.append(step_start)
        has_call = False
        for ev in step:
            out.append(dict(ev))
            if ev.get("type") == "tool-call":
                has_call = True
                pending.add(str(ev.get("toolCallId")))
            elif ev.get("type") == "tool-result":
                pending.discard(str(ev.get("toolCallId")))
        n = _count_output(step)
        total_out += n
        out.append({
            "type": "step-finish",
            "finishReason": "tool-calls" if has_call else "stop",
            "usage": {"inputTokens": 0, "outputTokens": n},
            "isContinued": False,
        })
    final_usage = dict(usage) if usage is not None else {"inputTokens": 0, "outputTokens": total_out}
    out.append({
        "type": "finish",
        "finishReason": finish_reason or ("tool-calls" if pending else "stop"),
        "usage": final_usage,
    })
    return out


def text_reply(
    text: str,
    *,
    format: str | None = None,
    delay: float | None = None,
    usage: Mapping[str, int] | None = None,
    message_id: str | None = None,
    **reply_kwargs: Any,
) -> Reply:
    """A reply streaming ``text`` word by word, in one step, finishing with ``stop``."""
    events = message_events(text_events(text), usage=usage, message_id=message_id)
    return Reply(events=events, format=format, delay=delay, **reply_kwargs)


def tool_call_reply(
    name: str,
    args: Mapping[str, Any] | None = None,
    call_id: str | None = None,
    result: Any = OMIT,
    *,
    text: str | None = None,
    is_error: bool = False,
    format: str | None = None,
    delay: float | None = None,
    usage: Mapping[str, int] | None = None,
    message_id: str | None = None,
    **reply_kwargs: Any,
) -> Reply:
    """A reply with one tool call (after ``text``, if given).

    Leave ``result`` out for a client-side tool: the message then ends in
    ``requires-action``, waiting for the client's result. With a ``result`` the
    backend resolved the call itself and the message is complete.
    """
    step: list[dict[str, Any]] = text_events(text) if text else []
    step += tool_call_events(name, args, call_id, result, is_error=is_error)
    events = message_events(step, usage=usage, message_id=message_id)
    return Reply(events=events, format=format, delay=delay, **reply_kwargs)


# -- the demo backend ------------------------------------------------------------------

_KNOWN_WEATHER = {
    "paris": (18, "sunny"),
    "london": (14, "cloudy with light drizzle"),
    "tokyo": (22, "clear"),
    "new york": (20, "partly cloudy"),
    "berlin": (16, "windy"),
    "san francisco": (17, "foggy"),
    "sydney": (24, "sunny"),
}
_CONDITIONS = ("sunny", "cloudy", "rainy", "windy", "clear", "foggy", "snowy")
_WEATHER_WORDS = re.compile(r"\b(weather|temperature|forecast|raining|rain|sunny|warm|cold)\b", re.I)
_CITY = re.compile(
    r"\b(?:in|for|at)\s+([^\W\d_][\w'.-]*(?:\s+[^\W\d_][\w'.-]*){0,2})", re.I
)
_NOT_CITY = re.compile(r"\s+(?:today|tomorrow|now|right|this|please|like|currently)\b.*$", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|howdy|good (morning|afternoon|evening))\b", re.I)


def fake_weather(city: str, unit: str = "c") -> dict[str, Any]:
    """Made-up but stable weather for a city (the demo's ``get_weather`` tool)."""
    key = city.strip().lower()
    if key in _KNOWN_WEATHER:
        celsius, conditions = _KNOWN_WEATHER[key]
    else:
        h = sum(ord(c) * (i + 1) for i, c in enumerate(key))
        celsius, conditions = 5 + h % 25, _CONDITIONS[h % len(_CONDITIONS)]
    temperature = round(celsius * 9 / 5 + 32) if unit == "f" else celsius
    return {"city": city, "temperature": temperature, "unit": unit, "conditions": conditions}


def _city_of(text: str) -> str:
    match = _CITY.search(text)
    if match is None:
        return "Paris"
    city = _NOT_CITY.sub("", match.group(1)).strip(" .?!,")
    if not city:
        return "Paris"
    return city.title() if city.islower() else city


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                texts.append(part)
    return "".join(texts)


@dataclass
class _Turn:
    """What the demo needs from a request, whatever the dialect."""

    dialect: str
    user_text: str = ""
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    client_tools: set[str] = field(default_factory=set)
    words_in: int = 0


def _parse_turn(body: Mapping[str, Any]) -> _Turn:
    dialect = request_dialect(body)
    turn = _Turn(dialect)
    tools = body.get("tools")
    if isinstance(tools, dict):
        turn.client_tools = {str(k) for k in tools}
    elif isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict):
                fn = tool.get("function")
                name = fn.get("name") if isinstance(fn, dict) else tool.get("name")
                if isinstance(name, str):
                    turn.client_tools.add(name)
    if dialect == "assistant-ui":
        commands = body.get("commands")
        if isinstance(commands, list) and commands:
            for cmd in commands:
                if not isinstance(cmd, dict):
                    continue
                if cmd.get("type") == "add-message":
                    message = cmd.get("message") or {}
                    if isinstance(message, dict) and message.get("role") == "user":
                        turn.user_text = _text_of(message.get("parts") or message.get("content"))
                        turn.tool_results.clear()
                elif cmd.get("type") == "add-tool-result":
                    turn.tool_results.append(cmd)
            return _count_words(turn, body)
    messages = body.get("messages")
    if not isinstance(messages, list):
        return turn
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        if role == "user":
            turn.user_text = _text_of(msg.get("parts") if "parts" in msg else msg.get("content"))
            turn.tool_results.clear()
        elif role == "tool":
            if "tool_call_id" in msg:  # OpenAI
                content = msg.get("content")
                try:
                    result: Any = json.loads(content) if isinstance(content, str) else content
                except ValueError:
                    result = content
                turn.tool_results.append({"toolCallId": msg["tool_call_id"],
                                          "toolName": _openai_tool_name(messages, msg["tool_call_id"]),
                                          "result": result, "isError": False})
            else:
                for part in msg.get("content") or []:
                    if isinstance(part, dict) and part.get("type") == "tool-result":
                        output = part.get("output", part.get("result"))
                        if isinstance(output, dict) and output.get("type") in (
                            "json", "text", "error-json", "error-text"
                        ):
                            output = output.get("value")
                        turn.tool_results.append({
                            "toolCallId": part.get("toolCallId"),
                            "toolName": part.get("toolName"),
                            "result": output,
                            "isError": bool(part.get("isError", False)),
                        })
        elif role == "assistant" and isinstance(msg.get("parts"), list):  # AI SDK UIMessage
            for part in msg["parts"]:
                if not isinstance(part, dict):
                    continue
                kind = str(part.get("type", ""))
                if not (kind.startswith("tool-") or kind == "dynamic-tool"):
                    continue
                if part.get("state") == "output-available":
                    result, is_error = part.get("output"), False
                elif part.get("state") == "output-error":
                    result, is_error = part.get("errorText"), True
                else:
                    continue
                name = part.get("toolName") if kind == "dynamic-tool" else kind[5:]
                turn.tool_results.append({"toolCallId": part.get("toolCallId"), "toolName": name,
                                          "result": result, "isError": is_error})
    return _count_words(turn, body)


def _openai_tool_name(messages: list[Any], call_id: Any) -> str:
    for msg in messages:
        if isinstance(msg, dict) and isinstance(msg.get("tool_calls"), list):
            for call in msg["tool_calls"]:
                if isinstance(call, dict) and call.get("id") == call_id:
                    fn = call.get("function")
                    if isinstance(fn, dict):
                        return str(fn.get("name", ""))
    return ""


def _count_words(turn: _Turn, body: Mapping[str, Any]) -> _Turn:
    turn.words_in = len(json.dumps(body)) // 4  # about a token per four characters
    return turn


def _describe_result(result: Mapping[str, Any]) -> str:
    name = result.get("toolName") or "the tool"
    value = result.get("result")
    if result.get("isError"):
        return f"{name} failed ({value}), so I cannot answer that right now."
    if name == "get_weather" and isinstance(value, dict) and "temperature" in value:
        unit = "°F" if str(value.get("unit", "c")).lower().startswith("f") else "°C"
        city = value.get("city") or "there"
        conditions = value.get("conditions", "fine")
        return f"It's {value['temperature']} {unit} and {conditions} in {city} right now."
    return f"{name} returned {json.dumps(value, ensure_ascii=False)}."


class DemoBackend(FakeBackend):
    """The built-in demo backend: a plausible assistant with a ``get_weather`` tool.

    * A weather question ("What's the weather in Paris?") gets a short streamed
      answer, a ``get_weather`` call and a final answer. When the request
      declares its own ``get_weather`` tool, the call is left to the client (the
      message ends in ``requires-action``); otherwise the backend runs the tool
      itself and streams the result too (not with OpenAI bodies, whose wire
      format has no tool results: the weather is then told in plain text).
    * Tool results sent back (``add-tool-result`` commands, tool messages, AI SDK
      tool outputs) are answered using the results.
    * A greeting gets an introduction; anything else is echoed back.

    Replies stream word by word, ``delay`` seconds apart. Scripted ``replies``
    and ``format`` work as for :class:`FakeBackend`.
    """

    def __init__(
        self, replies: Iterable[ReplyLike] = (), *, delay: float = 0.02, format: str | None = None
    ) -> None:
        super().__init__(replies, format=format, delay=delay)
        self._messages = itertools.count(1)

    async def respond(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            if self.replies:
                return _as_reply(self.replies.popleft())
        body = request.body if isinstance(request.body, dict) else {}
        return self.demo_reply(body)

    def demo_reply(self, body: Mapping[str, Any]) -> Reply:
        """The demo's answer to one request body."""
        turn = _parse_turn(body)
        message_id = f"msg_demo_{next(self._messages)}"
        usage_in = turn.words_in
        steps: list[list[dict[str, Any]]]
        if turn.tool_results:
            answer = " ".join(_describe_result(r) for r in turn.tool_results)
            steps = [text_events(answer)]
        elif _WEATHER_WORDS.search(turn.user_text):
            city = _city_of(turn.user_text)
            intro = text_events(f"Let me check the current weather in {city}. ")
            if "get_weather" in turn.client_tools:
                steps = [intro + tool_call_events("get_weather", {"city": city})]
            elif turn.dialect == "openai":
                weather = fake_weather(city)
                steps = [text_events(_describe_result(
                    {"toolName": "get_weather", "result": weather}))]
            else:
                weather = fake_weather(city)
                call = tool_call_events("get_weather", {"city": city}, result=weather)
                answer = _describe_result({"toolName": "get_weather", "result": weather})
                extra = (" A good day for a walk!" if weather["conditions"] in ("sunny", "clear")
                         else " You may want a jacket.")
                steps = [intro + call, text_events(answer + extra)]
        elif not turn.user_text.strip() or _GREETING.match(turn.user_text):
            steps = [text_events(
                "Hello! I'm the assistant-ui demo backend. I can stream text and call a "
                "get_weather tool: try asking \"What's the weather in Tokyo?\""
            )]
        else:
            steps = [text_events(
                f"You said: \"{turn.user_text.strip()}\". I'm a demo backend, so I echo; "
                "ask me about the weather to see a tool call."
            )]
        events = message_events(*steps, message_id=message_id)
        usage = {"inputTokens": usage_in, "outputTokens": sum(_count_output(s) for s in steps)}
        events[-1]["usage"] = usage
        return Reply(events=events)
