"""The per-chunk fast paths of decoding give what the general paths give.

A body reaches the decoder through shortcuts taken in the common state:
``StreamFlow.feed_bounded`` hands a chunk within the size bound and one
``FEED_SLICE`` straight to ``feed``, and ``ChatCall.feed`` goes straight to the
decoder when no replay is skipped and no SSE gate holds bytes back. Here the same
bodies go through the shortcuts (one event per chunk, and cut in awkward places:
byte by byte, inside UTF-8 sequences and CRLF pairs) and through the general
paths (``FEED_SLICE`` of one byte: every chunk is sliced; ``resume=True`` on SSE:
the SSE gate passes whole events on at once, and holds back the rest of a read cut
inside an event), and the events and errors must be the same.
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import httpx
import pytest

from assistant_ui._call import stream_flow
from assistant_ui._call.options import CallOptions
from assistant_ui._call.state import ChatCall
from assistant_ui._call.stream_flow import StreamFlow
from assistant_ui._transports.inflight import InFlight

DATA_STREAM = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}
SSE = {"content-type": "text/event-stream"}
UI = {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"}

TEXTS = ["Hé", "llo ", "wörld ", "😀", "", "\\u00e9 ", 'a "quote" ', "end"]


class _Env:
    pass


def data_stream_body(end: bytes = b"\n") -> list[bytes]:
    records = [b'f:{"messageId":"m1"}']
    records += [b"0:" + json.dumps(t, ensure_ascii=False).encode() for t in TEXTS]
    records += [b'0:"split " ', b'9:{"toolCallId":"t1","toolName":"x","args":{"a":1}}']
    records += [b'e:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":2},"isContinued":false}']
    records += [b'd:{"finishReason":"stop","usage":{"promptTokens":1,"completionTokens":2}}']
    return [r + end for r in records]


def openai_body(end: bytes = b"\n") -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        obj = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + end + end

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": t}) for t in TEXTS]
    events += [b": keep-alive" + end + end, chunk({}, "stop"), b"data: [DONE]" + end + end]
    return events


def ui_body(end: bytes = b"\n") -> list[bytes]:
    chunks: list[dict[str, Any]] = [{"type": "start", "messageId": "m1"}, {"type": "start-step"},
                                    {"type": "text-start", "id": "t"}]
    chunks += [{"type": "text-delta", "id": "t", "delta": t} for t in TEXTS]
    chunks += [{"type": "text-end", "id": "t"}, {"type": "finish-step"}, {"type": "finish"}]
    out = [b"data: " + json.dumps(c, ensure_ascii=False).encode() + end + end for c in chunks]
    return [*out, b"data: [DONE]" + end + end]


def run(
    pieces: list[bytes], headers: dict[str, str], *, resume: bool = False,
    max_event_size: int = 1 << 20, max_response_size: int = 1 << 30,
) -> tuple[list[Any], Any, bool]:
    """Feed ``pieces`` as a streamed call's flow does: (events, error, done seen)."""
    opts = CallOptions(
        protocol=None, idle_timeout=None, deadline=None, max_event_size=max_event_size,
        resume=resume, max_resume_attempts=0, max_response_size=max_response_size,
    )
    call = ChatCall(max_event_size=max_event_size)
    flow = StreamFlow(_Env(), None, opts, call, clock=lambda: 0.0, cancel=InFlight())  # type: ignore[arg-type]
    call.start(httpx.Response(200, headers=headers, request=httpx.Request("POST", "http://x/")))
    handed: list[Any] = []
    done = False
    for piece in pieces:
        produced, done = flow.feed_bounded(piece)
        ev = call.next_pending()
        assert produced == (ev is not None)
        while ev is not None:
            handed.append(ev)
            ev = call.next_pending()
        if flow.error is not None or done:
            break
    if flow.error is None:
        flow.end_decoder()
    while (ev := call.next_pending()) is not None:
        handed.append(ev)
    assert handed == list(call.events)
    error = flow.error
    return handed, (type(error), str(error)) if error is not None else None, done


def cut(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges) if b > a]


def awkward_cuts(body: bytes, rng: random.Random) -> list[list[int]]:
    inside_utf8 = [i + 1 for i, b in enumerate(body) if b >= 0xC0]
    inside_crlf = [i + 1 for i in range(len(body) - 1) if body[i : i + 2] == b"\r\n"]
    randoms = [sorted(rng.sample(range(1, len(body)), k)) for k in (1, 5, 40)]
    return [list(range(1, len(body))), inside_utf8, inside_crlf, *randoms]


BODIES = {
    "data-stream": (data_stream_body, DATA_STREAM),
    "openai": (openai_body, SSE),
    "ui-message-stream": (ui_body, UI),
}


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("kind", list(BODIES))
def test_one_event_per_chunk_and_awkward_cuts_give_the_same_events(
    kind: str, end: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, headers = BODIES[kind]
    chunks = make(end)
    body = b"".join(chunks)
    expected = run([body], headers)
    assert expected[1] is None and expected[0]
    assert any(ev["type"] == "text-delta" for ev in expected[0])
    assert run(chunks, headers) == expected  # the fast paths, one event per chunk
    # (resume on SSE: the SSE gate passes whole events at once, and holds back the
    # rest of a read cut inside an event: ChatCall's general path)
    resumes = [False, True] if headers is not DATA_STREAM else [False]
    for resume in resumes:
        assert run(chunks, headers, resume=resume) == expected
        for cuts in awkward_cuts(body, random.Random(7)):
            assert run(cut(body, cuts), headers, resume=resume) == expected
    monkeypatch.setattr(stream_flow, "FEED_SLICE", 1)  # every chunk sliced: the general loop
    assert run(chunks, headers) == expected
    assert run([body], headers) == expected


@pytest.mark.parametrize("kind", list(BODIES))
def test_limits_end_the_same_way_on_every_path(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make, headers = BODIES[kind]
    chunks = make()
    long = b"data: " + b"x" * 300 + b"\n\n" if headers is not DATA_STREAM else b"0:" + b"x" * 300 + b"\n"
    body_chunks = [*chunks[:4], long, *chunks[4:]]
    body = b"".join(body_chunks)
    rng = random.Random(3)
    for limits in ({"max_event_size": 200}, {"max_response_size": len(b"".join(chunks[:6])) + 3}):
        expected = run([body], headers, **limits)  # type: ignore[arg-type]
        assert expected[1] is not None
        for pieces in (body_chunks, *(cut(body, c) for c in awkward_cuts(body, rng))):
            assert run(pieces, headers, **limits) == expected  # type: ignore[arg-type]
        with monkeypatch.context() as m:
            m.setattr(stream_flow, "FEED_SLICE", 1)
            assert run(body_chunks, headers, **limits) == expected  # type: ignore[arg-type]
