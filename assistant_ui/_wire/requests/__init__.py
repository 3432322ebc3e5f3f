"""Request dialects: what the client sends for each kind of backend (docs/wire-formats.md).

Pure functions from a :class:`ChatRequest` to a :class:`RequestSpec`; the transports
send it. :data:`REQUEST_DIALECTS` is the registry ``AssistantClient(api=...)`` reads.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

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

#: the module of each request dialect, by the name ``AssistantClient(api=...)`` takes; a
#: dialect module is imported when its dialect is first used
_MODULES = {
    "assistant-ui": "assistant_ui",
    "ai-sdk": "ai_sdk",
    "openai": "openai",
    "amazon-q": "amazon_q",
    "agentcore": "agentcore",
    "bedrock-ws": "bedrock_ws",
}


class _Registry(Mapping[str, RequestDialect]):
    """name -> :class:`RequestDialect` (each module's ``DIALECT``), loaded on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, RequestDialect] = {}

    def __getitem__(self, name: str) -> RequestDialect:
        dialect = self._loaded.get(name)
        if dialect is None:
            module = importlib.import_module(f"{__name__}.{_MODULES[name]}")
            dialect = self._loaded[name] = module.DIALECT
        return dialect

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


#: every request dialect, by the name ``AssistantClient(api=...)`` takes
REQUEST_DIALECTS: Mapping[str, RequestDialect] = _Registry()
#: the names ``AssistantClient(api=...)`` accepts
APIS = tuple(_MODULES)
