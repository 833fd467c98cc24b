"""合同批量导入's T+1 batch benchmark.

    source scripts/setup.sh && python -m benchmarks.contract_import

On a fresh demo database (a SQLite file in a temporary folder) it makes a project with 10,000 vacant
rooms and tenants, a 手工录入 periodic fee with its default amount, and 10,000 imported contracts
confirmed today (12-month leases, monthly, 对日, deposit: 25 bills each); then times the nightly batch
that turns them into real contracts with their bills (the rooms 待入住, every bill of each term),
and a second run of the same batch, which must sign nothing. Prints the figures; not a test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

N = 10_000
TARGET_SECONDS = 30


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="clss-contract-import-bench-"))
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db, demo, manage
    from clss_app.core import clock
    from clss_app.services import contract_imports, jobs
    from clss_app.services.billing import add_months
    from models import (
        Bill,
        BillMode,
        Building,
        Contract,
        ContractImport,
        FeeItem,
        FeeKind,
        Floor,
        ImportState,
        PriceUnit,
        PricingStandard,
        Project,
        ProjectKind,
        Room,
        Tenant,
        User,
    )

    manage.migrate()
    demo.generate()
    today = clock.today()
    with db.session_scope() as s:
        company = s.exec(select(User).where(User.username == "manager")).one().org_unit_id
        pj = Project(
            name="压测公寓（合同导入）",
            company_id=company,
            city="北京",
            kind=ProjectKind.CENTRALIZED,
            bill_mode=BillMode.SAME_DAY,
            withhold_enabled=True,
            withhold_day=10,
        )
        s.add(pj)
        s.flush()
        fee = FeeItem(project_id=pj.id or 0, name="网络费", kind=FeeKind.PERIODIC, default_amount=Decimal("80"))
        s.add(fee)
        s.flush()
        s.add(
            PricingStandard(
                fee_item_id=fee.id or 0, project_id=pj.id or 0, name="网络", unit_price=0, unit=PriceUnit.MANUAL
            )
        )
        b = Building(project_id=pj.id or 0, name="1号楼")
        s.add(b)
        s.flush()
        fl = Floor(building_id=b.id or 0, number=1)
        s.add(fl)
        s.flush()
        room_ids = (
            s.execute(
                sa.insert(Room).returning(Room.id, sort_by_parameter_order=True),
                [
                    dict(
                        project_id=pj.id,
                        building_id=b.id,
                        floor_id=fl.id,
                        number=f"R{i:05d}",
                        area=Decimal("30.00"),
                        rent=Decimal("3100.00"),
                        deposit=Decimal("3100.00"),
                        status="vacant",
                        floor_no=1,
                    )
                    for i in range(N)
                ],
            )
            .scalars()
            .all()
        )
        tenant_ids = (
            s.execute(
                sa.insert(Tenant).returning(Tenant.id, sort_by_parameter_order=True),
                [dict(company_id=company, name=f"导入{i}", phone=f"177{i:08d}", id_number="") for i in range(N)],
            )
            .scalars()
            .all()
        )
        rows = []
        for i, (rid, tid) in enumerate(zip(room_ids, tenant_ids)):
            start = today + timedelta(days=1 + i % 28)
            rows.append(
                dict(
                    project_id=pj.id,
                    room_id=rid,
                    tenant_ref=f"177{i:08d}",
                    tenant_id=tid,
                    start_date=start,
                    end_date=add_months(start, 12) - timedelta(days=1),
                    monthly_rent=Decimal("3100.00"),
                    deposit=Decimal("3100.00"),
                    bill_mode="same_day",
                    cycle="1",
                    state=ImportState.CONFIRMED.value,
                    confirmed_on=today,
                    contract_no="",
                    failure="",
                    version=1,
                )
            )
        s.execute(sa.delete(ContractImport))  # the demo's: the figure is of these 10,000 alone
        s.execute(sa.insert(ContractImport), rows)
        project_id = pj.id

    print(f"CLSS 合同导入 T+1 batch benchmark  (SQLite at {folder}, {N:,} confirmed imports)")
    t0, cpu0 = time.perf_counter(), time.process_time()
    done = contract_imports.run_batch(today, jobs.SYSTEM)
    secs, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    with db.session_scope() as s:
        contracts = s.execute(select(sa.func.count()).where(Contract.project_id == project_id)).scalar_one()
        written = s.execute(select(sa.func.count()).where(Bill.project_id == project_id)).scalar_one()
    verdict = "within" if secs <= TARGET_SECONDS else "OVER"
    signed, failed = done["contract_imports_signed"], done["contract_imports_failed"]
    print(
        f"  T+1 batch: {signed:,} contracts signed ({failed} failed), {contracts:,} contracts and {written:,} bills "
        f"stored in {secs:.2f} s ({verdict} the {TARGET_SECONDS} s target; {cpu:.2f} s of CPU in this process)"
    )
    t0 = time.perf_counter()
    again = contract_imports.run_batch(today, jobs.SYSTEM)
    print(f"  the same batch again: {again['contract_imports_signed']} signed in {time.perf_counter() - t0:.2f} s")
    return 0 if secs <= TARGET_SECONDS and again["contract_imports_signed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
