"""The billing engine: a contract's periods and what each costs, in plain Python.

The rules are the domain guide's decisions, implemented exactly:

* 对日 (same day): periods start on the contract's own day every ``cycle``
  months, clamped to short months (31 Jan → 28/29 Feb → 31 Mar). A period's
  rent is its whole months counted on the contract's own day plus leftover
  days, each worth monthly rent ÷ the days of that day's calendar month.
* 月初 (start of month): the first period runs to the end of the calendar
  month that closes the first cycle; later periods are whole calendar months
  in blocks of the cycle. Whole calendar months cost the monthly rent, days
  of a partial month each cost monthly rent ÷ that month's days.
* 一次性: one period for the whole term, priced by the 对日 rule.

The last period always ends on the contract's end date. Money is Decimal,
rounded half-up to the cent once per bill.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from clss_app.core.money import cents

ONCE = 0  # the cycle value of 一次性
CYCLES = (1, 3, 6, 12, ONCE)
SAME_DAY, MONTH_START = "same_day", "month_start"


class Period(NamedTuple):  # a tuple: 120k of them are made to bill 10k contracts for a year
    no: int  # 1-based
    start: date
    end: date  # inclusive
    months: int  # whole months inside the period
    days: int  # leftover days priced per day
    amount: Decimal  # for the monthly price given, rounded to the cent

    @property
    def due(self) -> date:
        return self.start


@lru_cache(maxsize=4096)
def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@lru_cache(maxsize=65536)  # pure, and contracts share start days: schedules of 10k contracts hit it 600k times
def add_months(anchor: date, n: int) -> date:
    """``anchor`` moved by ``n`` months, its day clamped to the target month's length."""
    y, m = divmod(anchor.month - 1 + n, 12)
    year, month = anchor.year + y, m + 1
    return date(year, month, min(anchor.day, month_days(year, month)))


def month_end(d: date) -> date:
    return d.replace(day=month_days(d.year, d.month))


def _day_value(monthly: Decimal, first: date, last: date) -> Decimal:
    """Unrounded price of the days first..last, each at monthly ÷ its own month's days."""
    total = Decimal(0)
    d = first
    while d <= last:
        stop = min(last, month_end(d))
        total += monthly * ((stop - d).days + 1) / month_days(d.year, d.month)
        d = stop + timedelta(days=1)
    return total


def _same_day_parts(contract_start: date, k0: int, end: date) -> tuple[int, date | None]:
    """Whole months from the contract's ``k0``-th month anniversary up to ``end``, and where the leftover starts."""
    m = 0
    while add_months(contract_start, k0 + m + 1) - timedelta(days=1) <= end:
        m += 1
    rest = add_months(contract_start, k0 + m)
    return m, (rest if rest <= end else None)


def schedule(start: date, end: date, monthly: Decimal, cycle: int = 1, mode: str = SAME_DAY) -> list[Period]:
    """The periods of a contract from ``start`` to ``end`` (inclusive) at ``monthly`` per month."""
    if end < start:
        raise ValueError("结束日期不能早于开始日期")
    if cycle not in CYCLES:
        raise ValueError(f"不支持的付款周期：{cycle}")
    monthly = Decimal(monthly)
    if cycle == ONCE:
        return [_same_day_period(1, start, start, 0, end, monthly)]
    if mode == SAME_DAY:
        periods: list[Period] = []
        k = 0
        while True:
            p_start = add_months(start, k * cycle)
            if p_start > end:
                return periods
            p_end = min(end, add_months(start, (k + 1) * cycle) - timedelta(days=1))
            periods.append(_same_day_period(k + 1, start, p_start, k * cycle, p_end, monthly))
            k += 1
    if mode != MONTH_START:
        raise ValueError(f"不支持的账单日模式：{mode}")
    periods, p_start = [], start
    first_close = month_end(add_months(start.replace(day=1), cycle - 1))
    p_end = first_close
    while p_start <= end:
        p_end = min(end, p_end)
        periods.append(_calendar_period(len(periods) + 1, p_start, p_end, monthly))
        p_start = p_end + timedelta(days=1)
        p_end = month_end(add_months(p_start, cycle - 1))
    return periods


def _same_day_period(no, contract_start, p_start, k0, p_end, monthly) -> Period:
    months, rest = _same_day_parts(contract_start, k0, p_end)
    days = (p_end - rest).days + 1 if rest else 0
    value = monthly * months + (_day_value(monthly, rest, p_end) if rest else 0)
    return Period(no, p_start, p_end, months, days, cents(value))


def _calendar_period(no, p_start, p_end, monthly) -> Period:
    months = days = 0
    value = Decimal(0)
    d = p_start
    while d <= p_end:
        stop = min(p_end, month_end(d))
        if d.day == 1 and stop == month_end(d):
            months += 1
            value += monthly
        else:
            days += (stop - d).days + 1
            value += _day_value(monthly, d, stop)
        d = stop + timedelta(days=1)
    return Period(no, p_start, p_end, months, days, cents(value))


def late_fee(unpaid: Decimal, daily_rate_percent: Decimal, due: date, as_of: date, grace_days: int = 0) -> Decimal:
    """unpaid × daily rate × chargeable days; chargeable = days past due − grace, never below 0."""
    days = max(0, (as_of - due).days - max(0, grace_days))
    if days == 0 or unpaid <= 0:
        return Decimal("0.00")
    return cents(Decimal(unpaid) * Decimal(daily_rate_percent) / 100 * days)


def rent_until(start: date, until: date, monthly: Decimal, cycle: int = 1, mode: str = SAME_DAY) -> Decimal:
    """What the term start..until costs when billed by the contract's own rules (check-out, room change)."""
    if until < start:
        return Decimal("0.00")
    return sum((p.amount for p in schedule(start, until, monthly, cycle, mode)), Decimal("0.00"))
