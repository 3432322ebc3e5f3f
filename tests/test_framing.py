"""Line and SSE framing (docs/wire-formats.md §2) and split-invariance of the shared decoder."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant_ui._wire.lines import LineSplitter
from assistant_ui._wire.sse import SSEDecoder, SSEEvent
from assistant_ui.decoding import StreamDecoder, accumulate
from assistant_ui.errors import DecodeError

BOM = "\ufeff".encode()


def split_all(splitter: LineSplitter, *pieces: bytes) -> list[bytes]:
    lines: list[bytes] = []
    for piece in pieces:
        lines.extend(splitter.feed(piece))
    return lines


def sse_events(*pieces: bytes, end: bool = True) -> list[SSEEvent]:
    splitter = LineSplitter()
    decoder = SSEDecoder()
    out: list[SSEEvent] = []
    for piece in pieces:
        decoder.feed(splitter.feed(piece), out)
    if end:
        tail = splitter.flush()
        if tail is not None:
            decoder.feed([tail], out)
        decoder.end()
    return out


def decode_pieces(pieces: list[bytes], **kwargs: Any) -> list[Any]:
    decoder = StreamDecoder(**kwargs)
    events: list[Any] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.end())
    return events


# -- LineSplitter ------------------------------------------------------------------


class TestLineSplitter:
    def test_lf_crlf_and_lone_cr_all_end_a_line(self) -> None:
        s = LineSplitter()
        assert s.feed(b"a\nb\r\nc\rd\n") == [b"a", b"b", b"c", b"d"]
        assert s.flush() is None

    def test_blank_lines_are_kept(self) -> None:
        s = LineSplitter()
        assert s.feed(b"a\n\nb\r\n\r\nc\r\r") == [b"a", b"", b"b", b"", b"c", b""]

    def test_crlf_split_across_reads_is_one_line_end(self) -> None:
        s = LineSplitter()
        assert s.feed(b"a\r") == [b"a"]
        assert s.feed(b"\nb\n") == [b"b"]

    def test_lone_cr_at_end_of_read_then_lf_is_swallowed_once(self) -> None:
        s = LineSplitter()
        assert split_all(s, b"x\r", b"\n", b"\n") == [b"x", b""]

    def test_cr_at_end_of_read_then_cr(self) -> None:
        s = LineSplitter()
        assert split_all(s, b"x\r", b"\r", b"y\n") == [b"x", b"", b"y"]

    def test_cr_at_end_of_read_then_other_text(self) -> None:
        s = LineSplitter()
        assert split_all(s, b"x\r", b"y\n") == [b"x", b"y"]

    def test_empty_read_between_cr_and_lf_does_not_lose_the_pairing(self) -> None:
        s = LineSplitter()
        assert split_all(s, b"x\r", b"", b"\ny\n") == [b"x", b"y"]

    def test_unterminated_tail_is_held_until_flush(self) -> None:
        s = LineSplitter()
        assert s.feed(b"ab") == []
        assert s.pending_bytes == 2
        assert s.feed(b"cd") == []
        assert s.feed(b"e\nfg") == [b"abcde"]
        assert s.flush() == b"fg"
        assert s.flush() is None

    def test_bom_is_stripped_only_at_start(self) -> None:
        s = LineSplitter()
        assert s.feed(BOM + b"a\n" + BOM + b"b\n") == [b"a", BOM + b"b"]

    @pytest.mark.parametrize("cut", [1, 2, 3])
    def test_bom_split_across_reads(self, cut: int) -> None:
        body = BOM + b"a\nb\n"
        s = LineSplitter()
        assert split_all(s, body[:cut], body[cut:]) == [b"a", b"b"]

    def test_bom_one_byte_at_a_time(self) -> None:
        body = BOM + b"hi\n"
        s = LineSplitter()
        assert split_all(s, *[body[i : i + 1] for i in range(len(body))]) == [b"hi"]

    def test_partial_bom_prefix_that_is_not_a_bom_is_kept(self) -> None:
        s = LineSplitter()
        assert split_all(s, b"\xef", b"\xbbX\n") == [b"\xef\xbbX"]

    def test_only_one_bom_is_stripped(self) -> None:
        s = LineSplitter()
        assert split_all(s, BOM + BOM + b"a\n") == [BOM + b"a"]

    def test_bom_can_be_kept(self) -> None:
        s = LineSplitter(strip_bom=False)
        assert s.feed(BOM + b"a\n") == [BOM + b"a"]

    @pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
    def test_other_unicode_line_breaks_are_not_line_ends(self, char: str) -> None:
        s = LineSplitter()
        assert s.feed(f"a{char}b\n".encode()) == [f"a{char}b".encode()]

    def test_line_limit(self) -> None:
        s = LineSplitter(max_line=10)
        assert s.feed(b"0123456789\n") == [b"0123456789"]
        with pytest.raises(DecodeError):
            s.feed(b"0123456789A")
        s = LineSplitter(max_line=10)
        with pytest.raises(DecodeError):
            s.feed(b"0123456789AB\n")

    def test_offset_counts_bytes(self) -> None:
        s = LineSplitter()
        split_all(s, b"ab\r", b"\ncd")
        assert s.offset == 6


# -- SSEDecoder ----------------------------------------------------------------------


class TestSSE:
    def test_simple_events(self) -> None:
        assert sse_events(b"data: a\n\ndata: b\n\n") == [
            SSEEvent("message", b"a", ""),
            SSEEvent("message", b"b", ""),
        ]

    def test_multiple_data_lines_are_joined_with_lf(self) -> None:
        assert sse_events(b"data: a\ndata: b\n\n")[0].data == b"a\nb"

    def test_data_with_no_colon_is_an_empty_value(self) -> None:
        assert sse_events(b"data\n\n") == [SSEEvent("message", b"", "")]
        assert sse_events(b"data\ndata\n\n")[0].data == b"\n"

    def test_only_one_leading_space_is_removed(self) -> None:
        assert sse_events(b"data:a\n\n")[0].data == b"a"
        assert sse_events(b"data:  a \n\n")[0].data == b" a "

    def test_comments_are_ignored_and_counted(self) -> None:
        splitter = LineSplitter()
        decoder = SSEDecoder()
        out: list[SSEEvent] = []
        decoder.feed(splitter.feed(b": heartbeat\n\n:\ndata: x\n: mid\n\n"), out)
        assert out == [SSEEvent("message", b"x", "")]
        assert decoder.comments == 3

    def test_event_name(self) -> None:
        evs = sse_events(b"event: update\ndata: 1\n\ndata: 2\n\n")
        assert [(e.event, e.data) for e in evs] == [("update", b"1"), ("message", b"2")]

    def test_empty_event_name_means_message(self) -> None:
        assert sse_events(b"event:\ndata: 1\n\n")[0].event == "message"
        assert sse_events(b"event\ndata: 1\n\n")[0].event == "message"

    def test_event_without_data_emits_nothing_and_resets_the_type(self) -> None:
        assert sse_events(b"event: x\n\ndata: 1\n\n") == [SSEEvent("message", b"1", "")]

    def test_id_persists_across_events(self) -> None:
        evs = sse_events(b"id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n")
        assert [e.id for e in evs] == ["7", "7", "8"]

    def test_empty_id_resets(self) -> None:
        evs = sse_events(b"id: 7\ndata: a\n\nid\ndata: b\n\nid: 9\n\nid:\ndata: c\n\n")
        assert [e.id for e in evs] == ["7", "", ""]

    def test_id_on_an_event_without_data_still_counts(self) -> None:
        evs = sse_events(b"id: 5\n\ndata: a\n\n")
        assert [e.id for e in evs] == ["5"]

    def test_id_with_nul_is_ignored(self) -> None:
        splitter = LineSplitter()
        decoder = SSEDecoder()
        out: list[SSEEvent] = []
        decoder.feed(splitter.feed(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"), out)
        assert [e.id for e in out] == ["1", "1"]
        assert decoder.last_event_id == "1"

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            (b"retry: 3000", 3000),
            (b"retry:15", 15),
            (b"retry: 12a", None),
            (b"retry: -1", None),
            (b"retry: 1.5", None),
            (b"retry:", None),
            (b"retry:  10", None),
            ("retry: \u0663".encode(), None),  # ARABIC-INDIC DIGIT THREE is not ASCII
        ],
    )
    def test_retry_takes_ascii_digits_only(self, line: bytes, expected: int | None) -> None:
        splitter = LineSplitter()
        decoder = SSEDecoder()
        decoder.feed(splitter.feed(line + b"\n\n"), [])
        assert decoder.retry == expected

    def test_unknown_fields_are_ignored(self) -> None:
        assert sse_events(b"foo: bar\nDATA: x\ndata: y\n\n") == [SSEEvent("message", b"y", "")]

    def test_event_without_trailing_blank_line_is_discarded(self) -> None:
        assert sse_events(b"data: a\n\ndata: b\n") == [SSEEvent("message", b"a", "")]
        assert sse_events(b"data: a\n\ndata: b") == [SSEEvent("message", b"a", "")]

    def test_u2028_and_u0085_inside_data(self) -> None:
        payload = "x\u2028y\u0085z\u2029"
        evs = sse_events(f"data: {payload}\n\n".encode())
        assert [e.data.decode() for e in evs] == [payload]

    def test_cr_and_crlf_terminators(self) -> None:
        evs = sse_events(b"data: a\r\rdata: b\r\n\r\ndata: c\n\n")
        assert [e.data for e in evs] == [b"a", b"b", b"c"]


class TestSSEThroughTheDecoder:
    def test_raw_events_keep_name_data_and_id(self) -> None:
        body = b'id: 1\nevent: tick\ndata: {"n": 1}\n\ndata: not json\n\n'
        events = StreamDecoder(protocol="sse").decode(body)
        assert events == [
            {"type": "raw", "event": "tick", "data": {"n": 1}, "id": "1"},
            {"type": "raw", "event": "message", "data": "not json", "id": "1"},
        ]

    def test_last_event_id_and_retry_are_exposed(self) -> None:
        decoder = StreamDecoder(content_type="text/event-stream")
        decoder.feed(b"retry: 250\nid: abc\ndata: 1\n\nid: x\x00y\n\n")
        assert decoder.last_event_id == "abc"
        assert decoder.retry == 250

    def test_event_without_blank_line_at_eof_is_discarded(self) -> None:
        body = b'data: {"type": "text-delta", "textDelta": "a"}\n\ndata: {"type": "text-delta", "textDelta": "b"}\n'
        events = StreamDecoder(content_type="text/event-stream").decode(body)
        assert [e.get("delta") for e in events] == ["a"]

    def test_bom_and_u2028_in_assistant_transport(self) -> None:
        text = "line\u2028sep\u0085next \U0001f600"
        frame = json.dumps({"type": "text-delta", "textDelta": text}, ensure_ascii=False)
        body = BOM + f"data: {frame}\n\ndata: [DONE]\n\n".encode()
        for pieces in ([body], [body[i : i + 1] for i in range(len(body))]):
            events = decode_pieces(pieces, content_type="text/event-stream")
            assert events == [{"type": "text-delta", "delta": text}]

    def test_done_stops_decoding(self) -> None:
        body = (
            b'data: {"type": "text-delta", "textDelta": "a"}\n\n'
            b"data: [DONE]\n\n"
            b'data: {"type": "text-delta", "textDelta": "b"}\n\n'
        )
        decoder = StreamDecoder(content_type="text/event-stream")
        events = decoder.decode(body)
        assert [e.get("delta") for e in events] == ["a"]
        assert decoder.done

    def test_data_stream_u2028_is_inside_the_record(self) -> None:
        text = "a\u2028b\u0085c\u2029d"
        body = ("0:" + json.dumps(text, ensure_ascii=False) + "\n").encode()
        assert StreamDecoder(content_type="text/plain").decode(body) == [
            {"type": "text-delta", "delta": text}
        ]

    def test_multibyte_character_split_across_reads(self) -> None:
        body = '0:"\U0001f600é中"\n'.encode()
        for cut in range(1, len(body)):
            events = decode_pieces([body[:cut], body[cut:]], content_type="text/plain")
            assert events == [{"type": "text-delta", "delta": "\U0001f600é中"}], cut

    def test_plain_text_multibyte_split(self) -> None:
        body = "héllo \U0001f600".encode()
        pieces = [body[i : i + 1] for i in range(len(body))]
        events = decode_pieces(pieces, content_type="text/plain; charset=utf-8")
        assert "".join(e["delta"] for e in events) == "héllo \U0001f600"


# -- split invariance (hypothesis) ---------------------------------------------------------

_SPECIAL = ["\u2028", "\u2029", "\u0085", "é", "中", "\U0001f600", "\r", "\n", "\r\n", '"', "\\", ":", "\ufeff"]
texts = st.lists(
    st.one_of(st.sampled_from(_SPECIAL), st.text(st.characters(codec="utf-8"), max_size=6)),
    max_size=4,
).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
call_ids = st.sampled_from(["c1", "c2", "c3"])


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """A random run: what a server could emit, independent of the wire format."""
    ops: list[tuple[Any, ...]] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(
            st.sampled_from(
                ["text", "text", "reasoning", "tool", "data", "source", "file", "state", "step", "error", "annotations", "aui-data"]
            )
        )
        if kind in ("text", "reasoning"):
            ops.append((kind, draw(texts), draw(st.sampled_from([None, "p1"]))))
        elif kind == "tool":
            call_id = draw(call_ids)
            if call_id in used:
                continue
            used.add(call_id)
            args = draw(st.dictionaries(texts, json_values, max_size=3))
            text = json.dumps(args, ensure_ascii=draw(st.booleans()))
            cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=3)))
            pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if text[a:b]]
            result = draw(st.one_of(st.just(None), st.tuples(json_values, st.booleans())))
            ops.append(("tool", call_id, draw(st.sampled_from(["get_weather", "ask"])), pieces, result))
        elif kind == "data":
            ops.append(("data", draw(json_values)))
        elif kind == "annotations":
            ops.append(("annotations", draw(st.lists(json_values, max_size=2))))
        elif kind == "aui-data":
            ops.append(("aui-data", draw(st.sampled_from(["chart", "table"])), draw(json_values)))
        elif kind == "source":
            ops.append(("source", draw(st.sampled_from(["s1", "s2"])), "https://example.com/" + draw(st.sampled_from(["a", "é"])), draw(st.none() | texts)))
        elif kind == "file":
            ops.append(("file", "aGVsbG8=", "text/plain"))
        elif kind == "state":
            ops.append(("state", [{"type": "set", "path": ["k"], "value": draw(json_values)}, {"type": "set", "path": ["log"], "value": ""}, {"type": "append-text", "path": ["log"], "value": draw(texts)}]))
        elif kind == "step":
            ops.append(("step", draw(st.sampled_from(["stop", "tool-calls", "length"])), draw(st.integers(0, 99))))
        elif kind == "error":
            ops.append(("error", draw(texts)))
    return ops


def _dumps(value: Any, ascii_: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_)


def data_stream_lines(ops: list[tuple[Any, ...]], ascii_: bool) -> list[str]:
    lines: list[str] = []
    for op in ops:
        kind = op[0]
        if kind == "text":
            if op[2] is None:
                lines.append("0:" + _dumps(op[1], ascii_))
            else:
                lines.append("aui-text-delta:" + _dumps({"textDelta": op[1], "parentId": op[2]}, ascii_))
        elif kind == "reasoning":
            if op[2] is None:
                lines.append("g:" + _dumps(op[1], ascii_))
            else:
                lines.append("aui-reasoning-delta:" + _dumps({"reasoningDelta": op[1], "parentId": op[2]}, ascii_))
        elif kind == "tool":
            _, call_id, name, pieces, result = op
            lines.append("b:" + _dumps({"toolCallId": call_id, "toolName": name}, ascii_))
            for piece in pieces:
                lines.append("c:" + _dumps({"toolCallId": call_id, "argsTextDelta": piece}, ascii_))
            if result is not None:
                lines.append("a:" + _dumps({"toolCallId": call_id, "result": result[0], "isError": result[1]}, ascii_))
        elif kind == "data":
            lines.append("2:" + _dumps([op[1]], ascii_))
        elif kind == "annotations":
            lines.append("8:" + _dumps(op[1], ascii_))
        elif kind == "aui-data":
            lines.append("aui-data:" + _dumps({"name": op[1], "data": op[2]}, ascii_))
        elif kind == "source":
            src = {"sourceType": "url", "id": op[1], "url": op[2]}
            if op[3] is not None:
                src["title"] = op[3]
            lines.append("h:" + _dumps(src, ascii_))
        elif kind == "file":
            lines.append("k:" + _dumps({"data": op[1], "mimeType": op[2]}, ascii_))
        elif kind == "state":
            lines.append("aui-state:" + _dumps(op[1], ascii_))
        elif kind == "step":
            lines.append("f:" + _dumps({"messageId": "m"}, ascii_))
            lines.append("e:" + _dumps({"finishReason": op[1], "usage": {"inputTokens": op[2], "outputTokens": 1}, "isContinued": False}, ascii_))
        elif kind == "error":
            lines.append("3:" + _dumps(op[1], ascii_))
        lines.append("")  # Py heartbeat: a blank line
    return lines


def assistant_transport_frames(ops: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    count = 0
    target: tuple[str, Any, int] | None = None

    def close_target() -> None:
        nonlocal target
        if target is not None:
            frames.append({"type": "part-finish", "path": [target[2]]})
            target = None

    def new_part(part: dict[str, Any]) -> int:
        nonlocal count
        frames.append({"type": "part-start", "part": part, "path": []})
        count += 1
        return count - 1

    for op in ops:
        kind = op[0]
        if kind in ("text", "reasoning"):
            if target is None or target[0] != kind or target[1] != op[2]:
                close_target()
                part: dict[str, Any] = {"type": kind}
                if op[2] is not None:
                    part["parentId"] = op[2]
                target = (kind, op[2], new_part(part))
            frames.append({"type": "text-delta", "textDelta": op[1], "path": [target[2]]})
        elif kind == "tool":
            close_target()
            _, call_id, name, pieces, result = op
            index = new_part({"type": "tool-call", "toolCallId": call_id, "toolName": name})
            for piece in pieces:
                frames.append({"type": "text-delta", "textDelta": piece, "path": [index]})
            if result is not None:
                frames.append({"type": "result", "result": result[0], "isError": result[1], "path": [index]})
            if not pieces:
                frames.append({"type": "text-delta", "textDelta": "{}", "path": [index]})
            frames.append({"type": "tool-call-args-text-finish", "path": [index]})
            frames.append({"type": "part-finish", "path": [index]})
        elif kind == "data":
            frames.append({"type": "data", "data": [op[1]]})
        elif kind == "annotations":
            frames.append({"type": "annotations", "annotations": op[1]})
        elif kind == "aui-data":
            close_target()
            index = new_part({"type": "data", "name": op[1], "data": op[2]})
            frames.append({"type": "part-finish", "path": [index]})
        elif kind == "source":
            close_target()
            src = {"type": "source", "sourceType": "url", "id": op[1], "url": op[2]}
            if op[3] is not None:
                src["title"] = op[3]
            frames.append({"type": "part-finish", "path": [new_part(src)]})
        elif kind == "file":
            close_target()
            frames.append({"type": "part-finish", "path": [new_part({"type": "file", "data": op[1], "mimeType": op[2]})]})
        elif kind == "state":
            frames.append({"type": "update-state", "operations": op[1]})
        elif kind == "step":
            frames.append({"type": "step-start", "messageId": "m"})
            frames.append({"type": "step-finish", "finishReason": op[1], "usage": {"inputTokens": op[2], "outputTokens": 1}, "isContinued": False})
        elif kind == "error":
            frames.append({"type": "error", "error": op[1]})
    close_target()
    return frames


def sse_lines(frames: list[dict[str, Any]], ascii_: bool, multiline: bool, comments: bool) -> list[str]:
    lines: list[str] = []
    for i, frame in enumerate(frames):
        if comments and i % 3 == 0:
            lines.append(": heartbeat")
            lines.append("")
        text = json.dumps(frame, ensure_ascii=ascii_, indent=1 if multiline else None)
        if comments and i % 4 == 1:
            lines.append(f"id: {i}")
        lines.extend("data: " + piece for piece in text.split("\n"))
        lines.append("")
    lines.append("data: [DONE]")
    lines.append("")
    return lines


def join_lines(lines: list[str], terminators: list[str], final: bool = True) -> bytes:
    """Join with the chosen terminators, never letting a CR + LF pair swallow a blank line."""
    out: list[str] = []
    previous = ""
    for i, line in enumerate(lines):
        term = terminators[i % len(terminators)]
        if line == "" and previous == "\r" and term == "\n":
            term = "\r\n"
        if i == len(lines) - 1 and not final:
            term = ""
        out.append(line + term)
        previous = term
    return "".join(out).encode()


def interesting_cuts(body: bytes) -> list[int]:
    cuts = [i + 1 for i, b in enumerate(body) if b == 0x0D]  # between CR and what follows
    cuts += [i for i, b in enumerate(body) if 0x80 <= b <= 0xBF]  # inside a UTF-8 sequence
    cuts += [1, 2]
    return [c for c in cuts if 0 < c < len(body)] or [0]


def pieces_at(body: bytes, cuts: set[int]) -> list[bytes]:
    points = sorted(c for c in cuts if 0 < c < len(body))
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


terminator_lists = st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=4)
SPLIT_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@SPLIT_SETTINGS
@given(
    ops=operations(),
    ascii_=st.booleans(),
    terms=terminator_lists,
    final=st.booleans(),
    bom=st.booleans(),
    content_type=st.sampled_from(["text/plain; charset=utf-8", None]),
    data=st.data(),
)
def test_data_stream_split_invariance(
    ops: list[tuple[Any, ...]],
    ascii_: bool,
    terms: list[str],
    final: bool,
    bom: bool,
    content_type: str | None,
    data: st.DataObject,
) -> None:
    lines = data_stream_lines(ops, ascii_)
    if not lines:
        lines = ["0:" + json.dumps("")]
    body = (BOM if bom else b"") + join_lines(lines, terms, final)
    reference = (BOM if bom else b"") + join_lines(lines, ["\n"])
    kwargs: dict[str, Any] = {"content_type": content_type}
    whole = decode_pieces([body], **kwargs)
    assert whole == decode_pieces([reference], **kwargs)
    assert decode_pieces([body[i : i + 1] for i in range(len(body))], **kwargs) == whole
    cuts = data.draw(
        st.sets(st.sampled_from(interesting_cuts(body)) | st.integers(0, len(body)), max_size=40)
    )
    assert decode_pieces(pieces_at(body, cuts), **kwargs) == whole
    assert accumulate(whole)["content"] == accumulate(decode_pieces(pieces_at(body, cuts), **kwargs))["content"]


@SPLIT_SETTINGS
@given(
    ops=operations(),
    ascii_=st.booleans(),
    multiline=st.booleans(),
    comments=st.booleans(),
    terms=terminator_lists,
    bom=st.booleans(),
    content_type=st.sampled_from(["text/event-stream", None]),
    data=st.data(),
)
def test_assistant_transport_split_invariance(
    ops: list[tuple[Any, ...]],
    ascii_: bool,
    multiline: bool,
    comments: bool,
    terms: list[str],
    bom: bool,
    content_type: str | None,
    data: st.DataObject,
) -> None:
    frames = assistant_transport_frames(ops)
    lines = sse_lines(frames, ascii_, multiline, comments)
    body = (BOM if bom else b"") + join_lines(lines, terms)
    reference = (BOM if bom else b"") + join_lines(sse_lines(frames, True, False, False), ["\n"])
    kwargs: dict[str, Any] = {"content_type": content_type}
    whole = decode_pieces([body], **kwargs)
    assert whole == decode_pieces([reference], **kwargs)
    assert decode_pieces([body[i : i + 1] for i in range(len(body))], **kwargs) == whole
    cuts = data.draw(
        st.sets(st.sampled_from(interesting_cuts(body)) | st.integers(0, len(body)), max_size=40)
    )
    assert decode_pieces(pieces_at(body, cuts), **kwargs) == whole
    # the same run through both wire formats gives the same parts
    ds = decode_pieces([join_lines(data_stream_lines(ops, True), ["\n"])], content_type="text/plain")
    assert accumulate(whole)["content"] == accumulate(ds)["content"]


# -- linear cost ------------------------------------------------------------------------------

BIG = 16 * 1024 * 1024


@pytest.mark.timeout(30)
def test_one_huge_sse_event_in_small_pieces_is_linear() -> None:
    text = "x" * BIG
    body = (
        'data: {"type": "part-start", "part": {"type": "text"}, "path": []}\n\n'
        'data: {"type": "text-delta", "path": [0], "textDelta": "' + text + '"}\n\n'
        "data: [DONE]\n\n"
    ).encode()
    decoder = StreamDecoder(content_type="text/event-stream")
    events: list[Any] = []
    view = memoryview(body)
    for i in range(0, len(body), 1024):
        events.extend(decoder.feed(bytes(view[i : i + 1024])))
    events.extend(decoder.end())
    assert len(events) == 2
    assert len(events[1]["delta"]) == BIG


@pytest.mark.timeout(30)
@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_one_huge_data_stream_line_in_small_pieces_is_linear(content_type: str | None) -> None:
    # a data stream whose first record is larger than any sniffing window (a big file)
    body = b'k:{"data": "' + b"A" * BIG + b'", "mimeType": "image/png"}\n0:"done"\n'
    decoder = StreamDecoder(content_type=content_type)
    events: list[Any] = []
    view = memoryview(body)
    for i in range(0, len(body), 1024):
        events.extend(decoder.feed(bytes(view[i : i + 1024])))
    events.extend(decoder.end())
    assert decoder.protocol == "data-stream"
    assert [e["type"] for e in events] == ["file", "text-delta"]
    assert len(events[0]["data"]) == BIG


@pytest.mark.timeout(30)
def test_many_small_text_deltas_accumulate_linearly() -> None:
    body = b'0:"ab"\n' * 300_000
    decoder = StreamDecoder(content_type="text/plain")
    events: list[Any] = []
    for i in range(0, len(body), 1024):
        events.extend(decoder.feed(body[i : i + 1024]))
    events.extend(decoder.end())
    message = accumulate(events)
    assert message["content"] == [{"type": "text", "text": "ab" * 300_000}]


def test_data_stream_first_line_longer_than_sniff_window_is_not_plain_text() -> None:
    # Py's DataStreamResponse sends text/plain with no header: a big first record
    # (a file or a state snapshot) must still be recognized as a data stream
    state = [{"type": "set", "path": [], "value": {"blob": "z" * 200_000}}]
    body = b"\n" + b"aui-state:" + json.dumps(state).encode() + b'\n0:"hi"\n'
    events = decode_pieces([body[i : i + 4096] for i in range(0, len(body), 4096)], content_type="text/plain")
    assert [e["type"] for e in events] == ["state-update", "text-delta"]


def test_over_long_first_data_stream_line_is_a_decode_error() -> None:
    decoder = StreamDecoder(content_type="text/plain", max_event_size=100_000)
    decoder.feed(b'0:"')
    with pytest.raises(DecodeError):
        for _ in range(200):
            decoder.feed(b"x" * 1000)


def test_plain_text_that_looks_like_a_code_is_still_plain_text() -> None:
    body = b"1: first, not JSON at all " * 5000
    decoder = StreamDecoder(content_type="text/plain")
    events: list[Any] = []
    for i in range(0, len(body), 1000):
        events.extend(decoder.feed(body[i : i + 1000]))
    events.extend(decoder.end())
    assert decoder.protocol == "plain-text"
    assert "".join(e["delta"] for e in events) == body.decode()


def test_sniffing_waits_for_a_whole_aws_prelude_even_if_it_contains_a_line_end() -> None:
    import struct
    import zlib

    payload = b"x" * 250  # total length 266 = 0x0000010a: the prelude holds a LF byte
    prelude = struct.pack(">II", 16 + len(payload), 0)
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + payload
    body += struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    assert b"\n" in body[:12]
    decoder = StreamDecoder()
    events: list[Any] = []
    for i in range(len(body)):
        events.extend(decoder.feed(body[i : i + 1]))
    events.extend(decoder.end())
    assert decoder.protocol == "aws-eventstream"
    assert len(events) == 1 and events[0]["type"] == "raw"
