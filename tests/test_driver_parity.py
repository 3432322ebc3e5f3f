"""The sync and the async driver run one call core: the same scripted faults through
both give the same events, status, error type, ``.partial`` and requests.

Each scenario scripts what a backend answers to each request (over
``httpx.MockTransport``, the body in small pieces, faults raised mid-body); the call
runs through ``chat_sync`` and through ``chat`` (asyncio and trio) and the outcomes
must be identical.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui.errors import AssistantUIError

DATA = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}
BODY = (
    b'f:{"messageId":"m1"}\n'
    b'0:"Hel"\n0:"lo, "\n0:"w\xc3\xb6rld"\n'
    b'9:{"toolCallId":"c1","toolName":"get","args":{"q":1}}\n'
    b'e:{"finishReason":"tool-calls","usage":{"promptTokens":3,"completionTokens":4}}\n'
    b'd:{"finishReason":"tool-calls","usage":{"promptTokens":3,"completionTokens":4}}\n'
)


class Scripted(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body given in pieces of ``size`` bytes, raising ``error`` after ``cut`` bytes."""

    def __init__(self, body: bytes, size: int = 7, cut: int | None = None) -> None:
        self.body, self.size, self.cut = body, size, cut

    def pieces(self) -> Iterator[bytes]:
        end = len(self.body) if self.cut is None else self.cut
        for i in range(0, end, self.size):
            yield self.body[i : min(i + self.size, end)]
        if self.cut is not None:
            raise httpx.ReadError("connection reset by peer")

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces():
            yield piece


@dataclass
class Reply:
    status: int = 200
    body: bytes = BODY
    headers: dict[str, str] = field(default_factory=lambda: dict(DATA))
    cut: int | None = None
    connect_error: bool = False


@dataclass
class Scenario:
    name: str
    replies: list[Reply]
    options: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    Scenario("complete", [Reply()]),
    Scenario("retry-after-503", [Reply(503, b"busy", {"retry-after": "0"}), Reply()]),
    Scenario("retry-after-connect-error", [Reply(connect_error=True), Reply()]),
    Scenario("resend-when-cut-before-the-first-byte", [Reply(cut=0), Reply()]),
    Scenario(
        "resume-by-replay",
        [Reply(cut=40, headers={**DATA, "x-resumable-stream-id": "s1"}), Reply()],
    ),
    Scenario(
        "replay-refused",
        [Reply(cut=40, headers={**DATA, "x-resumable-stream-id": "s1"}), Reply(404, b"gone")],
    ),
    Scenario("cut-without-resume", [Reply(cut=40)], {"resume": False}),
    Scenario("not-found", [Reply(404, b'{"error": "no such route"}', {"content-type": "application/json"})]),
    Scenario("html-page", [Reply(200, b"<html><body>login</body></html>", {"content-type": "text/html"})]),
    Scenario("stream-error", [Reply(body=b'0:"partial"\n3:"the model failed"\n')]),
    Scenario("event-too-large", [Reply(body=b'0:"' + b"x" * 5000 + b'"\n')], {"max_event_size": 1024}),
]


def handler_for(scenario: Scenario, seen: list[tuple[str, str]]) -> Any:
    replies = iter(scenario.replies)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        reply = next(replies)
        if reply.connect_error:
            raise httpx.ConnectError("connection refused", request=request)
        stream = Scripted(reply.body, cut=reply.cut)
        return httpx.Response(reply.status, headers=reply.headers, stream=stream)

    return handle


def outcome(result: Any = None, error: AssistantUIError | None = None) -> dict[str, Any]:
    """What a call ended with, as comparable plain data."""
    if error is not None:
        partial = error.partial
        return {
            "error": type(error).__name__,
            "partial_message": json.dumps(partial.message, sort_keys=True) if partial else None,
            "partial_events": partial.events if partial else None,
        }
    return {
        "events": result.events,
        "status": result.status,
        "message": json.dumps(result.message, sort_keys=True),
        "text": result.text,
    }


def make_client(scenario: Scenario, seen: list[tuple[str, str]], sync: bool) -> AssistantClient:
    transport = httpx.MockTransport(handler_for(scenario, seen))
    max_event_size = scenario.options.get("max_event_size", 1024 * 1024)
    kwargs: dict[str, Any] = {"max_event_size": max_event_size}
    if sync:
        kwargs["http_client"] = httpx.Client(transport=transport, base_url="http://backend")
    else:
        kwargs["async_http_client"] = httpx.AsyncClient(transport=transport, base_url="http://backend")
    return AssistantClient("http://backend", **kwargs)


def call_options(scenario: Scenario) -> dict[str, Any]:
    return {k: v for k, v in scenario.options.items() if k != "max_event_size"}


def run_sync(scenario: Scenario) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    client = make_client(scenario, seen, sync=True)
    try:
        result = client.threads("t").chat_sync([user("hi")], **call_options(scenario))
    except AssistantUIError as exc:
        return outcome(error=exc), seen
    return outcome(result), seen


async def run_async(scenario: Scenario) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    client = make_client(scenario, seen, sync=False)
    try:
        result = await client.threads("t").chat([user("hi")], **call_options(scenario))
    except AssistantUIError as exc:
        return outcome(error=exc), seen
    return outcome(result), seen


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_both_drivers_end_the_same_way(scenario: Scenario) -> None:
    sync_outcome, sync_requests = run_sync(scenario)
    async_outcome, async_requests = await run_async(scenario)
    assert async_outcome == sync_outcome
    assert async_requests == sync_requests
    assert len(sync_requests) == len(scenario.replies)  # every scripted reply was asked for


def test_the_scenarios_end_as_scripted() -> None:
    """The parity above is not vacuous: the scenarios end in different ways."""
    ends = {s.name: run_sync(s)[0] for s in SCENARIOS}
    assert ends["complete"]["text"] == "Hello, wörld"
    assert ends["complete"]["status"]["type"] == "requires-action"
    for name in ("retry-after-503", "retry-after-connect-error", "resend-when-cut-before-the-first-byte", "resume-by-replay"):
        assert ends[name] == ends["complete"], name
    assert ends["replay-refused"]["error"] == "APIConnectionError"
    assert ends["cut-without-resume"]["error"] == "APIConnectionError"
    assert '"Hel' in ends["cut-without-resume"]["partial_message"]
    assert ends["not-found"]["error"] == "NotFoundError"
    assert ends["html-page"]["error"] == "DecodeError"
    assert ends["stream-error"]["error"] == "StreamError"
    assert "partial" in ends["stream-error"]["partial_message"]
    assert ends["event-too-large"]["error"] == "DecodeError"
