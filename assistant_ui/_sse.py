"""Server-sent events framing over complete lines (protocols.md §2, WHATWG).

Fields are parsed on bytes; ``data`` stays bytes (``json.loads`` takes bytes), the
event name and id are decoded (they are short).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SSEDecoder", "SSEEvent"]


class SSEEvent(NamedTuple):
    event: str
    data: bytes
    id: str
    retry: int | None = None


class SSEDecoder:
    __slots__ = ("_data", "_event", "comments", "last_event_id", "retry")

    def __init__(self) -> None:
        self._data: list[bytes] = []
        self._event = ""
        #: the last ``id:`` seen (persists across events, WHATWG)
        self.last_event_id = ""
        #: the last valid ``retry:`` in milliseconds
        self.retry: int | None = None
        #: comment lines seen (keep-alives)
        self.comments = 0

    def feed(self, lines: list[bytes], out: list[SSEEvent]) -> None:
        data = self._data
        for line in lines:
            if not line:
                if data:
                    payload = data[0] if len(data) == 1 else b"\n".join(data)
                    out.append(
                        SSEEvent(self._event or "message", payload, self.last_event_id, self.retry)
                    )
                    data.clear()
                self._event = ""
                continue
            if line[:5] == b"data:":
                value = line[5:]
                if value[:1] == b" ":
                    value = value[1:]
                data.append(value)
                continue
            if line[:1] == b":":
                self.comments += 1
                continue
            colon = line.find(b":")
            if colon < 0:
                field, value = line, b""
            else:
                field, value = line[:colon], line[colon + 1 :]
                if value[:1] == b" ":
                    value = value[1:]
            if field == b"data":
                data.append(value)
            elif field == b"event":
                self._event = value.decode("utf-8", "replace")
            elif field == b"id":
                if b"\x00" not in value:
                    self.last_event_id = value.decode("utf-8", "replace")
            elif field == b"retry":
                if value.isdigit():
                    self.retry = int(value)
            # any other field is ignored

    def end(self) -> None:
        """End of stream: a pending event without its blank line is discarded."""
        self._data.clear()
        self._event = ""
