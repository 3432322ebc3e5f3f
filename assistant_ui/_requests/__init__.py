"""Request dialects: what the client POSTs for each kind of backend (protocols.md §12).

Pure functions from Python values to a :class:`RequestSpec`; the IO shells send it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["APIS", "RequestSpec", "normalize_tools", "validate_messages"]

#: the request dialects ``AssistantClient(api=...)`` accepts
APIS = ("assistant-ui", "ai-sdk", "openai")

_ROLES = frozenset({"system", "user", "assistant", "tool"})


class RequestSpec:
    """One HTTP request to make: method, path (relative to ``base_url``) and JSON body."""

    __slots__ = ("headers", "json", "method", "path")

    def __init__(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self.method = method
        self.path = path
        self.json = json
        self.headers: dict[str, str] = headers if headers is not None else {}

    def __repr__(self) -> str:
        return f"RequestSpec({self.method!r}, {self.path!r})"


def validate_messages(messages: Any) -> list[dict[str, Any]]:
    """Check the shape of a message list; raise TypeError/ValueError naming the bad item."""
    if messages is None:
        return []
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
        raise TypeError("messages must be a list of message dicts")
    out = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, Mapping):
            raise TypeError(f"messages[{i}] must be a dict, not {type(msg).__name__}")
        role = msg.get("role")
        if role not in _ROLES:
            raise ValueError(f"messages[{i}] has an invalid role {role!r}")
        content = msg.get("content")
        if role == "system":
            if not isinstance(content, str):
                raise TypeError(f"messages[{i}] (system) content must be a str")
        elif isinstance(content, str):
            pass  # a bare string is accepted as one text part
        elif not isinstance(content, list) or not all(isinstance(p, Mapping) for p in content):
            raise TypeError(f"messages[{i}] content must be a list of part dicts")
        out.append(dict(msg))
    return out


def normalize_tools(tools: Any) -> dict[str, dict[str, Any]] | None:
    """Tools as the ``{name: {"description", "parameters"}}`` mapping.

    Accepts that mapping itself (the seed style), or an iterable of
    :class:`assistant_ui.tools.Tool` objects (anything with ``name`` and
    ``to_spec()``) and ``{"name", "description", "parameters"}`` dicts.
    """
    if tools is None:
        return None
    if isinstance(tools, Mapping):
        out: dict[str, dict[str, Any]] = {}
        for name, spec in tools.items():
            if not isinstance(name, str) or not isinstance(spec, Mapping):
                raise TypeError("tools must map a tool name to {'description', 'parameters'}")
            out[name] = dict(spec)
        return out
    out = {}
    for item in tools:
        to_spec = getattr(item, "to_spec", None)
        if callable(to_spec):
            out[item.name] = to_spec()
        elif isinstance(item, Mapping) and isinstance(item.get("name"), str):
            spec = {k: v for k, v in item.items() if k != "name"}
            spec.setdefault("parameters", {"type": "object", "properties": {}})
            out[item["name"]] = spec
        else:
            raise TypeError(f"cannot use {item!r} as a tool")
    return out
