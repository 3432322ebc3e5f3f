"""Object stream and plain text (docs/wire-formats.md §8), with their detection (§1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.dialects.object_stream import ObjectStreamDialect

OBJECT_HEADERS = {"content-type": "text/event-stream", "assistant-stream-format": "object-stream/v0"}


def decode(
    body: bytes, headers: dict[str, str] | None, pieces: list[bytes] | None = None
) -> tuple[list[dict[str, Any]], StreamDecoder]:
    decoder = StreamDecoder(headers=headers)
    events: list[Any] = []
    for piece in pieces if pieces is not None else [body]:
        events.extend(decoder.feed(piece))
    events.extend(decoder.end())
    return events, decoder


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(body)})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


def ops_event(*ops: dict[str, Any], eol: str = "\n") -> bytes:
    return f"data: {json.dumps(list(ops), ensure_ascii=False)}{eol}{eol}".encode()


# -- object stream --------------------------------------------------------------------

OBJECT_BODY = (
    ops_event({"type": "set", "path": [], "value": {"title": "", "items": []}})
    + b": keep-alive\n\n"
    + ops_event({"type": "append-text", "path": ["title"], "value": "Hel"})
    + ops_event({"type": "append-text", "path": ["title"], "value": "lo \u00e9\u2028"},
                {"type": "set", "path": ["items", "0"], "value": {"n": 1}})
    + ops_event({"type": "set", "path": ["items", 1], "value": {"n": 2}})
)

SNAPSHOTS = [
    {"title": "", "items": []},
    {"title": "Hel", "items": []},
    {"title": "Hello \u00e9\u2028", "items": [{"n": 1}]},
    {"title": "Hello \u00e9\u2028", "items": [{"n": 1}, {"n": 2}]},
]


def test_object_stream_header() -> None:
    events, decoder = decode(OBJECT_BODY, OBJECT_HEADERS)
    assert decoder.protocol == "object-stream"
    assert [e["type"] for e in events] == ["state-update"] * 4
    assert events[0] == {"type": "state-update",
                         "operations": [{"type": "set", "path": [],
                                         "value": {"title": "", "items": []}}]}
    # there is no [DONE], and that is not worth a warning
    assert decoder.warnings == []
    assert not decoder.done


def test_object_stream_snapshot_after_each_event() -> None:
    events, _ = decode(OBJECT_BODY, OBJECT_HEADERS)
    acc = MessageAccumulator()
    for event, snapshot in zip(events, SNAPSHOTS, strict=True):
        acc.add(event)
        assert acc.message["metadata"]["unstable_state"] == snapshot
    msg = acc.finish()
    assert msg["metadata"]["unstable_state"] == SNAPSHOTS[-1]
    assert msg["content"] == []
    assert msg["status"] == {"type": "complete", "reason": "unknown"}
    assert acc.warnings == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/event-stream", "Assistant-Stream-Format": " object-stream/v0 "},
        # the header alone is enough
        {"assistant-stream-format": "object-stream/v0"},
        # no header: the first payload, a JSON array of operations, gives it away
        {"content-type": "text/event-stream"},
        None,
    ],
)
def test_object_stream_detection(headers: dict[str, str] | None) -> None:
    events, decoder = decode(OBJECT_BODY, headers)
    assert decoder.protocol == "object-stream"
    assert len(events) == 4


def test_object_stream_odd_payloads() -> None:
    body = (
        ops_event({"type": "set", "path": [], "value": 1})
        + b"data: []\n\n"  # nothing to do
        + b'data: {"not": "an array"}\n\n'
        + ops_event({"type": "append-text", "path": ["x"], "value": "y"})  # 1 is no container
        + b"data: [DONE]\n\n"  # not part of the protocol, but harmless
    )
    events, _ = decode(body, OBJECT_HEADERS)
    assert events == [
        {"type": "state-update", "operations": [{"type": "set", "path": [], "value": 1}]},
        {"type": "raw", "event": "message", "data": {"not": "an array"}},
        {"type": "state-update",
         "operations": [{"type": "append-text", "path": ["x"], "value": "y"}]},
    ]
    acc = MessageAccumulator()
    acc.add_all(events)
    assert acc.finish()["metadata"]["unstable_state"] == 1
    assert acc.warnings  # the bad operation was skipped and reported


def test_object_stream_dialect_directly() -> None:
    from assistant_ui._wire.sse import SSEEvent

    dialect = ObjectStreamDialect()
    assert dialect.name == "object-stream"
    out: list[Any] = []
    dialect.feed(
        [
            SSEEvent("message", b'[{"type": "set", "path": [], "value": 2}]', ""),
            SSEEvent("message", b'{"type": "set"}', ""),
        ],
        out,
    )
    dialect.end(out, done=False)
    assert out == [
        {"type": "state-update", "operations": [{"type": "set", "path": [], "value": 2}]},
        {"type": "raw", "event": "message", "data": {"type": "set"}},
    ]


def test_object_stream_one_byte_at_a_time_and_crlf() -> None:
    body = OBJECT_BODY.replace(b"\n", b"\r\n")
    expected, _ = decode(OBJECT_BODY, OBJECT_HEADERS)
    for headers in (OBJECT_HEADERS, None):
        pieces = [body[i : i + 1] for i in range(len(body))]
        assert decode(body, headers, pieces)[0] == expected


@settings(max_examples=150, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(OBJECT_BODY) * 2), max_size=50),
       crlf=st.booleans())
def test_object_stream_arbitrary_splits(cuts: list[int], crlf: bool) -> None:
    body = OBJECT_BODY.replace(b"\n", b"\r\n") if crlf else OBJECT_BODY
    expected, _ = decode(OBJECT_BODY, OBJECT_HEADERS)
    assert decode(body, OBJECT_HEADERS, split(body, cuts))[0] == expected
    assert decode(body, None, split(body, cuts))[0] == expected


# -- plain text ---------------------------------------------------------------------------

PLAIN = "Hello, w\u00f6rld!\r\nLine two\u2028still two\rthree\n\n0:not a data stream \U0001f600\n"


def text_of(events: list[dict[str, Any]]) -> str:
    assert all(e["type"] == "text-delta" for e in events)
    return "".join(e["delta"] for e in events)


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "text/plain; charset=utf-8"},
        {"Content-Type": "text/plain"},
    ],
)
def test_plain_text(headers: dict[str, str]) -> None:
    events, decoder = decode(PLAIN.encode(), headers)
    assert decoder.protocol == "plain-text"
    # every character is text, line breaks included, untouched
    assert text_of(events) == PLAIN
    acc = MessageAccumulator()
    acc.add_all(events)
    msg = acc.finish()
    assert msg["content"] == [{"type": "text", "text": PLAIN}]
    assert msg["status"] == {"type": "complete", "reason": "unknown"}


def test_plain_text_forced() -> None:
    events = StreamDecoder(protocol="plain-text").decode(b'0:"looks like data stream"\n')
    assert text_of(events) == '0:"looks like data stream"\n'


def test_plain_text_no_content_type() -> None:
    events, decoder = decode("Just words \u00e9\n".encode(), None)
    assert decoder.protocol == "plain-text"
    assert text_of(events) == "Just words \u00e9\n"


def test_text_plain_that_is_a_data_stream() -> None:
    # docs/wire-formats.md §1: first non-blank line `^([0-9a-k]|aui-[a-z-]+):` + JSON -> data stream
    events, decoder = decode(b'\n0:"Hi"\n0:" there"\n', {"content-type": "text/plain"})
    assert decoder.protocol == "data-stream"
    assert text_of(events) == "Hi there"
    for first in (b"0:not json\n", b"z:1\n", b"Hello: world\n", b'aui-x "no colon"\n'):
        events, decoder = decode(first, {"content-type": "text/plain"})
        assert decoder.protocol == "plain-text", first
        assert text_of(events) == first.decode()


def test_plain_text_first_line_split_across_reads() -> None:
    body = "Hel\u00e9lo there\nsecond".encode()
    pieces = [body[:2], body[2:4], body[4:]]  # inside the first line and inside the é
    events, decoder = decode(body, {"content-type": "text/plain"}, pieces)
    assert decoder.protocol == "plain-text"
    assert text_of(events) == body.decode()


def test_plain_text_invalid_utf8_is_replaced() -> None:
    events, _ = decode(b"ok \xff\xfe end", {"content-type": "text/plain"})
    assert text_of(events) == "ok \ufffd\ufffd end"
    # a truncated sequence at the very end
    events, _ = decode("x\u00e9".encode()[:-1], {"content-type": "text/plain"})
    assert text_of(events) == "x\ufffd"


def test_plain_text_empty_body() -> None:
    events, _ = decode(b"", {"content-type": "text/plain"})
    assert events == []
    acc = MessageAccumulator()
    acc.add_all(events)
    assert acc.finish()["content"] == []


def test_plain_text_one_byte_at_a_time() -> None:
    body = PLAIN.encode()
    pieces = [body[i : i + 1] for i in range(len(body))]
    events, _ = decode(body, {"content-type": "text/plain"}, pieces)
    assert text_of(events) == PLAIN
    # no empty deltas, even when a read ends inside a multi-byte sequence
    assert all(e["delta"] for e in events)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200), cuts=st.lists(st.integers(min_value=0, max_value=800),
                                                  max_size=40))
def test_plain_text_arbitrary_splits(text: str, cuts: list[int]) -> None:
    body = ("Plain: " + text).encode()  # never a data stream line
    events, decoder = decode(body, {"content-type": "text/plain"}, split(body, cuts))
    assert decoder.protocol == "plain-text"
    assert text_of(events) == "Plain: " + text
    assert all(e["delta"] for e in events)
