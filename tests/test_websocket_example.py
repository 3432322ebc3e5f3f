"""``examples/websocket_chat.py`` run as a user runs it, against its own local stand-in and
against the test server of tests/ws_chat_server.py (``--base-url``)."""

from __future__ import annotations

import pytest
from test_examples import _env, line_starting, run_example
from ws_chat_server import running

pytestmark = pytest.mark.timeout(90)


def test_websocket_chat_example_standalone() -> None:
    lines = run_example("websocket_chat.py")
    assert line_starting(lines, "answer: ") == "answer: It is 19°C and sunny in Lisbon."
    assert line_starting(lines, "  [server tool] ") == '  [server tool] get_weather -> {"city": "Lisbon", "celsius": 19}'
    assert "wire format: bedrock-ws" in line_starting(lines, "  usage: ")
    assert line_starting(lines, "  ... Calling") == "  ... Calling get_weather... (1/1)"
    assert line_starting(lines, "streamed: ") == "streamed: It is 19°C and sunny in Porto."
    assert [line for line in lines if line.startswith("history: ")] == [
        "history: user: What's the weather in Lisbon?",
        "history: assistant: It is 19°C and sunny in Lisbon.",
        "history: user: And in Porto?",
        "history: assistant: It is 19°C and sunny in Porto.",
    ]
    assert line_starting(lines, "cleared: ") == "cleared: 0 messages left"
    assert line_starting(lines, "async: ") == "async: It is 19°C and sunny in Faro. (history: 2 messages)"


def test_websocket_chat_example_against_a_server_with_a_token() -> None:
    with running() as server:
        lines = run_example("websocket_chat.py", "--token", "tok-1", env=_env(ASSISTANT_UI_BASE_URL=server.url))
    assert line_starting(lines, "answer: ") == "answer: echo: What's the weather in Lisbon?"
    assert line_starting(lines, "ping: ") == "ping: pong"
    assert {a["token"] for a in server.auth_seen} == {"tok-1"}
