"""A real assistant-stream backend on 127.0.0.1 for the streaming / cancel / timeout tests.

``LiveServer`` runs uvicorn (h11) in a background thread on an ephemeral port and
serves a Starlette app built on ``assistant_stream``:

* ``POST /api/chat`` answers with ``create_run`` + ``DataStreamResponse`` (or
  ``AssistantTransportResponse`` when the body says ``"format": "assistant-transport"``).
  The request body chooses the behaviour through extra top-level keys (the client
  merges unknown keyword arguments into the body):

  - ``scenario``: ``"slow"`` (``n`` text deltas ``delay`` seconds apart, the default),
    ``"silent"`` (one optional delta, then sleeps ``delay`` seconds: only heartbeats
    go out), ``"fast"`` (``n`` deltas, no sleep);
    ``"finish-then-end"`` (a data stream whose finish line comes ``delay`` seconds
    before the body ends), ``"done-then-hold"`` (an assistant-transport body that sends ``[DONE]`` and then
    keeps the connection open for ``delay`` seconds without ending the body);
    ``"busy"`` (503 with ``Retry-After: 30``);
  - ``head_delay``: seconds to wait before answering at all (the response head);
  - ``heartbeat``: seconds between keep-alives (default off);
  - ``tag``: a key under which the server records what happened to this run.

The client port of every chat request is kept in ``ports`` (keep-alive reuse).

* ``POST /api/cancel`` records the body.

For every tagged run the server records ``"start"`` and then either ``"complete"``
or ``"disconnect"`` (the run was torn down before it finished: the client went
away); :meth:`LiveServer.wait_for` waits for such a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from assistant_stream import RunController, create_run
from assistant_stream.serialization import DataStreamResponse
from assistant_stream.serialization.assistant_transport import AssistantTransportResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


class LiveServer:
    def __init__(self) -> None:
        self.cancels: list[dict[str, Any]] = []
        self.records: dict[str, list[str]] = {}
        self.requests = 0
        self.ports: list[int] = []
        self._cond = threading.Condition()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- what the tests read ------------------------------------------------------

    def record(self, tag: str | None, what: str) -> None:
        if tag is None:
            return
        with self._cond:
            self.records.setdefault(tag, []).append(what)
            self._cond.notify_all()

    def wait_for(self, tag: str, what: str, timeout: float = 5.0) -> bool:
        end = time.monotonic() + timeout
        with self._cond:
            while what not in self.records.get(tag, []):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def cancels_for(self, thread_id: str) -> int:
        with self._cond:
            return sum(1 for c in self.cancels if c.get("threadId") == thread_id)

    # -- the app ----------------------------------------------------------------------

    def app(self) -> Starlette:
        async def chat(request: Request) -> Response:
            body = await request.json()
            with self._cond:
                self.requests += 1
                if request.client is not None:
                    self.ports.append(request.client.port)
            tag = body.get("tag")
            scenario = body.get("scenario", "slow")
            n = int(body.get("n", 300))
            delay = float(body.get("delay", 0.1))
            heartbeat = body.get("heartbeat", False)
            fmt = body.get("format", "data-stream")
            if scenario == "busy":
                self.record(tag, "busy")
                return JSONResponse({"error": "busy"}, status_code=503, headers={"Retry-After": "30"})
            if body.get("head_delay"):
                self.record(tag, "head-wait")
                end = time.monotonic() + float(body["head_delay"])
                while time.monotonic() < end:
                    await asyncio.sleep(0.02)
                    if await request.is_disconnected():
                        self.record(tag, "disconnect")
                        return Response(status_code=499)
            if scenario == "finish-then-end":
                return StreamingResponse(self._finish_then_end(tag, delay), media_type="text/plain")
            if scenario == "done-then-hold":
                return StreamingResponse(self._done_then_hold(tag, delay), media_type="text/event-stream")

            async def run(controller: RunController) -> None:
                self.record(tag, "start")
                finished = False
                try:
                    if scenario == "silent":
                        if body.get("first_text"):
                            controller.append_text(body["first_text"])
                        # cooperative: the run notices a client that went away
                        end = time.monotonic() + delay
                        while time.monotonic() < end and not controller.is_cancelled:
                            await asyncio.sleep(0.02)
                    else:
                        for i in range(n):
                            controller.append_text(f"t{i} ")
                            if scenario == "slow":
                                await asyncio.sleep(delay)
                            if controller.is_cancelled:
                                break
                    finished = not controller.is_cancelled
                finally:
                    self.record(tag, "complete" if finished else "disconnect")

            stream = create_run(run)
            if fmt == "assistant-transport":
                return AssistantTransportResponse(stream, heartbeat=heartbeat)
            return DataStreamResponse(stream, heartbeat=heartbeat)

        async def cancel(request: Request) -> Response:
            body = await request.json()
            with self._cond:
                self.cancels.append(body)
                self._cond.notify_all()
            return JSONResponse({"ok": True})

        return Starlette(
            routes=[
                Route("/api/chat", chat, methods=["POST"]),
                Route("/api/cancel", cancel, methods=["POST"]),
            ]
        )

    async def _finish_then_end(self, tag: str | None, delay: float) -> AsyncIterator[str]:
        self.record(tag, "start")
        yield '0:"finished"\n'
        yield 'd:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":1}}\n'
        await asyncio.sleep(delay)
        yield "\n"
        self.record(tag, "complete")

    async def _done_then_hold(self, tag: str | None, delay: float) -> AsyncIterator[str]:
        self.record(tag, "start")
        try:
            yield 'data: {"type":"part-start","part":{"type":"text"},"path":[]}\n\n'
            yield 'data: {"type":"text-delta","textDelta":"all done","path":[0]}\n\n'
            yield 'data: {"type":"part-finish","path":[0]}\n\n'
            yield "data: [DONE]\n\n"
            await asyncio.sleep(delay)
            self.record(tag, "complete")
        except BaseException:
            self.record(tag, "disconnect")
            raise

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            http="h11",
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
        )
        self._thread.start()
        end = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > end or not self._thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.005)
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def live_server() -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server
