"""交款日报 in Chromium: the demo's 收费员 (cashier) registers two payments, makes today's 日报 (by method,
with totals), 财务 confirms the hand-in (a short amount needs a note), and then an edit of a payment of
that day is refused with the lock's message."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from clss_app.services import daily_reports, ledger
from clss_app.services.bills import OPEN, outstanding
from clss_app.services.permissions import load_principal
from models import Bill, Contract, DailyReport, DailyReportState, Payer, Payment, User
from tests.e2e.conftest import go, list_ready, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import run
from tests.e2e.test_row_actions import as_user


def _two_bills(engine) -> tuple[int, list[Bill]]:
    """One contract of the cashier's company with two bills owed, paid by the tenant, nothing paid yet:
    taken from the end of the list, where the other tests' first rows are not."""
    with Session(engine, expire_on_commit=False) as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "cashier")).one())
        for c in s.exec(
            select(Contract).where(Contract.project_id.in_(sorted(p.project_ids or []))).order_by(Contract.id.desc())
        ):
            owed = s.exec(
                select(Bill)
                .where(Bill.contract_id == c.id, Bill.state.in_(OPEN), Bill.payer == Payer.TENANT, Bill.paid == 0)
                .order_by(Bill.due_date, Bill.id)
            ).all()
            titles = [b.title for b in owed]
            if len(owed) >= 2 and len(set(titles[:2])) == 2:
                return c.id, owed[:2]
    raise AssertionError("no contract with two owed bills in the demo")


def test_a_collectors_day_is_confirmed_then_locked(browser, base_url, app_db):
    engine = create_engine(app_db)
    contract_id, (cash_bill, pos_bill) = _two_bills(engine)
    total = outstanding(cash_bill) + outstanding(pos_bill)
    c = as_user(browser, base_url, "cashier")
    f = None
    try:
        # 收费员: two payments at the counter, by cash and by card.
        go(c, f"/finance/bills?f_contract_id={contract_id}")
        for bill, method, receipt in ((cash_bill, "cash", "XJ-E2E-01"), (pos_bill, "pos", "POS-E2E-01")):
            c.locator(f"#admin-table tbody tr[data-row-id='{bill.id}'] [data-row-action=pay]").click()
            c.locator("#input-receipt_no").fill(receipt)
            c.locator("#input-method").select_option(method)
            c.locator("#confirm-ok").click()
            expect(c.get_by_text("登记收款成功 1 条").first).to_be_visible()

        # Today's 日报, on demand.
        open_list(c, "交款日报")
        c.locator("#admin-create").click()
        c.locator("#form-save").click()
        expect(c.locator("#form-save")).to_have_count(0)  # saved: the form closed
        with Session(engine) as s:
            who = s.exec(select(User).where(User.username == "cashier")).one()
            report = daily_reports.report_of(s, who.id, clock.today())
            assert report is not None and report.state == DailyReportState.PENDING
            assert report.entry_count == 2 and report.total == total
            assert (report.cash, report.pos) == (outstanding(cash_bill), outstanding(pos_bill))
            report_id = report.id
        row = c.locator(f"#admin-table tbody tr[data-row-id='{report_id}']")
        expect(row).to_contain_text("待交款")
        expect(row).to_contain_text(f"{total:,.2f}")
        shot(c, "daily-reports-cashier-list")

        # 财务: 交款确认 of the cashier's day; 50 yuan short needs a note.
        f = as_user(browser, base_url, "finance")
        open_list(f, "交款日报")
        row = f.locator(f"#admin-table tbody tr[data-row-id='{report_id}']")
        expect(row).to_contain_text("吴收费")
        short = total - Decimal("50.00")
        row.locator("[data-row-action=confirm]").click()
        f.locator("#input-handed_in").fill(str(short))
        shot(f, "daily-reports-confirm-dialog")
        f.locator("#confirm-ok").click()
        expect(f.get_by_text("请填写差异说明").first).to_be_visible()
        row.locator("[data-row-action=confirm]").click()
        f.locator("#input-handed_in").fill(str(short))
        f.locator("#input-note").fill("现金短款 50 元，收费员次日补交")
        f.locator("#confirm-ok").click()
        expect(f.get_by_text("交款确认成功 1 条")).to_be_visible()
        expect(row).to_contain_text("已交款确认")
        expect(row).to_contain_text("-50.00")
        shot(f, "daily-reports-confirmed-list")

        # Its detail lists the entries it counted.
        row.get_by_role("button", name="查看", exact=True).click()
        detail = f.locator("[role=dialog]")
        expect(detail).to_contain_text("现金短款 50 元")
        expect(detail).to_contain_text("收款明细")
        shot(f, "daily-reports-detail")
        f.keyboard.press("Escape")

        # Locked: an edit of that day's entry is refused with the message, and nothing changes.
        url = f"/finance/payments?f_daily_report_id={report_id}"
        go(f, url)
        expect(rows(f)).to_have_count(2)
        with Session(engine) as s:
            pay = s.exec(select(Payment).where(Payment.bill_id == cash_bill.id)).one()
        f.locator(f"#admin-table tbody tr[data-row-id='{pay.id}'] input[type=checkbox]").click()
        run(f, "correct", {"receipt_no": "改号", "select:method": "wechat"})
        expect(f.get_by_text(daily_reports.LOCKED).first).to_be_visible()
        shot(f, "daily-reports-edit-refused")
        list_ready(f, url)
        with Session(engine) as s:
            again = s.get_one(Payment, pay.id)
            assert (again.receipt_no, again.method.value) == ("XJ-E2E-01", "cash")
            confirmed = s.get_one(DailyReport, report_id)
            assert confirmed.state == DailyReportState.CONFIRMED and confirmed.difference == Decimal("-50.00")
            assert ledger.mismatches(s) == []
    finally:
        c.context.close()
        if f is not None:
            f.context.close()
