"""The names ``AssistantClient(...)`` checks when it is made, in a module of their own.

The client is made without importing the request dialects (``_wire/requests/``) or
the decoder's registry (``_wire/dialects/``): those load on the first call (import
time). Both registries read their names from here; ``tests/test_import_weight.py``
checks that the tables below agree with the dialects themselves.
"""

from __future__ import annotations

__all__ = ["APIS", "API_MODULES", "DEFAULT_CHAT_PATHS", "PROTOCOLS"]

#: the module of each request dialect (in ``_wire/requests/``), by the name
#: ``AssistantClient(api=...)`` takes
API_MODULES = {
    "assistant-ui": "assistant_ui",
    "ai-sdk": "ai_sdk",
    "openai": "openai",
    "amazon-q": "amazon_q",
    "agentcore": "agentcore",
    "bedrock-ws": "bedrock_ws",
}

#: the names ``AssistantClient(api=...)`` accepts
APIS = tuple(API_MODULES)

#: where each request dialect POSTs a chat (its ``RequestDialect.default_chat_path``)
DEFAULT_CHAT_PATHS = {
    "assistant-ui": "/api/chat",
    "ai-sdk": "/api/chat",
    "openai": "/v1/chat/completions",
    "amazon-q": "/generateAssistantResponse",
    "agentcore": "/invocations",
    "bedrock-ws": "",
}

#: the built-in protocol names (``_wire/dialects/``), in sniffing order
PROTOCOLS = (
    "data-stream",
    "assistant-transport",
    "ui-message-stream",
    "openai",
    "object-stream",
    "sse",
    "plain-text",
    "aws-eventstream",
    "json",
    "agentcore",
    "bedrock-ws",
)
