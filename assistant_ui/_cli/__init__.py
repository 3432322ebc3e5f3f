"""``python -m assistant_ui chat``: an interactive chat in the terminal.

::

    python -m assistant_ui chat --base-url http://127.0.0.1:8000 [--thread ID]
        [--api API] [--model M] [--header 'K: V' ...] [--token T | --token-file PATH]
        [--tools module:attr ...] [--system S] [--no-color]

The answer is printed as it streams in; tool calls and their results are shown on
lines of their own, reasoning dimmed. Commands: ``/cancel`` (stop the answer being
streamed), ``/new`` (start a new thread), ``/history`` (this session's
conversation), ``/help``, ``/quit``. A line starting with ``//`` is sent as a message
starting with ``/``.

Cancelling. Ctrl-C while an answer streams cancels that answer (the partial text
stays, the server is told through the cancel endpoint) and the chat goes on; a
second Ctrl-C abandons the answer at once, and the chat still goes on. As in the
Python REPL, Ctrl-C at the prompt clears the line: only ``/quit``, Ctrl-D or the
end of input end the program. Input is read line by line, so
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
the new user message is sent each turn. With the other APIs the chat keeps the
conversation (user messages and the assistant's text) and sends it all again each
time. ``/new`` starts over with a new thread id and an empty history.

Tools. A tool call the backend leaves to the client (no result, the answer waiting
for one) is explained in the chat. ``--tools module:attr`` (repeatable) loads the
user's own ``@tool`` functions (a tool, a ``Toolbox``, a list; ``module`` alone
takes every ``@tool`` in it): they are sent with each message and the chat runs the
calls the backend leaves, showing each run and its result, until the answer is
complete.

Credentials: ``--token`` (a bearer token), ``--token-file PATH`` (a JSON token
file such as ``q user export-token > tokens.json`` writes, re-read when it changes;
``--token-field`` names the member, ``accessToken`` by default), ``--header``.
Defaults from the environment: ``ASSISTANT_UI_BASE_URL`` and ``ASSISTANT_UI_TOKEN``
(preferred over ``--token``, which other users of the machine can see in ``ps``).

A ``ws://`` URL chats with a WebSocket chat server: see :mod:`._websocket`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from .._wire.names import APIS as _APIS
from ._render import isatty as _isatty
from ._session import ChatSession as _ChatSession
from ._session import new_thread_id as _new_thread_id
from ._setup import HeaderStack, load_tools
from ._setup import parse_headers as _parse_headers
from ._websocket import (
    add_websocket_arguments,
    is_websocket_url,
    websocket_auth,
    websocket_base_url,
)

__all__ = ["add_chat_arguments", "main", "main_chat"]

_EPILOG = """\
history: with --api assistant-ui the server keeps the thread, so each turn sends
only the new message; with the other APIs the chat sends the whole conversation
again each turn.

Ctrl-C: while an answer streams, cancels it (a second Ctrl-C abandons it at once);
at the prompt, clears the line. Only /quit, Ctrl-D or the end of input leave.
Commands: /cancel /new /history /help /quit.
"""


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
        help=(
            "the request dialect of the backend (default: assistant-ui, which keeps the "
            "thread on the server: only the new message is sent each turn)"
        ),
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
    parser.add_argument(
        "--token-file",
        metavar="PATH",
        help=(
            "a JSON token file (e.g. from `q user export-token > tokens.json`), sent as "
            "a bearer token and read again whenever it changes"
        ),
    )
    parser.add_argument(
        "--token-field",
        metavar="NAME",
        default="accessToken",
        help="the member of --token-file holding the token (default: accessToken)",
    )
    parser.add_argument(
        "--tools",
        metavar="MODULE:ATTR",
        action="append",
        default=[],
        help=(
            "your own @tool functions (a tool, a Toolbox or a list; MODULE alone takes "
            "every @tool in it): the chat runs the calls the backend leaves to it (repeatable)"
        ),
    )
    parser.add_argument("--system", metavar="S", help="a system prompt sent with every message")
    parser.add_argument("--no-color", action="store_true", help="never use colour")
    add_websocket_arguments(parser)
    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def main_chat(args: argparse.Namespace) -> int:
    """Run the terminal chat with parsed arguments; returns the exit status."""
    from .._client import AssistantClient

    stdout, stderr = sys.stdout, sys.stderr
    for stream in (stdout, stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="replace")  # an answer never dies of an unprintable character

    base_url = websocket_base_url(args)
    if not base_url:
        stderr.write("error: no backend: pass --base-url URL or set ASSISTANT_UI_BASE_URL\n")
        return 2
    try:
        headers = _parse_headers(list(getattr(args, "header", None) or []))
    except ValueError as exc:
        stderr.write(f"error: {exc}\n")
        return 2
    spec: Any = headers
    token_path = getattr(args, "token_file", None)
    token = getattr(args, "token", None) or os.environ.get("ASSISTANT_UI_TOKEN")
    if token_path:
        from ..auth import token_file

        try:
            provider = token_file(token_path, getattr(args, "token_field", None) or "accessToken")
        except (TypeError, ValueError) as exc:
            stderr.write(f"error: --token-file: {exc}\n")
            return 2
        spec = HeaderStack(headers, provider)
    elif token and not any(name.lower() == "authorization" for name in headers):
        from ..auth import bearer

        try:
            headers.update(bearer(token).sync_headers())
        except ValueError as exc:  # never quotes the token
            stderr.write(f"error: the token: {exc}\n")
            return 2
    if is_websocket_url(base_url):  # the WebSocket chat: the credentials go in band
        try:
            spec = websocket_auth(args) or _parse_headers(list(getattr(args, "header", None) or []))
        except ValueError as exc:
            stderr.write(f"error: {exc}\n")
            return 2
    tools = None
    if getattr(args, "tools", None):
        try:
            tools = load_tools(list(args.tools))
        except ValueError as exc:
            stderr.write(f"error: {exc}\n")
            return 2
    api = getattr(args, "api", None) or "assistant-ui"
    try:
        client = AssistantClient(
            base_url, headers=spec, api=api, model=getattr(args, "model", None)
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
        tools=tools,
        secrets=lambda: _secrets_of(headers, token, spec),
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


def _secrets_of(headers: dict[str, str], token: str | None, spec: Any) -> list[str]:
    """What the chat sends as credentials: every ``--header`` value, the token, the
    token file's current token (never printed in an error)."""
    found = [*headers.values(), *([token] if token else [])]
    provider = getattr(spec, "provider", None)
    if provider is not None:
        try:
            found.append(provider.token())
        except Exception:  # a missing file: nothing to hide
            pass
    return found


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
