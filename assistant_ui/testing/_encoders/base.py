"""What every encoder shares: the format list, :class:`EncodedStream`, the
:class:`Encoder` base class, part and tool bookkeeping, and small JSON/SSE helpers.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DONE",
    "FORMATS",
    "FORMAT_EVENTS",
    "IDS",
    "SSE_HEARTBEAT",
    "EncodedStream",
    "Encoder",
    "Parts",
    "ToolState",
    "args_text",
    "dumps",
    "put_opt",
    "sse_line",
    "usage_dict",
]


#: every format :func:`encode` knows
FORMATS = (
    "data-stream",
    "assistant-transport",
    "ui-message-stream",
    "openai",
    "openai-json",
    "plain-text",
    "sse",
)

_COMMON = frozenset(
    {
        "text-delta",
        "reasoning-delta",
        "reasoning-start",
        "tool-call-start",
        "tool-call-delta",
        "tool-call",
        "tool-result",
        "source",
        "file",
        "data",
        "annotations",
        "state-update",
        "step-start",
        "step-finish",
        "finish",
        "error",
    }
)

#: the event types each format carries (see the module docstring for the finer limits)
FORMAT_EVENTS: Mapping[str, frozenset[str]] = {
    "data-stream": _COMMON,
    "assistant-transport": _COMMON | {"text-start"},
    "ui-message-stream": frozenset(
        {
            "text-delta",
            "reasoning-delta",
            "tool-call-start",
            "tool-call-delta",
            "tool-call",
            "tool-result",
            "source",
            "file",
            "data",
            "metadata",
            "step-start",
            "step-finish",
            "finish",
            "error",
        }
    ),
    "openai": frozenset(
        {
            "text-delta",
            "reasoning-delta",
            "tool-call-start",
            "tool-call-delta",
            "tool-call",
            "metadata",
            "finish",
            "error",
        }
    ),
    "openai-json": frozenset(
        {"text-delta", "reasoning-delta", "tool-call-start", "tool-call-delta", "tool-call",
         "metadata", "finish", "error"}
    ),
    "plain-text": frozenset({"text-delta"}),
    "sse": frozenset({"raw"}),
}

SSE_HEARTBEAT = b": heartbeat\n\n"
DONE = b"data: [DONE]\n\n"
IDS = itertools.count(1)


def dumps(value: Any) -> str:
    """Compact JSON (like ``JSON.stringify``), UTF-8 left as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse_line(value: Any) -> str:
    return f"data: {dumps(value)}\n\n"


def usage_dict(usage: Any) -> dict[str, Any]:
    if not isinstance(usage, Mapping):
        return {"inputTokens": 0, "outputTokens": 0}
    return dict(usage)


def args_text(ev: Mapping[str, Any]) -> str:
    """The argument text of a ``tool-call`` event (``argsText``, else the JSON of ``args``)."""
    text = ev.get("argsText")
    if isinstance(text, str) and text:
        return text
    args = ev.get("args")
    return dumps(args) if isinstance(args, dict) and args else "{}"


def put_opt(target: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    if value is not None:
        target[key] = value
    return target


@dataclass
class EncodedStream:
    """An encoded response: its headers and its body as an iterator of chunks.

    ``chunks`` yields one ``bytes`` per event (events that encode to nothing yield
    nothing), plus a closing chunk for the formats that have one; it can be
    consumed once. ``heartbeat`` is the format's keep-alive (``None`` when the
    format has none).
    """

    format: str
    content_type: str
    headers: dict[str, str]
    chunks: Iterator[bytes]
    heartbeat: bytes | None = None

    def body(self) -> bytes:
        """The whole body (consumes :attr:`chunks`)."""
        return b"".join(self.chunks)


# -- the encoders ------------------------------------------------------------------


class Encoder:
    """Stateful: ``event()`` per event, then ``end()``. Both return text to send."""

    format = ""
    content_type = "text/event-stream"
    heartbeat: bytes | None = SSE_HEARTBEAT

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type, "cache-control": "no-cache"}

    def event(self, ev: Mapping[str, Any]) -> str:
        kind = ev.get("type")
        handler = getattr(self, "on_" + str(kind).replace("-", "_"), None)
        if handler is None or kind not in FORMAT_EVENTS[self.format]:
            return self.unsupported(ev)
        out: list[str] = []
        handler(ev, out)
        return "".join(out)

    def unsupported(self, ev: Mapping[str, Any]) -> str:
        if self.strict:
            raise ValueError(f"the {self.format} format cannot carry a {ev.get('type')!r} event")
        return ""

    def end(self) -> str:
        return ""


class Parts:
    """Mirrors the accumulator's part rules, so that encoders know when a part begins.

    Consecutive text (or reasoning) deltas with the same parentId extend one part;
    a part-creating event (a new tool call, a source, a file, a new data part,
    ``text-start``/``reasoning-start``) ends it. A named data event whose
    ``(name, id)`` is already known replaces that part and creates nothing.
    """

    def __init__(self) -> None:
        self.kind: str | None = None
        self.parent: Any = None
        self.data_keys: set[tuple[str, str]] = set()

    def extends(self, kind: str, parent: Any) -> bool:
        return self.kind == kind and self.parent == parent

    def is_replace(self, ev: Mapping[str, Any]) -> bool:
        """A named data event that replaces an earlier part (and records a new one)."""
        name, part_id = ev.get("name"), ev.get("id")
        if not isinstance(name, str) or part_id is None:
            return False
        key = (name, str(part_id))
        if key in self.data_keys:
            return True
        self.data_keys.add(key)
        return False


class ToolState:
    __slots__ = ("args", "index", "name", "open", "result_sent", "text")

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.open = True
        self.text: list[str] = []
        self.args: Any = None
        self.result_sent = False
