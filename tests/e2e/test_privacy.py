"""Tenants' phones and 身份证号 as each role reads them: masked to 负责人 (with 查看完整信息, audited and
seen in the 操作日志), in full to the store staff, and a 身份证号 checked next to its field."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import go, login, shot

MASKED_PHONE = re.compile(r"1\d\d\*{4}\d{4}")
FULL_PHONE = re.compile(r"1\d{10}")
TENANTS = "/customers/tenants"


def rows(page):
    return page.locator("#admin-table tbody tr")


def test_a_principal_reads_masked_phones_and_a_reveal_is_audited(page):
    login(page, "principal")
    expect(page.locator("#current-role")).to_have_text("负责人")
    go(page, TENANTS)
    first = rows(page).first
    expect(first).to_contain_text(MASKED_PHONE)
    assert not FULL_PHONE.search(rows(page).all_inner_texts()[0])
    name = first.locator("td").nth(1).inner_text().strip()
    shot(page, "privacy-tenants-principal")

    first.get_by_text("查看").click()
    items = page.locator("#detail-items")
    expect(items).to_contain_text(MASKED_PHONE)
    shot(page, "privacy-tenant-masked")
    page.locator("[data-reveal=phone]").click()
    expect(items).to_contain_text(FULL_PHONE)
    expect(page.locator("[data-reveal=phone]")).to_have_count(0)
    shot(page, "privacy-tenant-revealed")
    page.get_by_role("tab", name="操作记录").click()
    expect(page.locator("#detail-history")).to_contain_text(f"查看完整手机号：{name}")
    page.keyboard.press("Escape")
    # Editing the tenant, the number stays masked and cannot be typed over.
    first.get_by_text("编辑").click()
    expect(page.locator("#field-phone")).to_have_value(MASKED_PHONE)
    expect(page.locator("#field-phone")).to_be_disabled()
    shot(page, "privacy-edit-principal")
    page.keyboard.press("Escape")

    # The branch's 系统管理员 sees who looked at whose number, and when, in 操作日志.
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(r"/login"))
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    go(page, "/system/audit-log?q=查看完整手机号")
    entry = rows(page).first
    expect(entry).to_contain_text(f"查看完整手机号：{name}")
    expect(entry).to_contain_text("查看完整信息")
    expect(entry).to_contain_text("principal")
    shot(page, "privacy-audit-log")


def test_store_staff_read_numbers_in_full_and_a_wrong_id_number_is_named(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_have_text("店长")
    go(page, TENANTS)
    expect(rows(page).first).to_contain_text(FULL_PHONE)
    assert not MASKED_PHONE.search(rows(page).all_inner_texts()[0])
    shot(page, "privacy-tenants-manager")
    rows(page).first.get_by_text("查看").click()
    expect(page.locator("#detail-items")).to_contain_text(FULL_PHONE)
    expect(page.locator("[data-reveal]")).to_have_count(0)
    page.keyboard.press("Escape")

    rows(page).first.get_by_text("编辑").click()
    page.locator("#field-id_number").fill("110105194912310021")  # the check digit should be X
    page.locator("#form-save").click()
    expect(page.locator("#error-id_number")).to_have_text("身份证号校验位不正确")
    page.locator("#field-id_number").fill("11010519491331002X")
    page.locator("#form-save").click()
    expect(page.locator("#error-id_number")).to_have_text("身份证号中的出生日期不存在")
    shot(page, "privacy-id-number-error")
    page.locator("#field-id_number").fill("11010519491231002x")
    page.locator("#form-save").click()
    expect(page.get_by_text(re.compile("已保存"))).to_be_visible()
    expect(rows(page).first).to_contain_text("11010519491231002X")
