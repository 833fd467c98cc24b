"""Demo step for 二维码支付: a month of orders paid by scanning in the first company (their bills' ledger
lines turned into the orders' lines), a repeated callback, a payment that came after its order had
expired (an exception for finance to refund) and a forged callback the app refused."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from clss_app.core import clock, signing
from clss_app.core.rows import saved_id
from clss_app.sandbox import pay as sandbox
from clss_app.services import pay_gateway, pay_orders
from models import (
    BalanceEntry,
    BalanceKind,
    Bill,
    BillKind,
    BillState,
    CallbackOutcome,
    Clearing,
    ClearingDifference,
    ClearingState,
    DepositState,
    DifferenceKind,
    ExceptionState,
    LedgerSource,
    PayCallback,
    Payment,
    PaymentMethod,
    PayOrder,
    PayOrderBill,
    PayOrderState,
    Reservation,
    ReservationState,
)

PAID_ORDERS = 12


def _body(order_no: str, txn: str, amount, paid_at, key: str = sandbox.DEMO_KEY) -> str:
    msg = {
        "merchant_no": sandbox.DEMO_MERCHANT_NO,
        "order_no": order_no,
        "txn_id": txn,
        "amount": f"{amount:.2f}",
        "currency": "CNY",
        "status": "SUCCESS",
        "paid_at": pay_gateway.iso(paid_at),
    }
    return json.dumps(signing.signed(msg, key), ensure_ascii=False)


def seed_pay_orders(ctx) -> None:
    from clss_app.demo import staff_id

    s, today = ctx.session, clock.today()
    company = ctx.ids["company"][0]
    projects = ctx.projects_by_company[company]
    assistant = staff_id(ctx, "assistant")

    def order(n, bill, state, created, **kw) -> PayOrder:
        o = PayOrder(
            order_no=f"P{created.astimezone(clock.SHANGHAI):%Y%m%d}{n:012d}",
            company_id=company,
            project_id=bill.project_id,
            tenant_id=bill.tenant_id,
            amount=bill.paid if state == PayOrderState.PAID else bill.amount + bill.late_fee - bill.paid,
            state=state,
            expire_at=created + timedelta(minutes=30),
            created_by_id=assistant,
            created_at=created,
            **kw,
        )
        o.qr_content = f"{pay_gateway.DEFAULT_URL}/pay/{o.order_no}"
        s.add(o)
        s.flush()
        s.add(PayOrderBill(order_id=saved_id(o), bill_id=saved_id(bill), amount=o.amount))
        return o

    paid = s.scalars(
        sa.select(Bill)
        .where(
            Bill.project_id.in_(projects),
            Bill.state == BillState.PAID,
            Bill.kind == BillKind.RENT,
            Bill.due_date <= today,
            Bill.due_date > today - timedelta(days=30),
        )
        .order_by(Bill.due_date, Bill.id)
    ).all()
    first_of_tenant: dict[int, Bill] = {}
    for b in paid:
        first_of_tenant.setdefault(b.tenant_id, b)
    for n, bill in enumerate(list(first_of_tenant.values())[:PAID_ORDERS]):
        created = ctx.at(bill.due_date)
        txn = f"T{bill.id:020d}"
        o = order(
            n + 1,
            bill,
            PayOrderState.PAID,
            created,
            provider_txn_id=txn,
            paid_at=created + timedelta(minutes=2),
        )
        s.execute(
            sa.update(Payment)
            .where(Payment.bill_id == bill.id)
            .values(
                method=PaymentMethod.QR,
                source=LedgerSource.PAY_ORDER,
                source_ref=o.order_no,
                receipt_no=o.order_no,
                recorded_by_id=None,
                process=pay_orders.PROCESS,
                created_at=created + timedelta(minutes=2),
            )
        )
        body = _body(o.order_no, txn, o.amount, created + timedelta(minutes=2))
        callbacks = [(CallbackOutcome.POSTED, "入账 1 张账单")]
        if n % 4 == 0:  # the provider did not hear our answer and sent it again
            callbacks.append((CallbackOutcome.DUPLICATE, "重复通知，已入账"))
        for k, (outcome, reason) in enumerate(callbacks):
            s.add(
                PayCallback(
                    received_at=created + timedelta(minutes=2, seconds=5 * k),
                    merchant_no=sandbox.DEMO_MERCHANT_NO,
                    order_no=o.order_no,
                    provider_txn_id=txn,
                    amount=o.amount,
                    company_id=company,
                    outcome=outcome,
                    reason=reason,
                    body=body,
                )
            )
    # A tenant paid after the QR code had expired: the money waits for finance to send it back.
    owed = s.scalars(
        sa.select(Bill)
        .where(Bill.project_id.in_(projects), Bill.state == BillState.CONFIRMED)
        .order_by(Bill.due_date.desc(), Bill.id)
    ).first()
    if owed is not None:
        created = ctx.at(today - timedelta(days=2))
        late = order(PAID_ORDERS + 1, owed, PayOrderState.EXPIRED, created)
        arrived = created + timedelta(minutes=34)
        s.add(
            PayCallback(
                received_at=arrived,
                merchant_no=sandbox.DEMO_MERCHANT_NO,
                order_no=late.order_no,
                provider_txn_id=f"T{owed.id:020d}",
                amount=late.amount,
                company_id=company,
                outcome=CallbackOutcome.LATE,
                reason="订单已过期后到账，待退款",
                exception=ExceptionState.OPEN,
                body=_body(late.order_no, f"T{owed.id:020d}", late.amount, arrived),
            )
        )
        # Someone tried a callback of their own for it, signed with a guessed key.
        s.add(
            PayCallback(
                received_at=arrived + timedelta(minutes=5),
                merchant_no=sandbox.DEMO_MERCHANT_NO,
                order_no=late.order_no,
                provider_txn_id="FAKE0001",
                amount=late.amount,
                company_id=company,
                outcome=CallbackOutcome.REFUSED,
                reason="签名错误",
                body=_body(late.order_no, "FAKE0001", late.amount, arrived, key="guessed-key-0000"),
            )
        )
    s.flush()
    _seed_clearings(ctx, company)
    _seed_prepaid(ctx, company, paid[len(paid) // 2 :])
    ctx.counts["支付订单"] = len(s.scalars(sa.select(PayOrder.id)).all())


def _seed_prepaid(ctx, company: int, paid: list[Bill]) -> None:
    """预收: a few tenants prepaid at the counter; the money settled their next bill, some keep a balance."""
    s = ctx.session
    from clss_app.demo import staff_id

    finance = staff_id(ctx, "finance")
    ordered = set(s.scalars(sa.select(PayOrder.tenant_id)).all())
    chosen: dict[int, Bill] = {}
    for b in paid:
        if b.tenant_id not in ordered:
            chosen.setdefault(b.tenant_id, b)
    picked = list(chosen.values())[:6]
    for k, bill in enumerate(picked):
        kept = Decimal(200 * (k % 3))  # ¥0, ¥200 or ¥400 left over
        at = ctx.at(bill.due_date - timedelta(days=3))
        s.execute(
            sa.update(Payment)
            .where(Payment.bill_id == bill.id)
            .values(
                method=PaymentMethod.PREPAID,
                source=LedgerSource.BALANCE,
                source_ref="预收冲抵",
                receipt_no="预收冲抵",
                recorded_by_id=None,
                process="确认账单后自动冲抵",
            )
        )
        s.add(
            BalanceEntry(
                company_id=company,
                tenant_id=bill.tenant_id,
                kind=BalanceKind.PREPAID,
                amount=bill.paid + kept,
                source_ref=f"YS{bill.id:08d}",
                recorded_by_id=finance,
                created_at=at,
            )
        )
        s.add(
            BalanceEntry(
                company_id=company,
                tenant_id=bill.tenant_id,
                contract_id=bill.contract_id,
                kind=BalanceKind.OFFSET,
                amount=-bill.paid,
                source_ref=bill.title[:64],
                process="确认账单后自动冲抵",
                created_at=at + timedelta(days=2),
            )
        )
    ctx.counts["预收"] = len(picked)


def seed_deposits(ctx) -> None:
    """定金 as the stores left them: taken by the contracts; of the cancelled reservations most given back,
    the latest still to refund, one in five kept; lapsed ones kept, but the latest few not decided yet."""
    s = ctx.session
    from clss_app.demo import staff_id

    manager = staff_id(ctx, "manager")
    s.execute(
        sa.update(Reservation)
        .where(Reservation.state == ReservationState.CONVERTED)
        .values(deposit_state=DepositState.APPLIED)
    )
    for state, decided in ((ReservationState.CANCELLED, 3), (ReservationState.EXPIRED, 5)):
        ids = s.scalars(
            sa.select(Reservation.id).where(Reservation.state == state).order_by(Reservation.id.desc())
        ).all()
        for k, rid in enumerate(ids):
            if state == ReservationState.CANCELLED:
                target, why = (
                    (DepositState.REFUND_DUE, "租客临时改变计划，协商退还定金")
                    if k < decided
                    else (DepositState.FORFEITED, "租客违约，按约定没收定金")
                    if k % 5 == 0
                    else (DepositState.REFUNDED, "租客未能入住，退还定金")
                )
            elif k < decided:
                continue  # lapsed lately: the store has not decided yet
            else:
                target, why = DepositState.FORFEITED, "预定过期未签约，按约定没收定金"
            s.execute(
                sa.update(Reservation)
                .where(Reservation.id == rid)
                .values(deposit_state=target, deposit_reason=why, deposit_by_id=manager)
            )


def _seed_clearings(ctx, company: int) -> None:
    """The 15:00 clearing of each of the last 30 days: the paid orders matched the statement, but for the
    late payment, which the provider listed and no order of ours held (open for finance)."""
    s, today = ctx.session, clock.today()
    late = s.scalars(sa.select(PayCallback).where(PayCallback.outcome == CallbackOutcome.LATE)).first()
    for back in range(30, 0, -1):
        day = today - timedelta(days=back)
        start = datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)
        paid = s.scalars(
            sa.select(PayOrder).where(
                PayOrder.company_id == company,
                PayOrder.state == PayOrderState.PAID,
                PayOrder.paid_at >= start,
                PayOrder.paid_at < start + timedelta(days=1),
            )
        ).all()
        total = sum((o.amount for o in paid), Decimal("0.00"))
        theirs = late if late is not None and late.received_at.astimezone(clock.SHANGHAI).date() == day else None
        row = Clearing(
            company_id=company,
            day=day,
            state=ClearingState.DIFFERENT if theirs else ClearingState.MATCHED,
            provider_count=len(paid) + (1 if theirs else 0),
            provider_total=total + (theirs.amount or 0 if theirs else 0),
            ledger_count=len(paid),
            ledger_total=total,
            differences=1 if theirs else 0,
            open_differences=1 if theirs else 0,
            run_at=datetime.combine(day + timedelta(days=1), time(15, 0, 12), tzinfo=clock.SHANGHAI),
        )
        s.add(row)
        if theirs is not None:
            s.flush()
            s.add(
                ClearingDifference(
                    clearing_id=saved_id(row),
                    company_id=company,
                    day=day,
                    kind=DifferenceKind.PROVIDER_ONLY,
                    txn_id=theirs.provider_txn_id,
                    order_no=theirs.order_no,
                    provider_amount=theirs.amount,
                    note=f"逾期到账，已登记待退款（支付回调 #{theirs.id}）",
                )
            )
