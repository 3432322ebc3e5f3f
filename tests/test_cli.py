"""The terminal chat (``python -m assistant_ui chat``), driven through a pipe and a pty.

The backend is ``assistant_ui.testing.FakeBackend`` served on 127.0.0.1 (ephemeral
port); what it answers depends on the user's text:
``slow`` streams ticks for a long time, ``tool`` makes a tool call with a result,
``think`` reasons first, anything else is echoed with the thread id.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant_ui.testing import (
    FakeBackend,
    Reply,
    message_events,
    serve,
    text_events,
    tool_call_events,
)

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# -- the backend ---------------------------------------------------------------------------------


def _last_user_text(body: dict[str, Any]) -> str:
    for cmd in reversed(body.get("commands") or []):
        if cmd.get("type") == "add-message" and cmd["message"]["role"] == "user":
            return "".join(p.get("text", "") for p in cmd["message"]["parts"])
    for msg in reversed(body.get("messages") or []):
        if msg.get("role") != "user":
            continue
        content = msg.get("parts", msg.get("content"))
        if isinstance(content, str):
            return content
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _respond(body: dict[str, Any]) -> Reply:
    """The answer depends on the user's text."""
    text = _last_user_text(body)
    thread = body.get("threadId") or body.get("id") or "?"
    if text == "slow":  # 150 ticks, 0.1 s apart
        ticks = [{"type": "text-delta", "delta": f"tick{i} "} for i in range(150)]
        return Reply(events=message_events(ticks), delay=0.1)
    if text == "tool":
        step = tool_call_events("get_weather", {"city": "Paris"}, "c1", {"temp": 21})
        step += text_events("It is 21 degrees in Paris.")
        return Reply(events=message_events(step))
    if text == "think":
        step = [{"type": "reasoning-delta", "delta": "pondering deeply"}]
        return Reply(events=message_events([*step, *text_events("The answer is 42.")]))
    if text == "boom":
        return Reply(events=[*text_events("partial "), {"type": "error", "error": "the model exploded"}])
    return Reply(events=message_events([
        {"type": "text-delta", "delta": "echo: "},
        {"type": "text-delta", "delta": f"{text} [{thread}]"},
    ]))


class Backend(FakeBackend):
    base_url = ""

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.chat_requests]

    @property
    def headers(self) -> list[dict[str, str]]:
        return [r.headers for r in self.chat_requests]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return bool(predicate())

    def slow_ended_early(self) -> bool:
        slow = [r for r in self.chat_requests if _last_user_text(r.body) == "slow"]
        return bool(slow) and (slow[-1].disconnected or slow[-1].cancelled)


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    b = Backend(responder=_respond)
    with serve(b) as base_url:
        b.base_url = base_url
        yield b


# -- running the command -------------------------------------------------------------------------


def _command() -> list[str]:
    main = ROOT / "assistant_ui" / "__main__.py"
    if main.exists() and "main_chat" in main.read_text():
        return [sys.executable, "-m", "assistant_ui", "chat"]
    return [sys.executable, "-m", "assistant_ui._cli", "chat"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_UI_")}
    env.pop("NO_COLOR", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _run_piped(args: list[str], stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env or _env(),
        cwd=ROOT,
    )


# -- through a pipe --------------------------------------------------------------------------------


def test_piped_answer_is_plain_text(backend: Backend) -> None:
    proc = _run_piped(["--base-url", backend.base_url, "--thread", "t-pipe"], "hello there\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "echo: hello there [t-pipe]\n"
    assert "\x1b" not in proc.stdout + proc.stderr
    assert "you>" not in proc.stdout  # no prompt when stdin is not a terminal


def test_piped_tool_call_and_reasoning(backend: Backend) -> None:
    proc = _run_piped(["--base-url", backend.base_url], "tool\nthink\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines == [
        '[tool call] get_weather({"city": "Paris"})',
        '[tool result] get_weather: {"temp": 21}',
        "It is 21 degrees in Paris.",
        "[reasoning] pondering deeply",
        "The answer is 42.",
    ]


def test_piped_env_defaults_token_headers_and_system(backend: Backend) -> None:
    env = _env(ASSISTANT_UI_BASE_URL=backend.base_url, ASSISTANT_UI_TOKEN="tok-from-env")
    before = len(backend.bodies)
    proc = _run_piped(
        ["--thread", "t-env", "--header", "X-Org: acme", "--system", "be brief"], "hi\n", env
    )
    assert proc.returncode == 0, proc.stderr
    assert "echo: hi [t-env]" in proc.stdout
    assert len(backend.bodies) == before + 1
    headers = backend.headers[-1]
    assert headers["authorization"] == "Bearer tok-from-env"
    assert headers["x-org"] == "acme"
    body = backend.bodies[-1]
    assert body["threadId"] == "t-env"
    assert body["system"] == "be brief"
    assert "tok-from-env" not in proc.stdout + proc.stderr


def test_piped_cancel_new_history_quit(backend: Backend) -> None:
    script = "first\nslow\n/cancel\n/history\n/new\nsecond\n/history\n/quit\nnever sent\n"
    started = time.monotonic()
    before = len(backend.bodies)
    proc = _run_piped(["--base-url", backend.base_url, "--thread", "t-cmds"], script)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 12  # the slow answer would take 15 s
    assert "[cancelled]" in proc.stderr
    assert "[new thread " in proc.stderr
    new_thread = re.search(r"\[new thread ([^\]]+)\]", proc.stderr)
    assert new_thread is not None
    out = proc.stdout
    assert "echo: first [t-cmds]" in out
    # the first /history shows both exchanges of the first thread, the second only the new one
    first_history, second_history = out.split("you: second")[0], out.split("echo: second")[1]
    assert "you: first\nassistant: echo: first [t-cmds]" in first_history
    assert "you: slow\n" in first_history  # cancelled as soon as it started
    assert "you: first" not in second_history
    assert f"echo: second [{new_thread.group(1)}]" in out
    # the server was told to cancel, and /quit stopped before "never sent"
    assert backend.wait_for(lambda: "t-cmds" in backend.cancels)
    texts = [_last_user_text(b) for b in backend.bodies[before:]]
    assert texts == ["first", "slow", "second"]
    assert backend.bodies[-1]["threadId"] == new_thread.group(1)


def test_piped_cancel_typed_while_streaming(backend: Backend) -> None:
    proc = subprocess.Popen(
        [*_command(), "--base-url", backend.base_url, "--thread", "t-live-cancel"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(b"slow\n")
        proc.stdin.flush()
        assert proc.stdout.read(5) == b"tick0"  # the answer streams
        proc.stdin.write(b"/cancel\nafter\n")  # "after" is queued while streaming
        proc.stdin.flush()
        out, err = proc.communicate(timeout=20)  # closes stdin: end of input
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert b"[cancelled]" in err
    assert b"echo: after [t-live-cancel]" in out
    assert backend.wait_for(backend.slow_ended_early)


def test_piped_errors_exit_status(backend: Backend) -> None:
    proc = _run_piped(["--base-url", backend.base_url], "boom\n")
    assert proc.returncode == 1
    assert "the model exploded" in proc.stderr

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = _run_piped(["--base-url", f"http://127.0.0.1:{port}"], "hi\n")
    assert proc.returncode == 1
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_arguments() -> None:
    proc = _run_piped([], "hi\n")
    assert proc.returncode == 2 and "--base-url" in proc.stderr
    proc = _run_piped(["--base-url", "http://127.0.0.1:9", "--header", "nocolon"], "")
    assert proc.returncode == 2 and "Name: value" in proc.stderr
    proc = _run_piped(["--base-url", "http://127.0.0.1:9", "--api", "openai"], "")
    assert proc.returncode == 2 and "model" in proc.stderr


def test_stateless_api_resends_history(backend: Backend) -> None:
    pytest.importorskip("assistant_ui._wire.requests.ai_sdk")
    before = len(backend.bodies)
    proc = _run_piped(["--base-url", backend.base_url, "--api", "ai-sdk", "--thread", "t-ai"], "one\ntwo\n")
    assert proc.returncode == 0, proc.stderr
    first, second = backend.bodies[before:]
    assert [m["role"] for m in first["messages"]] == ["user"]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][1]["parts"][0]["text"] == "echo: one [t-ai]"


def test_assistant_ui_api_sends_only_the_new_message(backend: Backend) -> None:
    before = len(backend.bodies)
    proc = _run_piped(["--base-url", backend.base_url, "--thread", "t-aui"], "one\ntwo\n")
    assert proc.returncode == 0, proc.stderr
    _first, second = backend.bodies[before:]
    assert len(second["commands"]) == 1
    assert second["commands"][0]["message"]["parts"] == [{"type": "text", "text": "two"}]
    assert len(second.get("messages", [])) == 1


def test_no_color_env_in_a_pipe_and_a_slash_message(backend: Backend) -> None:
    proc = _run_piped(["--base-url", backend.base_url, "--thread", "t-sl"], "//etc\n/bogus\n")
    assert proc.returncode == 0
    assert "echo: /etc [t-sl]" in proc.stdout
    assert "unknown command /bogus" in proc.stderr


# -- through a pseudo-terminal ----------------------------------------------------------------------


class Pty:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import pty

        pid, fd = pty.fork()
        if pid == 0:  # the child: exec at once
            try:
                os.chdir(ROOT)
                os.execve(sys.executable, [sys.executable, *_command()[1:], *args], env)
            finally:
                os._exit(127)
        self.pid = pid
        self.fd = fd
        self.raw = b""
        self.pos = 0  # how much of the output expect() has consumed

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r\n", "\n")

    def _pump(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        self.raw += chunk
        return True

    def expect(self, pattern: str, timeout: float = 15.0) -> str:
        end = time.monotonic() + timeout
        while True:
            text = self.text
            index = text.find(pattern, self.pos)
            if index >= 0:
                self.pos = index + len(pattern)
                return text
            if time.monotonic() > end or not self._pump(0.05):
                raise AssertionError(f"{pattern!r} not seen; output so far:\n{text}")

    def send(self, data: str) -> None:
        os.write(self.fd, data.encode())

    def wait(self, timeout: float = 15.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._pump(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self._pump(0.01) and select.select([self.fd], [], [], 0)[0]:
                    pass
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        self.kill()
        raise AssertionError(f"the chat did not exit; output:\n{self.text}")

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)


@pytest.fixture
def tty_chat(backend: Backend) -> Iterator[Any]:
    if sys.platform == "win32":
        pytest.skip("no pty on Windows")
    sessions: list[Pty] = []

    def start(*args: str, **env: str) -> Pty:
        session = Pty(["--base-url", backend.base_url, *args], _env(TERM="xterm", **env))
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.kill()


def test_tty_conversation(tty_chat: Any, backend: Backend) -> None:
    chat = tty_chat("--thread", "t-tty")
    chat.expect("thread t-tty")
    chat.expect("you> ")
    chat.send("hi\n")
    chat.expect("echo: hi [t-tty]")
    chat.expect("you> ")
    chat.send("tool\n")
    chat.expect('[tool call] get_weather({"city": "Paris"})')
    chat.expect('[tool result] get_weather: {"temp": 21}')
    chat.expect("It is 21 degrees in Paris.")
    chat.expect("you> ")
    chat.send("think\n")
    chat.expect("The answer is 42.")
    raw = chat.raw.decode()
    assert "\x1b[2mpondering deeply" in raw  # reasoning dimmed
    assert "[reasoning]" not in chat.text  # colour replaces the label
    assert "\x1b[33m[tool call]" in raw
    chat.expect("you> ")
    chat.send("/history\n")
    chat.expect("you: hi")
    chat.expect("assistant: echo: hi [t-tty]")
    chat.expect("you> ")
    chat.send("/new\n")
    chat.expect("[new thread ")
    chat.expect("you> ")
    chat.send("/history\n")
    chat.expect("[no messages yet in this thread]")
    chat.expect("you> ")
    chat.send("/quit\n")
    assert chat.wait() == 0


def test_tty_ctrl_c_cancels_the_answer_not_the_program(tty_chat: Any, backend: Backend) -> None:
    chat = tty_chat("--thread", "t-ctrlc")
    chat.expect("you> ")
    chat.send("slow\n")
    chat.expect("tick1 ")
    chat.send("typed ahead\n")  # queued while the answer streams
    time.sleep(0.5)  # (read before the Ctrl-C: the terminal flushes its input on ^C)
    chat.send("\x03")  # Ctrl-C, through the terminal's line discipline: SIGINT
    chat.expect("[cancelled]")
    chat.expect("you> typed ahead\n")  # shown after the prompt, then sent
    chat.expect("echo: typed ahead [t-ctrlc]")
    chat.expect("you> ")
    assert backend.wait_for(lambda: "t-ctrlc" in backend.cancels)
    assert backend.wait_for(backend.slow_ended_early)
    chat.send("still here\n")
    chat.expect("echo: still here [t-ctrlc]")
    chat.expect("you> ")
    chat.send("half a li")
    time.sleep(0.3)
    chat.send("\x03")  # Ctrl-C at the prompt: the line is dropped, the chat goes on
    chat.expect("[Ctrl-C clears the line; /quit or Ctrl-D leaves]")
    chat.expect("you> ")
    chat.send("\x03")  # again: still here, no second hint
    chat.expect("you> ")
    chat.send("back\n")
    chat.expect("echo: back [t-ctrlc]")  # not "half a liback"
    chat.expect("you> ")
    chat.send("/quit\n")
    assert chat.wait() == 0
    assert "Traceback" not in chat.text
    assert chat.text.count("[Ctrl-C clears the line") == 1


def test_tty_slash_cancel_while_streaming_and_eof(tty_chat: Any, backend: Backend) -> None:
    chat = tty_chat("--thread", "t-slash")
    chat.expect("you> ")
    chat.send("slow\n")
    chat.expect("tick1 ")
    chat.send("/cancel\n")
    chat.expect("[cancelled]")
    chat.expect("you> ")
    chat.send("\x04")  # Ctrl-D at an empty prompt: end of input
    assert chat.wait() == 0
    assert "Traceback" not in chat.text


def test_tty_no_color(tty_chat: Any) -> None:
    chat = tty_chat("--thread", "t-nc", NO_COLOR="1")
    chat.expect("you> ")
    chat.send("think\n")
    chat.expect("The answer is 42.")
    assert "\x1b[" not in chat.raw.decode()
    assert "[reasoning] pondering deeply" in chat.text
    chat.send("/quit\n")
    assert chat.wait() == 0
