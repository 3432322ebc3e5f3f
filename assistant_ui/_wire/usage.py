"""Token usage in one shape: ``{"inputTokens", "outputTokens"[, "totalTokens"]}``."""

from __future__ import annotations

import math
from typing import Any, cast

from ..types import Usage

__all__ = ["normalize_usage"]


def _count(value: Any, warnings: list[str] | None = None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        if warnings is not None and value == value:
            warnings.append(f"usage count {value!r} is not a number of tokens: counted as 0")
        return None  # NaN and infinities
    return int(value)


def normalize_usage(usage: Any, warnings: list[str] | None = None) -> Usage:
    """Accept ``inputTokens``/``outputTokens``, AI SDK 4's ``promptTokens``/``completionTokens``
    and OpenAI's ``prompt_tokens``/``completion_tokens``; missing or non-numeric counts are 0
    (an infinite one, such as JSON ``1e999``, too: said in ``warnings`` when given)."""
    if not isinstance(usage, dict):
        return {"inputTokens": 0, "outputTokens": 0}
    inp = _count(
        usage.get("inputTokens", usage.get("promptTokens", usage.get("prompt_tokens"))), warnings
    )
    outp = _count(
        usage.get("outputTokens", usage.get("completionTokens", usage.get("completion_tokens"))),
        warnings,
    )
    out: dict[str, int] = {"inputTokens": inp or 0, "outputTokens": outp or 0}
    total = _count(usage.get("totalTokens", usage.get("total_tokens")), warnings)
    if total is not None:
        out["totalTokens"] = total
    return cast(Usage, out)
