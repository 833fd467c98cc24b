"""The real app in production mode on a seeded database, driven by Chromium.

By default one worker on a SQLite file. With CLSS_TEST_PG and CLSS_TEST_REDIS (the test command's
second run) the production set-up instead: PostgreSQL, Redis as the state manager and several
workers. One server per test session (the production build takes a while); each test gets a fresh
browser context, so no login leaks from one test to another. Screenshots land in test-artifacts/.
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
from playwright.sync_api import expect, sync_playwright

from tests.conftest import PG, ROOT, pg_admin

REDIS = os.environ.get("CLSS_TEST_REDIS", "")
CLUSTER = bool(PG and REDIS)  # the production set-up
WORKERS = 3 if CLUSTER else 1

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
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
def base_url(app_db) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    env = dict(os.environ, CLSS_DATABASE_URL=app_db, REFLEX_USE_SYSTEM_BUN="1",
               REFLEX_CHECK_LATEST_VERSION="false",
               PATH=f"{ROOT / '.tools/node_modules/.bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    if CLUSTER:
        import redis
        redis.Redis.from_url(REDIS).flushdb()  # no tab states or counts from an earlier run
        env.update(CLSS_REDIS_URL=REDIS, GRANIAN_WORKERS=str(WORKERS))
    subprocess.run([sys.executable, "-m", "clss_app.manage", "seed"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    log = ARTIFACTS / "app.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/ping", proc, log)
        _wait_for(f"{url}/login", proc, log)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url, request):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url,
                                  locale="zh-CN")
    context.set_default_timeout(20_000)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()


def list_ready(page, url: str) -> None:
    """The list at ``url`` shows its own first answer from the server. The previous page stays
    on screen while the next one loads, so waiting for "a list" could act on the old one."""
    route = url.split("?")[0].rstrip("/")
    expect(page.locator(f"#admin-list[data-route='{route}']:not(.clss-init) #admin-table")).to_be_visible()


def go(page, url: str) -> None:
    page.goto(url)
    list_ready(page, url)


def open_list(page, entry: str) -> None:
    """Open a list from the menu, as a user does. From the menu only: a detail dialog (perhaps
    still closing) has links of the same names, to the list filtered on its row."""
    link = page.get_by_role("navigation").get_by_role("link", name=entry, exact=True)
    url = link.get_attribute("href")
    link.click()
    list_ready(page, url)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
