"""assistant-ui for Python: a client for AI chat backends built for assistant-ui.

>>> from assistant_ui import AssistantClient
>>> client = AssistantClient(base_url="http://127.0.0.1:8000")
>>> thread = client.threads("thread-1")
>>> result = thread.chat_sync(messages=[user("Hi")])        # doctest: +SKIP
>>> result.text                                             # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from . import errors as errors
    from . import messages as messages
    from . import types as types
    from ._async_stream import AsyncChatStream
    from ._call.result import ChatResult
    from ._client import AssistantClient
    from ._sync_stream import ChatStream
    from ._thread import ThreadClient
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

# Every public name is imported on first use (PEP 562), each from its own module, so
# that ``import assistant_ui`` loads nothing and ``from assistant_ui import
# AssistantClient`` loads the client alone (not the errors, the message builders or
# the TypedDicts: bench/RESULTS.md, "Round 2"). The client and its streams pull in
# httpx; the rest is the standard library only.
_MODULES = {
    "._client": ("AssistantClient",),
    "._thread": ("ThreadClient",),
    "._sync_stream": ("ChatStream",),
    "._async_stream": ("AsyncChatStream",),
    "._call.result": ("ChatResult",),
    ".errors": (
        "APIConnectionError",
        "APIError",
        "APIStatusError",
        "APITimeoutError",
        "AssistantUIError",
        "AuthenticationError",
        "BadRequestError",
        "ConflictError",
        "DecodeError",
        "InternalServerError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "StreamError",
        "UnprocessableEntityError",
    ),
    ".messages": ("assistant", "file", "image", "system", "text", "tool_call", "tool_result", "user"),
    ".types": (
        "AssistantMessage",
        "FilePart",
        "ImagePart",
        "Message",
        "SystemMessage",
        "TextPart",
        "Tool",
        "ToolCallPart",
        "ToolMessage",
        "ToolParameters",
        "ToolResultPart",
        "UserMessage",
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}
#: the submodules ``import assistant_ui`` made attributes of the package in 0.1.1
_SUBMODULES = ("errors", "messages", "types")


def __getattr__(name: str) -> Any:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        if name in _SUBMODULES:
            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module 'assistant_ui' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))


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
