"""Fault test: the production set-up (PostgreSQL, Redis, several workers) under load while its
parts fail, then a check that nothing was lost or half-written and every client recovered.

    bash scripts/fault_test [--sessions 12] [--workers 3]

While simulated staff lock and unlock their own rooms over websockets, and a real Chromium tab
stays open on the 房态图 without ever being reloaded:
  1. a worker is killed (SIGKILL) — the one serving the Chromium tab; granian starts a new one;
  2. Redis is restarted (saving on the way down, as a maintenance restart does);
  3. PostgreSQL is restarted (fast shutdown: open transactions are cut);
  4. a browser commits a 29,952-row import and disconnects while the rows are being inserted;
  5. a browser commits the same import and the worker serving it is killed while inserting.
A simulated client recovers as the page does: it reconnects with its tokens, rehydrates, reloads
the page's data, and carries on. Afterwards, from the database:
  - every room the run touched is vacant, with as many unlocks as locks in its history, and its
    version moved once per logged change (status and history written together or not at all);
  - every lock and unlock a client saw succeed is in the history (nothing acknowledged is lost);
  - each import is there whole (all rows, an audit line each and one for the batch) or not at all;
and, in the browser: the tab that lived through all of it shows a lock made elsewhere and locks a
room itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from benchmarks import load
from benchmarks.app import CHROMIUM_ARGS, fresh_cluster, running_app
from benchmarks.ws_client import BOARD, Disconnected, Tab, form

CITIES = 312  # × 2 kinds × 4 bands × 12 months = 29,952 rows
IMPORT_ROWS = CITIES * 2 * 4 * 12
SOURCE = "故障测试"


@dataclass
class Record:
    acked: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    interruptions: int = 0
    recoveries: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    ops: int = 0


# ---------------------------------------------------------------- processes


def _proc_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, pgid, command) from /proc."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
                cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            out[int(d)] = (int(fields[1]), int(fields[2]), cmd)
    return out


def workers(pgid: int) -> list[int]:
    """The app's worker processes: the children of the process in its group that has the most."""
    table = {pid: t for pid, t in _proc_table().items() if t[1] == pgid and "python" in t[2]}
    children = defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        if ppid in table:
            children[ppid].append(pid)
    return max(children.values(), key=len, default=[])


async def wait_for_workers(pgid: int, n: int, before: set[int], timeout: float = 60) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        now = workers(pgid)
        if len(now) >= n and set(now) != before:
            return time.perf_counter() - start
        await asyncio.sleep(0.2)
    raise RuntimeError(f"workers not back to {n} within {timeout}s: {workers(pgid)}")


def sh(cmd: str) -> None:
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------- simulated staff


async def _recover(tab: Tab, path: str, rec: Record) -> None:
    """As the page does: reconnect with the same tokens, rehydrate, the page loads its data again."""
    start = time.perf_counter()
    while True:
        try:
            await tab.close()
            await tab.connect(path, timeout=10)
            await tab.until(lambda u: "rows_rx_state_" in u.delta.get(BOARD, {}), timeout=10)
            rec.recoveries.append(time.perf_counter() - start)
            return
        except (Disconnected, TimeoutError, OSError):
            await asyncio.sleep(0.5)
            if time.perf_counter() - start > 90:
                raise RuntimeError(f"{tab.path}: no recovery in 90 s") from None


async def staff(base: str, plan: load.Plan, stop: asyncio.Event, rec: Record, rng: random.Random) -> None:
    tab = Tab(base, load.version())
    path = f"/workbench?project={plan.project_id}"
    await tab.login(plan.username, load.PASSWORD)
    await tab.navigate(path, changes=(BOARD, "rows_rx_state_"))
    while not stop.is_set():
        room = rng.choice(plan.rooms)
        try:
            status = load.tile_status(tab, room)
            if status == "vacant":
                await tab.call(
                    f"{BOARD}.set_mode", {"mode": "batch"}, changes=(BOARD, "selected_rx_state_"), timeout=10
                )
                await tab.call(
                    f"{BOARD}.click_tile",
                    {"room_id": room, "status": "vacant"},
                    changes=(BOARD, "selected_rx_state_"),
                    timeout=10,
                )
                await tab.call(
                    f"{BOARD}.lock",
                    form(kind_label="普通锁定", reason="故障测试"),
                    changes=(BOARD, "rows_rx_state_"),
                    timeout=10,
                )
                if load.tile_status(tab, room) == "locked":
                    rec.acked[room]["locked"] += 1
            elif status == "locked":
                await tab.call(f"{BOARD}.unlock", {"room_id": str(room)}, changes=(BOARD, "rows_rx_state_"), timeout=10)
                if load.tile_status(tab, room) == "vacant":
                    rec.acked[room]["vacant"] += 1
            rec.ops += 1
        except (Disconnected, TimeoutError, OSError):
            rec.interruptions += 1
            await _recover(tab, path, rec)
        await asyncio.sleep(rng.uniform(0.1, 0.5))
    # Leave every room as found: unlock what is still locked (after one more look).
    for _ in range(3):
        try:
            await tab.navigate(path, changes=(BOARD, "rows_rx_state_"), timeout=10)
            for room in plan.rooms:
                if load.tile_status(tab, room) == "locked":
                    await tab.call(
                        f"{BOARD}.unlock", {"room_id": str(room)}, changes=(BOARD, "rows_rx_state_"), timeout=10
                    )
                    if load.tile_status(tab, room) == "vacant":
                        rec.acked[room]["vacant"] += 1
            break
        except (Disconnected, TimeoutError, OSError):
            await _recover(tab, path, rec)
    await tab.close()


# ---------------------------------------------------------------- browser


async def login(page, username: str) -> None:
    await page.goto("/login")
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(load.PASSWORD)
    await page.locator("#login-submit").click()
    await page.locator("#current-user").wait_for()


async def node_pid(page) -> int:
    return int((await page.locator("[data-node]").first.get_attribute("data-node")).rsplit(":", 1)[1])


def import_file(tmp: Path) -> Path:
    cities = [f"测试城市{i:04d}" for i in range(CITIES)]
    bands = ["60㎡以下", "60–90㎡", "90–144㎡", "144㎡以上"]
    rows = [
        (k, c, b, f"2025-{m:02d}", f"{100 + m / 10:.2f}", SOURCE)
        for k in ("住房租赁指数", "住房价格指数")
        for c in cities
        for b in bands
        for m in range(1, 13)
    ]
    path = tmp / "market-import.csv"
    pl.DataFrame(rows, schema=["指数类型", "城市", "面积段", "月份", "指数值", "数据来源"], orient="row").write_csv(
        path
    )
    return path


async def import_and_cut(browser, base: str, path: Path, cut) -> None:
    """Upload and check the file, click 确认导入, then ``cut(page)`` right away."""
    ctx = await browser.new_context(base_url=base, locale="zh-CN")
    ctx.set_default_timeout(120_000)
    page = await ctx.new_page()
    await login(page, "sysadmin")
    await page.goto("/market/data")
    await page.locator("#admin-list:not(.clss-init) #admin-table").wait_for()
    await page.locator("#admin-import").click()
    await page.locator("#admin-import-upload input[type=file]").set_input_files(str(path))
    await page.locator("#import-ok").wait_for()
    await page.locator("#import-commit").click()
    await cut(page)
    if not page.is_closed():
        await ctx.close()


async def inserting(url: str, timeout: float = 30) -> bool:
    """Until PostgreSQL is running the import's INSERT (True), or the time is up (False)."""
    eng = sa.create_engine(url)
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < timeout:
            with eng.connect() as conn:
                if conn.execute(
                    sa.text(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE "
                        "'INSERT INTO market_index%' AND state <> 'idle'"
                    )
                ).scalar():
                    return True
            await asyncio.sleep(0.02)
        return False
    finally:
        eng.dispose()


def whole(rows: int, audit: int) -> bool:
    return (rows, audit) in ((0, 0), (IMPORT_ROWS, IMPORT_ROWS + 1))


def imported(url: str) -> tuple[int, int]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.text("SELECT COUNT(*) FROM market_index WHERE source = :s"), {"s": SOURCE}).scalar()
        audit = conn.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE resource = 'market_data' AND action = 'import'")
        ).scalar()
    eng.dispose()
    return rows, audit


def clear_import(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("DELETE FROM market_index WHERE source = :s"), {"s": SOURCE})
        conn.execute(sa.text("DELETE FROM audit_log WHERE resource = 'market_data' AND action = 'import'"))
    eng.dispose()


# ---------------------------------------------------------------- the run


async def run(base: str, url: str, pgid: int, args, tmp: Path) -> list[str]:
    from playwright.async_api import async_playwright

    problems: list[str] = []
    chosen = load.plans(url, args.sessions)
    rooms = sorted({r for p in chosen for r in p.rooms})
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        versions = dict(
            conn.execute(
                sa.text("SELECT id, version FROM room WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": rooms},
            ).all()
        )
        log_start = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM room_status_log")).scalar()
    eng.dispose()
    rec, stop = Record(), asyncio.Event()
    rng = random.Random(11)
    n_workers = len(workers(pgid))
    print(f"   {n_workers} workers: {workers(pgid)}; {len(chosen)} sessions on {len(rooms)} rooms")

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = await browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1366, "height": 768})
        ctx.set_default_timeout(30_000)
        tab = await ctx.new_page()
        await login(tab, "manager")
        await tab.goto("/workbench")
        await tab.locator("#board .clss-tile").first.wait_for()
        tasks = [asyncio.create_task(staff(base, plan, stop, rec, random.Random(rng.random()))) for plan in chosen]
        await asyncio.sleep(args.pause)

        def step(name: str, seconds: float | None = None) -> None:
            print(f"   {name}" + ("" if seconds is None else f": {seconds:.1f} s"), flush=True)

        victim = await node_pid(tab)
        before = set(workers(pgid))
        t = time.perf_counter()
        os.kill(victim, signal.SIGKILL)
        await wait_for_workers(pgid, n_workers, before)
        step(f"1. worker {victim} (the browser tab's) killed; a new worker up after", time.perf_counter() - t)
        await asyncio.sleep(args.pause)

        t = time.perf_counter()
        sock = os.environ["CLSS_TEST_REDIS"].removeprefix("unix://")
        sh(f"redis-cli -s {sock} shutdown save")
        await asyncio.sleep(1)
        sh(f"redis-server {os.environ['CLSS_REDIS_CONF']}")
        step("2. Redis stopped and started again, down for", time.perf_counter() - t)
        await asyncio.sleep(args.pause)

        t = time.perf_counter()
        sh(f"{os.environ['CLSS_PG_CTL']} -m fast restart")
        step("3. PostgreSQL restarted (fast), down for", time.perf_counter() - t)
        await asyncio.sleep(args.pause)
        stop.set()
        await asyncio.gather(*tasks)
        print(
            f"   staff: {rec.ops} lock/unlock steps, {rec.interruptions} interrupted, "
            f"recovered {len(rec.recoveries)} times (max {max(rec.recoveries, default=0):.1f} s)",
            flush=True,
        )

        # 4 and 5: an import cut off by the client going away, then by its worker dying.
        path = import_file(tmp)
        clear_import(url)
        caught = {}

        async def leave_mid_insert(page):
            caught[4] = await inserting(url)
            await page.context.close()  # the browser goes away: its websocket drops mid-commit

        await import_and_cut(browser, base, path, leave_mid_insert)
        await asyncio.sleep(20)  # the commit, if it started, runs to its end
        rows, audit = imported(url)
        step(
            f"4. import of {IMPORT_ROWS:,} rows, browser closed "
            f"{'while inserting' if caught[4] else '(INSERT not seen)'}: "
            f"{rows:,} rows and {audit:,} audit lines"
        )
        if not whole(rows, audit) or not caught[4]:
            problems.append(f"import 4: {rows} rows, {audit} audit lines, insert seen: {caught[4]}")
        clear_import(url)

        async def kill_mid_insert(page):
            pid = await node_pid(page)
            caught[5] = await inserting(url)
            os.kill(pid, signal.SIGKILL)

        before = set(workers(pgid))
        await import_and_cut(browser, base, path, kill_mid_insert)
        await wait_for_workers(pgid, n_workers, before)
        await asyncio.sleep(3)  # PostgreSQL notices the dead connection and rolls back
        rows, audit = imported(url)
        step(
            f"5. same import, its worker killed {'while inserting' if caught[5] else '(INSERT not seen)'}: "
            f"{rows:,} rows and {audit:,} audit lines"
        )
        if not whole(rows, audit) or not caught[5]:
            problems.append(f"import 5: {rows} rows, {audit} audit lines, insert seen: {caught[5]}")

        # The tab that lived through all of it, never reloaded: sees a lock made elsewhere, locks itself.
        other = Tab(base, load.version())
        await other.login("multistore", load.PASSWORD)
        await other.navigate("/workbench?project=1", changes=(BOARD, "rows_rx_state_"))
        taken = set(rooms)
        vacant = [
            t["id"]
            for row in other.var(BOARD, "rows")
            for t in row["tiles"]
            if t["status"] == "vacant" and t["id"] not in taken
        ][:2]
        numbers = {t["id"]: t["number"] for row in other.var(BOARD, "rows") for t in row["tiles"]}
        await other.call(f"{BOARD}.set_mode", {"mode": "batch"}, changes=(BOARD, "selected_rx_state_"))
        await other.call(
            f"{BOARD}.click_tile", {"room_id": vacant[0], "status": "vacant"}, changes=(BOARD, "selected_rx_state_")
        )
        await other.call(
            f"{BOARD}.lock", form(kind_label="普通锁定", reason="他处锁定"), changes=(BOARD, "rows_rx_state_")
        )
        t = time.perf_counter()
        seen = tab.locator(f"#board .clss-tile[data-room='{numbers[vacant[0]]}'][data-status=locked]")
        try:
            await seen.wait_for(timeout=60_000)
            step("the surviving tab showed the other user's lock after", time.perf_counter() - t)
            await tab.locator("#board-mode").get_by_role("radio", name="批量选择").click()
            await tab.locator(f"#board .clss-tile[data-room='{numbers[vacant[1]]}']").click()
            await tab.locator("#board-lock").click()
            await tab.locator("#lock-reason").fill("恢复后锁定")
            await tab.locator("#lock-ok").click()
            await tab.get_by_text("锁定成功 1 间").wait_for(timeout=30_000)
            await tab.screenshot(path=str(tmp / "fault-surviving-tab.png"))
            print(
                f"   the surviving tab locked room {numbers[vacant[1]]} itself "
                f"(screenshot {tmp}/fault-surviving-tab.png)"
            )
        except Exception as exc:
            await tab.screenshot(path=str(tmp / "fault-surviving-tab.png"))
            problems.append(f"the tab open through the faults did not recover: {type(exc).__name__}")
        await other.close()
        await browser.close()

    problems += check(url, rooms, versions, log_start, rec)
    return problems


def check(url: str, rooms: list[int], versions: dict[int, int], log_start: int, rec: Record) -> list[str]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        now = dict(
            conn.execute(
                sa.text("SELECT id, status FROM room WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": rooms},
            ).all()
        )
        ver = dict(
            conn.execute(
                sa.text("SELECT id, version FROM room WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": rooms},
            ).all()
        )
        logged = defaultdict(lambda: defaultdict(int))
        for room, to in conn.execute(
            sa.text("SELECT room_id, to_status FROM room_status_log WHERE id > :start AND room_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"start": log_start, "ids": rooms},
        ):
            logged[room][to] += 1
    eng.dispose()
    problems = []
    for room in rooms:
        locks, unlocks = logged[room]["locked"], logged[room]["vacant"]
        if now[room] != "vacant":
            problems.append(f"room {room} left {now[room]}")
        if locks != unlocks:
            problems.append(f"room {room}: {locks} locks but {unlocks} unlocks logged")
        if ver[room] - versions[room] != locks + unlocks:
            problems.append(
                f"room {room}: version moved {ver[room] - versions[room]}, {locks + unlocks} changes logged"
            )
        for to in ("locked", "vacant"):
            if rec.acked[room][to] > logged[room][to]:
                problems.append(
                    f"room {room}: {rec.acked[room][to]} {to} seen by the client, {logged[room][to]} logged"
                )
    total = sum(sum(v.values()) for v in logged.values())
    print(
        f"   database: {len(rooms)} rooms, {total} status changes logged, "
        f"{sum(sum(v.values()) for v in rec.acked.values())} acknowledged to clients"
    )
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--pause", type=float, default=8, help="seconds of load between faults")
    args = ap.parse_args()
    if not (os.environ.get("CLSS_PG_CTL") and os.environ.get("CLSS_REDIS_CONF")):
        raise SystemExit("run it through scripts/fault_test (it starts PostgreSQL and Redis)")
    tmp = Path(tempfile.mkdtemp(prefix="clss-faults-"))
    url, env = fresh_cluster("clss_faults", args.workers)
    load.seed(url)
    print(
        f"fault test: {args.workers} workers, PostgreSQL + Redis, {args.sessions} simulated staff "
        f"and one Chromium tab; app log {tmp}/app.log",
        flush=True,
    )
    with running_app(url, log_path=tmp / "app.log", **env) as base:
        problems = asyncio.run(run(base, url, running_app.pid, args, tmp))
    print(f"\n== fault test: {'nothing lost or half-written, every client recovered' if not problems else 'PROBLEMS'}")
    for line in problems:
        print("   !", line)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
