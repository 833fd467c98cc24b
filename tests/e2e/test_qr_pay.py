"""二维码支付 in Chromium: a 店助 makes a QR order for a tenant's first bills from 账单管理; the sandbox
provider pays it; the order and its bills turn 已支付 / 已收款 on screen without a reload. A repeated
callback changes nothing, a forged one (bad signature) is refused, and the ledger adds up."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import signing
from clss_app.payment_routes import NOTIFY_ROUTE
from clss_app.services import ledger
from clss_app.services.permissions import load_principal, scope_clause
from models import Bill, BillState, Payment, PayOrder, PayOrderState, Project, Tenant, User
from tests.e2e.conftest import login, open_list, shot
from tests.sandbox_server import sandbox_call


def _tenant_with_open_bills(engine) -> tuple[Tenant, list[Bill]]:
    """A tenant of the company with 支付参数, in the assistant's scope, with two or more 已确认 bills."""
    with Session(engine) as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "assistant")).one())
        company = s.execute(sa.text("SELECT company_id FROM pay_settings")).scalar_one()
        rows = s.exec(
            select(Bill)
            .join(Project, Project.id == Bill.project_id)
            .where(Project.company_id == company, Bill.state == BillState.CONFIRMED, scope_clause(p, Bill.project_id))
            .order_by(Bill.due_date)
        ).all()
        by_tenant: dict[int, list[Bill]] = {}
        for b in rows:
            by_tenant.setdefault(b.tenant_id, []).append(b)
        bills = next(bs for bs in by_tenant.values() if len(bs) >= 2)[:2]
        return s.get_one(Tenant, bills[0].tenant_id), bills


def _post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_assistant_collects_a_tenants_first_bills_by_qr_code(page, base_url, app_db, sandbox_url):
    engine = create_engine(app_db)
    tenant, bills = _tenant_with_open_bills(engine)
    login(page, "assistant")
    open_list(page, "账单管理")
    page.locator("#admin-search").fill(tenant.phone)
    page.locator("#admin-search").press("Enter")
    # The list answers the search (until then the unfiltered rows are still on screen).
    expect(page.locator("#admin-table tbody tr").filter(has_not_text=tenant.name)).to_have_count(0)
    for b in bills:
        row = page.locator(f"#admin-table tbody tr[data-row-id='{b.id}']")
        expect(row).to_be_visible()
        row.locator("input[type=checkbox]").click()
    expect(page.locator("#selection-count")).to_have_text("已选 2 条")
    page.locator("#action-qr_pay").click()
    page.locator("#confirm-ok").click()

    # The order's page: its QR code, amount and 待支付, and the two bills still 已确认.
    expect(page).to_have_url(re.compile(r"/finance/qr-pay\?order=P\d{20}$"))
    expect(page.locator("#qr-code")).to_be_visible()
    expect(page.locator("#qr-order-state")).to_have_text("待支付")
    expect(page.locator(".qr-bill-row")).to_have_count(2)
    shot(page, "qr-pay-pending")
    order_no = page.url.split("order=")[1]
    with Session(engine) as s:
        order = s.exec(select(PayOrder).where(PayOrder.order_no == order_no)).one()
        assert order.amount == sum(b.amount + b.late_fee - b.paid for b in bills)

    # The tenant scans and pays: the sandbox sends the signed callback to the app.
    paid = sandbox_call(sandbox_url, "/sandbox/pay", {"order_no": order_no})
    assert paid["codes"] == [200]
    expect(page.locator("#qr-order-state")).to_have_text("已支付", timeout=15_000)  # no reload
    expect(page.locator(".qr-bill-row", has_text="已收款")).to_have_count(2)
    expect(page.locator("#qr-code")).to_have_count(0)
    shot(page, "qr-pay-paid")

    # The provider repeats its callback: nothing changes.
    again = sandbox_call(sandbox_url, "/sandbox/pay", {"order_no": order_no, "repeat": 3})
    assert again["codes"] == [200, 200, 200]
    # A forged callback (signed with another key) is refused.
    forged = signing.signed(
        {
            "merchant_no": "105110000000001",
            "order_no": order_no,
            "txn_id": "FORGED",
            "amount": f"{order.amount:.2f}",
            "currency": "CNY",
            "status": "SUCCESS",
        },
        "an-attackers-guess-of-the-key",
    )
    status, body = _post(base_url + NOTIFY_ROUTE, json.dumps(forged).encode())
    assert status == 400 and body["message"] == "签名错误"
    with Session(engine) as s:
        assert s.exec(select(PayOrder).where(PayOrder.order_no == order_no)).one().state == PayOrderState.PAID
        lines = s.exec(select(Payment).where(Payment.source_ref == order_no)).all()
        assert len(lines) == 2 and sum(x.amount for x in lines) == order.amount
        assert {s.get_one(Bill, b.id).state for b in bills} == {BillState.PAID}
        assert ledger.mismatches(s) == []

    # From the menu, 支付订单 lists it as 已支付.
    open_list(page, "支付订单")
    expect(page.locator("#admin-table tbody tr", has_text=order_no)).to_contain_text("已支付")
