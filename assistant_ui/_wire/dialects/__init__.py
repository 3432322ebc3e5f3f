"""Wire-format dialects: each turns one framing's units (lines, SSE events, JSON
documents, AWS event-stream messages) into normalized events.

The registry maps a protocol name to its framing and to the dotted path of its
class, imported on first use so that ``import assistant_ui`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["FRAMING", "PROTOCOLS", "create_dialect"]

#: protocol name -> framing ("lines", "sse", "json", "text", "aws")
FRAMING: dict[str, str] = {
    "data-stream": "lines",
    "assistant-transport": "sse",
    "ui-message-stream": "sse",
    "openai": "sse",
    "object-stream": "sse",
    "sse": "sse",
    "plain-text": "text",
    "aws-eventstream": "aws",
    "json": "json",
    "agentcore": "sse",
    "bedrock-ws": "lines",
}

_CLASSES: dict[str, str] = {
    "data-stream": "data_stream:DataStreamDialect",
    "assistant-transport": "assistant_transport:AssistantTransportDialect",
    "ui-message-stream": "ui_message_stream:UIMessageStreamDialect",
    "openai": "openai:OpenAIDialect",
    "object-stream": "object_stream:ObjectStreamDialect",
    "sse": "raw_sse:RawSSEDialect",
    "aws-eventstream": "aws:AWSEventStreamDialect",
    "agentcore": "agentcore:AgentCoreDialect",
    "bedrock-ws": "bedrock_ws:BedrockWSDialect",
}

PROTOCOLS = tuple(FRAMING)


def create_dialect(protocol: str, warnings: list[str]) -> Any:
    """A new dialect instance for ``protocol`` sharing the ``warnings`` list."""
    module_name, _, class_name = _CLASSES[protocol].partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)(warnings)
