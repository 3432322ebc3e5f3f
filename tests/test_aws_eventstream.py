"""AWS binary event stream: framing (docs/wire-formats.md §10) and the Bedrock / Amazon Q dialect."""

from __future__ import annotations

import datetime as dt
import json
import struct
import time
import uuid
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.detect import looks_like_aws_prelude
from assistant_ui._wire.dialects.aws import STOP_REASONS, AWSEventStreamDialect
from assistant_ui._wire.eventstream import (
    MAX_HEADERS_LENGTH,
    MAX_PAYLOAD_LENGTH,
    Byte,
    EventStreamFramer,
    EventStreamMessage,
    Integer,
    Long,
    Short,
    Timestamp,
    decode_message,
)
from assistant_ui._wire.eventstream_encoding import encode_message
from assistant_ui.errors import DecodeError

AWS_HEADERS = {"content-type": "application/vnd.amazon.eventstream"}
PROTOCOL = "aws-eventstream"

EXAMPLE_HEX = (
    "00 00 00 41 00 00 00 2a db 0a 67 46"
    " 0d"
    + b":message-type".hex()
    + " 07 00 05"
    + b"event".hex()
    + " 0b"
    + b":event-type".hex()
    + " 07 00 05"
    + b"chunk".hex()
    + " 7b 22 61 22 3a 31 7d"
    " 91 6b 33 d8"
)
EXAMPLE = bytes.fromhex(EXAMPLE_HEX)
SMALLEST = bytes.fromhex("00 00 00 10 00 00 00 00 05 c2 48 eb 7d 98 c8 ff")


def event(name: str, payload: Any, **extra: Any) -> bytes:
    headers = {":message-type": "event", ":event-type": name, ":content-type": "application/json"}
    headers.update(extra)
    return encode_message(headers, json.dumps(payload).encode())


def exception(kind: str, payload: Any) -> bytes:
    headers = {
        ":message-type": "exception",
        ":exception-type": kind,
        ":content-type": "application/json",
    }
    return encode_message(headers, json.dumps(payload).encode())


def decode(body: bytes, **kw: Any) -> list[Any]:
    decoder = StreamDecoder(headers=AWS_HEADERS, **kw)
    return list(decoder.decode(body))


def accumulate(events: list[Any]) -> Any:
    acc = MessageAccumulator()
    acc.add_all(events)
    return acc.finish()


def prelude(total: int, headers_len: int) -> bytes:
    head = struct.pack(">II", total, headers_len)
    return head + struct.pack(">I", zlib.crc32(head) & 0xFFFFFFFF)


def with_crcs(raw: bytearray) -> bytes:
    """Fix both CRCs of a hand-edited message."""
    raw[8:12] = struct.pack(">I", zlib.crc32(bytes(raw[:8])) & 0xFFFFFFFF)
    raw[-4:] = struct.pack(">I", zlib.crc32(bytes(raw[:-4])) & 0xFFFFFFFF)
    return bytes(raw)


# -- published vectors ------------------------------------------------------------------


def test_example_message_encodes_to_the_published_bytes() -> None:
    encoded = encode_message({":message-type": "event", ":event-type": "chunk"}, b'{"a":1}')
    assert len(encoded) == 65
    assert encoded == EXAMPLE


def test_example_message_decodes() -> None:
    [msg] = EventStreamFramer().feed(EXAMPLE)
    assert msg == EventStreamMessage(
        {":message-type": "event", ":event-type": "chunk"}, b'{"a":1}', 0
    )
    assert decode_message(EXAMPLE) == msg
    assert looks_like_aws_prelude(EXAMPLE)


def test_smallest_message() -> None:
    assert encode_message({}, b"") == SMALLEST
    framer = EventStreamFramer()
    assert framer.feed(SMALLEST) == [EventStreamMessage({}, b"", 0)]
    framer.end()
    # through the decoder: a message with no event type and no payload goes out raw
    assert decode(SMALLEST) == [{"type": "raw", "event": "event", "data": None}]


def test_example_through_the_decoder_is_a_raw_chunk() -> None:
    assert decode(EXAMPLE) == [{"type": "raw", "event": "chunk", "data": {"a": 1}}]


def test_consecutive_messages_carry_their_body_offsets() -> None:
    framer = EventStreamFramer()
    msgs = framer.feed(EXAMPLE + SMALLEST + EXAMPLE)
    assert [m.offset for m in msgs] == [0, 65, 81]
    assert framer.offset == 146 and framer.buffered == 0


# -- header types ------------------------------------------------------------------------

ALL_TYPES: dict[str, Any] = {
    "true": True,
    "false": False,
    "byte": Byte(-128),
    "short": Short(32767),
    "int": Integer(-(2**31)),
    "long": Long(2**63 - 1),
    "bytes": b"\x00\xff binary",
    "string": "héllo ✓",
    "time": Timestamp(1_700_000_000_123),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
}


def test_every_header_type_round_trips() -> None:
    encoded = encode_message(ALL_TYPES, b"payload")
    msg = decode_message(encoded)
    assert msg.headers == ALL_TYPES
    assert msg.payload == b"payload"
    for name, value in ALL_TYPES.items():
        assert type(msg.headers[name]) is type(value), name
    # the int subclasses remember their wire type: re-encoding is byte-exact
    assert encode_message(msg.headers, msg.payload) == encoded
    # the type bytes on the wire, in order
    block = encoded[12 : 12 + struct.unpack(">I", encoded[4:8])[0]]
    types, pos = [], 0
    while pos < len(block):
        pos += 1 + block[pos]
        types.append(block[pos])
        pos += 1 + {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}.get(
            block[pos], 2 + int.from_bytes(block[pos + 1 : pos + 3], "big")
        )
    assert types == list(range(10))


def test_header_value_conveniences() -> None:
    stamp = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)
    msg = decode_message(
        encode_message(
            {"small": 5, "big": 2**40, "when": stamp, "naive": stamp.replace(tzinfo=None)}
        )
    )
    assert type(msg.headers["small"]) is Integer and msg.headers["small"] == 5
    assert type(msg.headers["big"]) is Long and msg.headers["big"] == 2**40
    when = msg.headers["when"]
    assert isinstance(when, Timestamp) and when == 1714979289123
    assert when.to_datetime() == stamp
    assert msg.headers["naive"] == when
    assert repr(Short(3)) == "Short(3)"
    assert json.dumps({"t": when}) == '{"t": 1714979289123}'


@pytest.mark.parametrize(
    ("headers", "payload", "exc"),
    [
        ({"b": Byte(128)}, b"", ValueError),
        ({"s": Short(-32769)}, b"", ValueError),
        ({"i": 2**63}, b"", ValueError),
        ({"x" * 256: True}, b"", ValueError),
        ({"s": "x" * 65536}, b"", ValueError),
        ({"f": 1.5}, b"", TypeError),
        ({}, b"x" * (MAX_PAYLOAD_LENGTH + 1), ValueError),
        ({f"h{i}": "x" * 60000 for i in range(3)}, b"", ValueError),
    ],
)
def test_encode_rejects_what_the_format_cannot_carry(
    headers: dict[str, Any], payload: bytes, exc: type[Exception]
) -> None:
    with pytest.raises(exc):
        encode_message(headers, payload)


header_values = st.one_of(
    st.booleans(),
    st.integers(-(2**7), 2**7 - 1).map(Byte),
    st.integers(-(2**15), 2**15 - 1).map(Short),
    st.integers(-(2**31), 2**31 - 1).map(Integer),
    st.integers(-(2**63), 2**63 - 1).map(Long),
    st.integers(-(2**63), 2**63 - 1).map(Timestamp),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.uuids(),
)


@given(
    headers=st.dictionaries(st.text(min_size=1, max_size=20), header_values, max_size=8),
    payload=st.binary(max_size=200),
)
def test_random_messages_round_trip(headers: dict[str, Any], payload: bytes) -> None:
    encoded = encode_message(headers, payload)
    msg = decode_message(encoded)
    assert msg.headers == headers
    assert msg.payload == payload
    assert encode_message(msg.headers, msg.payload) == encoded


# -- framing errors -------------------------------------------------------------------------


def assert_decode_error(exc: pytest.ExceptionInfo[DecodeError], offset: int, text: str) -> None:
    assert exc.value.protocol == PROTOCOL
    assert exc.value.offset == offset
    assert text in exc.value.message


def bad_cases() -> list[tuple[str, bytes, int, str]]:
    """(id, body, offset of the error, words of its message); each body starts with EXAMPLE."""
    base = len(EXAMPLE)
    good = bytearray(EXAMPLE)
    bad_prelude = bytearray(good)
    bad_prelude[8] ^= 0xFF
    bad_crc = bytearray(good)
    bad_crc[-1] ^= 0x01
    bad_payload = bytearray(good)
    bad_payload[-6] ^= 0x20  # a payload byte: only the message CRC notices
    unknown_type = bytearray(good)
    unknown_type[12 + 1 + 13] = 10  # type byte of the first header
    duplicate = bytearray(encode_message({":event-type": "chunk", ":event-typf": "x"}))
    duplicate[32 + 1 + 10] = ord("e")  # second name -> ":event-type"
    past_block = bytearray(encode_message({"n": Long(1)}))
    past_block[7] -= 4  # headers_length cut inside the long value
    bad_utf8 = bytearray(encode_message({"n": "ok"}))
    bad_utf8[-6] = 0xFF
    return [
        ("prelude-crc", bytes(bad_prelude), base + 8, "prelude CRC mismatch"),
        ("message-crc", bytes(bad_crc), base + 61, "message CRC mismatch"),
        ("payload-corrupt", bytes(bad_payload), base + 61, "message CRC mismatch"),
        ("unknown-type", with_crcs(unknown_type), base + 26, "unknown type 10"),
        ("duplicate", with_crcs(duplicate), base + 32, "duplicate header ':event-type'"),
        ("past-block", with_crcs(past_block), base + 14, "runs past the header block"),
        ("bad-utf8", with_crcs(bad_utf8), base + 17, "not valid UTF-8"),
        ("too-short", prelude(15, 0) + b"\x00" * 3, base, "below the minimum"),
        (
            "headers-too-long",
            prelude(200_000, MAX_HEADERS_LENGTH + 1),
            base + 4,
            "exceeds the limit",
        ),
        ("headers-overflow", prelude(40, 30), base + 4, "does not fit"),
        ("payload-too-long", prelude(MAX_PAYLOAD_LENGTH + 17, 0), base, "exceeds the limit"),
    ]


BAD = bad_cases()


@pytest.mark.parametrize(("body", "offset", "text"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_framing_errors(body: bytes, offset: int, text: str) -> None:
    # alone, at offset 0
    framer = EventStreamFramer()
    with pytest.raises(DecodeError) as exc:
        framer.feed(body)
    assert_decode_error(exc, offset - len(EXAMPLE), text)
    # the framer stays broken
    with pytest.raises(DecodeError):
        framer.feed(EXAMPLE)
    with pytest.raises(DecodeError):
        framer.end()

    # after a good message, through the decoder, one byte at a time
    decoder = StreamDecoder(headers=AWS_HEADERS)
    events: list[Any] = []
    with pytest.raises(DecodeError) as exc:
        full = EXAMPLE + body
        for i in range(len(full)):
            events += decoder.feed(full[i : i + 1])
        events += decoder.end()
    assert_decode_error(exc, offset, text)
    assert events == [{"type": "raw", "event": "chunk", "data": {"a": 1}}]


def test_an_error_after_good_messages_in_one_feed_is_raised_by_the_next_call() -> None:
    bad = bytearray(EXAMPLE)
    bad[-1] ^= 0x01
    decoder = StreamDecoder(headers=AWS_HEADERS)
    # the good message is not lost ...
    assert decoder.feed(EXAMPLE + bytes(bad)) == [
        {"type": "raw", "event": "chunk", "data": {"a": 1}}
    ]
    # ... and the error is not either
    with pytest.raises(DecodeError) as exc:
        decoder.end()
    assert_decode_error(exc, 65 + 61, "message CRC mismatch")


def test_prelude_is_checked_before_the_message_is_complete() -> None:
    framer = EventStreamFramer()
    head = prelude(100, 10)
    assert framer.feed(head[:11]) == []
    with pytest.raises(DecodeError) as exc:
        framer.feed(bytes([head[11] ^ 1]))  # the 12th byte makes the CRC wrong
    assert_decode_error(exc, 8, "prelude CRC mismatch")
    framer = EventStreamFramer()
    with pytest.raises(DecodeError) as exc:
        framer.feed(prelude(MAX_PAYLOAD_LENGTH + 100, 0))  # no need to wait for 24 MiB
    assert_decode_error(exc, 0, "payload length")


@pytest.mark.parametrize("cut", [1, 11, 12, 40, 64])
def test_truncated_message(cut: int) -> None:
    body = EXAMPLE + EXAMPLE[:cut]
    framer = EventStreamFramer()
    assert len(framer.feed(body)) == 1
    with pytest.raises(DecodeError) as exc:
        framer.end()
    assert_decode_error(exc, 65, "the body ended inside a message")
    decoder = StreamDecoder(headers=AWS_HEADERS)
    assert len(decoder.feed(body)) == 1
    with pytest.raises(DecodeError) as exc:
        decoder.end()
    assert_decode_error(exc, 65, "the body ended inside a message")


def test_decode_message_wants_exactly_one_message() -> None:
    with pytest.raises(DecodeError, match="truncated"):
        decode_message(EXAMPLE[:-1])
    with pytest.raises(DecodeError, match="after the message") as exc:
        decode_message(EXAMPLE + b"\x00", offset=100)
    assert exc.value.offset == 165


def test_large_payload_in_small_pieces_is_linear() -> None:
    payload = b"x" * (16 * 1024 * 1024)
    body = encode_message({":event-type": "blob"}, payload) + EXAMPLE
    framer = EventStreamFramer()
    msgs: list[EventStreamMessage] = []
    start = time.perf_counter()
    for i in range(0, len(body), 4096):
        msgs += framer.feed(body[i : i + 4096])
    framer.end()
    elapsed = time.perf_counter() - start
    assert [len(m.payload) for m in msgs] == [len(payload), 7]
    assert msgs[0].payload == payload
    assert elapsed < 5, elapsed  # quadratic re-copying would take minutes


# -- Bedrock ConverseStream ---------------------------------------------------------------

BEDROCK = [
    event("messageStart", {"role": "assistant"}),
    event(
        "contentBlockDelta",
        {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Let me "}}},
    ),
    event(
        "contentBlockDelta",
        {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "think."}}},
    ),
    event(
        "contentBlockDelta",
        {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}},
    ),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    event(
        "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "Checking "}, "p": "abcd"}
    ),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": "the weather."}}),
    event("contentBlockStop", {"contentBlockIndex": 1}),
    event(
        "contentBlockStart",
        {
            "contentBlockIndex": 2,
            "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather"}},
        },
    ),
    event("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '{"ci'}}}),
    event(
        "contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": 'ty": "Par'}}}
    ),
    event("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": 'is"}'}}}),
    event("contentBlockStop", {"contentBlockIndex": 2}),
    event("messageStop", {"stopReason": "tool_use"}),
    event(
        "metadata",
        {
            "usage": {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30},
            "metrics": {"latencyMs": 99},
        },
    ),
]
BEDROCK_EVENTS = [
    {"type": "reasoning-delta", "delta": "Let me "},
    {"type": "reasoning-delta", "delta": "think."},
    {
        "type": "raw",
        "event": "contentBlockDelta",
        "data": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}},
    },
    {"type": "text-delta", "delta": "Checking "},
    {"type": "text-delta", "delta": "the weather."},
    {"type": "tool-call-start", "toolCallId": "tooluse_1", "toolName": "get_weather"},
    {"type": "tool-call-delta", "toolCallId": "tooluse_1", "argsTextDelta": '{"ci'},
    {"type": "tool-call-delta", "toolCallId": "tooluse_1", "argsTextDelta": 'ty": "Par'},
    {"type": "tool-call-delta", "toolCallId": "tooluse_1", "argsTextDelta": 'is"}'},
    {
        "type": "tool-call",
        "toolCallId": "tooluse_1",
        "toolName": "get_weather",
        "args": {"city": "Paris"},
        "argsText": '{"city": "Paris"}',
    },
    {
        "type": "finish",
        "finishReason": "tool-calls",
        "usage": {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30},
    },
]


def test_bedrock_converse_stream() -> None:
    decoder = StreamDecoder(headers=AWS_HEADERS)
    events: list[Any] = []
    for frame in BEDROCK[:-1]:
        events += decoder.feed(frame)
    # the finish waits for the metadata event's usage
    assert events == BEDROCK_EVENTS[:-1]
    events += decoder.feed(BEDROCK[-1])
    events += decoder.end()
    assert events == BEDROCK_EVENTS
    assert decoder.protocol == PROTOCOL
    assert decoder.warnings == []
    assert accumulate(events) == {
        "role": "assistant",
        "id": None,
        "content": [
            {"type": "reasoning", "text": "Let me think."},
            {"type": "text", "text": "Checking the weather."},
            {
                "type": "tool-call",
                "toolCallId": "tooluse_1",
                "toolName": "get_weather",
                "args": {"city": "Paris"},
                "argsText": '{"city": "Paris"}',
            },
        ],
        "status": {"type": "requires-action", "reason": "tool-calls"},
        "metadata": {
            "unstable_state": None,
            "unstable_data": [],
            "unstable_annotations": [],
            "steps": [],
            "custom": {},
        },
    }


@pytest.mark.parametrize(
    ("reason", "expected"),
    [*STOP_REASONS.items(), ("something_new", "unknown")],
)
def test_bedrock_stop_reasons_without_metadata(reason: str, expected: str) -> None:
    body = event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}) + event(
        "messageStop", {"stopReason": reason}
    )
    decoder = StreamDecoder(headers=AWS_HEADERS)
    assert decoder.feed(body) == [{"type": "text-delta", "delta": "Hi"}]
    assert decoder.end() == [{"type": "finish", "finishReason": expected}]


def test_bedrock_usage_before_stop_and_unclosed_tool_blocks() -> None:
    body = b"".join(
        [
            event(
                "contentBlockStart",
                {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t1", "name": "f"}}},
            ),
            event(
                "contentBlockDelta",
                {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"a":'}}},
            ),
            event("metadata", {"usage": {"inputTokens": 1, "outputTokens": 2}}),
            event("messageStop", {"stopReason": "max_tokens"}),
        ]
    )
    assert decode(body) == [
        {"type": "tool-call-start", "toolCallId": "t1", "toolName": "f"},
        {"type": "tool-call-delta", "toolCallId": "t1", "argsTextDelta": '{"a":'},
        {"type": "tool-call", "toolCallId": "t1", "toolName": "f", "args": {}, "argsText": '{"a":'},
        {
            "type": "finish",
            "finishReason": "length",
            "usage": {"inputTokens": 1, "outputTokens": 2},
        },
    ]


def test_bedrock_stream_cut_after_tool_input_closes_the_call_at_end() -> None:
    body = event(
        "contentBlockStart",
        {"contentBlockIndex": 3, "start": {"toolUse": {"toolUseId": "t9", "name": "g"}}},
    ) + event(
        "contentBlockDelta", {"contentBlockIndex": 3, "delta": {"toolUse": {"input": '{"x": 1}'}}}
    )
    events = decode(body)
    assert events[-1] == {
        "type": "tool-call",
        "toolCallId": "t9",
        "toolName": "g",
        "args": {"x": 1},
        "argsText": '{"x": 1}',
    }
    assert accumulate(events)["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_bedrock_invoke_model_chunks() -> None:
    inner = {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Hi"}}
    import base64

    encoded = base64.b64encode(json.dumps(inner).encode()).decode()
    body = event("chunk", {"bytes": encoded}) + event("chunk", {"bytes": "%%%not base64"})
    decoder = StreamDecoder(headers=AWS_HEADERS)
    assert decoder.decode(body) == [
        {"type": "raw", "event": "chunk", "data": inner},
        {"type": "raw", "event": "chunk", "data": {"bytes": "%%%not base64"}},
    ]
    assert decoder.warnings == ["aws-eventstream: chunk bytes are not valid base64"]


# -- Amazon Q / CodeWhisperer -------------------------------------------------------------

Q = [
    event("messageMetadataEvent", {"conversationId": "conv-1", "utteranceId": "utt-1"}),
    event("assistantResponseEvent", {"content": "Let me "}),
    event("assistantResponseEvent", {"content": "look that up."}),
    event("toolUseEvent", {"toolUseId": "tu-1", "name": "search", "input": ""}),
    event("toolUseEvent", {"toolUseId": "tu-1", "name": "search", "input": '{"q": '}),
    event("toolUseEvent", {"toolUseId": "tu-1", "name": "search", "input": '"python"}'}),
    event("toolUseEvent", {"toolUseId": "tu-1", "name": "search", "stop": True}),
    # wrapped payload form
    event("assistantResponseEvent", {"assistantResponseEvent": {"content": "Found it."}}),
    event(
        "citationEvent",
        {
            "target": {"location": 12},
            "citationText": "Python docs",
            "citationLink": "https://docs.python.org/",
        },
    ),
    event(
        "codeReferenceEvent",
        {
            "references": [
                {
                    "licenseName": "MIT",
                    "repository": "example/repo",
                    "url": "https://github.com/example/repo",
                    "recommendationContentSpan": {"start": 0, "end": 10},
                }
            ]
        },
    ),
    event(
        "supplementaryWebLinksEvent",
        {
            "supplementaryWebLinks": [
                {"url": "https://example.com/a", "title": "A", "snippet": "..."}
            ]
        },
    ),
    event(
        "followupPromptEvent",
        {"followupPrompt": {"content": "Want more?", "userIntent": "EXPLAIN"}},
    ),
    event("intentsEvent", {"intents": {"x": {}}}),
    event("invalidStateEvent", {"reason": "INVALID_TASK_ASSIST_PLAN", "message": "Bad plan"}),
]
Q_EVENTS = [
    {
        "type": "data",
        "name": "message-metadata",
        "data": {"conversationId": "conv-1", "utteranceId": "utt-1"},
        "transient": True,
    },
    {"type": "metadata", "messageId": "utt-1", "metadata": {"conversationId": "conv-1"}},
    {"type": "text-delta", "delta": "Let me "},
    {"type": "text-delta", "delta": "look that up."},
    {"type": "tool-call-start", "toolCallId": "tu-1", "toolName": "search"},
    {"type": "tool-call-delta", "toolCallId": "tu-1", "argsTextDelta": '{"q": '},
    {"type": "tool-call-delta", "toolCallId": "tu-1", "argsTextDelta": '"python"}'},
    {
        "type": "tool-call",
        "toolCallId": "tu-1",
        "toolName": "search",
        "args": {"q": "python"},
        "argsText": '{"q": "python"}',
    },
    {"type": "text-delta", "delta": "Found it."},
    {
        "type": "source",
        "sourceType": "url",
        "id": "aws-source-1",
        "url": "https://docs.python.org/",
        "title": "Python docs",
    },
    {
        "type": "source",
        "sourceType": "url",
        "id": "aws-source-2",
        "url": "https://github.com/example/repo",
        "title": "example/repo (MIT)",
    },
    {
        "type": "source",
        "sourceType": "url",
        "id": "aws-source-3",
        "url": "https://example.com/a",
        "title": "A",
    },
    {
        "type": "data",
        "name": "followup-prompt",
        "data": {"content": "Want more?", "userIntent": "EXPLAIN"},
    },
    {"type": "raw", "event": "intentsEvent", "data": {"intents": {"x": {}}}},
    {"type": "error", "error": "Bad plan", "code": "INVALID_TASK_ASSIST_PLAN"},
]


def test_amazon_q_conversation() -> None:
    decoder = StreamDecoder(headers=AWS_HEADERS)
    events = decoder.decode(b"".join(Q))
    assert events == Q_EVENTS
    assert decoder.warnings == []
    assert accumulate(events) == {
        "role": "assistant",
        "id": "utt-1",
        "content": [
            # the message-metadata data event is transient: its ids are in id and metadata
            {"type": "text", "text": "Let me look that up."},
            {
                "type": "tool-call",
                "toolCallId": "tu-1",
                "toolName": "search",
                "args": {"q": "python"},
                "argsText": '{"q": "python"}',
            },
            {"type": "text", "text": "Found it."},
            {
                "type": "source",
                "sourceType": "url",
                "id": "aws-source-1",
                "url": "https://docs.python.org/",
                "title": "Python docs",
            },
            {
                "type": "source",
                "sourceType": "url",
                "id": "aws-source-2",
                "url": "https://github.com/example/repo",
                "title": "example/repo (MIT)",
            },
            {
                "type": "source",
                "sourceType": "url",
                "id": "aws-source-3",
                "url": "https://example.com/a",
                "title": "A",
            },
            {
                "type": "data",
                "name": "followup-prompt",
                "data": {"content": "Want more?", "userIntent": "EXPLAIN"},
            },
        ],
        "status": {
            "type": "incomplete",
            "reason": "error",
            "error": {"code": "INVALID_TASK_ASSIST_PLAN", "message": "Bad plan"},
        },
        "metadata": {
            "unstable_state": None,
            "unstable_data": [],
            "unstable_annotations": [],
            "steps": [],
            "custom": {"conversationId": "conv-1"},
        },
    }


def test_amazon_q_without_event_type_header_and_unfinished_tool() -> None:
    # no :event-type: a single-key wrapper names the event
    body = encode_message(
        {":message-type": "event"}, b'{"assistantResponseEvent": {"content": "Hi"}}'
    )
    body += event("toolUseEvent", {"toolUseId": "tu-2", "name": "run", "input": '{"cmd": "ls'})
    body += event("codeReferenceEvent", {"references": [{"licenseName": "MIT"}]})
    assert decode(body) == [
        {"type": "text-delta", "delta": "Hi"},
        {"type": "tool-call-start", "toolCallId": "tu-2", "toolName": "run"},
        {"type": "tool-call-delta", "toolCallId": "tu-2", "argsTextDelta": '{"cmd": "ls'},
        # a reference without a URL cannot be a source: the event goes out raw
        {
            "type": "raw",
            "event": "codeReferenceEvent",
            "data": {"references": [{"licenseName": "MIT"}]},
        },
        # end of stream closes the arguments
        {
            "type": "tool-call",
            "toolCallId": "tu-2",
            "toolName": "run",
            "args": {"cmd": "ls"},
            "argsText": '{"cmd": "ls',
        },
        # no tool use was closed by stop: the synthesized finish is "stop"
        {"type": "finish", "finishReason": "stop"},
    ]


# -- errors in band, unknown events ------------------------------------------------------------


def test_exception_messages_become_error_events() -> None:
    body = b"".join(
        [
            event("assistantResponseEvent", {"content": "Hel"}),
            exception("throttlingException", {"message": "Too many requests"}),
            exception("ValidationException", {"Message": "Bad input"}),
            encode_message(
                {
                    ":message-type": "error",
                    ":error-code": "InternalFailure",
                    ":error-message": "boom",
                }
            ),
            encode_message(
                {":message-type": "exception", ":exception-type": "internalServerException"}
            ),
        ]
    )
    events = decode(body)
    assert events == [
        {"type": "text-delta", "delta": "Hel"},
        {"type": "error", "error": "Too many requests", "code": "throttlingException"},
        {"type": "error", "error": "Bad input", "code": "ValidationException"},
        {"type": "error", "error": "boom", "code": "InternalFailure"},
        {"type": "error", "error": "internalServerException", "code": "internalServerException"},
    ]
    assert accumulate(events[:2])["status"] == {
        "type": "incomplete",
        "reason": "error",
        "error": {"code": "throttlingException", "message": "Too many requests"},
    }


def test_exception_after_message_stop_keeps_wire_order() -> None:
    body = event("messageStop", {"stopReason": "end_turn"}) + exception(
        "modelStreamErrorException", {"message": "cut"}
    )
    events = decode(body)
    assert events == [
        {"type": "finish", "finishReason": "stop"},
        {"type": "error", "error": "cut", "code": "modelStreamErrorException"},
    ]
    assert accumulate(events)["status"]["reason"] == "error"


def test_unknown_events_are_raw_never_dropped() -> None:
    body = b"".join(
        [
            event("initial-response", {}),
            event("somethingNewEvent", {"x": [1, 2]}),
            encode_message({":event-type": "textual", ":content-type": "text/plain"}, b"123 hello"),
            encode_message({":event-type": "binary"}, b"\xff\x00"),
            encode_message({":event-type": "number"}, b"42"),
            event(
                "contentBlockDelta", {"contentBlockIndex": 7, "delta": {"toolUse": {"input": "{}"}}}
            ),
            event("assistantResponseEvent", {"content": 5}),
        ]
    )
    decoder = StreamDecoder(headers=AWS_HEADERS)
    assert decoder.decode(body) == [
        {"type": "raw", "event": "initial-response", "data": {}},
        {"type": "raw", "event": "somethingNewEvent", "data": {"x": [1, 2]}},
        {"type": "raw", "event": "textual", "data": "123 hello"},
        {"type": "raw", "event": "binary", "data": b"\xff\x00"},
        {"type": "raw", "event": "number", "data": 42},
        {
            "type": "raw",
            "event": "contentBlockDelta",
            "data": {"contentBlockIndex": 7, "delta": {"toolUse": {"input": "{}"}}},
        },
        {"type": "raw", "event": "assistantResponseEvent", "data": {"content": 5}},
    ]
    assert len(decoder.warnings) == 1 and "content block 7" in decoder.warnings[0]


def test_dialect_used_directly() -> None:
    dialect = AWSEventStreamDialect()
    out: list[Any] = []
    body = event("assistantResponseEvent", {"content": "x"})
    framer = EventStreamFramer(offset=1000)
    dialect.feed(framer.feed(body[:5]) + framer.feed(body[5:]), out)
    dialect.end(out, done=False)
    assert out == [{"type": "text-delta", "delta": "x"}, {"type": "finish", "finishReason": "stop"}]
    assert AWSEventStreamDialect.name == "aws-eventstream"
    # errors in a payload carry the offset of its message
    dialect = AWSEventStreamDialect()
    headers = {":message-type": "event", ":event-type": "assistantResponseEvent"}
    deep = EventStreamFramer(offset=1000).feed(
        encode_message(headers, b"[" * 600 + b"]" * 600)
    )
    with pytest.raises(DecodeError) as exc:
        dialect.feed(deep, out)
    assert exc.value.offset == 1000


# -- sniffing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [12, 13, 65, 10_000])
def test_sniffing_without_content_type(first: int) -> None:
    body = b"".join(BEDROCK)
    decoder = StreamDecoder()
    events = decoder.feed(body[:first])
    for i in range(first, len(body), 7):
        events += decoder.feed(body[i : i + 7])
    events += decoder.end()
    assert decoder.protocol == PROTOCOL
    assert events == BEDROCK_EVENTS


def test_sniffing_also_with_octet_stream_content_type() -> None:
    decoder = StreamDecoder(headers={"content-type": "application/octet-stream"})
    assert decoder.decode(EXAMPLE) == [{"type": "raw", "event": "chunk", "data": {"a": 1}}]
    assert decoder.protocol == PROTOCOL


def test_sniffing_one_byte_at_a_time() -> None:
    decoder = StreamDecoder()
    events: list[Any] = []
    for i in range(len(EXAMPLE)):
        events += decoder.feed(EXAMPLE[i : i + 1])
    events += decoder.end()
    assert decoder.protocol == PROTOCOL
    assert events == [{"type": "raw", "event": "chunk", "data": {"a": 1}}]


# -- splitting does not matter ---------------------------------------------------------------------

BODIES = {
    "bedrock": b"".join(BEDROCK),
    "q": b"".join(Q),
    "mixed": EXAMPLE + SMALLEST + exception("x", {"message": "m"}) + b"".join(BEDROCK[:9]),
}


def feed_split(body: bytes, cuts: list[int], **kw: Any) -> list[Any]:
    decoder = StreamDecoder(**kw)
    events: list[Any] = []
    prev = 0
    for cut in [*sorted(set(cuts)), len(body)]:
        events += decoder.feed(body[prev:cut])
        prev = cut
    events += decoder.end()
    return events


@pytest.mark.parametrize("name", list(BODIES))
def test_one_byte_at_a_time(name: str) -> None:
    body = BODIES[name]
    whole = decode(body)
    assert feed_split(body, list(range(len(body))), headers=AWS_HEADERS) == whole


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(list(BODIES)))
def test_arbitrary_splits_give_identical_events(data: st.DataObject, name: str) -> None:
    body = BODIES[name]
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=60))
    assert feed_split(body, cuts, headers=AWS_HEADERS) == decode(body)
    framer = EventStreamFramer()
    prev, msgs = 0, []
    for cut in [*sorted(set(cuts)), len(body)]:
        msgs += framer.feed(body[prev:cut])
        prev = cut
    framer.end()
    assert msgs == EventStreamFramer().feed(body)


def test_the_dialect_is_freed_without_the_garbage_collector() -> None:
    """No reference cycle per call (its handler tables held bound methods of the dialect
    and of the Amazon Q state): decoder and dialect go with their last reference."""
    import gc
    import weakref

    gc.disable()
    try:
        decoder = StreamDecoder(protocol="aws-eventstream")
        events = decoder.decode(b"".join(Q))
        assert [e["id"] for e in events if e["type"] == "source"] == [
            "aws-source-1", "aws-source-2", "aws-source-3",
        ]
        dialect = weakref.ref(decoder._dialect)
        del decoder
        assert dialect() is None
    finally:
        gc.enable()
