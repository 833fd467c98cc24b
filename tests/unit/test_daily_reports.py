"""交款日报: a collector's day by method, 财务's 交款确认, and the lock on what it counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import select

from clss_app.admin import crud
from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.services import daily_reports, ledger
from clss_app.services.bills import OPEN
from clss_app.services.permissions import Forbidden
from models import AuditLog, Bill, BillState, DailyReport, DailyReportState, Payer, Payment, PaymentMethod

# 09:30 in Shanghai on a quiet Tuesday, long after the demo's own reports
MORNING = datetime(2027, 3, 2, 1, 30, tzinfo=UTC)


def _admin(app_site, key):
    return app_site.admin(key)


def _act(session, app_site, key, name, p, ids, raw=None, text=""):
    admin = _admin(app_site, key)
    action = next(a for a in admin.actions if a.name == name)
    return crud.run_action(session, admin, action, p, ids=ids, text=text, raw=raw or {})


def _owed_bills(session, p, n):
    return session.exec(
        select(Bill)
        .where(Bill.project_id.in_(sorted(p.project_ids or [])), Bill.state.in_(OPEN), Bill.payer == Payer.TENANT)
        .order_by(Bill.id)
        .limit(n)
    ).all()


def _take(session, app_site, cashier, bills, methods):
    """The cashier registers each bill in full by its method, as 登记收款 does."""
    for b, m in zip(bills, methods, strict=True):
        done = _act(session, app_site, "bills", "pay", cashier, [b.id], {"method": m.value, "receipt_no": f"R{b.id}"})
        assert done.done == 1, done.refused
    session.flush()


def _mine(session, cashier, day):
    start, end = daily_reports.bounds(day)
    return session.exec(
        select(Payment).where(
            Payment.recorded_by_id == cashier.user_id, Payment.created_at >= start, Payment.created_at < end
        )
    ).all()


def test_a_day_is_added_up_by_method_confirmed_then_locked(session, principal_of, app_site):
    cashier, finance = principal_of("cashier"), principal_of("finance")
    methods = [PaymentMethod.CASH, PaymentMethod.CASH, PaymentMethod.POS, PaymentMethod.TRANSFER, PaymentMethod.QR]
    with time_machine.travel(MORNING, tick=False):
        today = clock.today()
        _take(session, app_site, cashier, _owed_bills(session, cashier, 5), methods)
        assert daily_reports.generate(session, today) == 1
        assert daily_reports.generate(session, today) == 0  # nothing new: nothing counted twice
        r = session.exec(select(DailyReport).where(DailyReport.day == today)).one()
        lines = _mine(session, cashier, today)
        by = {m: sum((p.amount for p in lines if p.method == m), Decimal("0")) for m in PaymentMethod}
        assert (r.entry_count, r.collector_id, r.state) == (5, cashier.user_id, DailyReportState.PENDING)
        assert (r.cash, r.pos, r.transfer, r.wechat) == (
            by[PaymentMethod.CASH],
            by[PaymentMethod.POS],
            by[PaymentMethod.TRANSFER],
            Decimal("0.00"),
        )
        assert r.other == by[PaymentMethod.QR] and r.total == sum(p.amount for p in lines)
        assert {p.daily_report_id for p in lines} == {r.id}

        # Before 交款确认 the clerk may still correct a method: the report follows.
        cash = next(p for p in lines if p.method == PaymentMethod.CASH)
        fixed = _act(session, app_site, "payments", "correct", finance, [cash.id], {"method": "wechat"})
        assert fixed.done == 1, fixed.refused
        session.refresh(r)
        assert r.wechat == cash.amount and r.cash == by[PaymentMethod.CASH] - cash.amount

        # A payment entered by mistake is voided (冲正) before the hand-in: the bill owes it again, the
        # negative line counts in the day, and neither it nor the original can be voided twice.
        wrong = next(p for p in lines if p.method == PaymentMethod.POS)
        voided = _act(session, app_site, "payments", "void", cashier, [wrong.id], text="收错账单")
        assert voided.done == 1, voided.refused
        bill = session.get_one(Bill, wrong.bill_id)
        session.refresh(bill)
        assert bill.paid == 0 and bill.state == BillState.CONFIRMED
        back = session.exec(select(Payment).where(Payment.source_ref == f"冲正#{wrong.id}")).one()
        assert back.amount == -wrong.amount
        for again_id in (wrong.id, back.id):
            twice = _act(session, app_site, "payments", "void", cashier, [again_id], text="再冲")
            assert twice.done == 0 and twice.refused[0][1] == "已冲正或为冲正记录"
        daily_reports.collect(session, r)
        assert r.pos == 0 and r.entry_count == 6 and r.total == sum(p.amount for p in lines) - wrong.amount
        lines = _mine(session, cashier, today)

        # Nobody confirms their own hand-in; a different amount needs a note.
        own = _act(session, app_site, "daily_reports", "confirm", cashier, [r.id])
        assert own.done == 0 and "不能确认本人" in own.refused[0][1]
        short = r.total - Decimal("100.00")
        why = _act(session, app_site, "daily_reports", "confirm", finance, [r.id], {"handed_in": str(short)})
        assert why.done == 0 and "请填写差异说明" in why.refused[0][1]
        done = _act(
            session,
            app_site,
            "daily_reports",
            "confirm",
            finance,
            [r.id],
            {"handed_in": str(short), "note": "现金短款 100 元，次日补交"},
        )
        assert done.done == 1, done.refused
        session.refresh(r)
        assert r.state == DailyReportState.CONFIRMED and r.difference == Decimal("-100.00")
        assert (r.handed_in, r.confirmed_by_id, r.note) == (short, finance.user_id, "现金短款 100 元，次日补交")
        moved = session.exec(
            select(AuditLog).where(AuditLog.resource == "daily_reports", AuditLog.row_id == r.id)
        ).all()
        assert any("confirmed" in (a.after or "") for a in moved)  # the state move is in the row's history

        # Locked: every line it counted refuses a change, and nothing changed.
        for p in lines:
            refused = _act(session, app_site, "payments", "correct", finance, [p.id], {"receipt_no": "改"})
            assert refused.done == 0 and refused.refused == [(f"收款#{p.id}", daily_reports.LOCKED)]
        assert daily_reports.refusal(session, [p.id for p in lines]) == daily_reports.LOCKED
        kept = next(p for p in lines if p.amount > 0 and not p.source_ref)
        locked = _act(session, app_site, "payments", "void", finance, [kept.id], text="冲正")
        assert locked.refused == [(f"收款#{kept.id}", daily_reports.LOCKED)]
        assert all(p.receipt_no.startswith("R") for p in _mine(session, cashier, today))
        with pytest.raises(Forbidden, match="当前为已交款确认"):
            _act(session, app_site, "daily_reports", "confirm", finance, [r.id])
    assert ledger.mismatches(session) == []


def test_what_comes_after_the_hand_in_is_counted_the_next_day(session, principal_of, app_site):
    cashier, finance = principal_of("cashier"), principal_of("finance")
    bills = _owed_bills(session, cashier, 3)
    with time_machine.travel(MORNING, tick=False):
        day = clock.today()
        _take(session, app_site, cashier, bills[:1], [PaymentMethod.CASH])
        r = session.exec(select(DailyReport).where(DailyReport.day == day)).first()
        assert r is None
        assert daily_reports.today_problems(session, cashier, None) == {}
        assert daily_reports.generate(session, day, [cashier.user_id]) == 1
        r = daily_reports.report_of(session, cashier.user_id, day)
        assert _act(session, app_site, "daily_reports", "confirm", finance, [r.id]).done == 1
    with time_machine.travel(MORNING + timedelta(hours=8), tick=False):  # 17:30 the same day: a late payer
        _take(session, app_site, cashier, bills[1:2], [PaymentMethod.POS])
        assert daily_reports.generate(session, day) == 0  # that day is handed in: nothing added to it
        late = session.exec(select(Payment).where(Payment.bill_id == bills[1].id)).one()
        assert late.daily_report_id is None and daily_reports.refusal(session, [late.id]) == ""
    with time_machine.travel(MORNING + timedelta(days=1), tick=False):
        _take(session, app_site, cashier, bills[2:3], [PaymentMethod.TRANSFER])
        session.commit()  # the job works in a transaction of its own
        nxt = daily_reports.nightly(clock.today() + timedelta(days=1))  # the next night's job
        assert nxt == {"daily_reports": 1}
    session.expire_all()
    second = daily_reports.report_of(session, cashier.user_id, day + timedelta(days=1))
    assert second is not None and second.entry_count == 2 and second.pos > 0 and second.transfer > 0
    assert daily_reports.report_of(session, cashier.user_id, day).entry_count == 1


def test_todays_report_on_demand_for_oneself_and_only_once(session, principal_of, app_site):
    cashier = principal_of("cashier")
    admin = _admin(app_site, "daily_reports")
    with time_machine.travel(MORNING, tick=False):
        try:
            crud.create(session, admin, cashier, {})
        except ValidationFailed as exc:
            assert "今日没有待统计的收款登记" in exc.errors["collector_id"]
        else:
            raise AssertionError("a day without takings makes no report")
        _take(session, app_site, cashier, _owed_bills(session, cashier, 2), [PaymentMethod.CASH] * 2)
        row, _ = crud.create(session, admin, cashier, {})
        assert (row.collector_id, row.day, row.entry_count) == (cashier.user_id, clock.today(), 2)
        try:
            crud.create(session, admin, cashier, {})
        except ValidationFailed as exc:
            assert "今日日报已生成" in exc.errors["collector_id"]
        else:
            raise AssertionError("one report a collector and day")


def test_only_registrations_are_corrected_and_the_demo_has_one_confirmed_day(session, principal_of, app_site):
    finance = principal_of("finance")
    confirmed = session.exec(select(DailyReport).where(DailyReport.state == DailyReportState.CONFIRMED)).all()
    pending = session.exec(select(DailyReport).where(DailyReport.state == DailyReportState.PENDING)).all()
    assert len(confirmed) == 1 and len(pending) == 1
    counted = session.exec(select(Payment).where(Payment.daily_report_id == confirmed[0].id)).all()
    assert len(counted) == confirmed[0].entry_count == 3
    assert sum(p.amount for p in counted) == confirmed[0].total
    locked = _act(session, app_site, "payments", "correct", finance, [counted[0].id], {"method": "cash"})
    assert locked.refused[0][1] == daily_reports.LOCKED
    # The nightly job over those days (every collector: the demo's 孙财务 too) is idempotent.
    days = [r.day for r in (*confirmed, *pending)]
    for day in days:
        daily_reports.generate(session, day)
    made = session.exec(select(DailyReport.id, DailyReport.total, DailyReport.entry_count)).all()
    assert [daily_reports.generate(session, day) for day in days] == [0, 0]
    assert session.exec(select(DailyReport.id, DailyReport.total, DailyReport.entry_count)).all() == made
