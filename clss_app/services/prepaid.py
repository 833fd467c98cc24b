"""预收 and 冲抵: a tenant's prepaid balance with a company, a ledger of its own (balance_entry rows).

Money in (a prepayment registered by finance, an overpayment of a QR order) is never refused. The
balance settles the tenant's confirmed bills oldest first: at once when it comes in, when bills are
confirmed, and by 冲抵 on demand. At check-out (the tenant's last running contract) what is left is
counted in the settlement; a refund draws it down through the usual two-step refund (a 待退款 bill).

Two settlements at once must not spend one balance twice: each starts by writing the tenant's row
(its version), which PostgreSQL holds locked until the transaction ends (SQLite has one writer).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import saved_id
from clss_app.services import bills, ledger
from clss_app.services.bills import OPEN
from models import (
    BalanceEntry,
    BalanceKind,
    Bill,
    BillKind,
    BillState,
    Contract,
    ContractState,
    LedgerSource,
    PaymentMethod,
    Tenant,
    utcnow,
)

ZERO = Decimal("0.00")
MAX_PREPAY = Decimal("1000000.00")
RUNNING = (ContractState.SIGNED, ContractState.ACTIVE)


def balance(session: Session, company_id: int, tenant_id: int) -> Decimal:
    total = session.execute(
        select(sa.func.coalesce(sa.func.sum(BalanceEntry.amount), 0)).where(
            BalanceEntry.company_id == company_id, BalanceEntry.tenant_id == tenant_id
        )
    ).scalar_one()
    return Decimal(total or 0).quantize(Decimal("0.01"))


def _lock(session: Session, tenant_id: int) -> None:
    session.execute(sa.update(Tenant).where(Tenant.id == tenant_id).values(version=Tenant.version + 1))


def settle(session: Session, tenant_id: int, *, by_id: int | None = None, process: str = "") -> Decimal:
    """Spends the tenant's balance on their owed bills, oldest first; returns what it paid."""
    _lock(session, tenant_id)
    tenant = session.get_one(Tenant, tenant_id)
    left = balance(session, tenant.company_id, tenant_id)
    if left <= 0:
        return ZERO
    owed = session.exec(
        select(Bill.id)
        .join(Contract, Contract.id == Bill.contract_id)
        .where(Contract.tenant_id == tenant_id, Bill.state.in_(OPEN))
    ).all()
    if not owed:
        return ZERO
    posted, rest = ledger.post(
        session,
        [i for i in owed if i is not None],
        left,
        method=PaymentMethod.PREPAID,
        source=LedgerSource.BALANCE,
        source_ref="预收冲抵",
        by_id=by_id,
        process=process,
    )
    used = left - rest
    for b, part in posted:
        session.add(
            BalanceEntry(
                company_id=tenant.company_id,
                tenant_id=tenant_id,
                contract_id=b.contract_id,
                kind=BalanceKind.OFFSET,
                amount=-part,
                source_ref=b.title[:64],
                recorded_by_id=by_id,
                process=process,
            )
        )
    return used


def settle_tenants(session: Session, tenant_ids: Iterable[int], process: str) -> int:
    """After bills are confirmed: the tenants among ``tenant_ids`` with a balance settle them."""
    ids = sorted(set(tenant_ids))
    with_balance: list[int] = []
    for i in range(0, len(ids), 5000):
        with_balance += session.exec(
            select(BalanceEntry.tenant_id)
            .where(BalanceEntry.tenant_id.in_(ids[i : i + 5000]))
            .group_by(BalanceEntry.tenant_id)
            .having(sa.func.sum(BalanceEntry.amount) > 0)
        ).all()
    return len([t for t in with_balance if settle(session, t, process=process) > 0])


# ---------------------------------------------------------------- what the pages call


def prepayment_problems(values: dict) -> dict[str, str]:
    amount = values.get("amount")
    if amount is None or not ZERO < amount <= MAX_PREPAY:
        return {"amount": f"预收金额须大于 0 且不超过 ¥{MAX_PREPAY:,.0f}"}
    return {}


def on_prepaid(session: Session, by_id: int | None, entry: BalanceEntry) -> str:
    """A prepayment just registered settles what the tenant owes now; the note says how much."""
    used = settle(session, entry.tenant_id, by_id=by_id)
    left = balance(session, entry.company_id, entry.tenant_id)
    return f"已冲抵账单 ¥{used:,.2f}，预收余额 ¥{left:,.2f}"


def confirm_bills(ctx: ActionContext[Bill]) -> ActionResult:
    """确认账单, then the tenants with a balance settle what was just confirmed."""
    result = bills.confirm(ctx)
    if result.done:
        n = settle_tenants(ctx.session, [b.tenant_id for b in ctx.rows], process="确认账单后自动冲抵")
        if n:
            result.notes.append(f"{n} 位租客的预收余额已自动冲抵")
    return result


def offset(ctx: ActionContext[Tenant]) -> ActionResult:
    """预收冲抵 on demand."""
    result = ActionResult()
    for t in ctx.rows:
        used = settle(ctx.session, saved_id(t), by_id=ctx.principal.actor_id)
        if used > 0:
            result.done += 1
            result.notes.append(f"{t.name} 冲抵 ¥{used:,.2f}")
        else:
            result.refused.append((t.name, "无预收余额或无待缴账单"))
    return result


def request_refund(ctx: ActionContext[Tenant]) -> ActionResult:
    """预收退款: the balance (or part of it) leaves as a 待退款 bill on the tenant's latest contract, for the
    usual refund steps; the balance is drawn down now, so it cannot be spent meanwhile."""
    session, p = ctx.session, ctx.principal
    result = ActionResult()
    for t in ctx.rows:
        _lock(session, saved_id(t))
        left = balance(session, t.company_id, saved_id(t))
        amount = ctx.values.get("amount") or left
        if left <= 0:
            result.refused.append((t.name, "无预收余额"))
            continue
        if not ZERO < amount <= left:
            result.refused.append((t.name, f"退款金额须大于 0 且不超过预收余额 ¥{left:,.2f}"))
            continue
        c = session.exec(  # a running contract of theirs first, else their latest
            select(Contract)
            .where(Contract.tenant_id == t.id)
            .order_by(Contract.state.in_(RUNNING).desc(), Contract.id.desc())
        ).first()
        if c is None:
            result.refused.append((t.name, "租客没有合同，无法生成退款账单"))
            continue
        n = bills.next_period(session, c, "prepaid_refund")
        bills.day_bill(
            session,
            c,
            BillKind.SETTLEMENT,
            "prepaid_refund",
            "预收退款",
            f"预收退款 第{n}笔",
            clock.today(),
            amount,
            period_no=n,
            state=BillState.REFUND_DUE,
            confirmed_at=utcnow(),
            remark=(ctx.text or "预收余额退还")[:255],
        )
        session.add(
            BalanceEntry(
                company_id=t.company_id,
                tenant_id=saved_id(t),
                contract_id=c.id,
                kind=BalanceKind.REFUND,
                amount=-amount,
                source_ref=f"{c.number} 预收退款",
                recorded_by_id=p.actor_id,
            )
        )
        result.done += 1
    return result


def left_at_check_out(session: Session, c: Contract) -> Decimal:
    """The balance a check-out counts: all of it when this is the tenant's last running contract."""
    others = session.exec(
        select(Contract.id).where(Contract.tenant_id == c.tenant_id, Contract.id != c.id, Contract.state.in_(RUNNING))
    ).first()
    if others is not None:
        return ZERO
    tenant = session.get_one(Tenant, c.tenant_id)
    return max(balance(session, tenant.company_id, c.tenant_id), ZERO)


def counted_at_check_out(session: Session, c: Contract, amount: Decimal, by_id: int | None) -> None:
    tenant = session.get_one(Tenant, c.tenant_id)
    session.add(
        BalanceEntry(
            company_id=tenant.company_id,
            tenant_id=c.tenant_id,
            contract_id=c.id,
            kind=BalanceKind.OFFSET,
            amount=-amount,
            source_ref=f"{c.number} 退房结算",
            recorded_by_id=by_id,
        )
    )
