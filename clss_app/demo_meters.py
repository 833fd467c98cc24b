"""Demo step for 三表抄表 and 公摊: the store manager's project, its first building's meters and two months.

Every room of the building has an electricity and a water meter; the building has an electricity master
meter (公摊 按面积, with the lift's common-area meter under it) and a water master meter (按户均摊, with
the cleaners' tap). 民用电 is priced by 阶梯 (above 200 度 and 400 度). The two months before this one are
read and shared through the services (services/meters.py, allocation.py), as staff would on the 25th:
bills for the rooms let, none for the vacant ones; one room's meter was replaced last month (换表).
This month is left to read (the Chromium test does).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from clss_app.core import clock
from clss_app.core.rows import saved_id
from clss_app.demo_filing_loans import manager_and_project
from clss_app.services import allocation, meters
from clss_app.services.billing import add_months
from models import (
    Building,
    FeeItem,
    Meter,
    MeterKind,
    PriceTier,
    PriceUnit,
    PricingStandard,
    Room,
    ShareMethod,
    Utility,
)

TIERS = [(Decimal("200"), Decimal("0.70")), (Decimal("400"), Decimal("0.95"))]
READING_DAY = 25


def seed_meters(ctx) -> None:
    s, rng = ctx.session, ctx.rng
    p, project = manager_and_project(s)
    pid = saved_id(project)
    building = s.exec(select(Building).where(Building.project_id == pid).order_by(Building.id)).first()
    std = {
        unit: s.exec(
            select(PricingStandard)
            .join(FeeItem, FeeItem.id == PricingStandard.fee_item_id)
            .where(PricingStandard.project_id == pid, PricingStandard.unit == unit)
            .order_by(PricingStandard.id)
        ).first()
        for unit in (PriceUnit.PER_KWH, PriceUnit.PER_TON)
    }
    power, water = std[PriceUnit.PER_KWH], std[PriceUnit.PER_TON]
    if building is None or power is None or water is None:
        return
    ctx.bulk(
        PriceTier,
        [dict(pricing_id=power.id, project_id=pid, above=a, unit_price=u, version=1) for a, u in TIERS],
        "阶梯价格",
    )
    rooms = s.exec(select(Room).where(Room.building_id == building.id).order_by(Room.floor_no, Room.number)).all()

    def meter(**kw) -> Meter:
        m = Meter(project_id=pid, building_id=building.id, **kw)
        s.add(m)
        return m

    masters = {
        Utility.POWER: meter(
            code=f"E-{building.name}-总",
            name=f"{building.name}总电表",
            utility=Utility.POWER,
            kind=MeterKind.MASTER,
            pricing_id=power.id,
            multiplier=Decimal("20"),
            initial_reading=Decimal("3200.00"),
            share_method=ShareMethod.BY_AREA,
        ),
        Utility.WATER: meter(
            code=f"W-{building.name}-总",
            name=f"{building.name}总水表",
            utility=Utility.WATER,
            kind=MeterKind.MASTER,
            pricing_id=water.id,
            initial_reading=Decimal("860.00"),
            share_method=ShareMethod.PER_ROOM,
        ),
    }
    s.flush()
    common = {
        Utility.POWER: meter(
            code=f"E-{building.name}-电梯",
            name="电梯",
            utility=Utility.POWER,
            kind=MeterKind.COMMON,
            parent_id=masters[Utility.POWER].id,
            initial_reading=Decimal("1500.00"),
        ),
        Utility.WATER: meter(
            code=f"W-{building.name}-保洁",
            name="保洁用水",
            utility=Utility.WATER,
            kind=MeterKind.COMMON,
            parent_id=masters[Utility.WATER].id,
            initial_reading=Decimal("120.00"),
        ),
    }
    room_meters = []
    for r in rooms:
        for utility, prefix, std_id, start in (
            (Utility.POWER, "E", power.id, rng.randint(800, 4000)),
            (Utility.WATER, "W", water.id, rng.randint(50, 300)),
        ):
            room_meters.append(
                meter(
                    code=f"{prefix}-{r.number}",
                    name=f"{r.number}{utility.label}表",
                    utility=utility,
                    kind=MeterKind.ROOM,
                    room_id=r.id,
                    parent_id=masters[utility].id,
                    pricing_id=std_id,
                    initial_reading=Decimal(start),
                )
            )
    s.flush()
    ctx.counts["仪表"] = len(room_meters) + 4
    this_month = clock.today().replace(day=1)
    last: dict[int, Decimal] = {
        saved_id(m): m.initial_reading for m in [*masters.values(), *common.values(), *room_meters]
    }
    for back in (2, 1):
        month = add_months(this_month, -back)
        entries, sums = [], {Utility.POWER: Decimal(0), Utility.WATER: Decimal(0)}
        for m in room_meters:
            use = Decimal(rng.randint(60, 260) if m.utility == Utility.POWER else rng.randint(2, 9))
            sums[m.utility] += use
            if back == 1 and m is room_meters[0]:  # last month the first room's meter was replaced (换表)
                old_final, last[saved_id(m)] = last[saved_id(m)] + 30, use - 30
                entries.append(meters.Entry(saved_id(m), last[saved_id(m)], "", True, old_final, Decimal(0)))
                continue
            last[saved_id(m)] += use
            entries.append(meters.Entry(saved_id(m), last[saved_id(m)]))
        for utility, c in common.items():
            use = Decimal(rng.randint(300, 500) if utility == Utility.POWER else rng.randint(10, 20))
            last[saved_id(c)] += use
            sums[utility] += use
            entries.append(meters.Entry(saved_id(c), last[saved_id(c)]))
        for utility, master in masters.items():
            use = sums[utility] * Decimal("1.04")  # about 4% lost on the way
            last[saved_id(master)] = (last[saved_id(master)] + use / master.multiplier).quantize(Decimal("0.01"))
            entries.append(meters.Entry(saved_id(master), last[saved_id(master)]))
        meters.record(s, p, month, month.replace(day=READING_DAY), entries)
        for master in masters.values():
            allocation.allocate(s, p, master, month)
