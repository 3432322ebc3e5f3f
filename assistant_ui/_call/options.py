"""The options of one call, written once.

:class:`ChatOptions` is what the public calls (``chat``, ``chat_sync``, ``stream``,
``stream_sync``, ``run``...) take as keywords, typed (``**options:
Unpack[ChatOptions]``) so that a type checker rejects a misspelt name.
:class:`CallOptions` is the per-call knobs resolved against the client's defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, Union

from .._wire.limits import DEFAULT_MAX_RESPONSE_SIZE, check_max_response_size

if sys.version_info >= (3, 11):  # (typing_extensions costs ~3 ms of import time)
    from typing import TypedDict
else:  # pragma: no cover
    from typing_extensions import TypedDict

__all__ = [
    "CALL_KNOBS",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "CallOptions",
    "ChatOptions",
    "RunOptions",
    "ToolLike",
    "ToolsParam",
    "check_max_response_size",
    "split_options",
]


class ToolLike(Protocol):
    """Anything with a name and a JSON-Schema spec: an ``@tool``, a ``Tool`` object."""

    @property
    def name(self) -> str: ...

    def to_spec(self) -> dict[str, Any]: ...


#: what ``tools=`` accepts: the seed's ``{name: {"description", "parameters"}}``
#: mapping, or an iterable (a list, a ``Toolbox``) of ``@tool`` objects, plain
#: functions and ``{"name", "description", "parameters"}`` dicts
ToolsParam = Union[
    Mapping[str, Mapping[str, Any]],
    Iterable[Union[ToolLike, Callable[..., Any], Mapping[str, Any]]],
]


class ChatOptions(TypedDict, total=False):
    """The keyword options every chat call takes (besides messages, system, tools)."""

    #: assistant-transport commands sent with (or instead of) the messages
    commands: Sequence[Mapping[str, Any]] | None
    #: the backend's run configuration (``runConfig`` in the body)
    run_config: Mapping[str, Any] | None
    #: 0.1.1's spelling of ``run_config``
    runConfig: Mapping[str, Any] | None
    #: the agent state sent with the call (assistant-transport)
    state: Any
    #: the id the backend should give the assistant message
    assistant_message_id: str | None
    #: 0.1.1's spelling of ``assistant_message_id``
    unstable_assistantMessageId: str | None
    #: force a wire format instead of detecting it (``"data-stream"``, ``"openai"``...)
    protocol: str | None
    #: seconds of silence between two decoded events before ``APITimeoutError``
    idle_timeout: float | None
    #: seconds the whole call may take
    deadline: float | None
    #: pick up a body cut by the network when the server allows it
    resume: bool | None
    #: the most bytes one response may decode to (after Content-Encoding); past it:
    #: ``DecodeError`` with ``.partial``
    max_response_size: int | None
    #: more top-level body fields, merged as 0.1.1 merged ``**kwargs``
    extra_body: Mapping[str, Any] | None


class RunOptions(ChatOptions, total=False):
    """The keyword options of the tool-running calls (``run``, ``run_sync``...)."""

    #: the system prompt of every step
    system: str | None
    #: implementations for tools given as schemas: ``{name: function}``
    tool_impls: Mapping[str, Callable[..., Any]] | None
    #: asked before each tool call: True runs it, False or a reason (str) refuses it
    approve: Callable[[Any], Any] | None
    #: seconds a tool call may take (tools without a timeout of their own)
    tool_timeout: float | None
    #: the most calls of a step that run at once
    max_concurrency: int | None


#: the options that tune the call rather than fill the request body
CALL_KNOBS = ("protocol", "idle_timeout", "deadline", "resume", "max_response_size")

def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(body options, call knobs, extra body fields) of a call's keywords.

    Keywords that are not :class:`ChatOptions` keys are extra body fields too (0.1.1
    merged every keyword argument into the body); typed code says ``extra_body=``.
    """
    body: dict[str, Any] = {}
    knobs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in options.items():
        if key in CALL_KNOBS:
            knobs[key] = value
        elif key == "extra_body":
            if value is not None:
                if not isinstance(value, Mapping):
                    raise TypeError("extra_body must be a mapping of body fields")
                extra.update(value)
        elif key in ChatOptions.__annotations__:
            body[key] = value
        else:
            extra[key] = value
    return body, knobs, extra


class CallOptions:
    """Per-call knobs, resolved from the client defaults and the call's keywords."""

    __slots__ = (
        "deadline",
        "idle_timeout",
        "max_event_size",
        "max_response_size",
        "max_resume_attempts",
        "protocol",
        "resume",
    )

    def __init__(
        self,
        *,
        protocol: str | None,
        idle_timeout: float | None,
        deadline: float | None,
        max_event_size: int,
        resume: bool,
        max_resume_attempts: int,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self.protocol = protocol
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.max_event_size = max_event_size
        self.resume = resume
        self.max_resume_attempts = max_resume_attempts
        #: the most bytes one response may decode to
        self.max_response_size = max_response_size

    def deadline_message(self) -> str:
        if self.deadline is None:
            return "the call exceeded its deadline"
        return f"the call exceeded its deadline of {self.deadline:g} s"
