"""What every helper shares: secret sources (a value, a sync or an async callable),
header-value checks and the ``sync_headers`` / ``async_headers`` / ``__call__`` base."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Union

from .._transports.headers import run_coroutine_sync

__all__ = [
    "HEADER_NAME",
    "MASK",
    "AuthBase",
    "SecretSource",
    "check_header_value",
    "check_source",
    "get_header",
    "resolve_async",
    "resolve_sync",
    "source_repr",
]

#: a secret given as a value, a function returning it, or an async function returning it
SecretSource = Union[str, Callable[[], str], Callable[[], Awaitable[str]]]

MASK = "****"
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


#: what a header value may carry once trimmed: visible ASCII, spaces and tabs (httpx
#: encodes header values as ASCII; h11 refuses control characters)
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


def check_header_value(value: Any, what: str) -> str:
    """``value`` trimmed of surrounding whitespace (a key read from a file keeps its
    newline), or a ``TypeError`` / ``ValueError`` that never quotes it."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    text: str = value.strip(" \t\r\n")
    if not text:
        raise ValueError(f"{what} must not be empty")
    if any(c in text for c in "\r\n\0"):
        raise ValueError(f"{what} must not contain line breaks or NUL")
    if not _HEADER_VALUE.fullmatch(text):
        raise ValueError(
            f"{what} must be printable ASCII (a header value cannot carry control "
            "or non-ASCII characters)"
        )
    return text


def source_repr(source: SecretSource) -> str:
    if isinstance(source, str):
        return MASK
    name = getattr(source, "__qualname__", None) or type(source).__name__
    return f"<callable {name}>"


def check_source(source: Any, what: str) -> SecretSource:
    if isinstance(source, str):
        return check_header_value(source, what)
    if callable(source):
        return source  # type: ignore[no-any-return]
    raise TypeError(f"{what} must be a str or a callable returning one, not {type(source).__name__}")


def resolve_sync(source: SecretSource, what: str) -> str:
    if isinstance(source, str):
        return source
    if inspect.iscoroutinefunction(source) or inspect.iscoroutinefunction(
        getattr(source, "__call__", None)  # noqa: B004
    ):
        value = run_coroutine_sync(source)  # type: ignore[arg-type]
    else:
        value = source()
        if inspect.isawaitable(value):
            awaitable = value
            value = run_coroutine_sync(lambda: awaitable)
    return check_header_value(value, f"the value returned for {what}")


async def resolve_async(source: SecretSource, what: str) -> str:
    if isinstance(source, str):
        return source
    value: Any = source()
    if inspect.isawaitable(value):
        value = await value
    return check_header_value(value, f"the value returned for {what}")


class AuthBase:
    """Base of the helpers: ``sync_headers``, ``async_headers`` and ``__call__``."""

    def sync_headers(self) -> dict[str, str]:
        raise NotImplementedError

    async def async_headers(self) -> dict[str, str]:
        raise NotImplementedError

    def __call__(self) -> dict[str, str]:
        return self.sync_headers()



def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """``headers[name]`` whatever the case of the name (``name`` in lower case)."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, val in headers.items():
        if key.lower() == name:
            return val
    return None

