"""The tool loop survives what the backend sends (issue #17.2): arguments nested far too
deep become ``isError`` results, a deep ``input`` object is copied without recursion, and
values that cannot be encoded again (``1e999``, lone surrogates in text, state or tool
input) are made sendable before the next step (see ``assistant_ui.tools._resend``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from test_run_loop import DataStreamBackend, in_process, scripted, served

from assistant_ui import AssistantClient, user
from assistant_ui.tools import Toolbox, tool
from assistant_ui.tools._resend import MAX_DEPTH, UnsendableValueError, json_copy, resendable
from assistant_ui.tools._validator import json_equal, validate


@tool
def echo(x: Any = None) -> str:
    """Say ok."""
    return "ok"


def nested(depth: int, kind: str = "array") -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


DEEP_CALLS = [
    ("c1", "echo", json.dumps({"x": None})[:-1] + ', "y": ' + nested(100_000) + "}"),
    ("c2", "echo", nested(5_000, "object")),
    ("c3", "echo", '{"x": ' + nested(505, "object") + "}"),  # deep, but within the decoder's limit
]


def check_deep(backend: DataStreamBackend) -> None:
    sent = backend.results[1]
    assert [c["isError"] for c in sent] == [True, True, False]
    for c in sent[:2]:
        assert "not valid JSON (JSON nested deeper than 512)" in c["result"]
    assert sent[2]["result"] == "ok"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_deep_arguments_async(anyio_backend: str) -> None:
    backend = DataStreamBackend(scripted(DEEP_CALLS, "done"))
    async with in_process(backend) as client:
        result = await client.threads("t").run([user("go")], tools=[echo])
    check_deep(backend)
    assert result.stop_reason == "done"


def test_deep_arguments_sync() -> None:
    backend = DataStreamBackend(scripted(DEEP_CALLS, "done"))
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("go")], tools=[echo])
    check_deep(backend)
    assert result.stop_reason == "done"


def test_prepare_copies_deep_input_without_recursion() -> None:
    args: Any = {"x": 1}
    for _ in range(20_000):
        args = {"x": args}
    done = Toolbox([echo]).execute_sync({"toolCallId": "c", "toolName": "echo", "args": args})
    assert (done.result, done.is_error) == ("ok", False)


# -- values that cannot be sent again -------------------------------------------------------


class RawBackend:
    """Answers the n-th request with the n-th list of raw lines; records the raw bodies."""

    def __init__(self, *answers: list[str], media_type: str = "text/plain") -> None:
        self.answers = answers
        self.bodies: list[bytes] = []
        self.media_type = media_type

    def app(self, path: str) -> Starlette:
        async def chat(request: Request) -> Response:
            self.bodies.append(await request.body())
            lines = self.answers[min(len(self.bodies) - 1, len(self.answers) - 1)]

            def stream() -> Iterator[str]:
                yield from lines

            return StreamingResponse(stream(), media_type=self.media_type)

        return Starlette(routes=[Route(path, chat, methods=["POST"])])

    def client(self, path: str, **kwargs: Any) -> AssistantClient:
        transport = httpx.ASGITransport(app=self.app(path))
        return AssistantClient("http://testserver", transport=transport, max_retries=0, **kwargs)


DATA_STREAM_STEP = [
    '0:"caf\\ud800e"\n',
    'aui-state:[{"type":"set","path":["big"],"value":1e999},{"type":"set","path":["s"],"value":"\\udc00!"}]\n',
    'b:{"toolCallId":"c1","toolName":"echo"}\n',
    'c:{"toolCallId":"c1","argsTextDelta":"{\\"x\\": [1e999, \\"\\\\ud800\\"]}"}\n',
    'e:{"finishReason":"tool-calls","isContinued":false}\n',
    'd:{"finishReason":"tool-calls"}\n',
]
DATA_STREAM_DONE = ['0:"done"\n', 'e:{"finishReason":"stop","isContinued":false}\n', 'd:{"finishReason":"stop"}\n']


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_unsendable_state_and_text_are_cleaned_async(anyio_backend: str) -> None:
    backend = RawBackend(DATA_STREAM_STEP, DATA_STREAM_DONE)
    async with backend.client("/api/chat") as client:
        result = await client.threads("t").run([user("go")], tools=[echo])
    assert result.stop_reason == "done" and result.text == "done"
    second = json.loads(backend.bodies[1])
    assert second["state"] == {"big": None, "s": "\ufffd!"}
    assert second["commands"][0]["result"] == "ok"
    # what the run returns is left as it arrived
    assert result.steps[0].state["big"] == float("inf")
    assert result.executions[0].args == {"x": [float("inf"), "\ud800"]}


def openai_chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return "data: " + json.dumps({"id": "x", "object": "chat.completion.chunk", "choices": [choice]}) + "\n\n"


OPENAI_STEP = [
    openai_chunk({"role": "assistant", "content": "caf\ud800e"}),
    openai_chunk(
        {"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                         "function": {"name": "echo", "arguments": '{"x": 1e999, "y": "\\ud800"}'}}]}
    ),
    openai_chunk({}, "tool_calls"),
    "data: [DONE]\n\n",
]
OPENAI_DONE = [openai_chunk({"role": "assistant", "content": "done"}), openai_chunk({}, "stop"), "data: [DONE]\n\n"]


def test_unsendable_history_is_cleaned_sync() -> None:
    backend = RawBackend(OPENAI_STEP, OPENAI_DONE, media_type="text/event-stream")
    with served_app(backend.app("/v1/chat/completions")) as url:
        with AssistantClient(url, api="openai", model="m", max_retries=0) as client:
            result = client.threads("t").run_sync([user("go")], tools=[echo])
    assert result.stop_reason == "done" and result.text == "done"
    second = json.loads(backend.bodies[1])
    text = json.dumps(second)
    assert "\\ud800" not in text and "Infinity" not in text
    assistant = next(m for m in second["messages"] if m["role"] == "assistant")
    assert assistant["content"] in ("caf\ufffde", [{"type": "text", "text": "caf\ufffde"}])


def served_app(app: Starlette) -> Any:
    from test_run_loop import _Served

    return _ServedURL(_Served(app))


class _ServedURL:
    def __init__(self, server: Any) -> None:
        self.server = server

    def __enter__(self) -> str:
        self.server.__enter__()
        return str(self.server.base_url)

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


# -- the pieces --------------------------------------------------------------------------------


def test_resendable_rules() -> None:
    value = {"a": (1, float("nan"), -float("inf")), "t\ud800": ["ok", "\udc00x", "\ud83d\ude00"], "n": 1.5}
    assert resendable(value) == {"a": [1, None, None], "t\ufffd": ["ok", "\ufffdx", "\U0001f600"], "n": 1.5}
    json.dumps(resendable(value), allow_nan=False).encode("utf-8")
    assert resendable(float("inf")) is None and resendable("\ud800") == "\ufffd"


def test_resendable_refuses_too_deep_with_a_typed_error() -> None:
    deep: Any = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(UnsendableValueError, match="the state"):
        resendable({"x": deep}, "the state")
    assert isinstance(UnsendableValueError("x"), ValueError)


def test_copy_and_compare_any_depth() -> None:
    a: Any = 1
    for _ in range(100_000):
        a = [a]
    b = json_copy(a)
    assert b is not a and json_equal(a, b)
    assert not json_equal({"k": [1, True]}, {"k": [1, 1]})
    errors = validate([a, b], {"type": "array", "uniqueItems": True})
    assert errors == ["items must be unique; " + "[" * 57 + "... is repeated"]
