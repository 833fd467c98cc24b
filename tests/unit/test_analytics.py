"""经营看板 and 行情查询: figures against plain SQL, scope, cache invalidation, 环比/同比, month fields."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa

from benchmarks import analytics_sql
from clss_app.admin.fields import FieldSpec
from clss_app.admin.query import ListQuery, where_clauses
from clss_app.core import clock
from clss_app.core.errors import FieldError
from clss_app.services import analytics as an
from clss_app.services import market
from clss_app.services.permissions import Forbidden
from clss_app.site import app_site
from models import AreaBand, IndexKind, Payment, PaymentMethod


def _year() -> an.Filters:
    """The last twelve months to the business day's month, read when the test runs (it may cross midnight)."""
    t = clock.today()
    return an.Filters(month_from=date(t.year - 1, t.month, 1), month_to=date(t.year, t.month, 1))


def test_figures_equal_plain_sql_for_each_scope(session, principal_of):
    an.clear_cache()
    for user in ("super", "principal", "manager"):
        p = principal_of(user)
        d = an.dashboard(session, p, _year(), clock.today())
        if p.project_ids is not None:
            assert set(d["project_ids"]) == set(p.project_ids)
        q = analytics_sql.figures(session.connection(), d["project_ids"], d["start"], d["end"], clock.today())
        assert analytics_sql.same_figures(d, q) == [], user
    manager = an.dashboard(session, principal_of("manager"), _year(), clock.today())
    everyone = an.dashboard(session, principal_of("super"), _year(), clock.today())
    assert 0 < manager["rooms"] < everyone["rooms"] and 0 < manager["revenue"] < everyone["revenue"]
    # The demo has every kind of figure, so the comparison above compared something.
    assert everyone["arrears_total"] > 0 and all(everyone["funnel"].values())
    assert sum(m["renewals"] for m in everyone["monthly"]) > 0 and everyone["expiring"][2]["count"] > 0


def test_city_and_project_filters_narrow_the_figures(session, principal_of):
    p = principal_of("super")
    whole = an.dashboard(session, p, _year(), clock.today())
    cities = {r["city"] for r in whole["projects"]}
    assert len(cities) > 1
    by_city = [
        an.dashboard(session, p, an.Filters(_year().month_from, _year().month_to, city=c), clock.today())
        for c in cities
    ]
    assert sum(d["revenue"] for d in by_city) == whole["revenue"]
    assert sum(d["rooms"] for d in by_city) == whole["rooms"]
    one = whole["projects"][0]
    d = an.dashboard(
        session, p, an.Filters(_year().month_from, _year().month_to, project_id=one["project_id"]), clock.today()
    )
    assert d["project_ids"] == [one["project_id"]] and d["rooms"] == one["rooms"] and d["revenue"] == one["revenue"]
    # A project outside the viewer's scope is not in its frames: nothing, not someone else's figures.
    manager = principal_of("manager")
    other = next(r["project_id"] for r in whole["projects"] if r["project_id"] not in manager.project_ids)
    d = an.dashboard(
        session, manager, an.Filters(_year().month_from, _year().month_to, project_id=other), clock.today()
    )
    assert d["project_ids"] == [] and d["rooms"] == 0 and d["revenue"] == 0


def test_arrears_age_bands_at_their_edges():
    bills = pl.DataFrame(
        {  # day grain, as load_frames reads them: sums and a count a day and state
            "project_id": [1] * 6,
            "state": ["confirmed"] * 5 + ["paid"],
            "due_date": [clock.today() - timedelta(days=n) for n in (0, 30, 31, 90, 91, 200)],
            "owed": [100, 200, 400, 800, 1600, 3200],
            "paid": [0, 50, 0, 0, 0, 3200],
            "n": [1, 1, 1, 1, 2, 1],
        }
    )
    empty = {
        k: pl.DataFrame(schema=s)
        for k, s in {
            "rooms": {"project_id": pl.Int64, "status": pl.String, "n": pl.Int64},
            "unit_types": {"unit_type_id": pl.Int64, "project_id": pl.Int64, "unit_type": pl.String},
            "signings": {"project_id": pl.Int64, "source": pl.String, "signed_on": pl.Date, "n": pl.Int64},
            "check_outs": {"project_id": pl.Int64, "checked_out_on": pl.Date, "n": pl.Int64},
            "in_force": {
                "project_id": pl.Int64,
                "end_date": pl.Date,
                "unit_type_id": pl.Int64,
                "rent": pl.Int64,
                "area": pl.Int64,
                "n": pl.Int64,
            },
            "payments": {"project_id": pl.Int64, "paid_on": pl.Date, "amount": pl.Int64},
            "appointments": {"project_id": pl.Int64, "day": pl.Date},
            "reservations": {"project_id": pl.Int64, "day": pl.Date},
        }.items()
    }
    frames = {**empty, "bills": bills, "projects": pl.DataFrame({"project_id": [1], "name": ["甲"], "city": ["北京"]})}
    d = an.figures(frames, _year(), clock.today())
    # Due today is not late yet (figures.ARREARS); the paid bill owes nothing, however old.
    assert [(b["bills"], b["amount"]) for b in d["arrears"]] == [(1, 150), (1, 400), (1, 800), (2, 1600)]
    assert d["arrears_total"] == 2950


def test_cache_serves_until_a_commit_writes_a_table_it_reads(session, principal_of):
    from clss_app import db

    an.clear_cache()
    p = principal_of("principal")
    before = dict(an.stats)
    first = an.dashboard(session, p, _year(), clock.today())
    again = an.dashboard(session, p, _year(), clock.today())
    assert again == first and not again["stale"] and an.stats["frame_loads"] == before["frame_loads"] + 1
    other_months = an.dashboard(session, p, an.Filters(_year().month_to, _year().month_to), clock.today())
    assert an.stats["frame_loads"] == before["frame_loads"] + 1 and other_months["revenue"] < first["revenue"]
    # A payment committed elsewhere in the process: the next look reads again and shows it.
    pid = first["project_ids"][0]
    with db.session_scope() as s:
        bill = s.execute(sa.text("SELECT id FROM bill WHERE project_id = :p LIMIT 1"), {"p": pid}).scalar_one()
        s.add(
            Payment(
                bill_id=bill, project_id=pid, amount=Decimal("123.45"), method=PaymentMethod.CASH, paid_on=clock.today()
            )
        )
    # The next look answers at once with the last figures, marked stale, and reads in the background.
    meanwhile = an.dashboard(session, p, _year(), clock.today())
    assert meanwhile["stale"] and meanwhile["revenue"] == first["revenue"]
    an.wait_reloads()
    after = an.dashboard(session, p, _year(), clock.today())
    assert an.stats["frame_loads"] == before["frame_loads"] + 2
    assert not after["stale"] and after["revenue"] == first["revenue"] + 12345


def test_one_read_at_start_up_serves_every_scope_first_look(session, principal_of):
    an.clear_cache()
    before = an.stats["frame_loads"]
    an.warm()  # what the app does as it starts
    principal = an.dashboard(session, principal_of("principal"), _year(), clock.today())
    manager = an.dashboard(session, principal_of("manager"), _year(), clock.today())
    assert an.stats["frame_loads"] == before + 1 and not principal["stale"] and not manager["stale"]
    scope = principal_of("manager").project_ids
    assert scope and manager["project_ids"] and set(manager["project_ids"]) <= set(scope)
    assert manager["rooms"] < principal["rooms"]


def test_a_look_long_after_the_last_read_waits_for_a_new_one(session, principal_of):
    """Not figures of hours ago flashed as stale: a read much older than the TTL is read again first."""
    p = principal_of("principal")
    an.clear_cache()
    an.dashboard(session, p, _year(), clock.today())
    loads = an.stats["frame_loads"]
    assert an.CACHE._entry is not None
    an.CACHE._entry.loaded -= an.MAX_AGE + 1  # as if read at start-up, long ago
    again = an.dashboard(session, p, _year(), clock.today())
    assert an.stats["frame_loads"] == loads + 1 and not again["stale"]


def test_only_dashboard_roles_get_figures(session, principal_of):
    with pytest.raises(Forbidden):
        an.dashboard(session, principal_of("assistant"), _year(), clock.today())
    with pytest.raises(Forbidden):
        an.dashboard(session, principal_of("finance"), _year(), clock.today())
    with pytest.raises(Forbidden):
        market.series(session, principal_of("manager"), market.IndexQuery(cities=("北京",)))


def test_changes_match_calendar_months_not_positions():
    points = pl.DataFrame(
        {
            "city": ["北京"] * 4,
            "month": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 4, 1), date(2026, 2, 1)],
            "value": [100.0, 102.0, 99.0, 110.16],
            "is_demo": [True] * 4,
        }
    )
    out = {r["month"]: r for r in market.with_changes(points).iter_rows(named=True)}
    assert out[date(2025, 2, 1)]["mom"] == 2.0
    assert out[date(2025, 4, 1)]["mom"] is None  # March is missing: no comparison with February
    assert out[date(2026, 2, 1)]["yoy"] == 8.0 and out[date(2025, 2, 1)]["yoy"] is None


def test_demo_series_cover_every_demo_city_and_are_labelled(session, principal_of):
    p = principal_of("principal")
    opts = market.options(session, p)
    assert {"北京", "上海", "深圳"} <= set(opts.cities)
    frame = market.series(
        session,
        p,
        market.IndexQuery(IndexKind.PRICE, AreaBand.UNDER_60, ("北京", "深圳"), opts.months[-13], opts.months[-1]),
    )
    assert frame.height == 26 and frame["is_demo"].all() and frame["yoy"].null_count() == 0
    data = market.export_xlsx(session, p, market.IndexQuery(cities=("上海",)))
    sheet = pl.read_excel(data)
    assert sheet.height == len(opts.months) and "说明" in sheet.columns


def test_month_fields_read_what_people_type():
    spec = FieldSpec("month", "月份", "date", month=True)
    for raw in ("2026-01", "2026/1", "2026年1月", "2026-01-31", date(2026, 1, 20)):
        assert spec.parse(raw) == date(2026, 1, 1)
    with pytest.raises(FieldError, match="须为年月"):
        spec.parse("一月")
    assert spec.display(date(2026, 3, 1)) == "2026-03"


def test_list_filters_take_lists_and_local_days(session, principal_of):
    admin = app_site().admin("bills")
    p = principal_of("manager")

    def count(q):
        return session.execute(
            sa.select(sa.func.count()).select_from(admin.model).where(*where_clauses(admin, p, q))
        ).scalar_one()

    both = count(ListQuery(filters={"state": "paid,confirmed"}))
    assert both == count(ListQuery(filters={"state": "paid"})) + count(ListQuery(filters={"state": "confirmed"}))
    assert count(ListQuery(filters={"state": "paid,nonsense"})) == 0
    # Date bounds on a timestamp mean whole days in Beijing (the column holds UTC).
    audit = app_site().admin("audit_log")
    clause = where_clauses(audit, principal_of("super"), ListQuery(filters={"at__gte": "2026-01-01"}))[-1]
    bound = clause.right.value
    assert bound.utcoffset() == timedelta(hours=8) and bound.day == 1


def test_data_text_in_charts_is_escaped(session, principal_of):
    """A unit type named like a link must show as text on the axis and hover, never as a live link."""
    from sqlmodel import select

    from models import Contract, ContractState, Room, UnitType
    from pages.analytics import AnalyticsDashboard

    evil = '<a href="//ev.il">clk</a>'
    rented = session.exec(
        select(Room.unit_type_id)
        .join(Contract, Contract.room_id == Room.id)
        .where(Contract.state == ContractState.ACTIVE, Room.unit_type_id.is_not(None))
    ).first()
    ut = session.get(UnitType, rented)
    ut.name = evil
    session.add(ut)
    session.commit()
    an.clear_cache()  # a fresh read, not the last one's figures served while it reads (the cache test's case)
    values = AnalyticsDashboard.render_values(session, principal_of("super"), {})
    shown = values["figures"]["rent"].to_plotly_json()
    assert '&lt;a href="//ev.il"&gt;clk&lt;/a&gt;' in shown["data"][0]["x"]
    assert "<a" not in repr(shown["data"])
