"""Hostile servers (issue #17, round 2): only typed errors escape a call.

A server may answer anything: a ``Retry-After`` date no clock can hold, a
redirect loop, a redirect to a ``data:`` URL, a redirect hop or a cancel answer
whose gzip body is broken. Whatever it answers, the caller sees an
:class:`AssistantUIError` subclass, never one of :data:`NEVER_ESCAPE`.

Every case runs sync, and async under asyncio and trio, over a real httpx client
(``httpx.MockTransport`` answers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui import AssistantClient
from assistant_ui._call.retry import RetryPolicy, parse_retry_after
from assistant_ui.errors import APIConnectionError, APIStatusError, AssistantUIError
from assistant_ui.messages import user

pytestmark = pytest.mark.timeout(60)

#: what must never reach the caller of a chat or a cancel (the untyped escapes
#: issue #17 found, and their kin)
NEVER_ESCAPE: tuple[type[BaseException], ...] = (
    OverflowError,
    MemoryError,
    RuntimeError,
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    KeyError,
    TypeError,
    ValueError,
    UnicodeError,
)

MSGS = [user("Hi")]
BAD_DATE = "Mon, 01 Jan 2024 00:00:00 +9999999999999999999999"
DATA_STREAM = b'0:"ok"\nd:{"finishReason":"stop"}\n'

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, **kwargs: Any) -> AssistantClient:
    kwargs.setdefault("max_retries", 1)
    client = AssistantClient("http://backend.test", transport=httpx.MockTransport(handler), **kwargs)
    client.retry = RetryPolicy(client.retry.max_retries, base_delay=0.001, max_delay=0.01)
    return client


def async_client_for(handler: Handler, **kwargs: Any) -> AssistantClient:
    async def ahandler(request: httpx.Request) -> httpx.Response:
        return handler(request)

    kwargs.setdefault("max_retries", 1)
    client = AssistantClient("http://backend.test", transport=httpx.MockTransport(ahandler), **kwargs)
    client.retry = RetryPolicy(client.retry.max_retries, base_delay=0.001, max_delay=0.01)
    return client


def chat_outcome_sync(client: AssistantClient) -> BaseException | None:
    try:
        client.threads("t").chat_sync(MSGS)
    except BaseException as exc:
        return exc
    return None


async def chat_outcome_async(client: AssistantClient) -> BaseException | None:
    try:
        await client.threads("t").chat(MSGS)
    except BaseException as exc:
        return exc
    finally:
        await client.close()
    return None


def assert_typed(exc: BaseException | None, expected: type[AssistantUIError]) -> None:
    assert exc is not None
    assert isinstance(exc, expected), f"{type(exc).__name__}: {exc}"
    assert not isinstance(exc, NEVER_ESCAPE)


# -- the hostile answers ----------------------------------------------------------------------


def retry_after_overflow(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, headers={"Retry-After": BAD_DATE}, text="busy")


def redirect_loop(request: httpx.Request) -> httpx.Response:
    return httpx.Response(302, headers={"Location": "/api/chat"})


def redirect_to_data(request: httpx.Request) -> httpx.Response:
    return httpx.Response(302, headers={"Location": "data:text/plain,hi"})


def redirect_broken_gzip(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/api/chat":
        return httpx.Response(
            302, headers={"Location": "/next", "Content-Encoding": "gzip"}, content=b"not gzip at all"
        )
    return httpx.Response(200, content=DATA_STREAM)


CASES: list[tuple[str, Handler, dict[str, Any], type[AssistantUIError]]] = [
    ("retry-after-overflow-503", retry_after_overflow, {}, APIStatusError),
    ("redirect-loop", redirect_loop, {"follow_redirects": True}, APIConnectionError),
    ("redirect-to-data-url", redirect_to_data, {"follow_redirects": True}, APIConnectionError),
    ("redirect-broken-gzip", redirect_broken_gzip, {"follow_redirects": True}, APIConnectionError),
]


@pytest.mark.parametrize(("handler", "kwargs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_answer_raises_a_typed_error_sync(
    handler: Handler, kwargs: dict[str, Any], expected: type[AssistantUIError]
) -> None:
    with client_for(handler, **kwargs) as client:
        assert_typed(chat_outcome_sync(client), expected)


@pytest.mark.anyio
@pytest.mark.parametrize(("handler", "kwargs", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_hostile_answer_raises_a_typed_error_async(
    handler: Handler, kwargs: dict[str, Any], expected: type[AssistantUIError], anyio_backend: str
) -> None:
    assert_typed(await chat_outcome_async(async_client_for(handler, **kwargs)), expected)


def test_a_429_with_an_overflowing_date_is_retried_with_a_back_off() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": BAD_DATE})
        return httpx.Response(200, content=DATA_STREAM, headers={"x-vercel-ai-data-stream": "v1"})

    with client_for(handler) as client:
        result = client.threads("t").chat_sync(MSGS)
    assert result.text == "ok"
    assert len(calls) == 2


def test_a_redirect_loop_is_not_retried() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return redirect_loop(request)

    with client_for(handler, follow_redirects=True, max_retries=2) as client:
        exc = chat_outcome_sync(client)
    assert_typed(exc, APIConnectionError)
    assert "redirect" in str(exc).lower()
    assert len(calls) == 21  # one send: httpx's 20 redirects, never sent again


@pytest.mark.parametrize(
    "value",
    [BAD_DATE, "Mon, 01 Jan 99999 00:00:00 GMT", "nan", "inf", "-inf", "1e999", "Fri, 31 Dec 9999 23:59:59 -9999"],
)
def test_parse_retry_after_never_raises(value: str) -> None:
    after = parse_retry_after({"retry-after": value})
    assert after is None or (after >= 0 and after != float("inf"))
    ms = parse_retry_after({"retry-after-ms": value})
    assert ms is None or (ms >= 0 and ms != float("inf"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.text(max_size=60) | st.from_regex(r"[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} -?\d{1,30} \d\d:\d\d:\d\d [+-]\d{1,30}"))
def test_fuzz_retry_after_never_escapes(value: str) -> None:
    headers = {"retry-after": value, "retry-after-ms": value}
    try:
        delay = RetryPolicy(2).delay(0, headers)
    except NEVER_ESCAPE as exc:  # pragma: no cover - the failure being tested for
        pytest.fail(f"{type(exc).__name__} escaped for Retry-After {value!r}")
    assert 0 <= delay <= 60


_STATUSES = st.sampled_from([200, 201, 301, 302, 303, 307, 308, 400, 401, 404, 408, 409, 429, 500, 503])
_LOCATIONS = st.sampled_from(
    ["/api/chat", "data:text/plain,hi", "http://[::1", "ftp://x/", "//", "/a b", "\x00", "http://other.test/x", ""]
)
_ENCODINGS = st.sampled_from(["", "gzip", "deflate", "br", "zstd", "identity", "gzip, gzip", "unknown"])
_BODIES = st.sampled_from([b"", b"not compressed", DATA_STREAM, b"\x1f\x8b\x08\x00broken", b"data: {}\n\n"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=st.lists(
        st.tuples(_STATUSES, _LOCATIONS, _ENCODINGS, _BODIES, st.sampled_from(["", BAD_DATE, "1", "nan", "-5"])),
        min_size=1,
        max_size=4,
    ),
    follow=st.booleans(),
)
def test_fuzz_hostile_answers_only_typed_errors_escape(
    answers: list[tuple[int, str, str, bytes, str]], follow: bool
) -> None:
    """Random answers (status, Location, Content-Encoding, body, Retry-After), one per
    request in turn: a chat and a cancel end in a result or a typed error."""
    served = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        status, location, encoding, body, retry_after = answers[min(served[0], len(answers) - 1)]
        served[0] += 1
        headers = {"x-vercel-ai-data-stream": "v1"}
        if location:
            headers["Location"] = location
        if encoding:
            headers["Content-Encoding"] = encoding
        if retry_after:
            headers["Retry-After"] = retry_after
        return httpx.Response(status, headers=headers, content=body)

    with client_for(handler, follow_redirects=follow) as client:
        thread = client.threads("t")
        for call in (lambda: thread.chat_sync(MSGS), thread.cancel_sync):
            try:
                call()
            except AssistantUIError:
                pass
            except NEVER_ESCAPE as exc:
                pytest.fail(f"{type(exc).__name__} escaped: {exc} (answers {answers!r}, follow={follow})")
