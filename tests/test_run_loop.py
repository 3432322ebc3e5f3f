"""The tool-calling loop (``thread.run`` / ``run_sync`` / ``run_stream`` / ``run_stream_sync``,
docs/api.md §8) against real backends:

* an ``assistant-stream`` server (``create_run`` + ``DataStreamResponse`` at ``POST
  /api/chat``), in process through ``httpx.ASGITransport`` (asyncio only: assistant-stream
  is asyncio code) and on 127.0.0.1 through uvicorn in a background thread (sync, and
  async under asyncio and trio);
* a fake OpenAI Chat Completions backend (``chat.completion.chunk`` SSE with
  ``tool_calls`` by index), in process (asyncio and trio) and on 127.0.0.1.

The tests assert what the servers *received*, not only what the client returned.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal, Union

import anyio
import httpx
import pytest
from assistant_stream import RunController, create_run
from assistant_stream.serialization import DataStreamResponse
from live_server import LiveServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from assistant_ui import AssistantClient, user
from assistant_ui.tools import RunResult, ToolExecution, tool

# -- backends ------------------------------------------------------------------------------------

#: one answer: a text, or tool calls ``(toolCallId, toolName, args)`` (args: a dict, or
#: raw argument text)
Turn = Union[str, list[tuple[str, str, Any]]]
Decide = Callable[[dict[str, Any], int], Turn]


def scripted(*turns: Turn) -> Decide:
    """Answer the n-th request with the n-th turn (the last one from then on)."""
    return lambda body, index: turns[min(index, len(turns) - 1)]


class Backend:
    """Records every request body; ``decide(body, index)`` picks the answer."""

    def __init__(self, decide: Decide) -> None:
        self.decide = decide
        self.bodies: list[dict[str, Any]] = []

    async def _turn(self, request: Request) -> Turn:
        body = await request.json()
        self.bodies.append(body)
        return self.decide(body, len(self.bodies) - 1)

    @property
    def results(self) -> list[list[dict[str, Any]]]:
        """The add-tool-result commands of every request."""
        return [[c for c in b.get("commands", []) if c["type"] == "add-tool-result"] for b in self.bodies]


class DataStreamBackend(Backend):
    """assistant-stream's own server side: ``create_run`` + ``DataStreamResponse``."""

    def app(self) -> Starlette:
        async def chat(request: Request) -> Response:
            turn = await self._turn(request)

            async def run(controller: RunController) -> None:
                if isinstance(turn, str):
                    controller.append_text(turn)
                    return
                for call_id, name, args in turn:
                    # a client-side call: arguments but no result, so the message ends
                    # requires-action
                    call = await controller.add_tool_call(name, call_id)
                    call.append_args_text(args if isinstance(args, str) else json.dumps(args))
                    call.close()

            return DataStreamResponse(create_run(run))

        return Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])


def _chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-test",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": None,
    }
    return f"data: {json.dumps(chunk)}\n\n"


def openai_sse(turn: Turn) -> Iterator[str]:
    """``chat.completion.chunk`` events: text, or tool calls merged by index (the
    argument fragments of parallel calls interleaved), then ``[DONE]``."""
    if isinstance(turn, str):
        yield _chunk({"role": "assistant", "content": ""})
        for i in range(0, len(turn), 5):
            yield _chunk({"content": turn[i : i + 5]})
        yield _chunk({}, "stop")
    else:
        heads = [
            {"index": i, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
            for i, (call_id, name, _) in enumerate(turn)
        ]
        yield _chunk({"role": "assistant", "content": None, "tool_calls": heads})
        texts = [args if isinstance(args, str) else json.dumps(args) for _, _, args in turn]
        for half in (0, 1):
            for i, text in enumerate(texts):
                cut = len(text) // 2
                piece = text[:cut] if half == 0 else text[cut:]
                yield _chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
        yield _chunk({}, "tool_calls")
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    yield f"data: {json.dumps({'id': 'chatcmpl-1', 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"


class OpenAIBackend(Backend):
    """A fake ``/v1/chat/completions`` that streams ``chat.completion.chunk`` SSE."""

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            turn = await self._turn(request)
            return StreamingResponse(openai_sse(turn), media_type="text/event-stream")

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])


class _Served(LiveServer):
    """tests/live_server.py's uvicorn-in-a-thread runner, serving our app."""

    def __init__(self, app: Starlette) -> None:
        super().__init__()
        self._app = app

    def app(self) -> Starlette:  # type: ignore[override]
        return self._app


@contextlib.contextmanager
def served(backend: Backend) -> Iterator[str]:
    """Serve the backend on 127.0.0.1 (uvicorn in a background thread); yields the base URL."""
    with _Served(backend.app()) as server:
        yield server.base_url


def in_process(backend: Backend, **kwargs: Any) -> AssistantClient:
    return AssistantClient(
        "http://testserver", transport=httpx.ASGITransport(app=backend.app()), max_retries=0, **kwargs
    )


# -- the tools -------------------------------------------------------------------------------------

CALLS: list[str] = []


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather of a city.

    Args:
        city: The city name.
        unit: Celsius or Fahrenheit.
    """
    CALLS.append(f"get_weather {city}")
    temp = {"Paris": 18, "Rome": 25}[city]
    return {"city": city, "temp": temp if unit == "c" else temp * 9 / 5 + 32, "unit": unit}


@tool
async def calculator(a: float, op: Literal["+", "-", "*", "/"], b: float) -> float:
    """Compute ``a op b``."""
    await anyio.sleep(0.01)
    CALLS.append(f"calculator {a} {op} {b}")
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def boom(x: int) -> int:
    """Always fails."""
    raise ValueError(f"bad x {x}")


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS.clear()


# -- the three-request flow, assistant-ui dialect -----------------------------------------------------

QUESTION = "Weather in Paris, then Rome in Fahrenheit, and what is 6*7?"


def weather_flow(body: dict[str, Any], index: int) -> Turn:
    """Decides from what the body carries, as a real backend would."""
    results = {c["toolCallId"]: c for c in body["commands"] if c["type"] == "add-tool-result"}
    if not results:  # only the user's message: ask for one client-side tool
        assert body["commands"][0]["message"]["parts"][0]["text"] == QUESTION
        return [("call_1", "get_weather", {"city": "Paris"})]
    if set(results) == {"call_1"}:  # then two at once
        return [
            ("call_2", "get_weather", {"city": "Rome", "unit": "f"}),
            ("call_3", "calculator", {"a": 6, "op": "*", "b": 7}),
        ]
    rome, product = results["call_2"]["result"], results["call_3"]["result"]
    return f"Rome is {rome['temp']}°F; 6*7 = {product:g}."


def check_weather_flow(backend: Backend, result: RunResult) -> None:
    first, second, third = backend.bodies
    tools = {"get_weather": get_weather.to_spec(), "calculator": calculator.to_spec()}
    # request 1: the user's message (as messages and as its add-message command) and the schemas
    assert first["threadId"] == "t1"
    assert first["messages"] == [user(QUESTION)]
    assert first["commands"] == [
        {"type": "add-message", "message": {"role": "user", "parts": [{"type": "text", "text": QUESTION}]}}
    ]
    assert first["tools"] == tools
    assert first["system"] == "Be brief."
    assert first["runConfig"] == {"custom": 1}
    # request 2: only the add-tool-result command, on the same thread; no messages re-sent
    assert second == {
        "threadId": "t1",
        "commands": [
            {
                "type": "add-tool-result",
                "toolCallId": "call_1",
                "toolName": "get_weather",
                "result": {"city": "Paris", "temp": 18, "unit": "c"},
                "isError": False,
            }
        ],
        "system": "Be brief.",
        "tools": tools,
        "runConfig": {"custom": 1},
    }
    # request 3: both results, in the order of the calls
    assert "messages" not in third
    assert third["commands"] == [
        {
            "type": "add-tool-result",
            "toolCallId": "call_2",
            "toolName": "get_weather",
            "result": {"city": "Rome", "temp": 77.0, "unit": "f"},
            "isError": False,
        },
        {
            "type": "add-tool-result",
            "toolCallId": "call_3",
            "toolName": "calculator",
            "result": 42.0,
            "isError": False,
        },
    ]
    # what the client returns
    assert result.stop_reason == "done"
    assert result.text == "Rome is 77.0°F; 6*7 = 42."
    assert result.final is result.steps[-1] and result.message is result.final.message
    assert result.message["status"]["type"] == "complete"
    assert [s.status["type"] for s in result.steps] == ["requires-action", "requires-action", "complete"]
    assert [(e.tool_call_id, e.name, e.is_error) for e in result.executions] == [
        ("call_1", "get_weather", False),
        ("call_2", "get_weather", False),
        ("call_3", "calculator", False),
    ]
    assert result.executions[2].args == {"a": 6, "op": "*", "b": 7}
    assert all(e.duration >= 0 for e in result.executions)
    assert result.history is None
    assert sorted(CALLS) == ["calculator 6.0 * 7.0", "get_weather Paris", "get_weather Rome"]


RUN_KWARGS: dict[str, Any] = {"system": "Be brief.", "run_config": {"custom": 1}}


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_run_in_process(anyio_backend: str) -> None:
    backend = DataStreamBackend(weather_flow)
    async with in_process(backend) as client:
        result = await client.threads("t1").run(
            [user(QUESTION)], tools=[get_weather, calculator], **RUN_KWARGS
        )
    check_weather_flow(backend, result)


@pytest.mark.anyio
async def test_run_over_loopback(anyio_backend: str) -> None:
    backend = DataStreamBackend(weather_flow)
    with served(backend) as url:
        async with AssistantClient(url, max_retries=0) as client:
            result = await client.threads("t1").run(
                [user(QUESTION)], tools=[get_weather, calculator], **RUN_KWARGS
            )
    check_weather_flow(backend, result)


def test_run_sync_over_loopback() -> None:
    backend = DataStreamBackend(weather_flow)
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        # calculator is async: run_sync gives it an event loop of its own
        result = client.threads("t1").run_sync(
            [user(QUESTION)], tools=[get_weather, calculator], **RUN_KWARGS
        )
    check_weather_flow(backend, result)


# -- streaming -------------------------------------------------------------------------------------------


def check_run_events(events: list[dict[str, Any]], result: RunResult) -> None:
    kinds = [e["type"] for e in events]
    assert kinds.count("tool-execution-start") == 3
    assert kinds.count("tool-execution-end") == 3

    def where(kind: str, call_id: str) -> int:
        return next(i for i, e in enumerate(events) if e["type"] == kind and e.get("toolCallId") == call_id)

    # step 1's call, then its execution, then step 2's calls
    assert where("tool-call", "call_1") < where("tool-execution-start", "call_1")
    assert where("tool-execution-start", "call_1") < where("tool-execution-end", "call_1")
    assert where("tool-execution-end", "call_1") < where("tool-call-start", "call_2")
    # both calls of step 2 start before either ends
    assert max(where("tool-execution-start", c) for c in ("call_2", "call_3")) < min(
        where("tool-execution-end", c) for c in ("call_2", "call_3")
    )
    start = events[where("tool-execution-start", "call_3")]
    assert start == {
        "type": "tool-execution-start",
        "toolCallId": "call_3",
        "toolName": "calculator",
        "args": {"a": 6, "op": "*", "b": 7},
    }
    end = events[where("tool-execution-end", "call_3")]
    assert {k: v for k, v in end.items() if k != "duration"} == {
        "type": "tool-execution-end",
        "toolCallId": "call_3",
        "toolName": "calculator",
        "result": 42.0,
        "isError": False,
    }
    assert isinstance(end["duration"], float) and end["duration"] >= 0.01
    # the final text streamed as ordinary deltas, after the last execution
    deltas = [i for i, e in enumerate(events) if e["type"] == "text-delta"]
    assert deltas and deltas[0] > where("tool-execution-end", "call_2")
    assert "".join(events[i]["delta"] for i in deltas) == result.text
    assert len(result.steps) == 3 and result.stop_reason == "done"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_run_stream_in_process(anyio_backend: str) -> None:
    backend = DataStreamBackend(weather_flow)
    async with in_process(backend) as client:
        run = client.threads("t1").run_stream(
            [user(QUESTION)], tools=[get_weather, calculator], **RUN_KWARGS
        )
        async with run:
            events = [dict(e) async for e in run]
            result = await run.final()
        assert run.result is result
    check_weather_flow(backend, result)
    check_run_events(events, result)


@pytest.mark.anyio
async def test_run_stream_over_loopback(anyio_backend: str) -> None:
    backend = DataStreamBackend(weather_flow)
    with served(backend) as url:
        async with AssistantClient(url, max_retries=0) as client:
            async with client.threads("t1").run_stream(
                [user(QUESTION)], tools=[get_weather, calculator], **RUN_KWARGS
            ) as run:
                events = [dict(e) async for e in run]
                result = await run.final()
    check_run_events(events, result)


def test_run_stream_sync_over_loopback() -> None:
    backend = DataStreamBackend(weather_flow)
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        with client.threads("t1").run_stream_sync(
            [user(QUESTION)], tools=[get_weather, calculator], **RUN_KWARGS
        ) as run:
            events = [dict(e) for e in run]
            result = run.final()
    check_weather_flow(backend, result)
    check_run_events(events, result)


def test_run_stream_sync_closed_early_sends_nothing_more() -> None:
    backend = DataStreamBackend(weather_flow)
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        with client.threads("t1").run_stream_sync([user(QUESTION)], tools=[get_weather, calculator]) as run:
            for event in run:
                if event["type"] == "tool-execution-end":
                    break
        assert run.result is None
        with pytest.raises(RuntimeError, match="closed before it finished"):
            run.final()
    assert len(backend.bodies) == 1


@pytest.mark.anyio
async def test_run_stream_closed_early_sends_nothing_more(anyio_backend: str) -> None:
    backend = DataStreamBackend(weather_flow)
    with served(backend) as url:
        async with AssistantClient(url, max_retries=0) as client:
            async with client.threads("t1").run_stream([user(QUESTION)], tools=[get_weather, calculator]) as run:
                async for event in run:
                    if event["type"] == "tool-execution-end":
                        break
            assert run.result is None
            with pytest.raises(RuntimeError, match="closed before it finished"):
                await run.final()
    assert len(backend.bodies) == 1


# -- what goes wrong becomes an error result, never a crash --------------------------------------------

BROKEN_CALLS: Turn = [
    ("c1", "boom", {"x": 7}),
    ("c2", "no_such_tool", {"q": 1}),
    ("c3", "add", {"a": "one", "b": 2}),
    ("c4", "add", '{"a": 1, "b": 2, "c": 3}'),
    ("c5", "add", {"a": 1, "b": 2}),
    ("c6", "add", '{"a": 1, "b": '),
]


def check_broken_calls(backend: Backend, result: RunResult) -> None:
    sent = backend.results[1]
    assert [c["toolCallId"] for c in sent] == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert [c["isError"] for c in sent] == [True, True, True, True, False, True]
    assert sent[0]["result"] == "tool 'boom' failed: ValueError: bad x 7"
    assert sent[1]["result"] == "unknown tool 'no_such_tool'; available tools: add, boom"
    assert sent[2]["result"] == "invalid arguments for tool 'add': a: expected integer, got string 'one'"
    assert sent[3]["result"] == (
        "invalid arguments for tool 'add': unexpected argument 'c' (allowed: 'a', 'b')"
    )
    assert sent[4]["result"] == 3
    assert sent[5]["result"].startswith("invalid arguments for tool 'add': not valid JSON (")
    assert sent[5]["result"].endswith("""): '{"a": 1, "b": '""")
    assert result.stop_reason == "done" and result.text == "handled"
    assert isinstance(result.executions[0].exception, ValueError)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_errors_become_results_async(anyio_backend: str) -> None:
    backend = DataStreamBackend(scripted(BROKEN_CALLS, "handled"))
    async with in_process(backend) as client:
        result = await client.threads("t").run([user("go")], tools=[add, boom])
    check_broken_calls(backend, result)


def test_errors_become_results_sync() -> None:
    backend = DataStreamBackend(scripted(BROKEN_CALLS, "handled"))
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("go")], tools=[add, boom])
    check_broken_calls(backend, result)


# -- approvals ------------------------------------------------------------------------------------

DELETED: list[str] = []


@tool
def delete_files(path: str) -> str:
    """Delete files."""
    DELETED.append(path)
    return "deleted"


def check_refusal(backend: Backend, result: RunResult, reason: str) -> None:
    sent = backend.results[1]
    assert sent[0] == {
        "type": "add-tool-result",
        "toolCallId": "c1",
        "toolName": "delete_files",
        "result": f"refused: {reason}",
        "isError": True,
    }
    assert sent[1]["result"] == 3 and sent[1]["isError"] is False
    assert DELETED == []
    assert result.stop_reason == "refused"
    assert [e.refused for e in result.executions] == [True, False]
    assert result.executions[0].duration == 0.0


REFUSAL_SCRIPT = scripted(
    [("c1", "delete_files", {"path": "/"}), ("c2", "add", {"a": 1, "b": 2})],
    "I was not allowed to delete the files.",
)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_refused_call_async_approve(anyio_backend: str) -> None:
    asked: list[str] = []

    async def approve(call: Any) -> bool:
        await anyio.sleep(0)
        asked.append(call["toolCallId"])
        return call["toolName"] != "delete_files"

    backend = DataStreamBackend(REFUSAL_SCRIPT)
    async with in_process(backend) as client:
        result = await client.threads("t").run([user("clean up")], tools=[delete_files, add], approve=approve)
    assert asked == ["c1", "c2"]  # one by one, in the order of the calls
    check_refusal(backend, result, "the user did not approve this tool call")


def test_refused_call_sync_approve_with_reason() -> None:
    backend = DataStreamBackend(REFUSAL_SCRIPT)

    def approve(call: Any) -> bool | str:
        return "deleting is not allowed" if call["toolName"] == "delete_files" else True

    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("clean up")], tools=[delete_files, add], approve=approve)
    check_refusal(backend, result, "deleting is not allowed")


def test_refusal_followed_by_more_tools_is_done() -> None:
    backend = DataStreamBackend(
        scripted([("c1", "delete_files", {"path": "/"})], [("c2", "add", {"a": 1, "b": 1})], "ok")
    )
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync(
            [user("x")], tools=[delete_files, add], approve=lambda call: call["toolName"] == "add"
        )
    assert result.stop_reason == "done"
    assert [e.refused for e in result.executions] == [True, False]


# -- max_steps ----------------------------------------------------------------------------------------


def always_asking(body: dict[str, Any], index: int) -> Turn:
    return [(f"c{index}", "add", {"a": index, "b": 1})]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_max_steps_async(anyio_backend: str) -> None:
    backend = DataStreamBackend(always_asking)
    async with in_process(backend) as client:
        result = await client.threads("t").run([user("loop")], tools=[add], max_steps=3)
    assert len(backend.bodies) == 3
    assert result.stop_reason == "max_steps"
    assert len(result.steps) == 3
    assert [e.result for e in result.executions] == [1, 2]  # the last step's call was not run
    assert [c["toolCallId"] for c in result.final.pending_tool_calls] == ["c2"]


def test_max_steps_sync() -> None:
    backend = DataStreamBackend(always_asking)
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("loop")], tools=[add], max_steps=1)
        with pytest.raises(ValueError, match="max_steps must be an int >= 1"):
            client.threads("t").run_sync([user("loop")], tools=[add], max_steps=0)
    assert len(backend.bodies) == 1
    assert result.stop_reason == "max_steps" and result.executions == []


# -- timeouts and concurrency --------------------------------------------------------------------------


@tool(timeout=0.2)
async def slow_async() -> str:
    """Takes too long."""
    await anyio.sleep(5)
    return "late"


def slow_sync() -> str:
    """Takes too long."""
    time.sleep(1)
    return "late"


TIMEOUT_SCRIPT = scripted([("c1", "slow_async", {}), ("c2", "slow_sync", {}), ("c3", "add", {"a": 1, "b": 1})], "ok")


def check_timeouts(backend: Backend, result: RunResult, elapsed: float) -> None:
    sent = backend.results[1]
    assert [(c["toolCallId"], c["isError"]) for c in sent] == [("c1", True), ("c2", True), ("c3", False)]
    assert sent[0]["result"] == "tool 'slow_async' timed out after 0.2 s"
    assert sent[1]["result"] == "tool 'slow_sync' timed out after 0.3 s"
    assert elapsed < 0.9  # neither slow tool was waited for
    assert result.text == "ok"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_tool_timeouts_async(anyio_backend: str) -> None:
    backend = DataStreamBackend(TIMEOUT_SCRIPT)
    async with in_process(backend) as client:
        started = time.perf_counter()
        result = await client.threads("t").run(
            [user("x")], tools=[slow_async, slow_sync, add], tool_timeout=0.3
        )
        check_timeouts(backend, result, time.perf_counter() - started)


def test_tool_timeouts_sync() -> None:
    backend = DataStreamBackend(TIMEOUT_SCRIPT)
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        started = time.perf_counter()
        result = client.threads("t").run_sync([user("x")], tools=[slow_async, slow_sync, add], tool_timeout=0.3)
        check_timeouts(backend, result, time.perf_counter() - started)


def test_calls_of_one_step_run_concurrently_sync() -> None:
    barrier = threading.Barrier(3, timeout=5)

    @tool
    def meet(n: int) -> int:
        """Waits for the two others."""
        barrier.wait()
        return n

    backend = DataStreamBackend(scripted([(f"c{i}", "meet", {"n": i}) for i in range(3)], "met"))
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("x")], tools=[meet])
    assert [c["result"] for c in backend.results[1]] == [0, 1, 2]
    assert result.text == "met"


# -- seed-style schemas with implementations -----------------------------------------------------------

SEED_TOOLS = {
    "get_weather": {
        "description": "Get the current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    }
}


def test_seed_style_tools_with_impls() -> None:
    def weather(location: str, unit: str = "celsius") -> dict[str, Any]:
        return {"temperature": 72, "condition": "sunny", "location": location, "unit": unit}

    backend = DataStreamBackend(
        scripted([("call-123", "get_weather", {"location": "San Francisco"})], "Sunny, 72.")
    )
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("thread-123").run_sync(
            [user("Weather?")], tools=SEED_TOOLS, tool_impls={"get_weather": weather}
        )
        with pytest.raises(ValueError, match="schema without an implementation"):
            client.threads("t").run_sync([user("x")], tools=SEED_TOOLS)
    assert backend.bodies[0]["tools"] == SEED_TOOLS  # sent exactly as given
    assert backend.results[1][0]["result"] == {
        "temperature": 72,
        "condition": "sunny",
        "location": "San Francisco",
        "unit": "celsius",
    }
    assert result.text == "Sunny, 72."


# -- the OpenAI dialect: the grown history is re-sent -------------------------------------------------------


def openai_flow(body: dict[str, Any], index: int) -> Turn:
    results = {m["tool_call_id"]: json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"}
    if not results:
        return [("call_1", "get_weather", {"city": "Paris"})]
    if set(results) == {"call_1"}:
        return [
            ("call_2", "get_weather", {"city": "Rome", "unit": "f"}),
            ("call_3", "calculator", {"a": 6, "op": "*", "b": 7}),
        ]
    return f"Paris {results['call_1']['temp']}°C, Rome {results['call_2']['temp']}°F, 6*7 = {results['call_3']:g}."


def _arguments(call: dict[str, Any]) -> tuple[str, str, Any]:
    return call["id"], call["function"]["name"], json.loads(call["function"]["arguments"])


def check_openai_flow(backend: Backend, result: RunResult) -> None:
    first, second, third = backend.bodies
    assert first["model"] == "gpt-test" and first["stream"] is True
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "calculator"]
    assert first["tools"][0]["function"]["parameters"] == get_weather.parameters
    assert first["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
    ]
    # request 2: the history plus the assistant's tool call and the tool message
    history = second["messages"]
    assert history[:2] == first["messages"]
    assistant, tool_message = history[2:]
    assert assistant["role"] == "assistant" and not assistant.get("content")
    assert [_arguments(c) for c in assistant["tool_calls"]] == [("call_1", "get_weather", {"city": "Paris"})]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"]) == {"city": "Paris", "temp": 18, "unit": "c"}
    # request 3: grown again; the two parallel calls in one assistant message, results in order
    history = third["messages"]
    assert history[:4] == second["messages"]
    assistant, *tool_messages = history[4:]
    assert [_arguments(c) for c in assistant["tool_calls"]] == [
        ("call_2", "get_weather", {"city": "Rome", "unit": "f"}),
        ("call_3", "calculator", {"a": 6, "op": "*", "b": 7}),
    ]
    assert [(m["role"], m["tool_call_id"], json.loads(m["content"])) for m in tool_messages] == [
        ("tool", "call_2", {"city": "Rome", "temp": 77.0, "unit": "f"}),
        ("tool", "call_3", 42.0),
    ]
    assert result.stop_reason == "done"
    assert result.text == "Paris 18°C, Rome 77.0°F, 6*7 = 42."
    assert [e.tool_call_id for e in result.executions] == ["call_1", "call_2", "call_3"]
    # the conversation after the run, ready for the next user message
    assert result.history is not None
    assert [m["role"] for m in result.history] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert result.history[-1]["content"] == [{"type": "text", "text": result.text}]


@pytest.mark.anyio
async def test_openai_run_in_process(anyio_backend: str) -> None:
    backend = OpenAIBackend(openai_flow)
    async with in_process(backend, api="openai", model="gpt-test") as client:
        result = await client.threads("t1").run(
            [user(QUESTION)], tools=[get_weather, calculator], system="Be brief."
        )
    check_openai_flow(backend, result)


def test_openai_run_sync_over_loopback() -> None:
    backend = OpenAIBackend(openai_flow)
    with served(backend) as url, AssistantClient(url, api="openai", model="gpt-test", max_retries=0) as client:
        result = client.threads("t1").run_sync([user(QUESTION)], tools=[get_weather, calculator], system="Be brief.")
    check_openai_flow(backend, result)


@pytest.mark.anyio
async def test_openai_run_stream_over_loopback(anyio_backend: str) -> None:
    backend = OpenAIBackend(openai_flow)
    with served(backend) as url:
        async with AssistantClient(url, api="openai", model="gpt-test", max_retries=0) as client:
            async with client.threads("t1").run_stream(
                [user(QUESTION)], tools=[get_weather, calculator], system="Be brief."
            ) as run:
                ends = [e async for e in run if e["type"] == "tool-execution-end"]
                result = await run.final()
    check_openai_flow(backend, result)
    assert sorted(e["toolCallId"] for e in ends) == ["call_1", "call_2", "call_3"]


def test_history_dialects_refuse_commands() -> None:
    client = AssistantClient("http://127.0.0.1:9", api="openai", model="m")
    with pytest.raises(ValueError, match="pass the conversation as messages="):
        client.threads("t").run_sync(commands=[{"type": "add-message", "message": {}}], tools=[add])


# -- the README example ---------------------------------------------------------------------------------

EXAMPLE = '''
from typing import Literal
from assistant_ui import AssistantClient, user
from assistant_ui.tools import tool

@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict:
    """Current weather of a city."""
    return {"city": city, "temp": 18, "unit": unit}

@tool
def calculator(a: float, op: Literal["+", "-", "*", "/"], b: float) -> float:
    """Compute a op b."""
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]

client = AssistantClient(base_url)
result = client.threads("demo").run_sync([user("Paris weather? 6*7?")], tools=[get_weather, calculator])
print(result.text, [e.result for e in result.executions])
'''


def test_readme_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(EXAMPLE.strip().splitlines()) < 20
    backend = DataStreamBackend(
        scripted(
            [("c1", "get_weather", {"city": "Paris"}), ("c2", "calculator", {"a": 6, "op": "*", "b": 7})],
            "18°C in Paris; 6*7 is 42.",
        )
    )
    with served(backend) as url:
        exec(compile(EXAMPLE, "README example", "exec"), {"base_url": url})
    assert capsys.readouterr().out == "18°C in Paris; 6*7 is 42. [{'city': 'Paris', 'temp': 18, 'unit': 'c'}, 42.0]\n"


def test_run_result_repr() -> None:
    backend = DataStreamBackend(scripted([("c1", "add", {"a": 1, "b": 2})], "three"))
    with served(backend) as url, AssistantClient(url, max_retries=0) as client:
        result = client.threads("t").run_sync([user("1+2?")], tools=[add])
    assert repr(result) == "<RunResult stop_reason='done' steps=2 executions=1 text='three'>"
    assert result.executions == [ToolExecution("c1", "add", {"a": 1, "b": 2}, 3, duration=result.executions[0].duration)]
