"""The command line: ``python -m assistant_ui demo`` and ``python -m assistant_ui chat``.

Also installed as the ``assistant-ui`` script.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

__all__ = ["main"]

_PROG = "python -m assistant_ui"


def _wants_chat(argv: list[str]) -> bool:
    for arg in argv:
        if not arg.startswith("-"):
            return arg == "chat"
    return False


def _load_cli() -> tuple[ModuleType | None, str]:
    try:
        from . import _cli
    except ImportError as exc:
        return None, str(exc)
    return _cli, ""


def _parser(cli: ModuleType | None) -> argparse.ArgumentParser:
    from . import __version__
    from .testing import FORMATS

    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="assistant-ui for Python: a client for AI chat backends.",
    )
    parser.add_argument(
        "--version", action="version", version=f"assistant-ui {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="a conversation with a tool call against the built-in demo backend (no network)",
        description=(
            "Start the built-in demo backend on 127.0.0.1 (served by uvicorn: the 'demo' "
            "extra) and have a short conversation with it over real HTTP: streamed text, "
            "a get_weather tool call with its result, and a final answer."
        ),
    )
    demo.add_argument(
        "--delay", type=float, default=0.03, metavar="SECONDS",
        help="pause between streamed chunks (default: 0.03)",
    )
    demo.add_argument(
        "--format",
        choices=[f for f in FORMATS if f not in ("plain-text", "sse", "openai", "openai-json")],
        default=None,
        help="the wire format the backend answers in (default: data-stream)",
    )
    demo.add_argument("--no-color", action="store_true", help="never use colour")
    demo.add_argument(
        "question", nargs="*",
        help="what to ask (default: a greeting, then the weather in Paris)",
    )

    chat = commands.add_parser(
        "chat",
        help="chat with a backend in the terminal",
        description="Chat with a backend in the terminal, streaming the answers.",
    )
    if cli is not None:  # only loaded when the command is "chat"
        cli.add_chat_arguments(chat)
        chat.add_argument(
            "--demo", action="store_true",
            help="chat with the built-in demo backend (no --base-url needed)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cli: ModuleType | None = None
    missing = ""
    if _wants_chat(argv):
        cli, missing = _load_cli()
        if cli is None:
            print(
                "error: the chat command is not available in this installation "
                f"(assistant_ui._cli could not be imported: {missing})",
                file=sys.stderr,
            )
            return 1
    parser = _parser(cli)
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from ._demo import DEFAULT_QUESTIONS, MISSING_UVICORN, run_demo, uvicorn_missing
            from .errors import AssistantUIError

            if uvicorn_missing():
                print(f"error: {MISSING_UVICORN}", file=sys.stderr)
                return 1
            try:
                return run_demo(
                    delay=args.delay,
                    format=args.format,
                    questions=[" ".join(args.question)] if args.question else DEFAULT_QUESTIONS,
                    color=False if args.no_color else None,
                )
            except (AssistantUIError, RuntimeError, OSError) as exc:
                print(f"error: the demo failed: {exc}", file=sys.stderr)
                return 1
        if args.command == "chat" and cli is not None:
            if getattr(args, "demo", False):
                from ._demo import MISSING_UVICORN, uvicorn_missing
                from .testing import DemoBackend, serve

                if uvicorn_missing():
                    print(f"error: chat --demo: {MISSING_UVICORN}", file=sys.stderr)
                    return 1

                with serve(DemoBackend()) as base_url:
                    args.base_url = base_url
                    return int(cli.main_chat(args))
            return int(cli.main_chat(args))
    except KeyboardInterrupt:
        return 130
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
