"""A loopback stand-in for Amazon Q's ``GenerateAssistantResponse`` (uvicorn + Starlette).

It speaks the service's protocol as the README's "Amazon Q" section describes it: a
bearer token, the request in either form (``POST /generateAssistantResponse`` with JSON,
or ``POST /`` with ``X-Amz-Target`` and AWS JSON 1.0), a ``conversationState`` that is
checked like the service checks it, and an answer in AWS event-stream frames encoded
here from the framing rules (prelude, string headers, two CRC32s), independently of the
library's own encoder. The body goes out in small, uneven pieces.

Each answer starts with a ``messageMetadataEvent`` carrying the request's
``conversationId``, or a new one (``conv-1``, ``conv-2``...) when it had none, then
replays the next scripted reply.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import struct
import zlib
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from assistant_ui.testing import serve as serve_app

TOKEN = "q-access-token-0123456789"
TARGET = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
EVENTSTREAM = "application/vnd.amazon.eventstream"

#: one item of a reply: an event ``(event_type, payload)`` or a ready-made frame
Item = Union[tuple[str, Any], bytes]


# -- framing -------------------------------------------------------------------------------------


def frame(headers: dict[str, str], payload: bytes = b"") -> bytes:
    """One event-stream message with string headers (type 7)."""
    block = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        block += bytes([len(n)]) + n + b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(block) + len(payload) + 4
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + block + payload
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


def event(event_type: str, payload: Any) -> bytes:
    headers = {":message-type": "event", ":event-type": event_type, ":content-type": "application/json"}
    return frame(headers, json.dumps(payload).encode())


def exception(exception_type: str, message: str) -> bytes:
    headers = {
        ":message-type": "exception",
        ":exception-type": exception_type,
        ":content-type": "application/json",
    }
    return frame(headers, json.dumps({"message": message}).encode())


# -- reply builders ------------------------------------------------------------------------------


def text(*pieces: str) -> list[Item]:
    return [("assistantResponseEvent", {"content": p}) for p in pieces]


def reasoning(*pieces: str, signature: str | None = None) -> list[Item]:
    items: list[Item] = [("reasoningContentEvent", {"text": p}) for p in pieces]
    if signature is not None:
        items.append(("reasoningContentEvent", {"signature": signature}))
    return items


def tool_use(tool_use_id: str, name: str, args: dict[str, Any], pieces: int = 3) -> list[Item]:
    """A tool use streamed as ``pieces`` input fragments, then closed by ``stop``."""
    text_args = json.dumps(args)
    size = max(1, -(-len(text_args) // pieces))
    items: list[Item] = [
        ("toolUseEvent", {"toolUseId": tool_use_id, "name": name, "input": text_args[i : i + size]})
        for i in range(0, len(text_args), size)
    ]
    items.append(("toolUseEvent", {"toolUseId": tool_use_id, "name": name, "stop": True}))
    return items


def usage(uncached: int, output: int, cache_read: int = 0) -> list[Item]:
    token_usage = {
        "uncachedInputTokens": uncached,
        "outputTokens": output,
        "totalTokens": uncached + output + cache_read,
        "cacheReadInputTokens": cache_read,
    }
    return [("metadataEvent", {"tokenUsage": token_usage})]


# -- the service -----------------------------------------------------------------------------------


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeAmazonQ:
    token: str = TOKEN
    requests: list[Recorded] = field(default_factory=list)
    replies: deque[list[Item]] = field(default_factory=deque)
    #: how many of the next requests are answered 400 ThrottlingException
    throttle: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        self.requests.clear()
        self.replies.clear()
        self.throttle = 0
        self._ids = itertools.count(1)

    def script(self, *replies: list[Item]) -> None:
        self.replies.extend(replies)

    @property
    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests]

    def app(self) -> Starlette:
        routes = [
            Route("/generateAssistantResponse", self.handle, methods=["POST"]),
            Route("/", self.handle, methods=["POST"]),
        ]
        return Starlette(routes=routes)

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.append(Recorded(request.url.path, dict(request.headers), body))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(403, "AccessDeniedException", "The bearer token included in the request is invalid.")
        if self.throttle:
            self.throttle -= 1
            return _error(400, "ThrottlingException", "Rate exceeded")
        content_type = request.headers.get("content-type", "")
        if request.url.path == "/":
            if request.headers.get("x-amz-target") != TARGET or content_type != "application/x-amz-json-1.0":
                return _error(400, "UnknownOperationException", "unknown operation")
        elif content_type != "application/json":
            return _error(415, "UnsupportedMediaTypeException", content_type)
        problem = check_body(body)
        if problem:
            return _error(400, "ValidationException", problem)
        if not self.replies:
            return _error(500, "InternalServerException", "no scripted reply left")
        state = body["conversationState"]
        conversation_id = state.get("conversationId") or f"conv-{next(self._ids)}"
        metadata = ("messageMetadataEvent", {"conversationId": conversation_id, "utteranceId": f"utt-{len(self.requests)}"})
        items = [metadata, *self.replies.popleft()]
        data = b"".join(i if isinstance(i, bytes) else event(*i) for i in items)
        headers = {"x-amzn-requestid": f"req-{len(self.requests)}"}
        return StreamingResponse(_pieces(data), media_type=EVENTSTREAM, headers=headers)


def _error(status: int, error_type: str, message: str) -> Response:
    headers = {"x-amzn-errortype": f"{error_type}:http://internal.amazon.com/coral/com.amazon.coral.service/"}
    return JSONResponse({"message": message}, status_code=status, headers=headers)


async def _pieces(data: bytes) -> AsyncIterator[bytes]:
    """The body in uneven pieces (1, 7, 2, 29, 5 bytes, ...), with a pause between them."""
    sizes = itertools.cycle([1, 7, 2, 29, 5, 64, 3])
    i = 0
    while i < len(data):
        n = next(sizes)
        yield data[i : i + n]
        i += n
        await asyncio.sleep(0)


def check_body(body: Any) -> str | None:
    """What the service would refuse in a request body (None: nothing)."""
    if not isinstance(body, dict) or not isinstance(body.get("conversationState"), dict):
        return "conversationState is required"
    state = body["conversationState"]
    if state.get("chatTriggerType") != "MANUAL":
        return "chatTriggerType must be MANUAL"
    message = state.get("currentMessage", {}).get("userInputMessage")
    if not isinstance(message, dict) or not isinstance(message.get("content"), str):
        return "currentMessage.userInputMessage.content is required"
    history = state.get("history", [])
    expected = "userInputMessage"
    for i, entry in enumerate(history):
        if not isinstance(entry, dict) or list(entry) != [expected]:
            return f"history[{i}] must be a {expected}"
        expected = "assistantResponseMessage" if expected == "userInputMessage" else "userInputMessage"
    if expected != "userInputMessage":
        return "the history must end with an assistantResponseMessage"
    uses = {u["toolUseId"] for e in history for u in e.get("assistantResponseMessage", {}).get("toolUses", [])}
    context = message.get("userInputMessageContext", {})
    for result in context.get("toolResults", []):
        if result.get("toolUseId") not in uses:
            return f"tool result {result.get('toolUseId')!r} answers no tool use of the history"
        if result.get("status") not in ("success", "error") or not result.get("content"):
            return "a tool result needs content and a status"
    for tool in context.get("tools", []):
        spec = tool.get("toolSpecification", {})
        if not spec.get("name") or not spec.get("description") or "json" not in spec.get("inputSchema", {}):
            return "a tool needs a name, a description and inputSchema.json"
    return None


# -- serving --------------------------------------------------------------------------------------------


@dataclass
class Served:
    url: str
    service: FakeAmazonQ


def serve() -> Iterator[Served]:
    """Serve a :class:`FakeAmazonQ` with uvicorn on 127.0.0.1 (a free port) from a thread."""
    service = FakeAmazonQ()
    with serve_app(service.app(), lifespan="off") as url:
        yield Served(url, service)
