"""Load test: N simulated store staff over websockets against the real app, in two set-ups.

    bash scripts/load_test [--sessions 50] [--seconds 60] [--max-requests 20000] [--workers 3] [--scale 70]

``sqlite``: one worker on a SQLite file (the embedded default). ``cluster``: PostgreSQL, Redis as
the state manager and several workers (the production set-up; scripts/load_test starts both
servers from Debian's packages). Each set-up gets a freshly seeded demo database.

Every session logs in as a store user (店长 / 店助 / 多店店长, several tabs per person; logins spread
over --arrival seconds and timed apart). Then, once all are in, until the time or request budget
is spent, each does with a think time between actions (uniform, mean --think):
  list   opens one of the lists staff use all day (合同, 账单, 房间, 预定, 预约), a random page;
  board  opens the 房态图 of one of its projects;
  lock   locks one of its own vacant rooms on the board, then unlocks it again (two measures).
A latency is from sending the event to the update that carries its result, as the page sees it.
Loopback only; the load generator shares the machine's two cores with the app.

Afterwards the database is checked: every room the run touched is vacant again, and it carries
as many unlocks as locks in its status history, and at least one of each per cycle a client saw done.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from benchmarks.app import ROOT, fresh_cluster, running_app
from benchmarks.ws_client import ADMIN, BOARD, Disconnected, Tab, form, reflex_version

PASSWORD = "Clss@2026"
LISTS = ["/contracts", "/finance/bills", "/housing/rooms", "/leasing/reservations", "/leasing/appointments"]
STORE_ROLES = ("store_manager", "store_assistant", "multi_store_manager")


@dataclass
class Plan:
    username: str
    project_id: int
    rooms: list[int]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    cycles: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # room -> lock+unlock done
    client_cpu: float = 0.0


def version() -> str:
    return reflex_version()


# ---------------------------------------------------------------- set-up


def seed(url: str, scale: int = 1) -> None:
    import subprocess
    import sys

    env = dict(os.environ, CLSS_DATABASE_URL=url)
    subprocess.run(
        [sys.executable, "-m", "clss_app.manage", "seed", "--scale", str(scale)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def plans(url: str, sessions: int) -> list[Plan]:
    """Sessions spread over the store users' projects; each gets vacant rooms no other session uses."""
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        pairs = conn.execute(
            sa.text(
                "SELECT u.username, up.project_id FROM app_user u JOIN user_project up ON up.user_id = u.id "
                "WHERE u.is_active AND u.role IN :roles ORDER BY up.project_id, u.username"
            ).bindparams(sa.bindparam("roles", expanding=True)),
            {"roles": list(STORE_ROLES)},
        ).all()
        vacant = defaultdict(list)
        for room_id, project_id in conn.execute(
            sa.text("SELECT id, project_id FROM room WHERE status = 'vacant' ORDER BY id")
        ):
            vacant[project_id].append(room_id)
    eng.dispose()
    out = [Plan(u, pid, []) for u, pid in (pairs[i % len(pairs)] for i in range(sessions))]
    by_project = defaultdict(list)
    for p in out:
        by_project[p.project_id].append(p)
    for pid, group in by_project.items():
        for i, room in enumerate(vacant[pid][: len(group) * 4]):
            group[i % len(group)].rooms.append(room)
    return out


# ---------------------------------------------------------------- one session


async def log_in(base: str, plan: Plan, tally: Tally) -> Tab | None:
    tab = Tab(base, version())
    start = time.perf_counter()
    try:
        await tab.login(plan.username, PASSWORD)
    except (Disconnected, TimeoutError, OSError) as exc:
        tally.errors.append(f"{plan.username} login: {type(exc).__name__} {exc}")
        return None
    tally.latencies["login"].append(time.perf_counter() - start)
    return tab


async def staff(
    tab: Tab, plan: Plan, deadline: float, budget: list[int], think: float, tally: Tally, rng: random.Random
) -> None:
    try:
        on_board = False
        while time.perf_counter() < deadline and budget[0] > 0:
            await asyncio.sleep(rng.uniform(0, 2 * think))
            pick = rng.random()
            if pick < 0.5:
                budget[0] -= 1
                path = f"{rng.choice(LISTS)}?page={rng.randint(1, 3)}"
                tally.latencies["list"].append(await tab.navigate(path, changes=(ADMIN, "rows_rx_state_")))
                on_board = False
            elif pick < 0.8 or not plan.rooms:
                budget[0] -= 1
                tally.latencies["board"].append(
                    await tab.navigate(f"/workbench?project={plan.project_id}", changes=(BOARD, "rows_rx_state_"))
                )
                on_board = True
            else:
                if not on_board:
                    budget[0] -= 1
                    tally.latencies["board"].append(
                        await tab.navigate(f"/workbench?project={plan.project_id}", changes=(BOARD, "rows_rx_state_"))
                    )
                    on_board = True
                await lock_cycle(tab, plan, rng, tally, budget)
    except (Disconnected, TimeoutError, OSError) as exc:
        tally.errors.append(f"{plan.username} at {tab.path}: {type(exc).__name__} {exc} (last event {tab.last_event})")
    finally:
        await tab.close()


def tile_status(tab: Tab, room: int) -> str | None:
    for row in tab.var(BOARD, "rows") or []:
        for tile in row["tiles"]:
            if tile["id"] == room:
                return tile["status"]
    return None


async def lock_cycle(tab: Tab, plan: Plan, rng: random.Random, tally: Tally, budget: list[int]) -> None:
    room = rng.choice(plan.rooms)
    await tab.call(f"{BOARD}.set_mode", {"mode": "batch"}, changes=(BOARD, "selected_rx_state_"))
    await tab.call(f"{BOARD}.click_tile", {"room_id": room, "status": "vacant"}, changes=(BOARD, "selected_rx_state_"))
    budget[0] -= 2
    tally.latencies["lock"].append(
        await tab.call(f"{BOARD}.lock", form(kind_label="普通锁定", reason="压测"), changes=(BOARD, "rows_rx_state_"))
    )
    if tile_status(tab, room) != "locked":
        tally.errors.append(f"{plan.username}: room {room} not locked ({tab.var(BOARD, 'lock_error')})")
        return
    tally.latencies["unlock"].append(
        await tab.call(f"{BOARD}.unlock", {"room_id": str(room)}, changes=(BOARD, "rows_rx_state_"))
    )
    if tile_status(tab, room) != "vacant":
        tally.errors.append(f"{plan.username}: room {room} not unlocked")
        return
    tally.cycles[room] += 1


# ---------------------------------------------------------------- run and report


def check_database(url: str, tally: Tally, rooms: set[int], started: int) -> list[str]:
    """Nothing lost or half-written: rooms back to vacant, one lock and one unlock per cycle."""
    eng = sa.create_engine(url)
    problems = []
    with eng.connect() as conn:
        states = dict(
            conn.execute(
                sa.text("SELECT id, status FROM room WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": sorted(rooms) or [0]},
            ).all()
        )
        moves = defaultdict(lambda: defaultdict(int))
        for room, to in conn.execute(
            sa.text("SELECT room_id, to_status FROM room_status_log WHERE room_id IN :ids AND id > :t").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": sorted(rooms) or [0], "t": started},
        ):
            moves[room][to] += 1
    eng.dispose()
    for room in rooms:
        if states.get(room) != "vacant":
            problems.append(f"room {room} is {states.get(room)} after the run")
        locks, unlocks = moves[room]["locked"], moves[room]["vacant"]
        if locks != unlocks or locks < tally.cycles[room]:
            problems.append(f"room {room}: {locks} locks, {unlocks} unlocks logged, {tally.cycles[room]} cycles seen")
    return problems


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))] * 1000


async def drive(base: str, url: str, args) -> tuple[Tally, float, list[str]]:
    chosen = plans(url, args.sessions)
    tally, budget = Tally(), [args.max_requests]
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        started = conn.execute(sa.text("SELECT MAX(id) FROM room_status_log")).scalar() or 0
    eng.dispose()
    rng = random.Random(7)
    # Everyone logs in first (staff arrive over a few seconds; the hash is slow by design), then the
    # measured minutes of work.
    logins = []
    for plan in chosen:
        logins.append(asyncio.create_task(log_in(base, plan, tally)))
        await asyncio.sleep(args.arrival / len(chosen))
    tabs = await asyncio.gather(*logins)
    cpu0, t0 = time.process_time(), time.perf_counter()
    deadline = t0 + args.seconds
    await asyncio.gather(
        *(
            staff(tab, plan, deadline, budget, args.think, tally, random.Random(rng.random()))
            for tab, plan in zip(tabs, chosen)
            if tab is not None
        )
    )
    tally.client_cpu = time.process_time() - cpu0
    elapsed = time.perf_counter() - t0
    rooms = {r for p in chosen for r in p.rooms}
    return tally, elapsed, check_database(url, tally, rooms, started)


def report(name: str, tally: Tally, elapsed: float, problems: list[str]) -> None:
    measured = sum(len(v) for k, v in tally.latencies.items() if k != "login")
    print(
        f"\n== {name}: {measured} requests in {elapsed:.1f} s = {measured / elapsed:.1f} req/s; "
        f"errors {len(tally.errors)}; database problems {len(problems)}; "
        f"load generator used {tally.client_cpu / elapsed:.0%} of a core"
    )
    print(f"   {'what':<8}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for what in ("list", "board", "lock", "unlock", "login"):
        v = tally.latencies.get(what, [])
        if v:
            print(
                f"   {what:<8}{len(v):>7}{pct(v, 50):>10.0f}{pct(v, 95):>10.0f}{pct(v, 99):>10.0f}"
                f"{max(v) * 1000:>10.0f}"
            )
    for line in (tally.errors + problems)[:20]:
        print("   !", line)


def run_setup(name: str, args) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix=f"clss-load-{name}-"))
    env: dict[str, str] = {}
    if name == "sqlite":
        url = f"sqlite:///{tmp / 'load.db'}"
    else:
        url, env = fresh_cluster("clss_load", args.workers)
    t = time.perf_counter()
    seed(url, args.scale)
    print(f"\n-- demo at scale {args.scale} seeded in {time.perf_counter() - t:.0f} s", flush=True)
    label = "1 worker, SQLite" if name == "sqlite" else f"{args.workers} workers, PostgreSQL + Redis"
    print(f"\n-- {label}: starting the app (production build) …", flush=True)
    with running_app(url, log_path=tmp / "app.log", **env) as base:
        tally, elapsed, problems = asyncio.run(drive(base, url, args))
    report(f"{label}, {args.sessions} sessions, think {args.think:.1f} s", tally, elapsed, problems)
    return not tally.errors and not problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--think", type=float, default=1.0, help="mean seconds between a session's actions")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--arrival", type=float, default=10, help="seconds over which the sessions log in")
    ap.add_argument("--scale", type=int, default=1, help="the demo's scale: 70 is about 86k rooms and 2.4M bills")
    ap.add_argument("--setup", choices=["sqlite", "cluster", "both"], default="both")
    ap.add_argument("--base", help="drive an app already running here (with --database) instead")
    ap.add_argument("--database", help="that app's database URL")
    args = ap.parse_args()
    if args.base:
        tally, elapsed, problems = asyncio.run(drive(args.base, args.database, args))
        report(f"{args.base}, {args.sessions} sessions, think {args.think:.1f} s", tally, elapsed, problems)
        raise SystemExit(0 if not tally.errors and not problems else 1)
    print(
        f"load test: {args.sessions} sessions, {args.seconds:.0f} s or {args.max_requests} requests, "
        f"think time {args.think:.1f} s mean; demo scale {args.scale}; {os.cpu_count()} cores"
    )
    setups = ["sqlite", "cluster"] if args.setup == "both" else [args.setup]
    ok = [run_setup(s, args) for s in setups]
    raise SystemExit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()
