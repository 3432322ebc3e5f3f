"""``assistant_ui.testing`` encoders: every format round-trips through the real decoder."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.accumulator import MessageAccumulator
from assistant_ui._wire.decoder import StreamDecoder
from assistant_ui.testing import (
    FORMAT_EVENTS,
    FORMATS,
    encode,
    encode_body,
    text_events,
    tool_call_events,
)

# -- helpers ------------------------------------------------------------------------------


def accumulate(events: list[Any]) -> Any:
    acc = MessageAccumulator()
    acc.add_all(events)
    return acc.finish()


def decode_pieces(fmt: str, headers: dict[str, str], pieces: list[bytes]) -> list[Any]:
    protocol = {"plain-text": "plain-text", "sse": "sse"}.get(fmt)
    decoder = StreamDecoder(headers=headers, protocol=protocol)
    events: list[Any] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.end())
    return events


def round_trip(events: list[Any], fmt: str, *, heartbeat: bool = False) -> list[Any]:
    stream = encode(events, fmt, heartbeat=heartbeat)
    return decode_pieces(fmt, stream.headers, list(stream.chunks))


# -- event-list strategies, per format -----------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
NONEMPTY = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)
USAGE = st.fixed_dictionaries(
    {"inputTokens": st.integers(0, 1000), "outputTokens": st.integers(0, 1000)},
    optional={"totalTokens": st.integers(0, 2000)},
)
REASONS = ["stop", "length", "tool-calls", "content-filter", "error", "other", "unknown"]


class Caps:
    """What a format's generator may produce (mirrors the encoders' documentation)."""

    def __init__(self, fmt: str) -> None:
        kinds = FORMAT_EVENTS[fmt]
        self.fmt = fmt
        self.kinds = kinds
        rich = fmt in ("data-stream", "assistant-transport")
        self.parent = rich
        self.empty_delta = rich
        self.artifact = rich
        self.any_error_result = rich
        self.unnamed_data = rich
        self.error_code = fmt in ("assistant-transport", "openai")
        self.error_severity = fmt == "assistant-transport"
        self.finish_anywhere = fmt != "openai"
        self.reasons = REASONS if fmt != "openai" else REASONS[:-1]


@st.composite
def event_lists(draw: st.DrawFn, fmt: str) -> list[dict[str, Any]]:
    caps = Caps(fmt)
    kinds = caps.kinds
    events: list[dict[str, Any]] = []
    if fmt == "sse":
        for _ in range(draw(st.integers(0, 8))):
            ev: dict[str, Any] = {"type": "raw", "event": draw(st.sampled_from(["message", "x", "up-date"])),
                                  "data": draw(JSON)}
            event_id = draw(st.sampled_from(["", "1", "2"]))
            if event_id:
                ev["id"] = event_id
            events.append(ev)
        return events
    if fmt == "openai":
        events.append({"type": "metadata", "messageId": "chatcmpl-1", "metadata": {"model": "m-1"}})
    ui_message_id = draw(st.sampled_from([None, "msg-1"]))
    parents = [None, "p1", "p2"] if caps.parent else [None]
    open_calls: dict[str, list[str]] = {}  # id -> argument pieces not sent yet
    texts: dict[str, tuple[str, dict[str, Any]]] = {}  # id -> (args text, args)
    names: dict[str, str] = {}
    resultless: set[str] = set()  # known calls without a result
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"call-{counter}"

    def close_all() -> None:
        open_calls.clear()

    def args_pair() -> tuple[str, dict[str, Any]]:
        args = draw(st.dictionaries(TEXT, JSON, max_size=3))
        seps = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
        return json.dumps(args, separators=seps, ensure_ascii=draw(st.booleans())), args

    for _ in range(draw(st.integers(0, 20))):
        options = ["text"]
        if "reasoning-delta" in kinds:
            options.append("reasoning")
        if "text-start" in kinds:
            options.append("text-start")
        if "reasoning-start" in kinds:
            options.append("reasoning-start")
        if "tool-call-start" in kinds:
            options += ["tool-start", "tool-whole"]
        if open_calls:
            options += ["tool-delta", "tool-delta", "tool-close"]
        if "tool-result" in kinds:
            options.append("result-unknown")
            if resultless:
                options += ["result", "result"]
        for kind in ("source", "file", "annotations", "state-update", "step-start",
                     "step-finish", "error", "metadata"):
            if kind in kinds and not (kind == "metadata" and fmt == "openai"):  # leading only
                options.append(kind)
        if "data" in kinds:
            options.append("data")
        if "finish" in kinds and caps.finish_anywhere:
            options.append("finish")
        choice = draw(st.sampled_from(options))
        parent = draw(st.sampled_from(parents))

        def with_parent(ev: dict[str, Any]) -> dict[str, Any]:
            if parent is not None:  # noqa: B023 - drawn for this very event
                ev["parentId"] = parent  # noqa: B023
            return ev

        if choice in ("text", "reasoning"):
            delta = draw(TEXT if caps.empty_delta else NONEMPTY)
            events.append(with_parent({"type": f"{choice}-delta", "delta": delta}))
        elif choice == "text-start":
            events.append(with_parent({"type": "text-start"}))
        elif choice == "reasoning-start":
            ev = with_parent({"type": "reasoning-start"})
            if draw(st.booleans()):
                ev["summary"] = draw(NONEMPTY)
            events.append(ev)
        elif choice == "tool-start":
            call_id = new_id()
            text, args = args_pair()
            if not args and draw(st.booleans()):
                text = ""  # a call whose arguments never stream
            cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=4)))
            bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
            pieces = [text[a:b] for a, b in pairwise(bounds) if text[a:b]]
            open_calls[call_id] = pieces
            texts[call_id] = (text or "{}", args)
            names[call_id] = draw(TEXT)
            resultless.add(call_id)
            events.append(with_parent({"type": "tool-call-start", "toolCallId": call_id,
                                       "toolName": names[call_id]}))
        elif choice == "tool-whole":
            call_id = new_id()
            text, args = args_pair()
            names[call_id] = draw(TEXT)
            resultless.add(call_id)
            events.append(with_parent({"type": "tool-call", "toolCallId": call_id,
                                       "toolName": names[call_id], "args": args, "argsText": text}))
        elif choice == "tool-delta":
            call_id = draw(st.sampled_from(sorted(open_calls)))
            pieces = open_calls[call_id]
            if pieces:
                events.append({"type": "tool-call-delta", "toolCallId": call_id,
                               "argsTextDelta": pieces.pop(0)})
        elif choice == "tool-close":
            ready = sorted(c for c, p in open_calls.items() if not p)
            if ready:
                call_id = draw(st.sampled_from(ready))
                del open_calls[call_id]
                text, args = texts[call_id]
                events.append({"type": "tool-call", "toolCallId": call_id,
                               "toolName": names[call_id], "args": args, "argsText": text})
        elif choice in ("result", "result-unknown"):
            if choice == "result":
                call_id = draw(st.sampled_from(sorted(resultless)))
                open_calls.pop(call_id, None)
                resultless.discard(call_id)
                name = names[call_id]
            else:
                call_id, name = new_id(), draw(NONEMPTY)
            is_error = draw(st.booleans())
            result = draw(JSON if caps.any_error_result or not is_error else TEXT)
            ev = {"type": "tool-result", "toolCallId": call_id, "result": result,
                  "isError": is_error, "toolName": name}
            if caps.artifact and draw(st.booleans()):
                ev["artifact"] = draw(st.integers(-(2**63), 2**63 - 1))  # orjson (when installed) reads bigger ints as floats
            events.append(ev)
        elif choice == "source":
            ev = with_parent({"type": "source", "sourceType": "url", "id": draw(TEXT),
                              "url": draw(TEXT)})
            if draw(st.booleans()):
                ev["title"] = draw(TEXT)
            events.append(ev)
        elif choice == "file":
            events.append(with_parent({"type": "file", "data": draw(TEXT),
                                       "mimeType": draw(st.sampled_from(["image/png", "text/plain"]))}))
        elif choice == "data":
            if caps.unnamed_data and draw(st.booleans()):
                events.append({"type": "data", "data": draw(JSON)})
            else:
                ev = with_parent({"type": "data", "name": draw(st.sampled_from(["a", "b"])),
                                  "data": draw(JSON)})
                part_id = draw(st.sampled_from([None, "1", "2"]))
                if part_id is not None:
                    ev["id"] = part_id
                events.append(ev)
        elif choice == "annotations":
            events.append({"type": "annotations", "annotations": draw(st.lists(JSON, max_size=2))})
        elif choice == "state-update":
            op = st.fixed_dictionaries({
                "type": st.sampled_from(["set", "append-text"]),
                "path": st.lists(st.sampled_from(["a", "b", "0"]), max_size=3),
                "value": JSON,
            })
            events.append({"type": "state-update", "operations": draw(st.lists(op, max_size=3))})
        elif choice == "step-start":
            if fmt == "ui-message-stream":
                message_id = ui_message_id
            else:
                message_id = draw(st.sampled_from([None, "m1", "m2"]))
            ev = {"type": "step-start"}
            if message_id is not None:
                ev["messageId"] = message_id
            events.append(ev)
        elif choice == "step-finish":
            close_all()
            events.append({"type": "step-finish", "finishReason": draw(st.sampled_from(REASONS)),
                           "usage": draw(USAGE), "isContinued": draw(st.booleans())})
        elif choice == "finish":
            close_all()
            ev = {"type": "finish", "finishReason": draw(st.sampled_from(caps.reasons))}
            if draw(st.booleans()):
                ev["usage"] = draw(USAGE)
            events.append(ev)
        elif choice == "error":
            ev = {"type": "error", "error": draw(TEXT)}
            if caps.error_code and draw(st.booleans()):
                ev["code"] = draw(NONEMPTY)
            if caps.error_severity and draw(st.booleans()):
                ev["severity"] = draw(st.sampled_from(["critical", "warning", "info"]))
            events.append(ev)
        elif choice == "metadata":
            events.append({"type": "metadata", "metadata": draw(st.dictionaries(TEXT, JSON, max_size=2))})
    if fmt == "openai" and draw(st.booleans()):
        ev = {"type": "finish", "finishReason": draw(st.sampled_from(caps.reasons))}
        if draw(st.booleans()):
            ev["usage"] = draw(USAGE)
        events.append(ev)
    return events


ROUND_TRIP_FORMATS = [f for f in FORMATS if f != "openai-json"]


def _raw_view(events: list[Any]) -> list[Any]:
    return [(e.get("event") or "message", e.get("data"), e.get("id") or None)
            for e in events if e["type"] == "raw"]


@pytest.mark.parametrize("fmt", ROUND_TRIP_FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_through_the_decoder(fmt: str, data: st.DataObject) -> None:
    events = data.draw(event_lists(fmt))
    heartbeat = data.draw(st.booleans())
    stream = encode(events, fmt, heartbeat=heartbeat, strict=True)
    body = stream.body()
    # the network may cut the body anywhere
    cuts = sorted(data.draw(st.sets(st.integers(0, len(body)), max_size=6)))
    bounds = [0, *cuts, len(body)]
    pieces = [body[a:b] for a, b in pairwise(bounds)]
    decoded = decode_pieces(fmt, stream.headers, pieces)
    if fmt == "sse":
        assert _raw_view(decoded) == _raw_view(events)
    else:
        assert accumulate(decoded) == accumulate(events)


def test_the_spec_example_of_the_data_stream_round_trips_in_every_rich_format() -> None:
    # docs/wire-formats.md §4 example, as normalized events
    events: list[Any] = [
        {"type": "step-start", "messageId": "msg_1"},
        {"type": "reasoning-delta", "delta": "Let me check."},
        {"type": "text-delta", "delta": "Checking"},
        {"type": "text-delta", "delta": " the weather."},
        *tool_call_events("get_weather", {"city": "NYC"}, "call_1", result={"temp": 70}),
        {"type": "state-update", "operations": [{"type": "set", "path": ["status"], "value": "running"}]},
        {"type": "data", "data": [{"progress": 1}]},
        {"type": "source", "sourceType": "url", "id": "s1", "url": "https://example.com", "title": "Example"},
        {"type": "text-delta", "delta": "It is sunny."},
        {"type": "step-finish", "finishReason": "stop", "usage": {"inputTokens": 12, "outputTokens": 34},
         "isContinued": False},
    ]
    expected = accumulate(events)
    assert [p["type"] for p in expected["content"]] == ["reasoning", "text", "tool-call", "source", "text"]
    for fmt in ("data-stream", "assistant-transport"):
        assert accumulate(round_trip(events, fmt)) == expected, fmt
    # the UI message stream has no state or unnamed data: the parts still match
    ui = accumulate(round_trip(events, "ui-message-stream"))
    assert ui["content"] == expected["content"]
    assert ui["metadata"]["steps"] == expected["metadata"]["steps"]


@pytest.mark.parametrize("fmt", ["data-stream", "assistant-transport", "ui-message-stream"])
def test_replacing_a_data_part_keeps_the_text_part_open(fmt: str) -> None:
    events: list[Any] = [
        {"type": "text-delta", "delta": "a"},
        {"type": "data", "name": "n", "id": "1", "data": 1},  # a new part: "a" ends
        {"type": "text-delta", "delta": "b"},
        {"type": "data", "name": "n", "id": "1", "data": 2},  # replaces: "b" goes on
        {"type": "text-delta", "delta": "c"},
    ]
    expected = accumulate(events)
    assert [p.get("text", p.get("data")) for p in expected["content"]] == ["a", 2, "bc"]
    assert accumulate(round_trip(events, fmt)) == expected


def test_each_chunk_is_one_event() -> None:
    events = text_events("one two three")
    chunks = list(encode(events, "data-stream").chunks)
    assert chunks == [b'0:"one "\n', b'0:"two "\n', b'0:"three"\n']
    sse = list(encode(events, "assistant-transport").chunks)
    assert len(sse) == 4  # three events and the closing part-finish + [DONE]
    assert sse[0].startswith(b'data: {"type":"part-start"')
    assert sse[-1].endswith(b"data: [DONE]\n\n")


def test_heartbeats_are_separate_chunks_the_decoder_ignores() -> None:
    events = text_events("a b")
    chunks = list(encode(events, "data-stream", heartbeat=True).chunks)
    assert chunks[0] == b"\n" and chunks[2] == b"\n"
    chunks = list(encode(events, "openai", heartbeat=True).chunks)
    assert chunks[0] == b": heartbeat\n\n"
    assert accumulate(round_trip(events, "ui-message-stream", heartbeat=True))["content"] == [
        {"type": "text", "text": "a b"}
    ]


def test_headers_per_format() -> None:
    assert encode([], "data-stream").headers["x-vercel-ai-data-stream"] == "v1"
    ui = encode([], "ui-message-stream").headers
    assert ui["x-vercel-ai-ui-message-stream"] == "v1"
    assert ui["content-type"] == "text/event-stream"
    assert encode([], "plain-text").content_type == "text/plain; charset=utf-8"
    assert encode([], "openai-json").content_type == "application/json"
    assert encode_body([], "assistant-transport") == b"data: [DONE]\n\n"


def test_unsupported_events_are_dropped_or_refused() -> None:
    events = [{"type": "state-update", "operations": []}, {"type": "text-delta", "delta": "x"}]
    assert encode_body(events, "openai", strict=False).count(b"chat.completion.chunk") == 2
    with pytest.raises(ValueError, match="cannot carry a 'state-update'"):
        encode_body(events, "openai", strict=True)
    with pytest.raises(ValueError, match="unknown format"):
        encode([], "nope")


def test_openai_stream_shape() -> None:
    events = [
        {"type": "metadata", "messageId": "chatcmpl-9", "metadata": {"model": "gpt-x"}},
        *tool_call_events("lookup", {"q": "x"}, "call_a"),
        *tool_call_events("lookup", {"q": "y"}, "call_b"),
        {"type": "finish", "finishReason": "tool-calls",
         "usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}},
    ]
    lines = [json.loads(line[6:]) for line in encode_body(events, "openai").decode().split("\n\n")
             if line.startswith("data: {")]
    assert all(chunk["id"] == "chatcmpl-9" and chunk["model"] == "gpt-x" for chunk in lines)
    first_fragments = [c["choices"][0]["delta"]["tool_calls"][0] for c in lines[1:]
                       if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]
    assert {f["index"] for f in first_fragments} == {0, 1}
    assert lines[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert lines[-1]["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    message = accumulate(round_trip(events, "openai"))
    assert [(p["toolCallId"], p["args"]) for p in message["content"]] == [
        ("call_a", {"q": "x"}), ("call_b", {"q": "y"})
    ]
    assert message["status"] == {"type": "requires-action", "reason": "tool-calls"}


def test_openai_json_document() -> None:
    events = [*text_events("Hi there"), *tool_call_events("f", {"a": 1}, "c1"),
              {"type": "finish", "finishReason": "tool-calls", "usage": {"inputTokens": 1, "outputTokens": 2}}]
    doc = json.loads(encode_body(events, "openai-json"))
    assert doc["object"] == "chat.completion"
    assert doc["choices"][0]["message"]["content"] == "Hi there"
    assert doc["choices"][0]["message"]["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"a": 1}'}
    decoded = accumulate(StreamDecoder(content_type="application/json").decode(json.dumps(doc).encode()))
    original = accumulate(events)
    assert decoded["content"] == original["content"]
    assert decoded["status"] == original["status"]


def test_raw_sse_resets_the_event_id() -> None:
    body = encode_body([
        {"type": "raw", "event": "tick", "data": {"n": 1}, "id": "7"},
        {"type": "raw", "event": "message", "data": "plain"},
    ], "sse")
    assert body == b'event: tick\nid: 7\ndata: {"n":1}\n\nid\ndata: "plain"\n\n'
