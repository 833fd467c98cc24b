"""定金 and void in Chromium: a store manager cancels a reservation and chooses 退还定金 with a reason; finance
confirms the refund in 定金退还; the 负责人 voids a 待执行 contract with nothing paid, and its room is free."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import Bill, BillState, Contract, ContractState, DepositState, Reservation, Room, RoomStatus
from tests.e2e.conftest import open_list, shot
from tests.e2e.test_row_actions import as_user


def test_a_cancelled_reservations_deposit_goes_back_through_finance(browser, base_url, app_db):
    engine = create_engine(app_db)
    m = as_user(browser, base_url, "manager")
    open_list(m, "预定管理")
    # The page's last holding reservation: other tests read the first one's history.
    row = m.locator("#admin-table tbody tr", has_text="预定中").last
    rid = int(row.get_attribute("data-row-id"))
    row.locator("[data-row-action=more]").click()
    m.get_by_role("menuitem", name="取消预定", exact=True).click()
    m.locator("#confirm-input").fill("租客工作调动")
    m.locator("#confirm-ok").click()
    expect(m.locator("#input-error-deposit_decision")).to_be_visible()  # the choice is required
    m.locator("#input-deposit_decision").select_option(label="退还定金")
    shot(m, "reservation-cancel-deposit")
    m.locator("#confirm-ok").click()
    expect(m.get_by_text("取消预定成功 1 条")).to_be_visible()
    with Session(engine) as s:
        r = s.get_one(Reservation, rid)
        assert r.deposit_state == DepositState.REFUND_DUE and r.deposit_reason == "租客工作调动"
        assert s.get_one(Room, r.room_id).status == RoomStatus.VACANT
    m.context.close()

    f = as_user(browser, base_url, "finance")
    open_list(f, "定金退还")
    due = f.locator(f"#admin-table tbody tr[data-row-id='{rid}']")
    expect(due).to_contain_text("待退还")
    due.get_by_role("button", name="确认已退还").click()
    f.locator("#confirm-input").fill("退款流水 DR001")
    f.locator("#confirm-ok").click()
    expect(due).to_contain_text("已退还")
    shot(f, "deposit-refunds")
    f.context.close()


def test_the_principal_voids_a_signed_contract_with_nothing_paid(browser, base_url, app_db):
    engine = create_engine(app_db)
    with Session(engine) as s:
        paid = sa.select(Bill.contract_id).where(Bill.paid != 0)
        c = s.exec(
            select(Contract)
            .where(Contract.state == ContractState.SIGNED, Contract.id.not_in(paid))
            .order_by(Contract.id)
        ).first()
    p = as_user(browser, base_url, "principal")
    open_list(p, "合同列表")
    p.locator("#admin-search").fill(c.number)
    p.locator("#admin-search").press("Enter")
    row = p.locator(f"#admin-table tbody tr[data-row-id='{c.id}']")
    expect(row).to_contain_text("待执行")
    row.locator("[data-row-action=more]").click()
    p.get_by_role("menuitem", name="作废", exact=True).click()
    p.locator("#confirm-input").fill("租客放弃入住，合同作废")
    p.locator("#confirm-ok").click()
    expect(p.get_by_text("作废成功 1 条")).to_be_visible()
    expect(row).to_contain_text("已作废")
    shot(p, "contract-void")
    with Session(engine) as s:
        assert s.get_one(Contract, c.id).void_reason == "租客放弃入住，合同作废"
        assert {b.state for b in s.exec(select(Bill).where(Bill.contract_id == c.id))} == {BillState.REVOKED}
        assert s.get_one(Room, c.room_id).status == RoomStatus.VACANT
    p.context.close()
