"""How a lease goes on or ends: check-out, renewal, room change, sublet, meter readings.

Every step settles the old lease by the same rule (``settle``): scheduled fees owed up to the day by
the contract's own billing rules less what was paid, open bills, utilities since the last reading,
the deposit; and moves rooms only through ``room_status.move``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import saved_id
from clss_app.services import bills, prepaid, room_status
from clss_app.services.billing import rent_until
from clss_app.services.leasing import LIVE, _conditional, contract_number, contract_problems_terms, placeholder_number
from clss_app.services.permissions import Principal
from models import Contract, ContractSource, ContractState, Room, RoomStatus, Tenant

T = TypeVar("T")


def _ending_problem(session: Session, c: Contract, day: date, readings: dict, what: str) -> str:
    if c.state != ContractState.ACTIVE:
        return f"合同当前为{c.state.label}，只有执行中的合同可以{what}"
    first = c.checked_in_on or c.start_date
    if not (first <= day <= c.end_date):
        return f"{what}日期须在入住日 {first} 与到期日 {c.end_date} 之间"
    if session.exec(select(Contract.id).where(Contract.previous_id == c.id, Contract.state.in_(LIVE))).first():
        return "该合同已有续租、换房或转租的后续合同"
    return bills.reading_problems(session, c, readings, day)


def _readings(values: dict, suffix: str) -> dict:
    return {"power": values.get(f"power_{suffix}"), "water": values.get(f"water_{suffix}")}


def check_out(ctx: ActionContext) -> ActionResult:
    """办理退房: rent up to the day, meters, deposit back → one settlement bill (due, or refund due)."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    day, readings = values["checked_out_on"], _readings(values, "out")
    for c in rows:
        problem = _ending_problem(session, c, day, readings, "退房")
        if problem:
            result.refused.append((c.number, problem))
            continue
        problem, settled = _end_lease(
            session,
            p,
            c,
            [Move(c.room_id, {RoomStatus.OCCUPIED}, RoomStatus.VACANT, "check_out", f"退房 {c.number}")],
            ContractState.CHECKED_OUT,
            day,
            readings,
            partial(_settled, session, c, day, readings, "退房结算", p),
        )
        if settled is None:
            result.refused.append((c.number, problem))
            continue
        net, lines = settled
        result.done += 1
        what = f"应退 ¥{-net:,.2f}" if net < 0 else f"应收 ¥{net:,.2f}"
        result.notes.append(f"{c.number} 结算{what}（{'；'.join(lines)}）")
    return result


class Move(NamedTuple):
    """A room a lease change moves: from one of ``expected`` to ``target`` (see ``room_status.move``)."""

    room_id: int
    expected: set[RoomStatus]
    target: RoomStatus
    action: str
    reason: str


def _end_lease(
    session: Session,
    p: Principal,
    c: Contract,
    moves: list[Move],
    end: ContractState,
    day: date,
    readings: dict[str, Decimal | None],
    work: Callable[[], tuple[Decimal, T]],
) -> tuple[str, T | None]:
    """The step check-out, room change and sublet share, all or nothing in a savepoint: move the rooms,
    ``work`` (settle, bill, a follow-on contract: returns the net settled and what the caller reports),
    then end ``c`` as ``end``. ("", what work returned), or (why not, None) when a room or the contract
    was changed by someone else meanwhile."""
    with session.begin_nested() as step:
        for m in moves:
            if room_status.move(session, p, m.room_id, m.expected, m.target, m.action, m.reason) is None:
                step.rollback()
                return "房间已被他人修改，请刷新", None
        net, out = work()
        if not _end(session, c, end, day, readings, net):
            step.rollback()
            return "合同已被他人修改，请刷新", None
    return "", out


def _settled(
    session: Session,
    c: Contract,
    day: date,
    readings: dict[str, Decimal | None],
    title: str,
    by: Principal | None = None,
) -> tuple[Decimal, tuple[Decimal, list[str]]]:
    """Settle ``c`` on ``day`` into one settlement bill titled ``title``. At a check-out (``by`` given) the
    tenant's 预收 balance is counted in, when this is their last running contract."""
    net, lines = settle(session, c, day, readings)
    left = prepaid.left_at_check_out(session, c) if by is not None else Decimal(0)
    if by is not None and left > 0:
        lines = [*(x for x in lines if x != "无差额"), f"预收余额抵扣 ¥{left:,.2f}"]
        net -= left
        prepaid.counted_at_check_out(session, c, left, by.actor_id)
    bills.settlement_bill(session, c, day, net, "；".join(lines), title)
    return net, (net, lines)


def _end(
    session: Session, c: Contract, state: ContractState, day: date, readings: dict[str, Decimal | None], net: Decimal
) -> bool:
    return _conditional(
        session,
        Contract,
        c,
        ContractState.ACTIVE,
        state=state,
        checked_out_on=day,
        power_out=readings.get("power"),
        water_out=readings.get("water"),
        settlement=net,
    )


def settle(
    session: Session,
    c: Contract,
    day: date,
    readings: dict,
    deposit_back: bool = True,
    extra: tuple[tuple[str, Decimal], ...] = (),
) -> tuple[Decimal, list[str]]:
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
        paid = bills.paid_of(session, saved_id(c), key)
        if owed != paid:
            lines.append(f"{name}{'应补' if owed > paid else '应退'} ¥{abs(owed - paid):,.2f}")
            net += owed - paid
    for name, amount in bills.close_open_bills(session, saved_id(c), {k for k, _, _ in scheduled}):
        lines.append(f"{name}未缴 ¥{amount:,.2f}")
        net += amount
    for name, amount in [*bills.metered_lines(session, c, readings), *extra]:
        lines.append(f"{name} ¥{amount:,.2f}")
        net += amount
    deposit_paid = bills.paid_of(session, saved_id(c), "deposit")
    if deposit_paid and deposit_back:
        lines.append(f"退押金 ¥{deposit_paid:,.2f}")
        net -= deposit_paid
    return net, lines or ["无差额"]


def _follow_on(session: Session, p: Principal, old: Contract, source: ContractSource, **changes: Any) -> Contract:
    """A contract that continues ``old`` (renewal, room change, sublet), billed at once."""
    fields: dict[str, Any] = dict(
        project_id=old.project_id,
        room_id=old.room_id,
        tenant_id=old.tenant_id,
        co_tenants=old.co_tenants,
        start_date=old.end_date + timedelta(days=1),
        end_date=old.end_date,
        monthly_rent=old.monthly_rent,
        deposit=old.deposit,
        cycle=old.cycle,
        bill_mode=old.bill_mode,
        state=ContractState.SIGNED,
        signed_on=clock.today(),
    )
    fields.update(changes)
    new = Contract(**fields, source=source, previous_id=old.id, number=placeholder_number(), created_by_id=p.actor_id)
    session.add(new)
    session.flush()
    new.number = contract_number(session, new)
    session.execute(sa.update(Contract).where(Contract.id == new.id).values(number=new.number))
    bills.generate(session, [new])
    return new


def renew(ctx: ActionContext) -> ActionResult:
    """续租: a new price and term from the day after the old end; the deposit moves over when it starts."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
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
        new = _follow_on(
            session,
            p,
            c,
            ContractSource.RENEWAL,
            end_date=values["end_date"],
            monthly_rent=values.get("monthly_rent") or c.monthly_rent,
            cycle=values.get("cycle") or c.cycle,
            bill_mode=values.get("bill_mode") or c.bill_mode,
            deposit=Decimal("0.00"),
        )  # the deposit already paid stays with the tenant's lease
        result.done += 1
        result.notes.append(f"续租合同 {new.number}（{start} 至 {new.end_date}）")
    return result


def hand_over_renewals(session: Session, p: Principal, today: date | None = None) -> int:
    """The daily job: a renewal starts when its predecessor has ended; the deposit paid moves over."""
    today = today or clock.today()
    moved = 0
    for new in session.exec(
        select(Contract).where(
            Contract.source == ContractSource.RENEWAL,
            Contract.state == ContractState.SIGNED,
            Contract.start_date <= today,
        )
    ).all():
        old = session.get(Contract, new.previous_id)
        if old is None or old.state != ContractState.ACTIVE:
            continue
        if _conditional(session, Contract, old, ContractState.ACTIVE, state=ContractState.EXPIRED) and _conditional(
            session,
            Contract,
            new,
            ContractState.SIGNED,
            state=ContractState.ACTIVE,
            checked_in_on=new.start_date,
            power_in=old.power_in,
            water_in=old.water_in,
        ):
            bills.move_deposit(session, p, old, new)
            moved += 1
    return moved


def change_room(ctx: ActionContext) -> ActionResult:
    """换房: the old contract closes on the day; a new one on the new room runs from the next day to the
    old end date. Unused prepaid rent carries over (the rest of it rolls to later bills), the deposit
    moves with the tenant, a compensation fee may be charged, meters split the utilities."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    day, out, into = values["change_date"], _readings(values, "out"), _readings(values, "in")
    for c in rows:
        problem = _ending_problem(session, c, day, out, "换房")
        if not problem and day >= c.end_date:
            problem = f"换房日期须早于到期日 {c.end_date}"
        room = session.exec(
            select(Room).where(Room.project_id == c.project_id, Room.number == values["new_room"])
        ).first()
        if room is None:
            problem = problem or f"本项目没有房间“{values['new_room']}”"
        elif room.id == c.room_id:
            problem = problem or "新房间与原房间相同"
        elif room.status != RoomStatus.VACANT:
            problem = problem or f"新房间 {room.number} 当前为{room.status.label}"
        if problem or room is None:
            result.refused.append((c.number, problem))
            continue
        moves = [
            Move(saved_id(room), {RoomStatus.VACANT}, RoomStatus.OCCUPIED, "room_change", f"换入 {c.number}"),
            Move(c.room_id, {RoomStatus.OCCUPIED}, RoomStatus.VACANT, "room_change", f"换出 {c.number}"),
        ]
        work = partial(_moved_over, session, p, c, room, day, out, into, values)
        problem, moved = _end_lease(session, p, c, moves, ContractState.CLOSED, day, out, work)
        if moved is None:
            result.refused.append((c.number, problem))
            continue
        new, lines = moved
        result.done += 1
        result.notes.append(f"新合同 {new.number}（{room.number}）；{'；'.join(lines)}")
    return result


def _moved_over(
    session: Session,
    p: Principal,
    c: Contract,
    room: Room,
    day: date,
    out: dict[str, Decimal | None],
    into: dict[str, Decimal | None],
    values: dict[str, Any],
) -> tuple[Decimal, tuple[Contract, list[str]]]:
    """换房's settlement: the new contract on ``room``; a balance due is billed, a credit carried over."""
    fee = values.get("compensation") or Decimal("0")
    net, lines = settle(session, c, day, out, deposit_back=False, extra=(("换房赔偿金", fee),) if fee else ())
    new = _follow_on(
        session,
        p,
        c,
        ContractSource.ROOM_CHANGE,
        room_id=room.id,
        start_date=day + timedelta(days=1),
        monthly_rent=values.get("monthly_rent") or room.rent,
        state=ContractState.ACTIVE,
        checked_in_on=day + timedelta(days=1),
        power_in=into["power"],
        water_in=into["water"],
    )
    if net > 0:
        bills.settlement_bill(session, c, day, net, "；".join(lines), "换房结算")
    elif net < 0:
        lines.append(f"结余 ¥{-net:,.2f} 结转至新合同")
        bills.carry_credit(session, p, saved_id(new), -net, f"{c.number} 结余")
    bills.move_deposit(session, p, c, new)
    return net, (new, lines)


def sublet(ctx: ActionContext) -> ActionResult:
    """转租: the old tenant leaves on the day (settled like a check-out); a new tenant's contract on the
    same room runs from the next day to the old end date and waits for its first payment and check-in."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    day, out = values["sublet_date"], _readings(values, "out")
    for c in rows:
        problem = _ending_problem(session, c, day, out, "转租")
        if not problem and day >= c.end_date:
            problem = f"转租日期须早于到期日 {c.end_date}"
        company = session.exec(select(Tenant.company_id).where(Tenant.id == c.tenant_id)).one()
        tenant = session.exec(
            select(Tenant).where(Tenant.company_id == company, Tenant.phone == values["tenant_phone"])
        ).first()
        if tenant is None:
            problem = problem or f"未找到手机号为 {values['tenant_phone']} 的租客，请先在租客管理中登记"
        elif tenant.id == c.tenant_id:
            problem = problem or "新租客与原租客相同"
        if problem or tenant is None:
            result.refused.append((c.number, problem))
            continue
        moves = [Move(c.room_id, {RoomStatus.OCCUPIED}, RoomStatus.SIGNED, "sublet", f"转租 {c.number}")]
        work = partial(_handed_over, session, p, c, tenant, day, out)
        problem, handed = _end_lease(session, p, c, moves, ContractState.CLOSED, day, out, work)
        if handed is None:
            result.refused.append((c.number, problem))
            continue
        new, net = handed
        result.done += 1
        what = f"应退 ¥{-net:,.2f}" if net < 0 else f"应收 ¥{net:,.2f}"
        result.notes.append(f"新合同 {new.number}（{tenant.name}，待入住）；原租客结算{what}")
    return result


def _handed_over(
    session: Session, p: Principal, c: Contract, tenant: Tenant, day: date, out: dict[str, Decimal | None]
) -> tuple[Decimal, tuple[Contract, Decimal]]:
    """转租's settlement: the old tenant settled like a check-out, the new tenant's contract waiting."""
    net, _ = _settled(session, c, day, out, "转租结算")
    room = session.get_one(Room, c.room_id)
    new = _follow_on(
        session,
        p,
        c,
        ContractSource.SUBLET,
        tenant_id=saved_id(tenant),
        co_tenants="",
        start_date=day + timedelta(days=1),
        deposit=room.deposit,
    )
    return net, (new, net)


def read_meters(ctx: ActionContext) -> ActionResult:
    """抄表: usage since the last reading becomes an unconfirmed 水电费 bill."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    readings = {"power": values.get("power"), "water": values.get("water")}
    if readings["power"] is None and readings["water"] is None:
        raise ValidationFailed({"power": "请至少填写一个读数"})
    for c in rows:
        problem = bills.reading_problems(session, c, readings, values["read_on"])
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
