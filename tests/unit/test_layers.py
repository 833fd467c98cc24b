"""Imports point down only: models → core → services → engine → pages → app.

Read from the source (every import statement, inside functions too), so a cycle hidden in a
function body counts like one at the top; and the engine imports at the top of its modules only
(a function-level import hides a cycle), but for the few lazy ones named below.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a layer may not import (a module or any module below it).
ABOVE_CORE = ("clss_app.services", "clss_app.admin", "clss_app.menu", "clss_app.state", "clss_app.ui", "pages")
ABOVE_SERVICES = ("clss_app.admin", "clss_app.menu", "clss_app.state", "clss_app.ui", "clss_app.clss_app", "pages")
# The engine gets the principal, the menu and its site from the app (the state mixins, the components'
# state arguments, ``served()``); ui.shell is the app's frame (it imports the menu and AuthState).
ABOVE_ENGINE = (
    "clss_app.state",
    "clss_app.menu",
    "clss_app.site",
    "clss_app.clss_app",
    "clss_app.webapp",
    "clss_app.ui.shell",
    "pages",
)
ENGINE = ("clss_app/admin", "clss_app/upload_guard.py")
# The app's compositions of the engine's state mixins with AuthState: not engine code, they sit under
# clss_app/admin/ because Reflex names every event after its state's module and class (see each docstring).
# A composition takes the login state from the app, nothing else.
COMPOSITIONS = {"clss_app/admin/state.py", "clss_app/admin/dashboard.py"}
COMPOSITION_IMPORTS = {"clss_app.state.AuthState"}
# Function-level imports the engine keeps on purpose, and why; any other one goes to the top of its module.
LAZY_IMPORTS = {
    ("clss_app/admin/io.py", "rustpy_xlsxwriter"): "about 90 ms to import; only an xlsx export needs it",
    (
        "clss_app/admin/io.py",
        "xlsxwriter",
    ): "about 40 ms to import; only import templates and dashboard exports need it",
}
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


def function_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported name) of every import inside a function of ``path`` (``if TYPE_CHECKING:`` is none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    found |= {(node.lineno, alias.name) for alias in node.names}
                elif isinstance(node, ast.ImportFrom):
                    module = "." * node.level + (node.module or "")
                    found |= {(node.lineno, f"{module}.{alias.name}") for alias in node.names}
    return sorted(found)


def engine_files(root: Path) -> list[Path]:
    """Every module of the engine, subpackages included."""
    found = [p for place in ENGINE for p in ([root / place] if place.endswith(".py") else (root / place).rglob("*.py"))]
    return sorted(p for p in found if p.exists())


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
    for path in engine_files(root):
        allowed = COMPOSITION_IMPORTS if path.relative_to(root).as_posix() in COMPOSITIONS else set()
        problems += [
            f"{path.relative_to(root)}:{line} imports {name} (the engine gets it from the app)"
            for line, name in imports(path)
            if _under(name, ABOVE_ENGINE) and name not in allowed
        ]
    return problems


def hidden_imports(root: Path = ROOT) -> list[str]:
    """One line per function-level import in the engine that LAZY_IMPORTS does not name."""
    return [
        f"{path.relative_to(root)}:{line} imports {name} inside a function"
        for path in engine_files(root)
        for line, name in function_imports(path)
        if (path.relative_to(root).as_posix(), name) not in LAZY_IMPORTS
    ]


def test_core_services_engine_and_pages_import_only_downwards():
    assert layer_problems() == []


def test_the_engine_imports_at_the_top_but_for_its_named_lazy_imports():
    assert hidden_imports() == []


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


def test_the_engine_check_sees_the_app_and_hidden_imports(tmp_path):
    for d in ("clss_app/admin/states", "clss_app/core", "clss_app/services", "pages"):
        (tmp_path / d).mkdir(parents=True)
    (tmp_path / "clss_app/upload_guard.py").write_text("def f():\n    from clss_app import db\n")
    (tmp_path / "clss_app/admin/state.py").write_text("from clss_app.state import AuthState\n")  # a composition
    (tmp_path / "clss_app/admin/dashboard.py").write_text(
        "from clss_app.state import AuthState\nimport clss_app.menu\n"
    )
    (tmp_path / "clss_app/admin/io.py").write_text("def f():\n    import xlsxwriter\n")  # a named lazy one
    (tmp_path / "clss_app/admin/states/s.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from clss_app.admin import io\n"
        "from clss_app.ui.shell import card\nasync def f():\n    from clss_app.menu import ENTRIES\n"
    )
    assert layer_problems(tmp_path) == [
        "clss_app/admin/dashboard.py:2 imports clss_app.menu (the engine gets it from the app)",
        "clss_app/admin/states/s.py:4 imports clss_app.ui.shell.card (the engine gets it from the app)",
        "clss_app/admin/states/s.py:6 imports clss_app.menu.ENTRIES (the engine gets it from the app)",
    ]
    assert hidden_imports(tmp_path) == [
        "clss_app/admin/states/s.py:6 imports clss_app.menu.ENTRIES inside a function",
        "clss_app/upload_guard.py:2 imports clss_app.db inside a function",
    ]
