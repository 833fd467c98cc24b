"""What a tenant does about their lease in the APP (services/tenant_lease.py, repairs.file_by_tenant and
progress, pay_orders.open_order): pay a bill through the 二维码支付 order the back office makes (the one
waiting returned, paid and someone else's bills refused, no merchant a clear 503), use a coupon, confirm an
online contract the store drafted (then 在线签约审核 signs it), 报修 with photos as 登记 files it, with its
progress, and buy a policy. Every refusal with its status and Chinese message; nothing half-written."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from clss_app import db
from clss_app.core import clock, media
from clss_app.core.errors import Refused
from clss_app.core.results import ActionContext
from clss_app.services import insurance, leasing, marketing, pay_orders, repairs, tenant_lease
from clss_app.services.bills import outstanding
from models import (
    AuditLog,
    Bill,
    BillState,
    Contract,
    ContractSource,
    ContractState,
    Coupon,
    CouponKind,
    InsuranceCover,
    Payer,
    PayOrder,
    PayOrderBill,
    PaySettings,
    PlanMode,
    Policy,
    Project,
    ProjectInsurancePlan,
    RepairCategory,
    RepairOrder,
    RepairState,
    Room,
    RoomStatus,
)


def _refused(status: int, match: str | None = None):
    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(Refused, match=match)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            out = self.ctx.__exit__(*exc)
            assert self.info.value.status == status, (self.info.value.status, self.info.value.message)
            return out

    return Check()


def _payable_bill(s, with_merchant: bool = True) -> Bill:
    """A confirmed bill a tenant pays, in a company with (or without) 支付参数, in no order yet."""
    company = s.execute(sa.text("SELECT company_id FROM pay_settings")).scalar_one()
    in_order = select(PayOrderBill.bill_id)
    stmt = (
        select(Bill)
        .join(Project, Project.id == Bill.project_id)
        .where(
            Bill.state == BillState.CONFIRMED,
            Bill.payer == Payer.TENANT,
            Bill.id.not_in(in_order),
            (Project.company_id == company) if with_merchant else (Project.company_id != company),
        )
        .order_by(Bill.id)
    )
    bill = s.exec(stmt).first()
    assert bill is not None
    return bill


# ---------------------------------------------------------------- pay a bill


def test_a_tenant_pays_their_bill_through_one_pending_order(pay_sandbox, session, monkeypatch):
    monkeypatch.setenv("CLSS_PAY_SANDBOX", "1")  # as in the demo: the sandbox's pay page is given to open
    s = session
    bill = _payable_bill(s)
    first = tenant_lease.pay_order(s, bill.tenant_id, bill.id)
    assert first.created and first.amount == outstanding(bill) and first.state == "pending"
    assert first.qr_content and first.pay_url == first.qr_content  # the sandbox's pay page in the demo
    assert first.expire_at > clock.now()
    again = tenant_lease.pay_order(s, bill.tenant_id, bill.id)  # a second tap: the same order
    assert not again.created and again.order_no == first.order_no
    held = s.exec(select(PayOrderBill).where(PayOrderBill.bill_id == bill.id)).all()
    assert len(held) == 1
    order = s.exec(select(PayOrder).where(PayOrder.order_no == first.order_no)).one()
    assert order.created_by_id is None and order.tenant_id == bill.tenant_id

    with _refused(404, "账单不存在"):
        tenant_lease.pay_order(s, bill.tenant_id + 1, bill.id)
    with _refused(404, "账单不存在"):
        tenant_lease.pay_order(s, bill.tenant_id, 10**9)


def test_a_paid_a_hidden_or_a_shared_bill_is_refused_and_no_merchant_is_a_503(pay_sandbox, session):
    s = session
    paid = s.exec(select(Bill).where(Bill.state == BillState.PAID, Bill.payer == Payer.TENANT)).first()
    with _refused(409, "已缴清"):
        tenant_lease.pay_order(s, paid.tenant_id, paid.id)
    unconfirmed = s.exec(select(Bill).where(Bill.state == BillState.UNCONFIRMED)).first()
    if unconfirmed is not None:
        with _refused(404):
            tenant_lease.pay_order(s, unconfirmed.tenant_id, unconfirmed.id)
    elsewhere = _payable_bill(s, with_merchant=False)
    with _refused(503, "暂未开通线上支付"):
        tenant_lease.pay_order(s, elsewhere.tenant_id, elsewhere.id)
    # The store made one code for two bills: the tenant is sent to it, not given a second order.
    bill = _payable_bill(s)
    other = s.exec(
        select(Bill).where(
            Bill.tenant_id == bill.tenant_id,
            Bill.id != bill.id,
            Bill.state == BillState.CONFIRMED,
            Bill.project_id == bill.project_id,
        )
    ).first()
    if other is not None:
        pay_orders.open_order(s, [bill, other], None)
        with _refused(409, "收款码"):
            tenant_lease.pay_order(s, bill.tenant_id, bill.id)
    settings = s.exec(select(PaySettings)).one()
    settings.enabled = False
    s.add(settings)
    s.flush()
    fresh = _payable_bill(s)
    with _refused(503, "暂未开通线上支付"):
        tenant_lease.pay_order(s, fresh.tenant_id, fresh.id)
    assert s.exec(select(PayOrderBill).where(PayOrderBill.bill_id == fresh.id)).first() is None


def test_two_taps_at_once_make_one_order(pay_sandbox, demo_db):
    with db.session_scope() as s:
        bill = _payable_bill(s)
        tenant_id, bill_id = bill.tenant_id, bill.id
    got: list[str] = []
    start = threading.Barrier(3)

    def tap():
        start.wait()
        try:
            with db.session_scope() as s:
                got.append(tenant_lease.pay_order(s, tenant_id, bill_id).order_no)
        except Exception as exc:  # a failure of the test, shown as such
            got.append(f"ERROR {exc}")

    threads = [threading.Thread(target=tap) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session_scope() as s:
        held = s.exec(select(PayOrderBill).where(PayOrderBill.bill_id == bill_id)).all()
    on_pg = db.engine().dialect.name == "postgresql"
    # The bills' lock lets one tap make the order; the others wait for it and get it.
    assert len(held) == 1 and len(set(got)) == 1 and not got[0].startswith("ERROR"), (got, on_pg)


def test_a_coupon_lowers_the_tenants_bill_once_and_not_while_an_order_waits(pay_sandbox, session):
    s = session
    bill = _payable_bill(s)
    company = s.get_one(Project, bill.project_id).company_id
    coupon = Coupon(
        company_id=company,
        name="APP 满减券",
        kind=CouponKind.AMOUNT_OFF,
        amount=Decimal(1),
        threshold=None,
        valid_from=clock.today() - timedelta(days=1),
        valid_to=clock.today() + timedelta(days=30),
        stock=10,
        per_user_limit=2,
    )
    s.add(coupon)
    s.flush()
    held = marketing.claim_coupon(s, bill.tenant_id, coupon.id)
    second = marketing.claim_coupon(s, bill.tenant_id, coupon.id)
    owed = outstanding(bill)
    with _refused(404, "账单不存在"):
        tenant_lease.apply_coupon(s, bill.tenant_id + 1, bill.id, held.id)  # not their bill
    with _refused(404, "优惠券不存在"):
        tenant_lease.apply_coupon(s, bill.tenant_id, bill.id, 10**9)
    used = tenant_lease.apply_coupon(s, bill.tenant_id, bill.id, held.id)
    assert used.discount == Decimal(1) and used.outstanding == owed - 1 and used.state == "partly_paid"
    with _refused(409, "已使用"):
        tenant_lease.apply_coupon(s, bill.tenant_id, bill.id, held.id)
    with _refused(409, "每张账单限用一张"):
        tenant_lease.apply_coupon(s, bill.tenant_id, bill.id, second.id)
    other = _payable_bill(s)
    if other.tenant_id == bill.tenant_id:
        tenant_lease.pay_order(s, other.tenant_id, other.id)
        with _refused(409, "待支付订单"):
            tenant_lease.apply_coupon(s, other.tenant_id, other.id, second.id)


# ---------------------------------------------------------------- 在线签约


def _draft(s) -> Contract:
    c = s.exec(select(Contract).where(Contract.state == ContractState.AWAITING_TENANT).order_by(Contract.id)).first()
    assert c is not None, "the demo drafts online contracts for tenants to confirm"
    return c


def test_the_demo_drafts_online_contracts_on_vacant_rooms(session):
    drafts = session.exec(select(Contract).where(Contract.state == ContractState.AWAITING_TENANT)).all()
    assert len(drafts) == 3
    for c in drafts:
        assert c.source == ContractSource.ONLINE and c.number.startswith("HT")
        assert session.get_one(Room, c.room_id).status == RoomStatus.VACANT
        assert session.exec(select(Bill).where(Bill.contract_id == c.id)).first() is None


def test_a_tenant_confirms_their_draft_and_the_store_signs_it(session, principal_of):
    s = session
    c = _draft(s)
    draft = tenant_lease.draft_of(s, c.tenant_id, c.id)
    assert draft["can_confirm"] and draft["state_label"] == "待租客确认" and draft["terms"]
    assert (draft["monthly_rent"], draft["deposit"], draft["start_date"]) == (c.monthly_rent, c.deposit, c.start_date)
    with _refused(404, "合同不存在"):
        tenant_lease.confirm_contract(s, c.tenant_id + 1, c.id)
    done = tenant_lease.confirm_contract(s, c.tenant_id, c.id)
    assert done.state == ContractState.PENDING_REVIEW and done.signed_on == clock.today()
    log = s.exec(select(AuditLog).where(AuditLog.resource == "contracts", AuditLog.row_id == c.id)).all()
    assert any(a.action == "tenant:confirm" and "pending_review" in (a.after or "") for a in log)
    with _refused(409, "合同当前为待审核"):
        tenant_lease.confirm_contract(s, c.tenant_id, c.id)
    s.commit()
    result = leasing.review(True)(ActionContext(s, principal_of("manager"), [s.get_one(Contract, c.id)]))
    assert result.done == 1, result.refused
    s.refresh(c)
    assert c.state == ContractState.SIGNED and s.get_one(Room, c.room_id).status == RoomStatus.SIGNED


def test_a_draft_on_a_room_taken_meanwhile_is_refused(session):
    s = session
    c = _draft(s)
    room = s.get_one(Room, c.room_id)
    room.status = RoomStatus.RESERVED
    s.add(room)
    s.flush()
    with _refused(409, "不能签约"):
        tenant_lease.confirm_contract(s, c.tenant_id, c.id)
    s.refresh(c)
    assert c.state == ContractState.AWAITING_TENANT
    back_office = s.exec(
        select(Contract).where(Contract.tenant_id != c.tenant_id, Contract.source == ContractSource.BACK_OFFICE)
    ).first()
    with _refused(404, "不是在线签约"):
        tenant_lease.draft_of(s, back_office.tenant_id, back_office.id)


# ---------------------------------------------------------------- 报修


def _live_contract(s) -> Contract:
    return s.exec(select(Contract).where(Contract.state == ContractState.ACTIVE).order_by(Contract.id)).first()


def test_a_tenant_files_a_repair_as_registration_does_and_reads_its_progress(session, principal_of):
    s = session
    c = _live_contract(s)
    png = media.solid_png(32, 24)
    photos = [("kitchen.png", png), ("tap.png", media.solid_png(8, 8, (1, 2, 3)))]
    values = {
        "room_id": c.room_id,
        "category": "utilities",  # as the API passes it
        "description": "  卫生间水龙头漏水  ",
        "preferred_time": "工作日晚上",
    }
    order = tenant_lease.file_repair(s, c.tenant_id, values, photos)
    names = order.photos.split(",")
    assert len(names) == 2 and (media.MEDIA_DIR / names[0]).read_bytes() == png
    assert order.category == RepairCategory.UTILITIES and order.urgency.label == "一般"
    assert order.number.startswith(f"BX{clock.today():%Y%m%d}") and order.state == RepairState.PENDING
    assert (order.tenant_id, order.contract_id, order.project_id) == (c.tenant_id, c.id, c.project_id)
    assert order.description == "卫生间水龙头漏水" and order.registered_by_id is None
    nxt = tenant_lease.file_repair(s, c.tenant_id, values)
    assert int(nxt.number[-4:]) == int(order.number[-4:]) + 1  # numbered as 登记 numbers
    assert [p["step"] for p in repairs.progress(s, order)] == ["报修已提交"]
    s.commit()

    manager = principal_of("manager")
    assert repairs.decide(True)(ActionContext(s, manager, [order], text="")).done == 1
    steps = repairs.progress(s, s.get_one(RepairOrder, order.id))
    assert [p["step"] for p in steps] == ["报修已提交", "已受理"] and steps[1]["at"] >= steps[0]["at"]
    assert repairs.decide(False)(ActionContext(s, manager, [nxt], text="重复报修")).done == 1
    assert repairs.progress(s, nxt)[-1] == {"step": "未通过审核", "at": nxt.reviewed_at, "note": "重复报修"}


def test_a_repair_refuses_a_room_not_theirs_and_bad_photos(session):
    s = session
    c = _live_contract(s)
    live = select(Contract).where(Contract.state == ContractState.ACTIVE, Contract.tenant_id != c.tenant_id)
    other = s.exec(live).first()
    base = {"room_id": other.room_id, "category": RepairCategory.LOCK, "description": "门锁坏了"}
    before = s.exec(select(sa.func.count()).select_from(RepairOrder)).one()
    with _refused(404, "不是您在租"):
        tenant_lease.file_repair(s, c.tenant_id, base)
    with _refused(422, "问题描述"):
        tenant_lease.file_repair(s, c.tenant_id, {**base, "room_id": c.room_id, "description": " "})
    mine = {**base, "room_id": c.room_id}
    with _refused(422, "第 2 张报修照片（a.exe）须为 JPG、PNG 或 WebP 图片"):
        tenant_lease.file_repair(
            s, c.tenant_id, mine, [("ok.png", media.solid_png(4, 4)), ("a.exe", b"MZ\x90\x00" * 10)]
        )
    with _refused(422, "最多 9 张"):
        tenant_lease.file_repair(s, c.tenant_id, mine, [("p.png", media.solid_png(4, 4))] * 10)
    with _refused(422, "（当前 6.0 MB）"):
        tenant_lease.file_repair(s, c.tenant_id, mine, [("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (6 * 1024 * 1024))])
    # A photo of a refused 报修 is not kept: the order was not taken.
    unseen = media.solid_png(5, 7, (9, 8, 7))
    with _refused(404, "不是您在租"):
        tenant_lease.file_repair(s, c.tenant_id, base, [("door.png", unseen)])
    assert not (media.MEDIA_DIR / media.name_for(unseen, ".png")).exists()
    assert s.exec(select(sa.func.count()).select_from(RepairOrder)).one() == before


# ---------------------------------------------------------------- 我的保障


def test_buying_a_policy_answers_as_the_api_does(session):
    s = session
    sold = s.exec(select(ProjectInsurancePlan).where(ProjectInsurancePlan.mode == PlanMode.SOLD)).first()
    c = s.exec(
        select(Contract).where(Contract.state == ContractState.ACTIVE, Contract.project_id == sold.project_id)
    ).first()
    s.execute(sa.delete(Policy).where(Policy.contract_id == c.id))
    cover = s.exec(select(InsuranceCover).where(InsuranceCover.product_id == sold.product_id)).first()
    p = tenant_lease.buy_policy(s, c.tenant_id, c.id, cover.id)
    assert p in insurance.policies_of(s, c.tenant_id)
    with _refused(409, "该合同已投保"):
        tenant_lease.buy_policy(s, c.tenant_id, c.id, cover.id)
    with _refused(404, "合同不存在"):
        tenant_lease.buy_policy(s, c.tenant_id + 1, c.id, cover.id)
    with _refused(404, "保额档位不存在"):
        tenant_lease.buy_policy(s, c.tenant_id, c.id, 10**9)
