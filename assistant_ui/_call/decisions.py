"""Every retry and resume decision of a call, in one place. Pure: no I/O, no httpx.

Before the first body byte a failed attempt may be *retried* (sent again, after a
back-off); after it, a body cut by the network may only be *resumed* (picked up
where it stopped, see :mod:`assistant_ui._call.state`). The tables:

=============================  ===========================================
a response head                 :func:`judge_head` → :class:`HeadVerdict`
2xx, a chat stream              ``OK``
2xx HTML page, no protocol=     ``FAIL`` (not an answer)
401, credentials that refresh   ``REFRESH_AUTH`` (once)
408/409/429/5xx, tries left     ``RETRY`` (``Retry-After`` honoured)
400 AWS throttle, tries left    ``RETRY`` (``x-amzn-errortype``)
anything else                   ``FAIL``
=============================  ===========================================

=============================================  ===============================
a body that stopped                              :func:`resume_mode`
cancelled by the user                            no resume
transport error before any body byte, tries left ``RESEND`` (an ordinary retry)
(a byte held unparsed counts as arrived)
timeout, a decode error, another HTTP error      no resume
transport error / clean end of a [DONE] format   what the server allows:
                                                 ``REPLAY`` (x-resumable-stream-id)
                                                 or ``LAST_EVENT_ID`` (SSE ids)
=============================================  ===============================
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from .retry import RETRYABLE_STATUS, RetryPolicy
from .status_errors import aws_error_type

__all__ = [
    "FailureKind",
    "HeadVerdict",
    "ResumeMode",
    "back_off_delay",
    "judge_head",
    "resume_delay",
    "resume_mode",
    "resume_verdict",
]


class FailureKind(enum.Enum):
    """What kind of exception a transport raised (the transport classifies its own)."""

    #: a connect / read / write / pool timeout of the transport itself
    TIMEOUT = "timeout"
    #: the body is not what its Content-Encoding says
    DECODING = "decoding"
    #: the connection failed or was lost (reset, refused, closed early)
    TRANSPORT = "transport"
    #: any other error of the transport library (not retried, not resumed)
    OTHER = "other"


class HeadVerdict(enum.Enum):
    """What a response head means for the call."""

    OK = "ok"
    REFRESH_AUTH = "refresh-auth"
    RETRY = "retry"
    FAIL = "fail"


class ResumeMode(enum.Enum):
    """How a stopped body is picked up."""

    #: nothing of the body had arrived: send the request again (a retry)
    RESEND = "resend"
    #: replay the resumable stream from byte 0 and skip what was decoded
    REPLAY = "replay"
    #: send the request again with ``Last-Event-ID``
    LAST_EVENT_ID = "last-event-id"


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def is_html_page(headers: Mapping[str, str], protocol_forced: bool) -> bool:
    """A 2xx answer that is an HTML page (a login page, a proxy's error page, a web
    app's index.html), when no ``protocol=`` was forced: never a chat stream."""
    if protocol_forced:
        return False
    mime = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return mime in _HTML_TYPES


def judge_head(
    status_code: int,
    headers: Mapping[str, str],
    *,
    protocol_forced: bool,
    policy: RetryPolicy,
    attempt: int,
    auth_retried: bool,
    refresh_auth: Callable[[], bool],
) -> HeadVerdict:
    """The verdict on one response head. ``refresh_auth`` invalidates the call's
    credentials and says whether fresh ones can be had (asked on a first 401 only)."""
    if 200 <= status_code < 300:
        return HeadVerdict.FAIL if is_html_page(headers, protocol_forced) else HeadVerdict.OK
    if status_code == 401 and not auth_retried and refresh_auth():
        return HeadVerdict.REFRESH_AUTH
    error_type = aws_error_type(headers.get("x-amzn-errortype")) if status_code == 400 else None
    if policy.should_retry_status(status_code, attempt, error_type):
        return HeadVerdict.RETRY
    return HeadVerdict.FAIL


def back_off_delay(
    policy: RetryPolicy,
    attempt: int,
    headers: Mapping[str, str] | None,
    *,
    now: float,
    deadline_at: float | None,
) -> float | None:
    """The wait before retry ``attempt + 1``, or None when no retry is to be made.

    ``headers`` are those of a retryable status (their ``Retry-After`` counts);
    None means a transport failure, retried while tries are left. A retry that
    could not finish before ``deadline_at`` is not made.
    """
    if headers is None and not policy.should_retry_error(attempt):
        return None
    delay = policy.delay(attempt, headers)
    if deadline_at is not None and now + delay >= deadline_at:
        return None
    return delay


def resume_mode(
    *,
    cancelled: bool,
    failure: FailureKind | None,
    received: int,
    resends: int,
    max_retries: int,
    eof_is_cut: Callable[[], bool],
    server_mode: Callable[[], str | None],
) -> ResumeMode | None:
    """How to pick up a body stopped by ``failure`` (None: it ended cleanly), or None.

    ``received`` counts every body byte that arrived, decoded or not yet (bytes an
    SSE gate holds back count): once one arrived, the request is never sent again
    as it was; only the resume path may pick the body up.
    """
    if cancelled:
        return None
    if failure is FailureKind.TRANSPORT and received == 0 and resends < max_retries:
        return ResumeMode.RESEND  # cut before the first body byte: an ordinary retry
    if failure is not None:
        if failure is not FailureKind.TRANSPORT:
            return None
    elif not eof_is_cut():
        return None
    mode = server_mode()
    return ResumeMode(mode) if mode is not None else None


def resume_delay(
    mode: ResumeMode,
    attempt: int,
    headers: Mapping[str, str] | None,
    *,
    policy: RetryPolicy,
    resends: int,
    sse_retry: float | None,
) -> float:
    """The wait before reconnection ``attempt`` (from 0): none for the first."""
    if mode is ResumeMode.RESEND:
        return policy.delay(resends, headers)
    if mode is ResumeMode.LAST_EVENT_ID and sse_retry is not None:
        return min(sse_retry, policy.max_retry_after)
    if attempt == 0 and headers is None:
        return 0.0
    return policy.delay(max(attempt - 1, 0), headers)


def resume_verdict(status_code: int | None) -> bool:
    """A reconnection failed with ``status_code`` (None: no response): try again?"""
    if status_code is None:
        return True
    return status_code in RETRYABLE_STATUS or status_code >= 500


def describe(value: Any) -> str:
    """``ResumeMode`` or a string, for log lines."""
    return value.value if isinstance(value, enum.Enum) else str(value)
