"""The billing engine against hand-computed schedules, and its invariants under hypothesis."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clss_app.services.billing import MONTH_START, ONCE, SAME_DAY, add_months, late_fee, rent_until, schedule

D = Decimal


def rows(periods):
    return [(p.start.isoformat(), p.end.isoformat(), str(p.amount)) for p in periods]


def test_same_day_from_the_31st_clamps_and_keeps_the_original_day():
    got = rows(schedule(date(2026, 1, 31), date(2026, 4, 30), D(3000)))
    assert got == [
        ("2026-01-31", "2026-02-27", "3000.00"),
        ("2026-02-28", "2026-03-30", "3000.00"),
        ("2026-03-31", "2026-04-29", "3000.00"),
        # one leftover day in a 30-day month: 3000 / 30
        ("2026-04-30", "2026-04-30", "100.00"),
    ]


def test_same_day_leftover_days_priced_by_their_own_month():
    got = rows(schedule(date(2026, 1, 15), date(2026, 3, 20), D(3000)))
    # 15–20 March: 6 days × 3000 / 31 = 580.645… → 580.65
    assert got == [
        ("2026-01-15", "2026-02-14", "3000.00"),
        ("2026-02-15", "2026-03-14", "3000.00"),
        ("2026-03-15", "2026-03-20", "580.65"),
    ]


def test_same_day_leftover_spanning_two_months():
    # 20 Jan → 19 Feb is one month; 20 Feb – 5 Mar: 9 Feb days × 2800/28 + 5 Mar days × 3100/31 at 2800
    got = schedule(date(2026, 1, 20), date(2026, 3, 5), D(2800))
    assert [p.amount for p in got] == [D("2800.00"), D("900.00") + D("451.61")]


def test_same_day_leap_year_february():
    got = schedule(date(2024, 1, 30), date(2024, 6, 29), D(1000))
    assert [p.start for p in got][:3] == [date(2024, 1, 30), date(2024, 2, 29), date(2024, 3, 30)]
    assert all(p.amount == D("1000.00") for p in got) and len(got) == 5


@pytest.mark.parametrize(
    "cycle, expected",
    [
        (
            3,
            [
                ("2026-08-31", "2026-11-29", "6000.00"),
                ("2026-11-30", "2027-02-27", "6000.00"),
                ("2027-02-28", "2027-05-30", "6000.00"),
                ("2027-05-31", "2027-08-30", "6000.00"),
            ],
        ),
        (6, [("2026-08-31", "2027-02-27", "12000.00"), ("2027-02-28", "2027-08-30", "12000.00")]),
        (12, [("2026-08-31", "2027-08-30", "24000.00")]),
    ],
)
def test_same_day_longer_cycles(cycle, expected):
    assert rows(schedule(date(2026, 8, 31), date(2027, 8, 30), D(2000), cycle)) == expected


def test_month_start_monthly_prorates_first_and_last_month():
    got = rows(schedule(date(2026, 1, 15), date(2026, 3, 20), D(3100), 1, MONTH_START))
    assert got == [
        ("2026-01-15", "2026-01-31", "1700.00"),  # 17 × 3100/31
        ("2026-02-01", "2026-02-28", "3100.00"),
        ("2026-03-01", "2026-03-20", "2000.00"),
    ]  # 20 × 3100/31


def test_month_start_quarterly_first_period_closes_the_first_cycle():
    got = rows(schedule(date(2026, 2, 10), date(2027, 2, 9), D(2800), 3, MONTH_START))
    assert got == [
        ("2026-02-10", "2026-04-30", "7500.00"),  # 19 × 2800/28 + 2 months
        ("2026-05-01", "2026-07-31", "8400.00"),
        ("2026-08-01", "2026-10-31", "8400.00"),
        ("2026-11-01", "2027-01-31", "8400.00"),
        ("2027-02-01", "2027-02-09", "900.00"),
    ]  # 9 × 2800/28
    assert sum(D(a) for *_, a in got) == 12 * D(2800)


def test_month_start_yearly_from_the_first():
    got = rows(schedule(date(2026, 1, 1), date(2026, 12, 31), D(1500), 12, MONTH_START))
    assert got == [("2026-01-01", "2026-12-31", "18000.00")]


def test_one_off_from_a_leap_day_priced_by_same_day_rule():
    got = schedule(date(2024, 2, 29), date(2025, 2, 27), D(2900), ONCE)
    assert rows(got) == [("2024-02-29", "2025-02-27", "34800.00")]
    got = schedule(date(2024, 2, 29), date(2025, 3, 2), D(2900), ONCE)
    # 12 months to 27 Feb 2025, then 28 Feb (2900/28 = 103.571…) + 1–2 Mar (2 × 2900/31 = 187.096…),
    # rounded once: 34800 + 290.668… = 35090.67 (rounding each part first would give 35090.68)
    assert got[0].amount == D("35090.67")
    assert (got[0].months, got[0].days) == (12, 3)


def test_each_bill_rounds_half_up_once():
    # 15 days of a 30-day month at 1000.01 = 500.005 → 500.01 (half-even would give 500.00)
    got = schedule(date(2026, 11, 1), date(2026, 11, 15), D("1000.01"), 1, MONTH_START)
    assert got[0].amount == D("500.01")


def test_bad_terms_are_refused():
    with pytest.raises(ValueError, match="结束日期"):
        schedule(date(2026, 5, 1), date(2026, 4, 30), D(1))
    with pytest.raises(ValueError, match="周期"):
        schedule(date(2026, 5, 1), date(2026, 6, 30), D(1), 2)


def test_late_fee_counts_days_past_due_less_grace():
    assert late_fee(D(1000), D("0.05"), date(2026, 1, 1), date(2026, 1, 11), grace_days=3) == D("3.50")
    assert late_fee(D(1000), D("0.05"), date(2026, 1, 1), date(2026, 1, 3), grace_days=3) == D("0.00")
    assert late_fee(D("333.33"), D("0.05"), date(2026, 1, 1), date(2026, 1, 2)) == D("0.17")  # 0.166665


def test_rent_until_bills_a_short_stay_like_the_schedule():
    # 15 Jan – 14 Feb is a month; 15–24 Feb: 10 × 3100/28 = 1107.142…
    assert rent_until(date(2026, 1, 15), date(2026, 2, 24), D(3100)) == D("4207.14")
    assert rent_until(date(2026, 1, 15), date(2026, 1, 14), D(3100)) == D("0.00")


# ---------------------------------------------------------------- properties

starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
rents = st.decimals(min_value=D("1.00"), max_value=D("99999.99"), places=2)
cycles = st.sampled_from([1, 3, 6, 12, ONCE])
modes = st.sampled_from([SAME_DAY, MONTH_START])


@settings(max_examples=300, deadline=None)
@given(starts, st.integers(0, 900), rents, cycles, modes)
def test_periods_cover_the_term_without_gaps_or_overlaps(start, length, rent, cycle, mode):
    end = start + timedelta(days=length)
    got = schedule(start, end, rent, cycle, mode)
    assert got[0].start == start and got[-1].end == end
    for a, b in itertools.pairwise(got):
        assert b.start == a.end + timedelta(days=1)
    assert [p.no for p in got] == list(range(1, len(got) + 1))
    assert all(p.start <= p.end and p.amount >= 0 for p in got)
    if cycle != ONCE:  # no period longer than its cycle
        assert all(p.end < add_months(p.start.replace(day=1), cycle + 1) for p in got)


@settings(max_examples=300, deadline=None)
@given(starts, st.integers(1, 60), rents, cycles)
def test_n_whole_months_same_day_cost_n_times_rent(start, n, rent, cycle):
    end = add_months(start, n) - timedelta(days=1)
    got = schedule(start, end, rent, cycle, SAME_DAY)
    assert sum(p.amount for p in got) == n * rent
    assert sum(p.days for p in got) == 0


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(1, 60), rents, st.sampled_from([1, 3, 6, 12]))
def test_whole_calendar_months_month_start_cost_n_times_rent(start, n, rent, cycle):
    first = start.replace(day=1)
    end = add_months(first, n) - timedelta(days=1)
    assert sum(p.amount for p in schedule(first, end, rent, cycle, MONTH_START)) == n * rent


@settings(max_examples=200, deadline=None)
@given(starts, st.integers(0, 700), rents, cycles, modes)
def test_total_stays_within_the_months_touched(start, length, rent, cycle, mode):
    end = start + timedelta(days=length)
    total = sum(p.amount for p in schedule(start, end, rent, cycle, mode))
    whole = (end.year - start.year) * 12 + end.month - start.month
    assert (whole - 1) * rent <= total <= (whole + 1) * rent + D("0.01") * 2
