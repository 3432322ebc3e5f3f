"""The terminal chat on a WebSocket chat server (``python -m assistant_ui chat`` with a ``ws://``
URL), as a real subprocess against tests/ws_chat_server.py: the seed's options and
environment variables, the in-band auth of every kind, ``/history``, ``/clear``, ``/ping``,
``/cancel``, ``/quit``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ws_chat_server import ChatServer, running

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    with running() as srv:
        yield srv


def chat(lines: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_UI_", "BEDROCK_"))}
    clean.update(PYTHONIOENCODING="utf-8", **env)
    return subprocess.run(
        [sys.executable, "-m", "assistant_ui", "chat", *args], input=lines, cwd=ROOT, env=clean,
        capture_output=True, text=True, encoding="utf-8", timeout=60,
    )


def test_a_conversation_with_server_side_tools_and_the_commands(server: ChatServer) -> None:
    proc = chat("weather Paris\nthanks\n/history\n/ping\n/clear\n/history\n/quit\nnever sent\n",
                "--url", server.url)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "[tool call] get_weather(" in out
    assert '[tool result] get_weather: {"city": "Paris", "celsius": 21}' in out
    assert "It is 21°C in Paris." in out
    assert "echo: thanks" in out
    # /history shows what the server holds: both turns, with the tool round
    assert "you: weather Paris" in out and "you: thanks" in out
    assert '[tool call] get_weather({"city": "Paris"})' in out
    assert "[pong]" in proc.stderr
    assert "[the server cleared the conversation]" in proc.stderr
    assert "[the server holds no messages for this thread]" in proc.stderr
    assert "never sent" not in str(server.received)
    # only the new message each turn: the server keeps the conversation
    chats = [m for m in server.received if m.get("type") == "chat"]
    assert {"type": "chat", "message": "thanks"} in chats


@pytest.mark.parametrize(
    "args,env,expected",
    [
        ((), {"BEDROCK_AUTH_TYPE": "bearer_token", "BEDROCK_AUTH_TOKEN": "tok-env-1"},
         {"auth_type": "bearer_token", "token": "tok-env-1"}),
        (("--auth", "bearer", "--token", "tok-flag-2"), {}, {"auth_type": "bearer_token", "token": "tok-flag-2"}),
        (("--auth", "api_key", "--api-key-header", "X-Key"), {"BEDROCK_API_KEY": "key-env-3"},
         {"auth_type": "api_key", "api_key": "key-env-3", "api_key_header": "X-Key"}),
        (("--auth", "basic", "--username", "ann@example.com", "--password", "pw-4"), {},
         {"auth_type": "basic_auth", "username": "ann@example.com", "password": "pw-4"}),
        (("--auth", "oauth2", "--client-id", "cid", "--client-secret", "cs-5",
          "--token-url", "https://auth.example.com/token", "--scope", "read write"), {},
         {"auth_type": "oauth2", "client_id": "cid", "client_secret": "cs-5",
          "token_url": "https://auth.example.com/token", "scope": "read write"}),
    ],
    ids=["env-bearer", "bearer", "api_key", "basic", "oauth2"],
)
def test_every_auth_kind_reaches_the_server(server: ChatServer, args: tuple[str, ...], env: dict[str, str],
                                            expected: dict[str, str]) -> None:
    proc = chat("whoami\n/quit\n", *args, BEDROCK_WS_ENDPOINT=server.url, **env)
    assert proc.returncode == 0, proc.stderr
    assert server.auth_seen[-1] == {"type": "auth", **expected}
    secret = next(v for k, v in expected.items() if k in ("token", "api_key", "password", "client_secret"))
    assert secret not in proc.stderr


def test_missing_credentials_are_a_usage_error(server: ChatServer) -> None:
    proc = chat("/quit\n", "--url", server.url, "--auth", "basic", "--username", "ann")
    assert proc.returncode == 2
    assert "--auth basic needs --username and --password" in proc.stderr


def test_a_refused_auth_is_reported_without_the_token(server: ChatServer) -> None:
    proc = chat("hello\n/quit\n", "--url", server.url, "--token", "bad")
    assert "Invalid credentials provided" in proc.stderr
    assert proc.returncode == 1


def test_cancel_closes_the_socket_and_the_chat_goes_on(server: ChatServer) -> None:
    proc = chat("slow\n/cancel\nhello\n/quit\n", "--url", server.url)
    assert proc.returncode == 0, proc.stderr
    assert "[cancelled]" in proc.stderr
    assert "echo: hello" in proc.stdout
