"""Search benchmark: a 1,000,000-row list searched through its relations, timed on the server.

    source scripts/setup.sh && python -m benchmarks.search [--rows 1000000] [--runs 15] [--pg]

A synthetic lease table (1M rows) points at tenants (200k: name, phone) and rooms (50k: number), the
shape of 合同列表 / 账单管理; its admin declares ``search = ["number", "tenant.name", "tenant.phone",
"room.number"]``, indexed as migration 0017 indexes the app's tables (clss_app/admin/search.py). For
each query, the median of ``runs`` of what a search event computes on the server: the first page's
ids in the list's order, its 50 rows read, the (capped) count, and the rows formatted for display.
The rare name is held by 3 tenants with 5 leases each: 15 of the million rows. ``--pg`` runs it on
PostgreSQL (needs CLSS_TEST_PG: ``source scripts/postgres.sh``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from clss_app import menu
from clss_app.admin import Count, ModelAdmin
from clss_app.admin.query import ListQuery, count, display, fetch_page
from clss_app.admin.search import trigram_index_sql
from clss_app.admin.site import AdminSite
from clss_app.site import build
from models import Role
from models.base import money

RARE = "欧阳娜娜"
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "桂英", "建华"]


class SearchTenant(SQLModel, table=True):
    __tablename__ = "search_tenant"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32, title="姓名")
    phone: str = Field(max_length=11, title="手机号")


class SearchRoom(SQLModel, table=True):
    __tablename__ = "search_room"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, title="房号")


class SearchLease(SQLModel, table=True):
    __tablename__ = "search_lease"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, title="合同编号")
    tenant_id: int = Field(foreign_key="search_tenant.id", index=True, title="租客")
    room_id: int = Field(foreign_key="search_room.id", index=True, title="房间")
    end_date: date = Field(title="到期日")
    rent: Decimal = money("月租金")


class SearchLeaseAdmin(ModelAdmin, model=SearchLease, key="search_leases"):
    list_columns = ["number", "tenant_id", "room_id", "end_date", "rent"]
    search = ["number", "tenant.name", "tenant.phone", "room.number"]
    page_sizes = (50,)
    count = Count.CAPPED


ENTRY = menu.MenuEntry("search_leases", "基准测试合同", "/bench/search", frozenset({Role.SUPER_ADMIN}))
ENTRIES = {**menu.ENTRIES, ENTRY.key: ENTRY}


@cache
def search_site() -> AdminSite:
    """The app's declarations plus the benchmark's admin, finalized and served in this process."""
    site = build(ENTRIES)
    site.register(SearchLeaseAdmin)
    return site.finalize().serve()


INDEXED = {"search_tenant": ("name", "phone"), "search_room": ("number",), "search_lease": ("number",)}


def fill(engine: sa.Engine, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    tenants, rooms = max(rows // 5, 10), max(rows // 20, 10)
    for t in (SearchLease, SearchTenant, SearchRoom):
        t.__table__.drop(engine, checkfirst=True)  # type: ignore[attr-defined]
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in (SearchTenant, SearchRoom, SearchLease)])  # type: ignore[attr-defined]
    rare = set(rng.sample(range(1, tenants + 1), 3))
    tenant_rows = [
        (
            i,
            RARE if i in rare else rng.choice(SURNAMES) + rng.choice(GIVEN),
            f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}",
        )
        for i in range(1, tenants + 1)
    ]
    room_rows = [(i, f"{rng.randint(1, 30)}-{i % 33 + 1}{i % 20 + 1:02d}-{i}") for i in range(1, rooms + 1)]
    # Each rare tenant holds 5 leases; everyone else's are drawn at random among the others.
    others = [i for i in range(1, tenants + 1) if i not in rare]
    holders = [t for t in sorted(rare) for _ in range(5)]
    start = date(2024, 1, 1)
    lease_rows = []
    for i in range(1, rows + 1):
        tenant = holders[i - 1] if i <= len(holders) else rng.choice(others)
        lease_rows.append(
            (
                i,
                f"HT{i:012d}",
                tenant,
                rng.randint(1, rooms),
                start + timedelta(days=rng.randint(0, 1500)),
                rng.randint(1500, 9000),
            )
        )
    rng.shuffle(lease_rows)
    lease_rows = [(i + 1, *r[1:]) for i, r in enumerate(lease_rows)]
    dialect = engine.dialect.name
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if dialect == "postgresql":
            with raw.cursor() as cur:  # type: ignore[union-attr]
                for table, cols, data in (
                    ("search_tenant", "id, name, phone", tenant_rows),
                    ("search_room", "id, number", room_rows),
                    ("search_lease", "id, number, tenant_id, room_id, end_date, rent", lease_rows),
                ):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for r in data:
                            copy.write_row(r)
        else:
            conn.exec_driver_sql("INSERT INTO search_tenant VALUES (?,?,?)", tenant_rows)
            conn.exec_driver_sql("INSERT INTO search_room VALUES (?,?)", room_rows)
            conn.exec_driver_sql(
                "INSERT INTO search_lease VALUES (?,?,?,?,?,?)", [(*r[:4], r[4].isoformat(), r[5]) for r in lease_rows]
            )
        for table, columns in INDEXED.items():
            for sql in trigram_index_sql(dialect, table, columns):
                conn.exec_driver_sql(sql)
        conn.exec_driver_sql("ANALYZE")


def server_figures(engine: sa.Engine, runs: int) -> list[tuple[str, int, list[float]]]:
    with Session(engine) as s:
        rare_tenant = s.exec(sa.select(SearchTenant).where(SearchTenant.name == RARE).limit(1)).scalars().one()  # type: ignore[call-overload]
        lease = s.exec(sa.select(SearchLease).where(SearchLease.tenant_id == rare_tenant.id).limit(1)).scalars().one()  # type: ignore[call-overload]
        room = s.get(SearchRoom, lease.room_id)
        assert room is not None
    queries = [
        (f"rare name, 4 characters ({RARE}: 15 of the rows)", RARE),
        ("rare name, 3 characters (欧阳娜)", "欧阳娜"),
        ("full phone number", rare_tenant.phone),
        ("room number", room.number),
        ("contract number", lease.number),
        ("2 characters (赵磊: common)", "赵磊"),
        ("2 characters (阳娜: rare)", "阳娜"),
        ("1 character (赵: a surname)", "赵"),
        ("no match (没有这个人)", "没有这个人"),
    ]
    out = []
    for label, text in queries:
        q = ListQuery(q=text, page_size=50)
        times, n = [], 0
        for _ in range(runs):
            with Session(engine) as s:
                t = time.perf_counter()
                rows = fetch_page(s, SearchLeaseAdmin, None, q)
                n, _exact = count(s, SearchLeaseAdmin, None, q)
                display(s, SearchLeaseAdmin, None, rows, SearchLeaseAdmin.list_columns)
                times.append((time.perf_counter() - t) * 1000)
        out.append((label, n, times))
    return out


def browser_figures(db_path: Path, runs: int) -> list[float]:
    """Keypress (Enter in the search box) to the 15 rows of the rare name painted, in Chromium."""
    from playwright.sync_api import sync_playwright

    from benchmarks.app import CHROMIUM_ARGS, running_app

    engine = sa.create_engine(f"sqlite:///{db_path}")
    with engine.connect() as c:
        top = c.exec_driver_sql(
            "SELECT max(l.id) FROM search_lease l JOIN search_tenant t ON t.id = l.tenant_id WHERE t.name = ?", (RARE,)
        ).scalar()
    out: list[float] = []
    with running_app(db_path, REFLEX_APP_MODULE_IMPORT="benchmarks.search_app") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(60_000)
        page.goto(f"{base}/login")
        page.fill("#username", "super")
        page.fill("#password", "Clss@2026")
        page.click("#login-submit")
        page.wait_for_selector("#current-role")
        for _ in range(runs):
            page.goto(f"{base}/bench/search")
            page.wait_for_function(
                "() => document.querySelectorAll('#admin-table tbody tr').length === 50 &&"
                " document.getElementById('admin-total')?.textContent !== '…'"
            )
            page.wait_for_timeout(300)
            page.fill("#admin-search", RARE)
            page.evaluate(
                """() => { window.__t0 = null; document.addEventListener('keydown', () => {
                    if (window.__t0 === null) window.__t0 = performance.now(); }, {capture: true, once: true}); }"""
            )
            page.press("#admin-search", "Enter")
            handle = page.wait_for_function(
                "id => { const rs = document.querySelectorAll('#admin-table tbody tr');"
                " if (window.__t0 !== null && rs.length === 15 && rs[0].dataset.rowId === String(id))"
                " return performance.now() - window.__t0; return false; }",
                arg=top,
                polling="raf",
            )
            out.append(handle.json_value())
        browser.close()
    return out


def prepare_app_db(db_path: Path, rows: int) -> None:
    """The app's schema and demo (to log in) plus the benchmark's tables, in one SQLite file."""
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{db_path}"
    from clss_app import db, demo, manage

    fresh = not db_path.exists()
    manage.migrate()
    if fresh:
        demo.generate()
    eng = db.engine()
    with eng.connect() as conn:
        have = sa.inspect(conn).has_table("search_lease")
        n = conn.exec_driver_sql("SELECT count(*) FROM search_lease").scalar() if have else 0
    if n != rows:
        fill(eng, rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pg", action="store_true", help="on PostgreSQL (CLSS_TEST_PG) instead of SQLite")
    ap.add_argument("--browser", action="store_true", help="keypress to rows painted in Chromium (SQLite)")
    ap.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "clss-bench" / "search.db"))
    args = ap.parse_args()
    if args.browser:
        db_path = Path(args.db).with_name("search-app.db")
        db_path.parent.mkdir(parents=True, exist_ok=True)
        prepare_app_db(db_path, args.rows)
        values = browser_figures(db_path, args.runs)
        print(f"\nCLSS search in Chromium: {args.rows:,} leases in SQLite, {args.runs} runs")
        print(
            f"keypress (Enter) to the {RARE} rows painted: median {statistics.median(values):.0f} ms,"
            f" min {min(values):.0f}, max {max(values):.0f}"
        )
        return 0
    if args.pg:
        pg = os.environ.get("CLSS_TEST_PG")
        if not pg:
            raise SystemExit("--pg needs CLSS_TEST_PG: source scripts/postgres.sh first")
        admin = sa.create_engine(pg.format(db="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = 'clss_bench_search'").first():
                conn.exec_driver_sql("CREATE DATABASE clss_bench_search")
        admin.dispose()
        engine, where = sa.create_engine(pg.format(db="clss_bench_search")), "PostgreSQL"
    else:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
        engine, where = sa.create_engine(f"sqlite:///{args.db}"), "SQLite"
    with engine.connect() as conn:
        have = sa.inspect(conn).has_table("search_lease")
        n = conn.exec_driver_sql("SELECT count(*) FROM search_lease").scalar() if have else 0
    if n != args.rows:
        t = time.perf_counter()
        fill(engine, args.rows)
        took = time.perf_counter() - t
        print(f"filled search_lease with {args.rows:,} rows (and their tenants and rooms) in {took:.0f} s")
    figures = server_figures(engine, args.runs)
    print(f"\nCLSS search benchmark: {args.rows:,} leases in {where}, {args.runs} runs, server side")
    print("(first page of 50 in the list's order + its rows + capped count + display)")
    print(f"{'query':52} {'rows':>7} {'median ms':>10} {'min':>7} {'max':>7}")
    for label, rows, values in figures:
        print(f"{label:52} {rows:7,} {statistics.median(values):10.1f} {min(values):7.1f} {max(values):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
