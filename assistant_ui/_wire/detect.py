"""Recognizing the wire format (protocols.md §1). Pure functions on headers and bytes."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CANONICAL_TYPES",
    "LEGACY_TYPES",
    "framing_from_headers",
    "looks_like_aws_prelude",
    "sniff_body_start",
    "sniff_sse_payload",
]

_UI_TYPES = frozenset(
    {
        "start",
        "start-step",
        "text-start",
        "text-end",
        "reasoning-start",
        "reasoning-end",
        "source-url",
        "source-document",
        "finish-step",
        "finish",
        "message-metadata",
        "abort",
        "file",
        "reasoning-file",
        "custom",
        "steering-message",
        "reset-step",
        "tool-approval-request",
        "tool-approval-response",
    }
)
#: assistant-transport chunk types only the canonical form has
CANONICAL_TYPES = frozenset(
    {
        "part-start",
        "part-finish",
        "result",
        "step-start",
        "step-finish",
        "message-finish",
        "update-state",
        "tool-call-args-text-finish",
    }
)
#: assistant-transport chunk types only the legacy flat form has
LEGACY_TYPES = frozenset({"tool-call-begin", "tool-call-delta", "tool-result", "reasoning-delta"})


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                return val.strip()
        return ""
    return value.strip()


def framing_from_headers(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """``(framing, protocol)`` from response headers; protocol ``None`` means "sniff".

    Framings: ``aws``, ``sse``, ``lines``, ``json``, ``sniff-text`` (text/plain with
    no header: data stream or plain text) and ``sniff`` (no usable content type).
    """
    content_type = _header(headers, "content-type").lower()
    mime = content_type.split(";", 1)[0].strip()
    if mime == "application/vnd.amazon.eventstream":
        return "aws", "aws-eventstream"
    if _header(headers, "x-vercel-ai-ui-message-stream") == "v1":
        return "sse", "ui-message-stream"
    if _header(headers, "x-vercel-ai-data-stream") == "v1":
        return "lines", "data-stream"
    if _header(headers, "assistant-stream-format") == "object-stream/v0":
        return "sse", "object-stream"
    if mime == "application/json" or mime.endswith("+json"):
        return "json", None
    if mime == "text/event-stream":
        return "sse", None
    if mime == "text/plain":
        return "sniff-text", None
    return "sniff", None


def sniff_sse_payload(value: Any) -> str:
    """Which SSE dialect a first JSON ``data:`` payload belongs to (protocols.md §1)."""
    if isinstance(value, list):
        if value and all(
            isinstance(op, dict) and op.get("type") in ("set", "append-text") and "path" in op
            for op in value
        ):
            return "object-stream"
        return "sse"
    if not isinstance(value, dict):
        return "sse"
    if "choices" in value or value.get("object") == "chat.completion.chunk":
        return "openai"
    kind = value.get("type")
    if not isinstance(kind, (str, type(None))):
        kind = None  # a list or an object is no type (and cannot be looked up)
    if isinstance(value.get("path"), list) or kind in CANONICAL_TYPES:
        return "assistant-transport"
    if not isinstance(kind, str):
        if isinstance(value.get("error"), dict):
            return "openai"
        return "sse"
    if kind == "reasoning-delta":
        return "assistant-transport" if "reasoningDelta" in value else "ui-message-stream"
    if kind in LEGACY_TYPES:
        return "assistant-transport"
    if kind == "text-delta":
        if "textDelta" in value:
            return "assistant-transport"
        if "delta" in value:
            return "ui-message-stream"
        return "sse"
    if kind == "error":
        return "ui-message-stream" if "errorText" in value else "assistant-transport"
    if kind in _UI_TYPES or kind.startswith("data-") or kind.startswith("tool-input-") or kind.startswith("tool-output-"):
        return "ui-message-stream"
    if kind in ("data", "annotations", "source"):
        return "assistant-transport"
    return "sse"


def looks_like_aws_prelude(data: bytes) -> bool:
    """Do the first 12 bytes form an AWS event-stream prelude with a valid CRC?"""
    if len(data) < 12:
        return False
    total, headers_len, crc = struct.unpack_from(">III", data, 0)
    return bool(
        total >= 16 and headers_len <= total - 16 and zlib.crc32(data[:8]) & 0xFFFFFFFF == crc
    )


_SSE_STARTS = (b"data:", b"event:", b"id:", b"retry:", b":", b"data\n", b"data\r")


def sniff_body_start(first_line: bytes, head: bytes) -> str:
    """Pick a protocol from the start of a body whose headers said nothing useful.

    ``first_line`` is the first non-blank line, ``head`` the raw bytes seen so far.
    """
    from .dialects.data_stream import looks_like_data_stream

    if looks_like_aws_prelude(head):
        return "aws-eventstream"
    stripped = first_line.lstrip()
    if stripped.startswith(_SSE_STARTS) or stripped in (b"data", b"event", b"id"):
        return "sse"
    if looks_like_data_stream(first_line):
        return "data-stream"
    if stripped.startswith((b"{", b"[")):
        return "json"
    return "plain-text"
