"""Chromium against the real app (tests/app_server.py starts it, once per test session): each test
gets a fresh browser context, so no login leaks from one test to another. Screenshots land in
test-artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

# CLUSTER and REDIS: the tests import them from here.
from tests.app_server import ARTIFACTS, CLUSTER, PASSWORD, REDIS  # noqa: F401

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url, request):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=base_url, locale="zh-CN")
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
    on screen while the next one loads, so waiting for "a list" could act on the old one.

    Up to 15 s: on a busy 2-core runner the next page's script and first answer took over 5 s twice
    (the home page still on screen); how fast a list opens is measured by benchmarks/, not here."""
    route = url.split("?")[0].rstrip("/")
    ready = page.locator(f"#admin-list[data-route='{route}']:not(.clss-init) #admin-table")
    expect(ready).to_be_visible(timeout=15_000)


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


def edit_row(row) -> None:
    """Open a row's 编辑: in its 操作 cell, or under 更多 where the row shows its primary action
    (components/table.py: action_cell)."""
    inline = row.get_by_role("button", name="编辑", exact=True)
    if inline.count():
        inline.click()
    else:
        row.locator("[data-row-action=more]").click()
        row.page.get_by_role("menuitem", name="编辑", exact=True).click()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
