"""账单: writing a contract's bills, confirming, collecting, refunding and writing them off.

Amounts come from ``billing``. Every change of a bill is a conditional
UPDATE on its state (and paid amount), so two clerks confirming or
collecting the same bill at once cannot both count.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import clock
from clss_app.core.money import cents
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id, table_of
from clss_app.services import outbox
from clss_app.services.billing import late_fee, month_end, schedule
from clss_app.services.permissions import Principal
from models import (
    Audience,
    Bill,
    BillKind,
    BillState,
    Channel,
    Contract,
    ContractState,
    FeeItem,
    FeeKind,
    LedgerSource,
    MasterLease,
    Meter,
    MeterReading,
    Payer,
    Payment,
    PaymentMethod,
    PriceUnit,
    PricingStandard,
    Project,
    ReadingState,
    Room,
    Utility,
    UtilityReading,
    utcnow,
)

OPEN = (BillState.CONFIRMED, BillState.PARTLY_PAID)  # owed by the tenant now
FINAL_CONTRACT = (ContractState.CHECKED_OUT, ContractState.EXPIRED)
ZERO = Decimal("0.00")


# ---------------------------------------------------------------- fees of a project


def _fees(session: Session, project_ids) -> dict[int, list[tuple[FeeItem, PricingStandard]]]:
    """Each fee item of the projects with its first pricing standard."""
    out: dict[int, list] = {pid: [] for pid in project_ids}
    seen = set()
    rows = session.exec(
        select(FeeItem, PricingStandard)
        .join(PricingStandard, PricingStandard.fee_item_id == FeeItem.id)
        .where(FeeItem.project_id.in_(list(project_ids)))
        .order_by(PricingStandard.id)
    ).all()
    for item, std in rows:
        if item.id not in seen:
            seen.add(item.id)
            out[item.project_id].append((item, std))
    return out


def _monthly(item: FeeItem, std: PricingStandard, area: Decimal | None) -> Decimal | None:
    if std.unit == PriceUnit.PER_MONTH:
        return std.unit_price
    if std.unit == PriceUnit.PER_SQM_MONTH and area is not None:
        return std.unit_price * area
    if std.unit == PriceUnit.MANUAL:  # 手工录入: the project's default amount (在线签约设置), none: not billed
        return item.default_amount
    return None


def _once(item: FeeItem, std: PricingStandard) -> Decimal | None:
    """What a one-off fee bills at signing."""
    return item.default_amount if std.unit == PriceUnit.MANUAL else std.unit_price


def scheduled_fees(session: Session, c: Contract, fees=None, area: Decimal | None = None):
    """[(fee key, monthly amount, name)]: rent and the periodic fees that follow its schedule."""
    if fees is None:
        fees = _fees(session, [c.project_id])[c.project_id]
        area = session.get_one(Room, c.room_id).area
    out = [("rent", c.monthly_rent, "租金")]
    for item, std in fees:
        monthly = _monthly(item, std, area)
        if item.kind == FeeKind.PERIODIC and monthly:
            out.append((f"fee:{item.id}", monthly, item.name))
    return out


# ---------------------------------------------------------------- generation

BILL_COLUMNS = [
    "contract_id",
    "project_id",
    "room_id",
    "tenant_id",
    "kind",
    "fee_key",
    "fee_name",
    "title",
    "period_no",
    "period_start",
    "period_end",
    "due_date",
    "amount",
    "state",
    "confirmed_at",
    "paid",
    "late_fee",
    "remark",
    "version",
    "late_fee_waived",
    "payer",
]


def payer_for(lease: MasterLease | None, kind: BillKind) -> Payer:
    """Who pays a bill: the tenant, unless a 企业包租 agreement puts that kind of fee on the company."""
    if lease is None:
        return Payer.TENANT
    company = {
        BillKind.RENT: lease.company_pays_rent,
        BillKind.DEPOSIT: lease.company_pays_deposit,
        BillKind.PERIODIC: lease.company_pays_fees,
        BillKind.ONE_OFF: lease.company_pays_fees,
        BillKind.EXTRA: lease.company_pays_fees,
        BillKind.METERED: lease.company_pays_utilities,
    }.get(kind, False)
    return Payer.COMPANY if company else Payer.TENANT


@contextmanager
def _gc_paused():
    """Building 100k+ bill tuples sets off the cyclic garbage collector again and again (it measured
    as half the time of the whole generation); nothing built here forms cycles, so it may wait."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def generate(session: Session, contracts: list[Contract]) -> int:
    """Write every bill of the contracts' whole terms; the first ones are confirmed at signing.

    Idempotent: a bill that exists (same contract, fee and period) is left as it is, by the
    schema's unique key, so running it twice never duplicates a bill.
    """
    if not contracts:
        return 0
    with _gc_paused():
        return _generate(session, contracts)


def _generate(session: Session, contracts: list[Contract]) -> int:
    fees = _fees(session, {c.project_id for c in contracts})
    rooms = {
        r.id: (r.number, r.area)
        for r in session.execute(
            select(Room.id, Room.number, Room.area).where(Room.id.in_({c.room_id for c in contracts}))
        )
    }
    leases = {
        m.id: m
        for m in session.exec(
            select(MasterLease).where(MasterLease.id.in_({c.master_lease_id for c in contracts if c.master_lease_id}))
        )
    }
    now = utcnow()
    rows = []
    for c in contracts:
        number, area = rooms[c.room_id]
        lease = leases.get(c.master_lease_id)
        same = (c.id, c.project_id, c.room_id, c.tenant_id)

        def bill(
            kind, key, name, no, start, end, due, amount, confirmed, payer=None, same=same, number=number, lease=lease
        ):
            rows.append(
                (
                    *same,
                    kind,
                    key,
                    name,
                    f"{number} {name} 第{no}期"[:64],
                    no,
                    start,
                    end,
                    due,
                    amount,
                    BillState.CONFIRMED if confirmed else BillState.UNCONFIRMED,
                    now if confirmed else None,
                    ZERO,
                    ZERO,
                    "",
                    1,
                    False,
                    payer or payer_for(lease, kind),
                )
            )

        for key, monthly, name in scheduled_fees(session, c, fees[c.project_id], area):
            kind = BillKind.RENT if key == "rent" else BillKind.PERIODIC
            payer = payer_for(lease, kind)
            for p in schedule(c.start_date, c.end_date, monthly, c.cycle.months, c.bill_mode.value):
                first = p.no == 1
                bill(
                    kind,
                    key,
                    name,
                    p.no,
                    p.start,
                    p.end,
                    min(c.signed_on, p.start) if first else p.start,
                    p.amount,
                    first,
                    payer,
                )
        if c.deposit:
            bill(BillKind.DEPOSIT, "deposit", "押金", 1, c.start_date, c.end_date, c.signed_on, c.deposit, True)
        for item, std in fees[c.project_id]:
            once = _once(item, std)
            if item.kind == FeeKind.ONE_OFF and once is not None:
                bill(
                    BillKind.ONE_OFF,
                    f"fee:{item.id}",
                    item.name,
                    1,
                    c.start_date,
                    c.start_date,
                    c.signed_on,
                    once,
                    True,
                )
    return db.insert_ignoring_duplicates(session, table_of(Bill), rows, BILL_COLUMNS)


# ---------------------------------------------------------------- money in


# Built once, run with each payment's values: building it each time cost more than running it (a bank's
# result file posts 10,000 payments in one reading). The caller's object is updated by hand; no ORM sync
# over every bill in the session (a batch payment of thousands would be quadratic).
_PAY = (
    sa.update(Bill)
    .where(Bill.id == sa.bindparam("b_id"), Bill.paid == sa.bindparam("b_was"), Bill.state.in_(OPEN))
    .values(paid=sa.bindparam("b_paid"), state=sa.bindparam("b_state"), version=Bill.version + 1)
    .execution_options(synchronize_session=False)
)


def _pay(session: Session, b: Bill, amount: Decimal) -> bool:
    """Add ``amount`` to the bill's paid total if nobody collected on it meanwhile."""
    paid = b.paid + amount
    owed = b.amount + b.late_fee
    state = BillState.PAID if paid >= owed else BillState.PARTLY_PAID
    done = changed(session, _PAY, {"b_id": b.id, "b_was": b.paid, "b_paid": paid, "b_state": state}) == 1
    if done:
        b.paid, b.state = paid, state
    return done


def outstanding(b: Bill) -> Decimal:
    return b.amount + b.late_fee - b.paid


def apply_credit(
    session: Session, p: Principal, contract_id: int, amount: Decimal, method: PaymentMethod, note: str
) -> Decimal:
    """Spend a credit (a reservation deposit, carried-over rent) on the contract's confirmed bills,
    earliest due first; returns what is left."""
    left = Decimal(amount)
    for b in session.exec(
        select(Bill)
        .where(Bill.contract_id == contract_id, Bill.state.in_(OPEN))
        .order_by(Bill.due_date, Bill.kind != BillKind.RENT, Bill.id)
    ).all():
        if left <= 0:
            break
        part = min(left, outstanding(b))
        if part > 0 and _pay(session, b, part):
            session.add(
                Payment(
                    bill_id=saved_id(b),
                    project_id=b.project_id,
                    amount=part,
                    method=method,
                    receipt_no=note[:32],
                    source=LedgerSource.DEPOSIT
                    if method == PaymentMethod.RESERVATION_DEPOSIT
                    else LedgerSource.CARRY_OVER,
                    source_ref=note[:64],
                    recorded_by_id=p.actor_id,
                )
            )
            left -= part
    return left


def register_payments(ctx: ActionContext) -> ActionResult:
    """收款登记 (finance): an offline payment on each chosen bill; without an amount, each bill in full."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
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
        session.add(
            Payment(
                bill_id=saved_id(b),
                project_id=b.project_id,
                amount=part,
                method=values.get("method") or PaymentMethod.TRANSFER,
                receipt_no=values.get("receipt_no") or "",
                paid_on=values.get("paid_on") or clock.today(),
                recorded_by_id=p.actor_id,
            )
        )
        result.done += 1
    return result


# ---------------------------------------------------------------- confirming


def confirm(ctx: ActionContext) -> ActionResult:
    """确认账单 (pushed to the tenant), one statement for the whole batch."""
    session, rows = ctx.session, ctx.rows
    result = ActionResult()
    ids = [b.id for b in rows if b.state == BillState.UNCONFIRMED]
    result.refused += [(b.title, f"当前为{b.state.label}") for b in rows if b.state != BillState.UNCONFIRMED]
    now = utcnow()
    for i in range(0, len(ids), 5000):
        result.done += changed(
            session,
            sa.update(Bill)
            .where(Bill.id.in_(ids[i : i + 5000]), Bill.state == BillState.UNCONFIRMED)
            .values(state=BillState.CONFIRMED, confirmed_at=now, version=Bill.version + 1),
        )
    if result.done < len(ids):
        result.refused.append((f"{len(ids) - result.done} 张", "已被他人处理，请刷新"))
    tell_confirmed(session, ids, now)
    return result


def tell_confirmed(session: Session, ids: list[int], at) -> int:
    """账单确认 is pushed to the tenant: a 站内信 for each bill of ``ids`` this confirmation moved (its
    confirmed_at is ``at``), written in the confirming transaction."""
    out: list[Any] = []
    for i in range(0, len(ids), 5000):
        out += session.execute(
            sa.select(Bill.tenant_id, Bill.project_id, Project.company_id, Bill.title, Bill.amount, Bill.due_date)
            .join(Project, Project.id == Bill.project_id)
            .where(Bill.id.in_(ids[i : i + 5000]), Bill.state == BillState.CONFIRMED, Bill.confirmed_at == at)
        ).all()
    return outbox.enqueue_many(
        session,
        [
            dict(
                company_id=company_id,
                title=f"账单已确认：{title}",
                body=f"您的账单「{title}」已确认，应缴 ¥{amount:,.2f}，请于 {due:%Y-%m-%d} 前缴纳。",
                audience=Audience.TENANT,
                channel=Channel.INBOX,
                source="账单确认",
                tenant_id=tenant_id,
                project_id=project_id,
            )
            for tenant_id, project_id, company_id, title, amount, due in out
        ],
    )


def revoke_confirmation(ctx: ActionContext) -> ActionResult:
    """撤销确认: only while nothing has been paid."""
    session, rows = ctx.session, ctx.rows
    result = ActionResult()
    for b in rows:
        if b.state != BillState.CONFIRMED or b.paid:
            result.refused.append((b.title, "已有收款，不能撤销" if b.paid else f"当前为{b.state.label}"))
        elif changed(
            session,
            sa.update(Bill)
            .where(Bill.id == b.id, Bill.state == BillState.CONFIRMED, Bill.paid == 0)
            .values(state=BillState.UNCONFIRMED, confirmed_at=None, version=Bill.version + 1),
        ):
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
    for b in session.exec(
        select(Bill).where(Bill.contract_id == contract_id, Bill.state.in_([BillState.UNCONFIRMED, *OPEN]))
    ).all():
        if b.fee_key not in scheduled and b.fee_key != "deposit" and outstanding(b) > 0:
            owed.append((b.fee_name, outstanding(b)))
        closed = (
            dict(state=BillState.REVOKED)
            if b.paid == 0
            else dict(
                state=BillState.PAID,
                amount=b.paid,
                late_fee=ZERO,
                remark=(f"退房结算：原应收 ¥{b.amount + b.late_fee:,.2f}，余额转入结算单 " + b.remark)[:255],
            )
        )
        session.execute(sa.update(Bill).where(Bill.id == b.id).values(version=Bill.version + 1, **closed))
    return owed


def paid_of(session: Session, contract_id: int, key: str) -> Decimal:
    return Decimal(
        session.execute(
            select(sa.func.coalesce(sa.func.sum(Bill.paid), 0)).where(
                Bill.contract_id == contract_id, Bill.fee_key == key
            )
        ).scalar_one()
        or 0
    )


def _meter_prices(session: Session, project_id: int) -> dict[str, PricingStandard]:
    out = {}
    for key, unit in (("power", PriceUnit.PER_KWH), ("water", PriceUnit.PER_TON)):
        std = session.exec(
            select(PricingStandard)
            .where(PricingStandard.project_id == project_id, PricingStandard.unit == unit)
            .order_by(PricingStandard.id)
        ).first()
        if std is not None:
            out[key] = std
    return out


def last_readings(session: Session, c: Contract) -> dict[str, Decimal | None]:
    """The latest reading of each meter: the last 抄表, else the check-in reading."""
    out = {"power": c.power_in, "water": c.water_in}
    for r in session.exec(
        select(MeterReading).where(MeterReading.contract_id == c.id).order_by(MeterReading.read_on, MeterReading.id)
    ).all():
        out["power"] = r.power if r.power is not None else out["power"]
        out["water"] = r.water if r.water is not None else out["water"]
    return out


def metered_lines(session: Session, c: Contract, readings: dict) -> list[tuple[str, Decimal]]:
    """Utilities used since the last reading, up to ``readings``: (text, amount) per meter with both."""
    before, prices, out = last_readings(session, c), _meter_prices(session, c.project_id), []
    for key, name in (("power", "电费"), ("water", "水费")):
        start, end, std = before[key], readings.get(key), prices.get(key)
        if start is None or end is None or std is None or end == start:
            continue
        out.append((f"{name}（{end - start} × ¥{std.unit_price}）", cents((end - start) * std.unit_price)))
    return out


def reading_problems(session: Session, c: Contract, readings: dict, day: date) -> str:
    before = last_readings(session, c)
    for key, name in (("power", "电表"), ("water", "水表")):
        if readings.get(key) is not None and before[key] is not None and readings[key] < before[key]:
            return f"{name}读数不能小于上次读数 {before[key]}"
    return metered_already(session, c, readings, day)


def metered_already(session: Session, c: Contract, readings: dict, day: date) -> str:
    """Why a contract's reading on ``day`` would bill a room's utility twice: 三表抄表 read that room's
    meter of the utility (a monthly reading with its own bill) for the month of ``day``, or billed this
    contract for a reading taken after the day the contract's reading bills from (its last 抄表, else
    its check-in)."""
    month = day.replace(day=1)
    last = session.execute(
        select(sa.func.max(MeterReading.read_on)).where(MeterReading.contract_id == c.id)
    ).scalar_one_or_none()
    since = last or c.checked_in_on or c.start_date
    for key, name in (("power", "电表"), ("water", "水表")):
        if readings.get(key) is None:
            continue
        found = session.execute(
            sa.select(Meter.code, UtilityReading.month, UtilityReading.reading, UtilityReading.read_on)
            .join(Meter, Meter.id == UtilityReading.meter_id)
            .where(
                UtilityReading.room_id == c.room_id,
                UtilityReading.state == ReadingState.VALID,
                Meter.utility == Utility(key),
                sa.or_(
                    UtilityReading.month == month,
                    UtilityReading.read_on.between(month, month_end(month)),
                    sa.and_(  # billed to this contract after the day its own reading bills from
                        UtilityReading.read_on > since,
                        UtilityReading.bill_id.in_(sa.select(Bill.id).where(Bill.contract_id == c.id)),
                    ),
                ),
            )
            .order_by(UtilityReading.month.desc())
        ).first()
        if found is not None:
            code, read_month, value, read_on = found
            return (
                f"该房间{name}（表号 {code}）{read_month:%Y-%m} 已在三表抄表中登记读数 {value}（{read_on} 抄表），"
                f"不能重复计费；请不填{name}读数，或先在三表抄表中返销该读数"
            )
    return ""


def record_reading(session: Session, p: Principal, c: Contract, day: date, readings: dict) -> Bill | None:
    """抄表: store the reading and bill the usage since the previous one (unconfirmed, due on the day)."""
    lines = metered_lines(session, c, readings)
    bill = None
    if lines:
        n = next_period(session, c, "meter")
        bill = day_bill(
            session,
            c,
            BillKind.METERED,
            "meter",
            "水电费",
            f"水电费 第{n}期",
            day,
            sum((a for _, a in lines), ZERO),
            period_no=n,
            remark="；".join(t for t, _ in lines)[:255],
            payer=payer_for(
                session.get(MasterLease, c.master_lease_id) if c.master_lease_id else None, BillKind.METERED
            ),
        )
        session.flush()
    session.add(
        MeterReading(
            contract_id=saved_id(c),
            project_id=c.project_id,
            read_on=day,
            power=readings.get("power"),
            water=readings.get("water"),
            bill_id=bill.id if bill else None,
            read_by_id=p.actor_id,
        )
    )
    return bill


def next_period(session: Session, c: Contract, fee_key: str) -> int:
    """The next number of a fee that comes one bill at a time (utilities, a fee added, a refund)."""
    last = session.execute(
        select(sa.func.coalesce(sa.func.max(Bill.period_no), 0)).where(
            Bill.contract_id == c.id, Bill.fee_key == fee_key
        )
    ).scalar_one()
    return int(last) + 1


def day_bill(
    session: Session,
    c: Contract,
    kind: BillKind,
    fee_key: str,
    fee_name: str,
    title: str,
    day: date,
    amount: Decimal,
    **more: Any,
) -> Bill:
    """A bill of ``c`` for one day (utilities read, a fee added, a settlement, a refund), titled after its room."""
    bill = Bill(
        contract_id=saved_id(c),
        project_id=c.project_id,
        room_id=c.room_id,
        tenant_id=c.tenant_id,
        kind=kind,
        fee_key=fee_key,
        fee_name=fee_name,
        title=f"{session.get_one(Room, c.room_id).number} {title}"[:64],
        period_start=day,
        period_end=day,
        due_date=day,
        amount=amount,
        **more,
    )
    session.add(bill)
    return bill


def settlement_bill(session: Session, c: Contract, day: date, net: Decimal, remark: str, name: str) -> None:
    """The one bill that ends a contract: an amount due, a refund due, or (nothing owed) settled."""
    day_bill(
        session,
        c,
        BillKind.SETTLEMENT,
        "settlement",
        name,
        name,
        day,
        abs(net),
        remark=remark[:255],
        confirmed_at=utcnow(),
        state=BillState.REFUND_DUE if net < 0 else BillState.CONFIRMED if net > 0 else BillState.PAID,
    )


def carry_credit(session: Session, p: Principal, contract_id: int, amount: Decimal, note: str) -> None:
    """Unused prepaid rent moved to a contract: it pays the confirmed bills first; what is left pays the
    next bills in order, which are confirmed as they are paid."""
    left = apply_credit(session, p, contract_id, amount, PaymentMethod.CARRY_OVER, note)
    for b in session.exec(
        select(Bill)
        .where(Bill.contract_id == contract_id, Bill.state == BillState.UNCONFIRMED)
        .order_by(Bill.due_date, Bill.kind != BillKind.RENT, Bill.id)
    ).all():
        if left <= 0:
            break
        session.execute(
            sa.update(Bill)
            .where(Bill.id == b.id, Bill.state == BillState.UNCONFIRMED)
            .values(state=BillState.CONFIRMED, confirmed_at=utcnow(), version=Bill.version + 1)
        )
        b.state = BillState.CONFIRMED
        part = min(left, outstanding(b))
        if _pay(session, b, part):
            session.add(
                Payment(
                    bill_id=saved_id(b),
                    project_id=b.project_id,
                    amount=part,
                    method=PaymentMethod.CARRY_OVER,
                    source=LedgerSource.CARRY_OVER,
                    receipt_no=note[:32],
                    recorded_by_id=p.actor_id,
                )
            )
            left -= part


def move_deposit(session: Session, p: Principal, old: Contract, new: Contract) -> Decimal:
    """The deposit paid on ``old`` moves to ``new`` (renewal, room change): the old bill gives it up,
    the new contract's deposit bill (if any) is paid with it. Returns the amount moved."""
    paid = paid_of(session, saved_id(old), "deposit")
    if paid <= 0:
        return ZERO
    target = session.exec(select(Bill).where(Bill.contract_id == new.id, Bill.fee_key == "deposit")).first()
    if target is None:  # a renewal keeps the deposit on its lease chain without a bill of its own
        session.add(
            Bill(
                contract_id=saved_id(new),
                project_id=new.project_id,
                room_id=new.room_id,
                tenant_id=new.tenant_id,
                kind=BillKind.DEPOSIT,
                fee_key="deposit",
                fee_name="押金",
                title=f"{session.get_one(Room, new.room_id).number} 押金 第1期",
                period_no=1,
                period_start=new.start_date,
                period_end=new.end_date,
                due_date=new.start_date,
                amount=paid,
                paid=paid,
                state=BillState.PAID,
                confirmed_at=utcnow(),
                remark=f"由合同 {old.number} 转入",
            )
        )
        session.flush()
        target = session.exec(select(Bill).where(Bill.contract_id == new.id, Bill.fee_key == "deposit")).one()
        session.add(
            Payment(
                bill_id=saved_id(target),
                project_id=new.project_id,
                amount=paid,
                method=PaymentMethod.CARRY_OVER,
                source=LedgerSource.CARRY_OVER,
                receipt_no=old.number,
                recorded_by_id=p.actor_id,
            )
        )
    else:
        if target.state == BillState.UNCONFIRMED:
            session.execute(
                sa.update(Bill).where(Bill.id == target.id).values(state=BillState.CONFIRMED, confirmed_at=utcnow())
            )
            target.state = BillState.CONFIRMED
        part = min(paid, outstanding(target))
        if part > 0 and _pay(session, target, part):
            session.add(
                Payment(
                    bill_id=saved_id(target),
                    project_id=new.project_id,
                    amount=part,
                    method=PaymentMethod.CARRY_OVER,
                    source=LedgerSource.CARRY_OVER,
                    receipt_no=old.number,
                    recorded_by_id=p.actor_id,
                )
            )
    # The old deposit bill gives the money up (amount and paid to 0, a negative payment on the ledger):
    # it never comes back at the old contract's own settlement, and the ledger still adds up.
    session.execute(
        sa.update(Bill)
        .where(Bill.contract_id == old.id, Bill.fee_key == "deposit")
        .values(
            amount=ZERO,
            paid=ZERO,
            state=BillState.PAID,
            version=Bill.version + 1,
            remark=f"押金 ¥{paid:,.2f} 已转入合同 {new.number}",
        )
    )
    session.add(
        Payment(
            bill_id=saved_id(
                session.exec(select(Bill).where(Bill.contract_id == old.id, Bill.fee_key == "deposit")).one()
            ),
            project_id=old.project_id,
            amount=-paid,
            method=PaymentMethod.CARRY_OVER,
            source=LedgerSource.CARRY_OVER,
            receipt_no=new.number,
            recorded_by_id=p.actor_id,
        )
    )
    return paid


# ---------------------------------------------------------------- late fees


def accrue_late_fees(session: Session, as_of: date) -> int:
    """The daily job: each open bill past due carries unpaid × daily rate × chargeable days.

    Chargeable days = days past due − the project's grace days, never below 0. Recomputed from the
    formula each day (so running it twice changes nothing), never lowered by a later partial payment,
    and never put back on a bill whose late fee was waived. Returns the bills changed.
    """
    projects = {
        pid: (grace, rate)
        for pid, grace, rate in session.execute(select(Project.id, Project.late_fee_grace_days, Project.late_fee_rate))
    }
    fee_rates = dict(
        session.execute(
            select(FeeItem.id, sa.func.min(PricingStandard.late_fee_rate))
            .join(PricingStandard, PricingStandard.fee_item_id == FeeItem.id)
            .group_by(FeeItem.id)
        ).all()
    )
    # Plain rows and one executemany: the job reads every overdue bill of every project, and ORM objects
    # would be checked against each UPDATE (quadratic at the large demo's scale).
    T = table_of(Bill)
    changes = []
    for bid, pid, key, amount, paid, fee_now, due in session.execute(
        sa.select(T.c.id, T.c.project_id, T.c.fee_key, T.c.amount, T.c.paid, T.c.late_fee, T.c.due_date).where(
            T.c.state.in_(OPEN), T.c.due_date < as_of, T.c.late_fee_waived.is_(False)
        )
    ):
        grace, rate = projects[pid]
        if key.startswith("fee:"):
            rate = fee_rates.get(int(key[4:]), rate)
        fee = late_fee(max(amount - paid, ZERO), rate, due, as_of, grace)
        if fee > fee_now:
            changes.append({"bid": bid, "old": fee_now, "new": fee})
    n = 0
    if changes:
        n = changed(
            session,
            sa.update(T)
            .where(
                T.c.id == sa.bindparam("bid"),
                T.c.late_fee == sa.bindparam("old"),
                sa.or_(*(T.c.state == s for s in OPEN)),
            )  # no IN: executemany can't expand it
            .values(late_fee=sa.bindparam("new"), version=T.c.version + 1),
            changes,
        )
    return n
