"""Keeping credentials out of error messages and log lines.

One definition of what names a credential (:func:`is_secret_name`), used both to
redact text and headers and to strip headers from a request redirected to another
origin (``_transports/redirects.py``). Two kinds of redaction:

- by shape (:func:`redact_text` with no secrets): anything named like a
  credential (``"authorization": ...``, ``X-API-Key: ...``, ``client_secret=...``),
  ``Bearer`` tokens, ``Basic`` credentials, a URL's password;
- by value: the call's own credentials (:func:`secrets_of_request`: the values of
  its credential headers, of every header given with ``headers=``, the base URL's
  user info and query values), found verbatim and in their escaped forms (a
  ``repr`` of bytes, JSON, percent-encoding), whatever the field that carries them.

``_redacted_errors.py`` applies the second to an exception, its attributes and its
whole ``__cause__`` / ``__context__`` chain.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "REDACTED",
    "SECRETS_EXTENSION",
    "attach_secrets",
    "expand_secrets",
    "is_secret_name",
    "is_sensitive_header",
    "redact_headers",
    "redact_text",
    "redact_url",
    "secrets_from_headers",
    "secrets_of_request",
]

REDACTED = "[redacted]"
#: the key of ``httpx.Request.extensions`` under which a request carries its secrets
SECRETS_EXTENSION = "assistant_ui.secrets"

#: a name holding one of these (case-insensitive) names a credential: a header
#: (``X-Session-Id``, ``X-Password``), a JSON member, a form or query field
SECRET_NAME_PARTS = ("token", "secret", "key", "auth", "passw", "cookie", "credential", "session")
#: secrets shorter than this are not searched for verbatim (too many false hits)
_MIN_SECRET = 4
#: a header value given with ``headers=`` under a name that does not say "credential"
#: is searched for only from this length on (``X-Org: acme`` is no secret)
_MIN_PLAIN_VALUE = 8


def is_secret_name(name: str) -> bool:
    """Whether a header, field or parameter of this name carries a credential."""
    lower = name.lower()
    if lower.endswith("tokens"):  # max_tokens, total_tokens: counts, not credentials
        return False
    if "authoriz" not in lower:
        lower = lower.replace("authority", "").replace("author", "")
    return any(part in lower for part in SECRET_NAME_PARTS)


def is_sensitive_header(name: str) -> bool:
    """Whether a header's value is a credential (its name alone decides)."""
    return is_secret_name(name)


# -- by shape -------------------------------------------------------------------------------------

#: every repetition is bounded and a name starts where a name cannot continue, so
#: redaction stays linear in the length of the text, whatever the text
_NAME_CHAR = r"[A-Za-z0-9_.\-]"
_TEXT_NAME = (
    r"(?<!" + _NAME_CHAR + r")" + _NAME_CHAR + r"{0,48}"
    r"(?:token|secret|key|auth|passw(?:or)?d|cookie|credential|session)"
    + _NAME_CHAR + r"{0,48}"
)
_BARE = r"""[^\s,;&"'<>(){}\[\]]"""
# "name": "value" / 'name': 'value' / name=value / name: value (a header line); an
# unquoted value runs on across tabs (a token with a tab in it is one value)
_KEY_VALUE_PATTERN = (
    r"""(?ix)
    (?P<q>["']?)(?P<name>""" + _TEXT_NAME + r""")(?P=q)   # the name, maybe quoted
    (?P<sep>[ \t]{0,8}[:=][ \t]{0,8})
    (?:
        "(?:[^"\\\n]|\\.){0,4096}"                       # a double-quoted value
      | '(?:[^'\\\n]|\\.){0,4096}'                       # a single-quoted value
      | (?:(?:bearer|basic|token|digest|negotiate)[ \t]{1,8})?"""
    + _BARE + r"{1,4096}(?:\t" + _BARE + r"{1,4096}){0,8}"
    + r"""
    )
    """
)
_BEARER_PATTERN = (
    r"(?i)\b(bearer)([ \t]{1,8})[A-Za-z0-9\-._~+/]+=*(?:\t[^\s\"'<>]{1,4096}){0,8}"
)
_BASIC_PATTERN = r"(?i)\b(basic)([ \t]{1,8})([A-Za-z0-9+/]{4,}=*)"
_URL_USERINFO_PATTERN = (
    r"(?i)(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]{0,31}://)([^/\s:@]{0,256}):([^/\s@]{1,256})@"
)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The redaction patterns, compiled on first use (``import assistant_ui`` stays light)."""
    return (
        re.compile(_URL_USERINFO_PATTERN),
        re.compile(_KEY_VALUE_PATTERN),
        re.compile(_BEARER_PATTERN),
        re.compile(_BASIC_PATTERN),
    )


def _redact_key_value(match: re.Match[str]) -> str:
    if not is_secret_name(match.group("name")):
        return match.group(0)
    value = match.group(0)[match.end("sep") - match.start(0) :]
    quoted = f"{value[0]}{REDACTED}{value[0]}" if value[:1] in ('"', "'") else REDACTED
    return f"{match.group('q')}{match.group('name')}{match.group('q')}{match.group('sep')}{quoted}"


def _redact_basic(match: re.Match[str]) -> str:
    credential = match.group(3)
    try:
        decoded = base64.b64decode(credential + "=" * (-len(credential) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    if b":" not in decoded:  # "Basic authentication" and the like are words, not credentials
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{REDACTED}"


# -- by value -------------------------------------------------------------------------------------


def _variants(secret: str) -> Iterable[str]:
    """``secret`` as it may be quoted: verbatim, trimmed, escaped by ``repr`` of a
    str or of bytes (what h11 quotes), by JSON, percent-encoded."""
    yield secret
    stripped = secret.strip()
    yield stripped
    for value in {secret, stripped}:
        yield repr(value)[1:-1]
        yield repr(value.encode("utf-8", "surrogateescape"))[2:-1]
        yield json.dumps(value)[1:-1]
        yield json.dumps(value, ensure_ascii=False)[1:-1]
        yield quote(value, safe="")
        yield quote_plus(value)


def expand_secrets(secrets: Iterable[str]) -> list[str]:
    """The secrets and their quoted forms worth searching for, longest first (so that
    a secret containing another is replaced whole)."""
    found: set[str] = set()
    for secret in secrets:
        if not isinstance(secret, str) or len(secret.strip()) < _MIN_SECRET:
            continue
        found.update(v for v in _variants(secret) if len(v) >= _MIN_SECRET)
    return sorted(found, key=len, reverse=True)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove credentials from free text (an error body, an exception message).

    Replaced by ``[redacted]``: every value in ``secrets`` found verbatim or in a
    quoted form; the value of anything named like a credential
    (``"authorization": "..."``, ``X-API-Key: ...``, ``client_secret=...``,
    ``access_token=...``); ``Bearer`` tokens and ``Basic`` credentials; the
    password in ``scheme://user:password@``.
    """
    return _redact_expanded(text, expand_secrets(secrets))


def _redact_expanded(text: str, expanded: list[str]) -> str:
    """:func:`redact_text` with the secrets already expanded (longest first)."""
    if not text:
        return text
    for secret in expanded:
        if secret in text:
            text = text.replace(secret, REDACTED)
    url_userinfo, key_value, bearer, basic = _patterns()
    text = url_userinfo.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}@", text)
    text = key_value.sub(_redact_key_value, text)
    text = bearer.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = basic.sub(_redact_basic, text)
    return text


def redact_url(url: Any) -> str:
    """A URL fit for a log line: no password in the userinfo, no credential query values."""
    return redact_text(str(url))


def _items(headers: Any) -> Iterable[tuple[str, str]]:
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:
        name_s = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        value_s = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        yield name_s, value_s


def redact_headers(headers: Any, secrets: Iterable[str] = ()) -> dict[str, str]:
    """A plain dict of the headers with every sensitive value replaced by ``[redacted]``.

    Accepts a mapping, an ``httpx.Headers`` or an iterable of ``(name, value)``
    pairs; the other values go through :func:`redact_text` with ``secrets``.
    """
    expanded = expand_secrets(secrets)
    out: dict[str, str] = {}
    for name, value in _items(headers):
        out[name] = REDACTED if is_sensitive_header(name) else _redact_expanded(value, expanded)
    return out


def secrets_from_headers(headers: Any) -> list[str]:
    """The secret values carried by sensitive headers, to be searched for verbatim.

    ``Bearer X`` yields the whole value and ``X``; ``Basic X`` also the decoded
    password; a cookie also each cookie value.
    """
    if headers is None:
        return []
    found: list[str] = []
    for name, value in _items(headers):
        if not is_sensitive_header(name):
            continue
        found.append(value)
        scheme, _, credential = value.strip().partition(" ")
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
        if name.lower() in ("cookie", "set-cookie"):
            for item in value.split(";"):
                found.append(item.partition("=")[2].strip())
    return [s for s in dict.fromkeys(found) if len(s.strip()) >= _MIN_SECRET]


def _secrets_of_url(url: Any) -> list[str]:
    """The user info and the query values of a URL (``httpx.URL`` or str)."""
    try:
        import httpx

        parsed = url if isinstance(url, httpx.URL) else httpx.URL(str(url))
    except Exception:
        return []
    if not parsed.query and not parsed.userinfo:
        return []  # no user info, no query: nothing in it can be a credential
    found = [parsed.username, parsed.password]
    try:
        found += [value for _, value in parsed.params.multi_items()]
    except Exception:
        pass
    raw_query = parsed.query.decode("ascii", "replace") if parsed.query else ""
    found += [part.partition("=")[2] for part in raw_query.split("&")]
    return [s for s in found if s and len(s) >= _MIN_SECRET]


def attach_secrets(
    request: Any,
    headers: Any = None,
    *,
    base_url: Any = None,
    extra: Iterable[str] = (),
) -> list[str]:
    """Record on ``request`` (its ``extensions``) the credentials of the call it belongs to.

    ``headers`` are those given with ``headers=`` (resolved): their values are
    secrets whatever their names (shorter values only under a credential's name);
    ``base_url`` adds its user info and query values; ``extra`` anything else.
    Redirected requests keep the record (httpx copies ``extensions``). Returns the
    secrets recorded.
    """
    found: list[str] = list(extra)
    if headers:
        for name, value in _items(headers):
            if is_sensitive_header(name) or len(value.strip()) >= _MIN_PLAIN_VALUE:
                found.append(value)
        found += secrets_from_headers(headers)
    if base_url is not None:
        found += _secrets_of_url(base_url)
    secrets = [s for s in dict.fromkeys(found) if isinstance(s, str) and len(s.strip()) >= _MIN_SECRET]
    extensions = getattr(request, "extensions", None)
    if isinstance(extensions, dict):
        previous = list(extensions.get(SECRETS_EXTENSION) or ())
        extensions[SECRETS_EXTENSION] = tuple(dict.fromkeys([*previous, *secrets]))
    return secrets


def secrets_of_request(request: Any) -> list[str]:
    """Every credential of the call ``request`` belongs to: those recorded by
    :func:`attach_secrets`, the values of its credential headers, its URL's user
    info and query values. ``None`` gives none."""
    if request is None:
        return []
    found: list[str] = []
    extensions = getattr(request, "extensions", None)
    if isinstance(extensions, dict):
        found += [s for s in extensions.get(SECRETS_EXTENSION) or () if isinstance(s, str)]
    try:
        found += secrets_from_headers(request.headers)
    except Exception:
        pass
    found += _secrets_of_url(getattr(request, "url", None) or "")
    return list(dict.fromkeys(found))
