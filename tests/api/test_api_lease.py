"""The tenant's lease endpoints on the running app (clss_app/tenant_api_lease.py): 去支付 (the 二维码支付
order, the waiting one returned, paid / not configured refused), 用券, 在线签约 confirm, 报修 with photos
(multipart) and its progress, 我的保障 (list, buy). Each endpoint: the happy path, another tenant's id
(404), bad input (422 naming the field in Chinese), the same Idempotency-Key again (the first answer, once)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from clss_app.core import clock, media
from models import Coupon, CouponKind, TenantCoupon
from tests.api.conftest import UNIQUE_PHONE, login, new_key, store_drafts
from tests.api.test_tenant_api import _error


def _one(app_engine, sql: str, **params) -> tuple:
    with app_engine.connect() as c:
        row = c.execute(sa.text(sql), params).first()
    assert row is not None, sql
    return tuple(row)


def test_pay_a_bill_through_one_order(api, sandbox_url, app_engine, demo_tenants):
    bill_id, tenant_id, phone, _ = _payable_on(app_engine, True)
    auth = login(api, sandbox_url, phone)
    path = f"/me/bills/{bill_id}/pay-order"
    _error(api.post(path, headers=auth), 422, "Idempotency-Key")
    key = new_key()
    made = api.post(path, headers={**auth, **key})
    assert made.status_code == 201, made.text
    order = made.json()
    # What the bill owes (a late fee the daily job adds meanwhile included), as the order holds it.
    owed = Decimal(str(_one(app_engine, "SELECT amount + late_fee - paid FROM bill WHERE id = :b", b=bill_id)[0]))
    assert order["order_no"].startswith("P") and Decimal(str(order["amount"])) == owed and order["created"]
    assert order["pay_url"].startswith(sandbox_url) and order["state_label"] == "待支付"
    again = api.post(path, headers={**auth, **key})  # a retry: the first answer
    assert again.status_code == 201 and again.json() == order and again.headers.get("Idempotent-Replayed") == "true"
    tap = api.post(path, headers={**auth, **new_key()})  # a second tap: the order already waiting
    assert tap.status_code == 200 and tap.json()["order_no"] == order["order_no"] and not tap.json()["created"]
    n = _one(app_engine, "SELECT count(*) FROM pay_order_bill WHERE bill_id = :b", b=bill_id)[0]
    assert n == 1

    other = next(t for t in demo_tenants if t.id != tenant_id and t.bill_ids)
    _error(api.post(f"/me/bills/{other.bill_ids[0]}/pay-order", headers={**auth, **new_key()}), 404)
    _error(api.post("/me/bills/abc/pay-order", headers={**auth, **new_key()}), 422, "bill_id")
    _error(api.post("/me/bills/0/pay-order", headers={**auth, **new_key()}), 422, "bill_id")
    # A coupon cannot change what a waiting order is paying.
    coupon = _held_coupon(app_engine, tenant_id, bill_id)
    r = api.post(f"/me/bills/{bill_id}/apply-coupon", json={"tenant_coupon_id": coupon}, headers={**auth, **new_key()})
    assert "待支付订单" in _error(r, 409)["message"]

    paid_bill, paid_phone = _one(
        app_engine,
        "SELECT b.id, t.phone FROM bill b JOIN tenant t ON t.id = b.tenant_id "
        f"WHERE b.state = 'paid' AND b.payer = 'tenant' AND {UNIQUE_PHONE} ORDER BY b.id LIMIT 1",
    )
    paid_auth = login(api, sandbox_url, paid_phone)
    r = api.post(f"/me/bills/{paid_bill}/pay-order", headers={**paid_auth, **new_key()})
    assert "已缴清" in _error(r, 409)["message"]

    far_bill, _, far_phone, _ = _payable_on(app_engine, False)
    far = login(api, sandbox_url, far_phone)
    r = api.post(f"/me/bills/{far_bill}/pay-order", headers={**far, **new_key()})
    assert "暂未开通线上支付" in _error(r, 503)["message"]


def _payable_on(app_engine, with_merchant: bool) -> tuple[int, int, str, Decimal]:
    op = "=" if with_merchant else "<>"
    row = _one(
        app_engine,
        "SELECT b.id, t.id, t.phone, b.amount + b.late_fee - b.paid FROM bill b "
        "JOIN tenant t ON t.id = b.tenant_id JOIN project p ON p.id = b.project_id "
        f"WHERE b.state = 'confirmed' AND b.payer = 'tenant' AND {UNIQUE_PHONE} "
        f"AND p.company_id {op} (SELECT company_id FROM pay_settings WHERE enabled) "
        "AND b.id NOT IN (SELECT bill_id FROM pay_order_bill) "
        "AND t.id NOT IN (SELECT tenant_id FROM tenant_coupon) "
        "ORDER BY b.id DESC LIMIT 1",
    )
    return int(row[0]), int(row[1]), str(row[2]), Decimal(str(row[3]))


def _held_coupon(app_engine, tenant_id: int, bill_id: int) -> int:
    """A ¥1 coupon of the bill's company, held unused by the tenant (as claiming one in the APP leaves it)."""
    sql = "SELECT p.company_id FROM bill b JOIN project p ON p.id = b.project_id WHERE b.id = :b"
    company = _one(app_engine, sql, b=bill_id)[0]
    with Session(app_engine) as s:
        coupon = Coupon(
            company_id=company,
            name=f"接口测试券{uuid.uuid4().hex[:6]}",
            kind=CouponKind.AMOUNT_OFF,
            amount=Decimal(1),
            valid_from=clock.today() - timedelta(days=1),
            valid_to=clock.today() + timedelta(days=30),
            stock=5,
            issued=1,
        )
        s.add(coupon)
        s.flush()
        held = TenantCoupon(coupon_id=coupon.id or 0, company_id=company, tenant_id=tenant_id)
        s.add(held)
        s.commit()
        return held.id or 0


def test_apply_a_coupon_once(api, sandbox_url, app_engine, demo_tenants):
    bill_id, tenant_id, phone, owed = _payable_on(app_engine, False)
    coupon = _held_coupon(app_engine, tenant_id, bill_id)
    auth = login(api, sandbox_url, phone)
    path = f"/me/bills/{bill_id}/apply-coupon"
    body = {"tenant_coupon_id": coupon}
    key = new_key()
    used = api.post(path, json=body, headers={**auth, **key})
    assert used.status_code == 200, used.text
    left = Decimal(str(_one(app_engine, "SELECT amount + late_fee - paid FROM bill WHERE id = :b", b=bill_id)[0]))
    assert Decimal(str(used.json()["discount"])) == 1 and Decimal(str(used.json()["outstanding"])) == left
    assert left >= owed - 1  # (more only by a late fee the daily job added meanwhile)
    again = api.post(path, json=body, headers={**auth, **key})
    assert again.json() == used.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert "已使用" in _error(api.post(path, json=body, headers={**auth, **new_key()}), 409)["message"]
    lines = _one(app_engine, "SELECT count(*) FROM payment WHERE source_ref = :r", r=f"coupon:{coupon}")[0]
    assert lines == 1
    other = next(t for t in demo_tenants if t.id != tenant_id and t.bill_ids)
    _error(api.post(f"/me/bills/{other.bill_ids[0]}/apply-coupon", json=body, headers={**auth, **new_key()}), 404)
    r = api.post(path, json={"tenant_coupon_id": 10**9}, headers={**auth, **new_key()})
    assert _error(r, 404, "tenant_coupon_id")["message"].startswith("优惠券")
    for bad, field in (
        ({"tenant_coupon_id": "一"}, "tenant_coupon_id"),
        ({"tenant_coupon_id": 0}, "tenant_coupon_id"),
        ({"tenant_coupon_id": coupon, "discount": 999}, "discount"),
        ({}, "tenant_coupon_id"),
    ):
        _error(api.post(path, json=bad, headers={**auth, **new_key()}), 422, field)


def test_confirm_a_contract_drafted_online(api, sandbox_url, app_engine, demo_tenants):
    # Its own draft (the demo's may have lost its room to an in-store signing by an earlier test), for a
    # tenant outside demo_tenants, whose contracts other tests count.
    known = ",".join(str(t.id) for t in demo_tenants)
    tenant_id, phone, project_id = _one(
        app_engine,
        "SELECT t.id, t.phone, c.project_id FROM contract c JOIN tenant t ON t.id = c.tenant_id "
        f"WHERE {UNIQUE_PHONE} AND t.id NOT IN ({known}) AND EXISTS (SELECT 1 FROM room r "
        "WHERE r.project_id = c.project_id AND r.status = 'vacant') ORDER BY c.id LIMIT 1",
    )
    contract_id, _ = store_drafts(app_engine, tenant_id, project_id)
    auth = login(api, sandbox_url, phone)
    draft = api.get(f"/me/contracts/{contract_id}/draft", headers=auth)
    assert draft.status_code == 200, draft.text
    d = draft.json()
    assert d["can_confirm"] and d["state_label"] == "待租客确认" and d["terms"] and Decimal(str(d["monthly_rent"])) > 0
    mine = api.get("/me/contracts", headers=auth).json()["items"]
    assert [c["state_label"] for c in mine if c["id"] == contract_id] == ["待租客确认"]

    other = next(t for t in demo_tenants if t.id != tenant_id).contract_ids[0]
    _error(api.get(f"/me/contracts/{other}/draft", headers=auth), 404)
    _error(api.post(f"/me/contracts/{other}/confirm", headers=auth), 404)
    _error(api.post("/me/contracts/x/confirm", headers=auth), 422, "contract_id")
    done = api.post(f"/me/contracts/{contract_id}/confirm", headers=auth)
    assert done.status_code == 200 and done.json()["state"] == "pending_review", done.text
    assert "待审核" in _error(api.post(f"/me/contracts/{contract_id}/confirm", headers=auth), 409)["message"]
    assert api.get(f"/me/contracts/{contract_id}/draft", headers=auth).json()["can_confirm"] is False
    action, after = _one(
        app_engine,
        "SELECT action, after FROM audit_log WHERE resource = 'contracts' AND row_id = :c ORDER BY id DESC LIMIT 1",
        c=contract_id,
    )
    assert action == "tenant:confirm" and "pending_review" in after


def _live(app_engine) -> tuple[int, int, str]:
    return _one(
        app_engine,
        "SELECT c.room_id, t.id, t.phone FROM contract c JOIN tenant t ON t.id = c.tenant_id "
        f"WHERE c.state = 'active' AND {UNIQUE_PHONE} ORDER BY c.id DESC LIMIT 1",
    )


def file_repair(api: httpx.Client, auth: dict, room_id: int, description: str, photos: list[bytes], **more):
    data = {"room_id": str(room_id), "category": "utilities", "description": description, **more}
    files = [("photos", (f"p{i}.png", p, "image/png")) for i, p in enumerate(photos)]
    return api.post("/me/repairs", data=data, files=files or None, headers={**auth, **new_key()})


def test_file_a_repair_with_photos_and_read_its_progress(api, sandbox_url, app_engine, base_url):
    room_id, tenant_id, phone = _live(app_engine)
    auth = login(api, sandbox_url, phone)
    photos = [media.solid_png(40, 30, (200, 60, 60)), media.solid_png(20, 20, (60, 60, 200))]
    data = {"room_id": str(room_id), "category": "utilities", "description": "卫生间漏水", "urgency": "urgent"}
    files = [("photos", (f"p{i}.png", p, "image/png")) for i, p in enumerate(photos)]
    key = new_key()
    made = api.post("/me/repairs", data=data, files=files, headers={**auth, **key})
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["number"].startswith("BX") and order["state_label"] == "待审核" and order["urgency_label"] == "紧急"
    assert len(order["photo_urls"]) == 2 and [p["step"] for p in order["progress"]] == ["报修已提交"]
    for url in order["photo_urls"]:
        got = httpx.get(base_url + url, timeout=10)
        assert got.status_code == 200 and got.headers["content-type"] == "image/png" and got.content in photos
    again = api.post("/me/repairs", data=data, files=files, headers={**auth, **key})
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    sql = "SELECT count(*) FROM repair_order WHERE tenant_id = :t AND description = '卫生间漏水'"
    n = _one(app_engine, sql, t=tenant_id)
    assert n[0] == 1
    listed = api.get("/me/repairs", headers=auth).json()["items"]
    assert listed[0]["id"] == order["id"] and listed[0]["photo_urls"] == order["photo_urls"]
    one = api.get(f"/me/repairs/{order['id']}", headers=auth).json()
    assert one["number"] == order["number"] and one["progress"][0]["at"]

    other_room, other_phone = _one(
        app_engine,
        "SELECT c.room_id, t.phone FROM contract c JOIN tenant t ON t.id = c.tenant_id "
        f"WHERE c.state = 'active' AND t.id <> :t AND {UNIQUE_PHONE} ORDER BY c.id LIMIT 1",
        t=tenant_id,
    )
    _error(file_repair(api, auth, other_room, "别人的房间", []), 404, "room_id")
    other_auth = login(api, sandbox_url, other_phone)
    _error(api.get(f"/me/repairs/{order['id']}", headers=other_auth), 404)
    assert order["id"] not in [r["id"] for r in api.get("/me/repairs", headers=other_auth).json()["items"]]

    text_photo = api.post(
        "/me/repairs",
        data=data,
        files=[("photos", ("a.png", b"not an image at all", "image/png"))],
        headers={**auth, **new_key()},
    )
    assert "须为 JPG、PNG 或 WebP" in _error(text_photo, 422, "photos")["message"]
    big = file_repair(api, auth, room_id, "大照片", [photos[0] + b"\0" * (6 * 1024 * 1024)])
    assert "不能超过 5 MB（当前 6.0 MB）" in _error(big, 422, "photos")["message"]
    unseen = media.solid_png(7, 5, (11, 22, 33))  # a 报修 refused: its photo is not kept
    _error(file_repair(api, auth, other_room, "别人的房间", [unseen]), 404, "room_id")
    assert httpx.get(f"{base_url}/_clss/media/{media.name_for(unseen, '.png')}", timeout=10).status_code == 404
    ten = file_repair(api, auth, room_id, "十张照片", [photos[0]] * 10)
    assert "最多 9 张" in _error(ten, 422, "photos")["message"]
    assert "报修类别" in _error(file_repair(api, auth, room_id, "x", [], category="gas"), 422, "category")["message"]
    _error(file_repair(api, auth, room_id, "长" * 501, []), 422, "description")
    _error(file_repair(api, auth, room_id, "x", [], admin="1"), 422, "admin")
    _error(file_repair(api, auth, room_id, "x", [], preferred_time="晚" * 65), 422, "preferred_time")
    bad_room = api.post("/me/repairs", data={**data, "room_id": "一"}, headers={**auth, **new_key()})
    assert "报修房间" in _error(bad_room, 422, "room_id")["message"]
    _error(api.post("/me/repairs", data=data, headers=auth), 422, "Idempotency-Key")
    n = _one(app_engine, "SELECT count(*) FROM repair_order WHERE tenant_id = :t", t=tenant_id)[0]
    assert n == len(api.get("/me/repairs", params={"limit": 100}, headers=auth).json()["items"])


def test_my_policies_and_buying_one(api, sandbox_url, app_engine):
    contract_id, tenant_id, phone, cover_id = _one(
        app_engine,
        "SELECT c.id, t.id, t.phone, ic.id FROM contract c JOIN tenant t ON t.id = c.tenant_id "
        "JOIN project_insurance_plan pl ON pl.project_id = c.project_id AND pl.mode = 'sold' "
        "JOIN insurance_cover ic ON ic.product_id = pl.product_id "
        f"WHERE c.state = 'active' AND {UNIQUE_PHONE} AND NOT EXISTS (SELECT 1 FROM policy po "
        "WHERE po.contract_id = c.id AND po.product_id = pl.product_id AND NOT po.gifted) "
        "ORDER BY c.id LIMIT 1",
    )
    auth = login(api, sandbox_url, phone)
    before = api.get("/me/policies", headers=auth).json()["items"]
    body = {"contract_id": contract_id, "cover_id": cover_id}
    key = new_key()
    bought = api.post("/me/policies", json=body, headers={**auth, **key})
    assert bought.status_code == 201, bought.text
    p = bought.json()
    assert p["number"].startswith("TB") and p["state_label"] == "未支付" and p["gifted"] is False
    again = api.post("/me/policies", json=body, headers={**auth, **key})
    assert again.json() == p and again.headers.get("Idempotent-Replayed") == "true"
    assert "已投保" in _error(api.post("/me/policies", json=body, headers={**auth, **new_key()}), 409)["message"]
    after = api.get("/me/policies", headers=auth).json()["items"]
    assert len(after) == len(before) + 1 and p["id"] in [x["id"] for x in after]
    assert all(x["state_label"] for x in after)
    assert api.get(f"/me/policies/{p['id']}", headers=auth).json()["number"] == p["number"]

    other = _one(app_engine, "SELECT id FROM contract WHERE tenant_id <> :t ORDER BY id LIMIT 1", t=tenant_id)[0]
    _error(api.post("/me/policies", json={**body, "contract_id": other}, headers={**auth, **new_key()}), 404)
    r = api.post("/me/policies", json={**body, "cover_id": 10**9}, headers={**auth, **new_key()})
    _error(r, 404, "cover_id")
    _error(api.post("/me/policies", json={**body, "premium": 0}, headers={**auth, **new_key()}), 422, "premium")
    _error(api.post("/me/policies", json={**body, "cover_id": -1}, headers={**auth, **new_key()}), 422, "cover_id")
    _error(api.post("/me/policies", json={"contract_id": contract_id}, headers={**auth, **new_key()}), 422, "cover_id")
    policy_of_other = _one(app_engine, "SELECT count(*), min(id) FROM policy WHERE tenant_id <> :t", t=tenant_id)
    if policy_of_other[0]:
        _error(api.get(f"/me/policies/{policy_of_other[1]}", headers=auth), 404)
