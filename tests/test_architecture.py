"""The import direction of STYLE.md: engine/ never imports a UI package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_PACKAGES = {"dash", "plotly", "dash_bootstrap_components", "dash_ag_grid", "flask"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_imports_no_ui_package():
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_roots(p) & UI_PACKAGES)
        for p in (ROOT / "engine").rglob("*.py")
        if imported_roots(p) & UI_PACKAGES
    }
    assert offenders == {}


def test_layouts_and_callbacks_do_not_import_the_app():
    for folder in ("layouts", "callbacks", "engine"):
        for p in (ROOT / folder).rglob("*.py"):
            assert "app" not in imported_roots(p), p


def test_sql_stays_in_the_engine():
    for folder in ("layouts", "callbacks"):
        for p in (ROOT / folder).rglob("*.py"):
            assert "duckdb" not in imported_roots(p), p
            text = p.read_text(encoding="utf-8")
            assert ".execute(" not in text and ".sql(" not in text, p


def test_no_callback_builds_its_own_viewer():
    """Every callback gets its viewer from callbacks/scope.py (the session, checked by the
    engine); none constructs one from what the browser sent."""
    for p in (ROOT / "callbacks").rglob("*.py"):
        if p.name == "scope.py":
            continue
        text = p.read_text(encoding="utf-8")
        assert "Viewer(" not in text and "resolve_viewer" not in text, p
        if "service.offer" in text or "service.grid" in text:
            assert "scope.viewer(" in text, p


def _engine_imports(path: Path) -> set[str]:
    """The engine modules ``path`` imports (``engine.x`` and ``from engine import x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "engine":
                found |= {f"engine.{a.name}" for a in node.names}
            elif node.module.startswith("engine."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("engine.")}
    return found


def test_the_engine_has_no_import_cycles():
    """Data flows one way (canonical tables -> derived -> window metrics -> peers -> health
    -> snapshot -> service), and so do the engine's imports: no module reaches itself."""
    graph = {}
    for p in (ROOT / "engine").rglob("*.py"):
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        graph[name] = _engine_imports(p) - {name}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for dep in sorted(graph.get(node, ())):
            if dep in path:
                cycles.append(path[path.index(dep) :] + [dep])
            elif dep not in seen:
                seen.add(dep)
                visit(dep, [*path, dep])

    for start in sorted(graph):
        seen = {start}
        visit(start, [start])
    assert cycles == []
    # the pipeline's stages, each importing only those below it
    assert "engine.health" not in graph["engine.peers"] | graph["engine.ncx"]
    assert "engine.health" not in graph["engine.store"] | graph["engine.derive"]
