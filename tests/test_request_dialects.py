"""Request dialects ``api="ai-sdk"`` (docs/wire-formats.md §12.4) and ``api="openai"`` (§12.5),
and ``history_after`` (the grown history the tool-calling loop sends)."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui import AssistantClient
from assistant_ui._wire.requests import ChatRequest, RequestSpec, ai_sdk, openai
from assistant_ui._wire.requests.history import guess_image_media_type, history_after
from assistant_ui.messages import (
    add_message,
    add_tool_result,
    assistant,
    file,
    system,
    text,
    tool_call,
    tool_message,
    tool_result,
    user,
)

BASE = "https://api.example.com"
PDF = b"%PDF-1.4 tiny"
PDF_B64 = base64.b64encode(PDF).decode()
PNG_DATA_URL = "data:image/png;base64,iVBORw0KGgo="

DATA_STREAM_OK = httpx.Response(200, headers={"content-type": "text/plain"}, content=b'0:"ok"\n')
OPENAI_SSE_OK = (
    b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}\n\n'
    b"data: [DONE]\n\n"
)

TOOLS: dict[str, Any] = {
    "get_weather": {
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
    "get_time": {"parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}},
}


def _build(module: Any, **fields: Any) -> RequestSpec:
    """One request dialect's body for the given :class:`ChatRequest` fields."""
    extra = fields.pop("extra", None)
    return module.build_chat_request(ChatRequest(**fields, extra=extra or {}))



def conversation() -> list[Any]:
    """A history with every kind of part: images, files (bytes and URL), reasoning,
    tool calls with an ok and an error result, system."""
    return [
        system("You are terse."),
        user("What is in this picture?", image="https://cdn.example.com/cat.JPG?size=2", id="u1"),
        user(
            "Summarize these.",
            file=[
                file(PDF, "application/pdf", filename="report.pdf"),
                file("https://example.com/spec.pdf", "application/pdf"),
            ],
        ),
        {
            "role": "assistant",
            "unstable_id": "a1",
            "content": [
                {"type": "reasoning", "text": "I need the weather and the time."},
                text("Let me check."),
                tool_call("call_1", "get_weather", {"city": "Paris"}),
                tool_call("call_2", "get_time", {"tz": "CET"}),
            ],
        },
        tool_message(
            [
                {
                    "type": "tool-result",
                    "toolCallId": "call_1",
                    "toolName": "get_weather",
                    "result": {"temp": 20},
                    "isError": False,
                },
                {
                    "type": "tool-result",
                    "toolCallId": "call_2",
                    "toolName": "get_time",
                    "result": "clock broke",
                    "isError": True,
                },
            ]
        ),
        assistant("It is 20 °C in Paris."),
    ]


AI_SDK_MESSAGES = [
    {"id": "msg-0", "role": "system", "parts": [{"type": "text", "text": "You are terse."}]},
    {
        "id": "u1",
        "role": "user",
        "parts": [
            {"type": "text", "text": "What is in this picture?"},
            {
                "type": "file",
                "mediaType": "image/jpeg",
                "url": "https://cdn.example.com/cat.JPG?size=2",
            },
        ],
    },
    {
        "id": "msg-2",
        "role": "user",
        "parts": [
            {"type": "text", "text": "Summarize these."},
            {
                "type": "file",
                "mediaType": "application/pdf",
                "url": f"data:application/pdf;base64,{PDF_B64}",
                "filename": "report.pdf",
            },
            {"type": "file", "mediaType": "application/pdf", "url": "https://example.com/spec.pdf"},
        ],
    },
    {
        "id": "a1",
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "text": "I need the weather and the time."},
            {"type": "text", "text": "Let me check."},
            {
                "type": "tool-get_weather",
                "toolCallId": "call_1",
                "state": "output-available",
                "input": {"city": "Paris"},
                "output": {"temp": 20},
            },
            {
                "type": "tool-get_time",
                "toolCallId": "call_2",
                "state": "output-error",
                "input": {"tz": "CET"},
                "errorText": "clock broke",
            },
        ],
    },
    {"id": "msg-5", "role": "assistant", "parts": [{"type": "text", "text": "It is 20 °C in Paris."}]},
]

OPENAI_MESSAGES = [
    {"role": "system", "content": "Answer in English."},
    {"role": "system", "content": "You are terse."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "https://cdn.example.com/cat.JPG?size=2"}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Summarize these."},
            {
                "type": "file",
                "file": {
                    "file_data": f"data:application/pdf;base64,{PDF_B64}",
                    "filename": "report.pdf",
                },
            },
            {
                "type": "file",
                "file": {"file_data": "https://example.com/spec.pdf", "filename": "part-2.pdf"},
            },
        ],
    },
    {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 20}'},
    {"role": "tool", "tool_call_id": "call_2", "content": "clock broke"},
    {"role": "assistant", "content": "It is 20 °C in Paris."},
]

OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": TOOLS["get_weather"]["parameters"],
        },
    },
    {
        "type": "function",
        "function": {"name": "get_time", "parameters": TOOLS["get_time"]["parameters"]},
    },
]


def cmds(*commands: Any) -> list[dict[str, Any]]:
    """Commands as plain dicts (build_chat_request takes ``list[dict[str, Any]]``)."""
    return [dict(c) for c in commands]


def sent(route: respx.Route, n: int = -1) -> Any:
    return json.loads(route.calls[n].request.content)


def openai_sse(body: bytes = OPENAI_SSE_OK) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


# --- ai-sdk: through a real client ----------------------------------------------------------


def test_ai_sdk_round_trip_sync() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post("/api/chat").mock(return_value=DATA_STREAM_OK)
        with AssistantClient(BASE, api="ai-sdk") as client:
            result = client.threads("thread-1").chat_sync(
                messages=conversation(),
                system="Answer in English.",
                tools=TOOLS,
                runConfig={"custom": {"x": 1}},
                state={"step": 1},
                unstable_assistantMessageId="m-next",
                temperature=0.3,
                ignored=None,
            )
    assert result.text == "ok"
    assert sent(route) == {
        "id": "thread-1",
        "messages": AI_SDK_MESSAGES[1:],  # the system message goes to "system"
        "trigger": "submit-message",
        "messageId": "m-next",
        "system": "Answer in English.\n\nYou are terse.",
        "tools": TOOLS,
        "runConfig": {"custom": {"x": 1}},
        "state": {"step": 1},
        "temperature": 0.3,
    }


@pytest.mark.anyio
async def test_ai_sdk_round_trip_async() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post("/api/chat").mock(return_value=DATA_STREAM_OK)
        async with AssistantClient(BASE, api="ai-sdk") as client:
            result = await client.threads("thread-1").chat(
                conversation(), trigger="regenerate-message", assistant_message_id="a1"
            )
    assert result.text == "ok"
    body = sent(route)
    assert body == {
        "id": "thread-1",
        "messages": AI_SDK_MESSAGES[1:],
        "trigger": "regenerate-message",
        "messageId": "a1",
        "system": "You are terse.",
    }


def test_ai_sdk_no_messages() -> None:
    spec = _build(ai_sdk, path="/api/chat", thread_id="t")
    assert (spec.method, spec.path) == ("POST", "/api/chat")
    assert spec.json == {"id": "t", "messages": [], "trigger": "submit-message"}


def test_ai_sdk_tools_in_every_form() -> None:
    tools = [{"name": "get_time", "parameters": TOOLS["get_time"]["parameters"]}]
    spec = _build(ai_sdk, path="/p", thread_id="t", tools=tools)
    assert spec.json["tools"] == {"get_time": {"parameters": TOOLS["get_time"]["parameters"]}}


# --- ai-sdk: conversion details ---------------------------------------------------------------


def test_ai_sdk_image_media_types() -> None:
    parts = ai_sdk.to_ui_messages(
        [
            user(
                image=[
                    PNG_DATA_URL,
                    "https://e.com/a.webp",
                    "https://e.com/photo",
                    "data:;base64,AAAA",
                ]
            )
        ]
    )[0]["parts"]
    assert [p["mediaType"] for p in parts] == ["image/png", "image/webp", "image/*", "image/*"]
    assert parts[0]["url"] == PNG_DATA_URL
    assert guess_image_media_type("https://e.com/x.gif?q=1#f") == "image/gif"


def test_ai_sdk_file_data_url_kept() -> None:
    url = f"data:application/pdf;base64,{PDF_B64}"
    [msg] = ai_sdk.to_ui_messages([user(file=file(url, "application/pdf"))])
    assert msg["parts"] == [{"type": "file", "mediaType": "application/pdf", "url": url}]


def test_ai_sdk_string_content_and_ids() -> None:
    msgs = [
        {"role": "user", "content": "plain", "unstable_id": "msg-1"},
        {"role": "user", "content": "second"},  # would be msg-1: taken
        {"role": "user", "content": "third", "unstable_id": "msg-1"},
    ]
    out = ai_sdk.to_ui_messages(msgs)
    assert [m["id"] for m in out] == ["msg-1", "msg-1-2", "msg-1-3"]
    assert out[0]["parts"] == [{"type": "text", "text": "plain"}]


def test_ai_sdk_accumulated_message() -> None:
    """An accumulated assistant message (docs/api.md §5): its id, its inline (backend) results,
    sources, data, files, custom metadata and artifacts all survive; a step-start keeps the
    text after the tool result in order."""
    acc = {
        "role": "assistant",
        "id": "srv-1",
        "content": [
            {"type": "text", "text": "Checking."},
            {
                "type": "tool-call",
                "toolCallId": "c1",
                "toolName": "search",
                "args": {"q": "x"},
                "argsText": '{"q":"x"}',
                "result": ["hit"],
                "isError": False,
                "artifact": {"raw": 1},
            },
            {"type": "source", "sourceType": "url", "id": "s1", "url": "https://s.example", "title": "S"},
            {"type": "text", "text": "Found it."},
            {"type": "file", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "data", "name": "weather", "data": {"t": 1}, "id": "w1"},
            {"type": "data", "name": "note", "data": 2},
        ],
        "status": {"type": "complete", "reason": "stop"},
        "metadata": {
            "unstable_state": None,
            "unstable_data": [],
            "unstable_annotations": [],
            "steps": [],
            "custom": {"usage": {"inputTokens": 3}},
        },
    }
    [msg] = ai_sdk.to_ui_messages([acc])
    assert msg == {
        "id": "srv-1",
        "role": "assistant",
        "metadata": {"usage": {"inputTokens": 3}, "toolArtifacts": {"c1": {"raw": 1}}},
        "parts": [
            {"type": "text", "text": "Checking."},
            {
                "type": "tool-search",
                "toolCallId": "c1",
                "state": "output-available",
                "input": {"q": "x"},
                "output": ["hit"],
            },
            {"type": "step-start"},
            {"type": "source-url", "sourceId": "s1", "url": "https://s.example", "title": "S"},
            {"type": "text", "text": "Found it."},
            {"type": "file", "mediaType": "image/png", "url": "data:image/png;base64,iVBORw0KGgo="},
            {"type": "data-weather", "id": "w1", "data": {"t": 1}},
            {"type": "data-note", "data": 2},
        ],
    }


def test_ai_sdk_args_text_only() -> None:
    [msg] = ai_sdk.to_ui_messages(
        [{"role": "assistant", "content": [{"type": "tool-call", "toolCallId": "c", "toolName": "t", "argsText": '{"a": 1}'}]}]
    )
    assert msg["parts"][0]["input"] == {"a": 1}


def test_ai_sdk_orphan_tool_result() -> None:
    out = ai_sdk.to_ui_messages(
        [
            user("hi"),
            tool_result("c9", "lookup", {"v": 1}, artifact="art"),
            tool_result("c9", "lookup", "second try"),  # merged into the orphan part
        ]
    )
    same_message = ai_sdk.to_ui_messages(
        [tool_message([tool_result("c9", "lookup", 1)["content"][0], tool_result("c9", "lookup", 2)["content"][0]])]
    )
    assert [p["output"] for p in same_message[0]["parts"]] == [2]
    assert out[1] == {
        "id": "msg-1",
        "role": "assistant",
        "parts": [
            {
                "type": "tool-lookup",
                "toolCallId": "c9",
                "state": "output-available",
                "input": {},
                "output": "second try",
            }
        ],
        "metadata": {"toolArtifacts": {"c9": "art"}},
    }
    assert len(out) == 2


def test_ai_sdk_result_merges_into_latest_call() -> None:
    out = ai_sdk.to_ui_messages(
        [
            assistant(tool_calls=[tool_call("c1", "t", {"n": 1})]),
            assistant(tool_calls=[tool_call("c1", "t", {"n": 2})]),  # same id again (retry)
            tool_result("c1", "t", 5),
        ]
    )
    assert out[0]["parts"][0]["state"] == "input-available"
    assert out[1]["parts"][0] == {
        "type": "tool-t",
        "toolCallId": "c1",
        "state": "output-available",
        "input": {"n": 2},
        "output": 5,
    }


def test_ai_sdk_error_result_non_str() -> None:
    out = ai_sdk.to_ui_messages(
        [assistant(tool_calls=[tool_call("c1", "t")]), tool_result("c1", "t", {"code": 7}, is_error=True)]
    )
    assert out[0]["parts"][0] == {
        "type": "tool-t",
        "toolCallId": "c1",
        "state": "output-error",
        "input": {},
        "errorText": '{"code": 7}',
    }


def test_ai_sdk_commands() -> None:
    history = [user("Weather?"), assistant(tool_calls=[tool_call("c1", "get_weather", {"city": "Oslo"})])]
    spec = _build(ai_sdk,
        path="/api/chat",
        thread_id="t",
        messages=history,
        commands=cmds(
            add_tool_result("c1", "get_weather", {"temp": -3}, artifact={"chart": True}),
            add_message(user("And tomorrow?")),
        ),
    )
    assert spec.json["messages"] == [
        {"id": "msg-0", "role": "user", "parts": [{"type": "text", "text": "Weather?"}]},
        {
            "id": "msg-1",
            "role": "assistant",
            "parts": [
                {
                    "type": "tool-get_weather",
                    "toolCallId": "c1",
                    "state": "output-available",
                    "input": {"city": "Oslo"},
                    "output": {"temp": -3},
                }
            ],
            "metadata": {"toolArtifacts": {"c1": {"chart": True}}},
        },
        # ids follow the position in messages + commands: stable when re-sent
        {"id": "msg-3", "role": "user", "parts": [{"type": "text", "text": "And tomorrow?"}]},
    ]


def test_ai_sdk_command_without_call_is_an_error() -> None:
    with pytest.raises(ValueError, match="re-sends the whole history"):
        _build(ai_sdk,
            path="/api/chat", thread_id="t", commands=cmds(add_tool_result("nope", "t", 1))
        )
    with pytest.raises(ValueError, match="unknown command type"):
        _build(ai_sdk, path="/api/chat", thread_id="t", commands=[{"type": "x"}])


def test_ai_sdk_through_client_command_error() -> None:
    client = AssistantClient(BASE, api="ai-sdk")
    with pytest.raises(ValueError, match="ai-sdk"):
        client.threads("t").chat_sync(commands=[add_tool_result("c1", "t", 1)])


def test_ai_sdk_bad_parts() -> None:
    with pytest.raises(ValueError, match="tool-result parts"):
        ai_sdk.to_ui_messages([{"role": "tool", "content": [text("x")]}])
    with pytest.raises(ValueError, match="cannot send"):
        ai_sdk.to_ui_messages([{"role": "user", "content": [{"type": "audio"}]}])
    with pytest.raises(ValueError, match="no toolName"):
        ai_sdk.to_ui_messages([{"role": "tool", "content": [{"type": "tool-result", "toolCallId": "c", "result": 1}]}])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(lambda s: user(s), st.text(max_size=8)),
            st.builds(lambda s: assistant(s), st.text(max_size=8)),
            st.builds(lambda s: system(s), st.text(max_size=8)),
        ),
        max_size=8,
    )
)
def test_ai_sdk_text_and_ids_property(msgs: list[Any]) -> None:
    out = ai_sdk.to_ui_messages(msgs)
    assert len(out) == len(msgs)
    assert len({m["id"] for m in out}) == len(out)
    for src, ui in zip(msgs, out, strict=True):
        expected = src["content"] if isinstance(src["content"], str) else src["content"][0]["text"]
        assert ui["role"] == src["role"]
        assert ui["parts"] == [{"type": "text", "text": expected}]
    assert ai_sdk.to_ui_messages(msgs) == out  # stable ids: same history, same body


# --- openai: through a real client -----------------------------------------------------------


def test_openai_needs_model() -> None:
    with pytest.raises(ValueError, match="model"):
        AssistantClient(BASE, api="openai")
    with pytest.raises(ValueError, match="model"):
        _build(openai, path="/v1/chat/completions", thread_id="t", messages=[user("x")])


def test_openai_round_trip_sync() -> None:
    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/chat/completions").mock(return_value=openai_sse())
        with AssistantClient(BASE, api="openai", model="m") as client:
            result = client.threads("thread-1").chat_sync(
                messages=conversation(),
                system="Answer in English.",
                tools=TOOLS,
                state={"ignored": True},
                assistant_message_id="m-next",
                temperature=0.2,
                tool_choice="auto",
                max_tokens=50,
                top_p=None,
            )
    assert result.text == "ok"
    assert sent(route) == {
        "model": "m",
        "messages": OPENAI_MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": OPENAI_TOOLS,
        "temperature": 0.2,
        "tool_choice": "auto",
        "max_tokens": 50,
    }


@pytest.mark.anyio
async def test_openai_round_trip_async_non_streaming() -> None:
    completion = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/chat/completions").mock(
            return_value=httpx.Response(200, json=completion)
        )
        async with AssistantClient(BASE, api="openai", model="m") as client:
            result = await client.threads("t").chat([user("hi")], stream=False, model="m2")
    assert result.text == "ok"
    assert sent(route) == {
        "model": "m2",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
    }


def test_openai_stream_false_keeps_explicit_stream_options() -> None:
    spec = _build(openai,
        path="/v1/chat/completions",
        thread_id="t",
        model="m",
        extra={"stream": False, "stream_options": {"include_usage": False}},
    )
    assert spec.json == {
        "model": "m",
        "messages": [],
        "stream": False,
        "stream_options": {"include_usage": False},
    }


def test_openai_thread_id_not_sent_and_run_config_refused() -> None:
    spec = _build(openai, path="/x", thread_id="secret-thread", model="m", state={"s": 1})
    assert "secret-thread" not in json.dumps(spec.json)
    assert "state" not in spec.json
    with pytest.raises(ValueError, match="runConfig"):
        _build(openai, path="/x", thread_id="t", model="m", run_config={"a": 1})


# --- openai: conversion details ----------------------------------------------------------------


def test_openai_user_files() -> None:
    wav = base64.b64encode(b"RIFF....WAVE").decode()
    [msg] = openai.to_openai_messages(
        [
            user(
                [text("Look:")],
                image=PNG_DATA_URL,
                file=[
                    file(b"\x89PNG", "image/png"),
                    file(wav, "audio/wav"),
                    file(f"data:audio/mpeg;base64,{wav}", "audio/mpeg"),
                    file("file-abc123", "application/pdf"),
                    file(b"a,b\n", "text/csv"),
                    file("https://e.com/x.bin", "application/octet-stream", filename="x.bin"),
                ],
            )
        ]
    )
    assert msg == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look:"},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
            {"type": "input_audio", "input_audio": {"data": wav, "format": "wav"}},
            {"type": "input_audio", "input_audio": {"data": wav, "format": "mp3"}},
            {"type": "file", "file": {"file_id": "file-abc123"}},
            {
                "type": "file",
                "file": {"file_data": "data:text/csv;base64,YSxiCg==", "filename": "part-6.csv"},
            },
            {"type": "file", "file": {"file_data": "https://e.com/x.bin", "filename": "x.bin"}},
        ],
    }


def test_openai_single_text_is_a_string() -> None:
    out = openai.to_openai_messages([user("hi"), {"role": "user", "content": "there"}, user([text("a"), text("b")])])
    assert out == [
        {"role": "user", "content": "hi"},
        {"role": "user", "content": "there"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ]


def test_openai_accumulated_message_split_into_steps() -> None:
    """Text after a tool call is the next step: the backend's inline result goes between
    the two assistant messages; a later result for the same call is not sent twice;
    reasoning, sources and data are not sent."""
    acc = {
        "role": "assistant",
        "id": "cmpl-1",
        "content": [
            {"type": "reasoning", "text": "hmm"},
            {"type": "text", "text": "One "},
            {"type": "text", "text": "moment."},
            {"type": "tool-call", "toolCallId": "c1", "toolName": "search", "args": {"q": "é"}, "result": ["hit"]},
            {"type": "source", "sourceType": "url", "id": "s1", "url": "https://s"},
            {"type": "text", "text": "Found."},
            {"type": "data", "name": "d", "data": 1},
            {"type": "tool-call", "toolCallId": "c2", "toolName": "raw", "argsText": '{"x":1}'},
        ],
    }
    out = openai.to_openai_messages([acc, tool_result("c1", "search", ["dup"]), tool_result("c2", "raw", 3)])
    assert out == [
        {
            "role": "assistant",
            "content": "One moment.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": "é"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '["hit"]'},
        {
            "role": "assistant",
            "content": "Found.",
            "tool_calls": [
                {"id": "c2", "type": "function", "function": {"name": "raw", "arguments": '{"x":1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c2", "content": "3"},
    ]


def test_openai_tool_calls_only_and_reasoning_only() -> None:
    out = openai.to_openai_messages(
        [
            assistant(tool_calls=[tool_call("c1", "t")]),
            {"role": "assistant", "content": [{"type": "reasoning", "text": "internal"}]},
        ]
    )
    assert out == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{}"}}],
        }
    ]


def test_openai_commands() -> None:
    spec = _build(openai,
        path="/v1/chat/completions",
        thread_id="t",
        model="m",
        messages=[assistant(tool_calls=[tool_call("c1", "t", {"a": 1})])],
        commands=cmds(
            add_tool_result("c1", "t", {"ok": True}, artifact="local only"),
            add_message(user("thanks", image="https://e.com/i.png")),
            {"type": "add-message", "message": {"role": "assistant", "parts": [text("np")]}},
        ),
    )
    assert spec.json["messages"][1:] == [
        {"role": "tool", "tool_call_id": "c1", "content": '{"ok": true}'},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "thanks"},
                {"type": "image_url", "image_url": {"url": "https://e.com/i.png"}},
            ],
        },
        {"role": "assistant", "content": "np"},
    ]
    with pytest.raises(ValueError, match="unknown command type"):
        openai.to_openai_messages([], [{"type": "nope"}])


def test_openai_tools() -> None:
    assert openai.to_openai_tools(None) is None
    assert openai.to_openai_tools({}) is None
    assert openai.to_openai_tools(
        [{"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": True}]
    ) == [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": True},
        }
    ]
    spec = _build(openai, path="/x", thread_id="t", model="m", tools={})
    assert "tools" not in spec.json


def test_openai_bad_parts() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        openai.to_openai_messages([{"role": "user", "content": [{"type": "tool-call"}]}])
    with pytest.raises(ValueError, match="tool-result parts"):
        openai.to_openai_messages([{"role": "tool", "content": "x"}])


# --- history_after ---------------------------------------------------------------------------------

ACCUMULATED = {
    "role": "assistant",
    "id": "msg-srv",
    "content": [
        {"type": "reasoning", "text": "thinking"},
        {"type": "text", "text": "Checking."},
        {
            "type": "tool-call",
            "toolCallId": "c1",
            "toolName": "get_weather",
            "args": {"city": "Paris"},
            "argsText": '{"city":"Paris"}',
        },
        {
            "type": "tool-call",
            "toolCallId": "c0",
            "toolName": "web",
            "args": {},
            "argsText": "{}",
            "result": "served by the backend",
            "isError": False,
        },
    ],
    "status": {"type": "requires-action", "reason": "tool-calls"},
    "metadata": {"unstable_state": None, "unstable_data": [], "unstable_annotations": [], "steps": [], "custom": {}},
}


def test_history_after() -> None:
    history = [user("Weather?")]
    grown = history_after(
        history,
        ACCUMULATED,
        [{"toolCallId": "c1", "result": {"temp": 20}, "isError": False, "artifact": [1]}],
    )
    assert history == [user("Weather?")]  # not mutated
    assert grown == [
        user("Weather?"),
        {
            "role": "assistant",
            "unstable_id": "msg-srv",
            "content": [
                {"type": "reasoning", "text": "thinking"},
                {"type": "text", "text": "Checking."},
                {"type": "tool-call", "toolCallId": "c1", "toolName": "get_weather", "args": {"city": "Paris"}},
                {
                    "type": "tool-call",
                    "toolCallId": "c0",
                    "toolName": "web",
                    "args": {},
                    "result": "served by the backend",
                    "isError": False,
                },
            ],
        },
        {
            "role": "tool",
            "content": [
                {
                    "type": "tool-result",
                    "toolCallId": "c1",
                    "toolName": "get_weather",
                    "result": {"temp": 20},
                    "isError": False,
                    "artifact": [1],
                }
            ],
        },
    ]
    # the same module function is exported by both dialects
    assert ai_sdk.history_after is openai.history_after is history_after


def test_history_after_edge_cases() -> None:
    chat_result = SimpleNamespace(message={"role": "assistant", "id": None, "content": [text("done")]})
    assert history_after(None, chat_result, []) == [{"role": "assistant", "content": [text("done")]}]
    assert history_after([user("x")], {"role": "assistant", "content": []}, []) == [user("x")]
    with pytest.raises(ValueError, match="no toolName"):
        history_after([], {"role": "assistant", "content": []}, [{"toolCallId": "zz", "result": 1}])
    with pytest.raises(ValueError, match="toolCallId"):
        history_after([], {"role": "assistant", "content": []}, [{"result": 1}])
    with pytest.raises(TypeError):
        history_after([], "not a message", [])
    # a local result replaces nothing but wins over an inline one for the same call
    grown = history_after(
        [],
        {"role": "assistant", "content": [{"type": "tool-call", "toolCallId": "c", "toolName": "t", "args": {}, "result": "old"}]},
        [{"toolCallId": "c", "result": "new", "isError": True}],
    )
    assert "result" not in grown[0]["content"][0]
    assert grown[1]["content"][0]["result"] == "new" and grown[1]["content"][0]["isError"] is True


def test_history_after_through_both_dialects() -> None:
    grown = history_after([user("Weather?")], ACCUMULATED, [{"toolCallId": "c1", "toolName": "get_weather", "result": {"temp": 20}}])
    ui = ai_sdk.to_ui_messages(grown)
    assert ui[1] == {
        "id": "msg-srv",
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "text": "thinking"},
            {"type": "text", "text": "Checking."},
            {
                "type": "tool-get_weather",
                "toolCallId": "c1",
                "state": "output-available",
                "input": {"city": "Paris"},
                "output": {"temp": 20},
            },
            {
                "type": "tool-web",
                "toolCallId": "c0",
                "state": "output-available",
                "input": {},
                "output": "served by the backend",
            },
        ],
    }
    assert len(ui) == 2  # the tool message was merged
    oa = openai.to_openai_messages(grown)
    assert oa == [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                {"id": "c0", "type": "function", "function": {"name": "web", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c0", "content": "served by the backend"},
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 20}'},
    ]


def test_openai_tool_loop_by_hand() -> None:
    """What the tool-calling loop does with api="openai": chat, run the tool, send the
    grown history."""
    tool_call_sse = (
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function",'
        b'"function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}\n\n'
        b'data: {"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":'
        b'{"arguments":"{\\"city\\":\\"NYC\\"}"}}]},"finish_reason":null}]}\n\n'
        b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
        b"data: [DONE]\n\n"
    )
    with respx.mock(base_url=BASE) as router:
        route = router.post("/v1/chat/completions").mock(
            side_effect=[openai_sse(tool_call_sse), openai_sse()]
        )
        with AssistantClient(BASE, api="openai", model="m") as client:
            thread = client.threads("t")
            history = [user("Weather in NYC?")]
            first = thread.chat_sync(history, tools=TOOLS)
            [call] = first.tool_calls
            grown = history_after(
                history,
                first,
                [{"toolCallId": call["toolCallId"], "toolName": call["toolName"], "result": {"temp": 70}}],
            )
            second = thread.chat_sync(grown, tools=TOOLS)
    assert second.text == "ok"
    assert sent(route, 1)["messages"] == [
        {"role": "user", "content": "Weather in NYC?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "NYC"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 70}'},
    ]
