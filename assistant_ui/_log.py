"""Logging and redaction.

The library logs to the ``assistant_ui`` logger (a :class:`logging.NullHandler` is
attached, so nothing shows unless the application configures logging):

- DEBUG: every request attempt (method, URL, redacted headers), every response
  (status, content type, time to headers: the stream starts), failures;
- INFO: retries (what failed, the wait, the attempt number) and credential refreshes
  after a 401.

Setting the environment variable ``ASSISTANT_UI_LOG=debug`` (or ``info``) before
the package is imported adds a stderr handler at that level, so one can watch a
program's traffic without touching its code.

Secrets never reach a log line: header values are passed through
:func:`redact_headers` and free text (error bodies, exception messages) through
:func:`redact_text`, each against the credentials of the call the line is about
(:func:`secrets_of_request`). The redaction itself lives in ``_redaction.py``
(re-exported here), with :func:`redact_error` for exceptions.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

from ._redacted_errors import redact_error, redact_for_request
from ._redaction import (
    REDACTED,
    attach_secrets,
    is_secret_name,
    is_sensitive_header,
    redact_headers,
    redact_text,
    redact_url,
    secrets_from_headers,
    secrets_of_request,
)

__all__ = [
    "REDACTED",
    "SECRETS_ATTRIBUTE",
    "RedactingFilter",
    "attach_secrets",
    "is_secret_name",
    "is_sensitive_header",
    "log_auth_refresh",
    "log_failure",
    "log_request",
    "log_response",
    "log_resume",
    "log_retry",
    "log_stream_end",
    "logger",
    "redact_error",
    "redact_for_request",
    "redact_headers",
    "redact_text",
    "redact_url",
    "secrets_from_headers",
    "secrets_of_request",
]

logger = logging.getLogger("assistant_ui")
logger.addHandler(logging.NullHandler())

#: the attribute of a log record holding the credentials of the call it is about
#: (set through ``extra=`` by the lines below; :class:`RedactingFilter` uses them)
SECRETS_ATTRIBUTE = "assistant_ui_secrets"

class RedactingFilter(logging.Filter):
    """A logging filter that runs each record's message through :func:`redact_text`.

    A line the client logs about a request carries that call's credentials (the
    record attribute ``assistant_ui_secrets``): they are redacted whatever the
    field holding them. A record's traceback (``exc_info``) is redacted too. The
    stderr handler installed by ``ASSISTANT_UI_LOG`` uses it; add it to your own
    handlers to scrub other libraries' lines too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = getattr(record, SECRETS_ATTRIBUTE, None) or ()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        redacted = redact_text(message, secrets)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            shown = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact_text(shown, secrets)
        return True


# -- the lines the client logs ------------------------------------------------------------
#
# Each line is about one request: every piece of it is redacted against that call's
# own credentials (:func:`secrets_of_request`), and the record carries them for
# :class:`RedactingFilter`.


def _secrets(request: Any) -> list[str]:
    try:
        return secrets_of_request(request)
    except Exception:
        return []


def _target(request: Any, secrets: Iterable[str] = ()) -> str:
    try:
        return f"{request.method} {redact_text(str(request.url), secrets)}"
    except Exception:
        return "request"


def _log(level: int, request: Any, message: str, *args: Any) -> None:
    """Log ``message % args`` about ``request``, each str argument redacted."""
    if not logger.isEnabledFor(level):
        return
    secrets = _secrets(request)
    shown = tuple(redact_text(a, secrets) if isinstance(a, str) else a for a in args)
    logger.log(level, message, _target(request, secrets), *shown, extra={SECRETS_ATTRIBUTE: secrets})


def log_request(request: Any, attempt: int, max_retries: int) -> float:
    """Log one attempt about to be sent; returns the start time for :func:`log_response`."""
    if logger.isEnabledFor(logging.DEBUG):
        secrets = _secrets(request)
        logger.debug(
            "request %s (attempt %d of %d) headers=%s",
            _target(request, secrets),
            attempt + 1,
            max_retries + 1,
            redact_headers(request.headers, secrets),
            extra={SECRETS_ATTRIBUTE: secrets},
        )
    return time.monotonic()


def log_response(request: Any, response: Any, started: float) -> None:
    """Log the status of a response (for a 2xx, the stream starts now)."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    elapsed_ms = (time.monotonic() - started) * 1000
    reason = getattr(response, "reason_phrase", "") or ""
    content_type = response.headers.get("content-type", "-")
    what = "stream start" if response.is_success else "response"
    _log(
        logging.DEBUG,
        request,
        f"{what}: %s -> %d %s (%s) after %.0f ms",
        response.status_code,
        reason,
        content_type,
        elapsed_ms,
    )


def log_retry(request: Any, reason: str, attempt: int, max_retries: int, delay: float) -> None:
    """Log a retry: ``attempt`` is the one that failed (from 0)."""
    _log(
        logging.INFO,
        request,
        "retrying %s in %.2f s (attempt %d of %d failed: %s)",
        delay,
        attempt + 1,
        max_retries + 1,
        reason,
    )


def log_failure(request: Any, reason: str) -> None:
    """Log a request that failed for good (the caller gets the exception)."""
    _log(logging.DEBUG, request, "request failed: %s: %s", reason)


def log_stream_end(request: Any, outcome: str, events: int, started: float | None = None) -> None:
    """Log the end of a streamed body: ``outcome`` is e.g. ``complete``, ``cancelled``,
    ``timeout`` or ``error: ...``; ``started`` a ``time.monotonic()`` of the stream start."""
    elapsed = "" if started is None else f" after {time.monotonic() - started:.2f} s"
    _log(logging.DEBUG, request, "stream end: %s: %s, %d events%s", outcome, events, elapsed)


def log_resume(request: Any, stream_id: str | None, attempt: int, reason: str) -> None:
    """Log a resumption of a cut stream (``attempt`` from 0)."""
    _log(
        logging.INFO,
        request,
        "resuming %s (stream %s, attempt %d) after: %s",
        stream_id or "-",
        attempt + 1,
        reason,
    )


def log_auth_refresh(request: Any) -> None:
    _log(
        logging.INFO,
        request,
        "%s was refused (401): refreshing the credentials and retrying once",
    )


# -- ASSISTANT_UI_LOG -----------------------------------------------------------------------

_ENV_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


def _configure_from_env() -> None:
    value = os.environ.get("ASSISTANT_UI_LOG", "").strip().lower()
    if not value:
        return
    level = _ENV_LEVELS.get(value)
    if level is None:
        sys.stderr.write(
            f"assistant_ui: ignoring ASSISTANT_UI_LOG={value!r} (use debug or info)\n"
        )
        return
    if any(getattr(h, "_assistant_ui_env", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._assistant_ui_env = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    logger.addHandler(handler)
    logger.setLevel(level)


_configure_from_env()
