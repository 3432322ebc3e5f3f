"""The dialects that claim nothing: generic SSE, plain text and a raw JSON body.

* ``sse``: every event comes out as a ``raw`` event (its name, data and id);
* ``plain-text``: the body is the text (``text-delta`` events);
* ``json``: a JSON body no dialect recognizes is one ``raw`` event named ``json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import jsonlib as _json
from .base import JSONEventDialect

__all__ = ["JSONDocumentDialect", "PlainTextDialect", "RawSSEDialect"]


class RawSSEDialect(JSONEventDialect):
    name = "sse"


class PlainTextDialect:
    name = "plain-text"
    max_json_depth = _json.DEFAULT_MAX_DEPTH

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []

    def feed(self, units: Sequence[str], out: list[Any]) -> None:
        for text in units:
            if text:
                out.append({"type": "text-delta", "delta": text})

    def end(self, out: list[Any], *, done: bool) -> None:
        return None


class JSONDocumentDialect:
    name = "json"
    max_json_depth = _json.DEFAULT_MAX_DEPTH

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []

    def feed(self, units: Sequence[Any], out: list[Any]) -> None:
        for document in units:
            out.append({"type": "raw", "event": "json", "data": document})

    def end(self, out: list[Any], *, done: bool) -> None:
        return None
