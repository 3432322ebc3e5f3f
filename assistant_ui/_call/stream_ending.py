"""How a streamed call ends: what ``close()`` does, the release, the end log line.

:class:`StreamEnding` is the base of :class:`~.stream_flow.StreamFlow` that holds the
call's end state (opened, at its end, released) and the decisions about it; the flow
itself (sending, reading, resuming) is in :mod:`.stream_flow`.
"""

from __future__ import annotations

from .._log import log_stream_end
from ..errors import APITimeoutError
from .actions import CANCELLED, Release
from .options import CallOptions
from .state import ChatCall
from .stream_errors import StreamErrors

__all__ = ["StreamEnding"]


class StreamEnding(StreamErrors):
    """The end state of one streamed call and its decisions (a base of ``StreamFlow``)."""

    __slots__ = ("eof", "logged_end", "mono_start", "opened", "released")

    def __init__(self, opts: CallOptions, call: ChatCall) -> None:
        super().__init__(opts, call)
        #: ``time.monotonic()`` at the start (the send flow's deadline, the end log line)
        self.mono_start = 0.0
        self.logged_end = False
        self.opened = False
        #: no more events will come (the body ended, or the stream was stopped)
        self.eof = False
        #: the connection was handed back (or is being)
        self.released = False

    def close_action(self, busy: bool) -> Release | object | None:
        """What ``close()`` does: None (nothing left), :data:`CANCELLED` (another
        thread or task is reading: cancel it, it releases) or a :class:`Release`."""
        if self.released:
            self.eof = True
            return None
        if busy:
            return CANCELLED
        if self.eof or (self.opened and self.message_done()):
            return Release(drain=not self.eof)
        self.call.cancelled = True
        return Release()

    def begin_release(self) -> bool:
        """The call ends: False when it was released already."""
        self.eof = True
        if self.released:
            return False
        self.log_end()
        return True

    def log_end(self) -> None:
        if self.logged_end:
            return
        self.logged_end = True
        response = self.response
        if response is None:
            return
        error = self.error
        if error is not None:
            outcome = "timeout" if isinstance(error, APITimeoutError) else f"error: {type(error).__name__}"
        elif self.call.cancelled:
            outcome = "cancelled"
        else:
            outcome = "complete"
        resumed = self.call.resumed
        if resumed:
            outcome += f" (resumed {resumed} time{'s' if resumed != 1 else ''})"
        log_stream_end(response.request, outcome, len(self.call.events), self.mono_start)

    def message_done(self) -> bool:
        """The message is complete although the body may not have ended."""
        decoder = self.call.decoder
        if decoder is not None and decoder.done:
            return True
        return self.call.acc.status.get("type") != "running"
