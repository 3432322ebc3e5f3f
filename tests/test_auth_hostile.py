"""A hostile OAuth2 token endpoint: whatever it answers, a token or a typed error.

The token endpoint and the chat endpoint are mocked with respx (real httpx clients
underneath); each case runs in sync and async mode (asyncio and trio).
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from assistant_ui import AssistantClient, AssistantUIError, AuthenticationError, user
from assistant_ui.auth import OAuth2ClientCredentials, OAuth2Error

pytestmark = pytest.mark.timeout(60)

TOKEN_URL = "https://auth.test/token"
DATA_STREAM = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}
CANARY = "CANARY-tok-91c2"


class Endpoints:
    def __init__(self) -> None:
        self.token_response: httpx.Response = httpx.Response(200, json={"access_token": "t"})
        self.chat_auth: list[str | None] = []

    def token(self, request: httpx.Request) -> httpx.Response:
        return self.token_response

    def chat(self, request: httpx.Request) -> httpx.Response:
        self.chat_auth.append(request.headers.get("authorization"))
        return httpx.Response(200, text='0:"ok"\n', headers=DATA_STREAM)


@pytest.fixture
def endpoints() -> Iterator[Endpoints]:
    ep = Endpoints()
    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN_URL).mock(side_effect=ep.token)
        mock.post("https://api.test/api/chat").mock(side_effect=ep.chat)
        yield ep


def _deep(depth: int = 100_000) -> bytes:
    return b'{"access_token": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE = [
    pytest.param(httpx.Response(200, content=_deep()), "without an access_token", id="deep-200"),
    pytest.param(
        httpx.Response(400, content=b'{"error": ' + b"{" * 100_000), "HTTP 400", id="deep-400"
    ),
    pytest.param(
        httpx.Response(200, json={"access_token": CANARY + "\u00e9\u4e2d"}),
        "unusable in a header",
        id="non-ascii",
    ),
    pytest.param(
        httpx.Response(200, json={"access_token": CANARY + "\x07"}),
        "unusable in a header",
        id="control",
    ),
    pytest.param(
        httpx.Response(200, json={"access_token": CANARY + "\r\nX-Injected: 1"}),
        "unusable in a header",
        id="crlf",
    ),
    pytest.param(
        httpx.Response(200, content=b'{"access_token": "' + b"a" * (2 * 1024 * 1024) + b'"}'),
        "answered more than",
        id="huge",
    ),
    pytest.param(
        httpx.Response(200, content=b"\xff\xfe not json", headers={"content-type":
                       "application/json; charset=no-such-codec"}),
        "without an access_token",
        id="bad-charset",
    ),
]


def _check(error: BaseException, expected: str) -> None:
    assert isinstance(error, OAuth2Error) and isinstance(error, AuthenticationError)
    assert expected in str(error)
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert CANARY not in shown and CANARY not in repr(error)
    assert "RecursionError" not in shown and "UnicodeEncodeError" not in shown


@pytest.mark.parametrize(("response", "expected"), HOSTILE)
def test_hostile_token_response_sync(endpoints: Endpoints, response: httpx.Response, expected: str) -> None:
    endpoints.token_response = response
    auth = OAuth2ClientCredentials(TOKEN_URL, "id", "secret-1")
    with AssistantClient("https://api.test", headers=auth) as client:
        with pytest.raises(AssistantUIError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    _check(info.value, expected)
    assert endpoints.chat_auth == []


@pytest.mark.anyio
@pytest.mark.parametrize(("response", "expected"), HOSTILE)
async def test_hostile_token_response_async(
    endpoints: Endpoints, response: httpx.Response, expected: str
) -> None:
    endpoints.token_response = response
    auth = OAuth2ClientCredentials(TOKEN_URL, "id", "secret-1")
    async with AssistantClient("https://api.test", headers=auth) as client:
        with pytest.raises(AssistantUIError) as info:
            await client.threads("t").chat(messages=[user("hi")])
    _check(info.value, expected)


@pytest.mark.parametrize(
    "expires_in",
    [10**400, -(10**400), "1e999", "nan", float("inf"), [1], {"a": 1}],
    ids=["huge-int", "huge-negative", "inf-text", "nan-text", "inf", "list", "object"],
)
def test_odd_expires_in_and_a_padded_token_still_work(endpoints: Endpoints, expires_in: Any) -> None:
    body = json.dumps({"access_token": "  tok-1 ", "expires_in": expires_in})
    endpoints.token_response = httpx.Response(200, content=body.encode())
    auth = OAuth2ClientCredentials(TOKEN_URL, "id", "secret-1")
    with AssistantClient("https://api.test", headers=auth) as client:
        assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"
    assert endpoints.chat_auth == ["Bearer tok-1"]  # the server's padding is not sent


def test_a_user_http_client_over_a_mock_transport() -> None:
    """The token fetch through the caller's own ``http_client`` (a MockTransport)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_deep())

    http = httpx.Client(transport=httpx.MockTransport(handler))
    auth = OAuth2ClientCredentials(TOKEN_URL, "id", "secret-1", http_client=http)
    with pytest.raises(OAuth2Error, match="without an access_token"):
        auth.sync_headers()
    http.close()
