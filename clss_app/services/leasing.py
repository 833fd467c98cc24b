"""租务 flows: appointment → reservation → contract → check-in → check-out.

Each flow moves the room through ``room_status.move`` (a conditional update:
two people reserving or signing the same room cannot both win) and the
contract or reservation through a conditional update on its state and
version, in the caller's transaction: a refused step leaves nothing behind.
Money comes from ``billing``; bills are written by ``bills``.
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin.crud import ValidationFailed
from clss_app.admin.view import ActionResult
from clss_app.services import bills, room_status
from clss_app.services.billing import add_months, rent_until
from clss_app.services.permissions import Principal
from models import (Appointment, AppointmentState, Bill, BillKind, BillState, Contract, ContractSource, Tenant,
                    ContractState, PaymentMethod, Reservation, ReservationState, Room, RoomStatus, utcnow)

MAX_TERM_YEARS = 20     # 民法典: a lease may not run longer
MAX_HOLD_DAYS = 30      # how long a reservation may hold a room
MAX_RENT = Decimal("1000000")


def _conditional(session, model, row, expected_state, **changes) -> bool:
    """Change ``row`` only if it still has the state and version it was read with."""
    return session.execute(
        sa.update(model).where(model.id == row.id, model.state == expected_state, model.version == row.version)
        .values(version=model.version + 1, **changes)).rowcount == 1


# ---------------------------------------------------------------- room board marks

EXPIRING_DAYS = 30
LIVE = (ContractState.SIGNED, ContractState.ACTIVE)


def board_marks(session: Session, project_id: int, today: date | None = None) -> dict[int, dict]:
    """What the room board shows on each room with a live contract, beyond its status:
    {room id: {"expiring": ends within 30 days, "arrears": a confirmed bill past due, "people": 1 or 2}}."""
    today = today or date.today()
    marks = {}
    for room_id, end, co in session.execute(select(Contract.room_id, Contract.end_date, Contract.co_tenants)
                                            .where(Contract.project_id == project_id, Contract.state.in_(LIVE))):
        marks[room_id] = {"expiring": end <= today + timedelta(days=EXPIRING_DAYS), "arrears": False,
                          "people": 2 if co.strip() else 1}
    for (room_id,) in session.execute(select(Bill.room_id).distinct().where(
            Bill.project_id == project_id, Bill.state.in_(bills.OPEN), Bill.due_date < today)):
        marks.setdefault(room_id, {"expiring": False, "arrears": False, "people": 0})["arrears"] = True
    return marks


def overdue_count(session: Session, project_id: int, today: date | None = None) -> int:
    """Confirmed bills past due in the project (an index range count): the board's 欠费 fingerprint."""
    return session.execute(select(sa.func.count()).select_from(Bill).where(
        Bill.project_id == project_id, Bill.state.in_(bills.OPEN), Bill.due_date < (today or date.today()))
    ).scalar_one()


def live_lease(session: Session, room_id: int) -> dict[str, str]:
    """The room's live contract or reservation in one line for the board's panel ({} if none)."""
    c = session.exec(select(Contract).where(Contract.room_id == room_id, Contract.state.in_(LIVE))).first()
    if c is not None:
        tenant = session.get(Tenant, c.tenant_id)
        marks = board_marks(session, c.project_id).get(room_id, {})
        flags = "".join(f"（{t}）" for t, on in (("即将到期", marks.get("expiring")), ("欠费", marks.get("arrears")))
                        if on)
        co = f"，同住：{c.co_tenants}" if c.co_tenants else ""
        return {"lease": f"合同 {c.number} · {c.state.label} · 租客 {tenant.name}{co} · {c.start_date} 至 "
                         f"{c.end_date} · ¥{c.monthly_rent:,.2f}/月{flags}"}
    r = session.exec(select(Reservation).where(Reservation.room_id == room_id,
                                               Reservation.state == ReservationState.ACTIVE)).first()
    if r is not None:
        return {"lease": f"预定人 {session.get(Tenant, r.tenant_id).name} · 定金 ¥{r.deposit:,.2f} · "
                         f"保留至 {r.hold_until}"}
    return {}


# ---------------------------------------------------------------- appointments

def appointment_step(target: AppointmentState):
    def step(session: Session, p: Principal, rows: list[Appointment]) -> ActionResult:
        result = ActionResult()
        for a in rows:
            if a.state != AppointmentState.PENDING:
                result.refused.append((a.name, f"当前为{a.state.label}"))
            elif _conditional(session, Appointment, a, AppointmentState.PENDING, state=target):
                result.done += 1
            else:
                result.refused.append((a.name, "已被他人处理，请刷新"))
        return result
    return step


# ---------------------------------------------------------------- reservations

def reservation_problems(session: Session, values: dict, today: date | None = None) -> dict[str, str]:
    today = today or date.today()
    errors = {}
    if values.get("deposit") is not None and values["deposit"] <= 0:
        errors["deposit"] = "定金须大于 0"
    hold = values.get("hold_until")
    if hold is not None and hold < today:
        errors["hold_until"] = "保留日期不能早于今天"
    elif hold is not None and hold > today + timedelta(days=MAX_HOLD_DAYS):
        errors["hold_until"] = f"最多保留 {MAX_HOLD_DAYS} 天（至 {today + timedelta(days=MAX_HOLD_DAYS)}）"
    room = session.get(Room, values["room_id"]) if values.get("room_id") else None
    if room is not None and room.status != RoomStatus.VACANT:
        errors["room_id"] = f"该房间当前为{room.status.label}，只能预定空闲可租的房间"
    appointment = session.get(Appointment, values["appointment_id"]) if values.get("appointment_id") else None
    if appointment is not None and room is not None and appointment.project_id != room.project_id:
        errors["appointment_id"] = "预约的项目与房间所在项目不一致"
    elif appointment is not None and appointment.state in (AppointmentState.CANCELLED, AppointmentState.CONVERTED):
        errors["appointment_id"] = f"该预约{appointment.state.label}"
    return errors


def on_reserved(session: Session, p: Principal, r: Reservation) -> None:
    """The new reservation holds its room; runs in the reservation's own transaction."""
    if room_status.move(session, p, r.room_id, {RoomStatus.VACANT}, RoomStatus.RESERVED, "reserve",
                        f"预定至 {r.hold_until}") is None:
        raise ValidationFailed({"room_id": "该房间刚被他人预定、签约或锁定，请换一间"})
    if r.appointment_id:
        session.execute(sa.update(Appointment).where(Appointment.id == r.appointment_id)
                        .values(state=AppointmentState.CONVERTED, version=Appointment.version + 1))


def _release(session, p, r: Reservation, target: ReservationState, reason: str) -> bool:
    if not _conditional(session, Reservation, r, ReservationState.ACTIVE, state=target):
        return False
    room_status.move(session, p, r.room_id, {RoomStatus.RESERVED}, RoomStatus.VACANT, "release", reason)
    return True


def cancel_reservations(session: Session, p: Principal, rows: list[Reservation], reason: str) -> ActionResult:
    result = ActionResult()
    for r in rows:
        if r.state != ReservationState.ACTIVE:
            result.refused.append((f"预定#{r.id}", f"当前为{r.state.label}"))
        elif _release(session, p, r, ReservationState.CANCELLED, f"取消预定：{reason}"):
            result.done += 1
        else:
            result.refused.append((f"预定#{r.id}", "已被他人处理，请刷新"))
    return result


def expire_reservations(session: Session, p: Principal, today: date | None = None) -> int:
    """The daily job: reservations past their hold date expire and free their rooms."""
    today = today or date.today()
    due = session.exec(select(Reservation).where(Reservation.state == ReservationState.ACTIVE,
                                                 Reservation.hold_until < today)).all()
    return sum(_release(session, p, r, ReservationState.EXPIRED, "预定过期") for r in due)


def convert_reservations(session: Session, p: Principal, rows: list[Reservation], terms: dict) -> ActionResult:
    """预定转签约: a contract on the reserved room, the reservation's deposit applied to its first bills."""
    result = ActionResult()
    for r in rows:
        if r.state != ReservationState.ACTIVE:
            result.refused.append((f"预定#{r.id}", f"当前为{r.state.label}"))
            continue
        room = session.get(Room, r.room_id)
        values = {**terms, "room_id": r.room_id, "tenant_id": r.tenant_id, "reservation_id": r.id,
                  "deposit": terms.get("deposit") if terms.get("deposit") is not None else room.deposit,
                  "monthly_rent": terms.get("monthly_rent") or room.rent}
        problems = contract_problems(session, values)
        if problems:
            raise ValidationFailed(problems)
        contract = Contract(**values, project_id=r.project_id, source=ContractSource.RESERVATION,
                            number=placeholder_number(), created_by=p.username)
        session.add(contract)
        session.flush()
        sign(session, p, contract)
        result.done += 1
        result.notes.append(f"合同 {contract.number}")
    return result


# ---------------------------------------------------------------- contracts

def placeholder_number() -> str:
    return "tmp-" + uuid.uuid4().hex[:16]  # replaced by HT<date><id> once the id is known


def contract_problems(session: Session, values: dict) -> dict[str, str]:
    errors = contract_problems_terms(values.get("start_date"), values.get("end_date"), values.get("monthly_rent"))
    room = session.get(Room, values["room_id"]) if values.get("room_id") else None
    reservation = session.get(Reservation, values["reservation_id"]) if values.get("reservation_id") else None
    if reservation is not None:
        if reservation.state != ReservationState.ACTIVE:
            errors["reservation_id"] = f"该预定{reservation.state.label}"
        elif room is not None and reservation.room_id != room.id:
            errors["reservation_id"] = "预定单的房间与合同房间不一致"
        elif values.get("tenant_id") and reservation.tenant_id != values["tenant_id"]:
            errors["tenant_id"] = "租客须与预定人一致"
    elif room is not None and room.status != RoomStatus.VACANT:
        errors["room_id"] = f"该房间当前为{room.status.label}，只能签约空闲可租的房间（已预定的请走预定转签约）"
    return errors


def sign(session: Session, p: Principal, c: Contract) -> int:
    """A contract entered as signed: room → 待入住, the whole schedule billed, first bills confirmed.

    With a reservation, the reservation converts and its deposit pays the first bills.
    Returns the number of bills written.
    """
    expected = {RoomStatus.RESERVED} if c.reservation_id else {RoomStatus.VACANT}
    if room_status.move(session, p, c.room_id, expected, RoomStatus.SIGNED, "sign", f"签约 {c.number}") is None:
        raise ValidationFailed({"room_id": "该房间刚被他人预定、签约或锁定，请换一间"})
    if c.number.startswith("tmp-"):
        c.number = f"HT{c.signed_on:%Y%m%d}{c.id:06d}"
        session.execute(sa.update(Contract).where(Contract.id == c.id).values(number=c.number))
    written = bills.generate(session, [c])
    if c.reservation_id:
        r = session.get(Reservation, c.reservation_id)
        if not _conditional(session, Reservation, r, ReservationState.ACTIVE, state=ReservationState.CONVERTED):
            raise ValidationFailed({"reservation_id": "该预定刚被他人处理，请刷新"})
        bills.apply_credit(session, p, c.id, r.deposit, PaymentMethod.RESERVATION_DEPOSIT, f"预定#{r.id} 定金")
    return written


def review(approve: bool):
    """在线签约审核: an approved online contract is signed like one entered here; a rejected one is void."""
    def run(session: Session, p: Principal, rows: list[Contract], comment: str) -> ActionResult:
        result = ActionResult()
        for c in rows:
            if c.state != ContractState.PENDING_REVIEW:
                result.refused.append((c.number, f"当前为{c.state.label}"))
                continue
            target = ContractState.SIGNED if approve else ContractState.VOID
            if not _conditional(session, Contract, c, ContractState.PENDING_REVIEW, state=target):
                result.refused.append((c.number, "已被他人审核，请刷新"))
                continue
            if approve:
                try:
                    with session.begin_nested():
                        sign(session, p, c)
                except ValidationFailed as exc:
                    session.execute(sa.update(Contract).where(Contract.id == c.id)
                                    .values(state=ContractState.PENDING_REVIEW))
                    result.refused.append((c.number, str(exc)))
                    continue
            result.done += 1
        return result
    return run


def first_rent_bill(session: Session, contract_id: int) -> Bill | None:
    return session.exec(select(Bill).where(Bill.contract_id == contract_id, Bill.fee_key == "rent",
                                           Bill.period_no == 1)).first()


def check_in(session: Session, p: Principal, rows: list[Contract], values: dict) -> ActionResult:
    """办理入住: 待执行 → 执行中 once the first rent is paid; room 待入住 → 在租; meter readings kept."""
    result = ActionResult()
    day = values["checked_in_on"]
    for c in rows:
        if c.state != ContractState.SIGNED:
            result.refused.append((c.number, f"合同当前为{c.state.label}，只有待执行的合同可以办理入住"))
            continue
        first = first_rent_bill(session, c.id)
        if first is not None and first.state != BillState.PAID:
            result.refused.append((c.number, f"首期款未缴清（应收 ¥{first.amount:,.2f}，已收 ¥{first.paid:,.2f}）"))
            continue
        if not (c.signed_on <= day <= c.end_date) and not (c.start_date <= day <= c.end_date):
            result.refused.append((c.number, f"入住日期须在签约日 {c.signed_on} 与到期日 {c.end_date} 之间"))
            continue
        with session.begin_nested() as step:
            if room_status.move(session, p, c.room_id, {RoomStatus.SIGNED}, RoomStatus.OCCUPIED, "check_in",
                                f"入住 {c.number}") is None or not _conditional(
                    session, Contract, c, ContractState.SIGNED, state=ContractState.ACTIVE, checked_in_on=day,
                    power_in=values.get("power_in"), water_in=values.get("water_in")):
                step.rollback()
                result.refused.append((c.number, "房间或合同已被他人修改，请刷新"))
                continue
        result.done += 1
    return result


def _ending_problem(session: Session, c: Contract, day: date, readings: dict, what: str) -> str:
    if c.state != ContractState.ACTIVE:
        return f"合同当前为{c.state.label}，只有执行中的合同可以{what}"
    first = c.checked_in_on or c.start_date
    if not (first <= day <= c.end_date):
        return f"{what}日期须在入住日 {first} 与到期日 {c.end_date} 之间"
    if session.exec(select(Contract.id).where(Contract.previous_id == c.id, Contract.state.in_(LIVE))).first():
        return "该合同已有续租、换房或转租的后续合同"
    return bills.reading_problems(session, c, readings)


def _readings(values: dict, suffix: str) -> dict:
    return {"power": values.get(f"power_{suffix}"), "water": values.get(f"water_{suffix}")}


def check_out(session: Session, p: Principal, rows: list[Contract], values: dict) -> ActionResult:
    """办理退房: rent up to the day, meters, deposit back → one settlement bill (due, or refund due)."""
    result = ActionResult()
    day, readings = values["checked_out_on"], _readings(values, "out")
    for c in rows:
        problem = _ending_problem(session, c, day, readings, "退房")
        if problem:
            result.refused.append((c.number, problem))
            continue
        with session.begin_nested() as step:
            if room_status.move(session, p, c.room_id, {RoomStatus.OCCUPIED}, RoomStatus.VACANT, "check_out",
                                f"退房 {c.number}") is None:
                step.rollback()
                result.refused.append((c.number, "房间已被他人修改，请刷新"))
                continue
            net, lines = settle(session, c, day, readings)
            bills.settlement_bill(session, c, day, net, "；".join(lines), "退房结算")
            if not _end(session, c, ContractState.CHECKED_OUT, day, readings, net):
                step.rollback()
                result.refused.append((c.number, "合同已被他人修改，请刷新"))
                continue
        result.done += 1
        what = f"应退 ¥{-net:,.2f}" if net < 0 else f"应收 ¥{net:,.2f}"
        result.notes.append(f"{c.number} 结算{what}（{'；'.join(lines)}）")
    return result


def _end(session, c: Contract, state: ContractState, day: date, readings: dict, net: Decimal) -> bool:
    return _conditional(session, Contract, c, ContractState.ACTIVE, state=state, checked_out_on=day,
                        power_out=readings.get("power"), water_out=readings.get("water"), settlement=net)


def settle(session: Session, c: Contract, day: date, readings: dict, deposit_back: bool = True,
           extra: tuple[tuple[str, Decimal], ...] = ()) -> tuple[Decimal, list[str]]:
    """What ending ``c`` on ``day`` comes to: (net amount, its lines). Positive: the tenant owes.

    Everything still open on the contract is folded in: scheduled fees are owed up to ``day`` by the
    contract's own billing rules, less what was paid on them; other open bills are owed as they
    stand; utilities since the last reading; ``extra`` lines (a compensation fee); a paid deposit
    goes back unless it moves on with the tenant (room change).
    """
    lines, net = [], Decimal("0.00")
    scheduled = bills.scheduled_fees(session, c)
    for key, monthly, name in scheduled:
        owed = rent_until(c.start_date, day, monthly, c.cycle.months, c.bill_mode.value)
        paid = bills.paid_of(session, c.id, key)
        if owed != paid:
            lines.append(f"{name}{'应补' if owed > paid else '应退'} ¥{abs(owed - paid):,.2f}")
            net += owed - paid
    for name, amount in bills.close_open_bills(session, c.id, {k for k, _, _ in scheduled}):
        lines.append(f"{name}未缴 ¥{amount:,.2f}")
        net += amount
    for name, amount in [*bills.metered_lines(session, c, readings), *extra]:
        lines.append(f"{name} ¥{amount:,.2f}")
        net += amount
    deposit_paid = bills.paid_of(session, c.id, "deposit")
    if deposit_paid and deposit_back:
        lines.append(f"退押金 ¥{deposit_paid:,.2f}")
        net -= deposit_paid
    return net, lines or ["无差额"]


def _follow_on(session, p, old: Contract, source: ContractSource, **changes) -> Contract:
    """A contract that continues ``old`` (renewal, room change, sublet), billed at once."""
    fields = dict(project_id=old.project_id, room_id=old.room_id, tenant_id=old.tenant_id,
                  co_tenants=old.co_tenants, start_date=old.end_date + timedelta(days=1), end_date=old.end_date,
                  monthly_rent=old.monthly_rent, deposit=old.deposit, cycle=old.cycle, bill_mode=old.bill_mode,
                  state=ContractState.SIGNED, signed_on=date.today())
    fields.update(changes)
    new = Contract(**fields, source=source, previous_id=old.id, number=placeholder_number(), created_by=p.username)
    session.add(new)
    session.flush()
    new.number = f"HT{new.signed_on:%Y%m%d}{new.id:06d}"
    session.execute(sa.update(Contract).where(Contract.id == new.id).values(number=new.number))
    bills.generate(session, [new])
    return new


def contract_problems_terms(start: date | None, end: date | None, rent) -> dict[str, str]:
    errors = {}
    if start and end:
        if end < start:
            errors["end_date"] = "到期日不能早于起租日"
        elif end >= add_months(start, 12 * MAX_TERM_YEARS):
            errors["end_date"] = f"租期不能超过 {MAX_TERM_YEARS} 年"
    if rent is not None and not (0 < rent <= MAX_RENT):
        errors["monthly_rent"] = f"月租金须大于 0 且不超过 {MAX_RENT:,.0f} 元"
    return errors


def renew(session: Session, p: Principal, rows: list[Contract], values: dict) -> ActionResult:
    """续租: a new price and term from the day after the old end; the deposit moves over when it starts."""
    result = ActionResult()
    for c in rows:
        if c.state != ContractState.ACTIVE:
            result.refused.append((c.number, f"合同当前为{c.state.label}，只有执行中的合同可以续租"))
            continue
        if session.exec(select(Contract.id).where(Contract.previous_id == c.id, Contract.state.in_(LIVE))).first():
            result.refused.append((c.number, "该合同已有续租、换房或转租的后续合同"))
            continue
        start = c.end_date + timedelta(days=1)
        errors = contract_problems_terms(start, values["end_date"], values.get("monthly_rent"))
        if errors:
            raise ValidationFailed(errors)
        new = _follow_on(session, p, c, ContractSource.RENEWAL, end_date=values["end_date"],
                         monthly_rent=values.get("monthly_rent") or c.monthly_rent,
                         cycle=values.get("cycle") or c.cycle, bill_mode=values.get("bill_mode") or c.bill_mode,
                         deposit=Decimal("0.00"))  # the deposit already paid stays with the tenant's lease
        result.done += 1
        result.notes.append(f"续租合同 {new.number}（{start} 至 {new.end_date}）")
    return result


def hand_over_renewals(session: Session, p: Principal, today: date | None = None) -> int:
    """The daily job: a renewal starts when its predecessor has ended; the deposit paid moves over."""
    today = today or date.today()
    moved = 0
    for new in session.exec(select(Contract).where(Contract.source == ContractSource.RENEWAL,
                                                   Contract.state == ContractState.SIGNED,
                                                   Contract.start_date <= today)).all():
        old = session.get(Contract, new.previous_id)
        if old is None or old.state != ContractState.ACTIVE:
            continue
        if _conditional(session, Contract, old, ContractState.ACTIVE, state=ContractState.EXPIRED) and \
                _conditional(session, Contract, new, ContractState.SIGNED, state=ContractState.ACTIVE,
                             checked_in_on=new.start_date, power_in=old.power_in, water_in=old.water_in):
            bills.move_deposit(session, p, old, new)
            moved += 1
    return moved


def change_room(session: Session, p: Principal, rows: list[Contract], values: dict) -> ActionResult:
    """换房: the old contract closes on the day; a new one on the new room runs from the next day to the
    old end date. Unused prepaid rent carries over (the rest of it rolls to later bills), the deposit
    moves with the tenant, a compensation fee may be charged, meters split the utilities."""
    result = ActionResult()
    day, out, into = values["change_date"], _readings(values, "out"), _readings(values, "in")
    for c in rows:
        problem = _ending_problem(session, c, day, out, "换房")
        if not problem and day >= c.end_date:
            problem = f"换房日期须早于到期日 {c.end_date}"
        room = session.exec(select(Room).where(Room.project_id == c.project_id,
                                               Room.number == values["new_room"])).first()
        if not problem and room is None:
            problem = f"本项目没有房间“{values['new_room']}”"
        elif not problem and room.id == c.room_id:
            problem = "新房间与原房间相同"
        elif not problem and room.status != RoomStatus.VACANT:
            problem = f"新房间 {room.number} 当前为{room.status.label}"
        if problem:
            result.refused.append((c.number, problem))
            continue
        with session.begin_nested() as step:
            if room_status.move(session, p, room.id, {RoomStatus.VACANT}, RoomStatus.OCCUPIED, "room_change",
                                f"换入 {c.number}") is None or room_status.move(
                    session, p, c.room_id, {RoomStatus.OCCUPIED}, RoomStatus.VACANT, "room_change",
                    f"换出 {c.number}") is None:
                step.rollback()
                result.refused.append((c.number, "房间已被他人修改，请刷新"))
                continue
            fee = values.get("compensation") or Decimal("0")
            net, lines = settle(session, c, day, out, deposit_back=False,
                                extra=(("换房赔偿金", fee),) if fee else ())
            new = _follow_on(session, p, c, ContractSource.ROOM_CHANGE, room_id=room.id,
                             start_date=day + timedelta(days=1), monthly_rent=values.get("monthly_rent") or room.rent,
                             state=ContractState.ACTIVE, checked_in_on=day + timedelta(days=1),
                             power_in=into["power"], water_in=into["water"])
            if net > 0:
                bills.settlement_bill(session, c, day, net, "；".join(lines), "换房结算")
            elif net < 0:
                lines.append(f"结余 ¥{-net:,.2f} 结转至新合同")
                bills.carry_credit(session, p, new.id, -net, f"{c.number} 结余")
            bills.move_deposit(session, p, c, new)
            if not _end(session, c, ContractState.CLOSED, day, out, net):
                step.rollback()
                result.refused.append((c.number, "合同已被他人修改，请刷新"))
                continue
        result.done += 1
        result.notes.append(f"新合同 {new.number}（{room.number}）；{'；'.join(lines)}")
    return result


def sublet(session: Session, p: Principal, rows: list[Contract], values: dict) -> ActionResult:
    """转租: the old tenant leaves on the day (settled like a check-out); a new tenant's contract on the
    same room runs from the next day to the old end date and waits for its first payment and check-in."""
    result = ActionResult()
    day, out = values["sublet_date"], _readings(values, "out")
    for c in rows:
        problem = _ending_problem(session, c, day, out, "转租")
        if not problem and day >= c.end_date:
            problem = f"转租日期须早于到期日 {c.end_date}"
        company = session.exec(select(Tenant.company_id).where(Tenant.id == c.tenant_id)).one()
        tenant = session.exec(select(Tenant).where(Tenant.company_id == company,
                                                   Tenant.phone == values["tenant_phone"])).first()
        if not problem and tenant is None:
            problem = f"未找到手机号为 {values['tenant_phone']} 的租客，请先在租客管理中登记"
        elif not problem and tenant.id == c.tenant_id:
            problem = "新租客与原租客相同"
        if problem:
            result.refused.append((c.number, problem))
            continue
        with session.begin_nested() as step:
            if room_status.move(session, p, c.room_id, {RoomStatus.OCCUPIED}, RoomStatus.SIGNED, "sublet",
                                f"转租 {c.number}") is None:
                step.rollback()
                result.refused.append((c.number, "房间已被他人修改，请刷新"))
                continue
            net, lines = settle(session, c, day, out)
            bills.settlement_bill(session, c, day, net, "；".join(lines), "转租结算")
            room = session.get(Room, c.room_id)
            new = _follow_on(session, p, c, ContractSource.SUBLET, tenant_id=tenant.id, co_tenants="",
                             start_date=day + timedelta(days=1), deposit=room.deposit)
            if not _end(session, c, ContractState.CLOSED, day, out, net):
                step.rollback()
                result.refused.append((c.number, "合同已被他人修改，请刷新"))
                continue
        result.done += 1
        what = f"应退 ¥{-net:,.2f}" if net < 0 else f"应收 ¥{net:,.2f}"
        result.notes.append(f"新合同 {new.number}（{tenant.name}，待入住）；原租客结算{what}")
    return result


def read_meters(session: Session, p: Principal, rows: list[Contract], values: dict) -> ActionResult:
    """抄表: usage since the last reading becomes an unconfirmed 水电费 bill."""
    result = ActionResult()
    readings = {"power": values.get("power"), "water": values.get("water")}
    if readings["power"] is None and readings["water"] is None:
        raise ValidationFailed({"power": "请至少填写一个读数"})
    for c in rows:
        problem = bills.reading_problems(session, c, readings)
        if c.state != ContractState.ACTIVE:
            problem = f"合同当前为{c.state.label}，只有执行中的合同可以抄表"
        if problem:
            result.refused.append((c.number, problem))
            continue
        bill = bills.record_reading(session, p, c, values["read_on"], readings)
        result.done += 1
        if bill is not None:
            result.notes.append(f"{bill.title} ¥{bill.amount:,.2f}")
    return result
