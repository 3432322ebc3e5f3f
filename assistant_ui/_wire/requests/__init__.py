"""Request dialects: what the client sends for each kind of backend (docs/wire-formats.md).

Pure functions from a :class:`ChatRequest` to a :class:`RequestSpec`; the transports
send it. :data:`REQUEST_DIALECTS` is the registry ``AssistantClient(api=...)`` reads.
"""

from __future__ import annotations

from . import agentcore, ai_sdk, amazon_q, assistant_ui, bedrock_ws, openai
from .base import (
    ChatRequest,
    RequestDialect,
    RequestSpec,
    format_path,
    normalize_tools,
    validate_messages,
)

__all__ = [
    "APIS",
    "REQUEST_DIALECTS",
    "ChatRequest",
    "RequestDialect",
    "RequestSpec",
    "format_path",
    "normalize_tools",
    "validate_messages",
]

#: every request dialect, by the name ``AssistantClient(api=...)`` takes
REQUEST_DIALECTS: dict[str, RequestDialect] = {
    d.name: d
    for d in (
        assistant_ui.DIALECT,
        ai_sdk.DIALECT,
        openai.DIALECT,
        amazon_q.DIALECT,
        agentcore.DIALECT,
        bedrock_ws.DIALECT,
    )
}
#: the names ``AssistantClient(api=...)`` accepts
APIS = tuple(REQUEST_DIALECTS)
