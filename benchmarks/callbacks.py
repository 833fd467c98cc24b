"""Payment callbacks arriving all at once: 1,000 orders, each callback sent twice (the provider repeats
what it thinks was lost), 2,000 requests in flight together over HTTP.

    source scripts/setup.sh && python -m benchmarks.callbacks [--orders 1000] [--pg URL]

A demo database (SQLite in a temp folder, or --pg's PostgreSQL database, dropped and made anew) gets
1,000 pending orders, each for one owed bill. The app's callback route (clss_app/payment_routes.py) is
served by granian as the app serves it, one worker; every callback is signed with the merchant's key.
Then it prints: the wall time, the answers (all must be SUCCESS), how many orders were posted, how many
payment lines they made (exactly one per order), duplicates recorded, and the ledger check.
Prints figures; not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

APP = """
from starlette.applications import Starlette
from clss_app import payment_routes
app = Starlette(routes=payment_routes.routes())
"""


def _seed(url: str, n: int) -> list[dict]:
    os.environ["CLSS_DATABASE_URL"] = url
    import sqlalchemy as sa
    from sqlmodel import select

    from clss_app import db, demo, manage
    from clss_app.core import clock
    from clss_app.sandbox import pay as sandbox
    from clss_app.services.bills import OPEN, outstanding
    from models import Bill, BillState, PayOrder, PayOrderBill, PaySettings, Project

    manage.migrate()
    if manage.is_empty():
        demo.generate()
    with db.session_scope() as s:
        company = s.exec(select(PaySettings.company_id)).first()
        s.execute(
            sa.delete(PayOrderBill).where(
                PayOrderBill.order_id.in_(select(PayOrder.id).where(PayOrder.order_no.like("PBENCH%")))
            )
        )
        s.execute(sa.delete(PayOrder).where(PayOrder.order_no.like("PBENCH%")))
        bills = s.exec(
            select(Bill)
            .join(Project, Project.id == Bill.project_id)
            .where(Project.company_id == company, Bill.state.in_([*OPEN, BillState.UNCONFIRMED]))
            .order_by(Bill.id)
            .limit(n)
        ).all()
        # The demo's future bills, confirmed as their month comes: each can be ordered and paid.
        s.execute(
            sa.update(Bill)
            .where(Bill.id.in_([b.id for b in bills]), Bill.state == BillState.UNCONFIRMED)
            .values(state=BillState.CONFIRMED)
        )
        for b in bills:
            b.state = BillState.CONFIRMED
        if len(bills) < n:
            sys.exit(f"only {len(bills)} owed bills in the demo's first company; use --orders {len(bills)}")
        out = []
        for i, b in enumerate(bills):
            o = PayOrder(
                order_no=f"PBENCH{i:014d}",
                company_id=company,
                project_id=b.project_id,
                tenant_id=b.tenant_id,
                amount=outstanding(b),
                expire_at=clock.now() + timedelta(hours=1),
                qr_content="bench",
            )
            s.add(o)
            s.flush()
            s.add(PayOrderBill(order_id=o.id, bill_id=b.id, amount=o.amount))
            out.append({"order_no": o.order_no, "amount": f"{o.amount:.2f}", "txn": f"TB{i:018d}"})
    return [
        {
            "merchant_no": sandbox.DEMO_MERCHANT_NO,
            "order_no": x["order_no"],
            "txn_id": x["txn"],
            "amount": x["amount"],
            "currency": "CNY",
            "status": "SUCCESS",
            "paid_at": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        for x in out
    ]


async def _fire(url: str, bodies: list[bytes]) -> tuple[float, Counter]:
    import httpx

    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        t0 = time.perf_counter()
        answers = await asyncio.gather(
            *(client.post(url, content=b, headers={"Content-Type": "application/json"}) for b in bodies)
        )
        took = time.perf_counter() - t0
    return took, Counter(f"{r.status_code} {r.json().get('code')}" for r in answers)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL (its data is replaced)")
    args = parser.parse_args()
    url = args.pg or f"sqlite:///{Path(tempfile.gettempdir()) / 'clss-callbacks-bench.db'}"
    if not args.pg:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    from clss_app.core import signing
    from clss_app.sandbox import pay as sandbox

    messages = _seed(url, args.orders)
    bodies = [json.dumps(signing.signed(m, sandbox.DEMO_KEY)).encode() for m in messages]
    all_bodies = [b for pair in zip(bodies, bodies, strict=True) for b in pair]  # each callback twice, together

    app_dir = Path(tempfile.mkdtemp())
    (app_dir / "bench_callbacks_app.py").write_text(APP)
    port = 3197
    env = dict(os.environ, CLSS_DATABASE_URL=url, PYTHONPATH=f"{app_dir}{os.pathsep}{os.getcwd()}")
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(port), "bench_callbacks_app:app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        import httpx

        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}/_clss/pay/notify", content=b"{}", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        took, answers = asyncio.run(_fire(f"http://127.0.0.1:{port}/_clss/pay/notify", all_bodies))
    finally:
        server.terminate()
        server.wait(timeout=10)

    import sqlalchemy as sa

    from clss_app import db
    from clss_app.services import ledger
    from models import CallbackOutcome, PayCallback, Payment, PayOrder, PayOrderState

    with db.session_scope() as s:
        posted = s.execute(
            sa.select(sa.func.count()).where(PayOrder.order_no.like("PBENCH%"), PayOrder.state == PayOrderState.PAID)
        ).scalar_one()
        lines = s.execute(sa.select(sa.func.count()).where(Payment.source_ref.like("PBENCH%"))).scalar_one()
        outcomes = Counter(
            o.value
            for o in s.execute(sa.select(PayCallback.outcome).where(PayCallback.order_no.like("PBENCH%"))).scalars()
        )
        wrong = ledger.mismatches(s)
    print(f"database: {'PostgreSQL' if args.pg else 'SQLite'}; {len(all_bodies):,} callbacks in flight at once")
    print(f"all answered in {took:.2f} s ({len(all_bodies) / took:,.0f} callbacks/s); answers: {dict(answers)}")
    print(f"orders posted: {posted:,} of {len(messages):,}; payment lines: {lines:,} (one per order's bill)")
    print(f"callbacks recorded: {dict(outcomes)}; {CallbackOutcome.DUPLICATE.value} must equal the orders")
    print(f"ledger check: {'holds' if not wrong else f'{len(wrong)} bills wrong'}")


if __name__ == "__main__":
    main()
