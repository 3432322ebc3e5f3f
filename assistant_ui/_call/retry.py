"""Retry policy (docs/api.md §9): which failures are retried and how long to wait. Pure."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

__all__ = ["RETRYABLE_STATUS", "THROTTLING_ERROR_TYPES", "RetryPolicy"]

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})

#: AWS error types (``x-amzn-errortype``) that mean "too many requests": AWS services
#: answer them with HTTP 400 as often as with 429, and they are retried like a 429
#: (the throttling codes of the AWS SDKs' standard retry mode)
THROTTLING_ERROR_TYPES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})


class RetryPolicy:
    """Exponential backoff with full jitter, ``Retry-After`` honoured (capped)."""

    __slots__ = ("base_delay", "max_delay", "max_retries", "max_retry_after")

    def __init__(
        self,
        max_retries: int = 2,
        *,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_retry_after: float = 60.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after

    def should_retry_status(self, status_code: int, attempt: int, error_type: str | None = None) -> bool:
        """``attempt`` counts from 0 (the first try); ``error_type``: the service's own name
        for the error (an AWS ``x-amzn-errortype``), when it gave one."""
        if attempt >= self.max_retries:
            return False
        return status_code in RETRYABLE_STATUS or status_code >= 500 or error_type in THROTTLING_ERROR_TYPES

    def should_retry_error(self, attempt: int) -> bool:
        return attempt < self.max_retries

    def delay(self, attempt: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        if headers is not None:
            after = parse_retry_after(headers)
            if after is not None and 0 <= after <= self.max_retry_after:
                return after
        ceiling = min(self.max_delay, self.base_delay * float(2**attempt))
        return float(ceiling * (0.5 + random.random() / 2))


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms``, ``Retry-After`` seconds or HTTP date; ``None`` if absent or bad."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return _finite(float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return _finite(float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, OSError):
        # a date no clock can hold (``+9999999999999999999999``): no Retry-After
        return None


def _finite(seconds: float) -> float | None:
    """``nan`` and infinities are no delay."""
    return seconds if seconds == seconds and abs(seconds) != float("inf") else None
