"""The shape of the package: no import cycles, layers that only look down, one public surface.

The import graph is read from the source (every ``import`` statement, also those inside
functions and under ``TYPE_CHECKING``: a cycle hidden in a function is still a cycle), so a new
edge that breaks a rule fails here, naming it.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import eci_provider

PACKAGE = Path(eci_provider.__file__).resolve().parent

#: Which layers each layer may import (besides itself); docs/architecture.md draws the same.
ALLOWED: dict[str, set[str]] = {
    "spec": set(),
    "planning": {"spec"},
    "cloud": {"spec"},
    "emulator": {"spec", "cloud"},
    "provider": {"spec", "planning", "cloud", "emulator"},
    "review": {"spec", "planning", "provider"},
    "importer": {"spec", "planning", "cloud", "provider"},
    # The native plugin: glue over provider.operations, like the dynamic provider (the emulator
    # only for `embedded:` endpoints, which it reaches through provider.settings).
    "native": {"spec", "planning", "cloud", "provider", "emulator"},
    "cli": {"spec", "planning", "cloud", "emulator", "provider", "review", "importer"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (a.name for a in node.names if a.name in MODULES)
        return
    if node.level:
        here = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    for alias in node.names:
        name = f"{base}.{alias.name}"
        if name in MODULES:
            yield name  # `from . import rules`: the submodule
        elif base in MODULES:
            yield base


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[module].update(t for t in _targets(module, node) if t != module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_there_is_no_import_cycle_inside_the_package() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a graph with a cycle through three modules is caught."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_every_layer_imports_only_the_layers_below_it() -> None:
    wrong = []
    for module, targets in import_graph().items():
        here = layer(module)
        if here is None:
            continue  # the package's front door re-exports the public surface
        assert here in ALLOWED, f"{module}: a new layer; add it to ALLOWED and docs/architecture.md"
        for target in targets:
            there = layer(target)
            if there is None:
                wrong.append(f"{module} imports the package root")
            elif there != here and there not in ALLOWED[here]:
                wrong.append(f"{module} ({here}) imports {target} ({there})")
    assert wrong == []


def test_the_graph_sees_imports_inside_functions() -> None:
    """``review.comment`` imports ``review.fit`` at module level; ``provider.settings`` builds the
    embedded emulator inside a function: both edges are in the graph."""
    graph = import_graph()
    assert "eci_provider.review.fit" in graph["eci_provider.review.comment"]
    assert any(t.startswith("eci_provider.emulator") for t in graph["eci_provider.provider.settings"])


PUBLIC = {
    "ContainerGroup": "eci_provider.provider.resource",
    "ContainerGroupSpec": "eci_provider.spec.model",
    "EciClient": "eci_provider.cloud.client",
    "Emulator": "eci_provider.emulator.core",
    "EmulatorConfig": "eci_provider.emulator.config",
    "Plan": "eci_provider.planning.planner",
    "applied_record": "eci_provider.planning.planner",
    "embedded_transport": "eci_provider.emulator",  # imports httpx on first use
    "plan": "eci_provider.planning.planner",
    "serve": "eci_provider.emulator.server",
}


def test_the_public_api_is_declared_and_each_name_is_the_real_thing() -> None:
    assert sorted(eci_provider.__all__) == sorted(PUBLIC)
    for name, home in PUBLIC.items():
        assert getattr(eci_provider, name) is getattr(importlib.import_module(home), name), name


@pytest.mark.parametrize(
    "path",
    [
        "eci_provider.provider.ContainerGroupProvider",  # pickled into every resource's state
        "eci_provider.provider.ContainerGroup",
        "eci_provider.spec.model.ContainerGroupSpec",
        "eci_provider.planning.planner.plan",
        "eci_provider.cloud.client.EciClient",
    ],
)
def test_the_import_paths_states_and_the_readme_use_keep_working(path: str) -> None:
    module, _, name = path.rpartition(".")
    assert getattr(importlib.import_module(module), name) is not None
