"""Status errors, retries before the first body byte, and cuts mid-body (docs/api.md §9)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from assistant_ui import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AssistantClient,
    AssistantUIError,
    AuthenticationError,
    BadRequestError,
    ChatResult,
    ConflictError,
    DecodeError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    UnprocessableEntityError,
)
from assistant_ui._call.retry import RetryPolicy, parse_retry_after
from assistant_ui._call.status_errors import make_status_error, status_error_class
from assistant_ui.messages import user
from assistant_ui.testing import serve as serve_app

BASE = "http://backend.test"
OK = httpx.Response(200, content=b'0:"ok"\n', headers={"content-type": "text/plain"})
MESSAGES = [user("hi")]


def fast(client: AssistantClient) -> AssistantClient:
    """Keep the backoff of the retry tests short (the policy itself is tested below)."""
    client.retry = RetryPolicy(client.retry.max_retries, base_delay=0.001, max_delay=0.01)
    return client


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def ok_copy() -> httpx.Response:
    return httpx.Response(200, content=b'0:"ok"\n', headers={"content-type": "text/plain"})


# -- the hierarchy ----------------------------------------------------------------------------------


def test_hierarchy() -> None:
    assert issubclass(APIError, AssistantUIError)
    assert issubclass(APIStatusError, APIError)
    assert issubclass(APIConnectionError, APIError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(StreamError, APIError)
    assert issubclass(DecodeError, AssistantUIError)
    assert not issubclass(DecodeError, APIError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (599, InternalServerError),
        (418, APIStatusError),
        (405, APIStatusError),
    ],
)
def test_status_classes(status: int, cls: type[APIStatusError]) -> None:
    assert status_error_class(status) is cls
    response = httpx.Response(status, request=httpx.Request("POST", BASE))
    err = make_status_error(response, '{"error": "x"}')
    assert type(err) is cls
    assert err.status_code == status
    assert err.response is response
    assert err.body == {"error": "x"}
    assert str(status) in str(err)


# -- status errors through the client ------------------------------------------------------------------


@pytest.mark.parametrize(("status", "cls"), [(401, AuthenticationError), (404, NotFoundError), (400, BadRequestError), (422, UnprocessableEntityError)])
def test_non_retryable_status_sync(mock: respx.MockRouter, status: int, cls: type[APIStatusError]) -> None:
    route = mock.post("/api/chat").mock(return_value=httpx.Response(status, json={"detail": "nope"}, headers={"Retry-After": "0"}))
    with fast(AssistantClient(base_url=BASE)) as client, pytest.raises(cls) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert route.call_count == 1
    err = info.value
    assert err.status_code == status
    assert err.body == {"detail": "nope"}
    assert err.response.status_code == status
    assert err.request is not None and err.request.url == BASE + "/api/chat"
    assert err.partial is None


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "cls"), [(401, AuthenticationError), (404, NotFoundError)])
async def test_non_retryable_status_async(mock: respx.MockRouter, status: int, cls: type[APIStatusError]) -> None:
    route = mock.post("/api/chat").mock(return_value=httpx.Response(status, text="plain words"))
    async with fast(AssistantClient(base_url=BASE)) as client:
        with pytest.raises(cls) as info:
            await client.threads("t").chat(messages=MESSAGES)
    assert route.call_count == 1
    assert info.value.body == "plain words"
    assert "plain words" in str(info.value)


def test_body_excerpt_is_truncated(mock: respx.MockRouter) -> None:
    mock.post("/api/chat").mock(return_value=httpx.Response(400, text="A" * 300 + "B" * 2000))
    with AssistantClient(base_url=BASE) as client, pytest.raises(BadRequestError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    message = str(info.value)
    assert "A" * 300 + "B" * 200 in message
    assert "B" * 1900 not in message
    assert "1800 more characters" in message
    assert len(message) < 700
    assert info.value.body == "A" * 300 + "B" * 2000  # the whole body is still there


def test_huge_error_body_is_bounded(mock: respx.MockRouter) -> None:
    mock.post("/api/chat").mock(return_value=httpx.Response(500, content=b"x" * (1024 * 1024)))
    with fast(AssistantClient(base_url=BASE, max_retries=0)) as client, pytest.raises(InternalServerError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert len(info.value.body) <= 64 * 1024


@pytest.mark.parametrize("status", [429, 503, 500, 502, 504, 408, 409])
def test_retryable_status_then_success_sync(mock: respx.MockRouter, status: int) -> None:
    route = mock.post("/api/chat").mock(side_effect=[httpx.Response(status, headers={"Retry-After": "0"}), ok_copy()])
    with AssistantClient(base_url=BASE) as client:
        result = client.threads("t").chat_sync(messages=MESSAGES)
    assert result.text == "ok"
    assert route.call_count == 2


@pytest.mark.anyio
@pytest.mark.parametrize("status", [429, 503])
async def test_retryable_status_then_success_async(mock: respx.MockRouter, status: int) -> None:
    route = mock.post("/api/chat").mock(side_effect=[httpx.Response(status, headers={"Retry-After": "0"}), ok_copy()])
    async with AssistantClient(base_url=BASE) as client:
        result = await client.threads("t").chat(messages=MESSAGES)
    assert result.text == "ok"
    assert route.call_count == 2


def test_retry_after_is_honoured(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=[httpx.Response(429, headers={"Retry-After": "0.3"}), ok_copy()])
    started = time.monotonic()
    with fast(AssistantClient(base_url=BASE)) as client:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert time.monotonic() - started >= 0.3
    assert route.call_count == 2


def test_500_three_times_gives_internal_server_error_after_3_attempts(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(return_value=httpx.Response(500, json={"error": "down"}))
    with fast(AssistantClient(base_url=BASE, max_retries=2)) as client, pytest.raises(InternalServerError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert route.call_count == 3
    assert info.value.status_code == 500
    assert info.value.body == {"error": "down"}


@pytest.mark.anyio
async def test_500_three_times_async(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(return_value=httpx.Response(500))
    async with fast(AssistantClient(base_url=BASE, max_retries=2)) as client:
        with pytest.raises(InternalServerError):
            await client.threads("t").chat(messages=MESSAGES)
    assert route.call_count == 3


def test_max_retries_zero(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(return_value=httpx.Response(503))
    with AssistantClient(base_url=BASE, max_retries=0) as client, pytest.raises(InternalServerError):
        client.threads("t").chat_sync(messages=MESSAGES)
    assert route.call_count == 1


def test_connection_error_is_retried_sync(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=[httpx.ConnectError("refused"), ok_copy()])
    with fast(AssistantClient(base_url=BASE)) as client:
        assert client.threads("t").chat_sync(messages=MESSAGES).text == "ok"
    assert route.call_count == 2


@pytest.mark.anyio
async def test_connection_error_is_retried_async(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=[httpx.ConnectError("refused"), httpx.ReadError("reset"), ok_copy()])
    async with fast(AssistantClient(base_url=BASE)) as client:
        assert (await client.threads("t").chat(messages=MESSAGES)).text == "ok"
    assert route.call_count == 3


def test_connection_error_gives_up(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=httpx.ConnectError("refused"))
    with fast(AssistantClient(base_url=BASE, max_retries=1)) as client, pytest.raises(APIConnectionError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert route.call_count == 2
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.partial is None


@pytest.mark.anyio
async def test_timeout_gives_api_timeout_error(mock: respx.MockRouter) -> None:
    route = mock.post("/api/chat").mock(side_effect=httpx.ConnectTimeout("slow"))
    async with fast(AssistantClient(base_url=BASE, max_retries=1)) as client:
        with pytest.raises(APITimeoutError):
            await client.threads("t").chat(messages=MESSAGES)
    assert route.call_count == 2


def test_real_refused_connection() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the with block ends: nothing listens
    with fast(AssistantClient(base_url=f"http://127.0.0.1:{port}", max_retries=1)) as client:
        with pytest.raises(APIConnectionError):
            client.threads("t").chat_sync(messages=MESSAGES)


# -- the retry policy -------------------------------------------------------------------------------------


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(5, base_delay=0.5, max_delay=8.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jitter


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": future}) or 0) <= 31
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0


def test_retry_after_is_used_within_its_cap() -> None:
    policy = RetryPolicy(2, max_retry_after=60)
    assert policy.delay(0, httpx.Headers({"Retry-After": "7"})) == 7.0
    # an absurd Retry-After falls back to the backoff
    assert policy.delay(0, httpx.Headers({"Retry-After": "3600"})) <= 0.5
    assert policy.delay(0, httpx.Headers({"Retry-After": "-1"})) <= 0.5


def test_which_statuses_are_retried() -> None:
    policy = RetryPolicy(2)
    for status in (408, 409, 429, 500, 502, 503, 504, 599):
        assert policy.should_retry_status(status, 0)
        assert not policy.should_retry_status(status, 2)
    for status in (400, 401, 403, 404, 422):
        assert not policy.should_retry_status(status, 0)
    with pytest.raises(ValueError):
        RetryPolicy(-1)


def test_an_aws_throttling_400_is_retried_and_another_400_is_not() -> None:
    from assistant_ui._call.decisions import HeadVerdict, judge_head

    def verdict(status: int, headers: dict[str, str], attempt: int = 0) -> HeadVerdict:
        return judge_head(
            status, headers, protocol_forced=False, policy=RetryPolicy(2), attempt=attempt,
            auth_retried=False, refresh_auth=lambda: False,
        )

    throttled = {"x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"}
    assert verdict(400, throttled) is HeadVerdict.RETRY
    assert verdict(400, {"x-amzn-errortype": "TooManyRequestsException"}) is HeadVerdict.RETRY
    assert verdict(400, throttled, attempt=2) is HeadVerdict.FAIL
    assert verdict(400, {"x-amzn-errortype": "ValidationException"}) is HeadVerdict.FAIL
    assert verdict(400, {}) is HeadVerdict.FAIL
    assert verdict(403, throttled) is HeadVerdict.FAIL  # the header counts on a 400 only


# -- cut mid-body: APIConnectionError with the partial result, never retried -------------------------------


class CutSync(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        yield b'f:{"messageId": "m1"}\n0:"partial "\n'
        yield b'0:"text"\nb:{"toolCallId": "c1", "toolName": "t"}\nc:{"toolCallId": "c1", "argsTextDelta": "{\\"a\\": 1"}\n'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class CutAsync(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in CutSync():
            yield chunk


def check_partial(partial: ChatResult | None) -> None:
    assert partial is not None
    assert partial.text == "partial text"
    assert partial.message["id"] == "m1"
    assert partial.message["content"][1] == {"type": "tool-call", "toolCallId": "c1", "toolName": "t", "args": {"a": 1}, "argsText": '{"a": 1'}
    assert partial.status["type"] == "incomplete"
    assert partial.status["reason"] == "error"
    assert partial.status["error"]["code"] == "connection-error"
    assert partial.response is not None and partial.response.status_code == 200


def test_cut_mid_body_sync() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, headers={"content-type": "text/plain"}, stream=CutSync())

    with fast(AssistantClient(base_url=BASE, transport=httpx.MockTransport(handler))) as client:
        with pytest.raises(APIConnectionError) as info:
            client.threads("t").chat_sync(messages=MESSAGES)
    assert not isinstance(info.value, StreamError)
    check_partial(info.value.partial)
    assert len(calls) == 1  # never retried mid-stream
    # the body's byte stream is read directly: httpx's exception still names its request
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert info.value.__cause__.request is calls[0]


@pytest.mark.anyio
async def test_cut_mid_body_async() -> None:
    calls = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, headers={"content-type": "text/plain"}, stream=CutAsync())

    async with fast(AssistantClient(base_url=BASE, transport=httpx.MockTransport(handler))) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.threads("t").chat(messages=MESSAGES)
    check_partial(info.value.partial)
    assert len(calls) == 1
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert info.value.__cause__.request is calls[0]


def test_cut_mid_body_while_streaming_keeps_the_events_seen() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/plain"}, stream=CutSync())

    with AssistantClient(base_url=BASE, transport=httpx.MockTransport(handler)) as client:
        seen: list[Any] = []
        with pytest.raises(APIConnectionError) as info:
            with client.threads("t").stream_sync(messages=MESSAGES) as stream:
                for event in stream:
                    seen.append(event)
    assert [e["type"] for e in seen][:3] == ["step-start", "text-delta", "text-delta"]
    assert info.value.partial is not None
    assert info.value.partial.events[: len(seen)] == seen


async def _cut_body() -> AsyncIterator[bytes]:
    yield b'0:"partial "\n'
    yield b'0:"text"\n'
    raise RuntimeError("server died")


def _server_app() -> Starlette:
    async def cut(request: Request) -> Response:
        return StreamingResponse(_cut_body(), media_type="text/plain")

    async def error_then_cut(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield b'0:"partial"\n3:"backend exploded"\n'
            raise RuntimeError("and died")

        return StreamingResponse(body(), media_type="text/plain")

    async def bad_json(request: Request) -> Response:
        return Response(b'{"object": "chat.completion", "choices": [', media_type="application/json")

    return Starlette(
        routes=[
            Route("/cut/api/chat", cut, methods=["POST"]),
            Route("/error-cut/api/chat", error_then_cut, methods=["POST"]),
            Route("/bad-json/api/chat", bad_json, methods=["POST"]),
        ]
    )


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with serve_app(_server_app(), lifespan="off") as url:
        yield url


def test_real_server_cut_mid_body_sync(server_url: str) -> None:
    with AssistantClient(base_url=f"{server_url}/cut") as client, pytest.raises(APIConnectionError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    partial = info.value.partial
    assert partial is not None and partial.text == "partial text"
    assert partial.status["error"]["code"] == "connection-error"


@pytest.mark.anyio
async def test_real_server_cut_mid_body_async(server_url: str) -> None:
    async with AssistantClient(base_url=f"{server_url}/cut") as client:
        with pytest.raises(APIConnectionError) as info:
            await client.threads("t").chat(messages=MESSAGES)
    partial = info.value.partial
    assert partial is not None and partial.text == "partial text"


@pytest.mark.anyio
async def test_error_event_then_cut_is_a_stream_error(server_url: str) -> None:
    async with AssistantClient(base_url=f"{server_url}/error-cut") as client:
        with pytest.raises(StreamError) as info:
            await client.threads("t").chat(messages=MESSAGES)
    partial = info.value.partial
    assert partial is not None and partial.text == "partial"
    assert partial.status == {"type": "incomplete", "reason": "error", "error": {"code": "unknown", "message": "backend exploded"}}
    assert "backend exploded" in str(info.value)


def test_invalid_json_document_is_a_decode_error(server_url: str) -> None:
    with AssistantClient(base_url=f"{server_url}/bad-json") as client, pytest.raises(DecodeError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert info.value.protocol == "json"
    assert info.value.partial is not None


# -- in-band errors -------------------------------------------------------------------------------------------


def test_stream_error_carries_the_partial_result(mock: respx.MockRouter) -> None:
    body = b'0:"half"\n3:"model overloaded"\n'
    mock.post("/api/chat").mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/plain"}))
    with AssistantClient(base_url=BASE) as client, pytest.raises(StreamError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert info.value.partial is not None
    assert info.value.partial.text == "half"
    assert info.value.partial.status["error"] == {"code": "unknown", "message": "model overloaded"}


@pytest.mark.anyio
async def test_stream_error_code_from_assistant_transport(mock: respx.MockRouter) -> None:
    body = b'data: {"type": "error", "error": "quota", "code": "rate_limited"}\n\ndata: [DONE]\n\n'
    mock.post("/api/chat").mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    async with AssistantClient(base_url=BASE) as client:
        with pytest.raises(StreamError) as info:
            await client.threads("t").chat(messages=MESSAGES)
    assert info.value.code == "rate_limited"


# -- error messages stay bounded and free of credentials --------------------------------------------------


@pytest.mark.timeout(15)
def test_huge_word_run_body_does_not_stall_the_error_path(mock: respx.MockRouter) -> None:
    mock.post("/api/chat").mock(return_value=httpx.Response(400, text="x" * 60_000))
    with AssistantClient(base_url=BASE) as client, pytest.raises(BadRequestError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert "59500 more characters" in str(info.value)


def test_secret_across_the_excerpt_cut_is_not_half_quoted(mock: respx.MockRouter) -> None:
    token = "sk-live-" + "s" * 40
    mock.post("/api/chat").mock(return_value=httpx.Response(401, text="a" * 480 + f"bad token {token} rejected"))
    with AssistantClient(base_url=BASE, headers={"Authorization": f"Bearer {token}"}) as client:
        with pytest.raises(AuthenticationError) as info:
            client.threads("t").chat_sync(messages=MESSAGES)
    assert "sk-live" not in str(info.value)
    assert "more characters" in str(info.value)


@pytest.mark.timeout(15)
def test_long_in_band_error_message_is_bounded(mock: respx.MockRouter) -> None:
    body = b'0:"a"\n3:"' + b"y" * 100_000 + b'"\n'
    mock.post("/api/chat").mock(return_value=httpx.Response(200, content=body, headers={"content-type": "text/plain"}))
    with AssistantClient(base_url=BASE) as client, pytest.raises(StreamError) as info:
        client.threads("t").chat_sync(messages=MESSAGES)
    assert len(str(info.value)) < 2100
    assert info.value.partial is not None
    assert len(info.value.partial.status["error"]["message"]) == 100_000
