"""A Bedrock AgentCore agent: ``AssistantClient(api="agentcore")``.

    python examples/agentcore.py                                       # a local fake agent
    python examples/agentcore.py --base-url http://127.0.0.1:8080      # `agentcore launch --local`
    python examples/agentcore.py --arn arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/my_agent-AbC \\
        --region us-east-1 --token "$JWT"                               # the AWS front door (inbound JWT auth)

The client posts ``{"prompt": <last user text>, "session_id": <thread id>, "stream": true,
...extra keyword arguments}`` to ``/invocations`` with the runtime session header
``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id``, and decodes what the agent streams
(LangGraph chunks, or named events such as ``agent_step``/``llm_token``/``agent_end``) into
one ``ChatResult``. The same thread id is the same AgentCore session: the agent remembers.
Shown: streaming, token streaming, a non-streaming JSON answer, session memory, custom data.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
from typing import Any
from urllib.parse import quote

from assistant_ui import AssistantClient, user
from assistant_ui.auth import bearer
from assistant_ui.testing import serve


def talk(client: AssistantClient) -> None:
    thread = client.threads("agentcore-example")  # the AgentCore session (memory) of this chat

    # 1. streaming: the agent's steps decode into one message (text, tool calls and results)
    result = thread.chat_sync([user("What is 25 * 4?")])
    print(f"streaming: {result.text}")
    for call in result.tool_calls:
        print(f"  [tool] {call['toolName']} -> {json.dumps(call.get('result'))}")
    print(f"  status: {result.status['type']}, steps: {len(result.message['metadata']['steps'])}, "
          f"wire format: {result.protocol}")

    # 2. token streaming: stream_tokens=True goes into the payload; deltas arrive as they come
    with thread.stream_sync([user("Explain photosynthesis")], stream_tokens=True) as stream:
        deltas = list(stream.text_stream)
    print(f"token streaming: {''.join(deltas)} ({len(deltas)} deltas)")

    # 3. non-streaming: stream=False gets one JSON document; its "result" is the text
    result = thread.chat_sync([user("What is 6 * 7?")], stream=False)
    print(f"non-streaming: {result.text}")
    print(f"  json: {json.dumps(result.json())}")

    # 4. session memory: a second call on the same thread continues the same session
    thread.chat_sync([user("My name is Alice")])
    print(f"memory: {thread.chat_sync([user('What is my name?')]).text}")

    # 5. custom data: any other keyword argument is a payload key the agent can read
    result = thread.chat_sync(
        [user("Recommend a movie")],
        preferences={"genre": "sci-fi", "rating": "PG-13"},
        custom_data={"user_id": "123"},
    )
    print(f"custom data: {result.text}")


# -- a local fake agent: what the seed's LangGraph agent puts on the wire, serialized the
# way the bedrock-agentcore SDK does (one ``data: <json>`` line per yielded value) -------------


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _agent(payload: dict[str, Any], memory: dict[str, str]) -> tuple[list[dict[str, Any]], str]:
    """The agent's steps (``agent_step`` data) and its final answer."""
    prompt = str(payload.get("prompt", ""))
    session = str(payload.get("session_id", ""))
    product = re.search(r"(\d+)\s*\*\s*(\d+)", prompt)
    if product:
        value = int(product.group(1)) * int(product.group(2))
        answer = f"The result of {product.group(1)} * {product.group(2)} is {value}."
        steps = [{"content": "I'll calculate that for you.", "type": "ai", "node": "chatbot"},
                 {"content": str(value), "type": "tool", "node": "tools"}]
        return [*steps, {"content": answer, "type": "ai", "node": "chatbot"}], answer
    name = re.search(r"my name is (\w+)", prompt, re.IGNORECASE)
    if name:
        memory[session] = name.group(1)
        answer = f"Nice to meet you, {name.group(1)}!"
    elif "my name" in prompt.lower():
        answer = f"Your name is {memory[session]}." if session in memory else "I don't know yet."
    elif "movie" in prompt.lower():
        prefs = payload.get("preferences") or {}
        answer = f"Try Arrival ({prefs.get('genre', 'any genre')}, rated {prefs.get('rating', '?')})."
    else:
        answer = "Plants turn light, water and CO2 into sugar and oxygen."
    return [{"content": answer, "type": "ai", "node": "chatbot"}], answer


def fake_runtime() -> Any:
    memory: dict[str, str] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] != "/invocations":
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        payload = json.loads(body)
        steps, answer = _agent(payload, memory)
        if not payload.get("stream"):
            document = json.dumps({"result": answer, "session_id": payload.get("session_id")}).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": document})
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream; charset=utf-8")]})
        events = [_event("agent_start", {"session_id": payload.get("session_id")})]
        for number, step in enumerate(steps, 1):
            if payload.get("stream_tokens") and step["type"] == "ai":
                events += [_event("llm_token", {"token": t}) for t in re.findall(r"\S+\s*", step["content"])]
            events.append(_event("agent_step", {"step": number, **step}))
        events.append(_event("agent_end", {"output": answer, "steps": len(steps),
                                           "metrics": {"tokens": 0, "tool_calls": 0, "errors": 0}}))
        for event in events:  # the SDK JSON-encodes each string the agent yields
            chunk = f"data: {json.dumps(event)}\n\n".encode()
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local stand-in, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Talk to a Bedrock AgentCore agent.")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the runtime (default: $ASSISTANT_UI_BASE_URL, else a local fake)")
    parser.add_argument("--arn", help="an agent runtime ARN: call it through the AWS front door")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--qualifier", default="DEFAULT", help="the runtime endpoint")
    parser.add_argument("--token", default=os.environ.get("ASSISTANT_UI_TOKEN"),
                        help="a bearer JWT (inbound JWT auth); SigV4 signing is not supported")
    args = parser.parse_args(argv)

    headers = bearer(args.token) if args.token else None
    if args.arn:
        # POST https://bedrock-agentcore.{region}.amazonaws.com/runtimes/{url-encoded ARN}/invocations?qualifier=...
        base_url = f"https://bedrock-agentcore.{args.region}.amazonaws.com/runtimes/{quote(args.arn, safe='')}"
        chat_path = f"/invocations?qualifier={quote(args.qualifier, safe='')}"
        with AssistantClient(base_url, api="agentcore", chat_path=chat_path,
                             headers=headers) as client:
            talk(client)
    elif args.base_url:
        with AssistantClient(args.base_url, api="agentcore", headers=headers) as client:
            talk(client)
    else:
        local_backend_or_exit()
        with serve(fake_runtime()) as base_url, \
                AssistantClient(base_url, api="agentcore") as client:
            talk(client)


if __name__ == "__main__":
    main()
