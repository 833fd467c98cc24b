"""The figures the home page, 经营看板 and the room board show, each defined once.

Each figure names what it counts over what, in the words of its tooltip (``hint``). The home page
once counted 出租率 as 在租 ÷ all rooms and 经营看板 as 在租 + 待入住 ÷ rooms not 不可租: one scope,
two numbers (67.0% and 76.3%). The one definition is the domain guide's "rented ÷ rentable rooms":
a 待入住 room is let (its contract is signed and the first payment made), and a 不可租 room is
locked by staff (repair, internal use), so it cannot be rented and does not count against the rate.
An 已预定 room is held by a deposit, not let: it is rentable and not rented.

欠费 likewise had three readings: the board marked bills due before today, 经营看板 summed those due
by today (its ageing said "逾期 0 天"), and 待我处理 counted only 已确认 bills, not 部分收款 ones. A
bill is in arrears once its due date has passed with money still owed on it (已确认 or 部分收款):
on its due date it is not late yet, as the late fee's chargeable days (as-of date − due date) say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import sqlalchemy as sa

from models import BillState, RoomStatus


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    hint: str  # the tooltip: what is counted over what


# Rooms let: 在租 (contract 执行中) and 待入住 (signed, first payment made, not yet moved in).
RENTED = frozenset({RoomStatus.OCCUPIED, RoomStatus.SIGNED})
# Rooms that cannot be let: 不可租, locked by staff.
NOT_RENTABLE = frozenset({RoomStatus.LOCKED})
RENTED_VALUES = tuple(sorted(s.value for s in RENTED))
NOT_RENTABLE_VALUES = tuple(sorted(s.value for s in NOT_RENTABLE))

# Bills pushed to the tenant, whose money counts as owed: the base of 收缴率.
DUE_STATES = (BillState.CONFIRMED, BillState.PARTLY_PAID, BillState.PAID, BillState.BAD_DEBT)
# Bills the tenant still owes on: the base of 欠费.
OPEN_STATES = (BillState.CONFIRMED, BillState.PARTLY_PAID)

OCCUPANCY = Figure("occupancy", "出租率", "在租及待入住房间数 ÷ 可租房间数（全部房间减去不可租），按当前房态")
COLLECTION = Figure(
    "collection",
    "收缴率",
    "所选月份内已到应收日的账单（已确认、部分收款、已收款、坏账）：已收金额 ÷ 应收金额（含滞纳金）",
)
REVENUE = Figure("revenue", "实收金额", "所选月份内收款登记的合计，退款记为负数")
ARREARS = Figure("arrears", "欠费总额", "已确认或部分收款、应收日已过（早于今天）的账单尚未收的金额合计")
RECEIVABLE = Figure(
    "receivable", "应收", "应收日期在所选月份内、至今天止，已确认、部分收款、已收款或坏账的账单的应收金额（含滞纳金）"
)
RECEIVED = Figure("received", "已收", "上述应收账单已收的金额（收缴率的分子）")
OVERDUE_MARK = Figure("arrears", "欠费", "房间有已确认或部分收款、应收日已过（早于今天）仍未结清的账单")


def is_rented(status: RoomStatus | str) -> bool:
    return RoomStatus(status) in RENTED


def is_rentable(status: RoomStatus | str) -> bool:
    return RoomStatus(status) not in NOT_RENTABLE


def occupancy(counts: Mapping[RoomStatus, int] | Mapping[str, int]) -> tuple[int, int]:
    """(rented, rentable) rooms from a count of rooms by status."""
    rented = sum(n for s, n in counts.items() if is_rented(s))
    rentable = sum(n for s, n in counts.items() if is_rentable(s))
    return rented, rentable


def rented_sql(status_column) -> sa.ColumnElement:
    """1 for a let room, else 0: ``sum()`` of it counts the rented rooms in SQL."""
    return sa.case((status_column.in_(sorted(RENTED, key=lambda s: s.value)), 1), else_=0)


def rentable_sql(status_column) -> sa.ColumnElement:
    return sa.case((status_column.in_(sorted(NOT_RENTABLE, key=lambda s: s.value)), 0), else_=1)


def last_overdue_due_date(today: date) -> date:
    """The latest due date of a bill in arrears today (a list filter's ``due_date__lte``)."""
    return today - timedelta(days=1)


def overdue_sql(state_column, due_date_column, today: date) -> sa.ColumnElement:
    """A bill in arrears today: money still owed on it and its due date passed."""
    return sa.and_(state_column.in_(OPEN_STATES), due_date_column < today)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def occupancy_text(rented: int, rentable: int) -> str:
    """出租率 as every page prints it."""
    return percent(ratio(rented, rentable))


def occupancy_note(rented: int, rentable: int) -> str:
    # No-break spaces: a narrow card breaks the line at " / " only, never before 间.
    return f"在租及待入住\u00a0{rented:,} / 可租\u00a0{rentable:,}\u00a0间"


# 三表抄表 (services/meter_report.py)
READ_RATE = Figure("read_rate", "抄表率", "所选月份已抄表（有效读数）的在用仪表数 ÷ 在用仪表数")
LOSS_RATE = Figure("loss_rate", "路耗率", "路耗 ÷ 总表用量；路耗 = 总表用量 − 分表用量 − 公共表用量")
# 欠费 by days past due (账龄): 经营看板's chart and 账龄分析 band alike. (label, first day, last day or None)
AGE_BANDS = (("1–30天", 1, 30), ("31–60天", 31, 60), ("61–90天", 61, 90), ("90天以上", 91, None))


# ---------------------------------------------------------------- the same figures over Polars frames
# Frames of bills summed by the database (a row per project, day, state and whatever else a page groups by)
# with ``due_date``, ``state``, ``owed`` (amount + late fee, cents), ``paid`` (cents) and ``n``; of ledger lines
# with ``paid_on`` and ``amount``. Every page that shows 应收, 已收, 收缴率, 欠费 or 实收 filters through these.


def receivable(bills: pl.DataFrame, start: date, end: date, today: date) -> pl.DataFrame:
    """The bills whose money counts as owed in [start, end] (``COLLECTION``'s base): pushed, due by today."""
    states = [s.value for s in DUE_STATES]
    return bills.filter(pl.col("state").is_in(states) & pl.col("due_date").is_between(start, min(end, today)))


def overdue(bills: pl.DataFrame, today: date) -> pl.DataFrame:
    """The bills in arrears today (``ARREARS``), with ``age`` (days past due) and ``owing`` (cents)."""
    states = [s.value for s in OPEN_STATES]
    return bills.filter(pl.col("state").is_in(states) & (pl.col("due_date") < today)).with_columns(
        age=(pl.lit(today) - pl.col("due_date")).dt.total_days(), owing=pl.col("owed") - pl.col("paid")
    )


def in_band(frame: pl.DataFrame, low: int, high: int | None) -> pl.DataFrame:
    """The overdue rows of one age band of ``AGE_BANDS``."""
    age = pl.col("age")
    return frame.filter(age >= low) if high is None else frame.filter(age.is_between(low, high))


def revenue(payments: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """The ledger lines of ``REVENUE``: received in [start, end], refunds negative."""
    return payments.filter(pl.col("paid_on").is_between(start, end))
