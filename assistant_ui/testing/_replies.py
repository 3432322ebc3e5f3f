"""Scripted replies for the fake backend: :class:`Reply` and the helpers that build them.

A reply is a list of normalized events (:mod:`assistant_ui.events`) plus how to
send them (format, pacing, status, headers, a cut). The builders make the
usual shapes::

    text_reply("Hello!")                                  # streamed word by word
    tool_call_reply("get_weather", {"city": "Paris"})     # a call left to the client
    message_events(text_events("Hi "), tool_call_events("f", {}, result=1))
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from ._encoders import FORMATS

__all__ = [
    "OMIT",
    "Reply",
    "ReplyLike",
    "Responder",
    "as_reply",
    "count_output",
    "message_events",
    "text_events",
    "text_reply",
    "tool_call_events",
    "tool_call_reply",
]

_call_ids = itertools.count(1)


class _Omitted:
    def __repr__(self) -> str:
        return "<omitted>"


#: the default ``result`` of :func:`tool_call_reply`: no result (a client-side tool)
OMIT: Any = _Omitted()


@dataclass
class Reply:
    """One scripted answer.

    ``events`` are normalized events (:mod:`assistant_ui.events`), sent in
    ``format`` (one of :data:`~assistant_ui.testing.FORMATS`; ``None``: the
    backend's default, else picked from the request: ``data-stream`` for
    assistant-ui bodies, ``ui-message-stream`` for AI SDK bodies, ``openai`` for
    OpenAI bodies, ``openai-json`` when those ask for ``stream: false``).

    ``delay`` seconds pass before each chunk (``None``: the backend's default);
    while waiting, a keep-alive is sent every ``heartbeat`` seconds when given.
    ``cut_after=n`` drops the connection after ``n`` chunks, as a network cut
    would. ``status`` and ``headers`` set the response head (``headers`` are
    added to, or replace, the format's own).

    Instead of events, ``body`` sends a fixed body (``bytes``, ``str``, or any
    JSON value, sent as ``application/json``) and ``chunks`` streams raw
    pieces. A reply with an error ``status`` and nothing else sends an
    OpenAI-style JSON error.
    """

    events: Sequence[Mapping[str, Any]] = ()
    format: str | None = None
    delay: float | None = None
    status: int = 200
    headers: Mapping[str, str] | None = None
    heartbeat: float | None = None
    cut_after: int | None = None
    body: Any = None
    chunks: Sequence[bytes | str] | None = None

    def __post_init__(self) -> None:
        self.events = [dict(ev) for ev in self.events]
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}; expected one of {', '.join(FORMATS)}")


ReplyLike = Union[Reply, str]
Responder = Callable[[Any], Union[ReplyLike, Awaitable[ReplyLike]]]


def as_reply(value: ReplyLike) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return text_reply(value)
    raise TypeError(f"a responder must return a Reply or a str, not {type(value).__name__}")


# -- building scripts ----------------------------------------------------------------

_WORDS = re.compile(r"\S+\s*|\s+")


def text_events(text: str, *, parent_id: str | None = None) -> list[dict[str, Any]]:
    """``text-delta`` events for ``text``, one per word (with its trailing spaces)."""
    events: list[dict[str, Any]] = []
    for word in _WORDS.findall(text):
        ev: dict[str, Any] = {"type": "text-delta", "delta": word}
        if parent_id is not None:
            ev["parentId"] = parent_id
        events.append(ev)
    return events


def tool_call_events(
    name: str,
    args: Mapping[str, Any] | None = None,
    call_id: str | None = None,
    result: Any = OMIT,
    *,
    is_error: bool = False,
    piece_size: int = 12,
) -> list[dict[str, Any]]:
    """A tool call with its arguments streamed in pieces, and its result unless omitted."""
    call_id = call_id or f"call_{next(_call_ids)}"
    args = dict(args or {})
    args_text = json.dumps(args)
    events: list[dict[str, Any]] = [{"type": "tool-call-start", "toolCallId": call_id, "toolName": name}]
    for i in range(0, len(args_text), max(1, piece_size)):
        events.append({"type": "tool-call-delta", "toolCallId": call_id,
                       "argsTextDelta": args_text[i : i + piece_size]})
    events.append({"type": "tool-call", "toolCallId": call_id, "toolName": name,
                   "args": args, "argsText": args_text})
    if result is not OMIT:
        events.append({"type": "tool-result", "toolCallId": call_id, "toolName": name,
                       "result": result, "isError": is_error})
    return events


def count_output(events: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for ev in events if ev.get("type") in ("text-delta", "reasoning-delta",
                                                        "tool-call-delta"))


def message_events(
    *steps: Sequence[Mapping[str, Any]],
    finish_reason: str | None = None,
    usage: Mapping[str, int] | None = None,
    message_id: str | None = None,
) -> list[dict[str, Any]]:
    """Wrap groups of events into steps (``step-start`` ... ``step-finish``) and a ``finish``.

    A step's finish reason is ``tool-calls`` when it holds a tool call, else
    ``stop``; the message's is ``tool-calls`` when a tool call has no result, else
    ``stop`` (or ``finish_reason``). ``usage`` defaults to counting the deltas.
    """
    out: list[dict[str, Any]] = []
    pending: set[str] = set()
    total_out = 0
    for step in steps:
        step_start: dict[str, Any] = {"type": "step-start"}
        if message_id is not None:
            step_start["messageId"] = message_id
        out.append(step_start)
        has_call = False
        for ev in step:
            out.append(dict(ev))
            if ev.get("type") == "tool-call":
                has_call = True
                pending.add(str(ev.get("toolCallId")))
            elif ev.get("type") == "tool-result":
                pending.discard(str(ev.get("toolCallId")))
        n = count_output(step)
        total_out += n
        out.append({
            "type": "step-finish",
            "finishReason": "tool-calls" if has_call else "stop",
            "usage": {"inputTokens": 0, "outputTokens": n},
            "isContinued": False,
        })
    final_usage = dict(usage) if usage is not None else {"inputTokens": 0, "outputTokens": total_out}
    out.append({
        "type": "finish",
        "finishReason": finish_reason or ("tool-calls" if pending else "stop"),
        "usage": final_usage,
    })
    return out


def text_reply(
    text: str,
    *,
    format: str | None = None,
    delay: float | None = None,
    usage: Mapping[str, int] | None = None,
    message_id: str | None = None,
    **reply_kwargs: Any,
) -> Reply:
    """A reply streaming ``text`` word by word, in one step, finishing with ``stop``."""
    events = message_events(text_events(text), usage=usage, message_id=message_id)
    return Reply(events=events, format=format, delay=delay, **reply_kwargs)


def tool_call_reply(
    name: str,
    args: Mapping[str, Any] | None = None,
    call_id: str | None = None,
    result: Any = OMIT,
    *,
    text: str | None = None,
    is_error: bool = False,
    format: str | None = None,
    delay: float | None = None,
    usage: Mapping[str, int] | None = None,
    message_id: str | None = None,
    **reply_kwargs: Any,
) -> Reply:
    """A reply with one tool call (after ``text``, if given).

    Leave ``result`` out for a client-side tool: the message then ends in
    ``requires-action``, waiting for the client's result. With a ``result`` the
    backend resolved the call itself and the message is complete.
    """
    step: list[dict[str, Any]] = text_events(text) if text else []
    step += tool_call_events(name, args, call_id, result, is_error=is_error)
    events = message_events(step, usage=usage, message_id=message_id)
    return Reply(events=events, format=format, delay=delay, **reply_kwargs)
