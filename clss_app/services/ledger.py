"""The bill ledger: each payment row is a line (money in, or negative, money given back), with its
type (method), source, person or process and time. Per bill the lines add up to the bill's paid
amount, always: ``mismatches`` checks it (the daily job and the tests after every flow).

Money that finds no bill to pay goes to the tenant's prepaid balance (预收), never refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.rows import saved_id
from clss_app.services.bills import OPEN, ZERO, _pay, outstanding
from models import BalanceEntry, BalanceKind, Bill, BillKind, LedgerSource, Payment, PaymentMethod


def payment_order(bills: Iterable[Bill]) -> list[Bill]:
    """The order money pays bills in: oldest due date first, rent before the other fees of a day, then
    the bill made first."""
    return sorted(bills, key=lambda b: (b.due_date, b.kind != BillKind.RENT, b.id or 0))


def allocate(bills: Sequence[Bill], amount: Decimal) -> tuple[list[tuple[Bill, Decimal]], Decimal]:
    """How ``amount`` pays ``bills`` (each at most what it still owes, in ``payment_order``): the parts,
    and what is left."""
    left, parts = Decimal(amount), []
    for b in payment_order(bills):
        part = min(left, outstanding(b))
        if part > 0 and b.state in OPEN:
            parts.append((b, part))
            left -= part
    return parts, left


# Built once (a bank's result file posts 10,000 payments in one reading: building it was half their cost).
_OPEN_BILLS = (
    select(Bill)
    .where(Bill.id.in_(sa.bindparam("ids", expanding=True)), Bill.state.in_(OPEN))
    .execution_options(populate_existing=True)
)


def post(
    session: Session,
    bill_ids: Sequence[int],
    amount: Decimal,
    *,
    method: PaymentMethod,
    source: LedgerSource,
    source_ref: str,
    by_id: int | None = None,
    process: str = "",
    paid_on: date | None = None,
) -> tuple[list[tuple[Bill, Decimal]], Decimal]:
    """Pays ``amount`` on the bills, as ``allocate`` orders it, one ledger line per bill paid; returns the
    parts posted and what is left (for the caller to put on the tenant's balance). Each bill is read
    afresh and paid by a conditional update: a clerk collecting on one meanwhile is seen, not overwritten."""
    posted: list[tuple[Bill, Decimal]] = []
    left = Decimal(amount)
    for _ in range(3):  # a bill changed under us is read again, at most twice
        bills = session.exec(_OPEN_BILLS, params={"ids": list(bill_ids)}).all()
        parts, _rest = allocate(bills, left)
        raced = False
        for b, part in parts:
            if not _pay(session, b, part):
                raced = True
                continue
            session.add(
                Payment(
                    bill_id=saved_id(b),
                    project_id=b.project_id,
                    amount=part,
                    method=method,
                    receipt_no=source_ref[:32],
                    paid_on=paid_on or clock.today(),
                    source=source,
                    source_ref=source_ref,
                    recorded_by_id=by_id,
                    process=process,
                )
            )
            posted.append((b, part))
            left -= part
        if not raced:
            break
    return posted, left


def settle(
    session: Session,
    bill_ids: Sequence[int],
    amount: Decimal,
    *,
    company_id: int,
    tenant_id: int,
    method: PaymentMethod,
    source: LedgerSource,
    source_ref: str,
    contract_id: int | None = None,
    by_id: int | None = None,
    process: str = "",
) -> tuple[list[tuple[Bill, Decimal]], Decimal]:
    """Money received for bills (a callback, a bank debit, a loan): paid on them by ``post``; what they
    no longer owe (paid otherwise meanwhile) is the tenant's 预收, never refused. Returns what ``post`` does."""
    posted, left = post(
        session, bill_ids, amount, method=method, source=source, source_ref=source_ref, by_id=by_id, process=process
    )
    if left > 0:
        to_balance(
            session,
            company_id=company_id,
            tenant_id=tenant_id,
            amount=left,
            kind=BalanceKind.OVERPAID,
            source_ref=source_ref,
            contract_id=contract_id,
            by_id=by_id,
            process=process,
        )
    return posted, left


def to_balance(
    session: Session,
    *,
    company_id: int,
    tenant_id: int,
    amount: Decimal,
    kind: BalanceKind,
    source_ref: str,
    contract_id: int | None = None,
    by_id: int | None = None,
    process: str = "",
) -> None:
    session.add(
        BalanceEntry(
            company_id=company_id,
            tenant_id=tenant_id,
            contract_id=contract_id,
            kind=kind,
            amount=amount,
            source_ref=source_ref,
            recorded_by_id=by_id,
            process=process,
        )
    )


def balance(session: Session, tenant_id: int) -> Decimal:
    total = session.execute(
        select(sa.func.coalesce(sa.func.sum(BalanceEntry.amount), 0)).where(BalanceEntry.tenant_id == tenant_id)
    ).scalar_one()
    return Decimal(total or 0).quantize(Decimal("0.01"))


def mismatches(session: Session, limit: int = 100) -> list[tuple[int, Decimal, Decimal]]:
    """Bills whose ledger lines do not add up to their paid amount: (bill id, paid, sum of lines)."""
    lines = select(Payment.bill_id, sa.func.sum(Payment.amount).label("total")).group_by(Payment.bill_id).subquery()
    total = sa.func.coalesce(lines.c.total, 0)
    rows = session.execute(
        select(Bill.id, Bill.paid, total)
        .select_from(Bill)
        .outerjoin(lines, lines.c.bill_id == Bill.id)
        .where(Bill.paid != total)
        .order_by(Bill.id)
        .limit(limit)
    ).all()
    return [(i, Decimal(paid), Decimal(t)) for i, paid, t in rows]


__all__ = ["ZERO", "allocate", "balance", "mismatches", "payment_order", "post", "to_balance"]
