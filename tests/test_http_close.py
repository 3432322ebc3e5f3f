"""Closing a streamed body (``AsyncHTTPTransport.close``): a body still pending is ended
inside a cancelled scope; one read to its end is not touched again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from assistant_ui._transports.http import AsyncHTTPTransport


def _transport() -> AsyncHTTPTransport:
    return AsyncHTTPTransport(httpx.AsyncClient(), None, httpx.Timeout(5), None)


def _body(ended: list[str]) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            ended.append("ended")

    return gen()


class _Scopes:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = 0
        real = anyio.CancelScope

        def counting(**kwargs: Any) -> Any:
            self.made += 1
            return real(**kwargs)

        monkeypatch.setattr(anyio, "CancelScope", counting)


@pytest.mark.anyio
async def test_a_pending_body_is_ended_and_the_response_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    ended: list[str] = []
    body = _body(ended)
    assert await body.__anext__() == b"a"
    response = httpx.Response(200, stream=httpx.ByteStream(b"ab"))
    scopes = _Scopes(monkeypatch)
    await _transport().close(body, response, drain=False)
    assert ended == ["ended"]
    assert body.ag_frame is None  # type: ignore[attr-defined]
    assert response.is_closed
    assert scopes.made == 1


@pytest.mark.anyio
async def test_a_body_read_to_its_end_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    ended: list[str] = []
    body = _body(ended)
    assert [chunk async for chunk in body] == [b"a", b"b"]
    response = httpx.Response(200, stream=httpx.ByteStream(b"ab"))
    scopes = _Scopes(monkeypatch)
    await _transport().close(body, response, drain=False)
    assert ended == ["ended"]
    assert response.is_closed
    assert scopes.made == 0  # no cancelled scope to end what has ended
