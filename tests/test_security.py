"""Security properties (see SECURITY.md).

* secrets never in logs, reprs or exception messages, on the failure paths that
  tests/test_logging_redaction.py does not already cover (DecodeError, StreamError,
  connection errors with credentials in the URL, the client's repr);
* no credential sent to another origin when a redirect is followed;
* TLS verification on by default;
* user and server values placed in a URL are percent-encoded, one path segment each;
* response bodies quoted in error messages are truncated.

Servers bind to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import logging
import socket
import ssl
import threading
import traceback
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant_ui import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AssistantClient,
    StreamError,
    user,
)
from assistant_ui._call.status_errors import make_status_error
from assistant_ui._log import redact_url
from assistant_ui._transports.redirects import RedirectGuard, merge_event_hooks, same_origin
from assistant_ui._wire.eventstream_encoding import encode_message
from assistant_ui._wire.requests import format_path
from assistant_ui.auth import api_key
from assistant_ui.decoding import StreamDecoder
from assistant_ui.errors import BODY_EXCERPT_LIMIT, DecodeError

pytestmark = pytest.mark.timeout(60)

CANARY = "sk-CANARY-5678"
CRED_HEADERS = {
    "Authorization": f"Bearer {CANARY}",
    "X-API-Key": CANARY,
    "Cookie": f"session={CANARY}",
    "X-Session-Token": CANARY,
}
DS = {"content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1"}


def texts_of(*objects: Any, caplog: pytest.LogCaptureFixture | None = None) -> list[str]:
    """Every text a secret could leak into: str, repr, the formatted traceback, logs."""
    out: list[str] = []
    if caplog is not None:
        out.append(caplog.text)
        out += [r.getMessage() for r in caplog.records]
    for obj in objects:
        out += [str(obj), repr(obj)]
        if isinstance(obj, BaseException):
            out.append("".join(traceback.format_exception(obj)))
            out.append(str(getattr(obj, "message", "")))
            partial = getattr(obj, "partial", None)
            if partial is not None:
                out += [repr(partial), json.dumps(partial.message.get("status"), default=str)]
    return out


def assert_no_canary(*objects: Any, caplog: pytest.LogCaptureFixture | None = None) -> None:
    for text in texts_of(*objects, caplog=caplog):
        assert "CANARY-" not in text, text  # the value, not the name in a source line


# -- loopback servers ----------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[tuple[str, str, dict[str, str]]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        type(self).seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = type(self).routes.get(self.path.split("?")[0])
        if route is None:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        status, headers, body = route
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up early (a refused certificate, a body read in part)


@contextlib.contextmanager
def serve(routes: dict[str, Any], tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[Any]]]:
    handler = type("Handler", (_Handler,), {"routes": routes, "seen": []})
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}", handler.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


OK_STREAM = (200, DS, b'0:"ok"\n')


# -- reprs -----------------------------------------------------------------------------------------------


def test_client_repr_hides_credentials_in_the_base_url() -> None:
    client = AssistantClient(f"https://user:{CANARY}@host.test/?api_key={CANARY}")
    assert_no_canary(client, client.threads("t"))


def test_redact_url_is_the_fix_for_the_client_repr() -> None:
    url = f"https://user:{CANARY}@host.test/base?api_key={CANARY}&x=1"
    redacted = redact_url(url)
    assert "CANARY" not in redacted
    assert redacted.startswith("https://user:") and "host.test/base" in redacted and "x=1" in redacted


def test_invalid_base_url_error_hides_credentials() -> None:
    with pytest.raises(ValueError) as info:
        AssistantClient(f"ftp://user:{CANARY}@host.test/")
    assert_no_canary(info.value)


# -- exception messages ------------------------------------------------------------------------------------


def test_decode_error_messages_are_redacted_and_bounded() -> None:
    exc = DecodeError("x" * 10_000 + f" Authorization: Bearer {CANARY}", protocol="sse", offset=3)
    assert_no_canary(exc)
    assert len(str(exc)) < BODY_EXCERPT_LIMIT + 100
    exc = DecodeError(f"header 'api_key={CANARY}' is bad", protocol="aws-eventstream", offset=0)
    assert_no_canary(exc)
    assert exc.protocol == "aws-eventstream" and exc.offset == 0


def _aws_echo_body() -> bytes:
    # a hostile backend puts the credential it received into a header *name* and
    # repeats it: the framing error quotes the (duplicate) name
    good = encode_message({":event-type": "assistantResponseEvent"}, b'{"content": "hi "}')
    name = f"authorization: Bearer {CANARY}"
    bad = bytearray(encode_message({name: "a", name[:-1] + "X": "b"}))
    # make the second name equal the first, then fix both CRCs
    pos = bytes(bad).rfind((name[:-1] + "X").encode())
    bad[pos + len(name) - 1] = ord(name[-1])
    import struct
    import zlib

    bad[8:12] = struct.pack(">I", zlib.crc32(bytes(bad[:8])) & 0xFFFFFFFF)
    bad[-4:] = struct.pack(">I", zlib.crc32(bytes(bad[:-4])) & 0xFFFFFFFF)
    return good + bytes(bad)


def test_decode_error_from_the_body_never_quotes_the_credential() -> None:
    decoder = StreamDecoder(headers={"content-type": "application/vnd.amazon.eventstream"})
    events = decoder.feed(_aws_echo_body())
    assert events == [{"type": "text-delta", "delta": "hi "}]
    with pytest.raises(DecodeError) as info:
        decoder.end()
    assert "duplicate header" in info.value.message
    assert_no_canary(info.value)


def test_decode_error_through_the_client(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = _aws_echo_body()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/vnd.amazon.eventstream"})

    client = AssistantClient("http://backend.test", headers=dict(CRED_HEADERS), transport=httpx.MockTransport(handler))
    with client, pytest.raises(DecodeError) as info:
        client.threads("t").chat_sync(messages=[user("hi")])
    assert info.value.partial is not None
    assert info.value.partial.message["content"] == [{"type": "text", "text": "hi "}]
    assert_no_canary(info.value, caplog=caplog)


def test_stream_error_message_is_redacted_and_bounded() -> None:
    exc = StreamError("y" * 10_000 + f" upstream said: api_key={CANARY}")
    assert_no_canary(exc)
    assert len(str(exc)) < 2100


def test_status_error_quotes_a_truncated_excerpt() -> None:
    request = httpx.Request("POST", "http://backend.test/api/chat", headers=CRED_HEADERS)
    body = f"token={CANARY} " + "z" * 100_000 + f" Bearer {CANARY}"
    exc = make_status_error(httpx.Response(500, request=request), body)
    assert len(exc.message) < BODY_EXCERPT_LIMIT + 100
    assert "more characters" in exc.message
    assert_no_canary(exc)


def test_huge_error_body_is_read_partly_and_quoted_briefly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = (f"echo: Authorization: Bearer {CANARY}\n" + "e" * 5_000_000).encode()
    with serve({"/api/chat": (500, {"content-type": "text/plain"}, body)}) as (url, _):
        client = AssistantClient(url, headers=dict(CRED_HEADERS), max_retries=0)
        with client, pytest.raises(APIStatusError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    assert info.value.status_code == 500
    assert len(info.value.message) < BODY_EXCERPT_LIMIT + 100
    assert isinstance(info.value.body, str) and len(info.value.body) <= 64 * 1024
    assert_no_canary(info.value, caplog=caplog)


@pytest.fixture
def refused_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def test_connection_error_with_credentials_in_the_url(
    caplog: pytest.LogCaptureFixture, refused_port: int
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://user:{CANARY}@127.0.0.1:{refused_port}/base?api_key={CANARY}"
    client = AssistantClient(url, headers=dict(CRED_HEADERS), max_retries=1)
    client.retry.base_delay = 0.001  # type: ignore[attr-defined]
    with client, pytest.raises(APIConnectionError) as info:
        client.threads("t").chat_sync(messages=[user("hi")])
    assert_no_canary(info.value, caplog=caplog)


def test_timeout_error_with_credentials_in_the_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)  # accepts (the backlog does), never answers
    try:
        url = f"http://user:{CANARY}@127.0.0.1:{sock.getsockname()[1]}/?token={CANARY}"
        client = AssistantClient(url, headers=dict(CRED_HEADERS), timeout=0.2, max_retries=0)
        with client, pytest.raises(APITimeoutError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    finally:
        sock.close()
    assert_no_canary(info.value, caplog=caplog)


# -- redirects ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def two_origins() -> Iterator[tuple[str, list[Any], list[Any]]]:
    """Origin A answers 307 to origin B (another port: another origin); B records what it gets."""
    routes_a: dict[str, Any] = {"/same/api/chat": OK_STREAM}
    with serve({"/api/chat": OK_STREAM}) as (url_b, seen_b), serve(routes_a) as (url_a, seen_a):
        routes_a["/api/chat"] = (307, {"location": f"{url_b}/api/chat"}, b"")
        routes_a["/local/api/chat"] = (307, {"location": f"{url_a}/same/api/chat"}, b"")
        yield url_a, seen_a, seen_b


def test_redirects_are_not_followed_by_default() -> None:
    with two_origins() as (url_a, _seen_a, seen_b):
        client = AssistantClient(url_a, headers=dict(CRED_HEADERS), max_retries=0)
        with client, pytest.raises(APIStatusError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
    assert info.value.status_code == 307
    assert seen_b == []


def test_authorization_is_not_forwarded_to_another_origin() -> None:
    with two_origins() as (url_a, seen_a, seen_b):
        client = AssistantClient(url_a, headers=dict(CRED_HEADERS), follow_redirects=True)
        with client:
            result = client.threads("t").chat_sync(messages=[user("hi")])
    assert result.text == "ok"
    assert seen_a[0][2]["authorization"] == f"Bearer {CANARY}"  # the origin gets it
    assert len(seen_b) == 1 and "authorization" not in seen_b[0][2]  # httpx strips it


def test_no_credential_header_is_forwarded_to_another_origin() -> None:
    with two_origins() as (url_a, _seen_a, seen_b):
        client = AssistantClient(url_a, headers=dict(CRED_HEADERS), follow_redirects=True)
        with client:
            client.threads("t").chat_sync(messages=[user("hi")])
    leaked = {k: v for k, v in seen_b[0][2].items() if CANARY in v}
    assert leaked == {}


def _guarded(url_a: str, **kwargs: Any) -> AssistantClient:
    guard = RedirectGuard(url_a)
    return AssistantClient(
        url_a, follow_redirects=True, event_hooks=merge_event_hooks(None, guard.sync_hook), **kwargs
    )


def test_redirect_guard_keeps_every_credential_with_its_origin() -> None:
    with two_origins() as (url_a, seen_a, seen_b):
        with _guarded(url_a, headers={**CRED_HEADERS, "X-Request-Id": "r1"}) as client:
            assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"
        assert not any(CANARY in v for v in seen_b[0][2].values()), seen_b
        assert seen_b[0][2]["x-request-id"] == "r1"  # other headers go on
        # a redirect within the origin keeps them
        with _guarded(url_a + "/local", headers=dict(CRED_HEADERS)) as client:
            assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"
        assert seen_a[-1][1] == "/same/api/chat" and seen_a[-1][2]["x-api-key"] == CANARY


def test_redirect_guard_with_auth_helpers() -> None:
    with two_origins() as (url_a, seen_a, seen_b):
        with _guarded(url_a, headers=api_key(CANARY, header="X-Custom-Auth")) as client:
            client.threads("t").chat_sync(messages=[user("hi")])
    assert seen_a[0][2]["x-custom-auth"] == CANARY
    assert "x-custom-auth" not in seen_b[0][2]


def test_session_and_password_headers_stay_with_their_origin() -> None:
    """The names that redact text also strip headers on a cross-origin redirect."""
    headers = {"X-Session-Id": CANARY, "X-Password": CANARY, "X-Credential": CANARY, "X-Trace": "r1"}
    with two_origins() as (url_a, seen_a, seen_b):
        with AssistantClient(url_a, headers=headers, follow_redirects=True) as client:
            assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"
    assert seen_a[0][2]["x-session-id"] == CANARY
    assert not any(CANARY in v for v in seen_b[0][2].values()), seen_b
    assert seen_b[0][2]["x-trace"] == "r1"


def test_a_header_recorded_as_a_secret_is_stripped_whatever_its_name() -> None:
    """``attach_secrets`` (the facade records the ``headers=`` values on each request)
    makes any header carrying one stay with its origin; httpx copies the record onto
    the redirected request."""
    from assistant_ui._log import attach_secrets

    with two_origins() as (url_a, seen_a, seen_b):
        guard = RedirectGuard(url_a)
        with httpx.Client(
            follow_redirects=True, event_hooks=merge_event_hooks(None, guard.sync_hook)
        ) as http:
            request = http.build_request(
                "POST", f"{url_a}/api/chat", headers={"X-Org-Ref": CANARY, "X-Trace": "plain"}
            )
            attach_secrets(request, {"X-Org-Ref": CANARY})
            assert http.send(request).status_code == 200
    assert seen_a[0][2]["x-org-ref"] == CANARY
    assert "x-org-ref" not in seen_b[0][2] and seen_b[0][2]["x-trace"] == "plain"


@pytest.mark.anyio
async def test_redirect_guard_async() -> None:
    with two_origins() as (url_a, _seen_a, seen_b):
        guard = RedirectGuard(url_a)
        client = AssistantClient(
            url_a, headers=dict(CRED_HEADERS), follow_redirects=True,
            event_hooks=merge_event_hooks({"request": []}, guard.async_hook),
        )
        async with client:
            result = await client.threads("t").chat(messages=[user("hi")])
    assert result.text == "ok"
    assert not any(CANARY in v for v in seen_b[0][2].values())


def test_same_origin_rules() -> None:
    a = httpx.URL("http://h.test/x")
    assert same_origin(httpx.URL("http://h.test:80/y"), a)
    assert same_origin(httpx.URL("https://h.test/y"), a)  # upgrade to https: as httpx does
    assert not same_origin(httpx.URL("http://h.test:8080/y"), a)
    assert not same_origin(httpx.URL("http://evil.test/y"), a)
    assert not same_origin(httpx.URL("http://h.test/y"), httpx.URL("https://h.test/"))  # downgrade
    request = httpx.Request("GET", "http://evil.test/", headers={
        **CRED_HEADERS, "Proxy-Authorization": "Basic x", "Accept": "*/*"})
    stripped = RedirectGuard("http://h.test").strip(request)
    assert sorted(n.lower() for n in stripped) == sorted(n.lower() for n in CRED_HEADERS)
    assert set(request.headers) == {"host", "proxy-authorization", "accept"}


# -- TLS ---------------------------------------------------------------------------------------------------------------


def _verify_mode(http: httpx.Client | httpx.AsyncClient) -> tuple[int, bool]:
    context = http._transport._pool._ssl_context  # type: ignore[union-attr]
    return context.verify_mode, context.check_hostname


def test_tls_verification_is_on_by_default() -> None:
    with AssistantClient("https://backend.test") as client:
        assert _verify_mode(client.sync_http) == (ssl.CERT_REQUIRED, True)
    with AssistantClient("https://backend.test", verify=False) as client:
        assert _verify_mode(client.sync_http)[0] == ssl.CERT_NONE  # only when asked


@pytest.mark.anyio
async def test_tls_verification_is_on_by_default_async() -> None:
    async with AssistantClient("https://backend.test") as client:
        assert _verify_mode(client.async_http) == (ssl.CERT_REQUIRED, True)


def _self_signed(tmp_path: Any) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (cryptography, else the openssl CLI)."""
    cert_file, key_file = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    try:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        import shutil
        import subprocess

        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("neither cryptography nor openssl to make a certificate")
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", key_file, "-out", cert_file],
            check=True, capture_output=True, timeout=30,
        )
        return cert_file, key_file
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def test_a_self_signed_server_is_refused(tmp_path: Any) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    with serve({"/api/chat": OK_STREAM}, tls=server_context) as (url, seen):
        client = AssistantClient(url, headers=dict(CRED_HEADERS), max_retries=0)
        with client, pytest.raises(APIConnectionError) as info:
            client.threads("t").chat_sync(messages=[user("hi")])
        assert "CERTIFICATE_VERIFY_FAILED" in str(info.value) or "certificate" in str(info.value).lower()
        assert seen == []  # no request (and no credential) went out
        # the same server, trusted explicitly: so the refusal above was the verification
        trusting = ssl.create_default_context(cafile=cert_file)
        with AssistantClient(url, verify=trusting) as client:
            assert client.threads("t").chat_sync(messages=[user("hi")]).text == "ok"


# -- values in URLs ---------------------------------------------------------------------------------------------------

HOSTILE_IDS = ["../../admin", "a/b", "x?y=1", "x#frag", "//evil.test/x", "%2F..%2F", "..", ".", " sp ace", "é中"]


@pytest.mark.parametrize("api", ["assistant-ui", "ai-sdk", "openai"])
def test_thread_ids_never_reach_the_url(api: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b'0:"ok"\n', headers=DS)

    client = AssistantClient("https://backend.test/base", api=api, model="m" if api == "openai" else None,
                             transport=httpx.MockTransport(handler))
    expected_path = {"assistant-ui": "/base/api/chat", "ai-sdk": "/base/api/chat",
                     "openai": "/base/v1/chat/completions"}[api]
    with client:
        for thread_id in HOSTILE_IDS:
            thread = client.threads(thread_id)
            thread.chat_sync(messages=[user("hi")])
            if api == "assistant-ui":
                thread.cancel_sync()
    for request in seen:
        assert request.url.host == "backend.test"
        assert request.url.path in (expected_path, "/base/api/cancel")
        assert request.url.query == b""


_URL_BUILDER = httpx.Client(base_url="https://backend.test/base")


@given(value=st.text(min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_format_path_makes_each_value_one_segment(value: str) -> None:
    path = format_path("/api/chat/resume/{stream_id}/x", stream_id=value)
    segments = path.split("/")
    assert segments[:4] == ["", "api", "chat", "resume"] and segments[-1] == "x" and len(segments) == 6
    assert unquote(segments[4]) == value
    url = _URL_BUILDER.build_request("GET", path).url
    assert url.host == "backend.test"
    assert url.path.startswith("/base/api/chat/resume/") and url.path.endswith("/x")
    assert not url.query and not url.fragment
    assert urlsplit(str(url)).path.count("/") == 6


def test_format_path_refuses_what_is_no_segment() -> None:
    with pytest.raises(ValueError):
        format_path("/r/{stream_id}", stream_id="")
    with pytest.raises(ValueError):
        format_path("/r/{other}", stream_id="x")
    assert format_path("/r/{stream_id}", stream_id="..") == "/r/%2E%2E"


def test_resume_path_encodes_slashes_and_queries() -> None:
    client = AssistantClient("https://backend.test/base")
    for stream_id in HOSTILE_IDS:
        if stream_id in (".", ".."):
            continue
        spec = client._resume_spec(stream_id)
        url = client.sync_http.build_request(spec.method, spec.path).url
        assert url.host == "backend.test" and url.path.startswith("/base/api/chat/resume/")
        assert not url.query and not url.fragment


@pytest.mark.parametrize("stream_id", ["..", "."])
def test_resume_path_with_a_dot_segment_stream_id(stream_id: str) -> None:
    client = AssistantClient("https://backend.test/base")
    spec = client._resume_spec(stream_id)
    url = client.sync_http.build_request(spec.method, spec.path).url
    assert url.path.startswith("/base/api/chat/resume/")
