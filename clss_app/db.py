"""The one SQLAlchemy engine of the process, and sessions on it."""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session

from clss_app import settings

# ------------------------------------------------------------ write generations
# Each table's count of committed writes: caches of derived figures (the executives' dashboard) key
# on it and so never serve data older than the last commit. One worker counts in memory; several
# workers (CLSS_REDIS_URL) count in Redis, so a write served by one worker reaches the others' caches.
# What a transaction wrote comes from its session: the tables of the objects a flush inserts, updates
# or deletes, and of the INSERT/UPDATE/DELETE statements (Core or ORM) executed through it. Raw SQL
# text is not read: write with objects or statements.
_generations: Counter[str] = Counter()
_generations_lock = threading.Lock()
_REDIS_KEY = "clss:write-generations"
# Execution option of a write no cache is built from (a session's last activity): it moves no generation.
UNTRACKED = "clss_untracked"
_WRITTEN = "clss_written"


@cache
def _redis(url: str | None):
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis():
    """The shared Redis of several workers (CLSS_REDIS_URL), or None for one worker."""
    return _redis(settings.redis_url())


def node() -> str:
    """host:pid of this worker (at call time: workers fork from a supervisor that imported us)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def generation(*tables: str) -> tuple[int, ...]:
    """How many committed transactions wrote each table (in this process, or in all workers); an
    opaque key that changes with every commit to one of ``tables``.

    In Redis the counts carry an epoch: if Redis loses them (a crash without persistence) they
    restart from zero, and without it a cache could meet an old entry's counts again."""
    with _generations_lock:
        local = tuple(_generations[t] for t in tables)
    shared = redis()
    if shared is None:
        return local
    try:
        epoch, *counts = shared.hmget(_REDIS_KEY, ["_epoch", *tables])
        if epoch is None:
            shared.hsetnx(_REDIS_KEY, "_epoch", secrets.randbits(62))
            epoch, *counts = shared.hmget(_REDIS_KEY, ["_epoch", *tables])
        return (*(int(v or 0) for v in counts), int(epoch))
    except Exception:  # Redis away: this process's own count still moves with its own writes
        return tuple(-1 - n for n in local)


def _bump(tables: set[str]) -> None:
    with _generations_lock:
        _generations.update(tables)
    shared = redis()
    if shared is not None:
        try:
            with shared.pipeline(transaction=False) as pipe:
                for t in tables:
                    pipe.hincrby(_REDIS_KEY, t, 1)
                pipe.execute()
        except Exception:  # the commit stands; other workers' caches catch up by their TTL
            pass


def _note(conn: sa.Connection, tables: set[str]) -> None:
    """Kept on the connection: its own commit and rollback bound the transaction (a session's
    after_commit also fires when a savepoint is released, before anything is committed)."""
    conn.info.setdefault(_WRITTEN, set()).update(tables)


@sa.event.listens_for(OrmSession, "after_flush")
def _flushed(session: OrmSession, _flush_context: object) -> None:
    changed = [*session.new, *session.deleted]
    changed += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    tables = {t.name for o in changed for t in sa.inspect(o).mapper.tables}
    if tables:
        _note(session.connection(), tables)


@sa.event.listens_for(OrmSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    stmt = state.statement
    if isinstance(stmt, (sa.Insert, sa.Update, sa.Delete)) and not state.execution_options.get(UNTRACKED):
        _note(state.session.connection(), {t.name for t in find_tables(stmt.table)})


def _track_writes(eng: sa.Engine) -> None:
    @sa.event.listens_for(eng, "commit")
    def _committed(conn: sa.Connection) -> None:
        written = conn.info.pop(_WRITTEN, None)
        if written:
            _bump(written)

    @sa.event.listens_for(eng, "rollback")
    def _forget(conn: sa.Connection) -> None:
        conn.info.pop(_WRITTEN, None)


@cache
def engine_for(url: str) -> sa.Engine:
    eng = _new_engine(url)
    _track_writes(eng)
    return eng


def _new_engine(url: str) -> sa.Engine:
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


def each_alone(select_ids: sa.Select, work: Callable[[Session, int], bool]) -> int:
    """``work`` on each id ``select_ids`` finds, each in a transaction of its own (one that fails or
    waits never holds up or undoes the others); how many it did."""
    with session_scope() as s:
        ids = list(s.execute(select_ids).scalars())
    done = 0
    for row_id in ids:
        with session_scope() as s:
            done += bool(work(s, row_id))
    return done


def insert_ignoring_duplicates(session: Session, table: sa.Table, rows: list, columns: list[str] | None = None) -> int:
    """INSERT … ON CONFLICT DO NOTHING of many rows on SQLite and PostgreSQL; returns the rows written.

    ``rows`` are dicts with the same keys, or tuples in the order of ``columns``. Values are
    converted by each column's own bind processor, as SQLAlchemy would, but column by column and
    once per distinct value (dates, amounts and states repeat a lot), not through a parameter
    dict per row: 120k bills go in in a fraction of the time.
    """
    if not rows:
        return 0
    if columns is None:
        columns = list(rows[0])
        rows = [tuple(r[c] for c in columns) for r in rows]
    conn = session.connection()
    _note(conn, {table.name})  # written by SQL of its own: no session event sees it
    dialect = conn.dialect
    by_column = [list(c) for c in zip(*rows)]
    for i, name in enumerate(columns):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            converted = {v: process(v) for v in set(by_column[i]) if v is not None}
            converted[None] = None
            by_column[i] = [converted[v] for v in by_column[i]]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))}) "
        "ON CONFLICT DO NOTHING"
    )
    return conn.exec_driver_sql(sql, list(zip(*by_column))).rowcount


def sync_sequences(session: Session, tables: list[str] | None = None) -> None:
    """On PostgreSQL, move each table's id sequence past the ids written by hand (demo data, bulk
    copies), so that the next insert without an id does not collide. Nothing to do on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from sqlmodel import SQLModel

    for table in SQLModel.metadata.sorted_tables:
        if (tables is None or table.name in tables) and "id" in table.c and table.c.id.autoincrement:
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )
