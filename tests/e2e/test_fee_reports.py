"""收费报表 in Chromium: finance opens each report from the menu, filters by project and month (and day),
reads figures that match plain SQL, and exports one to Excel (the downloaded file opened and checked)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from clss_app.core import clock
from clss_app.services.analytics import month_end
from clss_app.services.billing import add_months
from tests.e2e.conftest import login, shot

DUE = "('confirmed', 'partly_paid', 'paid', 'bad_debt')"
REPORTS = [
    ("应收实收欠费", "fees", "fee-report"),
    ("收缴率", "projects", "collection-report"),
    ("现金台账", "lines", "cash-ledger"),
    ("押金收退", "deposits", "deposit-report"),
    ("退款与调账", "adjust_kinds", "refund-report"),
    ("账龄分析", "by_project", "aging-report"),
]


def _rows(app_db, sql: str, **params) -> list[tuple]:
    with create_engine(app_db).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _yuan(v) -> str:
    return f"¥{Decimal(str(v or 0)).quantize(Decimal('0.01')):,.2f}"


def _open(page, entry: str, table: str, projects: int) -> None:
    """A report from the menu, once its figures came: its project picker offers the scope's projects."""
    page.get_by_role("navigation").get_by_role("link", name=entry, exact=True).click()
    expect(page.get_by_role("heading", name=entry)).to_be_visible(timeout=15_000)
    expect(page.locator("#dash-filter-project option")).to_have_count(projects + 1, timeout=15_000)
    expect(page.locator(f"#table-{table}")).to_be_visible()


def _same(a, b) -> bool:
    return abs(Decimal(str(a or 0)) - Decimal(str(b or 0))) < Decimal("0.005")


def test_finance_reads_each_report_filters_it_and_exports_one(page, app_db, tmp_path):
    today = clock.today()
    this, last = today.replace(day=1), add_months(today.replace(day=1), -1)
    login(page, "finance")
    expect(page.locator("#current-role")).to_have_text("财务")
    projects = _rows(
        app_db,
        "SELECT p.id, p.name FROM project p JOIN app_user u ON u.org_unit_id = p.company_id "
        "WHERE u.username = 'finance' ORDER BY p.name",
    )
    ids = ",".join(str(i) for i, _ in projects)

    def owed(month: date, project: int | None = None) -> tuple:
        where = f"project_id = {project}" if project else f"project_id IN ({ids})"
        return _rows(
            app_db,
            f"SELECT COALESCE(SUM(amount + late_fee), 0), COALESCE(SUM(paid), 0) FROM bill WHERE {where} "
            f"AND state IN {DUE} AND due_date BETWEEN :a AND :b",
            a=month,
            b=min(month_end(month), today),
        )[0]

    # 应收实收欠费: this month over the company's projects, then one project and last month.
    _open(page, "应收实收欠费", "fees", len(projects))
    expect(page.locator("#dash-filter-month")).to_have_value(f"{this:%Y-%m}")
    total_owed, total_paid = owed(this)
    expect(page.locator("#stat-owed")).to_have_text(_yuan(total_owed))
    expect(page.locator("#stat-paid")).to_have_text(_yuan(total_paid))
    shot(page, "fee-report")
    pid, name = projects[0]
    page.select_option("#dash-filter-project", label=name)
    page.select_option("#dash-filter-month", value=f"{last:%Y-%m}")
    one_owed, one_paid = owed(last, pid)
    expect(page.locator("#stat-owed")).to_have_text(_yuan(one_owed))
    expect(page.locator("#stat-paid")).to_have_text(_yuan(one_paid))
    total_row = page.locator("#table-fees tbody tr").last
    expect(total_row.locator("td").first).to_have_text("合计")
    expect(total_row.locator("td").nth(2)).to_have_text(_yuan(one_owed))
    shot(page, "fee-report-filtered")

    # 导出Excel: the file holds what the screen shows, for the project and month chosen.
    with page.expect_download() as info:
        page.locator("#dash-export").click()
    path = tmp_path / "fees.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.startswith("应收实收欠费-") and path.suffix == ".xlsx"
    book = pl.read_excel(path, sheet_id=0)
    assert book["筛选条件"]["取值"].to_list() == [name, f"{last:%Y-%m}"]
    fees = book["按费项"]
    assert fees.columns == ["费项", "账单数", "应收", "已收", "欠费", "收缴率", "实收"]
    assert _same(fees.filter(pl.col("费项") == "合计")["应收"][0], one_owed)
    by_fee = dict(
        _rows(
            app_db,
            f"SELECT fee_name, SUM(amount + late_fee) FROM bill WHERE project_id = {pid} AND state IN {DUE} "
            "AND due_date BETWEEN :a AND :b GROUP BY fee_name",
            a=last,
            b=month_end(last),
        )
    )
    got = {r["费项"]: r["应收"] for r in fees.iter_rows(named=True) if r["费项"] != "合计" and r["应收"]}
    assert set(got) == {k for k, v in by_fee.items() if v}
    assert all(_same(got[k], by_fee[k]) for k in got)

    # The other reports, each filtered by project and month.
    for entry, table, name_ in REPORTS[1:]:
        _open(page, entry, table, len(projects))
        if entry == "现金台账":  # the busiest day of this month, chosen from the month's days
            day, n = _rows(
                app_db,
                f"SELECT paid_on, COUNT(*) FROM payment WHERE project_id IN ({ids}) AND paid_on BETWEEN :a AND :b "
                "GROUP BY paid_on ORDER BY COUNT(*) DESC LIMIT 1",
                a=this,
                b=today,
            )[0]
            page.select_option("#dash-filter-day", value=str(day)[:10])
            expect(page.locator("#table-lines tbody tr")).to_have_count(min(n, 200))
            expect(page.locator("#stat-day_n")).to_have_text(f"{n:,}")
            shot(page, name_)
            continue
        shot(page, name_)
        if entry == "收缴率":
            expect(page.locator("#table-projects tbody tr")).to_have_count(len(projects))
            expect(page.locator("#chart-rates .js-plotly-plot")).to_be_visible()
        if entry == "退款与调账":  # the month with the most 退房结算 refunds, all projects: each one listed
            month, n = _rows(
                app_db,
                "SELECT substr(CAST(due_date AS TEXT), 1, 7), COUNT(*) FROM bill WHERE kind = 'settlement' "
                f"AND state IN ('refund_due', 'offline_refund', 'refunded') AND project_id IN ({ids}) "
                "GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1",
            )[0]
            page.select_option("#dash-filter-month", value=month)
            expect(page.locator("#table-refunds tbody tr")).to_have_count(n)
            expect(page.locator("#stat-refund_n")).to_have_text(f"{n:,}")
            shot(page, f"{name_}-filtered")
            continue
        page.select_option("#dash-filter-project", label=projects[-1][1])
        if entry == "账龄分析":
            expect(page.locator("#table-by_project tbody tr").first.locator("td").first).to_have_text(projects[-1][1])
        else:
            page.select_option("#dash-filter-month", value=f"{last:%Y-%m}")
        expect(page.locator("#dash-filter-project")).to_have_value(str(projects[-1][0]))
        shot(page, f"{name_}-filtered")
