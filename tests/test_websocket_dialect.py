"""The WebSocket chat's messages without a socket: the request side (chat, commands, auth,
history) and the ``bedrock-ws`` decoder dialect, fed in awkward splits."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from assistant_ui import AssistantClient, user
from assistant_ui._wire.dialects.bedrock_ws import RECONNECTED, finish_reason
from assistant_ui._wire.requests import REQUEST_DIALECTS, ChatRequest
from assistant_ui._wire.requests.bedrock_ws import (
    SocketSpec,
    auth_message,
    command,
    history_messages,
)
from assistant_ui.decoding import MessageAccumulator, StreamDecoder
from assistant_ui.errors import DecodeError
from assistant_ui.messages import assistant


def lines(*messages: Any) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def decode(body: bytes, step: int) -> tuple[list[dict[str, Any]], list[str]]:
    decoder = StreamDecoder(protocol="bedrock-ws")
    events: list[dict[str, Any]] = []
    for i in range(0, len(body), step):
        events.extend(decoder.feed(body[i : i + step]))  # type: ignore[arg-type]
    events.extend(decoder.end())  # type: ignore[arg-type]
    return events, decoder.warnings


ANSWER = {
    "type": "ai_response",
    "message": "Two jobs are running.",
    "tool_calls": [
        {"id": "c1", "name": "list_jobs", "arguments": {"status": "running"}},
        {"id": "c3", "name": "not_run_yet", "arguments": "{\"x\": 1}"},
    ],
    "tool_results": [
        {"tool_call_id": "c1", "name": "list_jobs", "result": [{"id": 1}, {"id": 2}]},
        {"tool_call_id": "c2", "name": "get_job", "error": "Unknown tool: get_job"},
    ],
    "metadata": {"model": "claude", "usage": {"input_tokens": 100, "output_tokens": 20}, "stop_reason": "max_tokens"},
    "timestamp": "2024-12-03T10:00:05",
}


@pytest.mark.parametrize("step", [1, 3, 7, 64, 10_000])
def test_a_turn_decodes_the_same_in_any_split(step: int) -> None:
    body = lines({"type": "typing", "message": "AI is thinking...", "timestamp": "t"}, ANSWER)
    events, warnings = decode(body, step)
    assert warnings == []
    assert events[0] == {"type": "progress", "message": "AI is thinking...", "timestamp": "t"}
    acc = MessageAccumulator()
    acc.add_all(events)  # type: ignore[arg-type]
    message = acc.finish()
    calls = {p["toolCallId"]: p for p in message["content"] if p["type"] == "tool-call"}
    assert calls["c1"]["args"] == {"status": "running"}
    assert calls["c1"]["result"] == [{"id": 1}, {"id": 2}]
    assert calls["c2"]["isError"] is True and calls["c2"]["result"] == "Unknown tool: get_job"
    assert calls["c3"]["args"] == {"x": 1} and "result" not in calls["c3"]
    assert message["content"][-1] == {"type": "text", "text": "Two jobs are running."}
    assert message["status"] == {"type": "incomplete", "reason": "length"}
    assert acc.usage == {"inputTokens": 100, "outputTokens": 20}
    assert message["metadata"]["custom"] == {"model": "claude"}


def test_error_true_is_an_error_event_not_text() -> None:
    events, _ = decode(lines({"type": "ai_response", "message": "I encountered an error", "error": True}), 5)
    assert events == [{"type": "error", "error": "I encountered an error"}]


def test_error_message() -> None:
    events, _ = decode(lines({"type": "error", "message": "Empty message"}), 4)
    assert events == [{"type": "error", "error": "Empty message"}]


def test_other_messages_are_transient_data_and_reconnect_is_a_warning() -> None:
    established = {"type": "connection_established", "session_id": "s", "message": "hi"}
    events, warnings = decode(lines(established, {"type": "pong"}, {"type": RECONNECTED, "reason": "gone"}), 2)
    assert events == [
        {"type": "data", "name": "connection-established", "data": established, "transient": True},
        {"type": "data", "name": "pong", "data": {"type": "pong"}, "transient": True},
    ]
    assert len(warnings) == 1 and "started over" in warnings[0] and "gone" in warnings[0]


def test_a_message_that_is_not_json_is_a_decode_error() -> None:
    decoder = StreamDecoder(protocol="bedrock-ws")
    # the events before the bad line are delivered; the error comes with the next call
    assert decoder.feed(b'{"type": "typing"}\nnot json\n') == [{"type": "progress", "message": ""}]
    with pytest.raises(DecodeError) as info:
        decoder.end()
    assert info.value.offset == 19
    assert "not JSON" in str(info.value)


@pytest.mark.parametrize(
    "stop,reason",
    [("end_turn", "stop"), ("tool_use", "tool-calls"), ("max_tokens", "length"), (None, "stop"), ("odd", "odd")],
)
def test_finish_reasons(stop: Any, reason: str) -> None:
    assert finish_reason(stop) == reason


# -- the request side ---------------------------------------------------------------------------


def _spec(**kwargs: Any) -> SocketSpec:
    base: dict[str, Any] = {"path": "", "thread_id": "t1"}
    base.update(kwargs)
    spec = REQUEST_DIALECTS["bedrock-ws"].build_chat(ChatRequest(**base))
    assert isinstance(spec, SocketSpec)
    return spec


def test_the_chat_message_is_the_last_user_text() -> None:
    spec = _spec(messages=[user("first"), assistant("ok"), user("second")])
    assert spec.thread_id == "t1"
    assert json.loads(spec.text()) == {"type": "chat", "message": "second"}
    assert "second" not in repr(spec)


def test_the_chat_needs_a_user_message_and_refuses_client_tools() -> None:
    with pytest.raises(ValueError, match="user message"):
        _spec(messages=[assistant("hi")])
    with pytest.raises(ValueError, match="server"):
        _spec(messages=[user("hi")], tools={"t": {"description": "", "parameters": {}}})
    with pytest.raises(ValueError, match="image"):
        _spec(messages=[user("hi", image="https://example.com/a.png")])


def test_commands_and_auth_messages() -> None:
    assert json.loads(command("t", "history").text()) == {"type": "history"}
    with pytest.raises(ValueError):
        command("t", "chat")
    assert auth_message("api_key", {"api_key": "k", "api_key_header": None}) == {
        "type": "auth", "auth_type": "api_key", "api_key": "k"
    }
    with pytest.raises(ValueError):
        auth_message("custom", {})


def test_history_messages() -> None:
    payload = {
        "type": "history",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "jobs?", "timestamp": "t1", "metadata": {"source": "websocket"}},
            {"role": "tool", "content": "", "tool_calls": [{"id": "c1", "name": "list_jobs", "arguments": {"n": 1}}],
             "tool_results": [{"tool_call_id": "c1", "name": "list_jobs", "result": [1]}]},
            {"role": "assistant", "content": "One.", "metadata": {"model": "m"}},
            {"role": "weird"},
        ],
    }
    warnings: list[str] = []
    out = history_messages(payload, warnings)
    assert out[0] == {"role": "system", "content": "be brief"}
    assert out[1] == {"role": "user", "content": [{"type": "text", "text": "jobs?"}],
                      "metadata": {"source": "websocket", "timestamp": "t1"}}
    assert out[2]["content"] == [{"type": "tool-call", "toolCallId": "c1", "toolName": "list_jobs", "args": {"n": 1},
                                  "argsText": '{"n": 1}', "result": [1], "isError": False}]
    assert out[3] == {"role": "assistant", "content": [{"type": "text", "text": "One."}], "metadata": {"model": "m"}}
    assert len(out) == 4 and len(warnings) == 1
    with pytest.raises(ValueError):
        history_messages({"type": "history"})


# -- the client ---------------------------------------------------------------------------------


def test_a_ws_url_picks_the_websocket_chat() -> None:
    client = AssistantClient("wss://user:pw@chat.example.com/bedrock-chat/ws")
    assert client.api == "bedrock-ws"
    assert client.cancel_path is None
    assert "pw" not in repr(client)
    with pytest.raises(ValueError, match="bedrock-ws"):
        AssistantClient("ws://localhost/ws", api="openai", model="m")
    with pytest.raises(ValueError, match="ws://"):
        AssistantClient("http://localhost", api="bedrock-ws")
    with pytest.raises(TypeError, match="ws://"):
        AssistantClient("http://localhost").threads("t").history_sync()


def test_without_the_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx_ws", None)
    with pytest.raises(ImportError, match=r'pip install "assistant-ui\[ws\]"'):
        AssistantClient("ws://localhost:8000/bedrock-chat/ws")
    AssistantClient("http://localhost:8000")  # HTTP needs nothing more


def test_no_usage_is_no_usage() -> None:
    events, _ = decode(lines({"type": "ai_response", "message": "hi", "metadata": {"stop_reason": "end_turn"}}), 3)
    assert events[-1] == {"type": "finish", "finishReason": "stop"}
    events, warnings = decode(lines({"type": "ai_response", "message": "hi",
                                     "metadata": {"usage": {"input_tokens": -1, "output_tokens": 2}}}), 3)
    assert events[-1] == {"type": "finish", "finishReason": "stop", "usage": {"outputTokens": 2}}
    assert len(warnings) == 1
