"""报修与工单 in Chromium: 刘店助 登记s a repair with a photo, 陈店长 审核s and 派工s it to an 外委单位, then 二次派工s
it to 刘店助 (the first 派工 kept), who 接单s and 回单s with a charge to the tenant (the 非合同类 bill appears in
账单管理), 回访s (6 refused at the field) and 陈店长 归档s. The demo's overdue order shows as a wrench on the
房态图 and under 待我处理, whose link lists it."""

from __future__ import annotations

import re

from PIL import Image
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.services import repairs
from models import Bill, BillKind, Contract, ContractState, RepairDispatch, RepairOrder, RepairState, Room
from tests.e2e.conftest import go, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user

DESCRIPTION = "E2E 厨房燃气灶无法点火"


def _photo(tmp_path) -> str:
    path = tmp_path / "repair.png"
    Image.new("RGB", (64, 48), (200, 80, 60)).save(path)
    return str(path)


def _row(page, number: str):
    go(page, f"/repairs/orders?q={number}")
    row = rows(page).filter(has_text=number).first
    expect(row).to_be_visible()
    return row


def _act(page, number: str, name: str, label: str, more: bool = False) -> None:
    row = _row(page, number)
    if more:
        row.locator("[data-row-action=more]").click()
        page.get_by_role("menuitem", name=label, exact=True).click()
    else:
        button = row.locator(f"[data-row-action={name}]")
        expect(button).to_have_text(label)
        button.click()
    expect(page.locator("#confirm-title")).to_contain_text(label)


def _ok(page, label: str) -> None:
    page.locator("#confirm-ok").click()
    expect(page.get_by_text(f"{label}成功 1 条").first).to_be_visible()


def _select(page, field: str, option: str) -> None:
    page.locator(f"#field-{field}").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_a_repair_from_registration_to_archive(browser, base_url, app_db, tmp_path):
    engine = create_engine(app_db)
    with Session(engine) as s:
        busy = select(RepairOrder.room_id)
        contract = s.exec(
            select(Contract)
            .where(Contract.project_id == 1, Contract.state == ContractState.ACTIVE, Contract.room_id.not_in(busy))
            .order_by(Contract.id.desc())
        ).first()
        room = s.get_one(Room, contract.room_id)
    photo = _photo(tmp_path)
    a = as_user(browser, base_url, "assistant")
    m = as_user(browser, base_url, "manager")
    try:
        # 登记 (店助): the room, the category, the description, a photo.
        go(a, "/repairs/orders")
        a.locator("#admin-create").click()
        a.locator("#fk-room_id").click()
        a.locator("[data-fk-search=room_id]").fill(room.number)
        a.locator(f"[data-option^='{room.number}']").first.click()
        _select(a, "category", "家电")
        a.locator("#field-description").fill(DESCRIPTION)
        a.locator("#field-preferred_time").fill("周六上午")
        a.locator("#upload-photos input[type=file]").set_input_files(photo)
        expect(a.locator("#images-photos img")).to_have_count(1)
        shot(a, "repairs-register-form")
        a.locator("#form-save").click()
        expect(a.get_by_text(re.compile(r"已登记报修 BX\d{12}"))).to_be_visible()
        with Session(engine) as s:
            order = s.exec(select(RepairOrder).where(RepairOrder.description == DESCRIPTION)).one()
            assert (order.state, order.tenant_id) == (RepairState.PENDING, contract.tenant_id)
        number = order.number
        expect(_row(a, number)).to_contain_text("待审核")
        expect(_row(a, number).locator("[data-row-action=approve]")).to_have_count(0)  # 审核 is the manager's

        # 审核, 派工 to the vendor, then 二次派工 to 刘店助 (店长).
        _act(m, number, "approve", "审核通过")
        _ok(m, "审核通过")
        _act(m, number, "dispatch", "派工")
        m.locator("#input-assignee").select_option(label="外委：安居家电网络售后")
        m.locator("#input-note").fill("先请外委上门检测")
        shot(m, "repairs-dispatch-dialog")
        _ok(m, "派工")
        expect(_row(m, number)).to_contain_text("已派工")
        _act(m, number, "redispatch", "二次派工", more=True)
        m.locator("#input-assignee").select_option(label="员工：刘店助（店助）")
        _ok(m, "二次派工")
        with Session(engine) as s:
            sent = s.exec(select(RepairDispatch).where(RepairDispatch.order_id == order.id)).all()
            assert [(d.seq, bool(d.vendor_id), bool(d.assignee_id)) for d in sent] == [
                (1, True, False),
                (2, False, True),
            ]

        # 接单, 回单 with a charge to the tenant (店助).
        _act(a, number, "accept", "接单")
        _ok(a, "接单")
        _act(a, number, "report", "填写回单")
        a.locator("#confirm-ok").click()
        expect(a).to_have_url(re.compile(r"/repairs/reports\?f_order_id=\d+&new=1"))
        a.locator("#field-work_done").fill("更换点火针并清理燃气灶头")
        a.locator("#field-materials").fill("点火针 1 个")
        a.locator("#field-cost").fill("80")
        _select(a, "charge_tenant", "是")
        a.locator("#upload-photos input[type=file]").set_input_files(photo)
        expect(a.locator("#images-photos img")).to_have_count(1)
        shot(a, "repairs-report-form")
        a.locator("#form-save").click()
        expect(a.get_by_text(re.compile("已回单，待回访；已为租客生成维修费账单"))).to_be_visible()

        # The 非合同类 bill in 账单管理.
        go(a, f"/finance/bills?f_contract_id={contract.id}&f_kind=extra")
        bill_row = rows(a).filter(has_text="维修费").first
        expect(bill_row).to_contain_text("¥80.00")
        expect(bill_row).to_contain_text("未确认")
        shot(a, "repairs-tenant-bill")
        with Session(engine) as s:
            bill = s.exec(select(Bill).where(Bill.remark == f"报修工单 {number}")).one()
            assert (bill.kind, bill.contract_id, str(bill.amount)) == (BillKind.EXTRA, contract.id, "80.00")

        # 回访 (店助): 6 is refused at its field, 5 taken.
        _act(a, number, "visit", "回访")
        a.locator("#input-satisfaction").fill("6")
        a.locator("#confirm-ok").click()
        expect(a.locator("#input-error-satisfaction")).to_be_visible()
        a.locator("#input-satisfaction").fill("5")
        a.locator("#input-visit_comment").fill("师傅上门很快")
        _ok(a, "回访")

        # 归档 (店长); the detail tells the story, the 派工 history kept.
        _act(m, number, "archive", "归档")
        _ok(m, "归档")
        row = _row(m, number)
        expect(row).to_contain_text("已归档")
        row.get_by_text("查看").click()
        expect(m.locator("#detail-state")).to_have_text("已归档")
        tab = m.get_by_role("tab").filter(has_text="派工记录")
        expect(tab).to_have_text(re.compile(r"派工记录\s*2"))
        tab.click()
        m.wait_for_timeout(400)
        shot(m, "repairs-detail-archived")
    finally:
        a.context.close()
        m.context.close()


def test_the_overdue_order_shows_on_the_board_and_under_my_work(browser, base_url, app_db):
    engine = create_engine(app_db)
    with Session(engine) as s:
        from clss_app.core import clock

        late = s.exec(select(RepairOrder).where(repairs.overdue_sql(clock.now()))).all()
        assert len(late) == 1
        room = s.get_one(Room, late[0].room_id)
    a = as_user(browser, base_url, "assistant")
    try:
        todo = a.locator("#table-todo")
        expect(todo).to_contain_text("超时未回单工单")
        shot(a, "repairs-home-todo")
        todo.get_by_role("link", name="超时未回单工单").click()
        expect(a).to_have_url(re.compile(r"/repairs/orders\?f_state=dispatched,accepted&f_due_at__lte="))
        expect(rows(a)).to_have_count(1)
        expect(rows(a).first).to_contain_text("冰箱不制冷")
        shot(a, "repairs-overdue-list")

        a.goto("/workbench")
        tile = a.locator(f"#board .clss-tile[data-room='{room.number}']")
        expect(tile).to_have_class(re.compile(r"\bm-fix\b"))
        expect(a.locator("#board-mark-repair")).to_contain_text("1")
        expect(a.locator("#board .clss-tile.m-fix")).to_have_count(1)
        tile.scroll_into_view_if_needed()
        shot(a, "repairs-board-wrench")
    finally:
        a.context.close()


def test_the_report_shows_the_months_figures_and_opens_the_orders_behind_them(browser, base_url, app_db):
    from clss_app.core import clock

    engine = create_engine(app_db)
    with Session(engine) as s:
        twice = s.exec(select(RepairOrder).where(RepairOrder.dispatch_count >= 2).order_by(RepairOrder.id)).first()
        month = twice.created_at.astimezone(clock.SHANGHAI).date().replace(day=1)
        ours = [
            o
            for o in s.exec(select(RepairOrder).where(RepairOrder.project_id == twice.project_id)).all()
            if o.created_at.astimezone(clock.SHANGHAI).date().replace(day=1) == month
        ]
    dispatched = [o for o in ours if o.dispatch_count >= 1]
    again = [o for o in dispatched if o.dispatch_count >= 2]
    m = as_user(browser, base_url, "manager")
    try:
        m.goto("/repairs/stats")
        m.locator("#dash-filter-project").select_option(str(twice.project_id))
        m.locator("#dash-filter-month").select_option(f"{month:%Y-%m}")
        expect(m.locator("#stat-orders")).to_have_text(str(len(ours)))
        expect(m.locator("#stat-redispatch")).to_have_text(f"{len(again) / len(dispatched) * 100:.1f}%")
        expect(m.locator("#stat-note-redispatch")).to_have_text(f"二次派工 {len(again)} / 已派工 {len(dispatched)}")
        m.wait_for_timeout(400)
        shot(m, "repairs-report-dashboard")
        m.locator("#stat-link-redispatch").click()
        expect(m).to_have_url(re.compile(r"/repairs/orders\?.*f_dispatch_count__gte=2"))
        expect(rows(m)).to_have_count(len(again))
    finally:
        m.context.close()
