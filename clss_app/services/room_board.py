"""What the room board (房态图) shows beyond a room's status: 即将到期, 欠费, tenants, the live lease."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.services import bills
from clss_app.services.leasing import LIVE
from models import Bill, Contract, Reservation, ReservationState, Tenant

EXPIRING_DAYS = 30


def board_marks(session: Session, project_id: int, today: date | None = None) -> dict[int, dict]:
    """What the room board shows on each room with a live contract, beyond its status:
    {room id: {"expiring": ends within 30 days, "arrears": a confirmed bill past due, "people": 1 or 2}}."""
    today = today or date.today()
    marks = {}
    for room_id, end, co in session.execute(
        select(Contract.room_id, Contract.end_date, Contract.co_tenants).where(
            Contract.project_id == project_id, Contract.state.in_(LIVE)
        )
    ):
        marks[room_id] = {
            "expiring": end <= today + timedelta(days=EXPIRING_DAYS),
            "arrears": False,
            "people": 2 if co.strip() else 1,
        }
    for (room_id,) in session.execute(
        select(Bill.room_id)
        .distinct()
        .where(Bill.project_id == project_id, Bill.state.in_(bills.OPEN), Bill.due_date < today)
    ):
        marks.setdefault(room_id, {"expiring": False, "arrears": False, "people": 0})["arrears"] = True
    return marks


def overdue_count(session: Session, project_id: int, today: date | None = None) -> int:
    """Confirmed bills past due in the project (an index range count): the board's 欠费 fingerprint."""
    return session.execute(
        select(sa.func.count())
        .select_from(Bill)
        .where(Bill.project_id == project_id, Bill.state.in_(bills.OPEN), Bill.due_date < (today or date.today()))
    ).scalar_one()


def live_lease(session: Session, room_id: int) -> dict[str, str]:
    """The room's live contract or reservation in one line for the board's panel ({} if none)."""
    c = session.exec(select(Contract).where(Contract.room_id == room_id, Contract.state.in_(LIVE))).first()
    if c is not None:
        tenant = session.get(Tenant, c.tenant_id)
        marks = board_marks(session, c.project_id).get(room_id, {})
        flags = "".join(
            f"（{t}）" for t, on in (("即将到期", marks.get("expiring")), ("欠费", marks.get("arrears"))) if on
        )
        co = f"，同住：{c.co_tenants}" if c.co_tenants else ""
        return {
            "lease": f"合同 {c.number} · {c.state.label} · 租客 {tenant.name}{co} · {c.start_date} 至 "
            f"{c.end_date} · ¥{c.monthly_rent:,.2f}/月{flags}"
        }
    r = session.exec(
        select(Reservation).where(Reservation.room_id == room_id, Reservation.state == ReservationState.ACTIVE)
    ).first()
    if r is not None:
        return {
            "lease": f"预定人 {session.get(Tenant, r.tenant_id).name} · 定金 ¥{r.deposit:,.2f} · 保留至 {r.hold_until}"
        }
    return {}
