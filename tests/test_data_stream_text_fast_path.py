"""The data-stream text fast path (``DataStreamDialect.feed``: a ``0:`` record that is
exactly one JSON string is read by the strict string scanner, with no JSON parse)
gives exactly what the full path gives, with either JSON backend.

Each body is decoded with the fast path and with a dialect whose fast path is off
(every record goes through ``loads`` and the ``0`` handler); events, warnings and
errors must be equal, however the body is cut.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from cut_decoding import decode_in_pieces

from assistant_ui._wire import jsonlib
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.dialects import data_stream

BACKENDS = ["json"] + (["orjson"] if jsonlib.loads_orjson is not None else [])

TEXTS = ["a", "", " ", "é", "\u2028", "\U0001f600", 'q"', "\\", "\n", "\t", "\x7f", "日本語",
         "1234567890123456789012", "a" * 300]

# records that start like a plain text delta but are not one plain JSON string
TRAPS = [b'0:"a" ', b'0:"a"\t', b'0:"a"x', b'0:"a","b"', b'0:"a" "b"', b'0:"unterminated',
         b'0:"a\\"', b'0:"a\x01b"', b'0:"\\ud800"', b'0:"\\udc00\\ud800x"', b'0:"\\x"',
         b'0:"\\u12"', b'0:"\xff\xfe"', b'0:"\xc3"', b'0: "a"', b"0:12", b"0:null", b'0:["a"]',
         b'0:"\\u00e9\\n"', b'0:"\xe2\x80\xa8"', b'0:"12345678901234567890123"', b'0:""',
         b'0:"' + b"[" * 600 + b'"', b"0:" + b"[" * 600 + b"]" * 600, b'0 :"a"', b'00:"a"']

OTHER = [b'f:{"messageId":"m1"}', b'g:"thinking"', b'b:{"toolCallId":"c1","toolName":"f"}',
         b'c:{"toolCallId":"c1","argsTextDelta":"{\\"a\\":"}', b'e:{"finishReason":"stop"}',
         b'd:{"finishReason":"stop"}', b"x:1", b"garbage", b"", b"  ",
         b'aui-text-delta:{"textDelta":"p","parentId":"x"}']


def record(text: str) -> bytes:
    return b"0:" + json.dumps(text, ensure_ascii=len(text) % 2 == 0).encode()


def decode(body: bytes, cuts: list[int], fast: bool) -> Any:
    decoder = StreamDecoder(protocol="data-stream")
    if not fast:
        decoder._dialect._fast_text = False
    return decode_in_pieces(decoder, body, cuts)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    loads = jsonlib._loads_std if request.param == "json" else jsonlib.loads_orjson
    monkeypatch.setattr(data_stream, "loads", loads)
    return str(request.param)


def check(body: bytes, cuts: list[int]) -> Any:
    reference = decode(body, [], False)
    assert decode(body, cuts, True) == reference
    assert decode(body, cuts, False) == reference
    return reference


def all_cuts(body: bytes, rng: random.Random) -> list[list[int]]:
    return [
        [],
        list(range(1, len(body))),
        list(range(7, len(body), 7)),
        sorted(rng.sample(range(1, len(body)), min(len(body) - 1, 30))),
        [i + 1 for i, b in enumerate(body) if b >= 0xC0],  # inside UTF-8 sequences
        [i + 1 for i in range(len(body) - 1) if body[i : i + 2] == b"\r\n"],  # inside CRLF
    ]


def test_the_fast_path_gives_the_text(backend: str) -> None:
    body = b"\n".join(record(t) for t in TEXTS) + b"\n"
    events, warnings, error = check(body, [])
    assert error is None and warnings == []
    assert [e["delta"] for e in events] == TEXTS


@pytest.mark.parametrize("trap", TRAPS)
def test_a_record_that_only_looks_like_text_goes_the_whole_way(backend: str, trap: bytes) -> None:
    body = b"\n".join([record("a"), trap, record("b"), trap]) + b"\n"
    rng = random.Random(trap)
    for cuts in all_cuts(body, rng):
        check(body, cuts)


@pytest.mark.parametrize("seed", range(25))
def test_random_bodies_decode_the_same(backend: str, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(rng.randint(1, 60)):
        roll = rng.random()
        if roll < 0.6:
            lines.append(record("".join(rng.choice(TEXTS) for _ in range(rng.randint(0, 3)))))
        elif roll < 0.8:
            lines.append(rng.choice(TRAPS))
        else:
            lines.append(rng.choice(OTHER))
    body = rng.choice([b"\n", b"\r\n", b"\r"]).join(lines)
    if rng.random() < 0.7:
        body += b"\n"
    for cuts in all_cuts(body, rng):
        check(body, cuts)


def test_a_held_step_finish_still_sees_the_text(backend: str) -> None:
    # a step finish held for an open call: text of the next step passes as it comes
    body = b"\n".join([b'b:{"toolCallId":"c1","toolName":"f"}', b'e:{"finishReason":"tool-calls"}',
                       record("next step"), b'c:{"toolCallId":"c1","argsTextDelta":"{}"}',
                       b'd:{"finishReason":"stop"}']) + b"\n"
    events, _, error = check(body, [])
    assert error is None
    assert {"type": "text-delta", "delta": "next step"} in events


def test_the_step_finish_hold_never_swaps_the_text_handler() -> None:
    # the fast path does the plain text handler's work, so a hold must leave it in place
    dialect = data_stream.DataStreamDialect()
    out: list[Any] = []
    dialect.feed([b'b:{"toolCallId":"c1","toolName":"f"}', b'e:{"finishReason":"tool-calls"}'], out)
    assert dialect._hold.event is not None  # holding: handlers are swapped
    assert dialect._handlers[b"0"] is data_stream.DataStreamDialect._text
