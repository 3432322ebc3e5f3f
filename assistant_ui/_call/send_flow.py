"""Sending one request with retries: one generator for the sync and the async side.

:func:`send_flow` yields :class:`~.actions.Attempt`, :class:`~.actions.ReadErrorBody`
and :class:`~.actions.Sleep` and returns the response to read (a 2xx that is a chat
answer), or raises the typed error. Retries happen before the first body byte only
(the decisions are in :mod:`.decisions`). The drivers are
:func:`assistant_ui._transports.http.drive_send_sync` and ``drive_send_async``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any, Protocol

from .._log import (
    log_auth_refresh,
    log_failure,
    log_response,
    log_retry,
    redact_for_request,
    redact_text,
    secrets_of_request,
)
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AssistantUIError,
    DecodeError,
)
from .actions import Attempt, AttemptOutcome, ReadErrorBody, ReadNotice, Sleep
from .decisions import FailureKind, HeadVerdict, back_off_delay, judge_head
from .options import CallOptions
from .retry import RetryPolicy
from .status_errors import make_status_error

__all__ = [
    "NOTICE_BODY_LIMIT",
    "NOTICE_DEADLINE",
    "CallInterrupted",
    "SendEnv",
    "describe_error",
    "failure_error",
    "notice_flow",
    "send_flow",
]

SendFlow = Generator[Any, Any, Any]


class CallInterrupted(Exception):
    """Internal: the call was cancelled before its response arrived."""


class SendEnv(Protocol):
    """What the send flow needs of the client."""

    @property
    def retry(self) -> RetryPolicy:
        """The client's retry policy."""
        ...

    def refresh_auth(self, request: Any) -> bool:
        """Invalidate the credentials ``request`` carried; True when new ones can be had."""
        ...


def send_flow(
    env: SendEnv,
    spec: Any,
    opts: CallOptions | None = None,
    *,
    stream: bool = True,
    extra_headers: Mapping[str, str] | None = None,
    interrupted: Callable[[], bool] | None = None,
    deadline_at: float | None = None,
    max_retries: int | None = None,
) -> SendFlow:
    """Send ``spec`` until a response worth reading arrives (see the module doc).

    ``interrupted`` (a cancel) stops the retries and their back-off with
    :class:`CallInterrupted`; ``deadline_at`` (``time.monotonic()``) bounds every
    attempt and the back-off between them; ``max_retries`` overrides the client's.
    """
    policy = env.retry if max_retries is None else RetryPolicy(max_retries)
    forced = opts is not None and opts.protocol is not None
    attempt = 0
    auth_retried = False
    while True:
        if interrupted is not None and interrupted():
            raise CallInterrupted()
        remaining = _remaining(deadline_at, opts)
        out: AttemptOutcome = yield Attempt(
            spec, extra_headers, remaining, attempt, policy.max_retries, stream
        )
        request = out.request
        if out.error is not None:
            reason = _failure_reason(out.error, out.kind)
            delay = (
                back_off_delay(policy, attempt, None, now=time.monotonic(), deadline_at=deadline_at)
                if out.kind in _RETRIED
                else None  # a redirect loop, a broken redirect body: sending again changes nothing
            )
            if delay is not None:
                log_retry(request, reason, attempt, policy.max_retries, delay)
                if (yield Sleep(delay)):
                    raise CallInterrupted()
                attempt += 1
                continue
            log_failure(request, reason)
            error = failure_error(out.error, out.kind, request, opts, deadline_at)
            raise redact_for_request(error, request, out.error) from out.error
        response = out.response
        log_response(request, response, out.started)
        verdict = judge_head(
            response.status_code,
            response.headers,
            protocol_forced=forced or opts is None,
            policy=policy,
            attempt=attempt,
            auth_retried=auth_retried,
            refresh_auth=functools.partial(env.refresh_auth, request),
        )
        if verdict is HeadVerdict.OK:
            return response
        body: str = yield ReadErrorBody(response, deadline_at)
        if verdict is HeadVerdict.REFRESH_AUTH:
            log_auth_refresh(request)
            auth_retried = True
            continue
        if verdict is HeadVerdict.RETRY:
            delay = back_off_delay(
                policy, attempt, response.headers, now=time.monotonic(), deadline_at=deadline_at
            )
            if delay is not None:
                log_retry(request, f"HTTP {response.status_code}", attempt, policy.max_retries, delay)
                if (yield Sleep(delay)):
                    raise CallInterrupted()
                attempt += 1
                continue
        raise redact_for_request(_status_failure(response, request, body), request)


#: how long a notice (``thread.cancel()``'s) may take in all, retries included (seconds)
NOTICE_DEADLINE = 5.0
#: how much of a notice's answer is read, as it came (it is never decompressed)
NOTICE_BODY_LIMIT = 16 * 1024


def notice_flow(env: SendEnv, spec: Any, *, deadline: float | None = None) -> SendFlow:
    """Send a notice (a cancel) within ``deadline`` seconds (default
    :data:`NOTICE_DEADLINE`) in all, retries included.

    Of a 2xx answer, at most :data:`NOTICE_BODY_LIMIT` bytes are read as they came,
    never decompressed, and only until the deadline; then the answer is closed (the
    server has the notice: a trickling, huge or broken body is not waited for).
    Returns the closed response; raises the typed error of :func:`send_flow`
    (``APITimeoutError`` when no answer came in time).
    """
    deadline_at = time.monotonic() + (NOTICE_DEADLINE if deadline is None else deadline)
    response = yield from send_flow(env, spec, stream=True, deadline_at=deadline_at)
    yield ReadNotice(response, NOTICE_BODY_LIMIT, deadline_at)
    return response


def describe_error(exc: BaseException) -> str:
    """The text of an exception, or of the first one in its chain that has some.

    Under asyncio, httpx's ``ReadError`` for a reset connection says nothing (its
    text is the empty text of anyio's ``BrokenResourceError``); the
    ``ConnectionResetError`` it came from does.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        text = str(current)
        if text:
            return text
        current = current.__cause__ or current.__context__
    return type(exc).__name__


#: the failures before a response that are retried
_RETRIED = frozenset({FailureKind.TIMEOUT, FailureKind.TRANSPORT})


def _remaining(deadline_at: float | None, opts: CallOptions | None) -> float | None:
    """Seconds left before the call's deadline (None: no deadline); raises when none is."""
    if deadline_at is None:
        return None
    remaining = deadline_at - time.monotonic()
    if remaining <= 0:
        raise APITimeoutError(_deadline_message(opts))
    return remaining


def _deadline_message(opts: CallOptions | None) -> str:
    return opts.deadline_message() if opts is not None else "the call exceeded its deadline"


def _failure_reason(exc: BaseException, kind: FailureKind | None) -> str:
    if kind is FailureKind.TIMEOUT:
        return type(exc).__name__
    return f"{type(exc).__name__}: {describe_error(exc)}"


def failure_error(
    exc: BaseException,
    kind: FailureKind | None,
    request: Any,
    opts: CallOptions | None,
    deadline_at: float | None,
) -> APIConnectionError:
    """The typed error for a request that failed before any response."""
    if kind is FailureKind.TIMEOUT:
        if deadline_at is not None and time.monotonic() >= deadline_at - 1e-3:
            return APITimeoutError(_deadline_message(opts), request=request)
        return APITimeoutError(f"request timed out: {type(exc).__name__}", request=request)
    if kind is FailureKind.TRANSPORT:
        return APIConnectionError(f"connection failed: {describe_error(exc)}", request=request)
    return APIConnectionError(
        f"the request failed: {type(exc).__name__}: {describe_error(exc)}", request=request
    )


def _status_failure(response: Any, request: Any, body: str) -> AssistantUIError:
    """The typed error for a response that is not the answer (logged)."""
    if 200 <= response.status_code < 300:  # a 2xx HTML page
        log_failure(request, "an HTML page")
        return _html_page_error(response, body)
    log_failure(request, f"HTTP {response.status_code}")
    return make_status_error(response, body)


#: how much of an HTML page an error quotes (whitespace collapsed), and reads for it
_HTML_EXCERPT = 200
_HTML_SCAN = 8192


def _html_page_error(response: Any, body: str) -> DecodeError:
    """The error for a 2xx HTML page: it is not decoded as the assistant's text."""
    raw = body[:_HTML_SCAN]
    text = " ".join(raw.split())
    if len(body) > len(raw) and " " in text:
        text = text.rsplit(" ", 1)[0]  # the cut may have split a word (a secret): drop it
    # redact past the excerpt, so that a secret at its end is not half-quoted
    page = redact_text(text[: _HTML_EXCERPT + 1024], secrets_of_request(response.request))
    if len(page) > _HTML_EXCERPT:
        page = page[:_HTML_EXCERPT] + "..."
    content_type = response.headers.get("content-type", "")
    return DecodeError(
        f"the backend answered HTTP {response.status_code} with an HTML page "
        f"(Content-Type: {content_type}), not a chat stream; check base_url and chat_path, "
        f"or pass protocol= to decode it anyway. The page begins: {page}"
    )
