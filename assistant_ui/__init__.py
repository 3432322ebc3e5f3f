"""assistant-ui for Python: a client for AI chat backends built for assistant-ui.

>>> from assistant_ui import AssistantClient
>>> client = AssistantClient(base_url="http://127.0.0.1:8000")
>>> thread = client.threads("thread-1")
>>> result = thread.chat_sync(messages=[user("Hi")])        # doctest: +SKIP
>>> result.text                                             # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AssistantUIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DecodeError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    UnprocessableEntityError,
)
from .messages import assistant, file, image, system, text, tool_call, tool_result, user
from .types import (
    AssistantMessage,
    FilePart,
    ImagePart,
    Message,
    SystemMessage,
    TextPart,
    Tool,
    ToolCallPart,
    ToolMessage,
    ToolParameters,
    ToolResultPart,
    UserMessage,
)

__version__ = "0.2.0"

if TYPE_CHECKING:
    from ._async_stream import AsyncChatStream
    from ._call.result import ChatResult
    from ._client import AssistantClient
    from ._sync_stream import ChatStream
    from ._thread import ThreadClient

# The client and its streams pull in httpx and the decoder: they are imported on
# first use (PEP 562), so that ``import assistant_ui`` stays light.
_LAZY = {
    "AssistantClient": "._client",
    "ChatResult": "._call.result",
    "AsyncChatStream": "._async_stream",
    "ChatStream": "._sync_stream",
    "ThreadClient": "._thread",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assistant_ui' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AssistantClient",
    "AssistantMessage",
    "AssistantUIError",
    "AsyncChatStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatResult",
    "ChatStream",
    "ConflictError",
    "DecodeError",
    "FilePart",
    "ImagePart",
    "InternalServerError",
    "Message",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "StreamError",
    "SystemMessage",
    "TextPart",
    "ThreadClient",
    "Tool",
    "ToolCallPart",
    "ToolMessage",
    "ToolParameters",
    "ToolResultPart",
    "UnprocessableEntityError",
    "UserMessage",
    "__version__",
    "assistant",
    "file",
    "image",
    "system",
    "text",
    "tool_call",
    "tool_result",
    "user",
]
