"""Templated SSE runs (``SSEDecoder.feed_templated``, ``TextRun``): the OpenAI text
fast path applied inside the SSE framer gives exactly what decoding every event
gives, however the body is cut.

Each body is decoded three ways and compared (events, warnings, and the error with
its message, offset and the events it carries):

* ``runs``: as shipped (the framer folds events that fit the dialect's learned
  envelope into ``TextRun`` units; the dialect's own per-event fast path too);
* ``per-event``: the framer never gets the template (every event is an
  ``SSEEvent``; the dialect's per-event fast path still works);
* ``parse``: the dialect never learns an envelope (every chunk is parsed as JSON
  and read by ``OpenAIDialect.event``).

The bodies mix text chunks with traps at the SSE level (a second ``data:`` line,
``data:`` without its space, ``event:``/``id:``/``retry:`` fields, comments,
``[DONE]`` followed by more chunks, an event without its blank line, CR / CRLF line
ends, a BOM, over-long lines) and at the JSON level (strings that only look like
one literal, invalid UTF-8, control characters, lone surrogates, a changed
envelope), cut whole, byte by byte, at random, inside UTF-8 sequences and inside
CRLF pairs.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from cut_decoding import decode_in_pieces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.framing import SSEFramer
from assistant_ui._wire.jsonlib import scan_string
from assistant_ui._wire.sse import SSEDecoder, SSEEvent, TextRun

ENVELOPE = (
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-x","choices":[{"index":0,"delta":{"content":%s},"logprobs":null,'
    '"finish_reason":null}],"usage":null}'
)
PREFIX, SUFFIX = (part.encode() for part in ENVELOPE.split("%s"))
FIRST = (b'{"id":"chatcmpl-1","model":"gpt-x","choices":[{"index":0,"delta":'
         b'{"role":"assistant","content":""}}]}')
FINISH = ENVELOPE.replace('"finish_reason":null', '"finish_reason":"stop"') % '""'
USAGE = '{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}'
TOOL = json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": [
    {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a":'}}]}}]})

TEXTS = ["a", "", " ", "é", "\u2028", "\U0001f600", 'q"', "\\", "\n", "\r\n", "\t", "\x7f",
         "content", '","content":"x', "日本語", "a" * 300]


def payload(text: str) -> bytes:
    return (ENVELOPE % json.dumps(text, ensure_ascii=False)).encode()


def event(data: bytes) -> bytes:
    return b"data: " + data + b"\n\n"


# middles between the envelope's prefix and suffix that are not one plain JSON string
MIDDLES = [b'"a","content":"b"', b'"a","\\u0063ontent":"b"', b"null", b"12", b'["a"]', b'"a" "b"',
           b'"unterminated', b'"a\\"', b'"a\x01b"', b'"\\ud800"', b'"\\udc00\\ud800x"', b'"\\x"',
           b'"\\u12"', b'"\xff\xfe"', b'"\xc3"', b' "a"', b'"a" ', b'"a"\t', b'""', b'"\\u00e9\\n"',
           b'"\xe2\x80\xa8"']

# whole SSE blocks that are not single templated events
BLOCKS = [
    event(FIRST),
    event(TOOL.encode()),
    event(FINISH.encode()),
    event(USAGE.encode()),
    b"data:" + payload("no space") + b"\n\n",
    b"data:  " + payload("two spaces") + b"\n\n",
    b"data: " + payload("two") + b"\ndata: " + payload("lines") + b"\n\n",
    b"data: " + payload("x") + b"\ndata:\n\n",
    b"event: custom\ndata: " + payload("named") + b"\n\n",
    b"data\ndata: " + payload("after a bare data line") + b"\n\n",
    b"event\ndata: " + payload("after a bare event line") + b"\n\n",
    b"event:custom\ndata: " + payload("named") + b"\n\n",
    b"id: 7\ndata: " + payload("with id") + b"\n\n",
    b"id: 8\n\n",
    b"retry: 250\n\n",
    b": keep-alive\n\n",
    b":\n",
    b"\n\n",
    b"data: " + payload("trailing") + b" \n\n",
    b"data: " + PREFIX + SUFFIX + b"\n\n",
    b"data: " + PREFIX + b'"cut short"\n\n',
    b"data: " + payload("x").replace(b'"created":1700000000', b'"created":1') + b"\n\n",
    b"data: " + payload("x").replace(b'"index":0', b'"index":1') + b"\n\n",
    b"data: {not json}\n\n",
    b"foo: bar\n",
    b"data: [DONE]\n\n",
]
BLOCKS += [event(PREFIX + middle + SUFFIX) for middle in MIDDLES]


def decode(body: bytes, cuts: list[int], mode: str, max_size: int | None = None) -> Any:
    kwargs: dict[str, Any] = {"protocol": "openai"}
    if max_size is not None:
        kwargs["max_event_size"] = max_size
    decoder = StreamDecoder(**kwargs)
    if mode == "parse":
        decoder._dialect.learning = False

    def no_template() -> None:  # before every piece: the template is never used
        assert isinstance(decoder._framer, SSEFramer)
        decoder._framer.template = None

    return decode_in_pieces(decoder, body, cuts, no_template if mode == "per-event" else None)


def check(body: bytes, cuts: list[int], max_size: int | None = None) -> Any:
    reference = decode(body, [], "parse", max_size)
    for mode in ("runs", "per-event", "parse"):
        assert decode(body, cuts, mode, max_size) == reference, mode
    return reference


def sizes(body: bytes, size: int) -> list[int]:
    return list(range(size, len(body), size))


def random_cuts(body: bytes, rng: random.Random) -> list[int]:
    return sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(1, 40))))


def inside_utf8(body: bytes) -> list[int]:
    """A cut after every byte that leads a multi-byte UTF-8 sequence."""
    return [i + 1 for i, b in enumerate(body) if b >= 0xC0]


def inside_crlf(body: bytes) -> list[int]:
    return [i + 1 for i in range(len(body) - 1) if body[i : i + 2] == b"\r\n"]


def with_line_ends(body: bytes, end: bytes) -> bytes:
    return body.replace(b"\n", end)


def text_body(texts: list[str]) -> bytes:
    return event(FIRST) + b"".join(event(payload(t)) for t in texts) + b"data: [DONE]\n\n"


# -- the units --------------------------------------------------------------------------


def test_runs_of_templated_events_are_one_unit_each() -> None:
    lines = [b"data: " + FIRST, b""]
    for t in ["a", "", "b"]:
        lines += [b"data: " + payload(t), b""]
    lines += [b"data: " + TOOL.encode(), b"", b"data: " + payload("c"), b"", b"data: " + payload("d"),
              b"", b"data: " + payload("e")]
    out: list[Any] = []
    where: list[int] = []
    sse = SSEDecoder(stop_at_done=True)
    sse.feed_templated(lines, out, where, PREFIX, SUFFIX)
    assert out[0] == SSEEvent("message", FIRST, "", None)
    assert isinstance(out[1], TextRun) and out[1].texts == ["a", "", "b"]
    assert out[2] == SSEEvent("message", TOOL.encode(), "", None)
    assert isinstance(out[3], TextRun) and out[3].texts == ["c", "d"]
    assert len(out) == 4
    assert where == [1, 7, 9, 13]
    # the last templated line waits for its blank line, as an ordinary pending event
    sse.feed_templated([b"", b"data: " + payload("f"), b""], out, where, PREFIX, SUFFIX)
    assert out[4] == SSEEvent("message", payload("e"), "", None)
    assert isinstance(out[5], TextRun) and out[5].texts == ["f"]


def test_a_run_goes_on_over_comments_ids_and_blank_lines() -> None:
    lines = []
    for n, t in enumerate("abc"):
        lines += [b": ping", b"id: %d" % n, b"retry: 5", b"x-field: 1", b"data: " + payload(t), b"", b""]
    lines += [b"event: named", b"data: " + payload("d"), b"", b"id", b"data: " + payload("e"), b""]
    sse = SSEDecoder(stop_at_done=True)
    out: list[Any] = []
    where: list[int] = []
    sse.feed_templated(lines, out, where, PREFIX, SUFFIX)
    assert isinstance(out[0], TextRun) and out[0].texts == ["a", "b", "c"]
    assert out[1] == SSEEvent("named", payload("d"), "2", 5)
    assert isinstance(out[2], TextRun) and out[2].texts == ["e"]
    assert len(out) == 3 and where == [20, 23, 26]
    assert (sse.comments, sse.last_event_id, sse.retry) == (3, "", 5)


def test_nothing_is_read_after_done() -> None:
    sse = SSEDecoder(stop_at_done=True)
    out: list[Any] = []
    lines = [b"data: " + payload("a"), b"", b"data: [DONE]", b"", b"data: " + payload("b"), b""]
    sse.feed_templated(lines, out, [], PREFIX, SUFFIX)
    assert [u.texts for u in out] == [["a"]] and sse.done
    sse.feed_templated(lines[4:], out, [], PREFIX, SUFFIX)
    assert len(out) == 1


class CountingDecoder(SSEDecoder):
    """Counts the lines handed to the plain feed."""

    fed = 0

    def feed(self, lines: list[bytes], out: list[Any], where: list[int] | None = None,
             first: int = 0) -> None:
        self.fed += len(lines)
        super().feed(lines, out, where, first)


@pytest.mark.parametrize("block", [
    event(TOOL.encode()),  # runs of one event between ordinary events
    b"data: x\n",  # every templated line continues a pending event
    b"event: e\n",  # every templated event is named
    b"data: " + payload("a") + b"\ndata: " + payload("b") + b"\n\n",
    event(PREFIX + b'"\\x"' + SUFFIX),  # fits the template but is no JSON string
])
def test_every_line_goes_through_the_plain_feed_at_most_once(block: bytes) -> None:
    body = b"".join(block + event(payload("t")) for _ in range(2000))
    lines = body.split(b"\n")
    sse = CountingDecoder(stop_at_done=True)
    sse.feed_templated(lines, [], [], PREFIX, SUFFIX)
    assert sse.fed <= len(lines)


def test_templated_feed_keeps_the_state_of_the_plain_feed() -> None:
    rng = random.Random(5)
    blocks = [block for block in BLOCKS if b"[DONE]" not in block]
    body = b"".join(rng.choice(blocks) if rng.random() < 0.4 else event(payload(rng.choice(TEXTS)))
                    for _ in range(300)) + b"data: [DONE]\n\n" + event(payload("after"))
    lines = body.split(b"\n")
    plain, templated = SSEDecoder(stop_at_done=True), SSEDecoder(stop_at_done=True)
    expected: list[Any] = []
    plain.feed(lines, expected)
    got: list[Any] = []
    templated.feed_templated(lines, got, [], PREFIX, SUFFIX)
    expanded: list[Any] = []
    for unit in got:
        expanded += unit.texts if isinstance(unit, TextRun) else [unit]
    assert any(isinstance(unit, TextRun) for unit in got)
    # a TextRun stands for unnamed events whose data is the template around its strings
    assert len(expanded) == len(expected)
    for unit, ev in zip(expanded, expected, strict=True):
        if isinstance(unit, str):
            assert ev.event == "message" and ev.data.startswith(PREFIX) and ev.data.endswith(SUFFIX)
            middle = ev.data[len(PREFIX) : -len(SUFFIX)].decode()
            assert scan_string(middle, 1) == (unit, len(middle))
        else:
            assert unit == ev
    for name in ("last_event_id", "retry", "comments", "done"):
        assert getattr(plain, name) == getattr(templated, name)


def test_the_decoder_hands_the_template_to_the_framer() -> None:
    body = text_body([f"t{i} " for i in range(50)])
    decoder = StreamDecoder(headers={"content-type": "text/event-stream"})
    seen: list[Any] = []
    events: list[Any] = []
    for i in range(0, len(body), 1500):
        events += decoder.feed(body[i : i + 1500])
        framer = decoder._framer
        assert isinstance(framer, SSEFramer)
        seen.append(framer.template)
    events += decoder.end()
    assert decoder._dialect.text_prefix == PREFIX
    assert seen[-1] is decoder._dialect
    assert "".join(e["delta"] for e in events if e["type"] == "text-delta") == "".join(
        f"t{i} " for i in range(50))
    # runs were taken: all but the first text chunk are fast-path hits
    assert decoder._dialect.text_hits == 49


def test_after_done_nothing_is_read_even_in_one_batch() -> None:
    body = (event(FIRST) + event(payload("a")) + event(payload("b")) + b"data: [DONE]\n\n"
            + b"".join(event(payload(t)) for t in "cdef"))
    events, _, error = check(body, sizes(body, 4096))
    assert error is None
    assert [e["delta"] for e in events if e["type"] == "text-delta"] == ["a", "b"]
    # the envelope is known before the batch holding [DONE]
    decoder = StreamDecoder(protocol="openai")
    head = event(FIRST) + event(payload("a")) + event(payload("b"))
    decoder.feed(head)
    rest = decoder.feed(body[len(head):])
    assert [e["delta"] for e in rest if e["type"] == "text-delta"] == []


# -- both ways, cut every way ---------------------------------------------------------------


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_text_chunks_and_traps_decode_the_same_however_cut(end: bytes) -> None:
    rng = random.Random(len(end))
    blocks = [event(FIRST)] + [event(payload(t)) for t in TEXTS]
    for block in BLOCKS:
        blocks += [block, event(payload(rng.choice(TEXTS))), event(payload("z"))]
    body = with_line_ends(b"".join(blocks), end)
    for cuts in ([], sizes(body, 1), sizes(body, 3), sizes(body, 64), sizes(body, 700),
                 sizes(body, 4096), inside_utf8(body), inside_crlf(body),
                 random_cuts(body, rng), random_cuts(body, rng)):
        check(body, cuts)


@pytest.mark.parametrize("seed", range(40))
def test_random_bodies_decode_the_same(seed: int) -> None:
    rng = random.Random(seed)
    parts = [b"\xef\xbb\xbf"] if rng.random() < 0.2 else []
    parts.append(event(FIRST))
    for _ in range(rng.randint(1, 120)):
        roll = rng.random()
        if roll < 0.65:
            text = "".join(rng.choice(TEXTS) for _ in range(rng.randint(0, 3)))
            parts.append(event(payload(text)))
        elif roll < 0.9:
            parts.append(rng.choice(BLOCKS))
        else:
            parts.append(event(PREFIX + rng.choice(MIDDLES) + SUFFIX))
    if rng.random() < 0.3:
        parts.append(b"data: " + payload("no blank line after it"))
    body = b"".join(parts)
    end = rng.choice([b"\n", b"\n", b"\r\n", b"\r"])
    body = with_line_ends(body, end)
    for cuts in ([], random_cuts(body, rng), sizes(body, rng.randint(1, 9)),
                 sizes(body, rng.randint(200, 5000)), inside_utf8(body), inside_crlf(body)):
        check(body, cuts)


def test_over_long_lines_fail_the_same_way() -> None:
    long_text = event(payload("x" * 3000))
    body = text_body(["a", "b", "c"]).replace(b"data: [DONE]\n\n", long_text) + event(payload("d"))
    for cuts in ([], sizes(body, 1), sizes(body, 500), sizes(body, 4096)):
        events, _, error = check(body, cuts, max_size=1024)
        assert error is not None and "exceeds the limit" in error[0]
        assert [e["delta"] for e in events if e["type"] == "text-delta"] == ["a", "b", "c"]


def test_a_long_body_in_big_reads() -> None:
    rng = random.Random(11)
    texts = ["".join(rng.choice(TEXTS) for _ in range(rng.randint(0, 2))) for _ in range(3000)]
    body = text_body(texts)
    events, warnings, error = check(body, sizes(body, 65536))
    assert error is None and warnings == []
    assert "".join(e["delta"] for e in events if e["type"] == "text-delta") == "".join(texts)


# -- hypothesis ----------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(["a", " ", '"', "\\", "\n", "é", "\u2028", "\U0001f600",
                                          "\x00", "\ud800"]), max_size=4)
_BLOCK = st.one_of(
    _TEXT.map(lambda t: event((ENVELOPE % json.dumps(t)).encode())),
    st.sampled_from(BLOCKS),
    st.sampled_from(MIDDLES).map(lambda m: event(PREFIX + m + SUFFIX)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blocks=st.lists(_BLOCK, max_size=40),
    end=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cut_seeds=st.lists(st.integers(min_value=0, max_value=10**6), max_size=12),
)
def test_hypothesis_bodies_decode_the_same(blocks: list[bytes], end: bytes, cut_seeds: list[int]) -> None:
    body = with_line_ends(event(FIRST) + b"".join(blocks), end)
    cuts = sorted({seed % len(body) for seed in cut_seeds} - {0})
    check(body, cuts)
