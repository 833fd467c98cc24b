"""The home page's summary of what lies inside the user's data scope."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.services import figures
from clss_app.services.permissions import VIEW, Principal, require, scope_clause
from models import OrgUnit, Project, Room, RoomStatus

RESOURCE = "home"


def scope_summary(session: Session, p: Principal | None, limit: int = 12) -> dict:
    p = require(p, VIEW, RESOURCE)
    in_scope = scope_clause(p, Project.id)
    status_counts = dict(
        session.exec(
            select(Room.status, sa.func.count())
            .join(Project, Project.id == Room.project_id)
            .where(in_scope)
            .group_by(Room.status)
        ).all()
    )
    rooms_total = sum(status_counts.values())
    projects_total = session.exec(select(sa.func.count()).select_from(Project).where(in_scope)).one()

    room_count = (
        select(
            Room.project_id,
            sa.func.count().label("n"),
            sa.func.sum(figures.rented_sql(Room.status)).label("rented"),
            sa.func.sum(figures.rentable_sql(Room.status)).label("rentable"),
        )
        .group_by(Room.project_id)
        .subquery()
    )
    rows = session.execute(  # eight columns: more than sqlmodel's select() is typed for
        sa.select(
            Project.id,
            Project.name,
            Project.city,
            Project.kind,
            OrgUnit.name,
            sa.func.coalesce(room_count.c.n, 0),
            sa.func.coalesce(room_count.c.rented, 0),
            sa.func.coalesce(room_count.c.rentable, 0),
        )
        .join(OrgUnit, OrgUnit.id == Project.company_id)
        .outerjoin(room_count, room_count.c.project_id == Project.id)
        .where(in_scope)
        .order_by(Project.city, Project.name)
        .limit(limit)
    ).all()
    projects = [
        {
            "id": pid,
            "name": name,
            "city": city,
            "kind": kind.label,
            "company": company,
            "rooms": n,
            "occupancy": figures.occupancy_text(rented, rentable),
        }
        for pid, name, city, kind, company, n, rented, rentable in rows
    ]
    rented, rentable = figures.occupancy(status_counts)
    return {
        "projects_total": projects_total,
        "rooms_total": rooms_total,
        "status_counts": {s.value: status_counts.get(s, 0) for s in RoomStatus},
        "rented": rented,
        "rentable": rentable,
        "projects": projects,
    }
