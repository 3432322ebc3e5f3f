"""Writing the chat's output: an answer's events as they arrive, in colour on a terminal."""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

__all__ = ["RESET", "STYLES", "Renderer", "compact", "isatty"]

RESET = "\x1b[0m"
STYLES = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "tool": "\x1b[33m",
    "result": "\x1b[32m",
    "error": "\x1b[31m",
    "notice": "\x1b[36m",
}
# C0 controls (but tab and newline), DEL and C1: a backend must not drive the terminal
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def compact(value: Any, limit: int) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return text


class Renderer:
    """Writes one answer's events as they arrive."""

    def __init__(self, out: TextIO, *, color: bool, sanitize: bool) -> None:
        self.out = out
        self.color = color
        self.sanitize = sanitize
        self._block: str | None = None
        self._at_line_start = True
        self._tool_names: dict[str, str] = {}

    def write(self, text: str, style: str | None = None) -> None:
        if not text:
            return
        if self.sanitize:
            text = _CONTROL.sub("", text)
        if self.color and style:
            self.out.write(f"{STYLES[style]}{text}{RESET}")
        else:
            self.out.write(text)
        self._at_line_start = text.endswith("\n")
        self.out.flush()

    def newline(self) -> None:
        if not self._at_line_start:
            self.write("\n")

    def _enter(self, block: str) -> None:
        if self._block == block:
            return
        self.newline()
        self._block = block
        if block == "reasoning" and not self.color:
            self.write("[reasoning] ")

    def line(self, text: str, style: str | None = None) -> None:
        self.newline()
        self._block = None
        self.write(text, style)
        self.write("\n")

    def event(self, event: Any) -> None:
        kind = event.get("type")
        if kind == "text-delta":
            self._enter("text")
            self.write(event.get("delta", ""))
        elif kind == "reasoning-delta":
            self._enter("reasoning")
            self.write(event.get("delta", ""), "dim")
        elif kind == "tool-call":
            name = str(event.get("toolName", "?"))
            self._tool_names[str(event.get("toolCallId"))] = name
            self.line(f"[tool call] {name}({compact(event.get('args', {}), 300)})", "tool")
        elif kind == "tool-result":
            name = event.get("toolName") or self._tool_names.get(str(event.get("toolCallId")), "?")
            label = "[tool error]" if event.get("isError") else "[tool result]"
            self.line(f"{label} {name}: {compact(event.get('result'), 500)}", "result")
        elif kind == "source":
            title = event.get("title") or ""
            self.line(f"[source] {title} <{event.get('url', '')}>".replace("  ", " "), "dim")
        elif kind == "file":
            self.line(f"[file] {event.get('mimeType', '?')}", "dim")
        elif kind == "tool-execution-start":  # --tools: the chat runs the call itself
            name = str(event.get("toolName", "?"))
            self.line(f"[running tool] {name}({compact(event.get('args', {}), 300)})", "dim")
        elif kind == "tool-execution-end":
            name = str(event.get("toolName", "?"))
            label = "[tool error]" if event.get("isError") else "[tool result]"
            self.line(f"{label} {name}: {compact(event.get('result'), 500)}", "result")

    def finish(self) -> None:
        self.newline()
        self._block = None


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False
