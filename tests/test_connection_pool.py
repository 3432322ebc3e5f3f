"""The httpx clients the client makes: their default limits, and the connection pool
of the async ones (``_transports/pool.py``), driven through httpcore with a mock
network (no timing: connections and assignments are counted)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import anyio
import httpcore
import httpx
import pytest
from httpcore._async.connection_pool import AsyncPoolRequest

from assistant_ui import AssistantClient
from assistant_ui._transports.http_clients import DEFAULT_LIMITS
from assistant_ui._transports.pool import reserve_connections

RESPONSE = [b"HTTP/1.1 200 OK\r\n", b"Content-Length: 2\r\n\r\n", b"ok"]


class Backend(httpcore.AsyncMockBackend):
    """Each connection can answer ``answers`` requests; connections are counted."""

    def __init__(self, answers: int = 50, response: list[bytes] = RESPONSE) -> None:
        super().__init__(response * answers)
        self.connects = 0

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        self.connects += 1
        return await super().connect_tcp(*args, **kwargs)


def make_pool(backend: Backend, **kwargs: Any) -> Any:
    pool = httpcore.AsyncConnectionPool(network_backend=backend, **kwargs)
    assert reserve_connections(SimpleNamespace(_transport=SimpleNamespace(_pool=pool)))
    return pool


@pytest.fixture
def cleared(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a request lost the connection it was given (and was queued again)."""
    count = [0]
    clear = AsyncPoolRequest.clear_connection

    def counting(self: Any) -> None:
        count[0] += 1
        clear(self)

    monkeypatch.setattr(AsyncPoolRequest, "clear_connection", counting)
    return count


async def get(pool: Any) -> bytes:
    async with pool.stream("GET", "http://example.test/") as response:
        return b"".join([chunk async for chunk in response.aiter_stream()])


async def hold_all(pool: Any, n: int) -> int:
    """Open ``n`` responses at once, keep every one open until all are; returns the
    most connections the pool had."""
    opened = 0
    everyone = anyio.Event()
    most = 0

    async def one() -> None:
        nonlocal opened, most
        async with pool.stream("GET", "http://example.test/") as response:
            opened += 1
            most = max(most, len(pool.connections))
            if opened == n:
                everyone.set()
            await everyone.wait()
            assert b"".join([c async for c in response.aiter_stream()]) == b"ok"

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(one)
    return most


# -- the pool ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_burst_on_a_warm_pool_takes_one_connection_each(cleared: list[int]) -> None:
    # httpcore's own pass hands all 20 to the one idle connection: 19 lose it and queue again
    backend = Backend()
    pool = make_pool(backend, max_connections=100, max_keepalive_connections=100)
    async with pool:
        assert await get(pool) == b"ok"
        assert backend.connects == 1
        await hold_all(pool, 20)
        assert backend.connects == 20  # the warm one was reused, 19 were opened
        assert cleared[0] == 0
        assert len(pool.connections) == 20


@pytest.mark.anyio
async def test_max_connections_holds_and_queued_requests_reuse_freed_connections(cleared: list[int]) -> None:
    backend = Backend()
    pool = make_pool(backend, max_connections=3, max_keepalive_connections=3)
    async with pool:
        most = 0
        running = 0

        async def one() -> None:
            nonlocal running, most
            async with pool.stream("GET", "http://example.test/") as response:
                running += 1
                most = max(most, running, len(pool.connections))
                await anyio.sleep(0)
                assert b"".join([c async for c in response.aiter_stream()]) == b"ok"
                running -= 1

        async with anyio.create_task_group() as tg:
            for _ in range(12):
                tg.start_soon(one)
        assert most <= 3
        assert backend.connects == 3
        assert cleared[0] == 0


@pytest.mark.anyio
async def test_idle_connections_past_the_keepalive_bound_are_closed() -> None:
    backend = Backend()
    pool = make_pool(backend, max_connections=20, max_keepalive_connections=5)
    async with pool:
        await hold_all(pool, 12)
        assert backend.connects == 12
        assert len(pool.connections) == 5
        assert all(c.is_idle() for c in pool.connections)


@pytest.mark.anyio
async def test_a_freed_connection_goes_to_a_queued_request_before_the_keepalive_bound() -> None:
    # no keep-alive at all: a connection is still handed to a request waiting for one
    backend = Backend()
    pool = make_pool(backend, max_connections=2, max_keepalive_connections=0)
    async with pool:
        await hold_all(pool, 2)
        assert backend.connects == 2
        assert pool.connections == []

        async def one() -> None:
            assert await get(pool) == b"ok"

        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(one)
        assert pool.connections == []


@pytest.mark.anyio
async def test_an_expired_idle_connection_is_never_handed_out() -> None:
    backend = Backend()
    pool = make_pool(backend, max_connections=10, keepalive_expiry=0.0)
    async with pool:
        for _ in range(5):
            assert await get(pool) == b"ok"
        assert backend.connects == 5
        assert len(pool.connections) <= 1


@pytest.mark.anyio
async def test_connections_the_server_closes_are_dropped_not_counted() -> None:
    # "Connection: close": every answer ends its connection; with room for 2, the
    # requests waiting get new connections instead of waiting on dead ones
    closing = [b"HTTP/1.1 200 OK\r\n", b"Connection: close\r\nContent-Length: 2\r\n\r\n", b"ok"]
    backend = Backend(answers=1, response=closing)
    pool = make_pool(backend, max_connections=2)
    async with pool:
        for _ in range(3):
            assert await get(pool) == b"ok"

        async def one() -> None:
            assert await get(pool) == b"ok"

        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(one)
        assert backend.connects == 9
        assert len(pool.connections) <= 2


@pytest.mark.anyio
async def test_a_cancelled_request_leaves_the_pool_usable() -> None:
    backend = Backend()
    pool = make_pool(backend, max_connections=1)
    async with pool:
        assert await get(pool) == b"ok"
        with anyio.CancelScope() as scope:
            async with pool.stream("GET", "http://example.test/"):
                scope.cancel()
                await anyio.sleep(0)
        assert await get(pool) == b"ok"
        assert len(pool.connections) == 1


def test_pools_it_does_not_change() -> None:
    proxy = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(proxy="http://127.0.0.1:1"))
    h2 = SimpleNamespace(_transport=SimpleNamespace(_pool=httpcore.AsyncConnectionPool(http2=True)))
    used = httpcore.AsyncConnectionPool()
    used._connections.append(object())
    for client in (proxy, h2, SimpleNamespace(_transport=SimpleNamespace(_pool=used)), object()):
        pool = getattr(getattr(client, "_transport", None), "_pool", None)
        kind = type(pool)
        assert not reserve_connections(client)
        assert type(pool) is kind


# -- the clients the client makes ------------------------------------------------------------------


def _pool_of(http: Any) -> Any:
    return http._transport._pool


def test_default_limits_of_both_clients() -> None:
    assert DEFAULT_LIMITS.max_connections == 1000
    assert DEFAULT_LIMITS.max_keepalive_connections == 100
    client = AssistantClient(base_url="http://127.0.0.1:9")
    sync_pool = _pool_of(client.sync_http)
    assert (sync_pool._max_connections, sync_pool._max_keepalive_connections) == (1000, 100)
    assert type(sync_pool) is httpcore.ConnectionPool  # the sync pool is httpcore's own

    async def check() -> None:
        pool = _pool_of(client.async_http)
        assert (pool._max_connections, pool._max_keepalive_connections) == (1000, 100)
        assert type(pool).__name__ == "ReservingAsyncPool"
        await client.close()

    anyio.run(check)
    client.close_sync()


def test_limits_given_are_kept() -> None:
    client = AssistantClient(base_url="http://127.0.0.1:9", limits=httpx.Limits(max_connections=7))
    assert _pool_of(client.sync_http)._max_connections == 7

    async def check() -> None:
        pool = _pool_of(client.async_http)
        assert pool._max_connections == 7
        assert type(pool).__name__ == "ReservingAsyncPool"
        await client.close()

    anyio.run(check)
    client.close_sync()


def test_a_transport_given_is_left_alone() -> None:
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=3))
    client = AssistantClient(base_url="http://127.0.0.1:9", transport=transport)

    async def check() -> None:
        assert client.async_http._transport is transport
        assert type(transport._pool) is httpcore.AsyncConnectionPool
        assert transport._pool._max_connections == 3
        await client.close()

    anyio.run(check)


@pytest.mark.anyio
async def test_a_request_cancelled_while_queued_does_not_strand_the_others() -> None:
    # the pass after a request leaves skips all work only when nobody waited before:
    # here some wait, one of them gives up, and the rest must still get connections
    backend = Backend()
    pool = make_pool(backend, max_connections=1, max_keepalive_connections=1)
    async with pool:
        got: list[bytes] = []
        first_open = anyio.Event()
        release_first = anyio.Event()

        async def first() -> None:
            async with pool.stream("GET", "http://example.test/") as response:
                first_open.set()
                await release_first.wait()
                got.append(b"".join([c async for c in response.aiter_stream()]))

        async def later() -> None:
            got.append(await get(pool))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(first)
                await first_open.wait()
                with anyio.CancelScope() as gives_up:
                    tg.start_soon(later)
                    tg.start_soon(later)
                    async with anyio.create_task_group() as inner:
                        inner.start_soon(get, pool)  # queued, then cancelled
                        await anyio.sleep(0.01)
                        gives_up.cancel()
                release_first.set()
        assert got == [b"ok", b"ok", b"ok"]
        assert await get(pool) == b"ok"
        assert len(pool.connections) == 1


@pytest.mark.anyio
async def test_many_requests_coming_and_going_all_finish_within_the_bounds() -> None:
    import random

    rng = random.Random(7)
    backend = Backend(answers=200)
    pool = make_pool(backend, max_connections=3, max_keepalive_connections=1)
    async with pool:
        done = 0
        most = 0

        async def one(i: int) -> None:
            nonlocal done, most
            async with pool.stream("GET", "http://example.test/") as response:
                most = max(most, len(pool.connections))
                for _ in range(rng.randrange(3)):
                    await anyio.sleep(0)
                assert b"".join([c async for c in response.aiter_stream()]) == b"ok"
            done += 1

        with anyio.fail_after(10):
            for _wave in range(5):
                async with anyio.create_task_group() as tg:
                    for i in range(rng.randrange(1, 12)):
                        tg.start_soon(one, i)
                        if rng.random() < 0.3:
                            await anyio.sleep(0)
        assert most <= 3
        assert len(pool.connections) <= 1
        assert done > 0
