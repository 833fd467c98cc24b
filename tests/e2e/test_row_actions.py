"""Row actions in the row, clicked in Chromium: 财务 collects a bill from its row's 登记收款 button, and
ticking rows offers only the actions valid for all of them; 店长 checks a tenant out from the row of
退房办理. Each row's state decides (Action.when), as the server does."""

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from clss_app.services.bills import last_readings, outstanding
from clss_app.services.permissions import load_principal
from clss_app.site import app_site
from models import Bill, BillState, Contract, ContractState, User
from tests.e2e.conftest import login, open_list, shot
from tests.e2e.test_admin_engine import rows


def as_user(browser, base_url, username, width=1366):
    context = browser.new_context(viewport={"width": width, "height": 768}, base_url=base_url, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    login(page, username)
    expect(page.locator("#current-role")).to_be_visible()
    return page


def _row_of(page, state_label: str):
    return rows(page).filter(has=page.locator("td", has_text=state_label)).first


def test_finance_collects_a_bill_from_its_row_and_is_offered_only_what_applies(browser, base_url, app_db):
    engine = create_engine(app_db)
    f = as_user(browser, base_url, "finance")
    try:
        open_list(f, "账单管理")
        confirmed = _row_of(f, "已确认")
        expect(confirmed).to_be_visible()
        # The unpaid bill's row offers its primary action as a button; a settled one does not.
        button = confirmed.locator("[data-row-action=pay]")
        expect(button).to_have_text("登记收款")
        expect(confirmed.locator("[data-row-action=refund_done]")).to_have_count(0)
        shot(f, "row-actions-bills-1366")
        expect(button).to_be_in_viewport(ratio=1)  # at 1366 px the row's button is wholly on screen

        # Under 更多: what else applies to an 已确认 bill for 财务 (a notice, a QR code), never 确认退款.
        confirmed.locator("[data-row-action=more]").click()
        menu = f.get_by_role("menu")
        expect(menu.get_by_role("menuitem", name="缴费通知单", exact=True)).to_be_visible()
        expect(menu.get_by_role("menuitem", name="生成收款码", exact=True)).to_be_visible()
        expect(menu.get_by_role("menuitem", name="确认退款", exact=True)).to_have_count(0)
        f.keyboard.press("Escape")

        bill_id = int(confirmed.get_attribute("data-row-id"))
        with Session(engine) as s:
            bill = s.get(Bill, bill_id)
            title, owed = bill.title, outstanding(bill)  # with its late fee
        button.click()
        expect(f.locator("#confirm-title")).to_have_text(f"登记收款：{title}")
        f.locator("#input-receipt_no").fill("ROW-001")
        f.locator("#confirm-ok").click()
        expect(f.get_by_text("登记收款成功 1 条")).to_be_visible()
        with Session(engine) as s:
            bill = s.get(Bill, bill_id)
            assert bill.state == BillState.PAID and outstanding(bill) == 0 and owed > 0
        # Nothing stays ticked after a row's own action.
        expect(f.locator("#selection-count")).to_have_count(0)

        # Ticking a 已确认 bill offers 登记收款, never 确认退款.
        other = _row_of(f, "已确认")
        other.locator("input[type=checkbox]").click()
        expect(f.locator("#selection-count")).to_have_text("已选 1 条")
        expect(f.locator("#action-pay")).to_be_visible()
        expect(f.locator("#action-refund_done")).to_have_count(0)
        shot(f, "row-actions-bulk-bar")
        # With a bill of another state ticked too, nothing applies to both: the bar says why.
        unconfirmed = _row_of(f, "未确认")
        if unconfirmed.count():
            unconfirmed.locator("input[type=checkbox]").click()
            expect(f.locator("#action-pay")).to_have_count(0)
            expect(f.locator("#bulk-hint")).to_be_visible()
        f.get_by_role("button", name="取消选择").click()

        # Every matching row: offered what applies to all of them (a query on the server).
        f.goto("/finance/bills?f_state=confirmed")
        expect(f.locator("#admin-list[data-route='/finance/bills']:not(.clss-init) #admin-table")).to_be_visible()
        f.locator("#select-page").click()
        if f.locator("#select-all-matching").count():
            f.locator("#select-all-matching").click()
            expect(f.locator("#selection-count")).to_contain_text("已选择全部")
        expect(f.locator("#action-pay")).to_be_visible()
        expect(f.locator("#action-refund_done")).to_have_count(0)
    finally:
        f.context.close()


def _check_out_candidate(engine) -> tuple[Contract, dict]:
    """An 执行中 contract of the 店长's scope with nothing following it, and its last meter readings."""
    admin = app_site().admin("check_outs")
    with Session(engine) as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "manager")).one())
        later = select(Contract.previous_id).where(Contract.previous_id.is_not(None))
        c = s.exec(
            select(Contract)
            .where(
                admin.scope.clause(p, Contract),
                Contract.state == ContractState.ACTIVE,
                sa.not_(Contract.id.in_(later)),
                Contract.end_date >= clock.today(),
            )
            .order_by(Contract.end_date, Contract.id)
        ).first()
        assert c is not None
        return c, last_readings(s, c)


def test_manager_checks_out_from_the_row(browser, base_url, app_db):
    engine = create_engine(app_db)
    c, before = _check_out_candidate(engine)
    m = as_user(browser, base_url, "manager")
    try:
        # 合同列表: an 执行中 lease's row shows 办理退房, and 更多 holds the other changes that apply to it.
        open_list(m, "合同列表")
        running = rows(m).filter(has=m.locator("td", has_text="执行中")).first
        expect(running.locator("[data-row-action=check_out]")).to_have_text("办理退房")
        running.locator("[data-row-action=more]").click()
        menu = m.get_by_role("menu")
        for label in ("抄表", "续租", "换房", "转租"):
            expect(menu.get_by_role("menuitem", name=label)).to_be_visible()
        expect(menu.get_by_role("menuitem", name="办理入住")).to_have_count(0)
        shot(m, "row-actions-contracts-more")
        m.keyboard.press("Escape")
        ended = rows(m).filter(has=m.locator("td", has_text="已到期")).first
        if ended.count():
            expect(ended.locator("[data-row-action]")).to_have_count(0)  # nothing applies: 查看 only

        open_list(m, "退房办理")
        shot(m, "row-actions-check-outs-1366")
        m.locator("input[name=q]").fill(c.number)
        m.keyboard.press("Enter")
        row = rows(m).filter(has_text=c.number).first
        expect(rows(m)).to_have_count(1)
        row.locator("[data-row-action=check_out]").click()
        expect(m.locator("#confirm-title")).to_have_text(f"办理退房：{c.number}")
        day = max(c.checked_in_on or c.start_date, clock.today())
        m.locator("#input-checked_out_on").fill(str(day))
        m.locator("#input-power_out").fill(str((before["power"] or 0) + 12))
        m.locator("#input-water_out").fill(str((before["water"] or 0) + 2))
        m.locator("#confirm-ok").click()
        expect(m.get_by_text("办理退房成功 1 条")).to_be_visible()
        with Session(engine) as s:
            assert s.get(Contract, c.id).state == ContractState.CHECKED_OUT
        expect(rows(m).filter(has_text=c.number)).to_have_count(0)  # no longer awaiting check-out
    finally:
        m.context.close()
