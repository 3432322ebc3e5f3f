"""The ``examples/`` scripts, run as a user runs them: ``python examples/<name>.py``.

Every script runs as a subprocess in its standalone mode (no ``--base-url``: it serves its
own demo backend on 127.0.0.1), and the assistant-ui ones also against
``examples/fastapi_backend.py`` (assistant-stream + Starlette/FastAPI on uvicorn) started
as a subprocess on a free loopback port. The tests check the exit status, that nothing
went to stderr, and the lines that show what each example is about.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant_ui.testing import FakeBackend, serve, text_reply

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT = 60

ALL_EXAMPLES = {
    "sync_script.py",
    "async_service.py",
    "stream_to_terminal.py",
    "tool_calling.py",
    "cancel_from_task.py",
    "auth_token_callable.py",
    "openai_compatible.py",
    "ai_sdk_backend.py",
    "fastapi_backend.py",
    "amazon_q.py",
    "agentcore.py",
}
_PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def _env(**extra: str) -> dict[str, str]:
    """The environment without ASSISTANT_UI_* (so that the scripts use their demo mode)
    and without proxies (everything here is on loopback)."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("ASSISTANT_UI_") and k.lower() not in _PROXIES
    }
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


def _command(name: str, *args: str) -> list[str]:
    return [sys.executable, str(EXAMPLES / name), *args]


def run_example(name: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """Run one example to the end; its stdout lines."""
    proc = subprocess.run(
        _command(name, *args), cwd=ROOT, env=env or _env(), capture_output=True,
        text=True, encoding="utf-8", timeout=TIMEOUT,
    )
    report = f"{name} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, report
    assert proc.stderr == "", report
    return proc.stdout.splitlines()


def line_starting(lines: list[str], prefix: str) -> str:
    found = [line for line in lines if line.startswith(prefix)]
    assert len(found) == 1, f"expected one line starting with {prefix!r} in:\n" + "\n".join(lines)
    return found[0]


# -- the folder itself ------------------------------------------------------------------------------


def test_every_example_is_tested_and_listed_in_the_readme() -> None:
    assert {p.name for p in EXAMPLES.glob("*.py")} == ALL_EXAMPLES
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in ALL_EXAMPLES:
        assert f"python examples/{name}" in readme, name
        source = (EXAMPLES / name).read_text(encoding="utf-8")
        assert 'if __name__ == "__main__":' in source, name
        assert ast.get_docstring(ast.parse(source)), name  # saying what it shows
        if name != "fastapi_backend.py":
            assert '"--base-url"' in source and '"ASSISTANT_UI_BASE_URL"' in source, name


# -- what they need, said instead of a traceback -------------------------------------------------


def _run_without(blocked: set[str], name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an example where the ``blocked`` packages cannot be imported (as on a plain install)."""
    code = (
        "import importlib.abc, importlib.util, runpy, sys\n"
        f"BLOCKED = {sorted(blocked)!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "orig = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda n, *a: None if n.split('.')[0] in BLOCKED else orig(n, *a)\n"
        f"sys.argv = [{str(EXAMPLES / name)!r}, *{list(args)!r}]\n"
        f"runpy.run_path({str(EXAMPLES / name)!r}, run_name='__main__')\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, encoding="utf-8", timeout=TIMEOUT)


@pytest.mark.parametrize("missing", ["assistant_stream", "starlette", "uvicorn"])
def test_fastapi_backend_names_its_install_line(missing: str) -> None:
    proc = _run_without({missing}, "fastapi_backend.py", "--port", "1")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"needs {missing}" in proc.stderr
    assert "pip install assistant-stream starlette uvicorn" in proc.stderr


@pytest.mark.parametrize("name", sorted(ALL_EXAMPLES - {"fastapi_backend.py"}))
def test_without_uvicorn_the_local_backend_names_its_install_line(name: str) -> None:
    proc = _run_without({"uvicorn"}, name)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "needs uvicorn: pip install uvicorn" in proc.stderr and "--base-url" in proc.stderr


# -- standalone (demo) mode -----------------------------------------------------------------------


def test_sync_script() -> None:
    lines = run_example("sync_script.py")
    assert lines[0] == "question: What's the weather in Tokyo?"
    assert "22 °C and clear in Tokyo" in line_starting(lines, "answer: ")
    assert line_starting(lines, "tool call: ").startswith(
        'tool call: get_weather({"city": "Tokyo"}) -> {"city": "Tokyo", "temperature": 22,'
    )
    assert "status: complete (finish reason: stop)" in lines
    assert re.fullmatch(r"usage: [1-9]\d* input tokens, [1-9]\d* output tokens", lines[-1])


def test_the_base_url_comes_from_the_flag_or_the_environment() -> None:
    backend = FakeBackend([text_reply("From the environment."), text_reply("From the flag.")])
    with serve(backend) as url:
        lines = run_example("sync_script.py", "Hi", env=_env(ASSISTANT_UI_BASE_URL=url))
        assert "answer: From the environment." in lines
        # the flag wins over the environment (which here names a closed port)
        lines = run_example("sync_script.py", "Hi", "--base-url", url,
                            env=_env(ASSISTANT_UI_BASE_URL="http://127.0.0.1:9"))
        assert "answer: From the flag." in lines
    first = backend.chat_requests[0].body
    assert first["threadId"] == "sync-example"
    assert first["system"] == "You are a helpful assistant."
    assert first["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert len(backend.chat_requests) == 2


def test_async_service_answers_every_thread_concurrently() -> None:
    lines = run_example("async_service.py")
    for i in range(20):
        line = line_starting(lines, f"customer-{i:02d}: ")
        # each thread got the answer to its own question, not a neighbour's
        assert line.startswith(f'customer-{i:02d}: You said: "Where is my order #{1000 + i}?"'), line
    summary = re.fullmatch(r"20 threads answered in ([\d.]+) s \(the answers took ([\d.]+) s in "
                           r"total: they ran concurrently\)", lines[-1])
    assert summary, lines[-1]
    elapsed, total = map(float, summary.groups())
    assert elapsed < total / 4  # 20 answers of ~0.5 s each in about the time of one


def test_async_service_concurrency_limit() -> None:
    lines = run_example("async_service.py", "--threads", "3", "--concurrency", "1")
    summary = re.fullmatch(r"3 threads answered in ([\d.]+) s \(the answers took ([\d.]+) s.*", lines[-1])
    assert summary, lines[-1]
    elapsed, total = map(float, summary.groups())
    assert elapsed >= total * 0.95  # one at a time: the semaphore holds the others back


def test_stream_to_terminal_prints_deltas_as_they_arrive() -> None:
    proc = subprocess.Popen(_command("stream_to_terminal.py"), cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    arrivals: list[tuple[float, bytes]] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        fd = proc.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                arrivals.append((time.monotonic(), chunk))
        assert proc.wait(timeout=10) == 0, proc.stderr.read().decode()
        assert proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = b"".join(chunk for _, chunk in arrivals).decode("utf-8")
    lines = output.splitlines()
    assert lines[0] == "you: What's the weather in Paris?"
    answer = line_starting(lines, "assistant: ")
    assert answer.startswith("assistant: Let me check the current weather in Paris.")
    assert "18 °C and sunny in Paris" in answer
    assert line_starting(lines, "[tool] ").startswith('[tool] get_weather({"city": "Paris"}) -> {"city": "Paris"')
    assert lines[-1] == "[status] complete (stop)"
    # the words reached the terminal one by one (~25 words, 50 ms apart), not all at the end
    seen = b""
    first_word = status = None
    pieces = 0
    for at, chunk in arrivals:
        seen += chunk
        if first_word is None and b"assistant: Let" in seen:
            first_word = at
        if first_word is not None and status is None:
            pieces += 1
        if status is None and b"[status]" in seen:
            status = at
    assert first_word is not None and status is not None
    assert status - first_word > 0.5
    assert pieces > 5


def test_tool_calling_runs_both_tools() -> None:
    lines = run_example("tool_calling.py")
    assert lines == [
        "question: What's the weather in Paris, and what is 6 * 7?",
        'ran get_weather({"city": "Paris"}) -> {"city": "Paris", "temperature": 18, "unit": "c", '
        '"conditions": "sunny"} [ok]',
        'ran calculator({"a": 6, "op": "*", "b": 7}) -> 42.0 [ok]',
        "answer: It is 18°C and sunny in Paris, and 6 * 7 = 42.",
        "steps: 2, stop reason: done, status: complete",
    ]


def _check_cancelled(lines: list[str], story_end: str) -> None:
    assert "status: incomplete / cancelled" in lines
    took = re.fullmatch(r"cancelled after ([\d.]+) s and 5 text deltas",
                        line_starting(lines, "cancelled after "))
    assert took, lines
    partial = ast.literal_eval(line_starting(lines, "partial message: ").removeprefix("partial message: "))
    assert partial.startswith("Once upon a time")
    assert len(partial.split()) == 5
    assert story_end not in partial
    assert lines[0].strip() == partial.strip()  # what was printed as it arrived


def test_cancel_from_task() -> None:
    started = time.monotonic()
    lines = run_example("cancel_from_task.py")
    _check_cancelled(lines, "Nobody ever reached this sentence.")
    assert "the backend received a cancel for: ['story-time']" in lines
    assert time.monotonic() - started < 8  # the whole story takes ~12 s to stream


def test_auth_token_callable() -> None:
    lines = run_example("auth_token_callable.py")
    assert lines == [
        "headers=callable: You are signed in (token #1 accepted).",
        "headers=callable: You are signed in (token #2 accepted).",
        "headers=callable: You are signed in (token #3 accepted).",
        "get_token was called 3 times for 3 requests",
        "headers=bearer(get_token): You are signed in (token #1 accepted).",
        "secrets stay out of reprs and logs: bearer(****)",
        "without a token: AuthenticationError (401)",
    ]


def test_openai_compatible() -> None:
    lines = run_example("openai_compatible.py")
    assert line_starting(lines, "chat: ").startswith("chat: Hello! I'm the assistant-ui demo backend.")
    assert line_starting(lines, "  status: ").startswith("  status: complete, finish reason: stop, usage: {")
    assert line_starting(lines, "  status: ").endswith("wire format: openai")
    assert '  ran get_weather({"city": "London"}) -> {"city": "London", "temperature": 14, ' \
           '"unit": "c", "conditions": "cloudy"}' in lines
    assert "run: It's 14 °C and cloudy in London right now." in lines
    assert "  history: ['user', 'assistant', 'tool', 'assistant']" in lines
    assert lines[-1] == ("the fake received: POST /v1/chat/completions model=gpt-4o-mini "
                         "stream=True roles=['system', 'user'] authorization=yes")


def test_amazon_q() -> None:
    lines = run_example("amazon_q.py")
    assert lines[0] == "q: (turn 1, 0 earlier, conversation new) You said: Hello, can you help me with Python? "
    assert lines[1] == ("  finish reason: stop, usage: {'inputTokens': 12, 'outputTokens': 9, "
                        "'totalTokens': 21}, conversation: conv-demo")
    # the follow-up carries the history and the thread's conversationId
    assert line_starting(lines, "follow-up: ") == (
        "follow-up: (turn 3, 1 earlier, conversation conv-demo) You said: Can you make it more efficient? ")
    assert '  ran get_weather({"city": "Paris"}) -> {"city": "Paris", "temperature": 14, ' \
           '"conditions": "cloudy"}' in lines
    assert lines[-1] == "run: It's 14 °C and cloudy in Paris."


def test_ai_sdk_backend() -> None:
    lines = run_example("ai_sdk_backend.py")
    assert lines[0] == "you: Hello!"
    assert lines[1].startswith("assistant: Hello! I'm the assistant-ui demo backend.")
    assert "you: What's the weather in Berlin?" in lines
    assert '  [tool] get_weather({"city": "Berlin"}) -> {"city": "Berlin", "temperature": 16, ' \
           '"unit": "c", "conditions": "windy"}' in lines
    statuses = [line for line in lines if line.startswith("  status: ")]
    assert len(statuses) == 2
    assert all(s.startswith("  status: complete, wire format: ui-message-stream, usage: {") for s in statuses)
    # the AI SDK route keeps no history: the second request carries the whole conversation
    assert lines[-2:] == [
        "the fake received: id=ai-sdk-example trigger=submit-message messages=['user']",
        "the fake received: id=ai-sdk-example trigger=submit-message "
        "messages=['user', 'assistant', 'user']",
    ]


# -- against examples/fastapi_backend.py ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BackendProcess:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def assistant_stream_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    pytest.importorskip("assistant_stream")
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    port = _free_port()
    log = tmp_path_factory.mktemp("fastapi_backend") / "backend.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            _command("fastapi_backend.py", "--port", str(port), "--delay", "0.02"),
            cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"fastapi_backend.py exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"fastapi_backend.py did not listen:\n{log.read_text()}"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        yield BackendProcess(f"http://127.0.0.1:{port}", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_sync_script_against_the_assistant_stream_backend(assistant_stream_backend: BackendProcess) -> None:
    lines = run_example("sync_script.py", "Hello!", "--base-url", assistant_stream_backend.url)
    assert line_starting(lines, "answer: ").startswith("answer: Hello! I am a small assistant-stream backend.")
    assert "status: complete (finish reason: stop)" in lines
    assert re.fullmatch(r"usage: [1-9]\d* input tokens, [1-9]\d* output tokens", lines[-1])
    assert "chat thread=sync-example: text answer" in assistant_stream_backend.log_text()


def test_stream_to_terminal_against_the_assistant_stream_backend(
    assistant_stream_backend: BackendProcess,
) -> None:
    lines = run_example("stream_to_terminal.py", "Tell me a story",
                        "--base-url", assistant_stream_backend.url)
    answer = line_starting(lines, "assistant: ")
    assert answer.startswith("assistant: Once upon a time, in a data center far away")
    assert answer.endswith("The end.")
    assert lines[-1].startswith("[status] complete")


def test_tool_calling_against_the_assistant_stream_backend(assistant_stream_backend: BackendProcess) -> None:
    lines = run_example("tool_calling.py", "--base-url", assistant_stream_backend.url)
    assert lines[1:] == [
        'ran get_weather({"city": "Paris"}) -> {"city": "Paris", "temperature": 18, "unit": "c", '
        '"conditions": "sunny"} [ok]',
        'ran calculator({"a": 6, "op": "*", "b": 7}) -> 42.0 [ok]',
        "answer: It is 18°C and sunny in Paris. The calculator says 42.",
        "steps: 2, stop reason: done, status: complete",
    ]
    log = assistant_stream_backend.log_text()
    assert "chat thread=tools-example: asking for get_weather, calculator" in log
    assert "chat thread=tools-example: 2 tool result(s)" in log


def test_cancel_from_task_against_the_assistant_stream_backend(
    assistant_stream_backend: BackendProcess,
) -> None:
    lines = run_example("cancel_from_task.py", "--base-url", assistant_stream_backend.url)
    _check_cancelled(lines, "The end.")
    assert "cancel thread=story-time" in assistant_stream_backend.log_text()
