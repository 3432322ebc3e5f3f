"""The dialect registry and the one decoder/dialect interface.

Every registered dialect is built the same way and fed the same way; detection asks
the registry; a new dialect is one module plus one registry entry.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from assistant_ui._wire import detect
from assistant_ui._wire.dialects import DIALECTS, FRAMING, DialectEntry, create_dialect, register
from assistant_ui.decoding import PROTOCOLS, StreamDecoder


@pytest.mark.parametrize("name", PROTOCOLS)
def test_every_entry_builds_a_dialect_with_the_one_interface(name: str) -> None:
    entry = DIALECTS[name]
    assert FRAMING[name] == entry.framing
    warnings: list[str] = []
    for document in (False, True) if entry.document else (False,):
        dialect = create_dialect(name, warnings, max_json_depth=7, document=document)
        assert dialect.name == name
        assert dialect.warnings is warnings
        assert dialect.max_json_depth == 7
        out: list[Any] = []
        dialect.feed([], out)
        dialect.end(out, done=True)


def test_detection_asks_the_registry_in_order() -> None:
    assert detect.sse_protocol({"choices": []}) == "openai"
    assert detect.sse_protocol({"type": "text-delta", "textDelta": "x"}) == "assistant-transport"
    assert detect.sse_protocol({"type": "text-delta", "delta": "x"}) == "ui-message-stream"
    assert detect.sse_protocol([{"type": "set", "path": [], "value": 1}]) == "object-stream"
    assert detect.sse_protocol({"hello": 1}) == "sse"
    assert detect.framing_from_headers({"X-Vercel-AI-Data-Stream": "v1"}) == ("lines", "data-stream")
    assert detect.document_protocol({"object": "chat.completion"}, None) == "openai"
    assert detect.document_protocol({"choices": []}, None) == "json"
    assert detect.document_protocol({"choices": []}, "openai") == "openai"


NEW_DIALECT = '''
"""A made-up SSE format: {"say": text} events."""

from typing import Any

from assistant_ui._wire.dialects.base import JSONEventDialect


def sniff_event(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("say"), str)


class SayDialect(JSONEventDialect):
    name = "say"

    def event(self, value: Any, ev: Any, out: list[Any]) -> bool:
        if not sniff_event(value):
            return False
        out.append({"type": "text-delta", "delta": value["say"]})
        return True

    def end(self, out: list[Any], *, done: bool) -> None:
        out.append({"type": "finish", "finishReason": "stop"})
'''


def test_a_new_dialect_is_one_module_and_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "say_dialect.py").write_text(textwrap.dedent(NEW_DIALECT))
    monkeypatch.syspath_prepend(str(tmp_path))
    register(DialectEntry("say", "sse", "say_dialect:SayDialect", headers=(("x-say", "1"),),
                          sniff="say_dialect:sniff_event"))
    try:
        check_say()
    finally:
        del DIALECTS["say"]
    assert "say" not in FRAMING


def check_say() -> None:
    body = b"".join(b"data: " + json.dumps({"say": w}).encode() + b"\n\n" for w in ("a", "b")) + b": x\n\n"
    assert FRAMING["say"] == "sse"
    for kwargs in ({"content_type": "text/event-stream"}, {"headers": {"x-say": "1"}}, {"protocol": "say"}):
        decoder = StreamDecoder(**kwargs)  # type: ignore[arg-type]
        events = [decoder.feed(body[i : i + 3]) for i in range(0, len(body), 3)]
        flat = [e for batch in events for e in batch] + decoder.end()
        assert decoder.protocol == "say"
        assert flat == [
            {"type": "text-delta", "delta": "a"},
            {"type": "text-delta", "delta": "b"},
            {"type": "finish", "finishReason": "stop"},
        ]


@pytest.mark.parametrize("protocol", sorted(DIALECTS))
def test_a_new_dialect_makes_no_reference_cycle(protocol: str) -> None:
    """A dialect is made for every call: one that refers to itself (a table of its own
    bound methods, a callback into itself) would only be freed by the collector."""
    import gc

    entry = DIALECTS[protocol]
    documents = [False, True] if entry.document is not None else [False]
    gc.collect()
    gc.disable()
    try:
        for document in documents:
            dialect = create_dialect(protocol, [], document=document)
            before = len(gc.get_objects())
            del dialect
            # everything it made went with it: nothing is left for the collector to find
            assert gc.collect() == 0, (protocol, document)
            assert len(gc.get_objects()) <= before
    finally:
        gc.enable()
