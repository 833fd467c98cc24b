"""添加账单费用: a 非合同类 fee (维修费, 赔偿费, …) added to a contract as a bill of its own.

It is an ordinary bill from then on: 未确认 until staff confirm it, adjusted and approved by the same
rules as any other (services/bills.py, services/bill_approvals.py), paid and refunded alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import Session, select

from clss_app.core.results import ActionContext, ActionResult
from clss_app.services.bills import day_bill, next_period, payer_for
from models import Bill, BillKind, Contract, ContractState, FeeItem, FeeKind, MasterLease

OPEN_CONTRACT = (ContractState.SIGNED, ContractState.ACTIVE)
MAX_AMOUNT = Decimal("100000.00")


def fee_choices(session: Session, p, rows: list[Contract]) -> Mapping[str, list[tuple[str, str]]]:
    """The 非合同类 fee items of the chosen contracts' project (one project at a time)."""
    projects = {c.project_id for c in rows}
    if len(projects) != 1:
        return {"fee_item": []}
    items = session.exec(
        select(FeeItem)
        .where(FeeItem.project_id == projects.pop(), FeeItem.kind == FeeKind.NON_CONTRACT)
        .order_by(FeeItem.name)
    ).all()
    return {"fee_item": [(str(f.id), f.name) for f in items]}


def add_fee(ctx: ActionContext[Contract]) -> ActionResult:
    session, values = ctx.session, ctx.values
    result = ActionResult()
    amount, due = values.get("amount"), values.get("due_date")
    raw_item = str(values.get("fee_item") or "")
    item = session.get(FeeItem, int(raw_item)) if raw_item.isdigit() else None
    if amount is None or not Decimal(0) < amount <= MAX_AMOUNT:
        result.refused.append(("金额", f"须大于 0 且不超过 ¥{MAX_AMOUNT:,.2f}"))
    if due is None:
        result.refused.append(("应收日期", "必填"))
    if amount is None or due is None or result.refused:
        return result
    for c in ctx.rows:
        if c.state not in OPEN_CONTRACT:
            result.refused.append((c.number, f"合同{c.state.label}，不能添加费用"))
        elif item is None or item.project_id != c.project_id or item.kind != FeeKind.NON_CONTRACT:
            result.refused.append((c.number, "费项须为本项目的非合同类费项"))
        else:
            add_bill(session, c, item, amount, due, str(values.get("remark") or ""))
            result.done += 1
    return result


def add_bill(session: Session, c: Contract, item: FeeItem, amount: Decimal, due, remark: str) -> Bill:
    """One 非合同类 bill of ``item`` on ``c`` (添加账单费用, a repair charged to the tenant)."""
    key = f"extra:{item.id}"
    n = next_period(session, c, key)
    lease = session.get(MasterLease, c.master_lease_id) if c.master_lease_id else None
    return day_bill(
        session,
        c,
        BillKind.EXTRA,
        key,
        item.name,
        f"{item.name} 第{n}笔",
        due,
        amount,
        period_no=n,
        payer=payer_for(lease, BillKind.EXTRA),
        remark=remark[:255],
    )
