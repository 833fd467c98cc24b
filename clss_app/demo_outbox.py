"""Demo step for the outbox: what the demo's 消息通知 already sent reached its tenants (their 站内信 and
SMS, as delivered at the time it was sent), and the 坏账 and 调账 waiting for approval are in their
approvers' bells, unread. Written with the outbox's own target resolution (services/outbox.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from clss_app.core.rows import saved_id, table_of
from clss_app.services import bill_approvals, outbox
from models import (
    AdjustmentState,
    ApprovalState,
    BadDebt,
    Bill,
    BillAdjustment,
    Channel,
    MessageState,
    Notification,
    NotificationMessage,
    NotificationState,
)


def _deliver(ctx, n: Notification) -> int:
    """n's recipients as the worker would have written them when n was sent."""
    s = ctx.session
    at = n.scheduled_at
    rows = [
        {
            "notification_id": saved_id(n),
            "channel": n.channel,
            "state": MessageState.SENT,
            "sent_at": at,
            "fail_reason": "",
            "provider_ref": f"DEMO{saved_id(n):06d}{k:05d}" if n.channel == Channel.SMS else "",
            "created_at": at,
            **r,
        }
        for k, r in enumerate(outbox.recipients(s, n))
        if n.channel != Channel.SMS or r["phone"]
    ]
    if rows:
        s.execute(sa.insert(table_of(NotificationMessage)), rows)
    s.execute(
        sa.update(Notification)
        .where(Notification.id == n.id)
        .values(recipients=len(rows), attempts=1, sent_at=at, source="人工")
    )
    return len(rows)


def seed_outbox(ctx) -> None:
    s = ctx.session
    delivered = 0
    for n in s.exec(select(Notification).where(Notification.state == NotificationState.SENT)).all():
        delivered += _deliver(ctx, n)
    waiting = []
    for debt in s.exec(select(BadDebt).where(BadDebt.state == ApprovalState.LEVEL1)).all():
        bill = s.get_one(Bill, debt.bill_id)
        waiting.append((bill_approvals.LEVEL1_ROLES, bill, f"坏账待一级审批：{bill.title}", f"¥{debt.amount:,.2f}"))
    for adj in s.exec(select(BillAdjustment).where(BillAdjustment.state == AdjustmentState.PENDING)).all():
        bill = s.get_one(Bill, adj.bill_id)
        what = f"{adj.kind.label} ¥{adj.amount_before:,.2f} → ¥{adj.amount_after:,.2f}"
        waiting.append((bill_approvals.ADJUST_APPROVERS, bill, f"调账待审批：{bill.title}", what))
    for roles, bill, title, what in waiting:
        outbox.to_roles(s, roles, bill.project_id, title, f"{title}（{what}），请及时审批。", "审批提醒")
    s.flush()
    bells = s.exec(
        select(Notification).where(
            Notification.channel == Channel.BELL, Notification.state == NotificationState.SCHEDULED
        )
    ).all()
    for n in bells:
        delivered += _deliver(ctx, n)
        s.execute(
            sa.update(Notification)
            .where(Notification.id == n.id)
            .values(state=NotificationState.SENT, source="审批提醒")
        )
    ctx.counts["站内信与提醒"] = ctx.counts.get("站内信与提醒", 0) + delivered
