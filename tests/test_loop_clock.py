"""The clock and the cancel scopes the async driver looks up once per stream
(``_transports/loops.py``): the same as anyio's, under asyncio and trio."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

from assistant_ui._transports.loops import current_loop_token, loop_clock, scope_factory


@pytest.mark.anyio
async def test_the_clock_is_anyios(anyio_backend: str) -> None:
    clock = loop_clock(current_loop_token())
    if anyio_backend == "asyncio":
        # a stock loop's time() is time.monotonic(): the function itself, no bound method
        assert type(asyncio.get_running_loop()).time is asyncio.BaseEventLoop.time
        assert clock is time.monotonic
    else:
        assert clock is anyio.current_time
    before = anyio.current_time()
    now = clock()
    assert before <= now <= anyio.current_time()


@pytest.mark.anyio
async def test_the_scopes_are_anyios_and_keep_their_deadline(anyio_backend: str) -> None:
    make = scope_factory(current_loop_token())
    clock = loop_clock(current_loop_token())
    with make(deadline=clock() - 1.0) as scope:
        assert isinstance(scope, anyio.CancelScope)
        await anyio.sleep(30)
    assert scope.cancelled_caught
    with make() as scope:
        scope.cancel()
        await anyio.sleep(30)
    assert scope.cancelled_caught
    with make(shield=True) as scope:
        assert scope.shield


def test_a_loop_with_its_own_time_is_read_through_it() -> None:
    class Shifted(asyncio.SelectorEventLoop):
        def time(self) -> float:
            return time.monotonic() + 0.5  # within the check's second of anyio's clock

    async def main() -> None:
        loop = asyncio.get_running_loop()
        clock = loop_clock(current_loop_token())
        assert clock == loop.time
        assert clock() - time.monotonic() > 0.4

    loop = Shifted()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


@pytest.mark.anyio
async def test_the_loop_token_is_anyios(anyio_backend: str) -> None:
    # under asyncio it is found without anyio's backend look-up: the same token all the same
    import anyio.lowlevel

    assert current_loop_token() is anyio.lowlevel.current_token().native_token


def test_trio_in_guest_mode_on_asyncio_gets_trios_token() -> None:
    # trio's tasks run inside asyncio callbacks, outside any asyncio task: the running
    # asyncio loop is not the token there
    trio = pytest.importorskip("trio")
    tokens: list[object] = []

    async def trio_main() -> None:
        tokens.append(current_loop_token())
        tokens.append(trio.lowlevel.current_trio_token())

    async def host() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        trio.lowlevel.start_guest_run(
            trio_main,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=lambda outcome: done.set_result(outcome.unwrap()),
            host_uses_signal_set_wakeup_fd=True,
        )
        await done
        tokens.append(current_loop_token())
        tokens.append(loop)

    asyncio.run(host())
    assert tokens[0] is tokens[1]
    assert tokens[2] is tokens[3]
