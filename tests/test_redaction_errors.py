"""The call's own credentials never reach an error or a log line (``_redaction.py``).

Each case makes a real error through a real client (a loopback server, or respx
over a real httpx client) and checks that what the client raised carries no canary
in its message, ``repr``, traceback or cause chain (the transport records the call's
secrets with :func:`attach_secrets`; the call core raises through
:func:`redact_for_request`), and that redacting again changes nothing.
"""

from __future__ import annotations

import json
import logging
import struct
import traceback
import zlib
from collections.abc import Iterator

import httpx
import pytest
import respx

from assistant_ui import (
    AssistantClient,
    AssistantUIError,
    DecodeError,
    StreamError,
    user,
)
from assistant_ui._log import (
    REDACTED,
    RedactingFilter,
    attach_secrets,
    is_sensitive_header,
    log_failure,
    log_request,
    redact_error,
    redact_for_request,
    redact_text,
    secrets_of_request,
)
from assistant_ui._redacted_errors import RedactedError
from assistant_ui._redaction import expand_secrets
from assistant_ui.auth import api_key
from assistant_ui.errors import APIConnectionError, APIStatusError
from assistant_ui.testing import FakeBackend, serve

pytestmark = pytest.mark.timeout(60)

CANARY = "sk-CANARY-93kd"
DS = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}


def shown(exc: BaseException) -> str:
    return "\n".join(
        [str(exc), repr(exc), "".join(traceback.format_exception(exc)), str(exc.args)]
    )


def chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    todo = [exc]
    while todo and len(out) < 32:
        current = todo.pop()
        if any(current is seen for seen in out):
            continue
        out.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
    return out


def assert_clean(exc: BaseException) -> None:
    for link in chain(exc):
        text = shown(link)
        assert CANARY not in text, text  # the value (source lines name the constant)
        for name in ("message", "body"):
            assert CANARY not in json.dumps(getattr(link, name, None), default=str)


@pytest.fixture(scope="module")
def backend_url() -> Iterator[str]:
    with serve(FakeBackend()) as url:
        yield url


# -- header values h11 refuses are quoted verbatim ---------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": CANARY + "\n"},  # a key read from a file, newline and all
        {"X-API-Key": CANARY + " "},
        {"X-Custom": CANARY + " "},  # a name that does not say "credential"
        {"Authorization": f"Bearer {CANARY}\t"},
    ],
    ids=["newline", "space", "any-name", "tab"],
)
def test_a_refused_header_value_is_redacted_in_the_error_and_its_chain(
    backend_url: str, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="assistant_ui")
    with AssistantClient(backend_url, headers=headers, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    error = info.value
    assert_clean(error)  # the facade redacts every error it raises
    name = next(iter(headers))
    if is_sensitive_header(name):  # the lines logged during the call are clean already
        assert caplog.records and CANARY not in caplog.text
    attach_secrets(error.request, headers)  # the facade's call after _build
    assert redact_error(error, secrets_of_request(error.request)) is error
    assert_clean(error)
    assert "Illegal header value" in str(error) and REDACTED in str(error)
    # the debug lines about that request, with the request's secrets
    caplog.clear()
    log_request(error.request, 0, 0)
    log_failure(error.request, "LocalProtocolError: Illegal header value " + repr(
        next(iter(headers.values())).encode()))
    assert caplog.records and "CANARY" not in caplog.text


def test_api_key_callable_with_a_trailing_space_is_trimmed() -> None:
    backend = FakeBackend(responder=lambda body: "ok")
    with serve(backend) as url, AssistantClient(url, headers=api_key(lambda: CANARY + " \n")) as client:
        assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"
    assert backend.chat_requests[-1].headers["x-api-key"] == CANARY


# -- what the server echoes ------------------------------------------------------------------------------


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_an_in_band_error_echoing_the_key(mock: respx.MockRouter) -> None:
    body = '0:"partial "\n3:' + json.dumps(f"Incorrect API key provided: {CANARY}") + "\n"
    mock.post("https://api.test/api/chat").mock(return_value=httpx.Response(200, text=body, headers=DS))
    headers = {"X-Custom-Cred": CANARY}
    with AssistantClient("https://api.test", headers=headers, max_retries=0) as client:
        with pytest.raises(StreamError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    error = info.value
    assert_clean(error)  # the facade redacts every error it raises
    request = mock.calls.last.request
    redact_error(error, [*attach_secrets(request, headers), *secrets_of_request(request)])
    assert_clean(error)
    assert "Incorrect API key provided" in str(error)


def test_a_query_value_echoed_in_a_status_error(mock: respx.MockRouter) -> None:
    mock.route(host="api.test").mock(return_value=httpx.Response(403, text=f"unknown key {CANARY}"))
    base_url = f"https://api.test/?api_key={CANARY}"
    with AssistantClient(base_url, max_retries=0) as client:
        with pytest.raises(APIStatusError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    error = info.value
    assert_clean(error)  # the facade redacts every error it raises
    attach_secrets(error.request, base_url=base_url)  # the facade's call after _build
    redact_error(error, secrets_of_request(error.request))
    assert_clean(error)
    assert error.body == f"unknown key {REDACTED}" and "HTTP 403" in str(error)


def _frame_with_header_name(name: bytes) -> bytes:
    """An AWS event-stream message whose header ``name`` has a value cut short."""
    block = bytes([len(name)]) + name + bytes([7])  # a string value, but no length follows
    total = 12 + len(block) + 4
    prelude = struct.pack(">II", total, len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + block
    return message + struct.pack(">I", zlib.crc32(message))


def test_an_event_stream_decode_error_quoting_a_header_name_equal_to_the_token(
    mock: respx.MockRouter,
) -> None:
    mock.post("https://api.test/api/chat").mock(return_value=httpx.Response(
        200,
        content=_frame_with_header_name(CANARY.encode()),
        headers={"content-type": "application/vnd.amazon.eventstream"},
    ))
    headers = {"Authorization": f"Bearer {CANARY}"}
    with AssistantClient("https://api.test", headers=headers, max_retries=0) as client:
        with pytest.raises(DecodeError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    error = info.value
    assert_clean(error)  # the facade redacts every error it raises
    redact_error(error, secrets_of_request(mock.calls.last.request))
    assert_clean(error)
    assert "runs past the header block" in str(error)


# -- redact_error itself -------------------------------------------------------------------------------------


class Opaque(Exception):
    """An exception whose text comes from an attribute redaction does not know."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value

    def __str__(self) -> str:
        return f"cannot send {self.value}"


def test_a_chained_exception_that_cannot_be_rewritten_is_replaced() -> None:
    def fail() -> None:
        try:
            try:
                raise KeyError("first")
            except KeyError:
                raise Opaque(CANARY) from None
        except Opaque as exc:
            raise APIConnectionError("connection failed") from exc

    with pytest.raises(APIConnectionError) as info:
        fail()
    error = info.value
    assert CANARY in "".join(traceback.format_exception(error))
    redact_error(error, [CANARY])
    assert_clean(error)
    stand_in = error.__cause__
    assert isinstance(stand_in, RedactedError)
    assert str(stand_in) == f"{__name__}.Opaque: cannot send {REDACTED}"
    assert stand_in.__traceback__ is not None and stand_in.__suppress_context__


def test_cause_and_context_the_same_object_and_notes() -> None:
    inner = ValueError(f"bad {CANARY}")
    inner.add_note(f"while sending {CANARY}")
    outer = AssistantUIError(f"outer {CANARY!r}")
    outer.__cause__ = inner
    outer.__context__ = inner
    redact_error(outer, [CANARY])
    assert_clean(outer)
    assert outer.__cause__ is inner and outer.__context__ is inner
    assert inner.__notes__ == [f"while sending {REDACTED}"]


def test_a_cycle_in_the_chain_ends() -> None:
    a, b = ValueError(CANARY), ValueError(CANARY)
    a.__context__, b.__context__ = b, a
    redact_error(a, [CANARY])
    assert CANARY not in str(a) + str(b)


def test_quoted_forms_of_a_secret() -> None:
    secret = f"{CANARY}\t+/é"
    forms = expand_secrets([secret])
    for form in (repr(secret.encode())[2:-1], json.dumps(secret)[1:-1], "sk-CANARY-93kd%09%2B%2F%C3%A9"):
        assert form in forms
        assert redact_text(f"x {form} y", [secret]) == f"x {REDACTED} y"
    assert expand_secrets(["abc", "   "]) == []  # too short to search for


def test_a_token_with_a_tab_is_redacted_whole_by_its_shape() -> None:
    for text in (f"Authorization: Bearer tok\t{CANARY}", f"X-API-Key: part1\t{CANARY}",
                 f'{{"api_key": tok\t{CANARY}}}'):
        assert "CANARY" not in redact_text(text), text


# -- the log filter ---------------------------------------------------------------------------------------------


def test_the_filter_uses_the_request_s_own_secrets_whatever_the_names() -> None:
    request = httpx.Request("POST", "https://api.test/api/chat", headers={"X-Org-Ref": CANARY})
    attach_secrets(request, {"X-Org-Ref": CANARY})
    seen: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: seen.append(  # type: ignore[method-assign]
        record.getMessage() + (record.exc_text or ""))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("assistant_ui")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        log_request(request, 0, 1)
        log_failure(request, f"ReadError: peer said {CANARY}")
        try:
            raise RuntimeError(f"boom {CANARY}")
        except RuntimeError:
            logger.debug("%s", "unexpected", exc_info=True, extra={"assistant_ui_secrets": [CANARY]})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert len(seen) == 3
    for line in seen:
        assert CANARY not in line, line
    assert "x-org-ref" in seen[0].lower()


def test_attach_secrets_skips_short_plain_values_and_keeps_what_is_named_secret() -> None:
    request = httpx.Request("POST", "https://u:pw-CANARY@api.test/api/chat?key=q-CANARY&v=1")
    secrets = attach_secrets(
        request, {"X-Org": "acme", "X-Token": "t-CANARY", "X-Trace": "long-plain-CANARY"},
        base_url="https://u:pw-CANARY@api.test/?key=q-CANARY",
    )
    assert "acme" not in secrets
    assert {"t-CANARY", "long-plain-CANARY", "pw-CANARY", "q-CANARY"} <= set(secrets)
    assert {"t-CANARY", "long-plain-CANARY", "pw-CANARY", "q-CANARY"} <= set(secrets_of_request(request))




def test_the_log_lines_of_a_real_call_whose_header_h11_refuses(
    backend_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: ``request failed: POST ...: LocalProtocolError: Illegal header value
    b'sk-...\\n'`` at DEBUG, and the same in the retry line at INFO."""
    caplog.set_level(logging.DEBUG, logger="assistant_ui")
    with AssistantClient(backend_url, headers={"X-API-Key": CANARY + "\n"}, max_retries=1) as client:
        with pytest.raises(APIConnectionError):
            client.threads("t").chat_sync(messages=[user("hi")])
    messages = [record.getMessage() for record in caplog.records]
    assert any("Illegal header value" in m for m in messages), messages
    assert any(m.startswith("retrying") for m in messages), messages
    for message in messages:
        assert CANARY not in message, message


def test_redact_for_request_covers_the_cause_set_by_raise_from() -> None:
    """The facade's form: ``raise redact_for_request(error, request, exc) from exc``
    inside ``except exc``: the cause and the context it becomes are scrubbed too."""
    request = httpx.Request("POST", "https://api.test/api/chat", headers={"X-Org-Ref": CANARY})
    attach_secrets(request, {"X-Org-Ref": CANARY})

    def fail() -> None:
        try:
            raise httpx.LocalProtocolError(f"Illegal header value {CANARY.encode()!r}")
        except httpx.LocalProtocolError as exc:
            error = APIConnectionError(f"connection failed: {exc}", request=request)
            raise redact_for_request(error, request, exc) from exc

    with pytest.raises(APIConnectionError) as info:
        fail()
    assert info.value.__cause__ is info.value.__context__
    assert_clean(info.value)
