"""公摊: a master meter's month shared out to the rooms under it, and 返销 of a wrong reading.

What is shared: the master's use − its room meters' use, i.e. the line loss (路耗 = master − every
sub-meter, room and common-area) plus the common-area meters' use. It is priced at the master's
pricing standard (its base price: tiers are for a room's own use) and rounded to the cent once; that
whole is split to the rooms of the master's room meters by the master's method — 按户均摊 (one part
each), 按面积 (the room's area) or 按用量 (the room's metered use this month) — by largest remainder:
each exact share cut down to the cent, then the missing cents one each to the largest remainders (ties:
building, floor, room number), so the parts add up exactly. Each room with a tenant gets a 公摊 bill
line that shows its share and basis; a vacant room's part stays with the operator (a line, no bill).

返销: a wrong reading (the latest of its meter) is reversed: its bill revoked, the month's allocation of
its master revoked with its bills, and, given the right reading, the reading taken again and the
allocation redone, all in one transaction (nothing changes if any step is refused). A bill already
paid cannot be revoked: the 返销 is refused, naming it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.money import cents
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id, table_of
from clss_app.services import meters
from clss_app.services.billing import month_end
from clss_app.services.permissions import Principal
from models import (
    Allocation,
    AllocationLine,
    AllocationState,
    Bill,
    BillState,
    Building,
    Meter,
    MeterKind,
    MeterReplacement,
    ReadingState,
    Room,
    ShareMethod,
    UtilityReading,
)

REVOCABLE = (BillState.UNCONFIRMED, BillState.CONFIRMED)


class Refused(Exception):
    """Why an allocation or a 返销 cannot be done (Chinese, shown to the user); nothing is written."""


# ---------------------------------------------------------------- the split, plain


def split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` (yuan, whole cents, ≥ 0) split by ``weights`` (≥ 0, not all 0) by largest remainder;
    ties go to the earlier weight, so the caller lists the parts in their tie order."""
    whole = int(total * 100)
    if Decimal(whole) != total * 100 or whole < 0:
        raise ValueError("total must be a non-negative amount in whole cents")
    scale = Fraction(whole) / Fraction(sum(weights, Decimal(0)))
    exact = [scale * Fraction(w) for w in weights]
    floors = [int(x) for x in exact]  # exact ≥ 0: int() is the floor
    missing = whole - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return [Decimal(c) / 100 for c in floors]


def basis_of(method: ShareMethod, area: Decimal, use: Decimal) -> Decimal:
    return Decimal(1) if method == ShareMethod.PER_ROOM else area if method == ShareMethod.BY_AREA else use


# ---------------------------------------------------------------- one master's month


@dataclass(frozen=True)
class Figures:
    """A master's month, before it is shared: the uses and the money."""

    master_use: Decimal
    rooms_use: Decimal
    common_use: Decimal
    read_on: date
    room_uses: dict[int, Decimal]  # room → its meters' use this month

    @property
    def loss(self) -> Decimal:
        return self.master_use - self.rooms_use - self.common_use

    @property
    def shared(self) -> Decimal:
        return self.loss + self.common_use


def figures(session: Session, master: Meter, month: date) -> Figures:
    """The month's uses of a master and its sub-meters; Refused if it has none or one is unread."""
    if master.kind != MeterKind.MASTER:
        raise Refused("只有总表可以公摊")
    subs = session.execute(
        sa.select(Meter.id, Meter.code, Meter.kind, Meter.room_id).where(
            Meter.parent_id == master.id, Meter.active.is_(True)
        )
    ).all()
    if not any(m.kind == MeterKind.ROOM for m in subs):
        raise Refused(f"总表 {master.code} 没有分表，不能公摊")
    read: dict[int, tuple[Decimal, date]] = {}
    for ids in meters.chunks([saved_id(master), *(m.id for m in subs)]):
        read.update(
            (mid, (use, day))
            for mid, use, day in session.execute(
                sa.select(UtilityReading.meter_id, UtilityReading.use, UtilityReading.read_on).where(
                    UtilityReading.meter_id.in_(ids),
                    UtilityReading.month == month,
                    UtilityReading.state == ReadingState.VALID,
                )
            )
        )
    missing = [code for mid, code in [(master.id, master.code), *((m.id, m.code) for m in subs)] if mid not in read]
    if missing:
        more = f" 等 {len(missing)} 块表" if len(missing) > 5 else ""
        raise Refused(f"{month:%Y-%m} 尚未抄表：{'、'.join(missing[:5])}{more}")
    room_uses: dict[int, Decimal] = defaultdict(Decimal)
    for m in subs:
        if m.kind == MeterKind.ROOM and m.room_id:
            room_uses[m.room_id] += read[m.id][0]
    return Figures(
        master_use=read[saved_id(master)][0],
        rooms_use=sum((read[m.id][0] for m in subs if m.kind == MeterKind.ROOM), Decimal(0)),
        common_use=sum((read[m.id][0] for m in subs if m.kind == MeterKind.COMMON), Decimal(0)),
        read_on=read[saved_id(master)][1],
        room_uses=dict(room_uses),
    )


def allocate(session: Session, p: Principal, master: Meter, month: date) -> Allocation:
    """公摊 of ``master`` for ``month``: the allocation, its lines and the tenants' bills, written."""
    if session.exec(
        select(Allocation.id).where(
            Allocation.master_id == master.id, Allocation.month == month, Allocation.state == AllocationState.DONE
        )
    ).first():
        raise Refused(f"总表 {master.code} {month:%Y-%m} 已公摊；如需重算请返销有误的读数")
    if master.share_method is None or master.pricing_id is None:
        raise Refused(f"总表 {master.code} 须先设置公摊方式和计费标准")
    f = figures(session, master, month)
    if f.loss < 0:
        raise Refused(f"总表 {master.code} 用量 {f.master_use} 小于分表与公共表用量之和，路耗为负，请核对读数")
    method = master.share_method
    price = meters.prices(session, [master.pricing_id])[master.pricing_id]
    amount = cents(f.shared * price.std.unit_price)
    rooms = session.execute(
        sa.select(Room.id, Room.number, Room.area)
        .join(Building, Building.id == Room.building_id)
        .where(Room.id.in_(list(f.room_uses)))
        .order_by(Building.name, Room.floor_no, Room.number)  # the tie order of the largest remainder
    ).all()
    bases = [basis_of(method, area, f.room_uses[rid]) for rid, _, area in rooms]
    total_basis = sum(bases, Decimal(0))
    if total_basis <= 0:
        raise Refused(f"总表 {master.code} 的分摊基数合计为 0（{method.label}），不能公摊")
    parts = split(amount, bases)
    unit = meters.WORD_OF[master.utility]
    alloc = Allocation(
        master_id=saved_id(master),
        project_id=master.project_id,
        month=month,
        method=method,
        master_use=f.master_use,
        rooms_use=f.rooms_use,
        common_use=f.common_use,
        loss=f.loss,
        shared_use=f.shared,
        unit_price=price.std.unit_price,
        amount=amount,
        room_count=len(rooms),
        note=f"路耗 {f.loss} + 公共表 {f.common_use} = {f.shared} {unit} × ¥{price.std.unit_price}"[:255],
        created_by_id=p.actor_id,
    )
    session.add(alloc)
    session.flush()
    tenants = meters.tenancies(session, [rid for rid, _, _ in rooms], f.read_on)
    key = f"share:{price.item.id}"
    periods = meters.next_periods(session, {(t.contract_id, key) for t in tenants.values()})
    name = f"公摊{price.item.name}"[:32]
    basis_word = {ShareMethod.PER_ROOM: "1 户", ShareMethod.BY_AREA: "㎡", ShareMethod.BY_USE: unit}[method]
    lines: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    billed_of: list[int] = []
    for (rid, number, _), basis, part in zip(rooms, bases, parts, strict=True):
        share = basis / total_basis
        shown = "1 户" if method == ShareMethod.PER_ROOM else f"{basis} {basis_word}"
        text = (
            f"{month:%Y-%m} 总表 {master.code} {method.label}：{shown} / {total_basis} = {share:.4%}，"
            f"分摊 {cents(f.shared * share)} {unit}，¥{part}（{alloc.note}，合计 ¥{amount}）"
        )
        t = tenants.get(rid)
        if t is not None and part > 0:
            periods[(t.contract_id, key)] += 1
            billed_of.append(len(lines))
            bills.append(
                dict(
                    contract_id=t.contract_id,
                    project_id=master.project_id,
                    room_id=rid,
                    tenant_id=t.tenant_id,
                    fee_key=key,
                    fee_name=name,
                    title=f"{number} {name} {month:%Y-%m}"[:64],
                    period_no=periods[(t.contract_id, key)],
                    period_start=max(month, t.start),
                    period_end=month_end(month),
                    due_date=clock.today(),
                    amount=part,
                    remark=text[:255],
                    payer=t.payer,
                )
            )
        lines.append(
            dict(
                allocation_id=alloc.id,
                project_id=master.project_id,
                room_id=rid,
                basis=basis,
                share=round(share, 6),
                quantity=cents(f.shared * share),
                amount=part,
                bill_id=None,
                note=("" if t is not None else "房间无执行中合同，由企业承担")[:255],
            )
        )
    for i, bill_id in zip(billed_of, meters.insert_bills(session, bills), strict=True):
        lines[i]["bill_id"] = bill_id
    session.execute(sa.insert(table_of(AllocationLine)), lines)
    return alloc


def allocate_month(ctx: ActionContext[Meter]) -> ActionResult:
    """公摊计算 (the action on master meters): each chosen master's month, each alone (a refusal of one
    leaves the others done)."""
    result = ActionResult()
    month = ctx.values.get("month")
    if month is None:
        raise ValidationFailed({"month": "请选择月份"})
    if month > clock.today():
        raise ValidationFailed({"month": "不能为将来的月份"})
    for m in ctx.rows:
        try:
            with ctx.session.begin_nested():
                alloc = allocate(ctx.session, ctx.principal, m, month)
        except Refused as exc:
            result.refused.append((m.code, str(exc)))
            continue
        result.done += 1
        result.notes.append(f"{m.code} ¥{alloc.amount:,.2f}（{alloc.room_count} 户）")
    return result


# ---------------------------------------------------------------- 返销


def revoke_bills(session: Session, ids: Sequence[int]) -> None:
    """The bills revoked, each only if nothing is paid on it (else Refused, naming the first)."""
    ids = [i for i in ids if i]
    if not ids:
        return
    paid = session.exec(
        select(Bill).where(Bill.id.in_(ids), sa.or_(Bill.paid != 0, Bill.state.not_in(REVOCABLE)))
    ).first()
    if paid is not None:
        raise Refused(f"账单 {paid.title} {paid.state.label}，不能返销；请先退款或撤销收款")
    n = changed(
        session,
        sa.update(Bill)
        .where(Bill.id.in_(ids), Bill.paid == 0, Bill.state.in_(REVOCABLE))
        .values(state=BillState.REVOKED, version=Bill.version + 1),
    )
    if n != len(ids):
        raise Refused("账单已被他人处理，请刷新后重试")


def withdraw(session: Session, alloc: Allocation) -> None:
    """An allocation undone: its bills revoked, its state 已返销 (conditional on its version)."""
    revoke_bills(
        session,
        [b for b in session.exec(select(AllocationLine.bill_id).where(AllocationLine.allocation_id == alloc.id)) if b],
    )
    if not changed(
        session,
        sa.update(Allocation)
        .where(Allocation.id == alloc.id, Allocation.state == AllocationState.DONE, Allocation.version == alloc.version)
        .values(state=AllocationState.REVERSED, version=Allocation.version + 1),
    ):
        raise Refused("公摊已被他人处理，请刷新后重试")


def reverse(
    session: Session, p: Principal, reading: UtilityReading, reason: str, corrected: Decimal | None
) -> tuple[UtilityReading | None, Allocation | None, bool]:
    """返销 one reading: (the reading taken again, the allocation redone, whether an allocation was undone)."""
    if reading.state != ReadingState.VALID:
        raise Refused("读数已返销")
    later = session.exec(
        select(UtilityReading.id).where(
            UtilityReading.meter_id == reading.meter_id,
            UtilityReading.state == ReadingState.VALID,
            UtilityReading.month > reading.month,
        )
    ).first()
    if later:
        raise Refused("只能返销该表最近一个月的读数，请先返销之后月份的读数")
    meter = session.get_one(Meter, reading.meter_id)
    master_id = meter.id if meter.kind == MeterKind.MASTER else meter.parent_id
    alloc = (
        session.exec(
            select(Allocation).where(
                Allocation.master_id == master_id,
                Allocation.month == reading.month,
                Allocation.state == AllocationState.DONE,
            )
        ).first()
        if master_id
        else None
    )
    if reading.bill_id:
        revoke_bills(session, [reading.bill_id])
    if alloc is not None:
        withdraw(session, alloc)
    if not changed(
        session,
        sa.update(UtilityReading)
        .where(
            UtilityReading.id == reading.id,
            UtilityReading.state == ReadingState.VALID,
            UtilityReading.version == reading.version,
        )
        .values(state=ReadingState.REVERSED, reversed_reason=reason[:255], version=UtilityReading.version + 1),
    ):
        raise Refused("读数已被他人处理，请刷新后重试")
    session.execute(
        sa.update(MeterReplacement).where(MeterReplacement.reading_id == reading.id).values(state=ReadingState.REVERSED)
    )
    again, redone = None, None
    if corrected is not None:
        entry = meters.Entry(
            saved_id(meter), corrected, meter.code, reading.replaced, reading.old_final, reading.new_initial
        )
        out = meters.record(session, p, reading.month, reading.read_on, [entry])
        if out.refused:
            raise Refused(out.refused[0][1])
        again = session.get_one(UtilityReading, out.reading_ids[0])
        if alloc is not None:
            redone = allocate(session, p, session.get_one(Meter, alloc.master_id), reading.month)
    return again, redone, alloc is not None


def reverse_readings(ctx: ActionContext[UtilityReading]) -> ActionResult:
    """返销 (the action on readings): each reading in a transaction of its own (a savepoint)."""
    result = ActionResult()
    corrected = ctx.values.get("reading")
    if corrected is not None and len(ctx.rows) > 1:
        raise ValidationFailed({"reading": "填写正确读数时一次只能返销一条读数"})
    for r in ctx.rows:
        label = f"{ctx.session.get_one(Meter, r.meter_id).code} {r.month:%Y-%m}"
        try:
            with ctx.session.begin_nested():
                again, redone, undone = reverse(ctx.session, ctx.principal, r, ctx.text, corrected)
        except Refused as exc:
            result.refused.append((label, str(exc)))
            continue
        result.done += 1
        if again is not None:
            result.notes.append(f"{label} 已按 {again.reading} 重新抄表，用量 {again.use}")
        if redone is not None:
            result.notes.append(f"公摊已重算 ¥{redone.amount:,.2f}")
        elif undone:
            result.notes.append("该月公摊已撤销，补录读数后请重新公摊")
    return result
