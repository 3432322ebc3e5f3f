"""Request dialects: what the client sends for each kind of backend (docs/wire-formats.md).

Pure functions from a :class:`ChatRequest` to a :class:`RequestSpec`; the transports
send it. :data:`REQUEST_DIALECTS` is the registry ``AssistantClient(api=...)`` reads;
its names (:data:`APIS`, each dialect's module) are in ``_wire/names.py``, so that
the client can check ``api=`` without importing this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from ..names import API_MODULES, APIS
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


class _Registry(Mapping[str, RequestDialect]):
    """name -> :class:`RequestDialect` (each module's ``DIALECT``), loaded on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, RequestDialect] = {}

    def __getitem__(self, name: str) -> RequestDialect:
        dialect = self._loaded.get(name)
        if dialect is None:
            module = importlib.import_module(f"{__name__}.{API_MODULES[name]}")
            dialect = self._loaded[name] = module.DIALECT
        return dialect

    def __iter__(self) -> Iterator[str]:
        return iter(API_MODULES)

    def __len__(self) -> int:
        return len(API_MODULES)


#: every request dialect, by the name ``AssistantClient(api=...)`` takes
REQUEST_DIALECTS: Mapping[str, RequestDialect] = _Registry()
