"""Fixed-window request counters shared by every worker: ``take(key, limit, seconds)`` lets a request
through while the key's count in the current window is under ``limit``.

With Redis (CLSS_REDIS_URL, several workers) one INCR per request; else one conditional UPDATE on the
database (``rate_window``), in a transaction of its own, so that two workers can never both take the
last place. A Redis that is away falls back to the database.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from clss_app import db
from clss_app.core.rows import changed, table_of
from models import RateWindow

W = RateWindow


def _window(seconds: int, now: float) -> int:
    return int(now // seconds)


def _take_redis(key: str, limit: int, seconds: int, now: float) -> bool | None:
    shared = db.redis()
    if shared is None:
        return None
    name = f"clss:rate:{key}:{_window(seconds, now)}"
    try:
        with shared.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, seconds * 2)
            count, _ = pipe.execute()
        return int(count) <= limit
    except Exception:  # Redis away: the database counts instead
        return None


def _take_db(key: str, limit: int, seconds: int, now: float) -> bool:
    """One statement: the window's row made at 1, or its count raised while under the limit (the row is
    locked while it is counted, so two workers never both take the last place)."""
    window = _window(seconds, now)
    table = table_of(W)
    with db.engine().connect() as conn:
        dialect = conn.dialect.name
        insert = sqlite_insert(table) if dialect == "sqlite" else pg_insert(table)
        stmt = (
            insert.values(key=key, slot=window, count=1)
            .on_conflict_do_update(
                index_elements=["key", "slot"], set_={"count": table.c.count + 1}, where=table.c.count < limit
            )
            .returning(table.c.count)
        )
        taken = conn.execute(stmt).first()
        conn.commit()
    return taken is not None


def take(key: str, limit: int, seconds: int, now: float | None = None) -> bool:
    """Count one request of ``key``; False (nothing counted) when the window's ``limit`` is reached."""
    at = time.time() if now is None else now
    got = _take_redis(key, limit, seconds, at)
    return _take_db(key, limit, seconds, at) if got is None else got


def purge(session: Session, now: float | None = None) -> int:
    """Forget the database's windows older than a day (each key's window is at most an hour)."""
    at = time.time() if now is None else now
    # A window is "epoch // seconds": compare the start it stands for, per length, by the key's prefix.
    gone = 0
    for prefix, seconds in (("token:", 60), ("phone:", 3600), ("ip:", 3600)):
        gone += changed(
            session,
            sa.delete(W).where(W.key.startswith(prefix), W.slot < _window(seconds, at - 86400)),
        )
    return gone
