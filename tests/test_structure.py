"""The shape the code keeps (CONTRIBUTING.md): short functions, no import cycles, one name per
module, and the pure package never reaching up to Pulumi or the component."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

MAX_FUNCTION_LINES = 60
PACKAGES = ("flux_bootstrap", "components")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in MODULES.items()}


def imported(name: str, tree: ast.Module) -> set[str]:
    """What a module imports, at its top or inside a function: module names, ours or not."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            # `from . import sops` imports the module sops; `from .x import f` the module x.
            modules = {f"{target}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(modules or {target})
    return found


GRAPH = {name: {m for m in imported(name, tree) if m in MODULES and m != name} for name, tree in TREES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_function_is_longer_than_a_reader_takes_in():
    long = [f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
            for name, tree in TREES.items() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def test_no_module_imports_one_that_imports_it_back():
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_two_modules_share_a_file_name():
    names = [p.name for p in MODULES.values() if p.name not in ("__init__.py", "__main__.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_the_pure_package_never_imports_pulumi_or_the_component():
    upward = {name: sorted(m for m in imported(name, tree) if m.split(".")[0] in ("pulumi", "components")
                           or m.startswith("pulumi_"))
              for name, tree in TREES.items() if name.startswith("flux_bootstrap")}
    assert {name: found for name, found in upward.items() if found} == {}
