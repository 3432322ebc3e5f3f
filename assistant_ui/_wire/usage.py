"""Token usage in one shape: ``{"inputTokens", "outputTokens"[, "totalTokens"]}``.

Only counts the server really sent are kept: a usage with no usable count is
``None`` (never a made-up zero), and a count that is not a finite, non-negative
number of at most :data:`MAX_TOKEN_COUNT` (``1e999``, ``NaN``, ``-3``, a string) is
left out instead of raising.
"""

from __future__ import annotations

from typing import Any, cast

from ..types import Usage

__all__ = ["MAX_TOKEN_COUNT", "normalize_usage"]

#: the largest count taken as a count (2**53, the largest integer every JSON reader keeps exactly)
MAX_TOKEN_COUNT = 2**53

_SPELLINGS = (
    ("inputTokens", ("inputTokens", "promptTokens", "prompt_tokens", "input_tokens")),
    ("outputTokens", ("outputTokens", "completionTokens", "completion_tokens", "output_tokens")),
    ("totalTokens", ("totalTokens", "total_tokens")),
)


def _count(value: Any, warnings: list[str] | None = None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    # NaN fails both comparisons; inf and 10**400 fail the second
    if not 0 <= value <= MAX_TOKEN_COUNT:
        if warnings is not None and value == value:
            warnings.append(f"usage count {value!r} is not a number of tokens: left out")
        return None
    return int(value)


def normalize_usage(usage: Any, warnings: list[str] | None = None) -> Usage | None:
    """The counts of ``usage`` under our names, or ``None`` if it has none.

    Accepts ``inputTokens``/``outputTokens``, AI SDK 4's ``promptTokens``/
    ``completionTokens``, OpenAI's ``prompt_tokens``/``completion_tokens`` and
    ``input_tokens``/``output_tokens``; the first spelling holding a count is used. A count
    the server did not send (or sent as something that is not a count) is absent
    from the result; a hostile one (``1e999``, negative, past 2**53) is said in
    ``warnings`` when given.
    """
    if not isinstance(usage, dict):
        return None
    out: dict[str, int] = {}
    for name, spellings in _SPELLINGS:
        for spelling in spellings:
            value = usage.get(spelling)
            if value is None:
                continue  # (not a count: the next spelling)
            if type(value) is int and 0 <= value <= MAX_TOKEN_COUNT:
                out[name] = value  # (what _count gives for it)
                break
            count = _count(value, warnings)
            if count is not None:
                out[name] = count
                break
    return cast(Usage, out) if out else None
