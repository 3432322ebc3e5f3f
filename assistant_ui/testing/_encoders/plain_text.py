"""The ``plain-text`` encoder: non-empty text deltas only (one text part).

Text that starts like a data stream line (``0:"...``) is sniffed as one: decode
with ``protocol="plain-text"`` then.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    Encoder,
)

__all__ = ["PlainTextEncoder"]


class PlainTextEncoder(Encoder):
    format = "plain-text"
    content_type = "text/plain; charset=utf-8"
    heartbeat = None

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type}

    def on_text_delta(self, ev: Mapping[str, Any], out: list[str]) -> None:
        out.append(ev["delta"])
