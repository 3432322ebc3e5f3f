"""``assistant_ui.auth``: header shapes, OAuth2 client credentials, secrets kept out of sight.

The OAuth2 tests run a token endpoint and a chat endpoint on 127.0.0.1 (a Starlette
app on uvicorn in a thread, ephemeral port); the header-shape tests mock the chat
endpoint with respx.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import anyio
import httpx
import pytest
import respx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from assistant_ui import AssistantClient, AuthenticationError, user
from assistant_ui.auth import (
    OAuth2ClientCredentials,
    OAuth2Error,
    api_key,
    basic,
    bearer,
)
from assistant_ui.errors import APIConnectionError

pytestmark = pytest.mark.timeout(60)

CLIENT_ID = "client-1"
SECRET = "s3cr3t:/+ x-CANARY"  # characters that RFC 6749 §2.3.1 form-encodes
DATA_STREAM = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}


# -- a token endpoint and a chat endpoint on loopback -------------------------------------------


class AuthServer:
    def __init__(self) -> None:
        self.token_requests: list[dict[str, Any]] = []
        self.chat_auth: list[str] = []
        self.expires_in: Any = 3600
        self.token_delay = 0.0
        self.rejected: set[str] = set()  # tokens the chat endpoint refuses
        self.reject_all = False
        self.token_status = 200
        self.token_body: Any = None  # overrides the token response when set
        self.base_url = ""
        self._lock = threading.Lock()
        self._issued = 0

    def app(self) -> Starlette:
        async def token(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode()))
            auth = request.headers.get("authorization", "")
            with self._lock:
                self.token_requests.append({"form": form, "authorization": auth})
            if self.token_delay:
                await asyncio.sleep(self.token_delay)
            scheme, _, encoded = auth.partition(" ")
            decoded = base64.b64decode(encoded).decode() if scheme == "Basic" else ""
            client_id, _, secret = decoded.partition(":")
            if (unquote_plus(client_id), unquote_plus(secret)) != (CLIENT_ID, SECRET):
                # a careless endpoint that echoes what it got
                return JSONResponse(
                    {"error": "invalid_client", "error_description": f"bad secret {unquote_plus(secret)}"},
                    status_code=401,
                )
            if self.token_body is not None:
                return PlainTextResponse(self.token_body, status_code=self.token_status)
            with self._lock:
                self._issued += 1
                value = f"tok-{self._issued}"
            body: dict[str, Any] = {"access_token": value, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return JSONResponse(body)

        async def chat(request: Request) -> Response:
            auth = request.headers.get("authorization", "")
            with self._lock:
                self.chat_auth.append(auth)
            token = auth.removeprefix("Bearer ")
            if self.reject_all or token in self.rejected or not token.startswith("tok-"):
                # the body echoes the request's credentials
                return JSONResponse({"error": "unauthorized", "you_sent": auth}, status_code=401)
            return Response(f"0:{json.dumps('ok ' + token)}\n", headers=DATA_STREAM)

        return Starlette(
            routes=[
                Route("/oauth/token", token, methods=["POST"]),
                Route("/api/chat", chat, methods=["POST"]),
            ]
        )

    def auth(self, **kwargs: Any) -> OAuth2ClientCredentials:
        kwargs.setdefault("scope", ["read", "write"])
        return OAuth2ClientCredentials(f"{self.base_url}/oauth/token", CLIENT_ID, SECRET, **kwargs)

    def client(self, auth: Any) -> AssistantClient:
        return AssistantClient(self.base_url, headers=auth, max_retries=0)


@contextlib.contextmanager
def _serve(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http="h11", lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    end = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < end and thread.is_alive(), "the server did not start"
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture(scope="module")
def _server_url() -> Iterator[tuple[AuthServer, str]]:
    holder = AuthServer()
    with _serve(holder.app()) as url:
        yield holder, url


@pytest.fixture
def server(_server_url: tuple[AuthServer, str]) -> AuthServer:
    """A fresh state on the shared server."""
    holder, url = _server_url
    holder.__init__()  # type: ignore[misc]
    holder.base_url = url
    return holder


# -- OAuth2: fetch, cache, expiry -------------------------------------------------------------------


def test_oauth2_fetches_once_and_caches_sync(server: AuthServer) -> None:
    client = server.client(server.auth())
    thread = client.threads("t1")
    assert thread.chat_sync(messages=[user("hi")]).text == "ok tok-1"
    assert thread.chat_sync(messages=[user("again")]).text == "ok tok-1"
    assert len(server.token_requests) == 1
    request = server.token_requests[0]
    assert request["form"] == {"grant_type": "client_credentials", "scope": "read write"}
    # client authentication: HTTP Basic over the form-urlencoded id and secret
    encoded = request["authorization"].removeprefix("Basic ")
    assert base64.b64decode(encoded).decode() == "client-1:s3cr3t%3A%2F%2B+x-CANARY"
    assert server.chat_auth == ["Bearer tok-1", "Bearer tok-1"]
    client.close_sync()


@pytest.mark.anyio
async def test_oauth2_fetches_once_and_caches_async(server: AuthServer) -> None:
    async with server.client(server.auth(scope=None)) as client:
        thread = client.threads("t1")
        assert (await thread.chat(messages=[user("hi")])).text == "ok tok-1"
        assert (await thread.chat(messages=[user("hi")])).text == "ok tok-1"
    assert len(server.token_requests) == 1
    assert server.token_requests[0]["form"] == {"grant_type": "client_credentials"}


def test_oauth2_refreshes_before_expiry(server: AuthServer) -> None:
    # expires_in=2 with the default 30 s margin: the margin is capped at half the
    # lifetime, so the token is used for 1 s, then replaced
    server.expires_in = 2
    client = server.client(server.auth())
    thread = client.threads("t1")
    assert thread.chat_sync().text == "ok tok-1"
    assert thread.chat_sync().text == "ok tok-1"
    time.sleep(1.2)
    assert thread.chat_sync().text == "ok tok-2"
    assert len(server.token_requests) == 2
    client.close_sync()


def test_oauth2_refresh_margin_and_string_expiry(server: AuthServer) -> None:
    server.expires_in = "1"  # some servers send a string
    client = server.client(server.auth(refresh_margin=0))
    thread = client.threads("t1")
    assert thread.chat_sync().text == "ok tok-1"
    time.sleep(0.3)
    assert thread.chat_sync().text == "ok tok-1"
    time.sleep(0.9)
    assert thread.chat_sync().text == "ok tok-2"
    client.close_sync()


def test_oauth2_without_expires_in_keeps_the_token(server: AuthServer) -> None:
    server.expires_in = None
    client = server.client(server.auth())
    thread = client.threads("t1")
    for _ in range(3):
        assert thread.chat_sync().text == "ok tok-1"
    assert len(server.token_requests) == 1
    client.close_sync()


# -- OAuth2: concurrent first use ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_oauth2_concurrent_async_requests_fetch_once(server: AuthServer) -> None:
    server.token_delay = 0.3
    results: list[str] = []
    async with server.client(server.auth()) as client:

        async def one(i: int) -> None:
            result = await client.threads(f"t{i}").chat(messages=[user("hi")])
            results.append(result.text)

        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(one, i)
    assert results == ["ok tok-1"] * 20
    assert len(server.token_requests) == 1


def test_oauth2_concurrent_threads_fetch_once(server: AuthServer) -> None:
    server.token_delay = 0.3
    client = server.client(server.auth())
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            barrier.wait()
            results.append(client.threads(f"t{i}").chat_sync().text)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert results == ["ok tok-1"] * 8
    assert len(server.token_requests) == 1
    client.close_sync()


def test_oauth2_one_helper_across_event_loops(server: AuthServer) -> None:
    """Each loop gets its own lock: the helper works across asyncio.run calls and trio."""
    auth = server.auth(refresh_margin=0)
    client = server.client(auth)

    async def chat() -> str:
        result = await client.threads("t").chat()
        await client.close()
        return result.text

    server.expires_in = 0.2
    texts = []
    for backend in ("asyncio", "trio", "asyncio"):
        texts.append(anyio.run(chat, backend=backend))
        time.sleep(0.25)
    assert texts == ["ok tok-1", "ok tok-2", "ok tok-3"]


# -- OAuth2: 401 -> refresh and retry once ---------------------------------------------------------------


def test_oauth2_refreshes_once_on_401_sync(server: AuthServer) -> None:
    server.rejected = {"tok-1"}  # revoked behind the client's back
    client = server.client(server.auth())
    assert client.threads("t").chat_sync().text == "ok tok-2"
    assert server.chat_auth == ["Bearer tok-1", "Bearer tok-2"]
    assert len(server.token_requests) == 2
    client.close_sync()


@pytest.mark.anyio
async def test_oauth2_refreshes_once_on_401_async(server: AuthServer) -> None:
    server.rejected = {"tok-1"}
    async with server.client(server.auth()) as client:
        assert (await client.threads("t").chat()).text == "ok tok-2"
    assert server.chat_auth == ["Bearer tok-1", "Bearer tok-2"]
    assert len(server.token_requests) == 2


def test_oauth2_gives_up_after_one_refresh(server: AuthServer) -> None:
    server.reject_all = True
    client = server.client(server.auth())
    with pytest.raises(AuthenticationError) as info:
        client.threads("t").chat_sync()
    assert info.value.status_code == 401
    assert server.chat_auth == ["Bearer tok-1", "Bearer tok-2"]
    # the body echoed the token: the message does not
    assert "tok-2" not in str(info.value) and "[redacted]" in str(info.value)
    client.close_sync()


@pytest.mark.anyio
async def test_static_headers_are_not_retried_on_401(server: AuthServer) -> None:
    async with server.client(bearer("wrong")) as client:
        with pytest.raises(AuthenticationError):
            await client.threads("t").chat()
    assert server.chat_auth == ["Bearer wrong"]


def test_invalidate_keeps_a_newer_token() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json={"access_token": f"tok-{calls}", "expires_in": 3600})

    auth = OAuth2ClientCredentials(
        "https://auth.test/token", "id", "secret", http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    assert auth() == {"Authorization": "Bearer tok-1"}
    stale = {"Authorization": "Bearer tok-1"}
    auth.invalidate(stale)
    assert auth.sync_headers() == {"Authorization": "Bearer tok-2"}
    auth.invalidate(stale)  # a late 401 of a request that carried tok-1
    assert auth.sync_headers() == {"Authorization": "Bearer tok-2"}
    auth.invalidate()
    assert auth.sync_headers() == {"Authorization": "Bearer tok-3"}
    assert calls == 3


@pytest.mark.anyio
async def test_user_supplied_token_clients() -> None:
    seen: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        return httpx.Response(200, json={"access_token": "async-tok"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=("x", "y")) as http:
        auth = OAuth2ClientCredentials("https://auth.test/token", "id", "pw", async_http_client=http)
        assert await auth.async_headers() == {"Authorization": "Bearer async-tok"}
    # the client's own auth= did not replace the client credentials
    assert seen == ["Basic " + base64.b64encode(b"id:pw").decode()]


# -- OAuth2: failures never show the secret ------------------------------------------------------------------


def test_oauth2_bad_credentials(server: AuthServer) -> None:
    auth = OAuth2ClientCredentials(f"{server.base_url}/oauth/token", CLIENT_ID, "wrong-secret-CANARY")
    client = server.client(auth)
    with pytest.raises(OAuth2Error) as info:
        client.threads("t").chat_sync()
    exc = info.value
    assert isinstance(exc, AuthenticationError)
    assert exc.status_code == 401 and exc.error == "invalid_client"
    assert "invalid_client" in str(exc)
    for text in (str(exc), repr(exc), repr(auth), str(exc.body), str(exc.error_description)):
        assert "CANARY" not in text
    assert server.chat_auth == []  # no chat request without a token
    client.close_sync()


@pytest.mark.anyio
async def test_oauth2_token_endpoint_answers_nonsense(server: AuthServer) -> None:
    auth = server.auth()
    server.token_status = 500
    server.token_body = f"crash: client_secret={SECRET} " + "x" * 1000
    with pytest.raises(OAuth2Error) as info:
        await auth.async_headers()
    assert "HTTP 500" in str(info.value)
    assert "CANARY" not in str(info.value) and len(str(info.value)) < 400
    server.token_status = 200
    server.token_body = '{"token_type": "bearer"}'
    with pytest.raises(OAuth2Error, match="without an access_token"):
        auth.sync_headers()


def test_oauth2_token_endpoint_unreachable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    auth = OAuth2ClientCredentials(f"http://127.0.0.1:{port}/token", "id", "pw-CANARY")
    with pytest.raises(APIConnectionError) as info:
        auth.sync_headers()
    assert "token request" in str(info.value) and "CANARY" not in str(info.value)

    async def fetch() -> None:
        await auth.async_headers()

    with pytest.raises(APIConnectionError):
        anyio.run(fetch)


def test_reprs_hide_secrets() -> None:
    assert repr(bearer("sk-CANARY")) == "bearer(****)"
    assert str(bearer("sk-CANARY")) == "bearer(****)"

    def get_token() -> str:
        return "sk-CANARY"

    assert repr(bearer(get_token)) == "bearer(<callable test_reprs_hide_secrets.<locals>.get_token>)"
    assert repr(api_key("sk-CANARY")) == "api_key(****, header='X-API-Key')"
    assert repr(basic("alice", "CANARY")) == "basic('alice', ****)"
    auth = OAuth2ClientCredentials("https://u:CANARY@auth.test/token", "id", "CANARY", scope="a b")
    assert "CANARY" not in repr(auth)
    assert repr(auth) == (
        "OAuth2ClientCredentials(token_url='https://u:[redacted]@auth.test/token', "
        "client_id='id', client_secret=****, scope='a b')"
    )
    client = AssistantClient("https://api.test", headers=bearer("sk-CANARY"))
    assert "CANARY" not in repr(client) and "CANARY" not in repr(client.threads("t"))


def test_helper_validation() -> None:
    with pytest.raises(ValueError):
        bearer("")
    with pytest.raises(ValueError):
        bearer("a\r\nX-Injected: 1")
    with pytest.raises(TypeError):
        bearer(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        api_key("k", header="Bad Header")
    with pytest.raises(ValueError):
        basic("a:b", "pw")
    with pytest.raises(ValueError):
        OAuth2ClientCredentials("ftp://x", "id", "pw")
    with pytest.raises(TypeError, match="returned for the bearer token") as info:
        bearer(lambda: None)()  # type: ignore[arg-type, return-value]
    assert "None" in str(info.value) or "NoneType" in str(info.value)


# -- header shapes, in chat and chat_sync ------------------------------------------------------------------


async def _async_token() -> str:
    await anyio.sleep(0)
    return "async-tok"


SHAPES = [
    (bearer("tok"), "authorization", "Bearer tok"),
    (bearer("Bearer tok"), "authorization", "Bearer tok"),
    (bearer(lambda: "sync-tok"), "authorization", "Bearer sync-tok"),
    (bearer(_async_token), "authorization", "Bearer async-tok"),
    (api_key("key-1"), "x-api-key", "key-1"),
    (api_key("key-2", header="api-key"), "api-key", "key-2"),
    (api_key(_async_token, header="X-Token"), "x-token", "async-tok"),
    (basic("alice", "pä:ss"), "authorization", "Basic " + base64.b64encode("alice:pä:ss".encode()).decode()),
]
IDS = ["bearer", "bearer-prefixed", "bearer-sync-callable", "bearer-async-callable", "api-key",
       "api-key-header", "api-key-async", "basic"]


@pytest.fixture
def chat_mock() -> Iterator[respx.Route]:
    with respx.mock(base_url="https://api.test", assert_all_called=False) as mock:
        yield mock.post("/api/chat").mock(
            return_value=httpx.Response(200, text='0:"ok"\n', headers=DATA_STREAM)
        )


@pytest.mark.parametrize(("auth", "header", "value"), SHAPES, ids=IDS)
def test_header_shapes_sync(chat_mock: respx.Route, auth: Any, header: str, value: str) -> None:
    with AssistantClient("https://api.test", headers=auth) as client:
        assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"
    assert chat_mock.calls.last.request.headers[header] == value


@pytest.mark.anyio
@pytest.mark.parametrize(("auth", "header", "value"), SHAPES, ids=IDS)
async def test_header_shapes_async(chat_mock: respx.Route, auth: Any, header: str, value: str) -> None:
    async with AssistantClient("https://api.test", headers=auth) as client:
        assert (await client.threads("t").chat(messages=[user("hi")])).text == "ok"
    assert chat_mock.calls.last.request.headers[header] == value


@pytest.mark.anyio
async def test_bearer_callable_is_called_per_request(chat_mock: respx.Route) -> None:
    counter = 0

    async def token() -> str:
        nonlocal counter
        counter += 1
        return f"tok-{counter}"

    async with AssistantClient("https://api.test", headers=bearer(token)) as client:
        await client.threads("t").chat()
        await client.threads("t").chat()
        client.threads("t").chat_sync()  # the async callable in sync mode
    sent = [call.request.headers["authorization"] for call in chat_mock.calls]
    assert sent == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]
