"""收费报表: each report's Excel export against an independent SQL query on the demo data, the screen's
cells, the scope (a store-scoped role, forged filter values) and the engine's generic dashboard export.

The oracle is plain SQL written here, not the reports' code: group-bys over bill, payment, contract and
bill_adjustment with the definitions spelled out (应收 = amount + late fee of bills 已确认/部分收款/已收款/坏账
due in the month up to today; 欠费 = what the 已确认/部分收款 ones due before today still owe; …).
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa

from clss_app.core import clock
from clss_app.services import analytics as an
from clss_app.services import fee_reports as fr
from clss_app.services.billing import add_months
from clss_app.services.permissions import Forbidden
from clss_app.site import app_site

DUE = "('confirmed', 'partly_paid', 'paid', 'bad_debt')"
OPEN = "('confirmed', 'partly_paid')"
REPORT_KEYS = ("fee_report", "collection_report", "cash_ledger", "deposit_report", "refund_report", "aging_report")


def dash(key: str):
    return app_site().dashboard(key)


def workbook(key: str, p, chosen: dict[str, str], session) -> dict[str, pl.DataFrame]:
    data, _rows = dash(key).export_xlsx(session, p, chosen)
    return pl.read_excel(io.BytesIO(data), sheet_id=0)


def sql(session, text: str, **params) -> list[tuple]:
    return [tuple(r) for r in session.execute(sa.text(text), params).all()]


def ids(p) -> str:
    return ",".join(map(str, sorted(p.project_ids)))


def yuan(v) -> Decimal:
    return Decimal(str(v or 0)).quantize(Decimal("0.01"))


def close(a, b) -> bool:
    return abs(yuan(a) - yuan(b)) < Decimal("0.01")


def months_with(session, text: str) -> list[str]:
    """The months (2026-06) a query finds rows in, most rows first."""
    return [r[0] for r in sql(session, text)]


@pytest.fixture(autouse=True)
def fresh_cache():
    fr.CACHE.clear()
    yield
    fr.CACHE.clear()


def test_fees_by_item_match_sql(session, principal_of):
    p, today = principal_of("finance"), clock.today()
    this = today.replace(day=1)
    for month in (this, add_months(this, -1), add_months(this, -5)):
        end = an.month_end(month)
        book = workbook("fee_report", p, {"month": f"{month:%Y-%m}"}, session)
        got = {r["费项"]: r for r in book["按费项"].iter_rows(named=True)}
        owed = sql(
            session,
            f"SELECT fee_name, COUNT(*), SUM(amount + late_fee), SUM(paid), "
            f"SUM(CASE WHEN state IN {OPEN} AND due_date < :today THEN amount + late_fee - paid ELSE 0 END) "
            f"FROM bill WHERE project_id IN ({ids(p)}) AND state IN {DUE} AND due_date BETWEEN :a AND :b "
            "GROUP BY fee_name",
            today=today,
            a=month,
            b=min(end, today),
        )
        revenue = dict(
            sql(
                session,
                f"SELECT b.fee_name, SUM(p.amount) FROM payment p JOIN bill b ON b.id = p.bill_id "
                f"WHERE p.project_id IN ({ids(p)}) AND p.paid_on BETWEEN :a AND :b GROUP BY b.fee_name",
                a=month,
                b=end,
            )
        )
        assert owed and set(got) == {r[0] for r in owed} | set(revenue) | {"合计"}, month
        for fee, n, o, paid, arrears in owed:
            row = got[fee]
            assert row["账单数"] == n and close(row["应收"], o) and close(row["已收"], paid), (month, fee)
            assert close(row["欠费"], arrears) and close(row["实收"], revenue.get(fee, 0)), (month, fee)
            assert row["收缴率"] == pytest.approx(float(paid) / float(o))
        assert close(got["合计"]["应收"], sum(Decimal(str(r[2])) for r in owed))


def test_collection_by_project_matches_sql_and_the_dashboard(session, principal_of):
    p, today = principal_of("principal"), clock.today()
    month = add_months(today.replace(day=1), -1)
    book = workbook("collection_report", p, {"month": f"{month:%Y-%m}"}, session)
    got = {r["项目"]: r for r in book["按项目"].iter_rows(named=True)}

    def rates(m: date) -> dict[str, tuple]:
        rows = sql(
            session,
            "SELECT pr.name, SUM(b.amount + b.late_fee), SUM(b.paid) FROM bill b "
            "JOIN project pr ON pr.id = b.project_id "
            f"WHERE b.project_id IN ({ids(p)}) AND b.state IN {DUE} AND b.due_date BETWEEN :a AND :b GROUP BY pr.name",
            a=m,
            b=min(an.month_end(m), today),
        )
        return {name: (owed, paid) for name, owed, paid in rows}

    now, before = rates(month), rates(add_months(month, -1))
    assert now and set(now) <= set(got)
    for name, (owed, paid) in now.items():
        assert close(got[name]["应收"], owed) and close(got[name]["已收"], paid), name
        assert got[name]["收缴率"] == pytest.approx(float(paid) / float(owed)), name
        if name in before:
            assert got[name]["上月收缴率"] == pytest.approx(float(before[name][1]) / float(before[name][0])), name
    # One definition: 经营看板 shows each project the same 收缴率 for that month.
    board = an.dashboard(session, p, an.Filters(month, month), today)
    for r in board["projects"]:
        if r["name"] in now:
            assert r["owed"] / 100 == pytest.approx(got[r["name"]]["应收"]) and r["paid"] / 100 == pytest.approx(
                got[r["name"]]["已收"]
            )


def test_cash_ledger_lists_every_line_of_the_day(session, principal_of):
    p, today = principal_of("finance"), clock.today()
    month = today.replace(day=1)
    days = sql(
        session,
        f"SELECT paid_on, COUNT(*), SUM(amount) FROM payment WHERE project_id IN ({ids(p)}) "
        "AND paid_on BETWEEN :a AND :b GROUP BY paid_on ORDER BY COUNT(*) DESC",
        a=month,
        b=today,
    )
    assert days
    busiest = str(days[0][0])[:10]
    book = workbook("cash_ledger", p, {"month": f"{month:%Y-%m}", "day": busiest}, session)
    by_day = {r["日期"]: r for r in book["每日汇总"].iter_rows(named=True)}
    assert len(by_day) == len(days)
    for day, n, total in days:
        row = by_day[str(day)[:10]]
        assert row["笔数"] == n and close(row["净收"], total), day
    lines = sql(
        session,
        f"SELECT id, amount FROM payment WHERE project_id IN ({ids(p)}) AND paid_on = :d ORDER BY id",
        d=date.fromisoformat(busiest),
    )
    sheet = book["当日明细"]
    assert sheet["流水号"].cast(pl.Int64).to_list() == [i for i, _ in lines]
    assert close(sheet["金额"].sum(), sum(Decimal(str(a)) for _, a in lines))
    assert book["筛选条件"]["取值"].to_list() == ["全部项目", f"{month:%Y-%m}", busiest]


def test_deposits_taken_returned_and_held_match_sql(session, principal_of):
    p = principal_of("principal")
    month = date.fromisoformat(
        months_with(
            session,
            f"SELECT substr(CAST(checked_out_on AS TEXT), 1, 7) || '-01' FROM contract WHERE state = 'checked_out' "
            f"AND project_id IN ({ids(p)}) GROUP BY 1 ORDER BY COUNT(*) DESC",
        )[0]
    )
    end = an.month_end(month)
    book = workbook("deposit_report", p, {"month": f"{month:%Y-%m}"}, session)
    total = book["押金收退（按项目）"].filter(pl.col("项目") == "合计").row(0, named=True)
    [(taken_n, taken)] = sql(
        session,
        f"SELECT COUNT(*), COALESCE(SUM(p.amount), 0) FROM payment p JOIN bill b ON b.id = p.bill_id "
        f"WHERE b.kind = 'deposit' AND p.source <> 'carry_over' AND p.amount > 0 AND p.project_id IN ({ids(p)}) "
        "AND p.paid_on BETWEEN :a AND :b",
        a=month,
        b=end,
    )
    [(returned_n, returned)] = sql(
        session,
        "SELECT COUNT(*), COALESCE(SUM(b.paid), 0) FROM contract c JOIN bill b ON b.contract_id = c.id "
        f"AND b.kind = 'deposit' WHERE c.state = 'checked_out' AND b.paid > 0 AND c.project_id IN ({ids(p)}) "
        "AND c.checked_out_on BETWEEN :a AND :b",
        a=month,
        b=end,
    )
    [(held_n, held)] = sql(
        session,
        "SELECT COUNT(*), SUM(b.paid) FROM contract c JOIN bill b ON b.contract_id = c.id AND b.kind = 'deposit' "
        f"WHERE c.state NOT IN ('checked_out', 'void') AND b.paid > 0 AND c.project_id IN ({ids(p)})",
    )
    assert returned_n > 0 and held_n > 0
    assert (total["收取笔数"], total["退还笔数"], total["在押合同数"]) == (taken_n, returned_n, held_n)
    assert close(total["收取金额"], taken) and close(total["退还金额"], returned) and close(total["在押金额"], held)
    [(res_n, res_total)] = sql(
        session,
        "SELECT COUNT(*), COALESCE(SUM(deposit), 0) FROM reservation WHERE deposit > 0 "
        f"AND project_id IN ({ids(p)}) AND created_at >= :lo AND created_at < :hi",
        lo=datetime.combine(month, datetime.min.time()) - timedelta(hours=8),
        hi=datetime.combine(end + timedelta(days=1), datetime.min.time()) - timedelta(hours=8),
    )
    holds = book["定金（当月预定）"]
    assert holds["预定数"].sum() == res_n and close(holds["定金合计"].sum(), res_total)


def test_refunds_and_adjustments_match_sql(session, principal_of):
    p = principal_of("finance")
    month = date.fromisoformat(
        months_with(
            session,
            "SELECT substr(CAST(due_date AS TEXT), 1, 7) || '-01' FROM bill WHERE kind = 'settlement' "
            f"AND state IN ('refund_due', 'offline_refund', 'refunded') AND project_id IN ({ids(p)}) "
            "GROUP BY 1 ORDER BY COUNT(*) DESC",
        )[0]
    )
    end = an.month_end(month)
    book = workbook("refund_report", p, {"month": f"{month:%Y-%m}"}, session)
    states = {
        s: (n, a)
        for s, n, a in sql(
            session,
            "SELECT state, COUNT(*), SUM(amount) FROM bill WHERE kind = 'settlement' "
            f"AND state IN ('refund_due', 'offline_refund', 'refunded') AND project_id IN ({ids(p)}) "
            "AND due_date BETWEEN :a AND :b GROUP BY state",
            a=month,
            b=end,
        )
    }
    labels = {"待退款": "refund_due", "线下退款": "offline_refund", "已退款": "refunded"}
    for r in book["退款（按状态）"].iter_rows(named=True):
        n, amount = states.get(labels[r["状态"]], (0, 0))
        assert r["笔数"] == n and close(r["金额"], amount), r
    assert book["退款明细"].height == sum(n for n, _ in states.values()) > 0
    for m in (month, clock.today().replace(day=1)):  # the demo's adjustments were requested this month
        sheet_month = workbook("refund_report", p, {"month": f"{m:%Y-%m}"}, session)
        lo = datetime.combine(m, datetime.min.time()) - timedelta(hours=8)
        hi = datetime.combine(an.month_end(m) + timedelta(days=1), datetime.min.time()) - timedelta(hours=8)
        adjusted = sql(
            session,
            "SELECT kind, COUNT(*), SUM(CASE WHEN state = 'applied' THEN amount_after - amount_before ELSE 0 END) "
            f"FROM bill_adjustment WHERE project_id IN ({ids(p)}) AND created_at >= :lo AND created_at < :hi "
            "GROUP BY kind",
            lo=lo,
            hi=hi,
        )
        kinds = {r["调整类型"]: r for r in sheet_month["调账（按类型）"].iter_rows(named=True)}
        by_code = {"增加金额": "increase", "减少金额": "decrease", "减免": "waive", "免滞纳金": "waive_late_fee"}
        expected = {k: (n, c) for k, n, c in adjusted}
        for label, r in kinds.items():
            n, change = expected.get(by_code[label], (0, 0))
            assert r["申请笔数"] == n and close(r["已生效调整额"], change), (m, label)
        assert sheet_month["调账明细"].height == sum(n for n, _ in expected.values())


def test_aging_bands_match_sql(session, principal_of):
    p, today = principal_of("principal"), clock.today()
    bands = "CASE WHEN due_date >= :d30 THEN 0 WHEN due_date >= :d60 THEN 1 WHEN due_date >= :d90 THEN 2 ELSE 3 END"
    days = {f"d{n}": today - timedelta(days=n) for n in (30, 60, 90)}
    for month in (None, add_months(today.replace(day=1), -1)):
        span = "" if month is None else "AND due_date BETWEEN :a AND :b"
        extra = {} if month is None else {"a": month, "b": an.month_end(month)}
        rows = sql(
            session,
            f"SELECT fee_name, {bands}, COUNT(*), SUM(amount + late_fee - paid) FROM bill "
            f"WHERE project_id IN ({ids(p)}) AND state IN {OPEN} AND due_date < :today {span} GROUP BY 1, 2",
            today=today,
            **days,
            **extra,
        )
        book = workbook("aging_report", p, {"month": "" if month is None else f"{month:%Y-%m}"}, session)
        by_fee = {r["费项"]: r for r in book["按费项"].iter_rows(named=True)}
        labels = [label for label, _, _ in an.AGE_BANDS]
        assert rows and set(by_fee) == {r[0] for r in rows}
        for fee, band, _n, _owing in rows:
            assert close(by_fee[fee][labels[band]], sum(Decimal(str(r[3])) for r in rows if r[:2] == (fee, band)))
        total = book["按项目"].filter(pl.col("项目") == "合计").row(0, named=True)
        assert total["账单数"] == sum(r[2] for r in rows)
        assert close(total["合计"], sum(Decimal(str(r[3])) for r in rows))


def test_a_store_scoped_role_sees_its_projects_and_forged_filters_fall_back(session, principal_of):
    multi, branch = principal_of("multistore"), principal_of("sysadmin")
    mine = set(multi.project_ids)
    names = dict(sql(session, "SELECT id, name FROM project"))
    other = min(i for i in names if i not in mine)
    month = f"{clock.today():%Y-%m}"
    for key in REPORT_KEYS:
        v = dash(key).render_values(session, multi, {"project": str(other), "month": month})
        assert {o["value"] for o in v["options"]["project"]} == {str(i) for i in mine}, key
        assert v["chosen"]["project"] == "", key  # the forged project fell back to every project of the scope
        book = workbook(key, multi, {"project": str(other), "month": "1999-01"}, session)
        assert book["筛选条件"]["取值"][0] == "全部项目" and book["筛选条件"]["取值"][1] != "1999-01", key
    rows = dash("collection_report").render_values(session, multi, {})["tables"]["projects"]
    assert {r["name"] for r in rows} == {names[i] for i in mine}
    whole = workbook("collection_report", branch, {}, session)["按项目"]
    assert set(whole["项目"]) > {names[i] for i in mine}
    # One project chosen: the reports hold that project only.
    one = sorted(mine)[0]
    v = dash("aging_report").render_values(session, multi, {"project": str(one)})
    assert [r["name"] for r in v["tables"]["by_project"]] == [names[one], "合计"]


@pytest.mark.parametrize("user", ["manager", "assistant", "super"])
def test_roles_without_the_reports_are_refused(session, principal_of, user):
    p = principal_of(user)
    for key in REPORT_KEYS:
        with pytest.raises(Forbidden):
            dash(key).render_values(session, p, {})
        with pytest.raises(Forbidden):
            dash(key).export_xlsx(session, p, {})


def test_screen_cells_are_formatted_and_a_long_table_says_it_is_cut(session, principal_of):
    from clss_app.admin.widgets import Dashboard, Table

    rows = [{"n": 1234, "amount": Decimal("-1234.5"), "rate": 0.4567, "day": date(2026, 1, 2)}] * 3

    class Tiny(Dashboard, key="fee_report"):  # a report's key: its roles may view and export it
        widgets = [
            Table(
                "t",
                "明细",
                [("n", "数量"), ("amount", "金额"), ("rate", "比率"), ("day", "日期")],
                lambda d: d["rows"],
                types={"n": "int", "amount": "money", "rate": "percent"},
                limit=2,
            )
        ]

        @classmethod
        def data(cls, session, p, chosen):
            return {"rows": rows}

    p = principal_of("finance")
    v = Tiny.render_values(session, p, {})
    assert v["tables"]["t"] == [{"n": "1,234", "amount": "-¥1,234.50", "rate": "45.7%", "day": "2026-01-02"}] * 2
    assert v["table_notes"]["t"] == "共 3 行，此处显示前 2 行；导出Excel可得全部"
    data, n = Tiny.export_xlsx(session, p, {})
    sheet = pl.read_excel(io.BytesIO(data), sheet_name="明细")
    assert n == 3 and sheet.height == 3 and sheet.schema["数量"] == pl.Int64 and sheet["金额"][0] == -1234.5
    assert sheet["比率"][0] == pytest.approx(0.4567) and sheet["日期"][0] in ("2026-01-02", date(2026, 1, 2))


def test_the_home_page_offers_no_export_and_reports_do():
    assert not dash("home").offers_export()
    assert all(dash(k).offers_export() for k in REPORT_KEYS)
