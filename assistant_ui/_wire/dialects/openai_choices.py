"""What the OpenAI dialect keeps of a completion's choices other than 0 (``n > 1``),
and the small helpers it shares with the document form: the text of a list of
content parts, a choice index fit to be a dict key, compact JSON."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SideChoice", "choice_key", "compact_json", "text_of_parts"]


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def choice_key(index: Any) -> Any:
    """An ``index`` fit to be a dict key: a list or an object (malformed, but a
    hostile server may send one) is keyed by its JSON text."""
    if index is None or type(index) in (int, str, float, bool):
        return index
    return compact_json(index)


def text_of_parts(content: list[Any], refusal: list[str]) -> str:
    """The text of a list of content parts (refusal parts count as text)."""
    texts: list[str] = []
    for part in content:
        if type(part) is dict:
            kind = part.get("type")
            if kind == "text" and type(part.get("text")) is str:
                texts.append(part["text"])
            elif kind == "refusal" and type(part.get("refusal")) is str:
                texts.append(part["refusal"])
                refusal.append(part["refusal"])
        elif type(part) is str:
            texts.append(part)
    return "".join(texts)


class SideChoice:
    """A choice other than 0, accumulated until it finishes."""

    __slots__ = ("content", "emitted", "finish_reason", "reasoning", "refusal", "tools")

    def __init__(self) -> None:
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.tools: dict[Any, dict[str, Any]] = {}
        self.finish_reason: Any = None
        self.emitted = False

    def add(self, delta: dict[str, Any]) -> None:
        content = delta.get("content")
        if type(content) is str:
            self.content.append(content)
        elif type(content) is list:
            self.content.append(text_of_parts(content, self.refusal))
        reasoning = delta.get("reasoning_content")
        if reasoning is None:
            reasoning = delta.get("reasoning")
        if type(reasoning) is str:
            self.reasoning.append(reasoning)
        refusal = delta.get("refusal")
        if type(refusal) is str:
            self.refusal.append(refusal)
        calls = delta.get("tool_calls")
        if type(calls) is list:
            for tc in calls:
                if type(tc) is dict:
                    self._tool(choice_key(tc.get("index", len(self.tools))), tc)
        fc = delta.get("function_call")
        if type(fc) is dict:
            self._tool("function_call", {"id": "function_call", "function": fc})

    def _tool(self, key: Any, tc: dict[str, Any]) -> None:
        entry = self.tools.get(key)
        if entry is None:
            entry = self.tools[key] = {"id": "", "type": "function",
                                       "function": {"name": "", "arguments": ""}}
        if type(tc.get("id")) is str:
            entry["id"] = tc["id"]
        fn = tc.get("function")
        if type(fn) is dict:
            if type(fn.get("name")) is str and not entry["function"]["name"]:
                entry["function"]["name"] = fn["name"]
            if type(fn.get("arguments")) is str:
                entry["function"]["arguments"] += fn["arguments"]

    def choice(self, index: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content) if self.content else None,
        }
        if self.refusal:
            message["refusal"] = "".join(self.refusal)
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.tools:
            message["tool_calls"] = list(self.tools.values())
        return {"index": index, "message": message, "finish_reason": self.finish_reason}
