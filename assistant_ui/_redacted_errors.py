"""Keeping the call's own credentials out of an exception: its message, ``args``, text
attributes and notes, and every exception of its ``__cause__`` / ``__context__`` chain.

What counts as a credential, and the redaction of text by value, are in
``_redaction.py``; this module applies them to exception objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._redaction import _redact_expanded, expand_secrets, secrets_of_request

__all__ = ["RedactedError", "redact_error", "redact_for_request"]

class RedactedError(Exception):
    """Stands in, in a cause chain, for an exception whose text quoted a credential
    and could not be rewritten: its text is the type and the redacted message."""


#: the attributes of an exception that may quote what was sent or answered
_TEXT_ATTRIBUTES = ("message", "body", "detail", "reason", "text", "strerror", "filename")
_MAX_CHAIN = 16
_MAX_DEPTH = 8


def _scrub(value: Any, secrets: list[str], depth: int = 0) -> Any:
    if isinstance(value, str):
        return _redact_expanded(value, secrets)
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")
        redacted = _redact_expanded(text, secrets)
        return value if redacted == text else redacted.encode("latin-1", "replace")
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {
            _scrub(k, secrets, depth + 1): _scrub(v, secrets, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v, secrets, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrub(v, secrets, depth + 1) for v in value)
    return value


def _leaks(exc: BaseException, secrets: list[str]) -> bool:
    try:
        shown = f"{exc}\n{exc!r}\n{getattr(exc, '__notes__', '')}"
    except Exception:
        return True
    return any(secret in shown for secret in secrets)


def _scrub_one(exc: BaseException, secrets: list[str]) -> None:
    try:
        exc.args = _scrub(exc.args, secrets)
    except Exception:
        pass
    for name in _TEXT_ATTRIBUTES:
        try:
            value = getattr(exc, name)
        except Exception:
            continue
        if isinstance(value, (str, bytes, dict, list)):
            try:
                setattr(exc, name, _scrub(value, secrets))
            except Exception:
                pass
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [_scrub(note, secrets) for note in notes]


def _stand_in(exc: BaseException, secrets: list[str]) -> BaseException:
    try:
        text = str(exc)
    except Exception:
        text = ""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    replacement = RedactedError(f"{name}: {_redact_expanded(text, secrets)}" if text else name)
    replacement.__traceback__ = exc.__traceback__
    replacement.__cause__ = exc.__cause__
    replacement.__context__ = exc.__context__
    replacement.__suppress_context__ = exc.__suppress_context__
    return replacement


def redact_error(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """Remove ``secrets`` from ``exc``: its message, ``args``, text attributes
    (``message``, ``body``...), notes, and every exception of its ``__cause__`` /
    ``__context__`` chain. A chained exception whose text still quotes a secret (a
    ``UnicodeEncodeError`` holding the header value, say) is replaced in the chain
    by a :class:`RedactedError`. Returns ``exc``, changed in place, so that
    ``raise redact_error(exc, secrets)`` reads naturally.
    """
    expanded = expand_secrets(secrets)
    if not expanded:
        return exc
    _scrub_one(exc, expanded)
    # id of each exception met -> what stands for it in the chain (itself, or a stand-in)
    seen: dict[int, BaseException] = {id(exc): exc}
    pending = [exc]
    while pending and len(seen) < _MAX_CHAIN:
        current = pending.pop()
        for link in ("__cause__", "__context__"):
            nxt = getattr(current, link)
            if nxt is None:
                continue
            if id(nxt) in seen:
                if seen[id(nxt)] is not nxt:
                    setattr(current, link, seen[id(nxt)])
                continue
            original = nxt
            _scrub_one(nxt, expanded)
            if _leaks(nxt, expanded):
                nxt = _stand_in(nxt, expanded)
                setattr(current, link, nxt)
                seen[id(nxt)] = nxt
            seen[id(original)] = nxt
            pending.append(nxt)
    return exc


def redact_for_request(
    error: BaseException, request: Any, cause: BaseException | None = None
) -> BaseException:
    """:func:`redact_error` with the credentials of ``request``'s call, for an error
    about to be raised ``from cause``: ``cause`` (which becomes both ``__cause__``
    and, raised inside its ``except``, ``__context__``) is scrubbed too. Use as
    ``raise redact_for_request(error, request, exc) from exc``."""
    secrets = secrets_of_request(request)
    if cause is not None:
        redact_error(cause, secrets)
    return redact_error(error, secrets)
