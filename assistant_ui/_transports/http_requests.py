"""Building the HTTP request of one attempt: its URL (joined onto the client's base URL
once per path), its headers, and its timeouts capped by the call's idle bound and
deadline; the call's own credentials are attached for redaction."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from .._call.actions import Attempt
from .._call.options import CallOptions
from .._log import attach_secrets

__all__ = ["ACCEPT", "URL_CACHE_SIZE", "build_request", "request_timeout", "request_url"]

#: what a chat request accepts
ACCEPT = "text/event-stream, text/plain, application/json"


def request_timeout(
    timeout: httpx.Timeout, opts: CallOptions | None, remaining: float | None
) -> httpx.Timeout:
    """The httpx timeout of one attempt: reads never wait longer than the idle bound or
    the deadline, and nothing waits longer than what is ``remaining`` of the deadline."""
    if remaining is None and (opts is None or (opts.idle_timeout is None and opts.deadline is None)):
        if opts is None or _non_negative(timeout):
            return timeout  # nothing caps it (the same values as a capped copy)

    def cap(value: float | None, *bounds: float | None) -> float | None:
        present = [b for b in (value, *bounds) if b is not None]
        return max(min(present), 0.0) if present else None

    idle = opts.idle_timeout if opts is not None else None
    deadline = opts.deadline if opts is not None else None
    return httpx.Timeout(
        connect=cap(timeout.connect, remaining),
        read=cap(timeout.read, idle, deadline, remaining),
        write=cap(timeout.write, remaining),
        pool=cap(timeout.pool, remaining),
    )


def _non_negative(timeout: httpx.Timeout) -> bool:
    return all(v is None or v >= 0 for v in (timeout.connect, timeout.read, timeout.write, timeout.pool))


#: (id of a client's ``base_url``, path) -> (that ``base_url``, the absolute URL of path)
_URLS: dict[tuple[int, str], tuple[httpx.URL, httpx.URL]] = {}
#: the most entries :data:`_URLS` holds (then it starts again, empty)
URL_CACHE_SIZE = 256


def request_url(http: httpx.Client | httpx.AsyncClient, path: str) -> httpx.URL | str:
    """``path`` joined onto ``http.base_url`` as httpx's ``build_request`` joins a relative
    URL (the base URL's path, then ``path`` without its leading ``/``; an absolute
    ``path`` stands alone), remembered per base URL: httpx would parse both again on
    every request. An entry counts only while its ``base_url`` is the very object the
    client holds (``httpx.URL`` is immutable and setting ``base_url`` makes a new one),
    and it holds that object, so its id is not reused meanwhile."""
    base = http.base_url
    key = (id(base), path)
    hit = _URLS.get(key)
    if hit is not None and hit[0] is base:
        return hit[1]
    url = httpx.URL(path)
    if url.is_relative_url:
        url = base.copy_with(raw_path=base.raw_path + url.raw_path.lstrip(b"/"))
        if url.is_relative_url:
            return path  # no base URL to join onto: httpx says what it says
    if len(_URLS) >= URL_CACHE_SIZE:
        _URLS.clear()
    _URLS[key] = (base, url)
    return url


def build_request(
    http: httpx.Client | httpx.AsyncClient,
    action: Attempt,
    headers: Mapping[str, str],
    timeout: httpx.Timeout,
    opts: CallOptions | None,
) -> httpx.Request:
    spec = action.spec
    merged = dict(headers)
    merged.update(spec.headers)
    if action.extra_headers:
        merged.update(action.extra_headers)
    body = spec.json
    content = spec.content
    if body is not None or content is not None:
        merged.setdefault("Accept", ACCEPT)
    if content is not None:  # built before (a retry, a resend): the same bytes again
        merged.setdefault("Content-Type", "application/json")
    request = http.build_request(
        spec.method,
        request_url(http, spec.path),
        json=body,
        content=content,
        headers=merged,
        timeout=request_timeout(timeout, opts, action.remaining),
    )
    if body is not None:  # encoded now: keep the bytes, let the objects go (see RequestSpec)
        spec.content = request.content
        spec.json = None
    # the call's own credentials, whatever their names: redacted from every error and log line
    attach_secrets(request, headers, base_url=request.url)
    return request
