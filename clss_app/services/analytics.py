"""经营看板: the executives' figures, in Polars over rows read in bulk, cached, per data scope.

``load_frames`` reads the few columns every figure needs, summed to the grain the figures need
(raw driver rows, no ORM). ``figures`` is pure Polars over those frames, for a city or a project
and a range of months. ``dashboard`` puts both behind a cache: one read of the whole database
(started when the app starts: ``warm``), figures per scope and filters, each scope seeing only
its own projects. As soon as this process commits a write to any table read here
(``db.generation``), and after ``TTL`` seconds in any case (writes by other processes), the
frames are read again in the background while the last figures are served marked ``stale``.

Definitions (the domain guide's, made exact; the shared ones live in ``figures``):
* occupancy: ``figures.OCCUPANCY``, rooms 在租 or 待入住 ÷ rooms not 不可租, today;
* collection rate: ``figures.COLLECTION``, paid ÷ owed (amount + late fee) of the bills due inside the
  months chosen, up to today, among bills pushed to tenants (已确认, 部分收款, 已收款, 坏账);
* revenue: the payment ledger's total inside the months (refunds are negative entries);
* arrears: ``figures.ARREARS``, what open bills (已确认, 部分收款) due before today still owe, by days past due;
* expiring: contracts in force (执行中) ending within 30 / 60 / 90 days from today;
* signings: contracts signed in the month by a new tenant (not 续租 or 换房, nor void or in review);
  renewals: 续租 contracts signed; check-outs: contracts checked out in the month;
* rent per ㎡: monthly rent ÷ room area of the contracts in force, by unit type name;
* funnel: appointments, reservations and signings registered inside the months.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.services import figures as fig
from clss_app.services.billing import add_months
from clss_app.services.frame_cache import FrameCache
from clss_app.services.permissions import VIEW, Principal, require, scope_clause
from models import UNSIGNED_CONTRACT_STATES, ContractSource, ContractState, Project

RESOURCE = "dashboard"
TABLES = ("project", "room", "unit_type", "contract", "bill", "payment", "appointment", "reservation")
TTL = 60.0
READ_THREADS = 3

RENTED = fig.RENTED_VALUES
NOT_RENTABLE = fig.NOT_RENTABLE_VALUES
DUE_STATES = tuple(s.value for s in fig.DUE_STATES)
OPEN_STATES = tuple(s.value for s in fig.OPEN_STATES)
EXPIRING_STATES = (ContractState.ACTIVE.value,)  # in force; a 待执行 renewal is not what expires
SIGNED_STATES = tuple(s.value for s in ContractState if s not in (ContractState.VOID, *UNSIGNED_CONTRACT_STATES))
NEW_SOURCES = tuple(s.value for s in ContractSource if s not in (ContractSource.RENEWAL, ContractSource.ROOM_CHANGE))
AGE_BANDS = fig.AGE_BANDS
EXPIRY_DAYS = (30, 60, 90)


@dataclass(frozen=True)
class Filters:
    month_from: date
    month_to: date
    city: str = ""
    project_id: int = 0


def months_between(first: date, last: date) -> list[date]:
    out, m = [], date(first.year, first.month, 1)
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def months_back(today: date, count: int) -> list[date]:
    """The first days of ``today``'s month and the ``count - 1`` months before it, newest first."""
    this_month = today.replace(day=1)
    return [add_months(this_month, -k) for k in range(count)]


def project_choices(session: Session, p: Principal) -> list[tuple[int, str, str]]:
    """(id, name, city) of the projects inside p's scope, by city and name: the dashboard's pickers."""
    rows = session.exec(
        select(Project.id, Project.name, Project.city)
        .where(scope_clause(p, Project.id))
        .order_by(Project.city, Project.name)
    ).all()
    return [(i, n, c) for i, n, c in rows if i is not None]


def month_end(m: date) -> date:
    return add_months(date(m.year, m.month, 1), 1) - timedelta(days=1)


# ---------------------------------------------------------------- reading


def _scope_sql(p: Principal | None, column: str = "project_id") -> str:
    if p is None or p.project_ids is None:
        return ""
    ids = ",".join(str(int(i)) for i in sorted(p.project_ids)) or "NULL"
    return f" WHERE {column} IN ({ids})"


def _in(values: tuple[str, ...]) -> str:
    return ",".join(f"'{v}'" for v in values)  # our own enum values, never user input


def _frame(conn: sa.Connection, sql: str, schema: dict) -> pl.DataFrame:
    """Raw driver rows into typed columns (no ORM objects, no per-row type processing).

    Dates come as text from SQLite and as date objects from PostgreSQL; timestamps are naive
    UTC and become the day in Beijing."""
    rows = conn.exec_driver_sql(sql).fetchall()
    text = bool(rows) and any(
        isinstance(v, str) for v, t in zip(rows[0], schema.values()) if t in (pl.Date, pl.Datetime)
    )
    raw = {n: (pl.String if text and t in (pl.Date, pl.Datetime) else t) for n, t in schema.items()}
    frame = pl.DataFrame(rows, schema=raw, orient="row", strict=False)
    casts = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if dtype == pl.Date and text:
            casts.append(col.str.slice(0, 10).str.to_date("%Y-%m-%d"))
        elif dtype == pl.Datetime:
            if text:
                col = col.str.slice(0, 19).str.to_datetime("%Y-%m-%d %H:%M:%S")
            casts.append(col.dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Shanghai").dt.date().alias(name))
    return frame.with_columns(casts) if casts else frame


def _beijing_day(column: str, dialect: str) -> str:
    """The business day of a naive UTC timestamp, in SQL. Asia/Shanghai has kept UTC+8 without
    daylight saving since 1991, so a fixed offset is exact for every timestamp the app stores."""
    if dialect == "sqlite":
        return f"date({column}, '+8 hours')"
    return f"CAST({column} + INTERVAL '8 hours' AS DATE)"


def _cents(expr: str) -> str:
    """Money as whole cents, summed by the database: sums of a million amounts stay exact."""
    return f"SUM(CAST(ROUND(({expr}) * 100) AS BIGINT))"


def load_frames(session: Session, p: Principal | None) -> dict[str, pl.DataFrame]:
    """What the figures need inside p's scope (everything for None), in bulk reads at the grain the
    figures need.

    Bills and payments come at day grain (one row a project, day and state, with sums and
    counts): every figure groups them by day or coarser, and a million bills shrink to a few
    ten thousand rows before Python sees them. Contracts come the same way, three times: signings
    by day and source, check-outs by day, those in force by end date and unit type (rent and area
    summed). On PostgreSQL the reads run in parallel on their own connections, the server scanning
    while Python converts; SQLite's reads run one after another, since its rows are made under the
    GIL (at 1M bills three threads took 1.1 s, one 0.9 s)."""
    where = _scope_sql(p)
    c_where = _scope_sql(p, "c.project_id")
    and_ = " AND " if where else " WHERE "
    c_and = " AND " if c_where else " WHERE "
    day = _beijing_day("created_at", session.get_bind().dialect.name)
    reads: dict[str, tuple[str, dict[str, Any]]] = {
        "projects": (
            f"SELECT id, name, city FROM project{_scope_sql(p, 'id')}",
            {"project_id": pl.Int64, "name": pl.String, "city": pl.String},
        ),
        "rooms": (
            f"SELECT project_id, status, COUNT(*) FROM room{where} GROUP BY project_id, status",
            {"project_id": pl.Int64, "status": pl.String, "n": pl.Int64},
        ),
        "unit_types": (
            f"SELECT id, project_id, name FROM unit_type{where}",
            {"unit_type_id": pl.Int64, "project_id": pl.Int64, "unit_type": pl.String},
        ),
        # Contracts at the grain each figure needs: a million-row table becomes a few ten thousand rows.
        "signings": (
            f"SELECT project_id, source, signed_on, COUNT(*) FROM contract{where}{and_}"
            f"state IN ({_in(SIGNED_STATES)}) GROUP BY project_id, source, signed_on",
            {"project_id": pl.Int64, "source": pl.String, "signed_on": pl.Date, "n": pl.Int64},
        ),
        "check_outs": (
            f"SELECT project_id, checked_out_on, COUNT(*) FROM contract{where}{and_}"
            "checked_out_on IS NOT NULL GROUP BY project_id, checked_out_on",
            {"project_id": pl.Int64, "checked_out_on": pl.Date, "n": pl.Int64},
        ),
        "in_force": (
            f"SELECT c.project_id, c.end_date, r.unit_type_id, {_cents('c.monthly_rent')}, {_cents('r.area')}, "
            f"COUNT(*) FROM contract c JOIN room r ON r.id = c.room_id{c_where}{c_and}"
            f"c.state IN ({_in(EXPIRING_STATES)}) GROUP BY c.project_id, c.end_date, r.unit_type_id",
            {
                "project_id": pl.Int64,
                "end_date": pl.Date,
                "unit_type_id": pl.Int64,
                "rent": pl.Int64,
                "area": pl.Int64,
                "n": pl.Int64,
            },
        ),
        "bills": (
            f"SELECT project_id, due_date, state, {_cents('amount + late_fee')}, {_cents('paid')}, COUNT(*) "
            f"FROM bill{where}{and_}state IN ({_in(DUE_STATES)}) GROUP BY project_id, due_date, state",
            {
                "project_id": pl.Int64,
                "due_date": pl.Date,
                "state": pl.String,
                "owed": pl.Int64,
                "paid": pl.Int64,
                "n": pl.Int64,
            },
        ),
        "payments": (
            f"SELECT project_id, paid_on, {_cents('amount')} FROM payment{where} GROUP BY project_id, paid_on",
            {"project_id": pl.Int64, "paid_on": pl.Date, "amount": pl.Int64},
        ),
        **{
            name: (
                f"SELECT project_id, {day}, COUNT(*) FROM {table}{where} GROUP BY project_id, 2",
                {"project_id": pl.Int64, "day": pl.Date, "n": pl.Int64},
            )
            for name, table in (("appointments", "appointment"), ("reservations", "reservation"))
        },
    }
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine

    def read(name: str) -> pl.DataFrame:
        with engine.connect() as conn:
            return _frame(conn, *reads[name])

    # The big reads first, so they overlap each other and everything else.
    order = ["bills", "payments", "in_force", "signings", "appointments", "reservations", "check_outs", "rooms"]
    order += ["projects", "unit_types"]
    threads = 1 if engine.dialect.name == "sqlite" else READ_THREADS
    with ThreadPoolExecutor(max_workers=threads) as pool:
        frames = dict(zip(order, pool.map(read, order)))
    return frames


# ---------------------------------------------------------------- figures


def chosen_projects(projects: pl.DataFrame, f: Filters) -> list[int]:
    out = projects
    if f.city:
        out = out.filter(pl.col("city") == f.city)
    if f.project_id:
        out = out.filter(pl.col("project_id") == f.project_id)
    return out["project_id"].to_list()


def _sum(frame: pl.DataFrame, col: str) -> int:
    return int(frame[col].sum() or 0) if frame.height else 0


def figures(frames: dict[str, pl.DataFrame], f: Filters, today: date) -> dict:
    """Every figure of the dashboard for the projects and months chosen; money in cents."""
    ids = chosen_projects(frames["projects"], f)
    mine = pl.col("project_id").is_in(ids)
    start, end = date(f.month_from.year, f.month_from.month, 1), month_end(f.month_to)
    due_end = min(end, today)
    months = months_between(start, end)

    rooms = frames["rooms"].filter(mine)
    rentable = rooms.filter(~pl.col("status").is_in(NOT_RENTABLE))
    rented = rooms.filter(pl.col("status").is_in(RENTED))
    # Bills and payments are at day grain: counts are sums of n, amounts sums of sums.

    bills = frames["bills"].filter(mine)
    due = fig.receivable(bills, start, end, today)
    open_ = fig.overdue(bills, today)
    payments = fig.revenue(frames["payments"].filter(mine), start, end)

    active = frames["in_force"].filter(mine)
    signed = frames["signings"].filter(mine & pl.col("signed_on").is_between(start, end))
    new = signed.filter(pl.col("source").is_in(NEW_SOURCES))
    renewals = signed.filter(pl.col("source") == ContractSource.RENEWAL.value)
    outs = frames["check_outs"].filter(mine & pl.col("checked_out_on").is_between(start, end))

    def per_month(frame: pl.DataFrame, day: str, **aggs) -> dict[date, dict]:
        if not frame.height:
            return {}
        grouped = frame.group_by(pl.col(day).dt.truncate("1mo").alias("m")).agg(
            *[expr.alias(k) for k, expr in aggs.items()]
        )
        return {r["m"]: r for r in grouped.iter_rows(named=True)}

    due_m = per_month(due, "due_date", owed=pl.col("owed").sum(), paid=pl.col("paid").sum())
    rev_m = per_month(payments, "paid_on", amount=pl.col("amount").sum())
    new_m = per_month(new, "signed_on", n=pl.col("n").sum())
    ren_m = per_month(renewals, "signed_on", n=pl.col("n").sum())
    out_m = per_month(outs, "checked_out_on", n=pl.col("n").sum())
    monthly = [
        {
            "month": m,
            "owed": due_m.get(m, {}).get("owed", 0),
            "paid": due_m.get(m, {}).get("paid", 0),
            "revenue": rev_m.get(m, {}).get("amount", 0),
            "signings": new_m.get(m, {}).get("n", 0),
            "renewals": ren_m.get(m, {}).get("n", 0),
            "check_outs": out_m.get(m, {}).get("n", 0),
        }
        for m in months
    ]

    arrears = []
    for label, low, high in AGE_BANDS:
        band = fig.in_band(open_, low, high)
        arrears.append(
            {"band": label, "low": low, "high": high, "bills": _sum(band, "n"), "amount": _sum(band, "owing")}
        )

    expiring = [
        {"days": n, "count": _sum(active.filter(pl.col("end_date").is_between(today, today + timedelta(days=n))), "n")}
        for n in EXPIRY_DAYS
    ]

    by_type = (
        active.join(frames["unit_types"].filter(mine).drop("project_id"), on="unit_type_id", how="left")
        .with_columns(pl.col("unit_type").fill_null("未设户型"))
        .group_by("unit_type")
        .agg(
            rent=pl.col("rent").sum(),
            area=pl.col("area").sum(),
            contracts=pl.col("n").sum(),
            unit_type_ids=pl.col("unit_type_id").unique(),
        )
        .filter(pl.col("area") > 0)
        .sort("unit_type")
    )
    rent_per_sqm = [
        {
            "unit_type": r["unit_type"],
            "per_sqm": r["rent"] / r["area"],
            "contracts": r["contracts"],
            "unit_type_ids": sorted(i for i in r["unit_type_ids"] if i is not None),
        }
        for r in by_type.iter_rows(named=True)
    ]

    def in_range(frame):
        return _sum(frame.filter(mine & pl.col("day").is_between(start, end)), "n")

    funnel = {
        "appointments": in_range(frames["appointments"]),
        "reservations": in_range(frames["reservations"]),
        "contracts": _sum(new, "n"),
    }

    # One row a project: the same figures, side by side.
    room_n = rooms.group_by("project_id").agg(
        rooms=pl.col("n").sum(),
        rentable=pl.col("n").filter(~pl.col("status").is_in(NOT_RENTABLE)).sum(),
        rented=pl.col("n").filter(pl.col("status").is_in(RENTED)).sum(),
    )
    due_n = due.group_by("project_id").agg(owed=pl.col("owed").sum(), paid=pl.col("paid").sum())
    rev_n = payments.group_by("project_id").agg(revenue=pl.col("amount").sum())
    arr_n = open_.group_by("project_id").agg(arrears=pl.col("owing").sum())
    projects = (
        frames["projects"]
        .filter(mine)
        .join(room_n, on="project_id", how="left")
        .join(due_n, on="project_id", how="left")
        .join(rev_n, on="project_id", how="left")
        .join(arr_n, on="project_id", how="left")
        .fill_null(0)
        .sort("city", "name")
    )

    return {
        "project_ids": ids,
        "start": start,
        "end": end,
        "due_end": due_end,
        "today": today,
        "rooms": _sum(rooms, "n"),
        "rentable": _sum(rentable, "n"),
        "rented": _sum(rented, "n"),
        "owed": _sum(due, "owed"),
        "paid": _sum(due, "paid"),
        "due_bills": _sum(due, "n"),
        "revenue": _sum(payments, "amount"),
        "arrears": arrears,
        "arrears_total": _sum(open_, "owing"),
        "expiring": expiring,
        "monthly": monthly,
        "rent_per_sqm": rent_per_sqm,
        "funnel": funnel,
        "projects": projects.to_dicts(),
    }


ratio = fig.ratio


# ---------------------------------------------------------------- cache

# One read of the whole database serves every scope: each figure keeps only the projects of the chosen
# ones (``figures``: ``mine``), and those are taken from the viewer's scope (``_scoped``). So it can be
# read before anyone looks (``warm``, at start-up) and it is read once, not once per scope. The price:
# after a write, a look from a one-project scope re-reads every project too (0.65 s at 1M bills).
CACHE = FrameCache(TABLES, lambda session: load_frames(session, None), ttl=TTL)
stats = CACHE.stats  # frame_loads: bulk reads; results: figures worked out
MAX_AGE = CACHE.max_age
warm = CACHE.warm  # read in the background now (the app's start), so that the first look finds it
wait_reloads = CACHE.wait
clear_cache = CACHE.clear


def dashboard(session: Session, p: Principal | None, f: Filters, today: date) -> dict:
    """The figures for p's scope and f, with ``stale``: True while newer data is being read.

    A look with no read, or only a very old one, waits for the read under way (the start-up's) or
    starts one. After a write the frames are read again in a background thread, and meanwhile the
    figures of the previous read are served (marked stale): at a million bills a read takes most of
    a second, a refresh must not."""
    p = require(p, VIEW, RESOURCE)
    hit, stale = CACHE.get(session, (p.project_ids, f, today), lambda frames: figures(_scoped(frames, p), f, today))
    return {**hit, "stale": stale}


def _scoped(frames: dict[str, pl.DataFrame], p: Principal) -> dict[str, pl.DataFrame]:
    if p.project_ids is None:
        return frames
    return {**frames, "projects": frames["projects"].filter(pl.col("project_id").is_in(list(p.project_ids)))}
