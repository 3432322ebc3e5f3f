"""What is computed once per call and remembered: each request is still the one httpx would build."""

from __future__ import annotations

import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui._call.options import CallOptions
from assistant_ui._transports import http_requests as http_transport
from assistant_ui._transports.http_requests import request_timeout, request_url

OK_BODY = b'0:"ok"\n'


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=OK_BODY, headers={"content-type": "text/plain; charset=utf-8"})


@pytest.mark.parametrize("base", ["http://x", "http://x/", "http://x/sub", "http://x/sub/", "https://u:p@x:8443/a/b?k=v"])
@pytest.mark.parametrize(
    "path", ["/api/chat", "api/chat", "/a/b%20c?q=1&r=2", "/", "", "http://other/api/chat", "//other/p"]
)
def test_request_url_is_httpx_join(base: str, path: str) -> None:
    http = httpx.Client(base_url=base)
    expected = http.build_request("POST", path).url
    for _ in range(2):  # computed, then remembered
        url = request_url(http, path)
        assert http.build_request("POST", url).url == expected
        assert str(http.build_request("POST", url).url) == str(expected)


def test_request_url_without_base_url_is_left_to_httpx() -> None:
    http = httpx.Client()
    assert request_url(http, "/api/chat") == "/api/chat"
    assert request_url(http, "http://x/api/chat") == httpx.URL("http://x/api/chat")


def test_request_url_follows_a_changed_base_url() -> None:
    http = httpx.Client(base_url="http://one")
    assert str(request_url(http, "/api/chat")) == "http://one/api/chat"
    http.base_url = httpx.URL("http://two/v2")
    assert str(request_url(http, "/api/chat")) == "http://two/v2/api/chat"
    http.base_url = "http://one"  # equal to the first, a new object
    assert str(request_url(http, "/api/chat")) == "http://one/api/chat"


def test_request_url_cache_is_bounded() -> None:
    http = httpx.Client(base_url="http://x")
    for i in range(http_transport.URL_CACHE_SIZE * 3):
        assert str(request_url(http, f"/p{i}")) == f"http://x/p{i}"
        assert len(http_transport._URLS) <= http_transport.URL_CACHE_SIZE


def test_calls_follow_a_user_client_whose_base_url_changes() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return _ok(request)

    http = httpx.Client(base_url="http://one", transport=httpx.MockTransport(handler))
    client = AssistantClient("http://ignored", http_client=http, max_retries=0)
    thread = client.threads("t")
    assert thread.chat_sync(messages=[user("hi")]).text == "ok"
    http.base_url = httpx.URL("http://two/prefix")
    assert thread.chat_sync(messages=[user("hi")]).text == "ok"
    assert seen == ["http://one/api/chat", "http://two/prefix/api/chat"]


def _opts(idle: float | None = None, deadline: float | None = None) -> CallOptions:
    return CallOptions(
        protocol=None, idle_timeout=idle, deadline=deadline, max_event_size=1 << 20, resume=True, max_resume_attempts=3
    )


@pytest.mark.parametrize(
    "timeout",
    [
        httpx.Timeout(120.0, connect=10.0),
        httpx.Timeout(None),
        httpx.Timeout(5.0, read=None),
        httpx.Timeout(-1.0, connect=2.0),
        httpx.Timeout(0.0),
    ],
)
@pytest.mark.parametrize("idle", [None, 0.5, 300.0])
@pytest.mark.parametrize("deadline", [None, 1.0])
@pytest.mark.parametrize("remaining", [None, 0.25, -1.0])
def test_request_timeout_values(
    timeout: httpx.Timeout, idle: float | None, deadline: float | None, remaining: float | None
) -> None:
    def cap(value: float | None, *bounds: float | None) -> float | None:
        present = [b for b in (value, *bounds) if b is not None]
        return max(min(present), 0.0) if present else None

    got = request_timeout(timeout, _opts(idle, deadline), remaining)
    assert got.as_dict() == {
        "connect": cap(timeout.connect, remaining),
        "read": cap(timeout.read, idle, deadline, remaining),
        "write": cap(timeout.write, remaining),
        "pool": cap(timeout.pool, remaining),
    }
    assert request_timeout(timeout, None, None) is timeout


def test_sniffers_follow_the_registry() -> None:
    from assistant_ui._wire.decoder import StreamDecoder
    from assistant_ui._wire.dialects import DIALECTS, DialectEntry, register, sniffers

    body = b'say:"hello there"\n'

    def protocol() -> str | None:
        decoder = StreamDecoder()
        decoder.feed(body)  # (a whole line: the protocol is picked)
        return decoder.protocol

    before = sniffers("lines")
    assert protocol() == "plain-text"  # (and the sniffers of "lines" are remembered)
    # a lines dialect sniffed before the others: every line is a data-stream record to it
    entry = DialectEntry("say-lines", "lines", ".dialects.data_stream:DataStreamDialect",
                         sniff="operator:is_")
    register(entry)
    try:
        assert [name for name, _ in sniffers("lines")] == [*(name for name, _ in before), "say-lines"]
        assert protocol() == "plain-text"  # line is complete: False, still not claimed
        DIALECTS["say-lines"] = entry._replace(sniff="operator:is_not")  # changed in place
        assert protocol() == "say-lines"
    finally:
        del DIALECTS["say-lines"]
    assert sniffers("lines") == before
    assert protocol() == "plain-text"


def test_a_held_step_finish_changes_only_its_own_dialect() -> None:
    # the handlers are a class-level table copied per dialect: a hold swaps entries of the copy
    from assistant_ui._wire.dialects import data_stream

    table = dict(data_stream._HANDLERS)
    held = data_stream.DataStreamDialect()
    out: list[object] = []
    held.feed([b'b:{"toolCallId":"c1","toolName":"f"}', b'e:{"finishReason":"tool-calls"}'], out)
    assert held._hold.event is not None
    assert data_stream._HANDLERS == table
    other = data_stream.DataStreamDialect()
    other_out: list[object] = []
    other.feed([b'e:{"finishReason":"stop"}', b'f:{"messageId":"m2"}'], other_out)
    assert [ev["type"] for ev in other_out] == ["step-finish", "step-start"]  # type: ignore[index]
    held.feed([b'c:{"toolCallId":"c1","argsTextDelta":"{}"}', b'f:{"messageId":"m2"}'], out)
    assert held._hold.event is None
    assert held._handlers == table == data_stream._HANDLERS
    assert [ev["type"] for ev in out] == [  # type: ignore[index]
        "tool-call-start", "tool-call-delta", "tool-call", "step-finish", "step-start"
    ]


def test_held_sources_change_only_their_own_dialect() -> None:
    import json

    from assistant_ui._wire.decoder import StreamDecoder
    from assistant_ui._wire.dialects import ui_message_stream

    def sse(*chunks: dict[str, object]) -> bytes:
        return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)

    table = dict(ui_message_stream._HANDLERS)
    held = StreamDecoder(protocol="ui-message-stream")
    events = held.feed(sse({"type": "text-start", "id": "t"}, {"type": "source-url", "sourceId": "s", "url": "u"}))
    assert [e["type"] for e in events] == []  # the source waits for the text part's end
    assert ui_message_stream._HANDLERS == table
    other = StreamDecoder(protocol="ui-message-stream")
    assert [e["type"] for e in other.feed(sse({"type": "start-step"}, {"type": "finish-step"}))] == [
        "step-start", "step-finish"
    ]
    events = held.feed(sse({"type": "start-step"}))  # any other chunk releases the source first
    assert [e["type"] for e in events] == ["source", "step-start"]
    assert held._dialect._handlers == table == ui_message_stream._HANDLERS


@pytest.mark.anyio
async def test_a_resent_body_is_the_same_bytes_and_the_spec_keeps_no_json(anyio_backend: str) -> None:
    """The first request built from a spec encodes its body and drops the JSON value (a
    streaming call keeps its spec, not its messages' objects); a retry sends the bytes."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"retry-after": "0"})
        return _ok(request)

    client = AssistantClient(base_url="http://x", transport=httpx.MockTransport(handler), max_retries=1)
    async with client.threads("t").stream(messages=[user("héllo")]) as stream:
        async for _ in stream:
            pass
        spec = stream._flow.spec
    assert spec.json is None and spec.content == seen[0].content
    first, again = seen
    assert again.content == first.content and b'"h\\u00e9llo"' not in first.content
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert again.headers["content-length"] == first.headers["content-length"]
    await client.close()
