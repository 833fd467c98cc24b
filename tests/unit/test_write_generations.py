"""Write generations: every committed write through a session moves its tables' counts (ORM flushes
and Core or ORM statements alike); shared through Redis, a commit in one process moves the count every
worker's dashboard cache keys on (several workers), and a commit never waits on or fails with Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from clss_app import db
from models import Bill, Building, Project, Room
from tests.conftest import ROOT

WRITE = (
    "from clss_app import db\n"
    "import sqlalchemy as sa\n"
    "from models import Room\n"
    "with db.session_scope() as s:\n"
    "    s.execute(sa.update(Room).where(Room.id == 1).values(version=Room.version + 1))\n"
)


@pytest.fixture
def redis_url(tmp_path):
    """The test command's Redis, or one started here on a private socket."""
    url = os.environ.get("CLSS_TEST_REDIS")
    proc = None
    if not url:
        if not shutil.which("redis-server"):
            pytest.skip("redis-server is not installed")
        sock = tmp_path / "redis.sock"
        proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        url = f"unix://{sock}"
    import redis

    redis.Redis.from_url(url).delete(db._REDIS_KEY)
    yield url
    if proc is not None:
        proc.terminate()
        proc.wait()


def _write_in_another_process(env_extra: dict) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    subprocess.run([sys.executable, "-c", WRITE], cwd=ROOT, env=env, check=True)


def test_a_commit_in_another_worker_moves_this_workers_generation(demo_db, redis_url, monkeypatch):
    monkeypatch.setenv("CLSS_REDIS_URL", redis_url)
    before = db.generation("room", "bill")
    _write_in_another_process({"CLSS_REDIS_URL": redis_url})
    assert db.generation("room", "bill")[:2] == (before[0] + 1, before[1])
    with db.session_scope() as s:  # and one of this process's own
        s.execute(sa.update(Bill.__table__).where(Bill.id == 1).values(late_fee=Bill.late_fee))
    assert db.generation("room", "bill")[:2] == (before[0] + 1, before[1] + 1)


def test_counts_lost_by_redis_never_meet_an_old_cache_key_again(demo_db, redis_url, monkeypatch):
    import redis

    monkeypatch.setenv("CLSS_REDIS_URL", redis_url)
    before = db.generation("room")
    _write_in_another_process({"CLSS_REDIS_URL": redis_url})
    cached = db.generation("room")
    assert cached != before
    redis.Redis.from_url(redis_url).delete(db._REDIS_KEY)  # Redis crashed without persistence
    assert db.generation("room") != before
    _write_in_another_process({"CLSS_REDIS_URL": redis_url})  # the same count as `cached` again
    assert db.generation("room")[0] == cached[0] and db.generation("room") != cached


def test_without_redis_each_process_counts_only_its_own(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    before = db.generation("room")
    _write_in_another_process({"CLSS_REDIS_URL": ""})
    assert db.generation("room") == before


def test_redis_away_the_commit_stands_and_the_count_still_moves(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("CLSS_REDIS_URL", f"unix://{tmp_path}/nobody.sock")
    before = db.generation("room")
    with db.session_scope() as s:
        s.execute(sa.update(Room).where(Room.id == 2).values(version=Room.version + 1))
        version = s.scalar(sa.select(Room.version).where(Room.id == 2))
    with db.session_scope() as s:
        assert s.scalar(sa.select(Room.version).where(Room.id == 2)) == version
    assert db.generation("room") != before


# ---------------------------------------------------------------- what a session writes (one process)


def _moved(before: tuple[int, ...], *tables: str) -> set[str]:
    return {t for t, old, new in zip(tables, before, db.generation(*tables)) if new != old}


TABLES = ("room", "building", "project", "bill")


def test_an_orm_flush_moves_the_tables_of_its_new_changed_and_deleted_rows(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    before = db.generation(*TABLES)
    with db.session_scope() as s:
        s.add(Building(project_id=1, name="新楼栋"))
    assert _moved(before, *TABLES) == {"building"}

    before = db.generation(*TABLES)
    with db.session_scope() as s:
        s.get(Project, 1).name += "（改）"
        s.get(Room, 1)  # read only: no write
    assert _moved(before, *TABLES) == {"project"}

    before = db.generation(*TABLES)
    with db.session_scope() as s:
        s.delete(s.scalars(sa.select(Building).where(Building.name == "新楼栋")).one())
    assert _moved(before, *TABLES) == {"building"}


def test_core_and_orm_statements_executed_through_the_session_move_their_tables(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    before = db.generation(*TABLES)
    with db.session_scope() as s:
        s.execute(sa.update(Room.__table__).where(Room.__table__.c.id == 1).values(version=Room.__table__.c.version))
        s.execute(sa.insert(Building), [{"project_id": 1, "name": "甲"}, {"project_id": 1, "name": "乙"}])
    assert _moved(before, *TABLES) == {"room", "building"}

    before = db.generation(*TABLES)
    with db.session_scope() as s:
        s.execute(sa.delete(Building).where(Building.name.in_(["甲", "乙"])))
        s.execute(sa.select(Room.id).limit(1)).all()
    assert _moved(before, *TABLES) == {"building"}


def test_a_write_led_by_a_cte_moves_its_table(demo_db, monkeypatch):
    """The SQL text starts with WITH, not UPDATE: what it writes is read from the statement."""
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    before = db.generation(*TABLES)
    first = sa.select(Room.id).order_by(Room.id).limit(1).cte("first_room")
    with db.session_scope() as s:
        s.execute(
            sa.update(Room)
            .where(Room.id.in_(sa.select(first.c.id)))
            .values(version=Room.version + 1)
            .add_cte(first)
            .execution_options(synchronize_session=False)
        )
    assert _moved(before, *TABLES) == {"room"}


def test_a_rolled_back_write_moves_nothing_and_a_savepoints_rollback_keeps_the_rest(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    before = db.generation(*TABLES)
    with pytest.raises(RuntimeError), db.session_scope() as s:
        s.execute(sa.update(Room).where(Room.id == 1).values(version=Room.version + 1))
        raise RuntimeError
    assert _moved(before, *TABLES) == set()

    with db.session_scope() as s:
        s.execute(sa.update(Room).where(Room.id == 1).values(version=Room.version + 1))
        nested = s.begin_nested()
        s.execute(sa.update(Bill).where(Bill.id == 1).values(version=Bill.version + 1))
        nested.rollback()
        nested = s.begin_nested()
        s.add(Building(project_id=1, name="丙"))
        nested.commit()  # a savepoint released: nothing committed yet
        assert _moved(before, *TABLES) == set()
    assert {"room", "building"} <= _moved(before, *TABLES)


def test_untracked_writes_and_bulk_inserts(demo_db, monkeypatch):
    monkeypatch.delenv("CLSS_REDIS_URL", raising=False)
    before = db.generation(*TABLES)
    with db.session_scope() as s:
        s.execute(
            sa.update(Room).where(Room.id == 1).values(version=Room.version).execution_options(**{db.UNTRACKED: True})
        )
    assert _moved(before, *TABLES) == set()
    with db.session_scope() as s:  # SQL of its own, not a statement the session sees
        db.insert_ignoring_duplicates(s, Building.__table__, [{"project_id": 1, "name": "丁"}])
    assert _moved(before, *TABLES) == {"building"}
