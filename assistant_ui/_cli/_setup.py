"""Turning the chat's options into what the client takes: headers and tools."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["HeaderStack", "load_tools", "parse_headers"]

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def parse_headers(items: list[str]) -> dict[str, str]:
    """``--header 'Name: value'`` items as a dict (an item is never quoted back: it may
    hold a credential)."""
    headers: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":")
        name = name.strip()
        if not sep:
            raise ValueError("--header expects 'Name: value' (no ':' found)")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError("--header expects 'Name: value' (the name is not a valid header name)")
        headers[name] = value.strip()
    return headers


class HeaderStack:
    """Fixed headers (``--header``) under a header provider (``--token-file``): what
    ``headers=`` takes. A fixed header wins over the provider's of the same name;
    ``invalidate()`` (after a 401) is passed on to the provider."""

    def __init__(self, fixed: Mapping[str, str], provider: Any) -> None:
        self.fixed = dict(fixed)
        self.provider = provider

    def __repr__(self) -> str:
        return f"HeaderStack({sorted(self.fixed)}, {self.provider!r})"

    def _merge(self, provided: Mapping[str, str]) -> dict[str, str]:
        names = {name.lower() for name in self.fixed}
        merged = {k: v for k, v in provided.items() if k.lower() not in names}
        merged.update(self.fixed)
        return merged

    def sync_headers(self) -> dict[str, str]:
        return self._merge(self.provider.sync_headers())

    async def async_headers(self) -> dict[str, str]:
        return self._merge(await self.provider.async_headers())

    def __call__(self) -> dict[str, str]:
        return self.sync_headers()

    def invalidate(self, headers: Mapping[str, str] | None = None) -> None:
        self.provider.invalidate(headers)


def load_tools(specs: list[str]) -> Any:
    """``--tools module:attr`` (repeatable) as one ``Toolbox``.

    ``attr`` may name a ``@tool`` function, a ``Toolbox``, a list or a mapping of
    tools; ``module`` alone takes every ``@tool`` of the module. Raises
    ``ValueError`` with a message fit for the command line.
    """
    from ..tools import Tool, Toolbox

    collected: list[Any] = []
    for spec in specs:
        module_name, _, attr = spec.partition(":")
        module_name, attr = module_name.strip(), attr.strip()
        if not module_name:
            raise ValueError(f"--tools expects module:attr, got {spec!r}")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # the user's module: any error it raises on import
            raise ValueError(
                f"--tools: cannot import {module_name!r}: {type(exc).__name__}: {exc}"
            ) from None
        if attr:
            value: Any = module
            for part in attr.split("."):
                if not hasattr(value, part):
                    raise ValueError(f"--tools: {module_name!r} has no attribute {attr!r}")
                value = getattr(value, part)
            collected.append(value)
        else:
            found = [v for v in vars(module).values() if isinstance(v, Tool)]
            if not found:
                raise ValueError(f"--tools: {module_name!r} holds no @tool function")
            collected.extend(found)
    tools: list[Any] = []
    for value in collected:
        if isinstance(value, Toolbox):
            tools.extend(value.get(name) for name in value.names)
        elif isinstance(value, Mapping):
            tools.extend(value.values())
        elif isinstance(value, (list, tuple)):
            tools.extend(value)
        else:
            tools.append(value)
    try:
        return Toolbox(tools)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"--tools: {exc}") from None
