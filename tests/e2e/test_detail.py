"""A detail an operator reads (issue 18, item 4), clicked through as a store manager: the header names the
row and shows its state and the actions that apply; fields in groups; related bills as a tab with a count
and totals; a timeline with people by name; and the board's 房态记录 of a rented room tells its story."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import list_ready, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_default_order import column


def test_a_contracts_detail_has_its_header_groups_tabs_and_timeline(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    open_list(page, "合同列表")
    number = column(page, "合同编号")[0]
    rows(page).first.get_by_text("查看").click()

    expect(page.locator("#detail-title")).to_have_text(f"合同 {number}")
    expect(page.locator("#detail-state")).to_have_text("执行中")
    groups = page.locator("#detail-items .clss-detail-group")
    expect(groups).to_have_text(["基本信息", "租期与租金", "入住与退房", "网签备案", "系统信息"])
    items = page.locator("#detail-items")
    expect(items).to_contain_text("月租金(元)")
    expect(items.locator(".clss-detail-pair").filter(has_text="退房日期")).to_contain_text("—")  # still living there
    # The actions this role may run on it (which states each applies to is issue 18 item 1's ``when``).
    actions = page.locator("#detail-actions")
    expect(actions.get_by_role("button", name="抄表")).to_be_visible()
    expect(actions.get_by_role("button", name="续租")).to_be_visible()
    # The timeline: at least its creation, by a person's name, not a login.
    timeline = page.locator("#detail-timeline")
    expect(timeline).to_contain_text("签约")
    expect(timeline).to_contain_text("陈店长")
    expect(timeline).not_to_contain_text("manager")
    page.wait_for_timeout(400)  # the dialog's fade-in, for a readable screenshot
    shot(page, "detail-contract-1366")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(300)
    shot(page, "detail-contract-1920")

    # Its bills inline: a count on the tab, the first rows, the totals, and 查看全部.
    tab = page.get_by_role("tab").filter(has_text="账单")
    expect(tab).to_have_text(re.compile(r"账单\s*[1-9]\d*"))
    n = re.search(r"\d+", tab.inner_text()).group(0)
    tab.click()
    bills = page.locator(".clss-related[data-tab='账单']")
    expect(bills).to_contain_text(f"共 {n} 条")
    expect(bills).to_contain_text(re.compile(r"应收金额 ¥[\d,]+\.\d\d · 已收金额 ¥[\d,]+\.\d\d"))
    expect(bills.locator("tbody tr")).to_have_count(min(int(n), 5))
    shot(page, "detail-contract-bills-1920")
    page.set_viewport_size({"width": 1366, "height": 768})
    shot(page, "detail-contract-bills-1366")
    bills.get_by_role("link", name="查看全部 →").click()
    list_ready(page, "/finance/bills")
    expect(page).to_have_url(re.compile(r"/finance/bills\?f_contract_id=\d+"))
    expect(page.locator("#detail-title")).to_have_count(0)  # the dialog closed on the way
    expect(page.locator("#admin-total")).to_have_text(n)


def test_a_header_action_asks_for_that_row_alone(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    open_list(page, "合同列表")
    rows(page).first.get_by_text("查看").click()
    page.locator("#detail-actions").get_by_role("button", name="抄表").click()
    expect(page.locator("#confirm-text")).to_contain_text("为选中的 1 份合同登记抄表读数")
    page.get_by_role("button", name="取消").click()
    expect(page.locator("#confirm-text")).to_have_count(0)
    expect(page.locator("#selection-count")).to_have_count(0)  # the list's ticks are left as they were: none


def test_a_rented_rooms_status_log_on_the_board_is_not_empty(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    page.get_by_role("link", name="房态图").click()
    tile = page.locator("#board .clss-tile[data-status=occupied]").first
    expect(tile).to_be_visible()
    tile.click()
    panel = page.locator("#room-panel")
    expect(panel).to_contain_text("房态记录")
    expect(panel).to_contain_text("待入住 → 在租")
    expect(panel).not_to_contain_text("暂无记录")
    page.wait_for_timeout(500)  # the drawer slides in
    shot(page, "detail-board-room-log")


def test_a_row_without_a_name_is_titled_by_its_columns_and_its_history_names_people(page):
    """预定 has no name field: its detail reads 预定 2-510 · 王伟, never 预定 12; 操作记录 says 陈店长, not manager."""
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    open_list(page, "预定管理")
    first = rows(page).first
    room, tenant = column(page, "房间")[0], column(page, "租客")[0]
    first.get_by_text("查看").click()
    expect(page.locator("#detail-title")).to_have_text(f"预定 {room} · {tenant}")
    page.get_by_role("tab", name="操作记录").click()
    history = page.locator("#detail-history")
    expect(history).to_contain_text("陈店长")
    expect(history).not_to_contain_text("manager")
    shot(page, "detail-reservation-history")
