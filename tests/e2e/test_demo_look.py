"""The demo as a store manager and a system admin first see it: rooms and banners show illustrations,
and the lists that were empty before (企业包租, 抄表记录, 账单调整) have rows."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows


def _pictures_loaded(page) -> int:
    """How many images of the list's rows the browser decoded (a broken image has no natural width), once
    the first row's picture shows and one has loaded."""
    expect(rows(page).first.locator("img")).to_be_visible()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#admin-table tbody tr img')].some(i => i.complete && i.naturalWidth)"
    )
    return page.evaluate(
        "() => [...document.querySelectorAll('#admin-table tbody tr img')]"
        ".filter(i => i.complete && i.naturalWidth > 100).length"
    )


def test_rooms_and_the_once_empty_lists_of_a_store_manager(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    open_list(page, "房间管理")
    go(page, "/housing/rooms?f_visible=true")
    assert _pictures_loaded(page) >= 5
    shot(page, "demo-rooms")
    for route in ("/contracts/master-leases", "/leasing/meter-readings", "/finance/adjustments"):
        go(page, route)
        expect(rows(page).first).to_be_visible()
    shot(page, "demo-adjustments")


def test_banners_are_illustrations(page):
    login(page, "sysadmin")
    open_list(page, "Banner管理")
    assert _pictures_loaded(page) >= 5
    shot(page, "demo-banners")
