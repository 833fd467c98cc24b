"""住房链上架 in Chromium: 京安居's 负责人 applies for a project of its own and is refused, by room and field,
for a room without its 来源平台房间编号; the room fixed, the application is made. 北京分行's 系统管理员
approves it and runs its listing batch against the sandbox chain, which refuses one room by name. The
results page, opened from the application, shows each room's result, the refused one with its reason,
and finds a room by its number."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import ChainApplication, ChainApplyState, ChainListing, ListingState
from tests.chain_world import new_project, room, strip
from tests.e2e.conftest import list_ready, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user, pick
from tests.sandbox_server import sandbox_call

PROJECT = "京安居链上公寓"
COMPANY = "京安居住房租赁有限公司"
REASON = "产权信息核验未通过"


def _row_act(page, row, name: str, label: str, text: str = "") -> None:
    button = row.locator(f"[data-row-action={name}]")
    expect(button).to_have_text(label)
    button.click()
    if text:
        page.locator("#confirm-input").fill(text)
    page.locator("#confirm-ok").click()


def test_a_project_goes_on_the_chain_room_by_room_with_one_refused(page, browser, base_url, app_db, sandbox_url):
    engine = create_engine(app_db)
    with Session(engine) as s:
        project = new_project(s, COMPANY, PROJECT, rooms=5)
        strip(s, project.id, "102", external_code="")
        refused_code = room(s, project.id, "104").external_code
        project_id = project.id
        s.commit()
    sandbox_call(sandbox_url, "/sandbox/chain/control", {"refuse": {refused_code: REASON}})

    # 1. The company applies: refused by room and field, then (the room fixed) made.
    login(page, "principal")
    open_list(page, "住房链上架申请")
    page.locator("#admin-create").click()
    expect(page.locator("#form-title")).to_have_text("申请上架")
    pick(page, "project_id", PROJECT)
    page.locator("#form-save").click()
    expect(page.locator("#error-project_id")).to_have_text("1 间房缺少上架必填信息：102（来源平台房间编号）")
    shot(page, "chain-apply-refused")
    with Session(engine) as s:
        strip(s, project_id, "102", external_code=f"T{project_id}-102")
        s.commit()
    page.locator("#form-save").click()
    expect(page.get_by_text(re.compile(r"^已申请上架：SL\d{15}。待分行系统管理员审核"))).to_be_visible()
    with Session(engine) as s:
        application = s.exec(select(ChainApplication).where(ChainApplication.project_id == project_id)).one()
        assert (application.state, application.room_count) == (ChainApplyState.PENDING, 5)
    mine = rows(page).filter(has_text=application.number).first
    expect(mine).to_contain_text("待审核")

    # 2. The branch's system admin approves it and runs its batch.
    admin = as_user(browser, base_url, "sysadmin")
    try:
        open_list(admin, "住房链上架申请")
        row = rows(admin).filter(has_text=application.number).first
        _row_act(admin, row, "approve", "审核通过", "资料齐全")
        expect(admin.get_by_text("审核通过成功 1 条")).to_be_visible()
        expect(row).to_contain_text("待上架")
        _row_act(admin, row, "list_now", "立即上架")
        expect(admin.get_by_text(f"立即上架成功 1 条（{application.number} 上架成功 4 间，失败 1 间）")).to_be_visible()
        expect(row).to_contain_text("上架完成")
        shot(admin, "chain-applications-listed")
    finally:
        admin.context.close()

    # 3. The company opens the application's results: each room, the refused one with its reason.
    open_list(page, "住房链上架申请")
    _row_act(page, rows(page).filter(has_text=application.number).first, "results", "上架结果")
    list_ready(page, "/chain/listings")
    expect(page).to_have_url(re.compile(rf"/chain/listings\?f_application_id={application.id}"))
    expect(rows(page)).to_have_count(5)
    failed = rows(page).filter(has_text="104").first
    expect(failed).to_contain_text("上架失败")
    expect(failed).to_contain_text(REASON)
    expect(rows(page).filter(has_text="上架成功")).to_have_count(4)
    shot(page, "chain-listing-results")
    page.locator("#admin-search").fill("104")
    page.locator("#admin-search").press("Enter")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(REASON)
    shot(page, "chain-listing-search")
    with Session(engine) as s:
        results = s.exec(select(ChainListing).where(ChainListing.application_id == application.id)).all()
        assert sorted(x.state.value for x in results) == sorted(["failed"] + ["listed"] * 4)
        assert all(x.state == ListingState.LISTED or x.reason == REASON for x in results)
