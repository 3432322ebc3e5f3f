"""The usage examples of the ``assistant-ui-sync-server-api`` 0.1.1 README run unchanged.

Each snippet below is the README's text; only ``https://api.example.com`` is pointed
at a local server (uvicorn on 127.0.0.1 serving an assistant-stream app at
``/api/chat`` and ``/api/cancel``). Snippets that use ``await`` at top level (the
README shows them that way) are run inside an ``async def``.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from assistant_stream import RunController, create_run
from assistant_stream.serialization import DataStreamResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from assistant_ui.testing import serve as serve_app

SEED_BASE_URL = "https://api.example.com"


class Backend:
    """An assistant-stream backend that records what it receives."""

    def __init__(self) -> None:
        self.chats: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.cancels: list[dict[str, Any]] = []
        self.chat_started = threading.Event()
        self.chat_ended = threading.Event()

    def reset(self) -> None:
        self.chats.clear()
        self.cancels.clear()
        self.chat_started.clear()
        self.chat_ended.clear()

    def app(self) -> Starlette:
        async def chat(request: Request) -> Response:
            body = await request.json()
            self.chats.append((dict(request.headers), body))
            texts = [
                p["text"]
                for cmd in body.get("commands", [])
                if cmd["type"] == "add-message"
                for p in cmd["message"]["parts"]
                if p["type"] == "text"
            ]
            slow = body.get("system") == "slow" or (texts[-1:] == ["slow"])

            async def run(c: RunController) -> None:
                self.chat_started.set()
                try:
                    words = []
                    for cmd in body.get("commands", []):
                        if cmd["type"] == "add-message":
                            words += [p["text"] for p in cmd["message"]["parts"] if p["type"] == "text"]
                    c.append_text(f"You said: {words[-1] if words else '(nothing)'}")
                    if slow:
                        for _ in range(200):
                            if c.is_cancelled:
                                break
                            await asyncio.sleep(0.025)
                            c.append_text(".")
                finally:
                    self.chat_ended.set()

            return DataStreamResponse(create_run(run))

        async def cancel(request: Request) -> Response:
            self.cancels.append(await request.json())
            return JSONResponse({"ok": True})

        return Starlette(
            routes=[Route("/api/chat", chat, methods=["POST"]), Route("/api/cancel", cancel, methods=["POST"])]
        )


BACKEND = Backend()


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serve_app(BACKEND.app(), lifespan="off") as url:
        yield url


@pytest.fixture
def backend(server_url: str) -> Backend:
    BACKEND.reset()
    return BACKEND


def run_snippet(source: str, server_url: str, namespace: dict[str, Any] | None = None, *, wrap_async: bool = False) -> dict[str, Any]:
    code = textwrap.dedent(source).replace(SEED_BASE_URL, server_url)
    ns: dict[str, Any] = {} if namespace is None else namespace
    if wrap_async:
        code = "async def __snippet__():\n" + textwrap.indent(code, "    ") + "\n    return locals()\n"
        exec(compile(code, "<seed snippet>", "exec"), ns)
        ns.update(asyncio.run(ns["__snippet__"]()))
    else:
        exec(compile(code, "<seed snippet>", "exec"), ns)
    return ns


# --- README: Basic Example ---------------------------------------------------------------------------

BASIC_EXAMPLE = '''
import asyncio
from assistant_ui import AssistantClient

# Create a client
client = AssistantClient(base_url="https://api.example.com")

# Create messages
messages = [
    {
        "role": "user",
        "content": [{"type": "text", "text": "Hello, how are you?"}]
    }
]

# Send a chat request to a specific thread
async def main():
    thread = client.threads("thread-123")
    response = await thread.chat(
        messages=messages,
        system="You are a helpful assistant."
    )
    print(response.json())
    await client.close()

asyncio.run(main())
'''

MESSAGES_SNIPPET = '''
messages = [
    {
        "role": "user",
        "content": [{"type": "text", "text": "Hello, how are you?"}]
    }
]
'''


def test_basic_example(server_url: str, backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    ns = run_snippet(BASIC_EXAMPLE, server_url)
    printed = capsys.readouterr().out
    assert "'role': 'assistant'" in printed
    assert "You said: Hello, how are you?" in printed
    headers, body = backend.chats[0]
    assert body == {
        "threadId": "thread-123",
        "commands": [
            {"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": "Hello, how are you?"}]}}
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, how are you?"}]}],
        "system": "You are a helpful assistant.",
    }
    assert headers["content-type"] == "application/json"
    # the same module-level client works again in a second asyncio.run (main closed it)
    ns["asyncio"].run(ns["main"]())
    assert "You said" in capsys.readouterr().out
    assert len(backend.chats) == 2


def test_same_client_across_two_asyncio_runs(server_url: str, backend: Backend) -> None:
    from assistant_ui import AssistantClient

    client = AssistantClient(base_url=server_url)

    async def once(text: str) -> str:
        result = await client.threads("t").chat(messages=[{"role": "user", "content": [{"type": "text", "text": text}]}])
        return result.text

    assert asyncio.run(once("one")) == "You said: one"
    assert asyncio.run(once("two")) == "You said: two"
    # and the sync side in between / after
    assert client.threads("t").chat_sync(messages=[{"role": "user", "content": "three"}]).text == "You said: three"
    assert asyncio.run(once("four")) == "You said: four"
    client.close_sync()


# --- README: Using Context Managers ----------------------------------------------------------------------

ASYNC_CONTEXT_MANAGER = '''
# Async context manager
async with AssistantClient(base_url="https://api.example.com") as client:
    thread = client.threads("thread-123")
    response = await thread.chat(messages=messages)
'''

SYNC_CONTEXT_MANAGER = '''
# Sync context manager
with AssistantClient(base_url="https://api.example.com") as client:
    thread = client.threads("thread-123")
    response = thread.chat_sync(messages=messages)
'''


def test_async_context_manager(server_url: str, backend: Backend) -> None:
    ns = run_snippet("from assistant_ui import AssistantClient\n" + MESSAGES_SNIPPET, server_url)
    ns = run_snippet(ASYNC_CONTEXT_MANAGER, server_url, ns, wrap_async=True)
    assert ns["response"].text == "You said: Hello, how are you?"
    assert ns["response"].json()["role"] == "assistant"
    assert backend.chats[0][1]["threadId"] == "thread-123"


def test_sync_context_manager(server_url: str, backend: Backend) -> None:
    ns = run_snippet("from assistant_ui import AssistantClient\n" + MESSAGES_SNIPPET, server_url)
    ns = run_snippet(SYNC_CONTEXT_MANAGER, server_url, ns)
    assert ns["response"].text == "You said: Hello, how are you?"
    assert ns["response"].status == {"type": "complete", "reason": "unknown"}


# --- README: Authentication ---------------------------------------------------------------------------------

STATIC_HEADERS = '''
# Static headers
client = AssistantClient(
    base_url="https://api.example.com",
    headers={"Authorization": "Bearer your-token"}
)
'''

DYNAMIC_HEADERS = '''
# Dynamic headers (async)
async def get_auth_headers():
    token = await fetch_token()
    return {"Authorization": f"Bearer {token}"}

client = AssistantClient(
    base_url="https://api.example.com",
    headers=get_auth_headers
)
'''


def test_static_headers(server_url: str, backend: Backend) -> None:
    ns = run_snippet("from assistant_ui import AssistantClient\n" + MESSAGES_SNIPPET, server_url)
    ns = run_snippet(STATIC_HEADERS, server_url, ns)
    client = ns["client"]
    client.threads("thread-123").chat_sync(messages=ns["messages"])

    async def main() -> None:
        await client.threads("thread-123").chat(messages=ns["messages"])
        await client.close()

    asyncio.run(main())
    assert [h["authorization"] for h, _ in backend.chats] == ["Bearer your-token"] * 2
    client.close_sync()


def test_dynamic_async_headers(server_url: str, backend: Backend) -> None:
    tokens = iter(["t1", "t2", "t3"])

    async def fetch_token() -> str:
        await asyncio.sleep(0)
        return next(tokens)

    ns = run_snippet("from assistant_ui import AssistantClient\n" + MESSAGES_SNIPPET, server_url, {"fetch_token": fetch_token})
    ns = run_snippet(DYNAMIC_HEADERS, server_url, ns)
    client = ns["client"]

    async def main() -> None:
        await client.threads("thread-123").chat(messages=ns["messages"])
        await client.close()

    asyncio.run(main())
    # an async callable works in the sync methods too
    client.threads("thread-123").chat_sync(messages=ns["messages"])
    client.close_sync()
    assert [h["authorization"] for h, _ in backend.chats] == ["Bearer t1", "Bearer t2"]


# --- README: Using Tools ----------------------------------------------------------------------------------------

TOOLS_SNIPPET = '''
tools = {
    "get_weather": {
        "description": "Get the current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["location"]
        }
    }
}

thread = client.threads("thread-123")
response = await thread.chat(
    messages=messages,
    tools=tools
)
'''


def test_tools(server_url: str, backend: Backend) -> None:
    ns = run_snippet(
        "from assistant_ui import AssistantClient\n" + MESSAGES_SNIPPET + 'client = AssistantClient(base_url="https://api.example.com")\n',
        server_url,
    )
    ns = run_snippet(TOOLS_SNIPPET, server_url, ns, wrap_async=True)
    assert ns["response"].text == "You said: Hello, how are you?"
    body = backend.chats[0][1]
    assert body["tools"] == ns["tools"]
    assert set(body) == {"threadId", "commands", "messages", "tools"}


# --- README: Canceling Operations ------------------------------------------------------------------------------

CANCEL_SNIPPET = '''
thread = client.threads("thread-123")

# Start a long-running chat
chat_task = asyncio.create_task(thread.chat(messages=messages))

# Cancel it
await thread.cancel()
chat_task.cancel()
'''


def test_cancel(server_url: str, backend: Backend) -> None:
    ns = run_snippet(
        "import asyncio\nfrom assistant_ui import AssistantClient\n" + MESSAGES_SNIPPET + 'client = AssistantClient(base_url="https://api.example.com")\n',
        server_url,
    )
    # a long-running chat: the backend streams slowly for this text
    ns["messages"] = [{"role": "user", "content": [{"type": "text", "text": "slow"}]}]
    outcome: dict[str, Any] = {}

    async def main() -> None:
        inner = "async def __cancel__():\n" + textwrap.indent(textwrap.dedent(CANCEL_SNIPPET), "    ") + "\n    return chat_task\n"
        exec(compile(inner, "<seed snippet>", "exec"), ns)
        task = await ns["__cancel__"]()
        try:
            outcome["result"] = await task
        except asyncio.CancelledError:
            outcome["cancelled"] = True
        await ns["client"].close()

    started = time.monotonic()
    asyncio.run(asyncio.wait_for(main(), 10))
    assert time.monotonic() - started < 3  # the slow chat (5 s) did not run to its end
    assert backend.cancels == [{"threadId": "thread-123"}]
    assert outcome.get("cancelled") or outcome["result"].status == {"type": "incomplete", "reason": "cancelled"}


def test_cancel_a_chat_that_is_streaming(server_url: str, backend: Backend) -> None:
    """The README scenario with the chat already under way: it stops promptly."""
    from assistant_ui import AssistantClient

    async def main() -> Any:
        client = AssistantClient(base_url=server_url)
        thread = client.threads("thread-123")
        chat_task = asyncio.create_task(thread.chat(messages=[{"role": "user", "content": "go"}], system="slow"))
        while not backend.chat_started.is_set():
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await thread.cancel()
        result = await asyncio.wait_for(chat_task, 5)
        await client.close()
        return result, time.monotonic() - started

    result, elapsed = asyncio.run(main())
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    assert result.text.startswith("You said: go")
    assert elapsed < 3
    assert backend.cancels == [{"threadId": "thread-123"}]
    # the server saw the client go away and stopped the run
    assert backend.chat_ended.wait(5)


# --- README: Message Types ------------------------------------------------------------------------------------------

MESSAGE_TYPES = '''
from assistant_ui.types import Message

# Text message
text_message: Message = {
    "role": "user",
    "content": [{"type": "text", "text": "Hello!"}]
}

# Image message
image_message: Message = {
    "role": "user",
    "content": [
        {"type": "text", "text": "What's in this image?"},
        {"type": "image", "image": "https://example.com/image.jpg"}
    ]
}

# File message
file_message: Message = {
    "role": "user",
    "content": [
        {"type": "file", "data": "https://example.com/file.pdf", "mimeType": "application/pdf"}
    ]
}

# Assistant message with tool calls
assistant_message: Message = {
    "role": "assistant",
    "content": [
        {"type": "text", "text": "I'll help you with that."},
        {
            "type": "tool-call",
            "toolCallId": "call-123",
            "toolName": "get_weather",
            "args": {"location": "San Francisco"}
        }
    ]
}

# Tool result message
tool_message: Message = {
    "role": "tool",
    "content": [
        {
            "type": "tool-result",
            "toolCallId": "call-123",
            "toolName": "get_weather",
            "result": {"temperature": 72, "condition": "sunny"},
            "isError": False
        }
    ]
}
'''


def test_message_types(server_url: str, backend: Backend) -> None:
    ns = run_snippet(MESSAGE_TYPES, server_url)
    from assistant_ui import AssistantClient

    history = [ns[name] for name in ("text_message", "image_message", "file_message", "assistant_message", "tool_message")]
    with AssistantClient(base_url=server_url) as client:
        result = client.threads("thread-123").chat_sync(messages=history)
    assert result.text == "You said: I'll help you with that."
    body = backend.chats[0][1]
    assert body["messages"] == history
    assert body["commands"] == [
        {"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": "Hello!"}]}},
        {
            "type": "add-message",
            "message": {
                "role": "user",
                "parts": [{"type": "text", "text": "What's in this image?"}, {"type": "image", "image": "https://example.com/image.jpg"}],
            },
        },
        {"type": "add-message", "message": {"role": "assistant", "parts": [{"type": "text", "text": "I'll help you with that."}]}},
        {
            "type": "add-tool-result",
            "toolCallId": "call-123",
            "toolName": "get_weather",
            "result": {"temperature": 72, "condition": "sunny"},
            "isError": False,
            "artifact": None,
        },
    ]


def test_message_types_type_check() -> None:
    """The README literals are valid ``Message`` values for mypy --strict."""
    import subprocess
    import sys
    from pathlib import Path

    source = "from __future__ import annotations\n" + textwrap.dedent(MESSAGE_TYPES)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "", "--strict", "--no-incremental", "--cache-dir", "/dev/null", "-c", source],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- 0.1.1's import paths: the top-level type names and the ``client`` module -------------------------

IMPORTS_OF_0_1_1 = '''
from assistant_ui import Message, UserMessage, TextPart, Tool, ToolParameters
from assistant_ui.client import AssistantClient, ThreadClient

part: TextPart = {"type": "text", "text": "Hello!"}
message: UserMessage = {"role": "user", "content": [part]}
messages: list[Message] = [message]
parameters: ToolParameters = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
tools: dict[str, Tool] = {"get_weather": {"description": "Get the weather", "parameters": parameters}}

with AssistantClient(base_url="https://api.example.com") as client:
    thread: ThreadClient = client.threads("thread-123")
    response = thread.chat_sync(messages=messages, tools=tools)
    print(response.json()["content"][0]["text"])
    cancelled = thread.cancel_sync()
'''


def test_imports_of_0_1_1_run(server_url: str, backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    ns = run_snippet(IMPORTS_OF_0_1_1, server_url)
    assert capsys.readouterr().out == "You said: Hello!\n"
    assert ns["cancelled"] is None  # 0.1.1 returned the httpx.Response (README: Migration)
    body = backend.chats[0][1]
    assert body["tools"] == {"get_weather": {"description": "Get the weather", "parameters": ns["parameters"]}}
    assert backend.cancels == [{"threadId": "thread-123"}]
