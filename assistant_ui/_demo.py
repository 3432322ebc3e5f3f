"""``python -m assistant_ui demo``: a conversation against the built-in demo backend.

The demo backend (:class:`assistant_ui.testing.DemoBackend`) is served over real
HTTP on 127.0.0.1 (an ephemeral port) by uvicorn, through
:func:`assistant_ui.testing.serve`; the client is an ordinary
:class:`AssistantClient`. The assistant's text is printed as it arrives, tool
calls and their results on lines of their own. No network, no key; beyond the
library's own dependencies it needs uvicorn (the ``demo`` extra).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from typing import Any, TextIO

__all__ = ["DEFAULT_QUESTIONS", "MISSING_UVICORN", "run_demo", "uvicorn_missing"]

#: what the command line prints when uvicorn is not installed
MISSING_UVICORN = (
    "the demo serves its backend with uvicorn, which is not installed here.\n"
    "Install the demo extra from the checkout, then run the demo again:\n"
    '    pip install -e ".[demo]" && python -m assistant_ui demo\n'
    "(or: pip install uvicorn)"
)


def uvicorn_missing() -> bool:
    """Whether uvicorn (the ``demo`` extra) cannot be imported."""
    try:
        return importlib.util.find_spec("uvicorn") is None
    except (ImportError, ValueError):
        return True

DEFAULT_QUESTIONS = ("Hello!", "What's the weather in Paris?")


def _compact(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Printer:
    def __init__(self, out: TextIO, color: bool) -> None:
        self.out = out
        self.color = color
        self.mid_line = False

    def style(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
        if text:
            self.mid_line = not text.endswith("\n")

    def line(self, text: str) -> None:
        if self.mid_line:
            self.write("\n")
        self.write(text + "\n")


def run_demo(
    out: TextIO | None = None,
    *,
    delay: float = 0.03,
    format: str | None = None,
    questions: tuple[str, ...] | list[str] = DEFAULT_QUESTIONS,
    color: bool | None = None,
) -> int:
    """Run the demo conversation, printing to ``out``; returns the exit status."""
    from . import AssistantClient, user
    from .testing import DemoBackend, serve

    out = out if out is not None else sys.stdout
    reconfigure = getattr(out, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(Exception):
            reconfigure(errors="replace")  # a terminal that cannot print "°" gets "?"
    if color is None:
        color = bool(getattr(out, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
    p = _Printer(out, color)
    backend = DemoBackend(delay=delay, format=format)
    ok = True
    saw_tool = False
    with serve(backend) as base_url:
        p.line(p.style(f"assistant-ui demo: the built-in demo backend is at {base_url}", "2"))
        # trust_env=False: loopback only, whatever proxy the environment names
        with AssistantClient(base_url=base_url, trust_env=False) as client:
            thread = client.threads("demo-thread")
            for question in questions:
                p.line("")
                p.line(p.style("you: ", "1") + question)
                p.write(p.style("assistant: ", "1"))
                with thread.stream_sync(messages=[user(question)]) as stream:
                    for event in stream:
                        if event["type"] == "text-delta":
                            p.write(event["delta"])
                        elif event["type"] == "tool-call":
                            p.line(p.style(
                                f"  [tool call] {event['toolName']}({_compact(event['args'])})", "36"))
                        elif event["type"] == "tool-result":
                            saw_tool = True
                            name = event.get("toolName") or "tool"
                            p.line(p.style(
                                f"  [tool result] {name} -> {_compact(event['result'])}", "36"))
                    result = stream.final()
                if p.mid_line:
                    p.write("\n")
                status = result.status
                usage = result.usage or {}
                summary = f"[{status.get('type')}"
                if result.finish_reason:
                    summary += f": {result.finish_reason}"
                if usage:
                    summary += (f", {usage.get('inputTokens', 0)} tokens in,"
                                f" {usage.get('outputTokens', 0)} out")
                p.line(p.style(summary + "]", "2"))
                if status.get("type") != "complete" or not result.text:
                    ok = False
    if not saw_tool:
        ok = False
    if not ok:
        print("demo: the conversation did not go as expected", file=sys.stderr)
    return 0 if ok else 1
