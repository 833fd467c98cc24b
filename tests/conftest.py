"""Shared fixtures: a real SQLite file with the demo data, fresh per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent


# CLSS_TEST_PG="postgresql+psycopg://postgres@/{db}?host=/tmp&port=55432": the database tests run on
# PostgreSQL instead, each test on its own copy of a seeded template database.
PG = os.environ.get("CLSS_TEST_PG", "")


def pg_admin(sql: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(PG.format(db="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        eng.dispose()


def _seed(url: str) -> None:
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


@pytest.fixture(scope="session", autouse=True)
def app_site():
    """The app's AdminSite, built, checked and served once, as the app does at start: its admins are
    registered and its roles granted (nothing is registered by importing a page module)."""
    from clss_app.site import app_site

    return app_site()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path | str:
    """Migrate and seed once; tests get copies (a file copy takes milliseconds)."""
    if PG:
        pg_admin("DROP DATABASE IF EXISTS clss_template WITH (FORCE)")
        pg_admin("CREATE DATABASE clss_template")
        _seed(PG.format(db="clss_template"))
        return "clss_template"
    path = tmp_path_factory.mktemp("template") / "demo.db"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch):
    from clss_app import db

    if PG:
        name = f"clss_t{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}"
        pg_admin(f"CREATE DATABASE {name} TEMPLATE {demo_template}")
        url = PG.format(db=name)
        monkeypatch.setenv("CLSS_DATABASE_URL", url)
        yield name
        db.engine_for(url).dispose()
        pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CLSS_DATABASE_URL", url)
    yield path
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


# The real app in production mode, one server per test session for every suite that needs it.
from tests.app_server import app_db, base_url  # noqa: E402,F401
from tests.sandbox_server import pay_sandbox, sandbox_url  # noqa: E402,F401


def pytest_collection_modifyitems(session, config, items) -> None:
    """The tenant API's tests run after the Chromium and forged-event suites, which share their app and
    database: the API's races write activities in bulk (60 tenants on one flash sale, full events, signed
    online contracts) that would push the demo's rows off the first pages the Chromium walks read."""
    api = [i for i in items if i.nodeid.startswith("tests/api/")]
    if api:
        items[:] = [i for i in items if not i.nodeid.startswith("tests/api/")] + api
