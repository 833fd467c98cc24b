"""The outbox (services/outbox.py): a notification's target resolved into recipients, sent by the worker
once, a failure retried with growing waits, a withdrawal never sent, two senders at once never sending
anything twice; the tenant's 站内信 read and unread; the staff bell; each event that notifies, enqueued in
its own transaction. SMS goes to the sandbox's gateway, whose outbox shows what a phone received."""

from __future__ import annotations

import json
import threading
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db
from clss_app.core.results import ActionContext
from clss_app.services import bill_approvals, bills, leasing, marketing, outbox, repairs, sms
from models import (
    ApprovalState,
    Audience,
    AuditLog,
    BadDebt,
    Bill,
    BillState,
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
    RepairOrder,
    RepairState,
    Role,
    Tenant,
    User,
    utcnow,
)
from tests.sandbox_server import sandbox_call

S = NotificationState


@pytest.fixture
def gateway(sandbox_url, monkeypatch) -> str:
    monkeypatch.setenv("CLSS_SMS_URL", sandbox_url)
    monkeypatch.setattr(sms, "TIMEOUT", sms.httpx.Timeout(2.0, connect=1.0))
    sandbox_call(sandbox_url, "/sandbox/sms/control", {"reset": True})
    return sandbox_url


def _outbox(url: str, phone: str = "") -> list[dict]:
    with urllib.request.urlopen(f"{url}/sandbox/sms/outbox?phone={phone}&limit=500", timeout=10) as r:
        return json.loads(r.read())["messages"]


def _project(s) -> Project:
    """The demo project with the most tenants under a live contract."""
    pid = (
        s.execute(
            sa.select(Contract.project_id)
            .where(Contract.state.in_(outbox.LIVE_CONTRACTS))
            .group_by(Contract.project_id)
            .order_by(sa.func.count().desc(), Contract.project_id)
        )
        .scalars()
        .first()
    )
    return s.get_one(Project, pid)


def _live_tenants(s, project_id: int) -> set[int]:
    return set(
        s.exec(
            select(Contract.tenant_id).where(
                Contract.project_id == project_id, Contract.state.in_(outbox.LIVE_CONTRACTS)
            )
        ).all()
    )


def _new(s, **kw) -> int:
    p = _project(s)
    kw.setdefault("company_id", p.company_id)
    kw.setdefault("title", "停水通知")
    kw.setdefault("body", "明日 9:00–12:00 停水检修")
    kw.setdefault("channel", Channel.INBOX)
    kw.setdefault("audience", Audience.PROJECT)
    if kw["audience"] == Audience.PROJECT:
        kw.setdefault("project_id", p.id)
    return outbox.enqueue(s, **kw).id or 0


def _messages(n_id: int) -> list[NotificationMessage]:
    with db.session_scope() as s:
        return list(s.exec(select(NotificationMessage).where(NotificationMessage.notification_id == n_id)))


def _state(n_id: int) -> Notification:
    with db.session_scope() as s:
        n = s.get_one(Notification, n_id)
        s.expunge(n)
        return n


def _until_quiet(now=None) -> None:
    while sum(outbox.send_due(now).values()):
        pass


# ---------------------------------------------------------------- targets


def test_each_target_resolves_to_its_people(demo_db, principal_of):
    with db.session_scope() as s:
        p = _project(s)
        live = _live_tenants(s, p.id)
        by_project = outbox.recipients(s, s.get_one(Notification, _new(s)))
        assert {r["tenant_id"] for r in by_project} == live and len(by_project) == len(live) > 1
        assert all(r["recipient"] == f"t:{r['tenant_id']}" and r["user_id"] is None for r in by_project)

        city = _new(s, audience=Audience.CITY, city=p.city)
        in_city = set(
            s.exec(
                select(Contract.tenant_id)
                .join(Project, Project.id == Contract.project_id)
                .where(
                    Project.city == p.city,
                    Project.company_id == p.company_id,
                    Contract.state.in_(outbox.LIVE_CONTRACTS),
                )
            ).all()
        )
        assert {r["tenant_id"] for r in outbox.recipients(s, s.get_one(Notification, city))} == in_city >= live

        two = sorted(live)[:2]
        chosen = _new(s, audience=Audience.TENANTS)
        s.add_all([NotificationTenant(notification_id=chosen, tenant_id=t) for t in two])
        s.flush()
        assert [r["tenant_id"] for r in outbox.recipients(s, s.get_one(Notification, chosen))] == two

        one = _new(s, audience=Audience.TENANT, tenant_id=two[0])
        assert [r["tenant_id"] for r in outbox.recipients(s, s.get_one(Notification, one))] == [two[0]]

        # A role in a scope: the principals whose data scope covers the project, and nobody else's.
        staff = _new(s, audience=Audience.ROLE, roles="principal", channel=Channel.BELL, project_id=p.id)
        users = {r["user_id"] for r in outbox.recipients(s, s.get_one(Notification, staff))}
        principals = s.exec(select(User).where(User.role == Role.PRINCIPAL, User.is_active.is_(True))).all()
        expected = {u.id for u in principals if p.id in (principal_of(u.username).project_ids or {p.id})}
        assert users == expected and users
        assert len(expected) < len(principals)  # another company's principal is not told


def test_an_events_sign_ups_are_reminded_once_and_a_cancelled_one_not(demo_db, gateway):
    now = utcnow()
    with db.session_scope() as s:
        p = _project(s)
        ev = Event(
            project_id=p.id,
            name="租客读书会",
            starts_at=now + timedelta(hours=3),
            ends_at=now + timedelta(hours=5),
            address="一楼活动室",
            capacity=10,
            signed_up=2,
            hotline="4008001234",
            cover="x.png",
        )
        s.add(ev)
        s.flush()
        s.add_all(
            [
                EventSignup(event_id=ev.id, project_id=p.id, name="甲", phone="13900000101"),
                EventSignup(event_id=ev.id, project_id=p.id, name="乙", phone="13900000102"),
                EventSignup(event_id=ev.id, project_id=p.id, name="丙", phone="13900000103", state="cancelled"),
            ]
        )
    _until_quiet(now)
    _until_quiet(now + timedelta(minutes=1))  # a second round reminds nobody again
    with db.session_scope() as s:
        reminders = s.exec(select(Notification).where(Notification.event_id == ev.id)).all()
    assert [(n.audience, n.channel, n.state, n.recipients) for n in reminders] == [
        (Audience.EVENT, Channel.SMS, S.SENT, 2)
    ]
    for phone, times in (("13900000101", 1), ("13900000102", 1), ("13900000103", 0)):
        got = _outbox(gateway, phone)
        assert len(got) == times and all("租客读书会" in m["text"] for m in got)


# ---------------------------------------------------------------- the worker


def test_a_due_inbox_notification_is_sent_once_and_a_future_one_waits(demo_db):
    with db.session_scope() as s:
        now_id = _new(s)
        later = _new(s, at=utcnow() + timedelta(hours=1))
        live = _live_tenants(s, _project(s).id)
    first = outbox.send_due()
    assert first["notifications_sent"] >= 1
    n = _state(now_id)
    assert (n.state, n.recipients, n.attempts, n.fail_reason) == (S.SENT, len(live), 1, "")
    assert {m.tenant_id for m in _messages(now_id)} == live
    assert all(m.state == MessageState.SENT and m.read_at is None for m in _messages(now_id))
    assert _state(later).state == S.SCHEDULED and _messages(later) == []
    assert outbox.send_due() == {"notifications_sent": 0, "notifications_failed": 0}
    assert len(_messages(now_id)) == len(live)
    outbox.send_due(utcnow() + timedelta(hours=1, seconds=1))
    assert _state(later).state == S.SENT


def test_a_tenant_reads_their_own_messages_and_marks_them_read(demo_db):
    with db.session_scope() as s:
        first = _new(s, title="第一条")
        second = _new(s, title="第二条")
        tenant = sorted(_live_tenants(s, _project(s).id))[0]
        other = s.exec(select(Tenant.id).where(Tenant.id != tenant)).first()
    _until_quiet()
    with db.session_scope() as s:
        got = outbox.tenant_messages(s, tenant)
        assert [m["title"] for m in got[:2]] == ["第二条", "第一条"]
        assert all(not m["read"] for m in got) and outbox.tenant_unread(s, tenant) == len(got) >= 2
        # Cursor paging: the next page starts below the last id seen.
        assert [m["title"] for m in outbox.tenant_messages(s, tenant, limit=1)] == ["第二条"]
        assert outbox.tenant_messages(s, tenant, before_id=got[0]["id"], limit=1)[0]["title"] == "第一条"
        # Another tenant cannot mark this one's message, nor see it.
        assert outbox.mark_tenant_read(s, other, got[0]["id"]) == 0
        assert got[0]["id"] not in [m["id"] for m in outbox.tenant_messages(s, other)]
        assert outbox.mark_tenant_read(s, tenant, got[0]["id"]) == 1
        assert outbox.mark_tenant_read(s, tenant, got[0]["id"]) == 0  # twice changes nothing
        assert outbox.tenant_unread(s, tenant) == len(got) - 1
        assert [m["id"] for m in outbox.tenant_messages(s, tenant, unread_only=True)] == [m["id"] for m in got[1:]]
        assert outbox.mark_tenant_read(s, tenant) == len(got) - 1  # all of them
        assert outbox.tenant_unread(s, tenant) == 0
    assert {first, second} <= {m.notification_id for m in _messages(first) + _messages(second)}


def test_one_message_is_found_for_its_own_tenant_only(demo_db):
    with db.session_scope() as s:
        _new(s, title="单条消息")
        tenant = sorted(_live_tenants(s, _project(s).id))[0]
        other = s.exec(select(Tenant.id).where(Tenant.id != tenant)).first()
    _until_quiet()
    with db.session_scope() as s:
        newest = outbox.tenant_messages(s, tenant, limit=1)[0]
        assert newest["title"] == "单条消息" and outbox.tenant_message(s, tenant, newest["id"]) == newest
        assert outbox.tenant_message(s, other, newest["id"]) is None  # the API answers 404
        assert outbox.tenant_message(s, tenant, 10**9) is None


def test_a_failed_sms_is_retried_with_growing_waits_and_sent_once_when_it_goes_through(demo_db, gateway):
    now = utcnow()
    with db.session_scope() as s:
        tenants = sorted(_live_tenants(s, _project(s).id))[:2]
        phones = [s.get_one(Tenant, t).phone for t in tenants]
        n_id = _new(s, audience=Audience.TENANTS, channel=Channel.SMS, at=now)
        s.add_all([NotificationTenant(notification_id=n_id, tenant_id=t) for t in tenants])
    sandbox_call(gateway, "/sandbox/sms/control", {"refuse": {phones[1]: "该号码已停机"}})
    outbox.send_due(now)
    n = _state(n_id)
    assert n.state == S.FAILED and n.attempts == 1 and n.recipients == 1
    assert "1 人未送达" in n.fail_reason and "该号码已停机" in n.fail_reason
    assert n.next_try_at == now + outbox.BACKOFF
    outbox.send_due(now + timedelta(seconds=59))  # not yet due again
    assert _state(n_id).attempts == 1
    outbox.send_due(now + timedelta(minutes=1))
    n = _state(n_id)
    assert (n.state, n.attempts, n.next_try_at) == (S.FAILED, 2, now + timedelta(minutes=1) + 2 * outbox.BACKOFF)
    sandbox_call(gateway, "/sandbox/sms/control", {"reset": True})  # the number works again
    outbox.send_due(now + timedelta(minutes=3))
    n = _state(n_id)
    assert (n.state, n.attempts, n.recipients, n.fail_reason) == (S.SENT, 3, 2, "")
    # The first tenant's SMS went out in the first round (before the reset emptied the outbox) and never again.
    assert _outbox(gateway, phones[0]) == [] and len(_outbox(gateway, phones[1])) == 1
    assert {m.state for m in _messages(n_id)} == {MessageState.SENT}
    assert all(m.provider_ref.startswith("SM") for m in _messages(n_id))


def test_retries_stop_after_the_last_attempt_with_the_reason(demo_db, gateway):
    now = utcnow()
    with db.session_scope() as s:
        tenant = sorted(_live_tenants(s, _project(s).id))[0]
        phone = s.get_one(Tenant, tenant).phone
        n_id = _new(s, audience=Audience.TENANT, tenant_id=tenant, channel=Channel.SMS, at=now)
    sandbox_call(gateway, "/sandbox/sms/control", {"refuse": {phone: "空号"}})
    at = now
    for k in range(1, outbox.MAX_ATTEMPTS + 1):
        outbox.send_due(at)
        n = _state(n_id)
        assert n.attempts == k and n.state == S.FAILED
        if k < outbox.MAX_ATTEMPTS:
            assert n.next_try_at == at + outbox.backoff(k)
            at = n.next_try_at
    assert n.next_try_at is None and n.fail_reason.endswith("（已达最多重试次数）") and "空号" in n.fail_reason
    with db.session_scope() as s:
        trail = s.exec(
            select(AuditLog.action, AuditLog.summary).where(
                AuditLog.resource == "notifications", AuditLog.row_id == n_id
            )
        ).all()
    assert [a for a, _ in trail] == ["failed"] * outbox.MAX_ATTEMPTS and "第 5 次发送" in trail[-1][1]
    outbox.send_due(at + timedelta(days=1))
    assert _state(n_id).attempts == outbox.MAX_ATTEMPTS and _outbox(gateway, phone) == []


def test_a_withdrawn_notification_is_never_sent_and_a_sent_one_cannot_be_withdrawn(demo_db, principal_of):
    p = principal_of("principal")
    with db.session_scope() as s:
        later = _new(s, at=utcnow() + timedelta(minutes=5))
        sent = _new(s)
    outbox.send_due()
    with db.session_scope() as s:
        rows = [s.get_one(Notification, later), s.get_one(Notification, sent)]
        result = marketing.withdraw_notifications(ActionContext(s, p, rows))
    assert result.done == 1 and result.refused == [("停水通知", "只能撤回待发送或发送失败的通知")]
    _until_quiet(utcnow() + timedelta(minutes=10))
    assert _state(later).state == S.WITHDRAWN and _messages(later) == []
    assert _state(sent).state == S.SENT


def test_a_claim_taken_by_another_sender_changes_nothing_and_a_dead_senders_lease_runs_out(demo_db):
    now = utcnow()
    with db.session_scope() as s:
        n_id = _new(s, at=now)
        version = s.get_one(Notification, n_id).version
    with db.session_scope() as s:
        assert outbox.claim(s, n_id, S.SCHEDULED, version, now)
    with db.session_scope() as s:
        assert not outbox.claim(s, n_id, S.SCHEDULED, version, now)  # the second sender finds it taken
    assert outbox.send_due(now) == {"notifications_sent": 0, "notifications_failed": 0}  # leased, not due
    outbox.send_due(now + outbox.LEASE + timedelta(seconds=1))  # the first sender died: taken over
    assert _state(n_id).state == S.SENT and _state(n_id).attempts == 2


def test_two_senders_at_once_send_every_sms_exactly_once(demo_db, gateway):
    with db.session_scope() as s:
        tenants = sorted(_live_tenants(s, _project(s).id))[:8]
        phones = sorted(s.get_one(Tenant, t).phone for t in tenants)
        ids = [_new(s, audience=Audience.TENANTS, channel=Channel.SMS, title=f"通知{k}") for k in range(6)]
        s.add_all([NotificationTenant(notification_id=n, tenant_id=t) for n in ids for t in tenants])
    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def sender():
        start.wait()
        results.append(outbox.send_due())

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["notifications_sent"] for r in results) == len(ids)
    assert all(_state(i).state == S.SENT for i in ids)
    sent = _outbox(gateway)
    assert len(sent) == len(ids) * len(phones)
    assert sorted((m["phone"], m["text"]) for m in sent) == sorted(
        (ph, f"【通知{k}】明日 9:00–12:00 停水检修") for k in range(6) for ph in phones
    )


def test_an_sms_whose_answers_were_all_lost_is_sent_again_and_delivered_once(demo_db, gateway):
    now = utcnow()
    with db.session_scope() as s:
        tenant = sorted(_live_tenants(s, _project(s).id))[0]
        phone = s.get_one(Tenant, tenant).phone
        n_id = _new(s, audience=Audience.TENANT, tenant_id=tenant, channel=Channel.SMS, at=now)
    # The gateway takes the message on every try of the first round but no answer comes back.
    sandbox_call(gateway, "/sandbox/sms/control", {"lose_next": sms.ATTEMPTS})
    outbox.send_due(now)
    assert _state(n_id).state == S.FAILED and len(_outbox(gateway, phone)) == 1
    outbox.send_due(now + outbox.BACKOFF)
    n = _state(n_id)
    assert (n.state, n.attempts, n.recipients) == (S.SENT, 2, 1)
    assert len(_outbox(gateway, phone)) == 1  # the retry carried the same ref: one SMS on the phone


def test_an_sms_left_sending_by_a_dead_sender_is_delivered_once_after_the_lease(demo_db, gateway):
    now = utcnow()
    with db.session_scope() as s:
        tenant = sorted(_live_tenants(s, _project(s).id))[1]
        phone = s.get_one(Tenant, tenant).phone
        n_id = _new(s, audience=Audience.TENANT, tenant_id=tenant, channel=Channel.SMS, at=now)
    sent_by_the_dead: list[str] = []

    def dies_after_sending(to: str, text: str, ref: str) -> str:
        sent_by_the_dead.append(sms.send(to, text, ref))
        raise RuntimeError("the sender's process died before recording the answer")

    outbox.send_due(now, send=dies_after_sending)
    assert _state(n_id).state == S.SENDING and [m.state for m in _messages(n_id)] == [MessageState.SENDING]
    outbox.send_due(now + outbox.LEASE + timedelta(seconds=1))
    n = _state(n_id)
    assert (n.state, n.recipients) == (S.SENT, 1)
    assert [m.provider_ref for m in _messages(n_id)] == sent_by_the_dead
    assert len(_outbox(gateway, phone)) == 1


# ---------------------------------------------------------------- events that notify


def test_bill_confirmation_signing_review_and_approvals_notify_in_their_transaction(demo_db, principal_of):
    manager, principal = principal_of("manager"), principal_of("principal")
    with db.session_scope() as s:
        bill = s.exec(
            select(Bill)
            .where(Bill.state == BillState.UNCONFIRMED, Bill.project_id.in_(sorted(manager.project_ids or [])))
            .order_by(Bill.id)
        ).first()
        assert bills.confirm(ActionContext(s, manager, [bill])).done == 1
        pending = s.exec(
            select(Contract).where(
                Contract.state == ContractState.PENDING_REVIEW,
                Contract.project_id.in_(sorted(manager.project_ids or [])),
            )
        ).first()
        if pending is not None:
            assert leasing.review(False)(ActionContext(s, manager, [pending])).done == 1
        adjust = s.exec(
            select(Bill)
            .where(
                Bill.state == BillState.UNCONFIRMED,
                Bill.id != bill.id,
                Bill.project_id.in_(sorted(manager.project_ids or [])),
            )
            .order_by(Bill.id)
        ).first()
        values = {"amount_after": adjust.amount - Decimal("10.00"), "reason": "维修期间减免"}
        assert bill_approvals.request_adjustments(ActionContext(s, manager, [adjust], values=values)).done == 1
    with db.session_scope() as s:
        before = len(outbox.staff_messages(s, principal))
    _until_quiet()
    with db.session_scope() as s:
        mine = outbox.tenant_messages(s, bill.tenant_id)
        assert any(m["title"] == f"账单已确认：{bill.title}" and m["source"] == "账单确认" for m in mine)
        if pending is not None:
            told = outbox.tenant_messages(s, pending.tenant_id)
            assert any(m["title"] == f"在线签约未通过审核：{pending.number}" for m in told)
        bell = outbox.staff_messages(s, principal)
        assert len(bell) == before + 1 and bell[0]["title"] == f"调账待审批：{adjust.title}"
        assert outbox.mark_staff_read(s, principal, int(bell[0]["id"]))
        assert not outbox.mark_staff_read(s, principal_of("principal2"), int(bell[0]["id"]))
        assert len(outbox.staff_messages(s, principal)) == before


def test_a_refused_action_enqueues_nothing(demo_db, principal_of):
    manager = principal_of("manager")
    with db.session_scope() as s:
        count = s.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one()
        paid = s.exec(select(Bill).where(Bill.state == BillState.PAID)).first()
        assert bills.confirm(ActionContext(s, manager, [paid])).done == 0
        debt = s.exec(select(BadDebt).where(BadDebt.state == ApprovalState.LEVEL1)).first()
        assert (
            bill_approvals.request_bad_debt(ActionContext(s, manager, [s.get_one(Bill, debt.bill_id)], "x")).done == 0
        )
        assert s.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == count


def test_repair_progress_and_a_bad_debt_waiting_notify(demo_db, principal_of):
    manager, principal, finance = principal_of("manager"), principal_of("principal"), principal_of("finance")
    with db.session_scope() as s:
        order = s.exec(
            select(RepairOrder)
            .where(
                RepairOrder.state == RepairState.PENDING,
                RepairOrder.tenant_id.is_not(None),
                RepairOrder.project_id.in_(sorted(manager.project_ids or [])),
            )
            .order_by(RepairOrder.id)
        ).first()
        assert order is not None
        assert repairs.decide(True)(ActionContext(s, manager, [order], values={})).done == 1
        busy = select(BadDebt.bill_id).where(BadDebt.state.in_([ApprovalState.LEVEL1, ApprovalState.LEVEL2]))
        final = s.exec(
            select(Bill)
            .join(Contract, Contract.id == Bill.contract_id)
            .where(
                Bill.state == BillState.REFUND_DUE,
                Contract.state.in_([ContractState.CHECKED_OUT, ContractState.EXPIRED]),
                Bill.project_id.in_(sorted(manager.project_ids or [])),
                Bill.id.not_in(busy),
            )
        ).first()
        assert bill_approvals.request_bad_debt(ActionContext(s, manager, [final], "租客失联")).done == 1
    with db.session_scope() as s:
        bell_before = len(outbox.staff_messages(s, principal))
        finance_before = len(outbox.staff_messages(s, finance))
    _until_quiet()
    with db.session_scope() as s:
        told = outbox.tenant_messages(s, order.tenant_id)
        assert any(m["title"] == f"报修进度：{order.number}" and "已受理" in m["body"] for m in told)
        bell = outbox.staff_messages(s, principal)
        assert len(bell) == bell_before + 1 and bell[0]["title"] == f"坏账待一级审批：{final.title}"
        assert "租客失联" in bell[0]["body"]
        assert len(outbox.staff_messages(s, finance)) == finance_before  # level 2 is not waiting yet
        debt = s.exec(select(BadDebt).where(BadDebt.bill_id == final.id)).one()
        assert bill_approvals.decide_bad_debt(True)(ActionContext(s, principal, [debt], "同意")).done == 1
    _until_quiet()
    with db.session_scope() as s:
        assert outbox.staff_messages(s, finance)[0]["title"] == f"坏账待财务审批：坏账#{debt.id}"
