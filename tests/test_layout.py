"""The package's layout keeps its architecture: checked from the source's imports (parsed, not run).

- Only ``papertide.store`` speaks SQL: no other module imports SQLAlchemy or Alembic.
- No folder holds more than :data:`MAX_MODULES` modules (the migrations aside).
- The top-level packages and modules form layers, :data:`LAYERS`, lowest first: each imports only
  from its own layer or below, and no two of them import each other, directly or round a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import papertide

ROOT = Path(papertide.__file__).parent
MAX_MODULES = 15

# Lowest first. A unit is a top-level module or package of papertide ("__init__" is papertide's own).
LAYERS: list[set[str]] = [
    # what everything shares: the exception tree, the settings, plain records and text helpers
    {"__init__", "errors", "config", "text", "model", "taxonomy", "category_filter", "code_links", "licences"},
    {"author_names", "logs"},
    # persistence: the only SQL, the only dialect knowledge
    {"store"},
    # the domain: rules over the stores, no HTTP, no command line
    {"metrics"},  # what every layer above counts into
    {"mail", "search", "accounts", "library", "trending", "ingest", "digest", "discussion", "authors", "backup"},
    # the composition root: builds every store and service from the settings
    {"services"},
    # the ways in: the worker's schedule, then the web app (whose /readyz reports the workers)
    {"worker"},
    {"web"},
    {"cli"},
    {"__main__"},
]
LAYER_OF = {unit: index for index, layer in enumerate(LAYERS) for unit in layer}


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of papertide but the migrations, by dotted name."""
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        yield ".".join(parts), path


def unit_of(module: str) -> str:
    """The top-level module or package ``module`` belongs to."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    name = parts[1]
    return name if (ROOT / name).is_dir() or (ROOT / f"{name}.py").exists() else "__init__"


def imported(path: Path) -> Iterator[str]:
    """The absolute module names ``path`` imports, at the top or inside functions alike."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            if node.module == "papertide":  # from papertide import services: the name may be a module
                yield from (f"papertide.{alias.name}" for alias in node.names)


def unit_imports() -> dict[str, dict[str, str]]:
    """For each unit, the other units it imports, each with one module that does it (for the message)."""
    graph: dict[str, dict[str, str]] = {}
    for module, path in modules():
        unit = unit_of(module)
        graph.setdefault(unit, {})
        for name in imported(path):
            if name.split(".")[0] == "papertide" and (other := unit_of(name)) != unit:
                graph[unit].setdefault(other, f"{module} imports {name}")
    return graph


def test_only_the_store_imports_sqlalchemy_or_alembic() -> None:
    leaks = [
        f"{module} imports {name}"
        for module, path in modules()
        if not (module == "papertide.store" or module.startswith("papertide.store."))
        for name in imported(path)
        if name.split(".")[0] in ("sqlalchemy", "alembic")
    ]
    assert leaks == []


def test_no_folder_holds_more_than_fifteen_modules() -> None:
    folders = {path.parent for _, path in modules()}
    counts = {str(folder.relative_to(ROOT.parent)): len(list(folder.glob("*.py"))) for folder in folders}
    crowded = {folder: count for folder, count in counts.items() if count > MAX_MODULES}
    assert crowded == {}


def test_every_unit_has_a_layer() -> None:
    assert set(unit_imports()) - set(LAYER_OF) == set()


def test_nothing_imports_upward() -> None:
    upward = [
        f"{why} ({unit} is below {other})"
        for unit, imports in unit_imports().items()
        for other, why in imports.items()
        if LAYER_OF.get(other, -1) > LAYER_OF.get(unit, len(LAYERS))
    ]
    assert upward == []


def test_no_import_cycle_between_units() -> None:
    graph = unit_imports()
    cycles: list[str] = []

    def visit(unit: str, path: list[str]) -> None:
        for other in sorted(graph.get(unit, {})):
            if other in path:
                cycle = [*path[path.index(other) :], other]
                cycles.append(" -> ".join(cycle) + f" ({graph[unit][other]})")
            elif other not in done:
                visit(other, [*path, other])
        done.add(unit)

    done: set[str] = set()
    for unit in sorted(graph):
        if unit not in done:
            visit(unit, [unit])
    assert cycles == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("def f():\n    from sqlalchemy.exc import SQLAlchemyError", ["sqlalchemy.exc"]),
        ("from papertide import services, __version__", ["papertide", "papertide.services", "papertide.__version__"]),
        ("from . import sibling", []),
    ],
)
def test_imports_are_found_inside_functions_and_by_name(tmp_path: Path, source: str, expected: list[str]) -> None:
    """The checks above can fail: an import in a function body counts, and so does a module named by ``from``."""
    module = tmp_path / "module.py"
    module.write_text(source, encoding="utf-8")
    assert list(imported(module)) == expected
    assert unit_of("papertide.store.db.engine") == "store"
    assert unit_of("papertide.__version__") == "__init__"
