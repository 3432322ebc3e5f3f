"""``api="agentcore"`` end to end: the request the client sends, and whole conversations with
a real Bedrock AgentCore agent (``tests/agentcore_agent.py``: the ``bedrock-agentcore`` SDK's
``BedrockAgentCoreApp`` serving a LangGraph graph with a scripted chat model) on uvicorn on
127.0.0.1, through ``chat_sync``, ``stream``/``stream_sync`` and ``chat`` on asyncio and trio."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from assistant_ui import AssistantClient, StreamError
from assistant_ui._wire.requests import REQUEST_DIALECTS
from assistant_ui._wire.requests.agentcore import SESSION_HEADER, runtime_session_id
from assistant_ui.auth import bearer
from assistant_ui.messages import assistant, image, system, text, user

FINAL = "The result of 25 * 4 is 100."


def client(base_url: str, **kwargs: Any) -> AssistantClient:
    # api="agentcore" implies the agentcore decoder (RequestDialect.default_protocol)
    return AssistantClient(base_url, api="agentcore", **kwargs)


# -- the request ---------------------------------------------------------------------------------


def capture(**call: Any) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": "ok"})

    http = httpx.Client(base_url="https://agent.example", transport=httpx.MockTransport(handler))
    with client("https://agent.example", http_client=http) as c:
        thread_id = call.pop("thread_id", "thread-1")
        c.threads(thread_id).chat_sync(**call)
    [request] = seen
    return request


def test_payload_and_headers() -> None:
    msgs = [system("be brief"), user("first"), assistant("reply"), user([text("What is "), text("25 * 4?")])]
    request = capture(messages=msgs, stream_tokens=True, preferences={"genre": "sci-fi"},
                      custom_data={"user_id": "123"}, ignored=None)
    assert request.method == "POST" and request.url == "https://agent.example/invocations"
    assert json.loads(request.content) == {
        "prompt": "What is 25 * 4?", "session_id": "thread-1", "stream": True, "stream_tokens": True,
        "preferences": {"genre": "sci-fi"}, "custom_data": {"user_id": "123"},
    }
    assert request.headers[SESSION_HEADER] == runtime_session_id("thread-1")
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["content-type"] == "application/json"


def test_stream_false_asks_for_json_and_extras_win() -> None:
    request = capture(messages=[user("hi")], stream=False, session_id="custom")
    assert json.loads(request.content) == {"prompt": "hi", "session_id": "custom", "stream": False}
    assert request.headers["accept"] == "application/json"


def test_prompt_keyword_without_messages() -> None:
    request = capture(prompt="direct")
    assert json.loads(request.content)["prompt"] == "direct"


@pytest.mark.parametrize(("call", "match"), [
    ({"messages": [assistant("no user")]}, "user message"),
    ({"prompt": None}, "user message"),
    ({"messages": [user([image("https://x.example/a.png")])]}, "image parts"),
    ({"messages": [user("x")], "tools": {"t": {"description": "d", "parameters": {}}}}, "tools="),
    ({"messages": [user("x")], "system": "sys"}, "system="),
    ({"messages": [user("x")], "state": {"a": 1}}, "state="),
])
def test_what_the_payload_cannot_carry_is_refused(call: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        capture(**call)


@pytest.mark.parametrize("thread_id", ["t", "thread-1", "x" * 32, "x" * 33, "y" * 256, "z" * 257,
                                       "with space", "日本語", "a\nb"])
def test_runtime_session_id(thread_id: str) -> None:
    sid = runtime_session_id(thread_id)
    assert 33 <= len(sid) <= 256 and all("!" <= ch <= "~" for ch in sid)
    assert sid == runtime_session_id(thread_id)  # stable
    if 33 <= len(thread_id) <= 256 and thread_id.isascii() and thread_id.isprintable() and " " not in thread_id:
        assert sid == thread_id
    elif thread_id.isascii() and thread_id.isprintable() and " " not in thread_id and len(thread_id) < 33:
        assert sid.startswith(thread_id + "-")
    else:
        assert sid.startswith("aui-")


def test_session_ids_of_different_threads_differ() -> None:
    ids = {runtime_session_id(t) for t in ["a", "b", "a-", "x" * 300, "x" * 301, "é", "è"]}
    assert len(ids) == 7


def test_registry() -> None:
    dialect = REQUEST_DIALECTS["agentcore"]
    assert dialect.default_chat_path == "/invocations" and dialect.default_protocol == "agentcore"


# -- a real agent --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent() -> Iterator[tuple[str, Any]]:
    pytest.importorskip("bedrock_agentcore")
    pytest.importorskip("langgraph")
    import agentcore_agent
    import uvicorn

    config = uvicorn.Config(agentcore_agent.app, host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-agentcore", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", agentcore_agent.REQUESTS
    finally:
        server.should_exit = True
        thread.join(10)


#: (case, keyword arguments, tool name, whether text comes as several deltas)
CASES = [
    ("updates", {}, "multiply", False),
    ("messages", {"stream_tokens": True}, "multiply", True),
    ("seed", {"agent": "seed"}, "tools", False),
    ("seed-tokens", {"agent": "seed", "stream_tokens": True}, "tools", True),
    ("seed-v2", {"agent": "seed-v2"}, "multiply", False),
]


def new_thread() -> str:
    return f"thread-{uuid.uuid4().hex[:8]}"


def check(result: Any, tool_name: str) -> None:
    assert result.text == "I'll calculate that for you." + FINAL
    [call] = result.tool_calls
    assert call["toolName"] == tool_name and call["result"] == "100"
    assert result.status == {"type": "complete", "reason": "stop"}
    assert result.protocol == "agentcore" and result.warnings == []


@pytest.mark.parametrize(("case", "kwargs", "tool_name", "_tokens"), CASES)
def test_chat_sync(agent: tuple[str, Any], case: str, kwargs: dict[str, Any], tool_name: str, _tokens: bool) -> None:
    url, requests = agent
    with client(url) as c:
        thread_id = new_thread()
        check(c.threads(thread_id).chat_sync([user("What is 25 * 4?")], **kwargs), tool_name)
    got = requests[-1]
    assert got["payload"] == {"prompt": "What is 25 * 4?", "session_id": thread_id, "stream": True, **kwargs}
    assert got["session_header"] == runtime_session_id(thread_id)


@pytest.mark.anyio
@pytest.mark.parametrize(("case", "kwargs", "tool_name", "_tokens"), CASES)
async def test_chat(agent: tuple[str, Any], case: str, kwargs: dict[str, Any], tool_name: str, _tokens: bool) -> None:
    async with client(agent[0]) as c:
        check(await c.threads(new_thread()).chat([user("What is 25 * 4?")], **kwargs), tool_name)


@pytest.mark.anyio
@pytest.mark.parametrize(("case", "kwargs", "tool_name", "tokens"), CASES)
async def test_stream(agent: tuple[str, Any], case: str, kwargs: dict[str, Any], tool_name: str, tokens: bool) -> None:
    async with client(agent[0]) as c:
        async with c.threads(new_thread()).stream([user("What is 25 * 4?")], **kwargs) as s:
            events = [ev async for ev in s]
        result = await s.final()
    check(result, tool_name)
    deltas = [e["delta"] for e in events if e["type"] == "text-delta"]
    assert "".join(deltas) == result.text
    assert (len(deltas) > 2) is tokens
    assert events[-1]["type"] == "finish"


def test_stream_sync_token_mode(agent: tuple[str, Any]) -> None:
    with client(agent[0]) as c, c.threads(new_thread()).stream_sync([user("What is 25 * 4?")], stream_tokens=True) as s:
        deltas = list(s.text_stream)
        result = s.final()
    assert "".join(deltas) == result.text and len(deltas) > 2
    assert [e["argsTextDelta"] for e in result.events if e["type"] == "tool-call-delta"] == ['{"a": 2', '5, "b": 4}']


def check_error(error: StreamError) -> None:
    assert "the model endpoint went away" in str(error)
    partial = error.partial
    assert partial is not None
    assert partial.status["error"] == {"code": "RuntimeError", "message": "the model endpoint went away"}
    # what the agent did before it failed is kept
    assert partial.text == "I'll calculate that for you."
    assert partial.tool_calls[0]["result"] == "100"


def test_mid_stream_error_sync(agent: tuple[str, Any]) -> None:
    with client(agent[0]) as c, pytest.raises(StreamError) as info:
        c.threads(new_thread()).chat_sync([user("What is 25 * 4? Then crash.")])
    check_error(info.value)


@pytest.mark.anyio
async def test_mid_stream_error(agent: tuple[str, Any]) -> None:
    async with client(agent[0]) as c:
        with pytest.raises(StreamError) as info:
            await c.threads(new_thread()).chat([user("What is 25 * 4? Then crash.")])
    check_error(info.value)


def test_json_answer_sync(agent: tuple[str, Any]) -> None:
    with client(agent[0]) as c:
        thread_id = new_thread()
        result = c.threads(thread_id).chat_sync([user("What is 25 * 4?")], stream=False, custom_data={"user_id": "123"})
    assert result.text == FINAL and result.status == {"type": "complete", "reason": "stop"}
    assert result.json() == {"result": FINAL, "session_id": thread_id, "custom_data": {"user_id": "123"}}
    assert result.protocol == "agentcore"


@pytest.mark.anyio
async def test_json_answer(agent: tuple[str, Any]) -> None:
    async with client(agent[0]) as c:
        result = await c.threads(new_thread()).chat([user("What is 25 * 4?")], stream=False)
    assert result.text == FINAL and result.json()["result"] == FINAL


@pytest.mark.parametrize("kwargs", [{}, {"stream": False}, {"agent": "seed", "stream_tokens": True}])
def test_session_memory_sync(agent: tuple[str, Any], kwargs: dict[str, Any]) -> None:
    url, requests = agent
    with client(url) as c:
        thread = c.threads(new_thread())
        assert thread.chat_sync([user("My name is Alice")], **kwargs).text == "Nice to meet you, Alice!"
        assert thread.chat_sync([user("What's my name?")], **kwargs).text == "Your name is Alice."
        # another thread is another session: it has not met Alice
        other = c.threads(new_thread()).chat_sync([user("What's my name?")], **kwargs)
        assert other.text == "I don't know your name yet."
    first, second = requests[-3]["session_header"], requests[-2]["session_header"]
    assert first == second == runtime_session_id(thread.thread_id) and len(first) >= 33
    assert requests[-1]["session_header"] != first


@pytest.mark.anyio
async def test_session_memory(agent: tuple[str, Any]) -> None:
    async with client(agent[0]) as c:
        thread = c.threads(new_thread())
        await thread.chat([user("My name is Alice")])
        assert (await thread.chat([user("What's my name?")], stream_tokens=True)).text == "Your name is Alice."


def test_custom_data_reaches_the_agent(agent: tuple[str, Any]) -> None:
    url, requests = agent
    prefs = {"genre": "sci-fi", "rating": "PG-13"}
    custom = {"user_id": "123", "timestamp": "2025-11-28T10:00:00Z"}
    with client(url) as c:
        result = c.threads(new_thread()).chat_sync([user("Recommend a movie")], preferences=prefs, custom_data=custom)
    assert result.text == "Try Arrival: sci-fi, rated PG-13."
    assert requests[-1]["payload"]["preferences"] == prefs and requests[-1]["payload"]["custom_data"] == custom


def test_api_alone_picks_the_agentcore_decoder(agent: tuple[str, Any]) -> None:
    with AssistantClient(agent[0], api="agentcore") as c:
        result = c.threads(new_thread()).chat_sync([user("What is 25 * 4?")])
    assert result.protocol == "agentcore" and result.text == "I'll calculate that for you." + FINAL


def test_the_aws_front_door_url() -> None:
    """The README's recipe: the runtime's invocations URL with a url-encoded ARN and a JWT."""
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-AbCdEf1234"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=b'data: {"chatbot": {"messages": [{"type": "ai", "content": "hi"}]}}\n\n')

    base_url = f"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/{quote(arn, safe='')}"
    with client(base_url, chat_path="/invocations?qualifier=DEFAULT", headers=bearer("jwt-token"),
                transport=httpx.MockTransport(handler)) as c:
        assert c.threads("t").chat_sync([user("hello")]).text == "hi"
    [request] = seen
    assert str(request.url) == (
        "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/"
        "arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fmy_agent-AbCdEf1234"
        "/invocations?qualifier=DEFAULT"
    )
    assert request.headers["authorization"] == "Bearer jwt-token"
    assert request.headers[SESSION_HEADER] == runtime_session_id("t")


def test_example_runs_standalone() -> None:
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_UI_")}
    proc = subprocess.run([sys.executable, str(root / "examples" / "agentcore.py")], cwd=root, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"streaming: I'll calculate that for you.{FINAL}"
    assert '  [tool] tools -> "100"' in lines
    assert "  status: complete, steps: 3, wire format: agentcore" in lines
    assert re.fullmatch(r"token streaming: Plants turn .* oxygen\. \(\d+ deltas\)", lines[3])
    assert "non-streaming: The result of 6 * 7 is 42." in lines
    assert "memory: Your name is Alice." in lines
    assert lines[-1] == "custom data: Try Arrival (sci-fi, rated PG-13)."
