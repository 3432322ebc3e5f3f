"""The modules of ``assistant_ui.tools`` import one another in one direction only: no
cycle, counting imports inside functions and under ``TYPE_CHECKING``, and every file
stays under 500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import assistant_ui.tools

PACKAGE = Path(assistant_ui.tools.__file__).parent


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    if node.level == 0:
        base = node.module or ""
    else:
        parts = module.split(".")
        # a module's package is its name less the last part (``__init__`` is the package)
        package = parts if module.endswith("tools") else parts[:-1]
        base_parts = package[: len(package) - (node.level - 1)]
        base = ".".join(base_parts + ([node.module] if node.module else []))
    names = [f"{base}.{alias.name}" for alias in node.names]
    return [base, *names]


def import_graph() -> dict[str, set[str]]:
    modules = {
        ("assistant_ui.tools" if p.stem == "__init__" else f"assistant_ui.tools.{p.stem}"): p
        for p in PACKAGE.glob("*.py")
    }
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                targets = _resolve(name, node)
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def test_no_import_cycle_in_tools() -> None:
    graph = import_graph()
    assert "assistant_ui.tools.runner" in graph["assistant_ui.tools"]
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [])
    # the submodules never import the package itself (its __init__ only re-exports)
    for name, targets in graph.items():
        if name != "assistant_ui.tools":
            assert "assistant_ui.tools" not in targets, name


def test_files_are_short() -> None:
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 500, path.name


def test_public_names() -> None:
    from assistant_ui.tools import runner

    assert assistant_ui.tools.RunResult is runner.RunResult
    assert assistant_ui.tools.AsyncRunStream is runner.AsyncRunStream
    assert not hasattr(assistant_ui.tools, "__getattr__")
    for name in assistant_ui.tools.__all__:
        assert getattr(assistant_ui.tools, name) is not None
