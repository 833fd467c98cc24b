"""交款日报: each collector's day of 收款登记, added up by method, and 财务's 交款确认 of it.

A report of day D counts the collector's registrations (``LedgerSource.REGISTRATION``, the person who
registered them) not yet in a report, made before the end of D and since the start of their last
handed-in day (never handed in before: since the start of D), Asia/Shanghai. So a payment taken after the day's
money was handed in is counted by the next day's report, never lost and never counted twice.

The nightly job makes yesterday's reports (``generate``); a collector makes today's on demand. Once 财务
confirms a report, its lines are locked: ``refusal`` is the one check every path that changes a
registered payment asks first, and each such change also says so in its conditional UPDATE
(``unlocked``), so a confirmation that lands in between still wins.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import clock
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services.permissions import Principal, in_scope
from models import DailyReport, DailyReportState, LedgerSource, Payment, PaymentMethod, User, utcnow

LOCKED = "该笔收款所在日报已交款确认，不能修改"
ZERO = Decimal("0.00")
METHOD_COLUMNS = {
    PaymentMethod.CASH: "cash",
    PaymentMethod.TRANSFER: "transfer",
    PaymentMethod.POS: "pos",
    PaymentMethod.WECHAT: "wechat",
}  # any other method a clerk chose adds to ``other``
LOOK_BACK_DAYS = 7  # how far back a day's run looks for a collector's payments left after a hand-in


def bounds(day: date) -> tuple[datetime, datetime]:
    """The Shanghai day as UTC instants [start, end)."""
    start = datetime.combine(day, time(), clock.SHANGHAI).astimezone(UTC)
    return start, start + timedelta(days=1)


def _registered(collector_id: int):
    return sa.and_(
        Payment.source == LedgerSource.REGISTRATION,
        Payment.recorded_by_id == collector_id,
        Payment.daily_report_id.is_(None),
    )


def _since(session: Session, collector_id: int, day: date) -> datetime:
    """Where the collector's day D starts counting: the start of their last handed-in day before D (what
    they registered on it after handing in is still uncounted), else the start of D."""
    last = session.execute(
        select(sa.func.max(DailyReport.day)).where(
            DailyReport.collector_id == collector_id,
            DailyReport.state == DailyReportState.CONFIRMED,
            DailyReport.day < day,
        )
    ).scalar_one()
    return bounds(last or day)[0]


def _claimable(session: Session, collector_id: int, day: date):
    """The condition of the registrations a report of ``day`` takes."""
    return sa.and_(
        _registered(collector_id),
        Payment.created_at >= _since(session, collector_id, day),
        Payment.created_at < bounds(day)[1],
    )


def uncounted(session: Session, collector_id: int, day: date) -> int:
    return session.execute(
        select(sa.func.count()).select_from(Payment).where(_claimable(session, collector_id, day))
    ).scalar_one()


def report_of(session: Session, collector_id: int, day: date) -> DailyReport | None:
    return session.exec(
        select(DailyReport).where(DailyReport.collector_id == collector_id, DailyReport.day == day)
    ).first()


def collect(session: Session, r: DailyReport) -> None:
    """A pending report takes the collector's registrations it should count, then adds up its lines by method."""
    if r.state != DailyReportState.PENDING:
        return
    pending = sa.exists().where(DailyReport.id == r.id, DailyReport.state == DailyReportState.PENDING)
    session.execute(
        sa.update(Payment)
        .where(_claimable(session, r.collector_id, r.day), pending)
        .values(daily_report_id=saved_id(r))
        .execution_options(synchronize_session=False)
    )
    sums = dict.fromkeys((*METHOD_COLUMNS.values(), "other"), ZERO)
    count = 0
    for method, n, amount in session.execute(
        select(Payment.method, sa.func.count(), sa.func.sum(Payment.amount))
        .where(Payment.daily_report_id == r.id)
        .group_by(Payment.method)
    ):
        sums[METHOD_COLUMNS.get(method, "other")] += Decimal(amount or 0)
        count += n
    values = {k: v.quantize(Decimal("0.01")) for k, v in sums.items()}
    changed(
        session,
        sa.update(DailyReport)
        .where(DailyReport.id == r.id, DailyReport.state == DailyReportState.PENDING)
        .values(
            **values,
            total=sum(values.values(), ZERO),
            entry_count=count,
            generated_at=utcnow(),
            version=DailyReport.version + 1,
        )
        .execution_options(synchronize_session=False),
    )
    session.refresh(r)


def _made(session: Session, collector_id: int, day: date) -> DailyReport:
    r = report_of(session, collector_id, day)
    if r is None:
        company = session.get_one(User, collector_id).org_unit_id
        r = DailyReport(company_id=company, collector_id=collector_id, day=day)
        session.add(r)
        session.flush()
    return r


def generate(session: Session, day: date, collector_ids: Collection[int] | None = None) -> int:
    """The reports of ``day`` for every collector (or those named) with registrations still to count: made,
    or (pending) counted again. Idempotent. Returns how many reports took new lines."""
    start, end = bounds(day)
    found = select(Payment.recorded_by_id).where(
        Payment.source == LedgerSource.REGISTRATION,
        Payment.recorded_by_id.is_not(None),
        Payment.daily_report_id.is_(None),
        Payment.created_at >= start - timedelta(days=LOOK_BACK_DAYS),
        Payment.created_at < end,
    )
    if collector_ids is not None:
        found = found.where(Payment.recorded_by_id.in_(list(collector_ids)))
    n = 0
    for collector_id in sorted({c for c in session.execute(found.distinct()).scalars() if c is not None}):
        existing = report_of(session, collector_id, day)
        if existing is not None and existing.state != DailyReportState.PENDING:
            continue  # handed in: what came after waits for the next day's report
        if not uncounted(session, collector_id, day):
            continue
        collect(session, _made(session, collector_id, day))
        n += 1
    return n


def nightly(today: date) -> dict[str, int]:
    """The daily job's step: yesterday's reports."""
    with db.session_scope() as s:
        return {"daily_reports": generate(s, today - timedelta(days=1))}


# ---------------------------------------------------------------- made on demand (今日日报)


def today_problems(session: Session, p: Principal, collector_id: int | None) -> dict[str, str]:
    """Why today's report of the collector (default: the user) cannot be made now."""
    who = session.get(User, collector_id or p.actor_id or 0)
    if who is None or not in_scope(p, unit_id=who.org_unit_id):
        return {"collector_id": "收款人不存在或不在您的数据范围内"}
    existing = report_of(session, saved_id(who), clock.today())
    if existing is not None:
        return {"collector_id": f"{who.display_name} 今日日报已生成（{existing.state.label}），请在列表中点“重新统计”"}
    if not uncounted(session, saved_id(who), clock.today()):
        return {"collector_id": f"{who.display_name} 今日没有待统计的收款登记"}
    return {}


def prepare_today(session: Session, p: Principal, values: dict) -> None:
    who = session.get_one(User, values.get("collector_id") or p.actor_id)
    values.update(collector_id=who.id, company_id=who.org_unit_id, day=clock.today())


def recount(ctx: ActionContext[DailyReport]) -> ActionResult:
    """重新统计: a pending report takes what its collector registered since and adds up again."""
    result = ActionResult()
    for r in ctx.rows:
        if r.state != DailyReportState.PENDING:
            result.refused.append((_label(r), f"当前为{r.state.label}"))
            continue
        collect(ctx.session, r)
        result.done += 1
    return result


# ---------------------------------------------------------------- 交款确认


def _label(r: DailyReport) -> str:
    return f"{r.day} 日报#{r.id}"


def confirm(ctx: ActionContext[DailyReport]) -> ActionResult:
    """交款确认 (财务): the money of the report was handed in. Counted again first (nothing registered
    meanwhile is left out); an amount handed in that differs from the total needs a note."""
    session, p = ctx.session, ctx.principal
    handed: Decimal | None = ctx.values.get("handed_in")
    note = (ctx.values.get("note") or ctx.text or "").strip()
    result = ActionResult()
    if handed is not None and len(ctx.rows) > 1:
        result.refused.append(("实交金额", "填写实交金额时一次只能确认一份日报"))
        return result
    if handed is not None and handed < 0:
        result.refused.append(("实交金额", "不能小于 0"))
        return result
    for r in ctx.rows:
        if r.state != DailyReportState.PENDING:
            result.refused.append((_label(r), f"当前为{r.state.label}"))
            continue
        if r.collector_id == p.actor_id:
            result.refused.append((_label(r), "不能确认本人的交款日报，请由其他财务人员确认"))
            continue
        collect(session, r)
        paid_in = r.total if handed is None else handed
        diff = paid_in - r.total
        if diff and not note:
            result.refused.append(
                (
                    _label(r),
                    f"实交 ¥{paid_in:,.2f} 与日报合计 ¥{r.total:,.2f} 不符（差额 ¥{diff:,.2f}），请填写差异说明",
                )
            )
            continue
        done = changed(
            session,
            sa.update(DailyReport)
            .where(DailyReport.id == r.id, DailyReport.state == DailyReportState.PENDING)
            .values(
                state=DailyReportState.CONFIRMED,
                handed_in=paid_in,
                difference=diff,
                note=note[:255],
                confirmed_by_id=p.actor_id,
                confirmed_at=utcnow(),
                version=DailyReport.version + 1,
            )
            .execution_options(synchronize_session=False),
        )
        if done:
            r.state = DailyReportState.CONFIRMED
            result.done += 1
        else:
            result.refused.append((_label(r), "已被他人处理，请刷新"))
    return result


# ---------------------------------------------------------------- the lock


def unlocked():
    """SQL: a payment row not counted by a confirmed report (for the WHERE of every UPDATE of a payment)."""
    return ~sa.exists().where(
        DailyReport.id == Payment.daily_report_id, DailyReport.state == DailyReportState.CONFIRMED
    )


def refusal(session: Session, payment_ids: Collection[int]) -> str:
    """Why these payments may not be changed (edited, voided, refunded): ``LOCKED`` when any of them is
    counted by a confirmed 交款日报, else ""."""
    if not payment_ids:
        return ""
    locked = session.execute(
        select(sa.func.count()).select_from(Payment).where(Payment.id.in_(list(payment_ids)), ~unlocked())
    ).scalar_one()
    return LOCKED if locked else ""
