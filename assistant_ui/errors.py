"""The exception hierarchy (docs/api.md §9).

::

    AssistantUIError
    ├── APIError
    │   ├── APIStatusError (status_code, response, body)
    │   │   ├── BadRequestError (400)      ├── ConflictError (409)
    │   │   ├── AuthenticationError (401)  ├── UnprocessableEntityError (422)
    │   │   ├── PermissionDeniedError (403)├── RateLimitError (429)
    │   │   └── NotFoundError (404)        └── InternalServerError (5xx)
    │   ├── APIConnectionError
    │   │   └── APITimeoutError
    │   └── StreamError (an in-band error event)
    └── DecodeError (the body is not what its format promises)

Errors raised after a response started carry the partial ``ChatResult`` as
``.partial`` (``None`` before the first byte).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from ._call.result import ChatResult
    from .events import Event

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AssistantUIError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DecodeError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamError",
    "UnprocessableEntityError",
]

#: How much of a response body an error message quotes at most.
BODY_EXCERPT_LIMIT = 500
#: How much of a backend's in-band error text a StreamError message quotes at most.
_MESSAGE_LIMIT = 2000


#: how much text around an excerpt is searched for credentials (redaction is not
#: linear in the length of the text, so it never sees a whole large body)
_REDACT_WINDOW = 1024


def _excerpt(text: str, limit: int = BODY_EXCERPT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters]"


def _quote(text: str, redact: Callable[..., str], *args: Any, limit: int = BODY_EXCERPT_LIMIT) -> str:
    """An excerpt of ``text`` with credentials redacted.

    Redaction runs on a bounded window that goes past the excerpt (so a secret at
    the cut is not half-quoted), never on the whole text.
    """
    window = redact(text[: limit + _REDACT_WINDOW], *args)
    if len(text) <= limit + _REDACT_WINDOW and len(window) <= limit:
        return window
    return window[:limit] + f"... [{max(len(text) - limit, 0)} more characters]"


class AssistantUIError(Exception):
    """Base class of every exception this library raises on purpose."""

    partial: ChatResult | None = None


class APIError(AssistantUIError):
    """Something went wrong talking to the backend."""

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        partial: ChatResult | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.partial = partial


class APIStatusError(APIError):
    """The backend answered with a non-2xx status.

    Redirects (3xx) included: they are not followed unless ``follow_redirects=True``
    is passed to the client (it goes to httpx; 307/308 then send the POST again).

    ``code`` is the service's error type when it names one: AWS services (Amazon Q)
    send it as the ``x-amzn-errortype`` header (``AccessDeniedException``) or as the
    JSON body's ``__type``; otherwise ``None``.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.code = code


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


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
    from ._log import redact_text, secrets_of_request

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

    from ._log import REDACTED, redact_text

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


class APIConnectionError(APIError):
    """The connection failed or was cut before the response completed."""


class APITimeoutError(APIConnectionError):
    """A timeout (connect, read, idle or deadline) expired."""


class StreamError(APIError):
    """The backend sent an error event in the stream.

    ``partial`` holds everything decoded up to and including the error.
    """

    def __init__(
        self,
        message: str,
        *,
        partial: ChatResult | None = None,
        code: str | None = None,
    ) -> None:
        # the backend's text may quote the request's credentials (an upstream error
        # echoing "Authorization: Bearer ..."): never put them in the message
        from ._log import redact_text

        # the full error stays in ``partial.status["error"]``
        super().__init__(_quote(message, redact_text, limit=_MESSAGE_LIMIT), partial=partial)
        self.code = code


class DecodeError(AssistantUIError):
    """The body does not follow the format it claims (or was detected as), or
    goes past a limit (``max_event_size``, ``max_json_depth``).

    ``protocol`` names the format, ``offset`` the byte offset in the body where the
    problem was found (``None`` when unknown). ``events`` holds the events that the
    decoder call which raised it had decoded before finding the problem (see
    :class:`assistant_ui.decoding.StreamDecoder`). The message may quote bytes from
    the body (a header name, say): it is redacted and bounded like every message
    quoting a server.

    A 2xx answer to a chat call that is an HTML page (``text/html``: a login page,
    a proxy's error page, a web app's ``index.html``) raises it too, before any
    decoding (``partial`` is ``None``), unless ``protocol=`` forces a format.
    """

    def __init__(
        self,
        message: str,
        *,
        protocol: str | None = None,
        offset: int | None = None,
        partial: ChatResult | None = None,
    ) -> None:
        from ._log import redact_text

        message = _quote(message, redact_text)
        where = []
        if protocol:
            where.append(protocol)
        if offset is not None:
            where.append(f"byte {offset}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)
        self.message = message
        self.protocol = protocol
        self.offset = offset
        self.partial = partial
        self.events: list[Event] = []
