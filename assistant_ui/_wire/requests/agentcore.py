"""The ``agentcore`` request dialect: a Bedrock AgentCore runtime (docs/wire-formats.md §15).

``POST {base}/invocations`` with the free-form JSON payload AgentCore agents read::

    {"prompt": <the last user message's text>, "session_id": <thread id>, "stream": true,
     ...every extra keyword argument of the call (stream_tokens=True, stream=False, custom keys)}

and the runtime session header ``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id``, so that one
thread id is one AgentCore session (the agent's memory). AgentCore wants 33 to 256
characters there; :func:`runtime_session_id` derives a stable id from a thread id that does
not fit. The answers are decoded by the ``agentcore`` decoder dialect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .base import ChatRequest, RequestDialect, RequestSpec, last_user_text, validate_messages

__all__ = ["SESSION_HEADER", "build_chat_request", "last_user_text", "runtime_session_id"]

#: the header that names the runtime session (the same session: the same microVM and memory)
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
_MIN_SESSION = 33
_MAX_SESSION = 256


def runtime_session_id(thread_id: str) -> str:
    """The session header value for ``thread_id``.

    A thread id of 33 to 256 printable ASCII characters is used as it is. A shorter
    printable one gets ``"-"`` and the first 32 hex digits of its SHA-256 appended
    (``"t1"`` -> ``"t1-<32 hex digits>"``, so it still reads as the thread id in the
    runtime's logs); any other (longer, or with spaces or non-ASCII characters) becomes
    ``"aui-"`` and its whole SHA-256 in hex. The same thread id always gives the same
    session id, and different thread ids different ones.
    """
    printable = all("!" <= ch <= "~" for ch in thread_id)
    if printable and _MIN_SESSION <= len(thread_id) <= _MAX_SESSION:
        return thread_id
    digest = hashlib.sha256(thread_id.encode("utf-8", "surrogatepass")).hexdigest()
    if printable and len(thread_id) < _MIN_SESSION:
        return f"{thread_id}-{digest[:32]}"
    return f"aui-{digest}"


_UNSENT = ("system", "tools", "commands", "run_config", "state")


def build_chat_request(req: ChatRequest) -> RequestSpec:
    for name in _UNSENT:
        if getattr(req, name) is not None:
            raise ValueError(
                f"api='agentcore' sends a prompt, not {name}=: the agent's payload is free-form, "
                "pass what it reads as a keyword argument instead (it is added to the payload)"
            )
    extra: Mapping[str, Any] = req.extra or {}
    prompt = last_user_text(
        validate_messages(req.messages), "agentcore", "; put anything else in a keyword argument"
    )
    if prompt is None and extra.get("prompt") is None:
        raise ValueError(
            "api='agentcore' sends the last user message's text as the prompt: give a user "
            "message (or prompt=...)"
        )
    body: dict[str, Any] = {"prompt": prompt, "session_id": req.thread_id, "stream": True}
    for key, value in extra.items():
        if value is not None:
            body[key] = value
    headers = {
        SESSION_HEADER: runtime_session_id(req.thread_id),
        "Accept": "text/event-stream" if body.get("stream") else "application/json",
    }
    return RequestSpec("POST", req.path, body, headers=headers)


DIALECT = RequestDialect(
    "agentcore",
    "/invocations",
    build_chat_request,
    default_protocol="agentcore",
)
