"""Shared fixtures: a real SQLite file with the demo data, fresh per test."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """Migrate and seed once; tests get copies (a file copy takes milliseconds)."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    url = f"sqlite:///{path}"
    previous = os.environ.get("CLSS_DATABASE_URL")
    os.environ["CLSS_DATABASE_URL"] = url
    try:
        from clss_app import db, demo, manage
        manage.migrate()
        demo.generate()
        db.engine_for(url).dispose()
    finally:
        if previous is None:
            os.environ.pop("CLSS_DATABASE_URL", None)
        else:
            os.environ["CLSS_DATABASE_URL"] = previous
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CLSS_DATABASE_URL", url)
    yield path
    from clss_app import db
    db.engine_for(url).dispose()


@pytest.fixture
def session(demo_db):
    from clss_app import db
    with db.session_scope() as s:
        yield s


@pytest.fixture
def principal_of(demo_db):
    """principal_of("manager") -> the Principal the permission core builds for that login."""
    from clss_app import db
    from clss_app.services.permissions import load_principal
    from models import User

    def make(username: str):
        with db.session_scope() as s:
            user = s.exec(select(User).where(User.username == username)).one()
            return load_principal(s, user)
    return make
