"""The cancel notice is bounded, and reaches the server even while the client closes.

Issue #17 item 5: a cancel endpoint that trickles, answers 1.5 GB or a gzip bomb
kept ``cancel_sync()`` blocked, read it all, or raised ``MemoryError``; a broken
gzip answer raised ``httpx.DecodingError``. The notice now has a short total
deadline of its own (``NOTICE_DEADLINE``) and reads at most ``NOTICE_BODY_LIMIT``
bytes of its answer, as sent (never decompressed).

Issue #13 item 6: ``threading.Timer(2.0, thread.cancel_sync)`` inside ``with
AssistantClient(...)`` raised a raw ``RuntimeError`` in the timer thread when the
client closed first; the notice now holds the client open until it is done, and
one sent after the close goes out on a short-lived client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from hostile_servers import HostileServer

from assistant_ui import AssistantClient
from assistant_ui._call import send_flow
from assistant_ui._call.retry import RetryPolicy
from assistant_ui._wire.requests import RequestSpec
from assistant_ui.errors import APITimeoutError

pytestmark = pytest.mark.timeout(60)

DEADLINE = 1.0


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    monkeypatch.setattr(send_flow, "NOTICE_DEADLINE", DEADLINE, raising=False)
    with HostileServer() as srv:
        yield srv


def make_client(server: HostileServer) -> AssistantClient:
    client = AssistantClient(server.base_url, timeout=httpx.Timeout(10.0, pool=1.0))
    client.retry = RetryPolicy(client.retry.max_retries, base_delay=0.001, max_delay=0.01)
    return client


def timed_cancel_sync(server: HostileServer, mode: str | None, mib: int = 64) -> float:
    server.cancel_mode = mode
    server.cancel_mib = mib
    with make_client(server) as client:
        started = time.monotonic()
        client.threads("t").cancel_sync()
        return time.monotonic() - started


async def timed_cancel_async(server: HostileServer, mode: str | None, mib: int = 64) -> float:
    server.cancel_mode = mode
    server.cancel_mib = mib
    async with make_client(server) as client:
        started = time.monotonic()
        await client.threads("t").cancel()
        return time.monotonic() - started


def test_a_trickling_cancel_answer_is_cut_at_the_deadline_sync(server: HostileServer) -> None:
    elapsed = timed_cancel_sync(server, "trickle")
    assert DEADLINE * 0.8 <= elapsed < DEADLINE + 1.0, elapsed
    assert server.cancels == 1


@pytest.mark.anyio
async def test_a_trickling_cancel_answer_is_cut_at_the_deadline_async(server: HostileServer, anyio_backend: str) -> None:
    elapsed = await timed_cancel_async(server, "trickle")
    assert DEADLINE * 0.8 <= elapsed < DEADLINE + 1.0, elapsed


def test_a_huge_cancel_answer_is_not_read_sync(server: HostileServer) -> None:
    elapsed = timed_cancel_sync(server, "huge", mib=256)
    assert elapsed < DEADLINE + 0.5
    assert server.cancels == 1
    assert not server.cancel_finished
    assert server.cancel_bytes < 64 << 20  # the socket buffers, not 256 MiB


@pytest.mark.parametrize("mode", ["gzip-bomb", "broken-gzip"])
def test_a_compressed_cancel_answer_is_never_decompressed_sync(server: HostileServer, mode: str) -> None:
    elapsed = timed_cancel_sync(server, mode, mib=1024)
    assert elapsed < DEADLINE + 0.5
    assert server.cancels == 1


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["gzip-bomb", "broken-gzip", "huge"])
async def test_a_hostile_cancel_answer_async(server: HostileServer, mode: str, anyio_backend: str) -> None:
    elapsed = await timed_cancel_async(server, mode, mib=1024)
    assert elapsed < DEADLINE + 0.5
    assert server.cancels == 1


def test_a_silent_cancel_endpoint_ends_in_a_typed_timeout(server: HostileServer) -> None:
    # a notice to an endpoint that never answers (the raw server's ``blackhole``)
    notice = RequestSpec("POST", "/api/chat", json={"fault": "blackhole"})
    with make_client(server) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client._send_sync(notice)
        assert time.monotonic() - started < DEADLINE + 0.5


def test_close_waits_for_a_cancel_notice_in_flight(server: HostileServer) -> None:
    server.cancel_mode = "slow"
    errors: list[BaseException] = []
    with make_client(server) as client:
        assert not client.sync_http.is_closed  # the shared client is open, as during a chat
        thread = client.threads("t")

        def cancel() -> None:
            try:
                thread.cancel_sync()
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=cancel)
        worker.start()
        time.sleep(0.2)  # the notice is waiting for its answer
    worker.join(10)
    assert errors == []
    assert server.cancels == 1
    assert server.cancel_finished


def test_a_cancel_after_close_reaches_the_server_and_leaves_nothing_open(server: HostileServer) -> None:
    client = make_client(server)
    assert not client.sync_http.is_closed
    client.close_sync()
    client.threads("t").cancel_sync()
    assert server.cancels == 1
    assert client._http._sync is None  # no shared client was made again (and left open)


@pytest.mark.anyio
async def test_an_async_notice_whose_client_closes_meanwhile_fails_typed(
    server: HostileServer, anyio_backend: str
) -> None:
    import anyio

    from assistant_ui.errors import AssistantUIError

    server.cancel_mode = "slow"
    outcomes: list[BaseException | None] = []
    client = make_client(server)

    async def cancel() -> None:
        try:
            await client.threads("t").cancel()
        except BaseException as exc:
            outcomes.append(exc)
        else:
            outcomes.append(None)

    async with anyio.create_task_group() as tg:
        tg.start_soon(cancel)
        await anyio.sleep(0.2)  # the notice is waiting for its answer
        await client.close()
    assert server.cancels >= 1
    assert len(outcomes) == 1
    assert outcomes[0] is None or isinstance(outcomes[0], AssistantUIError), repr(outcomes[0])
