"""起草在线合同 clicked through: 陈店长 opens 房间管理 from the menu and drafts an online contract on a vacant
room for a tenant of the company (a start date in the past refused next to its field first); the contract
shows 待租客确认 in 合同列表; the tenant, over the API (httpx against the running app), reads the 站内信
and confirms it; the contract then waits in 在线签约审核, where the store rejects it (the demo's review
queue left as the other tests find it). A draft made in error is withdrawn from 合同列表."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from clss_app.services import tenant_lease
from clss_app.services.permissions import load_principal
from models import (
    UNSIGNED_CONTRACT_STATES,
    Contract,
    ContractState,
    Project,
    Room,
    RoomStatus,
    Tenant,
    User,
)
from tests.api.conftest import login as tenant_login
from tests.e2e.conftest import go, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user, run, select_row


def _room_and_tenant(engine) -> tuple[Room, Tenant]:
    """A vacant room of 陈店长's project no online contract waits for (the last: other tests take the
    first), and a tenant of its company whose phone is theirs alone (the APP logs in by phone)."""
    with Session(engine) as s:
        waiting = select(Contract.room_id).where(Contract.state.in_(UNSIGNED_CONTRACT_STATES))
        room = s.exec(
            select(Room)
            .where(Room.project_id == 1, Room.status == RoomStatus.VACANT, Room.id.not_in(waiting))
            .order_by(Room.id.desc())
        ).first()
        assert room is not None
        company = s.get_one(Project, 1).company_id
        for tenant in s.exec(select(Tenant).where(Tenant.company_id == company).order_by(Tenant.id.desc())):
            if tenant.phone and len(s.exec(select(Tenant.id).where(Tenant.phone == tenant.phone)).all()) == 1:
                return room, tenant
    raise AssertionError("no tenant with a phone of their own")


def _told(api: httpx.Client, auth: dict[str, str], number: str, seconds: float = 60.0, part: str = "body") -> dict:
    """The tenant's 站内信 whose ``part`` (body or title) holds ``number``: the worker sends every few
    seconds, waited for up to ``seconds``."""
    until = time.monotonic() + seconds
    while True:
        got = api.get("/me/messages", headers=auth)
        assert got.status_code == 200, got.text
        found = [i for i in got.json()["items"] if number in i[part]]
        if found or time.monotonic() > until:
            assert found, f"no 站内信 about {number}"
            return found[0]
        time.sleep(1)


def test_a_manager_drafts_online_the_tenant_confirms_in_the_app(browser, base_url, app_db, sandbox_url):
    engine = create_engine(app_db)
    room, tenant = _room_and_tenant(engine)
    today = clock.today()
    start = today + timedelta(days=7)
    m = as_user(browser, base_url, "manager")
    try:
        open_list(m, "房间管理")
        m.locator("input[name=q]").fill(room.number)
        m.keyboard.press("Enter")
        row = rows(m).filter(has_text=room.number).first
        expect(row).to_contain_text("空闲")
        row.locator("[data-row-action=more]").click()
        m.get_by_role("menu").get_by_role("menuitem", name="起草在线合同").click()
        expect(m.locator("#confirm-title")).to_contain_text("起草在线合同")
        m.locator("#input-tenant_phone").fill(tenant.phone)
        m.locator("#input-start_date").fill(str(today - timedelta(days=1)))
        shot(m, "online-draft-dialog")
        m.locator("#confirm-ok").click()
        expect(m.get_by_text(f"起租日不能早于今天（{today}）")).to_be_visible()
        shot(m, "online-draft-refused")
        # Corrected in the same dialog, which stays open with the field's message.
        m.locator("#input-start_date").fill(str(start))
        m.locator("#input-months").fill("12")
        m.locator("#confirm-ok").click()
        expect(m.get_by_text("起草在线合同成功 1 条")).to_be_visible()
        shot(m, "online-draft-done")
        with Session(engine) as s:
            c = s.exec(
                select(Contract).where(Contract.room_id == room.id, Contract.state == ContractState.AWAITING_TENANT)
            ).one()
            assert (c.tenant_id, c.start_date, c.monthly_rent) == (tenant.id, start, room.rent)

        open_list(m, "合同列表")
        m.locator("input[name=q]").fill(c.number)
        m.keyboard.press("Enter")
        listed = rows(m).filter(has_text=c.number)
        expect(listed).to_have_count(1)
        expect(listed.first).to_contain_text("待租客确认")
        shot(m, "online-draft-contracts")

        with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
            auth = tenant_login(api, sandbox_url, tenant.phone)
            told = _told(api, auth, c.number)  # the 站内信, once the app's outbox worker has sent it
            assert "门店已为您起草在线签约合同" in told["body"] and "请在 APP 中确认" in told["body"]
            draft = api.get(f"/me/contracts/{c.id}/draft", headers=auth)
            assert draft.status_code == 200, draft.text
            assert draft.json()["state_label"] == "待租客确认" and draft.json()["can_confirm"]
            done = api.post(f"/me/contracts/{c.id}/confirm", headers=auth)
            assert done.status_code == 200, done.text
            assert done.json()["state_label"] == "待审核"

        go(m, "/contracts/online-review")
        waiting = rows(m).filter(has_text=c.number)
        expect(waiting).to_have_count(1)
        shot(m, "online-draft-review")
        select_row(m, c.number)
        run(m, "reject", text="E2E 起草在线合同测试，作废")
        expect(m.get_by_text("驳回成功 1 条")).to_be_visible()
        with Session(engine) as s:
            assert s.get_one(Contract, c.id).state == ContractState.VOID
            assert s.get_one(Room, room.id).status == RoomStatus.VACANT
    finally:
        m.context.close()


def test_a_manager_withdraws_a_draft_the_tenant_has_not_confirmed(browser, base_url, app_db, sandbox_url):
    """撤回在线合同: a draft made in error is withdrawn from 合同列表 (a reason required); the tenant is told
    in the APP and their late confirm is refused; the room can be drafted again."""
    engine = create_engine(app_db)
    room, tenant = _room_and_tenant(engine)
    with Session(engine) as s:  # drafted as 起草在线合同 drafts it (clicked through in the test above)
        manager = load_principal(s, s.exec(select(User).where(User.username == "manager")).one())
        c = tenant_lease.draft_for(s, manager, s.get_one(Room, room.id), tenant.phone, clock.today())
        s.commit()
        number, contract_id = c.number, c.id
    m = as_user(browser, base_url, "manager")
    try:
        open_list(m, "合同列表")
        m.locator("input[name=q]").fill(number)
        m.keyboard.press("Enter")
        row = rows(m).filter(has_text=number)
        expect(row).to_have_count(1)
        expect(row.first).to_contain_text("待租客确认")
        row.first.locator("[data-row-action=more]").click()
        m.get_by_role("menu").get_by_role("menuitem", name="撤回在线合同").click()
        expect(m.locator("#confirm-title")).to_contain_text("撤回在线合同")
        m.locator("#confirm-ok").click()  # no reason given
        expect(m.get_by_text("请填写撤回原因")).to_be_visible()
        m.locator("#confirm-input").fill("月租金填错，重新起草")
        shot(m, "online-draft-withdraw")
        m.locator("#confirm-ok").click()
        expect(m.get_by_text("撤回在线合同成功 1 条")).to_be_visible()
        expect(rows(m).filter(has_text=number).first).to_contain_text("已作废")
        shot(m, "online-draft-withdrawn")
        with Session(engine) as s:
            done = s.get_one(Contract, contract_id)
            assert (done.state, done.void_reason) == (ContractState.VOID, "月租金填错，重新起草")
            assert s.get_one(Room, room.id).status == RoomStatus.VACANT

        with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as api:
            auth = tenant_login(api, sandbox_url, tenant.phone)
            told = _told(api, auth, f"在线签约已撤回：{number}", part="title")
            assert "月租金填错" in told["body"]
            late = api.post(f"/me/contracts/{contract_id}/confirm", headers=auth)
            assert late.status_code == 409 and "已作废" in late.json()["message"], late.text
    finally:
        m.context.close()
