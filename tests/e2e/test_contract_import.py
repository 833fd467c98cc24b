"""合同批量导入 and 在线签约设置 in Chromium: a file with a bad row is refused row by row, fixed and
imported again; the contracts are confirmed in bulk, made real by the nightly batch (its own code, run
here as the daily job would) and billed exactly as the same lease signed in the back office; a system
admin sets a project's 在线签约设置 and is refused a change of 账单类型 the project's contracts forbid."""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from clss_app.services import contract_imports, ledger
from clss_app.services.billing import add_months
from clss_app.services.jobs import SYSTEM
from models import (
    Bill,
    Contract,
    ContractImport,
    ContractState,
    ImportState,
    Project,
    Room,
    RoomStatus,
    Tenant,
)
from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import pick

ENDED = (ContractState.EXPIRED, ContractState.CHECKED_OUT, ContractState.CLOSED, ContractState.VOID)
PROJECT_ID = 1  # 朝阳青年汇: the demo set its 在线签约设置 (对日, 按月, 代扣开启, a 手工录入 门禁卡费)


def _rooms_and_tenants(engine) -> tuple[list[Room], list[Tenant], str]:
    """Three vacant rooms away from the last ones other tests take (two to import, one to sign in the back
    office: the first's twin in area), and two tenants with a 身份证号."""
    with Session(engine, expire_on_commit=False) as s:
        waiting = select(ContractImport.room_id).where(
            ContractImport.state.in_((ImportState.PENDING, ImportState.CONFIRMED))
        )
        vacant = s.exec(
            select(Room)
            .where(Room.project_id == PROJECT_ID, Room.status == RoomStatus.VACANT, Room.id.not_in(waiting))
            .order_by(Room.id.desc())
            .offset(8)
        ).all()
        room_a, room_b, twin = vacant[:3]
        twin.area = room_a.area  # a 元/㎡·月 fee then costs the same; rent and deposit are typed as room_a's
        s.add(twin)
        s.commit()
        project = s.get_one(Project, PROJECT_ID)
        people = s.exec(select(Tenant).where(Tenant.company_id == project.company_id).order_by(Tenant.id.desc())).all()
        names = [t.name for t in people]
        # Named once (the back office's picker finds the first by name), with a 身份证号 to import by.
        tenants = [t for t in people if t.id_number and names.count(t.name) == 1][:2]
        return [room_a, room_b, twin], tenants, project.name


def _sheet(path, project: str, lines: list[tuple[str, str]], start, end) -> None:
    pl.DataFrame(
        {
            "项目": [project] * len(lines),
            "房间": [room for room, _ in lines],
            "租客（证件号码或手机号）": [who for _, who in lines],
            "起租日": [str(start)] * len(lines),
            "到期日": [str(end)] * len(lines),
        }
    ).write_excel(path)


def _schedule(s: Session, contract_id: int) -> list[tuple]:
    return [
        (b.kind, b.fee_name, b.period_no, b.period_start, b.period_end, b.due_date, b.amount, b.state)
        for b in s.exec(select(Bill).where(Bill.contract_id == contract_id).order_by(Bill.fee_key, Bill.period_no))
    ]


def test_an_import_with_a_bad_row_is_fixed_confirmed_made_real_and_billed_as_signing(page, app_db, tmp_path):
    engine = create_engine(app_db)
    (room_a, room_b, twin), (t1, t2), project = _rooms_and_tenants(engine)
    today = clock.today()
    start = today + timedelta(days=5)
    end = add_months(start, 12) - timedelta(days=1)

    login(page, "manager")
    open_list(page, "合同导入")
    page.locator("#admin-import").click()
    bad = tmp_path / "contracts-bad.xlsx"
    _sheet(bad, project, [(room_a.number, t1.id_number), (room_b.number, "13800009999")], start, end)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(bad))
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.nth(0)).to_contain_text("3")
    expect(errors.nth(0)).to_contain_text("本企业没有证件号码或手机号为“13800009999”的租客")
    expect(page.locator("#import-commit")).to_be_disabled()
    shot(page, "contract-import-errors")
    good = tmp_path / "contracts.xlsx"
    _sheet(good, project, [(room_a.number, t1.id_number), (room_b.number, t2.phone)], start, end)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(good))
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 2 条")).to_be_visible()
    with Session(engine) as s:
        imported = s.exec(
            select(ContractImport).where(ContractImport.room_id.in_([room_a.id, room_b.id])).order_by(ContractImport.id)
        ).all()
        assert [(r.state, r.tenant_id) for r in imported] == [
            (ImportState.PENDING, t1.id),
            (ImportState.PENDING, t2.id),
        ]
        made = select(sa.func.count()).where(  # a vacant room may hold an ended contract: only new ones count
            Contract.room_id.in_([room_a.id, room_b.id]), Contract.state.not_in(ENDED)
        )
        assert s.execute(made).scalar_one() == 0
        batch = imported[0].import_batch_id

    # 批量确认 the two rows of this import (the list filtered to its batch, as 导入批次管理's 查看 opens it).
    go(page, f"/contracts/imports?f_import_batch_id={batch}")
    expect(rows(page)).to_have_count(2)
    page.locator("#select-page").click()
    page.locator("#action-confirm").click()
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("确认成功 2 条")).to_be_visible()
    expect(rows(page).filter(has_text=room_a.number)).to_contain_text("待执行")
    shot(page, "contract-import-confirmed")

    # The nightly batch of today (the daily job runs it once the day is over): the same code, run here.
    with Session(engine) as s:
        signed, failed = contract_imports.sign_confirmed(s, SYSTEM, today)  # the demo's row of today too
        s.commit()
        assert signed >= 2, failed
        assert contract_imports.sign_confirmed(s, SYSTEM, today) == (0, 0)  # run twice: nothing doubled
        s.commit()
    page.reload()
    first = rows(page).filter(has_text=room_a.number)
    expect(first).to_contain_text("已生成")
    expect(first).to_contain_text(re.compile(r"HT\d{14}"))
    shot(page, "contract-import-formal")

    # The same lease signed in the back office, on a room of the same area, at the same rent and deposit.
    go(page, "/contracts")
    page.locator("#admin-create").click()
    pick(page, "room_id", twin.number, f"{twin.number}（{project}）")
    pick(page, "tenant_id", t1.name)
    page.locator("#field-start_date").fill(str(start))
    page.locator("#field-end_date").fill(str(end))
    page.locator("#field-monthly_rent").fill(str(room_a.rent))
    page.locator("#field-deposit").fill(str(room_a.deposit))
    page.locator("#form-save").click()
    expect(page.get_by_text("已生成全部账期账单")).to_be_visible()
    with Session(engine) as s:
        made = s.get_one(ContractImport, imported[0].id)
        real = s.get_one(Contract, made.contract_id)
        signed = s.exec(
            select(Contract).where(Contract.room_id == twin.id, Contract.state == ContractState.SIGNED)
        ).one()
        assert real.state == ContractState.SIGNED and real.number == made.contract_no
        billed = _schedule(s, real.id or 0)
        assert ("门禁卡费", 20) in [(b[1], b[6]) for b in billed]  # the project's 手工录入 fee at its default
        assert billed == _schedule(s, signed.id or 0)
        assert ledger.mismatches(s) == []
    go(page, f"/finance/bills?f_contract_id={real.id}")
    expect(rows(page).first).to_be_visible()
    shot(page, "contract-import-bills")


def test_a_system_admin_sets_a_projects_online_signing(page, app_db):
    engine = create_engine(app_db)
    with Session(engine) as s:
        project = s.exec(select(Project).where(Project.name == "海淀悦居")).one()
        mixed = s.execute(
            select(sa.func.count()).where(
                Contract.project_id == project.id,
                Contract.state.in_((ContractState.PENDING_REVIEW, ContractState.SIGNED, ContractState.ACTIVE)),
                Contract.bill_mode == "same_day",
            )
        ).scalar_one()
    login(page, "sysadmin")
    open_list(page, "项目参数")
    row = rows(page).filter(has_text="海淀悦居").first
    row.get_by_role("button", name="编辑", exact=True).click()
    page.locator("#field-contract_terms").fill("一、本项目合同条款第一条。\n二、押金一个月，退租结清后退还。")
    page.locator("#field-withhold_enabled").click()
    page.get_by_role("option", name="是", exact=True).click()
    page.locator("#field-withhold_day").fill("28")
    page.locator("#field-bill_mode").click()
    page.get_by_role("option", name="月初", exact=True).click()
    page.locator("#form-save").click()
    expect(page.locator("#error-bill_mode")).to_contain_text(f"本项目还有 {mixed} 份未结束的非“月初”合同")
    shot(page, "signing-settings-refused")
    page.locator("#field-bill_mode").click()
    page.get_by_role("option", name="对日", exact=True).click()
    page.locator("#form-save").click()
    expect(page.locator("#error-bill_mode")).to_contain_text("非“对日”合同")
    page.keyboard.press("Escape")
    page.reload()
    row = rows(page).filter(has_text="海淀悦居").first
    row.get_by_role("button", name="编辑", exact=True).click()
    page.locator("#field-contract_terms").fill("一、本项目合同条款第一条。\n二、押金一个月，退租结清后退还。")
    page.locator("#field-withhold_enabled").click()
    page.get_by_role("option", name="是", exact=True).click()
    page.locator("#field-withhold_day").fill("28")
    page.locator("#form-save").click()
    expect(page.get_by_text(re.compile("已保存"))).to_be_visible()
    row = rows(page).filter(has_text="海淀悦居").first
    expect(row).to_contain_text("是")
    expect(row).to_contain_text("28")
    shot(page, "signing-settings-saved")
    with Session(engine) as s:
        saved = s.exec(select(Project).where(Project.name == "海淀悦居")).one()
        assert (saved.withhold_enabled, saved.withhold_day, saved.bill_mode) == (True, 28, None)
        assert saved.contract_terms.startswith("一、本项目合同条款第一条。")
