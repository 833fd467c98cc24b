"""待我处理: what waits for this user's role, inside their data scope, each with the list behind it.

An item names its list by menu key and filter query; the page turns the key into a link.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.roles import FIN, OWNERS, STORE
from clss_app.services import bill_approvals, figures, repairs
from clss_app.services.permissions import Principal, scope_clause
from models import (
    AdjustmentState,
    Appointment,
    AppointmentState,
    ApprovalState,
    BadDebt,
    Bill,
    BillAdjustment,
    BillState,
    Contract,
    ContractState,
    RepairOrder,
    Role,
)


def _items(today: date) -> list[tuple[str, frozenset[Role], str, str, Any, Any]]:
    overdue = figures.last_overdue_due_date(today).isoformat()
    now = clock.now()
    work = ",".join(s.value for s in repairs.OPEN_WORK)
    open_states = ",".join(s.value for s in figures.OPEN_STATES)
    # (label, roles, menu entry, link query, model, where)
    return [
        (
            "坏账待一级审批",
            bill_approvals.LEVEL1_ROLES,
            "bad_debts",
            "f_state=level1",
            BadDebt,
            BadDebt.state == ApprovalState.LEVEL1,
        ),
        (
            "坏账待财务审批",
            bill_approvals.LEVEL2_ROLES,
            "bad_debts",
            "f_state=level2",
            BadDebt,
            BadDebt.state == ApprovalState.LEVEL2,
        ),
        (
            "账单减免待审批",
            bill_approvals.ADJUST_APPROVERS,
            "adjustments",
            "f_state=pending",
            BillAdjustment,
            BillAdjustment.state == AdjustmentState.PENDING,
        ),
        (
            "线下退款待确认",
            FIN,
            "refunds",
            "f_state=offline_refund",
            Bill,
            Bill.state == BillState.OFFLINE_REFUND,
        ),
        ("待转线下退款", OWNERS, "bills", "f_state=refund_due", Bill, Bill.state == BillState.REFUND_DUE),
        ("在线签约待审核", STORE, "online_review", "", Contract, Contract.state == ContractState.PENDING_REVIEW),
        ("待办理入住", STORE, "check_ins", "", Contract, Contract.state == ContractState.SIGNED),
        (
            "待看房预约",
            STORE,
            "appointments",
            "f_state=pending",
            Appointment,
            Appointment.state == AppointmentState.PENDING,
        ),
        (
            "逾期未缴账单",
            STORE | FIN,
            "bills",
            f"f_state={open_states}&f_due_date__lte={overdue}",
            Bill,
            figures.overdue_sql(Bill.state, Bill.due_date, today),
        ),
        (
            "超时未回单工单",
            repairs.WORKERS,
            "repairs",
            f"f_state={work}&f_due_at__lte={now.astimezone(clock.SHANGHAI):%Y-%m-%dT%H:%M}",
            RepairOrder,
            repairs.overdue_sql(now),
        ),
    ]


def todo(session: Session, p: Principal, openable: Collection[str], today: date | None = None) -> list[dict[str, str]]:
    """[{item, count, key, query}] for the role, counted inside the scope; only what is waiting (count > 0).

    ``openable``: the menu keys p's role may open (an item whose list it cannot open is not counted).
    """
    out = []
    for label, roles, key, query, model, where in _items(today or clock.today()):
        if p.role not in roles or key not in openable:
            continue
        n = session.execute(
            select(sa.func.count()).select_from(model).where(where, scope_clause(p, model.project_id, by="project"))
        ).scalar_one()
        if n:
            out.append({"item": label, "count": f"{n:,}", "key": key, "query": query})
    return out
