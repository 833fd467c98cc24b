"""Notifications delivered, in Chromium with the app's own worker sending (services/outbox.py through the
jobs loop): a 店长's 坏账申请 reaches the 负责人's bell (the count rises, 标为已读 lowers it), and a 消息通知
typed on its page and sent with 立即发送 reaches 已发送 with its tenants' 站内信 written."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from models import (
    Bill,
    BillKind,
    BillState,
    Contract,
    ContractState,
    Notification,
    NotificationMessage,
    NotificationState,
    Project,
    Room,
    User,
    UserProject,
)
from tests.e2e.conftest import go, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import as_user, pick, run, select_row

TITLE = "E2E 停电检修通知"


def _wait(check, seconds: float = 60.0):
    """The worker sends every few seconds: wait for it, never longer than ``seconds``."""
    until = time.monotonic() + seconds
    while True:
        got = check()
        if got or time.monotonic() > until:
            return got
        time.sleep(0.5)


def _count(page) -> int:
    return int(page.locator("#bell").get_attribute("data-count") or "0")


def test_the_approvers_bell_rises_when_a_bad_debt_waits(browser, base_url, app_db):
    engine = create_engine(app_db)
    with Session(engine) as s:
        manager = s.exec(select(User).where(User.username == "manager")).one()
        principal = s.exec(select(User).where(User.username == "principal")).one()
        # Its own unclaimed refund, on a checked-out contract of the 店长's not settled yet: the demo has
        # one such refund, and the leasing walk applies for bad debt on it first.
        mine = select(UserProject.project_id).where(UserProject.user_id == manager.id)
        contract = s.exec(
            select(Contract)
            .where(
                Contract.state == ContractState.CHECKED_OUT,
                Contract.project_id.in_(mine),
                Contract.id.not_in(select(Bill.contract_id).where(Bill.kind == BillKind.SETTLEMENT)),
            )
            .order_by(Contract.id.desc())
        ).first()
        assert contract is not None and contract.checked_out_on is not None
        room = s.get_one(Room, contract.room_id)
        bill = Bill(
            contract_id=contract.id,
            project_id=contract.project_id,
            room_id=contract.room_id,
            tenant_id=contract.tenant_id,
            kind=BillKind.SETTLEMENT,
            fee_key="settlement",
            fee_name="退房结算",
            title=f"{room.number} 退房结算 E2E{int(time.time()) % 100000}",
            period_start=contract.checked_out_on,
            period_end=contract.checked_out_on,
            due_date=contract.checked_out_on,
            amount=Decimal("800.00"),
            state=BillState.REFUND_DUE,
            confirmed_at=clock.now(),
        )
        s.add(bill)
        s.commit()
        s.refresh(bill)

        def unread() -> int:
            with Session(engine) as s2:
                return s2.execute(
                    sa.select(sa.func.count())
                    .select_from(NotificationMessage)
                    .where(NotificationMessage.user_id == principal.id, NotificationMessage.read_at.is_(None))
                ).scalar_one()

        before_unread = unread()
    p = as_user(browser, base_url, "principal")
    m = as_user(browser, base_url, "manager")
    try:
        bell = p.locator("#bell")
        bell.click()
        expect(p.locator("#bell-messages .clss-message")).to_have_count(before_unread)
        p.keyboard.press("Escape")
        p.wait_for_timeout(1000)  # the bell's three loads have answered
        before = _count(p)
        shot(p, "outbox-bell-before")

        go(m, f"/finance/bills?f_state=refund_due&q={quote(bill.title)}")
        select_row(m, bill.title)
        run(m, "bad_debt", text="租客失联，退款无法退回（E2E）")
        expect(m.get_by_text("申请坏账成功 1 条")).to_be_visible()
        assert _wait(lambda: unread() == before_unread + 1), "the worker did not deliver the bell message"

        go(p, "/finance/bills")  # a page change mounts the bell again: it asks anew
        item = p.locator("#bell-messages .clss-message").filter(has_text=f"坏账待一级审批：{bill.title}")
        expect(bell).not_to_have_attribute("data-count", str(before))
        p.wait_for_timeout(1000)
        after = _count(p)
        assert after >= before + 1, (before, after)
        bell.click()
        expect(item).to_have_count(1)
        expect(item).to_contain_text("租客失联，退款无法退回（E2E）")
        shot(p, "outbox-bell-after")
        item.locator(".clss-message-read").click()
        expect(item).to_have_count(0)
        expect(bell).to_have_attribute("data-count", str(after - 1))
        assert unread() == before_unread
        shot(p, "outbox-bell-read")
    finally:
        p.context.close()
        m.context.close()


def test_a_notification_typed_on_its_page_is_sent_by_the_worker(browser, base_url, app_db):
    engine = create_engine(app_db)
    with Session(engine) as s:
        project = s.get_one(Project, 1)
        live = s.execute(
            sa.select(sa.func.count(sa.distinct(Contract.tenant_id))).where(
                Contract.project_id == project.id, Contract.state.in_([ContractState.SIGNED, ContractState.ACTIVE])
            )
        ).scalar_one()
    m = as_user(browser, base_url, "manager")
    try:
        open_list(m, "消息通知")
        m.locator("#admin-create").click()
        expect(m.locator("#form-save")).to_be_visible()
        pick(m, "company_id", "京安居", "京安居住房租赁有限公司")
        m.locator("#field-title").fill(TITLE)
        m.locator("#field-body").fill("本周六 9:00–11:00 配电房检修，届时停电，请提前做好准备。")
        m.locator("#field-audience").click()
        m.get_by_role("option", name="指定项目租客", exact=True).click()
        pick(m, "project_id", project.name)
        m.locator("#field-channel").click()
        m.get_by_role("option", name="站内信", exact=True).click()
        m.locator("#field-scheduled_at").fill(
            (clock.now().astimezone(clock.SHANGHAI) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        )
        shot(m, "outbox-notification-form")
        m.locator("#form-save").click()
        expect(m.locator("#form-save")).to_have_count(0)
        with Session(engine) as s:
            n = s.exec(select(Notification).where(Notification.title == TITLE)).one()
            assert n.state == NotificationState.SCHEDULED and n.source == "人工"
        row = rows(m).filter(has_text=TITLE)
        expect(row).to_contain_text("待发送")
        select_row(m, TITLE)
        run(m, "send_now")
        expect(m.get_by_text("立即发送成功 1 条")).to_be_visible()

        def sent():
            with Session(engine) as s:
                got = s.get_one(Notification, n.id)
                return got if got.state == NotificationState.SENT else None

        done = _wait(sent)
        assert done is not None, "the worker did not send the notification"
        assert done.recipients == live > 0 and done.attempts == 1
        with Session(engine) as s:
            written = s.execute(
                sa.select(sa.func.count())
                .select_from(NotificationMessage)
                .where(NotificationMessage.notification_id == n.id)
            ).scalar_one()
        assert written == live
        m.reload()
        row = rows(m).filter(has_text=TITLE)
        expect(row).to_contain_text("已发送")
        expect(row).to_contain_text(str(live))
        shot(m, "outbox-notification-sent")
        select_row(m, TITLE)  # sent: neither 立即发送 nor 撤回 applies any more
        expect(m.locator("#action-withdraw")).to_have_count(0)
        expect(m.locator("#action-send_now")).to_have_count(0)
    finally:
        m.context.close()
