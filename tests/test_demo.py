"""``python -m assistant_ui demo`` and the command line around it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import httpx
import pytest

import assistant_ui
from assistant_ui.__main__ import main
from assistant_ui._demo import run_demo

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_UI_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    return env


def _check_conversation(out: str) -> None:
    assert "you: Hello!" in out
    assert "I'm the assistant-ui demo backend" in out
    assert "you: What's the weather in Paris?" in out
    assert "assistant: Let me check the current weather in Paris." in out
    assert '[tool call] get_weather({"city": "Paris"})' in out
    assert ('[tool result] get_weather -> {"city": "Paris", "temperature": 18, "unit": "c", '
            '"conditions": "sunny"}') in out
    assert "It's 18 °C and sunny in Paris right now." in out
    # the order of a real exchange: question, streamed text, the call, its result, the answer
    order = [out.index(s) for s in ("you: What's the weather", "Let me check", "[tool call]",
                                    "[tool result]", "It's 18 °C")]
    assert order == sorted(order)
    assert out.count("[complete: stop") == 2


def test_demo_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant_ui", "demo", "--delay", "0"],
        capture_output=True, text=True, encoding="utf-8", timeout=60, env=_env(), cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("assistant-ui demo: the built-in demo backend is at http://127.0.0.1:")
    _check_conversation(proc.stdout)
    assert "\x1b[" not in proc.stdout  # no colour when piped


def test_demo_prints_the_text_as_it_arrives() -> None:
    # each chunk waits 0.05 s: the answer must show up bit by bit, not all at the end
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant_ui", "demo", "--delay", "0.05"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT,
    )
    reads: list[tuple[float, bytes]] = []
    assert proc.stdout is not None

    def reader() -> None:
        assert proc.stdout is not None
        while True:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                return
            reads.append((time.monotonic(), chunk))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        thread.join(10)
    out = b"".join(c for _, c in reads).decode("utf-8")
    _check_conversation(out)
    answer_reads = [t for t, c in reads if b"Let me" in c or b"It's" in c or b"weather" in c]
    assert len(reads) > 20  # many small writes, flushed one by one
    first_text = next(t for t, c in reads if b"assistant:" in c)
    assert reads[-1][0] - first_text > 1.0  # text kept arriving for a while
    assert answer_reads


def _run_blocking(blocked: set[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``main(args)`` in a child process where ``blocked`` packages cannot be imported."""
    code = (
        "import sys, importlib.abc\n"
        f"BLOCKED = {sorted(blocked)!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from assistant_ui.__main__ import main\n"
        f"code = main({list(args)!r})\n"
        "assert not set(BLOCKED) & set(m.split('.')[0] for m in sys.modules), sorted(sys.modules)\n"
        "sys.exit(code)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          encoding="utf-8", timeout=60, env=_env(), cwd=ROOT)


def test_demo_needs_only_the_demo_extra() -> None:
    # the test tools are installed here; make them unimportable: uvicorn is all the demo adds
    proc = _run_blocking({"starlette", "hypothesis", "respx", "pytest", "trio",
                          "assistant_stream", "orjson", "fastapi"}, "demo", "--delay", "0")
    assert proc.returncode == 0, proc.stderr
    _check_conversation(proc.stdout)


@pytest.mark.parametrize("args", [("demo",), ("chat", "--demo")])
def test_without_uvicorn_the_demo_prints_the_install_line(args: tuple[str, ...]) -> None:
    proc = _run_blocking({"uvicorn"}, *args)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert 'pip install -e ".[demo]" && python -m assistant_ui demo' in proc.stderr
    assert "uvicorn, which is not installed" in proc.stderr


def test_run_demo_in_process_with_other_formats() -> None:
    for fmt in (None, "assistant-transport", "ui-message-stream"):
        out = io.StringIO()
        assert run_demo(out, delay=0, format=fmt) == 0, out.getvalue()
        _check_conversation(out.getvalue())


def test_demo_with_a_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--delay", "0", "--no-color", "Is", "it", "cold", "in", "Berlin?"]) == 0
    out = capsys.readouterr().out
    assert "you: Is it cold in Berlin?" in out
    assert '[tool call] get_weather({"city": "Berlin"})' in out
    assert "It's 16 °C and windy in Berlin right now." in out


def test_demo_fails_when_no_tool_call_happens(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--delay", "0", "just", "chatting"]) == 1
    captured = capsys.readouterr()
    assert 'You said: "just chatting"' in captured.out
    assert "did not go as expected" in captured.err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"assistant-ui {assistant_ui.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    assert "demo" in help_text and "chat" in help_text
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def _fake_cli(calls: list[Any], check: Any = None) -> types.ModuleType:
    module = types.ModuleType("assistant_ui._cli")

    def add_chat_arguments(parser: Any) -> None:
        parser.add_argument("--base-url")
        parser.add_argument("--thread")

    def main_chat(args: Any) -> int:
        calls.append(vars(args).copy())
        return check(args) if check is not None else 7

    module.add_chat_arguments = add_chat_arguments  # type: ignore[attr-defined]
    module.main_chat = main_chat  # type: ignore[attr-defined]
    return module


def test_chat_is_handed_to_the_cli_module(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "assistant_ui._cli", _fake_cli(calls))
    monkeypatch.setattr(assistant_ui, "_cli", sys.modules["assistant_ui._cli"], raising=False)
    assert main(["chat", "--base-url", "http://127.0.0.1:9", "--thread", "t1"]) == 7
    assert calls[0]["base_url"] == "http://127.0.0.1:9" and calls[0]["thread"] == "t1"
    assert calls[0]["command"] == "chat" and calls[0]["demo"] is False


def test_chat_with_the_demo_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    def check(args: Any) -> int:
        # the demo backend is up while the chat runs
        response = httpx.post(args.base_url + "/api/chat", trust_env=False,
                              json={"threadId": "t", "commands": []})
        assert response.status_code == 200
        assert response.headers["x-vercel-ai-data-stream"] == "v1"
        assert b'0:"Hello! "' in response.content
        return 0

    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "assistant_ui._cli", _fake_cli(calls, check))
    monkeypatch.setattr(assistant_ui, "_cli", sys.modules["assistant_ui._cli"], raising=False)
    assert main(["chat", "--demo"]) == 0
    assert calls[0]["base_url"].startswith("http://127.0.0.1:")


def test_chat_without_the_cli_module(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "assistant_ui._cli", None)  # makes the import fail
    monkeypatch.delattr(assistant_ui, "_cli", raising=False)
    assert main(["chat", "--base-url", "http://x"]) == 1
    assert "the chat command is not available" in capsys.readouterr().err
