"""Search finds what staff type (issue 18): a tenant's surname, a room number, in 合同列表 and 账单管理."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from models import Contract, Room, Tenant
from tests.e2e.conftest import go, login, shot
from tests.e2e.test_admin_engine import rows


def _search(page, text: str) -> None:
    page.locator("#admin-search").fill(text)
    page.locator("#admin-search").press("Enter")


def test_a_store_manager_finds_a_contract_by_surname_then_room(page, app_db):
    with Session(create_engine(app_db)) as s:
        contract, room = s.exec(
            select(Contract, Room)
            .join(Tenant, Tenant.id == Contract.tenant_id)
            .join(Room, Room.id == Contract.room_id)
            .where(Tenant.name == "赵磊静")
            .order_by(Contract.id.desc())
        ).first()
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    go(page, "/contracts")
    expect(page.locator("#admin-search")).to_have_attribute("placeholder", "搜索合同编号/租客/租客手机号/房间/同住人")
    _search(page, "赵")  # one character: a surname
    expect(page).to_have_url(__import__("re").compile(r"q=%E8%B5%B5"))
    expect(rows(page).filter(has_text="赵磊静").first).to_be_visible()
    for text in rows(page).all_inner_texts():
        assert "赵" in text, text  # every row is a 赵's (no contract number or room holds 赵)
    shot(page, "search-contracts-surname")
    _search(page, room.number)
    row = rows(page).filter(has_text=contract.number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("赵磊静")
    expect(row).to_contain_text(room.number)
    shot(page, "search-contracts-room")
    _search(page, "没有这个人")
    expect(rows(page)).to_have_count(0)


def test_a_bill_is_found_by_its_tenant_s_name(page):
    login(page, "manager")
    expect(page.locator("#current-role")).to_be_visible()
    go(page, "/finance/bills")
    _search(page, "赵磊静")
    expect(rows(page).first).to_contain_text("赵磊静")
    texts = rows(page).all_inner_texts()
    assert texts and all("赵磊静" in t for t in texts), texts
    shot(page, "search-bills-tenant")
