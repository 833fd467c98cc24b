"""Withholding benchmark (银行批量代扣, #20).

    source scripts/setup.sh && python -m benchmarks.withholding

On a fresh demo database (in a temporary folder) it seeds a project of 10,000 active contracts in the
first company, each tenant with an agreement (a valid card) and one rent bill owed now, then times:
1. writing the request file: selecting the 10,000 bills, numbering the run's lines and writing the file
   (services/withholding.start);
2. reading a 10,000-line result file (the sandbox bank's answer, 3 % refused): layout, counts, totals and
   SHA-256 checked (withhold_file.read_result);
3. posting the payments: each line settled once, 9,700 ledger lines through ledger.post, the refused
   lines' reasons on their bills (withholding.apply_outcomes);
and checks that the ledger adds up. Target (the issue): the three together in at most 15 s. Prints the
figures; not part of the test suite.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

N = 10_000
TARGET_S = 15.0


def _card(rng: random.Random) -> str:
    from clss_app.core.privacy import luhn_ok

    body = "622202" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def seed(rng: random.Random) -> tuple[int, int]:
    """The benchmark's project (company, project): 10,000 contracts, agreements and owed bills."""
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db
    from clss_app.core import clock
    from models import (
        Bill,
        BillKind,
        BillState,
        Building,
        Contract,
        ContractState,
        Floor,
        OrgUnit,
        Project,
        ProjectKind,
        Room,
        Tenant,
        WithholdAgreement,
    )

    today = clock.today()
    with db.session_scope() as s:
        company = s.exec(select(OrgUnit.id).where(OrgUnit.name == "京安居住房租赁有限公司")).one()
        project = Project(name="压测代扣公寓", company_id=company, city="北京", kind=ProjectKind.CENTRALIZED)
        s.add(project)
        s.flush()
        building = Building(project_id=project.id, name="1号楼")
        s.add(building)
        s.flush()
        floor = Floor(building_id=building.id, number=1)
        s.add(floor)
        s.flush()
        rent = Decimal("3100.00")
        rooms = (
            s.execute(
                sa.insert(Room).returning(Room.id, sort_by_parameter_order=True),
                [
                    dict(
                        project_id=project.id,
                        building_id=building.id,
                        floor_id=floor.id,
                        number=f"W{i:05d}",
                        area=Decimal("30.00"),
                        rent=rent,
                        deposit=rent,
                        status="occupied",
                        floor_no=1,
                    )
                    for i in range(N)
                ],
            )
            .scalars()
            .all()
        )
        names = [f"代扣{i}" for i in range(N)]
        tenants = (
            s.execute(
                sa.insert(Tenant).returning(Tenant.id, sort_by_parameter_order=True),
                [dict(company_id=company, name=names[i], phone=f"199{i:08d}", id_number="") for i in range(N)],
            )
            .scalars()
            .all()
        )
        start = today - timedelta(days=40)
        contracts = (
            s.execute(
                sa.insert(Contract).returning(Contract.id, sort_by_parameter_order=True),
                [
                    dict(
                        number=f"WB{i:08d}",
                        project_id=project.id,
                        room_id=rooms[i],
                        tenant_id=tenants[i],
                        start_date=start,
                        end_date=start + timedelta(days=364),
                        monthly_rent=rent,
                        deposit=rent,
                        cycle="1",
                        bill_mode="same_day",
                        source="back_office",
                        state=ContractState.ACTIVE,
                        signed_on=start,
                    )
                    for i in range(N)
                ],
            )
            .scalars()
            .all()
        )
        s.execute(
            sa.insert(Bill),
            [
                dict(
                    contract_id=contracts[i],
                    project_id=project.id,
                    room_id=rooms[i],
                    tenant_id=tenants[i],
                    kind=BillKind.RENT,
                    fee_key="rent",
                    fee_name="租金",
                    title=f"W{i:05d} 租金 第2期",
                    period_no=2,
                    period_start=today - timedelta(days=i % 5),
                    period_end=today + timedelta(days=29),
                    due_date=today - timedelta(days=i % 5),
                    amount=rent + Decimal(i % 100) / 100,
                    paid=Decimal("0.00"),
                    late_fee=Decimal("0.00"),
                    state=BillState.CONFIRMED,
                    version=1,
                )
                for i in range(N)
            ],
        )
        s.execute(
            sa.insert(WithholdAgreement),
            [
                dict(
                    company_id=company,
                    tenant_id=tenants[i],
                    card_no=_card(rng),
                    holder_name=names[i],
                    bank_name="中国建设银行",
                    state="active",
                    sign_mode="batch",
                    signed_at=clock.now(),
                    end_reason="",
                    version=1,
                )
                for i in range(N)
            ],
        )
        return company, project.id or 0


def bank_answer(request_text: str, refused_every: int = 33) -> str:
    """The bank's result file for a request: every ``refused_every``-th line refused (余额不足)."""
    from clss_app.core import clock
    from clss_app.services.withhold_file import Outcome, Result, read_request, write_result

    req = read_request(request_text)
    outcomes = [
        Outcome(d.line_no, d.ref, d.amount, False, "", "3001", "余额不足")
        if d.line_no % refused_every == 0
        else Outcome(d.line_no, d.ref, d.amount, True, f"B{req.run_no[-9:]}{d.line_no:07d}")
        for d in req.debits
    ]
    return write_result(Result(req.entrust_no, req.run_no, clock.today(), outcomes))


def main() -> int:
    global N
    if len(sys.argv) > 1:  # python -m benchmarks.withholding 2000: a smaller run
        N = int(sys.argv[1])
    folder = Path(tempfile.mkdtemp(prefix="clss-withholding-bench-"))
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db, demo, manage
    from clss_app.core import clock, private_files
    from clss_app.services import ledger, withholding
    from clss_app.services.withhold_file import read_result
    from models import LedgerSource, Payment, RunOrigin, WithholdRun

    private_files.FILES_DIR = folder / "files"  # the run's bank files with the benchmark's database, not in data/
    t0 = time.perf_counter()
    manage.migrate()
    demo.generate()
    company, project = seed(random.Random(1))
    print(f"CLSS withholding benchmark  (SQLite at {folder}; seeded in {time.perf_counter() - t0:.1f} s)")

    with db.session_scope() as s:
        t = time.perf_counter()
        dues = withholding.dues_for(s, company, project, clock.today())
        assert not isinstance(dues, str) and len(dues) == N, dues if isinstance(dues, str) else len(dues)
        picked = time.perf_counter() - t
        run = withholding.start(s, company, project, dues, RunOrigin.MANUAL)
        written = time.perf_counter() - t
        run_id, request_ref = run.id, run.request_file
    found = private_files.read(request_ref)
    assert found is not None
    request_text = found[0].decode()
    with db.session_scope() as s:  # the run as sent (the bank's side is not the app's time)
        s.execute(sa.update(WithholdRun).where(WithholdRun.id == run_id).values(state="sent"))
    result_text = bank_answer(request_text)

    t = time.perf_counter()
    result = read_result(result_text)
    read = time.perf_counter() - t
    with db.session_scope() as s:
        run = s.get_one(WithholdRun, run_id)
        t = time.perf_counter()
        applied = withholding.apply_outcomes(s, run, result, result_text)
        s.flush()
        posted = time.perf_counter() - t
    with db.session_scope() as s:
        lines = s.execute(
            select(sa.func.count()).where(Payment.source == LedgerSource.WITHHOLDING, Payment.project_id == project)
        ).scalar_one()
        run = s.get_one(WithholdRun, run_id)
        assert ledger.mismatches(s) == []
        t = time.perf_counter()
        again = withholding.apply_outcomes(s, run, read_result(result_text), result_text)
        twice = time.perf_counter() - t
    total = written + read + posted
    size = len(request_text.encode()) / 1024
    print(
        f"  1. request file: {N:,} bills selected in {picked:.2f} s; lines and file ({size:,.0f} KB) "
        f"written in {written:.2f} s (selection included)"
    )
    print(
        f"  2. result file of {len(result.outcomes):,} lines read and checked (SHA-256, counts, totals) in {read:.2f} s"
    )
    print(
        f"  3. payments posted: {applied.succeeded:,} succeeded ({lines:,} ledger lines), {applied.failed:,} refused "
        f"with their reasons, in {posted:.2f} s; run {run.state.label}, ledger adds up"
    )
    print(f"  together: {total:.2f} s (target ≤ {TARGET_S:.0f} s): {'OK' if total <= TARGET_S else 'OVER'}")
    print(f"  the same result file read again: {again.unchanged:,} lines unchanged, nothing posted, in {twice:.2f} s")
    return 0 if total <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
