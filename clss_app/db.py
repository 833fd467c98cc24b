"""The one SQLAlchemy engine of the process, and sessions on it."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlmodel import Session

from clss_app import settings


@lru_cache(maxsize=None)
def engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        eng = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers go on while one writer commits; FKs are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # 64 MiB of page cache instead of 2: bulk writes (a year of bills for 10k contracts) touch
            # many index pages; with the default they are read back and forth.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        return eng
    return sa.create_engine(url, pool_pre_ping=True)


def engine() -> sa.Engine:
    return engine_for(settings.database_url())


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine(), expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


def insert_ignoring_duplicates(session: Session, table: sa.Table, rows: list[dict]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of many rows (same keys) on SQLite and PostgreSQL; returns rows written.

    Each column's own bind processor converts the values, as SQLAlchemy would, but once per
    column instead of building a parameter dict per row: 120k bills go in in a fraction of the time.
    """
    if not rows:
        return 0
    conn = session.connection()
    dialect = conn.dialect
    cols = list(rows[0])
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in cols]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))}) "
           "ON CONFLICT DO NOTHING")
    data = [tuple(v if p is None or v is None else p(v) for v, p in zip(map(r.__getitem__, cols), procs))
            for r in rows]
    return conn.exec_driver_sql(sql, data).rowcount
