"""Coverage-guided fuzzing of the stream decoder and accumulator with atheris.

Not a pytest module (pytest only collects ``test_*.py``); run it by hand, outside CI::

    pip install atheris
    python tests/fuzz_atheris.py -atheris_runs=1000000 corpus/     # libFuzzer flags
    python tests/fuzz_atheris.py --make-corpus corpus/              # seed corpus: valid streams
    python tests/fuzz_atheris.py crash-1234                         # replay one input

Without atheris installed, ``python tests/fuzz_atheris.py --random N`` runs N random
mutations of the seed streams through the same checks (no coverage guidance).

Each input chooses the response headers, the limits and the cut points, and the
rest is the body. The checks are those of tests/test_fuzz.py: only DecodeError may
escape, and events and errors are the same however the body is cut.
"""

from __future__ import annotations

import json
import os
import random
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import atheris
except ImportError:  # pragma: no cover - depends on the environment
    atheris = None

if atheris is not None:  # pragma: no cover
    with atheris.instrument_imports():
        # the dialects are imported lazily: import them here, to instrument them too
        import assistant_ui._wire.dialects.assistant_transport
        import assistant_ui._wire.dialects.aws
        import assistant_ui._wire.dialects.data_stream
        import assistant_ui._wire.dialects.object_stream
        import assistant_ui._wire.dialects.openai
        import assistant_ui._wire.dialects.raw_sse
        import assistant_ui._wire.dialects.ui_message_stream  # noqa: F401
        from assistant_ui._wire.accumulator import MessageAccumulator
        from assistant_ui._wire.decoder import StreamDecoder
        from assistant_ui.errors import DecodeError
else:
    from assistant_ui._wire.accumulator import MessageAccumulator
    from assistant_ui._wire.decoder import StreamDecoder
    from assistant_ui.errors import DecodeError

HEADERS: list[dict[str, str]] = [
    {},
    {"content-type": "text/plain"},
    {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"},
    {"content-type": "text/event-stream"},
    {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"},
    {"content-type": "text/event-stream", "assistant-stream-format": "object-stream/v0"},
    {"content-type": "application/json"},
    {"content-type": "application/vnd.amazon.eventstream"},
    {"content-type": "application/octet-stream"},
]


def _decode(body: bytes, headers: dict[str, str], pieces: list[bytes], limits: dict[str, int]) -> str:
    decoder = StreamDecoder(headers=headers, **limits)
    events: list[Any] = []
    error: Any = None
    try:
        for piece in pieces:
            events.extend(decoder.feed(piece))
        events.extend(decoder.end())
    except DecodeError as exc:
        events.extend(exc.events)
        error = (exc.protocol, exc.offset, exc.message)
        if exc.protocol is None or exc.offset is None:
            raise AssertionError(f"DecodeError without protocol or offset: {exc!r}") from exc
    if decoder.protocol == "plain-text":
        text = "".join(e["delta"] for e in events)
        events = [text] if text else []
    acc = MessageAccumulator()
    for i, event in enumerate(events):
        if isinstance(event, dict):
            acc.add(event)
            if i % 4 == 0:
                acc.message  # noqa: B018 - a snapshot copies the state
    json.dumps(acc.finish(), default=repr)
    return repr((events, error, decoder.protocol))


def check(data: bytes) -> None:
    """One input: 1 byte of headers, 1 of limits, up to 8 cut points, then the body."""
    if len(data) < 2:
        return
    headers = HEADERS[data[0] % len(HEADERS)]
    limits = {"max_event_size": 64 + 256 * (data[1] % 16), "max_json_depth": 1 + data[1] // 4}
    n_cuts = data[2] % 9 if len(data) > 2 else 0
    cuts = list(data[3 : 3 + n_cuts])
    body = data[3 + n_cuts :]
    whole = _decode(body, headers, [body], limits)
    for pieces in (
        [body[i : i + 1] for i in range(len(body))],
        _pieces(body, sorted({c * len(body) // 256 for c in cuts})),
    ):
        got = _decode(body, headers, pieces, limits)
        if got != whole:
            raise AssertionError(f"the events depend on the cuts:\n{whole}\n!=\n{got}")


def _pieces(body: bytes, points: list[int]) -> list[bytes]:
    points = [p for p in points if 0 < p < len(body)]
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)])]  # noqa: B905


def test_one_input(data: bytes) -> None:
    try:
        check(data)
    except DecodeError:  # pragma: no cover - check() handles them
        raise AssertionError("a DecodeError escaped the harness") from None


# -- seeds ----------------------------------------------------------------------------------------


def seeds() -> list[bytes]:
    """Valid streams of every format, with the input prefix (headers, limits, no cuts)."""
    from assistant_ui._wire.eventstream_encoding import encode_message
    from assistant_ui.testing import encode_body

    events: list[dict[str, Any]] = [
        {"type": "step-start", "messageId": "m1"},
        {"type": "text-delta", "delta": "Hello é😀"},
        {"type": "reasoning-delta", "delta": "think"},
        {"type": "tool-call-start", "toolCallId": "call_1", "toolName": "f"},
        {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": '{"a": [1, '},
        {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": '{"b": null}]}'},
        {"type": "tool-call", "toolCallId": "call_1", "toolName": "f", "args": {"a": [1, {"b": None}]},
         "argsText": '{"a": [1, {"b": null}]}'},
        {"type": "tool-result", "toolCallId": "call_1", "toolName": "f", "result": {"ok": True}, "isError": False},
        {"type": "state-update", "operations": [{"type": "set", "path": ["x"], "value": [1]}]},
        {"type": "data", "name": "chart", "id": "d1", "data": {"v": 1}},
        {"type": "finish", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 2}},
    ]
    out: list[bytes] = []
    for fmt, header_index in [("data-stream", 2), ("assistant-transport", 3), ("ui-message-stream", 4),
                              ("openai", 3), ("openai-json", 6), ("plain-text", 1), ("data-stream", 0)]:
        out.append(bytes([header_index, 255, 0]) + encode_body(events, fmt))
    out.append(bytes([5, 255, 0]) + b'data: [{"type":"set","path":[],"value":{"a":1}}]\n\n')
    aws = encode_message({":message-type": "event", ":event-type": "assistantResponseEvent"}, b'{"content":"hi"}')
    out.append(bytes([7, 255, 0]) + aws * 2)
    return out


def _mutate(rng: random.Random, data: bytes) -> bytes:
    body = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        at = rng.randint(3, max(len(body), 3))
        if kind == 0 and len(body) > 3:
            del body[at:]
        elif kind == 1 and len(body) > 3:
            body[rng.randrange(3, len(body))] ^= rng.randint(1, 255)
        elif kind == 2:
            body[at:at] = rng.choice([b"\xff", b"\xc3", b"\r", b"\n\n", b"[" * 300, b"data: ", b"0:"])
        elif kind == 3:
            body[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 4:
            body[0] = rng.randrange(256)
            body[1] = rng.randrange(256)
        else:
            body[2] = rng.randrange(256)
    return bytes(body)


def main(argv: list[str]) -> None:
    if argv[1:2] == ["--make-corpus"]:
        directory = argv[2]
        os.makedirs(directory, exist_ok=True)
        for i, seed in enumerate(seeds()):
            with open(os.path.join(directory, f"seed-{i}"), "wb") as f:
                f.write(seed)
        return
    if argv[1:2] == ["--random"] or atheris is None:
        runs = int(argv[2]) if argv[1:2] == ["--random"] and len(argv) > 2 else 10_000
        paths = [a for a in argv[1:] if os.path.isfile(a)]
        if paths:  # replay
            for path in paths:
                with open(path, "rb") as f:
                    test_one_input(f.read())
            return
        rng = random.Random(int(os.environ.get("SEED", "0")))
        corpus = seeds()
        for _ in range(runs):
            test_one_input(_mutate(rng, rng.choice(corpus)))
        print(f"{runs} random inputs: no problem found")
        return
    atheris.Setup(argv, test_one_input)  # pragma: no cover
    atheris.Fuzz()  # pragma: no cover


if __name__ == "__main__":
    main(sys.argv)
