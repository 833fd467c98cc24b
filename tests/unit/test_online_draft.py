"""起草在线合同 in the back office (房间列表's action, services/tenant_lease.draft_for): store staff whose
scope holds the room's project draft an online contract (待租客确认) for a tenant of the company found by
phone; the tenant is told in the APP and confirms it (→ 在线签约审核). Refused with the field named: a
room not vacant or with an online contract already waiting, a tenant of another company, a start in the
past; another role or a project outside the scope is refused whole; two staff at once make one draft."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db
from clss_app.admin import crud
from clss_app.core import clock
from clss_app.core.errors import Forbidden, Refused, ValidationFailed
from clss_app.core.results import ActionContext
from clss_app.core.rows import saved_id
from clss_app.services import tenant_lease
from clss_app.services.billing import add_months
from models import (
    UNSIGNED_CONTRACT_STATES,
    AuditLog,
    Contract,
    ContractSource,
    ContractState,
    Notification,
    Project,
    Room,
    RoomStatus,
    Tenant,
)


def _rooms_admin():
    from clss_app.site import app_site

    admin = app_site().admin("rooms")
    return admin, next(a for a in admin.actions if a.name == "draft_online")


def _free_room(s, principal) -> Room:
    """A vacant room of the principal's (first) project that no online contract waits for."""
    waiting = select(Contract.room_id).where(Contract.state.in_(UNSIGNED_CONTRACT_STATES))
    room = s.exec(
        select(Room)
        .where(
            Room.project_id.in_(sorted(principal.project_ids)),
            Room.status == RoomStatus.VACANT,
            Room.id.not_in(waiting),
        )
        .order_by(Room.id)
    ).first()
    assert room is not None
    return room


def _tenant_of(s, company_id: int, other: bool = False) -> Tenant:
    where = Tenant.company_id != company_id if other else Tenant.company_id == company_id
    tenant = s.exec(select(Tenant).where(where, Tenant.phone != "").order_by(Tenant.id)).first()
    assert tenant is not None
    return tenant


def _count(s, model) -> int:
    return s.exec(select(sa.func.count()).select_from(model)).one()


def test_a_store_manager_drafts_an_online_contract_the_tenant_is_told_and_confirms(session, principal_of):
    s, p = session, principal_of("manager")
    admin, action = _rooms_admin()
    room = _free_room(s, p)
    company = s.get_one(Project, room.project_id).company_id
    tenant = _tenant_of(s, company)
    start = clock.today() + timedelta(days=3)
    raw = {"tenant_phone": tenant.phone, "start_date": start.isoformat(), "months": "6", "monthly_rent": ""}
    result = crud.run_action(s, admin, action, p, ids=[room.id], raw=raw)
    assert result.done == 1 and not result.refused, result.refused
    c = s.exec(
        select(Contract).where(Contract.room_id == room.id, Contract.state == ContractState.AWAITING_TENANT)
    ).one()
    assert c.source == ContractSource.ONLINE and c.tenant_id == tenant.id and c.created_by_id == p.user_id
    assert (c.start_date, c.monthly_rent, c.deposit) == (start, room.rent, room.deposit)
    assert c.end_date == add_months(start, 6) - timedelta(days=1)
    assert c.number.startswith("HT") and any(c.number in n for n in result.notes)
    s.refresh(room)
    assert room.status == RoomStatus.VACANT  # the room is signed only when the store approves the review
    told = s.exec(select(Notification).where(Notification.tenant_id == tenant.id)).all()
    assert any(c.number in n.body and "请在 APP 中确认" in n.body for n in told)
    log = s.exec(select(AuditLog).where(AuditLog.resource == "contracts", AuditLog.row_id == c.id)).all()
    assert any(a.action == "create" and a.username == "manager" and "起草在线签约" in a.summary for a in log)
    s.commit()
    done = tenant_lease.confirm_contract(s, tenant.id, saved_id(c))
    assert done.state == ContractState.PENDING_REVIEW


def test_each_refusal_names_its_field_and_writes_nothing(session, principal_of):
    s, p = session, principal_of("manager")
    room = _free_room(s, p)
    company = s.get_one(Project, room.project_id).company_id
    tenant, stranger = _tenant_of(s, company), _tenant_of(s, company, other=True)
    today = clock.today()
    contracts, notes = _count(s, Contract), _count(s, Notification)

    def refused(field: str, text: str, **kw) -> None:
        args = {"room": room, "tenant_phone": tenant.phone, "start": today, **kw}
        with pytest.raises(ValidationFailed) as info:
            tenant_lease.draft_for(s, p, **args)
        assert field in info.value.errors and text in info.value.errors[field], info.value.errors

    refused("start_date", "起租日不能早于今天", start=today - timedelta(days=1))
    refused("tenant_phone", "本公司租客", tenant_phone=stranger.phone)  # a tenant of another company
    refused("tenant_phone", "11 位数字", tenant_phone="12345")
    refused("months", "租期须为", months=0)
    refused("monthly_rent", "月租金须大于 0", monthly_rent=Decimal(0))
    waiting = s.exec(select(Contract).where(Contract.state == ContractState.AWAITING_TENANT)).first()
    assert waiting is not None  # the demo's
    refused("room_id", "不能重复起草", room=s.get_one(Room, waiting.room_id))
    taken = s.exec(select(Room).where(Room.project_id == room.project_id, Room.status == RoomStatus.OCCUPIED)).first()
    refused("room_id", "只能为空闲可租的房间", room=taken)
    assert (_count(s, Contract), _count(s, Notification)) == (contracts, notes)

    # Through the action: a field's problem is shown next to it; the room's, as the room's refusal.
    admin, action = _rooms_admin()
    raw = {"tenant_phone": stranger.phone, "start_date": today.isoformat()}
    with pytest.raises(ValidationFailed) as info:
        crud.run_action(s, admin, action, p, ids=[room.id], raw=raw)
    assert "tenant_phone" in info.value.errors
    with pytest.raises(Forbidden, match="起草在线合同"):  # the list offers it on vacant rooms only
        crud.run_action(s, admin, action, p, ids=[taken.id], raw={**raw, "tenant_phone": tenant.phone})
    result = crud.run_action(s, admin, action, p, ids=[waiting.room_id], raw={**raw, "tenant_phone": tenant.phone})
    assert result.done == 0 and "不能重复起草" in result.refused[0][1]
    assert _count(s, Contract) == contracts


def test_another_role_or_a_project_outside_the_scope_is_refused(session, principal_of):
    s, p = session, principal_of("manager")
    room = _free_room(s, p)
    company = s.get_one(Project, room.project_id).company_id
    tenant = _tenant_of(s, company)
    start = clock.today()
    with pytest.raises(Forbidden):
        tenant_lease.draft_for(s, principal_of("finance"), room, tenant.phone, start)
    elsewhere = s.exec(
        select(Room)
        .join(Project, Project.id == Room.project_id)
        .where(Project.company_id == company, Room.project_id.not_in(sorted(p.project_ids)))
    ).first()
    assert elsewhere is not None
    with pytest.raises(Forbidden, match="无权访问"):
        tenant_lease.draft_for(s, p, elsewhere, tenant.phone, start)
    admin, action = _rooms_admin()
    result = crud.run_action(
        s, admin, action, p, ids=[elsewhere.id], raw={"tenant_phone": tenant.phone, "start_date": start.isoformat()}
    )
    assert result.done == 0 and result.refused and result.refused[0][0] == f"#{elsewhere.id}"


def test_two_staff_drafting_the_same_room_at_once_make_one_draft(demo_db, principal_of):
    managers = [principal_of("manager"), principal_of("assistant")]
    with db.session_scope() as s:
        room = _free_room(s, managers[0])
        room_id, phone = room.id, _tenant_of(s, s.get_one(Project, room.project_id).company_id).phone
    start, got = threading.Barrier(2), []

    def draft(p) -> None:
        try:
            with db.session_scope() as s:
                row = s.get_one(Room, room_id)
                start.wait()
                got.append(tenant_lease.draft_for(s, p, row, phone, clock.today()).number)
        except ValidationFailed as exc:
            got.append(f"refused {exc.errors}")
        except Exception as exc:  # a failure of the test, shown as such
            got.append(f"ERROR {exc!r}")

    threads = [threading.Thread(target=draft, args=(p,)) for p in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session_scope() as s:
        drafts = s.exec(
            select(Contract).where(Contract.room_id == room_id, Contract.state.in_(UNSIGNED_CONTRACT_STATES))
        ).all()
    assert len(drafts) == 1, got
    assert sorted(g.startswith("refused") for g in got) == [False, True], got
    assert any("room_id" in g for g in got if g.startswith("refused")), got


def _contracts_admin(name: str):
    from clss_app.site import app_site

    admin = app_site().admin("contracts")
    return admin, next(a for a in admin.actions if a.name == name)


def test_a_draft_not_yet_confirmed_is_withdrawn_the_tenant_told_and_the_room_free_to_draft_again(session, principal_of):
    s, p = session, principal_of("manager")
    room = _free_room(s, p)
    tenant = _tenant_of(s, s.get_one(Project, room.project_id).company_id)
    c = tenant_lease.draft_for(s, p, room, tenant.phone, clock.today() + timedelta(days=2))
    s.commit()
    admin, withdraw = _contracts_admin("withdraw_draft")
    with pytest.raises(ValidationFailed, match="撤回原因"):  # the reason is required
        crud.run_action(s, admin, withdraw, p, ids=[saved_id(c)], text=" ")
    with pytest.raises(Forbidden):  # 财务 does not withdraw the store's drafts
        crud.run_action(s, admin, withdraw, principal_of("finance"), ids=[saved_id(c)], text="租金写错")

    result = crud.run_action(s, admin, withdraw, p, ids=[saved_id(c)], text="租金写错")
    assert result.done == 1 and not result.refused
    s.refresh(c)
    assert (c.state, c.void_reason) == (ContractState.VOID, "租金写错")
    told = s.exec(select(Notification).where(Notification.tenant_id == tenant.id)).all()
    assert any(c.number in n.body and "已撤回" in n.title and "租金写错" in n.body for n in told)
    log = s.exec(select(AuditLog).where(AuditLog.resource == "contracts", AuditLog.action == "action:withdraw_draft"))
    assert any(a.username == "manager" for a in log.all())
    s.commit()
    with pytest.raises(Refused, match="已作废"):  # the tenant's confirm, sent late, finds it withdrawn
        tenant_lease.confirm_contract(s, tenant.id, saved_id(c))
    with pytest.raises(Forbidden, match="撤回在线合同"):  # withdrawn once: the list no longer offers it
        crud.run_action(s, admin, withdraw, p, ids=[saved_id(c)], text="再撤一次")
    again = tenant_lease.draft_for(s, p, s.get_one(Room, room.id), tenant.phone, clock.today() + timedelta(days=2))
    assert again.state == ContractState.AWAITING_TENANT


def test_a_draft_the_tenant_confirms_while_the_store_withdraws_it_goes_to_review_not_void(session, principal_of):
    s, p = session, principal_of("manager")
    room = _free_room(s, p)
    tenant = _tenant_of(s, s.get_one(Project, room.project_id).company_id)
    c = tenant_lease.draft_for(s, p, room, tenant.phone, clock.today() + timedelta(days=2))
    s.commit()
    with db.session_scope() as page:  # the store's list row, read while it still waited
        stale = page.get_one(Contract, saved_id(c))
        page.expunge(stale)
    with db.session_scope() as other:  # the tenant's confirm lands first
        tenant_lease.confirm_contract(other, tenant.id, saved_id(c))
    assert stale.state == ContractState.AWAITING_TENANT
    s.expire_all()
    result = tenant_lease.withdraw_drafts(ActionContext(s, p, [stale], "租客未回复"))
    assert result.done == 0 and "租客刚刚确认" in result.refused[0][1]
    assert s.get_one(Contract, saved_id(c)).state == ContractState.PENDING_REVIEW
