"""The layer order of ARCHITECTURE.md, checked on the import graph: data flows one way.

Every `hybrid_rec` import (module level or inside a function) must point to an earlier layer, or to
the importer's own layer when that layer is the core or the same package. Siblings of one layer
(`api`, `evaluate`, `feedback`) never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hybrid_rec"

# (layer name, module prefixes), earliest first; a module belongs to the first prefix that matches.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "core",
        (
            "hybrid_rec.errors",
            "hybrid_rec.config",
            "hybrid_rec.policy",
            "hybrid_rec._threads",
            "hybrid_rec._progress",
            "hybrid_rec._extras",
            "hybrid_rec._faults",
            "hybrid_rec.session",
            "hybrid_rec.topk",
            "hybrid_rec.metrics",
            "hybrid_rec.persist",
            "hybrid_rec.store",
            "hybrid_rec.tracking",
            "hybrid_rec.search_options",
        ),
    ),
    ("data", ("hybrid_rec.data",)),
    ("text", ("hybrid_rec.text",)),
    ("candidates", ("hybrid_rec.candidates",)),
    ("verbalize", ("hybrid_rec.verbalize",)),
    ("rerank", ("hybrid_rec.rerank",)),
    ("explain", ("hybrid_rec.explain",)),
    ("pipeline", ("hybrid_rec.pipeline",)),
    ("uses", ("hybrid_rec.api", "hybrid_rec.evaluate", "hybrid_rec.feedback")),
    ("apps", ("hybrid_rec.batch", "hybrid_rec.serve")),
    ("cli", ("hybrid_rec.cli",)),
    ("facade", ("hybrid_rec",)),
]


def layer_of(module: str) -> tuple[int, str]:
    """(layer rank, the prefix that placed it) of a dotted module name."""
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return rank, prefix
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and ARCHITECTURE.md")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def hybrid_rec_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a hybrid_rec module in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, n) for n in names if n == "hybrid_rec" or n.startswith("hybrid_rec.")]
    return found


def violations(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported`, or None when it may."""
    rank, prefix = layer_of(importer)
    their_rank, their_prefix = layer_of(imported)
    if their_rank > rank:
        return f"{importer} ({LAYERS[rank][0]}) imports the later layer {LAYERS[their_rank][0]} ({imported})"
    if their_rank == rank and prefix != their_prefix and LAYERS[rank][0] != "core":
        return f"{importer} imports its sibling {imported}: siblings of one layer stay independent"
    return None


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))


def test_imports_flow_one_way() -> None:
    problems = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {why}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, imported in hybrid_rec_imports(path)
        if (why := violations(module_name(path), imported)) is not None
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("hybrid_rec.rerank.fusion", "hybrid_rec.evaluate.metrics"),  # the old wrong-way import
        ("hybrid_rec.candidates.generator", "hybrid_rec.pipeline"),
        ("hybrid_rec.feedback.simulate", "hybrid_rec.evaluate.metrics"),  # siblings
        ("hybrid_rec.topk", "hybrid_rec.data.ids"),
    ],
)
def test_the_check_catches_wrong_way_imports(importer: str, imported: str) -> None:
    assert violations(importer, imported) is not None


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from hybrid_rec.pipeline import HybridPipeline\n    return HybridPipeline\n")
    assert hybrid_rec_imports(source) == [(2, "hybrid_rec.pipeline")]


def import_graph() -> dict[str, set[str]]:
    """Module -> the `hybrid_rec` modules it imports (at any depth), between modules that are files: an import of a
    package counts as an import of the submodules it names (`from hybrid_rec.rerank import distributed`); a name a
    package re-exports from its `__init__` is no edge (the package is how callers reach it, not a dependency)."""
    files = {module_name(p): p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("hybrid_rec"):
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            graph[module] |= {t for t in targets if t in files and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                out.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle() -> None:
    """No two modules import each other, directly or through others (the trainer and its losses once did)."""
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
