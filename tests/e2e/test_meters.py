"""三表抄表 in Chromium: the store manager reads this month's electricity of the demo's 1号楼 — the first
rooms typed in the grid (Enter moves on; a reading below the last is refused until marked 换表), the rest
imported from an Excel file (bad rows named, nothing written for them) — runs the 公摊 of the building's
master meter, then 返销 a wrong room reading with the right one: its bill revoked, the 公摊 redone, and
the parts still add up to the cent."""

from __future__ import annotations

import math
from decimal import Decimal

import polars as pl
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from clss_app.services import ledger, meters
from models import (
    Allocation,
    AllocationLine,
    AllocationState,
    Bill,
    BillState,
    Meter,
    MeterKind,
    ReadingState,
    Utility,
    UtilityReading,
)
from tests.app_server import ARTIFACTS
from tests.e2e.conftest import go, login, shot
from tests.e2e.test_admin_engine import rows

TYPED = 4  # rooms read by keyboard; the rest of the building comes from the sheet


def _building_meters(s: Session) -> tuple[Meter, list[Meter], dict[int, Decimal]]:
    master = s.exec(select(Meter).where(Meter.kind == MeterKind.MASTER, Meter.utility == Utility.POWER)).first()
    subs = list(s.exec(select(Meter).where(Meter.parent_id == master.id)))
    month = clock.today().replace(day=1)
    hist = meters.history(s, [master, *subs], month)
    return master, subs, {m.id: hist[m.id].previous for m in [master, *subs]}


def test_a_month_of_readings_typed_and_imported_then_shared_and_a_reading_reversed(page, app_db):
    engine = create_engine(app_db)
    month = clock.today().replace(day=1)
    with Session(engine) as s:
        master, subs, previous = _building_meters(s)
        grid = meters.grid(s, _manager(s), master.building_id, Utility.POWER, month)
    room_rows = [r for r in grid if r["kind"] == "分表"]
    uses = {int(r["id"]): Decimal(80 + 3 * i) for i, r in enumerate(room_rows)}

    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    page.goto("/meters/entry")
    expect(page.locator("#meter-grid")).to_contain_text(room_rows[0]["code"])
    # Keyboard: type a reading, Enter to the next row's; the third is below its last reading.
    first = page.locator(f"#meter-input-{room_rows[0]['code']}")
    first.click()
    for i, r in enumerate(room_rows[:TYPED]):
        value = previous[int(r["id"])] + uses[int(r["id"])] if i != 2 else Decimal("25.00")  # a new meter's dial
        page.keyboard.type(str(value))
        page.keyboard.press("Enter")
    bad = room_rows[2]
    expect(page.locator(f"#meter-row-{bad['code']}")).to_contain_text("小于上次读数")
    expect(page.locator(f"#meter-row-{room_rows[1]['code']}")).to_contain_text(f"{uses[int(room_rows[1]['id'])]:.2f}")
    shot(page, "meters-grid-typed")
    # Marked 换表: the old dial's final reading and the new one's start make it good.
    old_final = previous[int(bad["id"])] + 10
    page.locator(f"#meter-swap-{bad['code']}").click()
    page.locator(f"#meter-old_final-{bad['code']}").fill(str(old_final))
    page.keyboard.press("Tab")
    page.locator(f"#meter-new_initial-{bad['code']}").fill("0")
    page.keyboard.press("Tab")
    uses[int(bad["id"])] = Decimal(10 + 25)  # the old dial's last 10, the new one's 25
    expect(page.locator(f"#meter-row-{bad['code']}")).not_to_contain_text("小于上次读数")
    expect(page.locator(f"#meter-row-{bad['code']}")).to_contain_text("35.00")
    page.locator("#meter-save").click()
    expect(page.locator("#meter-outcome")).to_contain_text(f"保存成功 {TYPED} 条")
    expect(page.locator(f"#meter-row-{room_rows[0]['code']}")).to_contain_text("已录入")
    shot(page, "meters-grid-saved")

    # The rest from a sheet: each room, the lift and the master; one unknown meter and one reading too low.
    common = next(m for m in subs if m.kind == MeterKind.COMMON)
    total = sum(uses.values()) + 400
    master_reading = previous[master.id] + Decimal(math.ceil((total + 60) / master.multiplier * 100)) / 100
    sheet = {"表号": [], "本月读数": []}
    for r in room_rows[TYPED:]:
        sheet["表号"].append(r["code"])
        sheet["本月读数"].append(str(previous[int(r["id"])] + uses[int(r["id"])]))
    sheet["表号"] += [common.code, master.code, "E-不存在", room_rows[TYPED]["code"]]
    sheet["本月读数"] += [str(previous[common.id] + 400), str(master_reading), "12", "1"]
    path = ARTIFACTS / "meters-import.xlsx"
    pl.DataFrame(sheet).write_excel(path)
    page.locator("#meter-import-upload input[type=file]").set_input_files(str(path))
    n = len(room_rows) - TYPED + 2
    expect(page.locator("#meter-outcome")).to_contain_text(f"导入成功 {n} 条")
    expect(page.locator("#meter-outcome")).to_contain_text("未写入 2 条")
    problems = page.locator("#meter-problems")
    expect(problems).to_contain_text(f"第 {len(room_rows) - TYPED + 4} 行 E-不存在：表号不存在于本项目")
    expect(problems).to_contain_text("同一块表重复填写")  # a second row of the same meter
    shot(page, "meters-grid-imported")
    with Session(engine) as s:
        read = s.exec(
            select(UtilityReading).where(UtilityReading.month == month, UtilityReading.state == ReadingState.VALID)
        ).all()
        assert {r.meter_id for r in read} == {master.id, *(m.id for m in subs)}

    # 公摊计算 on the master meter (按面积).
    go(page, "/meters/register?f_kind=master")
    row = rows(page).filter(has_text=master.code).first
    row.locator("[data-row-action=allocate]").click()
    page.locator("#input-month").fill(f"{month:%Y-%m}")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("公摊计算成功 1 条")).to_be_visible()
    with Session(engine) as s:
        first_alloc = s.exec(
            select(Allocation).where(Allocation.master_id == master.id, Allocation.month == month)
        ).one()
        lines = s.exec(select(AllocationLine).where(AllocationLine.allocation_id == first_alloc.id)).all()
        assert sum(ln.amount for ln in lines) == first_alloc.amount > 0
    go(page, f"/meters/allocation-lines?f_allocation_id={first_alloc.id}")
    expect(rows(page).first).to_be_visible()
    shot(page, "meters-allocation-lines")

    # 返销 a room's reading with the right one: its bill revoked, the 公摊 redone in the same go.
    wrong_meter = int(room_rows[1]["id"])
    with Session(engine) as s:
        wrong = s.exec(
            select(UtilityReading).where(UtilityReading.meter_id == wrong_meter, UtilityReading.month == month)
        ).one()
    go(page, f"/meters/readings?f_meter_id={wrong_meter}&f_state=valid")
    rows(page).first.locator("input[type=checkbox]").click()
    page.locator("#action-reverse").click()
    page.locator("#input-reading").fill(str(wrong.reading - 20))
    page.locator("#confirm-input").fill("抄错一位")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("返销成功 1 条")).to_be_visible()
    expect(page.get_by_text("公摊已重算")).to_be_visible()
    shot(page, "meters-reversed")
    with Session(engine) as s:
        assert s.get(UtilityReading, wrong.id).state == ReadingState.REVERSED
        if wrong.bill_id:
            assert s.get(Bill, wrong.bill_id).state == BillState.REVOKED
        assert s.get(Allocation, first_alloc.id).state == AllocationState.REVERSED
        redo = s.exec(
            select(Allocation).where(
                Allocation.master_id == master.id, Allocation.month == month, Allocation.state == AllocationState.DONE
            )
        ).one()
        lines = s.exec(select(AllocationLine).where(AllocationLine.allocation_id == redo.id)).all()
        assert sum(ln.amount for ln in lines) == redo.amount and redo.rooms_use == first_alloc.rooms_use - 20
        assert ledger.mismatches(s) == []

    page.goto(f"/meters/report?project={master.project_id}&month={month:%Y-%m}")
    expect(page.locator("#table-masters")).to_contain_text(master.code)
    shot(page, "meters-report")


def _manager(s: Session):
    from clss_app.demo_filing_loans import manager_and_project

    return manager_and_project(s)[0]
