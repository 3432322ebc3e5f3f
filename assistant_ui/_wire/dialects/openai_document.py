"""OpenAI Chat Completions, non-streaming: one ``chat.completion`` JSON body (docs/wire-formats.md §9).

The mapping is the streaming dialect's (:mod:`assistant_ui._wire.dialects.openai`),
applied to the whole message at once. ``tool_calls[].function.arguments`` are
parsed with ``json.loads``; when that fails (or gives no object) ``argsText``
keeps the raw string and ``args`` is ``{}``. Choices other than 0 become
``openai-choice`` data events, as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..jsonlib import loads_bounded
from .openai import OpenAIDialect, map_finish_reason
from .openai_choices import compact_json, text_of_parts

__all__ = ["OpenAIDocumentDialect", "sniff_document"]


def sniff_document(doc: Any, forced: bool) -> bool:
    """A ``chat.completion`` object (any object with ``choices`` when ``protocol="openai"``)."""
    return isinstance(doc, dict) and (
        doc.get("object") == "chat.completion" or (forced and "choices" in doc)
    )


class OpenAIDocumentDialect(OpenAIDialect):
    """Reads the JSON body of a non-streaming answer (framing ``json``)."""

    def feed(self, units: Sequence[Any], out: list[Any]) -> None:
        for doc in units:
            if type(doc) is dict:
                self._document(doc, out)
            else:
                out.append({"type": "raw", "event": "json", "data": doc})

    def end(self, out: list[Any], *, done: bool) -> None:
        return None

    def _document(self, doc: dict[str, Any], out: list[Any]) -> None:
        """A whole ``chat.completion`` body."""
        self._metadata(doc, out)
        if doc.get("error") is not None and doc.get("choices") is None:
            self._error(doc["error"], out)
            return
        choices = doc.get("choices")
        main_seen = False
        if type(choices) is list:
            for choice in choices:
                if type(choice) is not dict:
                    continue
                index = choice.get("index", 0)
                if (index == 0 or index is None) and not main_seen:
                    main_seen = True
                    message = choice.get("message")
                    if type(message) is dict:
                        self._message(message, out)
                    reason = choice.get("finish_reason")
                    if reason is not None:
                        self._reason = map_finish_reason(reason)
                else:
                    out.append({"type": "data", "name": "openai-choice", "id": str(index),
                                "data": choice})
        usage = doc.get("usage")
        if type(usage) is dict:
            self._usage = usage
        self._emit_finish(out)

    def _message(self, message: dict[str, Any], out: list[Any]) -> None:
        reasoning = message.get("reasoning_content")
        if reasoning is None:
            reasoning = message.get("reasoning")
        if type(reasoning) is str and reasoning:
            out.append({"type": "reasoning-delta", "delta": reasoning})
        content = message.get("content")
        text = ""
        if type(content) is str:
            text = content
        elif type(content) is list:
            text = text_of_parts(content, self.refusal)
        refusal = message.get("refusal")
        if type(refusal) is str and refusal:
            self.refusal.append(refusal)
            text += refusal
        if text:
            out.append({"type": "text-delta", "delta": text})
        annotations = message.get("annotations")
        if type(annotations) is list:
            self._annotations(annotations, out)
        calls = message.get("tool_calls")
        if type(calls) is list:
            for i, tc in enumerate(calls):
                if type(tc) is dict:
                    call_id = tc.get("id")
                    if type(call_id) is not str or not call_id:
                        call_id = f"call_{i}"
                    self._whole_call(self._new_id(call_id), tc.get("function"), out)
        fc = message.get("function_call")
        if type(fc) is dict:
            self._whole_call(self._new_id("function_call"), fc, out)

    def _whole_call(self, call_id: str, fn: Any, out: list[Any]) -> None:
        name: Any = None
        args: Any = None
        if type(fn) is dict:
            name = fn.get("name")
            args = fn.get("arguments")
        n = len(out)
        self.tools.finish(out, call_id, name=name if type(name) is str else "")
        if len(out) == n:
            return
        ev = out[-1]
        if type(args) is str:
            if not args:
                return  # canonical "{}" / {}
            try:
                parsed = loads_bounded(args)
            except ValueError:
                parsed = None
            ev["argsText"] = args
            ev["args"] = parsed if type(parsed) is dict else {}
        elif type(args) is dict:
            ev["args"] = args
            ev["argsText"] = compact_json(args)
