"""A minimal assistant-ui backend built with ``assistant-stream``, for the other examples.

    pip install assistant-stream uvicorn starlette        # or fastapi instead of starlette
    python examples/fastapi_backend.py --port 8000
    python examples/sync_script.py --base-url http://127.0.0.1:8000

``POST /api/chat`` takes assistant-ui request bodies (``threadId``, ``commands``, ``tools``,
...) and answers in the data stream format (``create_run`` + ``DataStreamResponse``):

* tool results sent back (``add-tool-result`` commands) are described in a sentence;
* when the request declares client-side tools the "model" knows (``get_weather``,
  ``calculator``) and the question fits them, it asks the client to call them: the
  message then ends in ``requires-action`` and ``thread.run()`` runs the tools;
* otherwise it streams an answer word by word: a greeting, a long story (ask for
  "a story": long enough to cancel), or an echo.

``POST /api/cancel`` (``{"threadId": ...}``) stops the answers still streaming to that
thread. There is no LLM here: the "model" is a few rules, so that the example runs anywhere.
It uses FastAPI when it is installed and plain Starlette (which FastAPI is built on) otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

try:
    import uvicorn
    from assistant_stream import RunController, create_run
    from assistant_stream.serialization import DataStreamResponse
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
except ImportError as exc:  # say what to install instead of a traceback
    sys.exit(
        f"examples/fastapi_backend.py needs {exc.name or 'a package'}, which is not installed.\n"
        "Install what it needs, then run it again:\n"
        "    pip install assistant-stream starlette uvicorn\n"
        '(from a checkout of assistant-ui, pip install -e ".[test]" installs them too)'
    )

try:  # FastAPI is Starlette underneath: the same routes work with either
    from fastapi import FastAPI as App
except ImportError:
    from starlette.applications import Starlette as App  # type: ignore[assignment, unused-ignore]

STORY = (
    "Once upon a time, in a data center far away, a tiny language model dreamed of "
    "writing novels. Every night it streamed one word at a time into the dark, hoping "
    "someone would read to the end. Most readers cancelled after a sentence or two, "
    "which taught the model to say the important part first. It began every story with "
    "its moral, and to its surprise the readers stayed. The moral of this story: put "
    "the answer first, the details after, and always stream. The end."
)
WEATHER_WORDS = re.compile(r"\b(weather|temperature|forecast|rain|sunny|warm|cold)\b", re.I)
CITY = re.compile(r"\b(?:in|for|at)\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)")
ARITHMETIC = re.compile(r"(-?\d+(?:\.\d+)?)\s*([-+*/x×])\s*(-?\d+(?:\.\d+)?)")
GREETING = re.compile(r"^\s*(hi|hello|hey)\b", re.I)
WORD = re.compile(r"\S+\s*")


def log(message: str) -> None:
    print(f"[backend] {message}", flush=True)


# -- reading the request ---------------------------------------------------------------------


def text_of(parts: Any) -> str:
    """The text of a message's ``parts`` / ``content`` (a list of parts, or a str)."""
    if isinstance(parts, str):
        return parts
    return "".join(p.get("text", "") for p in parts or [] if isinstance(p, dict))


def last_user_text(body: Mapping[str, Any]) -> str:
    for command in reversed(body.get("commands") or []):
        message = command.get("message") or {}
        if command.get("type") == "add-message" and message.get("role") == "user":
            return text_of(message.get("parts", message.get("content")))
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def tool_results(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [c for c in body.get("commands") or [] if c.get("type") == "add-tool-result"]


def declared_tools(body: Mapping[str, Any]) -> set[str]:
    """The client-side tools of the request (``{"name": {description, parameters}}``)."""
    tools = body.get("tools") or {}
    if isinstance(tools, list):  # also accept a list of {"name": ...}
        return {t["name"] for t in tools if isinstance(t, dict) and "name" in t}
    return set(tools)


# -- the "model" -------------------------------------------------------------------------------


def number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def plan_tool_calls(question: str, tools: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls a model would make for ``question`` with these tools available."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if "get_weather" in tools and WEATHER_WORDS.search(question):
        match = CITY.search(question)
        calls.append(("get_weather", {"city": match.group(1) if match else "Paris"}))
    match = ARITHMETIC.search(question)
    if "calculator" in tools and match:
        op = {"x": "*", "×": "*"}.get(match.group(2), match.group(2))
        calls.append(("calculator", {"a": number(match.group(1)), "op": op,
                                     "b": number(match.group(3))}))
    return calls


def describe(result: Mapping[str, Any]) -> str:
    name, value = result.get("toolName") or "the tool", result.get("result")
    if result.get("isError"):
        return f"{name} failed ({value})."
    if name == "get_weather" and isinstance(value, dict) and "temperature" in value:
        unit = str(value.get("unit", "c")).upper()
        return (f"It is {value['temperature']}°{unit} and {value.get('conditions', 'fine')} "
                f"in {value.get('city', 'that city')}.")
    if name == "calculator" and isinstance(value, (int, float)):
        return f"The calculator says {value:g}."
    return f"{name} returned {json.dumps(value)}."


def answer_for(question: str) -> str:
    if not question.strip() or GREETING.match(question):
        return ("Hello! I am a small assistant-stream backend. Ask me for a story, or give "
                "me a get_weather tool and ask about the weather.")
    if "story" in question.lower():
        return STORY
    return f'You said: "{question.strip()}". I have no model behind me, so I echo.'


# -- the app --------------------------------------------------------------------------------------


def create_app(delay: float = 0.05) -> Any:
    """The ASGI app; ``delay`` seconds pass between two streamed words."""
    # the events of the answers streaming right now, per thread, for /api/cancel
    running: dict[str, set[asyncio.Event]] = {}

    async def stream_words(controller: RunController, text: str, stop: asyncio.Event) -> int:
        """Stream ``text`` word by word; stop early on cancel or disconnect."""
        count = 0
        for word in WORD.findall(text):
            if stop.is_set() or controller.is_cancelled:
                break
            controller.append_text(word)
            count += 1
            await asyncio.sleep(delay)
        return count

    async def chat(request: Request) -> Response:
        body = await request.json()
        thread_id = str(body.get("threadId", "default"))
        question = last_user_text(body)
        results = tool_results(body)
        calls = [] if results else plan_tool_calls(question, declared_tools(body))
        stop = asyncio.Event()
        if results:
            log(f"chat thread={thread_id}: {len(results)} tool result(s)")
        elif calls:
            log(f"chat thread={thread_id}: asking for {', '.join(name for name, _ in calls)}")
        else:
            log(f"chat thread={thread_id}: text answer")

        async def run(controller: RunController) -> None:
            running.setdefault(thread_id, set()).add(stop)
            try:
                controller.add_step_start(f"msg_{uuid.uuid4().hex[:12]}")
                if calls:
                    await stream_words(controller, "Let me use my tools. ", stop)
                    for name, args in calls:
                        # a client-side call: arguments but no result, so the message
                        # ends in requires-action and the client runs the tool
                        call = await controller.add_tool_call(name)
                        call.append_args_text(json.dumps(args))
                        call.close()
                    return
                text = " ".join(describe(r) for r in results) if results else answer_for(question)
                words = await stream_words(controller, text, stop)
                if not stop.is_set():
                    controller.add_step_finish("stop", input_tokens=len(json.dumps(body)) // 4,
                                               output_tokens=words)
            finally:
                running[thread_id].discard(stop)
                if not running[thread_id]:
                    del running[thread_id]

        return DataStreamResponse(create_run(run))

    async def cancel(request: Request) -> Response:
        thread_id = str((await request.json()).get("threadId", "default"))
        streams = running.get(thread_id, set())
        log(f"cancel thread={thread_id}: {len(streams)} answer(s) stopped")
        for stop in streams:
            stop.set()
        return JSONResponse({"ok": True})

    return App(routes=[
        Route("/api/chat", chat, methods=["POST"]),
        Route("/api/cancel", cancel, methods=["POST"]),
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A minimal assistant-stream chat backend.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between streamed words")
    args = parser.parse_args(argv)

    log(f"serving on http://{args.host}:{args.port} (Ctrl-C to stop)")
    uvicorn.run(create_app(delay=args.delay), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
