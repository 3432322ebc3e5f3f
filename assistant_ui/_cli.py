"""``python -m assistant_ui chat``: an interactive chat in the terminal.

::

    python -m assistant_ui chat --base-url http://127.0.0.1:8000 [--thread ID]
        [--api assistant-ui|ai-sdk|openai] [--model M] [--header 'K: V' ...]
        [--token T] [--system S] [--no-color]

The answer is printed as it streams in; tool calls and their results are shown on
lines of their own, reasoning dimmed. Commands: ``/cancel`` (stop the answer being
streamed), ``/new`` (start a new thread), ``/history`` (this session's
conversation), ``/help``, ``/quit``. A line starting with ``//`` is sent as a message
starting with ``/``.

Cancelling. Ctrl-C while an answer streams cancels that answer (the partial text
stays, the server is told through the cancel endpoint) and the chat goes on; a
second Ctrl-C abandons the answer at once. Ctrl-C at the prompt, end of input
(Ctrl-D) or ``/quit`` end the program cleanly. Input is read line by line, so
``/cancel`` works like this: while an answer streams, a background thread keeps
reading lines; a ``/cancel`` line cancels the answer, and any other line typed
meanwhile is queued and becomes the next input, sent once the answer is complete.

Scripting. Colour only when stdout is a terminal and ``NO_COLOR`` is unset (or
empty); the prompt and the banner only when stdin is a terminal. Piped, stdout
carries the answers only (and ``/history``); notices (``[cancelled]``, a new
thread id) and errors go to stderr, e.g.
``echo "hi" | python -m assistant_ui chat --base-url ...``. Piped, the exit status
is 1 when some answer failed.

History. ``api="assistant-ui"`` backends keep the thread on the server, so only
the new user message is sent. ``ai-sdk`` and ``openai`` backends are stateless:
the whole conversation (user messages and the assistant's text) is sent again each
time. ``/new`` starts over with a new thread id and an empty history.

Defaults from the environment: ``ASSISTANT_UI_BASE_URL`` and ``ASSISTANT_UI_TOKEN``
(preferred over ``--token``, which other users of the machine can see in ``ps``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import re
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from ._log import logger, redact_url
from .errors import AssistantUIError, AuthenticationError
from .messages import assistant, user

__all__ = ["add_chat_arguments", "main", "main_chat"]

from ._wire.requests import APIS as _APIS

_HELP = """commands:
  /cancel   stop the answer being streamed (Ctrl-C does too)
  /new      start a new thread (forgets the history)
  /history  show this session's conversation
  /help     this help
  /quit     leave (Ctrl-D and Ctrl-C at the prompt too)
  //text    send a message starting with '/'"""


def add_chat_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``chat`` command's options to ``parser``."""
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="the backend, e.g. http://127.0.0.1:8000 (default: $ASSISTANT_UI_BASE_URL)",
    )
    parser.add_argument("--thread", metavar="ID", help="the thread id (default: a new one)")
    parser.add_argument(
        "--api",
        choices=_APIS,
        default="assistant-ui",
        help="the request dialect of the backend (default: assistant-ui)",
    )
    parser.add_argument("--model", metavar="M", help="the model (required with --api openai)")
    parser.add_argument(
        "--header",
        metavar="'K: V'",
        action="append",
        default=[],
        help="an extra request header (repeatable)",
    )
    parser.add_argument(
        "--token",
        metavar="T",
        help="a bearer token (default: $ASSISTANT_UI_TOKEN, which is safer than this option)",
    )
    parser.add_argument("--system", metavar="S", help="a system prompt sent with every message")
    parser.add_argument("--no-color", action="store_true", help="never use colour")


def _parse_headers(items: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        name = name.strip()
        # the item is never quoted back: it may hold a credential
        if not sep:
            raise ValueError("--header expects 'Name: value' (no ':' found)")
        if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name):
            raise ValueError("--header expects 'Name: value' (the name is not a valid header name)")
        headers[name] = value.strip()
    return headers


def main_chat(args: argparse.Namespace) -> int:
    """Run the terminal chat with parsed arguments; returns the exit status."""
    from ._client import AssistantClient

    stdout, stderr = sys.stdout, sys.stderr
    for stream in (stdout, stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="replace")  # an answer never dies of an unprintable character

    base_url = getattr(args, "base_url", None) or os.environ.get("ASSISTANT_UI_BASE_URL")
    if not base_url:
        stderr.write("error: no backend: pass --base-url URL or set ASSISTANT_UI_BASE_URL\n")
        return 2
    try:
        headers = _parse_headers(list(getattr(args, "header", None) or []))
    except ValueError as exc:
        stderr.write(f"error: {exc}\n")
        return 2
    token = getattr(args, "token", None) or os.environ.get("ASSISTANT_UI_TOKEN")
    if token and not any(name.lower() == "authorization" for name in headers):
        from .auth import bearer

        headers.update(bearer(token).sync_headers())
    api = getattr(args, "api", None) or "assistant-ui"
    try:
        client = AssistantClient(
            base_url, headers=headers, api=api, model=getattr(args, "model", None)
        )
    except (ValueError, TypeError) as exc:
        stderr.write(f"error: {exc}\n")
        return 2

    color = (
        not getattr(args, "no_color", False)
        and _isatty(stdout)
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM") != "dumb"
    )
    session = _ChatSession(
        client,
        thread_id=getattr(args, "thread", None) or _new_thread_id(),
        system=getattr(args, "system", None),
        stdin=sys.stdin,
        out=stdout,
        err=stderr,
        color=color,
        interactive=_isatty(sys.stdin),
    )
    try:
        return session.run()
    except BrokenPipeError:
        # stdout was closed by the reader (``| head``): stop quietly
        with contextlib.suppress(Exception):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stdout.fileno())
        return 0
    finally:
        session.close()
        client.close_sync()


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant_ui._cli [chat] ...`` (the package's ``__main__`` is the usual door)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["chat"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(
        prog="python -m assistant_ui chat", description="Chat with a backend in the terminal."
    )
    add_chat_arguments(parser)
    return main_chat(parser.parse_args(argv))


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def _new_thread_id() -> str:
    return str(uuid.uuid4())


# -- input -------------------------------------------------------------------------------------


class _LineReader:
    """Reads stdin lines in a background thread, only when they are wanted.

    A line is read when the chat waits for input (one per request) or, without
    limit, while an answer streams. A ``/cancel`` line cancels the answer to the
    message before it: read while an answer streams and nothing is queued, it calls
    ``on_cancel`` at once; behind queued lines it waits in the queue until the answer
    to the line before it starts. Other lines are queued. So piped input behaves as
    if typed: ``printf 'a\\nb\\n/cancel\\n'`` answers "a" and cancels the answer to "b".
    The raw file descriptor is read (no buffered-reader lock is held by the thread,
    so the interpreter can always exit).
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        try:
            self._fd: int | None = stream.fileno()
        except Exception:
            self._fd = None
        self._buffer = b""
        #: (line, read while an answer streamed); ``None`` is the end of input
        self._lines: collections.deque[tuple[str, bool] | None] = collections.deque()
        self._cond = threading.Condition()
        self._wanted = 0
        self._on_cancel: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    def _read_line(self) -> str | None:
        if self._stream is None:
            return None
        if self._fd is None:
            line = self._stream.readline()
            return None if not line else str(line).rstrip("\r\n")
        while b"\n" not in self._buffer:
            try:
                chunk = os.read(self._fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                if self._buffer:
                    line, self._buffer = self._buffer, b""
                    return line.decode("utf-8", "replace").rstrip("\r")
                return None
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        return raw.decode("utf-8", "replace").rstrip("\r")

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._wanted <= 0 and self._on_cancel is None:
                    self._cond.wait()
            line = self._read_line()
            callback = None
            with self._cond:
                if line is None:
                    self._lines.append(None)
                    self._cond.notify_all()
                    return
                if self._on_cancel is not None and not self._lines and _is_cancel(line):
                    callback = self._on_cancel
                else:
                    self._lines.append((line, self._on_cancel is not None))
                    self._wanted = max(0, self._wanted - 1)
                    self._cond.notify_all()
            if callback is not None:
                callback()

    def get(self) -> tuple[str | None, bool]:
        """The next line (``None`` at end of input) and whether it was typed while
        an answer streamed."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="assistant-ui-chat-input", daemon=True
            )
            self._thread.start()
        with self._cond:
            if not self._lines:
                self._wanted += 1
                self._cond.notify_all()
            while not self._lines:
                self._cond.wait(0.25)  # short waits: Ctrl-C is seen at once
            entry = self._lines[0]
            if entry is None:  # the end of input stays at the head
                return None, False
            self._lines.popleft()
            return entry

    @contextlib.contextmanager
    def streaming(self, on_cancel: Callable[[], None]) -> Iterator[None]:
        """While the block runs, read lines freely and route ``/cancel`` to ``on_cancel``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="assistant-ui-chat-input", daemon=True
            )
            self._thread.start()
        with self._cond:
            self._on_cancel = on_cancel
            self._cond.notify_all()
            # typed ahead: "message, /cancel" cancels the answer to that message
            head = self._lines[0] if self._lines else None
            cancel_now = head is not None and _is_cancel(head[0])
            if cancel_now:
                self._lines.popleft()
        if cancel_now:
            on_cancel()
        try:
            yield
        finally:
            with self._cond:
                self._on_cancel = None


def _is_cancel(line: str | None) -> bool:
    return line is not None and line.strip() == "/cancel"


# -- output ------------------------------------------------------------------------------------

_RESET = "\x1b[0m"
_STYLES = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "tool": "\x1b[33m",
    "result": "\x1b[32m",
    "error": "\x1b[31m",
    "notice": "\x1b[36m",
}
# C0 controls (but tab and newline), DEL and C1: a backend must not drive the terminal
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _compact(value: Any, limit: int) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return text


class _Renderer:
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
            self.out.write(f"{_STYLES[style]}{text}{_RESET}")
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
            self.line(f"[tool call] {name}({_compact(event.get('args', {}), 300)})", "tool")
        elif kind == "tool-result":
            name = event.get("toolName") or self._tool_names.get(str(event.get("toolCallId")), "?")
            label = "[tool error]" if event.get("isError") else "[tool result]"
            self.line(f"{label} {name}: {_compact(event.get('result'), 500)}", "result")
        elif kind == "source":
            title = event.get("title") or ""
            self.line(f"[source] {title} <{event.get('url', '')}>".replace("  ", " "), "dim")
        elif kind == "file":
            self.line(f"[file] {event.get('mimeType', '?')}", "dim")

    def finish(self) -> None:
        self.newline()
        self._block = None


# -- the session -------------------------------------------------------------------------------


class _ChatSession:
    def __init__(
        self,
        client: Any,
        *,
        thread_id: str,
        system: str | None,
        stdin: Any,
        out: TextIO,
        err: TextIO,
        color: bool,
        interactive: bool,
    ) -> None:
        self.client = client
        self.thread_id = thread_id
        self.system = system
        self.out = out
        self.err = err
        self.color = color
        self.interactive = interactive
        self.reader = _LineReader(stdin)
        self.history: list[Any] = []  # re-sent to stateless backends
        self.transcript: list[tuple[str, Any]] = []  # what /history shows
        self.failed = False
        self._cancel_requested = threading.Event()
        self._answer_lock = threading.Lock()
        self._answer = 0  # the number of the answer streaming now (0: none)
        self._answers = 0
        self._cancel_threads: list[threading.Thread] = []
        self._sanitize = _isatty(out)

    # -- small output helpers ---------------------------------------------------------------

    def _styled(self, text: str, style: str, stream: TextIO | None = None) -> None:
        stream = stream or self.out
        color = self.color and (stream is self.out or _isatty(stream))
        stream.write(f"{_STYLES[style]}{text}{_RESET}" if color else text)
        stream.flush()

    def notice(self, text: str) -> None:
        self._styled(f"{text}\n", "notice", self.err)

    def error(self, text: str) -> None:
        self._styled(f"error: {text}\n", "error", self.err)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        if self.interactive:
            self.notice(
                f"chatting with {redact_url(self.client.base_url)} (api {self.client.api}), "
                f"thread {self.thread_id}; /help for commands"
            )
        try:
            while True:
                if self.interactive:
                    self._styled("you> ", "bold")
                line, typed_ahead = self.reader.get()
                if line is None:
                    if self.interactive:
                        self.out.write("\n")
                    break
                if self.interactive and typed_ahead:
                    self.out.write(line + "\n")  # typed during the answer: show what is sent
                line = line.strip()
                if not line:
                    continue
                if line.startswith("/") and not line.startswith("//"):
                    if not self.command(line):
                        break
                    continue
                if line.startswith("//"):
                    line = line[1:]
                self.answer(line)
        except KeyboardInterrupt:
            self.out.write("\n")
        self.out.flush()
        return 1 if self.failed and not self.interactive else 0

    def command(self, line: str) -> bool:
        """Run a ``/command``; ``False`` means quit."""
        name = line.split()[0].lower()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/new":
            self.thread_id = _new_thread_id()
            self.history.clear()
            self.transcript.clear()
            self.notice(f"[new thread {self.thread_id}]")
        elif name == "/history":
            self.show_history()
        elif name == "/cancel":
            self.notice("[nothing to cancel]")
        elif name in ("/help", "/?"):
            self.out.write(_HELP + "\n")
            self.out.flush()
        else:
            self.error(f"unknown command {name}; /help lists them (//text sends '/text')")
        return True

    def show_history(self) -> None:
        renderer = _Renderer(self.out, color=self.color, sanitize=self._sanitize)
        if not self.transcript:
            self.notice("[no messages yet in this thread]")
            return
        for role, content in self.transcript:
            if role == "user":
                renderer.write("you: ", "bold")
                renderer.write(f"{content}\n")
                continue
            renderer.write("assistant: ", "bold")
            for part in content.get("content", []):
                kind = part.get("type")
                if kind == "text":
                    renderer.write(part.get("text", ""))
                elif kind == "reasoning":
                    renderer.line(f"[reasoning] {part.get('text', '')}", "dim")
                elif kind == "tool-call":
                    renderer.line(
                        f"[tool call] {part.get('toolName')}({_compact(part.get('args', {}), 300)})",
                        "tool",
                    )
                    if "result" in part:
                        label = "[tool error]" if part.get("isError") else "[tool result]"
                        renderer.line(
                            f"{label} {part.get('toolName')}: {_compact(part.get('result'), 500)}",
                            "result",
                        )
            status = content.get("status") or {}
            if status.get("reason") == "cancelled":
                renderer.line("[cancelled]", "dim")
            renderer.finish()

    # -- one answer ---------------------------------------------------------------------------

    def _request_cancel(self, thread: Any, answer: int) -> None:
        """Cancel the answer being streamed (from the input thread or the SIGINT handler).

        ``answer`` numbers the answer the request is for: a late request (the answer
        ended meanwhile) must not cancel the next one on the server.
        """
        with self._answer_lock:
            if answer != self._answer or self._cancel_requested.is_set():
                return
            self._cancel_requested.set()

        def cancel() -> None:
            try:
                thread.cancel_sync()
            except Exception as exc:  # the answer is stopped anyway; the server may run on
                logger.debug("cancel request failed: %s", exc)
                self.notice(f"[could not tell the server to cancel: {exc}]")

        worker = threading.Thread(target=cancel, name="assistant-ui-chat-cancel", daemon=True)
        self._cancel_threads.append(worker)
        worker.start()

    @contextlib.contextmanager
    def _sigint_cancels(self, thread: Any, answer: int) -> Iterator[None]:
        """During an answer: the first Ctrl-C cancels it, a second one abandons it."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        presses = 0

        def handler(signum: int, frame: Any) -> None:
            nonlocal presses
            presses += 1
            if presses > 1:
                raise KeyboardInterrupt
            self._request_cancel(thread, answer)

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def answer(self, text: str) -> None:
        message = user(text)
        stateless = self.client.api != "assistant-ui"
        if stateless:
            self.history.append(message)
            messages = list(self.history)
        else:
            messages = [message]
        self.transcript.append(("user", text))
        thread = self.client.threads(self.thread_id)
        renderer = _Renderer(self.out, color=self.color, sanitize=self._sanitize)
        with self._answer_lock:
            self._answers += 1
            self._answer = number = self._answers
            self._cancel_requested.clear()
        stream: Any = None
        result: Any = None
        failure: AssistantUIError | None = None
        interrupted = False
        with self.reader.streaming(lambda: self._request_cancel(thread, number)):
            try:
                with self._sigint_cancels(thread, number):
                    stream = thread.stream_sync(messages=messages, system=self.system)
                    with stream:
                        for event in stream:
                            if self._cancel_requested.is_set():
                                break
                            renderer.event(event)
                        if self._cancel_requested.is_set():
                            stream.close()
                        result = stream.final()
            except KeyboardInterrupt:  # the second Ctrl-C
                interrupted = True
                self._request_cancel(thread, number)
            except AssistantUIError as exc:
                failure = exc
        with self._answer_lock:
            self._answer = 0
        renderer.finish()
        for worker in self._cancel_threads:
            # the server must hear of the cancel before the next message of this thread
            worker.join(10)
        self._cancel_threads.clear()

        message_so_far: Any = None
        if result is not None:
            message_so_far = result.message
        elif failure is not None and failure.partial is not None:
            message_so_far = failure.partial.message
        elif stream is not None:
            message_so_far = stream.message
        cancelled = interrupted or (
            result is not None and (result.status or {}).get("reason") == "cancelled"
        )
        self._remember(message_so_far, stateless)
        if failure is not None:
            self.failed = True
            hint = ""
            if isinstance(failure, AuthenticationError):
                hint = " (check --token / ASSISTANT_UI_TOKEN or --header)"
            self.error(f"{failure}{hint}")
        elif cancelled:
            self.notice("[cancelled]")

    def _remember(self, message: Any, stateless: bool) -> None:
        parts = list((message or {}).get("content") or [])
        text = "".join(p.get("text", "") for p in parts if p.get("type") == "text")
        if message is not None and parts:
            self.transcript.append(("assistant", message))
        if stateless:
            if text:
                self.history.append(assistant(text))
            elif not parts and self.history and self.history[-1].get("role") == "user":
                # nothing came back: do not send this message twice next time
                self.history.pop()

    def close(self) -> None:
        for worker in self._cancel_threads:
            worker.join(2)


if __name__ == "__main__":
    sys.exit(main())
