"""三表抄表报表: a project's month of readings and 公摊, inside the viewer's scope (pages/meters.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from clss_app.core import clock
from clss_app.services import figures
from clss_app.services.analytics import months_back, project_choices
from clss_app.services.permissions import Principal, in_scope
from models import (
    Allocation,
    AllocationState,
    Building,
    Meter,
    MeterKind,
    ReadingState,
    Utility,
    UtilityReading,
)

ZERO = Decimal("0.00")


def options(session: Session, p: Principal) -> dict[str, list[tuple[str, str]]]:
    with_meters = set(session.execute(sa.select(Meter.project_id).distinct()).scalars())
    return {
        "project": [(str(i), n) for i, n, _ in project_choices(session, p) if i in with_meters],
        "month": [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months_back(clock.today(), 12)],
    }


def _money(v: Decimal) -> str:
    return f"¥{v:,.2f}"


def month(session: Session, p: Principal, project_id: int, month_text: str) -> dict[str, Any]:
    """Every figure of the report; empty when the project is not the viewer's."""
    empty: dict[str, Any] = dict(meters=0, read=0, billed=_money(ZERO), shared=_money(ZERO), buildings=[], masters=[])
    if not project_id or not in_scope(p, project_id=project_id):
        return {**empty, "project_id": 0, "month": None}
    m = date.fromisoformat(month_text + "-01")
    names = dict(session.execute(sa.select(Building.id, Building.name).where(Building.project_id == project_id)).all())
    count: dict[tuple[int | None, str], list] = defaultdict(lambda: [0, 0, ZERO, ZERO, 0])
    for bid, utility, n in session.execute(
        sa.select(Meter.building_id, Meter.utility, sa.func.count())
        .where(Meter.project_id == project_id, Meter.active.is_(True))
        .group_by(Meter.building_id, Meter.utility)
    ):
        count[(bid, utility)][0] = n
    R = UtilityReading
    for bid, utility, n, use, amount, warned in session.execute(
        sa.select(
            R.building_id,
            Meter.utility,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((Meter.kind == MeterKind.ROOM, R.use), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((R.bill_id.is_not(None), R.amount), else_=0)), 0),
            sa.func.sum(sa.case((R.note.like("用量异常%"), 1), else_=0)),
        )
        .join(Meter, Meter.id == R.meter_id)
        .where(R.project_id == project_id, R.month == m, R.state == ReadingState.VALID, Meter.active.is_(True))
        .group_by(R.building_id, Meter.utility)
    ):
        c = count[(bid, utility)]
        c[1], c[2], c[3], c[4] = n, Decimal(use), Decimal(amount), int(warned or 0)
    buildings = [
        {
            "building_id": bid or "",
            "building": names.get(bid, "项目总表") if bid else "项目总表",
            "utility": Utility(u).label,
            "meters": c[0],
            "read": c[1],
            "unread": c[0] - c[1],
            "use": f"{c[2]:,.2f}",
            "amount": _money(c[3]),
            "warnings": c[4],
        }
        for (bid, u), c in sorted(count.items(), key=lambda kv: (names.get(kv[0][0], ""), kv[0][1]))
    ]
    masters = []
    shared = ZERO
    done = sa.and_(Allocation.master_id == Meter.id, Allocation.month == m, Allocation.state == AllocationState.DONE)
    for meter, a in session.execute(
        sa.select(Meter, Allocation)
        .outerjoin(Allocation, done)
        .where(Meter.project_id == project_id, Meter.kind == MeterKind.MASTER, Meter.active.is_(True))
        .order_by(Meter.code)
    ):
        row = {"meter_id": meter.id, "code": meter.code, "utility": meter.utility.label, "state": "未公摊"}
        row["method"] = meter.share_method.label if meter.share_method else ""
        if a is not None:
            shared += a.amount
            rate = float(a.loss / a.master_use) if a.master_use else None
            row |= {
                "allocation_id": a.id,
                "master_use": f"{a.master_use:,.2f}",
                "rooms_use": f"{a.rooms_use:,.2f}",
                "common_use": f"{a.common_use:,.2f}",
                "loss": f"{a.loss:,.2f}",
                "loss_rate": figures.percent(rate),
                "amount": _money(a.amount),
                "state": a.state.label,
            }
        masters.append(row)
    return {
        "project_id": project_id,
        "month": m,
        "meters": sum(c[0] for c in count.values()),
        "read": sum(c[1] for c in count.values()),
        "billed": _money(sum((c[3] for c in count.values()), ZERO)),
        "shared": _money(shared),
        "buildings": buildings,
        "masters": masters,
    }
