"""People by name (issue 18): the columns naming a person hold the user's id and read as the user's 姓名."""

import importlib

from sqlmodel import select

from clss_app import db, manage
from clss_app.admin import crud, query
from clss_app.site import app_site
from models import BadDebt, Contract, User
from tests.unit.old_schema import at_0005

migration = importlib.import_module("migrations.versions.0019_people_by_user_id")


def test_the_migration_maps_logins_to_user_ids(tmp_path, monkeypatch):
    """Existing logins become the user's id; a login without an account (online contracts' `APP`) NULL."""
    from alembic import command

    at_0005(
        monkeypatch,
        tmp_path / "people.db",
        "INSERT INTO app_user (id, username, display_name, phone, role, org_unit_id, data_scope, password_hash,"
        " is_active, failed_logins, created_at) VALUES (7, 'manager', '陈店长', '', 'store_manager', 1,"
        " 'subtree', 'x', 1, 0, '2026-01-01')",
        "INSERT INTO room (id, project_id, building_id, floor_id, number, area, rent, deposit, orientation,"
        " status) VALUES (2, 1, 1, 1, '702', 30, 2000, 2000, '南', 'vacant')",
    )
    command.upgrade(manage.alembic_config(), "0016")
    with db.engine().begin() as conn:
        conn.exec_driver_sql("UPDATE room SET locked_by = 'manager' WHERE id = 1")
        conn.exec_driver_sql("UPDATE room SET locked_by = 'APP' WHERE id = 2")
    manage.migrate()
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT id, locked_by_id FROM room ORDER BY id").all() == [(1, 7), (2, None)]
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    # and back: the logins return
    command.downgrade(manage.alembic_config(), "0016")
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT id, locked_by FROM room ORDER BY id").all() == [(1, "manager"), (2, "")]


def test_the_migration_sql_is_one_statement_per_column():
    assert migration.to_ids_sql("room", "locked_by", "locked_by_id") == (
        "UPDATE room SET locked_by_id = (SELECT app_user.id FROM app_user WHERE app_user.username = room.locked_by)"
    )
    # every pair names a model column that now exists as a foreign key to the user table
    from sqlmodel import SQLModel

    for table, pairs in migration.PEOPLE.items():
        t = SQLModel.metadata.tables[table]
        for old, new in pairs:
            assert old not in t.c and [fk.column.table.name for fk in t.c[new].foreign_keys] == ["app_user"]


def test_people_columns_read_as_names_in_lists_details_and_exports(session, principal_of):
    site = app_site()
    manager = principal_of("manager")
    admin = site.admin("contracts")
    row = session.exec(select(Contract).where(Contract.created_by_id == manager.user_id)).first()
    assert row is not None
    shown = query.display(session, admin, manager, [row], ["created_by_id"])[0]["created_by_id"]
    assert shown == session.get(User, manager.user_id).display_name == "陈店长"

    # A filter on the person: the adjustments list filtered by its 申请人
    adjustments = site.admin("adjustments")
    assert "requested_by_id" in adjustments.filters
    finance = principal_of("finance")
    debts = site.admin("bad_debts")
    rows = session.exec(select(BadDebt).where(BadDebt.requested_by_id.is_not(None))).all()  # type: ignore[union-attr]
    labels = query.display(session, debts, finance, rows, ["requested_by_id"])
    assert labels and all(d["requested_by_id"] and not d["requested_by_id"].isascii() for d in labels)


def test_writers_store_the_user_id(session, principal_of):
    sysadmin = principal_of("sysadmin")
    row, _ = crud.create(
        session, app_site().admin("feedback"), sysadmin, {"kind": "功能需求", "title": "测试", "content": "内容"}
    )
    assert row.submitted_by_id == sysadmin.user_id
    shown = query.display(session, app_site().admin("feedback"), sysadmin, [row], ["submitted_by_id"])[0]
    assert shown["submitted_by_id"] == "王系统"
