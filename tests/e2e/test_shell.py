"""The shell around every page: a sidebar that keeps its place and collapses to icons, breadcrumbs that
lead back, and a bell with what waits for the user."""

import re

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.menu import visible_keys
from clss_app.services import inbox, notices, outbox
from clss_app.services.permissions import load_principal
from models import User
from tests.e2e.conftest import list_ready, login, open_list, shot

IN_VIEW = """a => { const n = document.getElementById('clss-nav').getBoundingClientRect();
    const r = a.getBoundingClientRect();
    return r.top >= n.top && r.bottom <= n.bottom; }"""


def _saved_scroll(page, at_least: int) -> None:
    page.wait_for_function(f"() => Number(sessionStorage.getItem('clss_sidebar_scroll')) >= {at_least}")


def test_the_sidebar_keeps_its_scroll_and_shows_the_open_entry(page):
    login(page, "principal")  # eleven groups: a menu much taller than the window
    expect(page.locator("#current-role")).to_have_text("负责人")
    nav = page.locator("#clss-nav")
    assert nav.evaluate("n => n.scrollHeight > n.clientHeight + 300")
    nav.evaluate("n => { n.scrollTop = n.scrollHeight }")
    bottom = nav.evaluate("n => n.scrollTop")
    _saved_scroll(page, bottom)
    entry = nav.locator('a[data-menu-key="policies"]')  # 保险列表, low in the menu
    assert entry.evaluate(IN_VIEW)
    entry.click()
    list_ready(page, "/insurance/policies")
    expect(entry).to_have_attribute("aria-current", "page")
    expect(nav.locator('a[aria-current="page"]')).to_have_count(1)
    assert abs(nav.evaluate("n => n.scrollTop") - bottom) <= 1
    assert entry.evaluate(IN_VIEW)
    shot(page, "shell-sidebar-kept")

    # Opened afresh with the menu at the top (a new tab, a link from elsewhere): the open entry is
    # scrolled into sight.
    page.evaluate("sessionStorage.clear()")
    page.reload()
    list_ready(page, "/insurance/policies")
    expect(entry).to_have_attribute("aria-current", "page")
    page.wait_for_function(f"() => ({IN_VIEW})(document.querySelector('#clss-nav a[data-menu-key=policies]'))")
    assert nav.evaluate("n => n.scrollTop") > 0


def test_the_sidebar_reaches_the_bottom_of_a_long_page(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    open_list(page, "账单管理")
    assert page.evaluate("document.documentElement.scrollHeight > innerHeight + 200")  # a long page
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("() => scrollY > 200")
    edges = page.locator(".clss-sidebar").evaluate(
        "s => { const r = s.getBoundingClientRect(), m = document.getElementById('clss-nav').getBoundingClientRect();"
        " return [r.bottom, m.top, m.bottom, innerHeight]; }"
    )
    aside_bottom, menu_top, menu_bottom, height = edges
    assert aside_bottom >= height - 1  # dark down to the window's bottom
    assert menu_top >= 0 and menu_bottom <= height  # and the menu still on screen
    shot(page, "shell-long-page-bottom")


def test_the_sidebar_collapses_to_icons_and_stays_collapsed(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    open_list(page, "合同列表")
    aside, html = page.locator(".clss-sidebar"), page.locator("html")
    entry = page.locator('#clss-nav a[data-menu-key="contracts"]')
    assert aside.bounding_box()["width"] == 224
    shot(page, "shell-expanded-1366")
    page.locator("#sidebar-toggle").click()
    expect(html).to_have_attribute("data-sidebar", "collapsed")
    page.wait_for_function("() => document.querySelector('.clss-sidebar').getBoundingClientRect().width === 64")
    expect(entry.locator(".clss-nav-label")).to_be_hidden()
    expect(entry.locator("svg")).to_be_visible()
    expect(entry).to_have_attribute("title", "合同列表")  # the label as a tooltip
    shot(page, "shell-collapsed-1366")

    page.reload()
    list_ready(page, "/contracts")
    expect(html).to_have_attribute("data-sidebar", "collapsed")
    assert aside.bounding_box()["width"] == 64
    expect(entry).to_have_attribute("title", "合同列表")
    expect(entry).to_have_attribute("aria-current", "page")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "shell-collapsed-1920")
    page.locator("#sidebar-toggle").click()
    expect(html).not_to_have_attribute("data-sidebar", "collapsed")
    expect(entry).not_to_have_attribute("title", "合同列表")
    expect(entry.locator(".clss-nav-label")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.clss-sidebar').getBoundingClientRect().width === 224")
    shot(page, "shell-expanded-1920")
    page.reload()
    list_ready(page, "/contracts")
    expect(entry.locator(".clss-nav-label")).to_be_visible()
    assert aside.bounding_box()["width"] == 224


def test_breadcrumbs_lead_back_to_the_group_and_home(page):
    login(page, "assistant")
    expect(page.locator("#current-role")).to_have_text("店助")
    open_list(page, "房间管理")
    expect(page.locator("#crumb-current")).to_have_text("房间管理")
    group = page.locator("#crumb-group")
    expect(group).to_have_text("房源管理")
    # 项目管理 leads the group, but a store assistant may not open it: the group's first entry for them.
    expect(group).to_have_attribute("href", "/housing/buildings")
    group.click()
    list_ready(page, "/housing/buildings")
    expect(page.locator("#crumb-current")).to_have_text("楼栋管理")
    page.locator("#crumb-home").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#crumb-current")).to_have_text("首页")
    expect(page.locator("#crumb-group")).to_have_count(0)


def test_the_bell_counts_what_waits_and_opens_its_list(page, app_db):
    with Session(create_engine(app_db)) as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "manager")).one())
        expected = inbox.todo(s, p, visible_keys(p.role))
        unread = len(notices.unread(s, p))  # 系统公告 not yet read count in the bell too
        unread += len(outbox.staff_messages(s, p))  # and so do the outbox's 员工提醒 not yet read
    count = sum(int(i["count"].replace(",", "")) for i in expected) + unread
    assert count > 0
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("data-count", str(count))
    expect(bell.locator(".clss-bell-n")).to_have_text("99+" if count > 99 else str(count))
    bell.click()
    items = page.locator("#bell-list .clss-bell-item")
    expect(items).to_have_count(len(expected))
    for i, want in enumerate(expected):
        expect(items.nth(i)).to_contain_text(want["item"])
        expect(items.nth(i)).to_contain_text(want["count"])
    shot(page, "shell-bell-open")
    overdue = next(i for i in expected if i["item"] == "逾期未缴账单")
    items.filter(has_text="逾期未缴账单").click()
    url = f"/finance/bills?{overdue['query']}"
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))
    list_ready(page, url)
    expect(page.locator("#bell-list")).to_have_count(0)  # the list closed with the page change
    expect(bell).to_have_attribute("data-count", str(count))  # still counted on the new page
