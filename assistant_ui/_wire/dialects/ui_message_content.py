"""The UI message stream's content chunks other than text and tools: sources, files,
data parts, custom and steering chunks, and the older ``source`` chunk
(docs/wire-formats.md §7). A mixin of
:class:`~assistant_ui._wire.dialects.ui_message_stream.UIMessageStreamDialect`, which
holds the state and the handler table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ui_message_tools import without_type

__all__ = ["UIContentChunks"]


class UIContentChunks:
    """The content handlers (a mixin: the dialect gives ``_drop`` and ``_source``)."""

    if TYPE_CHECKING:

        def _drop(self, chunk: dict[str, Any], why: str) -> None: ...

        def _source(self, ev: dict[str, Any], out: list[Any]) -> None: ...

    def _source_url(self, chunk: dict[str, Any], out: list[Any]) -> None:
        url = chunk.get("url")
        if type(url) is not str:
            self._drop(chunk, "no url")
            return
        source_id = chunk.get("sourceId")
        ev: dict[str, Any] = {"type": "source", "sourceType": "url",
                              "id": source_id if type(source_id) is str else "", "url": url}
        title = chunk.get("title")
        if type(title) is str:
            ev["title"] = title
        self._source(ev, out)

    def _source_document(self, chunk: dict[str, Any], out: list[Any]) -> None:
        source_id = chunk.get("sourceId")
        ev: dict[str, Any] = {"type": "source", "sourceType": "document",
                              "id": source_id if type(source_id) is str else "", "url": ""}
        for key in ("title", "mediaType", "filename"):
            value = chunk.get(key)
            if value is not None:
                ev[key] = value
        self._source(ev, out)

    def _file(self, chunk: dict[str, Any], out: list[Any]) -> None:
        url = chunk.get("url")
        if type(url) is not str:
            legacy = chunk.get("file")
            if type(legacy) is dict and type(legacy.get("data")) is str:
                mime = legacy.get("mimeType")
                out.append({"type": "file", "data": legacy["data"],
                            "mimeType": mime if type(mime) is str else "application/octet-stream"})
            else:
                self._drop(chunk, "no url")
            return
        mime = chunk.get("mediaType")
        out.append({"type": "file", "data": url,
                    "mimeType": mime if type(mime) is str else "application/octet-stream"})

    def _data_part(self, kind: str, chunk: dict[str, Any], out: list[Any]) -> None:
        ev: dict[str, Any] = {"type": "data", "name": kind[5:], "data": chunk.get("data")}
        part_id = chunk.get("id")
        if part_id is not None:
            ev["id"] = part_id if type(part_id) is str else str(part_id)
        if chunk.get("transient") is True:
            ev["transient"] = True
        out.append(ev)

    def _custom(self, chunk: dict[str, Any], out: list[Any]) -> None:
        out.append({"type": "data", "name": "custom", "data": without_type(chunk)})

    def _steering(self, chunk: dict[str, Any], out: list[Any]) -> None:
        ev: dict[str, Any] = {"type": "data", "name": "steering-message",
                              "data": without_type(chunk)}
        message_id = chunk.get("id")
        if type(message_id) is str:
            ev["id"] = message_id
        out.append(ev)

    # -- older / alternate dialect -------------------------------------------------------

    def _legacy_source(self, chunk: dict[str, Any], out: list[Any]) -> None:
        src = chunk.get("source")
        if type(src) is not dict or type(src.get("url")) is not str:
            self._drop(chunk, "no source.url")
            return
        source_id = src.get("id")
        ev: dict[str, Any] = {"type": "source", "sourceType": "url",
                              "id": source_id if type(source_id) is str else "", "url": src["url"]}
        title = src.get("title")
        if type(title) is str:
            ev["title"] = title
        out.append(ev)
