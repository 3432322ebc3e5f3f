"""The OpenAI text fast path (``OpenAIDialect.learn`` + ``JSONEventDialect.feed``)
gives exactly what a full parse of every chunk gives.

Each case decodes the same SSE events twice: with the fast path, and with a dialect
that never learns an envelope (every chunk parsed and read by ``event``). Events,
warnings and the final message must be equal, batch by batch.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui._wire.dialects.openai import OpenAIDialect
from assistant_ui._wire.sse import SSEEvent

ENVELOPE = (
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-x","choices":[{"index":0,"delta":{"content":%s},"logprobs":null,'
    '"finish_reason":null}],"usage":null}'
)
FIRST = ('{"id":"chatcmpl-1","model":"gpt-x","choices":[{"index":0,"delta":'
         '{"role":"assistant","content":""}}]}')


def text_chunk(text: str) -> bytes:
    return (ENVELOPE % json.dumps(text)).encode()


def run(payloads: list[bytes], learning: bool, batch: int) -> tuple[list[Any], list[str]]:
    dialect = OpenAIDialect()
    if not learning:
        dialect.learning = False
    out: list[Any] = []
    units = [SSEEvent("message", p, "") for p in payloads]
    for i in range(0, len(units), batch):
        dialect.feed(units[i : i + batch], out)
    dialect.end(out, done=True)
    return out, dialect.warnings


def same(payloads: list[bytes], batch: int = 3) -> list[Any]:
    fast, fast_warnings = run(payloads, True, batch)
    slow, slow_warnings = run(payloads, False, batch)
    assert fast == slow
    assert fast_warnings == slow_warnings
    return fast


def test_the_fast_path_is_taken_and_gives_the_text() -> None:
    payloads = [FIRST.encode()] + [text_chunk(t) for t in ["a", "", "b\n", 'q"', "é", "\u2028"]]
    dialect = OpenAIDialect()
    out: list[Any] = []
    dialect.feed([SSEEvent("message", p, "") for p in payloads], out)
    assert dialect.text_prefix is not None
    assert dialect.text_hits == 5  # the first text chunk is parsed and teaches the envelope
    assert [e["delta"] for e in out if e["type"] == "text-delta"] == ["a", "b\n", 'q"', "é", "\u2028"]
    same(payloads)


# chunks that share (part of) the learned envelope but must not be read as text
TRAPS = [
    # a second content key after the string
    (ENVELOPE % '"a","content":"b"').encode(),
    # a content key written with an escape, which also decodes to "content"
    (ENVELOPE % '"a","\\u0063ontent":"b"').encode(),
    # not a string where the text goes
    (ENVELOPE % "null").encode(),
    (ENVELOPE % "12").encode(),
    (ENVELOPE % '["a"]').encode(),
    (ENVELOPE % '"a" "b"').encode(),
    (ENVELOPE % '"unterminated').encode(),
    (ENVELOPE % '"a\\"').encode(),
    # a raw control character, a lone surrogate escape, bytes that are not UTF-8
    (ENVELOPE % '"a\x01b"').encode(),
    (ENVELOPE % '"\\ud800"').encode(),
    (ENVELOPE % '"\\x"').encode(),
    (ENVELOPE % '"\\u12"').encode(),
    (ENVELOPE % '"ok"').encode().replace(b"ok", b"\xff\xfe"),
    # the envelope changes around the text
    text_chunk("x").replace(b'"finish_reason":null', b'"finish_reason":"stop"'),
    text_chunk("x").replace(b'"usage":null', b'"usage":{"prompt_tokens":1}'),
    text_chunk("x").replace(b'"usage":null}', b'"usage":null,"error":{"message":"boom"}}'),
    text_chunk("x").replace(b'"index":0', b'"index":1'),
    text_chunk("x").replace(b'"created":1700000000', b'"created":123456789012345678901234567890'),
    # shorter than the envelope itself
    b'{"id":"chatcmpl-1"}',
    ENVELOPE.split("%s")[0].encode() + ENVELOPE.split("%s")[1].encode(),
]


@pytest.mark.parametrize("trap", TRAPS)
def test_a_chunk_that_only_looks_like_text_is_parsed(trap: bytes) -> None:
    payloads = [FIRST.encode(), text_chunk("a"), text_chunk("b"), trap, text_chunk("c")]
    for batch in (1, 2, 5):
        same(payloads, batch)


@pytest.mark.parametrize(
    "template",
    [
        # envelopes that must not be learned: an escaped key that also means
        # "content", whitespace before the string, two content keys
        ENVELOPE.replace('"content":%s', '"content":%s,"\\u0063ontent":"z"'),
        ENVELOPE.replace('"content":%s', '"content": %s'),
        ENVELOPE.replace('"delta":{"content":%s}', '"delta":{"content":%s},"content":1'),
        ENVELOPE.replace('"logprobs":null', '"logprobs":"\\u0041"'),
    ],
)
def test_envelopes_that_cannot_be_learned(template: str) -> None:
    payloads = [FIRST.encode()] + [(template % json.dumps(t)).encode() for t in "abcd"]
    payloads.append(text_chunk("e"))
    payloads.append((template % json.dumps("f")).encode())
    same(payloads)


def test_an_envelope_that_changes_every_chunk_stops_the_learning() -> None:
    payloads = [FIRST.encode()]
    payloads += [text_chunk(str(i)).replace(b'"usage":null', b'"usage":null,"pad":"%d"' % i)
                 for i in range(40)]
    fast, _ = run(payloads, True, 4)
    assert fast == run(payloads, False, 4)[0]
    dialect = OpenAIDialect()
    dialect.feed([SSEEvent("message", p, "") for p in payloads], [])
    assert dialect.learning is False and dialect.text_prefix is None


ALPHABET = ['a', ' ', '"', "\\", "\n", "é", "\u2028", "\U0001f600", "content", "{", "}", ":"]


@pytest.mark.parametrize("seed", range(30))
def test_random_streams_decode_the_same(seed: int) -> None:
    rng = random.Random(seed)
    payloads = [FIRST.encode()]
    for _ in range(60):
        roll = rng.random()
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 4)))
        if roll < 0.7:
            payloads.append(text_chunk(text))
        elif roll < 0.85:
            payloads.append(rng.choice(TRAPS))
        elif roll < 0.9:
            payloads.append(json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "c1", "function": {"name": "f", "arguments": text}}]}}]}).encode())
        elif roll < 0.95:
            # the same text chunk, with another envelope
            payloads.append(text_chunk(text).replace(b'"created":1700000000', b'"created":%d'
                                                     % rng.randint(0, 9)))
        else:
            payloads.append(text_chunk(text).replace(b'"finish_reason":null',
                                                     b'"finish_reason":"length"'))
    same(payloads, rng.randint(1, 7))


def test_through_the_decoder_in_awkward_pieces() -> None:
    body = b"".join(b"data: " + p + b"\n\n" for p in
                    [FIRST.encode()] + [text_chunk(t) for t in "hello world"] + TRAPS) + b"data: [DONE]\n\n"
    whole = StreamDecoder(protocol="openai").decode(body)
    for size in (1, 7, 64):
        decoder = StreamDecoder(protocol="openai")
        events: list[Any] = []
        for i in range(0, len(body), size):
            events.extend(decoder.feed(body[i : i + size]))
        events.extend(decoder.end())
        assert events == whole
    acc = MessageAccumulator()
    acc.add_all(whole)
    assert acc.finish()["content"][0]["text"].startswith("hello world")
