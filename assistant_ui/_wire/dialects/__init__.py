"""The registry of wire-format dialects: one entry per protocol name.

An entry says how the body is cut into units (its framing, see
:mod:`assistant_ui._wire.dialects.base`), which class decodes them, and how the
format is recognized: the response headers that name it and a sniffing predicate
on the first bytes or the first unit. :mod:`assistant_ui._wire.detect` asks the
registry; nothing else knows a dialect's detection rules. A new dialect is one
module in this package plus one entry below.

Classes and predicates are named ``"module:attribute"`` and imported on first
use, so that ``import assistant_ui`` stays light; a module name starting with a
dot is relative to ``assistant_ui._wire``. :func:`register` adds (or replaces)
an entry.

Sniffing predicates, by framing (asked in registry order; the first that says
yes wins):

* ``sse``: ``sniff(value) -> bool`` on the first SSE payload that parses as JSON;
* ``lines``: ``sniff(line, complete) -> bool`` on the first non-blank line
  (``complete`` is false when the line did not end within the sniffing window);
* ``document`` (an entry that also reads a whole JSON body):
  ``sniff(document, forced) -> bool`` (``forced``: ``protocol=`` named this entry);
* ``aws``: ``sniff(head) -> bool`` on the first 12 bytes.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .base import Framing

__all__ = [
    "DIALECTS",
    "FRAMING",
    "PROTOCOLS",
    "DialectEntry",
    "create_dialect",
    "load",
    "register",
    "sniffers",
]


class DialectEntry(NamedTuple):
    #: the protocol name (``StreamDecoder(protocol=...)``, ``decoder.protocol``)
    name: str
    framing: Framing
    #: the dialect class, ``"module:Class"``
    target: str
    #: response headers ``(name, value)`` that declare this format
    headers: tuple[tuple[str, str], ...] = ()
    #: MIME types that declare this format
    mime_types: tuple[str, ...] = ()
    #: the sniffing predicate, ``"module:function"`` (see the module docstring)
    sniff: str | None = None
    #: the dialect reading a whole JSON body of this format, ``"module:Class"``
    document: str | None = None
    #: the predicate recognizing such a body
    document_sniff: str | None = None
    #: when forced, a ``text/plain`` answer is read as plain text (an agent that
    #: returned a string instead of streaming)
    plain_text: bool = False


_ENTRIES = (
    DialectEntry(
        "data-stream", "lines", ".dialects.data_stream:DataStreamDialect",
        headers=(("x-vercel-ai-data-stream", "v1"),),
        sniff=".dialects.data_stream:sniff_line",
    ),
    DialectEntry(
        "assistant-transport", "sse", ".dialects.assistant_transport:AssistantTransportDialect",
        sniff=".dialects.assistant_transport:sniff_event",
    ),
    DialectEntry(
        "ui-message-stream", "sse", ".dialects.ui_message_stream:UIMessageStreamDialect",
        headers=(("x-vercel-ai-ui-message-stream", "v1"),),
        sniff=".dialects.ui_message_stream:sniff_event",
    ),
    DialectEntry(
        "openai", "sse", ".dialects.openai:OpenAIDialect",
        sniff=".dialects.openai:sniff_event",
        document=".dialects.openai_document:OpenAIDocumentDialect",
        document_sniff=".dialects.openai_document:sniff_document",
    ),
    DialectEntry(
        "object-stream", "sse", ".dialects.object_stream:ObjectStreamDialect",
        headers=(("assistant-stream-format", "object-stream/v0"),),
        sniff=".dialects.object_stream:sniff_event",
    ),
    DialectEntry("sse", "sse", ".dialects.raw_sse:RawSSEDialect"),
    DialectEntry("plain-text", "text", ".dialects.raw_sse:PlainTextDialect"),
    DialectEntry(
        "aws-eventstream", "aws", ".dialects.aws:AWSEventStreamDialect",
        mime_types=("application/vnd.amazon.eventstream",),
        sniff=".eventstream:looks_like_prelude",
    ),
    DialectEntry("json", "json", ".dialects.raw_sse:JSONDocumentDialect"),
    # chosen by api="agentcore" (RequestDialect.default_protocol), never sniffed
    DialectEntry(
        "agentcore", "sse", ".dialects.agentcore:AgentCoreDialect",
        document=".dialects.agentcore:AgentCoreDocumentDialect",
        document_sniff=".dialects.agentcore:sniff_document",
        plain_text=True,
    ),
    # chosen by api="bedrock-ws" (the WebSocket chat): one JSON message per line, never sniffed
    DialectEntry("bedrock-ws", "lines", ".dialects.bedrock_ws:BedrockWSDialect"),
)

#: protocol name -> entry, in sniffing order
DIALECTS: dict[str, DialectEntry] = {entry.name: entry for entry in _ENTRIES}
#: the built-in protocol names
PROTOCOLS = tuple(DIALECTS)


class _Framings(Mapping[str, str]):
    """protocol name -> framing, read from the registry as it is now."""

    def __getitem__(self, name: str) -> str:
        return DIALECTS[name].framing

    def __iter__(self) -> Iterator[str]:
        return iter(DIALECTS)

    def __len__(self) -> int:
        return len(DIALECTS)


#: protocol name -> framing
FRAMING: Mapping[str, str] = _Framings()

_loaded: dict[str, Any] = {}


def register(entry: DialectEntry) -> None:
    """Add a dialect (or replace the one of that name); it is sniffed after those before it."""
    DIALECTS[entry.name] = entry


def load(target: str) -> Any:
    """The attribute named by ``"module:attribute"`` (``.module``: relative to ``_wire``)."""
    found = _loaded.get(target)
    if found is None:
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name, "assistant_ui._wire")
        found = _loaded[target] = getattr(module, attribute)
    return found


def sniffers(framing: str) -> list[tuple[str, Any]]:
    """``(name, predicate)`` of every entry of ``framing`` that can be sniffed, in order.

    ``framing="document"`` gives the predicates of entries reading a JSON body.
    """
    entries = list(DIALECTS.values())
    made = _sniffers_made.get(framing)
    if made is not None and made[0] == entries:
        return list(made[1])
    if framing == "document":
        found = [(e.name, load(e.document_sniff)) for e in entries if e.document_sniff]
    else:
        found = [(e.name, load(e.sniff)) for e in entries if e.framing == framing and e.sniff]
    _sniffers_made[framing] = (entries, tuple(found))
    return found


#: framing -> (the registry's entries when its sniffers were listed, that list): asked
#: for every body, listed again only when the registry changed (``register``, or
#: ``DIALECTS`` changed directly); one entry per framing name asked for
_sniffers_made: dict[str, tuple[list[DialectEntry], tuple[tuple[str, Any], ...]]] = {}


def create_dialect(
    protocol: str,
    warnings: list[str],
    *,
    max_json_depth: int | None = None,
    document: bool = False,
) -> Any:
    """A new dialect for ``protocol`` sharing the ``warnings`` list.

    ``document``: the dialect reading a whole JSON body of that format.
    """
    entry = DIALECTS[protocol]
    target = entry.document if document else entry.target
    if target is None:
        raise ValueError(f"{protocol!r} has no document dialect")
    dialect = load(target)(warnings)
    if max_json_depth is not None:
        dialect.max_json_depth = max_json_depth
    return dialect
