"""The package's layers: commands -> orchestration -> capabilities -> core, and no import cycles.

Every module of ``lstm_bench`` is parsed (never imported). An import may only point at the same
layer or a lower one; lazy imports inside functions (kept for optional or heavy dependencies)
obey the same order. Module-level imports (outside ``if TYPE_CHECKING:``) are the ones executed
at import time, so they alone must form a graph without cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import lstm_bench

ROOT = Path(lstm_bench.__file__).parent

#: Layers from the top: a module may import its own layer and those below it, never one above.
#: A module belongs to the first layer with a prefix that names it or a package above it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("commands", ("lstm_bench.cli", "lstm_bench.__main__", "lstm_bench.commands")),
    ("orchestration", ("lstm_bench.orchestration",)),
    (
        "capabilities",
        (
            "lstm_bench.conformance",
            "lstm_bench.stability",
            "lstm_bench.bench",
            "lstm_bench.gate",
            "lstm_bench.report",
            "lstm_bench.scaleout",
            "lstm_bench.testing",
            "lstm_bench.suites",
            "lstm_bench.pytest_plugin",  # the pytest entry point; the suites' conftests use it
            "lstm_bench.documents",  # the typed results document: reads every capability's section
        ),
    ),
    # reference, kinds, loader, adapters (what the loader builds foreign layers with), probe, results, ...
    ("core", ("lstm_bench",)),
)


@dataclass(frozen=True)
class Import:
    """One import of an lstm_bench module by another: ``source`` imports ``target`` at ``line``."""

    source: str
    target: str
    line: int
    module_level: bool  # executed when ``source`` is imported (not in a function, not TYPE_CHECKING)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The lstm_bench module ``name`` denotes: itself, or the closest package or module above it."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _absolute(source: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = source if MODULES[source].name == "__init__.py" else source.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(source: str, body: Sequence[ast.AST], module_level: bool) -> Iterator[Import]:
    for node in body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target is not None:
                    yield Import(source, target, node.lineno, module_level)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(source, node)
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                target = _resolve(f"{base}.{alias.name}") if alias.name != "*" else _resolve(base)
                if target is not None and target != source:
                    yield Import(source, target, node.lineno, module_level)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(source, node.body, False)
        elif isinstance(node, ast.If) and _is_type_checking(node):
            yield from _walk(source, node.body, False)
            yield from _walk(source, node.orelse, module_level)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                children = getattr(node, field, None)
                if isinstance(children, list):  # class bodies, try/except, with, if, loops
                    yield from _walk(source, children, module_level)


def _imports() -> list[Import]:
    out: list[Import] = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        out += _walk(name, tree.body, True)
    return out


def layer_of(module: str) -> int:
    """The layer's index, 0 the top (commands)."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer")


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself), by Tarjan."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for edge in edges:
        graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


IMPORTS = _imports()


def test_every_module_is_in_a_layer() -> None:
    assert len(MODULES) > 50
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{i.source} ({LAYERS[layer_of(i.source)][0]}) imports {i.target} ({LAYERS[layer_of(i.target)][0]}) at line {i.line}"
        for i in IMPORTS
        if layer_of(i.target) < layer_of(i.source)
    ]
    assert upward == [], "imports against the layer order:\n" + "\n".join(upward)


@pytest.mark.parametrize("lazy", [False, True], ids=["module-level", "lazy-too"])
def test_no_import_cycles(lazy: bool) -> None:
    """No cycle among module-level imports, nor once the lazy ones inside functions are counted too."""
    found = cycles([i for i in IMPORTS if lazy or i.module_level])
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([("lstm_bench.kinds", "lstm_bench.errors")], []),
        (
            [("lstm_bench.kinds", "lstm_bench.errors"), ("lstm_bench.errors", "lstm_bench.kinds")],
            [["lstm_bench.errors", "lstm_bench.kinds"]],
        ),
    ],
)
def test_the_cycle_finder_finds_a_planted_cycle(
    edges: list[tuple[str, str]], expected: list[list[str]]
) -> None:
    assert cycles([Import(s, t, 1, True) for s, t in edges]) == expected


def test_the_layer_check_sees_lazy_and_relative_imports() -> None:
    source = "lstm_bench.report.render"
    tree = ast.parse("def f():\n    from lstm_bench.orchestration import pipeline\nfrom . import plots\n")
    found = list(_walk(source, tree.body, True))
    assert Import(source, "lstm_bench.orchestration.pipeline", 2, False) in found
    assert Import(source, "lstm_bench.report.plots", 3, True) in found
    assert layer_of("lstm_bench.orchestration.pipeline") < layer_of(source)
