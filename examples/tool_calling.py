"""Client-side tools: a weather tool and a calculator, run by ``thread.run_sync``.

    python examples/tool_calling.py                                  # a scripted local backend
    python examples/tool_calling.py --base-url http://127.0.0.1:8000    # examples/fastapi_backend.py

``run_sync`` sends the tools' schemas (built from the signatures and docstrings), runs the
calls the backend asks for (several at once when it asks for several), sends the results
back and repeats until the assistant stops asking.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import Any, Literal

from assistant_ui import AssistantClient, user
from assistant_ui.testing import (
    FakeBackend,
    Reply,
    message_events,
    serve,
    text_events,
    text_reply,
    tool_call_events,
)
from assistant_ui.tools import tool

# -- the tools -----------------------------------------------------------------------------------

FAKE_WEATHER = {"Paris": (18, "sunny"), "London": (14, "drizzly"), "Tokyo": (22, "clear")}


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather of a city.

    Args:
        city: The city name, e.g. "Paris".
        unit: Celsius ("c") or Fahrenheit ("f").
    """
    celsius, conditions = FAKE_WEATHER.get(city, (20, "cloudy"))  # a real tool would call an API
    temperature = celsius if unit == "c" else round(celsius * 9 / 5 + 32)
    return {"city": city, "temperature": temperature, "unit": unit, "conditions": conditions}


@tool
def calculator(a: float, op: Literal["+", "-", "*", "/"], b: float) -> float:
    """Compute ``a op b``.

    Args:
        a: The left operand.
        op: The operator.
        b: The right operand.
    """
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]


# -- the run ---------------------------------------------------------------------------------------


def ask(base_url: str, question: str) -> None:
    with AssistantClient(base_url=base_url) as client:
        thread = client.threads("tools-example")
        result = thread.run_sync(messages=[user(question)], tools=[get_weather, calculator], max_steps=4)

    print(f"question: {question}")
    for execution in result.executions:  # every call the client ran, in order
        outcome = "error" if execution.is_error else "ok"
        print(f"ran {execution.name}({json.dumps(execution.args)}) -> "
              f"{json.dumps(execution.result)} [{outcome}]")
    print(f"answer: {result.text}")
    print(f"steps: {len(result.steps)}, stop reason: {result.stop_reason}, "
          f"status: {result.final.status['type']}")


# -- demo mode: a scripted backend that asks for both tools --------------------------------------


def scripted_model(body: dict[str, Any]) -> Reply:
    """What a model would answer: first ask for the tools, then use their results."""
    results = [c for c in body.get("commands", []) if c["type"] == "add-tool-result"]
    if not results:
        # no result yet: ask for the two client-side tools (no result in the reply: the
        # message ends in requires-action and the client runs them)
        step = text_events("Let me check. ")
        step += tool_call_events("get_weather", {"city": "Paris"})
        step += tool_call_events("calculator", {"a": 6, "op": "*", "b": 7})
        return Reply(events=message_events(step))
    by_name = {r["toolName"]: r["result"] for r in results}
    weather, product = by_name["get_weather"], by_name["calculator"]
    return text_reply(f"It is {weather['temperature']}°{weather['unit'].upper()} and "
                      f"{weather['conditions']} in {weather['city']}, and 6 * 7 = {product:g}.")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run client-side tools with run_sync.")
    parser.add_argument("question", nargs="?", default="What's the weather in Paris, and what is 6 * 7?")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the chat backend (default: $ASSISTANT_UI_BASE_URL, else a local demo)")
    args = parser.parse_args(argv)

    if args.base_url:
        ask(args.base_url, args.question)
    else:
        local_backend_or_exit()
        with serve(FakeBackend(responder=scripted_model)) as base_url:
            ask(base_url, args.question)


if __name__ == "__main__":
    main()
