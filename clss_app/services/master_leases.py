"""企业包租: one agreement with a company over one or many rooms, carried out as one contract per room.

The company is the rooms' tenant of record; each bill says who pays it (企业 or 员工), as the
agreement decides per kind of fee. Rooms go 空闲可租 → 待入住 like any signing, through the same
conditional room moves, so a room taken meanwhile refuses the whole agreement.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from clss_app.core.errors import ValidationFailed
from clss_app.core.rows import saved_id
from clss_app.services import leasing
from clss_app.services.permissions import Principal
from models import (
    Contract,
    ContractSource,
    ContractState,
    MasterLease,
    MasterLeaseRoom,
    Project,
    Room,
    RoomStatus,
    Tenant,
)

PHONE = re.compile(r"^1\d{10}$")


def problems(session: Session, values: dict) -> dict[str, str]:
    errors = leasing.contract_problems_terms(values.get("start_date"), values.get("end_date"), None)
    if values.get("contact_phone") and not PHONE.match(values["contact_phone"]):
        errors["contact_phone"] = "手机号须为 11 位数字，以 1 开头"
    rooms = values.get("rooms") or []
    if not rooms:
        errors["rooms"] = "请至少选择一个房间"
    else:
        found = session.exec(select(Room).where(Room.id.in_(rooms))).all()
        wrong = [r.number for r in found if r.project_id != values.get("project_id")]
        busy = [f"{r.number}（{r.status.label}）" for r in found if r.status != RoomStatus.VACANT]
        if wrong:
            errors["rooms"] = f"房间不属于所选项目：{'、'.join(wrong[:10])}"
        elif busy:
            errors["rooms"] = f"只能包租空闲可租的房间：{'、'.join(busy[:10])}"
    return errors


def sign(session: Session, p: Principal, lease: MasterLease) -> int:
    """Number the agreement and sign one contract per room; returns how many."""
    lease.number = f"BZ{lease.created_at:%Y%m%d}{lease.id:06d}"
    company_id = session.get_one(Project, lease.project_id).company_id
    tenant = session.exec(
        select(Tenant).where(Tenant.company_id == company_id, Tenant.phone == lease.contact_phone)
    ).first()
    if tenant is None:
        tenant = Tenant(company_id=company_id, name=lease.company_name[:32], phone=lease.contact_phone)
        session.add(tenant)
        session.flush()
    room_ids = session.exec(select(MasterLeaseRoom.room_id).where(MasterLeaseRoom.master_lease_id == lease.id)).all()
    for room in session.exec(select(Room).where(Room.id.in_(room_ids)).order_by(Room.number)).all():
        c = Contract(
            project_id=lease.project_id,
            room_id=saved_id(room),
            tenant_id=saved_id(tenant),
            start_date=lease.start_date,
            end_date=lease.end_date,
            monthly_rent=room.rent,
            deposit=room.deposit,
            cycle=lease.cycle,
            bill_mode=lease.bill_mode,
            source=ContractSource.MASTER_LEASE,
            master_lease_id=lease.id,
            state=ContractState.SIGNED,
            number=leasing.placeholder_number(),
            created_by_id=p.actor_id,
            co_tenants=f"{lease.company_name}员工"[:100],
        )
        session.add(c)
        session.flush()
        try:
            leasing.sign(session, p, c)
        except ValidationFailed:
            raise ValidationFailed({"rooms": f"房间 {room.number} 刚被他人预定、签约或锁定，包租未提交"}) from None
    session.add(lease)
    return len(room_ids)
