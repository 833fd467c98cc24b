"""Every figure of the speed issue (#19) in one run, in Chromium, on this machine.

    source scripts/setup.sh && python -m benchmarks.speed [--rows 1000000] [--runs 7] [--dashboard]

On a SQLite database with the demo and the engine benchmark's 1,000,000 bills (kept between runs in
the temp folder, as benchmarks/engine_list.py keeps it), the app in prod mode, one logged-in tab:

- in-app list actions (a)-(e) on the million rows: from the user's pointerdown/keydown to the 50 new
  rows painted (engine_list's clock);
- the same five lists opened cold by URL in the logged-in tab: from the navigation's start to the rows
  painted (``performance.now()`` of the new document);
- a rare name (15 of the million rows) typed into the search box, to its rows painted; a contract found
  by its tenant's name through the relation (合同列表 as 店长, the demo);
- a menu click to another list's rows painted; a row's 查看 to its detail with its groups, timeline and
  related tabs (their counts and rows come with the detail); a room of 房态图 to its panel; login to the
  home page painted (the demo, as 店长).

``--dashboard`` adds 经营看板's first look after start-up at 1M bills (benchmarks/analytics.py's own
seeding, several minutes). Medians, min and max in ms. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.app import CHROMIUM_ARGS, ROOT, running_app
from benchmarks.engine_list import bench_database, browser_figures

RARE = "欧阳娜娜"
RARE_ROWS = 15
PASSWORD = "Clss@2026"

# The clock: armed in the page, started by the user's first pointerdown/keydown, read when ``done`` holds.
ARM = """() => {
    window.__t0 = null;
    const h = () => { if (window.__t0 === null) window.__t0 = performance.now(); };
    document.addEventListener('pointerdown', h, {capture: true, once: true});
    document.addEventListener('keydown', h, {capture: true, once: true});
}"""


def prepare_rare(rows: int) -> None:
    """15 bills of a rare tenant name, and the trigram index the app's searched tables have (0017)."""
    from clss_app import db
    from clss_app.admin.search import trigram_index_sql

    with db.engine().begin() as conn:
        ids = [rows // (RARE_ROWS + 1) * (k + 1) for k in range(RARE_ROWS)]
        conn.exec_driver_sql(f"UPDATE bench_bill SET tenant_name = ? WHERE id IN ({','.join(map(str, ids))})", (RARE,))
        have = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'bench_bill__trgm'").scalar()
        if not have:
            for sql in trigram_index_sql("sqlite", "bench_bill", ("tenant_name", "room")):
                conn.exec_driver_sql(sql)
        else:
            conn.exec_driver_sql("INSERT INTO bench_bill__trgm(bench_bill__trgm) VALUES ('rebuild')")


def _timed(page, act: Callable[[], None], done: str, arg=None) -> float:
    page.wait_for_timeout(250)  # a quiet moment: the clock measures the action, not a tail of the last one
    page.evaluate(ARM)
    act()
    handle = page.wait_for_function(
        f"arg => {{ if (window.__t0 === null) return false; const ok = ({done})(arg);"
        " return ok ? performance.now() - window.__t0 : false; }",
        arg=arg,
        polling="raf",
    )
    return float(handle.json_value())


def _cold(page, url: str, done: str, arg=None) -> float:
    page.goto(url, wait_until="commit")
    handle = page.wait_for_function(
        f"arg => ({done})(arg) ? performance.now() : false", arg=arg, polling="raf", timeout=30_000
    )
    return float(handle.json_value())


FIFTY_FROM = (
    "id => { const r = document.querySelector('#admin-table tbody tr');"
    " return r && r.dataset.rowId === String(id) && document.querySelectorAll('#admin-table tbody tr').length === 50; }"
)
LIST_OF = (
    "route => { const l = document.querySelector(`#admin-list[data-route='${route}']:not(.clss-init)`);"
    " return l && l.querySelector('#admin-table tbody tr') !== null; }"
)
ROWS_N = "n => document.querySelectorAll('#admin-table tbody tr[data-row-id]').length === n"
ALL_NAME = (
    "name => { const rs = [...document.querySelectorAll('#admin-table tbody tr[data-row-id]')];"
    " return rs.length > 0 && rs.every(r => r.textContent.includes(name)); }"
)
DETAIL = (
    "() => { const t = document.querySelector('#detail-timeline'); const g = document.querySelector('#detail-items');"
    " const tab = document.querySelector('#detail-tabs [role=tab][data-tab]');"
    " return t && g && tab && t.textContent.length > 0; }"
)
PANEL = "() => { const p = document.querySelector('#room-panel'); return p && p.textContent.includes('房态记录'); }"
HOME = "() => document.querySelector('#current-role') !== null"
DASHBOARD = (
    "() => { const s = document.querySelector('#stat-occupancy'); const c = document.querySelector('#chart-collection"
    " .js-plotly-plot'); return s && s.textContent.trim() !== '—' && c && c.data && c.data.length > 0; }"
)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#current-role")


def cold_and_demo_figures(base: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright
    from sqlmodel import func, select

    from benchmarks.bench_bills import BenchBill
    from clss_app import db
    from clss_app.services.permissions import load_principal
    from models import Contract, Tenant, User

    with db.session_scope() as s:
        top = s.exec(select(func.max(BenchBill.id))).one()
        paid_top = s.exec(
            select(BenchBill.id).where(BenchBill.status == "paid").order_by(BenchBill.id.desc()).limit(1)
        ).one()
        wang_top = s.exec(
            select(BenchBill.id).where(BenchBill.tenant_name.like("%王%")).order_by(BenchBill.id.desc()).limit(1)
        ).one()
        amount_top = s.exec(select(BenchBill.id).order_by(BenchBill.amount.desc(), BenchBill.id.desc()).limit(1)).one()
        deep_top = s.exec(select(BenchBill.id).order_by(BenchBill.id.desc()).offset(9_999 * 50).limit(1)).one()
        manager = load_principal(s, s.exec(select(User).where(User.username == "manager")).one())
        # A tenant with one contract among those the store manager sees.
        tenant = s.exec(
            select(Tenant.name)
            .join(Contract, Contract.tenant_id == Tenant.id)
            .where(Contract.project_id.in_(manager.project_ids or []))
            .group_by(Tenant.name)
            .having(func.count() == 1)
            .limit(1)
        ).first()
    cold = {
        "a": (f"{base}/bench/bills", top),
        "b": (f"{base}/bench/bills?page=10000", deep_top),
        "c": (f"{base}/bench/bills?f_status=paid", paid_top),
        "d": (f"{base}/bench/bills?q=王", wang_top),
        "e": (f"{base}/bench/bills?sort=-amount", amount_top),
    }
    out: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(30_000)
        _login(page, base, "super")
        for _ in range(runs):
            for key, (url, first) in cold.items():
                out.setdefault(f"cold {key}", []).append(_cold(page, url, FIFTY_FROM, first))
            page.goto(f"{base}/bench/bills")
            page.wait_for_function(FIFTY_FROM, arg=top)
            page.fill("#admin-search", RARE)
            out.setdefault("rare", []).append(
                _timed(page, lambda: page.press("#admin-search", "Enter"), ROWS_N, RARE_ROWS)
            )
        page.context.clear_cookies()
        page.goto(f"{base}/login")
        page.evaluate("() => localStorage.clear()")

        for _ in range(runs):  # the demo as a store manager
            _demo_round(page, base, tenant, out)
        browser.close()
    return out


def _click(locator) -> Callable[[], None]:
    return lambda: locator.click()


def _demo_round(page, base: str, tenant: str | None, out: dict[str, list[float]]) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "manager")
    page.fill("#password", PASSWORD)
    out.setdefault("login", []).append(_timed(page, _click(page.locator("#login-submit")), HOME))
    nav = page.get_by_role("navigation")
    for entry, route in (("合同列表", "/contracts"), ("账单管理", "/finance/bills")):
        link = nav.get_by_role("link", name=entry, exact=True)
        out.setdefault("menu", []).append(_timed(page, _click(link), LIST_OF, route))
    nav.get_by_role("link", name="合同列表", exact=True).click()
    page.wait_for_function(LIST_OF, arg="/contracts")
    if tenant:
        page.fill("#admin-search", tenant)
        out.setdefault("relation", []).append(
            _timed(page, lambda: page.press("#admin-search", "Enter"), ALL_NAME, tenant)
        )
        page.fill("#admin-search", "")
        page.press("#admin-search", "Enter")
        page.wait_for_timeout(300)
    view = page.locator("#admin-table tbody tr").first.get_by_text("查看")
    out.setdefault("detail", []).append(_timed(page, _click(view), DETAIL))
    page.keyboard.press("Escape")
    nav.get_by_role("link", name="房态图", exact=True).click()
    tile = page.locator("#board .clss-tile[data-status=occupied]").first
    tile.wait_for()
    out.setdefault("panel", []).append(_timed(page, _click(tile), PANEL))
    page.keyboard.press("Escape")
    page.context.clear_cookies()
    page.evaluate("() => localStorage.clear()")


def dashboard_cold() -> tuple[str, list[float], list[float]]:
    """经营看板 at 1M bills: benchmarks/analytics.py's server-side line (it seeds and keeps its database),
    then, three times, the app started anew on that database and two first looks in Chromium, each from
    the navigation to the figures and the collection chart drawn:

    - super's, in a new browser: nothing cached anywhere (the page's scripts, Plotly's among them, come
      over the network and are compiled);
    - then the principal's (another data scope, so its figures are read cold) in that browser, whose
      scripts are now cached: what an executive sees opening the dashboard after a restart."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.analytics"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    line = next((x.strip() for x in done.stdout.splitlines() if x.strip().startswith("cold")), "?")
    from playwright.sync_api import sync_playwright

    db_path = Path(tempfile.gettempdir()) / "clss-analytics-bench" / "bench.db"
    new_browser, warm_browser = [], []
    for _ in range(3):
        with running_app(db_path, CLSS_JOBS="0") as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.set_default_timeout(60_000)
            _login(page, base, "super")
            new_browser.append(_cold(page, f"{base}/analytics", DASHBOARD))
            page.context.clear_cookies()
            page.goto(f"{base}/login")
            page.evaluate("() => localStorage.clear()")
            _login(page, base, "principal")
            warm_browser.append(_cold(page, f"{base}/analytics", DASHBOARD))
            browser.close()
    return line, new_browser, warm_browser


LABELS = {
    "a": "(a) first page, in-app",
    "b": "(b) page 10,000, in-app",
    "c": "(c) status filter, in-app",
    "d": "(d) search 张伟, in-app",
    "e": "(e) sort by amount desc, in-app",
    "cold a": "(a) first page, URL opened cold",
    "cold b": "(b) page 10,000, URL opened cold",
    "cold c": "(c) status filter, URL opened cold",
    "cold d": "(d) search 王, URL opened cold",
    "cold e": "(e) sort by amount desc, URL opened cold",
    "rare": f"search a rare name ({RARE_ROWS} of 1M rows)",
    "relation": "合同列表: a contract by its tenant's name",
    "menu": "menu click -> another list's rows painted",
    "detail": "查看 -> detail with timeline and first tab",
    "panel": "房态图: a room's panel",
    "login": "login -> home painted",
}
TARGETS = {"rare": 100, "relation": 100, "menu": 100, "detail": 100, "panel": 100, "login": 400}
TARGETS.update(dict.fromkeys("abcde", 60))
TARGETS.update({f"cold {k}": 130 for k in "abcde"})


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dashboard", action="store_true")
    args, db_path = bench_database(ap, runs=7)
    prepare_rare(args.rows)
    figures: dict[str, list[float]] = {}
    with running_app(db_path, REFLEX_APP_MODULE_IMPORT="benchmarks.bench_app") as base:
        for (label, values), key in zip(browser_figures(base, args.runs, args.rows), "abcde", strict=True):
            del label
            figures[key] = values
        figures.update(cold_and_demo_figures(base, args.runs))
    print(f"\nCLSS speed: {args.rows:,} bills in SQLite + the demo, Chromium, {args.runs} runs, ms")
    print(f"{'what':46} {'median':>7} {'min':>6} {'max':>6} {'target':>7}")
    for key, label in LABELS.items():
        v = figures.get(key) or []
        if not v:
            print(f"{label:46} {'—':>7}")
            continue
        med = statistics.median(v)
        mark = "" if med <= TARGETS[key] else "  over"
        print(f"{label:46} {med:7.0f} {min(v):6.0f} {max(v):6.0f} {TARGETS[key]:7}{mark}")
    if args.dashboard:
        line, new_browser, warm_browser = dashboard_cold()
        print(f"经营看板 at 1M bills, server side: {line}")
        for label, looks in (
            ("经营看板 first look after start-up", warm_browser),
            ("  ... in a new browser (Plotly not cached)", new_browser),
        ):
            med = statistics.median(looks)
            mark = "" if med <= 1000 else "  over"
            print(f"{label:46} {med:7.0f} {min(looks):6.0f} {max(looks):6.0f} {1000:7}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
