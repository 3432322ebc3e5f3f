"""Code written for 0.1.1 imports unchanged (every name it exported, from the same
place), and ``import assistant_ui`` stays light: it does not load httpx.

Each check runs in a fresh interpreter, so that nothing another test imported hides
a missing name or a heavy import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: what 0.1.1 exported at the top level (docs/api.md §1 of the project's contract)
TOP_LEVEL = [
    "AssistantClient",
    "ThreadClient",
    "Message",
    "SystemMessage",
    "UserMessage",
    "AssistantMessage",
    "ToolMessage",
    "TextPart",
    "ImagePart",
    "FilePart",
    "ToolCallPart",
    "ToolResultPart",
    "Tool",
    "ToolParameters",
]


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_name_imports(name: str) -> None:
    out = run_python(f"from assistant_ui import {name}; print({name} is not None)")
    assert out.strip() == "True"


def test_top_level_names_are_in_all() -> None:
    import assistant_ui

    assert set(TOP_LEVEL) <= set(assistant_ui.__all__)
    assert set(TOP_LEVEL) <= set(dir(assistant_ui))


def test_the_client_module_of_0_1_1() -> None:
    out = run_python(
        "from assistant_ui.client import AssistantClient, ThreadClient\n"
        "import assistant_ui\n"
        "print(AssistantClient is assistant_ui.AssistantClient, ThreadClient is assistant_ui.ThreadClient)\n"
        "c = AssistantClient(base_url='https://api.example.com')\n"
        "print(type(c.threads('t')).__name__)"
    )
    assert out.split() == ["True", "True", "ThreadClient"]


def test_types_module_keeps_every_name() -> None:
    names = [n for n in TOP_LEVEL if n not in ("AssistantClient", "ThreadClient")]
    out = run_python(f"from assistant_ui.types import {', '.join(names)}; print('ok')")
    assert out.strip() == "ok"


def test_top_level_types_are_the_types_modules() -> None:
    import assistant_ui
    import assistant_ui.types

    for name in TOP_LEVEL[2:]:
        assert getattr(assistant_ui, name) is getattr(assistant_ui.types, name), name


def test_tool_parameters_describe_a_json_schema_object() -> None:
    from assistant_ui.types import ToolParameters

    keys = ToolParameters.__annotations__
    assert {"type", "properties", "required"} <= set(keys)
    assert ToolParameters.__required_keys__ == frozenset({"type"})


def test_not_required_keys_are_not_required_at_run_time() -> None:
    from assistant_ui.types import AssistantMessage, StepInfo, TextPart, ToolCallPart

    assert TextPart.__required_keys__ == frozenset({"type", "text"})
    assert ToolCallPart.__required_keys__ == frozenset({"type", "toolCallId", "toolName", "args"})
    assert AssistantMessage.__required_keys__ == frozenset({"role", "content"})
    assert "messageId" in StepInfo.__optional_keys__


def test_import_assistant_ui_does_not_load_httpx() -> None:
    out = run_python(
        "import sys, json\n"
        "import assistant_ui\n"
        "from assistant_ui import Message, Tool, user, NotFoundError\n"
        "import assistant_ui.types, assistant_ui.messages, assistant_ui.errors\n"
        "print(json.dumps(sorted(m for m in ('httpx', 'anyio', 'httpcore', 'h11') if m in sys.modules)))"
    )
    assert json.loads(out) == []


def test_the_client_loads_on_first_use() -> None:
    out = run_python(
        "import sys\n"
        "import assistant_ui\n"
        "assistant_ui.AssistantClient\n"
        "print('httpx' in sys.modules)"
    )
    assert out.strip() == "True"
