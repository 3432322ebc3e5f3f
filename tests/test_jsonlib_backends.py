"""The orjson-backed parser gives the stdlib's answer, big integers included."""

from __future__ import annotations

import json
import random

import pytest

from assistant_ui._wire import jsonlib

fast = jsonlib.loads_orjson
needs_orjson = pytest.mark.skipif(fast is None, reason="orjson is not installed")

EXACT = [
    b"18446744073709551615",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"9223372036854775808",
    b'[123456789012345678901234567890, -98765432109876543210]',
    b'{"a":{"b":[1,2,99999999999999999999]},"s":"1234567890123456789"}',
    b'{"n": 1234567890123456789012, "pad": "x"}',
    b'{"created":1700000000,"id":"1234567890","k":123456789012345678}',
    b'"\\u00e9t\\u00e9"',
    b"[1.5, -0.0, 1e10, true, null]",
]


@needs_orjson
@pytest.mark.parametrize("payload", EXACT)
def test_orjson_path_is_exact(payload: bytes) -> None:
    assert fast is not None
    for data in (payload, payload.decode()):
        got = fast(data)
        want = json.loads(data)
        assert got == want
        assert json.dumps(got) == json.dumps(want)  # ints stay ints


@needs_orjson
def test_random_digit_runs() -> None:
    assert fast is not None
    rng = random.Random(5)
    for _ in range(2000):
        parts = []
        for _ in range(rng.randint(1, 5)):
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 24)))
            number = digits.lstrip("0") or "0"
            parts.append(("-" if rng.random() < 0.3 else "") + number)
        payload = ("[" + ",".join(parts) + "]").encode()
        assert json.dumps(fast(payload)) == json.dumps(json.loads(payload))
