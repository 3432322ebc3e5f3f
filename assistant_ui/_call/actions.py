"""What the call flows ask their drivers to do, and what the drivers answer.

The flows (:mod:`.send_flow`, :mod:`.stream_flow`) are generators: they ``yield``
one of these actions and receive its outcome, the way httpx's ``auth_flow`` yields
requests and receives responses. A sync driver and an async driver perform them;
nothing here does I/O. Transport objects (requests, responses) pass through as
opaque values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from .decisions import FailureKind

T = TypeVar("T")

__all__ = [
    "CANCELLED",
    "END",
    "READY",
    "UNBOUNDED_READ",
    "Attach",
    "Attempt",
    "AttemptOutcome",
    "CloseBody",
    "Discard",
    "Read",
    "ReadErrorBody",
    "ReadFailed",
    "ReadNotice",
    "Release",
    "Send",
    "SendOutcome",
    "Sleep",
    "TimedOut",
    "drive",
    "drive_async",
]

# -- sending one request (send_flow) ----------------------------------------------------


class Attempt:
    """Resolve the headers, build the request and send it once."""

    __slots__ = ("attempt", "extra_headers", "max_retries", "remaining", "spec", "stream")

    def __init__(
        self,
        spec: Any,
        extra_headers: Any,
        remaining: float | None,
        attempt: int,
        max_retries: int,
        stream: bool,
    ) -> None:
        self.spec = spec
        self.extra_headers = extra_headers
        #: seconds left of the call's deadline (bounds every timeout of the attempt)
        self.remaining = remaining
        self.attempt = attempt
        self.max_retries = max_retries
        self.stream = stream


class AttemptOutcome:
    """The request sent, and its response or the transport's exception."""

    __slots__ = ("error", "kind", "request", "response", "started")

    def __init__(
        self,
        request: Any,
        response: Any = None,
        error: BaseException | None = None,
        kind: FailureKind | None = None,
        started: float = 0.0,
    ) -> None:
        self.request = request
        self.response = response
        self.error = error
        self.kind = kind
        self.started = started


class ReadErrorBody:
    """Read a bounded prefix of a response that is not the answer, then close it (-> str).

    ``deadline_at`` (``time.monotonic()``; None: none) cuts the read short.
    """

    __slots__ = ("deadline_at", "response")

    def __init__(self, response: Any, deadline_at: float | None = None) -> None:
        self.response = response
        self.deadline_at = deadline_at


class ReadNotice:
    """Read at most ``limit`` bytes of the answer to a notice as they came (never
    decompressed), until ``deadline_at`` (``time.monotonic()``), then close it (-> None)."""

    __slots__ = ("deadline_at", "limit", "response")

    def __init__(self, response: Any, limit: int, deadline_at: float) -> None:
        self.response = response
        self.limit = limit
        self.deadline_at = deadline_at


class Sleep:
    """Wait before a retry (-> True when the call was cancelled meanwhile)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


# -- one streamed call (stream_flow) ------------------------------------------------------


class Send:
    """After ``delay``, run the send flow (with its retries) within ``bound``."""

    __slots__ = ("bound", "deadline_at", "delay", "extra_headers", "max_retries", "spec")

    def __init__(
        self,
        spec: Any,
        *,
        extra_headers: Any = None,
        max_retries: int | None = None,
        delay: float = 0.0,
        bound: float | None = None,
        deadline_at: float | None = None,
    ) -> None:
        self.spec = spec
        self.extra_headers = extra_headers
        self.max_retries = max_retries
        self.delay = delay
        #: when the whole send must be over, on the driver's clock (None: no bound)
        self.bound = bound
        #: the call's deadline on ``time.monotonic()``, for the send flow's retries
        self.deadline_at = deadline_at


class SendOutcome:
    """The response (None: cancelled, or ``bound`` passed), or the typed error."""

    __slots__ = ("error", "response")

    def __init__(self, response: Any = None, error: Exception | None = None) -> None:
        self.response = response
        self.error = error


class Attach:
    """Read the body of ``response`` from now on."""

    __slots__ = ("response",)

    def __init__(self, response: Any) -> None:
        self.response = response


class Read:
    """The next body chunk, within ``bound`` (driver's clock; None: no bound).

    Outcomes: ``bytes``, :data:`END`, :data:`CANCELLED`, :class:`TimedOut` or
    :class:`ReadFailed`.
    """

    __slots__ = ("bound",)

    def __init__(self, bound: float | None) -> None:
        self.bound = bound


#: a read without a bound (actions hold no state of their own: one serves every call)
UNBOUNDED_READ = Read(None)


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: the body ended
END = _Marker("END")
#: the call was cancelled (``thread.cancel()``, ``close()`` from elsewhere)
CANCELLED = _Marker("CANCELLED")
#: yielded by a flow, not an outcome: events are buffered for the consumer. The drive
#: returns; the flow is resumed (with None) when the consumer wants more
READY = _Marker("READY")


class TimedOut:
    """The read bound passed (``cause``: the transport's exception, if it raised one)."""

    __slots__ = ("cause",)

    def __init__(self, cause: BaseException | None = None) -> None:
        self.cause = cause


class ReadFailed:
    """The transport raised ``error`` of ``kind`` while reading."""

    __slots__ = ("error", "kind")

    def __init__(self, error: Exception, kind: FailureKind) -> None:
        self.error = error
        self.kind = kind


class CloseBody:
    """Close the body being read (it was cut); the call goes on."""

    __slots__ = ()


class Discard:
    """Close ``response``: it came too late to be used."""

    __slots__ = ("response",)

    def __init__(self, response: Any) -> None:
        self.response = response


class Release:
    """The call is over: hand the connection back (``drain``: read a finished body's
    tail first, so a keep-alive connection can be reused)."""

    __slots__ = ("drain",)

    def __init__(self, drain: bool = False) -> None:
        self.drain = drain


# -- driving a flow -----------------------------------------------------------------------


def drive(flow: Generator[Any, Any, T], perform: Callable[[Any], Any]) -> T:
    """Run ``flow`` to its end, or until it yields :data:`READY` (then None: the flow
    is paused, to be driven again later), performing each other action it yields
    with ``perform``. Only flows whose own value is None yield :data:`READY`."""
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if action is READY:
            return None  # type: ignore[return-value]
        outcome = perform(action)


async def drive_async(flow: Generator[Any, Any, T], perform: Callable[[Any], Awaitable[Any]]) -> T:
    """:func:`drive` for async drivers (``perform`` is awaited)."""
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if action is READY:
            return None  # type: ignore[return-value]
        outcome = await perform(action)
