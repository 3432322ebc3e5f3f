"""Fuzzing the decoder and the accumulator with valid streams of every wire format,
then with those streams broken in every way a network or a hostile server can.

Valid streams come from the testing encoders (data stream, assistant-transport,
UI message stream, OpenAI SSE and JSON, plain text, generic SSE) and from small
generators here (legacy flat assistant-transport, object stream, AWS event
stream through ``_eventstream.encode_message``). Mutations: truncation, splicing
two streams, flipped bytes, invalid UTF-8, giant lines and events, deep JSON,
unknown codes and event types, duplicate or unknown tool-call ids, values of the
wrong type, random junk.

Properties (``StreamDecoder`` + ``MessageAccumulator``):

* only :class:`DecodeError` escapes: never a KeyError, TypeError, RecursionError,
  UnicodeError, ...;
* the same events (and the same error: protocol, offset and message) whether the
  body comes whole, byte by byte or cut at random points; an error, once raised,
  is raised again by every later call;
* valid streams decode without error and without losing their message;
* memory stays bounded (tracemalloc peak below a multiple of the input plus the
  event-size limit);
* no hang (a timeout on every test).

The default run keeps to ~200 examples per property; ``--run-slow`` (or
``ASSISTANT_UI_FUZZ=1``) adds a long run of every property (see conftest.py).
``tests/fuzz_atheris.py`` drives the same decoder from atheris, outside pytest.
"""

from __future__ import annotations

import base64
import json
import os
import re
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import DEFAULT_MAX_JSON_DEPTH, StreamDecoder
from assistant_ui._wire.eventstream_encoding import encode_message
from assistant_ui.errors import DecodeError
from assistant_ui.testing import encode_body

pytestmark = pytest.mark.timeout(300)

#: small limits, so that mutations reach them with small inputs
SMALL_EVENT = 2048
SMALL_DEPTH = 40

EXAMPLES = int(os.environ.get("ASSISTANT_UI_FUZZ_EXAMPLES", "200"))
SLOW_EXAMPLES = int(os.environ.get("ASSISTANT_UI_FUZZ_SLOW_EXAMPLES", "10000"))
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
}
FAST = settings(max_examples=EXAMPLES, **_COMMON)  # type: ignore[arg-type]
SLOW = settings(max_examples=SLOW_EXAMPLES, **_COMMON)  # type: ignore[arg-type]

#: inputs fuzzed per property name (reported by the final test of this module)
COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


# -- valid streams -----------------------------------------------------------------------------

SPECIAL = [
    "",
    " ",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "\x85",
    "\ufeff",
    "data: x",
    '0:"',
    "[DONE]",
    "é中😀",
    '"',
    "\\",
    "}{",
    "\x00",
]
texts = st.one_of(st.sampled_from(SPECIAL), st.text(st.characters(codec="utf-8"), max_size=8))
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
usages = st.fixed_dictionaries({"inputTokens": st.integers(0, 99), "outputTokens": st.integers(0, 99)})
reasons = st.sampled_from(["stop", "length", "tool-calls", "content-filter", "error", "other", "unknown"])
parents = st.sampled_from([None, None, "p1", "p2"])


def _opt(ev: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    if value is not None:
        ev[key] = value
    return ev


@st.composite
def event_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Normalized events that make sense together (each encoder drops what its format cannot carry)."""
    events: list[dict[str, Any]] = []
    n_tools = 0
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(
            st.sampled_from(
                ["text", "text", "reasoning", "reasoning-start", "text-start", "tool", "tool",
                 "source", "file", "data", "annotations", "state", "step", "finish", "error",
                 "metadata", "raw"]
            )
        )
        if kind == "text":
            events.append(_opt({"type": "text-delta", "delta": draw(texts)}, "parentId", draw(parents)))
        elif kind == "reasoning":
            events.append(_opt({"type": "reasoning-delta", "delta": draw(texts)}, "parentId", draw(parents)))
        elif kind == "reasoning-start":
            events.append(_opt({"type": "reasoning-start"}, "summary", draw(st.none() | texts)))
        elif kind == "text-start":
            events.append({"type": "text-start"})
        elif kind == "tool":
            n_tools += 1
            call_id = f"call_{n_tools}"
            name = draw(st.sampled_from(["get_weather", "ask", ""]))
            args = draw(st.dictionaries(texts, json_values, max_size=3))
            text = json.dumps(args, ensure_ascii=draw(st.booleans()))
            cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=3)))
            pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
            if draw(st.booleans()):
                events.append({"type": "tool-call-start", "toolCallId": call_id, "toolName": name})
                events += [
                    {"type": "tool-call-delta", "toolCallId": call_id, "argsTextDelta": p}
                    for p in pieces
                    if p
                ]
            events.append({"type": "tool-call", "toolCallId": call_id, "toolName": name,
                           "args": args, "argsText": text})
            if draw(st.booleans()):
                events.append({"type": "tool-result", "toolCallId": call_id, "toolName": name,
                               "result": draw(json_values), "isError": draw(st.booleans())})
        elif kind == "source":
            events.append(_opt({"type": "source", "sourceType": "url", "id": "s1",
                                "url": "https://example.com/" + draw(texts)}, "title", draw(st.none() | texts)))
        elif kind == "file":
            events.append({"type": "file", "data": "aGk=", "mimeType": "text/plain"})
        elif kind == "data":
            if draw(st.booleans()):
                events.append(_opt({"type": "data", "name": draw(st.sampled_from(["chart", "x"])),
                                    "data": draw(json_values)}, "id", draw(st.none() | st.just("d1"))))
            else:
                events.append({"type": "data", "data": [draw(json_values)]})
        elif kind == "annotations":
            events.append({"type": "annotations", "annotations": [draw(json_values)]})
        elif kind == "state":
            events.append({"type": "state-update", "operations": [
                {"type": "set", "path": [draw(st.sampled_from(["a", "b"]))], "value": draw(json_values)},
                {"type": "append-text", "path": ["s"], "value": draw(texts)},
            ]})
        elif kind == "step":
            events.append({"type": "step-start", "messageId": "m1"})
            events.append({"type": "step-finish", "finishReason": draw(reasons), "usage": draw(usages),
                           "isContinued": False})
        elif kind == "finish":
            events.append({"type": "finish", "finishReason": draw(reasons), "usage": draw(usages)})
        elif kind == "error":
            events.append(_opt({"type": "error", "error": draw(texts)}, "code", draw(st.none() | texts)))
        elif kind == "metadata":
            events.append({"type": "metadata", "metadata": {"k": draw(json_values)}})
        else:
            events.append(_opt({"type": "raw", "event": draw(st.sampled_from(["message", "ping", "x y"])),
                                "data": draw(json_values)}, "id", draw(st.none() | st.just("7"))))
    return events


@dataclass
class Stream:
    format: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    protocol: str | None = None

    def __repr__(self) -> str:  # shown by hypothesis on failure
        return f"Stream({self.format!r}, {self.body!r}, headers={self.headers!r}, protocol={self.protocol!r})"


ENCODED = ["data-stream", "assistant-transport", "ui-message-stream", "openai", "openai-json", "plain-text", "sse"]
HEADERS = {
    "data-stream": {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"},
    "assistant-transport": {"content-type": "text/event-stream"},
    "ui-message-stream": {"content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1"},
    "openai": {"content-type": "text/event-stream"},
    "openai-json": {"content-type": "application/json"},
    "plain-text": {"content-type": "text/plain"},
    "sse": {"content-type": "text/event-stream"},
    "legacy-transport": {"content-type": "text/event-stream"},
    "object-stream": {"content-type": "text/event-stream", "assistant-stream-format": "object-stream/v0"},
    "aws": {"content-type": "application/vnd.amazon.eventstream"},
}


def _sse(value: Any) -> bytes:
    return b"data: " + json.dumps(value, ensure_ascii=False).encode() + b"\n\n"


@st.composite
def encoded_streams(draw: st.DrawFn) -> Stream:
    fmt = draw(st.sampled_from(ENCODED))
    events = draw(event_lists())
    if fmt == "plain-text":
        events = [e for e in events if e["type"] == "text-delta" and e["delta"]]
    if fmt in ("openai", "openai-json"):
        # a fixed completion id and model (otherwise made up from a global counter)
        events = [{"type": "metadata", "messageId": "chatcmpl-1", "metadata": {"model": "m"}},
                  *(e for e in events if e["type"] != "metadata")]
    body = encode_body(events, fmt)
    # (and a fixed creation time)
    body = re.sub(rb'"created":\s*[0-9]+', b'"created":1', body)
    protocol = "sse" if fmt == "sse" else "plain-text" if fmt == "plain-text" else None
    return Stream(fmt, body, dict(HEADERS[fmt]), protocol)


@st.composite
def legacy_transport_streams(draw: st.DrawFn) -> Stream:
    chunks: list[bytes] = [b": heartbeat\n\n"]
    ids: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["text", "reasoning", "tool", "data", "error", "state", "source"]))
        if kind == "text":
            chunks.append(_sse({"type": "text-delta", "textDelta": draw(texts), "parentId": draw(parents)}))
        elif kind == "reasoning":
            chunks.append(_sse({"type": "reasoning-delta", "reasoningDelta": draw(texts), "parentId": None}))
        elif kind == "tool":
            call_id = f"t{len(ids)}"
            ids.append(call_id)
            chunks.append(_sse({"type": "tool-call-begin", "toolCallId": call_id, "toolName": "f", "parentId": None}))
            chunks.append(_sse({"type": "tool-call-delta", "toolCallId": call_id, "argsTextDelta": '{"a": 1'}))
            chunks.append(_sse({"type": "tool-call-delta", "toolCallId": call_id, "argsTextDelta": "}"}))
            if draw(st.booleans()):
                chunks.append(_sse({"type": "tool-result", "toolCallId": call_id, "result": draw(json_values),
                                    "artifact": None, "isError": False}))
        elif kind == "data":
            chunks.append(_sse({"type": "data", "data": draw(json_values)}))
        elif kind == "error":
            chunks.append(_sse({"type": "error", "error": draw(texts)}))
        elif kind == "state":
            chunks.append(_sse({"type": "update-state", "operations": [
                {"type": "set", "path": ["x"], "value": draw(json_values)}]}))
        else:
            chunks.append(_sse({"type": "source", "id": "s", "url": "https://e.com", "sourceType": "url",
                                "title": None, "parentId": None}))
    chunks.append(b"data: [DONE]\n\n")
    return Stream("legacy-transport", b"".join(chunks), dict(HEADERS["legacy-transport"]))


@st.composite
def object_streams(draw: st.DrawFn) -> Stream:
    chunks = [_sse([{"type": "set", "path": [], "value": draw(json_values)}])]
    for _ in range(draw(st.integers(0, 5))):
        chunks.append(_sse([
            {"type": "set", "path": ["a", draw(st.sampled_from(["0", "1", "k"]))], "value": draw(json_values)},
            {"type": "append-text", "path": ["t"], "value": draw(texts)},
        ]))
    return Stream("object-stream", b"".join(chunks), dict(HEADERS["object-stream"]))


def _aws_event(name: str, payload: Any, **headers: Any) -> bytes:
    hdrs: dict[str, Any] = {":message-type": "event", ":event-type": name, ":content-type": "application/json"}
    hdrs.update(headers)
    return encode_message(hdrs, json.dumps(payload).encode())


@st.composite
def aws_streams(draw: st.DrawFn) -> Stream:
    msgs: list[bytes] = [_aws_event("messageStart", {"role": "assistant"})]
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["text", "tool", "reasoning", "chunk", "q", "qtool", "exception",
                                     "hostile"]))
        if kind == "text":
            msgs.append(_aws_event("contentBlockDelta", {"contentBlockIndex": i, "delta": {"text": draw(texts)}}))
        elif kind == "tool":
            msgs.append(_aws_event("contentBlockStart", {"contentBlockIndex": i,
                                                         "start": {"toolUse": {"toolUseId": f"tu{i}", "name": "f"}}}))
            msgs.append(_aws_event("contentBlockDelta", {"contentBlockIndex": i,
                                                         "delta": {"toolUse": {"input": '{"q": 1}'}}}))
            msgs.append(_aws_event("contentBlockStop", {"contentBlockIndex": i}))
        elif kind == "reasoning":
            msgs.append(_aws_event("contentBlockDelta", {"contentBlockIndex": i,
                                                         "delta": {"reasoningContent": {"text": draw(texts)}}}))
        elif kind == "chunk":
            inner = json.dumps(draw(json_values)).encode()
            msgs.append(_aws_event("chunk", {"bytes": base64.b64encode(inner).decode()}))
        elif kind == "q":
            msgs.append(_aws_event("assistantResponseEvent", {"content": draw(texts)}))
        elif kind == "qtool":
            msgs.append(_aws_event("toolUseEvent", {"toolUseId": f"q{i}", "name": "f", "input": "{}", "stop": True}))
        elif kind == "hostile":
            msgs.append(draw(st.sampled_from(HOSTILE_AWS)))
        else:
            msgs.append(encode_message({":message-type": "exception", ":exception-type": "throttlingException"},
                                       json.dumps({"message": draw(texts)}).encode()))
    msgs.append(_aws_event("messageStop", {"stopReason": draw(st.sampled_from(["end_turn", "tool_use", "x"]))}))
    msgs.append(_aws_event("metadata", {"usage": {"inputTokens": 1, "outputTokens": 2}}))
    return Stream("aws", b"".join(msgs), dict(HEADERS["aws"]))


#: AWS messages carrying values a hostile server may send (a 5,000-digit integer in tool
#: arguments, infinite usage counts): warnings, never a crash
HOSTILE_AWS = [
    _aws_event("contentBlockStart", {"contentBlockIndex": 90, "start": {"toolUse": {"toolUseId": "big", "name": "f"}}})
    + _aws_event("contentBlockDelta", {"contentBlockIndex": 90, "delta": {"toolUse": {"input": '{"n": ' + "1" * 5000}}}),
    _aws_event("toolUseEvent", {"toolUseId": "bigq", "name": "f", "input": '{"n": ' + "7" * 5000 + "}", "stop": True}),
    _aws_event("metadata", {"usage": {"inputTokens": float("inf"), "outputTokens": float("-inf")}}),
    encode_message({":message-type": "event", ":event-type": "metadata", ":content-type": "application/json"},
                   b'{"usage": {"inputTokens": 1e999, "totalTokens": -1e999}}'),
]


valid_streams = st.one_of(
    encoded_streams(), encoded_streams(), encoded_streams(), encoded_streams(), encoded_streams(),
    legacy_transport_streams(), object_streams(), aws_streams(),
)


# -- mutations ------------------------------------------------------------------------------------

INVALID_UTF8 = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80\x80"]

#: records / events a hostile server may slip in, in the data stream and SSE framings
HOSTILE_LINES = [
    b'z:{"x":1}', b"aui-unknown:1", b"aui-:{}", b"1:", b":", b"0", b"0:", b"0:[]", b"0:{}", b"0:null",
    b'b:{"toolCallId":"call_1","toolName":"dup"}', b'b:{"toolCallId":[1],"toolName":{}}',
    b'c:{"toolCallId":"nope","argsTextDelta":"{"}', b'c:{"toolCallId":"call_1","argsTextDelta":5,"isFinal":true}',
    b'9:{"toolCallId":"call_1","toolName":"f","args":[1]}', b'a:{"toolCallId":"nope","result":1}',
    b'a:{"toolCallId":"call_1"}', b"2:5", b"8:{}", b'h:{"url":5}', b'k:{"data":[1]}', b"aui-state:{}",
    b'aui-state:[{"type":"set","path":["l","\xc2\xb2"],"value":1}]',
    b'aui-state:[{"type":"set","path":[[]],"value":1},{"type":"append-text","path":["a"],"value":[]}]',
    b'aui-state:[{"type":"set","path":["l"],"value":[]},{"type":"set","path":["l","99999999999999999999999"],"value":1}]',
    b"aui-state:[" + b",".join([b'{"type":"set","path":' + json.dumps(["k"] * 70).encode() + b',"value":1}']) + b"]",
    b'e:{"usage":"x","finishReason":5}', b'd:{"finishReason":[],"usage":{"inputTokens":"a"}}', b"3:{}",
    b'f:{"messageId":{}}', b'aui-data:{"name":"n","id":[1],"data":1}', b'aui-reasoning-part-start:[1]',
    # values past the interpreter's limits: a 5,000-digit integer (int() refuses more than
    # 4,300 digits) in streamed tool arguments, and infinite usage counts (int(inf) overflows)
    b'b:{"toolCallId":"big","toolName":"t"}\nc:{"toolCallId":"big","argsTextDelta":"{\\"n\\": ' + b"1" * 5000 + b'"}',
    b'c:{"toolCallId":"call_1","argsTextDelta":"' + b"9" * 5000 + b'"}',
    b'9:{"toolCallId":"big9","toolName":"t","args":{"n":' + b"1" * 5000 + b"}}",
    b'd:{"finishReason":"stop","usage":{"inputTokens":1e999,"outputTokens":-1e999}}',
    b'e:{"finishReason":"stop","usage":{"promptTokens":1e999,"completionTokens":1e999}}',
]
HOSTILE_EVENTS: list[Any] = [
    {"type": [1]}, {"type": {}}, {"type": None}, {"type": "mystery"}, {"type": "data-"}, {"type": "data-x", "id": {}},
    {"type": "text-delta", "textDelta": 5, "path": [0]}, {"type": "text-delta", "path": ["0"], "textDelta": "x"},
    {"type": "text-delta", "delta": []}, {"type": "part-start", "part": {"type": "tool-call", "toolCallId": "call_1"}},
    {"type": "part-start", "part": [], "path": []}, {"type": "result", "path": [99], "result": 1},
    {"type": "tool-call-args-text-finish", "path": [True]}, {"type": "update-state", "operations": {}},
    {"type": "update-state", "operations": [{"type": "set", "path": "a", "value": 1}]},
    {"type": "tool-input-start", "toolCallId": "call_1", "toolName": "dup"},
    {"type": "tool-input-delta", "toolCallId": "nope", "inputTextDelta": "{"},
    {"type": "tool-input-available", "toolCallId": "call_1", "input": "[[[["},
    {"type": "tool-input-available", "toolCallId": "nope", "toolName": 5, "input": [1]},
    {"type": "tool-input-error", "toolCallId": "z", "errorText": {}},
    {"type": "tool-output-available", "toolCallId": "nope", "output": 1},
    {"type": "tool-output-denied", "toolCallId": "call_1"},
    {"type": "tool-approval-response", "approvalId": [], "approved": False},
    {"type": "tool-call-delta", "argsText": "x"}, {"type": "tool-call-end"}, {"type": "reset-step"},
    {"type": "start", "messageId": [], "messageMetadata": [1]}, {"type": "message-metadata", "messageMetadata": {"a": {"b": 1}}},
    {"type": "finish", "finishReason": {}, "usage": "x"}, {"type": "abort", "reason": {}}, {"type": "error", "errorText": None},
    {"type": "source-url", "url": 1}, {"type": "file", "file": {"data": 1}}, {"type": "tool-call-begin", "toolCallId": 7},
    {"choices": [{"index": [0], "delta": {"content": "x"}}]}, {"choices": [{"index": {}, "finish_reason": "stop"}]},
    {"choices": [{"delta": {"tool_calls": [{"index": [1], "id": 5, "function": "x"}]}}]},
    {"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "call_1", "function": {"arguments": {"a": 1}}}]}}]},
    {"choices": "x", "usage": [1]}, {"choices": [], "usage": {"prompt_tokens": "many"}}, {"error": [1]},
    {"choices": [{"delta": {"content": [{"type": "text", "text": 5}, "s", None]}}]},
    [{"type": "set", "path": [], "value": 1}, "x"], [{"type": "append-text", "path": ["n"], "value": 1}], [], 5, "s", None,
    # values past the interpreter's limits (see HOSTILE_LINES)
    {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 7, "id": "big", "function": {
        "name": "t", "arguments": '{"n": ' + "1" * 5000}}]}}]},
    {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "1" * 5000}}]}}]},
    {"type": "tool-input-start", "toolCallId": "call_1", "toolName": "t"},
    {"type": "tool-input-delta", "toolCallId": "call_1", "inputTextDelta": '{"n": ' + "2" * 5000},
    {"type": "tool-input-available", "toolCallId": "bigu", "toolName": "t", "input": '{"n": ' + "3" * 5000 + "}"},
    {"type": "text-delta", "textDelta": '{"n": ' + "4" * 5000, "path": [1]},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": "5" * 5000},
    {"choices": [], "usage": {"prompt_tokens": float("inf"), "completion_tokens": float("-inf")}},
    {"type": "finish", "finishReason": "stop", "messageMetadata": {"usage": {"inputTokens": float("inf")}}},
    {"type": "finish-step", "usage": {"outputTokens": float("-inf")}},
    {"type": "message-finish", "finishReason": "stop", "usage": {"inputTokens": float("inf")}},
    {"type": "step-finish", "usage": {"totalTokens": float("inf")}},
]


def _insert(body: bytes, at: int, piece: bytes) -> bytes:
    return body[:at] + piece + body[at:]


def _line_starts(body: bytes) -> list[int]:
    starts = [0] + [i + 1 for i, b in enumerate(body) if b == 0x0A]
    return [s for s in starts if s <= len(body)]


@st.composite
def mutated_streams(draw: st.DrawFn) -> Stream:
    stream = draw(valid_streams)
    body = stream.body
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(
            ["truncate", "splice", "flip", "utf8", "giant", "deep", "hostile-line", "hostile-event", "junk",
             "crlf", "event-field", "hostile-line", "hostile-event", "hostile-event"]
        ))
        n = len(body)
        at = draw(st.integers(0, n))
        line_at = draw(st.sampled_from(_line_starts(body)))
        if kind == "truncate":
            body = body[: draw(st.integers(n // 3, n))]
        elif kind == "splice":
            other = draw(valid_streams).body
            body = body[:at] + other[draw(st.integers(0, len(other))):]
        elif kind == "flip" and n:
            pos = draw(st.integers(0, n - 1))
            body = body[:pos] + bytes([body[pos] ^ draw(st.integers(1, 255))]) + body[pos + 1:]
        elif kind == "utf8":
            body = _insert(body, at, draw(st.sampled_from(INVALID_UTF8)))
        elif kind == "giant":
            size = SMALL_EVENT + draw(st.integers(-3, 3))
            filler = draw(st.sampled_from([b"x", b"[", b"\xff", b" ", b'"']))
            prefix = draw(st.sampled_from([b"", b"data: ", b'0:"', b"data:", b": "]))
            end = draw(st.sampled_from([b"\n", b"\n\n", b"", b"\r"]))
            body = _insert(body, line_at, prefix + filler * max(size - len(prefix), 0) + end)
        elif kind == "deep":
            # around the small limit, and around the default one (which the small
            # one refuses, but the default-limits property passes to the accumulator)
            depth = draw(st.sampled_from([SMALL_DEPTH, DEFAULT_MAX_JSON_DEPTH - 3])) + draw(st.integers(-2, 2))
            prefix, suffix = draw(st.sampled_from([
                (b"0:", b""), (b"data: ", b""), (b"", b""), (b'data: {"a":', b"}"), (b"2:", b""),
                (b'aui-state:[{"type":"set","path":["a"],"value":', b"}]"),
                (b'data: [{"type":"set","path":[],"value":', b"}]"),
                (b'data: {"type":"update-state","operations":[{"type":"set","path":["d"],"value":', b"}]}"),
                (b'data: {"type":"message-metadata","messageMetadata":{"m":', b"}}"),
            ]))
            value = b"[" * depth + b"]" * depth if draw(st.booleans()) else b'{"a":' * depth + b"1" + b"}" * depth
            value = prefix + value + suffix
            end = draw(st.sampled_from([b"\n", b"\n\n"]))
            body = _insert(body, line_at, value + end)
        elif kind == "hostile-line":
            body = _insert(body, line_at, draw(st.sampled_from(HOSTILE_LINES)) + b"\n")
        elif kind == "hostile-event":
            value = draw(st.sampled_from(HOSTILE_EVENTS))
            body = _insert(body, line_at, _sse(value))
        elif kind == "junk":
            body = _insert(body, at, draw(st.binary(max_size=16)))
        elif kind == "crlf":
            body = body.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r"])))
        else:
            field = draw(st.sampled_from(
                [b"event: weird", b"event:", b"id: 5", b"id: a\x00b", b"retry: 10", b"retry: " + b"9" * 5000,
                 b"retry: x", b": comment", b"data", b"unknown: field"]))
            body = _insert(body, line_at, field + b"\n")
    headers = dict(stream.headers)
    choice = draw(st.integers(0, 5))
    if choice == 1:
        headers = {}
    elif choice == 2:
        headers = {"content-type": draw(st.sampled_from(
            ["text/plain", "text/event-stream", "application/json", "application/octet-stream", "TEXT/Plain; x"]))}
    protocol = stream.protocol if choice != 3 else None
    return Stream(stream.format + "+mutated", body, headers, protocol)


# -- running the decoder ----------------------------------------------------------------------------


@dataclass
class Outcome:
    events: list[Any]
    error: tuple[Any, ...] | None
    protocol: str | None


def pieces_at(body: bytes, cuts: list[int] | set[int]) -> list[bytes]:
    points = sorted({c for c in cuts if 0 < c < len(body)})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


def decode(stream: Stream, pieces: list[bytes], **limits: Any) -> Outcome:
    decoder = StreamDecoder(protocol=stream.protocol, headers=stream.headers, **limits)
    events: list[Any] = []
    error: tuple[Any, ...] | None = None
    try:
        for piece in pieces:
            events.extend(decoder.feed(piece))
        events.extend(decoder.end())
    except DecodeError as exc:
        events.extend(exc.events)
        error = (exc.protocol, exc.offset, exc.message)
        assert exc.protocol, "every DecodeError names its protocol"
        assert exc.offset is not None, "every DecodeError has a byte offset"
        assert str(exc).startswith(exc.message)
        # once raised, raised again by every later call
        for call in (lambda: decoder.feed(b"x"), decoder.end):
            with pytest.raises(DecodeError):
                call()
    return Outcome(events, error, decoder.protocol)


def normalized(outcome: Outcome) -> str:
    """A comparable form: plain-text deltas depend on the reads, so they are joined."""
    events = outcome.events
    if outcome.protocol == "plain-text":
        text = "".join(e["delta"] for e in events)
        events = [{"type": "text-delta", "delta": text}] if text else []
    # repr, not ==: a JSON NaN (the stdlib accepts it) is not equal to itself
    return repr((events, outcome.error, outcome.protocol))


def accumulate(events: list[Any]) -> Any:
    before = repr(events)
    acc = MessageAccumulator(state={"s": "", "l": []})
    for i, event in enumerate(events):
        acc.add(event)
        if i % 3 == 0:
            snapshot = acc.message  # snapshots copy the state: deep values must not break them
            assert snapshot["role"] == "assistant"
    message = acc.finish()
    assert message["status"]["type"] != "running"
    json.dumps(message, default=repr)  # the message is plain data whatever came in
    assert repr(events) == before, "accumulating changed the events"
    return message


def check_split_invariance(stream: Stream, data: st.DataObject, **limits: Any) -> Outcome:
    body = stream.body
    whole = decode(stream, [body], **limits)
    expected = normalized(whole)
    one_by_one = decode(stream, [body[i : i + 1] for i in range(len(body))], **limits)
    assert normalized(one_by_one) == expected, "byte by byte differs from whole"
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=30), label="cuts")
    assert normalized(decode(stream, pieces_at(body, cuts), **limits)) == expected, "random cuts differ"
    accumulate(whole.events)
    return whole


# -- properties ------------------------------------------------------------------------------------------


def _valid_streams_decode_cleanly(stream: Stream, data: st.DataObject) -> None:
    _count("valid")
    outcome = check_split_invariance(stream, data)
    assert outcome.error is None, outcome.error
    message = accumulate(outcome.events)
    expected_protocol = {
        "data-stream": "data-stream", "assistant-transport": "assistant-transport", "openai": "openai",
        "ui-message-stream": "ui-message-stream", "openai-json": "openai", "plain-text": "plain-text",
        "sse": "sse", "legacy-transport": "assistant-transport", "object-stream": "object-stream",
        "aws": "aws-eventstream",
    }[stream.format]
    if outcome.protocol is not None:  # (an SSE body with no JSON event names no dialect)
        # (an OpenAI error document, {"error": ...}, is no chat.completion: plain JSON)
        assert outcome.protocol in (expected_protocol, "json" if stream.format == "openai-json" else None)
    if stream.format == "plain-text":
        assert "".join(p["text"] for p in message["content"]) == stream.body.decode()


def _mutated_streams_fail_only_with_decode_error(stream: Stream, data: st.DataObject) -> None:
    _count("mutated")
    check_split_invariance(stream, data, max_event_size=SMALL_EVENT, max_json_depth=SMALL_DEPTH)


def _mutated_streams_with_default_limits(stream: Stream, data: st.DataObject) -> None:
    _count("mutated-default-limits")
    check_split_invariance(stream, data)


@FAST
@given(stream=valid_streams, data=st.data())
def test_valid_streams_decode_cleanly(stream: Stream, data: st.DataObject) -> None:
    _valid_streams_decode_cleanly(stream, data)


@FAST
@given(stream=mutated_streams(), data=st.data())
def test_mutated_streams_fail_only_with_decode_error(stream: Stream, data: st.DataObject) -> None:
    _mutated_streams_fail_only_with_decode_error(stream, data)


@FAST
@given(stream=mutated_streams(), data=st.data())
def test_mutated_streams_with_default_limits(stream: Stream, data: st.DataObject) -> None:
    _mutated_streams_with_default_limits(stream, data)


@FAST
@given(body=st.binary(max_size=600), headers=st.sampled_from([{}, *HEADERS.values()]), data=st.data())
def test_random_bytes(body: bytes, headers: dict[str, str], data: st.DataObject) -> None:
    _count("random-bytes")
    check_split_invariance(Stream("random", body, dict(headers)), data,
                           max_event_size=SMALL_EVENT, max_json_depth=SMALL_DEPTH)


# -- every hostile record in every dialect (exhaustive, cheap) ----------------------------------

BASE_EVENTS: list[dict[str, Any]] = [
    {"type": "step-start", "messageId": "m1"},
    {"type": "text-delta", "delta": "Hi"},
    {"type": "tool-call-start", "toolCallId": "call_1", "toolName": "f"},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": '{"a": '},
    {"type": "tool-call-delta", "toolCallId": "call_1", "argsTextDelta": "1}"},
    {"type": "tool-call", "toolCallId": "call_1", "toolName": "f", "args": {"a": 1}, "argsText": '{"a": 1}'},
    {"type": "tool-result", "toolCallId": "call_1", "toolName": "f", "result": 2, "isError": False},
    {"type": "state-update", "operations": [{"type": "set", "path": ["l"], "value": []}]},
    {"type": "finish", "finishReason": "stop", "usage": {"inputTokens": 1, "outputTokens": 1}},
]


def _base_streams() -> list[Stream]:
    streams = []
    for fmt in ("data-stream", "assistant-transport", "ui-message-stream", "openai", "sse"):
        events = [{"type": "metadata", "messageId": "chatcmpl-1", "metadata": {"model": "m"}}, *BASE_EVENTS]
        body = re.sub(rb'"created":\s*[0-9]+', b'"created":1', encode_body(events, fmt))
        streams.append(Stream(fmt, body, dict(HEADERS[fmt])))
    streams.append(Stream("object-stream", _sse([{"type": "set", "path": [], "value": {"l": []}}]) * 2,
                          dict(HEADERS["object-stream"])))
    streams.append(Stream("sniffed", streams[0].body, {}))
    streams.append(Stream("sniffed-sse", streams[2].body, {"content-type": "text/event-stream"}))
    return streams


BASE_STREAMS = _base_streams()


@pytest.mark.parametrize("base", BASE_STREAMS, ids=[s.format for s in BASE_STREAMS])
def test_every_hostile_record_in_every_dialect(base: Stream) -> None:
    starts = _line_starts(base.body)
    places = sorted({0, starts[len(starts) // 2], starts[-2] if len(starts) > 1 else 0, len(base.body)})
    pieces = [_sse(value) for value in HOSTILE_EVENTS] + [line + b"\n" for line in HOSTILE_LINES]
    for piece in pieces:
        for at in places:
            stream = Stream(base.format, _insert(base.body, at, piece), base.headers, base.protocol)
            _count("hostile-records")
            body = stream.body
            whole = decode(stream, [body], max_json_depth=SMALL_DEPTH)
            cut = decode(stream, pieces_at(body, range(0, len(body), 7)), max_json_depth=SMALL_DEPTH)
            assert normalized(cut) == normalized(whole), piece
            accumulate(whole.events)


def test_accumulating_never_changes_the_events() -> None:
    body = b"".join(_sse(v) for v in [
        {"type": "start", "messageMetadata": {"a": {"b": 1}, "l": [1]}},
        {"type": "message-metadata", "messageMetadata": {"a": {"c": 2}}},
        {"type": "message-metadata", "messageMetadata": {"a": {"b": {"d": 3}}, "l": [2]}},
        {"type": "finish"},
    ])
    outcome = decode(Stream("ui", body, dict(HEADERS["ui-message-stream"])), [body])
    message = accumulate(outcome.events)
    assert message["metadata"]["custom"] == {"a": {"b": {"d": 3}, "c": 2}, "l": [2]}
    assert outcome.events[0]["metadata"] == {"a": {"b": 1}, "l": [1]}


# -- memory ------------------------------------------------------------------------------------------------


def _peak_while_decoding(stream: Stream, pieces: list[bytes], **limits: Any) -> int:
    decode(stream, pieces[:1], **limits)  # warm up (imports, caches) before measuring
    tracemalloc.start()
    try:
        decoder = StreamDecoder(protocol=stream.protocol, headers=stream.headers, **limits)
        acc = MessageAccumulator()
        try:
            for piece in pieces:
                acc.add_all(decoder.feed(piece))
            acc.add_all(decoder.end())
        except DecodeError as exc:
            acc.add_all(exc.events)
        acc.finish()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@settings(max_examples=max(EXAMPLES // 3, 20), **_COMMON)  # type: ignore[arg-type]
@given(stream=mutated_streams(), big=st.integers(0, 3), data=st.data())
def test_memory_stays_bounded(stream: Stream, big: int, data: st.DataObject) -> None:
    _count("memory")
    body = stream.body
    if big:  # and some input far larger than the limit, without a line end
        filler = data.draw(st.sampled_from([b"x", b"[", b"\xff", b'"']), label="filler")
        body = body[: len(body) // 2] + filler * (SMALL_EVENT * 10 * big) + body[len(body) // 2:]
    stream = Stream(stream.format, body, stream.headers, stream.protocol)
    size = data.draw(st.sampled_from([1024, 4096, 65536]), label="piece size")
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    peak = _peak_while_decoding(stream, pieces, max_event_size=SMALL_EVENT, max_json_depth=SMALL_DEPTH)
    # decoded events cost a few hundred bytes each, and there is at most one per input byte
    bound = 400 * len(body) + 8 * SMALL_EVENT + 8 * size + 256 * 1024
    assert peak < bound, (peak, bound, len(body))


# -- the long run (opt-in) ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(3600)
@SLOW
@given(stream=valid_streams, data=st.data())
def test_slow_valid_streams(stream: Stream, data: st.DataObject) -> None:
    _valid_streams_decode_cleanly(stream, data)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@SLOW
@given(stream=mutated_streams(), data=st.data())
def test_slow_mutated_streams(stream: Stream, data: st.DataObject) -> None:
    _mutated_streams_fail_only_with_decode_error(stream, data)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@SLOW
@given(stream=mutated_streams(), data=st.data())
def test_slow_mutated_streams_default_limits(stream: Stream, data: st.DataObject) -> None:
    _mutated_streams_with_default_limits(stream, data)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@SLOW
@given(body=st.binary(max_size=4000), headers=st.sampled_from([{}, *HEADERS.values()]), data=st.data())
def test_slow_random_bytes(body: bytes, headers: dict[str, str], data: st.DataObject) -> None:
    _count("random-bytes")
    check_split_invariance(Stream("random", body, dict(headers)), data,
                           max_event_size=SMALL_EVENT, max_json_depth=SMALL_DEPTH)


def test_report_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: how many inputs each property saw (``-s`` shows it)."""
    with capsys.disabled():
        if COUNTS and os.environ.get("ASSISTANT_UI_FUZZ_REPORT"):
            total = sum(COUNTS.values())
            print(f"\nfuzzed inputs per property: {COUNTS} (total {total})")
