"""收费报表: the finance reports of a month, for a project or every project of a scope.

应收, 已收, 收缴率, 欠费 and 实收 are ``figures``' definitions (the ones 经营看板 and the home page use),
applied here to bills and ledger lines summed by project, fee item and day. Every report is worked out
in Polars from one bulk read shared by every scope (``CACHE``: read once, kept until a write or a
minute passes, then read again in the background while the last answer is served marked stale); only
a day's ledger lines are read row by row, for the day asked.

Definitions beyond ``figures``:
* 押金收取: ledger lines on deposit bills (kind 押金) in the month, money paid in (not 结转 between a
  tenant's own contracts, which moves a deposit without taking or giving money);
* 押金退还: the deposit paid on contracts checked out in the month (it goes back through the 退房结算);
* 在押押金: deposit paid on contracts not checked out, now;
* 定金: reservations registered in the month, by what became of the 定金 (held, applied, to refund, refunded,
  forfeited);
* 退款: 退房结算 bills owing the tenant money (待退款, 线下退款, 已退款) dated in the month; 已退出 the ledger's
  negative lines in the month, but for 结转 (money moved between a tenant's own bills);
* 调账: bill adjustments (增加, 减少, 减免, 免滞纳金) requested in the month, with their state and change;
* 账龄: ``figures.ARREARS`` by ``figures.AGE_BANDS``, today, of the bills due in the month chosen (or all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlmodel import Session

from clss_app.core.money import from_cents
from clss_app.services import analytics as an
from clss_app.services import figures as fig
from clss_app.services.frame_cache import FrameCache
from clss_app.services.permissions import Principal
from models import (
    AdjustmentKind,
    AdjustmentState,
    BillKind,
    BillState,
    ContractState,
    DepositState,
    LedgerSource,
    PaymentMethod,
)

TABLES = ("project", "bill", "payment", "contract", "reservation", "bill_adjustment")
REFUND_STATES = (BillState.REFUND_DUE, BillState.OFFLINE_REFUND, BillState.REFUNDED)
DAY_LINES_SHOWN = 200  # a day's ledger lines on screen; the export holds all of them


@dataclass(frozen=True)
class Choice:
    """What a report is asked for: the month (its 1st), a project of the scope or every one (0), today, and
    for the 现金台账 the day whose lines to list. Only 账龄分析 may leave the month out (every month)."""

    month: date | None
    project_id: int
    today: date
    day: date | None = None

    @property
    def start(self) -> date:
        return self.month or date.min

    @property
    def end(self) -> date:
        return an.month_end(self.month) if self.month else date.max


def _v(values: tuple) -> str:
    return an._in(tuple(getattr(v, "value", v) for v in values))


def load_frames(session: Session) -> dict[str, pl.DataFrame]:
    """Every project's bills and ledger at the grain the reports need (cents), read once for all scopes."""
    dialect = session.get_bind().dialect.name
    created = an._beijing_day("created_at", dialect)
    adj_day = an._beijing_day("a.created_at", dialect)
    cents = an._cents

    def one(expr: str) -> str:  # a row's amount in cents (``cents`` sums a group's)
        return f"CAST(ROUND(({expr}) * 100) AS BIGINT)"

    money, day, text, whole = pl.Int64, pl.Date, pl.String, pl.Int64
    reads: dict[str, tuple[str, dict[str, Any]]] = {
        "projects": ("SELECT id, name, city FROM project", {"project_id": whole, "name": text, "city": text}),
        "bills": (
            f"SELECT project_id, fee_name, due_date, state, {cents('amount + late_fee')}, {cents('paid')}, COUNT(*) "
            f"FROM bill WHERE state IN ({_v(fig.DUE_STATES)}) GROUP BY project_id, fee_name, due_date, state",
            {
                "project_id": whole,
                "fee": text,
                "due_date": day,
                "state": text,
                "owed": money,
                "paid": money,
                "n": whole,
            },
        ),
        "payments": (
            f"SELECT p.project_id, b.fee_name, b.kind, p.paid_on, p.method, p.source, "
            f"{cents('CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END')}, "
            f"{cents('CASE WHEN p.amount < 0 THEN p.amount ELSE 0 END')}, COUNT(*) "
            "FROM payment p JOIN bill b ON b.id = p.bill_id "
            "GROUP BY p.project_id, b.fee_name, b.kind, p.paid_on, p.method, p.source",
            {
                "project_id": whole,
                "fee": text,
                "kind": text,
                "paid_on": day,
                "method": text,
                "source": text,
                "amount_in": money,
                "amount_out": money,
                "n": whole,
            },
        ),
        "deposit_returns": (
            f"SELECT c.project_id, c.checked_out_on, {cents('b.paid')}, COUNT(*) FROM contract c "
            f"JOIN bill b ON b.contract_id = c.id AND b.kind = '{BillKind.DEPOSIT.value}' "
            f"WHERE c.state = '{ContractState.CHECKED_OUT.value}' AND c.checked_out_on IS NOT NULL AND b.paid > 0 "
            "GROUP BY c.project_id, c.checked_out_on",
            {"project_id": whole, "day": day, "amount": money, "n": whole},
        ),
        "deposits_held": (
            f"SELECT c.project_id, {cents('b.paid')}, COUNT(*) FROM contract c "
            f"JOIN bill b ON b.contract_id = c.id AND b.kind = '{BillKind.DEPOSIT.value}' "
            f"WHERE c.state NOT IN ({_v((ContractState.CHECKED_OUT, ContractState.VOID))}) AND b.paid > 0 "
            "GROUP BY c.project_id",
            {"project_id": whole, "amount": money, "n": whole},
        ),
        "reservations": (
            f"SELECT project_id, {created}, deposit_state, {cents('deposit')}, COUNT(*) FROM reservation "
            "WHERE deposit > 0 GROUP BY project_id, 2, deposit_state",
            {"project_id": whole, "day": day, "state": text, "amount": money, "n": whole},
        ),
        "refunds": (
            f"SELECT b.id, b.project_id, b.title, t.name, b.due_date, b.state, {one('b.amount')} "
            "FROM bill b JOIN tenant t ON t.id = b.tenant_id "
            f"WHERE b.state IN ({_v(REFUND_STATES)}) AND b.kind = '{BillKind.SETTLEMENT.value}' "
            "",
            {
                "bill_id": whole,
                "project_id": whole,
                "title": text,
                "tenant": text,
                "day": day,
                "state": text,
                "amount": money,
            },
        ),
        "adjustments": (
            f"SELECT a.id, a.project_id, b.title, {adj_day}, a.kind, a.state, {one('a.amount_before')}, "
            f"{one('a.amount_after')}, a.reason FROM bill_adjustment a JOIN bill b ON b.id = a.bill_id "
            "",
            {
                "adjustment_id": whole,
                "project_id": whole,
                "title": text,
                "day": day,
                "kind": text,
                "state": text,
                "before": money,
                "after": money,
                "reason": text,
            },
        ),
    }
    conn = session.connection()
    return {name: an._frame(conn, sql, schema) for name, (sql, schema) in reads.items()}


CACHE = FrameCache(TABLES, load_frames)


def report(session: Session, p: Principal, name: str, c: Choice) -> dict[str, Any]:
    """The report ``name`` (a function of this module's REPORTS) inside p's scope, with ``stale``."""
    scope = p.project_ids

    def work(frames: dict[str, pl.DataFrame]) -> dict[str, Any]:
        projects = frames["projects"]
        if scope is not None:
            projects = projects.filter(pl.col("project_id").is_in(list(scope)))
        if c.project_id:
            projects = projects.filter(pl.col("project_id") == c.project_id)
        ids = projects["project_id"].to_list()
        mine = {k: f.filter(pl.col("project_id").is_in(ids)) for k, f in frames.items() if k != "projects"}
        return REPORTS[name](session, mine, projects.sort("city", "name"), c)

    answer, stale = CACHE.get(session, (name, scope, c), work)
    return {**answer, "stale": stale}


# ---------------------------------------------------------------- helpers


def yuan(cents: int | None) -> Decimal:
    return from_cents(int(cents or 0))


def _sum(frame: pl.DataFrame, col: str) -> int:
    return int(frame[col].sum() or 0) if frame.height else 0


def _by(frame: pl.DataFrame, key: str, **aggs: pl.Expr) -> dict[Any, dict[str, Any]]:
    if not frame.height:
        return {}
    return {r[key]: r for r in frame.group_by(key).agg(**aggs).iter_rows(named=True)}


def _names(projects: pl.DataFrame) -> list[tuple[int, str]]:
    return list(zip(projects["project_id"].to_list(), projects["name"].to_list()))


def _collection(bills: pl.DataFrame, start: date, end: date, today: date, key: str) -> dict[Any, dict[str, int]]:
    """应收, 已收 and 欠费 (cents) of the bills due in [start, end], grouped by ``key``."""
    due = fig.receivable(bills, start, end, today)
    owed = _by(due, key, owed=pl.col("owed").sum(), paid=pl.col("paid").sum(), n=pl.col("n").sum())
    arrears = _by(fig.overdue(due, today), key, owing=pl.col("owing").sum())
    return {
        k: {
            "owed": owed.get(k, {}).get("owed", 0),
            "paid": owed.get(k, {}).get("paid", 0),
            "bills": owed.get(k, {}).get("n", 0),
            "arrears": arrears.get(k, {}).get("owing", 0),
        }
        for k in owed.keys() | arrears.keys()
    }


def previous_month(m: date) -> date:
    return (m.replace(day=1) - timedelta(days=1)).replace(day=1)


# ---------------------------------------------------------------- the reports


def fee_summary(session: Session, f: dict[str, pl.DataFrame], projects: pl.DataFrame, c: Choice) -> dict:
    """应收/已收/欠费/收缴率 of the month's bills, and the month's 实收, by fee item."""
    by_fee = _collection(f["bills"], c.start, c.end, c.today, "fee")
    lines = fig.revenue(f["payments"], c.start, c.end)
    revenue = _by(lines, "fee", amount=(pl.col("amount_in") + pl.col("amount_out")).sum())
    rows = []
    for fee in sorted(by_fee.keys() | revenue.keys()):
        x = by_fee.get(fee, {"owed": 0, "paid": 0, "arrears": 0, "bills": 0})
        rows.append({"fee": fee, **x, "revenue": revenue.get(fee, {}).get("amount", 0)})
    total = {k: sum(r[k] for r in rows) for k in ("owed", "paid", "arrears", "bills", "revenue")}
    return {"rows": rows, "total": total}


def collection(session: Session, f: dict[str, pl.DataFrame], projects: pl.DataFrame, c: Choice) -> dict:
    """收缴率 by project, this month and the month before."""
    now = _collection(f["bills"], c.start, c.end, c.today, "project_id")
    before_m = previous_month(c.start)
    before = _collection(f["bills"], before_m, an.month_end(before_m), c.today, "project_id")
    empty = {"owed": 0, "paid": 0, "arrears": 0, "bills": 0}
    rows: list[dict[str, Any]] = []
    for pid, name in _names(projects):
        x, y = now.get(pid, empty), before.get(pid, empty)
        rows.append(
            {"project_id": pid, "name": name, **x, "rate": fig.ratio(x["paid"], x["owed"])}
            | {"prev_rate": fig.ratio(y["paid"], y["owed"])}
        )
    total = {k: sum(r[k] for r in rows) for k in ("owed", "paid", "arrears", "bills")}
    prev_owed, prev_paid = sum(v["owed"] for v in before.values()), sum(v["paid"] for v in before.values())
    return {"rows": rows, "total": total, "prev_rate": fig.ratio(prev_paid, prev_owed), "prev_month": before_m}


def day_lines(session: Session, ids: list[int], day: date) -> list[dict[str, Any]]:
    """Every ledger line of ``day`` on these projects, in the order registered."""
    if not ids:
        return []
    rows = session.execute(
        sa.text(
            "SELECT p.id, p.created_at, pr.name, b.title, b.fee_name, p.amount, p.method, p.source, p.receipt_no, "
            "p.source_ref, COALESCE(u.display_name, p.process) FROM payment p JOIN bill b ON b.id = p.bill_id "
            "JOIN project pr ON pr.id = p.project_id LEFT JOIN app_user u ON u.id = p.recorded_by_id "
            "WHERE p.paid_on = :day AND p.project_id IN :ids ORDER BY p.id"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"day": day, "ids": ids},
    ).all()
    return [
        {
            "id": r[0],
            "project": r[2],
            "bill": r[3],
            "fee": r[4],
            "amount": Decimal(r[5]).quantize(Decimal("0.01")),
            "method": PaymentMethod(r[6]).label,
            "source": LedgerSource(r[7]).label,
            "receipt": r[8] or r[9],
            "by": r[10] or "",
        }
        for r in rows
    ]


def cash_ledger(session: Session, f: dict[str, pl.DataFrame], projects: pl.DataFrame, c: Choice) -> dict:
    """The month's ledger by day (in, out, net) and by method; the lines of the day chosen."""
    lines = fig.revenue(f["payments"], c.start, c.end)
    by_day = _by(
        lines,
        "paid_on",
        amount_in=pl.col("amount_in").sum(),
        amount_out=pl.col("amount_out").sum(),
        n=pl.col("n").sum(),
    )
    days = [
        {"day": d, "n": r["n"], "in": r["amount_in"], "out": r["amount_out"], "net": r["amount_in"] + r["amount_out"]}
        for d, r in sorted(by_day.items(), reverse=True)
    ]
    by_method = _by(
        lines, "method", amount_in=pl.col("amount_in").sum(), amount_out=pl.col("amount_out").sum(), n=pl.col("n").sum()
    )
    methods = [
        {
            "method": PaymentMethod(m).label,
            "n": r["n"],
            "in": r["amount_in"],
            "out": r["amount_out"],
            "net": r["amount_in"] + r["amount_out"],
        }
        for m, r in sorted(by_method.items(), key=lambda kv: -kv[1]["amount_in"])
    ]
    return {
        "days": days,
        "methods": methods,
        "lines": day_lines(session, projects["project_id"].to_list(), c.day or c.today),
    }


def deposits(session: Session, f: dict[str, pl.DataFrame], projects: pl.DataFrame, c: Choice) -> dict:
    """押金 taken and given back in the month, held now; 定金 of the month's reservations by outcome."""
    lines = fig.revenue(f["payments"], c.start, c.end).filter(
        (pl.col("kind") == BillKind.DEPOSIT.value) & (pl.col("source") != LedgerSource.CARRY_OVER.value)
    )
    taken = _by(lines, "project_id", amount=pl.col("amount_in").sum(), n=pl.col("n").sum())
    returned = _by(
        f["deposit_returns"].filter(pl.col("day").is_between(c.start, c.end)),
        "project_id",
        amount=pl.col("amount").sum(),
        n=pl.col("n").sum(),
    )
    held = _by(f["deposits_held"], "project_id", amount=pl.col("amount").sum(), n=pl.col("n").sum())
    res = f["reservations"].filter(pl.col("day").is_between(c.start, c.end))
    rows, holds = [], []
    for pid, name in _names(projects):
        rows.append(
            {
                "name": name,
                "taken": taken.get(pid, {}).get("amount", 0),
                "taken_n": taken.get(pid, {}).get("n", 0),
                "returned": returned.get(pid, {}).get("amount", 0),
                "returned_n": returned.get(pid, {}).get("n", 0),
                "held": held.get(pid, {}).get("amount", 0),
                "held_n": held.get(pid, {}).get("n", 0),
            }
        )
        mine = res.filter(pl.col("project_id") == pid)
        holds.append(
            {
                "name": name,
                "n": _sum(mine, "n"),
                "amount": _sum(mine, "amount"),
                **{s.value: _sum(mine.filter(pl.col("state") == s.value), "amount") for s in DepositState},
            }
        )
    total = {k: sum(r[k] for r in rows) for k in ("taken", "taken_n", "returned", "returned_n", "held", "held_n")}
    return {"rows": rows, "holds": holds, "total": total}


def refunds(session: Session, f: dict[str, pl.DataFrame], projects: pl.DataFrame, c: Choice) -> dict:
    """The month's 退房结算 refunds by state and line, the refund ledger, and the bill adjustments."""
    names = dict(_names(projects))
    bills = f["refunds"].filter(pl.col("day").is_between(c.start, c.end)).sort("day", "bill_id")
    by_state = _by(bills, "state", amount=pl.col("amount").sum(), n=pl.len())
    refund_states = [
        {
            "state": s.label,
            "n": by_state.get(s.value, {}).get("n", 0),
            "amount": by_state.get(s.value, {}).get("amount", 0),
        }
        for s in REFUND_STATES
    ]
    # Money given back: the ledger's negative lines, but for 结转 (a tenant's money moved between their own bills).
    paid_back = fig.revenue(f["payments"], c.start, c.end).filter(
        (pl.col("amount_out") < 0) & (pl.col("source") != LedgerSource.CARRY_OVER.value)
    )
    adj = f["adjustments"].filter(pl.col("day").is_between(c.start, c.end)).sort("day", "adjustment_id")
    adj_rows = [
        {
            "day": r["day"],
            "project": names.get(r["project_id"], ""),
            "bill": r["title"],
            "kind": AdjustmentKind(r["kind"]).label,
            "state": AdjustmentState(r["state"]).label,
            "before": r["before"],
            "after": r["after"],
            "change": r["after"] - r["before"],
            "reason": r["reason"],
        }
        for r in adj.iter_rows(named=True)
    ]
    kinds = []
    for k in AdjustmentKind:
        mine = [r for r in adj_rows if r["kind"] == k.label]
        applied = [r for r in mine if r["state"] == AdjustmentState.APPLIED.label]
        kinds.append(
            {"kind": k.label, "n": len(mine), "applied": len(applied), "change": sum(r["change"] for r in applied)}
        )
    return {
        "refund_states": refund_states,
        "refund_rows": [
            {
                "day": r["day"],
                "project": names.get(r["project_id"], ""),
                "bill": r["title"],
                "tenant": r["tenant"],
                "amount": r["amount"],
                "state": BillState(r["state"]).label,
            }
            for r in bills.iter_rows(named=True)
        ],
        "refunded": -_sum(paid_back, "amount_out"),
        "refunded_n": _sum(paid_back, "n"),
        "adjust_kinds": kinds,
        "adjust_rows": adj_rows,
    }


def aging(session: Session, f: dict[str, pl.DataFrame], projects: pl.DataFrame, c: Choice) -> dict:
    """欠费 today by age band, by project and by fee item, of the bills due in the month (or in any)."""
    bills = f["bills"].filter(pl.col("due_date").is_between(c.start, c.end))
    late = fig.overdue(bills, c.today)

    def bands(frame: pl.DataFrame) -> dict[str, int]:
        out = {f"b{i}": _sum(fig.in_band(frame, low, high), "owing") for i, (_, low, high) in enumerate(fig.AGE_BANDS)}
        return {**out, "total": _sum(frame, "owing"), "n": _sum(frame, "n")}

    by_project = [{"name": name, **bands(late.filter(pl.col("project_id") == pid))} for pid, name in _names(projects)]
    fees = sorted(set(late["fee"].to_list()))
    by_fee = [{"fee": fee, **bands(late.filter(pl.col("fee") == fee))} for fee in fees]
    return {"by_project": by_project, "by_fee": by_fee, "total": bands(late)}


REPORTS = {
    "fees": fee_summary,
    "collection": collection,
    "cash": cash_ledger,
    "deposits": deposits,
    "refunds": refunds,
    "aging": aging,
}


def days_of(month: date, today: date) -> list[date]:
    """The days of ``month`` up to today, the latest first (the 现金台账's day picker)."""
    last = min(an.month_end(month), today)
    return [last - timedelta(days=k) for k in range((last - month).days + 1)] if last >= month else []
