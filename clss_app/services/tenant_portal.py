"""What the tenant APP reads and does, scoped by the tenant's token (clss_app/tenant_api.py serves it).

- ``listed_projects`` / ``listed_rooms``: what a tenant may see at all: published projects marked
  租客可见, and their rooms marked 租客可见.
- ``home``: the banners of a city by group (services/marketing.home_preview: live ones, in order, at
  most 6 recommendations).
- ``book_viewing``: 预约看房 for the token's tenant, of a listed project (and room), at a time to come.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from clss_app.core import clock
from clss_app.core.errors import Refused
from clss_app.core.rows import saved_id
from clss_app.services import marketing
from clss_app.services.tenant_auth import TenantToken
from models import (
    Appointment,
    AppointmentState,
    AuditLog,
    Banner,
    BillState,
    Contract,
    Project,
    PublishState,
    Room,
    Tenant,
)

RESOURCE = "appointment"
BOOK_AHEAD_DAYS = 30
HIDDEN_BILL_STATES = (BillState.UNCONFIRMED, BillState.REVOKED)  # not the tenant's to see (yet)


def listed_projects():
    """SQL: the project is shown to tenants."""
    return sa.and_(Project.publish_state == PublishState.PUBLISHED, col(Project.visible).is_(True))


def listed_rooms():
    """SQL (with project joined): the room is shown to tenants."""
    return sa.and_(col(Room.visible).is_(True), listed_projects())


def tenant_city(session: Session, who: TenantToken) -> str:
    """The city of the tenant's latest contract's project, else of the first listed project."""
    city = session.exec(
        select(Project.city)
        .join(Contract, col(Contract.project_id) == Project.id)
        .where(Contract.tenant_id == who.tenant_id)
        .order_by(col(Contract.start_date).desc(), col(Contract.id).desc())
        .limit(1)
    ).first()
    if city:
        return city
    return session.exec(select(Project.city).where(listed_projects()).order_by(col(Project.id)).limit(1)).first() or ""


def home(session: Session, who: TenantToken, city: str | None, now: datetime | None = None) -> dict:
    city = city or tenant_city(session, who)
    groups = marketing.home_preview(session, city, now)

    def card(b: Banner) -> dict:
        return {
            "id": b.id,
            "title": b.title,
            "image": b.image,
            "link_kind": b.link_kind.value,
            "project_id": b.project_id,
            "event_id": b.event_id,
            "url": b.url,
        }

    return {"city": city, "groups": {g: [card(b) for b in bs] for g, bs in groups.items()}}


def book_viewing(
    session: Session, who: TenantToken, project_id: int, room_id: int | None, visit_at: datetime, note: str
) -> Appointment:
    """预约看房: a pending appointment in the tenant's name and phone; Refused (422, naming the field)
    for a project or room not listed, or a time past or too far ahead."""
    project = session.exec(select(Project).where(Project.id == project_id, listed_projects())).first()
    if project is None:
        raise Refused("项目不存在或未开放预约", status=422, code="invalid_field", field="project_id")
    if room_id is not None:
        room = session.exec(
            select(Room)
            .join(Project, col(Project.id) == Room.project_id)
            .where(Room.id == room_id, Room.project_id == project_id, listed_rooms())
        ).first()
        if room is None:
            raise Refused("意向房间不属于该项目或未开放", status=422, code="invalid_field", field="room_id")
    now = clock.now()
    if visit_at.tzinfo is None:
        raise Refused(
            "看房时间须带时区（如 2026-01-31T14:00:00+08:00）", status=422, code="invalid_field", field="visit_at"
        )
    if visit_at <= now:
        raise Refused("看房时间须晚于现在", status=422, code="invalid_field", field="visit_at")
    if visit_at > now + timedelta(days=BOOK_AHEAD_DAYS):
        raise Refused(f"看房时间须在 {BOOK_AHEAD_DAYS} 天之内", status=422, code="invalid_field", field="visit_at")
    tenant = session.get(Tenant, who.tenant_id)
    if tenant is None:
        raise Refused("登录已失效，请重新登录", status=401, code="token_invalid")
    a = Appointment(
        project_id=project_id,
        name=tenant.name,
        phone=who.phone,
        visit_at=visit_at,
        room_id=room_id,
        note=note,
        state=AppointmentState.PENDING,
    )
    session.add(a)
    session.flush()
    session.add(
        AuditLog(
            username=f"租客APP:{who.phone}",
            resource=RESOURCE,
            row_id=saved_id(a),
            action="create",
            summary=f"租客 {tenant.name} 在 APP 预约看房：{project.name}",
        )
    )
    return a
