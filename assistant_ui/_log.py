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
:func:`redact_text`. Both are used by the error messages too.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

__all__ = [
    "REDACTED",
    "RedactingFilter",
    "is_sensitive_header",
    "log_auth_refresh",
    "log_failure",
    "log_request",
    "log_response",
    "log_resume",
    "log_retry",
    "log_stream_end",
    "logger",
    "redact_headers",
    "redact_text",
    "redact_url",
    "secrets_from_headers",
]

logger = logging.getLogger("assistant_ui")
logger.addHandler(logging.NullHandler())

REDACTED = "[redacted]"

_SENSITIVE_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "cookie",
        "set-cookie",
    }
)
_SENSITIVE_PARTS = ("token", "secret", "key", "auth")
#: names whose value is a secret in free text (``"password": ...``, ``client_secret=...``);
#: every repetition is bounded and a name starts where a name cannot continue, so
#: redaction stays linear in the length of the text, whatever the text
_NAME_CHAR = r"[A-Za-z0-9_.\-]"
_TEXT_NAME = (
    r"(?<!" + _NAME_CHAR + r")" + _NAME_CHAR + r"{0,48}"
    r"(?:token|secret|key|auth|passw(?:or)?d|cookie|credential|session)"
    + _NAME_CHAR + r"{0,48}"
)
# "name": "value" / 'name': 'value' / name=value / name: value (a header line)
_KEY_VALUE = re.compile(
    r"""(?ix)
    (?P<q>["']?)(?P<name>""" + _TEXT_NAME + r""")(?P=q)   # the name, maybe quoted
    (?P<sep>[ \t]{0,8}[:=][ \t]{0,8})
    (?:
        "(?:[^"\\\n]|\\.){0,4096}"                       # a double-quoted value
      | '(?:[^'\\\n]|\\.){0,4096}'                       # a single-quoted value
      | (?:(?:bearer|basic|token|digest|negotiate)[ \t]{1,8})?[^\s,;&"'<>(){}\[\]]{1,4096}
    )
    """
)
_BEARER = re.compile(r"(?i)\b(bearer)([ \t]{1,8})[A-Za-z0-9\-._~+/]+=*")
_BASIC = re.compile(r"(?i)\b(basic)([ \t]{1,8})([A-Za-z0-9+/]{4,}=*)")
_URL_USERINFO = re.compile(
    r"(?i)(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]{0,31}://)([^/\s:@]{0,256}):([^/\s@]{1,256})@"
)
_TEXT_PARTS = ("token", "secret", "key", "auth", "passw", "cookie", "credential", "session")
#: secrets shorter than this are not searched for verbatim (too many false hits)
_MIN_SECRET = 4


def is_sensitive_header(name: str) -> bool:
    """Whether a header's value is a credential (its name alone decides)."""
    lower = name.lower()
    return lower in _SENSITIVE_NAMES or any(part in lower for part in _SENSITIVE_PARTS)


def redact_headers(headers: Any) -> dict[str, str]:
    """A plain dict of the headers with every sensitive value replaced by ``[redacted]``.

    Accepts a mapping, an ``httpx.Headers`` or an iterable of ``(name, value)`` pairs.
    """
    items = headers.items() if hasattr(headers, "items") else headers
    out: dict[str, str] = {}
    for name, value in items:
        name_s = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if is_sensitive_header(name_s):
            out[name_s] = REDACTED
        else:
            value_s = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            out[name_s] = redact_text(value_s)
    return out


def secrets_from_headers(headers: Any) -> list[str]:
    """The secret values carried by sensitive headers, to be searched for verbatim.

    ``Bearer X`` yields the whole value and ``X``; ``Basic X`` also the decoded
    password; a cookie also each cookie value.
    """
    if headers is None:
        return []
    items = headers.items() if hasattr(headers, "items") else headers
    found: list[str] = []
    for name, value in items:
        name_s = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if not is_sensitive_header(name_s):
            continue
        value_s = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        found.append(value_s)
        scheme, _, credential = value_s.strip().partition(" ")
        credential = credential.strip()
        if credential:
            found.append(credential)
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(credential, validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    decoded = ""
                if ":" in decoded:
                    found.append(decoded)
                    found.append(decoded.split(":", 1)[1])
        if name_s.lower() in ("cookie", "set-cookie"):
            for item in value_s.split(";"):
                found.append(item.partition("=")[2].strip())
    return _usable(found)


def _usable(secrets: Iterable[str]) -> list[str]:
    unique = {s for s in secrets if isinstance(s, str) and len(s) >= _MIN_SECRET}
    # longest first, so that a secret containing another is replaced whole
    return sorted(unique, key=len, reverse=True)


def _secret_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith("tokens"):  # max_tokens, total_tokens: counts, not credentials
        return False
    if "authoriz" not in lower:
        lower = lower.replace("authority", "").replace("author", "")
    return any(part in lower for part in _TEXT_PARTS)


def _redact_key_value(match: re.Match[str]) -> str:
    if not _secret_name(match.group("name")):
        return match.group(0)
    return f"{match.group('q')}{match.group('name')}{match.group('q')}{match.group('sep')}{_quoted_redacted(match)}"


def _quoted_redacted(match: re.Match[str]) -> str:
    value = match.group(0)[match.end("sep") - match.start(0) :]
    if value[:1] in ('"', "'"):
        return f"{value[0]}{REDACTED}{value[0]}"
    return REDACTED


def _redact_basic(match: re.Match[str]) -> str:
    credential = match.group(3)
    try:
        decoded = base64.b64decode(credential + "=" * (-len(credential) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    if b":" not in decoded:  # "Basic authentication" and the like are words, not credentials
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove credentials from free text (an error body, an exception message).

    Replaced by ``[redacted]``: every value in ``secrets`` found verbatim; the value
    of anything named like a credential (``"authorization": "..."``,
    ``X-API-Key: ...``, ``client_secret=...``, ``access_token=...``); ``Bearer``
    tokens and ``Basic`` credentials; the password in ``scheme://user:password@``.
    """
    if not text:
        return text
    for secret in _usable(secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}@", text)
    text = _KEY_VALUE.sub(_redact_key_value, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _BASIC.sub(_redact_basic, text)
    return text


def redact_url(url: Any) -> str:
    """A URL fit for a log line: no password in the userinfo, no credential query values."""
    return redact_text(str(url))


class RedactingFilter(logging.Filter):
    """A logging filter that runs each record's message through :func:`redact_text`.

    The stderr handler installed by ``ASSISTANT_UI_LOG`` uses it; add it to your own
    handlers to scrub other libraries' lines too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


# -- the lines the client logs ------------------------------------------------------------


def _target(request: Any) -> str:
    try:
        return f"{request.method} {redact_url(request.url)}"
    except Exception:
        return "request"


def log_request(request: Any, attempt: int, max_retries: int) -> float:
    """Log one attempt about to be sent; returns the start time for :func:`log_response`."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "request %s (attempt %d of %d) headers=%s",
            _target(request),
            attempt + 1,
            max_retries + 1,
            redact_headers(request.headers),
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
    logger.debug(
        "%s: %s -> %d %s (%s) after %.0f ms",
        what,
        _target(request),
        response.status_code,
        reason,
        redact_text(content_type),
        elapsed_ms,
    )


def log_retry(request: Any, reason: str, attempt: int, max_retries: int, delay: float) -> None:
    """Log a retry: ``attempt`` is the one that failed (from 0)."""
    logger.info(
        "retrying %s in %.2f s (attempt %d of %d failed: %s)",
        _target(request),
        delay,
        attempt + 1,
        max_retries + 1,
        redact_text(reason),
    )


def log_failure(request: Any, reason: str) -> None:
    """Log a request that failed for good (the caller gets the exception)."""
    logger.debug("request failed: %s: %s", _target(request), redact_text(reason))


def log_stream_end(request: Any, outcome: str, events: int, started: float | None = None) -> None:
    """Log the end of a streamed body: ``outcome`` is e.g. ``complete``, ``cancelled``,
    ``timeout`` or ``error: ...``; ``started`` a ``time.monotonic()`` of the stream start."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    elapsed = "" if started is None else f" after {time.monotonic() - started:.2f} s"
    logger.debug(
        "stream end: %s: %s, %d events%s", _target(request), redact_text(outcome), events, elapsed
    )


def log_resume(request: Any, stream_id: str | None, attempt: int, reason: str) -> None:
    """Log a resumption of a cut stream (``attempt`` from 0)."""
    logger.info(
        "resuming %s (stream %s, attempt %d) after: %s",
        _target(request),
        stream_id or "-",
        attempt + 1,
        redact_text(reason),
    )


def log_auth_refresh(request: Any) -> None:
    logger.info("%s was refused (401): refreshing the credentials and retrying once", _target(request))


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
