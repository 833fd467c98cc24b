"""One tenant's whole way through the APP's API on the running app (issue 23's walk), each step over
HTTP as the APP would take it: SMS login → the contract the store drafted online, confirmed → (the store
approves it in 在线签约审核) → the first bill paid through a 二维码支付 order, the payment provider's
notice closing it → 报修 with a photo → an event signed up for → a coupon and a flash sale claimed → a
bargain cut by two friends and bought at the price reached → the earlier, finished stay evaluated → the
messages the app's own worker delivered meanwhile, read.

The tenant is a returning one (a finished stay in a company that takes online payment, a phone of their
own); what staff set up (the draft, the activities) is written as the back office writes it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock, media
from clss_app.core.results import ActionContext
from clss_app.services import leasing
from clss_app.services.permissions import load_principal
from models import (
    Bargain,
    Contract,
    Coupon,
    CouponKind,
    Event,
    FlashSale,
    User,
)
from tests.api.conftest import UNIQUE_PHONE, login, new_key, store_drafts
from tests.api.test_api_lease import file_repair
from tests.api.test_api_marketing import staff_adds
from tests.sandbox_server import sandbox_call


def _until(check: Callable[[], Any], seconds: float = 60.0) -> Any:
    """The app's worker and the provider's notice come on their own time: wait, never past ``seconds``."""
    end = time.monotonic() + seconds
    while not (got := check()) and time.monotonic() < end:
        time.sleep(0.5)
    return got


def _ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _returning_tenant(app_engine) -> tuple[int, str, int, int, int]:
    """(tenant, phone, finished contract, its project, its company): a finished stay not yet evaluated, in
    a company with online payment, with a friend-free phone."""
    with app_engine.connect() as c:
        row = c.execute(
            sa.text(
                "SELECT t.id, t.phone, c.id, c.project_id, p.company_id FROM contract c "
                "JOIN tenant t ON t.id = c.tenant_id JOIN project p ON p.id = c.project_id "
                f"WHERE c.state = 'checked_out' AND {UNIQUE_PHONE} "
                "AND p.company_id IN (SELECT company_id FROM pay_settings WHERE enabled) "
                "AND c.id NOT IN (SELECT contract_id FROM evaluation WHERE contract_id IS NOT NULL) "
                "AND EXISTS (SELECT 1 FROM room r WHERE r.project_id = c.project_id AND r.status = 'vacant') "
                "ORDER BY c.id DESC LIMIT 1"
            )
        ).first()
    assert row is not None, "the demo has no returning tenant to walk"
    return int(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4])


def _friends(app_engine, company_id: int, tenant_id: int) -> list[str]:
    with app_engine.connect() as c:
        return list(
            c.execute(
                sa.text(
                    f"SELECT t.phone FROM tenant t WHERE t.company_id = :c AND t.id <> :t AND {UNIQUE_PHONE} "
                    "ORDER BY t.id DESC LIMIT 2"
                ),
                {"c": company_id, "t": tenant_id},
            ).scalars()
        )


def _store_approves(app_engine, contract_id: int) -> None:
    """在线签约审核, as 陈店长 passes it in the back office."""
    with Session(app_engine) as s:
        p = load_principal(s, s.exec(select(User).where(User.username == "manager")).one())
        result = leasing.review(True)(ActionContext(s, p, [s.get_one(Contract, contract_id)]))
        assert result.done == 1, result.refused
        s.commit()


def test_a_tenant_walks_from_sms_login_to_reading_messages(api, sandbox_url, app_engine):
    now, tag = clock.now(), uuid.uuid4().hex[:6]
    tenant_id, phone, finished, project_id, company_id = _returning_tenant(app_engine)
    contract_id, room_id = store_drafts(app_engine, tenant_id, project_id)

    # SMS login: the code comes through the sandbox's SMS gateway.
    me = login(api, sandbox_url, phone)
    assert _ok(api.get("/me", headers=me))["id"] == tenant_id

    # 在线签约: the draft read and confirmed; the store approves it; the contract is signed.
    draft = _ok(api.get(f"/me/contracts/{contract_id}/draft", headers=me))
    assert draft["can_confirm"] and draft["room_id"] == room_id and draft["terms"]
    assert _ok(api.post(f"/me/contracts/{contract_id}/confirm", headers=me))["state"] == "pending_review"
    _store_approves(app_engine, contract_id)
    assert _ok(api.get(f"/me/contracts/{contract_id}", headers=me))["state"] == "signed"

    # Paying: the first bill through a 二维码支付 order; the provider's notice marks it paid.
    bills = _ok(api.get("/me/bills", headers=me, params={"contract_id": contract_id, "sort": "due_date"}))["items"]
    assert bills and all(b["state"] == "confirmed" for b in bills)
    bill = bills[0]
    order = _ok(api.post(f"/me/bills/{bill['id']}/pay-order", headers={**me, **new_key()}), 201)
    assert Decimal(str(order["amount"])) == Decimal(str(bill["amount"])) + Decimal(str(bill["late_fee"]))
    sandbox_call(sandbox_url, "/sandbox/pay", {"order_no": order["order_no"]})
    paid = _until(lambda: api.get(f"/me/bills/{bill['id']}", headers=me).json()["state"] == "paid")
    assert paid, "the provider's notice did not close the bill"

    # 报修 on the new room, with a photo; its progress starts at 报修已提交.
    repair = _ok(file_repair(api, me, room_id, "入住前检查：空调不制冷", [media.solid_png(32, 24, (90, 160, 90))]), 201)
    progress = _ok(api.get(f"/me/repairs/{repair['id']}", headers=me))["progress"]
    assert [p["step"] for p in progress] == ["报修已提交"] and len(repair["photo_urls"]) == 1

    # Signing up for an event, claiming a coupon and a flash sale.
    event = staff_adds(
        app_engine,
        Event(
            project_id=project_id,
            name=f"新租客见面会{tag}",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            address="一层活动室",
            capacity=30,
            hotline="010-12345678",
            cover="",
        ),
    )
    assert _ok(api.post(f"/events/{event}/signups", headers={**me, **new_key()}), 201)["places_left"] == 29
    coupon = staff_adds(
        app_engine,
        Coupon(
            company_id=company_id,
            name=f"入住礼券{tag}",
            kind=CouponKind.AMOUNT_OFF,
            amount=Decimal(30),
            valid_from=clock.today(),
            valid_to=clock.today() + timedelta(days=30),
            stock=10,
            per_user_limit=1,
        ),
    )
    held = _ok(api.post(f"/coupons/{coupon}/claim", headers={**me, **new_key()}), 201)
    assert held["id"] in {c["id"] for c in _ok(api.get("/me/coupons", headers=me))["items"]}
    sale = staff_adds(
        app_engine,
        FlashSale(
            project_id=project_id,
            room_id=room_id,
            title=f"保洁服务秒杀{tag}",
            original_price=Decimal(200),
            sale_price=Decimal(99),
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=2),
            stock=3,
        ),
    )
    _ok(api.post(f"/flash-sales/{sale}/claims", headers={**me, **new_key()}), 201)
    assert _ok(api.get(f"/flash-sales/{sale}", headers=me))["left"] == 2

    # Bargaining: two friends cut the price; the tenant buys at the price reached.
    bargain = staff_adds(
        app_engine,
        Bargain(
            project_id=project_id,
            room_id=room_id,
            title=f"家具套餐砍价{tag}",
            original_price=Decimal(800),
            floor_price=Decimal(700),
            helpers_needed=2,
            min_cut=Decimal(5),
            max_cut=Decimal(30),
            stock=2,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(days=2),
        ),
    )
    record = _ok(api.post(f"/bargains/{bargain}/records", headers={**me, **new_key()}), 201)
    cuts = []
    for friend in _friends(app_engine, company_id, tenant_id):
        helped = _ok(
            api.post(
                f"/bargain-records/{record['id']}/helps", headers={**login(api, sandbox_url, friend), **new_key()}
            ),
            201,
        )
        assert Decimal("5") <= Decimal(str(helped["cut"])) <= Decimal("30")
        cuts.append(Decimal(str(helped["cut"])))
    assert len(cuts) == 2
    seen = _ok(api.get(f"/me/bargain-records/{record['id']}", headers=me))
    assert [Decimal(str(h["cut"])) for h in seen["helps"]] == cuts
    bought = _ok(api.post(f"/bargain-records/{record['id']}/buy", headers={**me, **new_key()}))
    assert Decimal(str(bought["bought_price"])) == Decimal(800) - sum(cuts)

    # Evaluating the earlier, finished stay (once).
    evaluation = {"score": 5, "content": "管家响应很快，退租结算清楚"}
    _ok(api.post(f"/me/contracts/{finished}/evaluation", json=evaluation, headers={**me, **new_key()}), 201)
    again = api.post(f"/me/contracts/{finished}/evaluation", json=evaluation, headers={**me, **new_key()})
    assert again.status_code == 409 and again.json()["code"] == "already_evaluated"

    # Messages: the app's worker delivered the signing review's result; read one, then all.
    def approved() -> list[dict]:
        items = api.get("/me/messages", headers=me, params={"limit": 50}).json()["items"]
        return [m for m in items if "在线签约审核通过" in m["title"]]

    messages = _until(approved)
    assert messages, "the worker did not deliver the signing review's result"
    unread = _ok(api.get("/me/messages/unread-count", headers=me))["unread"]
    assert unread >= 1 and not messages[0]["read"]
    marked = _ok(api.post(f"/me/messages/{messages[0]['id']}/read", headers=me))
    assert marked["unread"] == unread - 1
    assert _ok(api.post("/me/messages/read-all", headers=me))["unread"] == 0
    assert _ok(api.get("/me/messages/unread-count", headers=me))["unread"] == 0
