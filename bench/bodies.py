"""Deterministic response bodies for the benchmark.

Every body carries ``n`` text deltas and two tool calls whose arguments arrive in
about 50 fragments each, in the wire format named by the function.
"""

from __future__ import annotations

import json
import random

__all__ = [
    "FORMATS",
    "anthropic_sse",
    "assistant_transport",
    "data_stream",
    "langgraph_sse",
    "openai_sse",
    "single_event_data_stream",
    "ui_message_stream",
]

_WORDS = (
    "the quick brown fox jumps over a lazy dog while streaming tokens to every client "
    "héllo wörld — naïve café ✓ 日本語 🙂"
).split()


def _tokens(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(_WORDS) + " " for _ in range(n)]


def _tool_fragments(seed: int) -> tuple[dict[str, object], list[str]]:
    rng = random.Random(seed)
    args = {
        "city": "San Francisco",
        "unit": "celsius",
        "days": [rng.randint(1, 9) for _ in range(12)],
        "note": " ".join(rng.choice(_WORDS) for _ in range(30)),
    }
    text = json.dumps(args)
    step = max(1, len(text) // 50)
    return args, [text[i : i + step] for i in range(0, len(text), step)]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def openai_sse(n: int) -> bytes:
    envelope = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
                "model": "gpt-bench", "system_fingerprint": "fp_1"}
    out: list[str] = []

    def chunk(delta: dict[str, object], finish: str | None = None) -> None:
        body = dict(envelope)
        body["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        body["usage"] = None
        out.append("data: " + _dumps(body) + "\n\n")

    chunk({"role": "assistant", "content": ""})
    for tok in _tokens(n):
        chunk({"content": tok})
    for idx, seed in enumerate((1, 2)):
        _, frags = _tool_fragments(seed)
        chunk({"tool_calls": [{"index": idx, "id": f"call_{idx}", "type": "function",
                               "function": {"name": "get_weather", "arguments": ""}}]})
        for frag in frags:
            chunk({"tool_calls": [{"index": idx, "function": {"arguments": frag}}]})
    chunk({}, "tool_calls")
    usage = dict(envelope)
    usage["choices"] = []
    usage["usage"] = {"prompt_tokens": 10, "completion_tokens": n, "total_tokens": n + 10}
    out.append("data: " + _dumps(usage) + "\n\n")
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def data_stream(n: int) -> bytes:
    out = ['f:{"messageId": "msg_1"}\n']
    out.extend("0:" + json.dumps(tok) + "\n" for tok in _tokens(n))
    for idx, seed in enumerate((1, 2)):
        _, frags = _tool_fragments(seed)
        out.append(f'b:{{"toolCallId": "call_{idx}", "toolName": "get_weather"}}\n')
        out.extend(
            "c:" + json.dumps({"toolCallId": f"call_{idx}", "argsTextDelta": frag}) + "\n"
            for frag in frags
        )
    out.append('e:{"finishReason": "tool-calls", "usage": {"inputTokens": 10, "outputTokens": 5}, "isContinued": false}\n')
    out.append('d:{"finishReason": "tool-calls", "usage": {"inputTokens": 10, "outputTokens": 5}}\n')
    return "".join(out).encode()


def single_event_data_stream(size: int) -> bytes:
    """One text delta of about ``size`` bytes in a single data-stream line."""
    text = ("".join(_tokens(size // 5)))[:size]
    return ("0:" + json.dumps(text) + "\n").encode()


def assistant_transport(n: int) -> bytes:
    out = ['data: {"type": "step-start", "messageId": "m1"}\n\n',
           'data: {"type": "part-start", "part": {"type": "text"}, "path": []}\n\n']
    out.extend(
        "data: " + json.dumps({"type": "text-delta", "textDelta": tok, "path": [0]}) + "\n\n"
        for tok in _tokens(n)
    )
    out.append('data: {"type": "part-finish", "path": [0]}\n\n')
    for idx, seed in enumerate((1, 2)):
        _, frags = _tool_fragments(seed)
        part = {"type": "tool-call", "toolCallId": f"call_{idx}", "toolName": "get_weather"}
        out.append("data: " + json.dumps({"type": "part-start", "part": part, "path": []}) + "\n\n")
        out.extend(
            "data: " + json.dumps({"type": "text-delta", "textDelta": frag, "path": [idx + 1]}) + "\n\n"
            for frag in frags
        )
        out.append("data: " + json.dumps({"type": "tool-call-args-text-finish", "path": [idx + 1]}) + "\n\n")
    out.append('data: {"type": "step-finish", "finishReason": "tool-calls", "usage": {"inputTokens": 1, "outputTokens": 2}, "isContinued": false}\n\n')
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def ui_message_stream(n: int) -> bytes:
    out = ['data: {"type":"start","messageId":"msg_1"}\n\n', 'data: {"type":"start-step"}\n\n',
           'data: {"type":"text-start","id":"t1"}\n\n']
    out.extend(
        "data: " + _dumps({"type": "text-delta", "id": "t1", "delta": tok}) + "\n\n"
        for tok in _tokens(n)
    )
    out.append('data: {"type":"text-end","id":"t1"}\n\n')
    for idx, seed in enumerate((1, 2)):
        args, frags = _tool_fragments(seed)
        out.append("data: " + _dumps({"type": "tool-input-start", "toolCallId": f"call_{idx}",
                                      "toolName": "get_weather"}) + "\n\n")
        out.extend(
            "data: " + _dumps({"type": "tool-input-delta", "toolCallId": f"call_{idx}",
                               "inputTextDelta": frag}) + "\n\n"
            for frag in frags
        )
        out.append("data: " + _dumps({"type": "tool-input-available", "toolCallId": f"call_{idx}",
                                      "toolName": "get_weather", "input": args}) + "\n\n")
    out.append('data: {"type":"finish-step"}\n\n')
    out.append('data: {"type":"finish","finishReason":"tool-calls"}\n\n')
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def anthropic_sse(n: int) -> bytes:
    """The Anthropic Messages streaming equivalent of :func:`openai_sse`."""
    out: list[str] = []

    def ev(name: str, data: dict[str, object]) -> None:
        out.append(f"event: {name}\ndata: {_dumps(data)}\n\n")

    ev("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-bench",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1}}})
    ev("content_block_start", {"type": "content_block_start", "index": 0,
                               "content_block": {"type": "text", "text": ""}})
    for tok in _tokens(n):
        ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "text_delta", "text": tok}})
    ev("content_block_stop", {"type": "content_block_stop", "index": 0})
    for idx, seed in enumerate((1, 2), start=1):
        _, frags = _tool_fragments(seed)
        ev("content_block_start", {"type": "content_block_start", "index": idx, "content_block": {
            "type": "tool_use", "id": f"toolu_{idx}", "name": "get_weather", "input": {}}})
        for frag in frags:
            ev("content_block_delta", {"type": "content_block_delta", "index": idx,
                                       "delta": {"type": "input_json_delta", "partial_json": frag}})
        ev("content_block_stop", {"type": "content_block_stop", "index": idx})
    ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                         "usage": {"output_tokens": n}})
    ev("message_stop", {"type": "message_stop"})
    return "".join(out).encode()


def langgraph_sse(n: int) -> bytes:
    """A LangGraph ``messages`` stream with the same deltas (for langgraph-sdk's runs.stream)."""
    out = ['event: metadata\ndata: {"run_id": "run-1", "attempt": 1}\n\n']
    for tok in _tokens(n):
        out.append("event: messages\ndata: " + _dumps(
            [{"content": tok, "type": "AIMessageChunk", "id": "run-1"}, {"langgraph_node": "agent"}]
        ) + "\n\n")
    out.append("event: end\ndata: null\n\n")
    return "".join(out).encode()


FORMATS = {
    "openai": openai_sse,
    "data-stream": data_stream,
    "assistant-transport": assistant_transport,
    "ui-message-stream": ui_message_stream,
}
