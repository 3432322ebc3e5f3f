"""Bounds on what one response may cost (issue #17, round 2).

* a request is never sent again once a body byte arrived, even a byte the SSE
  gate still holds back (only the resume path may pick such a body up);
* the decoded size of one response is bounded (``max_response_size``, per client
  and per call): a gzip bomb of any wire format ends in :class:`DecodeError`
  with ``.partial``, quickly and in bounded memory;
* the call's deadline fires while decompression and decoding run;
* a snapshot read after the last event shows the final status.

Sync, and async under asyncio and trio, against a raw server on 127.0.0.1.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostile_servers import BOMB_KINDS, HostileServer

from assistant_ui import AssistantClient
from assistant_ui._call.retry import RetryPolicy
from assistant_ui.errors import APIConnectionError, APITimeoutError, DecodeError
from assistant_ui.messages import user

pytestmark = pytest.mark.timeout(60)

MSGS = [user("Hi")]


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        yield srv


def make_client(server: HostileServer, **kwargs: Any) -> AssistantClient:
    kwargs.setdefault("timeout", httpx.Timeout(5.0, pool=1.0))
    client = AssistantClient(server.base_url, **kwargs)
    client.retry = RetryPolicy(client.retry.max_retries, base_delay=0.001, max_delay=0.01)
    return client


def tag() -> str:
    return uuid.uuid4().hex


# -- never re-POST after body bytes ------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 42])
def test_no_resend_after_bytes_held_by_the_sse_gate_sync(server: HostileServer, cut: int) -> None:
    t = tag()
    with make_client(server) as client, pytest.raises(APIConnectionError) as info:
        client.threads("t").chat_sync(MSGS, fault="rst-partial-sse", cut=cut, tag=t)
    assert server.attempts_for(t) == 1
    assert info.value.partial is not None


@pytest.mark.anyio
async def test_no_resend_after_bytes_held_by_the_sse_gate_async(server: HostileServer, anyio_backend: str) -> None:
    t = tag()
    async with make_client(server) as client:
        with pytest.raises(APIConnectionError):
            await client.threads("t").chat(MSGS, fault="rst-partial-sse", cut=42, tag=t)
    assert server.attempts_for(t) == 1


def test_a_reset_before_any_body_byte_is_still_retried(server: HostileServer) -> None:
    t = tag()
    with make_client(server, max_retries=2) as client, pytest.raises(APIConnectionError):
        client.threads("t").chat_sync(MSGS, fault="rst-after-head", tag=t)
    assert server.attempts_for(t) == 3


# -- bounded memory under compression -------------------------------------------------------------

LIMIT = 1 << 20  # 1 MiB decoded; each bomb decodes to 64 MiB


@pytest.mark.parametrize("kind", BOMB_KINDS)
def test_gzip_bomb_is_cut_at_max_response_size_sync(server: HostileServer, kind: str) -> None:
    started = time.monotonic()
    with make_client(server, max_response_size=LIMIT) as client, pytest.raises(DecodeError) as info:
        client.threads("t").chat_sync(MSGS, fault="gzip-bomb", kind=kind, mib=64)
    assert time.monotonic() - started < 10
    assert "max_response_size" in str(info.value)
    assert info.value.partial is not None
    assert info.value.partial.status["type"] == "incomplete"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["plain", "openai"])
async def test_gzip_bomb_is_cut_at_max_response_size_async(
    server: HostileServer, kind: str, anyio_backend: str
) -> None:
    async with make_client(server) as client:
        with pytest.raises(DecodeError) as info:
            await client.threads("t").chat(MSGS, fault="gzip-bomb", kind=kind, mib=64, max_response_size=LIMIT)
    assert info.value.partial is not None


def test_max_response_size_per_call_overrides_the_client(server: HostileServer) -> None:
    with make_client(server, max_response_size=LIMIT) as client:
        result = client.threads("t").chat_sync(MSGS, fault="gzip-bomb", kind="plain", mib=2, max_response_size=4 * LIMIT)
    assert len(result.text) == 2 * LIMIT


def test_max_response_size_has_a_default() -> None:
    client = AssistantClient("http://127.0.0.1:9")
    assert client.max_response_size == 64 * 1024 * 1024
    with pytest.raises(ValueError, match="max_response_size"):
        AssistantClient("http://127.0.0.1:9", max_response_size=0)


def test_deadline_fires_while_a_bomb_decodes(server: HostileServer) -> None:
    started = time.monotonic()
    with make_client(server, max_response_size=1 << 40) as client, pytest.raises(APITimeoutError) as info:
        client.threads("t").chat_sync(MSGS, fault="gzip-bomb", kind="openai", mib=4096, deadline=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    assert "deadline" in str(info.value)
    assert info.value.partial is not None


@pytest.mark.anyio
async def test_deadline_fires_while_a_bomb_decodes_async(server: HostileServer, anyio_backend: str) -> None:
    started = time.monotonic()
    async with make_client(server, max_response_size=1 << 40) as client:
        with pytest.raises(APITimeoutError):
            await client.threads("t").chat(MSGS, fault="gzip-bomb", kind="data-stream", mib=4096, deadline=1.0)
    assert time.monotonic() - started < 3.0


# -- snapshots are current ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["ds-no-finish", "sse-no-done-chunked", "ok"])
def test_message_is_final_once_iteration_stops_sync(server: HostileServer, fault: str) -> None:
    with make_client(server) as client, client.threads("t").stream_sync(MSGS, fault=fault, n=3) as stream:
        for _ in stream:
            pass
        assert stream.message["status"]["type"] == "complete"
        assert stream.final().message["status"] == stream.message["status"]


@pytest.mark.anyio
async def test_message_is_final_once_iteration_stops_async(server: HostileServer, anyio_backend: str) -> None:
    async with make_client(server) as client:
        async with client.threads("t").stream(MSGS, fault="ds-no-finish", n=3) as stream:
            async for _ in stream:
                pass
            assert stream.message["status"]["type"] == "complete"


# -- the deadline during decoding, in the pure flow (a clock that the decoding moves) -------------


class _Env:
    retry = RetryPolicy(0)

    def resume_spec(self, stream_id: str) -> Any:  # pragma: no cover - never resumed here
        raise AssertionError(stream_id)


def _run_flow(flow: Any, answer: Any) -> Any:
    """Drive ``flow``: each action it yields gets ``answer(action)``."""
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            return stop.value
        outcome = answer(action)


def test_the_deadline_fires_inside_one_huge_decompressed_chunk() -> None:
    """One read hands over 8 MiB (a decompression bomb does so without any wait on the
    network): the deadline is checked while it is decoded, not after."""
    from assistant_ui._call.actions import Attach, Read, Release, Send, SendOutcome
    from assistant_ui._call.options import CallOptions
    from assistant_ui._call.state import ChatCall
    from assistant_ui._call.stream_flow import StreamFlow
    from assistant_ui._transports.inflight import InFlight

    ticks = [0.0]

    def clock() -> float:
        ticks[0] += 0.3  # every look at the clock: decoding takes time
        return ticks[0]

    opts = CallOptions(
        protocol="data-stream", idle_timeout=None, deadline=1.5, max_event_size=1 << 20,
        resume=False, max_resume_attempts=0, max_response_size=1 << 40,
    )
    call = ChatCall(protocol="data-stream", max_event_size=1 << 20)
    flow = StreamFlow(_Env(), None, opts, call, clock=clock, cancel=InFlight())
    line = b'0:"' + b"a" * 1000 + b'"\n'
    chunk = line * (8 * 1024)  # 8 MiB
    response = httpx.Response(200, headers={"x-vercel-ai-data-stream": "v1"}, request=httpx.Request("POST", "http://x/"))

    def answer(action: Any) -> Any:
        if isinstance(action, Send):
            return SendOutcome(response)
        if isinstance(action, Read):
            return chunk
        assert isinstance(action, (Attach, Release))
        return None

    _run_flow(flow.open(), answer)
    with pytest.raises(APITimeoutError) as info:
        _run_flow(flow.fill(), answer)
    assert "deadline" in str(info.value)
    assert call.consumed < len(chunk)  # decoding stopped inside the chunk
    assert info.value.partial is not None and info.value.partial.text
