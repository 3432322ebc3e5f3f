"""Many concurrent streams from one async client against a real server on 127.0.0.1.

    python bench/scale.py                                  # 100 x 1,000 and 1,000 x 100, 3 repeats
    python bench/scale.py --case 200x200 --repeat 5 --clients ours,openai

Starts an ``assistant-stream`` app under uvicorn in a subprocess (a data-stream
endpoint and an OpenAI-format endpoint producing the same text), then, for each case
``STREAMSxDELTAS``, starts that many streams at once (``asyncio.gather``, after one
warm-up stream on a fresh client) through each client, interleaved (the order rotates
between repeats), and reports the median over the repeats of: events/s over all
streams, p50/p99 time to first event (TTFE, from the stream's task starting to its
first item), the client's and the server's CPU seconds, when the streams' tasks
started (all are created at once; each runs only after the first steps of those
before it), and where the first event waited: the p50 over the streams of each phase,
taken by httpx event hooks and httpcore's trace extension, the same for every client:

    prep    task start -> request handed to httpx's transport (the client's own work,
            and waiting for the event loop)
    pool    -> the request starts on a connection (waiting for one; TCP connect if new)
    send    -> request written
    server  -> response head received
    body    head -> first body chunk
    decode  first chunk -> first item out of the client

Under the table: ours against openai and against the floor, the ratio of the medians
and the lowest and highest ratio within one repetition (how far one run's verdict can
move on a shared machine).

Clients (``--clients``):

    ours          AssistantClient.stream on the data-stream endpoint
    ours-openai   AssistantClient(api="openai").stream on the OpenAI endpoint (same bytes as openai's)
    openai        openai-python's AsyncOpenAI, its own http client (httpx2), OpenAI endpoint
    openai-httpx  AsyncOpenAI given an httpx.AsyncClient (httpcore 1.0's own pool)
    ours-stock    AssistantClient given httpx's transport (httpcore 1.0's own pool)
    httpx         the floor: a bare httpx.AsyncClient (with ours' pool) reading the data-stream
                  endpoint's body chunks, no decoding (each chunk counts as an event)

Every client gets the same limits: max(1000, streams) connections, 100 kept alive
(the defaults of this client and of openai-python). Every item an iterator yields
counts as one event (ours: normalized events; openai: chunks). Needs ``uvicorn``,
``starlette`` and ``assistant-stream`` (the test extra) and optionally ``openai``.
Linux only for the server's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import os
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from assistant_ui import AssistantClient, user

SERVER = textwrap.dedent(
    """
    import asyncio, os
    from starlette.applications import Starlette
    from starlette.routing import Route
    from assistant_stream import create_run
    from assistant_stream.serialization import DataStreamResponse, OpenAIStreamResponse

    DELTAS = int(os.environ["BENCH_DELTAS"])

    async def run(controller):
        for i in range(DELTAS):
            controller.append_text(f"token{i} ")
            if i % 20 == 0:
                await asyncio.sleep(0)

    async def chat(request):
        await request.body()
        return DataStreamResponse(create_run(run))

    async def openai(request):
        await request.body()
        return OpenAIStreamResponse(create_run(run))

    app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"]),
                            Route("/v1/chat/completions", openai, methods=["POST"])])
    """
)

ALL_CLIENTS = ("ours", "ours-openai", "openai", "openai-httpx", "ours-stock", "httpx")
DEFAULT_CLIENTS = ("ours", "ours-openai", "openai", "openai-httpx")
PHASES = ("prep", "pool", "send", "server", "body", "decode")
#: (phase, from mark, to mark)
SPANS = (
    ("prep", "start", "request"),
    ("pool", "request", "on_connection"),
    ("send", "on_connection", "sent"),
    ("server", "sent", "head"),
    ("body", "head", "chunk"),
    ("decode", "chunk", "event"),
)

#: per stream (each runs in its own task): when each mark was reached
MARKS: contextvars.ContextVar[dict[str, float]] = contextvars.ContextVar("marks")


# -- timing hooks (the same for every client) ----------------------------------------------------


async def _trace(name: str, info: Any) -> None:
    marks = MARKS.get(None)
    if marks is None:
        return
    now = time.perf_counter()
    if name == "connection.connect_tcp.started":
        marks["connect_start"] = now
    elif name == "connection.connect_tcp.complete":
        marks["connected"] = now
    elif name == "http11.send_request_headers.started":
        marks.setdefault("on_connection", now)
    elif name == "http11.send_request_body.complete":
        marks.setdefault("sent", now)


async def _on_request(request: Any) -> None:
    marks = MARKS.get(None)
    if marks is not None:
        marks.setdefault("request", time.perf_counter())
        request.extensions = {**request.extensions, "trace": _trace}


class _FirstChunk:
    """Wraps a response's byte stream, noting when its first chunk comes out."""

    def __init__(self, inner: Any, marks: dict[str, float]) -> None:
        self.inner = inner
        self.marks = marks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.marks.setdefault("chunk", time.perf_counter())
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


#: _FirstChunk as an AsyncByteStream of httpx, or of httpx2 (which openai uses)
_WRAPPERS: dict[type, type] = {}


def _first_chunk_type(stream_base: type) -> type:
    if stream_base not in _WRAPPERS:
        _WRAPPERS[stream_base] = type("FirstChunk", (_FirstChunk, stream_base), {})
    return _WRAPPERS[stream_base]


async def _on_response(response: Any) -> None:
    marks = MARKS.get(None)
    if marks is not None:
        marks.setdefault("head", time.perf_counter())
        module = sys.modules[type(response).__module__.split(".")[0]]
        response.stream = _first_chunk_type(module.AsyncByteStream)(response.stream, marks)


HOOKS = {"request": [_on_request], "response": [_on_response]}


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, deltas: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, BENCH_DELTAS=str(deltas), PYTHONPATH=os.getcwd())
    code = SERVER + textwrap.dedent(
        f"""
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", backlog=2048)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (nan where /proc is missing)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


# -- the clients -----------------------------------------------------------------------------------

One = Callable[[], Awaitable[int]]


async def _count(items: AsyncIterator[Any]) -> int:
    count = 0
    async for _ in items:
        if count == 0:
            marks = MARKS.get(None)
            if marks is not None:
                marks["event"] = time.perf_counter()
        count += 1
    return count


def make_client(name: str, base: str, limits: httpx.Limits) -> tuple[One, Callable[[], Awaitable[None]]]:
    """(one stream, close) for the client ``name``."""
    timeout = httpx.Timeout(60, connect=30)
    if name.startswith("ours"):
        kwargs: dict[str, Any] = {"timeout": timeout, "event_hooks": HOOKS}
        if name == "ours-stock":
            kwargs["transport"] = httpx.AsyncHTTPTransport(limits=limits)
        else:
            kwargs["limits"] = limits
        if name == "ours-openai":
            kwargs.update(api="openai", model="m")
        client = AssistantClient(base_url=base, **kwargs)
        thread = client.threads("bench")

        async def ours() -> int:
            async with thread.stream(messages=[user("hi")]) as stream:
                return await _count(stream)

        return ours, client.close

    if name == "httpx":
        from assistant_ui._transports.pool import reserve_connections

        bare = httpx.AsyncClient(limits=limits, timeout=timeout, event_hooks=HOOKS)
        reserve_connections(bare)

        async def floor() -> int:
            async with bare.stream("POST", base + "/api/chat", json={"messages": []}) as response:
                return await _count(response.aiter_bytes())

        return floor, bare.aclose

    import openai

    if name == "openai":
        import httpx2

        http: Any = openai.DefaultAsyncHttpx2Client(
            limits=httpx2.Limits(max_connections=limits.max_connections,
                                 max_keepalive_connections=limits.max_keepalive_connections),
            timeout=httpx2.Timeout(60, connect=30), event_hooks=HOOKS,
        )
    else:
        http = httpx.AsyncClient(limits=limits, timeout=timeout, event_hooks=HOOKS)
    oc = openai.AsyncOpenAI(base_url=base + "/v1", api_key="sk-bench", max_retries=0, http_client=http)

    async def theirs() -> int:
        stream = await oc.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        return await _count(stream)

    return theirs, oc.close


def client_label(name: str) -> str:
    if name == "httpx":
        return "floor: bare httpx.AsyncClient, body chunks (data stream)"
    if name.startswith("ours"):
        return {
            "ours": "assistant_ui `AssistantClient.stream` (data stream)",
            "ours-openai": "assistant_ui `AssistantClient(api=\"openai\").stream` (OpenAI SSE)",
            "ours-stock": "assistant_ui, httpcore's own pool (data stream)",
        }[name]
    import openai

    own = "its own httpx2 client" if name == "openai" else "an httpx.AsyncClient"
    return f"openai {openai.__version__} `AsyncOpenAI` stream, {own} (OpenAI SSE)"


# -- one measurement ---------------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


async def measure(name: str, base: str, streams: int, server_pid: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=max(1000, streams), max_keepalive_connections=100)
    one, close = make_client(name, base, limits)
    try:
        await one()  # warm-up: one connection open, imports done
        gc.collect()
        marks_all: list[dict[str, float]] = []

        async def timed() -> int:
            marks = {"start": time.perf_counter()}
            MARKS.set(marks)
            marks_all.append(marks)
            return await one()

        server0, cpu0, t0 = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(timed() for _ in range(streams)), return_exceptions=True)
        wall = time.perf_counter() - t0
        cpu, server = time.process_time() - cpu0, cpu_seconds(server_pid) - server0
    finally:
        await close()
    counts = [r for r in results if isinstance(r, int)]
    failed = [r for r in results if not isinstance(r, int)]
    ttfe = [m["event"] - m["start"] for m in marks_all if "event" in m]
    row: dict[str, Any] = {
        "events_per_s": sum(counts) / wall,
        "events_per_stream": statistics.mean(counts) if counts else 0,
        "failed": len(failed),
        "failure": repr(failed[0])[:200] if failed else "",
        "wall_s": wall,
        "client_cpu_s": cpu,
        "server_cpu_s": server,
        "p50_ttfe_ms": _p(ttfe, 0.5) * 1000,
        "p99_ttfe_ms": _p(ttfe, 0.99) * 1000,
        "queued": _p([m["start"] - t0 for m in marks_all], 0.5) * 1000,
        "connects": sum("connected" in m for m in marks_all),
        "connect_ms": _p([m["connected"] - m["connect_start"] for m in marks_all if "connected" in m], 0.5) * 1000,
    }
    for phase, a, b in SPANS:
        row[phase] = _p([m[b] - m[a] for m in marks_all if a in m and b in m], 0.5) * 1000
    return row


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rows[0].items():
        if isinstance(value, (int, float)):
            out[key] = statistics.median(r[key] for r in rows)
        else:
            out[key] = next((r[key] for r in rows if r[key]), "")
    out["events_per_s_all"] = [r["events_per_s"] for r in rows]
    return out


async def run_case(streams: int, deltas: int, clients: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    port = free_port()
    proc = start_server(port, deltas)
    base = f"http://127.0.0.1:{port}"
    rows: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
    try:
        for r in range(repeat):
            order = clients[r % len(clients):] + clients[: r % len(clients)]
            for name in order:
                row = await measure(name, base, streams, proc.pid)
                rows[name].append(row)
                print(f"  {streams}x{deltas} #{r + 1} {name}: {row['events_per_s']:,.0f} events/s, "
                      f"p50 TTFE {row['p50_ttfe_ms']:,.0f} ms, p99 {row['p99_ttfe_ms']:,.0f} ms"
                      + (f", {row['failed']} failed: {row['failure']}" if row["failed"] else ""),
                      file=sys.stderr, flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    return {name: median_row(rs) for name, rs in rows.items()}


# -- the report ----------------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def spread(a: list[float], b: list[float]) -> str:
    """The lowest and highest ratio of two clients' events/s within one repetition (the
    runs of a repetition are back to back): how far one run's ratio can move."""
    ratios = [x / y for x, y in zip(a, b, strict=False) if y]
    return f"{min(ratios):.2f}-{max(ratios):.2f}x" if ratios else "n/a"


def report(streams: int, deltas: int, repeat: int, out: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"### {streams:,} concurrent streams x {deltas:,} deltas (median of {repeat})",
        "",
        "| client | events/s | events/stream | p50 TTFE ms | p99 TTFE ms | client CPU s | server CPU s "
        "| new connections | p50 task start after gather ms | "
        + " | ".join(f"p50 {p} ms" for p in PHASES) + " |",
        "|---|" + "---|" * (8 + len(PHASES)),
    ]
    for name, r in out.items():
        runs = ", ".join(f"{v:,.0f}" for v in r["events_per_s_all"])
        lines.append(
            f"| {client_label(name)} | {r['events_per_s']:,.0f} ({runs}) | {r['events_per_stream']:.0f} "
            f"| {r['p50_ttfe_ms']:,.0f} | {r['p99_ttfe_ms']:,.0f} | {r['client_cpu_s']:.2f} "
            f"| {r['server_cpu_s']:.2f} | {r['connects']:.0f} | {r['queued']:,.0f} | "
            + " | ".join(f"{r[p]:,.0f}" for p in PHASES) + " |"
        )
        if r["failed"]:
            lines.append(f"|   {r['failed']:.0f} streams failed, e.g. {r['failure']} |")
    ours = out.get("ours")
    lines.append("")
    for theirs in ("openai", "openai-httpx"):
        t = out.get(theirs)
        if ours is None or t is None:
            continue
        lines.append(
            f"- ours / {theirs}: events/s {ratio(ours['events_per_s'], t['events_per_s'])} "
            f"(per repetition {spread(ours['events_per_s_all'], t['events_per_s_all'])}), "
            f"p50 TTFE {ratio(ours['p50_ttfe_ms'], t['p50_ttfe_ms'])}, "
            f"p99 TTFE {ratio(ours['p99_ttfe_ms'], t['p99_ttfe_ms'])} (TTFE below 1x: ours sooner)"
        )
    floor = out.get("httpx")
    if ours is not None and floor is not None:
        lines.append(
            f"- ours / floor (bare httpx): events/s {ratio(ours['events_per_s'], floor['events_per_s'])} "
            f"(per repetition {spread(ours['events_per_s_all'], floor['events_per_s_all'])})"
        )
    same, t = out.get("ours-openai"), out.get("openai")
    if same is not None and t is not None:
        lines.append(
            f"- same bytes, ours-openai / openai: events/s {ratio(same['events_per_s'], t['events_per_s'])}, "
            f"p50 TTFE {ratio(same['p50_ttfe_ms'], t['p50_ttfe_ms'])}, "
            f"p99 TTFE {ratio(same['p99_ttfe_ms'], t['p99_ttfe_ms'])}"
        )
    return "\n".join(lines)


def parse_case(text: str) -> tuple[int, int]:
    streams, _, deltas = text.lower().partition("x")
    return int(streams), int(deltas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", action="append", type=parse_case, metavar="STREAMSxDELTAS",
                        help="default: 100x1000 and 1000x100")
    parser.add_argument("--streams", type=int, help="one case: this many streams (with --deltas)")
    parser.add_argument("--deltas", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", default=",".join(DEFAULT_CLIENTS),
                        help=f"comma-separated, of {', '.join(ALL_CLIENTS)}")
    args = parser.parse_args()
    cases = args.case or ([(args.streams, args.deltas)] if args.streams else [(100, 1000), (1000, 100)])
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = set(clients) - set(ALL_CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")
    try:
        import openai  # noqa: F401
    except ImportError:
        clients = [c for c in clients if not c.startswith("openai")]
    print(f"server and client on one {os.cpu_count()}-core machine; times are wall-clock under "
          "whatever else runs there: compare clients within one run\n")
    for streams, deltas in cases:
        out = asyncio.run(run_case(streams, deltas, clients, args.repeat))
        print(report(streams, deltas, args.repeat, out), "\n", flush=True)


if __name__ == "__main__":
    main()
