"""Room status (房态) changes: the one place that moves a room from one status to another.

Locking and unlocking now; reservation, signing, check-in and check-out use
``transition`` later. Every change is one conditional UPDATE per batch: a
room changes only if it still has the status *and the version* the user saw,
so two people locking overlapping rooms each get the ones they won, and a
stale board can never unlock a room someone else has locked again since.
Each change writes the room's status history and the audit log in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit
from clss_app.services.permissions import NOT_FOUND, VIEW, Forbidden, Principal, require, scope_clause
from models import LockKind, Room, RoomStatus, RoomStatusLog, utcnow

RESOURCE = "workbench"
LOCK, UNLOCK = "lock", "unlock"
MAX_BATCH = 5_000
MAX_REASON = 100


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)  # room numbers changed
    refused: list[tuple[str, str]] = field(default_factory=list)  # (room number, why not)
    changed_ids: list[int] = field(default_factory=list)
    lock_kind: LockKind | None = None

    def message(self, verb: str) -> str:
        text = f"{verb}成功 {len(self.done)} 间"
        if self.refused:
            shown = "；".join(f"{n}：{why}" for n, why in self.refused[:5])
            more = f" 等 {len(self.refused)} 间" if len(self.refused) > 5 else ""
            text += f"，未{verb} {len(self.refused)} 间（{shown}{more}）"
        return text


def lock(session: Session, p: Principal | None, seen: dict[int, int], kind: LockKind | str, reason: str) -> Outcome:
    """Lock the vacant rooms of ``seen`` ({room id: version the user saw})."""
    p = require(p, LOCK, RESOURCE)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("请填写锁定原因")
    if len(reason) > MAX_REASON:
        raise ValueError(f"锁定原因不能超过 {MAX_REASON} 个字")
    kind = LockKind(kind)
    outcome = _transition(
        session,
        p,
        seen,
        RoomStatus.VACANT,
        RoomStatus.LOCKED,
        LOCK,
        "锁定",
        reason,
        dict(lock_kind=kind, lock_reason=reason, locked_by_id=p.actor_id, locked_at=utcnow()),
        log_reason=f"{kind.label}：{reason}",
    )
    outcome.lock_kind = kind
    return outcome


def unlock(session: Session, p: Principal | None, seen: dict[int, int]) -> Outcome:
    """Unlock the locked rooms of ``seen``; a room re-locked since it was seen stays locked."""
    p = require(p, UNLOCK, RESOURCE)
    return _transition(
        session,
        p,
        seen,
        RoomStatus.LOCKED,
        RoomStatus.VACANT,
        UNLOCK,
        "解锁",
        "",
        dict(lock_kind=None, lock_reason="", locked_by_id=None, locked_at=None),
    )


def _transition(session, p, seen, expected, target, action, verb, reason, changes, log_reason=""):
    if not seen:
        raise ValueError("请先选择房间")
    if len(seen) > MAX_BATCH:
        raise ValueError(f"一次最多操作 {MAX_BATCH} 间")
    ids = [int(i) for i in seen]
    in_scope = scope_clause(p, Room.project_id, by="project")
    # All or none per room, in one statement: only rows still as the user saw them change.
    cases = sa.case({i: int(v) for i, v in seen.items()}, value=Room.id)
    result = session.execute(
        sa.update(Room)
        .where(Room.id.in_(ids), Room.status == expected, Room.version == cases, in_scope)
        .values(status=target, version=Room.version + 1, **changes)
        .returning(Room.id)
    )
    won_ids = set(result.scalars().all())
    # Only rooms inside the scope are read back: one outside it is answered as a missing one, by its id.
    rows = session.execute(select(Room.id, Room.number, Room.status).where(Room.id.in_(ids), in_scope)).all()
    outcome = Outcome(changed_ids=sorted(won_ids))
    for room_id, number, status in sorted(rows, key=lambda r: r.number):
        if room_id in won_ids:
            outcome.done.append(number)
        elif status != expected:
            outcome.refused.append((number, f"当前为{RoomStatus(status).label}"))
        else:
            outcome.refused.append((number, "已被他人修改，请刷新后重试"))
    missing = set(ids) - {r.id for r in rows}
    outcome.refused += [(f"#{i}", NOT_FOUND) for i in sorted(missing)]
    if won_ids:
        _log(session, p, dict.fromkeys(won_ids, log_reason), expected, target, action)
        audit.record(
            session,
            p,
            "rooms",
            None,
            f"action:{action}",
            summary=f"{verb} {len(won_ids)} 间：{'、'.join(outcome.done[:20])}"
            + (" 等" if len(outcome.done) > 20 else "")
            + (f"（{reason}）" if reason else ""),
        )
    return outcome


def move(
    session: Session,
    p: Principal,
    room_id: int,
    expected: set[RoomStatus],
    target: RoomStatus,
    action: str,
    reason: str = "",
) -> RoomStatus | None:
    """Move one room for a leasing flow (reserve, sign, check in, check out).

    Applies only if the room is still in one of ``expected`` (one conditional
    UPDATE), so two people reserving the same vacant room cannot both win.
    Returns the status it had, or None when it was not in ``expected``;
    the caller rolls its own flow back then.
    """
    before = session.execute(select(Room.status).where(Room.id == room_id)).scalar_one_or_none()
    if before is None or before not in expected:
        return None
    won = session.execute(
        sa.update(Room)
        .where(Room.id == room_id, Room.status == before)
        .values(
            status=target, version=Room.version + 1, lock_kind=None, lock_reason="", locked_by_id=None, locked_at=None
        )
        .returning(Room.id)
    ).first()
    if won is None:
        return None
    session.add(
        RoomStatusLog(
            room_id=room_id,
            from_status=before,
            to_status=target,
            action=action,
            reason=reason[:100],
            username=p.username,
        )
    )
    return RoomStatus(before)


def move_many(
    session: Session, p: Principal, reasons: dict[int, str], expected: RoomStatus, target: RoomStatus, action: str
) -> set[int]:
    """``move`` for many rooms at once (a nightly batch signing thousands): one conditional UPDATE moves
    every room of ``reasons`` ({room id: why}) still ``expected``; returns the ids it moved, each logged."""
    if not reasons:
        return set()
    won = set(
        session.execute(
            sa.update(Room)
            .where(Room.id.in_(list(reasons)), Room.status == expected)
            .values(
                status=target,
                version=Room.version + 1,
                lock_kind=None,
                lock_reason="",
                locked_by_id=None,
                locked_at=None,
            )
            .returning(Room.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    if won:
        _log(session, p, {i: reasons[i] for i in won}, expected, target, action)
    return won


def _log(session: Session, p: Principal, reasons: dict[int, str], before: RoomStatus, after: RoomStatus, action: str):
    """The status history of the rooms a batch moved: one row each, with its reason."""
    now = utcnow()
    session.execute(
        sa.insert(RoomStatusLog),
        [
            dict(
                room_id=i,
                from_status=before,
                to_status=after,
                action=action,
                reason=why[:MAX_REASON],
                username=p.username,
                at=now,
            )
            for i, why in reasons.items()
        ],
    )


def history(session: Session, p: Principal | None, room_id: int, limit: int = 20) -> list[RoomStatusLog]:
    p = require(p, VIEW, RESOURCE)
    room = session.get(Room, room_id)
    if room is None or (p.project_ids is not None and room.project_id not in p.project_ids):
        raise Forbidden(NOT_FOUND)
    return list(
        session.exec(
            select(RoomStatusLog).where(RoomStatusLog.room_id == room_id).order_by(RoomStatusLog.id.desc()).limit(limit)
        ).all()
    )
