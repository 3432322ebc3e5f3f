"""Resumable streams: a body cut by the network loses nothing (docs/api.md §4).

A real assistant-stream resumable server (``create_resumable_stream_context`` with
the in-memory store, ``create_resumable_assistant_stream_response`` /
``create_resume_assistant_stream_response``; one route with ``DataStreamEncoder``,
one with ``AssistantTransportEncoder``) runs on 127.0.0.1 through uvicorn, behind
the loopback proxy of ``tcp_proxy.py``, which cuts the first response after K
bytes of its raw body. For many K (right after the head, inside the chunked
framing, inside a line, inside a UTF-8 sequence, inside the last chunk) the
events the user sees and the result equal those of an uncut run, sync and async
(asyncio and trio), for both encoders.

Also: a resume refused (404: the server lost the stream), a resume cut again
(several attempts then success; and exhaustion), ``resume=False``, a cancel while
resuming, ``thread.resume(stream_id)`` from a fresh client, the fallback when a
replay is not byte-identical, and generic SSE with ``id:`` / ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from assistant_stream import RunController
from assistant_stream.resumable import (
    create_in_memory_resumable_stream_store,
    create_resumable_assistant_stream_response,
    create_resumable_stream_context,
    create_resume_assistant_stream_response,
)
from assistant_stream.serialization.assistant_transport import AssistantTransportEncoder
from assistant_stream.serialization.data_stream import DataStreamEncoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from tcp_proxy import CutProxy, chunked_layout

from assistant_ui import (
    APIConnectionError,
    APITimeoutError,
    AssistantClient,
    ChatResult,
    NotFoundError,
    user,
)

pytestmark = pytest.mark.timeout(60)

MSGS = [user("Hi")]


# -- the servers ---------------------------------------------------------------------------------


def _unescape_json(payload: str) -> str:
    return json.dumps(json.loads(payload), ensure_ascii=False)


class Utf8DataStreamEncoder(DataStreamEncoder):
    """``DataStreamEncoder`` with raw UTF-8 in its JSON (the stock one escapes it)."""

    async def encode_stream(self, stream: Any) -> AsyncIterator[str]:
        async for frame in super().encode_stream(stream):
            code, _, payload = frame.rstrip("\n").partition(":")
            yield f"{code}:{_unescape_json(payload)}\n"


class Utf8AssistantTransportEncoder(AssistantTransportEncoder):
    """``AssistantTransportEncoder`` with raw UTF-8 in its JSON."""

    async def encode_stream(self, stream: Any) -> AsyncIterator[str]:
        async for frame in super().encode_stream(stream):
            payload = frame[len("data: ") :].rstrip("\n")
            if frame.startswith("data: ") and payload != "[DONE]":
                yield f"data: {_unescape_json(payload)}\n\n"
            else:
                yield frame


def make_run(pieces: int, delay: float) -> Any:
    async def run(c: RunController) -> None:
        c.append_reasoning("Thinking… about ünïcode ")
        for i in range(pieces):
            c.append_text(f"Héllo wörld {i} 日本語 🎉; ")
            if delay:
                await asyncio.sleep(delay)
        tool = await c.add_tool_call("get_weather", "call_1")
        tool.append_args_text('{"city": "Zürich"')
        tool.append_args_text(', "unit": "°C"}')
        await asyncio.sleep(0.01)
        tool.set_response({"temp": 21, "sky": "☀"})
        await asyncio.sleep(0.01)
        c.add_data({"k": "v ✓"})
        c.state = {"progress": 1, "note": "fin ✓"}
        c.append_text("done ✓")

    return run


ENCODERS: dict[str, Any] = {
    "ds": DataStreamEncoder,
    "at": AssistantTransportEncoder,
    "ds-utf8": Utf8DataStreamEncoder,
    "at-utf8": Utf8AssistantTransportEncoder,
}


class ResumableServer:
    """assistant-stream's resumable streams on 127.0.0.1 (uvicorn in a thread).

    ``POST /api/chat`` (data stream) and ``POST /api/chat-at`` (assistant-transport)
    start a run; ``GET /api/chat/resume/{id}`` and ``GET /api/chat-at/resume/{id}``
    replay it. The body picks ``utf8`` (raw UTF-8 JSON), ``pieces`` and ``delay``.
    ``/api/gone/resume/{id}`` answers from an empty store (a restarted server),
    ``/api/busy/resume/{id}`` with 503 and ``Retry-After: 30``,
    ``/api/slow/resume/{id}`` only after 30 s.
    """

    def __init__(self) -> None:
        self.context = create_resumable_stream_context(store=create_in_memory_resumable_stream_store())
        self.empty = create_resumable_stream_context(store=create_in_memory_resumable_stream_store())
        self.kinds: dict[str, str] = {}
        self.resumes: list[str] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def app(self) -> Starlette:
        async def chat(request: Request) -> Response:
            body = await request.json()
            kind = "at" if request.url.path.endswith("-at") else "ds"
            if body.get("utf8"):
                kind += "-utf8"
            stream_id = uuid.uuid4().hex
            self.kinds[stream_id] = kind
            run = make_run(int(body.get("pieces", 8)), float(body.get("delay", 0.002)))
            return await create_resumable_assistant_stream_response(
                context=self.context, stream_id=stream_id, callback=run, encoder=ENCODERS[kind]()
            )

        async def resume(request: Request) -> Response:
            stream_id = request.path_params["stream_id"]
            self.resumes.append(stream_id)
            kind = self.kinds.get(stream_id, "ds")
            return await create_resume_assistant_stream_response(
                context=self.context, stream_id=stream_id, encoder=ENCODERS[kind]()
            )

        async def gone(request: Request) -> Response:
            self.resumes.append(request.path_params["stream_id"])
            return await create_resume_assistant_stream_response(
                context=self.empty, stream_id=request.path_params["stream_id"]
            )

        async def busy(request: Request) -> Response:
            self.resumes.append(request.path_params["stream_id"])
            return JSONResponse({"error": "busy"}, status_code=503, headers={"Retry-After": "30"})

        async def slow(request: Request) -> Response:
            self.resumes.append(request.path_params["stream_id"])
            end = time.monotonic() + 30
            while time.monotonic() < end and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return Response(status_code=499)

        return Starlette(
            routes=[
                Route("/api/chat", chat, methods=["POST"]),
                Route("/api/chat-at", chat, methods=["POST"]),
                Route("/api/chat/resume/{stream_id}", resume),
                Route("/api/chat-at/resume/{stream_id}", resume),
                Route("/api/gone/resume/{stream_id}", gone),
                Route("/api/busy/resume/{stream_id}", busy),
                Route("/api/slow/resume/{stream_id}", slow),
            ]
        )

    def start(self, app: Starlette | None = None) -> ResumableServer:
        """Serve :meth:`app`, or the ``app`` given (the other servers of this module)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app or self.app(),
            http="h11",
            lifespan="off",
            log_level="critical",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        end = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > end or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(5)


@pytest.fixture(scope="module")
def server() -> Iterator[ResumableServer]:
    srv = ResumableServer().start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _quiet_servers() -> Iterator[None]:
    # a cut makes the servers log the broken connection: expected here
    for name in ("uvicorn.error", "assistant_stream.resumable", "assistant_stream.resumable.context"):
        logging.getLogger(name).disabled = True
    yield
    for name in ("uvicorn.error", "assistant_stream.resumable", "assistant_stream.resumable.context"):
        logging.getLogger(name).disabled = False


def make_client(base_url: str, kind: str = "ds", **kwargs: Any) -> AssistantClient:
    route = "/api/chat-at" if kind.startswith("at") else "/api/chat"
    kwargs.setdefault("resume_path", route + "/resume/{stream_id}")
    client = AssistantClient(
        base_url,
        chat_path=route,
        max_retries=0,
        timeout=httpx.Timeout(10, connect=5),
        **kwargs,
    )
    client.retry.base_delay = 0.02  # quick back-off between resume attempts
    return client


def body_for(kind: str, **extra: Any) -> dict[str, Any]:
    return {"utf8": kind.endswith("utf8"), **extra}


# -- running one call, every way -------------------------------------------------------------------


def run_sync(client: AssistantClient, how: str, **body: Any) -> tuple[list[Any], ChatResult]:
    thread = client.threads("resume")
    if how == "chat":
        result = thread.chat_sync(MSGS, **body)
        return list(result.events), result
    with thread.stream_sync(MSGS, **body) as stream:
        seen = list(stream)
        return seen, stream.final()


async def run_async(client: AssistantClient, how: str, **body: Any) -> tuple[list[Any], ChatResult]:
    thread = client.threads("resume")
    if how == "chat":
        result = await thread.chat(MSGS, **body)
        return list(result.events), result
    async with thread.stream(MSGS, **body) as stream:
        seen = [ev async for ev in stream]
        return seen, await stream.final()


class Reference:
    def __init__(self, events: list[Any], message: Any, raw: bytes) -> None:
        self.events = events
        self.message = message
        self.raw = raw


_REFS: dict[str, Reference] = {}


def reference(server: ResumableServer, kind: str) -> Reference:
    """An uncut run through the proxy, with the raw body it carried."""
    if kind not in _REFS:
        with CutProxy(server.port, record=True) as proxy:
            client = make_client(proxy.base_url, kind)
            try:
                seen, result = run_sync(client, "stream", **body_for(kind))
            finally:
                client.close_sync()
        assert result.resumed == 0 and result.stream_id
        assert seen == result.events
        assert result.status["type"] == "complete"
        raw = bytes(proxy.bodies[0])
        assert raw.endswith(b"0\r\n\r\n")
        _REFS[kind] = Reference(result.events, result.message, raw)
    return _REFS[kind]


def cut_points(ref: Reference, utf8: bool) -> list[int]:
    """Cut points over the raw (chunked) body: framing, lines, UTF-8, the end."""
    raw = ref.raw
    chunks = list(chunked_layout(raw))
    first_start, first_end = chunks[0]
    mid_start, mid_end = chunks[len(chunks) // 2]
    last_start, last_end = chunks[-1]
    points = {
        0,  # right after the head
        1,  # inside the first chunk-size line
        first_start,  # the first data byte is next
        first_start + 3,  # inside the first line
        first_end,  # the data of a chunk, not its CRLF
        first_end + 1,  # between that CR and LF
        mid_start - 2,  # inside a chunk-size line mid-body
        (mid_start + mid_end) // 2,  # inside a line mid-body
        last_start + 1,  # inside the last data chunk
        last_end - 1,
        len(raw) - 3,  # every data byte, but not the whole end of the body
    }
    if utf8:
        for start, end in chunks[2:]:
            data = raw[start:end]
            lead = next((i for i, b in enumerate(data) if b >= 0xF0), -1)  # a 4-byte sequence
            if lead >= 0:
                points.update({start + lead + 1, start + lead + 2, start + lead + 3})
                break
        lead3 = raw.find("日".encode(), chunks[-3][0])
        points.update({lead3 + 1, lead3 + 2})
    return sorted(p for p in points if 0 <= p < len(raw))


def expect_resumed(ref: Reference, kind: str, k: int) -> int:
    """How many times a body cut after ``k`` raw bytes must be resumed."""
    if kind.startswith("at"):
        # after [DONE] (the last data chunk) nothing more is read
        return 1 if k < list(chunked_layout(ref.raw))[-1][1] else 0
    return 1


def check(ref: Reference, seen: list[Any], result: ChatResult) -> None:
    assert seen == ref.events
    assert result.events == ref.events
    assert result.message == ref.message


# -- the sweep: every cut point, both encoders, sync and async -----------------------------------------


KINDS = ["ds-utf8", "at-utf8"]


@pytest.mark.parametrize("kind", KINDS)
def test_sync_cut_anywhere_loses_nothing(
    server: ResumableServer, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="assistant_ui")
    ref = reference(server, kind)
    for i, k in enumerate(cut_points(ref, utf8=True)):
        with CutProxy(server.port, cuts=[k]) as proxy:
            client = make_client(proxy.base_url, kind)
            try:
                seen, result = run_sync(client, "stream" if i % 3 else "chat", **body_for(kind))
            finally:
                client.close_sync()
        assert proxy.cut_count == 1, k
        check(ref, seen, result)
        assert result.resumed == expect_resumed(ref, kind, k), k
        assert result.stream_id is not None
    # the replay was byte-identical every time: skipped, never decoded again
    assert "decoding it from byte 0" not in caplog.text


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_async_cut_anywhere_loses_nothing(server: ResumableServer, kind: str) -> None:
    ref = reference(server, kind)
    for i, k in enumerate(cut_points(ref, utf8=True)):
        with CutProxy(server.port, cuts=[k]) as proxy:
            client = make_client(proxy.base_url, kind)
            try:
                seen, result = await run_async(client, "stream" if i % 3 else "chat", **body_for(kind))
            finally:
                await client.close()
        assert proxy.cut_count == 1, k
        check(ref, seen, result)
        assert result.resumed == expect_resumed(ref, kind, k), k


@pytest.mark.parametrize("kind", ["ds", "at"])
def test_stock_encoders_cut_at_a_spread_of_points(server: ResumableServer, kind: str) -> None:
    ref = reference(server, kind)
    raw_len = len(ref.raw)
    for k in sorted({0, 7, raw_len // 5, raw_len // 3, raw_len // 2, (raw_len * 4) // 5, raw_len - 1}):
        with CutProxy(server.port, cuts=[k]) as proxy:
            client = make_client(proxy.base_url, kind)
            try:
                seen, result = run_sync(client, "stream", **body_for(kind))
            finally:
                client.close_sync()
        check(ref, seen, result)


@pytest.mark.anyio
async def test_cut_while_the_server_is_still_producing(server: ResumableServer) -> None:
    """The replay catches up with the stored part, then follows the live run."""
    kind = "at-utf8"
    body = body_for(kind, pieces=30, delay=0.02)
    with CutProxy(server.port, record=True) as proxy:
        client = make_client(proxy.base_url, kind)
        ref_seen, ref_result = await run_async(client, "stream", **body)
        await client.close()
    with CutProxy(server.port, cuts=[400]) as proxy:
        client = make_client(proxy.base_url, kind)
        thread = client.threads("resume")
        async with thread.stream(MSGS, **body) as stream:
            seen = [ev async for ev in stream]
            result = await stream.final()
        await client.close()
    assert seen == ref_seen and result.message == ref_result.message
    assert result.resumed == 1


# -- when it cannot be resumed ----------------------------------------------------------------------------


def assert_partial_prefix(error: APIConnectionError, ref: Reference) -> ChatResult:
    partial = error.partial
    assert partial is not None
    assert partial.events == ref.events[: len(partial.events)]
    assert partial.status["type"] == "incomplete"
    assert partial.status.get("reason") == "error"
    return partial


@pytest.mark.parametrize("kind", ["ds-utf8", "at-utf8"])
def test_resume_refused_404_raises_with_the_partial(server: ResumableServer, kind: str) -> None:
    ref = reference(server, kind)
    k = len(ref.raw) // 2
    with CutProxy(server.port, cuts=[k]) as proxy:
        client = make_client(proxy.base_url, kind, resume_path="/api/gone/resume/{stream_id}")
        with pytest.raises(APIConnectionError) as info:
            run_sync(client, "stream", **body_for(kind))
        client.close_sync()
    assert "404" in str(info.value)
    partial = assert_partial_prefix(info.value, ref)
    assert 0 < len(partial.events) < len(ref.events)


@pytest.mark.anyio
async def test_resume_refused_404_async(server: ResumableServer) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        client = make_client(proxy.base_url, kind, resume_path="/api/gone/resume/{stream_id}")
        with pytest.raises(APIConnectionError) as info:
            await run_async(client, "chat", **body_for(kind))
        await client.close()
    assert_partial_prefix(info.value, ref)


@pytest.mark.parametrize("kind", ["ds-utf8", "at-utf8"])
def test_resume_cut_again_then_success(server: ResumableServer, kind: str) -> None:
    ref = reference(server, kind)
    k = len(ref.raw) // 2
    # the first two resumes are cut before they reach the first cut point
    with CutProxy(server.port, cuts=[k, 10, k // 2]) as proxy:
        client = make_client(proxy.base_url, kind, max_resume_attempts=3)
        seen, result = run_sync(client, "stream", **body_for(kind))
        client.close_sync()
    check(ref, seen, result)
    assert proxy.cut_count == 3
    assert result.resumed == 3


@pytest.mark.anyio
async def test_resume_cut_again_then_success_async(server: ResumableServer) -> None:
    kind = "at-utf8"
    ref = reference(server, kind)
    k = len(ref.raw) // 2
    # each resume gets further than the last: the attempt count starts again
    with CutProxy(server.port, cuts=[k // 3, k // 2, k, (k * 3) // 2]) as proxy:
        client = make_client(proxy.base_url, kind, max_resume_attempts=1)
        seen, result = await run_async(client, "stream", **body_for(kind))
        await client.close()
    check(ref, seen, result)
    assert result.resumed == 4


@pytest.mark.parametrize("kind", ["ds-utf8", "at-utf8"])
def test_resume_attempts_exhausted(server: ResumableServer, kind: str) -> None:
    ref = reference(server, kind)
    k = len(ref.raw) // 2
    with CutProxy(server.port, cuts=[k, 5, 5, 5, 5, 5]) as proxy:
        client = make_client(proxy.base_url, kind, max_resume_attempts=3)
        with pytest.raises(APIConnectionError) as info:
            run_sync(client, "chat", **body_for(kind))
        client.close_sync()
    assert "3 attempts" in str(info.value)
    assert proxy.accepted == 4  # the call and three resumes
    assert_partial_prefix(info.value, ref)


@pytest.mark.anyio
async def test_resume_attempts_exhausted_async(server: ResumableServer) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2, 5, 5, 5]) as proxy:
        client = make_client(proxy.base_url, kind, max_resume_attempts=2)
        with pytest.raises(APIConnectionError) as info:
            await run_async(client, "stream", **body_for(kind))
        await client.close()
    assert "2 attempts" in str(info.value)
    assert proxy.accepted == 3
    assert_partial_prefix(info.value, ref)


@pytest.mark.parametrize("where", ["client", "call"])
def test_resume_false_raises_with_the_partial(server: ResumableServer, where: str) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        if where == "client":
            client = make_client(proxy.base_url, kind, resume=False)
            extra: dict[str, Any] = {}
        else:
            client = make_client(proxy.base_url, kind)
            extra = {"resume": False}
        with pytest.raises(APIConnectionError) as info:
            client.threads("t").chat_sync(MSGS, **extra, **body_for(kind))
        client.close_sync()
    assert proxy.accepted == 1
    assert_partial_prefix(info.value, ref)
    assert server.resumes.count(info.value.partial.stream_id) == 0  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_resume_false_per_call_async(server: ResumableServer) -> None:
    kind = "at-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        client = make_client(proxy.base_url, kind)
        with pytest.raises(APIConnectionError) as info:
            async with client.threads("t").stream(MSGS, resume=False, **body_for(kind)) as stream:
                async for _ in stream:
                    pass
        await client.close()
    assert proxy.accepted == 1
    assert_partial_prefix(info.value, ref)


# -- cancelling while resuming -------------------------------------------------------------------------------


def test_cancel_sync_during_the_resume_back_off(server: ResumableServer) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        client = make_client(proxy.base_url, kind, resume_path="/api/busy/resume/{stream_id}")
        thread = client.threads("cancel-resume")
        before = len(server.resumes)

        def cancel_soon() -> None:
            end = time.monotonic() + 10
            while len(server.resumes) == before and time.monotonic() < end:
                time.sleep(0.01)
            time.sleep(0.1)  # now in the Retry-After: 30 wait
            thread.client.threads("cancel-resume")._abort_all()

        canceller = threading.Thread(target=cancel_soon)
        canceller.start()
        started = time.monotonic()
        result = thread.chat_sync(MSGS, **body_for(kind))
        canceller.join()
        client.close_sync()
    assert time.monotonic() - started < 5
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    assert result.events == ref.events[: len(result.events)]


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["busy", "slow"])
async def test_cancel_async_during_a_resume(server: ResumableServer, path: str) -> None:
    kind = "at-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        client = make_client(proxy.base_url, kind, resume_path=f"/api/{path}/resume/{{stream_id}}")
        thread = client.threads("cancel-resume-async")
        before = len(server.resumes)
        box: dict[str, ChatResult] = {}

        async def call() -> None:
            box["result"] = await thread.chat(MSGS, **body_for(kind))

        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            with anyio.fail_after(10):
                while len(server.resumes) == before:
                    await anyio.sleep(0.01)
            await anyio.sleep(0.1)
            thread._abort_all()
        await client.close()
    assert time.monotonic() - started < 5
    result = box["result"]
    assert result.status == {"type": "incomplete", "reason": "cancelled"}
    assert result.events == ref.events[: len(result.events)]


# -- a timeout is not a cut ----------------------------------------------------------------------------------


def test_idle_timeout_is_not_resumed(server: ResumableServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    client = make_client(base, "at", idle_timeout=0.3)
    before = len(server.resumes)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.threads("t").chat_sync(MSGS, pieces=2, delay=5)
    client.close_sync()
    assert time.monotonic() - started < 3
    assert len(server.resumes) == before
    assert info.value.partial is not None and info.value.partial.text.startswith("Héllo")


@pytest.mark.anyio
async def test_idle_timeout_is_not_resumed_async(server: ResumableServer) -> None:
    client = make_client(f"http://127.0.0.1:{server.port}", "ds", idle_timeout=0.3)
    before = len(server.resumes)
    with pytest.raises(APITimeoutError):
        await client.threads("t").chat(MSGS, pieces=2, delay=5)
    await client.close()
    assert len(server.resumes) == before


def test_deadline_bounds_the_resume_back_off(server: ResumableServer) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        client = make_client(
            proxy.base_url, kind, resume_path="/api/busy/resume/{stream_id}", deadline=1.0
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            client.threads("t").chat_sync(MSGS, **body_for(kind))
        client.close_sync()
    assert time.monotonic() - started < 2.5
    assert_partial_prefix(info.value, ref)


# -- thread.resume(stream_id): a stream started elsewhere -----------------------------------------------------


@pytest.mark.parametrize("kind", ["ds-utf8", "at-utf8"])
def test_resume_sync_from_a_fresh_client(server: ResumableServer, kind: str) -> None:
    ref = reference(server, kind)
    base = f"http://127.0.0.1:{server.port}"
    first = make_client(base, kind)
    # start a slow run and walk away after the first events (a process that died)
    with first.threads("t").stream_sync(MSGS, **body_for(kind, pieces=8, delay=0.02)) as stream:
        next(iter(stream))
        stream_id = stream.stream_id
    first.close_sync()
    assert stream_id
    fresh = make_client(base, kind)
    result = fresh.threads("t").resume_sync(stream_id)
    fresh.close_sync()
    assert result.events == ref.events and result.message == ref.message
    assert result.stream_id == stream_id
    assert result.resumed == 0


@pytest.mark.anyio
async def test_resume_async_from_a_fresh_client_through_a_cut(server: ResumableServer) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    base = f"http://127.0.0.1:{server.port}"
    first = make_client(base, kind)
    result = await first.threads("t").chat(MSGS, **body_for(kind))
    await first.close()
    assert result.stream_id
    # the replay itself is cut, and picked up again
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        fresh = make_client(proxy.base_url, kind)
        async with fresh.threads("t").resume_stream(result.stream_id) as stream:
            seen = [ev async for ev in stream]
            resumed = await stream.final()
        await fresh.close()
    assert seen == ref.events and resumed.message == ref.message
    assert resumed.resumed == 1


def test_resume_unknown_stream_raises_not_found(server: ResumableServer) -> None:
    client = make_client(f"http://127.0.0.1:{server.port}")
    with pytest.raises(NotFoundError):
        client.threads("t").resume_sync("no-such-stream")
    with pytest.raises(ValueError):
        client.threads("t").resume_sync("")
    client.close_sync()


@pytest.mark.anyio
async def test_resume_unknown_stream_raises_not_found_async(server: ResumableServer) -> None:
    client = make_client(f"http://127.0.0.1:{server.port}")
    with pytest.raises(NotFoundError):
        await client.threads("t").resume("no-such-stream")
    await client.close()


# -- logging ------------------------------------------------------------------------------------------------


def test_resume_and_stream_end_are_logged(server: ResumableServer, caplog: pytest.LogCaptureFixture) -> None:
    kind = "ds-utf8"
    ref = reference(server, kind)
    caplog.set_level(logging.DEBUG, logger="assistant_ui")
    with CutProxy(server.port, cuts=[len(ref.raw) // 2]) as proxy:
        client = make_client(proxy.base_url, kind)
        result = client.threads("t").chat_sync(MSGS, **body_for(kind))
        client.close_sync()
    assert result.resumed == 1
    resumes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("resuming")]
    assert len(resumes) == 1
    assert "attempt 1" in resumes[0] and f"stream {result.stream_id}" in resumes[0]
    assert "skipping" in resumes[0] and "bytes" in resumes[0]
    ends = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stream end")]
    assert len(ends) == 1 and "complete (resumed 1 time)" in ends[0]


# -- a replay that is not byte-identical: decoded from byte 0 and reconciled ----------------------------------------


DS_BODY = [b'0:"Hello"\n', b'0:" w\xc3\xb6rld"\n', b'0:", how"\n', b'0:" are"\n', b'0:" you?"\n']


class ReplayApp:
    """A resumable data stream whose replay may differ from the original.

    ``mode``: ``"respaced"`` (the same events in other bytes), ``"different"``
    (other text), ``"shorter"`` (the replay stops early).
    """

    def __init__(self) -> None:
        self.mode = "respaced"
        self.paths: list[str] = []

    def app(self) -> Starlette:
        async def chat(request: Request) -> Response:
            async def body() -> AsyncIterator[bytes]:
                for line in DS_BODY:
                    yield line
                    await asyncio.sleep(0.005)

            return StreamingResponse(body(), media_type="text/plain", headers={"x-resumable-stream-id": "s-1"})

        async def resume(request: Request) -> Response:
            self.paths.append(request.scope.get("raw_path", b"").decode())
            if request.path_params["stream_id"] != "s-1":
                return JSONResponse({"error": "stream not found"}, status_code=404)
            if self.mode == "respaced":
                lines = [line.replace(b":", b": ", 1) for line in DS_BODY]
            elif self.mode == "different":
                lines = [b'0:"Goodbye"\n', *DS_BODY[1:]]
            else:
                lines = DS_BODY[:1]
            return StreamingResponse(iter(lines), media_type="text/plain", headers={"x-resumable-stream-id": "s-1"})

        return Starlette(
            routes=[
                Route("/api/chat", chat, methods=["POST"]),
                Route("/api/chat/resume/{stream_id:path}", resume),
            ]
        )


@pytest.fixture(scope="module")
def replay_server() -> Iterator[tuple[ResumableServer, ReplayApp]]:
    app = ReplayApp()
    srv = ResumableServer().start(app.app())
    yield srv, app
    srv.stop()


def _wire_offset_after_lines(n: int) -> int:
    """Raw chunked-body bytes carrying the first ``n`` lines of DS_BODY."""
    return sum(len(f"{len(line):x}\r\n".encode()) + len(line) + 2 for line in DS_BODY[:n])


def test_replay_with_other_bytes_is_reconciled(
    replay_server: tuple[ResumableServer, ReplayApp], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="assistant_ui")
    srv, app = replay_server
    app.mode = "respaced"
    with CutProxy(srv.port, cuts=[_wire_offset_after_lines(3) - 4]) as proxy:
        client = make_client(proxy.base_url)
        with client.threads("t").stream_sync(MSGS) as stream:
            seen = list(stream)
            result = stream.final()
        client.close_sync()
    assert result.text == "Hello wörld, how are you?"
    assert "decoding it from byte 0" in caplog.text
    assert seen == result.events == [{"type": "text-delta", "delta": line[3:-2].decode()} for line in DS_BODY]
    assert result.resumed == 1


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["different", "shorter"])
async def test_replay_that_differs_raises_without_duplicates(
    replay_server: tuple[ResumableServer, ReplayApp], mode: str
) -> None:
    srv, app = replay_server
    app.mode = mode
    with CutProxy(srv.port, cuts=[_wire_offset_after_lines(3)]) as proxy:
        client = make_client(proxy.base_url)
        with pytest.raises(APIConnectionError) as info:
            await client.threads("t").chat(MSGS)
        await client.close()
    assert "could not be resumed" in str(info.value)
    partial = info.value.partial
    assert partial is not None
    assert partial.text == "Hello wörld, how"  # what was received, once


def test_stream_id_is_percent_encoded(replay_server: tuple[ResumableServer, ReplayApp]) -> None:
    srv, app = replay_server
    client = make_client(f"http://127.0.0.1:{srv.port}")
    with pytest.raises(NotFoundError):
        client.threads("t").resume_sync("a/b c?d")
    client.close_sync()
    assert app.paths[-1] == "/api/chat/resume/a%2Fb%20c%3Fd"


# -- generic SSE: id: and Last-Event-ID ------------------------------------------------------------------------------


class SSEApp:
    """``POST /sse``: 12 events with ids 1..12 (and ``retry: 10``), slowly.

    With ``Last-Event-ID``, ``mode`` decides: ``"after"`` sends the events after
    it (as the spec intends), ``"all"`` replays every event from the first (the
    client must skip those it has). ``openai`` sends OpenAI chunks and ``[DONE]``.
    """

    def __init__(self) -> None:
        self.mode = "after"
        self.requests: list[tuple[str | None, Any]] = []

    def app(self) -> Starlette:
        async def sse(request: Request) -> Response:
            body = await request.json()
            last = request.headers.get("last-event-id")
            self.requests.append((last, body))
            start = 1
            if last is not None and self.mode == "after":
                start = int(last) + 1
            openai = bool(body.get("openai"))

            async def events() -> AsyncIterator[bytes]:
                yield b"retry: 10\n\n"
                for i in range(start, 13):
                    if openai:
                        data = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": f"w{i}é "}}]}
                    else:
                        data = {"n": i, "text": f"événement {i}"}
                    yield f"id: {i}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
                    await asyncio.sleep(0.003)
                if openai:
                    yield b"data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        return Starlette(routes=[Route("/sse", sse, methods=["POST"])])


@pytest.fixture(scope="module")
def sse_server() -> Iterator[tuple[ResumableServer, SSEApp]]:
    app = SSEApp()
    srv = ResumableServer().start(app.app())
    yield srv, app
    srv.stop()


def _sse_reference(srv: ResumableServer, body: dict[str, Any]) -> tuple[list[Any], bytes]:
    with CutProxy(srv.port, record=True) as proxy:
        client = AssistantClient(proxy.base_url, chat_path="/sse", max_retries=0)
        result = client.threads("t").chat_sync(MSGS, **body)
        client.close_sync()
    return result.events, bytes(proxy.bodies[0])


@pytest.mark.parametrize("mode", ["after", "all"])
@pytest.mark.parametrize("openai", [False, True], ids=["raw", "openai"])
def test_sse_last_event_id_reconnect_sync(
    sse_server: tuple[ResumableServer, SSEApp], mode: str, openai: bool
) -> None:
    srv, app = sse_server
    app.mode = "after"
    body = {"openai": openai}
    ref_events, raw = _sse_reference(srv, body)
    assert len(ref_events) >= 12
    app.mode = mode
    for k in (len(raw) // 3, len(raw) // 2 + 1, len(raw) - 40):
        del app.requests[:]
        with CutProxy(srv.port, cuts=[k]) as proxy:
            client = AssistantClient(proxy.base_url, chat_path="/sse", max_retries=0)
            with client.threads("t").stream_sync(MSGS, **body) as stream:
                seen = list(stream)
                result = stream.final()
            client.close_sync()
        assert seen == ref_events, k
        assert result.events == ref_events
        assert result.resumed == 1
        assert len(app.requests) == 2
        last, resent = app.requests[1]
        assert last is not None and 1 <= int(last) <= 12
        assert resent == app.requests[0][1]  # the same request again


@pytest.mark.anyio
async def test_sse_last_event_id_reconnect_async(sse_server: tuple[ResumableServer, SSEApp]) -> None:
    srv, app = sse_server
    app.mode = "after"
    ref_events, raw = _sse_reference(srv, {})
    app.mode = "all"
    with CutProxy(srv.port, cuts=[len(raw) // 2]) as proxy:
        client = AssistantClient(proxy.base_url, chat_path="/sse", max_retries=0)
        result = await client.threads("t").chat(MSGS)
        await client.close()
    assert result.events == ref_events
    assert result.resumed == 1


def test_sse_without_ids_is_not_resumed(sse_server: tuple[ResumableServer, SSEApp]) -> None:
    srv, _ = sse_server
    # cut inside the first event: no id was delivered yet
    with CutProxy(srv.port, cuts=[30]) as proxy:
        client = AssistantClient(proxy.base_url, chat_path="/sse", max_retries=0)
        with pytest.raises(APIConnectionError):
            client.threads("t").chat_sync(MSGS)
        client.close_sync()
    assert proxy.accepted == 1


# -- the SSE gate, alone: what goes to the decoder always ends at an event boundary -----------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from assistant_ui._call.sse_gate import SSEGate  # noqa: E402
from assistant_ui._wire.decoder import StreamDecoder  # noqa: E402


def _decode_all(body: bytes) -> list[Any]:
    decoder = StreamDecoder(protocol="sse")
    return decoder.feed(body) + decoder.end()


@st.composite
def sse_bodies(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    eol = st.sampled_from([b"\n", b"\r", b"\r\n"])
    parts: list[bytes] = []
    for i in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            parts.append(b": keep-alive" + draw(eol))
        parts.append(b"id: " + str(i).encode() + draw(eol))
        for _ in range(draw(st.integers(1, 2))):
            text = draw(st.text(alphabet="ab é日\U0001f389", max_size=6)).encode()
            parts.append(b"data: " + text + draw(eol))
        parts.append(draw(eol))
    body = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=6)))
    return body, cuts


@settings(max_examples=300, deadline=None)
@given(sse_bodies(), st.data())
def test_the_gate_passes_whole_events_only(case: tuple[bytes, list[int]], data: st.DataObject) -> None:
    body, cuts = case
    k = data.draw(st.integers(0, len(body)), label="cut")
    gate = SSEGate()
    released = b""
    pos = 0
    for c in [c for c in cuts if c <= k] + [k]:
        released += gate.feed(body[pos:c])
        pos = c
    assert body.startswith(released)
    # what was released is whole events: the rest of the body decodes on its own
    # to exactly the events the released part lacks
    whole = _decode_all(body)
    head = StreamDecoder(protocol="sse").feed(released)
    rest = body[len(released) :]
    if released.endswith(b"\r") and rest.startswith(b"\n"):
        rest = rest[1:]  # the LF of a CRLF the released part ends inside
    assert head + _decode_all(rest) == whole
    # and holding the tail back delays no event
    assert head == StreamDecoder(protocol="sse").feed(body[:k])
    assert gate.flush() == body[len(released) : k]
