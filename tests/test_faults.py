"""Fault injection against real servers on 127.0.0.1 (docs/api.md §4, §9).

Every fault runs sync and async (asyncio and trio) and is checked for: the
exception type (or the result), the partial result the exception carries, the
attempts the server saw, and a clean connection pool afterwards (no connection
left in use, nothing queued, and a following normal call succeeds on a pool of
one connection with a short pool timeout: a leaked connection would make it fail
with a pool timeout).

Decisions this file pins down (see the table in ``CASES``):

* A body cut by the network (TCP reset, a chunked body never terminated, fewer
  bytes than ``Content-Length``) is an :class:`APIConnectionError` whose
  ``partial`` holds what was decoded, status ``incomplete`` / ``connection-error``;
  never retried (one attempt). A reset or close before the response head is
  retried like any connection error (``max_retries + 1`` attempts).
* A close-delimited body (HTTP/1.0, or ``Connection: close`` without a length)
  ends at the close, so a clean close cannot be told from the end: it decodes to a
  result. The same for an SSE body that ends cleanly without ``[DONE]``: a result,
  with a warning in ``result.warnings`` (lenient decoding, docs/wire-formats.md §5.1).
* A server that accepts and never answers ends in :class:`APITimeoutError` after
  the read timeout of each attempt (``max_retries + 1`` attempts), or at the
  ``deadline=`` / ``idle_timeout=`` when given.
* Trickled bytes keep httpx's read timeout from firing, but neither the idle
  timeout (only decoded events count, not bytes nor heartbeats) nor the deadline.
* A 2xx ``text/html`` answer is a :class:`DecodeError` (a login page or a web app's
  ``index.html`` is never the assistant's answer), unless ``protocol=`` is forced.
* ``Content-Encoding: gzip`` is decoded incrementally (events arrive before the
  compressed body ends).
* Redirects are not followed by default: a 307/308 is an :class:`APIStatusError`
  naming the location; with ``follow_redirects=True`` (passed to httpx) the POST
  and its body are sent again to the new location.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from faultservers import RawServer, UvicornServer, active_connections, pool_of, wait_until

from assistant_ui import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantClient,
    AssistantUIError,
    ChatResult,
    DecodeError,
    InternalServerError,
    RateLimitError,
    user,
)
from assistant_ui._call.retry import RetryPolicy

pytestmark = pytest.mark.timeout(60)

MSGS = [user("Hi")]
FULL = "t0 t1 t2 "


@pytest.fixture(scope="module")
def raw() -> Iterator[RawServer]:
    with RawServer() as server:
        yield server


@pytest.fixture(scope="module")
def uv() -> Iterator[UvicornServer]:
    with UvicornServer() as server:
        yield server


def new_tag() -> str:
    return uuid.uuid4().hex


def make_client(base_url: str, **kwargs: Any) -> AssistantClient:
    """One connection at most, a short pool timeout: a leaked connection shows at once."""
    kwargs.setdefault("timeout", httpx.Timeout(2.0, pool=0.5))
    kwargs.setdefault("max_retries", 2)
    client = AssistantClient(
        base_url, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), **kwargs
    )
    # keep the back-off short; Retry-After is still honoured (tested below)
    client.retry = RetryPolicy(client.retry.max_retries, base_delay=0.001, max_delay=0.01)
    return client


# -- one call, streamed, with what it produced -------------------------------------------------


@dataclasses.dataclass
class Outcome:
    result: ChatResult | None
    error: AssistantUIError | None
    seen: list[str]  # the text deltas seen while iterating
    elapsed: float
    #: the stream, kept alive through the pool checks: garbage collection must not
    #: be what hands its connection back
    stream: Any = None


def stream_sync(
    client: AssistantClient,
    raw: RawServer | None,
    body: dict[str, Any],
    call: dict[str, Any],
    gate_after: int | None,
) -> Outcome:
    seen: list[str] = []
    started = time.monotonic()
    stream = client.threads("t").stream_sync(messages=MSGS, **call, **body)
    try:
        with stream:
            for event in stream:
                if event["type"] == "text-delta":
                    seen.append(event["delta"])
                    if raw is not None and len(seen) == gate_after:
                        raw.open_gate(body["tag"])
            result = stream.final()
    except AssistantUIError as exc:
        return Outcome(None, exc, seen, time.monotonic() - started, stream)
    return Outcome(result, None, seen, time.monotonic() - started, stream)


async def stream_async(
    client: AssistantClient,
    raw: RawServer | None,
    body: dict[str, Any],
    call: dict[str, Any],
    gate_after: int | None,
) -> Outcome:
    seen: list[str] = []
    started = time.monotonic()
    stream = client.threads("t").stream(messages=MSGS, **call, **body)
    try:
        async with stream:
            async for event in stream:
                if event["type"] == "text-delta":
                    seen.append(event["delta"])
                    if raw is not None and len(seen) == gate_after:
                        raw.open_gate(body["tag"])
            result = await stream.final()
    except AssistantUIError as exc:
        return Outcome(None, exc, seen, time.monotonic() - started, stream)
    return Outcome(result, None, seen, time.monotonic() - started, stream)


# -- the faults -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    id: str
    body: dict[str, Any]
    server: str = "raw"
    call: dict[str, Any] = dataclasses.field(default_factory=dict)
    client: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: open the server's gate once this many text deltas were seen
    gate_after: int | None = None
    #: the exception type (exactly), or None for a result
    error: type[AssistantUIError] | None = None
    #: the error's message contains this (case-insensitive; alternatives separated by "|")
    message: str | None = None
    #: the partial text of the error (None: ``partial is None``; "?": not checked), or
    #: the result's text
    text: str | None = FULL
    #: ``partial.status["error"]["code"]`` of an error with a partial
    code: str | None = None
    attempts: int = 1
    #: bounds on the wall time of the call
    elapsed: tuple[float, float] = (0.0, 5.0)
    #: extra checks on the outcome
    check: Callable[[Outcome], None] | None = None
    #: skip the async runs (to keep CI time short on slow cases)
    sync_only: bool = False
    #: the behaviour wanted, not yet had: why (a strict xfail, so a fix shows)
    xfail: str | None = None


def has_warning(text: str) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert outcome.result is not None
        assert any(text in w for w in outcome.result.warnings), outcome.result.warnings

    return check


def finished(reason: str) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        assert outcome.result is not None
        assert outcome.result.status == {"type": "complete", "reason": reason}

    return check


def status_error(status: int, attempt: int) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        err = outcome.error
        assert isinstance(err, APIStatusError)
        assert err.status_code == status
        assert err.body == {"error": "try again", "attempt": attempt}

    return check


def redirect_error(status: int) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        err = outcome.error
        assert isinstance(err, APIStatusError)
        assert err.status_code == status
        assert err.response.headers["location"] == "/api/chat?redirected=1"

    return check


def html_check(outcome: Outcome) -> None:
    err = outcome.error
    assert isinstance(err, DecodeError)
    assert "text/html" in str(err) and "Please sign in" in str(err)


def html_as_text(outcome: Outcome) -> None:
    assert outcome.result is not None
    assert outcome.result.text.startswith("<!DOCTYPE html>")
    assert outcome.result.protocol == "plain-text"


def gzip_check(outcome: Outcome) -> None:
    assert outcome.result is not None
    assert outcome.seen == [f"t{i} " for i in range(6)]
    assert outcome.result.finish_reason == "stop"


CUT = {"type": "incomplete", "reason": "error"}
#: a reset reads "[Errno 104] Connection reset by peer" (sync); under anyio the
#: ReadError has no text of its own (see the report on _stream._connection_error)
RESET = "connection reset|ReadError"
READ_TIMEOUT = httpx.Timeout(0.3, pool=0.5)


CASES = [
    # -- a body cut by the network: APIConnectionError + partial, never retried
    Case("rst-mid-body-chunked", {"fault": "rst-mid-body"}, gate_after=3, error=APIConnectionError,
         message=RESET, code="connection-error"),
    Case("rst-mid-body-length", {"fault": "rst-mid-body", "framing": "length"}, gate_after=3,
         error=APIConnectionError, message=RESET, code="connection-error"),
    Case("rst-mid-body-http10", {"fault": "rst-mid-body", "framing": "http10"}, gate_after=3,
         error=APIConnectionError, message=RESET, code="connection-error"),
    Case("unterminated-chunked", {"fault": "unterminated-chunked"}, gate_after=3,
         error=APIConnectionError, message="incomplete chunked read", code="connection-error"),
    Case("short-content-length", {"fault": "short-length"}, gate_after=3,
         error=APIConnectionError, message="expected", code="connection-error"),
    Case("uvicorn-app-dies-mid-body", {"fault": "cut"}, server="uv", error=APIConnectionError,
         code="connection-error"),
    Case("stall-mid-body-read-timeout", {"fault": "stall"}, client={"timeout": READ_TIMEOUT},
         error=APITimeoutError, message="timed out", code="timeout", elapsed=(0.3, 1.2)),
    Case("gzip-content-encoding-lie", {"fault": "gzip-lie"}, error=DecodeError, text="",
         code="decode-error", ),
    # -- cut before the response head: a connection error, retried
    Case("rst-before-head", {"fault": "rst-before-head"}, error=APIConnectionError, message="reset",
         text=None, attempts=3),
    Case("close-before-head", {"fault": "close-before-head"}, error=APIConnectionError,
         message="without sending a response", text=None, attempts=3),
    Case("rst-after-head-before-any-body-byte", {"fault": "rst-after-head"},
         error=APIConnectionError, message=RESET, text="?", attempts=3),
    Case("close-before-head-no-retries", {"fault": "close-before-head"}, client={"max_retries": 0},
         error=APIConnectionError, text=None, attempts=1),
    # -- clean close before the protocol's terminator: a result (+ a warning for SSE)
    Case("sse-without-done-close-delimited", {"fault": "sse-no-done"},
         check=has_warning("without [DONE]")),
    Case("sse-without-done-chunked", {"fault": "sse-no-done-chunked"},
         check=has_warning("without [DONE]")),
    Case("data-stream-without-finish", {"fault": "ds-no-finish"}, check=finished("unknown")),
    Case("http10-clean-close-before-finish", {"fault": "http10", "finish": False},
         check=finished("unknown")),
    # -- close-delimited bodies, gzip, content types
    Case("http10-close-delimited", {"fault": "http10", "pause": 0.01}, check=finished("stop")),
    Case("http11-connection-close", {"fault": "close-delimited"}, check=finished("stop")),
    Case("content-length", {"fault": "ok-length"}, check=finished("stop")),
    Case("gzip-sse-incremental", {"fault": "gzip", "n": 2, "total": 6}, gate_after=1,
         call={"idle_timeout": 3}, text="t0 t1 t2 t3 t4 t5 ", check=gzip_check),
    Case("gzip-data-stream", {"fault": "gzip-ds"}, check=finished("stop")),
    Case("html-200-is-a-decode-error", {"fault": "html"}, error=DecodeError, message="HTML page",
         text=None, check=html_check),
    Case("html-200-forced-plain-text", {"fault": "html"}, call={"protocol": "plain-text"},
         text=None, check=html_as_text),
    # -- status codes before success, with and without Retry-After
    Case("uv-500-twice", {"fault": "status", "status": 500, "fail": 2}, server="uv", attempts=3),
    Case("uv-502-twice-retry-after-0", {"fault": "status", "status": 502, "fail": 2, "retry_after": 0},
         server="uv", attempts=3),
    Case("uv-503-twice-retry-after-0", {"fault": "status", "status": 503, "fail": 2, "retry_after": 0},
         server="uv", attempts=3),
    Case("uv-429-twice", {"fault": "status", "status": 429, "fail": 2}, server="uv", attempts=3),
    Case("raw-503-twice-retry-after-ms", {"fault": "status", "status": 503, "fail": 2,
         "retry_after_ms": 50}, attempts=3, elapsed=(0.1, 5.0)),
    Case("raw-429-retry-after-1s", {"fault": "status", "status": 429, "fail": 1, "retry_after": 1},
         attempts=2, elapsed=(1.0, 5.0), sync_only=True),
    Case("uv-500-thrice-gives-up", {"fault": "status", "status": 500, "fail": 3}, server="uv",
         error=InternalServerError, message="HTTP 500", text=None, attempts=3,
         check=status_error(500, 3)),
    Case("uv-429-thrice-gives-up", {"fault": "status", "status": 429, "fail": 3, "retry_after": 0},
         server="uv", error=RateLimitError, text=None, attempts=3, check=status_error(429, 3)),
    Case("raw-502-no-retries", {"fault": "status", "status": 502, "fail": 1},
         client={"max_retries": 0}, error=InternalServerError, text=None, attempts=1,
         check=status_error(502, 1)),
    # -- accepts, never answers
    Case("never-answers", {"fault": "blackhole"}, client={"timeout": READ_TIMEOUT},
         error=APITimeoutError, message="ReadTimeout", text=None, attempts=3, elapsed=(0.9, 2.5)),
    Case("never-answers-no-retries", {"fault": "blackhole"},
         client={"timeout": READ_TIMEOUT, "max_retries": 0}, error=APITimeoutError, text=None,
         attempts=1, elapsed=(0.3, 1.2)),
    Case("never-answers-deadline", {"fault": "blackhole"}, call={"deadline": 0.5},
         error=APITimeoutError, message="deadline of 0.5 s", text=None, attempts=1,
         elapsed=(0.5, 1.3)),
    Case("never-answers-idle-timeout", {"fault": "blackhole"}, call={"idle_timeout": 0.3},
         client={"max_retries": 0}, error=APITimeoutError, text=None, attempts=1,
         elapsed=(0.3, 1.1)),
    # -- one byte at a time: bytes keep the read timeout off, not the idle timeout / deadline
    Case("trickle-completes", {"fault": "trickle", "n": 6, "finish": False, "interval": 0.01},
         client={"timeout": httpx.Timeout(0.15, pool=0.5)}, call={"idle_timeout": 0.5},
         text="t0 t1 t2 t3 t4 t5 ", elapsed=(0.6, 4.0), check=finished("unknown")),
    # bytes every 0.02 s, a first event after 0.42 s: were bytes counted, it would never end
    Case("trickle-idle-timeout", {"fault": "trickle", "n": 2, "interval": 0.02},
         call={"idle_timeout": 0.1}, error=APITimeoutError, message="idle timeout", text="*",
         code="timeout", elapsed=(0.1, 1.0)),
    Case("trickle-deadline", {"fault": "trickle", "n": 6, "interval": 0.02},
         client={"timeout": httpx.Timeout(0.15, pool=0.5)}, call={"deadline": 0.8},
         error=APITimeoutError, message="deadline of 0.8 s", text="*", code="timeout",
         elapsed=(0.8, 1.5)),
    Case("heartbeats-idle-timeout", {"fault": "heartbeats", "interval": 0.03},
         call={"idle_timeout": 0.3}, error=APITimeoutError, message="idle timeout", text="t0 ",
         code="timeout", elapsed=(0.3, 1.2)),
    Case("heartbeats-deadline", {"fault": "heartbeats", "interval": 0.03},
         client={"timeout": httpx.Timeout(0.2, pool=0.5)}, call={"deadline": 0.5},
         error=APITimeoutError, message="deadline of 0.5 s", text="t0 ", code="timeout",
         elapsed=(0.5, 1.3)),
    # -- redirects
    Case("redirect-307-not-followed", {"fault": "redirect", "status": 307}, error=APIStatusError,
         message="follow_redirects=True", text=None, check=redirect_error(307)),
    Case("redirect-308-not-followed", {"fault": "redirect", "status": 308}, error=APIStatusError,
         message="/api/chat?redirected=1", text=None, check=redirect_error(308)),
    Case("redirect-307-followed", {"fault": "redirect", "status": 307},
         client={"follow_redirects": True}, attempts=2),
    Case("redirect-308-followed", {"fault": "redirect", "status": 308},
         client={"follow_redirects": True}, attempts=2),
    # -- the baseline
    Case("ok-chunked", {"fault": "ok"}, check=finished("stop")),
    Case("ok-uvicorn-assistant-stream", {"fault": "ok"}, server="uv"),
]


def check_outcome(case: Case, outcome: Outcome, attempts: int) -> None:
    if case.error is None:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.result is not None
        if case.text is not None:
            assert outcome.result.text == case.text
    else:
        err = outcome.error
        assert type(err) is case.error, repr(err)
        assert err is not None
        if case.message is not None:  # alternatives separated by "|"
            assert any(m.lower() in str(err).lower() for m in case.message.split("|")), str(err)
        if case.text == "?":  # not specified
            pass
        elif case.text is None:
            assert err.partial is None
        else:
            partial = err.partial
            assert partial is not None
            if case.text == "*":  # some prefix of the whole answer
                assert "t0 t1 t2 t3 t4 t5 ".startswith(partial.text)
            else:
                assert partial.text == case.text
            assert partial.text == "".join(outcome.seen)  # nothing seen is lost
            assert {k: partial.status[k] for k in ("type", "reason")} == CUT
            assert partial.status["error"]["code"] == case.code
    assert attempts == case.attempts
    low, high = case.elapsed
    assert low - 0.02 <= outcome.elapsed <= high, outcome.elapsed
    if case.check is not None:
        case.check(outcome)


def server_for(case: Case, raw: RawServer, uv: UvicornServer) -> RawServer | UvicornServer:
    return raw if case.server == "raw" else uv


def params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
        for c in cases
    ]


@pytest.mark.parametrize("case", params(CASES))
def test_fault_sync(case: Case, raw: RawServer, uv: UvicornServer) -> None:
    server = server_for(case, raw, uv)
    tag = new_tag()
    with make_client(server.base_url, **case.client) as client:
        outcome = stream_sync(client, raw, {**case.body, "tag": tag}, case.call, case.gate_after)
        check_outcome(case, outcome, server.attempts_for(tag))
        check_pool_sync(client, server)
    if server is raw:
        # the client closed every socket it opened (the server sees them go)
        assert wait_until(lambda: raw.live_connections() == 0)


@pytest.mark.anyio
@pytest.mark.parametrize("case", params([c for c in CASES if not c.sync_only]))
async def test_fault_async(case: Case, raw: RawServer, uv: UvicornServer) -> None:
    server = server_for(case, raw, uv)
    tag = new_tag()
    async with make_client(server.base_url, **case.client) as client:
        outcome = await stream_async(client, raw, {**case.body, "tag": tag}, case.call, case.gate_after)
        check_outcome(case, outcome, server.attempts_for(tag))
        await check_pool_async(client, server)
    if server is raw:
        assert await anyio.to_thread.run_sync(lambda: wait_until(lambda: raw.live_connections() == 0))


def check_pool_sync(client: AssistantClient, server: RawServer | UvicornServer) -> None:
    http = client.sync_http
    assert not pool_of(http)._requests
    assert active_connections(http) == 0
    # the only connection can be had at once: nothing holds it
    result = client.threads("t").chat_sync(messages=MSGS, fault="ok", tag=new_tag())
    assert result.text == FULL
    assert len(pool_of(http).connections) <= 1
    assert active_connections(http) == 0


async def check_pool_async(client: AssistantClient, server: RawServer | UvicornServer) -> None:
    http = client.async_http
    assert not pool_of(http)._requests
    assert active_connections(http) == 0
    result = await client.threads("t").chat(messages=MSGS, fault="ok", tag=new_tag())
    assert result.text == FULL
    assert len(pool_of(http).connections) <= 1
    assert active_connections(http) == 0


# -- details the table does not show ------------------------------------------------------------------


def test_retry_after_is_honoured_between_attempts(raw: RawServer) -> None:
    tag = new_tag()
    with make_client(raw.base_url) as client:
        result = client.threads("t").chat_sync(
            messages=MSGS, fault="status", status=503, fail=2, retry_after_ms=150, tag=tag
        )
    assert result.text == FULL
    times = raw.times[tag]
    assert len(times) == 3
    # the server saw the attempts at least Retry-After apart (not the 1-10 ms back-off)
    assert all(b - a >= 0.14 for a, b in itertools.pairwise(times)), times


def test_without_retry_after_the_back_off_is_used(raw: RawServer) -> None:
    tag = new_tag()
    with make_client(raw.base_url) as client:
        client.retry = RetryPolicy(2, base_delay=0.2, max_delay=0.2)
        result = client.threads("t").chat_sync(messages=MSGS, fault="status", status=502, fail=2, tag=tag)
    assert result.text == FULL
    times = raw.times[tag]
    # full jitter between half and all of the 0.2 s ceiling
    assert all(0.09 <= b - a <= 0.6 for a, b in itertools.pairwise(times)), times


def test_followed_redirect_sends_the_same_post_body_again(raw: RawServer) -> None:
    tag = new_tag()
    with make_client(raw.base_url, follow_redirects=True) as client:
        result = client.threads("t").chat_sync(messages=MSGS, fault="redirect", status=307, tag=tag)
    assert result.text == FULL
    assert raw.paths[tag] == ["/api/chat", "/api/chat?redirected=1"]
    first, second = raw.bodies[tag]
    assert first == second
    assert first["messages"][0]["content"][0]["text"] == "Hi"


def test_gzip_events_arrive_before_the_body_ends(raw: RawServer) -> None:
    """The server holds the rest of a gzip body until the client saw the first delta."""
    tag = new_tag()
    with make_client(raw.base_url) as client:
        with client.threads("t").stream_sync(
            messages=MSGS, fault="gzip", n=2, total=6, tag=tag, idle_timeout=3
        ) as stream:
            first = next(e for e in stream if e["type"] == "text-delta")
            assert first["delta"] == "t0 "
            assert not raw.gate(tag).is_set()  # the rest was not sent yet
            raw.open_gate(tag)
            result = stream.final()
    assert result.text == "t0 t1 t2 t3 t4 t5 "


@pytest.mark.parametrize("pad", [0, 8050, 9000])
def test_html_error_page_does_not_quote_the_key(raw: RawServer, pad: int) -> None:
    """The page echoes the API key (no "key:" next to it: only the exact value can
    be found): early, cut in two by the end of what is read (8 KiB), or past it."""
    key = "sk-secret-" + "z" * 30
    with make_client(raw.base_url, headers={"X-API-Key": key}) as client:
        with pytest.raises(DecodeError) as info:
            client.threads("t").chat_sync(messages=MSGS, fault="html", echo="X-API-Key", pad=pad, tag=new_tag())
    message = str(info.value)
    assert "Please sign in" in message
    assert "sk-secret" not in message and "zzzz" not in message, message
    assert len(message) < 600
    if pad == 0:
        assert "You sent: [redacted]" in message, message


def test_redirect_location_is_quoted_redacted(raw: RawServer) -> None:
    secret = "tok-" + "q" * 30
    with make_client(raw.base_url) as client, pytest.raises(APIStatusError) as info:
        client.threads("t").chat_sync(
            messages=MSGS, fault="redirect", status=307, tag=new_tag(),
            location=f"https://login.example/authorize?access_token={secret}",
        )
    assert info.value.status_code == 307
    assert "https://login.example/authorize" in str(info.value)
    assert secret not in str(info.value)


@pytest.mark.anyio
async def test_never_answering_server_within_the_timeout_under_a_task_deadline(raw: RawServer) -> None:
    """An outer cancel scope (anyio.fail_after) cuts the wait and releases the connection."""
    async with make_client(raw.base_url, timeout=httpx.Timeout(10, pool=0.5)) as client:
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.3):
                await client.threads("t").chat(messages=MSGS, fault="blackhole", tag=new_tag())
        await check_pool_async(client, raw)
    assert await anyio.to_thread.run_sync(lambda: wait_until(lambda: raw.live_connections() == 0))
