"""The back office of issue 23's tenant marketing: 发放给租客 on 优惠券 (staff pick tenants by phone), the
领券记录 it leaves, a bargain's 助力记录 (who cut how much), and 保险列表 showing 赠送 and 购买 policies."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from clss_app.services import insurance, marketing
from models import (
    BargainRecord,
    Contract,
    ContractState,
    InsuranceCover,
    PlanMode,
    Project,
    ProjectInsurancePlan,
    Tenant,
)
from tests.e2e.conftest import go, login, open_list, shot
from tests.e2e.test_admin_engine import rows
from tests.e2e.test_leasing import run, select_row


def test_staff_grant_a_coupon_to_chosen_tenants(page, app_db):
    engine = create_engine(app_db)
    with engine.begin() as conn:
        cid, company = conn.execute(text("SELECT id, company_id FROM coupon ORDER BY id LIMIT 1")).one()
        conn.execute(text("UPDATE coupon SET name = '发券测试券', stock = issued + 5 WHERE id = :i"), {"i": cid})
        issued = conn.execute(text("SELECT issued FROM coupon WHERE id = :i"), {"i": cid}).scalar_one()
        phones = (
            conn.execute(text("SELECT phone FROM tenant WHERE company_id = :c ORDER BY id LIMIT 2"), {"c": company})
            .scalars()
            .all()
        )
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    open_list(page, "优惠券")
    page.locator("#admin-search").fill("发券测试券")
    page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(1)
    select_row(page, "发券测试券")
    run(page, "grant", text=f"{phones[0]}\n{phones[1]}，13000000009")
    expect(page.get_by_text("发放给租客成功 2 条").first).to_be_visible()
    expect(page.get_by_text("13000000009：不是「发券测试券」所属企业的租客").first).to_be_visible()
    shot(page, "coupon-grant")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT issued FROM coupon WHERE id = :i"), {"i": cid}).scalar_one() == issued + 2
        held = (
            conn.execute(
                text(
                    "SELECT t.phone FROM tenant_coupon tc JOIN tenant t ON t.id = tc.tenant_id"
                    " WHERE tc.coupon_id = :i AND tc.granted_by_id IS NOT NULL"
                ),
                {"i": cid},
            )
            .scalars()
            .all()
        )
        every = conn.execute(text("SELECT COUNT(*) FROM tenant_coupon WHERE coupon_id = :i"), {"i": cid}).scalar_one()
    assert sorted(held) == sorted(phones)  # granted by staff; the demo's tenants claimed others themselves
    go(page, f"/marketing/tenant-coupons?f_coupon_id={cid}")
    expect(rows(page)).to_have_count(every)
    expect(rows(page).first).to_contain_text("未使用")
    shot(page, "tenant-coupons")


def test_bargain_records_show_who_helped_and_by_how_much(page, app_db):
    engine = create_engine(app_db)
    with engine.begin() as conn:
        bid, project = conn.execute(text("SELECT id, project_id FROM bargain ORDER BY id LIMIT 1")).one()
        conn.execute(
            text("UPDATE bargain SET min_cut = 20, max_cut = 20, helpers_needed = 10 WHERE id = :i"), {"i": bid}
        )
    with Session(engine, expire_on_commit=False) as s:
        company = s.get_one(Project, project).company_id
        names = ("砍价发起人", "助力好友甲", "助力好友乙")
        me, f1, f2 = (Tenant(company_id=company, name=n, phone=f"1990000{k:04d}") for k, n in enumerate(names))
        s.add_all([me, f1, f2])
        s.flush()
        rec = marketing.start_bargain(s, me.id, bid)
        marketing.help_bargain(s, f1.id, rec.id)
        marketing.help_bargain(s, f2.id, rec.id)
        s.commit()
        rec_id, price = rec.id, s.get_one(BargainRecord, rec.id).current_price
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    open_list(page, "砍价记录")
    expect(page.get_by_text(me.name).first).to_be_visible()
    shot(page, "bargain-records")
    go(page, f"/marketing/bargain-helps?f_record_id={rec_id}")
    expect(rows(page)).to_have_count(2)
    for friend in (f1, f2):
        expect(rows(page).filter(has_text=friend.name)).to_contain_text("¥20.00")
    expect(rows(page).filter(has_text=f2.name)).to_contain_text(f"¥{price:,.2f}")
    shot(page, "bargain-helps")


def test_the_policy_list_shows_gifted_and_bought_policies_with_their_state(page, app_db):
    engine = create_engine(app_db)
    with Session(engine) as s:
        plan = s.exec(select(ProjectInsurancePlan).where(ProjectInsurancePlan.mode == PlanMode.SOLD)).first()
        c = s.exec(
            select(Contract)
            .where(Contract.project_id == plan.project_id, Contract.state == ContractState.ACTIVE)
            .order_by(Contract.id.desc())
        ).first()
        cover = s.exec(select(InsuranceCover).where(InsuranceCover.product_id == plan.product_id)).first()
        number = insurance.buy_policy(s, c.tenant_id, c.id, cover.id).number
        s.commit()
    login(page, "sysadmin")
    expect(page.locator("#current-role")).to_have_text("系统管理员")
    open_list(page, "保险列表")
    expect(rows(page).filter(has_text="赠送").first).to_contain_text("保障中")
    expect(rows(page).filter(has_text="购买").first).to_be_visible()
    shot(page, "policies-gifted-and-bought")
    page.locator("#admin-search").fill(number)
    page.keyboard.press("Enter")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("购买")
    expect(rows(page).first).to_contain_text("未支付")
    shot(page, "policy-bought")
