"""Limits: the size of one line / SSE event / JSON body / AWS message, and JSON nesting.

Each is tested at its boundary (the limit passes, the limit + 1 fails with a
``DecodeError`` naming the protocol and the byte offset), while buffering (a body
that never ends its line is refused once it passes the limit, so memory stays
bounded), and through ``AssistantClient(max_event_size=...)``.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import httpx
import pytest

from assistant_ui import AssistantClient, user
from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.dialects._tools import parse_args
from assistant_ui._wire.eventstream import MIN_MESSAGE_LENGTH
from assistant_ui._wire.eventstream_encoding import encode_message
from assistant_ui._wire.jsonlib import too_deep
from assistant_ui._wire.partial_json import IncompleteJSON
from assistant_ui._wire.state_ops import MAX_PATH_LENGTH, apply_operations
from assistant_ui.decoding import (
    DEFAULT_MAX_EVENT_SIZE,
    StreamDecoder,
    accumulate,
    parse_partial,
    parse_partial_object,
)
from assistant_ui.errors import DecodeError

pytestmark = pytest.mark.timeout(120)

DS = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}
SSE = {"content-type": "text/event-stream"}
JSON_CT = {"content-type": "application/json"}
AWS = {"content-type": "application/vnd.amazon.eventstream"}
N = 1000  # a small limit for the boundary tests


def run(
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    step: int | None = None,
    **kwargs: Any,
) -> tuple[list[Any], DecodeError | None]:
    """Decode ``body`` (in pieces of ``step`` bytes); the events and the error, if any."""
    decoder = StreamDecoder(headers=headers, **kwargs)
    events: list[Any] = []
    pieces = [body] if step is None else [body[i : i + step] for i in range(0, len(body), step)]
    try:
        for piece in pieces:
            events += decoder.feed(piece)
        events += decoder.end()
    except DecodeError as exc:
        return events + exc.events, exc
    return events, None


def assert_same_for_every_split(body: bytes, headers: dict[str, str] | None, **kwargs: Any) -> Any:
    whole = run(body, headers, **kwargs)
    for step in (1, 7, 64):
        events, error = run(body, headers, step=step, **kwargs)
        assert events == whole[0]
        assert (error is None) == (whole[1] is None)
        if error is not None and whole[1] is not None:
            assert (error.protocol, error.offset, error.message) == (
                whole[1].protocol, whole[1].offset, whole[1].message)
    return whole


def test_default_limits() -> None:
    decoder = StreamDecoder()
    assert decoder.max_event_size == DEFAULT_MAX_EVENT_SIZE == 64 * 1024 * 1024
    assert decoder.max_json_depth == 512
    assert AssistantClient("http://h.test").max_event_size == DEFAULT_MAX_EVENT_SIZE


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10", True, None])
def test_limits_must_be_positive_ints(bad: Any) -> None:
    with pytest.raises(ValueError):
        StreamDecoder(max_event_size=bad)
    with pytest.raises(ValueError):
        StreamDecoder(max_json_depth=bad)


# -- one line ---------------------------------------------------------------------------------------


def ds_line(size: int) -> bytes:
    """A data-stream text record of exactly ``size`` bytes (terminator excluded)."""
    return b'0:"' + b"x" * (size - 4) + b'"'


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\r", b""])
def test_data_stream_line_at_the_limit_passes(terminator: bytes) -> None:
    body = b'0:"a"\n' + ds_line(N) + terminator
    events, error = assert_same_for_every_split(body, DS, max_event_size=N)
    assert error is None
    assert events == [{"type": "text-delta", "delta": "a"}, {"type": "text-delta", "delta": "x" * (N - 4)}]


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\r", b""])
def test_data_stream_line_one_byte_over_the_limit_fails(terminator: bytes) -> None:
    body = b'0:"a"\n' + ds_line(N + 1) + terminator + b'0:"b"\n'
    events, error = assert_same_for_every_split(body, DS, max_event_size=N)
    assert error is not None
    assert error.protocol == "data-stream"
    assert error.offset == 6 + N  # the first byte past the limit
    assert f"limit of {N} bytes" in error.message
    # what came before is not lost
    assert events == [{"type": "text-delta", "delta": "a"}]


def test_sse_line_boundary() -> None:
    payload = json.dumps({"type": "text-delta", "textDelta": "x" * 100})
    line = b"data: " + payload.encode()
    ok = line + b"\n\n"
    events, error = assert_same_for_every_split(ok, SSE, max_event_size=len(line))
    assert error is None and events == [{"type": "text-delta", "delta": "x" * 100}]
    events, error = assert_same_for_every_split(ok, SSE, max_event_size=len(line) - 1)
    assert error is not None
    assert error.protocol == "sse"  # no dialect known yet: the framing
    assert error.offset == len(line) - 1
    assert events == []


def test_sse_event_of_many_lines_is_bounded_in_total() -> None:
    # each data line is small; together they make an event of exactly N bytes
    lines = [b"data: " + b"y" * 99] * 10  # 10 * 99 + 9 joining LFs = 999
    lines.append(b"data:")  # + 1 LF -> 1000
    event = b"\n".join(lines) + b"\n\n"
    first = b'data: {"type": "start"}\n\n'
    body = first + event + b"data: [DONE]\n\n"
    events, error = assert_same_for_every_split(body, SSE, max_event_size=N)
    assert error is None
    assert events[-1] == {"type": "raw", "event": "message", "data": ("y" * 99 + "\n") * 10}
    # one byte more: the line that crosses the limit is reported
    lines[-1] = b"data: z"
    body = first + b"\n".join(lines) + b"\n\n" + b"data: [DONE]\n\n"
    events, error = assert_same_for_every_split(body, SSE, max_event_size=N)
    assert error is not None
    assert error.protocol == "ui-message-stream"
    assert error.offset == len(first) + sum(len(x) + 1 for x in lines[:-1])
    assert "SSE event exceeds the limit" in error.message
    assert [e["type"] for e in events] == ["step-start"]


def test_sse_event_past_the_limit_after_done_is_ignored() -> None:
    body = b'data: {"type": "start"}\n\ndata: [DONE]\n\n' + b"data: " + b"z" * (2 * N) + b"\n\n"
    events, error = assert_same_for_every_split(body, SSE, max_event_size=N)
    assert error is None and [e["type"] for e in events] == ["step-start"]


def test_sniffed_data_stream_line_boundary() -> None:
    # text/plain without the header, and no content type at all
    for headers in ({"content-type": "text/plain"}, {}):
        body = ds_line(N) + b"\n"
        events, error = assert_same_for_every_split(body, headers, max_event_size=N)
        assert error is None and len(events) == 1
        body = ds_line(N + 1) + b"\n"
        events, error = assert_same_for_every_split(body, headers, max_event_size=N)
        assert error is not None and error.protocol == "data-stream" and error.offset == N


def test_plain_text_is_not_buffered() -> None:
    # plain text has no framing: it streams, whatever the limit
    body = b"no line end " * 1000
    events, error = run(body, {"content-type": "text/plain"}, step=100, max_event_size=N)
    assert error is None
    assert "".join(e["delta"] for e in events) == body.decode()


# -- JSON body ----------------------------------------------------------------------------------------


def test_json_body_boundary() -> None:
    doc = {"object": "chat.completion", "choices": [{"index": 0, "message": {"content": "hi"}}],
           "pad": ""}
    body = json.dumps(doc).encode()
    doc["pad"] = "p" * (N - len(body))
    body = json.dumps(doc).encode()
    assert len(body) == N
    events, error = assert_same_for_every_split(body, JSON_CT, max_event_size=N)
    assert error is None and {"type": "text-delta", "delta": "hi"} in events
    events, error = assert_same_for_every_split(body + b" ", JSON_CT, max_event_size=N)
    assert error is not None and error.protocol == "json" and error.offset == N


# -- AWS event stream ----------------------------------------------------------------------------------


def aws_message(total: int) -> bytes:
    headers = {":event-type": "chunk"}
    overhead = len(encode_message(headers, b""))
    return encode_message(headers, b"x" * (total - overhead))


def test_aws_message_boundary() -> None:
    first = encode_message({":event-type": "assistantResponseEvent"}, b'{"content": "a"}')
    msg = aws_message(N)
    assert len(msg) == N
    events, error = assert_same_for_every_split(first + msg, AWS, max_event_size=N)
    # text, the chunk, and the finish synthesized for an Amazon Q answer
    assert error is None and len(events) == 3 and events[-1]["type"] == "finish"
    events, error = assert_same_for_every_split(first + aws_message(N + 1), AWS, max_event_size=N)
    assert error is not None
    assert error.protocol == "aws-eventstream"
    assert error.offset == len(first)  # the message, refused from its prelude
    assert events == [{"type": "text-delta", "delta": "a"}]


def test_aws_message_refused_before_it_is_buffered() -> None:
    decoder = StreamDecoder(headers=AWS, max_event_size=N)
    huge = aws_message(MIN_MESSAGE_LENGTH + 20 * N)
    with pytest.raises(DecodeError) as info:
        decoder.feed(huge[:12])  # the prelude alone is enough
    assert info.value.offset == 0 and "exceeds the limit" in info.value.message


# -- JSON nesting ----------------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("limit", [1, 40, 512])
def test_json_depth_boundary_in_a_data_stream_line(limit: int) -> None:
    # "2:" data is an array: its nesting is the record's
    ok = b"2:" + nested(limit) + b"\n"
    events, error = assert_same_for_every_split(ok, DS, max_json_depth=limit)
    assert error is None and len(events) == 1
    bad = b'0:"a"\n2:' + nested(limit + 1) + b"\n"
    events, error = assert_same_for_every_split(bad, DS, max_json_depth=limit)
    assert error is not None and error.protocol == "data-stream" and error.offset == 6
    assert f"deeper than {limit}" in error.message
    assert events == [{"type": "text-delta", "delta": "a"}]


def test_default_json_depth_in_sse() -> None:
    def line(depth: int) -> bytes:
        inner = b"[" * (depth - 1) + b"]" * (depth - 1)
        return b'data: {"type": "update-state", "operations": ' + inner + b"}"

    events, error = assert_same_for_every_split(line(512) + b"\n\ndata: [DONE]\n\n", SSE)
    assert error is None and events[0]["type"] == "state-update"
    events, error = assert_same_for_every_split(line(513) + b"\n\ndata: [DONE]\n\n", SSE)
    # found when the event is dispatched: at its closing blank line
    assert error is not None and error.protocol == "sse" and error.offset == len(line(513)) + 1
    assert events == []


@pytest.mark.parametrize("depth", [513, 1000, 5000, 1_000_000])
def test_very_deep_json_is_a_decode_error_never_a_recursion_error(depth: int) -> None:
    for headers, body in [
        (DS, b"2:" + nested(depth) + b"\n"),
        (SSE, b"data: " + nested(depth) + b"\n\n"),
        (JSON_CT, nested(depth)),
        ({"content-type": "application/json"}, b'{"a":' * depth + b"1" + b"}" * depth),
        (AWS, encode_message({":event-type": "x"}, nested(depth))),
    ]:
        _, error = run(body, headers, max_event_size=8 * 1024 * 1024)
        assert error is not None, headers
        assert "deeper than 512" in error.message


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 10_000 + "{" * 10_000}).encode()
    assert not too_deep(text, 2)
    events, error = run(b"2:[" + text + b"]\n", DS)
    assert error is None and events == [{"type": "data", "data": [{"a": "[" * 10_000 + "{" * 10_000}]}]
    escaped = json.dumps(["\\\"[[[[", "\\", "]]]"]).encode()
    assert not too_deep(escaped, 1)


def test_aws_payload_depth() -> None:
    import base64

    ok = encode_message({":event-type": "x"}, nested(40))
    bad_inner = base64.b64encode(nested(41)).decode()
    bad = encode_message({":event-type": "chunk"}, json.dumps({"bytes": bad_inner}).encode())
    events, error = assert_same_for_every_split(ok + bad, AWS, max_json_depth=40)
    assert error is not None and error.protocol == "aws-eventstream" and error.offset == len(ok)
    assert len(events) == 1


# -- downstream of the decoder: nothing recurses on the data ---------------------------------------------------


def test_partial_json_parser_keeps_its_own_depth_bound() -> None:
    from assistant_ui._wire.partial_json import _Parser

    assert _Parser("[" * 40, 40).parse() == json.loads(nested(40))
    with pytest.raises(IncompleteJSON):
        _Parser("[" * 41, 40).parse()


def test_partial_json_depth_boundary() -> None:
    assert parse_partial("[" * 512) == json.loads(nested(512))
    with pytest.raises(IncompleteJSON):
        parse_partial("[" * 513)
    with pytest.raises(IncompleteJSON):
        parse_partial("[" * 1_000_000)
    assert parse_partial('{"a":' * 511 + "1") is not None
    assert parse_partial_object('{"a":' * 600 + "1") is None


def test_tool_arguments_too_deep_are_empty_args_not_an_error() -> None:
    deep = '{"a":' * 600 + "1" + "}" * 600
    assert parse_args(deep) == {}
    ok = '{"a":' * 512 + "1" + "}" * 512
    assert parse_args(ok) == json.loads(ok)
    body = (
        b'b:{"toolCallId": "t", "toolName": "f"}\n'
        + b'c:{"toolCallId": "t", "argsTextDelta": ' + json.dumps(deep).encode() + b"}\n"
    )
    events, error = run(body, DS)
    assert error is None
    message = accumulate(events)
    assert message["content"][0]["args"] == {} and message["content"][0]["argsText"] == deep


def test_state_path_length_limit() -> None:
    errors: list[str] = []
    state = apply_operations(None, [{"type": "set", "path": ["k"] * MAX_PATH_LENGTH, "value": 1}], errors)
    assert errors == []
    state = apply_operations(state, [{"type": "set", "path": ["k"] * (MAX_PATH_LENGTH + 1), "value": 2}], errors)
    assert len(errors) == 1 and "path longer than" in errors[0]
    depth = 0
    node = state
    while isinstance(node, dict):
        node = node["k"]
        depth += 1
    assert depth == MAX_PATH_LENGTH and node == 1


def test_deepest_state_a_stream_can_build_is_usable() -> None:
    # the deepest value the decoder lets through, at the longest path
    value = json.loads(nested(510))
    acc = MessageAccumulator()
    acc.add({"type": "state-update", "operations": [
        {"type": "set", "path": ["k"] * MAX_PATH_LENGTH, "value": value}]})
    acc.add({"type": "metadata", "metadata": {"m": json.loads(b'{"a":' * 510 + b"1" + b"}" * 510)}})
    snapshot = acc.message  # copies the state and metadata
    assert snapshot["metadata"]["unstable_state"] == acc.state
    json.dumps(acc.finish())  # e.g. sent back as the next request's state


def test_huge_retry_value_is_ignored() -> None:
    decoder = StreamDecoder(headers=SSE)
    decoder.feed(b"retry: " + b"9" * 5000 + b"\nretry: 1500\nretry: " + b"9" * 19 + b"\n\n")
    assert decoder.retry == 1500


def test_huge_array_index_in_a_state_path() -> None:
    errors: list[str] = []
    state = apply_operations({"l": []}, [{"type": "set", "path": ["l", "9" * 5000], "value": 1},
                                         {"type": "set", "path": ["l", "\u00b2"], "value": 2}], errors)
    assert state == {"l": [1]} and len(errors) == 1


# -- memory: a peer that never ends its line -------------------------------------------------------------


LIMIT = 1024 * 1024
PIECE = 64 * 1024


@pytest.mark.parametrize(
    ("headers", "prefix"),
    [
        (DS, b'0:"'),
        (SSE, b"data: "),
        (SSE, b"data: a\n"),  # one event of many (short) data lines: see the filler below
        ({"content-type": "text/plain"}, b'0:"'),
        ({}, b'aui-state:"'),
        ({}, b"data: "),
        (JSON_CT, b'{"a": "'),
        ({}, b'{"a": "'),
    ],
    ids=["data-stream", "sse-line", "sse-many-lines", "sniffed-text", "sniffed", "sniffed-sse", "json",
         "sniffed-json"],
)
def test_ten_times_the_limit_without_a_line_end_in_64k_pieces(headers: dict[str, str], prefix: bytes) -> None:
    filler = b"data: 0123456789abcdef\n" * (PIECE // 23) if prefix == b"data: a\n" else b"x" * PIECE
    decoder = StreamDecoder(headers=headers, max_event_size=LIMIT)
    decoder.feed(prefix)
    fed = len(prefix)
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError) as info:
            while fed < 10 * LIMIT:
                decoder.feed(filler)
                fed += len(filler)
            decoder.end()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # refused as soon as the limit was passed (many short data lines: the data
    # part of each line counts, 17 bytes of its 23)
    fed = decoder.offset  # (the piece that raised included)
    assert fed <= (LIMIT * 23 // 17 if prefix == b"data: a\n" else LIMIT) + 2 * PIECE
    assert info.value.protocol in ("data-stream", "sse", "json")
    assert info.value.offset is not None and info.value.offset <= fed
    assert peak < 3 * LIMIT + 4 * PIECE, peak


def test_aws_in_64k_pieces_never_buffers_past_the_limit() -> None:
    decoder = StreamDecoder(headers=AWS, max_event_size=LIMIT)
    body = aws_message(10 * LIMIT)
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError):
            for i in range(0, len(body), PIECE):
                decoder.feed(body[i : i + PIECE])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * PIECE + 64 * 1024


# -- through the client ------------------------------------------------------------------------------------------


def _transport(body: bytes, headers: dict[str, str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers=headers)

    return httpx.MockTransport(handler)


def test_client_max_event_size() -> None:
    ok = b'0:"a"\n' + ds_line(N) + b"\n"
    with AssistantClient("http://h.test", max_event_size=N, transport=_transport(ok, DS)) as client:
        result = client.threads("t").chat_sync(messages=[user("hi")])
        assert result.message["content"][0]["text"] == "a" + "x" * (N - 4)
    bad = b'0:"a"\n' + ds_line(N + 1) + b"\n"
    with AssistantClient("http://h.test", max_event_size=N, transport=_transport(bad, DS)) as client:
        with pytest.raises(DecodeError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    assert info.value.protocol == "data-stream" and info.value.offset == 6 + N
    # the partial result keeps what was decoded before the problem
    partial = info.value.partial
    assert partial is not None and partial.message["content"] == [{"type": "text", "text": "a"}]


SMALL = 64 * 1024


@pytest.mark.parametrize(
    ("headers", "prefix", "unit"),
    [
        (DS, b'0:"', b"x"),
        (SSE, b"data: ", b"x"),
        (SSE, b"", b"data:\n"),  # one event of many empty data lines: 1 byte each
        (JSON_CT, b'{"a": "', b"x"),
        ({}, b'{"a": "', b"x"),
    ],
    ids=["data-stream", "sse-line", "sse-empty-data-lines", "json", "sniffed-json"],
)
def test_memory_per_byte_held_stays_small_whatever_the_pieces(
    headers: dict[str, str], prefix: bytes, unit: bytes
) -> None:
    # a peer trickling one byte (or one tiny line) per read must not make each
    # cost a whole object: what is held stays close to the bytes held
    decoder = StreamDecoder(headers=headers, max_event_size=SMALL)
    decoder.feed(prefix)
    tracemalloc.start()
    try:
        with pytest.raises(DecodeError):
            for _ in range(4 * SMALL):
                decoder.feed(unit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * SMALL, peak


def test_an_unlabelled_aws_stream_is_recognized_from_its_prelude_alone() -> None:
    # no line end needed (binary): decided on the first 12 bytes, not after 64 KiB
    msg = encode_message({":event-type": "assistantResponseEvent"}, b'{"content": "hi"}')
    body = msg.replace(b"\n", b"").replace(b"\r", b"")
    assert body == msg
    decoder = StreamDecoder()
    assert decoder.feed(body) == [{"type": "text-delta", "delta": "hi"}]
    assert decoder.protocol == "aws-eventstream"
