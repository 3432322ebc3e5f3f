"""JSON decoding for the hot path: orjson when installed (the ``fast`` extra), else the stdlib.

``loads`` is the raw, fastest function; call :func:`loads_lenient` only after it
raised, to get the stdlib's answer (invalid UTF-8 becomes U+FFFD; values orjson
refuses, such as integers beyond 64 bits, still parse).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "JSON_ERRORS", "loads", "loads_lenient", "parse"]

loads: Callable[[bytes | str], Any] = json.loads
BACKEND = "json"

if os.environ.get("ASSISTANT_UI_JSON", "").lower() != "json":
    try:
        import orjson
    except ImportError:  # pragma: no cover - depends on the environment
        pass
    else:  # pragma: no cover - depends on the environment
        import re

        _orjson_loads = orjson.loads
        # orjson turns integers beyond 64 bits into floats; a run of 19+ digits
        # (anywhere, strings included) sends the payload to the stdlib instead
        _long_digits = re.compile(rb"[0-9]{19}").search

        def _loads_fast(data: bytes | str) -> Any:
            if type(data) is bytes and _long_digits(data) is not None:
                return json.loads(data)
            if type(data) is str and _long_digits(data.encode()) is not None:
                return json.loads(data)
            return _orjson_loads(data)

        loads = _loads_fast
        BACKEND = "orjson"


def loads_lenient(data: bytes | str) -> Any:
    """Parse with the stdlib; bytes that are not UTF-8 are replaced. Raises ValueError."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


#: what a JSON parse may raise on bad input
JSON_ERRORS = (ValueError, RecursionError)


def parse(data: bytes | str) -> Any:
    """Parse JSON (fast path, then lenient); raises ValueError when it is not JSON."""
    try:
        return loads(data)
    except JSON_ERRORS:
        return loads_lenient(data)
