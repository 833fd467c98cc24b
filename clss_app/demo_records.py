"""Demo step for the day-to-day records of a store: 抄表记录, 账单调整, 登录日志 and the staff set-up in 操作日志."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from clss_app.core import clock
from clss_app.core.principal import Principal
from clss_app.services import bills
from models import (
    AdjustmentKind,
    AdjustmentState,
    AuditLog,
    Bill,
    BillAdjustment,
    BillKind,
    BillState,
    Contract,
    ContractState,
    LoginLog,
    LoginOutcome,
    Payment,
    Role,
    Room,
    User,
)


def seed_records(ctx) -> None:
    s, today = ctx.session, clock.today()
    users = {u.username: u for u in s.execute(sa.select(User).order_by(User.id)).scalars()}
    manager = users["manager"]
    reader = Principal(
        user_id=manager.id,
        username=manager.username,
        display_name=manager.display_name,
        role=Role.STORE_MANAGER,
        unit_id=manager.org_unit_id,
        unit_name="",
        unit_ids=None,
    )

    # 抄表: the last two active contracts of each project (not yesterday's imported rooms), read on the 25th
    # of the last two months (the usage billed through the billing service; the older bill paid).
    readings = 0
    imported = sa.select(Room.id).where(Room.import_batch_id.is_not(None))
    for pid in ctx.ids["project"]:
        latest = s.execute(
            sa.select(Contract)
            .where(
                Contract.project_id == pid,
                Contract.state == ContractState.ACTIVE,
                Contract.power_in.is_not(None),
                Contract.master_lease_id.is_(None),
                Contract.room_id.not_in(imported),
            )
            .order_by(Contract.id.desc())
            .limit(2)
        ).scalars()
        for c in latest:
            power, water = c.power_in or Decimal(0), c.water_in or Decimal(0)
            for back in (2, 1):
                first = today.replace(day=1)
                for _ in range(back):
                    first = (first - timedelta(days=1)).replace(day=1)
                day = first.replace(day=25)
                if day <= c.start_date:
                    continue
                power += Decimal(ctx.people.randint(60, 180))
                water += Decimal(ctx.people.randint(2, 8))
                bill = bills.record_reading(s, reader, c, day, {"power": power, "water": water})
                readings += 1
                if bill is not None and back == 2:
                    bill.state, bill.paid, bill.confirmed_at = BillState.PAID, bill.amount, ctx.at(day)
    s.flush()
    ctx.counts["抄表记录"] = readings

    # 账单调整 in every project (not on yesterday's imported rooms): an increase applied, a waiver
    # rejected, a decrease waiting for the principal.
    adjustments = []
    for pid in ctx.ids["project"]:
        paid = [
            s.execute(
                sa.select(Bill.id, Bill.amount, Bill.due_date)
                .where(Bill.project_id == pid, Bill.kind == kind, Bill.state == BillState.PAID)
                .where(Bill.room_id.not_in(imported))
                .order_by(Bill.id.desc())
            ).first()
            for kind in (BillKind.RENT, BillKind.PERIODIC)  # air-con cleaning added to a rent; a fee waiver refused
        ]
        open_bills = s.execute(
            sa.select(Bill.id, Bill.amount, Bill.due_date)
            .where(Bill.project_id == pid, Bill.kind == BillKind.RENT, Bill.state == BillState.UNCONFIRMED)
            .where(Bill.room_id.not_in(imported))
            .order_by(Bill.id)
        ).all()
        up, waived = paid
        if up is not None and waived is not None:
            # The increase applied before the bill was confirmed: the bill and its payment carry it.
            s.execute(sa.update(Bill).where(Bill.id == up.id).values(amount=Bill.amount + 30, paid=Bill.paid + 30))
            s.execute(sa.update(Payment).where(Payment.bill_id == up.id).values(amount=Payment.amount + 30))
            adjustments += [
                dict(
                    bill_id=up.id,
                    project_id=pid,
                    kind=AdjustmentKind.INCREASE,
                    amount_before=up.amount,
                    amount_after=up.amount + 30,
                    reason="加收空调清洗费",
                    state=AdjustmentState.APPLIED,
                    requested_by_id=users["manager"].id,
                    created_at=ctx.at(up.due_date - timedelta(days=6)),
                ),
                dict(
                    bill_id=waived.id,
                    project_id=pid,
                    kind=AdjustmentKind.WAIVE,
                    amount_before=waived.amount,
                    amount_after=Decimal("0.00"),
                    reason="租客申请免除本期物业费",
                    state=AdjustmentState.REJECTED,
                    requested_by_id=users["assistant"].id,
                    decided_by_id=users["principal"].id,
                    comment="不符合减免条件",
                    created_at=ctx.at(waived.due_date - timedelta(days=8)),
                ),
            ]
        if len(open_bills) > 4:  # not the first bills nor the latest: tests adjust those
            b = open_bills[len(open_bills) // 2]
            adjustments.append(
                dict(
                    bill_id=b.id,
                    project_id=pid,
                    kind=AdjustmentKind.DECREASE,
                    amount_before=b.amount,
                    amount_after=b.amount - 200,
                    reason="空调维修期间减免部分租金",
                    state=AdjustmentState.PENDING,
                    requested_by_id=users["manager"].id,
                    created_at=ctx.at(today - timedelta(days=1)),
                )
            )
    ctx.bulk(BillAdjustment, adjustments, "账单调整")

    # 登录日志: each demo login's mornings of the last week, and a mistyped password now and then.
    logins = []
    for u in users.values():
        for back in range(7, 0, -1):
            if ctx.people.random() < 0.3:
                continue
            when = ctx.at(today - timedelta(days=back), 8, 10)
            address = f"10.{ctx.people.randint(1, 30)}.{ctx.people.randint(0, 255)}.{ctx.people.randint(2, 254)}"
            if ctx.people.random() < 0.1:
                logins.append(
                    dict(
                        at=when - timedelta(minutes=1),
                        username=u.username,
                        user_id=u.id,
                        org_unit_id=u.org_unit_id,
                        address=address,
                        outcome=LoginOutcome.FAILED,
                        detail="密码错误",
                    )
                )
            logins.append(
                dict(
                    at=when,
                    username=u.username,
                    user_id=u.id,
                    org_unit_id=u.org_unit_id,
                    address=address,
                    outcome=LoginOutcome.SUCCESS,
                    detail="",
                )
            )
    logins.sort(key=lambda r: r["at"])
    ctx.bulk(LoginLog, logins, "登录日志")

    # 操作日志: the staff accounts, created by the system admin of their branch (the super admin made those).
    admins = {u.org_unit_id: u for u in users.values() if u.role == Role.SYSTEM_ADMIN}
    parents = dict(s.execute(sa.text("SELECT id, parent_id FROM org_unit")).all())
    top = users["super"]
    created = ctx.at(today - timedelta(days=200))
    audit: list[dict] = []
    for u in users.values():
        if u.username == "super":
            continue
        unit, actor = u.org_unit_id, None
        while unit is not None and actor is None:
            actor = admins.get(unit) if u.role != Role.SYSTEM_ADMIN else None
            unit = parents.get(unit)
        actor = actor or top
        audit.append(
            dict(
                at=created + timedelta(minutes=len(audit) * 7),
                user_id=actor.id,
                username=actor.username,
                org_unit_id=actor.org_unit_id,
                resource="users",
                row_id=u.id,
                action="create",
                summary=f"新增员工 {u.display_name}（{u.username}）",
            )
        )
    ctx.bulk(AuditLog, audit, "操作日志")
