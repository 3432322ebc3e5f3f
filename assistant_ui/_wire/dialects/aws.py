"""The AWS binary event stream (docs/wire-formats.md §10) and the event families sent over it.

The decoder frames the body (:class:`assistant_ui._wire.eventstream.EventStreamFramer`);
this module gives each message its meaning:

* ``:message-type`` ``exception`` / ``error``: an ``error`` event (code from
  ``:exception-type`` / ``:error-code``, message from the payload's ``message`` or
  ``Message``, else ``:error-message``).
* Bedrock ``ConverseStream``: ``messageStart``, ``contentBlockStart`` (tool use),
  ``contentBlockDelta`` (text, tool input, reasoning), ``contentBlockStop``,
  ``messageStop`` and ``metadata`` (usage). The finish of ``messageStop`` is held
  back until ``metadata`` brings the usage (or the stream ends), like the usage
  chunk of OpenAI streams.
* Bedrock ``InvokeModelWithResponseStream``: ``chunk`` ``{"bytes": base64}`` becomes
  a ``raw`` event ``chunk`` whose data is the decoded inner JSON.
* Amazon Q / CodeWhisperer ``GenerateAssistantResponse``: its events are mapped by
  :class:`assistant_ui._wire.dialects.amazon_q.AmazonQEvents` (text, reasoning, tool
  uses, sources, usage, and a finish synthesized at the end of the body).

The event name is the ``:event-type`` header and the payload holds the event's
fields at top level; a payload wrapped as ``{"<event name>": {...}}`` is unwrapped,
and without ``:event-type`` a single-key wrapper names the event. Anything not
understood becomes ``{"type": "raw", "event": name, "data": payload}``; nothing is
dropped silently.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from ...errors import DecodeError
from .. import jsonlib as _json
from ..eventstream import PROTOCOL, EventStreamMessage
from ..usage import normalize_usage
from ._tools import ToolTracker
from .amazon_q import HANDLERS as Q_HANDLERS
from .amazon_q import AmazonQEvents
from .amazon_q import Handler as QHandler

__all__ = ["STOP_REASONS", "AWSEventStreamDialect"]

#: Bedrock ``stopReason`` -> normalized finish reason (anything else: ``unknown``)
STOP_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool-calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "guardrail_intervened": "content-filter",
    "content_filtered": "content-filter",
}

#: an event's handler, a plain function called with the dialect; returning False means
#: "not understood": the payload goes out as a raw event
_Handler = Callable[["AWSEventStreamDialect", dict[str, Any], list[Any]], bool]


class AWSEventStreamDialect:
    name = "aws-eventstream"
    #: a JSON payload nested deeper is a DecodeError (the decoder sets it)
    max_json_depth = _json.DEFAULT_MAX_DEPTH

    def __init__(self, warnings: list[str] | None = None) -> None:
        self.warnings: list[str] = warnings if warnings is not None else []
        self.tools = ToolTracker(self.warnings)
        #: Bedrock contentBlockIndex -> toolUseId of the open tool block
        self._blocks: dict[int, str] = {}
        #: the finish of a messageStop, waiting for the metadata event's usage
        self._finish: dict[str, Any] | None = None
        #: usage that arrived before its messageStop
        self._usage: Any = None
        #: body offset of the message being decoded (for errors)
        self._offset = 0
        # Amazon Q / CodeWhisperer (assistant_ui._wire.dialects.amazon_q)
        self._q = AmazonQEvents(self.tools, self.warnings)

    # -- the dialect interface ------------------------------------------------------

    def feed(self, units: Sequence[EventStreamMessage], out: list[Any]) -> None:
        """Decode framed messages (the decoder frames the body)."""
        for message in units:
            self.feed_message(message, out)

    def end(self, out: list[Any], *, done: bool) -> None:
        """End of body: close tool args, flush the finish."""
        self._q.end(out)
        self.tools.finish_all(out)
        self._blocks.clear()
        self._flush_finish(out)
        if self._usage is not None:
            self.warnings.append("aws-eventstream: usage without a messageStop dropped")
            self._usage = None

    # -- messages ----------------------------------------------------------------

    def feed_message(self, message: EventStreamMessage, out: list[Any]) -> None:
        """Decode one framed message into normalized events."""
        headers = message.headers
        self._offset = message.offset
        message_type = headers.get(":message-type", "event")
        if message_type in ("exception", "error"):
            self._q.errored = True
            self._flush_finish(out)
            out.append(self._error_event(message))
            return
        payload = self._payload(message)
        event_type = headers.get(":event-type")
        if not isinstance(event_type, str):
            event_type = None
            if isinstance(payload, dict) and len(payload) == 1:
                key = next(iter(payload))
                if key in _HANDLERS and isinstance(payload[key], dict):
                    event_type = key
            if event_type is None:
                event_type = message_type if isinstance(message_type, str) else "event"
        assert isinstance(event_type, str)
        if isinstance(payload, dict):
            inner = payload.get(event_type)
            if isinstance(inner, dict):
                payload = inner
        if self._finish is not None and event_type != "metadata":
            self._flush_finish(out)
        handler = _HANDLERS.get(event_type)
        if handler is not None:
            if payload is None:
                payload = {}
            if isinstance(payload, dict) and handler(self, payload, out):
                return
        out.append({"type": "raw", "event": event_type, "data": payload})

    def _payload(self, message: EventStreamMessage) -> Any:
        """The payload decoded per ``:content-type``: JSON when it says so or when it parses."""
        data = message.payload
        if not data:
            return None
        content_type = message.headers.get(":content-type")
        ctype = content_type.lower() if isinstance(content_type, str) else ""
        if not ctype.startswith("text/") or "json" in ctype:
            self._check_depth(data, message.offset)
            try:
                return _json.parse(data)
            except ValueError:
                if "json" in ctype:
                    self.warnings.append(
                        f"aws-eventstream: invalid JSON payload at byte {message.offset} kept as text"
                    )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data

    def _check_depth(self, data: bytes, offset: int) -> None:
        if _json.too_deep(data, self.max_json_depth):
            raise DecodeError(
                f"JSON nested deeper than {self.max_json_depth} levels",
                protocol=PROTOCOL,
                offset=offset,
            )

    def _error_event(self, message: EventStreamMessage) -> dict[str, Any]:
        headers = message.headers
        code = headers.get(":exception-type")
        if not isinstance(code, str) or not code:
            code = headers.get(":error-code")
        text: Any = None
        payload = self._payload(message)
        if isinstance(payload, dict):
            text = payload.get("message")
            if not isinstance(text, str) or not text:
                text = payload.get("Message")
        if not isinstance(text, str) or not text:
            text = headers.get(":error-message")
        if (not isinstance(text, str) or not text) and isinstance(payload, str) and payload.strip():
            text = payload.strip()
        if not isinstance(text, str) or not text:
            text = code if isinstance(code, str) and code else "unknown error"
        event: dict[str, Any] = {"type": "error", "error": text}
        if isinstance(code, str) and code:
            event["code"] = code
        return event

    def _flush_finish(self, out: list[Any]) -> None:
        if self._finish is not None:
            out.append(self._finish)
            self._finish = None

    # -- Bedrock ConverseStream ---------------------------------------------------

    def _message_start(self, p: dict[str, Any], out: list[Any]) -> bool:
        return True  # {"role": "assistant"}: nothing to report

    def _block_start(self, p: dict[str, Any], out: list[Any]) -> bool:
        start = p.get("start")
        if not start:
            return True
        if not isinstance(start, dict):
            return False
        tool = start.get("toolUse")
        if not isinstance(tool, dict):
            return False
        index = p.get("contentBlockIndex")
        call_id = tool.get("toolUseId")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"tool-block-{index}"
            self.warnings.append(f"aws-eventstream: toolUse without toolUseId named {call_id!r}")
        name = tool.get("name")
        if (
            self.tools.start(out, call_id, name if isinstance(name, str) else "")
            and type(index) is int
        ):
            self._blocks[index] = call_id
        return True

    def _block_delta(self, p: dict[str, Any], out: list[Any]) -> bool:
        delta = p.get("delta")
        if not isinstance(delta, dict):
            return False
        text = delta.get("text")
        if isinstance(text, str):
            if text:
                out.append({"type": "text-delta", "delta": text})
            return True
        tool = delta.get("toolUse")
        if isinstance(tool, dict):
            index = p.get("contentBlockIndex")
            call_id = self._blocks.get(index) if type(index) is int else None
            if call_id is None:
                self.warnings.append(
                    f"aws-eventstream: toolUse input for content block {index!r} without a start"
                )
                return False
            fragment = tool.get("input")
            if isinstance(fragment, (dict, list)):
                fragment = json.dumps(fragment)
            if isinstance(fragment, str):
                self.tools.delta(out, call_id, fragment)
            return True
        reasoning = delta.get("reasoningContent")
        if isinstance(reasoning, dict):
            text = reasoning.get("text")
            if isinstance(text, str):
                if text:
                    out.append({"type": "reasoning-delta", "delta": text})
                return True
            # signature / redactedContent: no place in the message; kept as raw
        return False

    def _block_stop(self, p: dict[str, Any], out: list[Any]) -> bool:
        index = p.get("contentBlockIndex")
        call_id = self._blocks.pop(index, None) if type(index) is int else None
        if call_id is not None:
            self.tools.finish(out, call_id)
        return True

    def _message_stop(self, p: dict[str, Any], out: list[Any]) -> bool:
        # the server should have stopped every block; close what it left open
        self.tools.finish_all(out)
        self._blocks.clear()
        reason = p.get("stopReason")
        finish: dict[str, Any] = {
            "type": "finish",
            "finishReason": STOP_REASONS.get(reason, "unknown")
            if isinstance(reason, str)
            else "unknown",
        }
        if self._usage is not None:
            finish["usage"] = self._usage
            self._usage = None
            out.append(finish)
        else:
            self._finish = finish
        return True

    def _metadata(self, p: dict[str, Any], out: list[Any]) -> bool:
        usage = p.get("usage")
        if not isinstance(usage, dict):
            return False
        normalized = normalize_usage(usage, self.warnings)
        if self._finish is not None:
            self._finish["usage"] = normalized
            self._flush_finish(out)
        else:
            self._usage = normalized
        return True

    # -- Bedrock InvokeModelWithResponseStream ------------------------------------------

    def _chunk(self, p: dict[str, Any], out: list[Any]) -> bool:
        encoded = p.get("bytes")
        if not isinstance(encoded, str):
            return False
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            self.warnings.append("aws-eventstream: chunk bytes are not valid base64")
            return False
        data: Any
        self._check_depth(raw, self._offset)
        try:
            data = _json.parse(raw)
        except ValueError:
            data = raw.decode("utf-8", "replace")
        out.append({"type": "raw", "event": "chunk", "data": data})
        return True


def _amazon_q(handler: QHandler) -> _Handler:
    """The dialect's handler of an Amazon Q event: ``handler`` with the answer's state."""

    def run(dialect: AWSEventStreamDialect, p: dict[str, Any], out: list[Any]) -> bool:
        return dialect._q.handle(handler, p, out)

    return run


#: ``:event-type`` -> handler: Bedrock's, then Amazon Q's (one table for every call)
_HANDLERS: dict[str, _Handler] = {
    # Bedrock ConverseStream
    "messageStart": AWSEventStreamDialect._message_start,
    "contentBlockStart": AWSEventStreamDialect._block_start,
    "contentBlockDelta": AWSEventStreamDialect._block_delta,
    "contentBlockStop": AWSEventStreamDialect._block_stop,
    "messageStop": AWSEventStreamDialect._message_stop,
    "metadata": AWSEventStreamDialect._metadata,
    # Bedrock InvokeModelWithResponseStream
    "chunk": AWSEventStreamDialect._chunk,
    # Amazon Q / CodeWhisperer
    **{name: _amazon_q(handler) for name, handler in Q_HANDLERS.items()},
}
