"""Hostile bodies that once made the accumulator quadratic: times for n and 2n.

    python bench/hostile_bodies.py [--n 20000] [--only CASE]

Each case is run twice, with ``n`` and ``2n`` events, in two ways: the events
fed to :class:`assistant_ui.decoding.MessageAccumulator` directly, and the wire
bytes fed through :class:`assistant_ui.decoding.StreamDecoder` first. Linear
work shows a ratio near 2 between the two times; quadratic work shows 4.

The ``read-per-event`` cases also read ``acc.message`` after every event (as a UI
that redraws on each event does).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from assistant_ui.decoding import MessageAccumulator, StreamDecoder

Events = list[dict[str, Any]]


def _sse(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def named_data(n: int) -> tuple[Events, bytes, str | None]:
    events: Events = [{"type": "data", "name": "row", "id": f"id-{i}", "data": i} for i in range(n)]
    body = _sse([{"type": "data-row", "id": f"id-{i}", "data": i} for i in range(n)])
    return events, body, "ui-message-stream"


def step_finish(n: int) -> tuple[Events, bytes, str | None]:
    usage = {"inputTokens": 1, "outputTokens": 1}
    events: Events = [
        {"type": "step-finish", "finishReason": "stop", "usage": usage, "isContinued": False}
        for _ in range(n)
    ]
    rec = b'e:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":1},"isContinued":false}\n'
    return events, rec * n, "data-stream"


def _ops_events(ops: list[dict[str, Any]]) -> tuple[Events, bytes]:
    events: Events = [{"type": "state-update", "operations": [op]} for op in ops]
    body = b"".join(b"aui-state:" + json.dumps([op]).encode() + b"\n" for op in ops)
    return events, body


def append_text(n: int) -> tuple[Events, bytes, str | None]:
    ops = [{"type": "set", "path": ["log"], "value": ""}]
    ops += [{"type": "append-text", "path": ["log"], "value": "x" * 64} for _ in range(n)]
    events, body = _ops_events(ops)
    return events, body, "data-stream"


def set_keys(n: int) -> tuple[Events, bytes, str | None]:
    ops = [{"type": "set", "path": ["k", f"key{i}"], "value": i} for i in range(n)]
    events, body = _ops_events(ops)
    return events, body, "data-stream"


def tool_args(n: int) -> tuple[Events, bytes, str | None]:
    """``n`` KB of tool arguments in 1 KB deltas."""
    piece = '"' + "a" * 1020 + '",'
    events: Events = [{"type": "tool-call-start", "toolCallId": "c1", "toolName": "t"}]
    events.append({"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": '{"x":['})
    events += [{"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": piece} for _ in range(n)]
    events.append({"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": "0]}"})
    lines = [b'b:{"toolCallId":"c1","toolName":"t"}\n']
    lines += [b"c:" + json.dumps({"toolCallId": "c1", "argsTextDelta": e["argsTextDelta"]}).encode() + b"\n"
              for e in events[1:]]
    return events, b"".join(lines), "data-stream"


CASES: dict[str, tuple[Callable[[int], tuple[Events, bytes, str | None]], int, bool]] = {
    # name: (builder, default n, read the message after every event)
    "named-data-parts": (named_data, 20000, False),
    "step-finish-without-start": (step_finish, 20000, False),
    "state-append-text": (append_text, 8000, False),
    "state-set-distinct-keys": (set_keys, 20000, False),
    "tool-args-read-per-event": (tool_args, 1000, True),
    "named-data-read-per-event": (named_data, 4000, True),
    "state-set-read-per-event": (set_keys, 4000, True),
}


def _feed(acc: MessageAccumulator, events: Any, read: bool) -> None:
    if not read:
        acc.add_all(events)
        return
    for ev in events:
        acc.add(ev)
        acc.message  # noqa: B018 - the read is the point


def time_events(events: Events, read: bool) -> float:
    t0 = time.perf_counter()
    acc = MessageAccumulator()
    _feed(acc, events, read)
    acc.finish()
    return time.perf_counter() - t0


def time_bytes(body: bytes, protocol: str | None, read: bool) -> float:
    t0 = time.perf_counter()
    decoder = StreamDecoder(protocol=protocol)
    acc = MessageAccumulator()
    step = 65536
    for i in range(0, len(body), step):
        _feed(acc, decoder.feed(body[i : i + step]), read)
    _feed(acc, decoder.end(), read)
    acc.finish()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=0, help="override every case's n")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    print(f"{'case':32} {'path':7} {'n':>7} {'t(n) s':>9} {'t(2n) s':>9} {'ratio':>6}")
    for name, (build, default_n, read) in CASES.items():
        if args.only and args.only not in name:
            continue
        n = args.n or default_n
        small, big = build(n), build(2 * n)
        for path in ("events", "bytes"):
            if path == "events":
                t1, t2 = time_events(small[0], read), time_events(big[0], read)
            else:
                t1, t2 = time_bytes(small[1], small[2], read), time_bytes(big[1], big[2], read)
            print(f"{name:32} {path:7} {n:>7} {t1:>9.3f} {t2:>9.3f} {t2 / max(t1, 1e-9):>6.1f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
