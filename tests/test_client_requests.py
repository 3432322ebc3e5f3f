"""What the client sends (docs/wire-formats.md §12.1, docs/api.md §1, §3), checked with respx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from assistant_ui import AssistantClient, AuthenticationError, NotFoundError
from assistant_ui.messages import assistant, file, system, tool_result, user

BASE = "http://backend.test"
OK_BODY = b'0:"ok"\n'


def ok(request: httpx.Request | None = None) -> httpx.Response:
    return httpx.Response(200, content=OK_BODY, headers={"content-type": "text/plain; charset=utf-8"})


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def body_of(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


HISTORY: list[Any] = [
    system("Be brief."),
    user("What is in this image?", image="https://example.com/cat.png", file=file(b"PDF", "application/pdf")),
    {"role": "user", "content": [{"type": "file", "data": "https://example.com/a.pdf", "mimeType": "application/pdf"}]},
    assistant("Let me look.", tool_calls=[{"type": "tool-call", "toolCallId": "call_1", "toolName": "vision", "args": {"x": 1}}]),
    tool_result("call_1", "vision", {"label": "cat"}),
    {"role": "tool", "content": [{"type": "tool-result", "toolCallId": "call_2", "toolName": "t2", "result": "bad", "isError": True, "artifact": {"a": 1}}]},
    {"role": "user", "content": "plain string content"},
]

EXPECTED_COMMANDS = [
    {
        "type": "add-message",
        "message": {
            "role": "user",
            "parts": [{"type": "text", "text": "What is in this image?"}, {"type": "image", "image": "https://example.com/cat.png"}],
        },
    },
    {"type": "add-message", "message": {"role": "assistant", "parts": [{"type": "text", "text": "Let me look."}]}},
    {"type": "add-tool-result", "toolCallId": "call_1", "toolName": "vision", "result": {"label": "cat"}, "isError": False, "artifact": None},
    {"type": "add-tool-result", "toolCallId": "call_2", "toolName": "t2", "result": "bad", "isError": True, "artifact": {"a": 1}},
    {"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": "plain string content"}]}},
]


def test_commands_from_messages_sync(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE) as client:
        result = client.threads("thread-9").chat_sync(messages=HISTORY)
    assert result.text == "ok"
    body = body_of(route)
    assert body == {"threadId": "thread-9", "commands": EXPECTED_COMMANDS, "messages": HISTORY}
    # the file-only user message is not a command but is still in messages
    assert HISTORY[2] in body["messages"]
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert "text/event-stream" in request.headers["accept"]


@pytest.mark.anyio
async def test_commands_from_messages_async(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    async with AssistantClient(base_url=BASE) as client:
        await client.threads("thread-9").chat(messages=HISTORY)
    assert body_of(route) == {"threadId": "thread-9", "commands": EXPECTED_COMMANDS, "messages": HISTORY}


def test_all_optional_fields(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    tools = {"get_weather": {"description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    with AssistantClient(base_url=BASE) as client:
        client.threads("t").chat_sync(
            messages=[user("hi")],
            system="You are terse.",
            tools=tools,
            runConfig={"custom": {"x": 1}},
            state={"log": []},
            unstable_assistantMessageId="m1",
            temperature=0.2,
            metadata={"k": "v"},
            parentId=None,
        )
    assert body_of(route) == {
        "threadId": "t",
        "commands": [{"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": "hi"}]}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "system": "You are terse.",
        "tools": tools,
        "runConfig": {"custom": {"x": 1}},
        "state": {"log": []},
        "unstable_assistantMessageId": "m1",
        "temperature": 0.2,
        "metadata": {"k": "v"},
    }


def test_pythonic_spellings(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE) as client:
        client.threads("t").chat_sync(messages=[user("hi")], run_config={"a": 1}, assistant_message_id="m2")
        # the same value under both spellings is fine
        client.threads("t").chat_sync(messages=[user("hi")], run_config={"a": 1}, runConfig={"a": 1})
        with pytest.raises(TypeError):
            client.threads("t").chat_sync(messages=[user("hi")], run_config={"a": 1}, runConfig={"a": 2})
    assert body_of(route, 0)["runConfig"] == {"a": 1}
    assert body_of(route, 0)["unstable_assistantMessageId"] == "m2"
    assert body_of(route, 1)["runConfig"] == {"a": 1}
    assert route.call_count == 2


def test_none_values_are_left_out(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE) as client:
        client.threads("t").chat_sync(
            messages=[user("hi")], system=None, tools=None, state=None, run_config=None, assistant_message_id=None, extra=None
        )
    assert set(body_of(route)) == {"threadId", "commands", "messages"}


def test_state_falsy_values_are_sent(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE) as client:
        client.threads("t").chat_sync(messages=[user("hi")], state={}, system="")
    body = body_of(route)
    assert body["state"] == {} and body["system"] == ""


def test_explicit_commands_without_messages(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    cmd = {"type": "add-tool-result", "toolCallId": "c", "toolName": "n", "result": 1, "isError": False}
    with AssistantClient(base_url=BASE) as client:
        client.threads("t").chat_sync(commands=[cmd])
        client.threads("t").chat_sync(messages=[user("a")], commands=[cmd])
    assert body_of(route, 0) == {"threadId": "t", "commands": [cmd]}
    assert body_of(route, 1)["commands"][-1] == cmd
    assert body_of(route, 1)["commands"][0]["type"] == "add-message"


def test_tools_as_a_list(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE) as client:
        client.threads("t").chat_sync(messages=[user("a")], tools=[{"name": "ping", "description": "Ping"}])
    assert body_of(route)["tools"] == {"ping": {"description": "Ping", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize(
    "messages",
    [
        "hi",
        [{"role": "robot", "content": []}],
        [{"role": "system", "content": [{"type": "text", "text": "x"}]}],
        [{"role": "user", "content": 5}],
        ["not a dict"],
    ],
)
def test_bad_messages_are_rejected_before_sending(mock: respx.MockRouter, messages: Any) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE) as client, pytest.raises((TypeError, ValueError)):
        client.threads("t").chat_sync(messages=messages)
    assert route.call_count == 0


def test_custom_paths_and_base_url_prefix(mock: respx.MockRouter) -> None:
    chat = mock.post("/prefix/v2/chat").mock(side_effect=ok)
    cancel = mock.post("/prefix/v2/stop").mock(return_value=httpx.Response(204))
    with AssistantClient(base_url=BASE + "/prefix/", chat_path="/v2/chat", cancel_path="/v2/stop") as client:
        client.threads("t").chat_sync(messages=[user("a")])
        client.threads("t").cancel_sync()
    assert chat.call_count == 1
    assert json.loads(cancel.calls.last.request.content) == {"threadId": "t"}


def test_cancel_sync_posts_the_thread_id(mock: respx.MockRouter) -> None:
    route = mock.post("/api/cancel").mock(return_value=httpx.Response(200, json={"ok": True}))
    with AssistantClient(base_url=BASE, headers={"Authorization": "Bearer x"}) as client:
        client.threads("thread-7").cancel_sync()
    request = route.calls.last.request
    assert json.loads(request.content) == {"threadId": "thread-7"}
    assert request.headers["authorization"] == "Bearer x"


@pytest.mark.anyio
async def test_cancel_async_posts_the_thread_id(mock: respx.MockRouter) -> None:
    route = mock.post("/api/cancel").mock(return_value=httpx.Response(200))
    async with AssistantClient(base_url=BASE) as client:
        await client.threads("thread-7").cancel()
    assert json.loads(route.calls.last.request.content) == {"threadId": "thread-7"}


@pytest.mark.anyio
async def test_cancel_non_2xx_raises(mock: respx.MockRouter) -> None:
    mock.post("/api/cancel").mock(return_value=httpx.Response(404, json={"error": "no such thread"}))
    async with AssistantClient(base_url=BASE) as client:
        with pytest.raises(NotFoundError) as info:
            await client.threads("t").cancel()
    assert info.value.body == {"error": "no such thread"}
    with AssistantClient(base_url=BASE) as client, pytest.raises(NotFoundError):
        client.threads("t").cancel_sync()


# -- headers ------------------------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def sync(self) -> dict[str, str]:
        self.calls += 1
        return {"Authorization": f"Bearer sync-{self.calls}"}

    async def async_(self) -> dict[str, str]:
        self.calls += 1
        return {"Authorization": f"Bearer async-{self.calls}"}


RETRY_THEN_OK = [httpx.Response(503, headers={"Retry-After": "0"}, text="busy"), httpx.Response(200, content=OK_BODY, headers={"content-type": "text/plain"})]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_header_callable_in_chat_sync_called_once_per_attempt(mock: respx.MockRouter, kind: str) -> None:
    route = mock.post("/api/chat").mock(side_effect=list(RETRY_THEN_OK))
    counter = Counter()
    headers = counter.sync if kind == "sync" else counter.async_
    with AssistantClient(base_url=BASE, headers=headers) as client:
        assert client.threads("t").chat_sync(messages=[user("a")]).text == "ok"
    assert counter.calls == 2
    assert [c.request.headers["authorization"] for c in route.calls] == [f"Bearer {kind}-1", f"Bearer {kind}-2"]


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_header_callable_in_chat_called_once_per_attempt(mock: respx.MockRouter, kind: str) -> None:
    route = mock.post("/api/chat").mock(side_effect=list(RETRY_THEN_OK))
    counter = Counter()
    headers = counter.sync if kind == "sync" else counter.async_
    async with AssistantClient(base_url=BASE, headers=headers) as client:
        assert (await client.threads("t").chat(messages=[user("a")])).text == "ok"
    assert counter.calls == 2
    assert [c.request.headers["authorization"] for c in route.calls] == [f"Bearer {kind}-1", f"Bearer {kind}-2"]


@pytest.mark.anyio
async def test_async_header_callable_inside_a_running_loop_sync_call(mock: respx.MockRouter) -> None:
    """chat_sync called from async code (a notebook): the async callable still works."""
    mock.post("/api/chat").mock(side_effect=ok)
    counter = Counter()
    with AssistantClient(base_url=BASE, headers=counter.async_) as client:
        assert client.threads("t").chat_sync(messages=[user("a")]).text == "ok"
    assert counter.calls == 1


def test_header_callable_returning_a_bad_value(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=ok)
    with AssistantClient(base_url=BASE, headers=lambda: {"X-Num": 5}) as client:  # type: ignore[arg-type,dict-item]
        with pytest.raises(TypeError):
            client.threads("t").chat_sync(messages=[user("a")])
    assert route.call_count == 0


def test_static_headers_and_401(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(return_value=httpx.Response(401, json={"error": "bad token"}))
    with AssistantClient(base_url=BASE, headers={"Authorization": "Bearer secret-token"}) as client:
        with pytest.raises(AuthenticationError) as info:
            client.threads("t").chat_sync(messages=[user("a")])
    assert route.call_count == 1  # 401 is not retried
    assert "secret-token" not in str(info.value)
    assert "secret-token" not in repr(client)


# -- ChatResult.json() --------------------------------------------------------------------------------

COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
}


@pytest.mark.parametrize("document", [COMPLETION, {"answer": 42}, [1, 2], None])
def test_json_returns_the_backends_json_document(mock: respx.MockRouter, document: Any) -> None:
    mock.post("/api/chat").mock(return_value=httpx.Response(200, content=json.dumps(document).encode(), headers={"content-type": "application/json"}))
    with AssistantClient(base_url=BASE) as client:
        result = client.threads("t").chat_sync(messages=[user("a")])
    assert result.json() == document
    if document is COMPLETION:
        assert result.protocol == "openai"
        assert result.text == "Hi"


@pytest.mark.anyio
async def test_json_of_a_streamed_answer_is_the_message(mock: respx.MockRouter) -> None:
    mock.post("/api/chat").mock(side_effect=ok)
    async with AssistantClient(base_url=BASE) as client:
        result = await client.threads("t").chat(messages=[user("a")])
    assert result.json() == result.message
    assert result.json()["content"] == [{"type": "text", "text": "ok"}]
