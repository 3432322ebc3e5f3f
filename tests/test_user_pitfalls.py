"""Small things a user hits (#13.9): a ``base_url`` with a query string, a plain string as
``messages``, a 404 that names the URL it requested, a system message sent to an AI SDK
backend. Real httpx clients over ``httpx.MockTransport``; every request is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, NotFoundError, system, user

OK_BODY = b'0:"ok"\n'


class Server:
    """A MockTransport handler: answers ``routes`` (path -> status), records every request."""

    def __init__(self, routes: dict[str, int] | None = None) -> None:
        self.routes = routes if routes is not None else {"/api/chat": 200, "/api/cancel": 200}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.routes.get(request.url.path, 404)
        if status != 200:
            return httpx.Response(status, json={"detail": "Not Found"})
        return httpx.Response(200, content=OK_BODY, headers={"content-type": "text/plain; charset=utf-8"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


# -- a base_url with a query string -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "path", "params"),
    [
        ("http://backend.test?api_key=X", "/api/chat", {"api_key": "X"}),
        ("http://backend.test/?api_key=X", "/api/chat", {"api_key": "X"}),
        ("http://backend.test/prefix/?api_key=X&v=2", "/prefix/api/chat", {"api_key": "X", "v": "2"}),
        ("http://backend.test/prefix?flag=", "/prefix/api/chat", {"flag": ""}),
    ],
)
def test_a_query_string_stays_after_the_path_sync(base_url: str, path: str, params: dict[str, str]) -> None:
    server = Server({path: 200, path.replace("/chat", "/cancel"): 200})
    with AssistantClient(base_url, transport=server.transport()) as client:
        result = client.threads("t").chat_sync(messages=[user("hi")])
        client.threads("t").cancel_sync()
    assert result.text == "ok"
    chat, cancel = server.requests
    assert chat.url.path == path
    assert dict(chat.url.params) == params
    assert cancel.url.path == path.replace("/chat", "/cancel")
    assert dict(cancel.url.params) == params


@pytest.mark.anyio
async def test_a_query_string_stays_after_the_path_async() -> None:
    server = Server({"/prefix/api/chat": 200})
    async with AssistantClient("http://backend.test/prefix?api_key=X", transport=server.transport()) as client:
        result = await client.threads("t").chat(messages=[user("hi")])
    assert result.text == "ok"
    (chat,) = server.requests
    assert (chat.url.path, dict(chat.url.params)) == ("/prefix/api/chat", {"api_key": "X"})


def test_the_query_string_joins_the_params_given_to_httpx() -> None:
    server = Server()
    with AssistantClient("http://backend.test?api_key=X", transport=server.transport(), params={"v": "2"}) as client:
        client.threads("t").chat_sync(messages=[user("hi")])
    assert dict(server.requests[0].url.params) == {"api_key": "X", "v": "2"}


def test_a_query_string_is_not_in_the_repr() -> None:
    client = AssistantClient("http://backend.test/?api_key=SECRET-KEY-1")
    assert "SECRET-KEY-1" not in repr(client)


# -- a plain string as messages -----------------------------------------------------------------------


def _calls(thread: Any) -> dict[str, Callable[[], Any]]:
    return {
        "chat_sync": lambda: thread.chat_sync(messages="hello"),
        "stream_sync": lambda: thread.stream_sync("hello"),
        "run_sync": lambda: thread.run_sync("hello"),
    }


@pytest.mark.parametrize("api", ["assistant-ui", "ai-sdk", "openai"])
@pytest.mark.parametrize("call", ["chat_sync", "stream_sync", "run_sync"])
def test_a_plain_string_gets_a_type_error_that_suggests_user(api: str, call: str) -> None:
    server = Server({"/api/chat": 200, "/v1/chat/completions": 200})
    with AssistantClient("http://backend.test", api=api, model="m", transport=server.transport()) as client:
        with pytest.raises(TypeError, match=r'user\("\.\.\."\)'):
            _calls(client.threads("t"))[call]()
    assert server.requests == []


@pytest.mark.anyio
async def test_a_plain_string_gets_a_type_error_async() -> None:
    server = Server()
    async with AssistantClient("http://backend.test", transport=server.transport()) as client:
        with pytest.raises(TypeError, match=r'user\("\.\.\."\)'):
            await client.threads("t").chat(messages="hello")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r'user\("\.\.\."\)'):
            await client.threads("t").chat(messages=b"hello")  # type: ignore[arg-type]
    assert server.requests == []


# -- a 404 names the URL it requested ---------------------------------------------------------------------


def test_a_404_names_the_url_and_spots_a_doubled_chat_path() -> None:
    server = Server({"/api/chat": 200})
    with AssistantClient("http://backend.test/api/chat", transport=server.transport(), max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    message = str(info.value)
    assert "POST http://backend.test/api/chat/api/chat" in message
    assert "repeats '/api/chat'" in message and "base_url" in message
    assert info.value.status_code == 404


@pytest.mark.anyio
async def test_a_404_names_the_url_async() -> None:
    server = Server({})
    async with AssistantClient("http://backend.test/v2", transport=server.transport(), max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            await client.threads("t").chat(messages=[user("hi")])
    assert "POST http://backend.test/v2/api/chat" in str(info.value)
    assert "repeats" not in str(info.value)


def test_a_404_of_cancel_names_its_url() -> None:
    server = Server({"/api/chat": 200})
    with AssistantClient("http://backend.test", transport=server.transport(), max_retries=0) as client:
        with pytest.raises(NotFoundError, match=r"POST http://backend\.test/api/cancel"):
            client.threads("t").cancel_sync()


def test_a_404_message_leaks_no_secret_of_the_url() -> None:
    server = Server({})
    base_url = "http://alice:PASSWORD-1@backend.test/x?api_key=KEY-1&sig=SIG-1"
    headers = {"Authorization": "Bearer TOKEN-1"}
    with AssistantClient(base_url, headers=headers, transport=server.transport(), max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    message = str(info.value)
    assert "backend.test/x/api/chat?" in message
    for secret in ("PASSWORD-1", "KEY-1", "SIG-1", "TOKEN-1"):
        assert secret not in message
        assert secret not in repr(info.value)
    assert "api_key=" in message  # the names stay, to tell what was sent


# -- system() with api="ai-sdk" -------------------------------------------------------------------------


def test_ai_sdk_system_messages_go_to_the_system_field() -> None:
    server = Server()
    with AssistantClient("http://backend.test", api="ai-sdk", transport=server.transport()) as client:
        client.threads("t").chat_sync(messages=[system("Be brief."), user("hi")])
        client.threads("t").chat_sync(
            messages=[system("Be brief."), user("hi"), system("Answer in French.")], system="You are Ada."
        )
    first, second = server.body(0), server.body(1)
    assert first["system"] == "Be brief."
    assert [m["role"] for m in first["messages"]] == ["user"]
    assert second["system"] == "You are Ada.\n\nBe brief.\n\nAnswer in French."
    assert [m["role"] for m in second["messages"]] == ["user"]
    # the user message keeps the id it has when the system message is in
    assert first["messages"][0]["id"] == second["messages"][0]["id"] == "msg-1"


@pytest.mark.anyio
async def test_ai_sdk_system_messages_go_to_the_system_field_async() -> None:
    server = Server()
    async with AssistantClient("http://backend.test", api="ai-sdk", transport=server.transport()) as client:
        await client.threads("t").chat([system("Be brief."), user("hi")])
    body = server.body()
    assert body["system"] == "Be brief."
    assert all(m["role"] != "system" for m in body["messages"])


def test_other_dialects_keep_system_messages_where_they_were() -> None:
    server = Server()
    with AssistantClient("http://backend.test", transport=server.transport()) as client:
        client.threads("t").chat_sync(messages=[system("Be brief."), user("hi")])
    body = server.body()  # assistant-ui: as in 0.1.1, the messages are sent as they are
    assert "system" not in body
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
