"""The tenant side of 营销/保险/评价 (issue 23, parts 3–6), as the API will call it: coupons claimed,
granted and applied to a bill as a ledger line of their own; flash sales, bargains and events that never
pass their stock or capacity, raced by many threads (on PostgreSQL too); 赠险 once at the first check-in;
bought policies; evaluations once per contract; feedback. Every refusal with its Chinese message."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db
from clss_app.admin import ActionContext
from clss_app.core import clock
from clss_app.core.errors import Refused
from clss_app.services import evaluations, insurance, leasing, ledger, marketing
from clss_app.services.bills import outstanding
from clss_app.site import app_site
from models import (
    Bargain,
    BargainHelp,
    BargainRecord,
    BargainState,
    Bill,
    BillKind,
    BillState,
    Contract,
    ContractState,
    Coupon,
    CouponKind,
    CouponProject,
    Evaluation,
    Event,
    EventSignup,
    Feedback,
    FeedbackKind,
    FlashClaim,
    FlashSale,
    InsuranceCover,
    LedgerSource,
    Payment,
    PaymentMethod,
    PlanMode,
    Policy,
    PolicyState,
    Project,
    ProjectInsurancePlan,
    Tenant,
    TenantCoupon,
    TenantCouponState,
    utcnow,
)


def _on_pg() -> bool:
    return db.engine().dialect.name == "postgresql"


def _parallel(n: int, work) -> list[str]:
    """Run work(s, i) in n threads released at once, each in its own transaction; what each one got."""
    results: list[str] = [""] * n
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        try:
            with db.session_scope() as s:
                work(s, i)
            results[i] = "ok"
        except Refused as exc:
            results[i] = str(exc)
        except Exception as exc:  # anything else is a failure of the test, shown as such
            results[i] = f"ERROR {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _tenants(s, company_id: int, n: int, prefix: str = "1770") -> list[int]:
    """n new tenants of the company (phones 1770xxxxxxx, not in the demo)."""
    rows = [Tenant(company_id=company_id, name=f"测试{i}", phone=f"{prefix}{i:07d}") for i in range(n)]
    s.add_all(rows)
    s.flush()
    return [r.id for r in rows]


def _open_rent_bill(s) -> Bill:
    """A confirmed rent bill nobody has paid anything on yet."""
    bill = s.exec(
        select(Bill)
        .where(Bill.state == BillState.CONFIRMED, Bill.kind == BillKind.RENT, Bill.paid == 0, Bill.amount > 1000)
        .order_by(Bill.id)
    ).first()
    assert bill is not None
    return bill


def _coupon(s, company_id: int, **kw) -> Coupon:
    values = dict(
        company_id=company_id,
        name="测试满减券",
        kind=CouponKind.AMOUNT_OFF,
        amount=Decimal(200),
        threshold=Decimal(1000),
        valid_from=clock.today() - timedelta(days=1),
        valid_to=clock.today() + timedelta(days=30),
        stock=10,
        per_user_limit=1,
    )
    values.update(kw)
    row = Coupon(**values)
    s.add(row)
    s.flush()
    return row


def _company(s, bill: Bill) -> int:
    return s.get_one(Project, bill.project_id).company_id


# ---------------------------------------------------------------- coupons


def test_a_claimed_coupon_lowers_the_bill_as_a_ledger_line_of_its_own_once(session):
    s = session
    bill = _open_rent_bill(s)
    coupon = _coupon(s, _company(s, bill))
    held = marketing.claim_coupon(s, bill.tenant_id, coupon.id)
    s.refresh(coupon)
    assert (coupon.issued, coupon.used, held.state) == (1, 0, TenantCouponState.UNUSED)
    with pytest.raises(Refused, match="每人限领 1 张"):
        marketing.claim_coupon(s, bill.tenant_id, coupon.id)

    owed = outstanding(bill)
    assert marketing.apply_coupon(s, bill.tenant_id, held.id, bill.id) == Decimal(200)
    s.refresh(bill), s.refresh(coupon), s.refresh(held)
    assert outstanding(bill) == owed - 200 and bill.state == BillState.PARTLY_PAID
    line = s.exec(select(Payment).where(Payment.bill_id == bill.id)).one()
    assert (line.amount, line.method, line.source, line.source_ref) == (
        Decimal(200),
        PaymentMethod.COUPON,
        LedgerSource.COUPON,
        f"coupon:{held.id}",
    )
    assert (held.state, held.bill_id, held.discount, coupon.used) == (TenantCouponState.USED, bill.id, 200, 1)
    assert ledger.mismatches(s) == []
    with pytest.raises(Refused, match="该优惠券已使用"):
        marketing.apply_coupon(s, bill.tenant_id, held.id, bill.id)
    assert len(s.exec(select(Payment).where(Payment.bill_id == bill.id)).all()) == 1


def test_coupon_refusals_name_the_reason_and_write_nothing(session):
    s = session
    bill = _open_rent_bill(s)
    company = _company(s, bill)
    me = bill.tenant_id
    other = _tenants(s, company, 1)[0]

    def held(**kw) -> int:
        c = _coupon(s, company, **kw)
        return marketing.claim_coupon(s, me, c.id).id

    cases = [
        (held(threshold=bill.amount + 1, amount=Decimal(100)), "未达使用门槛"),
        (held(fee_kind=BillKind.DEPOSIT), "仅限押金账单使用"),
        (held(valid_from=clock.today() + timedelta(days=2)), "起可用"),
    ]
    late = _coupon(s, company)
    late_held = marketing.claim_coupon(s, me, late.id).id
    late.valid_to = clock.today() - timedelta(days=1)
    s.add(late)
    cases.append((late_held, "已过期"))
    elsewhere = _coupon(s, company)
    s.add(CouponProject(coupon_id=elsewhere.id, project_id=_other_project(s, bill)))
    cases.append((marketing.claim_coupon(s, me, elsewhere.id).id, "不适用于该账单的项目"))
    s.flush()
    for tc_id, why in cases:
        with pytest.raises(Refused, match=why):
            marketing.apply_coupon(s, me, tc_id, bill.id)
    # someone else's coupon or bill is not there at all
    theirs = marketing.claim_coupon(s, other, _coupon(s, company).id)
    with pytest.raises(Refused, match=r"^优惠券不存在$"):
        marketing.apply_coupon(s, me, theirs.id, bill.id)
    with pytest.raises(Refused, match=r"^账单不存在$"):
        marketing.apply_coupon(s, other, theirs.id, bill.id)
    # a bill not confirmed yet
    draft = s.exec(select(Bill).where(Bill.tenant_id == me, Bill.state == BillState.UNCONFIRMED)).first()
    if draft is not None:
        with pytest.raises(Refused, match="只有已确认待缴的账单可以用券"):
            marketing.apply_coupon(s, me, cases[0][0], draft.id)
    s.refresh(bill)
    assert bill.paid == 0 and s.exec(select(Payment).where(Payment.bill_id == bill.id)).first() is None
    assert all(s.get(TenantCoupon, i).state == TenantCouponState.UNUSED for i, _ in cases)
    # claiming: expired, disabled, out of stock, another company's
    gone = _coupon(s, company, stock=1)
    marketing.claim_coupon(s, other, gone.id)
    with pytest.raises(Refused, match=r"已领完（共 1 张）"):
        marketing.claim_coupon(s, me, gone.id)
    with pytest.raises(Refused, match="已过期"):
        marketing.claim_coupon(s, me, late.id)
    off = _coupon(s, company, enabled=False)
    with pytest.raises(Refused, match="已停用"):
        marketing.claim_coupon(s, me, off.id)
    foreign = s.exec(select(Tenant).where(Tenant.company_id != company).order_by(Tenant.id)).first()
    if foreign is not None:
        with pytest.raises(Refused, match=r"^优惠券不存在$"):
            marketing.claim_coupon(s, foreign.id, off.id)


def _other_project(s, bill: Bill) -> int:
    return s.exec(select(Project.id).where(Project.id != bill.project_id).order_by(Project.id)).first()


def test_percent_and_rent_free_coupons_take_their_share_and_never_more_than_is_owed(session):
    s = session
    bill = _open_rent_bill(s)
    company = _company(s, bill)
    pct = _coupon(s, company, kind=CouponKind.PERCENT_OFF, amount=None, threshold=None, discount=Decimal("9.5"))
    assert marketing.coupon_discount(pct, bill) == (bill.amount * Decimal("0.05")).quantize(Decimal("0.01"))
    free = _coupon(s, company, kind=CouponKind.RENT_FREE, amount=None, threshold=None, free_days=90)
    assert marketing.coupon_discount(free, bill) == bill.amount  # never more than the period
    held = marketing.claim_coupon(s, bill.tenant_id, free.id)
    assert marketing.apply_coupon(s, bill.tenant_id, held.id, bill.id) == bill.amount
    s.refresh(bill)
    assert bill.state == BillState.PAID and outstanding(bill) == 0
    assert ledger.mismatches(s) == []


def test_staff_grant_coupons_to_chosen_tenants_by_phone(session, principal_of):
    s = session
    bill = _open_rent_bill(s)
    company = _company(s, bill)
    coupon = _coupon(s, company, stock=2)
    ids = _tenants(s, company, 3)
    phones = [s.get_one(Tenant, i).phone for i in ids]
    s.commit()
    admin = app_site().admin("coupons")
    action = next(a for a in admin.actions if a.name == "grant")
    manager = principal_of("manager")
    out = action.fn(ActionContext(s, manager, [coupon], f"{phones[0]}，{phones[1]}\n{phones[2]} 13000000000 abc", {}))
    assert out.done == 2
    reasons = dict(out.refused)
    assert "已领完（共 2 张）" in " ".join(reasons.values())
    assert reasons["13000000000"].startswith("不是「测试满减券」所属企业的租客")
    assert reasons["abc"] == "手机号须为 11 位数字，以 1 开头"
    s.refresh(coupon)
    assert coupon.issued == 2
    granted = s.exec(select(TenantCoupon).where(TenantCoupon.coupon_id == coupon.id)).all()
    assert {g.tenant_id for g in granted} == set(ids[:2]) and all(g.granted_by_id == manager.actor_id for g in granted)


def test_parallel_claims_never_pass_the_coupon_total_nor_the_per_user_limit(demo_db):
    with db.session_scope() as s:
        bill = _open_rent_bill(s)
        company = _company(s, bill)
        coupon_id = _coupon(s, company, stock=10).id
        limit_id = _coupon(s, company, stock=100, per_user_limit=2).id
        ids = _tenants(s, company, 40)
    results = _parallel(40, lambda s, i: marketing.claim_coupon(s, ids[i], coupon_id))
    assert results.count("ok") == 10, results
    assert all(r.startswith("优惠券「测试满减券」已领完") for r in results if r != "ok")
    same = _parallel(12, lambda s, i: marketing.claim_coupon(s, ids[0], limit_id))
    assert 1 <= same.count("ok") <= 2 and all("每人限领 2 张" in r for r in same if r != "ok"), same
    with db.session_scope() as s:
        assert s.get_one(Coupon, coupon_id).issued == 10
        assert len(s.exec(select(TenantCoupon).where(TenantCoupon.coupon_id == coupon_id)).all()) == 10
        assert s.get_one(Coupon, limit_id).issued == same.count("ok")


def test_one_coupon_applied_from_many_threads_is_used_once(demo_db):
    with db.session_scope() as s:
        bill = _open_rent_bill(s)
        coupon = _coupon(s, _company(s, bill))
        held_id, bill_id, tenant_id, coupon_id = (
            marketing.claim_coupon(s, bill.tenant_id, coupon.id).id,
            bill.id,
            bill.tenant_id,
            coupon.id,
        )
    results = _parallel(8, lambda s, i: marketing.apply_coupon(s, tenant_id, held_id, bill_id))
    assert results.count("ok") == 1, results
    with db.session_scope() as s:
        assert s.get_one(Coupon, coupon_id).used == 1
        assert len(s.exec(select(Payment).where(Payment.bill_id == bill_id)).all()) == 1
        assert ledger.mismatches(s) == []


# ---------------------------------------------------------------- flash sales and events


def _fresh_sale(s, stock: int) -> FlashSale:
    sale = s.exec(select(FlashSale).order_by(FlashSale.id)).first()
    s.execute(sa.delete(FlashClaim).where(FlashClaim.flash_sale_id == sale.id))
    sale.stock, sale.sold = stock, 0
    sale.starts_at, sale.ends_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
    s.add(sale)
    s.flush()
    return sale


def test_two_hundred_tenants_claim_a_flash_sale_of_fifty(demo_db):
    n = 200 if _on_pg() else 60
    with db.session_scope() as s:
        sale = _fresh_sale(s, 50 if _on_pg() else 15)
        sale_id, stock = sale.id, sale.stock
        ids = _tenants(s, s.get_one(Project, sale.project_id).company_id, n)
    results = _parallel(n, lambda s, i: marketing.claim_flash_sale(s, ids[i], sale_id))
    assert results.count("ok") == stock, [r for r in results if r != "ok" and r != "已抢光"]
    assert results.count("已抢光") == n - stock
    with db.session_scope() as s:
        claims = s.exec(select(FlashClaim).where(FlashClaim.flash_sale_id == sale_id)).all()
        assert s.get_one(FlashSale, sale_id).sold == stock == len(claims)
        assert len({c.tenant_id for c in claims}) == stock  # none twice


def test_one_tenant_claims_a_flash_sale_once_even_at_the_same_moment(demo_db):
    with db.session_scope() as s:
        sale = _fresh_sale(s, 10)
        sale_id = sale.id
        me = _tenants(s, s.get_one(Project, sale.project_id).company_id, 1)[0]
    results = _parallel(10, lambda s, i: marketing.claim_flash_sale(s, me, sale_id))
    assert results.count("ok") == 1 and set(results) == {"ok", "您已抢购过该秒杀"}, results
    with db.session_scope() as s:
        assert s.get_one(FlashSale, sale_id).sold == 1  # the refused ones gave their unit back
        with pytest.raises(Refused, match="您已抢购过该秒杀"):
            marketing.claim_flash_sale(s, me, sale_id)
        sale = s.get_one(FlashSale, sale_id)
        with pytest.raises(Refused, match="秒杀已结束"):
            marketing.claim_flash_sale(s, me, sale_id, now=sale.ends_at)
        with pytest.raises(Refused, match="不在秒杀时间内"):
            marketing.claim_flash_sale(s, me, sale_id, now=sale.starts_at - timedelta(seconds=1))
        with pytest.raises(Refused, match="秒杀活动不存在"):
            marketing.claim_flash_sale(s, me, 10**9)


def test_tenants_sign_up_for_an_event_never_past_its_capacity(demo_db):
    with db.session_scope() as s:
        event = s.exec(select(Event).where(Event.signed_up == 0, Event.ends_at > utcnow()).order_by(Event.id)).first()
        event.capacity = 4
        s.add(event)
        event_id = event.id
        ids = _tenants(s, s.get_one(Project, event.project_id).company_id, 12)
    results = _parallel(12, lambda s, i: marketing.sign_up_tenant(s, ids[i], event_id))
    assert results.count("ok") == 4 and all(r == "活动名额已满（限 4 人）" for r in results if r != "ok"), results
    with db.session_scope() as s:
        assert s.get_one(Event, event_id).signed_up == 4
        rows = s.exec(select(EventSignup).where(EventSignup.event_id == event_id)).all()
        assert len(rows) == 4 and all(r.tenant_id in ids for r in rows)


# ---------------------------------------------------------------- bargains


def _fresh_bargain(s, **kw) -> Bargain:
    b = s.exec(select(Bargain).order_by(Bargain.id)).first()
    values = dict(
        original_price=Decimal(3000),
        floor_price=Decimal(2500),
        min_cut=Decimal(10),
        max_cut=Decimal(60),
        helpers_needed=100,
        stock=2,
        sold=0,
        starts_at=utcnow() - timedelta(hours=1),
        ends_at=utcnow() + timedelta(days=1),
    )
    values.update(kw)
    for k, v in values.items():
        setattr(b, k, v)
    s.add(b)
    s.flush()
    return b


def test_a_bargain_is_cut_by_friends_within_bounds_down_to_the_floor_and_bought(session):
    s = session
    b = _fresh_bargain(s, floor_price=Decimal(2900), helpers_needed=3)
    company = s.get_one(Project, b.project_id).company_id
    me, f1, f2, f3, f4 = _tenants(s, company, 5)
    rec = marketing.start_bargain(s, me, b.id)
    assert rec.current_price == 3000 and rec.state == BargainState.GOING
    with pytest.raises(Refused, match="您已发起过该砍价"):
        marketing.start_bargain(s, me, b.id)
    with pytest.raises(Refused, match="不能给自己砍价"):
        marketing.help_bargain(s, me, rec.id)
    seen: list[tuple[int, int]] = []

    def low(lo, hi):
        seen.append((lo, hi))
        return lo

    h1 = marketing.help_bargain(s, f1, rec.id, draw=low)
    assert seen == [(1000, 6000)] and (h1.amount, h1.price_after) == (Decimal(10), Decimal(2990))
    with pytest.raises(Refused, match="您已帮TA砍过价"):
        marketing.help_bargain(s, f1, rec.id)
    h2 = marketing.help_bargain(s, f2, rec.id, draw=lambda lo, hi: hi)
    assert (h2.amount, h2.price_after) == (Decimal(60), Decimal(2930))
    h3 = marketing.help_bargain(s, f3, rec.id, draw=lambda lo, hi: hi)  # 60 asked, only 30 to the floor
    assert (h3.amount, h3.price_after) == (Decimal(30), Decimal(2900))
    s.refresh(rec)
    assert (rec.current_price, rec.helpers, rec.state) == (Decimal(2900), 3, BargainState.SUCCEEDED)
    with pytest.raises(Refused, match="砍价成功，不能再助力"):
        marketing.help_bargain(s, f4, rec.id)
    for _ in range(5):  # random cuts stay within the bounds
        other = _tenants(s, company, 2, prefix=f"176{_}")
        r2 = marketing.start_bargain(s, other[0], b.id)
        cut = marketing.help_bargain(s, other[1], r2.id)
        assert Decimal(10) <= cut.amount <= Decimal(60)
    with pytest.raises(Refused, match=r"^砍价不存在$"):
        marketing.buy_bargain(s, f1, rec.id)  # only its owner buys it
    bought = marketing.buy_bargain(s, me, rec.id)
    assert (bought.state, bought.bought_price) == (BargainState.BOUGHT, Decimal(2900))
    with pytest.raises(Refused, match="该砍价已购买，不能购买"):
        marketing.buy_bargain(s, me, rec.id)
    with pytest.raises(Refused, match="砍价活动已结束"):
        marketing.start_bargain(s, f4, b.id, now=b.ends_at)
    with pytest.raises(Refused, match="砍价活动尚未开始"):
        marketing.start_bargain(s, f4, b.id, now=b.starts_at - timedelta(minutes=1))
    helps = s.exec(select(BargainHelp).where(BargainHelp.record_id == rec.id).order_by(BargainHelp.id)).all()
    assert [(h.tenant_id, h.amount) for h in helps] == [(f1, 10), (f2, 60), (f3, 30)]


def test_bargain_rules_of_the_form():
    assert marketing.bargain_problems(
        {"original_price": Decimal(100), "floor_price": Decimal(80), "min_cut": Decimal(0), "max_cut": Decimal(30)}
    ) == {"min_cut": "每次最少砍须大于 0", "max_cut": "每次最多砍不能超过原价与底价之差"}
    assert marketing.bargain_problems({"min_cut": Decimal(5), "max_cut": Decimal(2), "stock": 0}) == {
        "max_cut": "每次最多砍不能少于每次最少砍",
        "stock": "库存至少为 1",
    }


def test_helps_racing_at_the_floor_never_cut_below_it_and_add_up(demo_db):
    n = 40 if _on_pg() else 16
    with db.session_scope() as s:
        b = _fresh_bargain(s, floor_price=Decimal(2800), min_cut=Decimal(20), max_cut=Decimal(40))
        company = s.get_one(Project, b.project_id).company_id
        ids = _tenants(s, company, n + 1)
        rec_id = marketing.start_bargain(s, ids[0], b.id).id
    results = _parallel(n, lambda s, i: marketing.help_bargain(s, ids[i + 1], rec_id))
    assert all(r == "ok" or r.startswith(("已砍到底价", "该砍价砍价成功")) for r in results), results
    with db.session_scope() as s:
        rec = s.get_one(BargainRecord, rec_id)
        helps = s.exec(select(BargainHelp).where(BargainHelp.record_id == rec_id)).all()
        assert rec.current_price == Decimal(2800) and rec.state == BargainState.SUCCEEDED
        assert sum(h.amount for h in helps) == Decimal(200) and rec.helpers == len(helps) == results.count("ok")
        assert all(h.amount > 0 for h in helps) and len({h.tenant_id for h in helps}) == len(helps)


def test_the_first_buyers_get_the_bargain_never_past_its_stock(demo_db):
    with db.session_scope() as s:
        b = _fresh_bargain(s, stock=3)
        bid = b.id
        ids = _tenants(s, s.get_one(Project, b.project_id).company_id, 10)
        recs = [marketing.start_bargain(s, t, bid).id for t in ids]
    results = _parallel(10, lambda s, i: marketing.buy_bargain(s, ids[i], recs[i]))
    assert results.count("ok") == 3 and all(r == "已售罄（共 3 套）" for r in results if r != "ok"), results
    with db.session_scope() as s:
        assert s.get_one(Bargain, bid).sold == 3
        states = s.exec(select(BargainRecord.state).where(BargainRecord.id.in_(recs))).all()
        assert states.count(BargainState.BOUGHT) == 3


# ---------------------------------------------------------------- insurance


def test_the_first_check_in_gives_the_plans_insurance_once(session, principal_of):
    s = session
    gifted = select(ProjectInsurancePlan.project_id).where(ProjectInsurancePlan.mode == PlanMode.GIFTED)
    c = s.exec(
        select(Contract)
        .where(Contract.state == ContractState.SIGNED, Contract.project_id.in_(gifted))
        .order_by(Contract.id)
    ).first()
    assert c is not None
    s.execute(sa.delete(Policy).where(Policy.contract_id == c.id))
    first = leasing.first_rent_bill(s, c.id)
    if first is not None and first.state != BillState.PAID:
        ledger.post(
            s,
            [first.id],
            outstanding(first),
            method=PaymentMethod.CASH,
            source=LedgerSource.REGISTRATION,
            source_ref="T1",
        )
    day = max(c.start_date, c.signed_on)
    out = leasing.check_in(ActionContext(s, principal_of("manager"), [c], "", {"checked_in_on": day}))
    assert out.done == 1, out.refused
    assert out.notes == [f"{c.number} 已赠送保险"]
    policy = s.exec(select(Policy).where(Policy.contract_id == c.id)).one()
    plan = s.exec(
        select(ProjectInsurancePlan).where(
            ProjectInsurancePlan.project_id == c.project_id, ProjectInsurancePlan.mode == PlanMode.GIFTED
        )
    ).first()
    cover = s.get_one(InsuranceCover, plan.gift_cover_id)
    assert (policy.gifted, policy.state, policy.tenant_id, policy.cover_amount, policy.premium) == (
        True,
        PolicyState.IN_FORCE,
        c.tenant_id,
        cover.cover_amount,
        0,
    )
    assert policy.starts_on == day and policy.ends_on <= c.end_date
    assert insurance.gift_on_check_in(s, c, day) is None  # once
    assert len(s.exec(select(Policy).where(Policy.contract_id == c.id)).all()) == 1


def test_a_tenant_buys_a_cover_the_project_sells(session):
    s = session
    sold = s.exec(select(ProjectInsurancePlan).where(ProjectInsurancePlan.mode == PlanMode.SOLD)).first()
    c = s.exec(
        select(Contract)
        .where(Contract.state == ContractState.ACTIVE, Contract.project_id == sold.project_id)
        .order_by(Contract.id.desc())
    ).first()
    s.execute(sa.delete(Policy).where(Policy.contract_id == c.id))
    cover = s.exec(select(InsuranceCover).where(InsuranceCover.product_id == sold.product_id)).first()
    p = insurance.buy_policy(s, c.tenant_id, c.id, cover.id)
    assert (p.gifted, p.state, p.premium, p.cover_amount) == (
        False,
        PolicyState.UNPAID,
        cover.premium,
        cover.cover_amount,
    )
    assert p.number.startswith("TB") and p.starts_on == max(clock.today(), c.start_date) and p.ends_on <= c.end_date
    with pytest.raises(Refused, match="该合同已投保"):
        insurance.buy_policy(s, c.tenant_id, c.id, cover.id)
    with pytest.raises(Refused, match=r"^合同不存在$"):
        insurance.buy_policy(s, c.tenant_id + 1, c.id, cover.id)
    not_sold = s.exec(
        select(InsuranceCover).where(
            InsuranceCover.product_id.not_in(
                select(ProjectInsurancePlan.product_id).where(
                    ProjectInsurancePlan.project_id == c.project_id, ProjectInsurancePlan.mode == PlanMode.SOLD
                )
            )
        )
    ).first()
    if not_sold is not None:
        with pytest.raises(Refused, match="该项目不销售"):
            insurance.buy_policy(s, c.tenant_id, c.id, not_sold.id)
    with pytest.raises(Refused, match="保额档位不存在"):
        insurance.buy_policy(s, c.tenant_id, c.id, 10**9)
    assert p in insurance.policies_of(s, c.tenant_id)


# ---------------------------------------------------------------- evaluations and feedback


def test_a_finished_stay_is_evaluated_once(session):
    s = session
    rated = select(Evaluation.contract_id).where(Evaluation.contract_id.is_not(None))
    done = s.exec(
        select(Contract)
        .where(
            Contract.state == ContractState.CHECKED_OUT,
            Contract.id.not_in(rated),
        )
        .order_by(Contract.id)
    ).first()
    running = s.exec(select(Contract).where(Contract.state == ContractState.ACTIVE)).first()
    with pytest.raises(Refused, match="租住结束"):
        evaluations.evaluate(s, running.tenant_id, running.id, 5)
    with pytest.raises(Refused, match="评分须为 1–5 的整数"):
        evaluations.evaluate(s, done.tenant_id, done.id, 6)
    with pytest.raises(Refused, match=r"^合同不存在$"):
        evaluations.evaluate(s, done.tenant_id + 1, done.id, 5)
    row = evaluations.evaluate(s, done.tenant_id, done.id, 4, " 房间干净 ")
    assert (row.score, row.content, row.project_id) == (4, "房间干净", done.project_id)
    with pytest.raises(Refused, match="该合同已评价过"):
        evaluations.evaluate(s, done.tenant_id, done.id, 5)


def test_feedback_from_the_app(session):
    s = session
    t = s.exec(select(Tenant).order_by(Tenant.id)).first()
    with pytest.raises(Refused, match="请填写标题"):
        evaluations.submit_feedback(s, t.id, FeedbackKind.REQUEST, " ", "x")
    with pytest.raises(Refused, match="请填写反馈内容"):
        evaluations.submit_feedback(s, t.id, FeedbackKind.REQUEST, "标题", "")
    row = evaluations.submit_feedback(s, t.id, FeedbackKind.DEFECT, "支付页打不开", "点支付没反应")
    assert s.get_one(Feedback, row.id).branch_id == t.company_id and row.tenant_id == t.id


# ---------------------------------------------------------------- what the API answers (tenant_api_marketing)


def _fresh_event(s, project_id: int, capacity: int, ends_in: timedelta = timedelta(days=3)) -> int:
    now = utcnow()
    row = Event(
        project_id=project_id,
        name="测试活动",
        starts_at=now + ends_in - timedelta(hours=2),
        ends_at=now + ends_in,
        address="一层",
        capacity=capacity,
        hotline="010-12345678",
        cover="",
    )
    s.add(row)
    s.flush()
    assert row.id is not None
    return row.id


def test_one_tenant_signs_up_for_an_event_once_even_at_the_same_moment(demo_db):
    with db.session_scope() as s:
        project = s.exec(select(Project).order_by(Project.id)).first()
        event_id = _fresh_event(s, project.id, capacity=10)
        (me,) = _tenants(s, project.company_id, 1, prefix="1771")
    results = _parallel(6, lambda s, i: marketing.sign_up_tenant(s, me, event_id))
    assert results.count("ok") == 1 and all(r == "您已报名该活动" for r in results if r != "ok"), results
    with db.session_scope() as s:
        assert s.get_one(Event, event_id).signed_up == 1  # the refused ones gave their place back
        assert len(s.exec(select(EventSignup).where(EventSignup.event_id == event_id)).all()) == 1


def test_refusals_carry_the_status_and_code_the_api_answers(session):
    s = session
    project = s.exec(select(Project).order_by(Project.id)).first()
    me, other = _tenants(s, project.company_id, 2, prefix="1772")
    stranger = s.exec(select(Tenant).where(Tenant.company_id != project.company_id)).first()

    def refusal(work) -> tuple[int, str, str | None]:
        with pytest.raises(Refused) as caught:
            work()
        return caught.value.status, caught.value.code, caught.value.field

    full = _fresh_event(s, project.id, capacity=1)
    ended = _fresh_event(s, project.id, capacity=5, ends_in=-timedelta(hours=1))
    marketing.sign_up_tenant(s, me, full)
    assert refusal(lambda: marketing.sign_up_tenant(s, me, 10**9)) == (404, "not_found", None)
    assert refusal(lambda: marketing.sign_up_tenant(s, stranger.id, full)) == (404, "not_found", None)
    assert refusal(lambda: marketing.sign_up_tenant(s, me, full)) == (409, "already_signed_up", None)
    assert refusal(lambda: marketing.sign_up_tenant(s, other, full)) == (409, "full", None)
    assert refusal(lambda: marketing.sign_up_tenant(s, other, ended)) == (409, "ended", None)
    assert s.get_one(Event, full).signed_up == 1
    sale = _fresh_sale(s, stock=1)
    sale.project_id = project.id
    s.add(sale)
    s.flush()
    marketing.claim_flash_sale(s, me, sale.id)
    assert refusal(lambda: marketing.claim_flash_sale(s, me, sale.id)) == (409, "already_claimed", None)
    assert refusal(lambda: marketing.claim_flash_sale(s, other, sale.id)) == (409, "sold_out", None)
    contract = s.exec(select(Contract).where(Contract.state == ContractState.EXPIRED).order_by(Contract.id)).first()
    assert refusal(lambda: evaluations.evaluate(s, me, contract.id, 5)) == (404, "not_found", None)
    assert refusal(lambda: evaluations.evaluate(s, contract.tenant_id, contract.id, 9)) == (
        422,
        "invalid_field",
        "score",
    )
    assert refusal(lambda: evaluations.submit_feedback(s, me, FeedbackKind.DEFECT, " ", "内容")) == (
        422,
        "invalid_field",
        "title",
    )
