"""租务 and 账单 flows through the engine, each step by the role that owns it, on a real SQLite file."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from clss_app.admin import crud
from clss_app.core import clock
from clss_app.core.results import ActionContext
from clss_app.services import bills, leasing
from clss_app.services.billing import add_months, rent_until
from clss_app.services.permissions import Forbidden
from clss_app.site import app_site
from models import (
    AdjustmentKind,
    AdjustmentState,
    ApprovalState,
    BadDebt,
    Bill,
    BillAdjustment,
    BillKind,
    BillState,
    Contract,
    ContractState,
    Payment,
    Reservation,
    ReservationState,
    Room,
    RoomStatus,
)


def act(session, p, key, name, ids, text="", raw=None):
    admin = app_site().admin(key)
    action = next(a for a in admin.actions if a.name == name)
    return crud.run_action(session, admin, action, p, ids=ids, text=text, raw=raw)


def service(session, p, key, name, ids, text="", values=None):
    """The action's own service, without the engine's checks: its own refusals (kept behind ``when``)."""
    admin = app_site().admin(key)
    action = next(a for a in admin.actions if a.name == name)
    rows = [session.get(admin.model, i) for i in ids]
    return action.fn(ActionContext(session, p, rows, text, values or {}))


def vacant_room(session, project_id=1, skip=0):
    return session.exec(
        select(Room)
        .where(Room.project_id == project_id, Room.status == RoomStatus.VACANT)
        .order_by(Room.id)
        .offset(skip)
    ).first()


def new_tenant(session, p, phone="13912345678"):
    row, _ = crud.create(session, app_site().admin("tenants"), p, {"name": "王小明", "phone": phone, "company_id": "5"})
    return row


def test_whole_lifecycle_each_step_by_its_role(session, principal_of):
    assistant, manager = principal_of("assistant"), principal_of("manager")
    finance = principal_of("finance")
    room = vacant_room(session)
    tenant = new_tenant(session, assistant)

    # 预定 by the store assistant: the room is held.
    r, _ = crud.create(
        session,
        app_site().admin("reservations"),
        assistant,
        {
            "room_id": str(room.id),
            "tenant_id": str(tenant.id),
            "deposit": "1000",
            "hold_until": str(clock.today() + timedelta(days=5)),
        },
    )
    session.refresh(room)
    assert room.status == RoomStatus.RESERVED and r.project_id == 1

    # 预定转签约 by the store manager: whole schedule billed, first bills confirmed, deposit applied.
    start = clock.today() + timedelta(days=1)
    end = add_months(start, 12) - timedelta(days=1)
    out = act(
        session,
        manager,
        "reservations",
        "convert",
        [r.id],
        raw={"start_date": str(start), "end_date": str(end), "cycle": "1", "bill_mode": "same_day"},
    )
    assert out.done == 1, out.refused
    c = session.exec(select(Contract).where(Contract.reservation_id == r.id)).one()
    session.refresh(room), session.refresh(r)
    assert (c.state, room.status, r.state) == (ContractState.SIGNED, RoomStatus.SIGNED, ReservationState.CONVERTED)
    assert c.number == f"HT{clock.today():%Y%m%d}{c.id:06d}"
    rent = session.exec(
        select(Bill).where(Bill.contract_id == c.id, Bill.fee_key == "rent").order_by(Bill.period_no)
    ).all()
    assert len(rent) == 12 and sum(b.amount for b in rent) == 12 * room.rent
    assert rent[0].state == BillState.PARTLY_PAID and rent[0].paid == Decimal("1000.00")
    assert all(b.state == BillState.UNCONFIRMED for b in rent[1:])
    assert bills.generate(session, [c]) == 0  # regenerating never duplicates

    # 入住 refused until the first rent is paid; 收款 is finance's alone.
    out = act(session, assistant, "check_ins", "check_in", [c.id], raw={"checked_in_on": str(start)})
    assert out.done == 0 and "首期款未缴清" in out.refused[0][1]
    with pytest.raises(Forbidden):
        act(session, assistant, "bills", "pay", [rent[0].id], raw={"receipt_no": "X1"})
    out = act(session, finance, "bills", "pay", [rent[0].id], raw={"receipt_no": "POS-001", "method": "pos"})
    assert out.done == 1
    session.refresh(rent[0])
    assert rent[0].state == BillState.PAID
    out = act(
        session,
        assistant,
        "check_ins",
        "check_in",
        [c.id],
        raw={"checked_in_on": str(start), "power_in": "100", "water_in": "10"},
    )
    assert out.done == 1, out.refused
    session.refresh(room), session.refresh(c)
    assert (c.state, room.status) == (ContractState.ACTIVE, RoomStatus.OCCUPIED)

    # 退房 by the manager after about 40 days: rent to the day, utilities, deposit back.
    day = start + timedelta(days=40)
    out = act(
        session,
        manager,
        "check_outs",
        "check_out",
        [c.id],
        raw={"checked_out_on": str(day), "power_out": "180", "water_out": "14"},
    )
    assert out.done == 1, out.refused
    session.refresh(c), session.refresh(room)
    assert (c.state, room.status) == (ContractState.CHECKED_OUT, RoomStatus.VACANT)
    settlement = session.exec(select(Bill).where(Bill.contract_id == c.id, Bill.fee_key == "settlement")).one()
    # Independently: each scheduled fee owed to the day, less the payments on the ledger, plus one-off
    # fees never paid, plus 80 kWh and 4 t at the project's prices (0.65 and 5.20); the deposit was never paid.
    owed = sum(rent_until(start, day, monthly) for _, monthly, _ in bills.scheduled_fees(session, c))
    paid = sum(
        pay.amount
        for pay in session.exec(select(Payment).join(Bill, Bill.id == Payment.bill_id).where(Bill.contract_id == c.id))
    )
    one_off = sum(
        b.amount for b in session.exec(select(Bill).where(Bill.contract_id == c.id, Bill.kind == BillKind.ONE_OFF))
    )
    assert c.settlement == owed - paid + one_off + Decimal("52.00") + Decimal("20.80")
    assert settlement.amount == abs(c.settlement) and "电费" in settlement.remark
    assert settlement.state == (BillState.CONFIRMED if c.settlement > 0 else BillState.REFUND_DUE)
    left_open = session.exec(
        select(Bill).where(
            Bill.contract_id == c.id,
            Bill.fee_key != "settlement",
            Bill.state.in_([BillState.UNCONFIRMED, BillState.CONFIRMED, BillState.PARTLY_PAID]),
        )
    ).all()
    assert left_open == []


def test_reservation_refusals_and_release(session, principal_of):
    assistant = principal_of("assistant")
    room = vacant_room(session)
    tenant = new_tenant(session, assistant)
    base = {
        "room_id": str(room.id),
        "tenant_id": str(tenant.id),
        "deposit": "500",
        "hold_until": str(clock.today() + timedelta(days=3)),
    }
    with pytest.raises(crud.ValidationFailed) as exc:
        crud.create(
            session,
            app_site().admin("reservations"),
            assistant,
            {**base, "hold_until": str(clock.today() + timedelta(days=40))},
        )
    assert "最多保留 30 天" in exc.value.errors["hold_until"]
    with pytest.raises(crud.ValidationFailed) as exc:
        crud.create(session, app_site().admin("reservations"), assistant, {**base, "deposit": "0"})
    assert exc.value.errors["deposit"] == "定金须大于 0"
    r, _ = crud.create(session, app_site().admin("reservations"), assistant, base)
    with pytest.raises(crud.ValidationFailed) as exc:  # the same room again
        crud.create(session, app_site().admin("reservations"), assistant, base)
    assert "已预定" in exc.value.errors["room_id"]
    other = vacant_room(session, project_id=3)
    with pytest.raises(crud.ValidationFailed) as exc:  # another company's room: outside the scope
        crud.create(session, app_site().admin("reservations"), assistant, {**base, "room_id": str(other.id)})
    assert "room_id" in exc.value.errors
    refund = {"deposit_decision": "refund"}
    assert act(session, assistant, "reservations", "cancel", [r.id], text="客户改期", raw=refund).done == 1
    session.refresh(room)
    assert room.status == RoomStatus.VACANT


def test_expired_reservations_free_their_rooms(session, principal_of):
    manager = principal_of("manager")
    r = session.exec(select(Reservation).where(Reservation.state == ReservationState.ACTIVE)).first()
    n = leasing.expire_reservations(session, manager, today=r.hold_until + timedelta(days=1))
    assert n >= 1
    session.refresh(r)
    assert r.state == ReservationState.EXPIRED
    assert session.get(Room, r.room_id).status == RoomStatus.VACANT


def test_contract_form_checks_room_terms_and_rent(session, principal_of):
    manager = principal_of("manager")
    occupied = session.exec(select(Room).where(Room.project_id == 1, Room.status == RoomStatus.OCCUPIED)).first()
    tenant = new_tenant(session, manager)
    raw = {
        "room_id": str(occupied.id),
        "tenant_id": str(tenant.id),
        "start_date": str(clock.today()),
        "end_date": str(clock.today() - timedelta(days=1)),
        "monthly_rent": "0",
        "deposit": "100",
        "cycle": "1",
        "bill_mode": "same_day",
    }
    with pytest.raises(crud.ValidationFailed) as exc:
        crud.create(session, app_site().admin("contracts"), manager, raw)
    assert exc.value.errors == {
        "end_date": "到期日不能早于起租日",
        "monthly_rent": "月租金须大于 0 且不超过 1,000,000 元",
        "room_id": "该房间当前为在租，只能签约空闲可租的房间（已预定的请走预定转签约）",
    }
    room = vacant_room(session)
    c, note = crud.create(
        session,
        app_site().admin("contracts"),
        manager,
        {
            **raw,
            "room_id": str(room.id),
            "end_date": str(add_months(clock.today(), 6) - timedelta(days=1)),
            "monthly_rent": "3000",
            "cycle": "3",
        },
    )
    assert "首期账单已确认" in note
    rent = session.exec(select(Bill).where(Bill.contract_id == c.id, Bill.fee_key == "rent")).all()
    assert [b.amount for b in rent] == [Decimal("9000.00")] * 2
    assert session.get(Room, room.id).status == RoomStatus.SIGNED


def test_confirm_and_revoke_rules(session, principal_of):
    manager, finance = principal_of("manager"), principal_of("finance")
    unconfirmed = session.exec(
        select(Bill.id).where(Bill.project_id == 1, Bill.state == BillState.UNCONFIRMED).limit(30)
    ).all()
    out = act(session, manager, "bills", "confirm", list(unconfirmed))
    assert out.done == 30
    with pytest.raises(Forbidden, match="当前为已确认"):  # the engine: 确认账单 applies to 未确认 bills only
        act(session, manager, "bills", "confirm", list(unconfirmed[:2]))
    assert service(session, manager, "bills", "confirm", unconfirmed[:2]).refused[0][1] == "当前为已确认"
    out = act(session, finance, "bills", "pay", [unconfirmed[0]], raw={"receipt_no": "R1", "amount": "1"})
    assert out.done == 1
    with pytest.raises(Forbidden, match="当前为部分收款"):
        act(session, manager, "bills", "revoke", list(unconfirmed[:2]))
    assert act(session, manager, "bills", "revoke", [unconfirmed[1]]).done == 1
    paid = session.get(Bill, unconfirmed[0])
    assert service(session, manager, "bills", "revoke", [paid.id]).refused == [(paid.title, "已有收款，不能撤销")]
    out = act(session, finance, "bills", "pay", [unconfirmed[2]], raw={"receipt_no": "R2", "amount": "99999999"})
    assert out.done == 0 and "超过未收金额" in out.refused[0][1]
    with pytest.raises(crud.ValidationFailed) as exc:
        act(session, finance, "bills", "pay", [unconfirmed[2]], raw={"receipt_no": ""})
    assert exc.value.errors == {"receipt_no": "收款凭证号不能为空"}
    other = session.exec(select(Bill.id).where(Bill.project_id == 3)).first()
    out = act(session, manager, "bills", "confirm", [other])
    assert out.done == 0 and out.refused[0][1] == "记录不存在或无权访问"


def test_refund_and_bad_debt_approvals_by_role(session, principal_of):
    manager, principal = principal_of("manager"), principal_of("principal")
    finance, multistore = principal_of("finance"), principal_of("multistore")
    refund = session.exec(select(Bill).where(Bill.state == BillState.REFUND_DUE, Bill.project_id == 1)).one()
    with pytest.raises(Forbidden):
        act(session, finance, "refunds", "offline_refund", [refund.id])
    assert act(session, manager, "bills", "offline_refund", [refund.id]).done == 1
    with pytest.raises(Forbidden):
        act(session, principal, "refunds", "refund_done", [refund.id])
    assert act(session, finance, "refunds", "refund_done", [refund.id]).done == 1
    session.refresh(refund)
    assert refund.state == BillState.REFUNDED
    assert session.exec(select(Payment).where(Payment.bill_id == refund.id)).one().amount == -refund.amount

    debt = session.exec(select(BadDebt).where(BadDebt.state == ApprovalState.LEVEL1)).one()
    with pytest.raises(Forbidden):  # a store manager is no approver at all
        act(session, manager, "bad_debts", "approve", [debt.id])
    out = act(session, finance, "bad_debts", "approve", [debt.id])  # finance must wait for level 1
    assert out.done == 0 and "财务不能审批此级" in out.refused[0][1]
    assert act(session, principal, "bad_debts", "approve", [debt.id], text="同意").done == 1
    out = act(session, multistore, "bad_debts", "approve", [debt.id])  # level 1 is done: not theirs now
    assert out.done == 0
    assert act(session, finance, "bad_debts", "approve", [debt.id]).done == 1
    session.refresh(debt)
    assert (debt.state, debt.level1_by_id, debt.level2_by_id) == (
        ApprovalState.APPROVED,
        principal.user_id,
        finance.user_id,
    )
    assert session.get(Bill, debt.bill_id).state == BillState.BAD_DEBT

    # A new application on an ordinary bill is refused; on the refunded one too (nothing left to settle).
    open_bill = session.exec(select(Bill).where(Bill.project_id == 1, Bill.state == BillState.CONFIRMED)).first()
    out = act(session, manager, "bills", "bad_debt", [open_bill.id], text="跑路")
    assert out.done == 0 and "仅尾期账单" in out.refused[0][1]
    # Rejection at level 1 ends it.
    debt2 = BadDebt(bill_id=refund.id, project_id=1, amount=Decimal(1), reason="测试", requested_by_id=manager.user_id)
    session.add(debt2)
    session.flush()
    out = act(session, multistore, "bad_debts", "reject", [debt2.id], text="证据不足")
    assert out.done == 1
    session.refresh(debt2)
    assert debt2.state == ApprovalState.REJECTED and debt2.comment == "证据不足"


def test_online_signing_review(session, principal_of):
    assistant = principal_of("assistant")
    pending = session.exec(select(Contract).where(Contract.state == ContractState.PENDING_REVIEW)).all()
    assert len(pending) == 2
    out = act(session, assistant, "online_review", "reject", [pending[0].id], text="身份证照片不清晰")
    assert out.done == 1
    out = act(session, assistant, "online_review", "approve", [pending[1].id])
    assert out.done == 1
    session.refresh(pending[0]), session.refresh(pending[1])
    assert (pending[0].state, pending[1].state) == (ContractState.VOID, ContractState.SIGNED)
    assert session.get(Room, pending[1].room_id).status == RoomStatus.SIGNED
    assert session.exec(select(Bill).where(Bill.contract_id == pending[1].id)).first() is not None
    assert session.exec(select(Bill).where(Bill.contract_id == pending[0].id)).first() is None


# ---------------------------------------------------------------- later steps of a lease


def signed_and_active(session, manager, finance, cycle="1", months=12, start=None, rent="3000"):
    """A contract signed, first payment made and checked in: the starting point of the later flows."""
    room = vacant_room(session)
    tenant = new_tenant(session, manager, phone=f"139{room.id:08d}")
    start = start or clock.today() - timedelta(days=20)
    c, _ = crud.create(
        session,
        app_site().admin("contracts"),
        manager,
        {
            "room_id": str(room.id),
            "tenant_id": str(tenant.id),
            "start_date": str(start),
            "end_date": str(add_months(start, months) - timedelta(days=1)),
            "monthly_rent": rent,
            "deposit": rent,
            "cycle": cycle,
            "bill_mode": "same_day",
        },
    )
    first = session.exec(select(Bill.id).where(Bill.contract_id == c.id, Bill.state == BillState.CONFIRMED)).all()
    assert act(session, finance, "bills", "pay", list(first), raw={"receipt_no": "R"}).done == len(first)
    assert (
        act(
            session,
            manager,
            "contracts",
            "check_in",
            [c.id],
            raw={"checked_in_on": str(start), "power_in": "100", "water_in": "10"},
        ).done
        == 1
    )
    session.refresh(c)
    return c


def test_late_fees_accrue_daily_with_grace_and_a_waiver_needs_a_principal(session, principal_of):
    from models import Project

    manager, principal = principal_of("manager"), principal_of("principal")
    project = session.get(Project, 1)
    project.late_fee_grace_days, project.late_fee_rate = 3, Decimal("0.05")
    session.flush()
    b = session.exec(
        select(Bill).where(
            Bill.project_id == 1, Bill.fee_key == "rent", Bill.state == BillState.CONFIRMED, Bill.paid == 0
        )
    ).first()
    as_of = b.due_date + timedelta(days=13)  # 13 days late, 3 of grace: 10 chargeable days
    assert bills.accrue_late_fees(session, as_of) >= 1
    session.refresh(b)
    assert b.late_fee == (b.amount * Decimal("0.0005") * 10).quantize(Decimal("0.01"))
    assert bills.accrue_late_fees(session, as_of) == 0  # the same day again changes nothing
    out = act(session, manager, "bills", "waive_late_fee", [b.id], text="疫情期间减免")
    assert out.done == 1
    adj = session.exec(select(BillAdjustment).where(BillAdjustment.bill_id == b.id)).one()
    with pytest.raises(Forbidden):
        act(session, manager, "adjustments", "approve", [adj.id])
    assert act(session, principal, "adjustments", "approve", [adj.id], text="同意").done == 1
    session.refresh(b)
    assert (b.late_fee, b.late_fee_waived) == (Decimal("0.00"), True)
    assert bills.accrue_late_fees(session, as_of + timedelta(days=5)) == 0 or session.get(Bill, b.id).late_fee == 0


def test_adjusting_an_unconfirmed_bill(session, principal_of):
    manager, principal = principal_of("manager"), principal_of("principal")
    b1, b2 = session.exec(select(Bill).where(Bill.project_id == 1, Bill.state == BillState.UNCONFIRMED).limit(2)).all()
    up = b1.amount + 100
    out = act(session, manager, "bills", "adjust", [b1.id], raw={"amount_after": str(up), "reason": "加收空调费"})
    assert out.done == 1 and "已调增" in out.notes[0]
    session.refresh(b1)
    assert b1.amount == up
    out = act(session, manager, "bills", "adjust", [b2.id], raw={"amount_after": "0", "reason": "老客户减免"})
    assert out.done == 1
    session.refresh(b2)
    assert b2.amount > 0  # a waiver waits for the principal
    adj = session.exec(select(BillAdjustment).where(BillAdjustment.bill_id == b2.id)).one()
    assert (adj.kind, adj.state) == (AdjustmentKind.WAIVE, AdjustmentState.PENDING)
    out = act(session, manager, "bills", "adjust", [b2.id], raw={"amount_after": "1", "reason": "再调"})
    assert out.refused[0][1] == "已有待审批的调整"
    assert act(session, principal, "adjustments", "reject", [adj.id], text="不符合减免政策").done == 1
    session.refresh(b2), session.refresh(adj)
    assert adj.state == AdjustmentState.REJECTED and b2.amount > 0
    with pytest.raises(crud.ValidationFailed) as exc:
        act(session, manager, "bills", "adjust", [b2.id], raw={"amount_after": "-5", "reason": "x"})
    assert "amount_after" in exc.value.errors


def test_meter_readings_bill_the_usage_since_the_last_one(session, principal_of):
    manager, finance = principal_of("manager"), principal_of("finance")
    c = signed_and_active(session, manager, finance)
    out = act(
        session,
        manager,
        "contracts",
        "read_meters",
        [c.id],
        raw={"read_on": clock.today().isoformat(), "power": "150", "water": "12"},
    )
    assert out.done == 1
    bill = session.exec(select(Bill).where(Bill.contract_id == c.id, Bill.fee_key == "meter")).one()
    assert bill.amount == Decimal("50") * Decimal("0.65") + Decimal("2") * Decimal("5.20")
    out = act(session, manager, "contracts", "read_meters", [c.id], raw={"read_on": str(clock.today()), "power": "140"})
    assert out.done == 0 and "不能小于上次读数 150" in out.refused[0][1]


def test_renewal_starts_when_the_old_term_ends_and_keeps_the_deposit(session, principal_of):
    from clss_app.services import jobs

    manager, finance = principal_of("manager"), principal_of("finance")
    c = signed_and_active(session, manager, finance, months=1)
    new_end = add_months(c.end_date + timedelta(days=1), 6) - timedelta(days=1)
    out = act(session, manager, "contracts", "renew", [c.id], raw={"end_date": str(new_end), "monthly_rent": "3300"})
    assert out.done == 1, out.refused
    r = session.exec(select(Contract).where(Contract.previous_id == c.id)).one()
    assert (r.state, r.start_date, r.monthly_rent, r.room_id) == (
        ContractState.SIGNED,
        c.end_date + timedelta(days=1),
        Decimal("3300.00"),
        c.room_id,
    )
    assert sum(
        b.amount for b in session.exec(select(Bill).where(Bill.contract_id == r.id, Bill.fee_key == "rent"))
    ) == 6 * Decimal("3300")
    out = act(session, manager, "contracts", "renew", [c.id], raw={"end_date": str(new_end)})
    assert out.refused[0][1] == "该合同已有续租、换房或转租的后续合同"
    session.commit()
    done = jobs.daily(r.start_date)
    assert done["renewals_started"] == 1 and jobs.daily(r.start_date)["renewals_started"] == 0
    session.expire_all()
    assert (session.get(Contract, c.id).state, session.get(Contract, r.id).state) == (
        ContractState.EXPIRED,
        ContractState.ACTIVE,
    )
    assert bills.paid_of(session, r.id, "deposit") == Decimal("3000.00")
    assert bills.paid_of(session, c.id, "deposit") == Decimal("0.00")
    assert session.get(Room, c.room_id).status == RoomStatus.OCCUPIED


def test_room_change_carries_prepaid_rent_and_the_deposit(session, principal_of):
    manager, finance = principal_of("manager"), principal_of("finance")
    c = signed_and_active(session, manager, finance, cycle="3")  # three months paid ahead
    target = vacant_room(session, skip=1)
    day = c.start_date + timedelta(days=30)
    out = act(
        session,
        manager,
        "contracts",
        "change_room",
        [c.id],
        raw={
            "change_date": str(day),
            "new_room": target.number,
            "monthly_rent": "3000",
            "compensation": "200",
            "power_out": "130",
            "water_out": "11",
            "power_in": "500",
            "water_in": "50",
        },
    )
    assert out.done == 1, out.refused
    new = session.exec(select(Contract).where(Contract.previous_id == c.id)).one()
    session.refresh(c)
    assert (c.state, new.state, new.room_id) == (ContractState.CLOSED, ContractState.ACTIVE, target.id)
    assert (new.start_date, new.end_date) == (day + timedelta(days=1), c.end_date)
    assert session.get(Room, c.room_id).status == RoomStatus.VACANT
    assert session.get(Room, target.id).status == RoomStatus.OCCUPIED
    # Paid 9,000 for three months; used 31 days (3,000 + 1 day) plus 200 compensation and utilities: the rest
    # carries over and pays the new contract's bills; the deposit moves over whole.
    carried = sum(
        pay.amount
        for pay in session.exec(
            select(Payment)
            .join(Bill, Bill.id == Payment.bill_id)
            .where(Bill.contract_id == new.id, Payment.method == "carry_over", Bill.fee_key != "deposit")
        )
    )
    assert carried == -c.settlement > 0
    assert bills.paid_of(session, new.id, "deposit") == Decimal("3000.00")
    out = act(
        session,
        manager,
        "contracts",
        "change_room",
        [new.id],
        raw={"change_date": str(day + timedelta(days=2)), "new_room": "不存在的房"},
    )
    assert out.done == 0 and "本项目没有房间" in out.refused[0][1]


def test_sublet_settles_the_old_tenant_and_signs_the_new_one(session, principal_of):
    manager, finance = principal_of("manager"), principal_of("finance")
    c = signed_and_active(session, manager, finance)
    newcomer = new_tenant(session, manager, phone="13700001111")
    out = act(
        session,
        manager,
        "contracts",
        "sublet",
        [c.id],
        raw={"sublet_date": str(clock.today()), "tenant_phone": "13700009999"},
    )
    assert out.done == 0 and "未找到手机号" in out.refused[0][1]
    out = act(
        session,
        manager,
        "contracts",
        "sublet",
        [c.id],
        raw={"sublet_date": str(clock.today()), "tenant_phone": newcomer.phone},
    )
    assert out.done == 1, out.refused
    new = session.exec(select(Contract).where(Contract.previous_id == c.id)).one()
    assert (new.tenant_id, new.state, new.room_id) == (newcomer.id, ContractState.SIGNED, c.room_id)
    assert session.get(Room, c.room_id).status == RoomStatus.SIGNED
    session.refresh(c)
    assert c.state == ContractState.CLOSED
    settle = session.exec(select(Bill).where(Bill.contract_id == c.id, Bill.kind == BillKind.SETTLEMENT)).one()
    assert "退押金" in settle.remark


def test_inbox_shows_each_role_what_waits_for_it(session, principal_of):
    from clss_app.ui.bell import todo_links as todo

    items = lambda who: {i["item"]: i for i in todo(session, principal_of(who))}  # noqa: E731
    principal, finance, assistant = items("principal"), items("finance"), items("assistant")
    assert principal["坏账待一级审批"]["count"] == "1"
    assert principal["坏账待一级审批"]["href"] == "/finance/bad-debts?f_state=level1"
    assert "坏账待一级审批" not in finance and "坏账待财务审批" not in finance  # nothing at level 2 yet
    assert "在线签约待审核" in assistant and "坏账待一级审批" not in assistant
    assert "待转线下退款" not in assistant  # a store assistant cannot hand refunds over
    assert "坏账待一级审批" not in items("principal2")  # another company's application is out of scope


def test_master_lease_signs_a_contract_per_room_and_splits_who_pays(session, principal_of):
    from models import MasterLease, Payer

    manager = principal_of("manager")
    rooms = session.exec(
        select(Room).where(Room.project_id == 1, Room.status == RoomStatus.VACANT).order_by(Room.id).limit(3)
    ).all()
    occupied = session.exec(select(Room).where(Room.project_id == 1, Room.status == RoomStatus.OCCUPIED)).first()
    raw = {
        "project_id": "1",
        "company_name": "华为技术有限公司",
        "contact_name": "王经理",
        "contact_phone": "13800138000",
        "start_date": str(clock.today()),
        "end_date": str(add_months(clock.today(), 12) - timedelta(days=1)),
        "cycle": "3",
        "bill_mode": "month_start",
        "company_pays_rent": "true",
        "company_pays_deposit": "true",
        "company_pays_fees": "false",
        "company_pays_utilities": "false",
    }
    with pytest.raises(crud.ValidationFailed) as exc:
        crud.create(
            session,
            app_site().admin("master_leases"),
            manager,
            {**raw, "rooms": ",".join(str(r.id) for r in [rooms[0], occupied])},
        )
    assert "只能包租空闲可租的房间" in exc.value.errors["rooms"]
    lease, note = crud.create(
        session, app_site().admin("master_leases"), manager, {**raw, "rooms": ",".join(str(r.id) for r in rooms[:2])}
    )
    assert lease.number.startswith("BZ") and "2 个房间" in note
    contracts = session.exec(select(Contract).where(Contract.master_lease_id == lease.id)).all()
    assert sorted(c.room_id for c in contracts) == sorted(r.id for r in rooms[:2])
    assert all(session.get(Room, c.room_id).status == RoomStatus.SIGNED for c in contracts)
    payers = {
        (b.fee_key.split(":")[0], b.payer)
        for b in session.exec(select(Bill).where(Bill.contract_id.in_([c.id for c in contracts])))
    }
    assert ("rent", Payer.COMPANY) in payers and ("deposit", Payer.COMPANY) in payers
    assert ("fee", Payer.TENANT) in payers and ("fee", Payer.COMPANY) not in payers
    assert session.exec(select(MasterLease).where(MasterLease.company_name == lease.company_name)).all() == [lease]
