"""三表抄表 and 公摊: the plain rules, a month's readings and bills, 公摊 over three masters checked against
an independent computation, tiered prices, 换表, 返销 then redo, imports with bad rows."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app.core import clock
from clss_app.core.results import ActionContext
from clss_app.demo_filing_loans import manager_and_project
from clss_app.services import allocation, bills, meters
from clss_app.services.billing import add_months
from models import (
    Allocation,
    AllocationLine,
    AllocationState,
    Bill,
    BillState,
    Building,
    Contract,
    ContractState,
    Meter,
    MeterKind,
    MeterReplacement,
    PriceUnit,
    PricingStandard,
    ReadingState,
    Room,
    ShareMethod,
    Utility,
    UtilityReading,
)

D = Decimal


# ---------------------------------------------------------------- plain rules


def test_use_is_the_advance_times_the_multiplier_and_a_replacement_adds_both_dials():
    assert meters.use_of(D("100"), D("150.5"), D("1")) == D("50.5")
    assert meters.use_of(D("100"), D("103"), D("20")) == D("60")
    # 换表: the old dial went from 100 to 180, the new one from 5 to 25.
    assert meters.use_of(D("100"), D("25"), D("2"), D("180"), D("5")) == D("200")


def test_a_reading_below_the_last_is_refused_unless_it_is_a_replacement():
    assert "小于上次读数" in meters.reading_problem(D("100"), D("90"), False, None, None)
    assert meters.reading_problem(D("100"), D("90"), True, None, None) == "换表须填写旧表止码和新表起码"
    assert "旧表止码" in meters.reading_problem(D("100"), D("10"), True, D("99"), D("0"))
    assert meters.reading_problem(D("100"), D("10"), True, D("120"), D("0")) == ""
    assert "读数须为" in meters.reading_problem(D("0"), D("-1"), False, None, None)


def test_a_number_too_big_for_a_meter_is_named_not_a_crash():
    # Past Decimal's 28 digits quantize raised InvalidOperation: the grid's cell and the import's row
    # then failed as an unexpected error instead of naming the reading.
    for text in ("1e30", "99999999999999999999999999999", "12345678901"):
        with pytest.raises(ValueError, match=r"读数须为 0 到 9999999999\.99 之间的数"):
            meters.parse_number(text)
    assert meters.parse_number("9,999,999,999.99") == D("9999999999.99")
    # A replacement's dials are readings too; the use they make must fit the column.
    assert "旧表止码须为" in meters.reading_problem(D("100"), D("10"), True, D("1e15"), D("0"))
    assert "新表起码须为" in meters.reading_problem(D("100"), D("10"), True, D("120"), D("-5"))


def test_tiered_prices_charge_each_part_at_its_tier_and_round_once():
    tiers = [(D("400"), D("0.95")), (D("200"), D("0.70"))]  # any order
    assert meters.tiered_amount(D("150"), D("0.65"), tiers) == (D("97.50"), "")
    amount, how = meters.tiered_amount(D("450.5"), D("0.65"), tiers)
    assert amount == (D("200") * D("0.65") + D("200") * D("0.70") + D("50.5") * D("0.95")).quantize(D("0.01"))
    assert how == "200.00 × ¥0.65 + 200.00 × ¥0.70 + 50.50 × ¥0.95"
    assert meters.tiered_amount(D("3.333"), D("5.2"), []) == (D("17.33"), "")


def test_a_jump_over_n_times_the_usual_is_a_warning():
    usual = meters.usual_use([D("100"), D("110"), D("90")])
    assert usual == D("100.00")
    assert meters.jump_warning(D("300"), usual, D("3"), "度") == ""
    assert "超过近3月平均 100.00 度 的 3 倍" in meters.jump_warning(D("301"), usual, D("3"), "度")
    assert meters.jump_warning(D("999"), None, D("3"), "度") == ""  # no history yet


def _independent(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Largest remainder in whole integers (hundredths of the weights), the way a clerk would on paper."""
    cents_total = int(total * 100)
    w = [int(x * 10**6) for x in weights]
    whole = sum(w)
    num = [cents_total * x for x in w]
    parts = [n // whole for n in num]
    rest = sorted(range(len(w)), key=lambda i: (-(num[i] % whole), i))
    for i in rest[: cents_total - sum(parts)]:
        parts[i] += 1
    return [D(c) / 100 for c in parts]


def test_split_adds_up_to_the_cent_and_gives_ties_to_the_first():
    assert allocation.split(D("1.00"), [D(1)] * 3) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocation.split(D("0.02"), [D(1)] * 3) == [D("0.01"), D("0.01"), D("0")]
    weights = [D("35.5"), D("48.25"), D("61"), D("35.5"), D("0")]
    parts = allocation.split(D("1234.57"), weights)
    assert sum(parts) == D("1234.57") and parts == _independent(D("1234.57"), weights)
    with pytest.raises(ValueError):
        allocation.split(D("1.005"), [D(1)])


# ---------------------------------------------------------------- with the demo's data


@pytest.fixture
def world(session):
    """Three master meters in the manager's project's second building: 电 按面积, 水 按户均摊, 电 按用量,
    each with its own rooms' meters and a common-area meter; last month not read yet."""
    p, project = manager_and_project(session)
    b = session.exec(select(Building).where(Building.project_id == project.id).order_by(Building.id)).all()[1]
    rooms = session.exec(select(Room).where(Room.building_id == b.id).order_by(Room.floor_no, Room.number)).all()
    std = {
        u: session.exec(
            select(PricingStandard)
            .where(PricingStandard.project_id == project.id, PricingStandard.unit == u)
            .order_by(PricingStandard.id)
        ).first()
        for u in (PriceUnit.PER_KWH, PriceUnit.PER_TON)
    }
    plan = [
        (Utility.POWER, ShareMethod.BY_AREA, std[PriceUnit.PER_KWH], rooms[0:7]),
        (Utility.WATER, ShareMethod.PER_ROOM, std[PriceUnit.PER_TON], rooms[7:13]),
        (Utility.POWER, ShareMethod.BY_USE, std[PriceUnit.PER_KWH], rooms[13:18]),
    ]
    masters = []
    for k, (utility, method, s_, rs) in enumerate(plan):
        m = Meter(
            project_id=project.id,
            building_id=b.id,
            code=f"T{k}-总",
            name=f"测试总表{k}",
            utility=utility,
            kind=MeterKind.MASTER,
            pricing_id=s_.id,
            share_method=method,
            multiplier=D("10"),
            initial_reading=D("1000"),
        )
        session.add(m)
        session.flush()
        subs = [
            Meter(
                project_id=project.id,
                building_id=b.id,
                room_id=r.id,
                code=f"T{k}-{r.number}",
                name=r.number,
                utility=utility,
                kind=MeterKind.ROOM,
                parent_id=m.id,
                pricing_id=s_.id,
                initial_reading=D("500"),
            )
            for r in rs
        ]
        subs.append(
            Meter(
                project_id=project.id,
                building_id=b.id,
                code=f"T{k}-公共",
                name="公共",
                utility=utility,
                kind=MeterKind.COMMON,
                parent_id=m.id,
                initial_reading=D("0"),
            )
        )
        session.add_all(subs)
        session.flush()
        masters.append((m, subs))
    month = add_months(clock.today().replace(day=1), -1)
    return p, masters, month, month.replace(day=25)


def _read_all(session, p, masters, month, day, extra: Decimal = Decimal("37.3")):
    entries = []
    for k, (m, subs) in enumerate(masters):
        total = D(0)
        for i, sub in enumerate(subs):
            use = D(11 + 7 * i + k) if sub.kind == MeterKind.ROOM else D("20.5")
            total += use
            entries.append(meters.Entry(sub.id, sub.initial_reading + use))
        entries.append(meters.Entry(m.id, m.initial_reading + (total + extra) / m.multiplier))
    out = meters.record(session, p, month, day, entries)
    assert not out.refused, out.refused
    return out


def test_an_allocation_over_three_masters_by_each_method_matches_an_independent_computation(session, world):
    p, masters, month, day = world
    _read_all(session, p, masters, month, day)
    for m, subs in masters:
        a = allocation.allocate(session, p, m, month)
        session.flush()
        # Independently: the uses from the readings table, the rooms' area from theirs.
        uses = dict(
            session.execute(
                sa.select(UtilityReading.meter_id, UtilityReading.use).where(
                    UtilityReading.month == month, UtilityReading.state == ReadingState.VALID
                )
            ).all()
        )
        rooms_use = sum(uses[s.id] for s in subs if s.kind == MeterKind.ROOM)
        common = sum(uses[s.id] for s in subs if s.kind == MeterKind.COMMON)
        shared = uses[m.id] - rooms_use
        price = session.get(PricingStandard, m.pricing_id).unit_price
        whole = (shared * price).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert (a.master_use, a.rooms_use, a.common_use, a.loss, a.amount) == (
            uses[m.id],
            rooms_use,
            common,
            uses[m.id] - rooms_use - common,
            whole,
        )
        room_subs = [s for s in subs if s.kind == MeterKind.ROOM]  # already in building, floor, number order
        area = {r.id: r.area for r in session.exec(select(Room).where(Room.id.in_([s.room_id for s in room_subs])))}
        weights = [
            D(1)
            if m.share_method == ShareMethod.PER_ROOM
            else area[s.room_id]
            if m.share_method == ShareMethod.BY_AREA
            else uses[s.id]
            for s in room_subs
        ]
        expected = dict(zip([s.room_id for s in room_subs], _independent(whole, weights), strict=True))
        lines = session.exec(select(AllocationLine).where(AllocationLine.allocation_id == a.id)).all()
        assert {ln.room_id: ln.amount for ln in lines} == expected
        assert sum(ln.amount for ln in lines) == whole  # to the cent
        # Each let room has a 公摊 bill line naming its share and basis; a vacant room's part has none.
        let = {
            c.room_id
            for c in session.exec(
                select(Contract).where(Contract.room_id.in_(list(expected)), Contract.state == ContractState.ACTIVE)
            )
        }
        for ln in lines:
            if ln.room_id in let and ln.amount > 0:
                bill = session.get_one(Bill, ln.bill_id)
                assert bill.amount == ln.amount and m.share_method.label in bill.remark and "=" in bill.remark
            else:
                assert ln.bill_id is None
    # Done twice is refused: a redo goes through 返销.
    with pytest.raises(allocation.Refused, match="已公摊"):
        allocation.allocate(session, p, masters[0][0], month)


def test_an_allocation_is_refused_without_sub_meters_or_readings(session, world):
    p, masters, month, _ = world
    lonely = Meter(
        project_id=masters[0][0].project_id,
        code="T-孤表",
        name="孤表",
        utility=Utility.GAS,
        kind=MeterKind.MASTER,
        share_method=ShareMethod.PER_ROOM,
        pricing_id=masters[0][0].pricing_id,
    )
    session.add(lonely)
    session.flush()
    with pytest.raises(allocation.Refused, match="没有分表"):
        allocation.allocate(session, p, lonely, month)
    with pytest.raises(allocation.Refused, match="尚未抄表"):
        allocation.allocate(session, p, masters[0][0], month)
    result = allocation.allocate_month(ActionContext(session, p, [lonely], values={"month": month}))
    assert result.done == 0 and "没有分表" in result.refused[0][1]


def test_room_readings_bill_the_tenant_with_tiers_and_the_multiplier(session, world):
    p, masters, month, day = world
    _, subs = masters[0]
    room_meter = subs[0]
    room_meter.multiplier = D("2")
    session.add(room_meter)
    session.flush()
    c = session.exec(
        select(Contract).where(Contract.room_id == room_meter.room_id, Contract.state == ContractState.ACTIVE)
    ).first()
    out = meters.record(session, p, month, day, [meters.Entry(room_meter.id, D("725.25"))])  # 225.25 × 2
    assert out.done == 1
    r = session.get_one(UtilityReading, out.reading_ids[0])
    assert r.use == D("450.50")
    base = session.get(PricingStandard, room_meter.pricing_id).unit_price  # 民用电, the demo's tiers above 200 and 400
    assert r.amount == (200 * base + 200 * D("0.70") + D("50.50") * D("0.95")).quantize(D("0.01"))
    if c is not None:
        bill = session.get_one(Bill, r.bill_id)
        assert (bill.contract_id, bill.amount, bill.state) == (c.id, r.amount, BillState.UNCONFIRMED)
    else:
        assert r.bill_id is None and "未出账" in r.note


def test_tiers_declared_on_the_standard_price_the_bill(session, world):
    from models import PriceTier

    p, masters, month, day = world
    m, subs = masters[1]  # water: no tiers until declared
    std = session.get_one(PricingStandard, m.pricing_id)
    assert meters.tier_problems(session, {"pricing_id": std.id, "above": D("0"), "unit_price": D("1")}) == {
        "above": "须大于 0（0 以下按计费标准的单价）"
    }
    values = {"pricing_id": std.id, "above": D("20"), "unit_price": D("7.80")}
    assert meters.tier_problems(session, values) == {} and values["project_id"] == std.project_id
    session.add(PriceTier(**values))
    session.flush()
    out = meters.record(session, p, month, day, [meters.Entry(subs[1].id, D("525.5"))])  # use 25.5
    r = session.get_one(UtilityReading, out.reading_ids[0])
    assert r.amount == (20 * std.unit_price + D("5.5") * D("7.80")).quantize(D("0.01"))


def test_a_replacement_is_marked_and_kept_in_the_history(session, world):
    p, masters, month, day = world
    sub = masters[1][1][0]
    out = meters.record(session, p, month, day, [meters.Entry(sub.id, D("12"))])
    assert out.done == 0 and "如已换表" in out.refused[0][1]
    out = meters.record(session, p, month, day, [meters.Entry(sub.id, D("12"), "", True, D("530"), D("2"))])
    assert out.done == 1
    r = session.get_one(UtilityReading, out.reading_ids[0])
    assert r.use == D("40") and r.replaced and (r.old_final, r.new_initial) == (D("530"), D("2"))
    swap = session.exec(select(MeterReplacement).where(MeterReplacement.meter_id == sub.id)).one()
    assert (swap.old_final, swap.new_initial, swap.reading_id) == (D("530"), D("2"), r.id)
    # The next month starts from the new dial.
    nxt = meters.history(session, [sub], add_months(month, 1))[sub.id]
    assert nxt.previous == D("12")


def test_bad_rows_are_named_and_nothing_is_written_for_them(session, world, principal_of):
    p, masters, month, day = world
    subs = masters[0][1]
    rows = [
        {"表号": subs[0].code, "本月读数": "560"},
        {"表号": "不存在", "本月读数": "1"},
        {"表号": subs[1].code, "本月读数": "abc"},
        {"表号": subs[2].code, "本月读数": "100"},  # below 500
        {"表号": subs[3].code, "本月读数": "", "是否换表": ""},  # not read this time
        {"表号": subs[5].code, "本月读数": "1e30"},  # too big: named, not a crash
        {"表号": subs[4].code, "本月读数": "20", "是否换表": "是", "旧表止码": "510", "新表起码": "0"},
    ]
    entries, bad = meters.entries_from_sheet(session, subs[0].project_id, rows)
    out = meters.record(session, p, month, day, entries)
    refused = bad + out.refused
    assert [r for r, _ in refused] == [
        "第 3 行 不存在",
        f"第 4 行 {subs[1].code}",
        f"第 7 行 {subs[5].code}",
        f"第 5 行 {subs[2].code}",
    ]
    assert out.done == 2
    written = session.exec(
        select(UtilityReading.meter_id).where(
            UtilityReading.month == month, UtilityReading.meter_id.in_([x.id for x in subs])
        )
    ).all()
    assert sorted(written) == sorted([subs[0].id, subs[4].id])
    # Read again the same month: refused, nothing doubled.
    again = meters.record(session, p, month, day, entries)
    assert again.done == 0 and sum("本月已抄表" in why for _, why in again.refused) == 2
    # Another company's staff: as if the meters did not exist.
    other = meters.record(session, principal_of("principal3"), month, day, [meters.Entry(subs[5].id, D("600"))])
    assert other.done == 0 and other.refused[0][1] == "表不存在或无权访问"


def test_a_jump_is_written_with_its_warning(session, world):
    p, masters, month, day = world
    sub = masters[0][1][0]
    for k in (1, 2, 3):
        earlier = add_months(month, -4 + k)
        assert meters.record(session, p, earlier, earlier.replace(day=25), [meters.Entry(sub.id, 500 + 10 * k)]).done
    # History: 10, 10, 10 a month: 50 is over 3×.
    out = meters.record(session, p, month, day, [meters.Entry(sub.id, D("580"))])
    assert out.done == 1 and "用量异常" in out.warnings[0][1]
    assert "用量异常" in session.get_one(UtilityReading, out.reading_ids[0]).note


def test_reversal_revokes_the_bills_and_redoes_the_allocation_in_one_go(session, world):
    p, masters, month, day = world
    _read_all(session, p, masters, month, day)
    m, subs = masters[2]  # 按用量: a room's wrong reading changes everyone's share
    first = allocation.allocate(session, p, m, month)
    session.flush()
    wrong = session.exec(
        select(UtilityReading).where(UtilityReading.meter_id == subs[0].id, UtilityReading.month == month)
    ).one()
    old_lines = session.exec(select(AllocationLine).where(AllocationLine.allocation_id == first.id)).all()
    old_bills = [b for b in [wrong.bill_id, *(ln.bill_id for ln in old_lines)] if b]
    ctx = ActionContext(session, p, [wrong], text="抄错", values={"reading": wrong.reading + 5})
    result = allocation.reverse_readings(ctx)
    assert result.done == 1 and "公摊已重算" in result.message("返销")
    session.flush()
    assert all(session.get_one(Bill, b).state == BillState.REVOKED for b in old_bills)
    assert session.get_one(UtilityReading, wrong.id).state == ReadingState.REVERSED
    assert session.get_one(Allocation, first.id).state == AllocationState.REVERSED
    redo = session.exec(
        select(Allocation).where(Allocation.master_id == m.id, Allocation.state == AllocationState.DONE)
    ).one()
    right = session.exec(
        select(UtilityReading).where(UtilityReading.meter_id == subs[0].id, UtilityReading.state == ReadingState.VALID)
    ).one()
    assert right.use == wrong.use + 5 and redo.rooms_use == first.rooms_use + 5 and redo.amount < first.amount
    lines = session.exec(select(AllocationLine).where(AllocationLine.allocation_id == redo.id)).all()
    assert sum(ln.amount for ln in lines) == redo.amount


def test_a_reversal_is_refused_whole_when_a_bill_is_paid(session, world):
    p, masters, month, day = world
    _read_all(session, p, masters, month, day)
    m, _ = masters[0]
    a = allocation.allocate(session, p, m, month)
    session.flush()
    billed = session.exec(
        select(AllocationLine).where(AllocationLine.allocation_id == a.id, AllocationLine.bill_id.is_not(None))
    ).first()
    session.execute(
        sa.update(Bill).where(Bill.id == billed.bill_id).values(paid=D("1.00"), state=BillState.PARTLY_PAID)
    )
    reading = session.exec(
        select(UtilityReading).where(UtilityReading.meter_id == m.id, UtilityReading.month == month)
    ).one()
    result = allocation.reverse_readings(ActionContext(session, p, [reading], text="总表抄错", values={}))
    assert result.done == 0 and "不能返销" in result.refused[0][1]
    session.expire_all()
    assert session.get_one(UtilityReading, reading.id).state == ReadingState.VALID  # nothing changed
    assert session.get_one(Allocation, a.id).state == AllocationState.DONE


def test_only_the_latest_reading_of_a_meter_can_be_reversed(session, world):
    p, masters, month, day = world
    sub = masters[0][1][0]
    earlier = add_months(month, -1)
    meters.record(session, p, earlier, earlier.replace(day=25), [meters.Entry(sub.id, D("510"))])
    meters.record(session, p, month, day, [meters.Entry(sub.id, D("520"))])
    old = session.exec(
        select(UtilityReading).where(UtilityReading.meter_id == sub.id, UtilityReading.month == earlier)
    ).one()
    with pytest.raises(allocation.Refused, match="最近一个月"):
        allocation.reverse(session, p, old, "x", None)


def test_the_register_checks_each_kind(session, world):
    _, masters, _, _ = world
    m, _ = masters[0]
    base = dict(project_id=m.project_id, utility=Utility.POWER, multiplier=D(1), initial_reading=D(0))
    assert set(meters.meter_problems(session, {**base, "kind": MeterKind.ROOM})) == {"room_id", "pricing_id"}
    water = masters[1][0]
    problems = meters.meter_problems(
        session, {**base, "kind": MeterKind.MASTER, "parent_id": m.id, "pricing_id": water.pricing_id}
    )
    assert set(problems) == {"parent_id", "share_method", "pricing_id"} and "元/度" in problems["pricing_id"]
    assert meters.meter_problems(
        session, {**base, "kind": MeterKind.COMMON, "parent_id": water.id, "multiplier": D(0)}
    ).keys() == {"parent_id", "multiplier"}


def test_the_month_and_day_are_checked(session, world):
    p, _, month, _ = world
    future = add_months(clock.today().replace(day=1), 1)
    assert meters.record(session, p, future, clock.today(), []).refused[0][1].startswith("月份")
    assert "抄表日期" in meters.record(session, p, month, date(2000, 1, 1), []).refused[0][1]


def test_a_room_month_is_billed_once_through_either_reading_path(session, world):
    """The contract's 抄表 (抄表记录) and 三表抄表 both bill a room's use: the second for the same room, month
    and utility is refused, naming the reading already taken."""
    from clss_app.services import lease_changes

    p, masters, month, day = world
    let = []
    for sub in masters[0][1]:  # the power meters
        c = session.exec(
            select(Contract).where(
                Contract.room_id == sub.room_id,
                Contract.state == ContractState.ACTIVE,
                Contract.start_date <= day,
            )
        ).first()
        if sub.kind == MeterKind.ROOM and c is not None:
            let.append((sub, c))
    (first, c1), (second, c2) = let[0], let[1]

    def contract_read(c, values):
        return lease_changes.read_meters(ActionContext(session, p, [c], values={"read_on": day, **values}))

    # The contract's reading first: the register's reading of that room's power meter is refused …
    power = bills.last_readings(session, c1)["power"] or D(0)
    assert contract_read(c1, {"power": power + 30, "water": None}).done == 1
    out = meters.record(session, p, month, day, [meters.Entry(first.id, first.initial_reading + 30)])
    assert out.done == 0 and out.refused == [
        (
            first.code,
            f"本月已在合同 {c1.number} 的抄表记录中登记电表读数 {power + 30:.2f}（{day}），同一用量不能重复计费",
        )
    ]
    # … and so is its preview in the grid; water, not read on the contract, is another meter's business.
    assert "抄表记录" in meters.preview(session, p, month, meters.Entry(first.id, first.initial_reading + 30))[1]

    # The register's reading first: the contract's power reading that month is refused, its water is not.
    assert meters.record(session, p, month, day, [meters.Entry(second.id, second.initial_reading + 40)]).done == 1
    power = bills.last_readings(session, c2)["power"] or D(0)
    before = session.exec(select(Bill).where(Bill.contract_id == c2.id)).all()
    out = contract_read(c2, {"power": power + 40, "water": None})
    assert out.done == 0 and out.refused == [
        (
            c2.number,
            f"该房间电表（表号 {second.code}）{month:%Y-%m} 已在三表抄表中登记读数 {second.initial_reading + 40:.2f}"
            f"（{day} 抄表），不能重复计费；请不填电表读数，或先在三表抄表中返销该读数",
        )
    ]
    assert session.exec(select(Bill).where(Bill.contract_id == c2.id)).all() == before  # nothing written
    water = bills.last_readings(session, c2)["water"] or D(0)
    assert contract_read(c2, {"power": None, "water": water + 3}).done == 1
    # A later month is another month: the contract's next reading bills from its last one, after the meter's.
    nxt = add_months(month, 1)
    assert bills.metered_already(session, c2, {"power": power + 80}, nxt) == ""
    # But a contract reading bills everything since its last one (or the check-in): a meter read in between,
    # even in an earlier month, was billed already.
    third, c3 = let[2]
    earlier = add_months(month, -1)
    assert (c3.checked_in_on or c3.start_date) < earlier.replace(day=25)  # let before that reading
    assert meters.record(
        session, p, earlier, earlier.replace(day=25), [meters.Entry(third.id, third.initial_reading + 9)]
    ).done
    why = bills.metered_already(session, c3, {"power": D("99999")}, day)
    assert why.startswith(f"该房间电表（表号 {third.code}）{earlier:%Y-%m} 已在三表抄表中登记读数")


def test_a_use_too_big_for_its_column_is_refused(session, world):
    p, masters, month, day = world
    sub = masters[0][1][0]
    sub.multiplier = D("999999.99")
    session.add(sub)
    session.flush()
    out = meters.record(session, p, month, day, [meters.Entry(sub.id, sub.initial_reading + 100000)])
    assert out.done == 0 and out.refused == [
        (sub.code, f"用量 {D('99999999000.00'):f} 超出上限 9999999999.99，请检查读数和倍率")
    ]


def test_an_edit_keeps_what_the_history_stands_on(session, world):
    """A master with sub-meters turned into a room meter (or another utility) left its sub-meters under a
    meter that is no master of theirs; a meter read before moved to another room or utility mixed two
    dials in one history. Both are refused on the field; the rest of the meter may still be edited."""
    p, masters, month, day = world
    m, subs = masters[0]

    def values(meter, **more):
        return {
            k: getattr(meter, k)
            for k in ("project_id", "kind", "utility", "room_id", "parent_id", "pricing_id", "multiplier")
        } | {"initial_reading": meter.initial_reading, "share_method": meter.share_method, **more}

    problems = meters.meter_problems(session, values(m, kind=MeterKind.ROOM), m)
    assert problems == {"kind": "该表下有 8 块分表或公共表，不能修改；如需更换请停用后新建"}
    assert set(meters.meter_problems(session, values(m, utility=Utility.WATER), m)) == {"utility"}
    assert meters.meter_problems(session, values(m, multiplier=D("20")), m) == {}
    sub = subs[0]
    other_room = subs[1].room_id
    assert meters.meter_problems(session, values(sub, room_id=other_room), sub) == {}  # never read: a typo fixed
    assert meters.record(session, p, month, day, [meters.Entry(sub.id, sub.initial_reading + 5)]).done == 1
    assert meters.meter_problems(session, values(sub, room_id=other_room), sub) == {
        "room_id": "该表已有抄表读数，不能修改；如需更换请停用后新建"
    }
    assert meters.meter_problems(session, values(sub, multiplier=D("2")), sub) == {}
