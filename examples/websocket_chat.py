"""The WebSocket chat of an auto-bedrock-chat-fastapi server: ``AssistantClient("ws://...")``.

    pip install "assistant-ui[ws,demo]"
    python examples/websocket_chat.py                                          # a local stand-in
    python examples/websocket_chat.py --base-url ws://localhost:8000/bedrock-chat/ws --token "$TOKEN"

A ``ws://`` (or ``wss://``) base URL speaks the server's JSON messages over one WebSocket
per thread, kept open across the thread's calls: the server holds the conversation, so
each call sends only the new user message. ``typing`` messages arrive as ``progress``
events; the server runs its tools itself and the answer carries their results, which
become tool-call parts. An auth helper (here ``bearer``) is sent in band, as the
server's ``auth`` message. Shown: a turn with a server-side tool, streaming with progress
the server-held history, ``ping`` and ``clear``, and the same
calls in async code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from assistant_ui import AssistantClient, user
from assistant_ui.auth import bearer


def talk(client: AssistantClient) -> None:
    thread = client.threads("websocket-example")  # one connection, one server session

    # 1. a turn with a server-side tool: progress events, then the answer with the tool's result
    result = thread.chat_sync([user("What's the weather in Lisbon?")])
    print(f"answer: {result.text}")
    for call in result.tool_calls:
        print(f"  [server tool] {call['toolName']} -> {json.dumps(call.get('result'))}")
    print(f"  usage: {result.usage}, finish: {result.finish_reason}, wire format: {result.protocol}")

    # 2. streaming: typing messages are progress events, then the answer
    with thread.stream_sync([user("And in Porto?")]) as stream:
        for event in stream:
            if event["type"] == "progress":
                print(f"  ... {event['message']}")
            elif event["type"] == "text-delta":
                print(f"streamed: {event['delta']}")

    # 3. the conversation the server holds for the thread, then ping and clear
    for message in thread.history_sync():
        texts = [p["text"] for p in message["content"] if p["type"] == "text"] if isinstance(message["content"], list) else []
        print(f"history: {message['role']}: {' '.join(texts)}")
    thread.ping_sync()
    print("ping: pong")
    thread.clear_sync()
    print(f"cleared: {len(thread.history_sync())} messages left")

    # 4. async code (asyncio or trio) has its own connection per event loop, so its own
    # server session: the same calls, awaited
    async def in_async_code() -> None:
        session = client.threads("websocket-example-async")
        result = await session.chat([user("Weather in Faro?")])
        print(f"async: {result.text} (history: {len(await session.history())} messages)")
        await client.close()  # the sockets of this event loop

    asyncio.run(in_async_code())


# -- a local stand-in for the server (its protocol, with one fake tool) ------------------------


def stand_in() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        history: list[dict[str, Any]] = []

        async def say(message: dict[str, Any]) -> None:
            await send({"type": "websocket.send", "text": json.dumps(message)})

        await say({"type": "connection_established", "session_id": "demo-session",
                   "message": "Connected to AI assistant"})
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                return
            data = json.loads(event.get("text") or "{}")
            kind = data.get("type", "chat")
            if kind == "auth":
                await say({"type": "auth_configured", "auth_type": data.get("auth_type")})
            elif kind == "ping":
                await say({"type": "pong"})
            elif kind == "history":
                await say({"type": "history", "messages": history})
            elif kind == "clear":
                history.clear()
                await say({"type": "history_cleared"})
            elif kind == "chat":
                text = str(data.get("message", ""))
                city = next((c for c in ("Porto", "Faro") if c in text), "Lisbon")
                await say({"type": "typing", "message": "AI is thinking..."})
                await say({"type": "typing", "message": "Calling get_weather... (1/1)"})
                results = [{"tool_call_id": f"call-{len(history)}", "name": "get_weather",
                            "result": {"city": city, "celsius": 19}}]
                answer = f"It is 19°C and sunny in {city}."
                history += [{"role": "user", "content": text},
                            {"role": "assistant", "content": answer, "tool_results": results}]
                await say({"type": "ai_response", "message": answer, "tool_calls": [], "tool_results": results,
                           "metadata": {"model": "demo", "usage": {"input_tokens": 42, "output_tokens": 9},
                                        "stop_reason": "end_turn"}})

    return app


@contextlib.contextmanager
def serve_websocket(app: Any) -> Iterator[str]:
    """``app`` on uvicorn (with WebSockets) in a background thread; yields its ws:// URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, ws="wsproto", lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/bedrock-chat/ws"
    finally:
        server.should_exit = True
        thread.join(5)


def local_server_or_exit() -> None:
    """Without --base-url the script serves a local stand-in, which needs uvicorn."""
    for module, what in (("uvicorn", "uvicorn"), ("wsproto", "wsproto")):
        if importlib.util.find_spec(module) is None:
            sys.exit(f'the local stand-in server needs {what}: pip install {what} '
                     '(from a checkout: pip install -e ".[ws,demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Chat with an auto-bedrock-chat-fastapi server over WebSocket.")
    parser.add_argument("--base-url", "--url", dest="url",
                        default=os.environ.get("ASSISTANT_UI_BASE_URL") or os.environ.get("BEDROCK_WS_ENDPOINT"),
                        help="the ws:// endpoint (default: $ASSISTANT_UI_BASE_URL or $BEDROCK_WS_ENDPOINT, "
                             "else a local stand-in)")
    parser.add_argument("--token", default=os.environ.get("BEDROCK_AUTH_TOKEN"), help="a bearer token, sent in band")
    args = parser.parse_args(argv)
    headers = bearer(args.token) if args.token else None
    if args.url:
        with AssistantClient(args.url, headers=headers) as client:
            talk(client)
    else:
        local_server_or_exit()
        with serve_websocket(stand_in()) as url, AssistantClient(url, headers=bearer("demo-token")) as client:
            talk(client)


if __name__ == "__main__":
    main()
