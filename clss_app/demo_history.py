"""The demo's history: what each row went through, written after the demo's rows exist.

A room's status log (房态记录) and each contract's and reservation's audit entries are derived from the
rows themselves, walking each room's contracts in order: signed on its signing day by whoever signed
it, checked in on its check-in day by the front desk, checked out, sublet or handed over to its
renewal on the day that happened. Every date follows the row's story and none is after today. A room
whose rows do not tell one consistent story (its walk does not end in its status) gets no log, rather
than a wrong one. Bills confirmed at the seed's time are confirmed on their due date instead.

Runs as the demo's last step (``demo.STEPS``); plain bulk inserts, so that scale 70 stays quick.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from clss_app.core import clock
from clss_app.core.clock import SHANGHAI
from models import (
    AuditLog,
    Bill,
    Contract,
    ContractSource,
    ContractState,
    LockKind,
    Project,
    Reservation,
    ReservationState,
    Role,
    Room,
    RoomStatus,
    RoomStatusLog,
    User,
)

if TYPE_CHECKING:
    from clss_app.demo import DemoContext

FRONT_DESK = (Role.STORE_MANAGER, Role.STORE_ASSISTANT)
OWNERS = (Role.MULTI_STORE_MANAGER, Role.PRINCIPAL)
LOCK_REASONS = [
    (LockKind.BUSINESS, "维修：卫生间漏水"),
    (LockKind.BUSINESS, "保洁消杀"),
    (LockKind.ORDINARY, "样板间"),
    (LockKind.BUSINESS, "员工宿舍"),
    (LockKind.ORDINARY, "软装更换"),
]
CHUNK = 5000


class _Clock:
    """Office-hour times on given days, never after now."""

    def __init__(self, rng: random.Random):
        self.rng, self.now = rng, clock.now()

    def at(self, day: date, after: datetime | None = None) -> datetime:
        moment = datetime.combine(day, time(9 + self.rng.randint(0, 8), self.rng.randint(0, 59)), tzinfo=SHANGHAI)
        if after is not None and moment <= after:
            moment = after + timedelta(minutes=self.rng.randint(20, 90))
        return min(moment, self.now - timedelta(minutes=1))


class _People:
    """Who does what in each project: its company's front desk and owners (else the demo's manager)."""

    def __init__(self, session: Any, rng: random.Random):
        self.rng = rng
        self.company = dict(session.execute(sa.select(Project.id, Project.company_id)).all())
        self.staff: dict[tuple[int, Role], list[str]] = defaultdict(list)
        self.ids: dict[str, int] = {}
        self.logins: dict[int, str] = {}
        query = sa.select(User.id, User.username, User.role, User.org_unit_id)
        for uid, username, role, unit in session.execute(query).all():
            self.staff[(unit, Role(role))].append(username)
            self.ids[username], self.logins[uid] = uid, username

    def of(self, project_id: int, roles: tuple[Role, ...], fallback: str = "manager") -> str:
        unit = self.company.get(project_id)
        found = [u for r in roles for u in self.staff.get((unit, r), [])] if unit is not None else []
        return self.rng.choice(sorted(found)) if found else fallback


def _audit(rows: list[dict], resource: str, row_id: int, at: datetime, who: str, action: str, summary: str, **states):
    before = {"state": states["was"]} if "was" in states else None
    after = {"state": states["now"]} if "now" in states else None
    rows.append(
        dict(
            at=at,
            user_id=None,
            username=who,
            org_unit_id=None,
            resource=resource,
            row_id=row_id,
            action=action,
            summary=summary[:255],
            before=json.dumps(before, ensure_ascii=False) if before is not None else None,
            after=json.dumps(after, ensure_ascii=False) if after is not None else None,
        )
    )


class _Walk:
    """One room's status, moved through its story; the log of each move."""

    def __init__(self, room_id: int):
        self.room_id, self.status, self.logs = room_id, RoomStatus.VACANT, list[dict]()

    def move(self, to: RoomStatus, action: str, reason: str, at: datetime, who: str) -> None:
        self.logs.append(
            dict(
                room_id=self.room_id,
                from_status=self.status,
                to_status=to,
                action=action,
                reason=reason,
                username=who,
                at=at,
            )
        )
        self.status = to


def _signed_at(c: Any, clk: _Clock) -> datetime:
    made = c.created_at.astimezone(SHANGHAI) if c.created_at is not None else None
    return made if made is not None and made.date() == c.signed_on else clk.at(c.signed_on)


def seed_history(ctx: DemoContext) -> None:
    s, rng, today = ctx.session, random.Random(ctx.rng.random()), clock.today()
    clk, people = _Clock(rng), _People(s, rng)
    C, R, V = Contract.__table__, Room.__table__, Reservation.__table__  # type: ignore[attr-defined]
    rooms = {r.id: r for r in s.execute(sa.select(R.c.id, R.c.project_id, R.c.number, R.c.status, R.c.lock_kind)).all()}
    by_room: dict[int, list[Any]] = defaultdict(list)
    for c in s.execute(sa.select(C).order_by(C.c.start_date, C.c.id)).all():
        by_room[c.room_id].append(c)
    held = {v.room_id: v for v in s.execute(sa.select(V).where(V.c.state == ReservationState.ACTIVE)).all()}
    logs: list[dict] = []
    audits: list[dict] = []
    locks: list[dict] = []
    skipped = 0

    for room_id, room in rooms.items():
        w = _Walk(room_id)

        contracts = by_room.get(room_id, [])
        for k, c in enumerate(contracts):
            state, source = ContractState(c.state), ContractSource(c.source)
            signed = _signed_at(c, clk)
            if c.signed_on > today:
                continue
            if state in (ContractState.PENDING_REVIEW, ContractState.VOID):  # never reached the room
                _audit(
                    audits,
                    "contracts",
                    c.id,
                    signed,
                    "",
                    "create",
                    f"租客线上签约 {c.number}，待门店审核",
                    now="pending_review",
                )
                if state == ContractState.VOID:
                    who = people.of(c.project_id, FRONT_DESK)
                    at = clk.at(c.signed_on, signed)
                    reason = "驳回：身份证照片与本人不符"
                    _audit(
                        audits, "contracts", c.id, at, who, "action:reject", reason, was="pending_review", now="void"
                    )
                continue
            kind = {ContractSource.RENEWAL: "续租签约", ContractSource.SUBLET: "转租签约"}.get(source, "签约")
            by = people.logins.get(c.created_by_id, "")
            _audit(audits, "contracts", c.id, signed, by, "create", f"{kind} {c.number}", now="signed")
            renewal = source == ContractSource.RENEWAL and w.status == RoomStatus.OCCUPIED
            last = signed
            if not renewal:
                if not (source == ContractSource.SUBLET and w.status == RoomStatus.SIGNED):
                    w.move(RoomStatus.SIGNED, "sign", f"签约 {c.number}", signed, by)
                if c.checked_in_on is not None and c.checked_in_on <= today:
                    last = clk.at(c.checked_in_on, signed)
                    w.move(
                        RoomStatus.OCCUPIED, "check_in", f"入住 {c.number}", last, people.of(c.project_id, FRONT_DESK)
                    )
            following = contracts[k + 1] if k + 1 < len(contracts) else None
            ends = c.checked_out_on or c.end_date
            if state == ContractState.CHECKED_OUT and ends <= today:
                w.move(
                    RoomStatus.VACANT,
                    "check_out",
                    f"退房 {c.number}",
                    clk.at(ends, last),
                    people.of(c.project_id, OWNERS),
                )
            elif state == ContractState.CLOSED and ends <= today:
                at = clk.at(ends, last)
                if following is not None and ContractSource(following.source) == ContractSource.SUBLET:
                    w.move(RoomStatus.SIGNED, "sublet", f"转租 {c.number}", at, people.of(c.project_id, OWNERS))
                else:
                    w.move(RoomStatus.VACANT, "room_change", f"换出 {c.number}", at, people.of(c.project_id, OWNERS))
            elif state == ContractState.EXPIRED and c.end_date < today:
                at = clk.at(c.end_date + timedelta(days=1), last)
                if following is not None and ContractSource(following.source) == ContractSource.RENEWAL:
                    _audit(
                        audits,
                        "contracts",
                        c.id,
                        at,
                        "",
                        "expire",
                        "合同到期，续租合同生效",
                        was="active",
                        now="expired",
                    )
                else:
                    _audit(audits, "contracts", c.id, at, "", "expire", "合同到期", was="active", now="expired")
                    w.move(RoomStatus.VACANT, "check_out", f"退房 {c.number}", at, people.of(c.project_id, OWNERS))

        if room.status == RoomStatus.RESERVED and room_id in held:
            v = held[room_id]
            made = v.created_at.astimezone(SHANGHAI) if v.created_at is not None else None
            at = (
                made
                if made is not None and made.date() <= v.hold_until
                else clk.at(today - timedelta(days=rng.randint(1, 4)))
            )
            who = people.of(room.project_id, FRONT_DESK)
            w.move(RoomStatus.RESERVED, "reserve", f"预定至 {v.hold_until}", at, who)
            _audit(
                audits,
                "reservations",
                v.id,
                at,
                who,
                "create",
                f"预定 {room.number}，定金 ¥{v.deposit:,.2f}",
                now="active",
            )
        elif room.status == RoomStatus.LOCKED:
            lock_kind, reason = rng.choice(LOCK_REASONS)
            if room.lock_kind:  # the demo's own lock wins: the log tells what the room says
                lock_kind = LockKind(room.lock_kind)
                reason = s.execute(sa.select(R.c.lock_reason).where(R.c.id == room_id)).scalar_one() or reason
            at = clk.at(today - timedelta(days=rng.randint(2, 40)), w.logs[-1]["at"] if w.logs else None)
            who = people.of(room.project_id, FRONT_DESK)
            w.move(RoomStatus.LOCKED, "lock", f"{lock_kind.label}：{reason}", at, who)
            if not room.lock_kind:
                locks.append(dict(rid=room_id, kind=lock_kind.value, reason=reason, who=people.ids.get(who), at=at))

        if w.status == RoomStatus(room.status):
            logs += w.logs
        elif w.logs:
            skipped += 1

    for i in range(0, len(logs), CHUNK):
        s.execute(sa.insert(RoomStatusLog), logs[i : i + CHUNK])
    for i in range(0, len(audits), CHUNK):
        s.execute(sa.insert(AuditLog), audits[i : i + CHUNK])
    if locks:
        s.execute(
            sa.update(R)
            .where(R.c.id == sa.bindparam("rid"))
            .values(
                lock_kind=sa.bindparam("kind"),
                lock_reason=sa.bindparam("reason"),
                locked_by_id=sa.bindparam("who"),
                locked_at=sa.bindparam("at"),
            ),
            locks,
        )
    _confirm_on_due_dates(s, today)
    ctx.counts["房态记录"] = len(logs)
    ctx.counts["操作记录"] = ctx.counts.get("操作记录", 0) + len(audits)
    if skipped:
        ctx.counts["房态记录（状态不一致，未生成）"] = skipped


def _confirm_on_due_dates(s: Any, today: date) -> None:
    """Bills the demo confirmed "now" though they fell due long ago: confirmed at 09:00 on their due date."""
    B = Bill.__table__  # type: ignore[attr-defined]
    nine: Any
    if s.bind.dialect.name == "sqlite":
        nine = sa.func.datetime(B.c.due_date, "+1 hours")  # 09:00 in Beijing is 01:00 UTC
    else:
        nine = sa.cast(B.c.due_date, sa.DateTime) + sa.text("interval '1 hour'")
    s.execute(sa.update(B).where(B.c.confirmed_at.is_not(None), B.c.due_date < today).values(confirmed_at=nine))
