"""Token usage in one shape: ``{"inputTokens", "outputTokens"[, "totalTokens"]}``."""

from __future__ import annotations

from typing import Any, cast

from ..types import Usage

__all__ = ["normalize_usage"]


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if value == value else None  # NaN -> None


def normalize_usage(usage: Any) -> Usage:
    """Accept ``inputTokens``/``outputTokens``, AI SDK 4's ``promptTokens``/``completionTokens``
    and OpenAI's ``prompt_tokens``/``completion_tokens``; missing or non-numeric counts are 0."""
    if not isinstance(usage, dict):
        return {"inputTokens": 0, "outputTokens": 0}
    inp = _count(usage.get("inputTokens", usage.get("promptTokens", usage.get("prompt_tokens"))))
    outp = _count(
        usage.get("outputTokens", usage.get("completionTokens", usage.get("completion_tokens")))
    )
    out: dict[str, int] = {"inputTokens": inp or 0, "outputTokens": outp or 0}
    total = _count(usage.get("totalTokens", usage.get("total_tokens")))
    if total is not None:
        out["totalTokens"] = total
    return cast(Usage, out)
