"""One definition per figure: 出租率 on the home page, 经营看板 and the room board against an independent
SQL count, for scopes of every size."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlmodel import select

from clss_app.admin.widgets import Stat
from clss_app.core import clock
from clss_app.services import analytics as an
from clss_app.services import figures, overview, room_board
from models import Bill, BillState, RoomStatus
from pages.analytics import AnalyticsDashboard
from pages.home import HomeDashboard


def _this_month() -> an.Filters:
    first = clock.today().replace(day=1)
    return an.Filters(month_from=first, month_to=first)


# Written out here, not taken from figures.py: 在租 and 待入住 are let, 不可租 is not rentable.
SQL = (
    "SELECT r.project_id, SUM(CASE WHEN r.status IN ('occupied', 'signed') THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN r.status = 'locked' THEN 0 ELSE 1 END) FROM room r JOIN project p ON p.id = r.project_id {where} "
    "GROUP BY r.project_id"
)
# Each demo login's projects, from the tables (not from the permission core).
SCOPES = {
    "super": "",
    "principal": "WHERE p.company_id = (SELECT org_unit_id FROM app_user WHERE username = 'principal')",
    "manager": "WHERE p.id IN (SELECT up.project_id FROM user_project up JOIN app_user u ON u.id = up.user_id "
    "WHERE u.username = 'manager')",
}


def _stat(dash, data: dict) -> tuple[str, str]:
    """The 出租率 card's figure and tooltip (the definition)."""
    (w,) = [w for w in dash.widgets if isinstance(w, Stat) and w.label == "出租率"]
    return w.value(data), w.hint


def _sql(session, user: str) -> dict[int, tuple[int, int]]:
    rows = session.connection().execute(sa.text(SQL.format(where=SCOPES[user]))).all()
    return {pid: (int(rented), int(rentable)) for pid, rented, rentable in rows}


def test_the_definition_counts_let_rooms_over_rooms_not_locked():
    counts = {s: 10 * (i + 1) for i, s in enumerate(RoomStatus)}  # vacant 10, locked 20, reserved 30, signed 40, ...
    assert figures.occupancy(counts) == (40 + 50, 10 + 30 + 40 + 50)
    assert figures.occupancy({s.value: n for s, n in counts.items()}) == (90, 130)
    assert figures.occupancy_text(90, 130) == "69.2%"
    assert figures.occupancy_text(0, 0) == "—"
    assert "不可租" in figures.OCCUPANCY.hint and "待入住" in figures.OCCUPANCY.hint


def test_home_dashboard_and_board_give_the_sql_occupancy_in_every_scope(session, principal_of):
    an.clear_cache()
    for user in SCOPES:
        p = principal_of(user)
        expected = _sql(session, user)
        rented, rentable = map(sum, zip(*expected.values()))
        assert 0 < rented < rentable, user  # demo rooms of every status: the test tells definitions apart

        shown = (figures.occupancy_text(rented, rentable), figures.OCCUPANCY.hint)
        assert _stat(HomeDashboard, HomeDashboard.data(session, p, {})) == shown, user
        month = clock.today().strftime("%Y-%m")
        chosen = {"city": "", "project": "", "month_from": month, "month_to": month}
        assert _stat(AnalyticsDashboard, AnalyticsDashboard.data(session, p, chosen)) == shown, user

        home = overview.scope_summary(session, p, limit=1000)
        assert (home["rented"], home["rentable"]) == (rented, rentable), user
        assert {r["id"]: r["occupancy"] for r in home["projects"]} == {
            pid: figures.occupancy_text(*v) for pid, v in expected.items()
        }, user

        board = {
            pid: Counter(r.status for r in room_board.rooms(session, pid))
            for pid, _, _ in room_board.projects(session, p)
        }
        assert {pid: figures.occupancy(c) for pid, c in board.items()} == expected, user

        dash = an.dashboard(session, p, _this_month(), clock.today())
        assert (dash["rented"], dash["rentable"]) == (rented, rentable), user
        assert {r["project_id"]: (r["rented"], r["rentable"]) for r in dash["projects"]} == expected, user


ARREARS_SQL = (
    "SELECT COUNT(*), COUNT(DISTINCT b.room_id), SUM(CAST(ROUND((b.amount + b.late_fee - b.paid) * 100) AS BIGINT)) "
    "FROM bill b JOIN project p ON p.id = b.project_id {where} {and_} b.state IN ('confirmed', 'partly_paid') "
    "AND b.due_date < :today"
)


def test_arrears_are_the_same_bills_on_the_board_the_dashboard_and_the_inbox(session, principal_of):
    from clss_app.ui.bell import todo_links as todo

    today = clock.today()
    # A bill falling due today is not late yet: none of the three may count it.
    mine = principal_of("manager").project_ids or set()
    due_today = session.exec(
        select(Bill).where(Bill.state == BillState.CONFIRMED, Bill.project_id.in_(sorted(mine)))
    ).first()
    assert due_today is not None
    due_today.due_date = today
    session.add(due_today)
    session.commit()
    an.clear_cache()
    for user in SCOPES:
        p = principal_of(user)
        where = SCOPES[user]
        bills_, rooms_, cents_ = (
            session.connection()
            .execute(sa.text(ARREARS_SQL.format(where=where, and_="AND" if where else "WHERE")), {"today": today})
            .one()
        )
        assert bills_ > 0, user

        dash = an.dashboard(session, p, _this_month(), today)
        assert (sum(b["bills"] for b in dash["arrears"]), dash["arrears_total"]) == (bills_, cents_), user

        marked = sum(
            m["arrears"]
            for pid, _, _ in room_board.projects(session, p)
            for m in room_board.board_marks(session, pid).values()
        )
        assert marked == rooms_, user

        items = {i["item"]: i["count"] for i in todo(session, p)}
        if "逾期未缴账单" in items:  # the roles whose lists show bills
            assert items["逾期未缴账单"] == f"{bills_:,}", user
