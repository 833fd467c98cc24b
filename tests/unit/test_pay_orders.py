"""二维码支付 against the sandbox provider: signatures, sealed keys, allocation order, idempotent callbacks,
late and forged ones, and the ledger invariant after every flow (on SQLite and, in the second run,
PostgreSQL)."""

from __future__ import annotations

import json
import os
import threading
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db, payment_routes
from clss_app.core import clock, sealed, signing
from clss_app.core.results import ActionContext
from clss_app.sandbox import pay as sandbox
from clss_app.services import bill_approvals, bills, ledger, pay_orders
from clss_app.services.permissions import scope_clause
from models import (
    BalanceEntry,
    Bill,
    BillKind,
    BillState,
    CallbackOutcome,
    ExceptionState,
    LedgerSource,
    PayCallback,
    Payment,
    PayOrder,
    PayOrderState,
    Project,
)

# ---------------------------------------------------------------- pure parts


def test_canonical_form_sorts_names_and_leaves_out_sign_and_empty_fields():
    msg = {"b": "2", "a": "1", "sign": "X", "c": "", "d": None}
    assert signing.canonical(msg) == "a=1&b=2"
    # A known vector (from `openssl dgst -sha256 -hmac`), so that any provider's implementation agrees.
    assert signing.sign({"order_no": "P1", "amount": "10.00"}, "k" * 16) == (
        "AD3E4633B375463F33EC492E9BEBEF5EF61B68AA9C602314DA2A2EAF4017DF47"
    )


def test_a_signature_holds_only_for_the_same_fields_and_key():
    msg = signing.signed({"order_no": "P1", "amount": "10.00"}, "secret-key-123456")
    assert signing.verify(msg, "secret-key-123456")
    assert not signing.verify({**msg, "amount": "10.01"}, "secret-key-123456")
    assert not signing.verify(msg, "another-key-123456")
    assert not signing.verify({k: v for k, v in msg.items() if k != "sign"}, "secret-key-123456")
    assert signing.verify({**msg, "sign": msg["sign"].lower()}, "secret-key-123456")


def test_a_sealed_key_opens_only_with_the_key_it_was_sealed_with(monkeypatch):
    monkeypatch.setenv("CLSS_SECRET_KEY", sealed.new_key())
    token = sealed.seal("merchant-signing-key")
    assert "merchant-signing-key" not in token
    assert sealed.unseal(token) == "merchant-signing-key"
    monkeypatch.setenv("CLSS_SECRET_KEY", sealed.new_key())
    with pytest.raises(sealed.SealError):
        sealed.unseal(token)


def _bill(i, due, kind=BillKind.RENT, amount="100.00", paid="0.00", state=BillState.CONFIRMED):
    return SimpleNamespace(
        id=i, due_date=due, kind=kind, amount=Decimal(amount), late_fee=Decimal("0"), paid=Decimal(paid), state=state
    )


def test_money_pays_the_oldest_bill_first_and_rent_before_fees_of_its_day():
    d1, d2 = date(2026, 1, 1), date(2026, 2, 1)
    fee = _bill(1, d1, BillKind.PERIODIC, "50.00")
    rent = _bill(2, d1, BillKind.RENT, "100.00", paid="40.00")
    later = _bill(3, d2, BillKind.RENT, "100.00")
    parts, left = ledger.allocate([later, fee, rent], Decimal("130.00"))
    assert [(b.id, p) for b, p in parts] == [(2, Decimal("60.00")), (1, Decimal("50.00")), (3, Decimal("20.00"))]
    assert left == 0
    parts, left = ledger.allocate([fee], Decimal("80.00"))
    assert parts[0][1] == Decimal("50.00") and left == Decimal("30.00")


# ---------------------------------------------------------------- with the sandbox


def _open_bills(s, p, n=2, skip: set[int] | None = None):
    """n open bills of one tenant (not one of ``skip``) in p's scope, in the company with 支付参数."""
    company = s.execute(sa.text("SELECT company_id FROM pay_settings")).scalar_one()
    rows = s.exec(
        select(Bill)
        .join(Project, Project.id == Bill.project_id)
        .where(Project.company_id == company, Bill.state == BillState.CONFIRMED, scope_clause(p, Bill.project_id))
        .order_by(Bill.tenant_id, Bill.due_date)
    ).all()
    by_tenant: dict[int, list[Bill]] = {}
    for b in rows:
        by_tenant.setdefault(b.tenant_id, []).append(b)
    return next(bs[:n] for t, bs in by_tenant.items() if len(bs) >= n and t not in (skip or set()))


def _create(s, p, rows):
    result = pay_orders.create(ActionContext(s, p, rows))
    assert not result.refused, result.refused
    return s.exec(select(PayOrder).order_by(PayOrder.id.desc())).first()


def _callback(order: PayOrder, txn="T0001", amount=None, key=sandbox.DEMO_KEY, **extra) -> bytes:
    msg = {
        "merchant_no": sandbox.DEMO_MERCHANT_NO,
        "order_no": order.order_no,
        "txn_id": txn,
        "amount": amount or f"{order.amount:.2f}",
        "currency": "CNY",
        "status": "SUCCESS",
        "paid_at": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),  # today, whatever day the suite runs
        **extra,
    }
    return json.dumps(signing.signed(msg, key)).encode()


def _ledger_holds():
    with db.session_scope() as s:
        assert ledger.mismatches(s) == []


@pytest.fixture
def order_of_two(pay_sandbox, principal_of):
    p = principal_of("assistant")
    with db.session_scope() as s:
        rows = _open_bills(s, p)
        order = _create(s, p, rows)
        ids = [b.id for b in rows]
    return order, ids, p


def test_a_paid_callback_posts_the_bills_once_and_a_repeat_changes_nothing(order_of_two):
    order, ids, _ = order_of_two
    assert order.state == PayOrderState.PENDING and order.qr_content.endswith(order.order_no)
    assert payment_routes._apply(_callback(order)).body == {"code": "SUCCESS"}
    with db.session_scope() as s:
        assert {b.state for b in s.exec(select(Bill).where(Bill.id.in_(ids)))} == {BillState.PAID}
        lines = s.exec(select(Payment).where(Payment.bill_id.in_(ids))).all()
        paid_now = [x for x in lines if x.source == LedgerSource.PAY_ORDER]
        assert len(paid_now) == 2 and {x.source_ref for x in paid_now} == {order.order_no}
        assert {x.process for x in paid_now} == {pay_orders.PROCESS} and all(x.recorded_by_id is None for x in paid_now)
        assert s.exec(select(PayOrder).where(PayOrder.id == order.id)).one().state == PayOrderState.PAID
    for _ in range(3):
        assert payment_routes._apply(_callback(order)).body == {"code": "SUCCESS"}
    with db.session_scope() as s:
        assert len(s.exec(select(Payment).where(Payment.source_ref == order.order_no)).all()) == 2
        outcomes = s.exec(select(PayCallback.outcome).where(PayCallback.order_no == order.order_no)).all()
        assert sorted(outcomes) == sorted([CallbackOutcome.POSTED] + [CallbackOutcome.DUPLICATE] * 3)
    _ledger_holds()


def test_a_forged_or_wrong_callback_is_refused_and_recorded(order_of_two):
    order, ids, _ = order_of_two
    with db.session_scope() as s:
        before = s.execute(sa.select(sa.func.max(PayCallback.id))).scalar_one() or 0
    cases = [
        (_callback(order, key="not-the-merchant-key-0000"), "签名错误"),
        (_callback(order, amount="0.01"), "金额不符"),
        (_callback(order, currency="USD"), "币种不符"),
        (_callback(order, order_no="P20990101000000000000"), "订单不存在"),
        (b"not json", "报文格式错误"),
    ]
    for raw, why in cases:
        answer = payment_routes._apply(raw)
        assert answer.status == 400 and answer.body["message"] == why
    with db.session_scope() as s:
        assert {b.state for b in s.exec(select(Bill).where(Bill.id.in_(ids)))} == {BillState.CONFIRMED}
        assert s.exec(select(PayOrder).where(PayOrder.id == order.id)).one().state == PayOrderState.PENDING
        refused = s.exec(select(PayCallback).where(PayCallback.id > before)).all()
        assert {c.outcome for c in refused} == {CallbackOutcome.REFUSED}
        assert sorted(c.reason for c in refused) == sorted(why for _, why in cases)
    _ledger_holds()


def test_a_callback_after_expiry_pays_nothing_and_waits_for_a_refund(order_of_two):
    order, ids, _ = order_of_two
    with db.session_scope() as s:
        s.execute(
            sa.update(PayOrder).where(PayOrder.id == order.id).values(expire_at=clock.now() - timedelta(seconds=1))
        )
    assert payment_routes._apply(_callback(order)).body == {"code": "SUCCESS"}  # held: the provider stops repeating
    with db.session_scope() as s:
        assert s.exec(select(PayOrder).where(PayOrder.id == order.id)).one().state == PayOrderState.EXPIRED
        assert {b.state for b in s.exec(select(Bill).where(Bill.id.in_(ids)))} == {BillState.CONFIRMED}
        late = s.exec(select(PayCallback).where(PayCallback.order_no == order.order_no)).one()
        assert late.outcome == CallbackOutcome.LATE and late.exception == ExceptionState.OPEN
    _ledger_holds()


def test_concurrent_callbacks_of_one_order_post_it_once(order_of_two):
    order, _, _ = order_of_two
    raw = _callback(order)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(payment_routes._apply(raw))) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.body for a in answers] == [{"code": "SUCCESS"}] * 12
    with db.session_scope() as s:
        assert len(s.exec(select(Payment).where(Payment.source_ref == order.order_no)).all()) == 2
        posted = s.exec(
            select(PayCallback).where(
                PayCallback.outcome == CallbackOutcome.POSTED, PayCallback.order_no == order.order_no
            )
        ).all()
        assert len(posted) == 1
    _ledger_holds()


def test_money_a_bill_no_longer_owes_goes_to_the_tenants_balance(order_of_two, principal_of):
    order, ids, _ = order_of_two
    fin = principal_of("finance")
    with db.session_scope() as s:  # finance registers the first bill offline while the QR code waits
        first = s.exec(select(Bill).where(Bill.id == ids[0])).one()
        owed = first.amount + first.late_fee - first.paid
        assert bills.register_payments(ActionContext(s, fin, [first])).done == 1
    assert payment_routes._apply(_callback(order)).body == {"code": "SUCCESS"}
    with db.session_scope() as s:
        assert s.exec(select(Bill).where(Bill.id == ids[1])).one().state == BillState.PAID
        entry = s.exec(select(BalanceEntry).where(BalanceEntry.source_ref == order.order_no)).one()
        assert entry.amount == owed and ledger.balance(s, order.tenant_id) == owed
    _ledger_holds()


def test_an_order_holds_bills_of_one_tenant_each_in_one_pending_order(pay_sandbox, principal_of):
    p = principal_of("assistant")
    with db.session_scope() as s:
        rows = _open_bills(s, p, 3)
        first = pay_orders.create(ActionContext(s, p, rows[:2]))
        assert first.done == 1 and first.goto
        again = pay_orders.create(ActionContext(s, p, rows[:2]))  # a second click: the same order
        assert again.goto == first.goto
        overlap = pay_orders.create(ActionContext(s, p, rows[1:]))
        assert overlap.done == 0 and "待支付的收款码" in overlap.refused[0][1]
        other = s.exec(
            select(Bill).where(Bill.tenant_id != rows[0].tenant_id, Bill.project_id == rows[0].project_id)
        ).first()
        mixed = pay_orders.create(ActionContext(s, p, [rows[2], other]))
        assert mixed.done == 0
        draft = s.exec(select(Bill).where(Bill.state == BillState.UNCONFIRMED)).first()
        assert pay_orders.create(ActionContext(s, p, [draft])).refused[0][1] == "账单未确认，请先确认"
        assert len(s.exec(select(PayOrder).where(PayOrder.state == PayOrderState.PENDING)).all()) == 1


def test_the_provider_down_refuses_the_order_with_a_message_and_saves_nothing(pay_sandbox, principal_of):
    from tests.sandbox_server import sandbox_call

    sandbox_call(pay_sandbox, "/sandbox/control", {"fail_next": 3})
    p = principal_of("assistant")
    with db.session_scope() as s:
        result = pay_orders.create(ActionContext(s, p, _open_bills(s, p)))
        assert result.done == 0 and "支付渠道暂不可用" in result.refused[0][1]
        assert s.exec(select(PayOrder).where(PayOrder.state == PayOrderState.PENDING)).first() is None
    sandbox_call(pay_sandbox, "/sandbox/control", {"fail_next": 2})  # two failures: the third attempt succeeds
    with db.session_scope() as s:
        assert pay_orders.create(ActionContext(s, p, _open_bills(s, p))).done == 1


def test_a_closed_order_cannot_be_paid(order_of_two, principal_of):
    from tests.sandbox_server import sandbox_call

    order, _, p = order_of_two
    with db.session_scope() as s:
        row = s.exec(select(PayOrder).where(PayOrder.id == order.id)).one()
        assert pay_orders.close(ActionContext(s, p, [row], text="租客改用转账")).done == 1
    with pytest.raises(Exception, match="409"):
        sandbox_call(os.environ["CLSS_PAY_URL"], "/sandbox/pay", {"order_no": order.order_no})


def test_a_refund_keeps_the_ledger_adding_up(demo_db, principal_of):
    fin = principal_of("finance")
    with db.session_scope() as s:
        due = s.exec(select(Bill).where(Bill.state == BillState.REFUND_DUE)).first()
        assert bill_approvals.to_offline_refund(ActionContext(s, fin, [due])).done == 1
    with db.session_scope() as s:
        row = s.exec(select(Bill).where(Bill.id == due.id)).one()
        assert bill_approvals.confirm_refund(ActionContext(s, fin, [row])).done == 1
    with db.session_scope() as s:
        assert s.exec(select(Bill).where(Bill.id == due.id)).one().paid == -due.amount
    _ledger_holds()


def test_the_daily_job_checks_the_ledger_and_expires_orders(order_of_two):
    from clss_app.services import jobs
    from models import AuditLog

    order, ids, _ = order_of_two
    assert jobs.daily()["ledger_mismatches"] == 0
    with db.session_scope() as s:  # money written past the ledger, and an order past its time
        s.execute(sa.update(Bill).where(Bill.id == ids[0]).values(paid=Bill.paid + 1))
        s.execute(sa.update(PayOrder).where(PayOrder.id == order.id).values(expire_at=clock.now()))
    done = jobs.daily()
    assert done["ledger_mismatches"] == 1 and done["expired_pay_orders"] == 1
    with db.session_scope() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "ledger_check")).one()
        assert f"#{ids[0]}" in entry.summary
        assert s.exec(select(PayOrder).where(PayOrder.id == order.id)).one().state == PayOrderState.EXPIRED


def test_a_slow_provider_times_out_once_and_the_retry_gets_the_same_order(pay_sandbox, principal_of, monkeypatch):
    from tests.sandbox_server import sandbox_call

    monkeypatch.setenv("CLSS_PAY_TIMEOUT", "0.5")
    sandbox_call(pay_sandbox, "/sandbox/control", {"slow_ms": 1500, "slow_next": 1})
    p = principal_of("assistant")
    with db.session_scope() as s:
        result = pay_orders.create(ActionContext(s, p, _open_bills(s, p)))
        assert result.done == 1
        order = s.exec(select(PayOrder).where(PayOrder.state == PayOrderState.PENDING)).one()
    # The first request reached the provider before it timed out here: the provider holds one order.
    assert sandbox_call(pay_sandbox, "/sandbox/control", {})["orders"] == 1
    assert order.qr_content.endswith(order.order_no)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[1, 2]", "报文格式错误"),
        (json.dumps({"merchant_no": 105110000000001, "order_no": "P1"}).encode(), "报文格式错误"),
        (json.dumps({"merchant_no": "999", "order_no": "P1"}).encode(), "未知商户"),
        ("\ufffd\x00".encode(), "报文格式错误"),
        (json.dumps({"merchant_no": "105110000000001\x00", "order_no": "P1"}).encode(), "报文格式错误"),
    ],
)
def test_malformed_callbacks_are_refused_and_kept(demo_db, body, why):
    answer = payment_routes._apply(body)
    assert answer.status == 400 and answer.body["message"] == why
    with db.session_scope() as s:
        kept = s.exec(select(PayCallback).order_by(PayCallback.id.desc())).first()
        assert kept.outcome == CallbackOutcome.REFUSED and kept.reason == why


def test_an_absurd_amount_is_a_mismatch_not_a_crash(order_of_two):
    order, _, _ = order_of_two
    for amount in ("1e999999", "NaN", "-Infinity", "9" * 40):
        answer = payment_routes._apply(_callback(order, amount=amount))
        assert answer.status == 400 and answer.body["message"] == "金额不符"
    _ledger_holds()
