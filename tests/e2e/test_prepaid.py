"""预收 in Chromium: finance registers a tenant's prepayment from 预收款 → 新增; it settles the tenant's next two
confirmed bills at once (已收款 in 账单管理), and the rest stays on the tenant's balance."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.services import ledger
from clss_app.services.bills import OPEN
from models import BalanceEntry, Bill, BillState, Contract, ContractState, Tenant
from tests.e2e.conftest import login, open_list, shot


def _tenant_with_two_bills(engine) -> tuple[Tenant, list[Bill]]:
    """A tenant (a name no other tenant has) of one running contract and nothing owed; their next two bills
    are confirmed here, as the month's confirmation would."""
    with Session(engine, expire_on_commit=False) as s:
        for c in s.exec(select(Contract).where(Contract.state == ContractState.ACTIVE).order_by(Contract.id)):
            t = s.get_one(Tenant, c.tenant_id)
            if len(s.exec(select(Tenant.id).where(Tenant.name == t.name)).all()) > 1:
                continue
            if s.exec(select(Bill.id).where(Bill.tenant_id == t.id, Bill.state.in_(OPEN))).first():
                continue
            if s.exec(select(BalanceEntry.id).where(BalanceEntry.tenant_id == t.id)).first():
                continue
            nxt = s.exec(
                select(Bill)
                .where(Bill.contract_id == c.id, Bill.state == BillState.UNCONFIRMED)
                .order_by(Bill.due_date, Bill.id)
                .limit(2)
            ).all()
            if len(nxt) == 2:
                s.execute(sa.update(Bill).where(Bill.id.in_([b.id for b in nxt])).values(state=BillState.CONFIRMED))
                s.commit()
                return t, nxt
    raise AssertionError("no such tenant in the demo")


def test_finance_registers_a_prepayment_that_settles_the_next_two_bills(page, app_db):
    engine = create_engine(app_db)
    tenant, two = _tenant_with_two_bills(engine)
    owed = sum(b.amount + b.late_fee - b.paid for b in two)
    login(page, "finance")
    open_list(page, "预收款")
    page.locator("#admin-create").click()
    page.locator("#fk-tenant_id").click()
    page.locator("[data-fk-search=tenant_id]").fill(tenant.name)
    page.locator(f"[data-option='{tenant.name}']").first.click()
    page.locator("#field-amount").fill("0")
    page.locator("#form-save").click()
    expect(page.locator("#error-amount")).to_contain_text("预收金额须大于 0")  # named at its field
    page.locator("#field-amount").fill(str(owed + Decimal("300")))
    page.locator("#field-source_ref").fill("YS20261202001")
    shot(page, "prepaid-form")
    page.locator("#form-save").click()
    expect(page.get_by_text("已登记预收").first).to_be_visible()
    with Session(engine) as s:
        assert [s.get_one(Bill, b.id).state for b in two] == [BillState.PAID, BillState.PAID]
        total = s.execute(
            sa.select(sa.func.sum(BalanceEntry.amount)).where(BalanceEntry.tenant_id == tenant.id)
        ).scalar_one()
        assert Decimal(total) == Decimal("300.00")
        assert ledger.mismatches(s) == []
    page.locator("#admin-search").fill(tenant.name)
    page.locator("#admin-search").press("Enter")
    expect(page.locator("#admin-table tbody tr")).to_have_count(3)  # the prepayment and two offsets
    shot(page, "prepaid-list")
    open_list(page, "账单管理")
    for b in two:
        page.locator("#admin-search").fill(b.title)
        page.locator("#admin-search").press("Enter")
        expect(page.locator(f"#admin-table tbody tr[data-row-id='{b.id}']")).to_contain_text("已收款")
