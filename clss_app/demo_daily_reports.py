"""Demo step for 交款日报 and 系统公告: a second 财务 of the first company, 吴收费 (``cashier``), who took
payments at the counter the day before yesterday (handed in and confirmed by 孙财务) and yesterday
(waiting for 交款确认); and two notices of the Beijing branch, one to the store staff of all its
companies and one to the first company's 负责人 and 财务."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from clss_app.core import clock
from clss_app.core.results import ActionContext
from clss_app.core.rows import saved_id
from clss_app.services import daily_reports, ledger
from clss_app.services.bills import OPEN, outstanding
from clss_app.services.permissions import load_principal
from models import (
    Bill,
    Contract,
    DailyReport,
    DataScope,
    LedgerSource,
    Notice,
    NoticeState,
    Payer,
    Payment,
    PaymentMethod,
    Role,
    User,
    utcnow,
)

CASHIER = ("cashier", "吴收费")
# (days ago, method, receipt number) of each payment the cashier registered
TAKINGS = [
    (2, PaymentMethod.CASH, "XJ-0001"),
    (2, PaymentMethod.POS, "POS-0001"),
    (2, PaymentMethod.TRANSFER, "ZZ-0001"),
    (1, PaymentMethod.CASH, "XJ-0002"),
    (1, PaymentMethod.WECHAT, "WX-0001"),
]

# (title, text, the roles' flags, 发送对象, 生效 and 失效 in days from today)
NOTICES = [
    (
        "关于开展冬季消防安全检查的通知",
        "各门店请于本月20日前完成公寓消防通道、灭火器和烟感的自查，并在房态图中对需维修的房间作事务锁定。",
        ("to_store_manager", "to_store_assistant"),
        "店长、店助 · 全部企业",
        -3,
        30,
    ),
    (
        "年末账单对账安排",
        "请各企业财务于月底前完成本年度线下收款的交款确认和支付对账差异处理。",
        ("to_principal", "to_finance"),
        "负责人、财务 · 全部企业",
        -1,
        None,
    ),
]


def seed_daily_reports(ctx) -> None:
    from clss_app.demo import staff_id

    s, today = ctx.session, clock.today()
    company = ctx.ids["company"][0]
    finance = s.get_one(User, staff_id(ctx, "finance"))
    cashier = User(
        username=CASHIER[0],
        display_name=CASHIER[1],
        role=Role.FINANCE,
        phone=ctx.phone(),
        org_unit_id=company,
        data_scope=DataScope.SUBTREE,
        password_hash=finance.password_hash,
    )
    s.add(cashier)
    s.flush()
    ctx.counts["员工"] = ctx.counts.get("员工", 0) + 1
    bills = s.exec(
        select(Bill)
        .join(Contract, Contract.id == Bill.contract_id)
        .where(
            Bill.project_id.in_(ctx.projects_by_company[company]),
            Bill.state.in_(OPEN),
            Bill.payer == Payer.TENANT,
            Bill.paid == 0,
            Bill.due_date <= today - timedelta(days=3),  # money comes after the bill and the signing
            Contract.signed_on <= today - timedelta(days=3),
        )
        .order_by(Bill.due_date.desc(), Bill.id)
        .limit(len(TAKINGS))
    ).all()
    for b, (ago, method, receipt) in zip(bills, TAKINGS, strict=False):
        day = today - timedelta(days=ago)
        part = outstanding(b) if ago == 2 else (outstanding(b) / 2).quantize(Decimal("0.01"))
        posted, _ = ledger.post(
            s,
            [saved_id(b)],
            part,
            method=method,
            source=LedgerSource.REGISTRATION,
            source_ref=receipt,
            by_id=cashier.id,
            paid_on=day,
        )
        if posted:  # registered at the counter that day, not now
            s.execute(
                sa.update(Payment)
                .where(Payment.bill_id == b.id, Payment.source_ref == receipt)
                .values(created_at=ctx.at(day, 9, 16), source_ref="")
            )
    s.flush()
    daily_reports.generate(s, today - timedelta(days=2), [saved_id(cashier)])
    daily_reports.generate(s, today - timedelta(days=1), [saved_id(cashier)])
    handed = s.exec(select(DailyReport).where(DailyReport.day == today - timedelta(days=2))).all()
    daily_reports.confirm(ActionContext(s, load_principal(s, finance), list(handed)))
    ctx.counts["交款日报"] = len(s.exec(select(DailyReport.id)).all())

    branch = ctx.ids["branch"][0]
    admin = staff_id(ctx, "sysadmin")
    now = utcnow()
    for title, body, roles, audience, starts, ends in NOTICES:
        n = Notice(
            unit_id=branch,
            title=title,
            body=body,
            audience=audience,
            starts_on=today + timedelta(days=starts),
            ends_on=None if ends is None else today + timedelta(days=ends),
            state=NoticeState.PUBLISHED,
            created_by_id=admin,
            published_at=now,
        )
        for flag in roles:
            setattr(n, flag, True)
        s.add(n)
    ctx.counts["系统公告"] = len(NOTICES)
