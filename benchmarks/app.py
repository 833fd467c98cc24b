"""Shared by the browser benchmarks: a free port, Chromium's flags, the app running in prod mode."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_cluster(name: str, workers: int) -> tuple[str, dict[str, str]]:
    """A new empty PostgreSQL database ``name`` and an empty Redis, from the servers that
    scripts/postgres.sh and scripts/redis.sh started; returns its URL and the app's environment."""
    pg, redis_url = os.environ.get("CLSS_TEST_PG"), os.environ.get("CLSS_TEST_REDIS")
    if not pg or not redis_url:
        raise SystemExit(
            "needs CLSS_TEST_PG and CLSS_TEST_REDIS: run it through scripts/load_test or "
            "scripts/fault_test, which start PostgreSQL and Redis"
        )
    import redis
    import sqlalchemy as sa

    admin = sa.create_engine(pg.format(db="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    redis.Redis.from_url(redis_url).flushdb()
    return pg.format(db=name), {"CLSS_REDIS_URL": redis_url, "GRANIAN_WORKERS": str(workers)}


@contextmanager
def running_app(db: Path | str, log_path: Path | None = None, **env_extra: str) -> Iterator[str]:
    """The app on ``db`` (a SQLite file, or a database URL); yields its base URL, stops it afterwards.
    Its process group id is ``running_app.pid`` while it runs (the fault test kills workers in it)."""
    port = free_port()
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    env = dict(os.environ, CLSS_DATABASE_URL=url, **env_extra)
    log_path = log_path or Path(db).parent / "app.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        running_app.pid = proc.pid
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(f"{base}/login", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None:
                        raise SystemExit(f"app failed to start; see {log_path}") from None
                    time.sleep(1)
            yield base
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
