"""The business day is Shanghai's, whatever the server's zone.

The clock stands at 23:50 UTC on the last day of a month (07:50 on the 1st in Shanghai): every
date-sensitive flow already lives in the new month. On a UTC server, code reading ``date.today()``
would still be on the old day, and each assertion below would fail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import select

import pages  # noqa: F401  (registers every ModelAdmin)
from clss_app.admin import crud
from clss_app.core import clock
from clss_app.core.money import cents
from models import (
    UNSIGNED_CONTRACT_STATES,
    Appointment,
    Bill,
    BillState,
    Contract,
    ContractSource,
    ContractState,
    ImportBatch,
    Payment,
    Project,
    Reservation,
    ReservationState,
    Room,
    RoomStatus,
    Tenant,
)


def _month_end_evening() -> datetime:
    """23:50 UTC on the last day of the current month: ahead of the demo data, never behind it."""
    now = datetime.now(UTC)
    next_month = (now.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return next_month - timedelta(minutes=10)


EDGE = _month_end_evening()
UTC_DAY = EDGE.date()  # what date.today() says on a UTC server
DAY = UTC_DAY + timedelta(days=1)  # the business day: the 1st of the next month


@pytest.fixture
def edge(demo_db):
    with time_machine.travel(EDGE, tick=False):
        assert date.today() == UTC_DAY, "the machine runs in UTC"
        yield


def _open_rent_bill(session, project_id: int = 1) -> Bill:
    return session.exec(
        select(Bill)
        .where(Bill.project_id == project_id, Bill.fee_key == "rent", Bill.state == BillState.CONFIRMED, Bill.paid == 0)
        .order_by(Bill.id)
    ).first()


def test_the_dashboard_offers_the_month_just_begun_and_counts_what_came_in_it(session, principal_of, edge):
    from clss_app.services import analytics as an
    from pages.analytics import AnalyticsDashboard

    p = principal_of("principal")
    month = f"{DAY:%Y-%m}"
    assert AnalyticsDashboard.filter_options(session, p, {})["month_to"][0] == (month, month)
    chosen = {"month_from": month, "month_to": month, "city": "", "project": ""}
    an.clear_cache()
    before = AnalyticsDashboard.data(session, p, chosen)["funnel"]["appointments"]
    session.add(Appointment(project_id=1, name="周末看房", phone="13900000000", visit_at=clock.now()))
    session.commit()
    an.clear_cache()
    assert AnalyticsDashboard.data(session, p, chosen)["funnel"]["appointments"] == before + 1


def test_only_batches_of_the_shanghai_day_cancel(session, principal_of, edge):
    from pages.housing import ImportBatchAdmin

    p = principal_of("principal")
    cancel = next(a for a in ImportBatchAdmin.actions if a.name == "cancel")
    midnight = datetime.combine(DAY, datetime.min.time(), tzinfo=clock.SHANGHAI)

    def batch(at: datetime) -> int:
        row = ImportBatch(
            title=f"房间导入 {at}", resource="rooms", scene="房间导入", org_unit_id=p.unit_id, created_at=at
        )
        session.add(row)
        session.flush()
        return row.id

    before, after = midnight - timedelta(minutes=10), midnight + timedelta(minutes=10)
    assert before.astimezone(UTC).date() == after.astimezone(UTC).date() == UTC_DAY  # one UTC day, two Shanghai days
    yesterday, today = batch(before), batch(after)
    refused = crud.run_action(session, ImportBatchAdmin, cancel, p, ids=[yesterday])
    assert refused.refused == [(session.get(ImportBatch, yesterday).title, "只能撤销当天导入的批次")]
    assert crud.run_action(session, ImportBatchAdmin, cancel, p, ids=[today]).done == 1


def test_the_daily_job_expires_starts_and_charges_by_the_shanghai_day(session, principal_of, edge):
    from clss_app.services import jobs

    # A reservation held until the old day: past its date now.
    room = session.exec(select(Room).where(Room.project_id == 1, Room.status == RoomStatus.VACANT)).first()
    room.status = RoomStatus.RESERVED
    tenant = session.exec(select(Tenant).order_by(Tenant.id)).first()
    held = Reservation(project_id=1, room_id=room.id, tenant_id=tenant.id, deposit=Decimal("500"), hold_until=UTC_DAY)
    # A renewal starting on the new day: its predecessor ends, it begins.
    old = session.exec(select(Contract).where(Contract.state == ContractState.ACTIVE).order_by(Contract.id)).first()
    renewal = Contract(
        **old.model_dump(exclude={"id", "number", "source", "state", "previous_id", "start_date", "end_date"}),
        number="HT-EDGE-RENEWAL",
        source=ContractSource.RENEWAL,
        state=ContractState.SIGNED,
        previous_id=old.id,
        start_date=DAY,
        end_date=DAY + timedelta(days=179),
    )
    # A bill due ten days before the new day, no grace: ten days of late fee.
    project = session.get(Project, 1)
    project.late_fee_grace_days, project.late_fee_rate = 0, Decimal("0.05")
    bill = _open_rent_bill(session)
    bill.due_date, bill.late_fee = DAY - timedelta(days=10), Decimal("0.00")
    session.add_all([room, held, renewal, project, bill])
    session.commit()

    jobs.daily()
    session.expire_all()
    assert session.get(Reservation, held.id).state == ReservationState.EXPIRED
    assert session.get(Room, room.id).status == RoomStatus.VACANT
    assert (session.get(Contract, old.id).state, session.get(Contract, renewal.id).state) == (
        ContractState.EXPIRED,
        ContractState.ACTIVE,
    )
    assert session.get(Bill, bill.id).late_fee == cents(bill.amount * Decimal("0.0005") * 10)


def test_the_inbox_counts_bills_overdue_since_the_shanghai_midnight(session, principal_of, edge):
    from clss_app.ui.bell import todo_links as todo

    p = principal_of("manager")
    bill = _open_rent_bill(session)
    bill.due_date = UTC_DAY  # due yesterday in Shanghai: overdue this morning
    session.add(bill)
    session.flush()
    overdue = session.exec(
        select(Bill.id).where(
            Bill.state.in_([BillState.CONFIRMED, BillState.PARTLY_PAID]),
            Bill.due_date < DAY,
            Bill.project_id.in_(sorted(p.project_ids)),
        )
    ).all()
    item = next(i for i in todo(session, p) if i["item"] == "逾期未缴账单")
    assert bill.id in overdue and item["count"] == f"{len(overdue):,}"
    assert item["href"] == f"/finance/bills?f_state=confirmed,partly_paid&f_due_date__lte={UTC_DAY}"


def test_a_payment_and_a_contract_are_dated_by_the_shanghai_day(session, principal_of, edge):
    from clss_app.site import app_site

    bill = _open_rent_bill(session)
    bills_admin = app_site().admin("bills")
    pay = next(a for a in bills_admin.actions if a.name == "pay")
    finance = principal_of("finance")
    assert crud.run_action(session, bills_admin, pay, finance, ids=[bill.id], raw={"receipt_no": "R1"}).done == 1
    assert session.exec(select(Payment.paid_on).where(Payment.bill_id == bill.id)).one() == DAY
    old = session.exec(select(Contract).order_by(Contract.id)).first()
    fresh = Contract(**old.model_dump(exclude={"id", "number", "signed_on"}), number="HT-EDGE-NEW")
    assert fresh.signed_on == DAY


def test_an_online_draft_starts_no_earlier_than_the_shanghai_day_and_is_numbered_by_it(session, principal_of, edge):
    from clss_app.core.errors import ValidationFailed
    from clss_app.services import tenant_lease

    p = principal_of("manager")
    waiting = select(Contract.room_id).where(Contract.state.in_(UNSIGNED_CONTRACT_STATES))
    room = session.exec(
        select(Room)
        .where(Room.project_id.in_(sorted(p.project_ids)), Room.status == RoomStatus.VACANT, Room.id.not_in(waiting))
        .order_by(Room.id)
    ).first()
    company = session.get_one(Project, room.project_id).company_id
    tenant = session.exec(select(Tenant).where(Tenant.company_id == company, Tenant.phone != "")).first()
    with pytest.raises(ValidationFailed) as info:  # the UTC date is yesterday in Shanghai
        tenant_lease.draft_for(session, p, room, tenant.phone, UTC_DAY)
    assert info.value.errors["start_date"] == f"起租日不能早于今天（{DAY}）"
    c = tenant_lease.draft_for(session, p, room, tenant.phone, DAY)
    assert c.signed_on == DAY and f"{DAY:%Y%m%d}" in c.number


def test_a_tenants_repair_is_numbered_by_the_shanghai_day(session, edge):
    from clss_app.services import tenant_lease

    c = session.exec(select(Contract).where(Contract.state == ContractState.ACTIVE).order_by(Contract.id)).first()
    values = {"room_id": c.room_id, "category": "utilities", "description": "跨月报修"}
    order = tenant_lease.file_repair(session, c.tenant_id, values)
    assert order.number.startswith(f"BX{DAY:%Y%m%d}")
