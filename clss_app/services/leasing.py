"""租务 flows: appointment → reservation → contract → check-in (what follows: ``lease_changes``).

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
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import bills, insurance, ledger, outbox, params, room_status
from clss_app.services.billing import add_months
from clss_app.services.permissions import Principal
from models import (
    Appointment,
    AppointmentState,
    BalanceKind,
    Bill,
    BillState,
    Contract,
    ContractSource,
    ContractState,
    DepositDecision,
    DepositState,
    PaymentMethod,
    PayOrder,
    PayOrderBill,
    PayOrderState,
    Project,
    Reservation,
    ReservationState,
    Room,
    RoomStatus,
)

MAX_TERM_YEARS = 20  # 民法典: a lease may not run longer
MAX_HOLD_DAYS = 30  # how long a reservation may hold a room
MAX_RENT = Decimal("1000000")


def _conditional(session: Session, model: Any, row: Any, expected_state: Any, **changes: Any) -> bool:
    """Change ``row`` (of ``model``: any table with id, state and version) only if it still has the state
    and version it was read with."""
    return (
        changed(
            session,
            sa.update(model)
            .where(model.id == row.id, model.state == expected_state, model.version == row.version)
            .values(version=model.version + 1, **changes),
        )
        == 1
    )


LIVE = (ContractState.SIGNED, ContractState.ACTIVE)


# ---------------------------------------------------------------- appointments


def appointment_step(target: AppointmentState):
    def step(ctx: ActionContext) -> ActionResult:
        session, rows = ctx.session, ctx.rows
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
    today = today or clock.today()
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
    if (
        room_status.move(
            session, p, r.room_id, {RoomStatus.VACANT}, RoomStatus.RESERVED, "reserve", f"预定至 {r.hold_until}"
        )
        is None
    ):
        raise ValidationFailed({"room_id": "该房间刚被他人预定、签约或锁定，请换一间"})
    if r.appointment_id:
        session.execute(
            sa.update(Appointment)
            .where(Appointment.id == r.appointment_id)
            .values(state=AppointmentState.CONVERTED, version=Appointment.version + 1)
        )


def _release(session, p, r: Reservation, target: ReservationState, reason: str) -> bool:
    if not _conditional(session, Reservation, r, ReservationState.ACTIVE, state=target):
        return False
    room_status.move(session, p, r.room_id, {RoomStatus.RESERVED}, RoomStatus.VACANT, "release", reason)
    return True


def cancel_reservations(ctx: ActionContext) -> ActionResult:
    """取消预定: the room is free again, and the 定金 is given back (a refund for finance) or kept."""
    session, p, rows, reason = ctx.session, ctx.principal, ctx.rows, ctx.text
    decision = ctx.values.get("deposit_decision")
    result = ActionResult()
    for r in rows:
        if r.state != ReservationState.ACTIVE:
            result.refused.append((f"预定#{r.id}", f"当前为{r.state.label}"))
        elif r.deposit > 0 and decision not in (DepositDecision.REFUND, DepositDecision.FORFEIT):
            result.refused.append(("定金处理", "请选择退还定金或没收定金"))
        elif _release(session, p, r, ReservationState.CANCELLED, f"取消预定：{reason}"):
            if r.deposit > 0 and decision is not None:
                _decide_deposit(session, p, r, DepositDecision(decision), reason)
            result.done += 1
        else:
            result.refused.append((f"预定#{r.id}", "已被他人处理，请刷新"))
    return result


def _decide_deposit(session: Session, p: Principal, r: Reservation, decision: DepositDecision, reason: str) -> bool:
    target = DepositState.REFUND_DUE if decision == DepositDecision.REFUND else DepositState.FORFEITED
    return (
        changed(
            session,
            sa.update(Reservation)
            .where(Reservation.id == r.id, Reservation.deposit_state == DepositState.HELD)
            .values(
                deposit_state=target,
                deposit_reason=reason[:255],
                deposit_by_id=p.actor_id,
                version=Reservation.version + 1,
            ),
        )
        == 1
    )


def settle_deposits(ctx: ActionContext) -> ActionResult:
    """处理定金 of a reservation that lapsed (or was cancelled before this was asked): give it back or keep it."""
    decision = ctx.values.get("deposit_decision")
    result = ActionResult()
    if decision not in (DepositDecision.REFUND, DepositDecision.FORFEIT):
        result.refused.append(("定金处理", "请选择退还定金或没收定金"))
        return result
    for r in ctx.rows:
        if r.state == ReservationState.ACTIVE or r.deposit_state != DepositState.HELD:
            result.refused.append((f"预定#{r.id}", f"当前为{r.state.label}、{r.deposit_state.label}"))
        elif _decide_deposit(ctx.session, ctx.principal, r, DepositDecision(decision), ctx.text):
            result.done += 1
        else:
            result.refused.append((f"预定#{r.id}", "已被他人处理，请刷新"))
    return result


def deposits_refunded(ctx: ActionContext) -> ActionResult:
    """确认已退还 (finance): the 定金 went back to the tenant."""
    result = ActionResult()
    for r in ctx.rows:
        if changed(
            ctx.session,
            sa.update(Reservation)
            .where(Reservation.id == r.id, Reservation.deposit_state == DepositState.REFUND_DUE)
            .values(
                deposit_state=DepositState.REFUNDED,
                deposit_reason=(f"{r.deposit_reason}；{ctx.text}" if ctx.text else r.deposit_reason)[:255],
                version=Reservation.version + 1,
            ),
        ):
            result.done += 1
        else:
            result.refused.append((f"预定#{r.id}", f"当前为{r.deposit_state.label}"))
    return result


def expire_reservations(session: Session, p: Principal, today: date | None = None) -> int:
    """The daily job: reservations past their hold date expire and free their rooms."""
    today = today or clock.today()
    due = session.exec(
        select(Reservation).where(Reservation.state == ReservationState.ACTIVE, Reservation.hold_until < today)
    ).all()
    return sum(_release(session, p, r, ReservationState.EXPIRED, "预定过期") for r in due)


def convert_reservations(ctx: ActionContext) -> ActionResult:
    """预定转签约: a contract on the reserved room, the reservation's deposit applied to its first bills."""
    session, p, rows, terms = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    for r in rows:
        if r.state != ReservationState.ACTIVE:
            result.refused.append((f"预定#{r.id}", f"当前为{r.state.label}"))
            continue
        room = session.get_one(Room, r.room_id)
        values = {
            **terms,
            "room_id": r.room_id,
            "tenant_id": r.tenant_id,
            "reservation_id": r.id,
            "deposit": terms.get("deposit") if terms.get("deposit") is not None else room.deposit,
            "monthly_rent": terms.get("monthly_rent") or room.rent,
        }
        problems = contract_problems(session, values)
        if problems:
            raise ValidationFailed(problems)
        contract = Contract(
            **values,
            project_id=r.project_id,
            source=ContractSource.RESERVATION,
            number=placeholder_number(),
            created_by_id=p.actor_id,
        )
        session.add(contract)
        session.flush()
        sign(session, p, contract)
        result.done += 1
        result.notes.append(f"合同 {contract.number}")
    return result


# ---------------------------------------------------------------- contracts


def placeholder_number() -> str:
    return "tmp-" + uuid.uuid4().hex[:16]  # replaced by contract_number once the id is known


def contract_number(session: Session, c: Contract, prefix: str = "") -> str:
    """HT<date><id>: the prefix is the company's 企业参数 合同编号前缀 (HT unless it set another); a
    batch signing many contracts of a company passes it, read once (``number_prefix``)."""
    prefix = prefix or number_prefix(session, c.project_id)
    return f"{prefix}{c.signed_on:%Y%m%d}{saved_id(c):06d}"


def number_prefix(session: Session, project_id: int) -> str:
    company_id = session.exec(select(Project.company_id).where(Project.id == project_id)).one()
    return str(params.enterprise_value(session, company_id, "contract_prefix") or "HT")


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
    mode = session.get_one(Project, room.project_id).bill_mode if room is not None else None
    if mode is not None and values.get("bill_mode") not in (None, mode):
        errors["bill_mode"] = f"本项目的账单类型为“{mode.label}”（在线签约设置），同一项目的合同须采用同一种计费方式"
    return errors


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


def sign(session: Session, p: Principal, c: Contract) -> int:
    """A contract entered as signed: room → 待入住, the whole schedule billed, first bills confirmed.

    With a reservation, the reservation converts and its deposit pays the first bills.
    Returns the number of bills written.
    """
    expected = {RoomStatus.RESERVED} if c.reservation_id else {RoomStatus.VACANT}
    if room_status.move(session, p, c.room_id, expected, RoomStatus.SIGNED, "sign", f"签约 {c.number}") is None:
        raise ValidationFailed({"room_id": "该房间刚被他人预定、签约或锁定，请换一间"})
    if c.number.startswith("tmp-"):
        c.number = contract_number(session, c)
        session.execute(sa.update(Contract).where(Contract.id == c.id).values(number=c.number))
    written = bills.generate(session, [c])
    if c.reservation_id:
        r = session.get_one(Reservation, c.reservation_id)
        if not _conditional(
            session,
            Reservation,
            r,
            ReservationState.ACTIVE,
            state=ReservationState.CONVERTED,
            deposit_state=DepositState.APPLIED,
        ):
            raise ValidationFailed({"reservation_id": "该预定刚被他人处理，请刷新"})
        left = bills.apply_credit(
            session, p, saved_id(c), r.deposit, PaymentMethod.RESERVATION_DEPOSIT, f"预定#{r.id} 定金"
        )
        if left > 0:  # a deposit larger than the first bills: the rest is the tenant's, on their balance
            ledger.to_balance(
                session,
                company_id=session.get_one(Project, c.project_id).company_id,
                tenant_id=c.tenant_id,
                contract_id=c.id,
                amount=left,
                kind=BalanceKind.OVERPAID,
                source_ref=f"预定#{r.id} 定金",
                by_id=p.actor_id,
            )
    return written


def review(approve: bool):
    """在线签约审核: an approved online contract is signed like one entered here; a rejected one is void."""

    def run(ctx: ActionContext) -> ActionResult:
        session, p, rows = ctx.session, ctx.principal, ctx.rows
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
                    session.execute(
                        sa.update(Contract).where(Contract.id == c.id).values(state=ContractState.PENDING_REVIEW)
                    )
                    result.refused.append((c.number, str(exc)))
                    continue
            outbox.to_tenant(
                session,
                c.tenant_id,
                c.project_id,
                f"在线签约{'审核通过' if approve else '未通过审核'}：{c.number}",
                f"您的在线签约合同 {c.number} 已审核通过，请按约定缴纳首期款并办理入住。"
                if approve
                else f"您的在线签约合同 {c.number} 未通过审核，合同已作废；如有疑问请联系门店。",
                "签约审核",
            )
            result.done += 1
        return result

    return run


def first_rent_bill(session: Session, contract_id: int) -> Bill | None:
    return session.exec(
        select(Bill).where(Bill.contract_id == contract_id, Bill.fee_key == "rent", Bill.period_no == 1)
    ).first()


def check_in(ctx: ActionContext) -> ActionResult:
    """办理入住: 待执行 → 执行中 once the first rent is paid; room 待入住 → 在租; meter readings kept."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    day = values["checked_in_on"]
    for c in rows:
        if c.state != ContractState.SIGNED:
            result.refused.append((c.number, f"合同当前为{c.state.label}，只有待执行的合同可以办理入住"))
            continue
        first = first_rent_bill(session, saved_id(c))
        if first is not None and first.state != BillState.PAID:
            result.refused.append((c.number, f"首期款未缴清（应收 ¥{first.amount:,.2f}，已收 ¥{first.paid:,.2f}）"))
            continue
        if not (c.signed_on <= day <= c.end_date) and not (c.start_date <= day <= c.end_date):
            result.refused.append((c.number, f"入住日期须在签约日 {c.signed_on} 与到期日 {c.end_date} 之间"))
            continue
        with session.begin_nested() as step:
            if room_status.move(
                session, p, c.room_id, {RoomStatus.SIGNED}, RoomStatus.OCCUPIED, "check_in", f"入住 {c.number}"
            ) is None or not _conditional(
                session,
                Contract,
                c,
                ContractState.SIGNED,
                state=ContractState.ACTIVE,
                checked_in_on=day,
                power_in=values.get("power_in"),
                water_in=values.get("water_in"),
            ):
                step.rollback()
                result.refused.append((c.number, "房间或合同已被他人修改，请刷新"))
                continue
        if insurance.gift_on_check_in(session, c, day) is not None:
            result.notes.append(f"{c.number} 已赠送保险")
        result.done += 1
    return result


def void_contracts(ctx: ActionContext) -> ActionResult:
    """作废 (负责人): a contract signed but not begun, with nothing paid on it: its bills are revoked and its
    room is free again. The reason is kept on the contract."""
    session, p = ctx.session, ctx.principal
    result = ActionResult()
    for c in ctx.rows:
        paid = session.execute(select(sa.func.count()).where(Bill.contract_id == c.id, Bill.paid != 0)).scalar_one()
        waiting = session.execute(
            select(sa.func.count())
            .select_from(PayOrderBill)
            .join(PayOrder, PayOrder.id == PayOrderBill.order_id)
            .join(Bill, Bill.id == PayOrderBill.bill_id)
            .where(Bill.contract_id == c.id, PayOrder.state == PayOrderState.PENDING)
        ).scalar_one()
        if c.state != ContractState.SIGNED:
            result.refused.append((c.number, f"当前为{c.state.label}，只有待执行的合同可以作废"))
        elif paid:
            result.refused.append((c.number, "已有收款，不能作废（请办理退房或退款）"))
        elif waiting:
            result.refused.append((c.number, "有待支付的收款码，请先在支付订单中关闭"))
        else:
            with session.begin_nested() as step:
                if not _conditional(
                    session, Contract, c, ContractState.SIGNED, state=ContractState.VOID, void_reason=ctx.text[:255]
                ):
                    step.rollback()
                    result.refused.append((c.number, "已被他人处理，请刷新"))
                    continue
                session.execute(
                    sa.update(Bill)
                    .where(Bill.contract_id == c.id, Bill.paid == 0)
                    .values(state=BillState.REVOKED, version=Bill.version + 1)
                )
                if (
                    room_status.move(
                        session, p, c.room_id, {RoomStatus.SIGNED}, RoomStatus.VACANT, "void", f"合同作废 {c.number}"
                    )
                    is None
                ):
                    step.rollback()
                    result.refused.append((c.number, "房间已被他人修改，请刷新"))
                    continue
            result.done += 1
    return result
