"""The import layering of docs/architecture.md, read from the source with the standard ``ast``.

scheduler → crawler, never back; scheduler.config imports no other part of scheduler. Inside crawler: the Scrapy components (spiders, pipelines,
middlewares, extensions) and the modules beside them may import anything below them; the stages
(extractors, feeds, diff, store, net) only the shared types and text (store also the diff);
items, memo and meta only text; text nothing of crawler. No import cycles; no SQL outside
crawler/store/.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "scheduler")
# crawler's part -> the other parts of crawler it may import (None: any, cycles aside).
MAY_IMPORT: dict[str, set[str] | None] = {
    "text": set(),
    "items": {"text"},
    "memo": set(),
    "meta": set(),
    "extractors": {"text", "items", "memo"},
    "feeds": {"text", "items", "memo"},
    "diff": {"text", "items", "memo"},
    "net": {"text", "items", "memo"},
    "store": {"text", "items", "memo", "diff"},
}
SQL_CALL = re.compile(r"\.(execute|executemany|executescript)\(")


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, known: set[str]) -> Iterator[str]:
    """Every project module ``module`` imports at run time (function-level imports included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            node.body = []  # annotations only: not an import at run time
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                package = module.split(".")[: -node.level or None]
                base = ".".join([*package, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {
        module: set(_imports(ast.parse(path.read_text(encoding="utf-8")), module, known))
        for module, path in sources.items()
    }


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "crawler" and len(parts) > 1 else parts[0]


def test_crawler_never_imports_the_scheduler() -> None:
    graph = _graph()
    wrong = [
        f"{m} -> {t}"
        for m, ts in graph.items()
        if m.startswith("crawler")
        for t in ts
        if t.startswith("scheduler")
    ]
    assert wrong == []


def test_the_sources_file_package_imports_only_crawler() -> None:
    wrong = [
        f"{m} -> {t}"
        for m, ts in _graph().items()
        if m.startswith("scheduler.config")
        for t in ts
        if t.startswith("scheduler") and not t.startswith("scheduler.config")
    ]
    assert wrong == []


def test_crawler_parts_import_only_downwards() -> None:
    wrong = []
    for module, targets in _graph().items():
        if not module.startswith("crawler."):
            continue
        allowed = MAY_IMPORT.get(_part(module))
        if allowed is None:
            continue
        for target in targets:
            if target.startswith("crawler") and target != "crawler":
                part = _part(target)
                if part != _part(module) and part not in allowed:
                    wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_sql_outside_the_store() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{number}"
        for module, path in _sources().items()
        if not module.startswith("crawler.store")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL_CALL.search(line)
    ]
    assert wrong == []


def test_the_rules_see_the_imports() -> None:
    """A layering test that finds no imports would pass whatever the code does."""
    graph = _graph()
    assert "crawler.text.terminal" in graph["crawler.reporting"]
    assert "crawler.diff.entries" in graph["crawler.store.recording"]
    assert "crawler.meta" in graph["crawler.middlewares"]  # ``from crawler import meta``
    assert any(t.startswith("crawler") for t in graph["scheduler.daemon.service"])
    assert {_part(m) for m in graph if m.startswith("crawler.")} >= set(MAY_IMPORT)
