"""``headers=``: a mapping, a sync callable or an async callable, resolved per attempt (docs/api.md §3).

An object may also offer ``sync_headers()`` / ``async_headers()`` methods (the auth
helpers do); they are preferred over calling it.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Union, cast

__all__ = ["HeadersSpec", "resolve_headers_async", "resolve_headers_sync", "run_coroutine_sync"]

HeadersSpec = Union[
    Mapping[str, str],
    Callable[[], Mapping[str, str]],
    Callable[[], Awaitable[Mapping[str, str]]],
    None,
]


def _check(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"headers callable must return a mapping, not {type(value).__name__}")
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not isinstance(val, str):
            raise TypeError("header names and values must be str")
        out[key] = val
    return out


async def resolve_headers_async(spec: HeadersSpec) -> dict[str, str]:
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return _check(spec)
    method = getattr(spec, "async_headers", None)
    if callable(method):
        return _check(await method())
    value = spec()
    if hasattr(value, "__await__"):
        value = await value
    return _check(value)


def resolve_headers_sync(spec: HeadersSpec) -> dict[str, str]:
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return _check(spec)
    method = getattr(spec, "sync_headers", None)
    if callable(method):
        return _check(method())
    import inspect

    if inspect.iscoroutinefunction(spec) or inspect.iscoroutinefunction(
        getattr(spec, "__call__", None)  # noqa: B004
    ):
        return _check(run_coroutine_sync(cast("Callable[[], Awaitable[Any]]", spec)))
    value = spec()
    if inspect.isawaitable(value):
        awaitable = value
        return _check(run_coroutine_sync(lambda: awaitable))
    return _check(value)


def run_coroutine_sync(fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async function to completion from sync code.

    In a thread with no running event loop it runs right here; inside a running
    loop (a notebook, an async framework calling sync code) it runs in a helper
    thread with a loop of its own, so nothing deadlocks.
    """
    import asyncio

    async def main() -> Any:
        return await fn()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(main()))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="assistant-ui-async-headers", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
