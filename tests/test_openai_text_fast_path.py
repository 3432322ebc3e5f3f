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
from cut_decoding import decode_in_pieces

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


def cuts_every(body: bytes, size: int) -> list[int]:
    return list(range(size, len(body), size))


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
        events, _, error = decode_in_pieces(StreamDecoder(protocol="openai"), body, cuts_every(body, size))
        assert error is None
        assert events == whole
    acc = MessageAccumulator()
    acc.add_all(whole)
    assert acc.finish()["content"][0]["text"].startswith("hello world")


# what api.openai.com sends by default (``stream_options.include_obfuscation``): a last
# field of random padding whose value and length change with every chunk
PADDED = (
    '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,'
    '"model":"gpt-x","service_tier":"default","system_fingerprint":"fp_1","choices":'
    '[{"index":0,"delta":{"content":%s},"logprobs":null,"finish_reason":null}],'
    '"obfuscation":"%s"}'
)
PAD_CHARS = "abcXYZ019+/=_-"


def padded_chunk(text: str, pad: str) -> bytes:
    return (PADDED % (json.dumps(text), pad)).encode()


def test_a_padded_envelope_is_learned_and_the_padding_matched() -> None:
    rng = random.Random(7)
    texts = ["a", "", "b\n", 'q"', "é", "\u2028", "obfuscation", '","obfuscation":"x']
    pads = ["".join(rng.choice(PAD_CHARS) for _ in range(rng.randint(0, 12))) for _ in texts]
    payloads = [FIRST.encode()] + [padded_chunk(t, p) for t, p in zip(texts, pads, strict=True)]
    dialect = OpenAIDialect()
    out: list[Any] = []
    dialect.feed([SSEEvent("message", p, "") for p in payloads], out)
    assert dialect.text_prefix is not None and dialect.text_tail is not None
    assert dialect.text_hits == len(texts) - 1  # the first text chunk teaches the envelope
    assert [e["delta"] for e in out if e["type"] == "text-delta"] == [t for t in texts if t]
    for batch in (1, 3, 9):
        same(payloads, batch)


PADDED_TRAPS = [
    # padding that is not plain: a quote, an escape, a control character, a space,
    # non-ASCII, bytes that are not UTF-8
    padded_chunk("x", 'a"b'),
    padded_chunk("x", "a\\\"b"),
    padded_chunk("x", "a\\u0041"),
    padded_chunk("x", "a\x01"),
    padded_chunk("x", "a b"),
    padded_chunk("x", "é"),
    padded_chunk("x", "ok").replace(b"ok", b"\xff"),
    # something after the padding, or a second padding field
    padded_chunk("x", "ab")[:-1] + b',"usage":{"prompt_tokens":1}}',
    padded_chunk("x", "ab")[:-1] + b',"obfuscation":"cd"}',
    padded_chunk("x", "ab") + b"}",
    padded_chunk("x", "ab")[:-2],
    # the fields before the padding change
    padded_chunk("x", "ab").replace(b'"finish_reason":null', b'"finish_reason":"stop"'),
    padded_chunk("x", "ab").replace(b'"index":0', b'"index":1'),
    # not one string where the text goes
    (PADDED % ('"a","content":"b"', "ab")).encode(),
    (PADDED % ("null", "ab")).encode(),
    (PADDED % ('"a" "b"', "ab")).encode(),
]


@pytest.mark.parametrize("trap", PADDED_TRAPS)
def test_a_chunk_that_only_looks_padded_is_parsed(trap: bytes) -> None:
    payloads = [FIRST.encode(), padded_chunk("a", "x1"), padded_chunk("b", "yy22"), trap,
                padded_chunk("c", "")]
    for batch in (1, 2, 5):
        same(payloads, batch)


@pytest.mark.parametrize(
    "template",
    [
        # padding that is not the last field, that sits in a nested object, or whose
        # name is not written plainly: not learned as padding
        PADDED.replace('"obfuscation":"%s"}', '"obfuscation":"%s","x":1}'),
        PADDED.replace('"obfuscation":"%s"}', '"x":{"obfuscation":"%s"}}'),
        PADDED.replace('"obfuscation":"%s"}', '"obfuscatio\\u006e":"%s"}'),
    ],
)
def test_paddings_that_are_not_learned(template: str) -> None:
    payloads = [FIRST.encode()] + [(template % (json.dumps(t), t * 3)).encode() for t in "abcd"]
    payloads.append(padded_chunk("e", "zz"))
    same(payloads)


@pytest.mark.parametrize("seed", range(20))
def test_random_padded_streams_decode_the_same(seed: int) -> None:
    rng = random.Random(seed)
    payloads = [FIRST.encode()]
    for _ in range(60):
        roll = rng.random()
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 4)))
        pad = "".join(rng.choice(PAD_CHARS + '"\\ é') for _ in range(rng.randint(0, 8)))
        if roll < 0.8:
            payloads.append((PADDED % (json.dumps(text), pad)).encode())
        elif roll < 0.9:
            payloads.append(rng.choice(PADDED_TRAPS))
        else:
            payloads.append(text_chunk(text))
    same(payloads, rng.randint(1, 7))


def test_padded_chunks_through_the_decoder_in_awkward_pieces() -> None:
    rng = random.Random(3)
    payloads = [FIRST.encode()] + [
        padded_chunk(t, "".join(rng.choice(PAD_CHARS) for _ in range(rng.randint(0, 9))))
        for t in "hello wörld"
    ] + PADDED_TRAPS + [padded_chunk("!", "end")]
    body = b"".join(b"data: " + p + b"\n\n" for p in payloads) + b"data: [DONE]\n\n"
    slow, _ = run(payloads, False, 1)  # every chunk parsed, no framer fast path
    for size in (1, 5, 64, len(body)):
        events, _, error = decode_in_pieces(StreamDecoder(protocol="openai"), body, cuts_every(body, size))
        assert error is None
        assert events == slow
