"""What the room board (房态图) reads: the projects, their rooms by building and floor, and beyond a
room's status 即将到期, 欠费, tenants and the live lease."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.services import figures, repairs
from clss_app.services.leasing import LIVE
from clss_app.services.permissions import Principal, scope_clause
from models import (
    Bill,
    Building,
    Contract,
    LockKind,
    Project,
    Reservation,
    ReservationState,
    Room,
    RoomStatus,
    Tenant,
    UnitType,
)

EXPIRING_DAYS = 30


class BoardRoom(NamedTuple):
    id: int
    number: str
    status: RoomStatus
    version: int
    floor_no: int
    rent: Decimal
    lock_kind: LockKind | None
    building: str
    unit_type: str | None


def projects(session: Session, p: Principal) -> list[tuple[int, str, int]]:
    """(id, name, rooms) of the projects inside p's scope, by id."""
    rows = session.exec(
        select(Project.id, Project.name, sa.func.count(Room.id))
        .join(Room, Room.project_id == Project.id, isouter=True)
        .where(scope_clause(p, Project.id, by="project"))
        .group_by(Project.id)
        .order_by(Project.id)
    ).all()
    return [(i, n, c) for i, n, c in rows if i is not None]


def signature(session: Session, project_id: int) -> tuple[int, int, int, int]:
    """Changes with every lock and every flow on the project's rooms, with 欠费 (a payment) and with the
    overdue work orders (one passing its due time, a 回单)."""
    count, versions = session.execute(
        select(sa.func.count(Room.id), sa.func.sum(Room.version)).where(Room.project_id == project_id)
    ).one()
    return (
        int(count),
        int(versions or 0),
        overdue_count(session, project_id),
        repairs.overdue_count(session, project_id),
    )


def rooms(session: Session, project_id: int) -> list[BoardRoom]:
    """The project's rooms by building, floor (top first) and number, as plain columns: 5,000 ORM
    objects cost more than the query."""
    rows = session.execute(
        sa.select(
            Room.id,
            Room.number,
            Room.status,
            Room.version,
            Room.floor_no,
            Room.rent,
            Room.lock_kind,
            Building.name,
            UnitType.name,
        )
        .join(Building, Building.id == Room.building_id)
        .join(UnitType, UnitType.id == Room.unit_type_id, isouter=True)
        .where(Room.project_id == project_id)
        .order_by(Building.name, Room.floor_no.desc(), Room.number)
    ).all()
    return [BoardRoom(*r) for r in rows]


def room_with_place(session: Session, room_id: int) -> tuple[Room, str, str | None]:
    """The room, its building's name and its unit type's name (None without one)."""
    room, building, unit_type = session.execute(
        select(Room, Building.name, UnitType.name)
        .join(Building, Building.id == Room.building_id)
        .join(UnitType, UnitType.id == Room.unit_type_id, isouter=True)
        .where(Room.id == room_id)
    ).one()
    return room, building, unit_type


def board_marks(session: Session, project_id: int, today: date | None = None) -> dict[int, dict]:
    """What the room board shows on each room with a live contract, beyond its status:
    {room id: {"expiring": ends within 30 days, "arrears": a bill in arrears, "people": 1 or 2,
    "repair": a work order past its due time (a wrench)}}."""
    today = today or clock.today()
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
            "repair": False,
        }
    blank = {"expiring": False, "arrears": False, "people": 0, "repair": False}
    for (room_id,) in session.execute(
        select(Bill.room_id)
        .distinct()
        .where(Bill.project_id == project_id, figures.overdue_sql(Bill.state, Bill.due_date, today))
    ):
        marks.setdefault(room_id, dict(blank))["arrears"] = True
    for room_id in repairs.overdue_rooms(session, project_id):
        marks.setdefault(room_id, dict(blank))["repair"] = True
    return marks


def overdue_count(session: Session, project_id: int, today: date | None = None) -> int:
    """Bills in arrears in the project (an index range count): the board's 欠费 fingerprint."""
    return session.execute(
        select(sa.func.count())
        .select_from(Bill)
        .where(Bill.project_id == project_id, figures.overdue_sql(Bill.state, Bill.due_date, today or clock.today()))
    ).scalar_one()


def live_lease(session: Session, room_id: int) -> dict[str, str]:
    """The room's live contract or reservation in one line for the board's panel ({} if none)."""
    c = session.exec(select(Contract).where(Contract.room_id == room_id, Contract.state.in_(LIVE))).first()
    if c is not None:
        tenant = session.get_one(Tenant, c.tenant_id)
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
        who = session.get_one(Tenant, r.tenant_id).name
        return {"lease": f"预定人 {who} · 定金 ¥{r.deposit:,.2f} · 保留至 {r.hold_until}"}
    return {}
