"""The exception hierarchy (API.md §9).

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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from ._result import ChatResult

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


def _excerpt(text: str, limit: int = BODY_EXCERPT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters]"


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
    """The backend answered with a non-2xx status."""

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any = None,
    ) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body


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
    reason = response.reason_phrase or ""
    message = f"HTTP {response.status_code} {reason}".rstrip()
    if body_text:
        message += f": {_excerpt(body_text)}"
    cls = status_error_class(response.status_code)
    return cls(message, response=response, body=body)


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
        super().__init__(message, partial=partial)
        self.code = code


class DecodeError(AssistantUIError):
    """The body does not follow the format it claims (or was detected as).

    ``protocol`` names the format, ``offset`` the byte offset in the body where the
    problem was found (``None`` when unknown).
    """

    def __init__(
        self,
        message: str,
        *,
        protocol: str | None = None,
        offset: int | None = None,
        partial: ChatResult | None = None,
    ) -> None:
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
