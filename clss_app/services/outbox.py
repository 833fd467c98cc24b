"""The outbox: every notification, typed in 消息通知 or raised by an event, goes out from here, once.

A notification (models/marketing.py ``Notification``) says what, to whom (``audience`` and its target:
one tenant, chosen tenants, the tenants of the company, a project or a city, the staff of a role whose
data scope covers the project, an event's sign-ups), through which channel and from when. Events
``enqueue`` it inside their own transaction, so it exists exactly when their state move does.

The worker (``send_due``, run by the jobs loop every few seconds) sends what is due:

1. claims it: one conditional UPDATE from the state and version it read (待发送, or 失败 and due for a
   retry, or 发送中 whose sender's lease ran out) to 发送中 with a lease; a second worker's UPDATE
   then changes nothing and it moves on;
2. resolves the target into recipients (``notification_message``, unique per notification and
   recipient: resolving twice adds nobody twice). A 站内信 (and an APP push, which the APP reads as
   one) and a bell item are delivered by being written;
3. sends each SMS not yet sent, under a reference of its own (``sms_ref``) that stays the same on every
   attempt: the gateway keys messages by it, so an SMS whose answer was lost, or whose sender died
   mid-send (it stays 发送中 until the notification's lease runs out and it is claimed again), is sent
   again and still delivered once;
4. closes it: 已发送 when every recipient has it; otherwise 失败 with the reason and the next retry
   (1, 2, 4, 8 minutes…), at most ``MAX_ATTEMPTS`` times.

What a tenant reads (``tenant_messages``, ``tenant_unread``, ``mark_tenant_read``) and what a staff
member's bell shows (``staff_messages``, ``mark_staff_read``) are plain functions for the API and the
bell alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db
from clss_app.core import audit, clock
from clss_app.core.rows import changed, table_of
from clss_app.services import sms
from clss_app.services.permissions import Principal, in_scope, load_principal
from models import (
    Audience,
    Channel,
    Contract,
    ContractState,
    Event,
    EventSignup,
    MessageState,
    Notification,
    NotificationMessage,
    NotificationState,
    NotificationTenant,
    Project,
    Role,
    SignupState,
    Tenant,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # doubled after each failed attempt
LEASE = timedelta(minutes=5)  # a sender that died holds a notification this long at most
BATCH = 50  # notifications a worker sends in one round
REMIND_BEFORE = timedelta(hours=24)  # an event's sign-ups are reminded this long before it starts
# Tenants a notification to a project, a city or everyone reaches: those whose contract is signed or running.
LIVE_CONTRACTS = (ContractState.SIGNED, ContractState.ACTIVE)
NOT_CONFIGURED = "短信通道未配置"
PAGE = 20

S, M = NotificationState, MessageState
DELIVERED_BY_WRITING = (Channel.INBOX, Channel.APP, Channel.BELL)


# ---------------------------------------------------------------- enqueue (inside the caller's transaction)


def enqueue(
    session: Session,
    *,
    company_id: int,
    title: str,
    body: str,
    audience: Audience,
    channel: Channel,
    at: datetime | None = None,
    source: str = "系统",
    **target: Any,
) -> Notification:
    """A notification to send from ``at`` (now by default); target fields: tenant_id, project_id, city,
    role, event_id. Nothing is sent here: the worker does, after the caller's transaction commits."""
    row = Notification(
        company_id=company_id,
        title=title[:64],
        body=body,
        audience=audience,
        channel=channel,
        scheduled_at=at or utcnow(),
        source=source,
        **target,
    )
    session.add(row)
    session.flush()
    return row


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> int:
    """Many notifications in one statement (a batch of confirmed bills); each dict as ``enqueue``'s arguments."""
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            "city": "",
            "state": S.SCHEDULED,
            "scheduled_at": now,
            "source": "系统",
            "attempts": 0,
            "fail_reason": "",
            "recipients": 0,
            "created_at": now,
            "version": 1,
            **r,
        }
        for r in rows
    ]
    for v in values:
        v["title"] = v["title"][:64]
    session.execute(sa.insert(Notification), values)
    return len(values)


def to_tenant(session: Session, tenant_id: int, project_id: int, title: str, body: str, source: str) -> None:
    """A 站内信 to one tenant, about a project (whose company sends it)."""
    company_id = session.execute(select(Project.company_id).where(Project.id == project_id)).scalar_one()
    enqueue(
        session,
        company_id=company_id,
        title=title,
        body=body,
        audience=Audience.TENANT,
        channel=Channel.INBOX,
        source=source,
        tenant_id=tenant_id,
        project_id=project_id,
    )


def to_roles(session: Session, roles: Iterable[Role], project_id: int, title: str, body: str, source: str) -> None:
    """A bell item to the staff of the roles whose data scope covers the project (one notification)."""
    company_id = session.execute(select(Project.company_id).where(Project.id == project_id)).scalar_one()
    enqueue(
        session,
        company_id=company_id,
        title=title,
        body=body,
        audience=Audience.ROLE,
        channel=Channel.BELL,
        source=source,
        roles=",".join(sorted(r.value for r in roles)),
        project_id=project_id,
    )


def remind_events(session: Session, now: datetime | None = None) -> int:
    """活动提醒: one SMS notification to the sign-ups of each event starting within ``REMIND_BEFORE``, once
    per event (its source_key), resolved when sent (a later sign-up is reminded, a cancelled one not)."""
    now = now or utcnow()
    rows = session.execute(
        sa.select(
            Event.id, Event.name, Event.starts_at, Event.address, Event.hotline, Project.company_id, Event.project_id
        )
        .join(Project, Project.id == Event.project_id)
        .where(Event.starts_at > now, Event.starts_at <= now + REMIND_BEFORE, Event.signed_up > 0)
    ).all()
    values = []
    for eid, name, starts, address, hotline, company_id, project_id in rows:
        local = starts.astimezone(clock.SHANGHAI)
        values.append(
            {
                "company_id": company_id,
                "title": f"活动提醒：{name}"[:64],
                "body": f"您报名的活动「{name}」将于 {local:%m月%d日 %H:%M} 在{address}开始，咨询电话 {hotline}。",
                "audience": Audience.EVENT,
                "project_id": project_id,
                "event_id": eid,
                "channel": Channel.SMS,
                "scheduled_at": now,
                "state": S.SCHEDULED,
                "source": "活动提醒",
                "source_key": f"event-reminder:{eid}",
                "city": "",
                "attempts": 0,
                "fail_reason": "",
                "recipients": 0,
                "created_at": now,
                "version": 1,
            }
        )
    return db.insert_ignoring_duplicates(session, table_of(Notification), values) if values else 0


# ---------------------------------------------------------------- target


def _live_tenants(extra) -> sa.Select:
    return (
        select(Tenant.id, Tenant.phone)
        .join(Contract, Contract.tenant_id == Tenant.id)
        .join(Project, Project.id == Contract.project_id)
        .where(Contract.state.in_(LIVE_CONTRACTS), extra)
        .distinct()
    )


def recipients(session: Session, n: Notification) -> list[dict[str, Any]]:
    """Who ``n`` reaches now: [{recipient, tenant_id, user_id, phone}], each once."""
    a = n.audience
    if a in (Audience.TENANT, Audience.TENANTS):
        where = (
            Tenant.id == n.tenant_id
            if a == Audience.TENANT
            else Tenant.id.in_(select(NotificationTenant.tenant_id).where(NotificationTenant.notification_id == n.id))
        )
        rows = session.execute(select(Tenant.id, Tenant.phone).where(where)).all()
    elif a == Audience.PROJECT:
        rows = session.execute(_live_tenants(Contract.project_id == n.project_id)).all()
    elif a == Audience.CITY:
        rows = session.execute(_live_tenants(sa.and_(Project.city == n.city, Project.company_id == n.company_id))).all()
    elif a == Audience.ALL:
        rows = session.execute(_live_tenants(Project.company_id == n.company_id)).all()
    elif a == Audience.EVENT:
        signups = session.execute(
            select(EventSignup.phone)
            .where(EventSignup.event_id == n.event_id, EventSignup.state == SignupState.ACTIVE)
            .distinct()
        ).all()
        known = dict(
            session.execute(
                select(Tenant.phone, Tenant.id).where(
                    Tenant.company_id == n.company_id, Tenant.phone.in_([p for (p,) in signups])
                )
            ).all()
        )
        return [
            {"recipient": f"p:{p}", "tenant_id": known.get(p), "user_id": None, "phone": p} for (p,) in sorted(signups)
        ]
    elif a == Audience.ROLE:
        return [
            {"recipient": f"u:{u.id}", "tenant_id": None, "user_id": u.id, "phone": u.phone}
            for u in staff_of(session, n.roles, n.project_id, n.company_id)
        ]
    else:
        rows = []
    return [{"recipient": f"t:{t}", "tenant_id": t, "user_id": None, "phone": phone} for t, phone in sorted(rows)]


def staff_of(session: Session, roles: str, project_id: int | None, company_id: int) -> list[User]:
    """The active users of ``roles`` (values, comma-separated) whose data scope covers the project (or,
    without one, the company)."""
    wanted = [Role(v) for v in roles.split(",") if v in {r.value for r in Role}]
    if not wanted:
        return []
    out = []
    for u in session.exec(select(User).where(User.role.in_(wanted), User.is_active.is_(True)).order_by(User.id)):
        p = load_principal(session, u)
        if in_scope(p, project_id=project_id) if project_id is not None else in_scope(p, unit_id=company_id):
            out.append(u)
    return out


# ---------------------------------------------------------------- the worker


def _due(now: datetime):
    return sa.or_(
        sa.and_(Notification.state == S.SCHEDULED, Notification.scheduled_at <= now),
        sa.and_(
            Notification.state == S.FAILED,
            Notification.next_try_at.is_not(None),
            Notification.next_try_at <= now,
        ),
        sa.and_(Notification.state == S.SENDING, Notification.claimed_until < now),
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes."""
    return BACKOFF * (2 ** max(attempts - 1, 0))


def claim(session: Session, n_id: int, state: NotificationState, version: int, now: datetime) -> bool:
    """Take one notification for this sender; False when another sender (or a withdrawal) came first."""
    return bool(
        changed(
            session,
            sa.update(Notification)
            .where(Notification.id == n_id, Notification.state == state, Notification.version == version)
            .values(
                state=S.SENDING,
                claimed_until=now + LEASE,
                attempts=Notification.attempts + 1,
                version=Notification.version + 1,
            )
            .execution_options(synchronize_session=False),
        )
    )


Sender = Callable[[str, str, str], str]  # (phone, text, ref) -> the gateway's message id


def sms_sender() -> Sender:
    """The SMS channel: the gateway's adapter (services/sms.py)."""
    return sms.send


def sms_ref(message_id: int, n: Notification) -> str:
    """The gateway's key for one SMS, the same on every attempt. The notification's creation time is
    part of it: ids start again in a fresh database, and a gateway keeps the keys it has seen."""
    return f"nm{message_id}t{int(n.created_at.timestamp() * 1_000_000):x}"


def _send_sms(session_factory, n: Notification, send: Sender) -> list[str]:
    """Each SMS of ``n`` not yet sent, claimed one by one; the reasons of those that failed.

    The caller holds ``n``'s claim, so an SMS still 发送中 was left by a sender that died: it is taken
    again, under its same ref."""
    todo_states = [M.PENDING, M.FAILED, M.SENDING]
    with session_factory() as s:
        todo = s.execute(
            select(NotificationMessage.id, NotificationMessage.phone).where(
                NotificationMessage.notification_id == n.id, NotificationMessage.state.in_(todo_states)
            )
        ).all()
    failed = []
    text = f"【{n.title}】{n.body}"[: sms.MAX_TEXT]
    for mid, phone in todo:
        with session_factory() as s:
            mine = changed(
                s,
                sa.update(NotificationMessage)
                .where(NotificationMessage.id == mid, NotificationMessage.state.in_(todo_states))
                .values(state=M.SENDING)
                .execution_options(synchronize_session=False),
            )
        if not mine:
            continue
        try:
            ref, values = send(phone, text, sms_ref(mid, n)), {"state": M.SENT, "sent_at": utcnow(), "fail_reason": ""}
            values["provider_ref"] = ref[:64]
        except sms.SmsFailed as exc:
            failed.append(f"{phone[:3]}****{phone[-4:]}：{exc.reason}" if len(phone) == 11 else exc.reason)
            values = {"state": M.FAILED, "fail_reason": exc.reason[:255]}
        with session_factory() as s:
            s.execute(
                sa.update(NotificationMessage)
                .where(NotificationMessage.id == mid, NotificationMessage.state == M.SENDING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    return failed


def deliver(n_id: int, now: datetime | None = None, send: Sender | None = None) -> NotificationState:
    """Send one claimed notification (state 发送中, claimed by the caller) and close it."""
    now = now or utcnow()
    with db.session_scope() as s:
        n = s.get_one(Notification, n_id)
        people = recipients(s, n)
        instant = n.channel in DELIVERED_BY_WRITING
        rows = [
            {
                "notification_id": n_id,
                "channel": n.channel,
                "state": M.SENT if instant else M.PENDING,
                "sent_at": now if instant else None,
                "fail_reason": "",
                "provider_ref": "",
                "created_at": now,
                **r,
            }
            for r in people
            if instant or r["phone"]
        ]
        db.insert_ignoring_duplicates(s, table_of(NotificationMessage), rows)
        s.expunge(n)
    problems: list[str] = []
    if n.channel == Channel.SMS:
        problems = _send_sms(db.session_scope, n, send or sms_sender())
    with db.session_scope() as s:
        counts = dict(
            s.execute(
                select(NotificationMessage.state, sa.func.count())
                .where(NotificationMessage.notification_id == n_id)
                .group_by(NotificationMessage.state)
            ).all()
        )
        reached = counts.get(M.SENT, 0)
        left = sum(counts.values()) - reached
        if not counts and n.channel == Channel.SMS and any(not r["phone"] for r in people):
            problems.append("接收人没有手机号")
        if left or problems:
            final = n.attempts >= MAX_ATTEMPTS
            reason = f"{left} 人未送达：" + "；".join(problems[:3]) if left else "；".join(problems[:3])
            values = {
                "state": S.FAILED,
                "fail_reason": (reason + ("（已达最多重试次数）" if final else ""))[:255],
                "next_try_at": None if final else now + backoff(n.attempts),
            }
        else:
            values = {"state": S.SENT, "sent_at": now, "fail_reason": "", "next_try_at": None}
        closed = changed(
            s,
            sa.update(Notification)
            .where(Notification.id == n_id, Notification.state == S.SENDING)
            .values(**values, recipients=reached, claimed_until=None, version=Notification.version + 1)
            .execution_options(synchronize_session=False),
        )
        outcome = S.SENT if values["state"] == S.SENT else S.FAILED
        if closed:  # the worker's moves are audited like a person's (no person: the system did it)
            said = f"送达 {reached} 人" if outcome == S.SENT else str(values["fail_reason"])
            audit.record(
                s,
                None,
                "notifications",
                n_id,
                outcome.value,
                summary=f"通知「{n.title}」第 {n.attempts} 次发送：{said}",
            )
        return outcome


def send_due(now: datetime | None = None, send: Sender | None = None, limit: int = BATCH) -> dict[str, int]:
    """One round of the worker: the due notifications this sender could claim, each sent and closed."""
    now = now or utcnow()
    with db.session_scope() as s:
        remind_events(s, now)
    with db.session_scope() as s:
        due = s.execute(
            select(Notification.id, Notification.state, Notification.version)
            .where(_due(now))
            .order_by(Notification.scheduled_at, Notification.id)
            .limit(limit)
        ).all()
    done = {"notifications_sent": 0, "notifications_failed": 0}
    for n_id, state, version in due:
        with db.session_scope() as s:
            if not claim(s, n_id, state, version, now):
                continue
        try:
            result = deliver(n_id, now, send)
        except Exception:  # one bad notification never stops the others; its lease lets it be tried again
            log.exception("notification %s could not be sent", n_id)
            continue
        done["notifications_sent" if result == S.SENT else "notifications_failed"] += 1
    return done


# ---------------------------------------------------------------- withdrawing


def withdrawable():
    return Notification.state.in_([S.SCHEDULED, S.FAILED])


def withdraw(session: Session, n_id: int) -> bool:
    """撤回: a notification not sent (待发送, or 失败 waiting for a retry) is never sent; one being sent
    or sent cannot be withdrawn."""
    return bool(
        changed(
            session,
            sa.update(Notification)
            .where(Notification.id == n_id, withdrawable())
            .values(state=S.WITHDRAWN, next_try_at=None, version=Notification.version + 1)
            .execution_options(synchronize_session=False),
        )
    )


# ---------------------------------------------------------------- reading: tenants (the API) and staff (the bell)


def _card(m: NotificationMessage, n: Notification) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": n.title,
        "body": n.body,
        "source": n.source,
        "sent_at": m.sent_at,
        "read": m.read_at is not None,
        "read_at": m.read_at,
    }


def _visible():
    return sa.and_(
        NotificationMessage.state == M.SENT,
        NotificationMessage.channel.in_(DELIVERED_BY_WRITING),
        Notification.state != S.WITHDRAWN,
    )


def tenant_messages(
    session: Session, tenant_id: int, *, unread_only: bool = False, before_id: int | None = None, limit: int = PAGE
) -> list[dict[str, Any]]:
    """A tenant's 站内信, newest first: [{id, title, body, source, sent_at, read, read_at}]. Pages by
    cursor: pass the last id seen as ``before_id``. ``limit`` is kept within 1–100."""
    q = (
        select(NotificationMessage, Notification)
        .join(Notification, Notification.id == NotificationMessage.notification_id)
        .where(NotificationMessage.tenant_id == tenant_id, _visible())
    )
    if unread_only:
        q = q.where(NotificationMessage.read_at.is_(None))
    if before_id is not None:
        q = q.where(NotificationMessage.id < before_id)
    rows = session.execute(q.order_by(NotificationMessage.id.desc()).limit(max(1, min(limit, 100)))).all()
    return [_card(m, n) for m, n in rows]


def tenant_message(session: Session, tenant_id: int, message_id: int) -> dict[str, Any] | None:
    """One 站内信 of this tenant's (as ``tenant_messages`` gives it), or None: not theirs, or not one to read."""
    row = session.execute(
        select(NotificationMessage, Notification)
        .join(Notification, Notification.id == NotificationMessage.notification_id)
        .where(NotificationMessage.id == message_id, NotificationMessage.tenant_id == tenant_id, _visible())
    ).first()
    return None if row is None else _card(*row)


def tenant_unread(session: Session, tenant_id: int) -> int:
    return session.execute(
        select(sa.func.count())
        .select_from(NotificationMessage)
        .join(Notification, Notification.id == NotificationMessage.notification_id)
        .where(NotificationMessage.tenant_id == tenant_id, NotificationMessage.read_at.is_(None), _visible())
    ).scalar_one()


def _mark(session: Session, who, message_id: int | None) -> int:
    q = (
        sa.update(NotificationMessage)
        .where(
            who,
            NotificationMessage.read_at.is_(None),
            NotificationMessage.state == M.SENT,
            NotificationMessage.channel.in_(DELIVERED_BY_WRITING),  # an SMS is not a message to read here
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if message_id is not None:
        q = q.where(NotificationMessage.id == message_id)
    return changed(session, q)


def mark_tenant_read(session: Session, tenant_id: int, message_id: int | None = None) -> int:
    """已读: one message of this tenant's (another tenant's id changes nothing), or all of them
    (``message_id`` None). How many became read; marking twice changes nothing."""
    return _mark(session, NotificationMessage.tenant_id == tenant_id, message_id)


def staff_messages(session: Session, p: Principal, limit: int = PAGE) -> list[dict[str, str]]:
    """The bell's unread messages of a staff member, newest first."""
    rows = session.execute(
        select(NotificationMessage, Notification)
        .join(Notification, Notification.id == NotificationMessage.notification_id)
        .where(NotificationMessage.user_id == p.user_id, NotificationMessage.read_at.is_(None), _visible())
        .order_by(NotificationMessage.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": str(m.id),
            "title": n.title,
            "body": n.body,
            "day": (m.sent_at or m.created_at).astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M"),
        }
        for m, n in rows
    ]


def mark_staff_read(session: Session, p: Principal, message_id: int) -> bool:
    """已读 of one bell message of p's own."""
    return bool(_mark(session, NotificationMessage.user_id == p.user_id, message_id))
