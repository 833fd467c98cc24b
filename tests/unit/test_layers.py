"""Imports point down only: models → core → services → engine → pages → app.

Read from the source (every import statement, inside functions too), so a cycle hidden in a
function body counts like one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a layer may not import (a module or any module below it).
ABOVE_CORE = ("clss_app.services", "clss_app.admin", "clss_app.menu", "clss_app.state", "clss_app.ui", "pages")
ABOVE_SERVICES = ("clss_app.admin", "clss_app.menu", "clss_app.state", "clss_app.ui", "clss_app.clss_app", "pages")
# sqlmodel's names a page may use for annotations; anything else of it (select, func, col, ...) is a query.
PAGE_SQLMODEL_TYPES = {"Session", "SQLModel"}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported name) of every import in ``path``: ``from a.b import c`` gives "a.b.c"."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_problems(root: Path = ROOT) -> list[str]:
    """One line per import against the layering: "clss_app/services/x.py:12 imports clss_app.menu.ENTRIES"."""
    problems = []

    def check(folder: str, wrong) -> None:
        for path in sorted((root / folder).glob("*.py")):
            for line, name in imports(path):
                why = wrong(name)
                if why is not None:
                    problems.append(f"{path.relative_to(root)}:{line} imports {name}{why}")

    def layer(forbidden: tuple[str, ...]):
        return lambda name: "" if _under(name, forbidden) else None

    def page(name: str) -> str | None:
        sql = _under(name, ("sqlalchemy",)) or (
            _under(name, ("sqlmodel",)) and name.removeprefix("sqlmodel.") not in PAGE_SQLMODEL_TYPES
        )
        return " (a page runs no SQL: put the query in a service)" if sql else None

    check("clss_app/core", layer((*ABOVE_CORE, "clss_app.db", "reflex")))
    check("clss_app/services", layer((*ABOVE_SERVICES, "reflex")))
    check("pages", page)
    return problems


def test_services_core_and_pages_import_only_downwards():
    assert layer_problems() == []


def test_the_check_sees_imports_inside_functions(tmp_path):
    for d in ("clss_app/core", "clss_app/services", "pages"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "clss_app/services/s.py").write_text("def f():\n    from clss_app.menu import ENTRIES\n")
    (tmp_path / "pages/p.py").write_text("from sqlmodel import Session, select\nimport sqlalchemy as sa\n")
    (tmp_path / "clss_app/core/c.py").write_text("import reflex as rx\n")
    assert layer_problems(tmp_path) == [
        "clss_app/core/c.py:1 imports reflex",
        "clss_app/services/s.py:2 imports clss_app.menu.ENTRIES",
        "pages/p.py:1 imports sqlmodel.select (a page runs no SQL: put the query in a service)",
        "pages/p.py:2 imports sqlalchemy (a page runs no SQL: put the query in a service)",
    ]
