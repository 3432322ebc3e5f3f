"""A small Bedrock AgentCore agent for the tests: the real ``bedrock-agentcore`` SDK
(``BedrockAgentCoreApp``) serving a real LangGraph graph driven by a scripted chat model.

The graph is the seed's shape: a ``chatbot`` node (the model, with one tool bound) and a
``tools`` node (LangGraph's ``ToolNode``), with an in-memory checkpointer keyed by the
session id, so that two calls on the same session share the conversation.

The payload picks what the agent puts on the wire (all of them seen from real agents):

* ``"agent": "langgraph"`` (default): the graph's chunks as they are, ``stream_mode="updates"``,
  or ``"messages"`` with ``stream_tokens``;
* ``"agent": "seed"``: the seed agent's pre-formatted SSE strings (``event: agent_step\\ndata:
  {...}\\n\\n``), which the SDK JSON-encodes once more; ``llm_token`` events with
  ``stream_tokens``;
* ``"agent": "seed-v2"``: the same agent's newer uppercase events (``TOOL_CALL``, ...).

``"stream": false`` (or no ``stream``) returns ``{"result": <answer>, ...}`` as JSON. The
model raises when asked to ``crash`` after a tool result, which the SDK turns into its
mid-stream error object. Every request (payload and session header) is recorded in
:data:`REQUESTS`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from bedrock_agentcore import BedrockAgentCoreApp
from bedrock_agentcore.runtime.context import RequestContext
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

#: every request the agent received: ``{"payload": ..., "session_header": ...}``
REQUESTS: list[dict[str, Any]] = []

_MULTIPLY = re.compile(r"(\d+)\s*\*\s*(\d+)")
_NAME = re.compile(r"my name is (\w+)", re.IGNORECASE)


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def _text(message: BaseMessage) -> str:
    return message.content if isinstance(message.content, str) else str(message.content)


class ScriptedChatModel(BaseChatModel):
    """A chat model whose answers follow a script (no network), streaming word by word."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        humans = [_text(m) for m in messages if isinstance(m, HumanMessage)]
        prompt = humans[-1] if humans else ""
        if isinstance(last, ToolMessage):
            if "crash" in prompt:
                raise RuntimeError("the model endpoint went away")
            a, b = _MULTIPLY.search(prompt).groups()  # type: ignore[union-attr]
            return AIMessage(content=f"The result of {a} * {b} is {_text(last)}.")
        found = _MULTIPLY.search(prompt)
        if found:
            a, b = found.groups()
            call = {"name": "multiply", "args": {"a": int(a), "b": int(b)}, "id": f"call_{len(messages)}"}
            return AIMessage(content="I'll calculate that for you.", tool_calls=[call])
        name = _NAME.search(prompt)
        if name:
            return AIMessage(content=f"Nice to meet you, {name.group(1)}!")
        if "my name" in prompt.lower():
            earlier = [_NAME.search(h) for h in humans[:-1]]
            known = [m.group(1) for m in earlier if m]
            return AIMessage(content=f"Your name is {known[-1]}." if known else "I don't know your name yet.")
        system = [_text(m) for m in messages if isinstance(m, SystemMessage)]
        if "movie" in prompt.lower() and system:
            prefs = json.loads(system[-1].removeprefix("preferences: "))
            return AIMessage(content=f"Try Arrival: {prefs.get('genre')}, rated {prefs.get('rating')}.")
        return AIMessage(content=f"You said: {prompt}")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages)
        for piece in re.findall(r"\S+\s*", _text(reply)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        for index, call in enumerate(reply.tool_calls):
            args = json.dumps(call["args"])
            for i, part in enumerate((args[:7], args[7:])):
                tcc = {"name": call["name"] if i == 0 else None, "args": part, "id": call["id"] if i == 0 else None, "index": index}
                yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[tcc]))  # type: ignore[list-item]


MODEL = ScriptedChatModel().bind_tools([multiply])


def _chatbot(state: MessagesState, config: RunnableConfig) -> dict[str, Any]:
    # the config is passed on explicitly: on Python 3.10 LangGraph cannot hand its
    # callbacks (which make stream_mode="messages" see the tokens) to the model otherwise
    return {"messages": [MODEL.invoke(state["messages"], config)]}


def _build_graph() -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("chatbot", _chatbot)
    builder.add_node("tools", ToolNode([multiply]))
    builder.add_edge(START, "chatbot")
    builder.add_conditional_edges("chatbot", tools_condition)
    builder.add_edge("tools", "chatbot")
    return builder.compile(checkpointer=InMemorySaver())


GRAPH = _build_graph()
app = BedrockAgentCoreApp()
app.logger.setLevel(logging.CRITICAL)  # the SDK logs every request (JSON lines on stdout)


def _inputs(payload: dict[str, Any]) -> dict[str, Any]:
    messages: list[BaseMessage] = []
    if payload.get("preferences"):
        messages.append(SystemMessage(content="preferences: " + json.dumps(payload["preferences"])))
    messages.append(HumanMessage(content=str(payload.get("prompt", ""))))
    return {"messages": messages}


def _sse(name: str, data: dict[str, Any]) -> str:
    """The seed agent's own event formatting (the SDK then JSON-encodes the string)."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def _seed_events(payload: dict[str, Any], config: dict[str, Any], upper: bool) -> AsyncIterator[str]:
    session = payload.get("session_id")
    yield _sse("AGENT_START" if upper else "agent_start", {"session_id": session})
    steps = tokens = tool_calls = 0
    output = ""
    modes = ["updates", "messages"] if payload.get("stream_tokens") else ["updates"]
    async for mode, chunk in GRAPH.astream(_inputs(payload), config, stream_mode=modes):
        if mode == "messages":
            token = chunk[0].content
            if isinstance(token, str) and token and isinstance(chunk[0], AIMessageChunk):
                tokens += 1
                yield _sse("LLM_TOKEN" if upper else "llm_token", {"token": token})
            continue
        for node, update in chunk.items():
            for message in (update or {}).get("messages", []):
                steps += 1
                kind = message.type
                if upper:
                    if kind == "ai":
                        if message.content:
                            yield _sse("LLM_RESPONSE", {"content": message.content})
                        for call in message.tool_calls:
                            tool_calls += 1
                            yield _sse("TOOL_CALL", {"tool": call["name"], "args": call["args"]})
                    elif kind == "tool":
                        yield _sse("TOOL_RESULT", {"tool": message.name, "result": message.content})
                else:
                    yield _sse("agent_step", {"step": steps, "node": node, "content": message.content, "type": kind})
                    tool_calls += len(getattr(message, "tool_calls", []) or [])
                if kind == "ai":
                    output = _text(message)
    if upper:
        yield _sse("AGENT_END", {"output": output})
    else:
        metrics = {"tokens": tokens, "tool_calls": tool_calls, "errors": 0}
        yield _sse("agent_end", {"output": output, "steps": steps, "metrics": metrics})


async def _langgraph_chunks(payload: dict[str, Any], config: dict[str, Any]) -> AsyncIterator[Any]:
    mode = "messages" if payload.get("stream_tokens") else "updates"
    async for chunk in GRAPH.astream(_inputs(payload), config, stream_mode=mode):
        yield chunk


@app.entrypoint
def invoke(payload: dict[str, Any], context: RequestContext) -> Any:
    REQUESTS.append({"payload": payload, "session_header": context.session_id})
    session = payload.get("session_id") or context.session_id or "default"
    config = {"configurable": {"thread_id": session}}
    if not payload.get("stream"):
        state = GRAPH.invoke(_inputs(payload), config)
        answer = _text(state["messages"][-1])
        return {"result": answer, "session_id": session, "custom_data": payload.get("custom_data")}
    agent = payload.get("agent", "langgraph")
    if agent in ("seed", "seed-v2"):
        return _seed_events(payload, config, upper=agent == "seed-v2")
    return _langgraph_chunks(payload, config)
