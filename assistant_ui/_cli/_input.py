"""Reading the chat's input: stdin lines in a background thread, ``/cancel`` while streaming."""

from __future__ import annotations

import collections
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["LineReader", "PromptInterrupted", "is_cancel"]


class PromptInterrupted(Exception):
    """Ctrl-C at the prompt: no line this time (see :meth:`LineReader.get`)."""


class LineReader:
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
                if self._on_cancel is not None and not self._lines and is_cancel(line):
                    callback = self._on_cancel
                else:
                    self._lines.append((line, self._on_cancel is not None))
                    self._wanted = max(0, self._wanted - 1)
                    self._cond.notify_all()
            if callback is not None:
                callback()

    def get(self, interrupted: Callable[[], bool] | None = None) -> tuple[str | None, bool]:
        """The next line (``None`` at end of input) and whether it was typed while
        an answer streamed. Raises :class:`PromptInterrupted` when ``interrupted()``
        turns true while no line has come (Ctrl-C at the prompt)."""
        self._start()
        with self._cond:
            if not self._lines:
                self._wanted = max(self._wanted, 1)  # one may be asked for already
                self._cond.notify_all()
            while not self._lines:
                if interrupted is not None and interrupted():
                    # the line being typed is gone (the terminal drops it on ^C); the
                    # reader stays asked for one line, which the next get() takes
                    raise PromptInterrupted()
                self._cond.wait(0.1)  # short waits: Ctrl-C is seen at once
            entry = self._lines[0]
            if entry is None:  # the end of input stays at the head
                return None, False
            self._lines.popleft()
            return entry

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="assistant-ui-chat-input", daemon=True
            )
            self._thread.start()

    @contextlib.contextmanager
    def streaming(self, on_cancel: Callable[[], None]) -> Iterator[None]:
        """While the block runs, read lines freely and route ``/cancel`` to ``on_cancel``."""
        self._start()
        with self._cond:
            self._on_cancel = on_cancel
            self._cond.notify_all()
            # typed ahead: "message, /cancel" cancels the answer to that message
            head = self._lines[0] if self._lines else None
            cancel_now = head is not None and is_cancel(head[0])
            if cancel_now:
                self._lines.popleft()
        if cancel_now:
            on_cancel()
        try:
            yield
        finally:
            with self._cond:
                self._on_cancel = None


def is_cancel(line: str | None) -> bool:
    return line is not None and line.strip() == "/cancel"
