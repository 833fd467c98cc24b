"""Lists open on the work waiting (issue 18, item 7), a header click still sorts, and dialogs name the row
(新增合同, 合同 HT…) without an id line (item 2), clicked through as a store manager."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import edit_row, list_ready, login, open_list, shot
from tests.e2e.test_admin_engine import rows

UNPAID = {"未确认", "已确认", "部分收款"}


def column(page, header: str) -> list[str]:
    """The texts of the column headed ``header``, as the user reads them (found by its header, not its place)."""
    headers = [t.strip() for t in page.locator("#admin-table thead th").all_inner_texts()]
    n = headers.index(header) + 1
    return [t.strip() for t in page.locator(f"#admin-table tbody tr td:nth-child({n})").all_inner_texts()]


def settled(page, pattern: str) -> None:
    expect(page).to_have_url(re.compile(pattern))
    expect(page.locator("#admin-list")).not_to_have_attribute("data-loading", re.compile(".*"))


def test_bills_and_contracts_open_on_the_work_and_a_header_click_still_sorts(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()

    open_list(page, "账单管理")
    assert "sort=" not in page.url  # the default order is the URL without one
    states, due = column(page, "账单状态"), column(page, "应收日期")
    assert len(states) == 20 and set(states) <= UNPAID, states  # was: bills paid in December 2024
    assert due == sorted(due)
    shot(page, "order-bills-default")
    page.locator("[data-sort=due_date]").click()
    settled(page, r"sort=due_date")
    assert column(page, "应收日期") == sorted(column(page, "应收日期"))
    assert "已收款" in column(page, "账单状态")  # the header's order alone: the oldest bills, paid long ago
    page.locator("[data-sort=due_date]").click()
    settled(page, r"sort=-due_date")
    assert column(page, "应收日期") == sorted(column(page, "应收日期"), reverse=True)
    shot(page, "order-bills-header-sort")

    open_list(page, "合同列表")
    assert "sort=" not in page.url
    states, ends = column(page, "合同状态"), column(page, "到期日")
    assert set(states) == {"执行中"}, states  # was: a first page of 已到期 / 已关闭
    assert ends == sorted(ends)
    shot(page, "order-contracts-default")
    page.locator("[data-sort=end_date]").click()
    settled(page, r"sort=end_date")
    assert column(page, "到期日") == sorted(column(page, "到期日"))
    assert set(column(page, "合同状态")) != {"执行中"}  # the oldest contracts, ended long ago
    # Opening the list again from the menu brings the work back first.
    open_list(page, "合同列表")
    expect(rows(page).first).to_contain_text("执行中")
    assert set(column(page, "合同状态")) == {"执行中"}


def test_dialogs_name_the_row_and_details_show_no_id(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    open_list(page, "合同列表")
    page.locator("#admin-create").click()
    expect(page.locator("#form-title")).to_have_text("新增合同")  # was: 新增合同列表
    page.wait_for_timeout(400)  # the dialog's fade-in, for a readable screenshot
    shot(page, "title-new-contract")
    page.keyboard.press("Escape")
    expect(page.locator("#form-title")).to_have_count(0)

    number = column(page, "合同编号")[0]
    rows(page).first.get_by_text("查看").click()
    expect(page.locator("#detail-title")).to_have_text(f"合同 {number}")  # was: 合同列表：HT…
    items = page.locator("#detail-items")
    expect(items).to_contain_text("合同编号")
    lines = [t.strip() for t in items.inner_text().splitlines()]
    assert not any(re.fullmatch(r"(?i)id", t) for t in lines), lines
    shot(page, "title-contract-detail")
    page.keyboard.press("Escape")

    open_list(page, "预约看房")
    edit_row(rows(page).first)  # a pending visit's row shows 已看房, 编辑 is under 更多
    expect(page.locator("#form-title")).to_have_text("编辑预约")  # was: 编辑预约看房
    page.keyboard.press("Escape")
    list_ready(page, "/leasing/appointments")
