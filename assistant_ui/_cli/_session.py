"""The chat session: the prompt loop, the commands and one answer at a time."""

from __future__ import annotations

import contextlib
import signal
import threading
import uuid
from collections.abc import Iterator
from typing import Any, TextIO

from .._log import logger, redact_url
from ..errors import AssistantUIError, AuthenticationError
from ..messages import assistant, user
from ._input import LineReader
from ._render import RESET, STYLES, Renderer, compact, isatty

__all__ = ["ChatSession", "new_thread_id"]

_HELP = """commands:
  /cancel   stop the answer being streamed (Ctrl-C does too)
  /new      start a new thread (forgets the history)
  /history  show this session's conversation
  /help     this help
  /quit     leave (Ctrl-D and Ctrl-C at the prompt too)
  //text    send a message starting with '/'"""


def new_thread_id() -> str:
    return str(uuid.uuid4())


class ChatSession:
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
        self.reader = LineReader(stdin)
        self.history: list[Any] = []  # re-sent to stateless backends
        self.transcript: list[tuple[str, Any]] = []  # what /history shows
        self.failed = False
        self._cancel_requested = threading.Event()
        self._answer_lock = threading.Lock()
        self._answer = 0  # the number of the answer streaming now (0: none)
        self._answers = 0
        self._cancel_threads: list[threading.Thread] = []
        self._sanitize = isatty(out)

    # -- small output helpers ---------------------------------------------------------------

    def _styled(self, text: str, style: str, stream: TextIO | None = None) -> None:
        stream = stream or self.out
        color = self.color and (stream is self.out or isatty(stream))
        stream.write(f"{STYLES[style]}{text}{RESET}" if color else text)
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
            self.thread_id = new_thread_id()
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
        renderer = Renderer(self.out, color=self.color, sanitize=self._sanitize)
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
                        f"[tool call] {part.get('toolName')}({compact(part.get('args', {}), 300)})",
                        "tool",
                    )
                    if "result" in part:
                        label = "[tool error]" if part.get("isError") else "[tool result]"
                        renderer.line(
                            f"{label} {part.get('toolName')}: {compact(part.get('result'), 500)}",
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
        renderer = Renderer(self.out, color=self.color, sanitize=self._sanitize)
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
