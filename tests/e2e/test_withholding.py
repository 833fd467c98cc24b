"""银行批量代扣 in Chromium: 财务 generates a run for 海淀家园 from 扣款结果查询 (20 tenants with agreements,
one bill each), sends it to the sandbox bank, fetches the result (3 of 20 refused by card, each with its
reason), re-sends the failed ones only, and the new run holds exactly those 3. The ledger adds up."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.services import ledger
from models import Bill, BillState, LineState, RunState, WithholdLine, WithholdRun
from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user, pick
from tests.sandbox_server import sandbox_call
from tests.withholding_world import PROJECT, debtors

REASONS = {"3001": "余额不足", "3002": "卡状态异常", "3003": "账户已销户"}


def _row(page, run_no: str):
    return rows(page).filter(has_text=run_no).first


def _act(page, row, name: str, label: str) -> None:
    button = row.locator(f"[data-row-action={name}]")
    expect(button).to_have_text(label)
    button.click()
    page.locator("#confirm-ok").click()


def test_finance_withholds_twenty_bills_and_resends_the_three_refused(page, app_db, sandbox_url):
    engine = create_engine(app_db)
    with Session(engine) as s:
        people = debtors(s, 20)
        s.commit()
    refused = {people[3].card_no: "3001", people[8].card_no: "3002", people[15].card_no: "3003"}
    sandbox_call(sandbox_url, "/sandbox/bank/control", {"fail_cards": refused})

    login(page, "finance")
    open_list(page, "扣款结果查询")
    page.locator("#admin-create").click()
    expect(page.locator("#form-title")).to_have_text("生成代扣批次")
    pick(page, "company_id", "京安居", "京安居住房租赁有限公司")
    pick(page, "project_id", PROJECT)
    shot(page, "withholding-generate")
    page.locator("#form-save").click()
    expect(page.get_by_text(re.compile(r"已生成代扣批次：WH\d{15}"))).to_be_visible()
    with Session(engine) as s:
        run = s.exec(select(WithholdRun).order_by(WithholdRun.id.desc())).first()
        assert run.line_count == 20 and run.state == RunState.GENERATED
    row = _row(page, run.number)
    expect(row).to_contain_text("已生成")
    expect(row).to_contain_text(f"¥{run.amount_total:,.2f}")

    _act(page, row, "send", "发送")
    expect(page.get_by_text(f"发送成功 1 条（{run.number} 已发送 20 笔）")).to_be_visible()
    expect(row).to_contain_text("已发送")
    _act(page, row, "fetch", "获取结果")
    expect(page.get_by_text(f"获取结果成功 1 条（{run.number} 成功 17 笔，失败 3 笔）")).to_be_visible()
    expect(row).to_contain_text("已回盘")
    shot(page, "withholding-returned")
    cells = [t.strip() for t in row.locator("td").all_inner_texts()]
    assert "17" in cells and "3" in cells, cells

    # The three refused lines, each with its reason, from the run's 扣款明细.
    go(page, f"/finance/withhold-lines?f_run_id={run.id}&f_state=failed")
    expect(rows(page)).to_have_count(3)
    for card, code in refused.items():
        line = rows(page).filter(has_text=card[-4:]).first
        expect(line).to_contain_text(REASONS[code])
        expect(line).to_contain_text("扣款失败")
        expect(line).not_to_contain_text(card)  # finance reads the card masked
    shot(page, "withholding-failed-lines")

    # 重新发送失败: a new run of exactly the three, sent at once.
    sandbox_call(sandbox_url, "/sandbox/bank/control", {"reset": True})
    open_list(page, "扣款结果查询")
    _act(page, _row(page, run.number), "resend", "重新发送失败")
    expect(page.get_by_text(re.compile(r"新批次 WH\d{15}：3 笔，已发送"))).to_be_visible()
    with Session(engine) as s:
        child = s.exec(select(WithholdRun).where(WithholdRun.parent_id == run.id)).one()
        lines = s.exec(select(WithholdLine).where(WithholdLine.run_id == child.id)).all()
        assert (child.state, child.line_count, len(lines)) == (RunState.SENT, 3, 3)
        first = s.exec(select(WithholdLine).where(WithholdLine.run_id == run.id)).all()
        failed = {x.bill_id for x in first if x.state == LineState.FAILED}
        assert {x.bill_id for x in lines} == failed
        assert all(s.get_one(Bill, x.bill_id).state == BillState.PAID for x in first if x.state == LineState.SUCCEEDED)
        assert ledger.mismatches(s) == []
    child_row = _row(page, child.number)
    expect(child_row).to_contain_text("已发送")
    expect(child_row).to_contain_text("重新发送")
    shot(page, "withholding-resent")


def test_a_clerk_signs_an_agreement_and_is_told_what_is_wrong_next_to_the_field(page, browser, base_url, app_db):
    """店助 signs a tenant's 代扣协议: a card with a wrong check digit, then another person's name, are
    refused at their fields in Chinese; the agreement saved, finance reads the card masked."""
    from sqlalchemy import func

    from models import Contract, ContractState, Tenant, WithholdAgreement

    engine = create_engine(app_db)
    with Session(engine) as s:
        signed = select(WithholdAgreement.tenant_id)
        twins = select(Tenant.name).group_by(Tenant.name).having(func.count() > 1)
        tenant = s.exec(
            select(Tenant)
            .join(Contract, Contract.tenant_id == Tenant.id)
            .where(Contract.project_id == 1, Contract.state == ContractState.ACTIVE)
            .where(Tenant.id.not_in(signed), Tenant.name.not_in(twins))
            .order_by(Tenant.id)
        ).first()
    login(page, "assistant")
    open_list(page, "代扣协议")
    page.locator("#admin-create").click()
    pick(page, "tenant_id", tenant.name)
    page.locator("#field-card_no").fill("6222 6002 6000 1072 443")
    page.locator("#field-holder_name").fill("别人")
    page.locator("#field-bank_name").fill("中国建设银行")
    page.locator("#form-save").click()
    expect(page.locator("#error-card_no")).to_have_text("银行卡号校验位错误")
    page.locator("#field-card_no").fill("6222 6002 6000 1072 444")
    page.locator("#form-save").click()
    expect(page.locator("#error-holder_name")).to_have_text(f"持卡人姓名须与租客姓名一致（租客：{tenant.name}）")
    shot(page, "withholding-agreement-errors")
    page.locator("#field-holder_name").fill(tenant.name)
    page.locator("#form-save").click()
    expect(page.get_by_text(re.compile(r"^已新增："))).to_be_visible()
    row = rows(page).filter(has_text=tenant.name).first
    expect(row).to_contain_text("6222600260001072444")  # the front desk reads it in full
    expect(row).to_contain_text("单笔签约")
    finance = as_user(browser, base_url, "finance")
    try:
        open_list(finance, "代扣协议")
        row = rows(finance).filter(has_text=tenant.name).first
        expect(row).to_contain_text("6222 **** **** 2444")
        shot(finance, "withholding-agreements-finance")
    finally:
        finance.context.close()
