"""A list opens on the work waiting (issue 18, item 7): bills unpaid first by due date, contracts 执行中 first
by end date; paging across the group boundary neither repeats nor loses a row; a header click still wins;
a URL without ``sort`` means the default. And dialogs name the row (新增合同), details show no id unless declared."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app.admin import ModelAdmin
from clss_app.admin.query import ListQuery, _runs, count, fetch_page, ordered_ids, where_clauses
from models import UNPAID_BILL_STATES as UNPAID
from models import Bill, BillState, ContractState, Room
from pages.finance import BillAdmin
from pages.leasing import AppointmentAdmin, CheckInAdmin, CheckOutAdmin, ContractAdmin
from pages.system import CityParamAdmin


def _matching(session, admin, p, q=None):
    """Every row the list may show, read without its order."""
    return session.exec(select(admin.model).where(*where_clauses(admin, p, q or ListQuery()))).all()


def _expected_bills(session, p) -> list[int]:
    rows = _matching(session, BillAdmin, p)
    unpaid = sorted((b for b in rows if b.state in UNPAID), key=lambda b: (b.due_date, b.id))
    # The settled ones follow, latest due date first; on a tie the id goes the same way as the first key.
    rest = [b for b in rows if b.state not in UNPAID]
    rest.sort(key=lambda b: b.id, reverse=True)
    rest.sort(key=lambda b: b.due_date, reverse=True)
    return [b.id for b in unpaid + rest], len(unpaid)


def test_bills_open_on_the_unpaid_ones_oldest_due_first(session, principal_of):
    p = principal_of("manager")
    expected, n_unpaid = _expected_bills(session, p)
    assert 0 < n_unpaid < len(expected)  # the demo has both kinds, so the boundary is crossed below
    page = fetch_page(session, BillAdmin, p, ListQuery())
    assert [b.state for b in page] and all(b.state in UNPAID for b in page)
    assert [b.due_date for b in page] == sorted(b.due_date for b in page)
    assert [b.id for b in page] == expected[:20]
    # Today's complaint: the first page held bills paid in December 2024.
    assert not any(b.state == BillState.PAID for b in page)


def test_paging_across_the_group_boundary_neither_repeats_nor_loses_a_row(session, principal_of):
    p = principal_of("manager")
    expected, n_unpaid = _expected_bills(session, p)
    assert ordered_ids(session, BillAdmin, p, ListQuery()) == expected  # the export's order too
    for offset in (0, n_unpaid - 25, n_unpaid - 20, n_unpaid - 7, n_unpaid - 1, n_unpaid, n_unpaid + 13):
        for limit in (1, 20, 50):
            assert ordered_ids(session, BillAdmin, p, ListQuery(), offset, limit) == expected[offset : offset + limit]
    size = 20
    first_page = n_unpaid // size + 1  # the page holding the last unpaid bill and the first settled ones
    pages = [
        fetch_page(session, BillAdmin, p, ListQuery(page=n, page_size=size))
        for n in range(first_page - 1, first_page + 2)
    ]
    seen = [b.id for rows in pages for b in rows]
    assert seen == expected[(first_page - 2) * size : (first_page + 1) * size]
    assert len(set(seen)) == len(seen)
    assert count(session, BillAdmin, p, ListQuery()) in ((len(expected), True), (BillAdmin.count_cap, False))
    assert ordered_ids(session, BillAdmin, p, ListQuery(), len(expected) + 5, 20) == []


def test_contracts_open_on_the_running_ones_next_to_end_first(session, principal_of):
    p = principal_of("manager")
    rows = _matching(session, ContractAdmin, p)
    active = sorted((c for c in rows if c.state == ContractState.ACTIVE), key=lambda c: (c.end_date, c.id))
    rest = sorted((c for c in rows if c.state != ContractState.ACTIVE), key=lambda c: c.id, reverse=True)
    assert active and rest
    expected = [c.id for c in active + rest]
    assert ordered_ids(session, ContractAdmin, p, ListQuery()) == expected
    page = fetch_page(session, ContractAdmin, p, ListQuery())
    assert {c.state for c in page} == {ContractState.ACTIVE}
    n = len(active)
    assert ordered_ids(session, ContractAdmin, p, ListQuery(), n - 3, 6) == expected[n - 3 : n + 3]
    # The filtered views keep their own single order: the next to move in, the next to move out.
    signed = fetch_page(session, CheckInAdmin, p, ListQuery(page_size=100))
    assert [c.start_date for c in signed] == sorted(c.start_date for c in signed)
    leaving = fetch_page(session, CheckOutAdmin, p, ListQuery(page_size=100))
    assert [c.end_date for c in leaving] == sorted(c.end_date for c in leaving)


def test_a_header_click_still_wins_and_the_url_without_sort_means_the_default(session, principal_of):
    p = principal_of("manager")
    by_rent = fetch_page(session, ContractAdmin, p, ListQuery(sort="-monthly_rent", page_size=100))
    assert [c.monthly_rent for c in by_rent] == sorted((c.monthly_rent for c in by_rent), reverse=True)
    assert {c.state for c in by_rent} != {ContractState.ACTIVE}  # the state group no longer leads
    q = ListQuery.from_params({}, ContractAdmin, p)
    assert q.sort == "" and q.to_params(ContractAdmin) == ""
    clicked = ListQuery.from_params({"sort": "end_date"}, ContractAdmin, p)
    assert clicked.sort == "end_date" and clicked.to_params(ContractAdmin) == "sort=end_date"
    assert ListQuery.from_params({"sort": "nonsense"}, ContractAdmin, p).sort == ""  # an old link still opens
    assert ListQuery().problems(ContractAdmin, p) == {}
    assert ListQuery(sort="-").problems(ContractAdmin, p) == {"sort": "该列不能排序"}  # no column is no sort
    # A plain default stays as it was: the column in the query, no sort in the URL.
    assert ListQuery.from_params({}, CityParamAdmin, p).sort == "city"


def test_appointments_still_to_come_lead(session, principal_of):
    p = principal_of("manager")
    rows = fetch_page(session, AppointmentAdmin, p, ListQuery(page_size=100))
    pending = [a for a in rows if a.state.value == "pending"]
    assert rows and rows[: len(pending)] == pending
    assert [a.visit_at for a in pending] == sorted(a.visit_at for a in pending)


@pytest.mark.parametrize(
    "admin,noun",
    [
        (ContractAdmin, "合同"),
        (CheckInAdmin, "合同"),
        (BillAdmin, "账单"),
        (AppointmentAdmin, "预约"),
        (CityParamAdmin, "城市参数"),
    ],
)
def test_titles_name_the_row_not_the_page(admin, noun):
    assert admin.title_noun() == noun


def test_details_show_no_id_unless_declared():
    class Plain(ModelAdmin, model=Room, key="t_rooms_plain"):
        pass

    class WithId(ModelAdmin, model=Room, key="t_rooms_id"):
        detail = ["id", "number"]

    assert "id" not in Plain.detail and "version" not in Plain.detail and "number" in Plain.detail
    assert WithId.detail == ["id", "number"]
    assert Plain.export_id and not WithId.export_id  # an export still leads with the id, to find the row again
    assert "id" not in ContractAdmin.detail


def test_a_new_unpaid_bill_joins_the_front_group(session, principal_of):
    p = principal_of("manager")
    head = fetch_page(session, BillAdmin, p, ListQuery())[0]
    bill = session.get(Bill, head.id)
    bill.due_date = date(2000, 1, 1)
    session.add(bill)
    session.flush()
    assert fetch_page(session, BillAdmin, p, ListQuery())[0].id == bill.id
    bill.state = BillState.PAID
    session.add(bill)
    session.flush()
    assert bill.id not in [b.id for b in fetch_page(session, BillAdmin, p, ListQuery())]
    assert ordered_ids(session, BillAdmin, p, ListQuery())[-1] == bill.id  # settled, the oldest due: last


def test_each_run_of_the_bill_list_reads_an_index_in_its_order(session, principal_of):
    """Over many projects the unpaid run must not walk the settled bills (1.3 s a page at the scale-70 demo):
    each run has a partial index, and the query states the run's condition in constants so the database
    can use it (a bound parameter could be anything)."""
    p = principal_of("super")
    where = where_clauses(BillAdmin, p, ListQuery(), session)
    bind = session.get_bind()
    for (extra, by), index in zip(_runs(BillAdmin, p, ListQuery()), ("ix_bill_unpaid_due", "ix_bill_settled_due")):
        stmt = select(Bill.id).where(*where, *extra).order_by(*by).limit(50)
        sql = str(stmt.compile(bind, compile_kwargs={"render_postcompile": True}))
        assert "'unconfirmed', 'confirmed', 'partly_paid'" in sql and "IS NULL" not in sql  # state is NOT NULL
        if bind.dialect.name == "sqlite":  # PostgreSQL's choice follows its statistics: benchmarks/load.py
            whole = str(stmt.compile(bind, compile_kwargs={"literal_binds": True}))
            plan = " ".join(r[-1] for r in session.execute(sa.text(f"EXPLAIN QUERY PLAN {whole}")))
            assert f"INDEX {index}" in plan and "TEMP B-TREE" not in plan
