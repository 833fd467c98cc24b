"""存房易 in Chromium: a landlord applies on the 建融家园 APP (the sandbox posts it, signed, to the running
app), 京安居's 店长 approves it in 存房申请, the landlord chooses 京安居 (燕园's copy lapses), the 店长 drafts
the 存房合同 (a wrong payee card refused at its field), the landlord signs on the APP (delivered twice), and
the contract reads 执行中 with its eight quarterly payments, which 财务 finds in 存房付款计划."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from clss_app.demo_consign import PAYEE_CARD, _id_number
from clss_app.services.billing import add_months
from models import ConsignApplication, ConsignContract, ConsignPayment, ConsignState, OrgUnit
from tests.e2e.conftest import go, login, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user
from tests.sandbox_server import sandbox_call

APP_NO = "E2E20260001"


def _landlord(sandbox_url: str, base_url: str, *events: dict, repeat: int = 1) -> list[dict]:
    """The landlord's steps on the APP: the sandbox signs each and posts it to the app."""
    answer = sandbox_call(
        sandbox_url, "/sandbox/landlord/act", {"app_url": base_url, "events": list(events), "repeat": repeat}
    )
    return answer["answers"]


def sandbox_get(url: str, path: str) -> dict:
    with urllib.request.urlopen(url + path, timeout=30) as r:
        return json.loads(r.read())


def _act(page, label: str, name: str) -> None:
    row = rows(page).filter(has_text=APP_NO).first
    button = row.locator(f"[data-row-action={name}]")
    expect(button).to_have_text(label)
    button.click()


def test_a_landlords_application_becomes_a_signed_consignment_contract(page, browser, base_url, app_db, sandbox_url):
    engine = create_engine(app_db)
    with Session(engine) as s:
        jing = s.exec(select(OrgUnit.id).where(OrgUnit.name == "京安居住房租赁有限公司")).one()
    apply = {
        "kind": "apply",
        "app_no": APP_NO,
        "city": "北京",
        "landlord_name": "吴房东",
        "landlord_phone": "13912340000",
        "landlord_id_number": _id_number("11010519770707123"),
        "house_address": "北京市朝阳区安慧北里逸园 6 号楼 1203",
        "house_area": "88.6",
        "layout": "2室1厅1卫",
        "expected_rent": "6500",
        "expected_months": "24",
    }
    assert [a["status"] for a in _landlord(sandbox_url, base_url, apply)] == [200]

    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    go(page, f"/consign/applications?q={APP_NO}")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("待审核")
    expect(rows(page).first).to_contain_text("吴房东")
    shot(page, "consign-applications")
    _act(page, "审核通过", "approve")
    page.locator("#confirm-input").fill("房源位置好，可收")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("审核通过成功 1 条")).to_be_visible()
    expect(rows(page).first).to_contain_text("待房东选择")
    with Session(engine) as s:  # the APP (the sandbox) took the review at once
        mine = s.exec(
            select(ConsignApplication).where(ConsignApplication.number == APP_NO, ConsignApplication.company_id == jing)
        ).one()
        assert not mine.app_pending and mine.app_error == ""
    told = sandbox_get(sandbox_url, "/sandbox/landlord/state")["notices"][f"review:{APP_NO}:{jing}"]
    assert told["result"] == "approved"

    # The landlord chooses 京安居 (twice, as a flaky phone would); 燕园's copy lapses.
    answers = _landlord(sandbox_url, base_url, {"kind": "choose", "app_no": APP_NO, "company_id": str(jing)}, repeat=2)
    assert [a.get("result") for a in answers] == ["applied", "duplicate"]
    go(page, f"/consign/applications?q={APP_NO}")
    expect(rows(page).first).to_contain_text("待拟定合同")
    with Session(engine) as s:
        other = s.exec(
            select(ConsignApplication).where(ConsignApplication.number == APP_NO, ConsignApplication.company_id != jing)
        ).one()
        assert (other.state, other.reason) == (ConsignState.LAPSED, "房东已选择其他企业")

    # 拟定合同: two years, quarterly, a payee card with a wrong check digit first.
    start = clock.today() + timedelta(days=5)
    end = add_months(start, 24) - timedelta(days=1)
    _act(page, "拟定合同", "draft")
    page.locator("#input-start_date").fill(str(start))
    page.locator("#input-end_date").fill(str(end))
    page.locator("#input-monthly_rent").fill("6200")
    page.locator("#input-cycle").select_option("3")
    page.locator("#input-bill_mode").select_option("same_day")
    page.locator("#input-payee_bank").fill("中国建设银行")
    page.locator("#input-payee_card_no").fill(PAYEE_CARD[:-1] + "0")
    shot(page, "consign-draft-dialog")
    page.locator("#confirm-ok").click()
    expect(page.locator("#input-error-payee_card_no")).to_have_text("银行卡号校验位错误")
    page.locator("#input-payee_card_no").fill(PAYEE_CARD)
    page.locator("#confirm-ok").click()
    expect(page.get_by_text(re.compile(r"拟定合同成功 1 条（存房合同 CF\d{12} 已发送房东签约）"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/consign/contracts\?q=CF\d{12}"))
    with Session(engine) as s:
        contract = s.exec(select(ConsignContract).where(ConsignContract.landlord_name == "吴房东")).one()
    row = rows(page).filter(has_text=contract.number).first
    expect(row).to_contain_text("待签约")

    # The landlord signs on the APP; the signature arrives twice and signs once.
    sign = {"kind": "sign", "app_no": APP_NO, "contract_no": contract.number}
    assert [a.get("result") for a in _landlord(sandbox_url, base_url, sign, repeat=2)] == ["applied", "duplicate"]
    go(page, f"/consign/contracts?q={contract.number}")
    row = rows(page).filter(has_text=contract.number).first
    expect(row).to_contain_text("执行中")
    row.get_by_text("查看").click()
    expect(page.locator("#detail-title")).to_have_text(f"存房合同 {contract.number}")
    expect(page.locator("#detail-state")).to_have_text("执行中")
    tab = page.get_by_role("tab").filter(has_text="付款计划")
    expect(tab).to_have_text(re.compile(r"付款计划\s*8"))
    tab.click()
    plan = page.locator(".clss-related[data-tab='付款计划']")
    expect(plan).to_contain_text("共 8 条")
    expect(plan).to_contain_text("应付金额 ¥148,800.00")
    page.wait_for_timeout(400)
    shot(page, "consign-contract-detail")
    with Session(engine) as s:
        paid = s.exec(select(ConsignPayment).where(ConsignPayment.contract_id == contract.id)).all()
        assert len(paid) == 8 and sum(p.amount for p in paid) == Decimal("6200") * 24
        assert (
            s.exec(
                select(ConsignApplication.state).where(
                    ConsignApplication.number == APP_NO, ConsignApplication.company_id == jing
                )
            ).one()
            == ConsignState.SIGNED
        )

    finance = as_user(browser, base_url, "finance")
    try:
        go(finance, f"/consign/payments?f_contract_id={contract.id}")
        expect(rows(finance)).to_have_count(8)
        expect(rows(finance).first).to_contain_text(str(start))
        expect(rows(finance).first).to_contain_text("¥18,600.00")
        shot(finance, "consign-payments-finance")
    finally:
        finance.context.close()
