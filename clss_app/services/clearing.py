"""对账: each day at 15:00 (Asia/Shanghai) the provider's statement of the day before is matched to the
ledger, transaction by transaction. Each disagreement is one 对账差异 for finance to resolve:
提供方有我方无 (money the provider took that no order of ours holds: a late payment, or a callback
never received), 我方有提供方无 (an order we posted that the provider does not list), 金额不符.

A day is cleared once per company (a unique constraint: several workers may try at once, one wins);
a statement the provider could not give is tried again at the next tick.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import clock
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import pay_gateway, pay_orders
from models import (
    CallbackOutcome,
    Clearing,
    ClearingDifference,
    ClearingState,
    DifferenceKind,
    DifferenceState,
    PayCallback,
    PayOrder,
    PayOrderState,
    PaySettings,
)

CUTOFF = time(15, 0)  # manual: 每天下午三点系统对前一天的帐务自动进行清算
log = logging.getLogger(__name__)


def due_day(now: datetime) -> date | None:
    """The day whose clearing is due at ``now``: yesterday in Beijing from 15:00 Beijing on, else None."""
    local = now.astimezone(clock.SHANGHAI)
    return local.date() - timedelta(days=1) if local.time() >= CUTOFF else None


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)
    return start, start + timedelta(days=1)


def clear(session: Session, company_id: int, day: date) -> Clearing | None:
    """Clears ``day`` for the company (None without 支付参数); a day already cleared is returned as it was."""
    done = session.exec(select(Clearing).where(Clearing.company_id == company_id, Clearing.day == day)).first()
    if done is not None:
        return done
    merchant = pay_orders.merchant_of(session, company_id)
    if merchant is None:
        return None
    theirs = {line.txn_id: line for line in pay_gateway.statement(merchant, day)}
    start, end = _day_bounds(day)
    ours = {
        o.provider_txn_id: o
        for o in session.exec(
            select(PayOrder).where(
                PayOrder.company_id == company_id,
                PayOrder.state == PayOrderState.PAID,
                PayOrder.paid_at >= start,
                PayOrder.paid_at < end,
            )
        )
        if o.provider_txn_id
    }
    diffs: list[ClearingDifference] = []

    def diff(kind: DifferenceKind, txn: str, order_no: str, theirs_amount, ours_amount, note: str = "") -> None:
        diffs.append(
            ClearingDifference(
                clearing_id=0,
                company_id=company_id,
                day=day,
                kind=kind,
                txn_id=txn,
                order_no=order_no,
                provider_amount=theirs_amount,
                ledger_amount=ours_amount,
                note=note[:255],
            )
        )

    for txn, line in sorted(theirs.items()):
        mine = ours.get(txn)
        if mine is None:
            late = session.exec(
                select(PayCallback.id).where(
                    PayCallback.provider_txn_id == txn, PayCallback.outcome == CallbackOutcome.LATE
                )
            ).first()
            why = f"逾期到账，已登记待退款（支付回调 #{late}）" if late else "未收到支付回调，请核实后补登或退款"
            diff(DifferenceKind.PROVIDER_ONLY, txn, line.order_no, line.amount, None, why)
        elif mine.amount != line.amount:
            diff(DifferenceKind.AMOUNT, txn, line.order_no, line.amount, mine.amount, "渠道金额与订单金额不一致")
    for txn, o in sorted(ours.items()):
        if txn not in theirs:
            diff(DifferenceKind.LEDGER_ONLY, txn, o.order_no, None, o.amount, "系统已入账，渠道对账单无此交易")
    row = Clearing(
        company_id=company_id,
        day=day,
        state=ClearingState.DIFFERENT if diffs else ClearingState.MATCHED,
        provider_count=len(theirs),
        provider_total=sum((x.amount for x in theirs.values()), Decimal("0.00")),
        ledger_count=len(ours),
        ledger_total=sum((o.amount for o in ours.values()), Decimal("0.00")),
        differences=len(diffs),
        open_differences=len(diffs),
    )
    session.add(row)
    session.flush()
    for d in diffs:
        d.clearing_id = saved_id(row)
        session.add(d)
    return row


def run_due(now: datetime | None = None, day: date | None = None) -> int:
    """Clears the due day (or ``day``) for every company with 支付参数; returns the days cleared now."""
    day = day or due_day(now or clock.now())
    if day is None:
        return 0
    with db.session_scope() as s:
        companies = s.exec(
            select(PaySettings.company_id).where(PaySettings.enabled, PaySettings.key_cipher != "")
        ).all()
    cleared = 0
    for company_id in companies:
        try:
            with db.session_scope() as s:
                before = s.exec(
                    select(Clearing.id).where(Clearing.company_id == company_id, Clearing.day == day)
                ).first()
                if before is None and clear(s, company_id, day) is not None:
                    cleared += 1
        except IntegrityError:  # another worker cleared it meanwhile
            continue
        except pay_gateway.GatewayError as exc:  # tried again at the next tick
            log.warning("clearing of company %s for %s: %s", company_id, day, exc)
    return cleared


def resolve(ctx: ActionContext[ClearingDifference]) -> ActionResult:
    """处理差异: finance says what was done (补登, 退款, 渠道更正, …); the day turns 差异已处理 with its last."""
    session, p = ctx.session, ctx.principal
    result = ActionResult()
    for d in ctx.rows:
        if not changed(
            session,
            sa.update(ClearingDifference)
            .where(ClearingDifference.id == d.id, ClearingDifference.state == DifferenceState.OPEN)
            .values(
                state=DifferenceState.RESOLVED,
                resolution=ctx.text[:255],
                resolved_by_id=p.actor_id,
                resolved_at=clock.now(),
                version=ClearingDifference.version + 1,
            ),
        ):
            result.refused.append((d.txn_id or f"差异#{d.id}", "已处理"))
            continue
        left = session.execute(
            select(sa.func.count()).where(
                ClearingDifference.clearing_id == d.clearing_id, ClearingDifference.state == DifferenceState.OPEN
            )
        ).scalar_one()
        session.execute(
            sa.update(Clearing)
            .where(Clearing.id == d.clearing_id)
            .values(
                open_differences=left,
                state=ClearingState.RESOLVED if left == 0 else ClearingState.DIFFERENT,
                version=Clearing.version + 1,
            )
        )
        result.done += 1
    return result
