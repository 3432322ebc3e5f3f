"""A token kept in a JSON file (``q user export-token > tokens.json``), re-read when it changes."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from ..errors import AssistantUIError
from ._base import HEADER_NAME, AuthBase, check_header_value

__all__ = ["TokenFileAuth", "TokenFileError", "token_file"]

#: a token file is small; anything bigger is not one
_MAX_FILE_SIZE = 1024 * 1024
#: a file caught half-written (``>`` truncates, then the writer writes) is read again
_REREAD_ATTEMPTS = 5
_REREAD_PAUSE = 0.05

_Signature = tuple[int, int, int]


class TokenFileError(AssistantUIError):
    """The token file is missing, unreadable, or holds no usable token.

    The message names the file (``path``) and what is wrong with it; it never
    quotes the file's content.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class TokenFileAuth(AuthBase):
    """``Authorization: Bearer <token>`` with the token read from a JSON file.

    Build with :func:`token_file`. Before each request attempt the file's size,
    modification time and inode are checked; when they changed since the token
    was read, the file is read again. After a 401 (:meth:`invalidate`) it is read
    again whatever the check says.
    """

    __slots__ = ("_cache", "_lock", "field", "header", "path", "scheme")

    def __init__(
        self,
        path: str | os.PathLike[str],
        field: str = "accessToken",
        *,
        header: str = "Authorization",
        scheme: str | None = "Bearer",
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or a path, not {type(path).__name__}")
        if not isinstance(field, str) or not field:
            raise ValueError("field must be a non-empty str")
        if not isinstance(header, str) or not HEADER_NAME.fullmatch(header):
            raise ValueError(f"not a valid header name: {header!r}")
        if scheme is not None and (not isinstance(scheme, str) or not HEADER_NAME.fullmatch(scheme)):
            raise ValueError(f"not a valid authorization scheme: {scheme!r}")
        self.path = os.path.expanduser(os.fspath(path))
        self.field = field
        self.header = header
        self.scheme = scheme
        self._lock = threading.Lock()
        self._cache: tuple[_Signature, str] | None = None

    def __repr__(self) -> str:
        return f"token_file({self.path!r}, field={self.field!r})"

    # -- headers ------------------------------------------------------------------------------

    def _value(self, token: str) -> dict[str, str]:
        if self.scheme is None:
            return {self.header: token}
        prefix = self.scheme + " "
        if token[: len(prefix)].lower() == prefix.lower():  # the file holds "Bearer x"
            token = check_header_value(token[len(prefix) :], "the token")
        return {self.header: f"{self.scheme} {token}"}

    def sync_headers(self) -> dict[str, str]:
        return self._value(self.token())

    async def async_headers(self) -> dict[str, str]:
        # a stat per request, a small read when the file changed: not worth a thread
        return self._value(self.token())

    def invalidate(self, headers: Mapping[str, str] | None = None) -> None:
        """Forget the token read, so that the next request reads the file again."""
        with self._lock:
            self._cache = None

    # -- reading ------------------------------------------------------------------------------

    def token(self) -> str:
        """The token, read again when the file changed on disk."""
        signature = self._stat()
        with self._lock:
            cache = self._cache
            if cache is not None and cache[0] == signature:
                return cache[1]
            for attempt in range(_REREAD_ATTEMPTS):
                try:
                    token = self._parse(self._read())
                except TokenFileError:
                    after = self._stat()
                    if attempt + 1 == _REREAD_ATTEMPTS or (after == signature and after[1] > 0):
                        raise
                    signature = after  # being rewritten: read it again in a moment
                    time.sleep(_REREAD_PAUSE)
                    continue
                after = self._stat()
                self._cache = (after, token) if after == signature else None
                return token
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, what: str) -> TokenFileError:
        return TokenFileError(f"the token file {self.path} {what}", path=self.path)

    def _stat(self) -> _Signature:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise self._error(
                "does not exist (write it with e.g. `q user export-token > tokens.json`)"
            ) from None
        except OSError as exc:
            raise self._error(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> bytes:
        try:
            with open(self.path, "rb") as file:
                data = file.read(_MAX_FILE_SIZE + 1)
        except FileNotFoundError:
            raise self._error("does not exist") from None
        except IsADirectoryError:
            raise self._error("is a directory, not a file") from None
        except OSError as exc:
            raise self._error(f"cannot be read: {exc.strerror or type(exc).__name__}") from None
        if len(data) > _MAX_FILE_SIZE:
            raise self._error(f"is over {_MAX_FILE_SIZE} bytes: not a token file")
        return data

    def _parse(self, data: bytes) -> str:
        # no message below quotes the content: it is a credential
        if not data.strip():
            raise self._error("is empty")
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise self._error("is not UTF-8 text") from None
        except ValueError as exc:
            where = ""
            if isinstance(exc, json.JSONDecodeError):
                where = f" (line {exc.lineno}, column {exc.colno})"
            raise self._error(f"is not valid JSON{where}") from None
        except RecursionError:
            raise self._error("is not a token file (JSON nested too deep)") from None
        if not isinstance(document, dict):
            raise self._error(f"holds a JSON {_json_type(document)}, not an object")
        value = _lookup(document, self.field)
        if value is None:
            raise self._error(f"has no {self.field!r} field")
        if not isinstance(value, str):
            raise self._error(f"has a {_json_type(value)} in {self.field!r}, not a string")
        try:
            return check_header_value(value, "the token")
        except ValueError as exc:
            raise self._error(f"has an unusable {self.field!r}: {exc}") from None


def _lookup(document: dict[str, Any], field: str) -> Any:
    if field in document:
        return document[field]
    current: Any = document
    for part in field.split("."):  # "credentials.accessToken"
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def token_file(
    path: str | os.PathLike[str],
    field: str = "accessToken",
    *,
    header: str = "Authorization",
    scheme: str | None = "Bearer",
) -> TokenFileAuth:
    """A header provider that reads a token from a JSON file, e.g. what
    ``q user export-token > tokens.json`` writes (``{"accessToken": ..., ...}``).

    The token goes out as ``Authorization: Bearer <token>`` (``header=`` and
    ``scheme=`` change that; ``scheme=None`` sends the bare token). The file is
    read again whenever it changes on disk, so a token refreshed by another
    program is picked up by the next request. ``field`` names the member holding
    the token; a dotted name (``"credentials.accessToken"``) reaches into nested
    objects. A missing, unreadable or malformed file raises :class:`TokenFileError`
    naming the file, never quoting the token. Works with every backend.
    """
    return TokenFileAuth(path, field, header=header, scheme=scheme)
