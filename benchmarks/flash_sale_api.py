"""The flash-sale race through the tenant API: 200 tenants claim one sale of 50 at the same moment (some
of them tapping twice, with two Idempotency-Keys); exactly 50 claims must be taken, none twice.

    # PostgreSQL + Redis + several workers (the production set-up), servers from scripts/:
    CLSS_PG_PORT=5547x bash -c 'source scripts/setup.sh >/dev/null; set +e; source scripts/postgres.sh >/dev/null;
        source scripts/redis.sh >/dev/null; python -m benchmarks.flash_sale_api --workers 3'
    # SQLite, one worker:
    python -m benchmarks.flash_sale_api --sqlite
    # a running app (e.g. `reflex run --env prod` with GRANIAN_WORKERS=3) and its database:
    python -m benchmarks.flash_sale_api --base http://127.0.0.1:3000/api/v1 --db postgresql+psycopg://…

Without --base, the database (--pg URL, else CLSS_TEST_PG's ``{db}`` as clss_flash; --sqlite: a temp
file) is made anew and seeded with the demo (``manage seed``, as tests/app_server.py does), and the API
app is served by granian as the app serves it, with ``--workers`` processes and Redis (--redis, else
CLSS_TEST_REDIS) behind the per-token limits. Tokens: one per tenant, minted as a login mints them
(tenant_auth.issue_token) for the first ``--tenants`` tenants of the company with the most tenants:
200 SMS round trips measure the SMS sandbox, not the race, and a phone gets 5 codes an hour.
The sale (stock ``--stock``, live now, in one of that company's projects) is written as staff write it
(checked by marketing.flash_sale_problems). Then every tenant's claim goes out at once (``--double`` of
them twice, with another key), and the answers and the database are checked: claims, duplicates,
p50/p95/max latency, errors; rows, distinct tenants, sold within stock. Exits 1 when a check fails.
Bounded: one request per tap, a 120 s timeout each, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

APP = """
from starlette.applications import Starlette
from starlette.routing import Mount
from clss_app.api import app as api_app
app = Starlette(routes=[Mount(api_app.PREFIX, app=api_app.build())])
"""
ROOT = Path(__file__).resolve().parent.parent


def _fresh_pg(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        c.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def _seed(url: str) -> None:
    env = dict(os.environ, CLSS_DATABASE_URL=url)
    subprocess.run([sys.executable, "-m", "clss_app.manage", "seed"], cwd=ROOT, env=env, check=True)


def _set_up(url: str, n: int, stock: int) -> tuple[int, list[tuple[int, str]]]:
    """The sale's id and (tenant id, token) of n tenants of one company."""
    os.environ["CLSS_DATABASE_URL"] = url
    from sqlmodel import Session, col, func, select

    from clss_app import db
    from clss_app.core import clock
    from clss_app.services import marketing, tenant_auth
    from models import FlashSale, Project, Room, Tenant

    with Session(db.engine()) as s:
        company = s.exec(
            select(Tenant.company_id).group_by(col(Tenant.company_id)).order_by(func.count().desc()).limit(1)
        ).one()
        people = s.exec(select(Tenant).where(Tenant.company_id == company).order_by(col(Tenant.id)).limit(n)).all()
        if len(people) < n:
            raise SystemExit(f"the company with the most tenants has {len(people)}, fewer than --tenants {n}")
        project_id, room_id = s.exec(
            select(Project.id, Room.id)
            .join(Room, col(Room.project_id) == Project.id)
            .where(Project.company_id == company)
            .order_by(col(Project.id), col(Room.id))
            .limit(1)
        ).one()
        now = clock.now()
        values = {
            "project_id": project_id,
            "room_id": room_id,
            "title": f"压测秒杀 {uuid.uuid4().hex[:6]}",
            "original_price": Decimal(3000),
            "sale_price": Decimal(1999),
            "starts_at": now - timedelta(minutes=1),
            "ends_at": now + timedelta(hours=1),
            "stock": stock,
        }
        problems = marketing.flash_sale_problems(values, None)
        if problems:
            raise SystemExit(f"the sale is refused: {problems}")
        sale = FlashSale(**values)
        s.add(sale)
        tokens = [(t.id or 0, tenant_auth.issue_token(s, t.id or 0, t.phone)[0]) for t in people]
        s.commit()
        return sale.id or 0, tokens


async def _race(
    base: str, sale_id: int, taps: list[tuple[int, str]]
) -> tuple[float, list[tuple[int, int, str, float]]]:
    """Every tap at once: (tenant, status, error code, ms) each; status 0 for a transport error."""
    import httpx

    limits = httpx.Limits(max_connections=len(taps), max_keepalive_connections=len(taps))
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        # Warm every worker as a live app is (connections, first queries): the sale's page, read by
        # every tenant once, in rounds as wide as the race. Not counted.
        for i in range(0, len(taps), 50):
            await asyncio.gather(
                *(
                    client.get(f"/flash-sales/{sale_id}", headers={"Authorization": f"Bearer {k}"})
                    for _, k in taps[i : i + 50]
                )
            )
        gate = asyncio.Event()

        async def tap(tenant_id: int, token: str) -> tuple[int, int, str, float]:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            await gate.wait()
            start = time.perf_counter()
            try:
                r = await client.post(f"/flash-sales/{sale_id}/claims", headers=headers)
                status = r.status_code
                code = r.json().get("code", "") if status != 201 else ""
            except (httpx.HTTPError, ValueError) as exc:
                status, code = 0, type(exc).__name__
            return tenant_id, status, code, (time.perf_counter() - start) * 1000

        tasks = [asyncio.create_task(tap(t, k)) for t, k in taps]
        await asyncio.sleep(0.2)  # every task waiting at the gate
        start = time.perf_counter()
        gate.set()
        answers = await asyncio.gather(*tasks)
    return time.perf_counter() - start, list(answers)


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _serve(url: str, workers: int, port: int, redis_url: str) -> subprocess.Popen:
    app_dir = Path(tempfile.mkdtemp())
    (app_dir / "bench_flash_app.py").write_text(APP)
    env = dict(
        os.environ,
        CLSS_DATABASE_URL=url,
        CLSS_API_PER_MINUTE="1000000",
        PYTHONPATH=f"{app_dir}{os.pathsep}{ROOT}",
    )
    if redis_url:
        env["CLSS_REDIS_URL"] = redis_url
    cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(port)]
    cmd += ["--workers", str(workers), "bench_flash_app:app"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(base: str) -> None:
    import httpx

    for _ in range(600):
        try:
            if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the API did not come up in 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--tenants", type=int, default=200)
    ap.add_argument("--stock", type=int, default=50)
    ap.add_argument("--double", type=int, default=20, help="tenants who tap twice (another key)")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--port", type=int, default=0, help="the API's port (default: a free one)")
    ap.add_argument("--pg", help="PostgreSQL URL (made anew); default CLSS_TEST_PG with db clss_flash")
    ap.add_argument("--redis", default=os.environ.get("CLSS_TEST_REDIS", ""), help="Redis URL for the workers")
    ap.add_argument("--sqlite", action="store_true", help="a temp SQLite database, one worker")
    ap.add_argument("--base", help="the /api/v1 URL of a running app (then --db is its database)")
    ap.add_argument("--db", help="with --base: the running app's database URL")
    args = ap.parse_args()

    server = None
    if args.base:
        if not args.db:
            raise SystemExit("--base needs --db (the running app's database, for the sale and the check)")
        url, base, where = args.db, args.base.rstrip("/"), f"running app at {args.base}"
    else:
        if args.sqlite:
            url, args.workers, args.redis = f"sqlite:///{Path(tempfile.mkdtemp()) / 'flash.db'}", 1, ""
        else:
            url = args.pg or os.environ.get("CLSS_TEST_PG", "").replace("{db}", "clss_flash")
            if not url:
                raise SystemExit("no PostgreSQL: pass --pg, source scripts/postgres.sh, or use --sqlite")
            _fresh_pg(url)
        t0 = time.perf_counter()
        _seed(url)
        print(f"demo seeded in {time.perf_counter() - t0:.0f} s")
        args.port = args.port or _free_port()
        base = f"http://127.0.0.1:{args.port}/api/v1"
        where = f"granian, {args.workers} worker(s), Redis {'on' if args.redis else 'off'}"
    sale_id, tokens = _set_up(url, args.tenants, args.stock)
    taps = tokens + tokens[: args.double]
    try:
        if not args.base:
            server = _serve(url, args.workers, args.port, args.redis)
        _wait(base)
        wall, answers = asyncio.run(_race(base, sale_id, taps))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)

    eng = sa.create_engine(url)
    with eng.connect() as c:
        sold, stock = c.execute(sa.text("SELECT sold, stock FROM flash_sale WHERE id = :s"), {"s": sale_id}).one()
        rows = [
            r[0]
            for r in c.execute(sa.text("SELECT tenant_id FROM flash_claim WHERE flash_sale_id = :s"), {"s": sale_id})
        ]
    eng.dispose()

    statuses = Counter(status for _, status, _, _ in answers)
    codes = Counter(code for _, status, code, _ in answers if status != 201)
    won = [tenant for tenant, status, _, _ in answers if status == 201]
    errors = sum(n for status, n in statuses.items() if status == 0 or status >= 500)
    took = [ms for _, _, _, ms in answers]
    duplicates = len(won) - len(set(won))
    db_duplicates = len(rows) - len(set(rows))
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"database: {kind}; {where}")
    print(
        f"flash sale #{sale_id}, stock {stock}: {len(tokens)} tenants, {args.double} of them tapping twice "
        f"→ {len(taps)} claims at once, answered in {wall:.2f} s"
    )
    print(f"answers: {dict(sorted(statuses.items()))}; refusals: {dict(codes)}")
    print(f"claims: {len(won)}   duplicates: {duplicates}   errors (5xx or no answer): {errors}")
    print(f"latency ms: p50 {_pct(took, 50):.1f}   p95 {_pct(took, 95):.1f}   max {max(took):.1f}")
    print(
        f"database: claim rows {len(rows)}, distinct tenants {len(set(rows))}, duplicates {db_duplicates}, "
        f"sold {sold} of stock {stock} (left {stock - sold})"
    )
    ok = (
        len(won) == len(rows) == len(set(rows)) == sold == min(stock, len(tokens))
        and duplicates == db_duplicates == errors == 0
        and set(won) == set(rows)
        and stock - sold >= 0
    )
    print("OK: exactly the stock was claimed, each tenant at most once" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
