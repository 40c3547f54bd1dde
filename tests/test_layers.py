"""The package's imports form layers: no import circle, no arrow from a layer up.

Each package may import its own layer and the layers below it, never one above: a
parser that imports the detection engine, or the benchmark that imports the command
line, makes the lower part impossible to use, test or move (to Spark, to a web
console) without the upper one. Imports inside functions count too: a deferred
import is still an arrow, and a circle hidden in a function body is still a circle
(it only fails later, at the first call).

The order, lowest first, is documented in docs/architecture.md ("Layers"); a change to
it is a design decision, made here and there together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import farmhunt

PACKAGE = Path(farmhunt.__file__).parent

LAYERS: tuple[tuple[str, ...], ...] = (
    # shared, bottom: the package root (version), the table definitions, small helpers
    # every layer may use, the shipped reference catalogs
    # and the stages' prerequisite error (stages.py imports nothing of farmhunt)
    ("", "schema", "suggest", "yamlsafe", "termsafe", "reference", "stages"),
    ("timerange", "settings"),
    ("store",),
    ("sources",),
    ("ingest",),
    ("enrich",),
    ("detect", "rules"),
    ("score",),
    ("report",),
    # the one entry that runs ingest -> resolve -> enrich -> detect -> score in order
    ("pipeline",),
    # above what they use: the simulator writes the vendors' formats (sources);
    # evaluate runs the whole pipeline against the simulator's truth; bench measures it
    ("simulate",),
    ("evaluate",),
    ("bench",),
    ("cli", "__main__"),
)
"""Layers, lowest first; the names are the top-level modules and packages of farmhunt
("" is the package's own ``__init__``)."""


def _module_name(path: Path) -> str:
    parts = ["farmhunt", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set[str]) -> Iterator[tuple[str, int]]:
    """(imported farmhunt module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # ``from pkg import mod`` imports the submodule; ``from mod import name`` the module
            targets = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in known else module
                for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import farmhunt.a.b.name`` forms
                target = target.rpartition(".")[0]
            if target.startswith("farmhunt") and target != name:
                yield target, node.lineno


def _graph() -> dict[str, dict[str, int]]:
    files = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    known = set(files)
    return {name: dict(_imports(path, name, known)) for name, path in files.items()}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(module: str) -> int:
    top = _top(module)
    for rank, layer in enumerate(LAYERS):
        if top in layer:
            return rank
    raise AssertionError(f"{module}: its package is in no layer of LAYERS (add it)")


def _circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_package_has_a_layer() -> None:
    tops = {_top(m) for m in _graph()}
    named = {name for layer in LAYERS for name in layer}
    assert tops <= named, f"packages in no layer: {sorted(tops - named)}"


def test_no_import_points_up_a_layer() -> None:
    upward = [
        f"{module} (line {line}) imports {target}: layer {_rank(module)} → {_rank(target)}"
        for module, targets in _graph().items()
        for target, line in targets.items()
        if _rank(target) > _rank(module)
    ]
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_import_circles() -> None:
    circles = _circles(_graph())
    assert not circles, "import circles:\n" + "\n".join(" ↔ ".join(c) for c in circles)


def test_the_checks_see_circles_and_upward_arrows() -> None:
    """The checks themselves: a circle and an upward arrow in a made-up graph are found."""
    graph = {
        "farmhunt.detect.engine": {"farmhunt.detect.loader": 1},
        "farmhunt.detect.loader": {"farmhunt.detect.engine": 2},
        "farmhunt.bench.view": {"farmhunt.cli.safe": 3},
        "farmhunt.cli.safe": {},
    }
    assert _circles(graph) == [["farmhunt.detect.engine", "farmhunt.detect.loader"]]
    assert _rank("farmhunt.cli.safe") > _rank("farmhunt.bench.view")
