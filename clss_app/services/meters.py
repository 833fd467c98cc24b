"""三表抄表: the meter register's rules, a month's readings and the utility bills they make.

A month's reading of a meter is checked against the one before it (or the meter's initial reading): a
reading below it is refused unless it is a 换表 (old meter's final reading, new meter's initial one),
and a use over N× the usual (the average of its last months; N is the city's 用量异常倍数) is written
with a warning. Use = (reading − previous) × 倍率, or for a 换表 (old final − previous) + (reading − new
initial), × 倍率. A room meter's use is billed to the room's tenant (the contract 执行中 on the reading
day) at its pricing standard, by 阶梯 where the standard declares tiers; a room without a tenant has
its reading and no bill. Everything is written in bulk (one INSERT per table for a whole building or
project), so a month of 10,000 rooms takes seconds (benchmarks/meter_month.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit, clock
from clss_app.core.money import cents
from clss_app.core.rows import saved_id, table_of
from clss_app.services import params
from clss_app.services.billing import month_end
from clss_app.services.bills import payer_for
from clss_app.services.permissions import Principal, in_scope
from models import (
    Bill,
    BillKind,
    BillState,
    Building,
    Contract,
    ContractState,
    FeeItem,
    FeeKind,
    MasterLease,
    Meter,
    MeterKind,
    MeterReading,
    MeterReplacement,
    Payer,
    PriceTier,
    PriceUnit,
    PricingStandard,
    Project,
    ReadingState,
    Room,
    Utility,
    UtilityReading,
    utcnow,
)

UNIT_OF = {Utility.POWER: PriceUnit.PER_KWH, Utility.WATER: PriceUnit.PER_TON, Utility.GAS: PriceUnit.PER_M3}
WORD_OF = {Utility.POWER: "度", Utility.WATER: "吨", Utility.GAS: "m³"}
USUAL_MONTHS = 3  # the usual use: the average of this many last readings
CHUNK = 900  # ids per IN (…): under SQLite's bound-parameter limit
ZERO = Decimal("0.00")
MAX_READING = Decimal("9999999999.99")
RANGE = "须为 0 到 9999999999.99 之间的数"


# ---------------------------------------------------------------- the rules, plain


def use_of(
    previous: Decimal,
    reading: Decimal,
    multiplier: Decimal,
    old_final: Decimal | None = None,
    new_initial: Decimal | None = None,
) -> Decimal:
    """The month's use: the dial's advance × 倍率; across a 换表 the old dial's last advance plus the new one's."""
    if old_final is not None and new_initial is not None:
        return (old_final - previous + reading - new_initial) * multiplier
    return (reading - previous) * multiplier


def reading_problem(
    previous: Decimal, reading: Decimal, replaced: bool, old_final: Decimal | None, new_initial: Decimal | None
) -> str:
    """Why a reading cannot be taken ("" if it can)."""
    if reading < 0 or reading > MAX_READING:
        return "读数" + RANGE
    if not replaced:
        if reading < previous:
            return f"本次读数 {reading} 小于上次读数 {previous}；如已换表请标记换表并填写旧表止码、新表起码"
        return ""
    if old_final is None or new_initial is None:
        return "换表须填写旧表止码和新表起码"
    for name, value in (("旧表止码", old_final), ("新表起码", new_initial)):
        if not 0 <= value <= MAX_READING:
            return name + RANGE
    if old_final < previous:
        return f"旧表止码 {old_final} 小于上次读数 {previous}"
    if new_initial < 0 or reading < new_initial:
        return f"本次读数 {reading} 小于新表起码 {new_initial}"
    return ""


def usual_use(uses: Sequence[Decimal]) -> Decimal | None:
    """The average of the last months' use (None before a first month)."""
    return cents(sum(uses, ZERO) / len(uses)) if uses else None


def jump_warning(use: Decimal, usual: Decimal | None, ratio: Decimal, unit: str) -> str:
    if usual is not None and usual > 0 and use > usual * ratio:
        return f"用量异常：本月 {cents(use)} {unit}，超过近{USUAL_MONTHS}月平均 {usual} {unit} 的 {ratio} 倍"
    return ""


def tiered_amount(use: Decimal, base: Decimal, tiers: Sequence[tuple[Decimal, Decimal]]) -> tuple[Decimal, str]:
    """(amount, how it was priced): the use below the first tier at ``base``, each tier's part at its
    price (tiers: (above, price), any order); rounded half-up to the cent once, at the end."""
    steps = [(ZERO, base), *sorted(tiers)]
    total, parts = Decimal(0), []
    for i, (start, price) in enumerate(steps):
        stop = steps[i + 1][0] if i + 1 < len(steps) else None
        part = max(ZERO, (use if stop is None else min(use, stop)) - start)
        if part > 0:
            total += part * price
            parts.append(f"{cents(part)} × ¥{price}")
    return cents(total), " + ".join(parts) if len(parts) > 1 else ""


def parse_number(raw: object) -> Decimal | None:
    """A typed or imported reading ("1,234.5", 1234.5): None when empty; FieldError text via ValueError."""
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text[:20]}”不是数字") from None
    if not value.is_finite():
        raise ValueError(f"“{text[:20]}”不是数字")
    if not 0 <= value <= MAX_READING:  # before quantize: past 28 digits it raises InvalidOperation
        raise ValueError("读数" + RANGE)
    return value.quantize(Decimal("0.01"))


# ---------------------------------------------------------------- the register


def meter_problems(session: Session, values: dict, row: Meter | None = None) -> dict[str, str]:
    """A meter's fields checked together (form and import): what each kind needs. An edit keeps what its
    history stands on: a master with sub-meters stays a master of its utility, and a meter read before
    keeps its project, utility, kind and room (a new meter there is a new row; this one is 停用)."""
    errors: dict[str, str] = {}
    if row is not None and row.id is not None:
        subs = session.execute(sa.select(sa.func.count()).where(Meter.parent_id == row.id)).scalar_one()
        read = session.execute(sa.select(UtilityReading.id).where(UtilityReading.meter_id == row.id).limit(1)).first()
        fixed = ["project_id", "utility", "kind"] if subs else []
        fixed += ["project_id", "utility", "kind", "room_id"] if read else []
        why = f"该表下有 {subs} 块分表或公共表，" if subs else "该表已有抄表读数，"
        for name in dict.fromkeys(fixed):
            if name in values and values[name] != getattr(row, name):
                errors[name] = why + "不能修改；如需更换请停用后新建"
        if errors:
            return errors
    kind, utility = values.get("kind"), values.get("utility")
    room = session.get(Room, values["room_id"]) if values.get("room_id") else None
    if kind == MeterKind.ROOM and room is None:
        errors["room_id"] = "分表须选择房间"
    if kind != MeterKind.ROOM and room is not None:
        errors["room_id"] = "只有分表对应房间"
    if room is not None and room.project_id != values.get("project_id"):
        errors["room_id"] = "房间不在所选项目中"
    parent = session.get(Meter, values["parent_id"]) if values.get("parent_id") else None
    if kind == MeterKind.MASTER:
        if parent is not None:
            errors["parent_id"] = "总表不能再挂在其他总表下"
        if values.get("share_method") is None:
            errors["share_method"] = "总表须选择公摊方式"
    elif parent is not None and (
        parent.kind != MeterKind.MASTER or parent.project_id != values.get("project_id") or parent.utility != utility
    ):
        errors["parent_id"] = "所属总表须为本项目同类别的总表"
    if (values.get("multiplier") or 0) <= 0:
        errors["multiplier"] = "倍率须大于 0"
    if (values.get("initial_reading") or 0) < 0:
        errors["initial_reading"] = "初始读数不能为负数"
    std = session.get(PricingStandard, values["pricing_id"]) if values.get("pricing_id") else None
    if std is None and kind in (MeterKind.ROOM, MeterKind.MASTER):
        errors["pricing_id"] = "分表和总表须选择计费标准（公摊按总表的计费标准计价）"
    elif std is not None:
        item = session.get(FeeItem, std.fee_item_id)
        if std.project_id != values.get("project_id") or item is None or item.kind != FeeKind.METERED:
            errors["pricing_id"] = "须为本项目走表类费项的计费标准"
        elif utility in UNIT_OF and std.unit != UNIT_OF[Utility(utility)]:
            errors["pricing_id"] = f"{Utility(utility).label}表须按{UNIT_OF[Utility(utility)].label}计价"
    return errors


def prepare_meter(session: Session, values: dict) -> None:
    """A room meter sits in its room's building; a master meter keeps its share method, the others none."""
    room = session.get(Room, values["room_id"]) if values.get("room_id") else None
    if room is not None:
        values["building_id"] = room.building_id
    if values.get("kind") != MeterKind.MASTER:
        values["share_method"] = None


def tier_problems(session: Session, values: dict) -> dict[str, str]:
    std = session.get(PricingStandard, values["pricing_id"]) if values.get("pricing_id") else None
    if std is None or std.unit not in UNIT_OF.values():
        return {"pricing_id": "阶梯价格只适用于按度、吨、m³ 计价的计费标准"}
    if (values.get("above") or 0) <= 0:
        return {"above": "须大于 0（0 以下按计费标准的单价）"}
    if (values.get("unit_price") or 0) < 0:
        return {"unit_price": "单价不能为负数"}
    values["project_id"] = std.project_id
    return {}


# ---------------------------------------------------------------- a month's history of meters


@dataclass
class History:
    previous: Decimal  # the reading the month starts from
    uses: list[Decimal] = field(default_factory=list)  # the last months' use, newest first
    this_month: UtilityReading | None = None
    later: bool = False  # a later month is read already


def chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def history(session: Session, meters: Sequence[Any], month: date) -> dict[int, History]:
    """(``meters``: models or ``meter_rows``.)"""
    """For each meter: the reading before ``month`` (its initial reading before any), the last months'
    use, this month's valid reading and whether a later month is read."""
    out = {m.id: History(previous=m.initial_reading) for m in meters if m.id is not None}
    R = table_of(UtilityReading)
    for ids in chunks(list(out)):
        ranked = (
            sa.select(
                R.c.meter_id,
                R.c.reading,
                R.c.use,
                sa.func.row_number().over(partition_by=R.c.meter_id, order_by=R.c.month.desc()).label("n"),
            )
            .where(R.c.meter_id.in_(ids), R.c.state == ReadingState.VALID.value, R.c.month < month)
            .subquery()
        )
        for mid, reading, use, n in session.execute(sa.select(ranked).where(ranked.c.n <= USUAL_MONTHS)):
            h = out[mid]
            if n == 1:
                h.previous = reading
            h.uses.append(use)
        for r in session.exec(
            select(UtilityReading).where(
                UtilityReading.meter_id.in_(ids),
                UtilityReading.state == ReadingState.VALID,
                UtilityReading.month >= month,
            )
        ):
            if r.month == month:
                out[r.meter_id].this_month = r
            else:
                out[r.meter_id].later = True
    return out


def jump_ratio(session: Session, project_id: int) -> Decimal:
    city = session.execute(sa.select(Project.city).where(Project.id == project_id)).scalar_one()
    return Decimal(str(params.city_value(session, city, "meter_jump_ratio")))


def month_problem(month: date, read_on: date) -> str:
    today = clock.today()
    if month.day != 1 or month > today:
        return "月份须为本月或之前的月份"
    if read_on < month or read_on > today:
        return "抄表日期须在所抄月份的第一天到今天之间"
    return ""


# ---------------------------------------------------------------- prices and tenants


@dataclass(frozen=True)
class Price:
    item: FeeItem
    std: PricingStandard
    tiers: tuple[tuple[Decimal, Decimal], ...]


def prices(session: Session, pricing_ids: Iterable[int | None]) -> dict[int, Price]:
    ids = sorted({i for i in pricing_ids if i})
    out: dict[int, Price] = {}
    if not ids:
        return out
    tiers: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for t in session.exec(select(PriceTier).where(PriceTier.pricing_id.in_(ids))):
        tiers[t.pricing_id].append((t.above, t.unit_price))
    for std, item in session.execute(
        select(PricingStandard, FeeItem)
        .join(FeeItem, FeeItem.id == PricingStandard.fee_item_id)
        .where(PricingStandard.id.in_(ids))
    ):
        out[saved_id(std)] = Price(item, std, tuple(sorted(tiers[saved_id(std)])))
    return out


@dataclass(frozen=True)
class Tenancy:
    contract_id: int
    tenant_id: int
    payer: Payer
    start: date  # the contract's start: a month's bill never starts before it


def tenancies(session: Session, room_ids: Iterable[int], day: date) -> dict[int, Tenancy]:
    """The contract 执行中 in each room on ``day`` (the latest started), and who pays its utilities."""
    out: dict[int, Tenancy] = {}
    rows: list[Any] = []
    for ids in chunks(sorted(set(room_ids))):
        rows += session.execute(
            sa.select(Contract.room_id, Contract.id, Contract.tenant_id, Contract.master_lease_id, Contract.start_date)
            .where(Contract.room_id.in_(ids), Contract.state == ContractState.ACTIVE, Contract.start_date <= day)
            .order_by(Contract.start_date, Contract.id)
        ).all()
    lease_ids = sorted({row[3] for row in rows if row[3]})
    leases = {m.id: m for m in session.exec(select(MasterLease).where(MasterLease.id.in_(lease_ids)))}
    for room_id, cid, tenant_id, lease, start in rows:
        out[room_id] = Tenancy(cid, tenant_id, payer_for(leases.get(lease), BillKind.METERED), start)
    return out


def next_periods(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The last period number of each (contract, fee key) among ``keys`` (0 for none)."""
    out = dict.fromkeys(keys, 0)
    fee_keys = sorted({k for _, k in keys})
    for ids in chunks(sorted({c for c, _ in keys})):
        for cid, key, n in session.execute(
            sa.select(Bill.contract_id, Bill.fee_key, sa.func.max(Bill.period_no))
            .where(Bill.contract_id.in_(ids), Bill.fee_key.in_(fee_keys))
            .group_by(Bill.contract_id, Bill.fee_key)
        ):
            if (cid, key) in out:
                out[(cid, key)] = n
    return out


def insert_bills(session: Session, bills: list[dict]) -> list[int]:
    """Bills written in one executemany (no RETURNING: SQLite would send it row by row); their ids in
    the order given, read back by the unique (contract, fee, period)."""
    if not bills:
        return []
    rows = [
        dict(
            b,
            kind=BillKind.METERED,
            state=BillState.UNCONFIRMED,
            paid=ZERO,
            late_fee=ZERO,
            late_fee_waived=False,
            withhold_failure="",
            confirmed_at=None,
            version=1,
        )
        for b in bills
    ]
    session.execute(sa.insert(table_of(Bill)), rows)
    keys = sorted({b["fee_key"] for b in bills})
    ids: dict[tuple[int, str, int], int] = {}
    for chunk in chunks(sorted({b["contract_id"] for b in bills})):
        for bid, cid, key, n in session.execute(
            sa.select(Bill.id, Bill.contract_id, Bill.fee_key, Bill.period_no).where(
                Bill.contract_id.in_(chunk), Bill.fee_key.in_(keys)
            )
        ):
            ids[(cid, key, n)] = bid
    return [ids[(b["contract_id"], b["fee_key"], b["period_no"])] for b in bills]


def meter_rows(session: Session, ids: Iterable[int]) -> dict[int, Any]:
    """The meters by id as plain rows (attributes like the model's; no ORM objects for thousands)."""
    T = table_of(Meter)
    out: dict[int, Any] = {}
    for chunk in chunks(sorted(set(ids))):
        out.update({r.id: r for r in session.execute(sa.select(T).where(T.c.id.in_(chunk)))})
    return out


# ---------------------------------------------------------------- recording a month


@dataclass
class Entry:
    """One reading to take: typed in the grid or read from a row of a sheet (``label`` names it)."""

    meter_id: int
    reading: Decimal
    label: str = ""
    replaced: bool = False
    old_final: Decimal | None = None
    new_initial: Decimal | None = None


@dataclass
class Outcome:
    done: int = 0
    billed: int = 0
    amount: Decimal = ZERO
    refused: list[tuple[str, str]] = field(default_factory=list)  # (row, why): nothing written for it
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (row, why): written, flagged
    reading_ids: list[int] = field(default_factory=list)


def check(session: Session, p: Principal, month: date, entries: Sequence[Entry]) -> tuple[dict, Outcome]:
    """Every entry checked (scope, state, the rules), nothing written: (what each good entry will be, the
    outcome so far with the refused rows and the warnings)."""
    out = Outcome()
    ids = sorted({e.meter_id for e in entries})
    meters = meter_rows(session, ids)
    hist = history(session, list(meters.values()), month)
    contract_read = contract_readings(session, meters.values(), month)
    ratios: dict[int, Decimal] = {}
    seen: set[int] = set()
    good: dict[int, tuple[Entry, Any, History, Decimal, str]] = {}
    for e in entries:
        m = meters.get(e.meter_id)
        label = e.label or (m.code if m else f"#{e.meter_id}")
        if m is None or not in_scope(p, project_id=m.project_id):
            out.refused.append((label, "表不存在或无权访问"))
            continue
        h = hist[e.meter_id]
        why = (
            "该表已停用"
            if not m.active
            else "同一块表重复填写"
            if e.meter_id in seen
            else "本月已抄表；如需更正请先返销"
            if h.this_month is not None
            else "该表已有更晚月份的读数"
            if h.later
            else contract_read.get((m.room_id, m.utility), "")
            or reading_problem(h.previous, e.reading, e.replaced, e.old_final, e.new_initial)
        )
        seen.add(e.meter_id)
        if why:
            out.refused.append((label, why))
            continue
        replaced = e.replaced
        use = use_of(
            h.previous,
            e.reading,
            m.multiplier,
            e.old_final if replaced else None,
            e.new_initial if replaced else None,
        )
        if use > MAX_READING:  # a big multiplier: the use would not fit its column (nor any bill)
            out.refused.append((label, f"用量 {cents(use)} 超出上限 {MAX_READING}，请检查读数和倍率"))
            continue
        if m.project_id not in ratios:
            ratios[m.project_id] = jump_ratio(session, m.project_id)
        warning = jump_warning(use, usual_use(h.uses), ratios[m.project_id], WORD_OF[m.utility])
        if warning:
            out.warnings.append((label, warning))
        good[e.meter_id] = (e, m, h, cents(use), warning)
    return good, out


def contract_readings(session: Session, meters: Iterable[Any], month: date) -> dict[tuple[int, Utility], str]:
    """Why each (room, utility) of the room meters cannot be read for ``month`` here: the room's contract
    has a reading of that utility in that month already (抄表记录: the contract's own 水电费 bill), and the
    same use would be billed twice."""
    rooms = sorted({m.room_id for m in meters if m.kind == MeterKind.ROOM and m.room_id})
    out: dict[tuple[int, Utility], str] = {}
    for ids in chunks(rooms):
        for room_id, number, read_on, power, water in session.execute(
            sa.select(Contract.room_id, Contract.number, MeterReading.read_on, MeterReading.power, MeterReading.water)
            .join(Contract, Contract.id == MeterReading.contract_id)
            .where(Contract.room_id.in_(ids), MeterReading.read_on.between(month, month_end(month)))
            .order_by(MeterReading.read_on, MeterReading.id)
        ):
            for utility, value in ((Utility.POWER, power), (Utility.WATER, water)):
                if value is not None:
                    out.setdefault(
                        (room_id, utility),
                        f"本月已在合同 {number} 的抄表记录中登记{utility.label}表读数 {value}（{read_on}），"
                        "同一用量不能重复计费",
                    )
    return out


def record(session: Session, p: Principal, month: date, read_on: date, entries: Sequence[Entry]) -> Outcome:
    """Take the month's readings: the good ones written (with their room meters' bills), each bad one
    reported by its label and not written. One INSERT per table for the lot."""
    problem = month_problem(month, read_on)
    if problem:
        return Outcome(refused=[("抄表", problem)])
    good, out = check(session, p, month, entries)
    if not good:
        return out
    room_meters = [m for _, m, _, _, _ in good.values() if m.kind == MeterKind.ROOM and m.room_id]
    tenants = tenancies(session, [m.room_id for m in room_meters if m.room_id], read_on)
    price = prices(session, [m.pricing_id for m in room_meters])
    numbers = dict(
        session.execute(sa.select(Room.id, Room.number).where(Room.id.in_({m.room_id for m in room_meters}))).all()
    )
    periods = next_periods(
        session,
        {
            (tenants[m.room_id].contract_id, f"fee:{price[m.pricing_id].item.id}")
            for m in room_meters
            if m.room_id in tenants and m.pricing_id in price
        },
    )
    readings: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    billed_of: list[int] = []
    for e, m, h, use, warning in good.values():
        note, amount, bill = warning, None, None
        tenancy = tenants.get(m.room_id) if m.room_id else None
        pr = price.get(m.pricing_id) if m.pricing_id else None
        if m.kind == MeterKind.ROOM and pr is not None:
            amount, how = tiered_amount(use, pr.std.unit_price, pr.tiers)
            if tenancy is None:  # nobody to bill: the reading stays, its amount is nobody's
                note, amount = (note + "；" if note else "") + "房间无执行中合同，未出账", None
            elif amount is not None and amount > 0:
                key = f"fee:{pr.item.id}"
                periods[(tenancy.contract_id, key)] += 1
                unit = WORD_OF[m.utility]
                remark = f"{m.code}：{h.previous} → {e.reading}" + (
                    f"（换表：旧表止码 {e.old_final}，新表起码 {e.new_initial}）" if e.replaced else ""
                )
                remark += f"，用量 {use} {unit}" + (f" × 倍率 {m.multiplier}" if m.multiplier != 1 else "")
                remark += f"，{how}" if how else f" × ¥{pr.std.unit_price}/{unit}"
                bill = dict(
                    contract_id=tenancy.contract_id,
                    project_id=m.project_id,
                    room_id=m.room_id,
                    tenant_id=tenancy.tenant_id,
                    fee_key=key,
                    fee_name=pr.item.name,
                    title=f"{numbers[m.room_id]} {pr.item.name} {month:%Y-%m}"[:64],
                    period_no=periods[(tenancy.contract_id, key)],
                    period_start=max(month, tenancy.start),
                    period_end=month_end(month),
                    due_date=read_on,
                    amount=amount,
                    remark=remark[:255],
                    payer=tenancy.payer,
                )
        if bill is not None:
            billed_of.append(len(readings))
            bills.append(bill)
            out.amount += bill["amount"]
        readings.append(
            dict(
                meter_id=m.id,
                project_id=m.project_id,
                building_id=m.building_id,
                room_id=m.room_id,
                month=month,
                read_on=read_on,
                previous=h.previous,
                reading=e.reading,
                replaced=e.replaced,
                old_final=e.old_final if e.replaced else None,
                new_initial=e.new_initial if e.replaced else None,
                use=use,
                amount=amount,
                bill_id=None,
                note=note[:255],
                state=ReadingState.VALID,
                read_by_id=p.actor_id,
                created_at=utcnow(),
                reversed_reason="",
                version=1,
            )
        )
    for i, bill_id in zip(billed_of, insert_bills(session, bills), strict=True):
        readings[i]["bill_id"] = bill_id
    session.execute(sa.insert(table_of(UtilityReading)), readings)
    out.reading_ids = reading_ids(session, [r["meter_id"] for r in readings], month)
    swaps = [
        dict(
            meter_id=r["meter_id"],
            project_id=r["project_id"],
            replaced_on=read_on,
            old_final=r["old_final"],
            new_initial=r["new_initial"],
            reading_id=rid,
            state=ReadingState.VALID,
            created_by_id=p.actor_id,
            created_at=utcnow(),
        )
        for r, rid in zip(readings, out.reading_ids, strict=True)
        if r["replaced"]
    ]
    if swaps:
        session.execute(sa.insert(table_of(MeterReplacement)), swaps)
    out.done, out.billed = len(readings), len(bills)
    audit.record(
        session,
        p,
        RESOURCE,
        None,
        RECORD,
        summary=f"抄表 {month:%Y-%m}：{out.done} 条，出账 {out.billed} 张 ¥{out.amount:,.2f}"
        + (f"，未写入 {len(out.refused)} 条" if out.refused else ""),
    )
    return out


def reading_ids(session: Session, meter_ids: Sequence[int], month: date) -> list[int]:
    """The valid readings of ``month`` of the meters, in their order (one a meter and month)."""
    found: dict[int, int] = {}
    for chunk in chunks(sorted(set(meter_ids))):
        found.update(
            session.execute(
                sa.select(UtilityReading.meter_id, UtilityReading.id).where(
                    UtilityReading.meter_id.in_(chunk),
                    UtilityReading.month == month,
                    UtilityReading.state == ReadingState.VALID,
                )
            ).all()
        )
    return [found[m] for m in meter_ids]


# ---------------------------------------------------------------- the grid


def grid(session: Session, p: Principal, building_id: int, utility: Utility, month: date) -> list[dict[str, str]]:
    """The 抄表 grid of a building's meters of one utility for a month: room meters by floor and number,
    then common-area meters, then master meters; each with the reading it starts from, the usual use,
    and this month's reading once taken."""
    meters = list(
        session.exec(
            select(Meter)
            .outerjoin(Room, Room.id == Meter.room_id)
            .where(Meter.building_id == building_id, Meter.utility == utility, Meter.active.is_(True))
            .order_by(
                Meter.kind == MeterKind.MASTER, Meter.kind == MeterKind.COMMON, Room.floor_no, Room.number, Meter.code
            )
        )
    )
    meters = [m for m in meters if in_scope(p, project_id=m.project_id)]
    hist = history(session, meters, month)
    numbers = dict(
        session.execute(
            sa.select(Room.id, Room.number).where(Room.id.in_({m.room_id for m in meters if m.room_id}))
        ).all()
    )
    rows = []
    for m in meters:
        h = hist[saved_id(m)]
        usual = usual_use(h.uses)
        done = h.this_month
        rows.append(
            {
                "id": str(m.id),
                "code": m.code,
                "place": numbers.get(m.room_id, m.name) if m.room_id else m.name,
                "kind": m.kind.label,
                "multiplier": f"{m.multiplier.normalize():f}",
                "previous": str(h.previous),
                "usual": "" if usual is None else str(usual),
                "reading": "" if done is None else str(done.reading),
                "use": "" if done is None else str(done.use),
                "amount": "" if done is None or done.amount is None else f"¥{done.amount:,.2f}",
                "note": "" if done is None else done.note,
                "saved": "1" if done is not None else "",
                "locked": "1" if h.later else "",
            }
        )
    return rows


def preview(session: Session, p: Principal, month: date, entry: Entry) -> tuple[str, str, str]:
    """One grid row as typed, before saving: (use, error, warning)."""
    good, out = check(session, p, month, [entry])
    if out.refused:
        return "", out.refused[0][1], ""
    _, _, _, use, warning = good[entry.meter_id]
    return str(use), "", warning


def building_choices(session: Session, p: Principal) -> list[tuple[str, str]]:
    """Buildings in scope that have meters: (id, "项目 · 楼栋")."""
    rows = session.execute(
        sa.select(Building.id, Building.project_id, Project.name, Building.name)
        .join(Project, Project.id == Building.project_id)
        .where(Building.id.in_(sa.select(Meter.building_id).where(Meter.building_id.is_not(None))))
        .order_by(Project.name, Building.name)
    ).all()
    return [(str(i), f"{pn} · {bn}") for i, pid, pn, bn in rows if in_scope(p, project_id=pid)]


# ---------------------------------------------------------------- a sheet of readings

RESOURCE = "meter_entry"  # the 抄表录入 page: who may take readings (granted in clss_app/site.py)
RECORD = "record"
SHEET_COLUMNS = ["表号", "位置", "上次读数", "本月读数", "是否换表", "旧表止码", "新表起码"]
YES = ("是", "Y", "y", "1", "TRUE", "true", "换表")


def template_rows(rows: Sequence[dict[str, str]]) -> dict[str, list[str]]:
    """The grid's meters as a sheet to fill: the import's columns, each meter on a row."""
    out: dict[str, list[str]] = {c: [] for c in SHEET_COLUMNS}
    for r in rows:
        for col, value in zip(SHEET_COLUMNS, [r["code"], r["place"], r["previous"], r["reading"], "", "", ""]):
            out[col].append(value)
    return out


def entries_from_sheet(
    session: Session, project_id: int, rows: Sequence[dict[str, object]]
) -> tuple[list[Entry], list[tuple[str, str]]]:
    """A sheet's rows (header on row 1) as readings of the project's meters: (entries, refused rows).
    A row without a reading is skipped; a row with an unknown meter or a bad number is refused."""
    if rows and not {"表号", "本月读数"} <= set(rows[0]):
        return [], [("表头", "须包含“表号”和“本月读数”两列（请使用下载的模板）")]
    codes = {str(r.get("表号") or "").strip() for r in rows}
    ids = dict(
        session.execute(
            sa.select(Meter.code, Meter.id).where(Meter.project_id == project_id, Meter.code.in_(sorted(codes)))
        ).all()
    )
    entries, refused = [], []
    for n, r in enumerate(rows, start=2):
        code = str(r.get("表号") or "").strip()
        label = f"第 {n} 行 {code}".strip()
        try:
            reading = parse_number(r.get("本月读数"))
            swap = str(r.get("是否换表") or "").strip() in YES
            old_final = parse_number(r.get("旧表止码")) if swap else None
            new_initial = parse_number(r.get("新表起码")) if swap else None
        except ValueError as exc:
            refused.append((label, str(exc)))
            continue
        if reading is None and not code:
            continue
        if code not in ids:
            refused.append((label, "表号不存在于本项目"))
        elif reading is not None:
            entries.append(Entry(ids[code], reading, label, swap, old_final, new_initial))
    return entries, refused
