"""Words, not identifiers (issue 18 item 2): parameters by their Chinese names and units, checked at the
field; people by name (陈店长), not by login (manager)."""

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import Contract, User
from tests.e2e.conftest import go, login, shot


def as_user(page, username, role_label):
    login(page, username)
    expect(page.locator("#current-role")).to_have_text(role_label)


def rows(page):
    return page.locator("#admin-table tbody tr")


def column(page, header: str) -> list[str]:
    headers = [t.strip() for t in page.locator("#admin-table thead th").all_inner_texts()]
    n = headers.index(header) + 1
    return [t.strip() for t in page.locator(f"#admin-table tbody tr td:nth-child({n})").all_inner_texts()]


def test_parameters_read_by_name_and_are_checked_at_the_field(page):
    as_user(page, "super", "超级管理员")
    go(page, "/system/city-params")
    grace = rows(page).filter(has_text="北京").filter(has_text="滞纳金宽限天数")
    expect(grace).to_have_count(1)
    expect(grace.locator(".clss-hint")).to_have_text("late_fee_grace_days")  # the key, small, beside its name
    expect(grace).to_contain_text("3 天")  # the value with its unit
    # (test_admin_engine sets 上海's to 92 on the same demo)
    expect(rows(page).filter(has_text="北京").filter(has_text="租金指导价")).to_contain_text("85 元/㎡·月")
    shot(page, "words-city-params")

    grace.get_by_text("编辑").click()
    page.locator("#field-value").fill("45")
    page.locator("#form-save").click()
    expect(page.locator("#error-value")).to_have_text("滞纳金宽限天数须为 0–30 之间的整数（单位：天）")
    shot(page, "words-city-param-error")
    page.locator("#field-value").fill("5")
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存：滞纳金宽限天数")).to_be_visible()
    expect(rows(page).filter(has_text="北京").filter(has_text="滞纳金宽限天数")).to_contain_text("5 天")

    # A new parameter is chosen from the catalogue by its name, never typed as a key.
    page.locator("#admin-create").click()
    page.locator("#field-key").click()
    expect(page.get_by_role("option", name="滞纳金宽限天数", exact=True)).to_be_visible()
    expect(page.get_by_role("option", name="late_fee_grace_days")).to_have_count(0)
    page.keyboard.press("Escape")


def test_enterprise_parameters_as_a_branch_admin(page):
    as_user(page, "sysadmin", "系统管理员")
    go(page, "/system/enterprise-params")
    for name in ("默认账单模式", "代扣提前天数", "合同编号前缀"):
        expect(rows(page).filter(has_text=name).first).to_be_visible()
    assert not any(t.startswith(("billing_mode", "withhold_days")) for t in column(page, "参数名"))
    # A company's row as the demo left it (test_admin_engine sets another's to 7 on the same demo).
    withhold = rows(page).filter(has_text="代扣提前天数").filter(has_text="5 天").first
    expect(withhold).to_be_visible()
    company = withhold.locator("td").nth(1).inner_text().strip()
    shot(page, "words-enterprise-params")
    withhold.get_by_text("编辑").click()
    page.locator("#field-value").fill("20")
    page.locator("#form-save").click()
    expect(page.locator("#error-value")).to_have_text("代扣提前天数须为 0–15 之间的整数（单位：天）")
    page.locator("#field-value").fill("8 天")  # the unit may be typed; stored as 8
    page.locator("#form-save").click()
    expect(page.get_by_text("已保存：代扣提前天数")).to_be_visible()
    expect(rows(page).filter(has_text="代扣提前天数").filter(has_text=company)).to_contain_text("8 天")


def test_people_read_by_name_not_login(page, app_db):
    with Session(create_engine(app_db)) as s:
        manager = s.exec(select(User).where(User.username == "manager")).one()
        number = s.exec(select(Contract.number).where(Contract.created_by_id == manager.id)).first()
    assert manager.display_name == "陈店长" and number

    as_user(page, "manager", "店长")
    go(page, "/marketing/notifications")
    creators = column(page, "创建人")
    assert creators and "陈店长" in creators and "manager" not in creators
    shot(page, "words-notifications-creator")

    go(page, f"/contracts?q={number}")
    expect(rows(page)).to_have_count(1)
    rows(page).first.get_by_text("查看").click()
    items = page.locator("#detail-items")
    expect(items).to_contain_text("经办人")
    expect(items).to_contain_text("陈店长")
    expect(items).not_to_contain_text("manager")
    items.get_by_text("陈店长", exact=True).scroll_into_view_if_needed()
    page.wait_for_timeout(400)  # the dialog's fade-in, for the screenshot only
    shot(page, "words-contract-detail-operator")
