"""Amazon Q / CodeWhisperer ``GenerateAssistantResponse`` events (docs/wire-formats.md).

The answer is an AWS binary event stream; the ``aws-eventstream`` dialect frames it and
hands each event named here to :class:`AmazonQEvents`:

==============================  ==========================================================
``:event-type``                 normalized events
==============================  ==========================================================
``messageMetadataEvent``        ``metadata`` (``messageId`` = ``utteranceId``, metadata
                                ``conversationId``), plus a transient ``data`` event
                                ``message-metadata`` holding the payload
``assistantResponseEvent``      ``text-delta``
``reasoningContentEvent``       ``reasoning-delta`` (``text``); ``signature`` and
                                ``redactedContent`` have no place in the message and go
                                out as a ``raw`` event
``toolUseEvent``                ``tool-call-start`` / ``tool-call-delta`` for the ``input``
                                fragments; ``stop: true`` closes the call (``tool-call``
                                with the parsed arguments)
``citationEvent``,              ``source`` (one per link)
``codeReferenceEvent``,
``supplementaryWebLinksEvent``
``followupPromptEvent``         ``data`` ``followup-prompt``
``metadataEvent``               ``tokenUsage`` becomes the finish's ``usage``
``invalidStateEvent``           ``error`` (code: the ``reason``)
==============================  ==========================================================

The service sends no finish: the answer ends with the body. At the end, once any of
these events was seen and no error was, a ``finish`` is synthesized: ``tool-calls``
when a tool use was closed by ``stop``, else ``stop``. A tool use still open at the end
was cut short: it is closed (with a warning) but does not count as a request for tools.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..usage import normalize_usage
from ._tools import ToolTracker

__all__ = ["HANDLERS", "AmazonQEvents", "q_usage"]

#: an event's handler, called with the answer's state: False sends the payload out raw
Handler = Callable[["AmazonQEvents", dict[str, Any], list[Any]], bool]

_REASONING_EXTRAS = ("signature", "redactedContent")


def q_usage(token_usage: dict[str, Any]) -> dict[str, Any]:
    """``tokenUsage`` as our usage: input tokens are the uncached ones plus those read
    from and written to the prompt cache (so that input + output = total)."""
    counts = [token_usage.get(k) for k in ("uncachedInputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")]
    inputs = sum(c for c in counts if type(c) is int)
    usage: dict[str, Any] = {"inputTokens": inputs, "outputTokens": token_usage.get("outputTokens")}
    if "totalTokens" in token_usage:
        usage["totalTokens"] = token_usage["totalTokens"]
    return dict(normalize_usage(usage) or {})


def _reference_title(ref: dict[str, Any]) -> str | None:
    """A code reference's title: its repository, and its licence in brackets."""
    repository, license_name = ref.get("repository"), ref.get("licenseName")
    title = repository if isinstance(repository, str) and repository else None
    if isinstance(license_name, str) and license_name:
        title = f"{title} ({license_name})" if title else license_name
    return title


class AmazonQEvents:
    """The Amazon Q event family of one answer (state: tool uses, usage, errors)."""

    __slots__ = ("errored", "seen", "sources", "stopped", "tools", "usage", "warnings")

    def __init__(self, tools: ToolTracker, warnings: list[str]) -> None:
        self.tools = tools
        self.warnings = warnings
        #: ``source`` events emitted so far (they are numbered)
        self.sources = 0
        #: an Amazon Q event was understood (only then is a finish synthesized)
        self.seen = False
        #: the answer reported an error (exception frame or invalidStateEvent)
        self.errored = False
        #: tool uses closed by ``stop: true``
        self.stopped: list[str] = []
        self.usage: dict[str, Any] | None = None

    def handle(self, handler: Handler, p: dict[str, Any], out: list[Any]) -> bool:
        """Apply ``handler`` (one of :data:`HANDLERS`) to the payload ``p``."""
        understood = handler(self, p, out)
        if understood:
            self.seen = True
        return understood

    def end(self, out: list[Any]) -> None:
        """End of the body: close what is open, then the synthesized finish."""
        if not self.seen:
            return
        for call_id in list(self.tools.names):
            if self.tools.is_open(call_id):
                self.warnings.append(
                    f"amazon-q: tool use {call_id!r} was not closed by stop before the end of the body"
                )
                self.tools.finish(out, call_id)
        if self.errored:
            return
        finish: dict[str, Any] = {
            "type": "finish",
            "finishReason": "tool-calls" if self.stopped else "stop",
        }
        if self.usage is not None:
            finish["usage"] = self.usage
        out.append(finish)

    # -- handlers ----------------------------------------------------------------------------

    def _text(self, p: dict[str, Any], out: list[Any]) -> bool:
        content = p.get("content")
        if not isinstance(content, str):
            return False
        if content:
            out.append({"type": "text-delta", "delta": content})
        return True

    def _reasoning(self, p: dict[str, Any], out: list[Any]) -> bool:
        text = p.get("text")
        extras = {k: p[k] for k in _REASONING_EXTRAS if p.get(k) is not None}
        if not isinstance(text, str) and not extras:
            return False
        if isinstance(text, str) and text:
            out.append({"type": "reasoning-delta", "delta": text})
        if extras:
            out.append({"type": "raw", "event": "reasoningContentEvent", "data": extras})
        return True

    def _tool_use(self, p: dict[str, Any], out: list[Any]) -> bool:
        call_id = p.get("toolUseId")
        if not isinstance(call_id, str) or not call_id:
            return False
        tools = self.tools
        if not tools.known(call_id):
            name = p.get("name")
            tools.start(out, call_id, name if isinstance(name, str) else "")
        fragment = p.get("input")
        if isinstance(fragment, (dict, list)):
            fragment = json.dumps(fragment)
        if isinstance(fragment, str) and fragment:
            tools.delta(out, call_id, fragment)
        if p.get("stop") is True and tools.is_open(call_id):
            tools.finish(out, call_id)
            self.stopped.append(call_id)
        return True

    def _code_reference(self, p: dict[str, Any], out: list[Any]) -> bool:
        return self._sources(p.get("references"), _reference_title, out)

    def _citation(self, p: dict[str, Any], out: list[Any]) -> bool:
        link = p.get("citationLink")
        if not isinstance(link, str) or not link:
            return False
        self._source(out, link, p.get("citationText"))
        return True

    def _web_links(self, p: dict[str, Any], out: list[Any]) -> bool:
        return self._sources(p.get("supplementaryWebLinks"), lambda link: link.get("title"), out)

    def _source(self, out: list[Any], url: str, title: Any) -> None:
        self.sources += 1
        event: dict[str, Any] = {
            "type": "source",
            "sourceType": "url",
            "id": f"aws-source-{self.sources}",
            "url": url,
        }
        if isinstance(title, str) and title:
            event["title"] = title
        out.append(event)

    def _sources(
        self, items: Any, title_of: Callable[[dict[str, Any]], Any], out: list[Any]
    ) -> bool:
        """One source per item with a URL; False when ``items`` is no list or an item has
        no URL (the whole event then also goes out raw)."""
        if not isinstance(items, list):
            return False
        complete = True
        for item in items:
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str) or not url:
                complete = False
                continue
            assert isinstance(item, dict)
            self._source(out, url, title_of(item))
        return complete

    def _followup(self, p: dict[str, Any], out: list[Any]) -> bool:
        prompt = p.get("followupPrompt")
        out.append(
            {"type": "data", "name": "followup-prompt", "data": prompt if prompt is not None else p}
        )
        return True

    def _message_metadata(self, p: dict[str, Any], out: list[Any]) -> bool:
        # the whole payload as an event; the message keeps its ids through ``metadata``
        out.append({"type": "data", "name": "message-metadata", "data": p, "transient": True})
        event: dict[str, Any] = {"type": "metadata"}
        utterance, conversation = p.get("utteranceId"), p.get("conversationId")
        if isinstance(utterance, str) and utterance:
            event["messageId"] = utterance
        if isinstance(conversation, str) and conversation:
            event["metadata"] = {"conversationId": conversation}
        if len(event) > 1:
            out.append(event)
        return True

    def _metadata(self, p: dict[str, Any], out: list[Any]) -> bool:
        token_usage = p.get("tokenUsage")
        if not isinstance(token_usage, dict):
            return False
        self.usage = q_usage(token_usage)
        rest = {k: v for k, v in p.items() if k != "tokenUsage"}
        if rest:
            out.append({"type": "raw", "event": "metadataEvent", "data": rest})
        return True

    def _invalid_state(self, p: dict[str, Any], out: list[Any]) -> bool:
        reason, message = p.get("reason"), p.get("message")
        if not isinstance(reason, str) or not reason:
            reason = None
        if not isinstance(message, str) or not message:
            message = f"invalid state: {reason}" if reason else "invalid state"
        self.errored = True
        out.append({"type": "error", "error": message, "code": reason or "invalidStateEvent"})
        return True


#: ``:event-type`` -> its handler, a plain function called with the answer's state (one
#: table for every answer: no bound methods, and no reference cycle, per call)
HANDLERS: dict[str, Handler] = {
    "assistantResponseEvent": AmazonQEvents._text,
    "reasoningContentEvent": AmazonQEvents._reasoning,
    "toolUseEvent": AmazonQEvents._tool_use,
    "codeReferenceEvent": AmazonQEvents._code_reference,
    "citationEvent": AmazonQEvents._citation,
    "supplementaryWebLinksEvent": AmazonQEvents._web_links,
    "followupPromptEvent": AmazonQEvents._followup,
    "messageMetadataEvent": AmazonQEvents._message_metadata,
    "metadataEvent": AmazonQEvents._metadata,
    "invalidStateEvent": AmazonQEvents._invalid_state,
}
