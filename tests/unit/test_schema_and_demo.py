"""Migrations build exactly the models' schema; the demo data is deterministic."""

import hashlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from clss_app import db, demo, manage
from clss_app.admin.search import not_an_index_object
from models import OrgUnit, Project, Role, Room, User
from tests.unit.old_schema import at_0005


def test_migrations_match_the_models(tmp_path, monkeypatch):
    monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{tmp_path}/m.db")
    manage.migrate()
    with db.engine().connect() as conn:
        opts = {"compare_type": True, "include_name": not_an_index_object}  # the search's trigram indexes
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), SQLModel.metadata)
    assert diff == [], f"models changed without a migration: {diff}"


def test_migrations_upgrade_a_database_that_holds_data(tmp_path, monkeypatch):
    """SQLite rebuilds tables to alter them: rows pointing at them must not stop the upgrade."""
    at_0005(monkeypatch, tmp_path / "old.db")
    manage.migrate()
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT floor_no, version FROM room").one() == (7, 1)
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []


def test_a_failed_migration_leaves_the_schema_as_it_was(tmp_path, monkeypatch):
    from alembic import command

    monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{tmp_path}/half.db")
    command.upgrade(manage.alembic_config(), "0005")
    with db.engine().begin() as conn:  # 0006 creates fee_item etc. first, then fails on this one
        conn.exec_driver_sql("CREATE TABLE pricing_standard (x INTEGER)")
    with pytest.raises(Exception, match="already exists"):
        manage.migrate()
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0005"
        assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'fee_item'").scalar() == 0


def _fingerprint():
    h = hashlib.sha256()
    with db.session_scope() as s:
        for row in s.exec(select(Room.number, Room.rent, Room.status).order_by(Room.id)).all():
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_demo_is_deterministic_and_has_one_login_per_role(tmp_path, monkeypatch):
    prints = []
    for name in ("a", "b"):
        monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{tmp_path}/{name}.db")
        manage.migrate()
        demo.generate()
        prints.append(_fingerprint())
    assert prints[0] == prints[1]
    with db.session_scope() as s:
        logins = {u.username: u.role for u in s.exec(select(User)).all()}
        companies = s.exec(select(OrgUnit).where(OrgUnit.kind == "company")).all()
        kinds = set(s.exec(select(Project.kind)).all())
    assert {logins[u] for u, _, _ in demo.DEMO_LOGINS} == set(Role)
    assert any(c.is_whitelist for c in companies) and any(c.is_operating for c in companies)
    assert len(kinds) == 2


def test_seed_only_fills_an_empty_database_and_scale_grows_rooms(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{tmp_path}/s.db")
    assert manage.main(["seed"]) == 0
    with db.session_scope() as s:
        rooms1 = s.exec(select(sa.func.count()).select_from(Room)).one()
    assert manage.main(["seed"]) == 0
    assert "跳过" in capsys.readouterr().out
    assert manage.main(["reset-demo", "--scale", "3"]) == 0
    with db.session_scope() as s:
        rooms3 = s.exec(select(sa.func.count()).select_from(Room)).one()
    assert rooms3 > 2.5 * rooms1 > 0


def test_a_demo_online_contract_awaiting_review_still_has_its_room(session):
    """Each online contract of the demo that waits for 在线签约审核 can be approved: its room is free. The
    demo's 按居贷 contract once took the first vacant room, one of theirs, and the approval was refused
    («该房间刚被他人预定、签约或锁定»)."""
    import sqlalchemy as sa

    from models import Contract, ContractState, Room, RoomStatus

    waiting = session.exec(sa.select(Contract).where(Contract.state == ContractState.PENDING_REVIEW)).scalars().all()
    assert waiting
    for c in waiting:
        assert session.get(Room, c.room_id).status == RoomStatus.VACANT, c.number
        others = session.exec(
            sa.select(Contract.number).where(
                Contract.room_id == c.room_id, Contract.id != c.id, Contract.state == ContractState.SIGNED
            )
        ).all()
        assert not others, (c.number, others)
