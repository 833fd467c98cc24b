"""Write generations shared through Redis: a commit in one process moves the count every worker's
dashboard cache keys on (several workers), and a commit never waits on or fails with Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from clss_app import db
from tests.conftest import ROOT

WRITE = (
    "from clss_app import db\n"
    "import sqlalchemy as sa\n"
    "with db.session_scope() as s:\n"
    "    s.execute(sa.text('UPDATE room SET version = version + 1 WHERE id = 1'))\n"
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
        import sqlalchemy as sa

        s.execute(sa.text("UPDATE bill SET late_fee = late_fee WHERE id = 1"))
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
        import sqlalchemy as sa

        s.execute(sa.text("UPDATE room SET version = version + 1 WHERE id = 2"))
        version = s.execute(sa.text("SELECT version FROM room WHERE id = 2")).scalar()
    with db.session_scope() as s:
        assert s.execute(sa.text("SELECT version FROM room WHERE id = 2")).scalar() == version
    assert db.generation("room") != before
