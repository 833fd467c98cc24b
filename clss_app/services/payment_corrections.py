"""修改收款 and 冲正: a clerk corrects how a registered payment was taken (method, voucher number, date), or
takes back one entered by mistake (a negative line); never its amount in place. Both are refused once the
payment's 交款日报 is confirmed (services/daily_reports.py); a pending report is counted again."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from clss_app.core import audit
from clss_app.core.errors import ValidationFailed
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import daily_reports
from models import Bill, BillState, DailyReport, LedgerSource, Payment

FIELDS = ("method", "receipt_no", "paid_on")


def _problem(session: Session, pay: Payment, verb: str) -> str:
    """Why a registered payment may not be changed: not a registration, or its 交款日报 is confirmed."""
    if pay.source != LedgerSource.REGISTRATION:
        return f"来源为{pay.source.label}，仅收款登记可{verb}"
    return daily_reports.refusal(session, [saved_id(pay)])


def correct(ctx: ActionContext[Payment]) -> ActionResult:
    session, p = ctx.session, ctx.principal
    new = {k: ctx.values[k] for k in FIELDS if ctx.values.get(k) not in (None, "")}
    result = ActionResult()
    for pay in ctx.rows:
        label = f"收款#{pay.id}"
        if why := _problem(session, pay, "修改"):
            result.refused.append((label, why))
            continue
        before = audit.snapshot(pay, list(FIELDS))
        # The lock is in the WHERE too: a confirmation that lands meanwhile wins.
        if not changed(
            session,
            sa.update(Payment)
            .where(Payment.id == pay.id, daily_reports.unlocked())
            .values(**new)
            .execution_options(synchronize_session=False),
        ):
            result.refused.append((label, daily_reports.LOCKED))
            continue
        session.refresh(pay)
        audit.record(
            session, p, "payments", pay.id, "action:correct", before, audit.snapshot(pay, list(FIELDS)), "修改收款"
        )
        if pay.daily_report_id is not None:
            daily_reports.collect(session, session.get_one(DailyReport, pay.daily_report_id))
        result.done += 1
    return result


VOIDED = "冲正"


def void(ctx: ActionContext[Payment]) -> ActionResult:
    """冲正: a registration entered by mistake is taken back: a negative line of the same amount on the same
    bill (registered by whoever voids it, so it counts in their day's 交款日报), the bill owing it again.
    The original is marked (its source_ref), once: a second 冲正 of it, or of the reversing line, is refused."""
    session, p, reason = ctx.session, ctx.principal, (ctx.text or "").strip()
    result = ActionResult()
    for pay in ctx.rows:
        label = f"收款#{pay.id}"
        why = _problem(session, pay, "冲正") or ("已冲正或为冲正记录" if pay.source_ref or pay.amount <= 0 else "")
        if why:
            result.refused.append((label, why))
            continue
        bill = session.get_one(Bill, pay.bill_id)
        left = bill.paid - pay.amount
        if bill.state not in (BillState.PAID, BillState.PARTLY_PAID) or left < 0:
            result.refused.append((label, f"账单当前为{bill.state.label}，不能冲正"))
            continue
        mark = f"{VOIDED}：{reason}"[:64]
        if not changed(
            session,
            sa.update(Payment)
            .where(Payment.id == pay.id, Payment.source_ref == "", daily_reports.unlocked())
            .values(source_ref=mark)
            .execution_options(synchronize_session=False),
        ):  # voided or handed in meanwhile
            result.refused.append((label, daily_reports.refusal(session, [saved_id(pay)]) or "已冲正或为冲正记录"))
            continue
        pay.source_ref = mark
        reopened = changed(
            session,
            sa.update(Bill)
            .where(Bill.id == bill.id, Bill.paid == bill.paid, Bill.state == bill.state)
            .values(
                paid=left,
                state=BillState.PARTLY_PAID if left > 0 else BillState.CONFIRMED,
                version=Bill.version + 1,
            )
            .execution_options(synchronize_session=False),
        )
        if not reopened:  # someone collected, voided or confirmed meanwhile: nothing of it stays
            raise ValidationFailed({"_input": f"{label}：已被他人处理，请刷新后重试"})
        session.add(
            Payment(
                bill_id=saved_id(bill),
                project_id=pay.project_id,
                amount=-pay.amount,
                method=pay.method,
                receipt_no=pay.receipt_no,
                source=LedgerSource.REGISTRATION,
                source_ref=f"{VOIDED}#{pay.id}",
                recorded_by_id=p.actor_id,
            )
        )
        audit.record(
            session, p, "payments", pay.id, "action:void", summary=f"冲正 {label} ¥{pay.amount:,.2f}：{reason}"
        )
        result.done += 1
    return result
