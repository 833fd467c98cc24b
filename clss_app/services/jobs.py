"""The daily job: what the calendar does by itself (reservations expire, late fees accrue, renewals start,
payment orders expire, 存房申请 past their ten days lapse, withholding runs start on their projects'
代扣开始日 and sent runs' results are read), and the ledger's check (per bill, its lines add up to its paid amount).

Every step is idempotent, so the job may run at start-up, every few hours, and by hand
(``python -m clss_app.manage daily``) without doing anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from clss_app import db
from clss_app.core import audit, clock
from clss_app.services import (
    bills,
    chain_listing,
    consign,
    contract_imports,
    daily_reports,
    filing,
    lease_changes,
    leasing,
    ledger,
    loans,
    pay_orders,
    tenant_auth,
    user_import,
    withholding,
)
from clss_app.services.permissions import Principal
from models import Role

SYSTEM = Principal(
    user_id=0, username="system", display_name="系统任务", role=Role.SUPER_ADMIN, unit_id=0, unit_name="", unit_ids=None
)
log = logging.getLogger(__name__)

# The steps that run their own transactions and talk to counterparts, in order: yesterday's confirmed
# imports are signed (T+1) before withholding looks for bills; withholding follows the late fees (a line
# takes what the bill owes now) and precedes the ledger's check, which then covers what result files posted.
OUTSIDE_STEPS: tuple[tuple[str, Callable[[date], dict[str, int]]], ...] = (
    ("contract import batch", lambda today: contract_imports.nightly(today, SYSTEM)),
    ("withholding runs", withholding.run_due),
    ("filings and loans left unanswered", lambda today: filing.retry_waiting() | loans.retry_waiting()),
    ("住房云 check of imported users (T+1)", user_import.run_due),
    ("住房链 listing batch", chain_listing.run_due),
    ("交款日报 of yesterday", daily_reports.nightly),
)


def daily(today: date | None = None) -> dict[str, int]:
    today = today or clock.today()
    with db.session_scope() as s:
        done = {
            "expired_reservations": leasing.expire_reservations(s, SYSTEM, today),
            "renewals_started": lease_changes.hand_over_renewals(s, SYSTEM, today),
            "late_fees": bills.accrue_late_fees(s, today),
            "expired_pay_orders": pay_orders.expire_due(s),
            "lapsed_consignments": consign.expire_lapsed(s, today),
            "forgotten_api_records": tenant_auth.forget(s),
        }
    for name, step in OUTSIDE_STEPS:
        try:
            done.update(step(today))
        except Exception:  # a counterpart away never stops the rest of the day's work
            log.exception("%s of %s failed", name, today)
    with db.session_scope() as s:
        wrong = ledger.mismatches(s)
        done["ledger_mismatches"] = len(wrong)
        if wrong:  # never mended by itself: a person must find what wrote money past the ledger
            log.error("ledger check: %d bills whose payments do not add up to their paid amount: %s", len(wrong), wrong)
            audit.record(
                s,
                None,
                "jobs",
                None,
                "ledger_check",
                summary=f"账本核对 {today}：{len(wrong)} 张账单的收款记录合计与已收金额不符（账单 "
                + "、".join(f"#{i}" for i, _, _ in wrong[:10])
                + "）",
            )
        if any(done.values()):
            audit.record(
                s,
                None,
                "jobs",
                None,
                "daily",
                summary=f"每日任务 {today}：过期预定 {done['expired_reservations']}，续租生效 "
                f"{done['renewals_started']}，滞纳金更新 {done['late_fees']}，代扣批次 "
                f"{done.get('withhold_runs_started', 0)}，代扣回盘 {done.get('withhold_results_read', 0)}",
            )
    log.info("daily job %s: %s", today, done)
    return done


def _my_turn(every_seconds: int, key: str = "clss:daily-job") -> bool:
    """Several workers each run this loop; one of them (the first to ask) does a round's work."""
    shared = db.redis()
    if shared is None:
        return True
    try:
        return bool(shared.set(key, db.node(), nx=True, ex=max(every_seconds - 60, 60)))
    except Exception:  # Redis away: doing the idempotent work twice beats not doing it
        return True


async def run_forever(every_seconds: int = 6 * 3600) -> None:
    """Runs ``daily`` at start and then every few hours, for as long as the app runs."""
    import asyncio

    while True:
        try:
            if _my_turn(every_seconds):
                await asyncio.to_thread(daily)
        except Exception:  # a failed run is logged and retried at the next interval
            log.exception("daily job failed")
        await asyncio.sleep(every_seconds)


async def run_clearing_forever(every_seconds: int = 300) -> None:
    """Every few minutes: once it is 15:00 in Beijing, yesterday's clearing for each company that has not
    had it (services/clearing.py; one worker a round, a day once)."""
    import asyncio

    from clss_app.services import clearing

    while True:
        try:
            if _my_turn(every_seconds, "clss:clearing-job"):
                await asyncio.to_thread(clearing.run_due)
        except Exception:
            log.exception("clearing job failed")
        await asyncio.sleep(every_seconds)


def _outbox_turn(every_seconds: float, key: str = "clss:outbox-job") -> bool:
    """One worker a round sends the outbox (the others would only find its rows claimed: the claims,
    not this turn, are what keep a notification from going out twice)."""
    shared = db.redis()
    if shared is None:
        return True
    try:
        return bool(shared.set(key, db.node(), nx=True, px=max(int(every_seconds * 900), 500)))
    except Exception:
        return True


async def run_outbox_forever(every_seconds: float = 5) -> None:
    """Every few seconds: the notifications that are due go out (services/outbox.py)."""
    import asyncio

    from clss_app.services import outbox

    while True:
        try:
            if _outbox_turn(every_seconds):
                await asyncio.to_thread(outbox.send_due)
        except Exception:
            log.exception("outbox round failed")
        await asyncio.sleep(every_seconds)
