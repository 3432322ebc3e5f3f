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
