"""Decoding speed and memory, measured against the floor and against peer libraries.

    python bench/run.py            # full run, writes bench/RESULTS.md
    python bench/run.py --quick    # fewer sizes and repetitions

Every body is served through ``httpx.MockTransport`` in 1-4 KiB pieces. Rows are
timed interleaved (round-robin), and the median of the repetitions is reported.
The floor is the same bytes split into lines with ``json.loads`` per event and
nothing else. Peers (openai, anthropic, httpx-sse, langgraph-sdk) are used only
when installed: ``pip install openai anthropic httpx-sse langgraph-sdk orjson``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bodies

import assistant_ui
from assistant_ui import AssistantClient, user

HEADERS = {
    "openai": {"content-type": "text/event-stream"},
    "data-stream": {"content-type": "text/plain; charset=utf-8"},
    "assistant-transport": {"content-type": "text/event-stream"},
    "ui-message-stream": {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"},
    "anthropic": {"content-type": "text/event-stream"},
    "langgraph": {"content-type": "text/event-stream"},
}


# -- serving bytes in pieces ---------------------------------------------------------


def split_pieces(body: bytes, seed: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    pieces = []
    i = 0
    while i < len(body):
        size = rng.randint(1024, 4096)
        pieces.append(body[i : i + size])
        i += size
    return pieces


class PieceStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


def transport_for(pieces: list[bytes], headers: dict[str, str], lib: Any = httpx) -> Any:
    """A MockTransport of ``lib`` (httpx, or httpx2 for SDKs built on it) serving ``pieces``."""
    if lib is httpx:
        stream_cls: Any = PieceStream
    else:
        class stream_cls(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[no-redef]
            __init__ = PieceStream.__init__
            __iter__ = PieceStream.__iter__
            __aiter__ = PieceStream.__aiter__

    def handler(request: Any) -> Any:
        return lib.Response(200, headers=headers, stream=stream_cls(pieces))

    return lib.MockTransport(handler)


# -- the floor ----------------------------------------------------------------------------


def floor(pieces: list[bytes], kind: str, loads: Callable[[bytes], Any] = json.loads) -> int:
    """Split into lines, ``loads`` per event, nothing else."""
    pending: list[bytes] = []
    count = 0
    for piece in pieces:
        if b"\n" not in piece:
            pending.append(piece)
            continue
        if pending:
            pending.append(piece)
            piece = b"".join(pending)
            pending = []
        lines = piece.split(b"\n")
        tail = lines.pop()
        for line in lines:
            if not line:
                continue
            if kind == "lines":
                loads(line[line.index(b":") + 1 :])
                count += 1
            elif line.startswith(b"data: ") and line != b"data: [DONE]":
                loads(line[6:])
                count += 1
        if tail:
            pending.append(tail)
    return count


# -- JSON backend switch (bench only) --------------------------------------------------------


def set_json_backend(name: str) -> bool:
    """Point every loaded assistant_ui module's ``loads`` at the library's stdlib or
    orjson parser (the same functions the library picks at import time)."""
    from assistant_ui._wire import jsonlib as _json

    new: Callable[..., Any] | None = _json._loads_std if name == "json" else _json.loads_orjson
    if new is None:
        return False
    old = _json.loads
    for mod_name, mod in list(sys.modules.items()):
        if mod_name.startswith("assistant_ui") and getattr(mod, "loads", None) is old:
            mod.loads = new  # type: ignore[attr-defined]
    _json.loads = new
    return True


def orjson_available() -> bool:
    from assistant_ui._wire import jsonlib as _json

    return _json.loads_orjson is not None


def with_backend(name: str, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run with the JSON backend ``name``, the stdlib one restored after it."""

    def run() -> Any:
        set_json_backend(name)
        try:
            return fn()
        finally:
            set_json_backend("json")

    return run


# -- rows ------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    fn: Callable[[], Any]
    events: int
    nbytes: int
    times: list[float] = field(default_factory=list)
    peak: int | None = None
    group: str = ""


def ours_rows(fmt: str, pieces: list[bytes], nbytes: int, events: int) -> list[Row]:
    headers = HEADERS[fmt]
    client = AssistantClient(base_url="http://bench", transport=transport_for(pieces, headers))
    thread = client.threads("bench")
    msgs = [user("hi")]

    def chat_sync() -> Any:
        return thread.chat_sync(messages=msgs)

    def stream_sync() -> Any:
        with thread.stream_sync(messages=msgs) as stream:
            for _ in stream:
                pass
            return stream.final()

    loop = asyncio.new_event_loop()

    async def _async() -> Any:
        async with thread.stream(messages=msgs) as stream:
            async for _ in stream:
                pass
            return await stream.final()

    def stream_async() -> Any:
        return loop.run_until_complete(_async())

    return [
        Row("assistant_ui chat_sync", chat_sync, events, nbytes),
        Row("assistant_ui stream_sync iterator", stream_sync, events, nbytes),
        Row("assistant_ui async stream iterator", stream_async, events, nbytes),
    ]


def peer_rows(fmt: str, n: int, pieces: list[bytes], nbytes: int, events: int) -> list[Row]:
    rows: list[Row] = []
    if fmt != "openai":
        return rows
    transport = transport_for(pieces, HEADERS["openai"])
    try:
        import openai
    except ImportError:
        openai = None  # type: ignore[assignment]
    if openai is not None:
        oc = openai.OpenAI(base_url="http://bench/v1", api_key="sk-bench",
                           http_client=httpx.Client(transport=transport), max_retries=0)
        req = {"model": "gpt-bench", "messages": [{"role": "user", "content": "hi"}]}

        def openai_raw() -> Any:
            last = None
            for chunk in oc.chat.completions.create(stream=True, **req):  # type: ignore[call-overload]
                last = chunk
            return last

        def openai_helper() -> Any:
            with oc.chat.completions.stream(**req) as stream:  # type: ignore[arg-type]
                return stream.get_final_completion()

        rows.append(Row(f"openai {openai.__version__} create(stream=True)", openai_raw, events, nbytes))
        rows.append(Row("openai .stream().get_final_completion()", openai_helper, events, nbytes))
    try:
        import httpx_sse
    except ImportError:
        httpx_sse = None  # type: ignore[assignment]
    if httpx_sse is not None:
        hc = httpx.Client(transport=transport, base_url="http://bench")

        def sse_accumulate() -> Any:
            text: list[str] = []
            args: dict[int, list[str]] = {}
            with httpx_sse.connect_sse(hc, "POST", "/v1/chat/completions", json={}) as es:
                for sse in es.iter_sse():
                    if sse.data == "[DONE]":
                        break
                    chunk = json.loads(sse.data)
                    for choice in chunk.get("choices") or ():
                        delta = choice["delta"]
                        if delta.get("content"):
                            text.append(delta["content"])
                        for tc in delta.get("tool_calls") or ():
                            args.setdefault(tc["index"], []).append(tc["function"].get("arguments") or "")
            return "".join(text), {k: json.loads("".join(v)) for k, v in args.items()}

        rows.append(Row("httpx-sse + hand accumulator", sse_accumulate, events, nbytes))
    try:
        import anthropic
    except ImportError:
        anthropic = None  # type: ignore[assignment]
    if anthropic is not None:
        abody = bodies.anthropic_sse(n)
        try:  # anthropic >= 2 is built on httpx2
            import httpx2 as alib
        except ImportError:
            alib = httpx
        atransport = transport_for(split_pieces(abody), HEADERS["anthropic"], alib)
        ac = anthropic.Anthropic(base_url="http://bench", api_key="sk-bench",
                                 http_client=alib.Client(transport=atransport), max_retries=0)

        def anthropic_helper() -> Any:
            with ac.messages.stream(model="claude-bench", max_tokens=10,
                                    messages=[{"role": "user", "content": "hi"}]) as stream:
                return stream.get_final_message()

        rows.append(Row("anthropic .messages.stream().get_final_message() (Anthropic body)",
                        anthropic_helper, events, len(abody)))
    try:
        from langgraph_sdk._sync.client import SyncLangGraphClient
    except ImportError:
        SyncLangGraphClient = None  # type: ignore[assignment,misc]
    if SyncLangGraphClient is not None:
        lbody = bodies.langgraph_sse(n)
        ltransport = transport_for(split_pieces(lbody), HEADERS["langgraph"])
        lc = SyncLangGraphClient(httpx.Client(transport=ltransport, base_url="http://bench"))

        def langgraph_stream() -> Any:
            last = None
            for part in lc.runs.stream("t1", "agent", input={}, stream_mode="messages"):
                last = part
            return last

        rows.append(Row("langgraph-sdk runs.stream (LangGraph body, decode only)",
                        langgraph_stream, events, len(lbody)))
    return rows


def time_rows(rows: list[Row], reps: int) -> None:
    for row in rows:  # warm-up
        row.fn()
    for _ in range(reps):
        for row in rows:
            t0 = time.perf_counter()
            row.fn()
            row.times.append(time.perf_counter() - t0)


def measure_peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def import_time(statement: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


# -- report ------------------------------------------------------------------------------------


def fmt_row(row: Row, floor_t: float, ours_t: float) -> str:
    med = statistics.median(row.times)
    mbps = row.nbytes / med / 1e6
    eps = row.events / med
    peak = f"{row.peak / 1e6:.1f} MB" if row.peak is not None else ""
    return (f"| {row.name} | {med:.4f} | {mbps:.1f} | {eps:,.0f} | {peak} | "
            f"{med / floor_t:.2f}x | {med / ours_t:.2f}x |")


def run(quick: bool) -> str:
    sizes = [10_000] if quick else [10_000, 100_000]
    reps = 5 if quick else 7
    out: list[str] = []
    out.append("# Benchmark results\n")
    out.append(f"- date: {time.strftime('%Y-%m-%d %H:%M:%S')}  \n- python: {platform.python_version()} "
               f"({platform.machine()}, {os.cpu_count()} cores)  \n- httpx {httpx.__version__}, "
               f"assistant_ui {assistant_ui.__version__}  \n- mode: {'quick' if quick else 'full'}, "
               f"median of {reps} interleaved repetitions, bodies served by httpx.MockTransport "
               "in 1-4 KiB pieces\n")
    out.append("Ratios: `floor` = split lines + `json.loads` per event on the same bytes; "
               "`ours` = assistant_ui chat_sync on the same bytes.\n")
    summary: dict[str, float] = {}
    for fmt, gen in bodies.FORMATS.items():
        for n in sizes:
            if quick and fmt not in ("openai", "data-stream"):
                continue
            set_json_backend("json")
            body = gen(n)
            pieces = split_pieces(body)
            kind = "lines" if fmt == "data-stream" else "sse"
            events = floor(pieces, kind)
            floor_row = Row("floor: split + json.loads", lambda p=pieces, k=kind: floor(p, k),
                            events, len(body))
            rows = [floor_row, *ours_rows(fmt, pieces, len(body), events),
                    *peer_rows(fmt, n, pieces, len(body), events)]
            # the orjson variant (the `fast` extra), timed in the same round-robin as
            # the floor it is compared with, switching the backend around each call
            fast_rows: list[Row] = []
            if orjson_available():
                fast_rows = [Row("assistant_ui chat_sync (orjson)",
                                 with_backend("orjson", rows[1].fn), events, len(body))]
            time_rows(rows + fast_rows, reps)
            rows[1].peak = measure_peak(rows[1].fn)
            floor_t = statistics.median(floor_row.times)
            ours_t = statistics.median(rows[1].times)
            out.append(f"\n## {fmt}, {n:,} deltas ({len(body) / 1e6:.1f} MB, {events:,} events)\n")
            out.append("| row | median s | MB/s | events/s | peak traced | vs floor | vs ours |")
            out.append("|---|---|---|---|---|---|---|")
            for row in rows + fast_rows:
                out.append(fmt_row(row, floor_t, ours_t))
            summary[f"{fmt}/{n}/chat_sync_vs_floor"] = ours_t / floor_t
            summary[f"{fmt}/{n}/async_vs_floor"] = statistics.median(rows[3].times) / floor_t
            summary[f"{fmt}/{n}/peak_vs_body"] = (rows[1].peak or 0) / len(body)
            summary[f"{fmt}/{n}/ours_t"] = ours_t
            if fast_rows:
                summary[f"{fmt}/{n}/orjson_vs_floor"] = statistics.median(fast_rows[0].times) / floor_t
            for row in rows:
                if row.name.startswith("openai .stream()"):
                    summary[f"{fmt}/{n}/openai_helper_vs_ours"] = statistics.median(row.times) / ours_t
    # single huge event vs the same bytes as many small events
    size = 2 * 1024 * 1024 if quick else 8 * 1024 * 1024
    big = bodies.single_event_data_stream(size)
    n_small = 1
    while len(bodies.data_stream(n_small)) < len(big):
        n_small *= 2
    lo, hi = n_small // 2, n_small
    while lo < hi:
        mid = (lo + hi) // 2
        if len(bodies.data_stream(mid)) < len(big):
            lo = mid + 1
        else:
            hi = mid
    small = bodies.data_stream(lo)
    big_rows = ours_rows("data-stream", split_pieces(big), len(big), 1)[:1]
    small_rows = ours_rows("data-stream", split_pieces(small), len(small), lo)[:1]
    big_rows[0].name = f"chat_sync, one {len(big) / 2**20:.0f} MiB event"
    small_rows[0].name = f"chat_sync, the same size as {lo:,} small events"
    time_rows(big_rows + small_rows, 3 if quick else 5)
    big_t = statistics.median(big_rows[0].times)
    small_t = statistics.median(small_rows[0].times)
    out.append(f"\n## One huge event ({len(big) / 2**20:.1f} MiB)\n")
    out.append("| row | median s | MB/s |")
    out.append("|---|---|---|")
    for row in big_rows + small_rows:
        med = statistics.median(row.times)
        out.append(f"| {row.name} | {med:.4f} | {row.nbytes / med / 1e6:.1f} |")
    summary["huge_event_vs_small_events"] = big_t / small_t
    # import time
    runs = 7 if quick else 15
    # (interleaved, so that a busy machine weighs on both sides alike)
    t_pkg, t_ours, t_httpx = [], [], []
    for _ in range(runs):
        t_pkg.append(import_time("import assistant_ui", 1))
        t_ours.append(import_time("from assistant_ui import AssistantClient", 1))
        t_httpx.append(import_time("import httpx", 1))
    m_pkg, m_ours, m_httpx = (statistics.median(t) for t in (t_pkg, t_ours, t_httpx))
    summary["import_vs_httpx"] = m_ours / m_httpx
    out.append("\n## Import time (fresh processes, median)\n")
    out.append(f"- `python -c 'import assistant_ui'`: {m_pkg * 1000:.0f} ms; "
               f"`python -c 'from assistant_ui import AssistantClient'`: {m_ours * 1000:.0f} ms; "
               f"`python -c 'import httpx'`: {m_httpx * 1000:.0f} ms; "
               f"ratio AssistantClient / httpx {m_ours / m_httpx:.2f}x\n")
    # targets
    out.append("\n## Targets (issue 19)\n")
    out.append("| target | measured | met |")
    out.append("|---|---|---|")

    def target(label: str, value: float | None, limit: float, le: bool = True) -> None:
        if value is None:
            out.append(f"| {label} | not measured | - |")
            return
        ok = value <= limit if le else value >= limit
        out.append(f"| {label} | {value:.2f} | {'yes' if ok else 'NO'} |")

    top = sizes[-1]
    target(f"chat_sync / floor, data stream, {top:,}", summary.get(f"data-stream/{top}/chat_sync_vs_floor"), 1.0)
    target(f"chat_sync / floor, OpenAI SSE, {top:,}", summary.get(f"openai/{top}/chat_sync_vs_floor"), 1.1)
    target(f"async iterator / floor, data stream, {top:,}", summary.get(f"data-stream/{top}/async_vs_floor"), 1.25)
    target(f"async iterator / floor, OpenAI SSE, {top:,}", summary.get(f"openai/{top}/async_vs_floor"), 1.25)
    target("openai helper / ours, 10,000 (>= 20)", summary.get("openai/10000/openai_helper_vs_ours"), 20, le=False)
    if not quick:
        target("openai helper / ours, 100,000 (>= 50)", summary.get("openai/100000/openai_helper_vs_ours"), 50, le=False)
        for fmt in ("data-stream", "openai"):
            a, b = summary.get(f"{fmt}/100000/ours_t"), summary.get(f"{fmt}/10000/ours_t")
            target(f"100k / 10k cost, {fmt} (<= 11)", a / b if a and b else None, 11)
    target("huge event / same bytes as small events (<= 1.2)", summary["huge_event_vs_small_events"], 1.2)
    for key, value in sorted(summary.items()):
        if key.endswith("peak_vs_body"):
            target(f"peak traced memory / body size, {key.rsplit('/', 1)[0]} (<= 3)", value, 3)
    target("from assistant_ui import AssistantClient / import httpx (<= 1.15)", summary["import_vs_httpx"], 1.15)
    target(f"orjson chat_sync / json floor, data stream, {top:,} (<= 0.7)",
           summary.get(f"data-stream/{top}/orjson_vs_floor"), 0.7)
    target(f"orjson chat_sync / json floor, OpenAI SSE, {top:,} (<= 0.7)",
           summary.get(f"openai/{top}/orjson_vs_floor"), 0.7)
    return "\n".join(out) + "\n"


#: where the hand-written part of RESULTS.md starts (kept by a full run)
NOTES_MARKER = "<!-- notes: written by hand, kept by bench/run.py -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repetitions")
    parser.add_argument("--output", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args()
    report = run(args.quick)
    print(report)
    if not args.quick:
        path = Path(args.output)
        # the hand-written notes after NOTES_MARKER (the before/after of each round, the
        # profiles) are kept; only the measured part above them is replaced
        notes = ""
        if path.exists():
            old = path.read_text()
            if NOTES_MARKER in old:
                notes = "\n" + old[old.index(NOTES_MARKER):]
        path.write_text(report + notes)
        print(f"written to {args.output}")


if __name__ == "__main__":
    main()
