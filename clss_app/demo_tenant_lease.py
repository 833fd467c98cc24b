"""Demo step for 在线签约 in the APP (issue 23 §3): three contracts the store drafted online for new
tenants of the first company's first project (its 在线签约设置 hold the 合同条款), each 待租客确认 on a
vacant room no other online contract waits for; the tenant confirms it in the APP (POST
/me/contracts/{id}/confirm) and it goes to 在线签约审核. Written after the history step: each carries its
own 起草 audit row."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from clss_app.core import clock
from clss_app.core.rows import saved_id
from clss_app.services import tenant_lease
from models import (
    UNSIGNED_CONTRACT_STATES,
    Contract,
    Project,
    Reservation,
    ReservationState,
    Room,
    RoomStatus,
    Tenant,
    User,
)

DRAFTS = 3


def seed_tenant_lease(ctx) -> None:
    s, today = ctx.session, clock.today()
    company = ctx.ids["company"][0]
    project = s.get_one(Project, ctx.projects_by_company[company][0])
    waiting = select(Contract.room_id).where(Contract.state.in_(UNSIGNED_CONTRACT_STATES))
    held = select(Reservation.room_id).where(Reservation.state == ReservationState.ACTIVE)
    rooms = s.exec(
        select(Room)
        .where(
            Room.project_id == project.id,
            Room.status == RoomStatus.VACANT,
            Room.id.not_in(waiting),
            Room.id.not_in(held),
        )
        .order_by(sa.desc(Room.id))
        .limit(DRAFTS)
    ).all()
    manager = s.exec(select(User).where(User.username == "manager")).first()
    drafted_by = manager.id if manager else None
    for k, room in enumerate(rooms):
        tenant = Tenant(company_id=company, name=ctx.person(), phone=ctx.phone(), id_number=ctx.id_number())
        s.add(tenant)
        s.flush()
        tenant_lease.draft_online(s, saved_id(tenant), room, today + timedelta(days=5 + k), drafted_by)
    ctx.counts["在线签约待租客确认"] = len(rooms)
