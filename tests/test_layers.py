"""The package's layers import one way, and no module imports another in a circle.

Every import counts (module level and inside functions), except those under
``if TYPE_CHECKING:`` (types only) and the PEP 562 lazy loader of
``assistant_ui/__init__.py`` (its names are strings). The layers, lowest first,
are described in docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "assistant_ui"

#: (module name prefix, layer): the longest matching prefix wins; lower layers never
#: import higher ones
LAYERS: list[tuple[str, int]] = [
    ("assistant_ui.types", 0),
    ("assistant_ui.events", 0),
    ("assistant_ui._log", 0),
    ("assistant_ui._redaction", 0),
    ("assistant_ui._redacted_errors", 0),
    ("assistant_ui.errors", 1),
    ("assistant_ui._wire", 2),
    ("assistant_ui.decoding", 3),
    ("assistant_ui.messages", 3),
    ("assistant_ui._call", 3),
    ("assistant_ui._transports", 4),
    ("assistant_ui.auth", 4),
    ("assistant_ui._auth", 4),
    ("assistant_ui.tools", 5),
    ("assistant_ui._stream_view", 6),
    ("assistant_ui._sync_stream", 6),
    ("assistant_ui._async_stream", 6),
    ("assistant_ui._thread", 6),
    ("assistant_ui._client", 6),
    ("assistant_ui._base_url", 6),
    ("assistant_ui._cli", 7),
    ("assistant_ui.testing", 7),
    ("assistant_ui._demo", 7),
    ("assistant_ui.__main__", 7),
    ("assistant_ui.client", 7),
]
TOP = 8  # the package itself (assistant_ui/__init__.py re-exports every layer)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(name: str) -> int:
    best, rank = "", TOP
    for prefix, value in LAYERS:
        if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
            best, rank = prefix, value
    if not best and name != "assistant_ui":
        raise AssertionError(f"{name} is in no layer: add it to LAYERS (and docs/architecture.md)")
    return rank


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def edges(known: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the package modules it imports."""
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        is_pkg = path.name == "__init__.py"
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("assistant_ui"))
                continue
            if node.level == 0:
                if not (node.module or "").startswith("assistant_ui"):
                    continue
                base = node.module or ""
            else:
                parts = name.split(".") if is_pkg else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in known else base)
        graph[name] = {t for t in targets if t in known and t != name}
    return graph


def test_every_module_has_a_layer() -> None:
    for name in modules():
        layer(name)


def test_lower_layers_never_import_higher_ones() -> None:
    known = modules()
    bad = [
        f"{src} (layer {layer(src)}) imports {dst} (layer {layer(dst)})"
        for src, targets in sorted(edges(known).items())
        for dst in sorted(targets)
        if dst != "assistant_ui" and layer(dst) > layer(src)
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycle() -> None:
    graph = edges(modules())
    # importing a submodule runs its parent packages first: that is not an edge of ours
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        # iterative Tarjan
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
                continue
            if child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("snippet", ["from .x import y", "import assistant_ui._wire.sse"])
def test_the_checker_sees_imports_inside_functions(snippet: str) -> None:
    tree = ast.parse(f"def f():\n    {snippet}\nif TYPE_CHECKING:\n    import assistant_ui._client\n")
    found = list(_imports(tree))
    assert len(found) == 1  # the function-level one counts, the TYPE_CHECKING one does not


def test_no_module_is_over_500_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > 500
    }
    assert not long, long
