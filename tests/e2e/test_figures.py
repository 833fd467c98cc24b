"""One 出租率 on the home page, 经营看板 and the room board, for the same scope, equal to an independent SQL
count; each figure's definition shows on hover."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from clss_app.services import figures
from tests.e2e.conftest import login, shot

# Written out here, not taken from figures.py: 在租 and 待入住 are let, 不可租 is not rentable.
SQL = (
    "SELECT r.project_id, SUM(CASE WHEN r.status IN ('occupied', 'signed') THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN r.status = 'locked' THEN 0 ELSE 1 END) FROM room r JOIN project p ON p.id = r.project_id "
    "WHERE {where} GROUP BY r.project_id"
)
SCOPES = {  # each login's projects, from the tables
    "principal": "p.company_id = (SELECT org_unit_id FROM app_user WHERE username = 'principal')",
    "manager": "p.id IN (SELECT up.project_id FROM user_project up JOIN app_user u ON u.id = up.user_id "
    "WHERE u.username = 'manager')",
}


def _sql(app_db, user: str) -> dict[int, str]:
    """出租率 per project id, and under 0 the whole scope's."""
    with create_engine(app_db).connect() as conn:
        rows = {pid: (int(a), int(b)) for pid, a, b in conn.execute(text(SQL.format(where=SCOPES[user])))}
    rented, rentable = map(sum, zip(*rows.values()))
    assert 0 < rented < rentable
    return {0: f"{rented / rentable * 100:.1f}%", **{pid: f"{a / b * 100:.1f}%" for pid, (a, b) in rows.items()}}


def _hover(page, target: str, name: str) -> None:
    tip = page.locator(".rt-TooltipContent")
    for _ in range(5):  # charts drawn late shift the page: hover again where the label now is
        page.locator(target).scroll_into_view_if_needed()
        page.locator(target).hover()
        try:
            expect(tip).to_be_visible(timeout=2_000)
            break
        except AssertionError:
            page.mouse.move(0, 0)
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(figures.OCCUPANCY.hint)
    shot(page, name)
    page.keyboard.press("Escape")  # closes it, as for a user who moves on
    expect(tip).to_be_hidden()


def _home(page, expected: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="首页", exact=True).click()
    expect(page.locator("#stat-occupancy")).to_have_text(expected, timeout=15_000)


def _dashboard(page, expected: str, project: int = 0) -> None:
    page.get_by_role("navigation").get_by_role("link", name="经营看板", exact=True).click()
    expect(page.locator("#dash-filter-month_from")).not_to_have_value("", timeout=15_000)
    if project:
        page.locator("#dash-filter-project").select_option(str(project))
        expect(page.locator("#table-projects tbody tr")).to_have_count(1)
    expect(page.locator("#stat-occupancy")).to_have_text(expected, timeout=15_000)


def _board(page, project: int, expected: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="房态图", exact=True).click()
    expect(page.locator("#board .clss-tile").first).to_be_visible()
    page.locator("#board-project").select_option(str(project))
    expect(page.locator("#board-project")).to_have_value(str(project))
    expect(page.locator("#board-occupancy")).to_have_text(expected)


def test_a_store_manager_sees_one_occupancy_on_home_dashboard_and_board(page, app_db):
    want = _sql(app_db, "manager")
    (project,) = [k for k in want if k]  # the demo's 店长 runs one project: the three pages share its scope
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    _home(page, want[0])
    _hover(page, "#stat-hint-occupancy", "figures-home-occupancy-tooltip")
    _dashboard(page, want[0])
    _hover(page, "#stat-hint-occupancy", "figures-dashboard-occupancy-tooltip")
    _board(page, project, want[project])
    _hover(page, "#board-occupancy-hint", "figures-board-occupancy-tooltip")
    page.locator("#board-mark-arrears").hover()
    expect(page.locator(".rt-TooltipContent")).to_contain_text(figures.OVERDUE_MARK.hint)


def test_a_principal_sees_the_scope_and_each_project_alike_everywhere(page, app_db):
    want = _sql(app_db, "principal")
    projects = sorted(k for k in want if k)
    assert len(projects) > 1
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    _home(page, want[0])
    # 我的项目: each project's 出租率 by the same rule (the table's header carries the definition).
    home_rows = page.locator("#table-projects tbody tr")
    expect(home_rows).to_have_count(len(projects))
    shown = sorted(home_rows.locator("td:nth-child(6)").all_inner_texts())
    assert shown == sorted(want[p] for p in projects)
    _hover(page, "#col-hint-projects-occupancy", "figures-home-projects-tooltip")
    _dashboard(page, want[0])
    last = projects[-1]
    _dashboard(page, want[last], project=last)
    _board(page, last, want[last])
    shot(page, "figures-board-principal")
