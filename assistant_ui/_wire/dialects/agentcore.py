"""Bedrock AgentCore runtime answers (docs/wire-formats.md §15).

The runtime's SDK writes every value the agent yields as one ``data: <json>`` SSE event
(no ``event:`` line), so what arrives is whatever the agent framework produced:

* LangGraph ``stream_mode="updates"``: ``{"<node>": {"messages": [...]}}``. Each node
  update is one step (``step-start`` ... ``step-finish``); an ``ai`` message's content is
  a whole text (a new text part), its ``tool_calls`` are ``tool-call`` events, a ``tool``
  message is a ``tool-result`` (``status: "error"`` sets ``isError``).
* LangGraph ``stream_mode="messages"``: ``[<AIMessageChunk>, <metadata>]``. ``content`` is
  a text delta, ``tool_call_chunks`` stream tool arguments (by ``index`` within the
  message), a step is one ``langgraph_step``; ``tool`` messages are results. Several modes
  at once (``["updates", {...}]`` pairs) are read the same way; a message whose text came
  as deltas is not repeated by its whole form.
* Named agent events (the seed agent's), as pre-formatted SSE strings the SDK JSON-encoded
  (``data: "event: llm_token\\ndata: {...}\\n\\n"``), as real ``event:`` lines, or as
  ``{"type": name, "data": {...}}``; names are case-insensitive: ``llm_token``/``token``
  -> text delta; ``agent_step`` -> a step (an ``ai`` step's ``content`` is a whole
  message, skipped when its tokens were streamed; a ``tool`` step is the result of the
  oldest unanswered call, or a tool-call part named after its node when none was
  announced); ``llm_response`` -> a whole text; ``tool_call{tool, args}`` and
  ``tool_result{tool, result}`` -> a call and its result; ``agent_end`` -> the final text
  (its ``output``, only when no text delta came and it is not the text just shown), a
  ``metadata`` event ``{"agentcore": {"steps", "metrics"}}`` and the ``finish``;
  ``error{error, type}`` -> ``error``; ``agent_start``/``thinking`` -> transient ``data``
  events named after them.
* The SDK's mid-stream error object ``{"error", "error_type", "message"}`` -> ``error``
  (code: the exception type).
* A JSON answer (``stream: false``): the text is its ``result``/``output``/``response``
  string (or the last ``ai`` message of a ``messages`` list, or a string body).

Anything else stays a ``raw`` event. With no ``agent_end`` the stream ends with a
``finish`` (``stop``, or ``tool-calls`` when a call has no result) once anything was
recognized, unless an error came.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sse import SSEEvent
from ._agentcore_base import MessageBuilder, parse_embedded_sse
from ._agentcore_base import content_parts as _blocks
from .base import JSONEventDialect

__all__ = ["AgentCoreDialect", "AgentCoreDocumentDialect", "parse_embedded_sse", "sniff_document"]

_AI = frozenset({"ai", "AIMessage", "AIMessageChunk"})
_TOOL = frozenset({"tool", "ToolMessage", "ToolMessageChunk"})
_MODES = frozenset({"messages", "updates", "values", "custom", "debug", "tasks", "checkpoints"})
_INFO = frozenset({"agent_start", "thinking", "agent_thinking", "agent_progress"})


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class AgentCoreDialect(MessageBuilder, JSONEventDialect):
    """Reads a streamed answer: one JSON value per SSE event (``JSONEventDialect.feed``)."""

    name = "agentcore"

    # -- entry points ---------------------------------------------------------------

    def event(self, value: Any, event: SSEEvent, out: list[Any]) -> bool:
        if event.event and event.event != "message":
            return self._mark(self._named(event.event, value, out))
        if isinstance(value, str):
            return self._wrapped(value, out)
        if isinstance(value, list):
            return self._mark(self._pair(value, out))
        if isinstance(value, dict):
            return self._mark(self._object(value, out))
        return False

    def document(self, doc: Any, out: list[Any]) -> None:
        """A whole JSON answer (the agent returned a value instead of streaming)."""
        text = doc if isinstance(doc, str) else None
        if isinstance(doc, dict):
            if self._sdk_error(doc, out):
                return
            for key in ("result", "output", "response"):
                value = doc.get(key)
                if isinstance(value, str):
                    text = value
                    break
                if isinstance(value, dict) and "content" in value:
                    text = _blocks(value["content"])[0]
                    break
            else:
                messages = doc.get("messages")
                if isinstance(messages, list):
                    ai = [m for m in messages if isinstance(m, dict) and _str(m.get("type")) in _AI]
                    text = _blocks(ai[-1].get("content"))[0] if ai else None
        if text is None:
            out.append({"type": "raw", "event": "json", "data": doc})
            return
        if text:
            out.append({"type": "text-delta", "delta": text})
        out.append({"type": "finish", "finishReason": "stop"})

    def end(self, out: list[Any], *, done: bool) -> None:
        self._close_step(out)
        self._tools.finish_all(out)
        if self._seen and not self._finished and not self._errored:
            event: dict[str, Any] = {"type": "finish", "finishReason": "tool-calls" if self._pending else "stop"}
            if self._usage:
                event["usage"] = dict(self._usage)
            out.append(event)

    # -- the shapes -----------------------------------------------------------------

    def _mark(self, claimed: bool) -> bool:
        self._seen = self._seen or claimed
        return claimed

    def _wrapped(self, text: str, out: list[Any]) -> bool:
        events = parse_embedded_sse(text)
        if events is None:
            return False
        for name, data in events:
            if name and name != "message":
                claimed = self._named(name, data, out)
            else:
                name = "message"
                claimed = isinstance(data, dict) and self._object(data, out)
            if not self._mark(claimed):
                out.append({"type": "raw", "event": name, "data": data})
        return True

    def _pair(self, value: list[Any], out: list[Any]) -> bool:
        if len(value) != 2:
            return False
        first, second = value
        if isinstance(first, str) and first in _MODES:
            if first == "messages" and isinstance(second, list):
                return self._pair(second, out)
            if first in ("updates", "values") and isinstance(second, dict):
                return self._object(second, out)
            return False
        if isinstance(first, dict) and isinstance(second, dict) and isinstance(first.get("type"), str):
            return self._chunk(first, second, out)
        return False

    def _object(self, value: dict[str, Any], out: list[Any]) -> bool:
        if self._sdk_error(value, out):
            return True
        kind, data = value.get("type"), value.get("data")
        if isinstance(kind, str) and isinstance(data, dict) and len(value) <= 3:
            return self._named(kind, data, out)
        updates = [v for v in value.values() if isinstance(v, dict) and isinstance(v.get("messages"), list)]
        if not updates:
            return False
        for node, update in value.items():
            if isinstance(update, dict) and isinstance(update.get("messages"), list):
                self._node_update(str(node), update["messages"], out)
            else:
                out.append({"type": "data", "name": "langgraph-update", "data": {node: update}, "transient": True})
        return True

    def _sdk_error(self, value: dict[str, Any], out: list[Any]) -> bool:
        error = value.get("error")
        if not isinstance(error, str) or not ("error_type" in value or "message" in value or len(value) == 1):
            return False
        self._error(error or str(value.get("message") or "error"), value.get("error_type"), out)
        return True

    # -- LangGraph --------------------------------------------------------------------

    def _node_update(self, node: str, messages: list[Any], out: list[Any]) -> None:
        self._close_step(out)
        self._open_step(out)
        for msg in messages:
            if not isinstance(msg, dict):
                self.warnings.append(f"agentcore: a non-message in the {node!r} update dropped")
                continue
            kind = _str(msg.get("type"))
            if kind in _AI:
                self._ai_message(msg, out)
            elif kind in _TOOL:
                self._tool_message(msg, out)
        self._close_step(out)

    def _ai_message(self, msg: dict[str, Any], out: list[Any]) -> None:
        msg_id = _str(msg.get("id"))
        text, reasoning, uses = _blocks(msg.get("content"))
        if not (isinstance(msg_id, str) and msg_id in self._streamed):
            if reasoning:
                out.append({"type": "reasoning-delta", "delta": reasoning})
            self._whole(text, out)
        calls = msg.get("tool_calls")
        if isinstance(calls, list) and calls:
            for call in calls:
                if isinstance(call, dict):
                    self._call(call.get("id"), call.get("name"), call.get("args"), out)
        else:
            for use in uses:
                self._call(use.get("id"), use.get("name"), use.get("input"), out)
        self._add_usage(msg.get("usage_metadata"))

    def _tool_message(self, msg: dict[str, Any], out: list[Any]) -> None:
        name = msg.get("name") if isinstance(msg.get("name"), str) else None
        call_id = msg.get("tool_call_id")
        self._result(call_id if isinstance(call_id, str) else None, name, msg.get("content"), out,
                     is_error=msg.get("status") == "error", artifact=msg.get("artifact"))

    def _chunk(self, msg: dict[str, Any], meta: dict[str, Any], out: list[Any]) -> bool:
        kind = _str(msg.get("type"))
        if kind not in _AI and kind not in _TOOL:
            return False
        key = (meta.get("langgraph_step"), meta.get("langgraph_node"))
        if key != self._step_key or not self._step_open:
            self._end_chunk_message(out)
            self._close_step(out)
            self._open_step(out)
            self._step_key = key
        if kind in _TOOL:
            self._end_chunk_message(out)
            self._tool_message(msg, out)
            return True
        if kind != "AIMessageChunk":
            self._end_chunk_message(out)
            self._ai_message(msg, out)
            return True
        msg_id = _str(msg.get("id"))
        if msg_id != self._chunk_id:
            self._end_chunk_message(out)
            self._chunk_id = msg_id
        text, reasoning, _ = _blocks(msg.get("content"))
        if reasoning:
            out.append({"type": "reasoning-delta", "delta": reasoning})
        if text:
            if not self._chunk_text:
                out.append({"type": "text-start"})
                self._chunk_text = True
            self._delta(text, out)
            if isinstance(msg_id, str):
                self._streamed.add(msg_id)
        for tcc in msg.get("tool_call_chunks") or ():
            if isinstance(tcc, dict):
                self._call_chunk(msg_id, tcc, out)
        self._add_usage(msg.get("usage_metadata"))
        meta_done = isinstance(msg.get("response_metadata"), dict) and msg["response_metadata"].get("finish_reason")
        if msg.get("chunk_position") == "last" or meta_done:
            self._end_chunk_message(out)
        return True

    def _call_chunk(self, msg_id: Any, tcc: dict[str, Any], out: list[Any]) -> None:
        index = tcc.get("index")
        key = (msg_id, index if isinstance(index, (int, str)) else _str(tcc.get("id")))
        call_id = self._chunk_calls.get(key)
        if call_id is None:
            raw_id = tcc.get("id")
            call_id = raw_id if isinstance(raw_id, str) and raw_id else self._new_id()
            raw_name = tcc.get("name")
            name = raw_name if isinstance(raw_name, str) else ""
            if not self._tools.start(out, call_id, name):
                return
            self._chunk_calls[key] = call_id
            self._pending.append((call_id, name))
            if isinstance(msg_id, str):
                self._streamed.add(msg_id)
        args = tcc.get("args")
        if isinstance(args, str) and args:
            self._tools.delta(out, call_id, args)

    # -- named agent events -----------------------------------------------------------

    def _named(self, name: str, data: Any, out: list[Any]) -> bool:
        key = name.strip().lower()
        if not isinstance(data, dict):
            return False
        if key in ("llm_token", "token"):
            token = data.get("token")
            if not isinstance(token, str):
                return False
            if not self._step_open:
                self._open_step(out)
            self._delta(token, out)
        elif key == "agent_step":
            self._agent_step(data, out)
        elif key == "llm_response":
            if not self._step_open:
                self._open_step(out)
            text, reasoning, _ = _blocks(data.get("content"))
            if reasoning:
                out.append({"type": "reasoning-delta", "delta": reasoning})
            if not self._step_streamed:
                self._whole(text, out)
        elif key == "tool_call":
            if not self._step_open:
                self._open_step(out)
            call_id = data.get("id", data.get("tool_call_id"))
            self._call(call_id, data.get("tool", data.get("name")), data.get("args", data.get("input")), out)
        elif key == "tool_result":
            self._close_step(out)
            self._open_step(out)
            call_id = data.get("id", data.get("tool_call_id"))
            tool = data.get("tool", data.get("name"))
            self._result(call_id if isinstance(call_id, str) else None, tool if isinstance(tool, str) else None,
                         data.get("result", data.get("content")), out)
            self._close_step(out)
        elif key == "agent_end":
            self._agent_end(data, out)
        elif key == "error":
            message = data.get("error", data.get("message"))
            self._error(str(message) if message is not None else "error", data.get("type", data.get("error_type")), out)
        elif key in _INFO:
            out.append({"type": "data", "name": key, "data": data, "transient": True})
        else:
            return False
        return True

    def _agent_step(self, data: dict[str, Any], out: list[Any]) -> None:
        kind = _str(data.get("type"))
        if kind in _TOOL:
            self._close_step(out)
            self._open_step(out)
            call_id = data.get("tool_call_id")
            name = data.get("name") if isinstance(data.get("name"), str) else None
            self._result(call_id if isinstance(call_id, str) else None, name, data.get("content"), out,
                         node=str(data.get("node") or "tool"))
            self._close_step(out)
            return
        if kind not in _AI:
            out.append({"type": "data", "name": "agent_step", "data": data, "transient": True})
            return
        if not self._step_open:
            self._open_step(out)
        text, reasoning, uses = _blocks(data.get("content"))
        if not self._step_streamed:
            if reasoning:
                out.append({"type": "reasoning-delta", "delta": reasoning})
            self._whole(text, out)
        calls = data.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            if isinstance(call, dict):
                self._call(call.get("id"), call.get("name"), call.get("args"), out)
        for use in uses:
            self._call(use.get("id"), use.get("name"), use.get("input"), out)
        self._close_step(out)

    def _agent_end(self, data: dict[str, Any], out: list[Any]) -> None:
        self._close_step(out)
        self._tools.finish_all(out)
        output = data.get("output")
        if isinstance(output, str) and output and not self._deltas and output != self._last_text:
            self._whole(output, out)
        meta = {k: data[k] for k in ("steps", "metrics") if k in data}
        if meta:
            out.append({"type": "metadata", "metadata": {"agentcore": meta}})
        usage = dict(self._usage)
        metrics = data.get("metrics")
        tokens = metrics.get("tokens") if isinstance(metrics, dict) else None
        if not usage and isinstance(tokens, int) and not isinstance(tokens, bool):
            usage = {"inputTokens": 0, "outputTokens": 0, "totalTokens": tokens}
        event: dict[str, Any] = {"type": "finish", "finishReason": "stop"}
        if usage:
            event["usage"] = usage
        out.append(event)
        self._finished = True


def sniff_document(doc: Any, forced: bool) -> bool:
    """A JSON body is an AgentCore answer when the call asked for that protocol."""
    return forced


class AgentCoreDocumentDialect(AgentCoreDialect):
    """Reads a whole JSON answer (``stream=False``; framing ``json``)."""

    def feed(self, units: Sequence[Any], out: list[Any]) -> None:
        for doc in units:
            self.document(doc, out)

    def end(self, out: list[Any], *, done: bool) -> None:
        return None
