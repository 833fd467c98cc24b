"""Engine benchmark: a 1,000,000-row table in SQLite, timed in Chromium.

    source scripts/setup.sh && python -m benchmarks.engine_list [--rows 1000000] [--runs 7]

Prints, for each scenario, the median time from the user's action to the 50
new rows visible in the browser (first page, deep page, enum filter, Chinese
keyword search, sort by amount descending), then export of 100k rows to xlsx
and import of 10k rows with validation. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.app import CHROMIUM_ARGS, ROOT, running_app


def prepare(db_path: Path, rows: int) -> None:
    os.environ["CLSS_DATABASE_URL"] = f"sqlite:///{db_path}"
    from benchmarks import bench_bills
    from clss_app import db, demo, manage

    fresh = not db_path.exists()
    manage.migrate()  # also brings a kept benchmark database up to the current schema
    if fresh:
        demo.generate()
    eng = db.engine()
    with eng.connect() as c:
        have = c.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name='bench_bill'").scalar()
        n = c.exec_driver_sql("SELECT max(id) FROM bench_bill").scalar() if have else 0
    if n != rows:
        t = time.perf_counter()
        bench_bills.fill(eng, rows)
        print(f"filled bench_bill with {rows:,} rows in {time.perf_counter() - t:.1f} s", flush=True)


def io_figures(rows: int) -> list[tuple[str, float]]:
    import polars as pl
    from sqlmodel import select

    from benchmarks.bench_bills import BenchBillAdmin, bench_site
    from clss_app import db
    from clss_app.admin import io
    from clss_app.admin.query import ListQuery
    from clss_app.services.permissions import load_principal
    from models import User

    out = []
    bench_site()  # its grants: super may export and import the bench bills
    with db.session_scope() as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "super")).one())
        # A due-date window that holds about a tenth of the million rows.
        q = ListQuery(filters={"due_date__gte": "2023-01-01", "due_date__lte": "2023-04-10"}, page_size=50)
        t = time.perf_counter()
        frame = io.export_frame(s, BenchBillAdmin, p, q)
        data = io.write_frame(frame, "xlsx")
        out.append((f"export {frame.height:,} rows to xlsx ({len(data) / 1e6:.1f} MB)", time.perf_counter() - t))

        sheet = pl.DataFrame(
            {
                "房间": [f"9-{i // 100}{i % 100:02d}" for i in range(10_000)],
                "租客": ["王小明"] * 10_000,
                "费项": ["租金"] * 10_000,
                "金额": [f"{1000 + i % 500}.50" for i in range(10_000)],
                "应收日期": ["2026-12-01"] * 10_000,
                "状态": ["未确认"] * 10_000,
            }
        )
        buf = __import__("io").BytesIO()
        sheet.write_excel(buf)
        t = time.perf_counter()
        frame = io.read_sheet(buf.getvalue(), "bills.xlsx")
        preview = io.dry_run(s, BenchBillAdmin, p, frame)
        assert preview.ok, preview.errors[:3]
        n = io.commit(s, BenchBillAdmin, p, preview, "bench.xlsx")
        out.append((f"import {n:,} rows from xlsx with validation (read + check + insert)", time.perf_counter() - t))
        s.rollback()  # leave the table as it was
    return out


def browser_figures(base: str, runs: int, rows: int) -> list[tuple[str, list[float]]]:
    from playwright.sync_api import sync_playwright
    from sqlmodel import func, select

    from benchmarks.bench_bills import BenchBill
    from clss_app import db

    with db.session_scope() as s:
        paid_top = s.exec(
            select(BenchBill.id).where(BenchBill.status == "paid").order_by(BenchBill.id.desc()).limit(1)
        ).one()
        name_top = s.exec(
            select(BenchBill.id).where(BenchBill.tenant_name.like("%张伟%")).order_by(BenchBill.id.desc()).limit(1)
        ).one()
        amount_top = s.exec(select(BenchBill.id).order_by(BenchBill.amount.desc(), BenchBill.id.desc()).limit(1)).one()
        deep_top = s.exec(select(BenchBill.id).order_by(BenchBill.id.desc()).offset(9_999 * 50).limit(1)).one()
        first_top = s.exec(select(func.max(BenchBill.id))).one()

    results: dict[str, list[float]] = {k: [] for k in ("a", "b", "c", "d", "e")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(30_000)
        page.goto(f"{base}/login")
        page.fill("#username", "super")
        page.fill("#password", "Clss@2026")
        page.click("#login-submit")
        page.wait_for_selector("#current-role")

        def first_row_is(row_id: int):
            try:
                _wait(row_id)
            except Exception:
                page.screenshot(path=str(ROOT / "test-artifacts" / "bench-timeout.png"))
                raise

        def _wait(row_id: int):
            page.wait_for_function(
                "id => { const r = document.querySelector('#admin-table tbody tr');"
                " return r && r.dataset.rowId === String(id) &&"
                " document.querySelectorAll('#admin-table tbody tr').length === 50; }",
                arg=row_id,
                polling="raf",
            )

        def settle():
            """A user acts on a page that has finished loading: wait for the count and a
            quiet moment, so the clock measures the action, not the tail of the page load."""
            page.wait_for_function(
                "() => { const t = document.getElementById('admin-total'); return t && t.textContent !== '…'; }"
            )
            page.wait_for_timeout(300)

        def timed(key, act, row_id):
            """Clock starts at the user's pointerdown/keydown/input inside the page (not when the
            test driver begins its actionability checks) and stops at the first animation
            frame that shows the 50 expected rows."""
            settle()
            page.evaluate("""() => {
                window.__t0 = null;
                const h = () => { if (window.__t0 === null) window.__t0 = performance.now(); };
                document.addEventListener('pointerdown', h, {capture: true, once: true});
                document.addEventListener('keydown', h, {capture: true, once: true});
                document.addEventListener('input', h, {capture: true, once: true});  // a native select's choice
            }""")
            act()
            handle = page.wait_for_function(
                "id => { const r = document.querySelector('#admin-table tbody tr');"
                " if (window.__t0 !== null && r && r.dataset.rowId === String(id) &&"
                " document.querySelectorAll('#admin-table tbody tr').length === 50)"
                " return performance.now() - window.__t0; return false; }",
                arg=row_id,
                polling="raf",
            )
            results[key].append(handle.json_value())

        page.goto(f"{base}/bench/bills")
        first_row_is(first_top)
        for _ in range(runs):
            page.goto(f"{base}/bench/bills?f_status=paid")
            first_row_is(paid_top)
            # (a) first page: clear the filter
            timed("a", lambda: page.get_by_role("button", name="清除筛选").click(), first_top)
            # (b) deep page: jump to page 10,000
            page.fill("#page-jump", "10000")
            timed("b", lambda: page.press("#page-jump", "Enter"), deep_top)
            # (c) filter on an enum
            page.goto(f"{base}/bench/bills")
            first_row_is(first_top)
            timed("c", lambda: page.select_option("select[data-filter=status]", "paid"), paid_top)
            # (d) keyword search on the Chinese name column
            page.goto(f"{base}/bench/bills")
            first_row_is(first_top)
            page.fill("#admin-search", "张伟")
            timed("d", lambda: page.press("#admin-search", "Enter"), name_top)
            # (e) sort by amount, descending
            page.goto(f"{base}/bench/bills?sort=amount")
            page.wait_for_selector("#admin-table tbody tr")
            timed("e", lambda: page.locator("[data-sort=amount]").click(), amount_top)
        browser.close()
    labels = {
        "a": "first page",
        "b": "deep page (page 10,000)",
        "c": "filter on enum (状态=已收款)",
        "d": "keyword search, Chinese (租客 含 张伟)",
        "e": "sort by amount, descending",
    }
    return [(labels[k], v) for k, v in results.items()]


def bench_database(ap: argparse.ArgumentParser, runs: int) -> tuple[argparse.Namespace, Path]:
    """The browser benchmarks' shared options (--rows, --runs, --db), parsed, and their database made ready."""
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=runs)
    ap.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "clss-bench" / "bench.db"))
    args = ap.parse_args()
    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    prepare(db_path, args.rows)
    return args, db_path


def main() -> int:
    args, db_path = bench_database(argparse.ArgumentParser(), runs=7)

    with running_app(db_path, REFLEX_APP_MODULE_IMPORT="benchmarks.bench_app") as base:
        figures = browser_figures(base, args.runs, args.rows)

    print(f"\nCLSS engine benchmark: {args.rows:,} rows in SQLite, Chromium, {args.runs} runs, 50 rows a page")
    print(f"{'scenario':48} {'median ms':>10} {'min':>8} {'max':>8}")
    for label, values in figures:
        print(f"{label:48} {statistics.median(values):10.0f} {min(values):8.0f} {max(values):8.0f}")
    for label, seconds in io_figures(args.rows):
        print(f"{label:70} {seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
