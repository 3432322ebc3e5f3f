"""The chat session: the prompt loop, the commands and one answer at a time."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, TextIO

from .._log import logger, redact_error, redact_url, secrets_of_request
from ..errors import AssistantUIError, AuthenticationError
from ..messages import assistant, user
from ._input import LineReader, PromptInterrupted
from ._render import RESET, STYLES, Renderer, compact, isatty
from ._signals import AbandonAnswer, Interrupts
from ._websocket import websocket_command

__all__ = ["ChatSession", "new_thread_id"]

_HELP = """commands:
  /cancel   stop the answer being streamed (Ctrl-C does too)
  /new      start a new thread (forgets the history)
  /history  show this session's conversation (a ws:// server: the one it holds)
  /clear    (a ws:// server) clear the conversation the server holds
  /ping     (a ws:// server) check the connection
  /help     this help
  /quit     leave (Ctrl-D too; Ctrl-C at the prompt only clears the line)
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
        tools: Any = None,
        secrets: Callable[[], list[str]] | None = None,
    ) -> None:
        self.client = client
        #: the user's own tools (``--tools``): the chat runs the calls the backend leaves
        self.tools = tools
        #: the credentials of the chat (headers, token), kept out of what it prints
        self._secrets = secrets or list
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
        # re-entrant: the SIGINT handler (same thread) may ask for a cancel while held
        self._answer_lock = threading.RLock()
        self._answer = 0  # the number of the answer streaming now (0: none)
        self._answers = 0
        self._cancel_threads: list[threading.Thread] = []
        self._sanitize = isatty(out)
        self.interrupts = Interrupts()
        self._told_how_to_quit = False

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
        with self.interrupts.installed():
            while True:
                # forget the presses made before this prompt, then show it: a Ctrl-C
                # pressed once the prompt is visible is never lost
                self.interrupts.reset_prompt()
                if self.interactive:
                    self._styled("you> ", "bold")
                try:
                    line, typed_ahead = self.reader.get(self.interrupts.pending)
                except PromptInterrupted:
                    self._prompt_interrupted()
                    continue
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
                try:
                    self.answer(line)
                except AbandonAnswer:  # a second Ctrl-C just as the answer ended
                    self.notice("[cancelled]")
        self.out.flush()
        return 1 if self.failed and not self.interactive else 0

    def _prompt_interrupted(self) -> None:
        """Ctrl-C at the prompt: the line is dropped, the chat goes on (as in the REPL)."""
        if self.interactive:
            self.out.write("\n")
            self.out.flush()
        if not self._told_how_to_quit:
            self._told_how_to_quit = True
            self.notice("[Ctrl-C clears the line; /quit or Ctrl-D leaves]")

    def command(self, line: str) -> bool:
        """Run a ``/command``; ``False`` means quit."""
        name = line.split()[0].lower()
        if name in ("/quit", "/exit", "/q"):
            return False
        if self.client.api == "bedrock-ws" and websocket_command(self, name):
            return True  # /history, /clear, /ping: asked of the WebSocket chat server
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
                self._redact(exc)
                logger.debug("cancel request failed: %s", exc)
                self.notice(f"[could not tell the server to cancel: {exc}]")

        worker = threading.Thread(target=cancel, name="assistant-ui-chat-cancel", daemon=True)
        worker.start()
        self._cancel_threads.append(worker)

    def _start(self, thread: Any, messages: list[Any]) -> Any:
        """The stream of one answer: a plain chat, or a tool run with ``--tools``."""
        if self.tools is not None:
            return thread.run_stream_sync(messages=messages, system=self.system, tools=self.tools)
        return thread.stream_sync(messages=messages, system=self.system)

    def answer(self, text: str) -> None:
        message = user(text)
        stateless = self.client.api not in ("assistant-ui", "bedrock-ws")
        if stateless:
            self.history.append(message)
            messages = list(self.history)
        else:
            messages = [message]  # the server keeps the thread: only the new message
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
                with self.interrupts.answering(lambda: self._request_cancel(thread, number)):
                    stream = self._start(thread, messages)
                    with stream:
                        for event in stream:
                            if self._cancel_requested.is_set():
                                break
                            renderer.event(event)
                        if self._cancel_requested.is_set():
                            stream.close()
                        result = _final(stream)
            except AbandonAnswer:  # the second Ctrl-C
                interrupted = True
                self._request_cancel(thread, number)
            except AssistantUIError as exc:
                failure = exc
        with self._answer_lock:
            self._answer = 0
        renderer.finish()
        for worker in self._cancel_threads:
            # the server must hear of the cancel before the next message of this thread
            if worker.ident is not None:
                worker.join(10)
        self._cancel_threads.clear()

        final = getattr(result, "final", result)  # a RunResult's last step
        message_so_far: Any = None
        if final is not None:
            message_so_far = final.message
        elif failure is not None and failure.partial is not None:
            message_so_far = failure.partial.message
        elif stream is not None:
            message_so_far = _message_so_far(stream)
        cancelled = (
            interrupted
            or self._cancel_requested.is_set()  # asked for, whatever the server made of it
            or (final is not None and (final.status or {}).get("reason") == "cancelled")
        )
        self._remember(message_so_far, stateless, getattr(result, "history", None))
        if failure is not None:
            self.failed = True
            hint = ""
            if isinstance(failure, AuthenticationError):
                hint = " (check --token / --token-file / ASSISTANT_UI_TOKEN or --header)"
            self.error(f"{self._redact(failure)}{hint}")
        elif cancelled:
            self.notice("[cancelled]")
        elif final is not None:
            self._explain_pending(final)

    def _explain_pending(self, final: Any) -> None:
        """Tell about the tool calls the backend left to the client, unrun."""
        pending = list(getattr(final, "pending_tool_calls", None) or [])
        if not pending:
            return
        names = ", ".join(sorted({str(call.get("toolName", "?")) for call in pending}))
        if self.tools is None:
            self.notice(
                f"[the backend left the tool call{'s' if len(pending) > 1 else ''} {names} "
                "to the client, and this chat runs no tools: start it with "
                "--tools module:attr to run your own @tool functions]"
            )
        else:
            self.notice(f"[tool calls left unrun: {names} (the run stopped: too many steps?)]")

    def _redact(self, exc: BaseException) -> BaseException:
        """``exc`` with the chat's credentials and its request's removed (in place)."""
        try:
            secrets = [*self._secrets(), *secrets_of_request(getattr(exc, "request", None))]
        except Exception:
            secrets = []
        return redact_error(exc, secrets)

    def _remember(self, message: Any, stateless: bool, history: Any = None) -> None:
        parts = list((message or {}).get("content") or [])
        text = "".join(p.get("text", "") for p in parts if p.get("type") == "text")
        if message is not None and parts:
            self.transcript.append(("assistant", message))
        if stateless and history is not None:  # a tool run: its calls and results too
            self.history = list(history)
        elif stateless:
            if text:
                self.history.append(assistant(text))
            elif not parts and self.history and self.history[-1].get("role") == "user":
                # nothing came back: do not send this message twice next time
                self.history.pop()

    def close(self) -> None:
        for worker in self._cancel_threads:
            worker.join(2)


def _final(stream: Any) -> Any:
    """``stream.final()``: a ``ChatResult``, or a ``RunResult`` for a tool run (``None``
    when a run was closed before it finished)."""
    try:
        return stream.final()
    except RuntimeError:  # "the run was closed before it finished" (cancelled)
        steps = list(getattr(stream, "steps", None) or [])
        return steps[-1] if steps else None


def _message_so_far(stream: Any) -> Any:
    message = getattr(stream, "message", None)
    if message is not None:
        return message
    steps = list(getattr(stream, "steps", None) or [])
    return steps[-1].message if steps else None
