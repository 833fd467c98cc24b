"""对账 at 15:00 Asia/Shanghai: the provider's statement of the day before, matched line by line to the
ledger; each difference one row for finance, resolved with an audited note; a day cleared once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlmodel import select

from clss_app import db, payment_routes
from clss_app.admin import crud
from clss_app.core import clock
from clss_app.core.results import ActionContext
from clss_app.sandbox import pay as sandbox
from clss_app.services import clearing, pay_orders
from models import AuditLog, Clearing, ClearingDifference, ClearingState, DifferenceKind, DifferenceState, PayOrder
from tests.sandbox_server import sandbox_call
from tests.unit.test_pay_orders import _callback, _open_bills


def test_the_clearing_is_due_from_three_in_the_afternoon_in_beijing_for_the_day_before():
    assert clearing.due_day(datetime(2026, 12, 2, 6, 59, 59, tzinfo=UTC)) is None  # 14:59:59 in Beijing
    assert clearing.due_day(datetime(2026, 12, 2, 7, 0, tzinfo=UTC)) == date(2026, 12, 1)
    # 23:50 UTC on November's last day is 07:50 on December 1st in Beijing: not yet due, and when it is
    # (07:00 UTC that day), the day cleared is November 30th, not the server's date.
    assert clearing.due_day(datetime(2026, 11, 30, 23, 50, tzinfo=UTC)) is None
    assert clearing.due_day(datetime(2026, 12, 1, 7, 0, tzinfo=UTC)) == date(2026, 11, 30)
    assert clearing.due_day(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) is None  # 2027-01-01 00:00 Beijing


def _order_for(p, skip: set[int]) -> PayOrder:
    with db.session_scope() as s:
        rows = _open_bills(s, p, 1, skip)
        assert pay_orders.create(ActionContext(s, p, rows)).done == 1
        o = s.exec(select(PayOrder).order_by(PayOrder.id.desc())).first()
        skip.add(o.tenant_id)
        return o


def test_the_clearing_finds_each_difference_once_and_finance_resolves_them(pay_sandbox, principal_of, app_site):
    p, fin = principal_of("assistant"), principal_of("finance")
    tenants: set[int] = set()
    matched, changed, ours_only = (_order_for(p, tenants) for _ in range(3))
    for o in (matched, changed):  # paid at the provider, the callback then posted
        txn = sandbox_call(pay_sandbox, "/sandbox/pay", {"order_no": o.order_no})["txn_id"]
        assert (
            payment_routes._apply(_callback(o, txn=txn, paid_at=clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))).status
            == 200
        )
        if o is changed:
            sandbox_call(pay_sandbox, "/sandbox/control", {"change_amounts": {txn: "0.01"}})
    # A callback the provider never settled (our ledger only), and a line of theirs we never heard of.
    assert payment_routes._apply(_callback(ours_only, txn="TLOCALONLY")).status == 200
    today = clock.today()
    planted = {
        "merchant_no": sandbox.DEMO_MERCHANT_NO,
        "date": today.isoformat(),
        "txn_id": "TPLANTED",
        "order_no": "PX",
        "amount": "88.00",
    }
    sandbox_call(pay_sandbox, "/sandbox/control", {"plant": [planted]})

    assert clearing.run_due(day=today) == 1
    assert clearing.run_due(day=today) == 0  # once a day
    with db.session_scope() as s:
        day = s.exec(select(Clearing).where(Clearing.day == today)).one()
        assert day.state == ClearingState.DIFFERENT and day.differences == 3
        assert (day.provider_count, day.ledger_count) == (3, 3)
        found = {d.kind: d for d in s.exec(select(ClearingDifference).where(ClearingDifference.clearing_id == day.id))}
        assert set(found) == {DifferenceKind.PROVIDER_ONLY, DifferenceKind.AMOUNT, DifferenceKind.LEDGER_ONLY}
        assert found[DifferenceKind.PROVIDER_ONLY].txn_id == "TPLANTED"
        assert found[DifferenceKind.AMOUNT].order_no == changed.order_no
        assert str(found[DifferenceKind.AMOUNT].provider_amount) == "0.01"
        assert found[DifferenceKind.LEDGER_ONLY].order_no == ours_only.order_no
        ids = [d.id for d in found.values()]

    admin = app_site.admin("clearing_diffs")
    action = next(a for a in admin.actions if a.name == "resolve")
    with db.session_scope() as s:
        result = crud.run_action(s, admin, action, fin, ids=ids, text="已与银行核实并补登")
        assert result.done == 3
    with db.session_scope() as s:
        day = s.exec(select(Clearing).where(Clearing.day == today)).one()
        assert day.state == ClearingState.RESOLVED and day.open_differences == 0
        rows = s.exec(select(ClearingDifference).where(ClearingDifference.clearing_id == day.id)).all()
        assert {(d.state, d.resolution, d.resolved_by_id) for d in rows} == {
            (DifferenceState.RESOLVED, "已与银行核实并补登", fin.user_id)
        }
        assert s.exec(select(AuditLog).where(AuditLog.resource == "clearing_diffs")).all()


def test_a_day_of_no_payments_clears_as_matched_and_the_job_waits_for_three_oclock(demo_db, pay_sandbox):
    # Months after the demo's payments: a day without any, on both sides.
    with time_machine.travel(datetime(2027, 3, 2, 6, 59, tzinfo=UTC), tick=False):
        assert clearing.run_due() == 0
    with time_machine.travel(datetime(2027, 3, 2, 7, 1, tzinfo=UTC), tick=False):
        assert clearing.run_due() == 1
    with db.session_scope() as s:
        day = s.exec(select(Clearing).where(Clearing.day == date(2027, 3, 1))).one()
        assert day.state == ClearingState.MATCHED and day.differences == 0
