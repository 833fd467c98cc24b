"""The real app in production mode on a seeded database: one server per test session, shared by the
Chromium tests (tests/e2e) and the forged-event suite (tests/security), since a production build
takes minutes.

By default one worker on a SQLite file. With CLSS_TEST_PG and CLSS_TEST_REDIS (the test command's
second run) the production set-up instead: PostgreSQL, Redis as the state manager and several
workers. The app's output goes to test-artifacts/app.log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PG, ROOT, pg_admin

REDIS = os.environ.get("CLSS_TEST_REDIS", "")
CLUSTER = bool(PG and REDIS)  # the production set-up
WORKERS = 3 if CLUSTER else 1

ARTIFACTS = ROOT / "test-artifacts"
APP_LOG = ARTIFACTS / "app.log"
PASSWORD = "Clss@2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"app did not come up in {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def app_db(tmp_path_factory) -> str:
    """The app's database URL."""
    if PG:
        pg_admin("DROP DATABASE IF EXISTS clss_e2e WITH (FORCE)")
        pg_admin("CREATE DATABASE clss_e2e")
        return PG.format(db="clss_e2e")
    return f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"


@pytest.fixture(scope="session")
def base_url(app_db, sandbox_url) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    # Unbuffered: the forged-event suite reads the log right after each event for the traceback it caused.
    env = dict(
        os.environ,
        CLSS_DATABASE_URL=app_db,
        REFLEX_USE_SYSTEM_BUN="1",
        PYTHONUNBUFFERED="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        # Every test tenant asks for its login code from 127.0.0.1: the per-address limit is a unit test's.
        CLSS_SMS_CODES_PER_IP_HOUR="100000",
        PATH=f"{ROOT / '.tools/node_modules/.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if CLUSTER:
        import redis

        redis.Redis.from_url(REDIS).flushdb()  # no tab states or counts from an earlier run
        env.update(CLSS_REDIS_URL=REDIS, GRANIAN_WORKERS=str(WORKERS))
    subprocess.run([sys.executable, "-m", "clss_app.manage", "seed"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    env.update(
        CLSS_PAY_URL=sandbox_url,
        CLSS_PAY_SANDBOX="1",
        CLSS_BANK_URL=sandbox_url,
        CLSS_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=APP_LOG.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/ping", proc, APP_LOG)
        _wait_for(f"{url}/login", proc, APP_LOG)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
