"""``api="amazon-q"`` end to end: request bodies, decoding, tools, errors.

The service is ``tests/amazon_q_server.py``, served by uvicorn on 127.0.0.1; its frames
are encoded by the test helper, not by the library. Sync, asyncio and trio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from amazon_q_server import (
    TOKEN,
    Served,
    event,
    exception,
    frame,
    reasoning,
    serve,
    text,
    tool_use,
    usage,
)

from assistant_ui import AssistantClient, BadRequestError, PermissionDeniedError, StreamError
from assistant_ui._call.retry import RetryPolicy
from assistant_ui.auth import bearer
from assistant_ui.decoding import StreamDecoder
from assistant_ui.messages import assistant, file, system, tool_call, tool_result, user
from assistant_ui.tools import tool

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield from serve()


@pytest.fixture
def q(served: Served) -> Iterator[Served]:
    served.service.reset()
    yield served


def client(q: Served, **kwargs: Any) -> AssistantClient:
    return AssistantClient(q.url, api="amazon-q", headers=bearer(TOKEN), max_retries=0, **kwargs)


@tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather of a city.

    Args:
        city: The city name.
    """
    return {"city": city, "temperature": 14, "conditions": "cloudy"}


TOOL_SPEC = {
    "toolSpecification": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "inputSchema": {"json": get_weather.to_spec()["parameters"]},
    }
}


def test_the_test_encoder_matches_the_published_example() -> None:
    # the framing example of the wire-format notes: 65 bytes, both CRCs included
    expected = bytes.fromhex(
        "00000041 0000002a db0a6746"
        "0d3a6d6573736167652d74797065 070005 6576656e74"
        "0b3a6576656e742d74797065 070005 6368756e6b"
        "7b2261223a317d 916b33d8".replace(" ", "")
    )
    assert frame({":message-type": "event", ":event-type": "chunk"}, b'{"a":1}') == expected


# -- a text answer, reasoning, usage, the finish --------------------------------------------------


def test_text_answer_chat_sync(q: Served) -> None:
    q.service.script([*reasoning("Let me ", "think.", signature="sig-1"), *text("Hel", "lo!"), *usage(10, 5, 2)])
    with client(q) as c:
        result = c.threads("t1").chat_sync(messages=[user("Hi")], profileArn="arn:aws:codewhisperer:p", modelId="m-1")
    assert result.text == "Hello!"
    assert result.reasoning == "Let me think."
    assert result.status == {"type": "complete", "reason": "stop"}
    assert result.finish_reason == "stop"
    assert result.usage == {"inputTokens": 12, "outputTokens": 5, "totalTokens": 17}
    assert result.protocol == "aws-eventstream"
    assert result.message["id"] == "utt-1"
    assert result.message["metadata"]["custom"] == {"conversationId": "conv-1"}
    # the signature has no place in the message: it is an event, not lost
    assert {"type": "raw", "event": "reasoningContentEvent", "data": {"signature": "sig-1"}} in result.events
    assert [p["type"] for p in result.message["content"]] == ["reasoning", "text"]
    (req,) = q.service.requests
    assert req.path == "/generateAssistantResponse"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.body == {
        "conversationState": {
            "chatTriggerType": "MANUAL",
            "currentMessage": {"userInputMessage": {"content": "Hi", "modelId": "m-1"}},
        },
        "profileArn": "arn:aws:codewhisperer:p",
    }


def test_second_turn_carries_the_conversation_id_and_the_history(q: Served) -> None:
    q.service.script(text("Paris."), text("About 2.1 million."), text("Hi, other thread."))
    with client(q) as c:
        thread = c.threads("t1")
        first = [user("Capital of France?")]
        answer = thread.chat_sync(messages=first)
        second = thread.chat_sync(messages=[*first, answer.message, user("Population?")])
        other = c.threads("t2").chat_sync(messages=[user("Hello")])
    assert (answer.text, second.text, other.text) == ("Paris.", "About 2.1 million.", "Hi, other thread.")
    one, two, three = q.service.bodies
    assert "conversationId" not in one["conversationState"]
    assert two["conversationState"] == {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": "Population?"}},
        "history": [
            {"userInputMessage": {"content": "Capital of France?"}},
            {"assistantResponseMessage": {"content": "Paris.", "messageId": "utt-1"}},
        ],
    }
    # another thread id is another conversation
    assert "conversationId" not in three["conversationState"]
    assert other.message["metadata"]["custom"] == {"conversationId": "conv-2"}


def test_stream_sync_delivers_deltas(q: Served) -> None:
    q.service.script(text("a", "b", "c"))
    with client(q) as c, c.threads("t1").stream_sync(messages=[user("Hi")]) as stream:
        deltas = list(stream.text_stream)
        result = stream.final()
    assert deltas == ["a", "b", "c"]
    assert result.events[-1] == {"type": "finish", "finishReason": "stop"}


@pytest.mark.anyio
async def test_stream_async(q: Served, anyio_backend: str) -> None:
    q.service.script([*reasoning("hmm"), *text("Hello", " there"), *usage(3, 2)])
    async with client(q) as c:
        async with c.threads("t1").stream(messages=[user("Hi")]) as stream:
            kinds = [ev["type"] async for ev in stream]
            result = await stream.final()
    assert kinds == ["data", "metadata", "reasoning-delta", "text-delta", "text-delta", "finish"]
    assert result.text == "Hello there" and result.reasoning == "hmm"
    assert result.usage == {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}


def test_the_aws_json_form_at_the_root_path(q: Served) -> None:
    q.service.script(text("ok"))
    with client(q, chat_path="/") as c:
        assert c.threads("t1").chat_sync(messages=[user("Hi")]).text == "ok"
    (req,) = q.service.requests
    assert req.path == "/"
    assert req.headers["x-amz-target"] == "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
    assert req.headers["content-type"] == "application/x-amz-json-1.0"


# -- tools ----------------------------------------------------------------------------------------------


WEATHER_ANSWER = [*text("Checking."), *tool_use("tu-1", "get_weather", {"city": "Paris"}), *usage(20, 8)]


def check_tool_round_trip(q: Served, steps: list[Any], history: Any) -> None:
    first, second = q.service.bodies
    assert first["conversationState"]["currentMessage"]["userInputMessage"] == {
        "content": "Weather in Paris?",
        "userInputMessageContext": {"tools": [TOOL_SPEC]},
    }
    assert steps[0].finish_reason == "tool-calls"
    assert steps[0].status["type"] == "requires-action"
    assert steps[0].tool_calls[0]["args"] == {"city": "Paris"}
    assert second["conversationState"] == {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {
            "userInputMessage": {
                "content": "",
                "userInputMessageContext": {
                    "toolResults": [
                        {
                            "toolUseId": "tu-1",
                            "content": [{"json": {"city": "Paris", "temperature": 14, "conditions": "cloudy"}}],
                            "status": "success",
                        }
                    ],
                    "tools": [TOOL_SPEC],
                },
            }
        },
        "history": [
            {"userInputMessage": {"content": "Weather in Paris?"}},
            {
                "assistantResponseMessage": {
                    "content": "Checking.",
                    "messageId": "utt-1",
                    "toolUses": [{"toolUseId": "tu-1", "name": "get_weather", "input": {"city": "Paris"}}],
                }
            },
        ],
    }
    assert steps[1].text == "It is 14 °C and cloudy." and steps[1].finish_reason == "stop"
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]


def test_tool_round_trip_run_sync_then_next_turn(q: Served) -> None:
    q.service.script(WEATHER_ANSWER, text("It is 14 °C and cloudy."), text("You're welcome."))
    with client(q) as c:
        thread = c.threads("t1")
        run = thread.run_sync(messages=[user("Weather in Paris?")], tools=[get_weather])
        check_tool_round_trip(q, run.steps, run.history)
        assert run.executions[0].result == {"city": "Paris", "temperature": 14, "conditions": "cloudy"}
        thanks = thread.chat_sync(messages=[*(run.history or []), user("Thanks!")])
    assert thanks.text == "You're welcome."
    state = q.service.bodies[2]["conversationState"]
    assert state["conversationId"] == "conv-1"
    # the tool results and the next question alternate with the assistant turns
    assert [next(iter(e)) for e in state["history"]] == [
        "userInputMessage",
        "assistantResponseMessage",
        "userInputMessage",
        "assistantResponseMessage",
    ]
    assert state["history"][2]["userInputMessage"]["userInputMessageContext"]["toolResults"][0]["toolUseId"] == "tu-1"
    assert state["currentMessage"] == {"userInputMessage": {"content": "Thanks!"}}


@pytest.mark.anyio
async def test_tool_round_trip_run(q: Served, anyio_backend: str) -> None:
    q.service.script(WEATHER_ANSWER, text("It is 14 °C and cloudy."))
    async with client(q) as c:
        run = await c.threads("t1").run(messages=[user("Weather in Paris?")], tools=[get_weather])
    check_tool_round_trip(q, run.steps, run.history)


def test_a_failing_tool_sends_an_error_result(q: Served) -> None:
    @tool
    def explode(reason: str) -> str:
        """Always fails."""
        raise RuntimeError(reason)

    q.service.script(tool_use("tu-9", "explode", {"reason": "boom"}, pieces=1), text("Sorry."))
    with client(q) as c:
        run = c.threads("t1").run_sync(messages=[user("Go")], tools=[explode])
    assert run.text == "Sorry."
    (result,) = q.service.bodies[1]["conversationState"]["currentMessage"]["userInputMessage"][
        "userInputMessageContext"
    ]["toolResults"]
    assert result["status"] == "error" and result["toolUseId"] == "tu-9"
    assert "boom" in result["content"][0]["text"]


# -- errors -------------------------------------------------------------------------------------------------


def test_403_with_x_amzn_errortype(q: Served) -> None:
    with AssistantClient(q.url, api="amazon-q", headers=bearer("wrong"), max_retries=0) as c:
        with pytest.raises(PermissionDeniedError) as exc:
            c.threads("t1").chat_sync(messages=[user("Hi")])
    assert exc.value.status_code == 403
    assert exc.value.code == "AccessDeniedException"
    assert "AccessDeniedException" in str(exc.value) and "included in the request is invalid" in str(exc.value)
    assert "wrong" not in str(exc.value)


@pytest.mark.anyio
async def test_403_async(q: Served, anyio_backend: str) -> None:
    async with AssistantClient(q.url, api="amazon-q", headers=bearer("wrong"), max_retries=0) as c:
        with pytest.raises(PermissionDeniedError) as exc:
            await c.threads("t1").chat(messages=[user("Hi")])
    assert exc.value.code == "AccessDeniedException"


def test_a_throttling_400_is_retried(q: Served) -> None:
    # AWS answers throttling with HTTP 400 and x-amzn-errortype ThrottlingException:
    # retried like a 429
    q.service.throttle = 1
    q.service.script(text("Hello"))
    with AssistantClient(q.url, api="amazon-q", headers=bearer(TOKEN), max_retries=1) as c:
        c.retry = RetryPolicy(1, base_delay=0.001, max_delay=0.01)
        result = c.threads("t1").chat_sync(messages=[user("Hi")])
    assert result.text == "Hello"
    assert len(q.service.requests) == 2


@pytest.mark.anyio
async def test_a_throttling_400_without_retries_left_is_a_typed_error(q: Served, anyio_backend: str) -> None:
    q.service.throttle = 1
    async with client(q) as c:
        with pytest.raises(BadRequestError) as exc:
            await c.threads("t1").chat(messages=[user("Hi")])
    assert exc.value.status_code == 400
    assert exc.value.code == "ThrottlingException"
    assert len(q.service.requests) == 1


def test_a_validation_400_is_not_retried(q: Served) -> None:
    with AssistantClient(q.url, api="amazon-q", headers=bearer(TOKEN), max_retries=2) as c:
        c.retry = RetryPolicy(2, base_delay=0.001, max_delay=0.01)
        with pytest.raises(BadRequestError) as exc:
            c.threads("t1").chat_sync(messages=[user("Hi")], extra_body={"conversationState": {"bogus": 1}})
    assert exc.value.code == "ValidationException"
    assert len(q.service.requests) == 1


def test_exception_frame_mid_answer(q: Served) -> None:
    q.service.script([*text("Half an "), exception("throttlingException", "Too many requests")])
    with client(q) as c, pytest.raises(StreamError) as exc:
        c.threads("t1").chat_sync(messages=[user("Hi")])
    assert exc.value.code == "throttlingException"
    assert "Too many requests" in str(exc.value)
    partial = exc.value.partial
    assert partial is not None and partial.text == "Half an "
    assert not any(ev["type"] == "finish" for ev in partial.events)


@pytest.mark.anyio
async def test_invalid_state_event(q: Served, anyio_backend: str) -> None:
    q.service.script([*text("x"), ("invalidStateEvent", {"reason": "INVALID_TASK_ASSIST_PLAN", "message": "Bad plan"})])
    async with client(q) as c:
        with pytest.raises(StreamError) as exc:
            await c.threads("t1").chat(messages=[user("Hi")])
    assert exc.value.code == "INVALID_TASK_ASSIST_PLAN"
    assert exc.value.partial is not None and exc.value.partial.text == "x"


def test_a_tool_use_cut_before_stop_is_not_a_request_for_tools() -> None:
    body = event("toolUseEvent", {"toolUseId": "t", "name": "run", "input": '{"cmd": "l'})
    decoder = StreamDecoder(content_type="application/vnd.amazon.eventstream")
    events = decoder.decode(body)
    assert events[-2]["type"] == "tool-call" and events[-1] == {"type": "finish", "finishReason": "stop"}
    assert "not closed by stop" in decoder.warnings[0]


# -- request bodies (pure) ---------------------------------------------------------------------------------


def body_of(messages: Any, **kwargs: Any) -> Any:
    from assistant_ui._wire.requests import REQUEST_DIALECTS, ChatRequest

    session = kwargs.pop("session", {})
    model = kwargs.pop("model", None)
    path = kwargs.pop("path", "/generateAssistantResponse")
    request = ChatRequest(path=path, thread_id="t", messages=messages, session=session, model=model, **kwargs)
    return REQUEST_DIALECTS["amazon-q"].build_chat(request).json


def test_body_images_system_and_extra_fields() -> None:
    png = file(b"\x89PNG", "image/png")
    body = body_of(
        [system("Be brief."), user(["Look:", png], image="data:image/jpeg;base64,/9j/")],
        system="Answer in French.",
        model="claude-x",
        extra={"origin": "CLI", "envState": {"operatingSystem": "linux"}, "profile_arn": "arn:p", "x": None},
    )
    message = body["conversationState"]["currentMessage"]["userInputMessage"]
    assert message == {
        "content": "Answer in French.\n\nBe brief.\n\nLook:",
        "images": [
            {"format": "png", "source": {"bytes": png["data"]}},
            {"format": "jpeg", "source": {"bytes": "/9j/"}},
        ],
        "modelId": "claude-x",
        "origin": "CLI",
        "userInputMessageContext": {"envState": {"operatingSystem": "linux"}},
    }
    assert body["profileArn"] == "arn:p" and "x" not in body


def test_body_backend_answered_calls_and_text_results() -> None:
    messages = [
        user("Go"),
        assistant(["Step one.", {**tool_call("c1", "a", {"n": 1}), "result": "done"}, "Step two."]),
        assistant(tool_calls=[tool_call("c2", "b")]),
        tool_result("c2", "b", 42, is_error=True),
    ]
    state = body_of(messages)["conversationState"]
    assert [next(iter(e)) for e in state["history"]] == [
        "userInputMessage", "assistantResponseMessage", "userInputMessage", "assistantResponseMessage",
    ]
    assert state["history"][2]["userInputMessage"]["userInputMessageContext"]["toolResults"] == [
        {"toolUseId": "c1", "content": [{"text": "done"}], "status": "success"}
    ]
    # consecutive assistant entries merge: "Step two." and the c2 call
    assert state["history"][3]["assistantResponseMessage"] == {
        "content": "Step two.",
        "toolUses": [{"toolUseId": "c2", "name": "b", "input": {}}],
    }
    assert state["currentMessage"]["userInputMessage"]["userInputMessageContext"]["toolResults"] == [
        {"toolUseId": "c2", "content": [{"text": "42"}], "status": "error"}
    ]


def test_body_session_root_path_and_commands() -> None:
    from assistant_ui._wire.requests import REQUEST_DIALECTS, ChatRequest

    cmd = {"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": "Hi"}]}}
    request = ChatRequest(path="/", thread_id="t", commands=[cmd], session={"conversationId": "c-7"})
    spec = REQUEST_DIALECTS["amazon-q"].build_chat(request)
    assert spec.path == "/" and spec.headers["X-Amz-Target"].endswith(".GenerateAssistantResponse")
    assert spec.json["conversationState"]["conversationId"] == "c-7"
    assert spec.json["conversationState"]["currentMessage"] == {"userInputMessage": {"content": "Hi"}}
    update = REQUEST_DIALECTS["amazon-q"].update_session
    assert update is not None
    session: dict[str, Any] = {"conversationId": "old"}
    update(session, [{"type": "text-delta", "delta": "x"}])
    assert session == {"conversationId": "old"}
    update(session, [{"type": "metadata", "messageId": "u", "metadata": {"conversationId": "new"}}])
    assert session == {"conversationId": "new"}


@pytest.mark.parametrize(
    ("messages", "kwargs", "error"),
    [
        ([], {}, "must end with a user message"),
        ([user("Hi"), assistant("Hello")], {}, "must end with a user message"),
        ([user("x", image="https://example.com/a.png")], {}, "images as bytes"),
        ([user([file("JVBERi0=", "application/pdf")])], {}, "png, jpeg, gif and webp"),
        ([user("x")], {"run_config": {"a": 1}}, "no runConfig"),
    ],
)
def test_body_refuses_what_the_service_cannot_take(messages: Any, kwargs: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        body_of(messages, **kwargs)


def test_json_of_tool_spec_is_serializable() -> None:
    json.dumps(body_of([user("x")], tools=[get_weather]))
