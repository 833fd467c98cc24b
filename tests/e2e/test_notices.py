"""系统公告 in Chromium: the Beijing branch's system admin writes a notice to 店长 and publishes it; the 店长
finds it on the home page and in the bell, marks it read, and it leaves both (the bell's count drops)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import clock
from models import Notice, NoticeRead, NoticeState, User
from tests.e2e.conftest import open_list, shot
from tests.e2e.test_row_actions import as_user

TITLE = "电梯年检停用通知（E2E）"


def test_an_admin_publishes_a_notice_a_manager_reads_it(browser, base_url, app_db):
    engine = create_engine(app_db)
    a = as_user(browser, base_url, "sysadmin")
    m = None
    try:
        open_list(a, "系统公告")
        a.locator("#admin-create").click()
        a.locator("#field-title").fill(TITLE)
        a.locator("#field-body").fill("本周四 9:00–12:00 各楼栋电梯年检，请提前告知租客。")
        a.locator("#field-to_store_manager").click()
        a.get_by_role("option", name="是", exact=True).click()
        a.locator("#field-starts_on").fill(clock.today().isoformat())
        shot(a, "notices-form")
        a.locator("#form-save").click()
        expect(a.locator("#form-save")).to_have_count(0)  # saved: the form closed
        with Session(engine) as s:
            n = s.exec(select(Notice).where(Notice.title == TITLE)).one()
            assert n.state == NoticeState.DRAFT and n.audience == "店长 · 全部企业"
            notice_id = n.id
        row = a.locator(f"#admin-table tbody tr[data-row-id='{notice_id}']")
        expect(row).to_contain_text("草稿")
        row.locator("[data-row-action=publish]").click()
        a.locator("#confirm-ok").click()
        expect(a.get_by_text("发布成功 1 条")).to_be_visible()
        expect(row).to_contain_text("已发布")
        shot(a, "notices-list")

        m = as_user(browser, base_url, "manager")
        card = m.locator(f"#notice-board [data-notice='{notice_id}']")
        expect(card).to_contain_text(TITLE)
        expect(card).to_contain_text("电梯年检")
        bell = m.locator("#bell")
        expect(bell).not_to_have_attribute("data-count", "0")
        before = int(bell.get_attribute("data-count") or "0")
        bell.click()
        expect(m.locator(f"#bell-notices [data-notice='{notice_id}']")).to_contain_text(TITLE)
        shot(m, "notices-home-and-bell")
        m.keyboard.press("Escape")
        card.locator(".clss-notice-read").click()
        expect(card).to_have_count(0)
        expect(bell).to_have_attribute("data-count", str(before - 1))
        bell.click()
        expect(m.locator(f"#bell-notices [data-notice='{notice_id}']")).to_have_count(0)
        shot(m, "notices-read")
        with Session(engine) as s:
            uid = s.exec(select(User.id).where(User.username == "manager")).one()
            assert s.get(NoticeRead, (notice_id, uid)) is not None
        m.reload()  # read stays read
        expect(m.locator("#current-role")).to_be_visible()
        expect(m.locator(f"[data-notice='{notice_id}']")).to_have_count(0)
    finally:
        a.context.close()
        if m is not None:
            m.context.close()
