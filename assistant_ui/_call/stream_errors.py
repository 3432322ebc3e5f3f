"""The typed errors a streamed call ends with, each carrying the partial result."""

from __future__ import annotations

from typing import Any

from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantUIError,
    DecodeError,
    StreamError,
)
from .decisions import FailureKind
from .options import CallOptions
from .send_flow import describe_error
from .state import ChatCall, ReplayMismatch

__all__ = ["StreamErrors"]


class StreamErrors:
    """Builds the errors of one streamed call (a base of :class:`StreamFlow`)."""

    __slots__ = ("call", "error", "opts", "response", "started_at")

    def __init__(self, opts: CallOptions, call: ChatCall) -> None:
        self.opts = opts
        self.call = call
        #: the response being read (the latest one, when the body was resumed)
        self.response: Any = None
        #: the error that ended the stream; ``final()`` raises it again
        self.error: AssistantUIError | None = None
        self.started_at = 0.0

    def request(self) -> Any:
        return self.response.request if self.response is not None else None

    def deadline_passed(self, now: float) -> bool:
        deadline = self.opts.deadline
        return deadline is not None and now >= self.started_at + deadline - 1e-3

    def timeout_message(self, now: float) -> str:
        opts = self.opts
        if self.deadline_passed(now):
            return f"the call exceeded its deadline of {opts.deadline:g} s"
        if opts.idle_timeout is not None:
            return f"no event for {opts.idle_timeout:g} s (idle timeout)"
        return "the read timed out"

    def timeout_error(self, now: float) -> APITimeoutError:
        what = self.timeout_message(now)
        partial = self.call.interrupted_result("timeout", what) if self.response else None
        return APITimeoutError(what, partial=partial, request=self.request())

    def connection_error(self, exc: Exception, kind: FailureKind, now: float) -> AssistantUIError:
        """The error for a body that stopped with ``exc`` and cannot be resumed."""
        if kind is FailureKind.TIMEOUT:
            return self.timeout_error(now)
        if kind is FailureKind.DECODING:
            # the body is not what its Content-Encoding says
            what = f"the body could not be decoded: {describe_error(exc)}"
            return DecodeError(
                what,
                protocol=self.call.decoder.protocol if self.call.decoder else None,
                offset=self.call.consumed,
                partial=self.call.interrupted_result("decode-error", what),
            )
        text = describe_error(exc)
        partial = self.call.interrupted_result("connection-error", text)
        if self.call.acc.status.get("reason") == "error" and partial.status.get("reason") == "error":
            error = partial.status.get("error")
            if isinstance(error, dict) and error.get("code") != "connection-error":
                # the backend reported its own error before the connection dropped
                return StreamError(
                    f"the backend reported an error: {error.get('message')}",
                    partial=partial,
                    code=error.get("code"),
                )
        return APIConnectionError(
            f"the connection was lost mid-response: {type(exc).__name__}: {text}",
            partial=partial,
            request=self.request(),
        )

    def too_large(self) -> DecodeError:
        """The response decoded to more than ``max_response_size`` bytes."""
        limit = self.opts.max_response_size
        what = (
            f"the response decoded to more than max_response_size ({limit} bytes); "
            "pass a larger max_response_size= to accept it"
        )
        return DecodeError(
            what,
            protocol=self.call.decoder.protocol if self.call.decoder else None,
            offset=self.call.consumed,
            partial=self.call.interrupted_result("decode-error", what),
        )

    def decode_error(self, exc: DecodeError) -> DecodeError:
        exc.partial = self.call.interrupted_result("decode-error", exc.message)
        return exc

    def _lost(self, what: str, request: Any) -> APIConnectionError:
        """The body stopped and could not be picked up again: ``what`` says why."""
        return APIConnectionError(
            what,
            partial=self.call.interrupted_result("connection-error", what),
            request=request,
        )

    def replay_error(self, exc: ReplayMismatch) -> APIConnectionError:
        what = f"the stream could not be resumed: {exc}"
        return self._lost(what, self.request())

    def gave_up(self, reason: str) -> APIConnectionError:
        attempts = self.opts.max_resume_attempts
        what = (
            f"the connection was lost mid-response and could not be resumed "
            f"({attempts} attempt{'s' if attempts != 1 else ''}): {reason}"
        )
        return self._lost(what, self.request())

    def refused(self, exc: APIStatusError) -> APIConnectionError:
        what = (
            f"the connection was lost mid-response and the server cannot resume the "
            f"stream (HTTP {exc.status_code} for {exc.response.request.url.path})"
        )
        return self._lost(what, exc.response.request)
