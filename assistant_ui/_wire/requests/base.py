"""Request dialects: what the client POSTs for each kind of backend (docs/wire-formats.md §12).

Pure functions from Python values to a :class:`RequestSpec`; the IO shells send it.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import quote

__all__ = [
    "ChatRequest",
    "RequestDialect",
    "RequestSpec",
    "format_path",
    "last_user_text",
    "merge_fields",
    "normalize_tools",
    "validate_messages",
]

_ROLES = frozenset({"system", "user", "assistant", "tool"})


class RequestSpec:
    """One HTTP request to make: method, path (relative to ``base_url``) and JSON body.

    The first request built from it encodes the body into :attr:`content` and lets the
    JSON value go (``json`` is then None): a streamed call keeps its spec for a retry or
    a resend, and a call should not keep its messages' objects alive while it streams
    (the garbage collector walks every live object, a thousand calls' worth of them).
    """

    __slots__ = ("content", "headers", "json", "method", "path")

    def __init__(
        self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self.method = method
        self.path = path
        self.json = json
        self.headers: dict[str, str] = headers if headers is not None else {}
        #: the JSON body as sent, once a request was built from the spec
        self.content: bytes | None = None

    def __repr__(self) -> str:
        return f"RequestSpec({self.method!r}, {self.path!r})"


#: an empty mapping no one can change (the default of the mapping fields below)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class ChatRequest(NamedTuple):
    """Everything one chat call asks for, written once: each request dialect turns it
    into the body its backend takes (:attr:`RequestDialect.build_chat`)."""

    path: str
    thread_id: str
    messages: Any = None
    commands: list[dict[str, Any]] | None = None
    system: str | None = None
    tools: Any = None
    run_config: Any = None
    state: Any = None
    assistant_message_id: str | None = None
    #: the call's extra keyword arguments: body fields, where the wire allows them
    extra: Mapping[str, Any] = _EMPTY
    #: the client's ``model=`` (the OpenAI dialect needs one)
    model: str | None = None
    #: what the dialect kept for this thread id from earlier answers (for example a
    #: server-side conversation id): read-only here, updated by
    #: :attr:`RequestDialect.update_session` after each answer
    session: Mapping[str, Any] = _EMPTY


class RequestDialect(NamedTuple):
    """One backend's request side: what ``AssistantClient(api=name)`` POSTs."""

    name: str
    default_chat_path: str
    build_chat: Callable[[ChatRequest], RequestSpec]
    #: the cancel notice (``thread.cancel()``), when the backend takes one
    build_cancel: Callable[[str, str], RequestSpec] | None = None
    #: the client must be given ``model=``
    needs_model: bool = False
    #: after an answer: keep what the next call on the same thread id must send
    #: (``session`` is the thread's mutable dict, ``events`` the answer's events)
    update_session: Callable[[dict[str, Any], Sequence[Mapping[str, Any]]], None] | None = None
    #: the decoder dialect (a protocol name) to use for this backend's answers when the
    #: call does not force one with ``protocol=``; ``None``: detect from the response
    default_protocol: str | None = None


def format_path(template: str, **values: Any) -> str:
    """Fill ``{name}`` fields of a path template with percent-encoded values.

    Every value becomes exactly one path segment: ``/``, ``?``, ``#``, ``%``, ``..``
    and the rest are encoded (``quote(value, safe="")``), so a value that came from
    a user or a server (a thread id, a resumable stream id) can neither change the
    path nor leave the base URL's origin (``//host`` would). A dot segment is
    encoded too (``.`` and ``..`` as ``%2E``), and an empty value is refused.
    """
    out: list[str] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is None:
            continue
        if spec or conversion or name not in values:
            raise ValueError(f"cannot fill {{{name}}} in the path {template!r}")
        value = str(values[name])
        if not value:
            raise ValueError(f"{name} is empty: it cannot be a path segment")
        segment = quote(value, safe="")
        if segment in (".", ".."):
            segment = segment.replace(".", "%2E")
        out.append(segment)
    return "".join(out)


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


def last_user_text(messages: list[dict[str, Any]], api: str, hint: str = "") -> str | None:
    """The text of the last ``user`` message (its text parts joined), or ``None``.

    For the dialects that send only that text (``api``): a part that is not text is a
    ``ValueError`` naming it (``hint`` says where to put it instead), never dropped.
    """
    for i in range(len(messages) - 1, -1, -1):
        msg = messages[i]
        if msg["role"] != "user":
            continue
        content = msg.get("content")
        if isinstance(content, str):
            return content
        content = content or []
        kinds = {part.get("type") for part in content}
        if kinds - {"text"}:
            other = ", ".join(sorted(str(k) for k in kinds - {"text"}))
            raise ValueError(
                f"messages[{i}] has {other} parts: api={api!r} sends only the text of the "
                f"last user message{hint}"
            )
        return "".join(str(part.get("text", "")) for part in content)
    return None


def merge_fields(body: dict[str, Any], *fields: Mapping[str, Any]) -> dict[str, Any]:
    """Add the ``fields`` to ``body`` in order, leaving out those whose value is None."""
    for mapping in fields:
        for key, value in mapping.items():
            if value is not None:
                body[key] = value
    return body
