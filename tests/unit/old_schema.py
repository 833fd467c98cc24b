"""A database at an early revision (0005) with a few rows in it, for the migration tests: SQLite rebuilds
tables to alter them, and rows pointing at them must come through."""

from alembic import command

from clss_app import db, manage

# A company, a project, a building with a floor and a room: what later revisions alter.
ROWS_0005 = (
    "INSERT INTO org_unit (id, name, kind, city, is_whitelist, is_operating, license_file, created_at,"
    " version) VALUES (1, '总行', 'hq', '', 0, 0, '', '2026-01-01', 1)",
    "INSERT INTO project (id, name, company_id, city, district, address, kind, publish_state, visible,"
    " cover, created_at, version) VALUES (1, 'P', 1, '北京', '', '', 'centralized', 'draft', 0, '',"
    " '2026-01-01', 1)",
    "INSERT INTO building (id, project_id, name) VALUES (1, 1, '1号楼')",
    "INSERT INTO floor (id, building_id, number) VALUES (1, 1, 7)",
    "INSERT INTO room (id, project_id, building_id, floor_id, number, area, rent, deposit, orientation,"
    " status) VALUES (1, 1, 1, 1, '701', 30, 2000, 2000, '南', 'vacant')",
)


def at_0005(monkeypatch, path, *more: str) -> None:
    """The app's database at ``path`` upgraded to 0005 and holding ``ROWS_0005`` and ``more``."""
    monkeypatch.setenv("CLSS_DATABASE_URL", f"sqlite:///{path}")
    command.upgrade(manage.alembic_config(), "0005")
    with db.engine().begin() as conn:
        for sql in (*ROWS_0005, *more):
            conn.exec_driver_sql(sql)
