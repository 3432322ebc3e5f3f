"""A loopback WebSocket chat server speaking the protocol of auto-bedrock-chat-fastapi.

Starlette's WebSocket route on uvicorn, on 127.0.0.1 and an ephemeral port, at
``/bedrock-chat/ws``. Per connection it keeps a session (id, history, credentials)
like the real server; its answers are chosen by the chat message:

* ``weather <city>``: typing, a server-side tool round (``get_weather``, with a
  typing message per tool call), then the answer with the tool results and usage;
* ``fail``: an ``error`` message; ``boom``: an ``ai_response`` with ``"error": true``;
* ``drop``: typing, then the server closes the socket mid-turn;
* ``slow``: typing, then nothing for 30 s (a cancel or a timeout stops it);
* ``big <n>``: an answer whose text is ``n`` characters;
* ``whoami``: the answer is the credentials of the session, as JSON;
* ``leak``: an ``error`` message quoting the session's credentials;
* ``bye``: the answer, then the server closes the connection;
* anything else: typing, then ``echo: <message>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PATH = "/bedrock-chat/ws"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class ChatServer:
    def __init__(self) -> None:
        self.auth_seen: list[dict[str, Any]] = []
        self.handshake_headers: list[dict[str, str]] = []
        self.sessions: list[str] = []
        self.closed: list[str] = []
        self.received: list[dict[str, Any]] = []
        self._count = 0
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{PATH}"

    def wait_closed(self, session_id: str, timeout: float = 5.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if session_id in self.closed:
                return True
            time.sleep(0.02)
        return False

    # -- the protocol --------------------------------------------------------------------

    async def endpoint(self, ws: WebSocket) -> None:
        await ws.accept()
        with self._lock:
            self._count += 1
            session_id = f"session-{self._count}"
            self.sessions.append(session_id)
            self.handshake_headers.append(dict(ws.headers))
        state: dict[str, Any] = {"history": [], "credentials": None}
        await ws.send_json({
            "type": "connection_established",
            "session_id": session_id,
            "message": "Connected to AI assistant",
            "timestamp": _now(),
        })
        try:
            while True:
                data = json.loads(await ws.receive_text())
                self.received.append(data)
                await self.handle(ws, data, state)
                await self.after_turn(ws, str(data.get("message", "")))
        except WebSocketDisconnect:
            pass
        except _Dropped:
            await ws.close(code=1011, reason="internal error")
        finally:
            self.closed.append(session_id)

    async def handle(self, ws: WebSocket, data: dict[str, Any], state: dict[str, Any]) -> None:
        kind = data.get("type", "chat")
        if kind == "ping":
            await ws.send_json({"type": "pong", "timestamp": _now()})
        elif kind == "history":
            await ws.send_json({"type": "history", "messages": state["history"], "timestamp": _now()})
        elif kind == "clear":
            state["history"] = []
            await ws.send_json({"type": "history_cleared", "message": "Conversation history cleared"})
        elif kind == "auth":
            self.auth_seen.append(data)
            if data.get("token") == "bad":
                await ws.send_json({"type": "error", "message": "Invalid credentials provided"})
                return
            state["credentials"] = data
            await ws.send_json({
                "type": "auth_configured",
                "auth_type": data.get("auth_type"),
                "message": f"Authentication configured: {data.get('auth_type')}",
            })
        elif kind == "chat":
            await self.chat(ws, str(data.get("message", "")), state)
        else:
            await ws.send_json({"type": "error", "message": f"Unknown message type: {kind}"})

    async def chat(self, ws: WebSocket, text: str, state: dict[str, Any]) -> None:
        history = state["history"]
        history.append({"role": "user", "content": text, "timestamp": _now(), "tool_calls": [],
                        "tool_results": [], "metadata": {"source": "websocket"}})
        if text == "leak":  # an upstream error that echoes the session's credentials
            await ws.send_json({"type": "error", "message": f"upstream refused: {json.dumps(state['credentials'])}"})
            return
        if text == "fail":
            await ws.send_json({"type": "error", "message": "Empty message"})
            return
        await ws.send_json({"type": "typing", "message": "AI is thinking...", "timestamp": _now()})
        tool_results: list[dict[str, Any]] = []
        tool_calls: list[dict[str, Any]] = []
        if text == "boom":
            await ws.send_json({"type": "ai_response", "error": True, "timestamp": _now(),
                                "message": "I encountered an error: model down. Please try again."})
            return
        if text == "drop":
            raise _Dropped()
        if text == "slow":
            # nothing for 30 s; a client that closes the socket meanwhile is noticed
            with contextlib.suppress(asyncio.TimeoutError):
                message = await asyncio.wait_for(ws.receive(), 30)
                if message["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect(message.get("code", 1000))
        if text.startswith("weather "):
            city = text.split(" ", 1)[1]
            tool_calls = [{"id": "call-1", "name": "get_weather", "arguments": {"city": city}}]
            await ws.send_json({"type": "typing", "message": "Calling get_weather... (1/1)"})
            tool_results = [{"tool_call_id": "call-1", "name": "get_weather",
                             "result": {"city": city, "celsius": 21}}]
            history.append({"role": "tool", "content": "", "tool_calls": tool_calls,
                            "tool_results": tool_results, "metadata": {}})
            await ws.send_json({"type": "typing", "message": "Processing results... (Round 1 complete)"})
            answer = f"It is 21°C in {city}."
        elif text.startswith("big "):
            answer = "x" * int(text.split(" ", 1)[1])
        elif text == "whoami":
            answer = json.dumps(state["credentials"])
        else:
            answer = f"echo: {text}"
        history.append({"role": "assistant", "content": answer, "tool_calls": [],
                        "tool_results": tool_results, "metadata": {"model": "test-model"}})
        await ws.send_json({
            "type": "ai_response",
            "message": answer,
            # the final response's tool_calls are the pending ones (none): the calls
            # that were run are in the tool round of the history
            "tool_calls": [],
            "tool_results": tool_results,
            "timestamp": _now(),
            "metadata": {"model": "test-model", "usage": {"input_tokens": 12, "output_tokens": 7},
                         "stop_reason": "end_turn"},
        })

    async def after_turn(self, ws: WebSocket, text: str) -> None:
        if text == "bye":  # the server ends the session after answering
            await ws.close(code=1000, reason="bye")
            raise WebSocketDisconnect(1000)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        app = Starlette(routes=[WebSocketRoute(PATH, self.endpoint)])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", ws="wsproto", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        end = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > end:
                raise RuntimeError("the WebSocket test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)


class _Dropped(Exception):
    pass


@contextlib.contextmanager
def running() -> Iterator[ChatServer]:
    server = ChatServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
