"""A call's events and text are kept compactly (docs/architecture.md §7).

``ChatResult.events`` used to keep every event as its own dict: ~240 bytes per token
against ~12 bytes of data-stream body, a peak of ~22 times the body. The call now
keeps runs of deltas as their text (``EventLog``), the accumulator folds text
fragments into one string, and ``ChatResult.events`` is built when first read. These
tests hold both halves: nothing changes in what is read back, and the peak stays
under three times the body on every format.
"""

from __future__ import annotations

import random
import tracemalloc
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui import AssistantClient, user
from assistant_ui._call.event_log import BLOCK, EventLog
from assistant_ui.decoding import MessageAccumulator
from assistant_ui.testing import encode_body

# -- the log reads back exactly what it was given -----------------------------------------

_texts = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["🙂", "\ud83d", "\ude42", "日本語", "é", "", " ", "\x00"]),
)


def _delta(kind: str, parent: str | None, text: Any, parent_first: bool) -> dict[str, Any]:
    if parent is None:
        return {"type": kind, "delta": text}
    if parent_first:
        return {"type": kind, "parentId": parent, "delta": text}
    return {"type": kind, "delta": text, "parentId": parent}


_events = st.one_of(
    st.builds(
        _delta,
        st.sampled_from(["text-delta", "reasoning-delta"]),
        st.sampled_from([None, None, "p1", "p2"]),
        _texts,
        st.booleans(),
    ),
    st.builds(
        _delta,
        st.just("text-delta"),
        st.none(),
        st.sampled_from([None, 5, ["a"], b"x"]),  # not a string: kept as it came
        st.just(False),
    ),
    st.just({"type": "text-delta", "delta": "x", "extra": 1}),
    st.just({"type": "text-delta", "delta": "x", "parentId": 7}),
    st.just({"type": "tool-call-delta", "toolCallId": "c", "argsTextDelta": "{"}),
    st.just({"type": "step-finish", "finishReason": "stop"}),
)


def _same(log: EventLog, events: list[dict[str, Any]]) -> None:
    assert len(log) == len(events)
    back = list(log)
    assert back == events
    for i in range(len(events)):
        assert log[i] == events[i]
        assert log[i - len(events)] == events[i]
    assert log[1:-1:2] == events[1:-1:2]
    assert log == events
    assert log == EventLog(events)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.lists(_events, max_size=40), st.integers(1, 700), st.randoms(use_true_random=False))
def test_the_log_reads_back_every_event(
    pattern: list[dict[str, Any]], repeat: int, rnd: random.Random
) -> None:
    # long runs (several encoded blocks) and random batches, as the decoder hands them over
    events = [dict(pattern[i % len(pattern)]) for i in range(repeat)] if pattern else []
    log = EventLog()
    i = 0
    while i < len(events):
        n = rnd.randint(1, 3 * BLOCK)
        log.extend(events[i : i + n])  # type: ignore[arg-type]
        i += n
    _same(log, events)


def test_a_run_spans_blocks_and_keeps_long_deltas() -> None:
    events = [{"type": "text-delta", "delta": f"tok{i} 🙂"} for i in range(3 * BLOCK + 7)]
    events.insert(BLOCK, {"type": "text-delta", "delta": "x" * 70_000})  # a long delta
    events.append({"type": "text-delta", "delta": "\ud83d"})  # a lone surrogate
    log = EventLog(events)  # type: ignore[arg-type]
    _same(log, events)
    with pytest.raises(IndexError):
        log[len(events)]


def test_changing_a_delta_handed_out_changes_no_other_event() -> None:
    # the iterator hands out the decoder's own dicts; a run is rebuilt from a copy
    events = [{"type": "text-delta", "delta": "a"}, {"type": "text-delta", "delta": "b"}]
    log = EventLog(events)  # type: ignore[arg-type]
    events[0]["seen"] = True
    assert list(log) == [{"type": "text-delta", "delta": "a"}, {"type": "text-delta", "delta": "b"}]


def test_the_log_is_not_a_list_of_dicts() -> None:
    events = [{"type": "text-delta", "delta": f"t{i} "} for i in range(10 * BLOCK)]
    log = EventLog(events)  # type: ignore[arg-type]
    assert len(log._items) == 1  # one run, no dict per event
    assert log != events[:-1]
    assert (log == 3) is False


# -- the accumulator's text ------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.lists(_texts, max_size=1200), st.sets(st.integers(0, 1200), max_size=5))
def test_folded_text_is_the_joined_deltas(deltas: list[str], snapshots: set[int]) -> None:
    acc = MessageAccumulator()
    seen = []
    for i, delta in enumerate(deltas):
        acc.add({"type": "text-delta", "delta": delta})
        if i in snapshots:
            seen.append(acc.message)
    expected = "".join(deltas)
    message = acc.finish()
    assert "".join(p["text"] for p in message["content"] if p["type"] == "text") == expected
    for i, snap in zip(sorted(snapshots & set(range(len(deltas)))), seen, strict=True):
        text = "".join(p["text"] for p in snap["content"] if p["type"] == "text")
        assert text == "".join(deltas[: i + 1])  # a snapshot is never changed later


# -- what users read, through a real call --------------------------------------------------------


# the words of bench/bodies.py: mostly ASCII, some Latin-1, some wider, one emoji (the
# whole text is then a 4-byte-per-character string, 1.6 times the data-stream body)
_WORDS = (
    "the quick brown fox jumps over a lazy dog while streaming tokens to every client "
    "héllo wörld — naïve café ✓ 日本語 🙂"
).split()


def _tokens(n: int) -> list[str]:
    rng = random.Random(3)
    return [rng.choice(_WORDS) + " " for _ in range(n)]


def _body(fmt: str, n: int) -> bytes:
    events: list[dict[str, Any]] = [{"type": "text-delta", "delta": t} for t in _tokens(n)]
    events += [
        {"type": "tool-call-start", "toolCallId": "c1", "toolName": "weather"},
        *({"type": "tool-call-delta", "toolCallId": "c1", "argsTextDelta": f} for f in ['{"ci', 'ty": "Paris"}']),
        {"type": "tool-call", "toolCallId": "c1", "toolName": "weather", "args": {"city": "Paris"}},
        {"type": "finish", "finishReason": "tool-calls"},
    ]
    return encode_body(events, fmt)


_HEADERS = {
    "data-stream": "text/plain; charset=utf-8",
    "assistant-transport": "text/event-stream",
    "ui-message-stream": "text/event-stream",
    "openai": "text/event-stream",
}


def _client(fmt: str, body: bytes) -> AssistantClient:
    rng = random.Random(5)
    pieces = []
    i = 0
    while i < len(body):
        n = rng.randint(1024, 4096)
        pieces.append(body[i : i + n])
        i += n

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": _HEADERS[fmt]}, content=iter(pieces))

    protocol = {"openai": "openai"}.get(fmt)
    return AssistantClient(base_url="http://x", transport=httpx.MockTransport(handler), protocol=protocol)


def test_events_read_back_through_a_stream() -> None:
    client = _client("data-stream", _body("data-stream", 2000))
    thread = client.threads("t")
    with thread.stream_sync(messages=[user("hi")]) as stream:
        seen = list(stream)
        live = stream.events
        assert list(live) == seen
        result = stream.final()
    assert result.events == seen
    # the same key order too (what repr and json.dumps show)
    assert [list(ev) for ev in result.events] == [list(ev) for ev in seen]
    assert result.events is result.events  # built once, then a plain list
    assert isinstance(result.events, list)
    assert result.text == "".join(e["delta"] for e in seen if e["type"] == "text-delta")
    assert "events=2" in repr(result)


#: enough tokens that the few chunks being decoded at a time are small beside the body
_N = 50_000


@pytest.mark.parametrize("fmt", list(_HEADERS))
def test_peak_memory_stays_under_three_times_the_body(fmt: str) -> None:
    body = _body(fmt, _N)
    thread = _client(fmt, body).threads("t")
    thread.chat_sync(messages=[user("hi")])  # warm: imports and caches are not the call's
    tracemalloc.start()
    try:
        result = thread.chat_sync(messages=[user("hi")])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.text == "".join(_tokens(_N))
    assert result.tool_calls[0]["args"] == {"city": "Paris"}
    assert peak <= 3 * len(body), (fmt, peak / len(body))
    deltas = [e for e in result.events if e["type"] == "text-delta" and "parentId" not in e]
    assert len(deltas) == _N  # all there when read
