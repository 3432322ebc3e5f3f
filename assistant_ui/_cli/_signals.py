"""Ctrl-C in the terminal chat: like the Python REPL, it never ends the session.

One SIGINT handler serves the whole session (installed from the main thread):

- at the prompt, a Ctrl-C drops the line being typed (the terminal discards it)
  and shows a fresh prompt; only ``/quit``, Ctrl-D or the end of input leave;
- while an answer streams, the first Ctrl-C cancels it (the partial text stays,
  the server is told); a second one abandons it at once, raising
  :class:`AbandonAnswer` inside the answer (and only there), which the session
  catches. More presses change nothing.

The handler does no locking of its own: at the prompt it only counts, and the
reader polls the count (``pending()``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["AbandonAnswer", "Interrupts"]


class AbandonAnswer(KeyboardInterrupt):
    """The second Ctrl-C of an answer: stop reading it now.

    A ``KeyboardInterrupt`` so that library code which lets interrupts through
    (every ``except Exception``) lets this through too.
    """


class Interrupts:
    """The session's SIGINT handler and its state."""

    def __init__(self) -> None:
        self._prompt_hits = 0
        self._on_cancel: Callable[[], None] | None = None
        self._presses = 0
        self._abandonable = False
        self._in_cancel = False
        self._installed = False
        self._previous: Any = None

    # -- installing ------------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[None]:
        """The handler for the duration of the block (not outside the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self._previous = signal.signal(signal.SIGINT, self._handle)
        self._installed = True
        try:
            yield
        finally:
            self._installed = False
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: Any) -> None:
        on_cancel = self._on_cancel
        if on_cancel is None:  # at the prompt, or between answers
            self._prompt_hits += 1
            return
        self._presses += 1
        if self._presses == 1:
            # a press arriving while this runs (a handler runs inside the one it
            # interrupts) must not raise in the middle of it: it is only counted
            self._in_cancel = True
            try:
                on_cancel()
            finally:
                self._in_cancel = False
        elif self._in_cancel:
            return
        if self._presses > 1 and self._abandonable:
            self._abandonable = False  # once
            raise AbandonAnswer()

    # -- at the prompt -------------------------------------------------------------------------

    def reset_prompt(self) -> None:
        """Forget the presses made before this prompt (while an answer ended, say)."""
        self._prompt_hits = 0

    def pending(self) -> bool:
        """Whether Ctrl-C was pressed at the prompt since :meth:`reset_prompt`."""
        return self._prompt_hits > 0

    # -- during an answer ------------------------------------------------------------------------

    @contextmanager
    def answering(self, on_cancel: Callable[[], None]) -> Iterator[None]:
        """While the block runs, Ctrl-C calls ``on_cancel`` (the first time) and then
        raises :class:`AbandonAnswer` (the second). Enter the block inside the
        ``try`` that catches it."""
        self._presses = 0
        self._on_cancel = on_cancel
        self._abandonable = True
        try:
            yield
        finally:
            self._abandonable = False
            self._on_cancel = None
