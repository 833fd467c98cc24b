"""经营看板 and 行情查询 in Chromium: filters, chart data against independent SQL, scope, drill-down, import."""

from __future__ import annotations

from datetime import date

import polars as pl
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from benchmarks import analytics_sql
from clss_app.core import clock
from tests.e2e.conftest import go, login, shot


def _engine(app_db):
    return create_engine(app_db)


def _chart(page, key: str) -> list[dict]:
    """The traces Plotly drew in the browser: names and y values."""
    page.wait_for_function(f"document.querySelector('#{key} .js-plotly-plot')?.data?.length > 0")
    return page.evaluate(f"""Array.from(document.querySelector('#{key} .js-plotly-plot').data,
                             t => ({{name: t.name, x: Array.from(t.x || []), y: Array.from(t.y || [])}}))""")


def _loaded(page) -> None:
    # The first open after the app starts computes the figures cold; on a busy 2-core runner that
    # took over 5 s once (speed is measured by benchmarks/analytics.py, not here).
    expect(page.locator("#dash-filter-month_from")).not_to_have_value("", timeout=15_000)
    expect(page.locator("#stat-occupancy")).not_to_have_text("—")


def _month(value: str) -> date:
    y, m = value.split("-")
    return date(int(y), int(m), 1)


def _expected(app_db, projects: list[int], page) -> dict:
    first = _month(page.locator("#dash-filter-month_from").input_value())
    last = _month(page.locator("#dash-filter-month_to").input_value())
    from clss_app.services.analytics import month_end

    with _engine(app_db).connect() as conn:
        return analytics_sql.figures(conn, projects, first, month_end(last), clock.today())


def _money(cents) -> str:
    return f"¥{(cents or 0) / 100:,.2f}"


def _pct(part, whole) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def _check_against_sql(page, q: dict) -> None:
    expect(page.locator("#stat-occupancy")).to_have_text(_pct(q["rented"], q["rentable"]))
    expect(page.locator("#stat-collection")).to_have_text(_pct(q["paid"], q["owed"]))
    expect(page.locator("#stat-arrears")).to_have_text(_money(q["arrears_total"]))
    owed, paid, _ = _chart(page, "chart-collection")
    assert [round(v * 100) for v in owed["y"]] == [m["owed"] or 0 for m in q["monthly"]]
    assert [round(v * 100) for v in paid["y"]] == [m["paid"] or 0 for m in q["monthly"]]
    signings, renewals, outs = _chart(page, "chart-leasing")
    assert signings["y"] == [m["signings"] for m in q["monthly"]]
    assert renewals["y"] == [m["renewals"] for m in q["monthly"]]
    assert outs["y"] == [m["check_outs"] for m in q["monthly"]]
    arrears = _chart(page, "chart-arrears")[0]
    assert [round(v * 100) for v in arrears["y"]] == [a["amount"] or 0 for a in q["arrears"]]


def test_dashboard_follows_filters_matches_sql_and_drills_down(page, app_db):
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    page.get_by_role("link", name="经营看板").click()
    _loaded(page)
    with _engine(app_db).connect() as conn:
        mine = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT p.id FROM project p JOIN org_unit o ON o.id = p.company_id "
                    "WHERE o.name = '京安居住房租赁有限公司' ORDER BY p.id"
                )
            )
        ]
    _check_against_sql(page, _expected(app_db, mine, page))
    shot(page, "analytics-dashboard")

    # One project, the last six months: every figure follows.
    before = page.locator("#stat-collection").inner_text()
    page.locator("#dash-filter-project").select_option(str(mine[-1]))
    months = page.locator("#dash-filter-month_from option").all_inner_texts()
    page.locator("#dash-filter-month_from").select_option(months[5])
    expect(page.locator("#dash-filter-month_from")).to_have_value(months[5])
    page.wait_for_function("document.querySelector('#chart-collection .js-plotly-plot')?.data?.[0]?.x?.length == 6")
    q = _expected(app_db, [mine[-1]], page)
    _check_against_sql(page, q)
    assert page.locator("#table-projects tbody tr").count() == 1
    assert before != page.locator("#stat-collection").inner_text() or len(mine) == 1

    # 欠费总额 opens the bills behind it: the list's count is the SQL count.
    page.locator("#stat-link-arrears").click()
    page.wait_for_url(lambda u: "/finance/bills" in u and "f_state=confirmed%2Cpartly_paid" in u)
    expect(page.locator("#admin-total")).to_have_text(str(sum(a["bills"] for a in q["arrears"])))
    page.go_back()

    # A bar of the ageing chart opens that band's bills.
    _loaded(page)
    _chart(page, "chart-arrears")
    biggest = max(range(len(q["arrears"])), key=lambda i: q["arrears"][i]["amount"] or 0)
    page.locator("#chart-arrears").scroll_into_view_if_needed()
    bar = page.locator("#chart-arrears .point").nth(biggest).bounding_box()
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] - 3)
    page.wait_for_url(lambda u: "/finance/bills" in u and "f_due_date__lte" in u)
    expect(page.locator("#admin-total")).to_have_text(str(q["arrears"][biggest]["bills"]))


def test_store_manager_sees_only_their_projects(page, app_db):
    with _engine(app_db).connect() as conn:
        mine = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT up.project_id FROM user_project up JOIN app_user u ON u.id = up.user_id "
                    "WHERE u.username = 'manager' ORDER BY 1"
                )
            )
        ]
        names = [r[0] for r in conn.execute(text(f"SELECT name FROM project WHERE id IN ({','.join(map(str, mine))})"))]
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    page.goto("/analytics")
    _loaded(page)
    options = page.locator("#dash-filter-project option").all_inner_texts()
    assert sorted(options[1:]) == sorted(names)
    _check_against_sql(page, _expected(app_db, mine, page))
    assert sorted(page.locator("#table-projects tbody tr td:first-child").all_inner_texts()) == sorted(names)
    # 行情查询 is for executives only.
    page.goto("/market")
    expect(page.locator("#forbidden")).to_be_visible()
    shot(page, "analytics-store-manager")


def _index_points(app_db, kind, band, cities, first, last) -> dict[str, list[float]]:
    with _engine(app_db).connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT city, month, value FROM market_index WHERE kind = :k AND area_band = :b "
                f"AND city IN ({','.join(repr(c) for c in cities)}) AND month BETWEEN :f AND :l ORDER BY city, month"
            ),
            {"k": kind, "b": band, "f": f"{first}-01", "l": f"{last}-01"},
        ).all()
    out: dict[str, list[float]] = {}
    for city, _, value in rows:
        out.setdefault(city, []).append(float(value))
    return out


def test_market_index_chart_table_export_and_import(page, app_db, tmp_path):
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    page.get_by_role("link", name="租赁与价格指数").click()
    expect(page.locator("#demo-badge")).to_be_visible()
    traces = _chart(page, "market-chart")
    assert [t["name"] for t in traces] == ["北京"]  # the viewer's own city first
    page.locator("#city-深圳").click()
    page.locator("#city-上海").click()
    page.locator("#index-kind").select_option("price")
    page.locator("#area-band").select_option("gt144")
    months = page.locator("#month-from option").all_inner_texts()
    page.locator("#month-from").select_option(months[-13])
    page.wait_for_function(
        "document.querySelector('#market-chart .js-plotly-plot')?.data?.length == 3 && "
        "document.querySelector('#market-chart .js-plotly-plot').data[0].x.length == 13"
    )
    traces = {t["name"]: t["y"] for t in _chart(page, "market-chart")}
    expected = _index_points(app_db, "price", "gt144", ["北京", "上海", "深圳"], months[-13], months[-1])
    assert {c: [round(v, 2) for v in ys] for c, ys in traces.items()} == expected
    # The table: 3 cities × 13 months, newest first, with 同比 filled in (the demo goes back further).
    rows = page.locator("#market-table tbody tr")
    expect(rows).to_have_count(39)
    assert rows.first.locator("td").nth(1).inner_text() == months[-1]
    assert "—" not in rows.first.locator("td").nth(4).inner_text()
    shot(page, "market-index")
    with page.expect_download() as info:
        page.locator("#market-export").click()
    sheet = tmp_path / "market.xlsx"
    info.value.save_as(sheet)
    assert pl.read_excel(sheet).height == 39

    # A system admin imports a new city; a bad row is reported by row and column, nothing written.
    page.locator("#logout").click()
    expect(page.locator("#username")).to_be_visible()
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    go(page, "/market/data")
    page.locator("#admin-import").click()
    bad = tmp_path / "bad.csv"
    pl.DataFrame(
        {
            "指数类型": ["住房租赁指数", "住房租赁指数", "住房租赁指数"],
            "城市": ["成都", "成都", "北京"],
            "面积段": ["60–90㎡", "60–90㎡", "60–90㎡"],
            "月份": ["2026-01", "2026-13", months[-1]],
            "指数值": ["101.5", "abc", "100"],
            "数据来源": ["统计局", "统计局", "统计局"],
        }
    ).write_csv(bad)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(bad))
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("须为年月")
    expect(errors).to_contain_text("指数值须为数字")
    expect(errors).to_contain_text("已存在")
    expect(page.locator("#import-commit")).to_be_disabled()
    shot(page, "market-import-errors")
    good = tmp_path / "good.csv"
    pl.DataFrame(
        {
            "指数类型": ["住房租赁指数"] * 2,
            "城市": ["成都"] * 2,
            "面积段": ["60–90㎡"] * 2,
            "月份": [months[-2], months[-1]],
            "指数值": ["101.50", "102.00"],
            "数据来源": ["统计局"] * 2,
        }
    ).write_csv(good)
    page.locator("#admin-import-upload input[type=file]").set_input_files(str(good))
    expect(page.locator("#import-ok")).to_be_visible()
    page.locator("#import-commit").click()
    expect(page.get_by_text("已导入 2 条")).to_be_visible()
    page.goto("/market")
    page.locator("#index-kind").select_option("rent")
    page.locator("#area-band").select_option("60_90")
    page.locator("#city-成都").click()
    page.wait_for_function(
        "Array.from(document.querySelector('#market-chart .js-plotly-plot')?.data || []).some(t => t.name == '成都')"
    )
    chengdu = next(t for t in _chart(page, "market-chart") if t["name"] == "成都")
    assert chengdu["y"] == [101.5, 102.0] and chengdu["x"] == months[-2:]


def test_a_write_elsewhere_reaches_the_dashboard_without_a_reload(page, browser, base_url, app_db):
    from tests.e2e.test_leasing import as_user, go, pick

    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    page.goto("/analytics")
    _loaded(page)
    viewings = _chart(page, "chart-funnel")[0]["x"][0]
    # A store assistant books a viewing in another browser: the appointments table is written.
    a = as_user(browser, base_url, "assistant")
    try:
        go(a, "/leasing/appointments")
        a.locator("#admin-create").click()
        pick(a, "project_id", "朝阳青年汇")
        a.locator("#field-name").fill("看板看房")
        a.locator("#field-phone").fill("15900001234")
        a.locator("#field-visit_at").fill((date.today()).strftime("%Y-%m-%dT18:00"))
        a.locator("#form-save").click()
        expect(a.get_by_text("已新增")).to_be_visible()
    finally:
        a.context.close()
    # The principal only touches a filter: the figures come back at once (marked stale), then fresh.
    page.locator("#dash-filter-city").select_option("北京")
    page.wait_for_function(
        "document.querySelector('#chart-funnel .js-plotly-plot')?.data?.[0]?.x?.[0] == " + str(viewings + 1),
        timeout=30_000,
    )
    expect(page.locator("#dash-stale")).to_have_count(0)
