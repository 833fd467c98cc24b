"""三表抄表 and 公摊 benchmark: a month of readings and the 公摊 for 10,000 rooms.

    source scripts/setup.sh && python -m benchmarks.meter_month

On a fresh demo database (a SQLite file in a temporary folder) it makes a project of 20 buildings with
500 rooms each, every room let (a contract 执行中) and with an electricity meter; each building has a
master meter (公摊 按面积) with its rooms' meters and a lift meter under it, and three months already
read (so each reading is checked against the last and the usual use). Then it times what staff do for
a month: the 10,040 readings taken (checked, written, 10,000 bills priced by 阶梯), and the 20 masters'
公摊 (10,000 公摊 lines and bills). Target: at most 10 s. Prints the figures; not a test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

BUILDINGS, ROOMS_EACH = 20, 500
TARGET_SECONDS = 10
HISTORY_MONTHS = 3


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="clss-meter-bench-"))
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db, demo, manage
    from clss_app.core import clock
    from clss_app.services import allocation, meters
    from clss_app.services.billing import add_months
    from clss_app.services.permissions import load_principal
    from models import (
        AllocationLine,
        Bill,
        Building,
        Contract,
        FeeItem,
        FeeKind,
        Floor,
        Meter,
        MeterKind,
        PriceTier,
        PriceUnit,
        PricingStandard,
        Project,
        ProjectKind,
        Room,
        ShareMethod,
        Tenant,
        User,
        Utility,
        UtilityReading,
    )

    manage.migrate()
    demo.generate()
    today = clock.today()
    month = today.replace(day=1)
    n = BUILDINGS * ROOMS_EACH
    with db.session_scope() as s:
        company = s.exec(select(User).where(User.username == "principal")).one().org_unit_id
        pj = Project(name="压测公寓（抄表）", company_id=company, city="北京", kind=ProjectKind.CENTRALIZED)
        s.add(pj)
        s.flush()
        pid = pj.id or 0
        fee = FeeItem(project_id=pid, name="电费", kind=FeeKind.METERED)
        s.add(fee)
        s.flush()
        std = PricingStandard(
            fee_item_id=fee.id or 0, project_id=pid, name="民用电", unit_price=Decimal("0.65"), unit=PriceUnit.PER_KWH
        )
        s.add(std)
        s.flush()
        s.add_all(
            [
                PriceTier(pricing_id=std.id or 0, project_id=pid, above=Decimal("200"), unit_price=Decimal("0.70")),
                PriceTier(pricing_id=std.id or 0, project_id=pid, above=Decimal("400"), unit_price=Decimal("0.95")),
            ]
        )
        tenant_ids = (
            s.execute(
                sa.insert(Tenant).returning(Tenant.id, sort_by_parameter_order=True),
                [dict(company_id=company, name=f"抄表{i}", phone=f"176{i:08d}", id_number="") for i in range(n)],
            )
            .scalars()
            .all()
        )
        room_ids, masters = [], []
        for b_no in range(BUILDINGS):
            b = Building(project_id=pid, name=f"{b_no + 1}号楼")
            s.add(b)
            s.flush()
            fl = Floor(building_id=b.id or 0, number=1)
            s.add(fl)
            s.flush()
            ids = (
                s.execute(
                    sa.insert(Room).returning(Room.id, sort_by_parameter_order=True),
                    [
                        dict(
                            project_id=pid,
                            building_id=b.id,
                            floor_id=fl.id,
                            number=f"{b_no + 1}-{i:04d}",
                            area=Decimal(25 + i % 20),
                            rent=Decimal("3000.00"),
                            deposit=Decimal("3000.00"),
                            status="occupied",
                            floor_no=1 + i // 20,
                        )
                        for i in range(ROOMS_EACH)
                    ],
                )
                .scalars()
                .all()
            )
            room_ids += ids
            master = Meter(
                project_id=pid,
                building_id=b.id,
                code=f"M{b_no + 1}",
                name=f"{b_no + 1}号楼总表",
                utility=Utility.POWER,
                kind=MeterKind.MASTER,
                pricing_id=std.id,
                multiplier=Decimal("100"),
                share_method=ShareMethod.BY_AREA,
            )
            s.add(master)
            s.flush()
            masters.append(master)
            s.execute(
                sa.insert(Meter),
                [
                    dict(
                        project_id=pid,
                        building_id=b.id,
                        room_id=rid,
                        code=f"E{rid}",
                        name=f"E{rid}",
                        utility="power",
                        kind="room",
                        parent_id=master.id,
                        pricing_id=std.id,
                        multiplier=Decimal(1),
                        initial_reading=Decimal(0),
                        active=True,
                        created_at=clock.now(),
                        version=1,
                    )
                    for rid in ids
                ]
                + [
                    dict(
                        project_id=pid,
                        building_id=b.id,
                        code=f"L{b_no + 1}",
                        name="电梯",
                        utility="power",
                        kind="common",
                        parent_id=master.id,
                        multiplier=Decimal(1),
                        initial_reading=Decimal(0),
                        active=True,
                        created_at=clock.now(),
                        version=1,
                    )
                ],
            )
        start = add_months(month, -12)
        s.execute(
            sa.insert(Contract),
            [
                dict(
                    number=f"HTM{i:08d}",
                    project_id=pid,
                    room_id=rid,
                    tenant_id=tid,
                    co_tenants="",
                    start_date=start,
                    end_date=add_months(start, 24),
                    monthly_rent=Decimal("3000.00"),
                    deposit=Decimal("3000.00"),
                    cycle="1",
                    bill_mode="same_day",
                    source="back_office",
                    state="active",
                    signed_on=start,
                    created_at=clock.now(),
                    version=1,
                    void_reason="",
                    filing_state="none",
                    filing_no="",
                    filing_note="",
                )
                for i, (rid, tid) in enumerate(zip(room_ids, tenant_ids, strict=True))
            ],
        )
        all_meters = list(s.exec(select(Meter).where(Meter.project_id == pid)))
        # Three months already read, written directly (not timed): each meter 150 a month, a master 1.05×.
        history = []
        for k in range(HISTORY_MONTHS, 0, -1):
            m = add_months(month, -k)
            for meter in all_meters:
                use = (
                    Decimal(150)
                    if meter.kind != MeterKind.MASTER
                    else Decimal(ROOMS_EACH * 150 + 150) * Decimal("1.05")
                )
                step = use / meter.multiplier
                history.append(
                    dict(
                        meter_id=meter.id,
                        project_id=pid,
                        building_id=meter.building_id,
                        room_id=meter.room_id,
                        month=m,
                        read_on=m.replace(day=25),
                        previous=step * (HISTORY_MONTHS - k),
                        reading=step * (HISTORY_MONTHS - k + 1),
                        replaced=False,
                        use=use,
                        state="valid",
                        note="",
                        created_at=clock.now(),
                        reversed_reason="",
                        version=1,
                    )
                )
        s.execute(sa.insert(UtilityReading), history)
        entries = []
        for meter in all_meters:
            last = Decimal(150 * HISTORY_MONTHS) / meter.multiplier if meter.kind != MeterKind.MASTER else None
            if meter.kind == MeterKind.MASTER:
                use = Decimal(ROOMS_EACH * 210 + 150) * Decimal("1.04")
                prev = Decimal(ROOMS_EACH * 150 + 150) * Decimal("1.05") * HISTORY_MONTHS / meter.multiplier
                entries.append(meters.Entry(meter.id or 0, (prev + use / meter.multiplier).quantize(Decimal("0.01"))))
            else:
                use = Decimal(150 + (meter.id or 0) % 121) if meter.kind == MeterKind.ROOM else Decimal(150)
                entries.append(meters.Entry(meter.id or 0, (last or Decimal(0)) + use))
        principal = load_principal(s, s.exec(select(User).where(User.username == "principal")).one())

    print(
        f"CLSS 三表抄表 benchmark  (SQLite at {folder}; {n:,} rooms in {BUILDINGS} buildings, {len(entries):,} meters)"
    )
    with db.session_scope() as s:
        t0 = time.perf_counter()
        out = meters.record(s, principal, month, today, entries)
        read_secs = time.perf_counter() - t0
        t1 = time.perf_counter()
        shared = Decimal(0)
        for master in masters:
            shared += allocation.allocate(s, principal, s.get_one(Meter, master.id), month).amount
        share_secs = time.perf_counter() - t1
    total = read_secs + share_secs
    with db.session_scope() as s:
        bills = s.execute(select(sa.func.count()).where(Bill.project_id == pid)).scalar_one()
        lines = s.execute(select(sa.func.count()).where(AllocationLine.project_id == pid)).scalar_one()
    verdict = "within" if total <= TARGET_SECONDS else "OVER"
    print(
        f"  readings: {out.done:,} taken ({len(out.refused)} refused, {len(out.warnings)} warnings), "
        f"{out.billed:,} bills ¥{out.amount:,.2f} in {read_secs:.2f} s"
    )
    print(f"  公摊: {len(masters)} masters, {lines:,} lines, ¥{shared:,.2f} in {share_secs:.2f} s")
    print(f"  month total: {total:.2f} s ({verdict} the {TARGET_SECONDS} s target); {bills:,} bills in the project")
    return 0 if total <= TARGET_SECONDS and not out.refused else 1


if __name__ == "__main__":
    sys.exit(main())
