"""The ``agentcore`` decoder dialect, sans-IO: bodies exactly as the ``bedrock-agentcore``
SDK writes them (``data: <json.dumps(value, ensure_ascii=False)>\\n\\n`` per yielded value;
checked against the SDK's own serializer below), fed in awkward splits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui._wire.dialects.agentcore import parse_embedded_sse
from assistant_ui.decoding import MessageAccumulator, StreamDecoder

SSE = "text/event-stream; charset=utf-8"
SPLITS = [1, 7, 10_000]


def sdk_sse(*values: Any) -> bytes:
    return b"".join(f"data: {json.dumps(v, ensure_ascii=False)}\n\n".encode() for v in values)


def seed(name: str, data: dict[str, Any]) -> str:
    """The seed agent's own formatting: a string the SDK JSON-encodes once more."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def decode(body: bytes, step: int, content_type: str = SSE) -> tuple[list[Any], Any]:
    decoder = StreamDecoder(protocol="agentcore", content_type=content_type)
    events: list[Any] = []
    for i in range(0, len(body), step):
        events += decoder.feed(body[i : i + step])
    events += decoder.end()
    acc = MessageAccumulator()
    for ev in events:
        acc.add(ev)
    return events, acc.finish()


def text_of(message: Any) -> str:
    return "".join(p["text"] for p in message["content"] if p["type"] == "text")


def kinds(events: list[Any]) -> list[str]:
    return [e["type"] for e in events]


AI_CALL = {
    "content": "I'll calculate that for you.", "type": "ai", "id": "run-1",
    "tool_calls": [{"name": "multiply", "args": {"a": 25, "b": 4}, "id": "call_1", "type": "tool_call"}],
    "usage_metadata": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
}
TOOL_MSG = {"content": "100", "type": "tool", "name": "multiply", "id": "t-1", "tool_call_id": "call_1", "status": "success"}
AI_FINAL = {"content": "The result of 25 * 4 is 100.", "type": "ai", "id": "run-2", "tool_calls": [],
            "usage_metadata": {"input_tokens": 20, "output_tokens": 8, "total_tokens": 28}}
FINAL = "The result of 25 * 4 is 100."


def check_tool_flow(message: Any, *, name: str = "multiply", args: Any = None) -> None:
    assert text_of(message) == "I'll calculate that for you." + FINAL
    [call] = [p for p in message["content"] if p["type"] == "tool-call"]
    assert call["toolName"] == name and call["result"] == "100" and call["isError"] is False
    if args is not None:
        assert call["args"] == args
    assert message["status"] == {"type": "complete", "reason": "stop"}


@pytest.mark.parametrize("step", SPLITS)
def test_updates_mode(step: int) -> None:
    body = sdk_sse({"chatbot": {"messages": [AI_CALL]}}, {"tools": {"messages": [TOOL_MSG]}},
                   {"chatbot": {"messages": [AI_FINAL]}})
    events, message = decode(body, step)
    check_tool_flow(message, args={"a": 25, "b": 4})
    assert [p["type"] for p in message["content"]] == ["text", "tool-call", "text"]
    steps = message["metadata"]["steps"]
    assert [s["finishReason"] for s in steps] == ["tool-calls", "stop", "stop"]
    assert steps[0]["usage"]["totalTokens"] == 15
    assert events[-1] == {"type": "finish", "finishReason": "stop",
                          "usage": {"inputTokens": 30, "outputTokens": 13, "totalTokens": 43}}
    assert not any(e["type"] == "raw" for e in events)


def chunk(content: Any, msg_id: str, step: int, node: str = "chatbot", **extra: Any) -> list[Any]:
    msg = {"content": content, "type": "AIMessageChunk", "id": msg_id, "tool_calls": [],
           "tool_call_chunks": [], "chunk_position": None, **extra}
    return [msg, {"thread_id": "t", "langgraph_step": step, "langgraph_node": node}]


MESSAGES = [
    chunk("I'll ", "r1", 1), chunk("calculate that ", "r1", 1), chunk("for you.", "r1", 1),
    chunk("", "r1", 1, tool_call_chunks=[{"name": "multiply", "args": '{"a": 2', "id": "call_1", "index": 0}]),
    chunk("", "r1", 1, tool_call_chunks=[{"name": None, "args": '5, "b": 4}', "id": None, "index": 0}]),
    chunk("", "r1", 1, chunk_position="last"),
    [TOOL_MSG, {"langgraph_step": 2, "langgraph_node": "tools"}],
    *[chunk(word, "r2", 3) for word in ("The result ", "of 25 * 4 ", "is 100.")],
    chunk("", "r2", 3, chunk_position="last"),
]


@pytest.mark.parametrize("step", SPLITS)
def test_messages_mode(step: int) -> None:
    events, message = decode(sdk_sse(*MESSAGES), step)
    check_tool_flow(message, args={"a": 25, "b": 4})
    deltas = [e["delta"] for e in events if e["type"] == "text-delta"]
    assert deltas == ["I'll ", "calculate that ", "for you.", "The result ", "of 25 * 4 ", "is 100."]
    assert [e["argsTextDelta"] for e in events if e["type"] == "tool-call-delta"] == ['{"a": 2', '5, "b": 4}']
    assert [s["finishReason"] for s in message["metadata"]["steps"]] == ["tool-calls", "stop", "stop"]


def test_several_modes_at_once_do_not_repeat_streamed_messages() -> None:
    streamed = [["messages", c] for c in MESSAGES[:6]]
    update = ["updates", {"chatbot": {"messages": [{**AI_CALL, "id": "r1"}]}}]
    _events, message = decode(sdk_sse(*streamed, update, ["messages", MESSAGES[6]]), 5)
    assert text_of(message) == "I'll calculate that for you."
    assert len([p for p in message["content"] if p["type"] == "tool-call"]) == 1
    assert message["content"][1]["result"] == "100"


def seed_body(tokens: bool) -> bytes:
    values = [seed("agent_start", {"session_id": "s1"})]
    if tokens:
        values += [seed("llm_token", {"token": t}) for t in ("I'll calculate ", "that for you.")]
    values += [seed("agent_step", {"step": 1, "node": "chatbot", "content": "I'll calculate that for you.", "type": "ai"}),
               seed("agent_step", {"step": 2, "node": "tools", "content": "100", "type": "tool"})]
    if tokens:
        values += [seed("llm_token", {"token": t}) for t in ("The result of ", "25 * 4 is 100.")]
    values += [seed("agent_step", {"step": 3, "node": "chatbot", "content": FINAL, "type": "ai"}),
               seed("agent_end", {"output": FINAL, "steps": 3, "metrics": {"tokens": 4, "tool_calls": 1, "errors": 0}})]
    return sdk_sse(*values)


@pytest.mark.parametrize("tokens", [False, True])
@pytest.mark.parametrize("step", SPLITS)
def test_seed_wrapped_named_events(step: int, tokens: bool) -> None:
    events, message = decode(seed_body(tokens), step)
    # a tool step whose call was never announced: a call named after its node, with its result
    check_tool_flow(message, name="tools")
    assert message["metadata"]["custom"]["agentcore"] == {"steps": 3, "metrics": {"tokens": 4, "tool_calls": 1, "errors": 0}}
    assert events[-1]["type"] == "finish" and events[-1]["usage"]["totalTokens"] == 4
    assert {"type": "data", "name": "agent_start", "data": {"session_id": "s1"}, "transient": True} in events
    deltas = [e["delta"] for e in events if e["type"] == "text-delta"]
    if tokens:  # the whole ai steps and agent_end.output repeat the tokens: not added again
        assert deltas == ["I'll calculate ", "that for you.", "The result of ", "25 * 4 is 100."]
    else:
        assert deltas == ["I'll calculate that for you.", FINAL]


def test_seed_events_as_real_event_lines_and_as_type_data_objects() -> None:
    real = "".join(seed(n, d) for n, d in [("llm_token", {"token": "Hi"}), ("agent_end", {"output": "Hi"})]).encode()
    _, message = decode(real, 3)
    assert text_of(message) == "Hi" and message["status"]["type"] == "complete"
    objects = sdk_sse({"type": "agent_step", "data": {"step": 1, "content": "Hello.", "type": "ai"}},
                      {"type": "agent_end", "data": {"output": "Hello.", "steps": 1}})
    _, message = decode(objects, 4)
    assert text_of(message) == "Hello."


def test_agent_end_output_is_the_text_when_nothing_else_came() -> None:
    _, message = decode(sdk_sse(seed("agent_start", {}), seed("agent_end", {"output": "Just this."})), 2)
    assert text_of(message) == "Just this."


def test_agent_end_output_never_duplicates_streamed_tokens() -> None:
    body = sdk_sse(seed("llm_token", {"token": "The answer"}), seed("llm_token", {"token": " is 4."}),
                   seed("agent_end", {"output": "The answer is 4 (final)."}))
    _, message = decode(body, 6)
    assert text_of(message) == "The answer is 4."


@pytest.mark.parametrize("step", SPLITS)
def test_uppercase_events_of_newer_agents(step: int) -> None:
    body = sdk_sse(
        seed("AGENT_START", {"session_id": "s"}), seed("THINKING", {"message": "..."}),
        seed("LLM_RESPONSE", {"content": "I'll calculate that for you."}),
        seed("TOOL_CALL", {"tool": "multiply", "args": {"a": 25, "b": 4}}),
        seed("TOOL_RESULT", {"tool": "multiply", "result": "100"}),
        seed("LLM_RESPONSE", {"content": FINAL}), seed("AGENT_END", {"output": FINAL}),
    )
    _, message = decode(body, step)
    check_tool_flow(message, args={"a": 25, "b": 4})


@pytest.mark.parametrize("error", [
    seed("error", {"error": "Tool execution failed", "type": "ToolError"}),
    seed("ERROR", {"error": "Tool execution failed", "type": "ToolError"}),
    {"error": "Tool execution failed", "error_type": "ToolError", "message": "An error occurred during streaming"},
])
def test_errors_mid_stream(error: Any) -> None:
    body = sdk_sse({"chatbot": {"messages": [AI_CALL]}}, {"tools": {"messages": [TOOL_MSG]}}, error)
    events, message = decode(body, 9)
    assert message["status"] == {"type": "incomplete", "reason": "error",
                                 "error": {"code": "ToolError", "message": "Tool execution failed"}}
    assert text_of(message) == "I'll calculate that for you."
    assert message["content"][1]["result"] == "100"  # what came before the error is kept
    assert not any(e["type"] == "finish" for e in events)


def test_tool_error_status_and_unannounced_results() -> None:
    failing = {**TOOL_MSG, "status": "error", "content": "Error: division by zero"}
    _, message = decode(sdk_sse({"chatbot": {"messages": [AI_CALL]}}, {"tools": {"messages": [failing]}}), 10_000)
    call = message["content"][1]
    assert call["isError"] is True and call["result"] == "Error: division by zero"
    assert message["status"]["reason"] == "stop"


def test_a_call_left_without_result_finishes_with_tool_calls() -> None:
    events, message = decode(sdk_sse({"chatbot": {"messages": [AI_CALL]}}), 10_000)
    assert events[-1]["finishReason"] == "tool-calls"
    assert message["status"] == {"type": "requires-action", "reason": "tool-calls"}


@pytest.mark.parametrize("value", [42, "just text", {"foo": 1}, [1, 2, 3], {"node": {"other": 1}},
                                   seed("custom_event", {"x": 1}), None])
def test_anything_unrecognized_stays_raw(value: Any) -> None:
    events, message = decode(sdk_sse(value), 3)
    assert [e["type"] for e in events] == ["raw"]
    assert message["content"] == [] and message["status"]["type"] == "complete"
    if isinstance(value, str) and value.startswith("event:"):
        assert events[0]["event"] == "custom_event" and events[0]["data"] == {"x": 1}
    else:
        assert events[0]["data"] == value


def test_unrecognized_events_between_recognized_ones_are_kept() -> None:
    body = sdk_sse({"custom": 1}, seed("llm_token", {"token": "ok"}), [1, 2])
    events, message = decode(body, 1)
    assert kinds(events) == ["raw", "step-start", "text-delta", "raw", "step-finish", "finish"]
    assert text_of(message) == "ok"


def test_malformed_inside_known_shapes_is_not_fatal() -> None:
    body = sdk_sse({"chatbot": {"messages": ["not a message", {"type": "ai", "content": ["x", {"type": "text", "text": "y"}]}]}},
                   seed("llm_token", {"token": 5}), "event: agent_step\ndata: {not json\n\n")
    decoder = StreamDecoder(protocol="agentcore", content_type=SSE)
    events = decoder.decode(body)
    assert [e["delta"] for e in events if e["type"] == "text-delta"] == ["xy"]
    assert any("non-message" in w for w in decoder.warnings)
    assert [e["event"] for e in events if e["type"] == "raw"] == ["llm_token", "agent_step"]


@pytest.mark.parametrize(("doc", "text"), [
    ({"result": "The result is 100."}, "The result is 100."),
    ({"output": "out", "session_id": "s"}, "out"),
    ({"response": "resp"}, "resp"),
    ("a bare string", "a bare string"),
    ({"result": {"role": "assistant", "content": [{"text": "strands"}]}}, "strands"),
    ({"messages": [{"type": "human", "content": "q"}, {"type": "ai", "content": "a"}]}, "a"),
])
def test_json_answer(doc: Any, text: str) -> None:
    body = json.dumps(doc).encode()
    decoder = StreamDecoder(protocol="agentcore", content_type="application/json")
    events = decoder.decode(body)
    assert decoder.protocol == "agentcore" and decoder.document == doc
    assert [e["delta"] for e in events if e["type"] == "text-delta"] == [text]
    assert events[-1] == {"type": "finish", "finishReason": "stop"}


def test_json_answer_unrecognized_or_error() -> None:
    decoder = StreamDecoder(protocol="agentcore", content_type="application/json")
    assert decoder.decode(b'{"answer": 1}') == [{"type": "raw", "event": "json", "data": {"answer": 1}}]
    decoder = StreamDecoder(protocol="agentcore", content_type="application/json")
    assert decoder.decode(b'{"error": "boom", "error_type": "ValueError"}') == [
        {"type": "error", "error": "boom", "code": "ValueError"}
    ]


def test_parse_embedded_sse() -> None:
    assert parse_embedded_sse("event: a\r\ndata: {\"x\": 1}\r\n\r\nevent: b\ndata: line1\ndata: line2\n\n") == [
        ("a", {"x": 1}), ("b", "line1\nline2")
    ]
    assert parse_embedded_sse("no fields here") is None


def test_bodies_match_the_sdk_serializer() -> None:
    app_module = pytest.importorskip("bedrock_agentcore.runtime.app")
    app = app_module.BedrockAgentCoreApp()
    for value in [{"chatbot": {"messages": [AI_CALL]}}, MESSAGES[0], seed("llm_token", {"token": "é✓"}),
                  {"error": "x", "error_type": "E", "message": "An error occurred during streaming"}]:
        assert app._convert_to_sse(value) == sdk_sse(value)


# -- no input breaks it -----------------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(
    ["ai", "tool", "AIMessageChunk", "human", "event: llm_token\ndata: {}\n\n", "", "x", "last", "error"]
)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["type", "content", "tool_calls", "tool_call_chunks", "id", "index", "args", "name",
                     "messages", "tool_call_id", "status", "token", "output", "error", "error_type", "data",
                     "text", "chunk_position", "usage_metadata", "langgraph_step", "chatbot"]),
    inner, max_size=4), max_leaves=12)
_SHAPES = st.one_of(
    _JSON,
    st.builds(lambda m, meta: [m, meta], st.dictionaries(st.sampled_from(["type", "content", "id", "tool_call_chunks"]), _JSON), _JSON),
    st.builds(lambda node, msgs: {node: {"messages": msgs}}, st.sampled_from(["chatbot", "tools"]), st.lists(_JSON, max_size=3)),
    st.builds(lambda name, data: seed(name, data) if isinstance(data, dict) else f"event: {name}\ndata: {data}\n\n",
              st.sampled_from(["llm_token", "agent_step", "agent_end", "error", "TOOL_CALL", "TOOL_RESULT",
                               "LLM_RESPONSE", "agent_start", "other"]), _JSON),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SHAPES, max_size=8), st.integers(1, 40))
def test_any_sequence_of_values_decodes_without_error(values: list[Any], step: int) -> None:
    events, message = decode(sdk_sse(*values), step)
    assert message["status"]["type"] in ("complete", "incomplete", "requires-action")
    for ev in events:
        assert isinstance(ev, dict) and isinstance(ev["type"], str)


def test_a_plain_text_answer_is_the_text() -> None:
    decoder = StreamDecoder(protocol="agentcore", content_type="text/plain; charset=utf-8")
    events = decoder.feed("héllo ".encode()[:2]) + decoder.feed("héllo ".encode()[2:] + b"world") + decoder.end()
    assert "".join(e["delta"] for e in events) == "héllo world" and decoder.protocol == "plain-text"
