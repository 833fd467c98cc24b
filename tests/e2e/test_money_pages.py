"""The pages around online payment, in Chromium, from the menu: a system admin sets a merchant's signing
key (shown again only as its fingerprint); finance resolves the 15:00 clearing's difference and marks
the late payment refunded."""

from __future__ import annotations

import hashlib

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from clss_app.core import sealed
from clss_app.sandbox import pay as sandbox
from models import ClearingDifference, DifferenceState, ExceptionState, PayCallback, PaySettings
from tests.e2e.conftest import login, open_list, shot
from tests.e2e.test_row_actions import as_user

NEW_KEY = "e2e-new-signing-key-9f8e7d6c5b4a"


def test_sysadmin_sets_a_signing_key_that_is_never_shown_again(page, app_db):
    engine = create_engine(app_db)
    login(page, "sysadmin")
    open_list(page, "支付参数")
    row = page.locator("#admin-table tbody tr").first
    expect(row).to_contain_text("105110000000001")
    row.get_by_role("button", name="设置签名密钥").click()
    page.locator("#confirm-input").fill("short")
    page.locator("#confirm-ok").click()
    expect(page.get_by_text("须为 16–128 位字母、数字或符号")).to_be_visible()  # refused, named
    row.get_by_role("button", name="设置签名密钥").click()
    page.locator("#confirm-input").fill(NEW_KEY)
    page.locator("#confirm-ok").click()
    fingerprint = hashlib.sha256(NEW_KEY.encode()).hexdigest()[:8].upper()
    expect(page.get_by_text(f"密钥指纹 {fingerprint}").first).to_be_visible()
    expect(row).to_contain_text(fingerprint)
    shot(page, "pay-settings-key-set")
    assert NEW_KEY not in page.content()
    with Session(engine) as s:
        settings = s.exec(select(PaySettings)).one()
        assert NEW_KEY not in settings.key_cipher and settings.key_fingerprint == fingerprint
    # The sandbox's key again (the other tests pay through it), typed the same way.
    row.get_by_role("button", name="设置签名密钥").click()
    page.locator("#confirm-input").fill(sandbox.DEMO_KEY)
    page.locator("#confirm-ok").click()
    expect(row).to_contain_text(sealed.fingerprint(sandbox.DEMO_KEY))


def test_finance_resolves_the_clearing_difference_and_refunds_the_late_payment(browser, base_url, app_db):
    engine = create_engine(app_db)
    f = as_user(browser, base_url, "finance")
    open_list(f, "支付对账")
    day = f.locator("#admin-table tbody tr", has_text="有差异").first
    expect(day).to_be_visible()
    shot(f, "clearings-list")
    open_list(f, "对账差异")
    diff = f.locator("#admin-table tbody tr", has_text="提供方有我方无").first
    expect(diff).to_contain_text("待处理")
    diff.get_by_role("button", name="处理差异").click()
    f.locator("#confirm-ok").click()
    expect(f.locator("#confirm-input")).to_be_visible()  # a note is required: the dialog stays
    f.locator("#confirm-input").fill("逾期到账款项已原路退回")
    f.locator("#confirm-ok").click()
    expect(f.get_by_text("处理差异成功 1 条")).to_be_visible()
    shot(f, "clearing-difference-resolved")
    with Session(engine) as s:
        d = s.exec(select(ClearingDifference)).first()
        assert d.state == DifferenceState.RESOLVED and d.resolution == "逾期到账款项已原路退回"

    open_list(f, "支付回调")
    late = f.locator("#admin-table tbody tr", has_text="待退款").first
    expect(late).to_contain_text("逾期到账")
    late.get_by_role("button", name="已退款").click()
    f.locator("#confirm-input").fill("退款流水 R20261202001")
    f.locator("#confirm-ok").click()
    expect(f.get_by_text("已退款成功 1 条")).to_be_visible()
    with Session(engine) as s:
        c = s.exec(select(PayCallback).where(PayCallback.exception == ExceptionState.REFUNDED)).one()
        assert "R20261202001" in c.reason
