"""``DemoBackend``: the built-in demo's plausible assistant, with a ``get_weather`` tool.

It reads the last user message and any tool results from an assistant-ui,
AI SDK or OpenAI request body, whatever the dialect, and answers with a
streamed reply built from :mod:`._replies`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._fake_backend import FakeBackend, RecordedRequest, request_dialect
from ._replies import (
    Reply,
    ReplyLike,
    as_reply,
    count_output,
    message_events,
    text_events,
    tool_call_events,
)

__all__ = ["DemoBackend", "fake_weather"]

_KNOWN_WEATHER = {
    "paris": (18, "sunny"),
    "london": (14, "cloudy with light drizzle"),
    "tokyo": (22, "clear"),
    "new york": (20, "partly cloudy"),
    "berlin": (16, "windy"),
    "san francisco": (17, "foggy"),
    "sydney": (24, "sunny"),
}
_CONDITIONS = ("sunny", "cloudy", "rainy", "windy", "clear", "foggy", "snowy")
_WEATHER_WORDS = re.compile(r"\b(weather|temperature|forecast|raining|rain|sunny|warm|cold)\b", re.I)
_CITY = re.compile(
    r"\b(?:in|for|at)\s+([^\W\d_][\w'.-]*(?:\s+[^\W\d_][\w'.-]*){0,2})", re.I
)
_NOT_CITY = re.compile(r"\s+(?:today|tomorrow|now|right|this|please|like|currently)\b.*$", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|howdy|good (morning|afternoon|evening))\b", re.I)


def fake_weather(city: str, unit: str = "c") -> dict[str, Any]:
    """Made-up but stable weather for a city (the demo's ``get_weather`` tool)."""
    key = city.strip().lower()
    if key in _KNOWN_WEATHER:
        celsius, conditions = _KNOWN_WEATHER[key]
    else:
        h = sum(ord(c) * (i + 1) for i, c in enumerate(key))
        celsius, conditions = 5 + h % 25, _CONDITIONS[h % len(_CONDITIONS)]
    temperature = round(celsius * 9 / 5 + 32) if unit == "f" else celsius
    return {"city": city, "temperature": temperature, "unit": unit, "conditions": conditions}


def _city_of(text: str) -> str:
    match = _CITY.search(text)
    if match is None:
        return "Paris"
    city = _NOT_CITY.sub("", match.group(1)).strip(" .?!,")
    if not city:
        return "Paris"
    return city.title() if city.islower() else city


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                texts.append(part)
    return "".join(texts)


@dataclass
class _Turn:
    """What the demo needs from a request, whatever the dialect."""

    dialect: str
    user_text: str = ""
    tool_results: list[dict[str, Any]] = field(default_factory=list)
    client_tools: set[str] = field(default_factory=set)
    words_in: int = 0


def _parse_turn(body: Mapping[str, Any]) -> _Turn:
    dialect = request_dialect(body)
    turn = _Turn(dialect)
    tools = body.get("tools")
    if isinstance(tools, dict):
        turn.client_tools = {str(k) for k in tools}
    elif isinstance(tools, list):
        for tool in tools:
            if isinstance(tool, dict):
                fn = tool.get("function")
                name = fn.get("name") if isinstance(fn, dict) else tool.get("name")
                if isinstance(name, str):
                    turn.client_tools.add(name)
    if dialect == "assistant-ui":
        commands = body.get("commands")
        if isinstance(commands, list) and commands:
            for cmd in commands:
                if not isinstance(cmd, dict):
                    continue
                if cmd.get("type") == "add-message":
                    message = cmd.get("message") or {}
                    if isinstance(message, dict) and message.get("role") == "user":
                        turn.user_text = _text_of(message.get("parts") or message.get("content"))
                        turn.tool_results.clear()
                elif cmd.get("type") == "add-tool-result":
                    turn.tool_results.append(cmd)
            return _count_words(turn, body)
    messages = body.get("messages")
    if not isinstance(messages, list):
        return turn
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        if role == "user":
            turn.user_text = _text_of(msg.get("parts") if "parts" in msg else msg.get("content"))
            turn.tool_results.clear()
        elif role == "tool":
            if "tool_call_id" in msg:  # OpenAI
                content = msg.get("content")
                try:
                    result: Any = json.loads(content) if isinstance(content, str) else content
                except ValueError:
                    result = content
                turn.tool_results.append({"toolCallId": msg["tool_call_id"],
                                          "toolName": _openai_tool_name(messages, msg["tool_call_id"]),
                                          "result": result, "isError": False})
            else:
                for part in msg.get("content") or []:
                    if isinstance(part, dict) and part.get("type") == "tool-result":
                        output = part.get("output", part.get("result"))
                        if isinstance(output, dict) and output.get("type") in (
                            "json", "text", "error-json", "error-text"
                        ):
                            output = output.get("value")
                        turn.tool_results.append({
                            "toolCallId": part.get("toolCallId"),
                            "toolName": part.get("toolName"),
                            "result": output,
                            "isError": bool(part.get("isError", False)),
                        })
        elif role == "assistant" and isinstance(msg.get("parts"), list):  # AI SDK UIMessage
            for part in msg["parts"]:
                if not isinstance(part, dict):
                    continue
                kind = str(part.get("type", ""))
                if not (kind.startswith("tool-") or kind == "dynamic-tool"):
                    continue
                if part.get("state") == "output-available":
                    result, is_error = part.get("output"), False
                elif part.get("state") == "output-error":
                    result, is_error = part.get("errorText"), True
                else:
                    continue
                name = part.get("toolName") if kind == "dynamic-tool" else kind[5:]
                turn.tool_results.append({"toolCallId": part.get("toolCallId"), "toolName": name,
                                          "result": result, "isError": is_error})
    return _count_words(turn, body)


def _openai_tool_name(messages: list[Any], call_id: Any) -> str:
    for msg in messages:
        if isinstance(msg, dict) and isinstance(msg.get("tool_calls"), list):
            for call in msg["tool_calls"]:
                if isinstance(call, dict) and call.get("id") == call_id:
                    fn = call.get("function")
                    if isinstance(fn, dict):
                        return str(fn.get("name", ""))
    return ""


def _count_words(turn: _Turn, body: Mapping[str, Any]) -> _Turn:
    turn.words_in = len(json.dumps(body)) // 4  # about a token per four characters
    return turn


def _describe_result(result: Mapping[str, Any]) -> str:
    name = result.get("toolName") or "the tool"
    value = result.get("result")
    if result.get("isError"):
        return f"{name} failed ({value}), so I cannot answer that right now."
    if name == "get_weather" and isinstance(value, dict) and "temperature" in value:
        unit = "°F" if str(value.get("unit", "c")).lower().startswith("f") else "°C"
        city = value.get("city") or "there"
        conditions = value.get("conditions", "fine")
        return f"It's {value['temperature']} {unit} and {conditions} in {city} right now."
    return f"{name} returned {json.dumps(value, ensure_ascii=False)}."


class DemoBackend(FakeBackend):
    """The built-in demo backend: a plausible assistant with a ``get_weather`` tool.

    * A weather question ("What's the weather in Paris?") gets a short streamed
      answer, a ``get_weather`` call and a final answer. When the request
      declares its own ``get_weather`` tool, the call is left to the client (the
      message ends in ``requires-action``); otherwise the backend runs the tool
      itself and streams the result too (not with OpenAI bodies, whose wire
      format has no tool results: the weather is then told in plain text).
    * Tool results sent back (``add-tool-result`` commands, tool messages, AI SDK
      tool outputs) are answered using the results.
    * A greeting gets an introduction; anything else is echoed back.

    Replies stream word by word, ``delay`` seconds apart. Scripted ``replies``
    and ``format`` work as for :class:`FakeBackend`.
    """

    def __init__(
        self, replies: Iterable[ReplyLike] = (), *, delay: float = 0.02, format: str | None = None
    ) -> None:
        super().__init__(replies, format=format, delay=delay)
        self._messages = itertools.count(1)

    async def respond(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            if self.replies:
                return as_reply(self.replies.popleft())
        body = request.body if isinstance(request.body, dict) else {}
        return self.demo_reply(body)

    def demo_reply(self, body: Mapping[str, Any]) -> Reply:
        """The demo's answer to one request body."""
        turn = _parse_turn(body)
        message_id = f"msg_demo_{next(self._messages)}"
        usage_in = turn.words_in
        steps: list[list[dict[str, Any]]]
        if turn.tool_results:
            answer = " ".join(_describe_result(r) for r in turn.tool_results)
            steps = [text_events(answer)]
        elif _WEATHER_WORDS.search(turn.user_text):
            city = _city_of(turn.user_text)
            intro = text_events(f"Let me check the current weather in {city}. ")
            if "get_weather" in turn.client_tools:
                steps = [intro + tool_call_events("get_weather", {"city": city})]
            elif turn.dialect == "openai":
                weather = fake_weather(city)
                steps = [text_events(_describe_result(
                    {"toolName": "get_weather", "result": weather}))]
            else:
                weather = fake_weather(city)
                call = tool_call_events("get_weather", {"city": city}, result=weather)
                answer = _describe_result({"toolName": "get_weather", "result": weather})
                extra = (" A good day for a walk!" if weather["conditions"] in ("sunny", "clear")
                         else " You may want a jacket.")
                steps = [intro + call, text_events(answer + extra)]
        elif not turn.user_text.strip() or _GREETING.match(turn.user_text):
            steps = [text_events(
                "Hello! I'm the assistant-ui demo backend. I can stream text and call a "
                "get_weather tool: try asking \"What's the weather in Tokyo?\""
            )]
        else:
            steps = [text_events(
                f"You said: \"{turn.user_text.strip()}\". I'm a demo backend, so I echo; "
                "ask me about the weather to see a tool call."
            )]
        events = message_events(*steps, message_id=message_id)
        usage = {"inputTokens": usage_in, "outputTokens": sum(count_output(s) for s in steps)}
        events[-1]["usage"] = usage
        return Reply(events=events)
