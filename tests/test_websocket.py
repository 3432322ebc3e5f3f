"""The WebSocket chat (seed 003) end to end, against a real WebSocket server on 127.0.0.1.

The server (tests/ws_chat_server.py) speaks the protocol of auto-bedrock-chat-fastapi:
``connection_established``, ``typing``, ``ai_response`` with server-side tool results,
``error``, ``history``, ``clear``, ``ping``, the in-band ``auth`` message.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from ws_chat_server import ChatServer, running

from assistant_ui import AssistantClient, user
from assistant_ui.auth import OAuth2ClientCredentials, api_key, basic, bearer
from assistant_ui.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    StreamError,
)


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    with running() as srv:
        yield srv


@pytest.fixture
def client(server: ChatServer) -> Iterator[AssistantClient]:
    c = AssistantClient(server.url, max_retries=0)
    yield c
    c.close_sync()


def _tool_part(result: Any) -> dict[str, Any]:
    parts = [p for p in result.message["content"] if p["type"] == "tool-call"]
    assert len(parts) == 1
    return dict(parts[0])


def check_weather(result: Any, city: str) -> None:
    assert result.text == f"It is 21°C in {city}."
    part = _tool_part(result)
    assert part["toolCallId"] == "call-1"
    assert part["toolName"] == "get_weather"
    assert part["result"] == {"city": city, "celsius": 21}
    assert part["isError"] is False
    assert result.usage == {"inputTokens": 12, "outputTokens": 7}
    assert result.finish_reason == "stop"
    assert result.message["status"] == {"type": "complete", "reason": "stop"}
    progress = [e["message"] for e in result.events if e["type"] == "progress"]
    assert progress == [
        "AI is thinking...",
        "Calling get_weather... (1/1)",
        "Processing results... (Round 1 complete)",
    ]
    assert result.message["metadata"]["custom"] == {"model": "test-model"}


# -- a conversation with server-side tools ----------------------------------------------------


def test_chat_sync_with_a_server_side_tool_round_then_a_follow_up(server: ChatServer, client: AssistantClient) -> None:
    thread = client.threads("sync-conversation")
    first = thread.chat_sync([user("weather Paris")])
    check_weather(first, "Paris")
    assert first.protocol == "bedrock-ws"
    assert first.warnings == []
    # the follow-up goes on the same connection: the server's session holds both turns
    second = thread.chat_sync([user("weather Paris"), first.message, user("thanks")])
    assert second.text == "echo: thanks"
    assert server.received[-1] == {"type": "chat", "message": "thanks"}
    history = thread.history_sync()
    texts = [(m["role"], [p.get("text") for p in m["content"] if p["type"] == "text"]) for m in history]
    assert texts[0] == ("user", ["weather Paris"])
    assert texts[-2:] == [("user", ["thanks"]), ("assistant", ["echo: thanks"])]
    tool_parts = [p for m in history for p in m["content"] if p["type"] == "tool-call"]
    assert {"toolCallId": "call-1", "toolName": "get_weather", "args": {"city": "Paris"}}.items() <= tool_parts[0].items()
    assert tool_parts[0]["result"] == {"city": "Paris", "celsius": 21}


def test_stream_sync_delivers_progress_before_the_answer(client: AssistantClient) -> None:
    with client.threads("sync-stream").stream_sync([user("weather Oslo")]) as stream:
        kinds = [ev["type"] for ev in stream]
        result = stream.final()
    assert kinds[:3] == ["progress"] * 3
    assert kinds[-2:] == ["text-delta", "finish"]
    check_weather(result, "Oslo")


@pytest.mark.anyio
async def test_stream_and_chat_async(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        thread = client.threads(f"async-{anyio_backend}")
        seen: list[str] = []
        async with thread.stream([user("weather Rome")]) as stream:
            async for ev in stream:
                seen.append(ev["type"])
            result = await stream.final()
        assert seen[0] == "progress"
        check_weather(result, "Rome")
        sessions = len(server.sessions)
        again = await thread.chat([user("and tomorrow?")])
        assert again.text == "echo: and tomorrow?"
        assert len(server.sessions) == sessions  # the same connection
        history = await thread.history()
        assert [m["role"] for m in history][-2:] == ["user", "assistant"]
        await thread.ping()
        await thread.clear()
        assert await thread.history() == []


def test_two_threads_have_separate_sessions(server: ChatServer, client: AssistantClient) -> None:
    a, b = client.threads("first"), client.threads("second")
    a.chat_sync([user("one")])
    b.chat_sync([user("two")])
    a.chat_sync([user("three")])
    assert [m["content"][0]["text"] for m in a.history_sync()] == ["one", "echo: one", "three", "echo: three"]
    assert [m["content"][0]["text"] for m in b.history_sync()] == ["two", "echo: two"]


def test_history_and_clear_sync(client: AssistantClient) -> None:
    thread = client.threads("clearing")
    thread.chat_sync([user("remember me")])
    assert len(thread.history_sync()) == 2
    thread.ping_sync()
    thread.clear_sync()
    assert thread.history_sync() == []
    assert thread.chat_sync([user("again")]).text == "echo: again"


def test_same_thread_in_two_event_loops_gets_one_connection_each(server: ChatServer, client: AssistantClient) -> None:
    thread = client.threads("loops")

    async def turn(text: str) -> str:
        return (await thread.chat([user(text)])).text

    before = len(server.sessions)
    assert anyio.run(turn, "on asyncio") == "echo: on asyncio"
    assert anyio.run(turn, "on trio", backend="trio") == "echo: on trio"
    assert len(server.sessions) == before + 2


# -- auth -------------------------------------------------------------------------------------


AUTHS = [
    (bearer("tok-123"), {"auth_type": "bearer_token", "token": "tok-123"}),
    (api_key("key-456", header="X-Custom-Key"), {"auth_type": "api_key", "api_key": "key-456", "api_key_header": "X-Custom-Key"}),
    (basic("ann@example.com", "pa:ss"), {"auth_type": "basic_auth", "username": "ann@example.com", "password": "pa:ss"}),
    (
        OAuth2ClientCredentials("https://auth.example.com/token", "cid", "csecret", scope="read write"),
        {"auth_type": "oauth2", "client_id": "cid", "client_secret": "csecret",
         "token_url": "https://auth.example.com/token", "scope": "read write"},
    ),
]


@pytest.mark.parametrize("helper,expected", AUTHS, ids=["bearer", "api_key", "basic", "oauth2"])
def test_every_auth_helper_reaches_the_server_in_band(server: ChatServer, helper: Any, expected: dict[str, Any]) -> None:
    with AssistantClient(server.url, headers=helper, max_retries=0) as client:
        result = client.threads("auth").chat_sync([user("whoami")])
        assert json.loads(result.text) == {"type": "auth", **expected}
        # in band only: not on the handshake
        assert not any(k.lower() in ("authorization", "x-custom-key", "x-api-key") for k in server.handshake_headers[-1])
        secret = next(v for k, v in expected.items() if k in ("token", "api_key", "password", "client_secret"))
        assert secret not in repr(client)
        assert secret not in repr(client.threads("auth"))


@pytest.mark.anyio
@pytest.mark.parametrize("helper,expected", AUTHS[:2], ids=["bearer", "api_key"])
async def test_auth_async(server: ChatServer, helper: Any, expected: dict[str, Any], anyio_backend: str) -> None:
    async with AssistantClient(server.url, headers=helper, max_retries=0) as client:
        result = await client.threads("auth").chat([user("whoami")])
        assert json.loads(result.text) == {"type": "auth", **expected}


def test_an_async_token_callable_is_resolved(server: ChatServer) -> None:
    async def token() -> str:
        return "from-a-coroutine"

    with AssistantClient(server.url, headers=bearer(token), max_retries=0) as client:
        assert json.loads(client.threads("t").chat_sync([user("whoami")]).text)["token"] == "from-a-coroutine"


def test_plain_headers_go_on_the_handshake(server: ChatServer) -> None:
    with AssistantClient(server.url, headers={"X-Tenant": "acme"}, max_retries=0) as client:
        assert client.threads("h").chat_sync([user("whoami")]).text == "null"
    assert server.handshake_headers[-1]["x-tenant"] == "acme"


def test_refused_auth_is_an_authentication_error_without_the_secret(server: ChatServer) -> None:
    with AssistantClient(server.url, headers=bearer("bad"), max_retries=0) as client:
        with pytest.raises(AuthenticationError) as info:
            client.threads("t").chat_sync([user("hi")])
    assert "Invalid credentials provided" in str(info.value)
    assert info.value.status_code == 401


# -- errors -----------------------------------------------------------------------------------


def test_an_error_message_raises_stream_error(client: AssistantClient) -> None:
    with pytest.raises(StreamError) as info:
        client.threads("errors").chat_sync([user("fail")])
    assert "Empty message" in str(info.value)
    assert info.value.partial is not None
    assert info.value.partial.message["status"]["reason"] == "error"
    # the connection stays usable: the turn ended with the error
    assert client.threads("errors").chat_sync([user("ok")]).text == "echo: ok"


@pytest.mark.anyio
async def test_an_ai_response_with_error_true_raises_stream_error(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        with pytest.raises(StreamError) as info:
            await client.threads("boom").chat([user("boom")])
    assert "model down" in str(info.value)
    assert info.value.partial is not None
    assert [e["type"] for e in info.value.partial.events] == ["progress", "error"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_api_connection_error() -> None:
    with AssistantClient(f"ws://127.0.0.1:{_closed_port()}/bedrock-chat/ws", max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            client.threads("t").chat_sync([user("hi")])
        with pytest.raises(APIConnectionError):
            client.threads("t").history_sync()


@pytest.mark.anyio
async def test_a_refused_connection_async(anyio_backend: str) -> None:
    async with AssistantClient(f"ws://127.0.0.1:{_closed_port()}/x", max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            await client.threads("t").chat([user("hi")])


def test_a_refused_handshake_is_a_status_error(server: ChatServer) -> None:
    with AssistantClient(server.url.replace("/bedrock-chat/ws", "/nowhere"), max_retries=0) as client:
        with pytest.raises(APIStatusError) as info:
            client.threads("t").chat_sync([user("hi")])
    assert info.value.status_code == 403  # Starlette refuses an unknown WebSocket path


def test_a_socket_dropped_mid_turn_then_reopened_with_a_warning(server: ChatServer, client: AssistantClient) -> None:
    thread = client.threads("dropping")
    thread.chat_sync([user("before")])
    with pytest.raises(APIConnectionError) as info:
        thread.chat_sync([user("drop")])
    partial = info.value.partial
    assert partial is not None
    assert [e["type"] for e in partial.events] == ["progress"]
    assert partial.message["status"]["type"] == "incomplete"
    after = thread.chat_sync([user("after")])
    assert after.text == "echo: after"
    assert any("started over" in w for w in after.warnings)
    assert [m["content"][0]["text"] for m in thread.history_sync()] == ["after", "echo: after"]


@pytest.mark.anyio
async def test_a_socket_dropped_mid_turn_async(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        thread = client.threads("dropping")
        with pytest.raises(APIConnectionError) as info:
            await thread.chat([user("drop")])
        assert info.value.partial is not None
        after = await thread.chat([user("after")])
        assert any("started over" in w for w in after.warnings)


# -- cancel, timeouts, limits, closing --------------------------------------------------------


def test_cancel_sync_closes_the_socket_and_returns_what_arrived(server: ChatServer, client: AssistantClient) -> None:
    thread = client.threads("cancel-sync")
    thread.chat_sync([user("hello")])
    session = server.sessions[-1]
    timer = threading.Timer(0.5, thread.cancel_sync)
    timer.start()
    started = time.monotonic()
    result = thread.chat_sync([user("slow")])
    assert time.monotonic() - started < 5
    assert result.message["status"] == {"type": "incomplete", "reason": "cancelled"}
    assert [e["type"] for e in result.events] == ["progress"]
    assert server.wait_closed(session)
    assert any("started over" in w for w in thread.chat_sync([user("next")]).warnings)


@pytest.mark.anyio
async def test_cancel_async(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        thread = client.threads(f"cancel-{anyio_backend}")
        await thread.chat([user("hello")])
        session = server.sessions[-1]
        async with anyio.create_task_group() as tg:

            async def cancel_soon() -> None:
                await anyio.sleep(0.5)
                await thread.cancel()

            tg.start_soon(cancel_soon)
            with anyio.fail_after(5):
                result = await thread.chat([user("slow")])
        assert result.message["status"] == {"type": "incomplete", "reason": "cancelled"}
        await anyio.to_thread.run_sync(server.wait_closed, session)
        assert session in server.closed


def test_idle_timeout(server: ChatServer, client: AssistantClient) -> None:
    with pytest.raises(APITimeoutError) as info:
        client.threads("idle").chat_sync([user("slow")], idle_timeout=0.5)
    assert info.value.partial is not None


@pytest.mark.anyio
async def test_deadline_async(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        with pytest.raises(APITimeoutError):
            await client.threads("deadline").chat([user("slow")], deadline=0.5)


def test_a_message_over_the_limit_is_a_decode_error(server: ChatServer) -> None:
    from assistant_ui.errors import DecodeError

    with AssistantClient(server.url, max_retries=0, max_event_size=4096) as client:
        thread = client.threads("big")
        assert len(thread.chat_sync([user("big 3000")]).text) == 3000
        with pytest.raises(DecodeError) as info:
            thread.chat_sync([user("big 5000")])
        assert "exceeds the limit of 4096 bytes" in str(info.value)
        assert info.value.partial is not None
        # the connection was closed (the rest of the turn is unknown); the next call opens one
        assert any("started over" in w for w in thread.chat_sync([user("small")]).warnings)


def test_the_default_message_limit_is_generous() -> None:
    from assistant_ui._transports.ws_protocol import MAX_MESSAGE_SIZE

    client = AssistantClient("ws://127.0.0.1:9/ws")
    assert client._ws is not None
    assert client._ws.max_message_size == client.max_event_size == MAX_MESSAGE_SIZE == 64 * 1024 * 1024


def test_close_sync_closes_every_socket(server: ChatServer) -> None:
    client = AssistantClient(server.url, max_retries=0)
    client.threads("a").chat_sync([user("x")])
    first = server.sessions[-1]
    client.threads("b").chat_sync([user("y")])
    second = server.sessions[-1]
    client.close_sync()
    assert server.wait_closed(first) and server.wait_closed(second)


@pytest.mark.anyio
async def test_close_async_closes_the_sockets_of_the_loop(server: ChatServer, anyio_backend: str) -> None:
    client = AssistantClient(server.url, max_retries=0)
    await client.threads("a").chat([user("x")])
    session = server.sessions[-1]
    await client.close()
    await anyio.to_thread.run_sync(server.wait_closed, session)
    assert session in server.closed


def test_no_secret_in_the_debug_log(server: ChatServer, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    with AssistantClient(server.url, headers=basic("ann", "hunter2-secret"), max_retries=0) as client:
        client.threads("log").chat_sync([user("hello")])
        with pytest.raises(AuthenticationError) as info:
            AssistantClient(server.url, headers=bearer("bad"), max_retries=0).threads("x").chat_sync([user("hi")])
    assert "request" in caplog.text  # the calls were logged
    assert "hunter2-secret" not in caplog.text
    assert "hunter2-secret" not in repr(info.value)


def test_a_server_error_quoting_the_credentials_is_redacted(server: ChatServer) -> None:
    with AssistantClient(server.url, headers=bearer("tok-leaky-0123456789"), max_retries=0) as client:
        with pytest.raises(StreamError) as info:
            client.threads("leak").chat_sync([user("leak")])
    assert "upstream refused" in str(info.value)
    assert "tok-leaky-0123456789" not in str(info.value)


def test_a_connection_the_server_closed_between_turns_is_reopened(server: ChatServer, client: AssistantClient) -> None:
    thread = client.threads("bye")
    assert thread.chat_sync([user("bye")]).text == "echo: bye"
    assert server.wait_closed(server.sessions[-1])
    time.sleep(0.1)
    after = thread.chat_sync([user("hello again")])
    assert after.text == "echo: hello again"
    assert any("started over" in w for w in after.warnings)


@pytest.mark.anyio
async def test_leaving_a_stream_early_closes_the_socket(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        thread = client.threads(f"early-{anyio_backend}")
        async with thread.stream([user("slow")]) as stream:
            async for event in stream:
                assert event["type"] == "progress"
                break
        session = server.sessions[-1]
        await anyio.to_thread.run_sync(server.wait_closed, session)
        assert session in server.closed
        after = await thread.chat([user("next")])
        assert after.text == "echo: next"
        assert any("started over" in w for w in after.warnings)


def test_run_sync_without_client_tools_is_one_turn(client: AssistantClient) -> None:
    run = client.threads("run").run_sync([user("weather Bergen")])
    assert run.final.text == "It is 21°C in Bergen."
    with pytest.raises(ValueError, match="runs its tools on the server"):
        client.threads("run").chat_sync([user("x")], tools={"t": {"description": "", "parameters": {}}})


@pytest.mark.anyio
async def test_many_threads_at_once_in_one_loop(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0) as client:
        answers: dict[int, str] = {}

        async def one(i: int) -> None:
            thread = client.threads(f"many-{anyio_backend}-{i}")
            await thread.chat([user(f"weather City{i}")])
            answers[i] = (await thread.chat([user(f"hi {i}")])).text
            assert [m["role"] for m in await thread.history()].count("user") == 2

        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(one, i)
        assert answers == {i: f"echo: hi {i}" for i in range(8)}


def test_deadline_sync(server: ChatServer, client: AssistantClient) -> None:
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.threads("deadline-sync").chat_sync([user("slow")], deadline=0.5)
    assert time.monotonic() - started < 5
    assert "deadline" in str(info.value)


@pytest.mark.anyio
async def test_idle_timeout_async(server: ChatServer, anyio_backend: str) -> None:
    async with AssistantClient(server.url, max_retries=0, idle_timeout=0.5) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.threads("idle-async").chat([user("slow")])
        assert info.value.partial is not None
        assert [e["type"] for e in info.value.partial.events] == ["progress"]
