"""Logging (the ``assistant_ui`` logger, ``ASSISTANT_UI_LOG``) and redaction.

A canary secret rides in every kind of credential header; every failure path we can
trigger (401 and 500 whose bodies echo the request headers, connection refused, a
timeout, a connection cut mid-stream, an in-band error event) must keep it out of
the log lines (captured at DEBUG, every logger), the exceptions (``str``, ``repr``,
the whole formatted chain) and the reprs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from assistant_ui import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantClient,
    AssistantUIError,
    AuthenticationError,
    InternalServerError,
    user,
)
from assistant_ui._call.status_errors import make_status_error
from assistant_ui._log import (
    REDACTED,
    RedactingFilter,
    is_sensitive_header,
    redact_headers,
    redact_text,
    secrets_from_headers,
)
from assistant_ui.auth import api_key, bearer

pytestmark = pytest.mark.timeout(60)

CANARY = "sk-CANARY-1234"
HEADERS = {
    "Authorization": f"Bearer {CANARY}",
    "X-API-Key": CANARY,
    "Cookie": f"session={CANARY}; theme=dark",
    "X-Session-Token": CANARY,
    "X-Request-Id": "req-1",
}
ROOT = Path(__file__).resolve().parents[1]


# -- a backend that echoes what it got ---------------------------------------------------------------


def _app() -> Starlette:
    async def echo_status(request: Request) -> Response:
        status = int(request.path_params["status"])
        headers = dict(request.headers)
        # JSON, then the same as raw header lines and as a Python repr
        lines = "\n".join(f"{k}: {v}" for k, v in request.headers.items())
        body = json.dumps({"error": "nope", "received_headers": headers}) + "\n" + lines + "\n" + repr(headers)
        return PlainTextResponse(body, status_code=status)

    async def stream_error(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        text = f'0:"partial "\n3:{json.dumps("upstream refused Authorization: " + auth)}\n'
        return Response(text, headers={"content-type": "text/plain", "x-vercel-ai-data-stream": "v1"})

    class Cut:  # a raw ASGI app: the response starts, then the app dies
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await _cut(send)

    async def _cut(send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"x-vercel-ai-data-stream", b"v1")]})
        await send({"type": "http.response.body", "body": b'0:"partial "\n', "more_body": True})
        raise RuntimeError("the backend died mid-stream")

    return Starlette(
        routes=[
            Route("/status/{status}/api/chat", echo_status, methods=["POST"]),
            Route("/stream-error/api/chat", stream_error, methods=["POST"]),
            Route("/cut/api/chat", Cut(), methods=["POST"]),
        ]
    )


@contextlib.contextmanager
def _serve(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http="h11", lifespan="off", log_level="critical", access_log=False)
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
def base_url() -> Iterator[str]:
    with _serve(_app()) as url:
        yield url


@pytest.fixture(scope="module")
def refused_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def silent_url() -> Iterator[str]:
    """Accepts connections (the backlog does) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def _assert_clean(caplog: pytest.LogCaptureFixture, *objects: Any) -> None:
    texts = [caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    for obj in objects:
        texts.append(repr(obj))
        texts.append(str(obj))
        if isinstance(obj, BaseException):
            texts.append("".join(traceback.format_exception(obj)))
            if isinstance(obj, APIStatusError):
                texts.append(getattr(obj, "message", ""))
    for text in texts:
        assert CANARY not in text, text
        assert "CANARY" not in text, text


def _client(url: str, **kwargs: Any) -> AssistantClient:
    kwargs.setdefault("max_retries", 1)
    return AssistantClient(url, headers=dict(HEADERS), **kwargs)


FAILURES = [
    ("/status/401", AuthenticationError),
    ("/status/500", InternalServerError),
    ("/status/404", APIStatusError),
]


@pytest.mark.parametrize(("path", "error"), FAILURES, ids=["401", "500", "404"])
def test_status_errors_sync(
    caplog: pytest.LogCaptureFixture, base_url: str, path: str, error: type[Exception]
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(base_url + path)
    thread = client.threads("t")
    with pytest.raises(error) as info:
        thread.chat_sync(messages=[user("hi")])
    assert REDACTED in str(info.value)
    assert "nope" in str(info.value)  # the rest of the body is still quoted
    _assert_clean(caplog, info.value, client, thread)
    assert "request POST" in caplog.text and "[redacted]" in caplog.text
    if path.endswith("500"):
        assert "retrying POST" in caplog.text
    client.close_sync()


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "error"), FAILURES, ids=["401", "500", "404"])
async def test_status_errors_async(
    caplog: pytest.LogCaptureFixture, base_url: str, path: str, error: type[Exception]
) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(base_url + path) as client:
        thread = client.threads("t")
        with pytest.raises(error) as info:
            await thread.chat(messages=[user("hi")])
        _assert_clean(caplog, info.value, client, thread)
    assert "request POST" in caplog.text


def test_connection_refused(caplog: pytest.LogCaptureFixture, refused_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(refused_url)
    with pytest.raises(APIConnectionError) as info:
        client.threads("t").chat_sync()
    _assert_clean(caplog, info.value, client)
    assert "retrying POST" in caplog.text and "request failed" in caplog.text


@pytest.mark.anyio
async def test_connection_refused_async(caplog: pytest.LogCaptureFixture, refused_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(refused_url) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.threads("t").chat()
    _assert_clean(caplog, info.value, client)


def test_timeout(caplog: pytest.LogCaptureFixture, silent_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(silent_url, timeout=0.3, max_retries=0)
    with pytest.raises(APITimeoutError) as info:
        client.threads("t").chat_sync()
    _assert_clean(caplog, info.value, client)
    client.close_sync()


@pytest.mark.anyio
async def test_timeout_async(caplog: pytest.LogCaptureFixture, silent_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(silent_url, timeout=0.3, max_retries=0) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.threads("t").chat()
    _assert_clean(caplog, info.value, client)


def test_cut_mid_stream(caplog: pytest.LogCaptureFixture, base_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("uvicorn.error").disabled = True  # the app's crash is expected
    try:
        client = _client(base_url + "/cut", resume=False)
        with pytest.raises(AssistantUIError) as info:
            client.threads("t").chat_sync()
    finally:
        logging.getLogger("uvicorn.error").disabled = False
    _assert_clean(caplog, info.value, client)
    assert "stream start" in caplog.text
    client.close_sync()


def test_stream_error_event_echoing_the_token(caplog: pytest.LogCaptureFixture, base_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(base_url + "/stream-error")
    with pytest.raises(AssistantUIError) as info:
        client.threads("t").chat_sync()
    _assert_clean(caplog, info.value, client)
    client.close_sync()


def test_auth_helpers_in_logs(caplog: pytest.LogCaptureFixture, base_url: str) -> None:
    caplog.set_level(logging.DEBUG)
    for auth in (bearer(CANARY), api_key(CANARY), api_key(CANARY, header="Api-Key")):
        client = AssistantClient(base_url + "/status/401", headers=auth, max_retries=0)
        with pytest.raises(AuthenticationError) as info:
            client.threads("t").chat_sync()
        _assert_clean(caplog, info.value, client, auth)
        client.close_sync()


def test_client_repr_and_thread_repr() -> None:
    client = AssistantClient("https://api.test", headers=dict(HEADERS))
    thread = client.threads("t")
    for text in (repr(client), str(client), repr(thread)):
        assert "CANARY" not in text


# -- the helpers -----------------------------------------------------------------------------------


def test_sensitive_header_names() -> None:
    for name in ("Authorization", "proxy-authorization", "X-API-Key", "api-key", "Cookie",
                 "Set-Cookie", "X-Auth-Token", "X-Client-Secret", "X-Goog-Api-Key", "x-amz-security-token"):
        assert is_sensitive_header(name), name
    for name in ("Content-Type", "Accept", "X-Request-Id", "User-Agent", "Host"):
        assert not is_sensitive_header(name), name
    assert redact_headers(HEADERS) == {
        "Authorization": REDACTED,
        "X-API-Key": REDACTED,
        "Cookie": REDACTED,
        "X-Session-Token": REDACTED,
        "X-Request-Id": "req-1",
    }
    assert redact_headers([(b"authorization", b"Bearer x")]) == {"authorization": REDACTED}


@pytest.mark.parametrize(
    "text",
    [
        f'{{"authorization": "Bearer {CANARY}"}}',
        f"{{'X-API-Key': '{CANARY}'}}",
        f"Authorization: Bearer {CANARY}\nHost: x",
        f"the upstream said: invalid bearer {CANARY}.",
        f"https://user:{CANARY}@example.com/x",
        f"https://example.com/x?access_token={CANARY}&page=2",
        f"grant_type=client_credentials&client_secret={CANARY}",
        f'{{"password":"{CANARY}"}}',
        f'{{"token": "{CANARY}", "escaped": "a\\"b"}}',
    ],
)
def test_redact_text_patterns(text: str) -> None:
    redacted = redact_text(text)
    assert CANARY not in redacted
    assert REDACTED in redacted


def test_redact_text_keeps_ordinary_text() -> None:
    for text in (
        '{"max_tokens": 100, "total_tokens": 7, "author": "Jane"}',
        "Basic authentication is not enabled",
        "HTTP 500 Internal Server Error: upstream exploded",
    ):
        assert redact_text(text) == text


def test_redact_known_secrets_verbatim() -> None:
    secrets = secrets_from_headers({"Authorization": f"Bearer {CANARY}", "Cookie": "a=cookie-value-1"})
    text = f"echo: [{CANARY!r}] and cookie-value-1 and BEARER {CANARY}"
    redacted = redact_text(text, secrets)
    assert CANARY not in redacted and "cookie-value-1" not in redacted
    import base64

    basic_value = "Basic " + base64.b64encode(b"alice:pw-CANARY").decode()
    secrets = secrets_from_headers({"Authorization": basic_value})
    assert "pw-CANARY" in secrets
    assert "CANARY" not in redact_text("user alice:pw-CANARY, password pw-CANARY", secrets)


def test_make_status_error_redacts_before_truncating() -> None:
    import httpx

    request = httpx.Request("POST", "https://api.test/api/chat", headers=HEADERS)
    body = "x" * 490 + CANARY + "y" * 100
    response = httpx.Response(500, request=request, text=body)
    exc = make_status_error(response, body)
    assert "CANARY" not in str(exc) and "sk-CAN" not in str(exc)


def test_redacting_filter(caplog: pytest.LogCaptureFixture) -> None:
    other = logging.getLogger("some.other.library")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    other.addHandler(handler)
    try:
        other.warning("sending headers %s", {"Authorization": f"Bearer {CANARY}"})
    finally:
        other.removeHandler(handler)
    assert seen and CANARY not in seen[0] and REDACTED in seen[0]


# -- ASSISTANT_UI_LOG ---------------------------------------------------------------------------------


_SCRIPT = f"""
import assistant_ui
from assistant_ui import AssistantClient
client = AssistantClient(URL, headers={HEADERS!r}, max_retries=1)
try:
    client.threads("t").chat_sync()
except assistant_ui.APIConnectionError as exc:
    print("raised", type(exc).__name__)
"""


def _run_script(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_UI_LOG"}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT.replace("URL", repr(url))],
        capture_output=True, text=True, timeout=30, env=full_env, cwd=ROOT,
    )


def test_env_debug_logs_to_stderr(refused_url: str) -> None:
    proc = _run_script(refused_url, ASSISTANT_UI_LOG="debug")
    assert proc.stdout.strip() == "raised APIConnectionError"
    err = proc.stderr
    assert "DEBUG assistant_ui: request POST" in err
    assert "INFO assistant_ui: retrying POST" in err
    assert "request failed" in err
    assert "'authorization': '[redacted]'" in err
    assert "CANARY" not in err


def test_env_info_and_unset(refused_url: str) -> None:
    proc = _run_script(refused_url, ASSISTANT_UI_LOG="INFO")
    assert "retrying POST" in proc.stderr and "DEBUG" not in proc.stderr
    proc = _run_script(refused_url)
    assert proc.stderr == ""
    proc = _run_script(refused_url, ASSISTANT_UI_LOG="loud")
    assert "ignoring ASSISTANT_UI_LOG" in proc.stderr


def test_logging_in_async_code_is_the_same(caplog: pytest.LogCaptureFixture, refused_url: str) -> None:
    caplog.set_level(logging.DEBUG, logger="assistant_ui")

    async def main() -> None:
        async with _client(refused_url, max_retries=0) as client:
            with pytest.raises(APIConnectionError):
                await client.threads("t").chat()

    anyio.run(main)
    assert [r.levelname for r in caplog.records if r.name == "assistant_ui"] == ["DEBUG", "DEBUG"]
    _assert_clean(caplog)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 65536,
        "token" * 13107,
        "key-" * 16384,
        '{"token": "' + "x" * 65536,
        'token: "' * 8192,
        "a://a:" * 10922,
        "Bearer " * 9362,
        '"' * 65536,
        "Authorization: Bearer abc.def\n" * 2184,
    ],
    ids=["letters", "names", "dashed-names", "unterminated", "many-unterminated", "schemes",
         "bearers", "quotes", "header-lines"],
)
def test_redaction_is_linear(text: str) -> None:
    """A hostile 64 KiB body (redacted in error messages and logs) takes milliseconds."""
    started = time.perf_counter()
    redact_text(text, [CANARY, "abc.def"])
    assert time.perf_counter() - started < 0.5
