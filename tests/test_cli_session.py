"""The terminal chat keeps going: Ctrl-C (SIGINT) at the prompt and during answers,
tool calls left to the client, ``--tools`` and ``--token-file``.

The chat runs as a real subprocess (``python -m assistant_ui chat``) against a
``FakeBackend`` on 127.0.0.1; SIGINT is sent to the process, as a terminal's Ctrl-C
does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from assistant_ui.testing import (
    FakeBackend,
    Reply,
    message_events,
    serve,
    text_events,
    tool_call_events,
)

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a subprocess"),
]

ROOT = Path(__file__).resolve().parents[1]
CLI_KEY = "sk-CANARY-cli-77"


def _user_text(body: dict[str, Any]) -> str:
    for cmd in reversed(body.get("commands") or []):
        if cmd.get("type") == "add-message" and cmd["message"]["role"] == "user":
            return "".join(p.get("text", "") for p in cmd["message"]["parts"])
    for msg in reversed(body.get("messages") or []):
        if msg.get("role") == "user":
            content = msg.get("parts", msg.get("content"))
            if isinstance(content, str):
                return content
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _tool_results(body: dict[str, Any]) -> list[Any]:
    found = [c.get("result") for c in body.get("commands") or [] if c.get("type") == "add-tool-result"]
    for msg in body.get("messages") or []:
        for part in msg.get("parts") or []:
            if isinstance(part, dict) and str(part.get("type", "")).startswith("tool-") and "output" in part:
                found.append(part["output"])
    return found


def _respond(body: dict[str, Any]) -> Reply:
    results = _tool_results(body)
    if results:
        return Reply(events=message_events(text_events(f"the tool said {results[-1]}")))
    text = _user_text(body)
    if text == "slow":
        ticks = [{"type": "text-delta", "delta": f"tick{i} "} for i in range(150)]
        return Reply(events=message_events(ticks), delay=0.1)
    if text == "echo-key":  # an upstream error quoting the request's key
        return Reply(events=[*text_events("partial "),
                             {"type": "error", "error": f"Incorrect API key provided: {CLI_KEY}"}])
    if text == "client-tool":  # a call the backend leaves to the client
        return Reply(events=message_events(tool_call_events("get_time", {"city": "Paris"}, "c9")))
    return Reply(events=message_events([{"type": "text-delta", "delta": f"echo: {text}"}]))


class Backend(FakeBackend):
    base_url = ""

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return bool(predicate())


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    b = Backend(responder=_respond)
    with serve(b) as base_url:
        b.base_url = base_url
        yield b


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_UI_")}
    env.pop("NO_COLOR", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Chat:
    """The chat as a subprocess on pipes; stdout and stderr collected by threads."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant_ui", "chat", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env or _env(), cwd=ROOT,
        )
        self.out = bytearray()
        self.err = bytearray()
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(stream: IO[bytes] | None, into: bytearray) -> None:
        assert stream is not None
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            into += chunk

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def expect(self, pattern: str, where: str = "out", timeout: float = 15.0) -> None:
        buffer = self.out if where == "out" else self.err
        end = time.monotonic() + timeout
        while pattern.encode() not in buffer:
            assert self.proc.poll() is None or time.monotonic() < end, self.describe()
            if time.monotonic() > end:
                raise AssertionError(f"{pattern!r} not seen\n{self.describe()}")
            time.sleep(0.02)

    def sigint(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 20.0) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # the end of input
        code = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(5)
        return code

    def describe(self) -> str:
        return f"stdout:\n{self.out.decode()}\nstderr:\n{self.err.decode()}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def chat(backend: Backend) -> Iterator[Any]:
    started: list[Chat] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Chat:
        c = Chat(["--base-url", backend.base_url, *args], env)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()


# -- Ctrl-C --------------------------------------------------------------------------------------------


def test_sigint_at_the_prompt_does_not_end_the_chat(chat: Any) -> None:
    c = chat("--thread", "t-prompt")
    c.send("hi\n")
    c.expect("echo: hi")  # now waiting for the next line
    for _ in range(3):
        c.sigint()
        time.sleep(0.15)
    c.expect("[Ctrl-C clears the line; /quit or Ctrl-D leaves]", "err")
    assert c.proc.poll() is None, c.describe()
    c.send("again\n")
    c.expect("echo: again")
    assert c.finish() == 0, c.describe()
    assert c.err.count(b"[Ctrl-C clears the line") == 1
    assert b"Traceback" not in c.err and b"KeyboardInterrupt" not in c.err


@pytest.mark.parametrize(
    ("presses", "gap"),
    [(2, 0.0), (2, 0.25), (6, 0.0), (4, 0.1)],
    ids=["double-at-once", "double-by-hand", "burst", "triple-by-hand"],
)
def test_quick_sigints_during_an_answer_keep_the_session(
    chat: Any, backend: Backend, presses: int, gap: float
) -> None:
    """A human double press is ~0.2 s apart: the first press has ended the answer
    by the time the second comes, which used to hit the default handler and quit."""
    thread_id = f"t-double-{presses}-{gap}"
    c = chat("--thread", thread_id)
    c.send("slow\n")
    c.expect("tick0")
    for _ in range(presses):
        c.sigint()
        time.sleep(gap)
    c.expect("[cancelled]", "err")
    c.send("after\n")
    c.expect("echo: after")
    assert c.finish() == 0, c.describe()
    assert b"Traceback" not in c.err and b"KeyboardInterrupt" not in c.err
    assert b"tick20" not in c.out  # abandoned at once, not read to the end
    assert backend.wait_for(lambda: thread_id in backend.cancels)
    texts = [_user_text(r.body) for r in backend.chat_requests if r.body.get("threadId") == thread_id]
    assert texts == ["slow", "after"]


# -- tools ----------------------------------------------------------------------------------------------


def test_a_tool_call_left_to_the_client_is_explained(chat: Any) -> None:
    c = chat("--thread", "t-left")
    c.send("client-tool\n")
    c.expect('[tool call] get_time({"city": "Paris"})')
    c.expect("[the backend left the tool call get_time to the client", "err")
    assert c.finish() == 0, c.describe()
    assert b"--tools module:attr" in c.err


TOOLS_MODULE = '''
from assistant_ui.tools import tool

@tool
def get_time(city: str) -> str:
    """The time in a city."""
    return f"noon in {city}"

NOT_A_TOOL = 1
'''


@pytest.mark.parametrize("api", ["assistant-ui", "ai-sdk"])
@pytest.mark.parametrize("spec", ["chat_tools_mod:get_time", "chat_tools_mod"])
def test_tools_option_runs_the_user_s_tools(
    chat: Any, backend: Backend, tmp_path: Path, api: str, spec: str
) -> None:
    (tmp_path / "chat_tools_mod.py").write_text(TOOLS_MODULE)
    env = _env(PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    thread_id = f"t-tools-{api}-{spec.count(':')}"
    c = chat("--thread", thread_id, "--api", api, "--tools", spec, env=env)
    c.send("client-tool\n")
    c.expect("the tool said noon in Paris")
    assert c.finish() == 0, c.describe()
    out = c.out.decode()
    assert '[running tool] get_time({"city": "Paris"})' in out
    assert "[tool result] get_time: \"noon in Paris\"" in out
    assert b"left the tool call" not in c.err
    bodies = [r.body for r in backend.chat_requests
              if (r.body.get("threadId") or r.body.get("id")) == thread_id]
    assert len(bodies) == 2
    assert "get_time" in json.dumps(bodies[0].get("tools"))  # the tool was offered


def test_tools_option_errors(chat: Any, tmp_path: Path) -> None:
    for spec, message in [("no_such_module_xyz:t", "cannot import 'no_such_module_xyz'"),
                          ("json:nope", "'json' has no attribute 'nope'"),
                          ("json", "holds no @tool function")]:
        c = chat("--tools", spec)
        code = c.finish()
        assert code == 2, c.describe()
        assert message.encode() in c.err, c.describe()


# -- --token-file, --help ---------------------------------------------------------------------------------


def test_token_file_option(chat: Any, backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"accessToken": "tok-from-file", "refreshToken": "r"}))
    c = chat("--thread", "t-tokfile", "--token-file", str(path), "--header", "X-Org: acme")
    c.send("hi\n")
    c.expect("echo: hi")
    path.write_text(json.dumps({"accessToken": "tok-refreshed-longer", "refreshToken": "r"}))
    c.send("again\n")
    c.expect("echo: again")
    assert c.finish() == 0, c.describe()
    sent = [r.headers for r in backend.chat_requests if r.body.get("threadId") == "t-tokfile"]
    assert [h["authorization"] for h in sent] == ["Bearer tok-from-file", "Bearer tok-refreshed-longer"]
    assert all(h["x-org"] == "acme" for h in sent)

    missing = tmp_path / "missing.json"
    c = chat("--token-file", str(missing))
    c.send("hi\n")
    assert c.finish() == 1, c.describe()
    assert f"the token file {missing} does not exist".encode() in c.err
    assert b"Traceback" not in c.err


def test_help_says_what_is_sent_and_how_ctrl_c_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant_ui", "chat", "--help"],
        capture_output=True, text=True, timeout=30, env=_env(), cwd=ROOT,
    )
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "only the new message" in text
    assert "--token-file" in text and "--tools" in text
    assert "Only /quit, Ctrl-D or the end of input leave" in text


def test_an_error_quoting_the_chat_s_own_key_is_redacted(chat: Any) -> None:
    c = chat("--header", f"X-Org-Ref: {CLI_KEY}")  # a name that does not say "credential"
    c.send("echo-key\n")
    c.expect("Incorrect API key provided", "err")
    assert c.finish() == 1, c.describe()
    assert CLI_KEY.encode() not in c.err + c.out, c.describe()
    assert b"[redacted]" in c.err


def test_the_private_module_entry_point_still_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant_ui._cli", "chat", "--help"],
        capture_output=True, text=True, timeout=30, env=_env(), cwd=ROOT,
    )
    assert proc.returncode == 0 and "--token-file" in proc.stdout
