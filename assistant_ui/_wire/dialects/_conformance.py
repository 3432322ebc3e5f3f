"""Static proof that every built-in dialect implements :class:`.base.Dialect` for the
unit of its framing (checked by mypy; never imported at run time)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..eventstream import EventStreamMessage
    from ..sse import SSEEvent
    from .assistant_transport import AssistantTransportDialect
    from .aws import AWSEventStreamDialect
    from .base import Dialect
    from .data_stream import DataStreamDialect
    from .object_stream import ObjectStreamDialect
    from .openai import OpenAIDialect
    from .openai_document import OpenAIDocumentDialect
    from .raw_sse import JSONDocumentDialect, PlainTextDialect, RawSSEDialect
    from .ui_message_stream import UIMessageStreamDialect

    lines: Dialect[bytes] = DataStreamDialect()
    sse: list[Dialect[SSEEvent]] = [
        AssistantTransportDialect(), UIMessageStreamDialect(), OpenAIDialect(),
        ObjectStreamDialect(), RawSSEDialect(),
    ]
    aws: Dialect[EventStreamMessage] = AWSEventStreamDialect()
    documents: list[Dialect[Any]] = [OpenAIDocumentDialect(), JSONDocumentDialect()]
    text: Dialect[str] = PlainTextDialect()
