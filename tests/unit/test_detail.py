"""The detail an operator reads: declared groups (checked at start-up), the timeline assembled from the
audit and status logs (people by name, the latest first), related records as tabs with totals, and the
demo's history that follows each row's story."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from clss_app.admin import Link, crud, related
from clss_app.admin import timeline as engine_timeline
from clss_app.core.timeline import SYSTEM, Event, assemble
from models import (
    AuditLog,
    Bill,
    BillState,
    Contract,
    ContractSource,
    ContractState,
    Payment,
    PaymentMethod,
    Room,
    RoomStatus,
    RoomStatusLog,
)
from tests.unit.declarations import room_problems


# ---------------------------------------------------------------- groups, checked at start-up
def test_declared_groups_pass_the_checks():
    assert room_problems(detail_groups={"基本信息": ["number", "status"], "租金": ["rent", "deposit"]}) == []


@pytest.mark.parametrize(
    "groups,expected",
    [
        (
            {"基本信息": ["number", "staus"]},
            "RoomAdmin.detail_groups['基本信息']: `staus`: no such field on Room; did you mean `status`?",
        ),
        (
            {"基本信息": ["number", "rent"], "租金": ["rent", "deposit"]},
            "RoomAdmin.detail_groups['租金']: `rent`: already in the group '基本信息'",
        ),
        ({"基本信息": "number"}, "RoomAdmin.detail_groups['基本信息']: must be a list of field names"),
        (["number"], "RoomAdmin.detail_groups: must be a dict {title: [field, ...]}"),
        ({"": ["number"]}, "RoomAdmin.detail_groups: '': a group's title must be a non-empty text"),
    ],
)
def test_a_bad_group_is_named_at_start_up(groups, expected):
    found = room_problems(detail_groups=groups)
    assert any(expected in p for p in found), found


def test_a_group_names_only_detail_fields():
    found = room_problems(detail=["number", "rent"], detail_groups={"基本信息": ["number", "deposit"]})
    assert "RoomAdmin.detail_groups['基本信息']: `deposit`: not one of the detail's fields" in found


def test_the_state_field_must_be_a_choice():
    assert "RoomAdmin.state_field: `rent`: not a choice field of Room" in room_problems(state_field="rent")


def test_link_totals_must_be_money_columns_of_the_other_list(app_site):
    found = room_problems(filters=["project_id"], links=[Link("合同", "t_rooms", "project_id", totals=("number",))])
    assert "RoomAdmin.links: 合同: totals `number`: not a money column of RoomAdmin's list" in found


def test_undeclared_admins_keep_one_group_and_the_rest_goes_under_other(app_site, principal_of):
    p = principal_of("manager")
    tenants = app_site.admin("tenants")
    assert [title for title, _ in tenants.groups_for(p)] == [""]
    contracts = app_site.admin("contracts")
    groups = dict(contracts.groups_for(p))
    assert list(groups) == ["基本信息", "租期与租金", "入住与退房", "网签备案", "系统信息"]
    assert sum(len(v) for v in groups.values()) == len(contracts.visible(p, contracts.detail))  # each field once
    rooms = type("R2", (app_site.admin("rooms"),), {"detail_groups": {"基本信息": ["number"]}}, model=Room, key="rooms")
    assert [t for t, _ in rooms.groups_for(p)] == ["基本信息", "其他"]


# ---------------------------------------------------------------- the timeline
def test_assemble_orders_the_latest_first_and_names_people():
    at = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    events = [
        Event(at, "manager", "签约"),
        Event(at + timedelta(hours=3), "assistant", "办理入住", "房间待入住 → 在租", "green"),
        Event(date(2025, 3, 1), "finance", "登记收款 ¥1,200.00"),  # a date alone: the end of that day
        Event(at + timedelta(days=30), "", "合同到期"),
        Event(at + timedelta(days=30), "nobody", "同一时刻，后记的在前"),
    ]
    shown = assemble(events, {"manager": "陈店长", "assistant": "刘店助", "finance": "孙财务"})
    assert [e["what"] for e in shown] == ["同一时刻，后记的在前", "合同到期", "登记收款 ¥1,200.00", "办理入住", "签约"]
    assert [e["who"] for e in shown] == ["nobody", SYSTEM, "孙财务", "刘店助", "陈店长"]
    assert shown[-1]["at"] == "2025-03-01 10:00" and shown[2]["at"] == "2025-03-01"
    assert shown[3]["tone"] == "green" and shown[-1]["tone"] == "gray"


def test_an_action_writes_each_rows_state_change_and_the_timeline_tells_it(session, principal_of, app_site):
    p = principal_of("manager")
    admin = app_site.admin("check_ins")
    # One whose first rent is paid (the demo pays half of them): check-in refuses the others.
    paid_first = select(Bill.contract_id).where(
        Bill.fee_key == "rent", Bill.period_no == 1, Bill.state == BillState.PAID
    )
    c = session.exec(
        select(Contract)
        .where(
            Contract.state == ContractState.SIGNED,
            Contract.project_id.in_(p.project_ids),
            Contract.id.in_(paid_first),
        )
        .order_by(Contract.id)
    ).first()
    action = next(a for a in admin.actions if a.name == "check_in")
    result = crud.run_action(session, admin, action, p, ids=[c.id], raw={"checked_in_on": str(c.start_date)})
    session.flush()
    assert result.done == 1
    entry = session.exec(select(AuditLog).where(AuditLog.row_id == c.id, AuditLog.action == "action:check_in")).one()
    assert entry.resource == "check_ins" and '"active"' in entry.after
    # Read from 合同列表 (another admin of the same table): the entry written in 入住办理 is part of the story.
    session.refresh(c)
    shown = engine_timeline.timeline(session, app_site.admin("contracts"), p, c)
    assert shown[0]["who"] == "陈店长"
    texts = [e["what"] for e in shown]
    assert "办理入住（待执行 → 执行中）" in texts
    assert "办理入住" in texts  # the room's status log names the contract: 入住 HT…
    room = next(e for e in shown if e["what"] == "办理入住")
    assert room["why"] == "房间待入住 → 在租"


def test_a_bills_timeline_tells_its_payments(session, principal_of, app_site):
    p = principal_of("finance")
    bill = session.exec(select(Bill).where(Bill.id.in_(select(Payment.bill_id)))).first()
    shown = engine_timeline.timeline(session, app_site.admin("bills"), p, bill)
    pays = [e for e in shown if e["what"].startswith(("登记收款", "退款"))]
    assert pays and pays[0]["why"].split("，")[0] in {m.label for m in PaymentMethod}


def test_a_bills_timeline_tells_only_what_the_role_may_open(session, principal_of, app_site):
    """坏账审批 is not a store assistant's list: its requests are not in a bill's story for them either."""
    from models import BadDebt

    bill = session.exec(select(Bill).where(Bill.id.in_(select(BadDebt.bill_id)))).first()
    bills = app_site.admin("bills")

    def story(who):
        return [e["what"] for e in engine_timeline.timeline(session, bills, principal_of(who), bill)]

    assert any(w.startswith("申请坏账") for w in story("finance"))
    assert story("assistant") and not any(w.startswith("申请坏账") for w in story("assistant"))


# ---------------------------------------------------------------- related tabs
def test_a_contracts_bills_tab_counts_and_sums_inside_the_scope(session, principal_of, app_site):
    p = principal_of("manager")
    admin = app_site.admin("contracts")
    c = session.exec(
        select(Contract).where(Contract.state == ContractState.ACTIVE, Contract.project_id.in_(p.project_ids))
    ).first()
    tabs = {t.label: t for t in related.tabs(session, admin, p, c)}
    bills = session.exec(select(Bill).where(Bill.contract_id == c.id)).all()
    tab = tabs["账单"]
    assert tab.count == str(len(bills)) and len(tab.rows) == min(len(bills), related.SHOWN)
    assert f"应收金额 ¥{sum(b.amount for b in bills):,.2f}" in tab.summary
    assert f"已收金额 ¥{sum(b.paid for b in bills):,.2f}" in tab.summary
    assert tab.href == f"/finance/bills?f_contract_id={c.id}" and "合同" not in tab.headers  # not this row again
    assert "月租金" not in tabs["后续合同"].summary  # totals=(): a sum of rents means nothing
    # A role that may not view the other list gets no tab: 财务 sees bills, not meter readings.
    assert "抄表记录" not in {t.label for t in related.tabs(session, admin, principal_of("finance"), c)}


# ---------------------------------------------------------------- the demo's history
def test_the_demo_writes_room_logs_that_end_in_each_rooms_status(session):
    rented = session.exec(select(Room).where(Room.status == RoomStatus.OCCUPIED)).all()
    logs = session.exec(select(RoomStatusLog).order_by(RoomStatusLog.room_id, RoomStatusLog.at)).all()
    by_room: dict[int, list[RoomStatusLog]] = {}
    for log in logs:
        by_room.setdefault(log.room_id, []).append(log)
    assert all(r.id in by_room for r in rented)  # 房态记录 is never empty for a rented room
    rooms = {r.id: r for r in session.exec(select(Room)).all()}
    for room_id, story in by_room.items():
        assert story[-1].to_status == rooms[room_id].status
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(story))  # one chain, in order
        assert all(log.at <= datetime.now(UTC) for log in story)


def test_the_demo_history_of_a_contract_follows_its_signing(session):
    c = session.exec(
        select(Contract).where(
            Contract.state == ContractState.CHECKED_OUT, Contract.source == ContractSource.BACK_OFFICE
        )
    ).first()
    created = session.exec(
        select(AuditLog).where(AuditLog.resource == "contracts", AuditLog.row_id == c.id, AuditLog.action == "create")
    ).one()
    moves = session.exec(select(RoomStatusLog).where(RoomStatusLog.reason.like(f"% {c.number}"))).all()
    assert [m.action for m in sorted(moves, key=lambda m: m.at)] == ["sign", "check_in", "check_out"]
    assert created.at.astimezone(UTC).date() >= c.signed_on - timedelta(days=1)
    assert all(m.at >= created.at for m in moves)


def test_a_contracts_payments_are_found_through_its_bills(session, principal_of, app_site):
    admin = app_site.admin("contracts")
    paid = select(Bill.contract_id).where(Bill.id.in_(select(Payment.bill_id)))
    c = session.exec(select(Contract).where(Contract.id.in_(paid))).first()
    payments = session.exec(
        select(Payment).where(Payment.bill_id.in_(select(Bill.id).where(Bill.contract_id == c.id)))
    ).all()
    tab = {t.label: t for t in related.tabs(session, admin, principal_of("finance"), c)}["收款记录"]
    assert tab.count == str(len(payments))
    assert f"收款金额 ¥{sum(x.amount for x in payments):,.2f}" in tab.summary
    assert tab.href.startswith("/finance/payments?f_bill_id=")
    # 店长 may not open 收款登记: no tab, though the contract's bills are theirs.
    assert "收款记录" not in {t.label for t in related.tabs(session, admin, principal_of("manager"), c)}


def test_a_via_link_is_checked(app_site):
    found = room_problems(
        filters=["project_id"], links=[Link("合同", "t_rooms", "project_id", via=("t_rooms", "nmber"))]
    )
    assert "RoomAdmin.links: 合同: via `nmber`: RoomAdmin does not offer it as a filter" in found
