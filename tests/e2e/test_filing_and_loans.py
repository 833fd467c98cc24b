"""网签备案 and 按居贷 in Chromium, as the store manager of a Beijing project (北京 is connected to its
监管平台): 备案 on 网签和备案 shows 政府备案 是 with the platform's number (on 合同列表 too), 撤销备案 turns
it back to 否; 按居贷支付 is refused for a 6-month 一次性 contract, naming the rule, and accepted for a
2-year 一次性 one: the loan is 已放款, its bill paid, the ledger adds up. The contracts are this test's
own, signed through the leasing service on rooms no other test picks (the project's last vacant ones)."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect
from sqlmodel import Session, col, create_engine, select

from clss_app.core import clock
from clss_app.demo_filing_loans import id_number, manager_and_project, sign_contract
from clss_app.services import ledger
from models import Bill, BillKind, BillState, Contract, Loan, LoanState, PayCycle, Room, RoomStatus, Tenant
from tests.e2e.conftest import login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user
from tests.sandbox_server import sandbox_call


def _contracts(app_db) -> tuple[Contract, Contract]:
    """A 2-year and a 6-month 一次性 contract of the manager's project, each with a new tenant."""
    with Session(create_engine(app_db), expire_on_commit=False) as s:
        p, project = manager_and_project(s)
        rooms = s.exec(
            select(Room)
            .where(Room.project_id == project.id, Room.status == RoomStatus.VACANT)
            .order_by(col(Room.id).desc())
            .limit(2)
        ).all()
        made = []
        for k, (room, months) in enumerate(zip(rooms, (24, 6), strict=True)):
            tenant = Tenant(company_id=project.company_id, name=f"备案贷款{k + 1}", phone=f"1365555000{k}")
            tenant.id_number = id_number(900 + k, region="110105")
            s.add(tenant)
            s.flush()
            made.append(sign_contract(s, p, room, tenant.id, clock.today(), months, PayCycle.ONCE, Decimal(2800)))
        s.commit()
        return made[0], made[1]


def _find(page, number: str):
    page.locator("input[name=q]").fill(number)
    page.keyboard.press("Enter")
    row = rows(page).filter(has_text=number).first
    expect(rows(page)).to_have_count(1)
    return row


def _act(page, row, name: str, label: str) -> None:
    button = row.locator(f"[data-row-action={name}]")
    if not button.count():
        row.locator("[data-row-action=more]").click()
        page.get_by_role("menuitem", name=label, exact=True).click()
    else:
        expect(button).to_have_text(label)
        button.click()
    page.locator("#confirm-ok").click()


def test_filing_then_revoking_and_a_loan_refused_then_accepted(page, app_db, sandbox_url, browser, base_url):
    two_years, six_months = _contracts(app_db)
    sandbox_call(sandbox_url, "/sandbox/regulator/control", {"reset": True})
    sandbox_call(sandbox_url, "/sandbox/loan/control", {"reset": True, "lines": {id_number(900, region="110105"): 1e6}})
    login(page, "manager")

    # 网签和备案: 备案, then 撤销备案.
    open_list(page, "网签和备案")
    row = _find(page, two_years.number)
    expect(row).to_contain_text("否")
    _act(page, row, "file", "备案")
    expect(page.get_by_text(f"备案成功 1 条（{two_years.number} 备案 BA")).to_be_visible()
    engine = create_engine(app_db)
    with Session(engine) as s:
        filed = s.get_one(Contract, two_years.id)
        assert filed.filing_no.startswith("BA") and filed.filed_at is not None
    expect(row).to_contain_text("是")
    expect(row).to_contain_text(filed.filing_no)
    shot(page, "filing-filed")

    open_list(page, "合同列表")
    listed = _find(page, two_years.number)
    expect(listed).to_contain_text("是")  # the contract list's 政府备案 column
    shot(page, "filing-contract-list")

    open_list(page, "网签和备案")
    row = _find(page, two_years.number)
    _act(page, row, "revoke", "撤销备案")
    expect(page.get_by_text(f"撤销备案成功 1 条（{two_years.number} 撤销备案 {filed.filing_no}）")).to_be_visible()
    expect(row).to_contain_text(f"撤销备案 {filed.filing_no}")  # only the note names it now
    expect(row.locator("td").filter(has_text=re.compile(r"^\s*否\s*$"))).to_have_count(1)
    expect(row.locator("td").filter(has_text=re.compile(rf"^\s*{filed.filing_no}\s*$"))).to_have_count(0)
    shot(page, "filing-revoked")

    # 按居贷支付 from 合同列表: refused for six months, naming the rule; paid for two years.
    open_list(page, "合同列表")
    row = _find(page, six_months.number)
    _act(page, row, "loan", "按居贷支付")
    expect(page.get_by_text("按居贷仅限租期 1–5 年的合同（本合同租期 6 个月）")).to_be_visible()
    shot(page, "loan-refused-six-months")

    row = _find(page, two_years.number)
    _act(page, row, "loan", "按居贷支付")
    expect(page.get_by_text(f"按居贷支付成功 1 条（{two_years.number} 按居贷 67200.00 元已放款")).to_be_visible()
    with Session(engine) as s:
        loan = s.exec(select(Loan).where(Loan.contract_id == two_years.id)).one()
        bill = s.get_one(Bill, loan.bill_id)
        assert loan.state == LoanState.APPROVED and loan.amount == Decimal("67200.00")
        assert bill.kind == BillKind.RENT and bill.state == BillState.PAID
        assert s.exec(select(Loan).where(Loan.contract_id == six_months.id)).first() is None
        assert ledger.mismatches(s) == []

    open_list(page, "贷款记录")
    row = _find(page, loan.number)
    expect(row).to_contain_text("已放款")
    expect(row).to_contain_text("¥67,200.00")
    shot(page, "loan-records")

    # 贷款参数: the branch's 系统管理员 sees the project's quota and what the loans hold of it.
    admin = as_user(browser, base_url, "sysadmin")
    try:
        open_list(admin, "贷款参数")
        expect(rows(admin).filter(has_text="朝阳青年汇")).to_contain_text("信用")
        expect(rows(admin).filter(has_text="海淀家园")).to_contain_text("担保")
        shot(admin, "loan-params")
    finally:
        admin.context.close()
