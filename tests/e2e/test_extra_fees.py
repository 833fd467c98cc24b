"""添加账单费用 in Chromium: a store manager adds a 维修费 to a running contract from its row in 合同列表,
choosing the fee among the project's 非合同类 items; bad input is named next to its field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from models import Bill, BillKind, BillState
from tests.e2e.conftest import login, open_list, shot


def test_manager_adds_a_repair_fee_to_a_contract(page, app_db):
    engine = create_engine(app_db)
    login(page, "manager")
    open_list(page, "合同列表")
    row = page.locator("#admin-table tbody tr", has_text="执行中").first
    number = row.locator("td").nth(1).inner_text().strip()
    contract_id = int(row.get_attribute("data-row-id"))
    row.locator("[data-row-action=more]").click()
    page.get_by_role("menuitem", name="添加账单费用", exact=True).click()
    expect(page.locator("#input-fee_item option", has_text="维修费")).to_have_count(1)
    page.locator("#input-fee_item").select_option(label="维修费")
    page.locator("#input-amount").fill("abc")
    due = clock.today() + timedelta(days=5)
    page.locator("#input-due_date").fill(due.isoformat())
    page.locator("#confirm-ok").click()
    expect(page.locator("#input-error-amount")).to_be_visible()  # not a number: said under the field
    page.locator("#input-amount").fill("260")
    page.locator("#input-remark").fill("更换卫生间龙头")
    shot(page, "extra-fee-dialog")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("添加账单费用成功 1 条")).to_be_visible()
    with Session(engine) as s:
        bill = s.exec(select(Bill).where(Bill.contract_id == contract_id, Bill.kind == BillKind.EXTRA)).one()
        assert (bill.fee_name, bill.amount, bill.state, bill.due_date, bill.remark) == (
            "维修费",
            Decimal("260.00"),
            BillState.UNCONFIRMED,
            due,
            "更换卫生间龙头",
        )
    # In 账单管理 it is an ordinary bill waiting to be confirmed.
    open_list(page, "账单管理")
    page.locator("#admin-search").fill(number)
    page.locator("#admin-search").press("Enter")
    fee = page.locator("#admin-table tbody tr", has_text="维修费")
    expect(fee).to_contain_text("未确认")
    shot(page, "extra-fee-bill")
