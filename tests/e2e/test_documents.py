"""Printing in Chromium: finance prints a payment's 收据 from 收款登记 (a PDF download, its text read back
with pdftotext), prints it again (补打, same number, marked 副本); a store manager prints the 缴费通知单
of a tenant's bills with its QR code."""

from __future__ import annotations

import subprocess

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import Bill, BillState, Receipt
from tests.e2e.conftest import login, open_list, shot
from tests.e2e.test_row_actions import as_user


def _pdf_text(download, tmp_path) -> str:
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_finance_prints_a_receipt_and_a_copy(page, app_db, tmp_path):
    engine = create_engine(app_db)
    login(page, "finance")
    open_list(page, "收款登记")
    row = page.locator("#admin-table tbody tr").first
    pid = int(row.get_attribute("data-row-id"))
    for attempt in range(2):
        row.get_by_role("button", name="打印收据").click()
        with page.expect_download() as got:
            page.locator("#confirm-ok").click()
        text = _pdf_text(got.value, tmp_path)
        with Session(engine) as s:
            code = s.exec(select(Receipt.code).where(Receipt.payment_id == pid)).one()
        assert f"收据编号：{code}" in text
        assert ("补打" in text) == (attempt == 1)
    expect(page.get_by_text("打印收据成功 1 条").first).to_be_visible()
    shot(page, "receipt-printed")


def test_manager_prints_a_payment_notice_with_its_qr_code(browser, base_url, app_db, tmp_path):
    engine = create_engine(app_db)
    with Session(engine) as s:
        bill = s.exec(
            select(Bill).where(Bill.state == BillState.CONFIRMED, Bill.project_id == 1).order_by(Bill.id)
        ).first()
    m = as_user(browser, base_url, "manager")
    open_list(m, "账单管理")
    m.locator("#admin-search").fill(bill.title)
    m.locator("#admin-search").press("Enter")
    row = m.locator(f"#admin-table tbody tr[data-row-id='{bill.id}']")
    row.locator("input[type=checkbox]").click()
    m.locator("#action-notice").click()
    with m.expect_download() as got:
        m.locator("#confirm-ok").click()
    text = _pdf_text(got.value, tmp_path)
    assert "缴费通知单" in text and bill.title in text and "订单号：P" in text
    m.context.close()
