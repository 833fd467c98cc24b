"""Alembic environment: the app's own engine and every SQLModel table."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from clss_app import db
from clss_app.admin.search import not_an_index_object

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        with db.engine().connect() as conn:
            _run(conn)
    else:
        _run(connectable)


def _run(conn) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping a
        # table other rows point at fails on any database that holds data. Off for the
        # migration (outside its transaction, where SQLite honours the pragma), checked after.
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        # pysqlite runs DDL outside any transaction: take over BEGIN/COMMIT so a migration
        # that fails half-way leaves the schema as it was.
        driver = conn.connection.driver_connection
        driver.isolation_level = None
        driver.execute("BEGIN")
    context.configure(
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_name=not_an_index_object,  # the search's trigram tables and indexes (0017) are no model's
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            driver.execute("COMMIT")
        conn.commit()
    except BaseException:
        if sqlite:
            driver.execute("ROLLBACK")
        raise
    finally:
        if sqlite:
            driver.isolation_level = ""
    if sqlite:
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"迁移后外键检查失败：{broken[:5]}")


run_migrations_online()
