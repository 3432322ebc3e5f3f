"""OpenAI Chat Completions: streaming ``chat.completion.chunk`` SSE and the
non-streaming ``chat.completion`` JSON body (docs/wire-formats.md §9).

Mapping choices (where docs/wire-formats.md leaves room):

* The first chunk with a non-empty ``id`` gives a ``metadata`` event: the
  completion id becomes the message id, and ``model`` goes to the custom
  metadata (``{"model": ...}``).
* ``delta.content`` (a string, or a list of ``{type: "text", text}`` parts from
  compatible servers) -> ``text-delta``. ``reasoning_content`` / ``reasoning`` ->
  ``reasoning-delta``.
* ``delta.refusal`` -> ``text-delta`` too (it is text the user must see), and the
  whole refusal is also reported once, just before the ``finish`` event, as a
  ``metadata`` event ``{"metadata": {"refusal": text}}`` so that it can be told
  apart from ordinary content.
* Tool calls are merged by ``index`` and streamed through the ToolTracker as
  they arrive. A fragment that carries an ``id`` unlike the one already at its
  index starts a new call (the old one is closed), and a fragment without
  ``index`` goes to the call with its ``id`` or else to the last call: some
  compatible servers reuse or omit indices. A call without an ``id`` gets
  ``call_<index>``. The deprecated ``function_call`` is one call with id
  ``function_call``. The tool name is the one of the first fragment.
* ``delta.annotations`` / ``message.annotations`` of type ``url_citation`` ->
  ``source`` events with ids ``source-0``, ``source-1``, ...
* ``finish_reason`` closes the open tool arguments at once; the ``finish`` event
  itself waits for the usage: it is emitted when a chunk carries ``usage`` (the
  ``include_usage`` chunk that follows, or the same chunk) or at ``end()``,
  whichever comes first. Reasons: stop->stop, length->length,
  tool_calls/function_call->tool-calls, content_filter->content-filter,
  error->error, anything else->other. A usage seen without any
  ``finish_reason`` still yields a ``finish`` at ``end()``, with the reason
  ``tool-calls`` if there were tool calls, else ``unknown`` (what the
  accumulator would conclude anyway).
* ``{"error": {...}}`` -> ``error`` event (``message``; ``code``, or else
  ``type``, as the code).
* ``n > 1``: choice 0 is the message. Every other choice is accumulated on the
  side and reported once, when its ``finish_reason`` arrives (or at ``end()``),
  as ``{"type": "data", "name": "openai-choice", "id": "<index>", "data":
  <a chat.completion choice: {index, message, finish_reason}>}``. A non-streaming
  body reports its other choices the same way, as they are.
* Non-streaming ``tool_calls[].function.arguments`` are parsed with
  ``json.loads``; when that fails (or gives no object) ``argsText`` keeps the raw
  string and ``args`` is ``{}``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .. import jsonlib as _json
from ..sse import SSEEvent
from ..usage import normalize_usage
from ._tools import ToolTracker
from .base import JSONEventDialect
from .openai_choices import SideChoice, choice_key, compact_json, text_of_parts

__all__ = ["FINISH_REASONS", "OpenAIDialect", "map_finish_reason", "sniff_event"]

#: OpenAI finish_reason -> docs/wire-formats.md §3 finish reason
FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
    "content_filter": "content-filter",
    "error": "error",
}


def map_finish_reason(reason: Any) -> str:
    if type(reason) is not str or not reason:
        return "unknown"
    return FINISH_REASONS.get(reason, "other")


def sniff_event(value: Any) -> bool:
    """A first SSE payload with ``choices`` (or a chunk's ``object``), or a bare ``error``."""
    if not isinstance(value, dict):
        return False
    if "choices" in value or value.get("object") == "chat.completion.chunk":
        return True
    # {"error": {...}} with no type of its own (and not path-addressed)
    return (
        not isinstance(value.get("type"), str)
        and not isinstance(value.get("path"), list)
        and isinstance(value.get("error"), dict)
    )


#: what follows a chunk's text when its last field is the ``obfuscation`` padding:
#: (the fixed part, up to the padding's opening quote; the padding)
_PADDED = re.compile(r'(.*,"obfuscation":")([A-Za-z0-9+/=_-]*)"\}', re.DOTALL)


@functools.lru_cache(maxsize=16)
def _padded_tail(fixed: str) -> re.Pattern[str]:
    """What must follow the text of a chunk like the one learned: the same fields, then
    a padding of the characters OpenAI uses (no quote, no backslash, no control
    character: it cannot end the string early or change what the chunk means)."""
    return re.compile(re.escape(fixed) + r'[A-Za-z0-9+/=_-]*"\}')


class OpenAIDialect(JSONEventDialect):
    name = "openai"

    def __init__(self, warnings: list[str] | None = None) -> None:
        super().__init__(warnings)
        self.tools = ToolTracker(self.warnings)
        #: the refusal text of choice 0 so far
        self.refusal: list[str] = []
        self._meta_sent = False
        self._by_index: dict[Any, str] = {}
        self._last_call: str | None = None
        self._reason: str | None = None
        self._usage: dict[str, Any] | None = None
        self._finish_sent = False
        self._refusal_sent = False
        self._sources = 0
        self._side: dict[Any, SideChoice] = {}
        self.learning = True
        self._learned = 0

    # -- streaming ------------------------------------------------------------------

    def event(self, value: Any, ev: SSEEvent, out: list[Any]) -> bool:
        if type(value) is not dict:
            return False
        choices = value.get("choices")
        if choices is None:
            error = value.get("error")
            if error is not None:
                self._error(error, out)
                return True
            return False
        if not self._meta_sent:
            self._metadata(value, out)
        if type(choices) is list:
            for choice in choices:
                if type(choice) is not dict:
                    continue
                index = choice_key(choice.get("index", 0))
                if index == 0 or index is None:
                    self._choice(choice, out)
                else:
                    self._side_choice(index, choice, out)
        usage = value.get("usage")
        if usage is None:
            extra = value.get("x_groq")
            if type(extra) is dict:
                usage = extra.get("usage")
        if type(usage) is dict and not self._finish_sent:
            self._usage = usage
            if self._reason is not None:
                self._emit_finish(out)
        if value.get("error") is not None:
            self._error(value["error"], out)
        return True

    def learn(self, value: Any, data: bytes) -> None:
        """A chunk that carries only a text fragment of choice 0, once the metadata
        is out, decodes to one ``text-delta`` and changes no state: the bytes around
        its text become the fast path's envelope (``JSONEventDialect.feed``), so the
        chunks that follow with the same envelope are not parsed as a whole."""
        if not self._meta_sent or type(value) is not dict:
            return
        choices = value.get("choices")
        if type(choices) is not list or len(choices) != 1:
            return
        choice = choices[0]
        if type(choice) is not dict or choice.get("finish_reason") is not None:
            return
        index = choice.get("index", 0)
        delta = choice.get("delta")
        if type(index) is not int or index != 0 or type(delta) is not dict or len(delta) != 1:
            return
        text = delta.get("content")
        if type(text) is not str or value.get("usage") is not None:
            return
        if value.get("x_groq") is not None or value.get("error") is not None:
            return
        # an envelope that changes with every chunk (a per-chunk padding field)
        # is not worth learning again and again
        self._learned += 1
        if self._learned > 16 and self._learned > self.text_hits:
            self.learning = False
            self.text_prefix = None
            return
        self.text_prefix = None
        self.text_suffix = b""
        self.text_tail = None
        # the only "content" key, written without escapes, right before its string:
        # with no backslash around the string, no other key can decode to "content"
        if data.count(b'"content"') != 1:
            return
        start = data.find(b'"content":') + 10
        if start < 10:
            return
        try:
            rest = data[start:].decode("utf-8")
            found, end = _json.scan_string(rest, 1) if rest[:1] == '"' else (None, 0)
        except ValueError:
            return
        if found != text:
            return
        prefix, after = data[:start], rest[end:]
        if b"\\" in prefix or "\\" in after:
            return
        padding = _PADDED.fullmatch(after)
        if padding is None:
            self.text_prefix, self.text_suffix = prefix, after.encode("utf-8")
        elif after.count('"obfuscation"') == 1 and value.get("obfuscation") == padding[2]:
            # the padding OpenAI adds to every chunk (``stream_options.include_obfuscation``,
            # on by default): its value changes each time, so it is matched, not kept
            self.text_prefix, self.text_tail = prefix, _padded_tail(padding[1])

    def end(self, out: list[Any], *, done: bool) -> None:
        if not done and self._reason is None:
            self.warnings.append("openai stream ended without [DONE] or a finish_reason")
        self.tools.finish_all(out)
        for index, side in self._side.items():
            if not side.emitted:
                self._emit_side(index, side, out)
        if not self._finish_sent and (self._reason is not None or self._usage is not None):
            self._emit_finish(out)
        elif self.refusal and not self._refusal_sent:
            self._emit_refusal(out)

    def _metadata(self, chunk: dict[str, Any], out: list[Any]) -> None:
        message_id = chunk.get("id")
        if type(message_id) is not str or not message_id:
            return
        self._meta_sent = True
        ev: dict[str, Any] = {"type": "metadata", "messageId": message_id}
        model = chunk.get("model")
        if type(model) is str and model:
            ev["metadata"] = {"model": model}
        out.append(ev)

    def _choice(self, choice: dict[str, Any], out: list[Any]) -> None:
        delta = choice.get("delta")
        if type(delta) is dict and delta:
            content = delta.get("content")
            if len(delta) == 1 and type(content) is str:
                # the hot path: a chunk carrying only a text fragment
                if content:
                    out.append({"type": "text-delta", "delta": content})
            else:
                self._delta(delta, content, out)
        reason = choice.get("finish_reason")
        if reason is not None and self._reason is None:
            self.tools.finish_all(out)
            self._reason = map_finish_reason(reason)

    def _delta(self, delta: dict[str, Any], content: Any, out: list[Any]) -> None:
        reasoning = delta.get("reasoning_content")
        if reasoning is None:
            reasoning = delta.get("reasoning")
        if type(reasoning) is str and reasoning:
            out.append({"type": "reasoning-delta", "delta": reasoning})
        if type(content) is str:
            if content:
                out.append({"type": "text-delta", "delta": content})
        elif type(content) is list:
            text = text_of_parts(content, self.refusal)
            if text:
                out.append({"type": "text-delta", "delta": text})
        refusal = delta.get("refusal")
        if type(refusal) is str and refusal:
            self.refusal.append(refusal)
            out.append({"type": "text-delta", "delta": refusal})
        calls = delta.get("tool_calls")
        if type(calls) is list:
            for tc in calls:
                if type(tc) is dict:
                    self._tool_fragment(choice_key(tc.get("index")), tc.get("id"), tc.get("function"), out)
        fc = delta.get("function_call")
        if type(fc) is dict:
            self._tool_fragment("function_call", "function_call", fc, out)
        annotations = delta.get("annotations")
        if type(annotations) is list:
            self._annotations(annotations, out)

    def _side_choice(self, index: Any, choice: dict[str, Any], out: list[Any]) -> None:
        side = self._side.get(index)
        if side is None:
            side = self._side[index] = SideChoice()
        delta = choice.get("delta")
        if type(delta) is dict and delta:
            side.add(delta)
        reason = choice.get("finish_reason")
        if reason is not None and not side.emitted:
            side.finish_reason = reason
            self._emit_side(index, side, out)

    def _emit_side(self, index: Any, side: SideChoice, out: list[Any]) -> None:
        side.emitted = True
        out.append({"type": "data", "name": "openai-choice", "id": str(index),
                    "data": side.choice(index)})

    def _new_id(self, base: str) -> str:
        call_id = base
        n = 1
        while self.tools.known(call_id):
            call_id = f"{base}_{n}"
            n += 1
        return call_id

    def _tool_fragment(self, index: Any, frag_id: Any, fn: Any, out: list[Any]) -> None:
        name = args = None
        if type(fn) is dict:
            name = fn.get("name")
            args = fn.get("arguments")
        tools = self.tools
        current = self._by_index.get(index) if index is not None else self._last_call
        call_id: str | None = current
        if type(frag_id) is str and frag_id and frag_id != current:
            if tools.is_open(frag_id) or (index is None and tools.known(frag_id)):
                call_id = frag_id  # a known call under another (or no) index
            else:
                if current is not None and index is not None:
                    tools.finish(out, current)  # the index is reused by a new call
                call_id = self._start(index, self._new_id(frag_id), name, out)
        elif call_id is None:
            call_id = self._start(index, self._new_id(f"call_{index if index is not None else 0}"),
                                  name, out)
        if index is not None:
            self._by_index[index] = call_id
        self._last_call = call_id
        if type(args) is str:
            if args:
                tools.delta(out, call_id, args)
        elif args is not None:
            tools.delta(out, call_id, compact_json(args))

    def _start(self, index: Any, call_id: str, name: Any, out: list[Any]) -> str:
        self.tools.start(out, call_id, name if type(name) is str else "")
        return call_id

    def _annotations(self, annotations: list[Any], out: list[Any]) -> None:
        for ann in annotations:
            if type(ann) is not dict or ann.get("type") != "url_citation":
                continue
            cite = ann.get("url_citation")
            if type(cite) is not dict or type(cite.get("url")) is not str:
                continue
            ev: dict[str, Any] = {"type": "source", "sourceType": "url",
                                  "id": f"source-{self._sources}", "url": cite["url"]}
            self._sources += 1
            title = cite.get("title")
            if type(title) is str:
                ev["title"] = title
            out.append(ev)

    def _emit_refusal(self, out: list[Any]) -> None:
        self._refusal_sent = True
        out.append({"type": "metadata", "metadata": {"refusal": "".join(self.refusal)}})

    def _emit_finish(self, out: list[Any]) -> None:
        self._finish_sent = True
        if self.refusal and not self._refusal_sent:
            self._emit_refusal(out)
        reason = self._reason
        if reason is None:
            reason = "tool-calls" if self.tools.names else "unknown"
        ev: dict[str, Any] = {"type": "finish", "finishReason": reason}
        if self._usage is not None:
            ev["usage"] = normalize_usage(self._usage, self.warnings)
        out.append(ev)

    def _error(self, error: Any, out: list[Any]) -> None:
        if type(error) is dict:
            message = error.get("message")
            code = error.get("code")
            if code is None:
                code = error.get("type")
            ev: dict[str, Any] = {
                "type": "error",
                "error": message if type(message) is str else compact_json(error),
            }
            if code is not None:
                ev["code"] = code if type(code) is str else str(code)
        else:
            ev = {"type": "error", "error": error if type(error) is str else compact_json(error)}
        out.append(ev)
