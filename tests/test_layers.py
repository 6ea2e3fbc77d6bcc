"""The package's architecture, read from its source with `ast` (nothing is imported): every import of
a rageval module names one that exists, no import cycles between modules or between the
subpackages of any package, and each layer imports only the layers below it.

Every import counts, function-local ones too (a lazy import that closes a cycle still ties the two
modules together); imports under ``if TYPE_CHECKING:`` do not. ``from pkg import name`` is an edge
to the module ``pkg.name`` when there is one, else to ``pkg`` (import-linter's reading).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO

PACKAGE = REPO / "rageval"

#: layer -> what it must not import ("rageval": nothing from rageval outside the layer itself)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "rageval.core": ("rageval",),
    "rageval.textutils": ("rageval",),
    "rageval.judges": ("rageval.scorers", "rageval.run", "rageval.results", "rageval.leaderboard"),
    "rageval.scorers": ("rageval.data", "rageval.run", "rageval.results", "rageval.leaderboard", "rageval.stats"),
    "rageval.stats": ("rageval.leaderboard", "rageval.run"),
    # rewards reuse evaluate's per-example scoring (rageval.run.evaluate.score_batch): run is allowed
    "rageval.training": ("rageval.data", "rageval.results", "rageval.stats", "rageval.leaderboard", "rageval.metaeval"),
    "rageval.losses": ("rageval.scorers", "rageval.data", "rageval.run", "rageval.results", "rageval.leaderboard",
                       "rageval.stats"),
}

#: (importer, imported) module edges known to break the rules above, each being removed by the
#: engineer who owns it. They are left out of every check; `test_known_violations_are_still_there`
#: fails once one is fixed: then delete its line here. Empty this set, never add to it.
KNOWN_VIOLATIONS: set[tuple[str, str]] = {
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    path: str  # relative to the folder that holds the package
    line: int
    statement: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} `{self.statement}`"


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (getattr(node.test, "id", None) == "TYPE_CHECKING"
                                         or getattr(node.test, "attr", None) == "TYPE_CHECKING"):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports(modules: dict[str, Path], root: Path = PACKAGE) -> tuple[list[Import], list[Import]]:
    """(the edges between modules of the package at ``root``, the imports that name no module of it)."""
    top = root.name
    edges, unresolved = [], []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            statement = ast.unparse(node)
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = node.module or ""
                if node.level:
                    package = name if modules[name].name == "__init__.py" else name.rpartition(".")[0]
                    package = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{package}.{base}" if base else package
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in dict.fromkeys(targets):
                if target != top and not target.startswith(top + "."):
                    continue
                record = Import(name, target, str(path.relative_to(root.parent)), node.lineno, statement)
                if target not in modules:
                    unresolved.append(record)
                elif target != name:
                    edges.append(record)
    return edges, unresolved


def cycles(edges: list[Import]) -> list[list[Import]]:
    """One cycle (as its imports, in order) per strongly connected component with more than one node."""
    graph: dict[str, dict[str, Import]] = {}
    for e in edges:
        graph.setdefault(e.importer, {}).setdefault(e.imported, e)
        graph.setdefault(e.imported, {})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_cycle_through(graph, c, min(c)) for c in components]


def _cycle_through(graph: dict[str, dict[str, Import]], component: set[str], start: str) -> list[Import]:
    """A shortest cycle from ``start`` back to it inside its strongly connected component."""
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        reached = []
        for v in frontier:
            for w, e in sorted(graph[v].items()):
                if w == start:
                    return paths[v] + [e]
                if w in component and w not in paths:
                    paths[w] = paths[v] + [e]
                    reached.append(w)
        frontier = reached
    raise AssertionError(f"{start} is on no cycle")  # cannot happen in a strongly connected component


def collapsed(edges: list[Import], package: str) -> list[Import]:
    """The edges between the direct children of ``package`` (a subpackage stands for all its
    modules; the package's own ``__init__`` is left out): a cycle here is one between subpackages."""
    def child(module: str) -> str | None:
        if not module.startswith(package + "."):
            return None
        return f"{package}.{module[len(package) + 1:].split('.')[0]}"

    out = []
    for e in edges:
        a, b = child(e.importer), child(e.imported)
        if a and b and a != b:
            out.append(Import(a, b, e.path, e.line, e.statement))
    return out


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_violations(edges: list[Import]) -> list[tuple[Import, str, str]]:
    """(import, layer, forbidden prefix) for each import that reaches a layer it must not."""
    out = []
    for e in edges:
        for layer, banned in FORBIDDEN.items():
            if _within(e.importer, layer) and not _within(e.imported, layer):
                out += [(e, layer, b) for b in banned if _within(e.imported, b)][:1]
    return out


def _cycle_text(cycle: list[Import]) -> str:
    return " -> ".join([cycle[0].importer] + [e.imported for e in cycle]) + "".join(f"\n    {e}" for e in cycle)


def _all_cycles(edges: list[Import], modules: dict[str, Path]) -> list[list[Import]]:
    found = cycles(edges)
    for package in sorted(m for m, p in modules.items() if p.name == "__init__.py"):
        found += cycles(collapsed(edges, package))
    # a cycle among the modules of one package is found twice: once among modules, once among children
    unique = {frozenset((e.path, e.line) for e in c): c for c in reversed(found)}
    return list(reversed(unique.values()))


@pytest.fixture(scope="module")
def graph():
    modules = module_names()
    edges, unresolved = imports(modules)
    known = [e for e in edges if (e.importer, e.imported) in KNOWN_VIOLATIONS]
    return modules, [e for e in edges if (e.importer, e.imported) not in KNOWN_VIOLATIONS], known, unresolved


def test_every_rageval_import_names_a_module_that_exists(graph):
    _, _, _, unresolved = graph
    if unresolved:
        pytest.fail("imports of rageval modules that do not exist:\n" + "\n".join(map(str, unresolved)), pytrace=False)


def test_no_import_cycles(graph):
    modules, edges, _, _ = graph
    found = _all_cycles(edges, modules)
    if found:
        pytest.fail("import cycles:\n" + "\n".join(map(_cycle_text, found)), pytrace=False)


def test_layers_import_only_downward(graph):
    _, edges, _, _ = graph
    found = layer_violations(edges)
    if found:
        lines = [f"{e}: {layer} must not import {banned}" for e, layer, banned in found]
        pytest.fail("upward imports:\n" + "\n".join(lines), pytrace=False)


def test_known_violations_are_still_there(graph):
    modules, edges, known, _ = graph
    everything = edges + known
    still = {(e.importer, e.imported) for e, _, _ in layer_violations(known)}
    still |= {(e.importer, e.imported) for c in cycles(everything) for e in c}
    for package in (m for m, p in modules.items() if p.name == "__init__.py"):
        for cycle in cycles(collapsed(everything, package)):  # a cycle between subpackages
            tied = {e.importer for e in cycle}
            still |= {(e.importer, e.imported) for e in known
                      if any(_within(e.importer, a) and not _within(e.imported, a) for a in tied)
                      and any(_within(e.imported, b) for b in tied)}
    fixed = sorted(set(KNOWN_VIOLATIONS) - still)
    if fixed:
        pytest.fail("fixed, so delete from KNOWN_VIOLATIONS in tests/test_layers.py: "
                    + ", ".join(f"{a} -> {b}" for a, b in fixed), pytrace=False)


def test_the_checks_see_local_imports_and_skip_type_checking(tmp_path):
    pkg = tmp_path / "rageval"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("from rageval.low import a\n")
    (pkg / "low" / "a.py").write_text("from typing import TYPE_CHECKING\n"
                                      "if TYPE_CHECKING:\n    from rageval import top\n"
                                      "def f():\n    from . import b\n")
    (pkg / "low" / "b.py").write_text("import rageval.low.a\nfrom rageval.top import g\nfrom rageval.gone import x\n")
    (pkg / "top.py").write_text("from rageval.low.a import f\ndef g(): ...\n")
    modules = module_names(pkg)
    edges, unresolved = imports(modules, pkg)
    pairs = {(e.importer, e.imported) for e in edges}
    assert pairs == {("rageval.low", "rageval.low.a"), ("rageval.low.a", "rageval.low.b"),
                     ("rageval.low.b", "rageval.low.a"), ("rageval.low.b", "rageval.top"),
                     ("rageval.top", "rageval.low.a")}
    assert [u.imported for u in unresolved] == ["rageval.gone"]
    found = _all_cycles(edges, modules)
    assert any({e.importer for e in c} == {"rageval.low.a", "rageval.low.b"} for c in found)
    assert any({e.importer for e in c} == {"rageval.low", "rageval.top"} for c in found)  # between subpackages
    assert "b.py:2" in _cycle_text(next(c for c in found if "rageval.top" in {e.importer for e in c}))
