"""``assistant_ui.auth.token_file``: a token read from a JSON file, re-read when it changes.

The chat endpoint is mocked with respx (a real httpx client underneath); it refuses
the tokens listed in ``rejected`` with a 401, so the re-read after a 401 is seen.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from assistant_ui import AssistantClient, AssistantUIError, AuthenticationError, user
from assistant_ui.auth import TokenFileError, token_file

pytestmark = pytest.mark.timeout(60)

DATA_STREAM = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}
CANARY = "tok-CANARY-7f3a"


class Endpoint:
    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self.rejected: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization")
        self.seen.append(auth)
        if auth in self.rejected:
            return httpx.Response(401, json={"message": "expired"})
        return httpx.Response(200, text='0:"ok"\n', headers=DATA_STREAM)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    with respx.mock(base_url="https://api.test", assert_all_called=False) as mock:
        mock.post("/api/chat").mock(side_effect=ep)
        mock.post("/v1/chat/completions").mock(side_effect=ep)
        yield ep


def _write(path: Path, document: Any, *, mtime_ns: int | None = None) -> None:
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def _export(token: str) -> dict[str, Any]:
    """What ``q user export-token`` prints."""
    return {"accessToken": token, "refreshToken": "refresh-" + token, "expiresAt": "2030-01-01"}


def test_sends_the_token_as_bearer_and_rereads_a_changed_file(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    path = tmp_path / "tokens.json"
    _write(path, _export("first-token"), mtime_ns=1_000_000_000)
    with AssistantClient("https://api.test", headers=token_file(path)) as client:
        thread = client.threads("t")
        thread.chat_sync(messages=[user("a")])
        thread.chat_sync(messages=[user("b")])
        _write(path, _export("second-token-longer"), mtime_ns=2_000_000_000)
        thread.chat_sync(messages=[user("c")])
    assert endpoint.seen == ["Bearer first-token", "Bearer first-token", "Bearer second-token-longer"]


@pytest.mark.anyio
async def test_async_and_rereads_after_a_401(tmp_path: Path, endpoint: Endpoint) -> None:
    path = tmp_path / "tokens.json"
    _write(path, _export("old-token-1"), mtime_ns=5_000_000_000)
    auth = token_file(str(path))
    async with AssistantClient("https://api.test", headers=auth) as client:
        assert (await client.threads("t").chat(messages=[user("a")])).text == "ok"
        # the file is refreshed with the same size and timestamp (a coarse clock):
        # only the 401 tells that the token read is stale
        endpoint.rejected.add("Bearer old-token-1")
        _write(path, _export("new-token-2"), mtime_ns=5_000_000_000)
        assert (await client.threads("t").chat(messages=[user("b")])).text == "ok"
    assert endpoint.seen == ["Bearer old-token-1", "Bearer old-token-1", "Bearer new-token-2"]


def test_a_401_with_the_file_unchanged_is_an_authentication_error(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    path = tmp_path / "tokens.json"
    _write(path, _export(CANARY))
    endpoint.rejected.add(f"Bearer {CANARY}")
    with AssistantClient("https://api.test", headers=token_file(path)) as client:
        with pytest.raises(AuthenticationError) as info:
            client.threads("t").chat_sync(messages=[user("a")])
    assert len(endpoint.seen) == 2  # retried once, after reading the file again
    assert CANARY not in str(info.value) and CANARY not in repr(info.value)


def test_other_backends_header_and_scheme_options(tmp_path: Path, endpoint: Endpoint) -> None:
    path = tmp_path / "creds.json"
    _write(path, {"credentials": {"token": "Bearer nested-tok\n"}})
    with AssistantClient(
        "https://api.test", headers=token_file(path, "credentials.token"), api="openai", model="m"
    ) as client:
        client.threads("t").chat_sync(messages=[user("a")])
    assert endpoint.seen == ["Bearer nested-tok"]  # the prefix and the newline are not doubled

    _write(path, {"key": "raw-key-1"})
    auth = token_file(path, "key", header="X-API-Key", scheme=None)
    assert auth.sync_headers() == {"X-API-Key": "raw-key-1"}
    assert auth() == {"X-API-Key": "raw-key-1"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("", "is empty"),
        ("accessToken=" + CANARY, "is not valid JSON (line 1, column 1)"),
        (json.dumps([CANARY]), "holds a JSON array, not an object"),
        (json.dumps({"access_token": CANARY}), "has no 'accessToken' field"),
        (json.dumps({"accessToken": 12345}), "has a number in 'accessToken', not a string"),
        (json.dumps({"accessToken": CANARY + "\u00e9"}), "has an unusable 'accessToken'"),
        (json.dumps({"accessToken": CANARY + "\r\nX-Evil: 1"}), "has an unusable 'accessToken'"),
        (json.dumps({"accessToken": "  "}), "has an unusable 'accessToken'"),
        ("[" * 100_000 + CANARY, "is not"),  # nested 100k deep
    ],
    ids=["missing", "empty", "not-json", "array", "no-field", "number", "non-ascii", "crlf",
         "blank", "deep"],
)
def test_a_bad_file_is_a_clear_error_that_never_quotes_the_token(
    tmp_path: Path, endpoint: Endpoint, content: str | None, expected: str
) -> None:
    path = tmp_path / "tokens.json"
    if content is not None:
        _write(path, content)
    with AssistantClient("https://api.test", headers=token_file(path)) as client:
        with pytest.raises(TokenFileError) as info:
            client.threads("t").chat_sync(messages=[user("a")])
    error = info.value
    assert isinstance(error, AssistantUIError)
    assert str(path) in str(error) and expected in str(error)
    assert error.path == str(path)
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    for text in (str(error), repr(error), repr(error.args), shown):
        assert CANARY not in text  # nor in a chained JSONDecodeError
    assert endpoint.seen == []


@pytest.mark.anyio
async def test_a_missing_file_in_async_mode(tmp_path: Path, endpoint: Endpoint) -> None:
    path = tmp_path / "nope" / "tokens.json"
    async with AssistantClient("https://api.test", headers=token_file(path)) as client:
        with pytest.raises(TokenFileError, match="does not exist"):
            await client.threads("t").chat(messages=[user("a")])


def test_a_directory_and_a_huge_file(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="is a directory"):
        token_file(tmp_path).sync_headers()
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (1024 * 1024 + 10))
    with pytest.raises(TokenFileError, match="not a token file"):
        token_file(big).sync_headers()


def test_repr_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    _write(path, _export(CANARY))
    auth = token_file(path)
    auth.sync_headers()
    assert CANARY not in repr(auth)
    assert repr(auth) == f"token_file({str(path)!r}, field='accessToken')"
    with pytest.raises(ValueError):
        token_file(path, "")
    with pytest.raises(ValueError):
        token_file(path, header="Bad Header")
    with pytest.raises(TypeError):
        token_file(123)  # type: ignore[arg-type]


def test_a_file_caught_while_being_rewritten_is_read_again(tmp_path: Path) -> None:
    """``q user export-token > tokens.json`` truncates the file, then writes it: a
    request in between sees an empty file; the next read, once written, succeeds."""
    import threading
    import time

    path = tmp_path / "tokens.json"
    _write(path, _export("before-tok"), mtime_ns=1_000_000_000)
    auth = token_file(path)
    assert auth.sync_headers() == {"Authorization": "Bearer before-tok"}
    path.write_text("")  # truncated: the writer has not written yet

    def writer() -> None:
        time.sleep(0.01)
        _write(path, _export("after-tok"))

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert auth.sync_headers() == {"Authorization": "Bearer after-tok"}
    finally:
        thread.join()
