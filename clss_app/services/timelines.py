"""What the status logs, payments and approvals tell of a room, a contract or a bill, as timeline events.

The callers (the admins' ``timeline`` hooks) have checked that the user may view the row; each
function reads only what belongs to that row.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, select

from clss_app.core.clock import SHANGHAI
from clss_app.core.timeline import Event
from models import (
    BadDebt,
    Bill,
    BillAdjustment,
    Contract,
    Payment,
    RoomStatus,
    RoomStatusLog,
)

# What a room status log's action code means (room_status, leasing, lease_changes write them).
MOVES = {
    "lock": "锁定",
    "unlock": "解锁",
    "reserve": "预定",
    "release": "预定释放",
    "sign": "签约",
    "check_in": "办理入住",
    "check_out": "办理退房",
    "room_change": "换房",
    "sublet": "转租",
    "void": "合同作废",
}
TONES = {
    "sign": "blue",
    "check_in": "green",
    "reserve": "amber",
    "check_out": "gray",
    "lock": "gray",
    "sublet": "amber",
}


def _move(log: RoomStatusLog) -> str:
    return f"{RoomStatus(log.from_status).label} → {RoomStatus(log.to_status).label}"


def room_events(session: Session, room_id: int, limit: int = 50) -> list[Event]:
    """A room's status changes: 空闲可租 → 待入住, who, when and why (签约 HT…, 普通锁定：保洁)."""
    logs = session.exec(
        select(RoomStatusLog).where(RoomStatusLog.room_id == room_id).order_by(RoomStatusLog.id.desc()).limit(limit)
    ).all()
    return [
        Event(
            log.at,
            log.username,
            f"{MOVES.get(log.action, log.action)}（{_move(log)}）",
            log.reason,
            TONES.get(log.action, ""),
        )
        for log in reversed(logs)
    ]


def contract_events(session: Session, c: Contract) -> list[Event]:
    """The room moves a contract made (the logs name it: 入住 HT…, 退房 HT…, 换出 HT…); its signing is its
    own creation's entry in the audit log."""
    logs = session.exec(
        select(RoomStatusLog)
        .where(RoomStatusLog.reason.like(f"% {c.number}"), RoomStatusLog.room_id.in_(_rooms_of(session, c)))
        .order_by(RoomStatusLog.id)
    ).all()
    return [
        Event(log.at, log.username, MOVES.get(log.action, log.action), f"房间{_move(log)}", TONES.get(log.action, ""))
        for log in logs
        if log.action != "sign"
    ]


def _rooms_of(session: Session, c: Contract) -> list[int]:
    """The contract's room, and the one it moved to or from by a room change (its successor's room)."""
    successors = session.exec(select(Contract.room_id).where(Contract.previous_id == c.id)).all()
    return list({c.room_id, *successors})


PAYMENTS, ADJUSTMENTS, BAD_DEBTS = "payments", "adjustments", "bad_debts"


def bill_events(session: Session, b: Bill, lists: Collection[str]) -> list[Event]:
    """A bill's confirmation, and from the ``lists`` the viewer may open: each payment or refund, each
    amount adjustment, each bad-debt request (a role that may not open 坏账审批 reads none of it here)."""
    out = []
    if b.confirmed_at is not None:
        out.append(Event(b.confirmed_at, "", "账单确认", "推送给租客", "blue"))
    payments = select(Payment).where(Payment.bill_id == b.id).order_by(Payment.id)
    for pay in session.exec(payments).all() if PAYMENTS in lists else []:
        refund = pay.amount < 0
        what = f"{'退款' if refund else '登记收款'} ¥{abs(pay.amount):,.2f}"
        why = "，".join(x for x in (pay.method.label, pay.receipt_no and f"凭证号 {pay.receipt_no}") if x)
        at = pay.created_at if pay.created_at.astimezone(SHANGHAI).date() == pay.paid_on else pay.paid_on
        out.append(Event(at, pay.recorded_by_id, what, why, "amber" if refund else "green"))
    adjustments = select(BillAdjustment).where(BillAdjustment.bill_id == b.id)
    for a in session.exec(adjustments).all() if ADJUSTMENTS in lists else []:
        out.append(
            Event(
                a.created_at,
                a.requested_by_id,
                f"申请{a.kind.label} ¥{a.amount_before:,.2f} → ¥{a.amount_after:,.2f}",
                a.reason,
                "amber",
            )
        )
        if a.decided_by_id:
            out.append(Event(a.created_at, a.decided_by_id, f"调整{a.state.label}", a.comment))
    for d in session.exec(select(BadDebt).where(BadDebt.bill_id == b.id)).all() if BAD_DEBTS in lists else []:
        out.append(Event(d.created_at, d.requested_by_id, f"申请坏账 ¥{d.amount:,.2f}", d.reason, "red"))
        out += [
            Event(d.created_at, who, f"{level}通过", "")
            for level, who in (("一级审批", d.level1_by_id), ("财务审批", d.level2_by_id))
            if who
        ]
        if d.comment:
            out.append(Event(d.created_at, d.level2_by_id or d.level1_by_id, f"坏账{d.state.label}", d.comment))
    return out
