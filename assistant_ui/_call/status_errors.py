"""The typed error of a non-2xx answer: the most specific :class:`APIStatusError`
subclass, its message (status, the URL asked for on a 404, the redirect target, a
redacted excerpt of the body) and the service's error type.

Used by the send flow and the WebSocket commands; kept out of :mod:`assistant_ui.errors`
(the hierarchy alone) so that ``import assistant_ui`` does not compile it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    _quote,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["aws_error_type", "make_status_error", "status_error_class"]

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific :class:`APIStatusError` subclass for a status code."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


def make_status_error(response: httpx.Response, body_text: str) -> APIStatusError:
    """Build the error for a non-2xx response whose body was read as text."""
    import json

    body: Any = body_text
    try:
        body = json.loads(body_text) if body_text else None
    except ValueError:
        pass
    from .._log import redact_text, secrets_of_request

    reason = response.reason_phrase or ""
    message = f"HTTP {response.status_code} {reason}".rstrip()
    code = aws_error_type(response.headers.get("x-amzn-errortype"), body)
    if code is not None:
        message += f" ({_quote(code, redact_text, limit=100)})"
    try:
        secrets = secrets_of_request(response.request)
    except RuntimeError:  # a response built by hand, without its request
        secrets = []
    if response.status_code == 404:
        where = _requested(response, secrets)
        if where:
            message += f" for {where}"
    location = response.headers.get("location")
    if 300 <= response.status_code < 400 and location:
        # not followed by default (a POST re-sent elsewhere must be asked for)
        where = _quote(location, redact_text, secrets, limit=200)
        message += f" to {where} (redirects are not followed; pass follow_redirects=True)"
    if body_text:
        # the body may echo the request's credentials: redact before quoting (and
        # before truncating, so that no secret is cut in half and half-quoted)
        message += f": {_quote(body_text, redact_text, secrets)}"
    cls = status_error_class(response.status_code)
    return cls(message, response=response, body=body, code=code)


def _requested(response: httpx.Response, secrets: list[str]) -> str:
    """``METHOD URL`` of the request a response answers, fit for a message: the
    password of the userinfo and every query value redacted, and a hint when the path
    repeats itself (a ``base_url`` that already ends in the chat path)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    from .._log import REDACTED, redact_text

    try:
        request = response.request
    except RuntimeError:  # a response built by hand, without its request
        return ""
    parts = urlsplit(str(request.url))
    query = urlencode([(k, REDACTED) for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="[]")
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    text = f"{request.method} {_quote(url, redact_text, secrets, limit=300)}"
    repeated = _repeated_tail(parts.path)
    if repeated:
        text += (
            f" (the path repeats {repeated!r}: does base_url already end in it? "
            "base_url is the server's root; the client adds the chat path)"
        )
    return text


def _repeated_tail(path: str) -> str:
    """The segments a path ends with twice in a row (``/api/chat/api/chat``), or ``""``."""
    segments = [s for s in path.split("/") if s]
    for size in range(len(segments) // 2, 0, -1):
        tail = segments[-size:]
        if segments[-2 * size : -size] == tail and any(len(s) > 1 for s in tail):
            return "/" + "/".join(tail)
    return ""


def aws_error_type(header: str | None, body: Any = None) -> str | None:
    """The error type of an AWS error answer: the ``x-amzn-errortype`` header without
    its ``:namespace`` tail, else the JSON body's ``__type`` without its ``namespace#``
    head."""
    if header:
        name = header.split(":", 1)[0].strip()
        if name:
            return name
    if isinstance(body, dict):
        value = body.get("__type")
        if isinstance(value, str):
            name = value.rsplit("#", 1)[-1].split(":", 1)[0].strip()
            if name:
                return name
    return None
