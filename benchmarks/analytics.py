"""经营看板 benchmark: the dashboard at 100k contracts and 1M bills, Polars against plain SQL.

    source scripts/setup.sh && python -m benchmarks.analytics [--fresh]

On a demo database (kept in the temp folder between runs; ``--fresh`` seeds it anew) it adds
20 projects with 5,000 rooms each for the principal's company: 100,000 rooms, 100,000 contracts
(a year of signings, renewals, check-outs), 1,000,000 bills (10 monthly rents each; the ones due
are mostly paid), one payment per paid bill, and viewings and reservations. Then, as the principal
(whose scope holds all of it), it times:

1. cold: the first look after start-up or after a write (bulk read of every frame + figures);
2. refresh: the filters change (city, project, months), frames cached, figures in Polars;
3. the whole server side of a refresh: figures plus links, Plotly figures and formatting;
4. the same figures through plain SQL group-bys (``benchmarks.analytics_sql``), and whether both agree;
5. a payment committed, then the next look: it answers with the last figures marked stale and reads
   again in the background; the time until the fresh figures (which must include the payment).
Prints figures; not part of the test suite.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

PROJECTS, ROOMS_EACH, BILLS_EACH = 20, 5_000, 10


def _seed(s, company: int, today: date) -> dict:
    import sqlalchemy as sa

    from clss_app import db
    from clss_app.services.billing import add_months
    from models import (
        Appointment,
        Bill,
        Building,
        Contract,
        Floor,
        Payment,
        Project,
        Reservation,
        Room,
        Tenant,
        UnitType,
        utcnow,
    )

    rng = random.Random(7)
    now = utcnow()
    counts = {}

    def put(model, rows, columns):
        for i in range(0, len(rows), 50_000):
            db.insert_ignoring_duplicates(s, model.__table__, rows[i : i + 50_000], columns)
        counts[model.__tablename__] = len(rows)

    first_id = lambda table: s.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one() + 1  # noqa: E731
    pid0, rid0, cid0, bid0 = first_id("project"), first_id("room"), first_id("contract"), first_id("bill")
    projects = [
        (
            pid0 + k,
            f"压测公寓{k + 1:02d}",
            company,
            "北京" if k % 2 == 0 else "上海",
            "",
            "",
            "centralized",
            "published",
            True,
            "",
            False,
            "",
            0,
            Decimal("0.0005"),
            now,
            1,
        )
        for k in range(PROJECTS)
    ]
    put(
        Project,
        projects,
        [
            "id",
            "name",
            "company_id",
            "city",
            "district",
            "address",
            "kind",
            "publish_state",
            "visible",
            "cover",
            "on_blockchain",
            "review_comment",
            "late_fee_grace_days",
            "late_fee_rate",
            "created_at",
            "version",
        ],
    )
    bld0, fl0, ut0 = first_id("building"), first_id("floor"), first_id("unit_type")
    put(Building, [(bld0 + k, pid0 + k, "1号楼") for k in range(PROJECTS)], ["id", "project_id", "name"])
    put(Floor, [(fl0 + k, bld0 + k, 1) for k in range(PROJECTS)], ["id", "building_id", "number"])
    types = [("单间", 25), ("一室一厅", 45), ("两室一厅", 70)]
    put(
        UnitType,
        [
            (ut0 + k * 3 + j, pid0 + k, name, "whole", 1, 1, 1, Decimal(area), "南", Decimal(area * 90), "", 1)
            for k in range(PROJECTS)
            for j, (name, area) in enumerate(types)
        ],
        [
            "id",
            "project_id",
            "name",
            "rent_mode",
            "bedrooms",
            "halls",
            "baths",
            "area",
            "orientation",
            "reference_rent",
            "photos",
            "version",
        ],
    )
    tenant0 = first_id("tenant")
    put(
        Tenant,
        [(tenant0 + k, company, f"压测租客{k}", f"139{k:08d}", "", now, 1) for k in range(PROJECTS)],
        ["id", "company_id", "name", "phone", "id_number", "created_at", "version"],
    )

    rooms, contracts, bills, payments = [], [], [], []
    states = ["active"] * 85 + ["signed"] * 5 + ["checked_out"] * 10
    sources = ["back_office"] * 70 + ["reservation"] * 15 + ["renewal"] * 10 + ["online"] * 5
    for n in range(PROJECTS * ROOMS_EACH):
        k, j = divmod(n, ROOMS_EACH)
        pid, rid, cid = pid0 + k, rid0 + n, cid0 + n
        t = rng.randrange(3)
        area, rent = Decimal(types[t][1]), Decimal(types[t][1] * rng.randint(80, 120))
        state = rng.choice(states)
        status = {"active": "occupied", "signed": "signed", "checked_out": "vacant"}[state]
        rooms.append(
            (
                rid,
                pid,
                bld0 + k,
                fl0 + k,
                f"{j + 1:05d}",
                area,
                rent,
                rent,
                "南",
                status,
                1,
                "",
                "",
                "",
                True,
                "",
                None,
                1,
                ut0 + k * 3 + t,
            )
        )
        start = (
            today - timedelta(days=rng.randint(0, 364))
            if state != "signed"
            else today + timedelta(days=rng.randint(0, 20))
        )
        end = add_months(start, 12) - timedelta(days=1)
        out = start + timedelta(days=rng.randint(30, 200)) if state == "checked_out" else None
        if out and out > today:
            out = today
        contracts.append(
            (
                cid,
                f"YC{cid:010d}",
                pid,
                rid,
                tenant0 + k,
                "",
                start,
                end,
                rent,
                rent,
                "1",
                "same_day",
                rng.choice(sources),
                state,
                min(start, today),
                out,
                None,
                now,
                1,
            )
        )
        for period in range(BILLS_EACH):
            due = add_months(start, period)
            if due <= today:
                paid = rng.random() < 0.95 or state == "checked_out"
                bstate, bpaid = ("paid", rent) if paid else ("confirmed", Decimal(0))
            else:
                bstate, bpaid = "unconfirmed", Decimal(0)
            bid = bid0 + len(bills)
            bills.append(
                (
                    bid,
                    cid,
                    pid,
                    rid,
                    tenant0 + k,
                    "rent",
                    "rent",
                    "租金",
                    f"{j + 1:05d} 租金 第{period + 1}期",
                    period + 1,
                    due,
                    add_months(due, 1) - timedelta(days=1),
                    due,
                    rent,
                    bpaid,
                    Decimal(0),
                    False,
                    "tenant",
                    bstate,
                    "",
                    1,
                )
            )
            if bstate == "paid":
                payments.append((bid, pid, rent, "transfer", "", due, None, now))
    put(
        Room,
        rooms,
        [
            "id",
            "project_id",
            "building_id",
            "floor_id",
            "number",
            "area",
            "rent",
            "deposit",
            "orientation",
            "status",
            "floor_no",
            "external_code",
            "cover",
            "photos",
            "visible",
            "lock_reason",
            "locked_by_id",
            "version",
            "unit_type_id",
        ],
    )
    put(
        Contract,
        contracts,
        [
            "id",
            "number",
            "project_id",
            "room_id",
            "tenant_id",
            "co_tenants",
            "start_date",
            "end_date",
            "monthly_rent",
            "deposit",
            "cycle",
            "bill_mode",
            "source",
            "state",
            "signed_on",
            "checked_out_on",
            "created_by_id",
            "created_at",
            "version",
        ],
    )
    put(
        Bill,
        bills,
        [
            "id",
            "contract_id",
            "project_id",
            "room_id",
            "tenant_id",
            "kind",
            "fee_key",
            "fee_name",
            "title",
            "period_no",
            "period_start",
            "period_end",
            "due_date",
            "amount",
            "paid",
            "late_fee",
            "late_fee_waived",
            "payer",
            "state",
            "remark",
            "version",
        ],
    )
    put(
        Payment,
        payments,
        ["bill_id", "project_id", "amount", "method", "receipt_no", "paid_on", "recorded_by_id", "created_at"],
    )
    from datetime import datetime
    from datetime import time as dtime

    from clss_app.core.clock import SHANGHAI

    when = lambda d: datetime.combine(d, dtime(10), tzinfo=SHANGHAI)  # noqa: E731
    viewings = [
        (
            pid0 + rng.randrange(PROJECTS),
            "看房客",
            "15900000000",
            when(today),
            "",
            "visited",
            when(today - timedelta(days=rng.randint(0, 364))),
            1,
        )
        for _ in range(60_000)
    ]
    put(Appointment, viewings, ["project_id", "name", "phone", "visit_at", "note", "state", "created_at", "version"])
    holds = [
        (
            pid0 + n % PROJECTS,
            rid0 + n,
            tenant0 + n % PROJECTS,
            Decimal(1000),
            today,
            "converted",
            "",
            when(today - timedelta(days=rng.randint(0, 364))),
            1,
        )
        for n in range(0, PROJECTS * ROOMS_EACH, 3)
    ]
    put(
        Reservation,
        holds,
        ["project_id", "room_id", "tenant_id", "deposit", "hold_until", "state", "note", "created_at", "version"],
    )
    return counts


def _times(fn, runs: int) -> tuple[list[float], object]:
    out, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t) * 1000)
    return out, result


def _fmt(ms: list[float]) -> str:
    return (
        f"median {statistics.median(ms):,.0f} ms (min {min(ms):,.0f}, max {max(ms):,.0f}, n={len(ms)})"
        if len(ms) > 1
        else f"{ms[0]:,.0f} ms"
    )


def prepare(fresh: bool) -> None:
    """The demo plus 1M bills for the principal's company, in SQLite, as the app's database.

    The seeded database is kept in the temp folder between runs (seeding takes minutes) and shared by
    the benchmarks that need a million bills (this one, ``benchmarks.fee_reports``); ``fresh`` seeds anew."""
    path = Path(tempfile.gettempdir()) / "clss-analytics-bench" / "bench.db"
    seeded = path.with_suffix(".seeded")
    if fresh:
        path.unlink(missing_ok=True)
        seeded.unlink(missing_ok=True)
    if path.exists() and not seeded.exists():
        path.unlink()  # a seeding cut short
    path.parent.mkdir(parents=True, exist_ok=True)
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["CLSS_JOBS"] = "0"
    from sqlmodel import select

    from clss_app import db, demo, manage
    from clss_app.core import clock
    from clss_app.site import app_site
    from models import User

    today = clock.today()
    manage.migrate()
    app_site()  # the admins and the roles they grant
    if not seeded.exists():
        demo.generate()
        t = time.perf_counter()
        with db.session_scope() as s:
            principal = s.exec(select(User).where(User.username == "principal")).one()
            counts = _seed(s, principal.org_unit_id, today)
        seeded.write_text(today.isoformat())
        print(f"seeded in {time.perf_counter() - t:.0f} s: {counts}")


def main() -> int:
    prepare("--fresh" in sys.argv[1:])
    import sqlalchemy as sa
    from sqlmodel import select

    from benchmarks import analytics_sql
    from clss_app import db
    from clss_app.core import clock
    from clss_app.services import analytics as an
    from clss_app.services.billing import add_months
    from clss_app.services.permissions import load_principal
    from models import Payment, PaymentMethod, User
    from pages.analytics import AnalyticsDashboard

    today = clock.today()
    with db.session_scope() as s:
        totals = {
            t: s.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("contract", "bill", "payment", "room")
        }
        p = load_principal(s, s.exec(select(User).where(User.username == "principal")).one())
    print(f"database: {totals}; the principal's scope: {len(p.project_ids)} projects")

    this_month = date(today.year, today.month, 1)
    year = an.Filters(month_from=add_months(this_month, -11), month_to=this_month)
    with db.session_scope() as s:
        cold = []
        for _ in range(3):
            an.clear_cache()
            ms, d = _times(lambda: an.dashboard(s, p, year, today), 1)
            cold += ms
        projects = [r["project_id"] for r in d["projects"]]
        variants = [
            an.Filters(year.month_from, year.month_to, city="上海"),
            an.Filters(add_months(year.month_to, -5), year.month_to),
            an.Filters(year.month_from, year.month_to, project_id=projects[-1]),
            an.Filters(year.month_from, year.month_to, city="北京"),
            an.Filters(add_months(year.month_to, -2), year.month_to, project_id=projects[0]),
        ]
        refresh = []
        for f in variants:
            refresh += _times(lambda f=f: an.dashboard(s, p, f, today), 1)[0]
        hit = _times(lambda: an.dashboard(s, p, variants[0], today), 5)[0]
        chosen = [
            {"city": "", "project": "", "month_from": f"{year.month_from:%Y-%m}", "month_to": f"{m:%Y-%m}"}
            for m in (year.month_to, add_months(year.month_to, -1), add_months(year.month_to, -2))
        ]
        page = []
        for c in chosen:
            page += _times(lambda c=c: AnalyticsDashboard.render_values(s, p, c), 1)[0]
        conn = s.connection()
        sql_ms, q = _times(lambda: analytics_sql.figures(conn, d["project_ids"], d["start"], d["end"], today), 3)
        disagree = analytics_sql.same_figures(d, q)
    with db.session_scope() as s:  # a payment, committed: the next look must read again
        bill = s.execute(sa.text("SELECT id, project_id FROM bill WHERE state = 'confirmed' LIMIT 1")).one()
        s.add(
            Payment(bill_id=bill.id, project_id=bill.project_id, amount=100, method=PaymentMethod.CASH, paid_on=today)
        )
    with db.session_scope() as s:
        loads = an.stats["frame_loads"]
        after_ms, stale = _times(lambda: an.dashboard(s, p, year, today), 1)
        t = time.perf_counter()
        an.wait_reloads()
        fresh_ms = (time.perf_counter() - t) * 1000 + after_ms[0]
        after = an.dashboard(s, p, year, today)
        reread = (
            stale["stale"]
            and not after["stale"]
            and an.stats["frame_loads"] == loads + 1
            and after["revenue"] == d["revenue"] + 10000
        )

    print(
        f"\n经营看板, principal's scope, {len(d['project_ids'])} projects, "
        f"{d['rooms']:,} rooms, {d['due_bills']:,} bills due in {d['start']:%Y-%m}..{d['end']:%Y-%m}"
    )
    print(f"  cold (bulk read + figures)              {_fmt(cold)}")
    print(f"  refresh, new filters (Polars figures)   {_fmt(refresh)}")
    print(f"  refresh, filters seen before (cached)   {_fmt(hit)}")
    print(f"  whole server side of a refresh          {_fmt(page)}  (figures + links + Plotly + formatting)")
    print(f"  same figures via plain SQL group-bys    {_fmt(sql_ms)}")
    print(f"  Polars and SQL agree                    {'yes' if not disagree else disagree[:3]}")
    print(f"  after a committed payment: answer       {_fmt(after_ms)} (last figures, marked stale)")
    print(f"  ... fresh figures (background re-read)  {fresh_ms:,.0f} ms after the payment; shows it: {reread}")
    return 0 if not disagree and reread else 1


if __name__ == "__main__":
    sys.exit(main())
