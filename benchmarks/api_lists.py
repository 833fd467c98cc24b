"""The tenant API's list endpoints under load: 50 tenants at once, each with its own token, reading their
lists over and over; p50/p95 per endpoint (the issue asks for at most 50 ms p95 at 50 concurrent tenants).

    source scripts/setup.sh && python -m benchmarks.api_lists [--tenants 50] [--rounds 10] [--workers 1] [--think 1]
                                                              [--pg URL] [--db sqlite:///path/to/demo.db]

A demo database (SQLite in a temp folder, --db's existing one, or --pg's PostgreSQL database, made anew)
gets one token per tenant, written as a login writes it (services/tenant_auth). The API app
(clss_app/api, as the app mounts it at /api/v1) is served by granian as the app is served; every tenant
then walks /projects, /rooms (vacant, by rent), /home, /me/contracts, /me/bills and /me/reservations,
``--rounds`` times, all tenants together, each waiting ``--think`` seconds on average between two
requests as a person does (0: back to back, a closed loop that measures throughput, not latency).
Prints figures; not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

APP = """
from starlette.applications import Starlette
from starlette.routing import Mount
from clss_app.api import app as api_app
app = Starlette(routes=[Mount(api_app.PREFIX, app=api_app.build())])
"""
PATHS = [
    "/projects?limit=20",
    "/rooms?status=vacant&sort=rent&limit=20",
    "/home",
    "/me/contracts?limit=20",
    "/me/bills?limit=20",
    "/me/reservations?limit=20",
]


def _tokens(url: str, n: int) -> list[str]:
    os.environ["CLSS_DATABASE_URL"] = url
    from sqlmodel import col, func, select

    from clss_app import db, demo, manage
    from clss_app.core import clock
    from models import ApiToken, Bill, Tenant

    manage.migrate()
    if manage.is_empty():
        demo.generate()
    tokens = []
    with db.session_scope() as s:
        busy = (
            select(Bill.tenant_id).group_by(Bill.tenant_id).order_by(func.count().desc(), col(Bill.tenant_id)).limit(n)
        )
        for tenant in s.exec(select(Tenant).where(col(Tenant.id).in_(busy))).all():
            token = secrets.token_urlsafe(32)
            s.add(
                ApiToken(
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    tenant_id=tenant.id or 0,
                    phone=tenant.phone,
                    expires_at=clock.now() + timedelta(hours=1),
                )
            )
            tokens.append(token)
    return tokens


async def _walk(
    client, token: str, rounds: int, took: dict[str, list[float]], answers: Counter, think: float = 0.0
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(rounds):
        for path in PATHS:
            if think:  # a person reading the screen before the next tap
                await asyncio.sleep(random.expovariate(1 / think))
            start = time.perf_counter()
            r = await client.get(path, headers=headers)
            took[path.split("?")[0]].append((time.perf_counter() - start) * 1000)
            answers[r.status_code] += 1


async def _run(
    base: str, tokens: list[str], rounds: int, think: float
) -> tuple[float, dict[str, list[float]], Counter]:
    import httpx

    took: dict[str, list[float]] = defaultdict(list)
    answers: Counter = Counter()
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await _walk(client, tokens[0], 1, defaultdict(list), Counter())  # warm: first queries, caches
        start = time.perf_counter()
        await asyncio.gather(*(_walk(client, t, rounds, took, answers, think) for t in tokens))
    return time.perf_counter() - start, took, answers


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tenants", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--think", type=float, default=1.0, help="mean seconds between a tenant's requests (0: back to back)"
    )
    ap.add_argument("--port", type=int, default=3196)
    ap.add_argument("--pg", help="a PostgreSQL URL whose database is dropped and made anew")
    ap.add_argument("--db", help="an existing demo database URL to read (tokens are added to it)")
    args = ap.parse_args()
    if args.pg:
        import sqlalchemy as sa

        given = sa.make_url(args.pg)  # a socket URL's query holds slashes too (?host=/tmp/…)
        name = given.database
        admin = sa.create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            c.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        url = args.pg
    else:
        url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'demo.db'}"
    tokens = _tokens(url, args.tenants)

    app_dir = Path(tempfile.mkdtemp())
    (app_dir / "bench_api_app.py").write_text(APP)
    env = dict(
        os.environ,
        CLSS_DATABASE_URL=url,
        CLSS_API_PER_MINUTE="1000000",  # the benchmark measures answers, not the limit
        PYTHONPATH=f"{app_dir}{os.pathsep}{os.getcwd()}",
    )
    cmd = [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(args.port)]
    cmd += ["--workers", str(args.workers), "bench_api_app:app"]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{args.port}/api/v1"
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(base + "/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        wall, took, answers = asyncio.run(_run(base, tokens, args.rounds, args.think))
    finally:
        server.terminate()
        server.wait(timeout=10)

    every = [v for vs in took.values() for v in vs]
    print(
        f"database: {'PostgreSQL' if args.pg else 'SQLite'}; {len(tokens)} tenants at once, {args.workers} worker(s), "
        f"think time {args.think:g} s"
    )
    print(f"{len(every):,} requests in {wall:.2f} s ({len(every) / wall:,.0f}/s); answers: {dict(answers)}")
    print(f"{'endpoint':<20}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for path, values in [*took.items(), ("all", every)]:
        print(f"{path:<20}{len(values):>7}{_pct(values, 50):>10.1f}{_pct(values, 95):>10.1f}{max(values):>10.1f}")


if __name__ == "__main__":
    main()
