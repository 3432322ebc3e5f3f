"""The transport seam: what the call drivers need of a way to reach a backend.

A transport opens a request (:meth:`SyncTransport.attempt`), hands out the chunks
of its answer (:meth:`SyncTransport.body`), closes it, and aborts a blocked read
from another thread. It also says what its exceptions mean
(:meth:`SyncTransport.classify`), so that the pure call core (``assistant_ui._call``)
decides retries and resumes without knowing the transport's library. The HTTP
transport (:mod:`.http`, over httpx) is the first implementation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from .._call.actions import Attempt, AttemptOutcome, ReadNotice
from .._call.decisions import FailureKind

__all__ = ["AsyncTransport", "SyncTransport"]


class SyncTransport(Protocol):
    """A blocking transport."""

    def attempt(self, action: Attempt) -> AttemptOutcome:
        """Build the request of ``action`` and send it once (never raises for a
        transport failure: the outcome carries it)."""
        ...

    def read_error_body(self, response: Any, deadline_at: float | None = None) -> str:
        """A bounded prefix of a response that is not the answer (read until
        ``deadline_at`` at the latest); closes it."""
        ...

    def read_notice(self, action: ReadNotice) -> None:
        """Read at most ``action.limit`` raw bytes of a notice's answer, then close it."""
        ...

    def body(self, response: Any) -> Iterator[bytes]:
        """The chunks of ``response``'s body, as they arrive."""
        ...

    def classify(self, exc: BaseException) -> FailureKind | None:
        """What a read's exception means; None: not the transport's (propagate it)."""
        ...

    def close(self, response: Any) -> None:
        """Close ``response`` now (its connection is discarded unless the body ended)."""
        ...

    def abort(self, response: Any) -> None:
        """From any thread: make a read blocked on ``response`` return at once."""
        ...


class AsyncTransport(Protocol):
    """A transport for async code (asyncio or trio, through anyio)."""

    async def attempt(self, action: Attempt) -> AttemptOutcome:
        ...

    async def read_error_body(self, response: Any, deadline_at: float | None = None) -> str:
        ...

    async def read_notice(self, action: ReadNotice) -> None:
        ...

    def body(self, response: Any) -> AsyncIterator[bytes]:
        ...

    def classify(self, exc: BaseException) -> FailureKind | None:
        ...

    async def close(self, body: AsyncIterator[bytes] | None, response: Any, *, drain: bool) -> None:
        """Hand ``response``'s connection back: drain a finished body's tail (bounded),
        or cut it off. Never raises."""
        ...

    def abortable(self, response: Any) -> bool:
        """Whether :meth:`abort` can end a read awaited on ``response`` (if not, each
        read gets a cancel scope, which costs more)."""
        ...

    def abort(self, response: Any) -> None:
        """On the call's event loop: make a read awaited on ``response`` (by another
        task) fail at once."""
        ...
