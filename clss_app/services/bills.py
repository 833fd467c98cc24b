"""账单: writing a contract's bills, confirming, collecting, refunding and writing them off.

Amounts come from ``billing``. Every change of a bill is a conditional
UPDATE on its state (and paid amount), so two clerks confirming or
collecting the same bill at once cannot both count.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.admin.view import ActionResult
from clss_app.services.billing import cents, schedule
from clss_app.services.permissions import Principal
from models import (ApprovalState, BadDebt, Bill, BillKind, BillState, Contract, ContractState, FeeItem, FeeKind,
                    Payment, PaymentMethod, PriceUnit, PricingStandard, Role, Room, utcnow)

OPEN = (BillState.CONFIRMED, BillState.PARTLY_PAID)          # owed by the tenant now
FINAL_CONTRACT = (ContractState.CHECKED_OUT, ContractState.EXPIRED)
LEVEL1_ROLES = frozenset({Role.PRINCIPAL, Role.MULTI_STORE_MANAGER})
LEVEL2_ROLES = frozenset({Role.FINANCE})
ZERO = Decimal("0.00")


# ---------------------------------------------------------------- fees of a project

def _fees(session: Session, project_ids) -> dict[int, list[tuple[FeeItem, PricingStandard]]]:
    """Each fee item of the projects with its first pricing standard."""
    out: dict[int, list] = {pid: [] for pid in project_ids}
    seen = set()
    rows = session.exec(select(FeeItem, PricingStandard).join(PricingStandard, PricingStandard.fee_item_id == FeeItem.id)
                        .where(FeeItem.project_id.in_(list(project_ids))).order_by(PricingStandard.id)).all()
    for item, std in rows:
        if item.id not in seen:
            seen.add(item.id)
            out[item.project_id].append((item, std))
    return out


def _monthly(std: PricingStandard, area: Decimal) -> Decimal | None:
    if std.unit == PriceUnit.PER_MONTH:
        return std.unit_price
    if std.unit == PriceUnit.PER_SQM_MONTH:
        return std.unit_price * area
    return None


def scheduled_fees(session: Session, c: Contract, fees=None, area: Decimal | None = None):
    """[(fee key, monthly amount, name)]: rent and the periodic fees that follow its schedule."""
    if fees is None:
        fees = _fees(session, [c.project_id])[c.project_id]
        area = session.get(Room, c.room_id).area
    out = [("rent", c.monthly_rent, "租金")]
    for item, std in fees:
        monthly = _monthly(std, area)
        if item.kind == FeeKind.PERIODIC and monthly:
            out.append((f"fee:{item.id}", monthly, item.name))
    return out


# ---------------------------------------------------------------- generation

def generate(session: Session, contracts: list[Contract]) -> int:
    """Write every bill of the contracts' whole terms; the first ones are confirmed at signing.

    Idempotent: a bill that exists (same contract, fee and period) is left as it is, by the
    schema's unique key, so running it twice never duplicates a bill.
    """
    if not contracts:
        return 0
    fees = _fees(session, {c.project_id for c in contracts})
    rooms = {r.id: (r.number, r.area) for r in session.execute(
        select(Room.id, Room.number, Room.area).where(Room.id.in_({c.room_id for c in contracts})))}
    now = utcnow()
    rows = []
    for c in contracts:
        number, area = rooms[c.room_id]

        def bill(kind, key, name, no, start, end, due, amount, confirmed):
            rows.append(dict(contract_id=c.id, project_id=c.project_id, room_id=c.room_id, tenant_id=c.tenant_id,
                             kind=kind, fee_key=key, fee_name=name, title=f"{number} {name} 第{no}期"[:64],
                             period_no=no, period_start=start, period_end=end, due_date=due, amount=amount,
                             state=BillState.CONFIRMED if confirmed else BillState.UNCONFIRMED,
                             confirmed_at=now if confirmed else None, paid=ZERO, late_fee=ZERO, remark="",
                             version=1))

        for key, monthly, name in scheduled_fees(session, c, fees[c.project_id], area):
            kind = BillKind.RENT if key == "rent" else BillKind.PERIODIC
            for p in schedule(c.start_date, c.end_date, monthly, c.cycle.months, c.bill_mode.value):
                first = p.no == 1
                bill(kind, key, name, p.no, p.start, p.end, min(c.signed_on, p.start) if first else p.start,
                     p.amount, first)
        if c.deposit:
            bill(BillKind.DEPOSIT, "deposit", "押金", 1, c.start_date, c.end_date, c.signed_on, c.deposit, True)
        for item, std in fees[c.project_id]:
            if item.kind == FeeKind.ONE_OFF:
                bill(BillKind.ONE_OFF, f"fee:{item.id}", item.name, 1, c.start_date, c.start_date, c.signed_on,
                     std.unit_price, True)
    return db.insert_ignoring_duplicates(session, Bill.__table__, rows)


# ---------------------------------------------------------------- money in

def _pay(session: Session, b: Bill, amount: Decimal) -> bool:
    """Add ``amount`` to the bill's paid total if nobody collected on it meanwhile."""
    paid = b.paid + amount
    owed = b.amount + b.late_fee
    state = BillState.PAID if paid >= owed else BillState.PARTLY_PAID
    done = session.execute(sa.update(Bill).where(Bill.id == b.id, Bill.paid == b.paid, Bill.state.in_(OPEN))
                           .values(paid=paid, state=state, version=Bill.version + 1)).rowcount == 1
    if done:
        b.paid, b.state = paid, state
    return done


def outstanding(b: Bill) -> Decimal:
    return b.amount + b.late_fee - b.paid


def apply_credit(session: Session, p: Principal, contract_id: int, amount: Decimal, method: PaymentMethod,
                 note: str) -> Decimal:
    """Spend a credit (a reservation deposit, carried-over rent) on the contract's confirmed bills,
    earliest due first; returns what is left."""
    left = Decimal(amount)
    for b in session.exec(select(Bill).where(Bill.contract_id == contract_id, Bill.state.in_(OPEN))
                          .order_by(Bill.due_date, Bill.kind != BillKind.RENT, Bill.id)).all():
        if left <= 0:
            break
        part = min(left, outstanding(b))
        if part > 0 and _pay(session, b, part):
            session.add(Payment(bill_id=b.id, project_id=b.project_id, amount=part, method=method,
                                receipt_no=note[:32], username=p.username))
            left -= part
    return left


def register_payments(session: Session, p: Principal, rows: list[Bill], values: dict) -> ActionResult:
    """收款登记 (finance): an offline payment on each chosen bill; without an amount, each bill in full."""
    result = ActionResult()
    amount = values.get("amount")
    if amount is not None and amount <= 0:
        result.refused.append(("收款金额", "须大于 0"))
        return result
    if amount is not None and len(rows) > 1:
        result.refused.append(("收款金额", "填写金额时一次只能登记一张账单"))
        return result
    for b in rows:
        if b.state not in OPEN:
            why = "账单未确认，请先确认" if b.state == BillState.UNCONFIRMED else f"当前为{b.state.label}"
            result.refused.append((b.title, why))
            continue
        part = amount if amount is not None else outstanding(b)
        if part > outstanding(b):
            result.refused.append((b.title, f"收款金额超过未收金额 ¥{outstanding(b):,.2f}"))
            continue
        if not _pay(session, b, part):
            result.refused.append((b.title, "已被他人收款，请刷新"))
            continue
        session.add(Payment(bill_id=b.id, project_id=b.project_id, amount=part,
                            method=values.get("method") or PaymentMethod.TRANSFER,
                            receipt_no=values.get("receipt_no") or "", paid_on=values.get("paid_on") or date.today(),
                            username=p.username))
        result.done += 1
    return result


# ---------------------------------------------------------------- confirming

def confirm(session: Session, p: Principal, rows: list[Bill]) -> ActionResult:
    """确认账单 (pushed to the tenant), one statement for the whole batch."""
    result = ActionResult()
    ids = [b.id for b in rows if b.state == BillState.UNCONFIRMED]
    result.refused += [(b.title, f"当前为{b.state.label}") for b in rows if b.state != BillState.UNCONFIRMED]
    now = utcnow()
    for i in range(0, len(ids), 5000):
        result.done += session.execute(
            sa.update(Bill).where(Bill.id.in_(ids[i:i + 5000]), Bill.state == BillState.UNCONFIRMED)
            .values(state=BillState.CONFIRMED, confirmed_at=now, version=Bill.version + 1)).rowcount
    if result.done < len(ids):
        result.refused.append((f"{len(ids) - result.done} 张", "已被他人处理，请刷新"))
    return result


def revoke_confirmation(session: Session, p: Principal, rows: list[Bill]) -> ActionResult:
    """撤销确认: only while nothing has been paid."""
    result = ActionResult()
    for b in rows:
        if b.state != BillState.CONFIRMED or b.paid:
            result.refused.append((b.title, "已有收款，不能撤销" if b.paid else f"当前为{b.state.label}"))
        elif session.execute(sa.update(Bill).where(Bill.id == b.id, Bill.state == BillState.CONFIRMED,
                                                   Bill.paid == 0)
                             .values(state=BillState.UNCONFIRMED, confirmed_at=None,
                                     version=Bill.version + 1)).rowcount:
            result.done += 1
        else:
            result.refused.append((b.title, "已被他人处理，请刷新"))
    return result


# ---------------------------------------------------------------- check-out helpers

def close_open_bills(session: Session, contract_id: int, scheduled: set[str]) -> list[tuple[str, Decimal]]:
    """At check-out every open bill closes: untouched ones are revoked, partly paid ones shrink to what
    was paid. Returns (name, amount still owed) of the non-scheduled ones (their debt moves to the
    settlement; the scheduled fees are settled by the day instead). A deposit never paid is dropped."""
    owed = []
    for b in session.exec(select(Bill).where(Bill.contract_id == contract_id, Bill.state.in_(
            [BillState.UNCONFIRMED, *OPEN]))).all():
        if b.fee_key not in scheduled and b.fee_key != "deposit" and outstanding(b) > 0:
            owed.append((b.fee_name, outstanding(b)))
        closed = dict(state=BillState.REVOKED) if b.paid == 0 else \
            dict(state=BillState.PAID, amount=b.paid, late_fee=ZERO,
                 remark=(f"退房结算：原应收 ¥{b.amount + b.late_fee:,.2f}，余额转入结算单 " + b.remark)[:255])
        session.execute(sa.update(Bill).where(Bill.id == b.id).values(version=Bill.version + 1, **closed))
    return owed


def paid_of(session: Session, contract_id: int, key: str) -> Decimal:
    return Decimal(session.execute(select(sa.func.coalesce(sa.func.sum(Bill.paid), 0)).where(
        Bill.contract_id == contract_id, Bill.fee_key == key)).scalar_one() or 0)


def metered_total(session: Session, c: Contract) -> list[tuple[str, Decimal]]:
    """Utilities used between check-in and check-out: (name, amount) per meter with both readings."""
    out = []
    for used_in, used_out, unit, name in ((c.power_in, c.power_out, PriceUnit.PER_KWH, "电费"),
                                          (c.water_in, c.water_out, PriceUnit.PER_TON, "水费")):
        if used_in is None or used_out is None:
            continue
        std = session.exec(select(PricingStandard).where(PricingStandard.project_id == c.project_id,
                                                         PricingStandard.unit == unit)
                           .order_by(PricingStandard.id)).first()
        if std is not None:
            out.append((f"{name}（{used_out - used_in} × ¥{std.unit_price}）",
                        cents((used_out - used_in) * std.unit_price)))
    return out


def settlement_bill(session: Session, c: Contract, day: date, net: Decimal, remark: str) -> None:
    number = session.get(Room, c.room_id).number
    session.add(Bill(contract_id=c.id, project_id=c.project_id, room_id=c.room_id, tenant_id=c.tenant_id,
                     kind=BillKind.SETTLEMENT, fee_key="settlement", fee_name="退房结算",
                     title=f"{number} 退房结算", period_no=1, period_start=day, period_end=day, due_date=day,
                     amount=abs(net), remark=remark[:255], confirmed_at=utcnow(),
                     state=BillState.REFUND_DUE if net < 0 else BillState.CONFIRMED if net > 0 else BillState.PAID))


# ---------------------------------------------------------------- refunds

def to_offline_refund(session: Session, p: Principal, rows: list[Bill]) -> ActionResult:
    return _step(rows, session, BillState.REFUND_DUE, BillState.OFFLINE_REFUND)


def confirm_refund(session: Session, p: Principal, rows: list[Bill]) -> ActionResult:
    """Finance confirms the money went back: the bill is 已退款 and the refund is on the payment ledger."""
    result = _step(rows, session, BillState.OFFLINE_REFUND, BillState.REFUNDED)
    for b in rows:
        if b.state == BillState.REFUNDED:
            session.add(Payment(bill_id=b.id, project_id=b.project_id, amount=-b.amount,
                                method=PaymentMethod.TRANSFER, receipt_no="退款", username=p.username))
    return result


def _step(rows, session, expected: BillState, target: BillState) -> ActionResult:
    result = ActionResult()
    for b in rows:
        if b.state != expected:
            result.refused.append((b.title, f"当前为{b.state.label}"))
        elif session.execute(sa.update(Bill).where(Bill.id == b.id, Bill.state == expected)
                             .values(state=target, version=Bill.version + 1)).rowcount:
            b.state = target
            result.done += 1
        else:
            result.refused.append((b.title, "已被他人处理，请刷新"))
    return result


# ---------------------------------------------------------------- bad debt

def request_bad_debt(session: Session, p: Principal, rows: list[Bill], reason: str) -> ActionResult:
    """坏账申请 on a final bill: the contract has ended and the money cannot be settled."""
    result = ActionResult()
    for b in rows:
        contract = session.get(Contract, b.contract_id)
        if contract.state not in FINAL_CONTRACT:
            result.refused.append((b.title, "仅尾期账单（合同已退房或已到期）可申请坏账"))
        elif b.state not in (*OPEN, BillState.REFUND_DUE, BillState.OFFLINE_REFUND):
            result.refused.append((b.title, f"当前为{b.state.label}，无待结清款项"))
        elif session.exec(select(BadDebt.id).where(BadDebt.bill_id == b.id, BadDebt.state.in_(
                [ApprovalState.LEVEL1, ApprovalState.LEVEL2]))).first():
            result.refused.append((b.title, "已有审批中的坏账申请"))
        else:
            owed = outstanding(b) if b.state in OPEN else b.amount
            session.add(BadDebt(bill_id=b.id, project_id=b.project_id, amount=owed, reason=reason,
                                requested_by=p.username))
            result.done += 1
    return result


def decide_bad_debt(approve: bool):
    """One level of the two-level approval; the role decides which level it may act on."""
    def run(session: Session, p: Principal, rows: list[BadDebt], comment: str) -> ActionResult:
        result = ActionResult()
        for d in rows:
            label = f"坏账#{d.id}"
            if d.state == ApprovalState.LEVEL1 and p.role in LEVEL1_ROLES:
                target = ApprovalState.LEVEL2 if approve else ApprovalState.REJECTED
                who = dict(level1_by=p.username)
            elif d.state == ApprovalState.LEVEL2 and p.role in LEVEL2_ROLES:
                target = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
                who = dict(level2_by=p.username)
            elif d.state in (ApprovalState.LEVEL1, ApprovalState.LEVEL2):
                result.refused.append((label, f"{d.state.label}，{p.role.label}不能审批此级"))
                continue
            else:
                result.refused.append((label, f"当前为{d.state.label}"))
                continue
            if not session.execute(sa.update(BadDebt).where(BadDebt.id == d.id, BadDebt.state == d.state)
                                   .values(state=target, comment=comment[:255], version=BadDebt.version + 1,
                                           **who)).rowcount:
                result.refused.append((label, "已被他人审批，请刷新"))
                continue
            if target == ApprovalState.APPROVED:  # both levels agreed: the bill closes
                session.execute(sa.update(Bill).where(Bill.id == d.bill_id)
                                .values(state=BillState.BAD_DEBT, version=Bill.version + 1))
            result.done += 1
        return result
    return run
