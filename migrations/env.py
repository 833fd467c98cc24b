"""Alembic environment: the app's own engine and every SQLModel table."""
from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers the tables)
from clss_app import db

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        with db.engine().connect() as conn:
            _run(conn)
    else:
        _run(connectable)


def _run(conn) -> None:
    context.configure(connection=conn, target_metadata=target_metadata,
                      render_as_batch=conn.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    conn.commit()


run_migrations_online()
