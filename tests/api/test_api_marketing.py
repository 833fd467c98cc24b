"""The tenant APP's 营销 and 消息 endpoints on the running app (clss_app/tenant_api_marketing.py): event
sign-ups never past capacity, coupons never past the total, flash sales never past stock, bargains with
two friends' cuts bought at the price reached, evaluations once per finished contract, 系统反馈, and the
tenant's messages read one by one and all at once. Each with another tenant's ids (404), bad input (422
naming the field), repeated Idempotency-Keys (the first answer, nothing twice) and conflicts (409).

The activities are written into the app's database as staff would set them up; the tenants' tokens are
minted as a login mints them (tenant_auth.issue_token: the SMS flow itself is walked in
test_tenant_api.py, and a phone gets only SMS_CODES_PER_HOUR codes an hour). The last test races 60
tenants (10 of them tapping twice) for a flash sale of 20: exactly 20 claims, each tenant at most once.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from clss_app.core import clock
from clss_app.services import tenant_auth
from models import (
    Audience,
    Bargain,
    Channel,
    Coupon,
    CouponKind,
    Event,
    FlashSale,
    MessageState,
    Notification,
    NotificationMessage,
    NotificationState,
)
from tests.api.conftest import new_key

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Who:
    id: int
    auth: dict[str, str]


@dataclass(frozen=True)
class Company:
    id: int
    project_id: int
    room_id: int
    tenant_ids: list[int]
    stranger_id: int  # a tenant of another company


def _error(r: httpx.Response, status: int, field: str | None = None, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) <= {"code", "message", "field"} and body["code"] and CHINESE.search(body["message"]), body
    if field is not None:
        assert body.get("field") == field, body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture(scope="module")
def company(app_engine) -> Company:
    """The company with the most tenants, one of its projects with a room, and a tenant of another."""
    with app_engine.connect() as c:
        cid = c.execute(
            sa.text("SELECT company_id FROM tenant GROUP BY company_id ORDER BY count(*) DESC, company_id LIMIT 1")
        ).scalar_one()
        project_id, room_id = c.execute(
            sa.text(
                "SELECT p.id, r.id FROM project p JOIN room r ON r.project_id = p.id "
                "WHERE p.company_id = :c ORDER BY p.id, r.id LIMIT 1"
            ),
            {"c": cid},
        ).one()
        ids = list(c.execute(sa.text("SELECT id FROM tenant WHERE company_id = :c ORDER BY id"), {"c": cid}).scalars())
        stranger = c.execute(
            sa.text("SELECT id FROM tenant WHERE company_id <> :c ORDER BY id LIMIT 1"), {"c": cid}
        ).scalar_one()
    assert len(ids) >= 60
    return Company(cid, project_id, room_id, ids, stranger)


def tenants(app_engine, ids: list[int]) -> list[Who]:
    """A fresh token for each tenant, written as a login writes it."""
    out = []
    with Session(app_engine) as s:
        for tid in ids:
            phone = s.execute(sa.text("SELECT phone FROM tenant WHERE id = :t"), {"t": tid}).scalar_one()
            token, _ = tenant_auth.issue_token(s, tid, phone)
            out.append(Who(tid, {"Authorization": f"Bearer {token}"}))
        s.commit()
    return out


def staff_adds(app_engine, row: SQLModel) -> int:
    with Session(app_engine) as s:
        s.add(row)
        s.commit()
        s.refresh(row)
        row_id = getattr(row, "id", None)
    assert isinstance(row_id, int)
    return row_id


def count(app_engine, sql: str, **params: object) -> int:
    with app_engine.connect() as c:
        return int(c.execute(sa.text(sql), params).scalar_one())


def post(api: httpx.Client, path: str, who: Who, key: dict | None = None, **kw: Any) -> httpx.Response:
    headers = {**who.auth, **(key or new_key()), **kw.pop("headers", {})}
    return api.post(path, headers=headers, **kw)


def replayed(api: httpx.Client, first: httpx.Response, path: str, who: Who, key: dict, **kw: Any) -> None:
    """The same request with the same key: the first answer again, marked as replayed."""
    again = post(api, path, who, key, **kw)
    assert again.status_code == first.status_code and again.json() == first.json(), again.text
    assert again.headers.get("Idempotent-Replayed") == "true"


def listed(api: httpx.Client, path: str, who: Who, **params: Any) -> list[dict]:
    r = api.get(path, headers=who.auth, params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_event_sign_up_never_past_capacity_once_per_tenant(api, app_engine, company):
    now = clock.now()
    a, b, c, stranger = tenants(app_engine, [*company.tenant_ids[:3], company.stranger_id])
    event_id = staff_adds(
        app_engine,
        Event(
            project_id=company.project_id,
            name="接口测试·读书会",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            address="一层活动室",
            capacity=2,
            hotline="010-12345678",
            cover="",
        ),
    )
    shown = {e["id"]: e for e in listed(api, "/events", a)}
    assert shown[event_id]["places_left"] == 2 and shown[event_id]["name"] == "接口测试·读书会"
    assert event_id not in {e["id"] for e in listed(api, "/events", stranger)}
    _error(api.get(f"/events/{event_id}", headers=stranger.auth), 404)
    _error(post(api, f"/events/{event_id}/signups", stranger), 404, code="not_found")

    path, key = f"/events/{event_id}/signups", new_key()
    first = post(api, path, a, key)
    assert first.status_code == 201, first.text
    assert first.json()["places_left"] == 1 and first.json()["state_label"] == "已报名"
    replayed(api, first, path, a, key)
    _error(post(api, path, a), 409, code="already_signed_up")
    assert post(api, path, b).status_code == 201
    assert "已满" in _error(post(api, path, c), 409, code="full")["message"]
    assert count(app_engine, "SELECT signed_up FROM event WHERE id = :e", e=event_id) == 2
    assert count(app_engine, "SELECT count(*) FROM event_signup WHERE event_id = :e", e=event_id) == 2
    assert event_id in {s["event_id"] for s in listed(api, "/me/event-signups", a)}
    assert event_id not in {s["event_id"] for s in listed(api, "/me/event-signups", c)}

    ended = staff_adds(
        app_engine,
        Event(
            project_id=company.project_id,
            name="接口测试·已结束",
            starts_at=now - timedelta(days=2),
            ends_at=now - timedelta(days=1),
            address="一层活动室",
            capacity=10,
            hotline="010-12345678",
            cover="",
        ),
    )
    assert ended not in {e["id"] for e in listed(api, "/events", a)}
    _error(post(api, f"/events/{ended}/signups", c), 409, code="ended")
    _error(post(api, "/events/abc/signups", a), 422, "event_id")
    _error(post(api, "/events/0/signups", a), 422, "event_id")
    _error(post(api, f"/events/{2**31}/signups", a), 422, "event_id")
    _error(post(api, "/events/99999999/signups", a), 404)
    _error(api.post(path, headers=a.auth), 422, "Idempotency-Key")
    _error(post(api, path, a, {"Idempotency-Key": "short"}), 422, "Idempotency-Key")
    _error(api.get("/events", headers=a.auth, params={"limit": 0}), 422, "limit")
    _error(api.get("/events", headers=a.auth, params={"project_id": "一"}), 422, "project_id")
    _error(post(api, path, Who(0, {})), 401)


def test_coupons_claimed_never_past_the_total(api, app_engine, company):
    today = clock.today()
    a, b, c, stranger = tenants(app_engine, [*company.tenant_ids[3:6], company.stranger_id])
    coupon_id = staff_adds(
        app_engine,
        Coupon(
            company_id=company.id,
            name="接口测试满减",
            kind=CouponKind.AMOUNT_OFF,
            amount=Decimal(50),
            threshold=Decimal(1000),
            valid_from=today,
            valid_to=today + timedelta(days=30),
            stock=2,
            per_user_limit=1,
        ),
    )
    offered = {x["id"]: x for x in listed(api, "/coupons", a)}
    assert offered[coupon_id]["left"] == 2 and offered[coupon_id]["kind_label"] == "满减券"
    assert coupon_id not in {x["id"] for x in listed(api, "/coupons", stranger)}
    _error(post(api, f"/coupons/{coupon_id}/claim", stranger), 404, code="not_found")

    path, key = f"/coupons/{coupon_id}/claim", new_key()
    first = post(api, path, a, key)
    assert first.status_code == 201, first.text
    mine = first.json()
    assert mine["coupon"]["name"] == "接口测试满减" and mine["coupon"]["amount"] == "50.00"
    assert mine["state"] == "unused"
    replayed(api, first, path, a, key)
    _error(post(api, f"/coupons/{coupon_id + 10_000}/claim", a, key), 422, "Idempotency-Key")  # key of another request
    assert "每人限领" in _error(post(api, path, a), 409, code="already_claimed")["message"]
    assert coupon_id not in {x["id"] for x in listed(api, "/coupons", a)}  # no longer claimable by a
    theirs = post(api, path, b)
    assert theirs.status_code == 201, theirs.text
    assert coupon_id not in {x["id"] for x in listed(api, "/coupons", c)}  # all given out
    assert "已领完" in _error(post(api, path, c), 409, code="sold_out")["message"]
    assert count(app_engine, "SELECT issued FROM coupon WHERE id = :c", c=coupon_id) == 2
    assert count(app_engine, "SELECT count(*) FROM tenant_coupon WHERE coupon_id = :c", c=coupon_id) == 2

    held = {x["id"]: x for x in listed(api, "/me/coupons", a)}
    assert held[mine["id"]]["usable"] is True and held[mine["id"]]["coupon"]["valid_to"] == str(today + timedelta(30))
    assert theirs.json()["id"] not in held
    _error(api.get(f"/me/coupons/{theirs.json()['id']}", headers=a.auth), 404)
    assert mine["id"] not in {x["id"] for x in listed(api, "/me/coupons", a, state="used")}
    assert mine["id"] in {x["id"] for x in listed(api, "/me/coupons", a, state="unused")}
    _error(api.get("/me/coupons", headers=a.auth, params={"state": "lost"}), 422, "state")
    _error(post(api, "/coupons/-1/claim", a), 422, "coupon_id")
    _error(post(api, "/coupons/abc/claim", a), 422, "coupon_id")
    _error(api.post(path, headers=a.auth), 422, "Idempotency-Key")
    _error(post(api, "/coupons/99999999/claim", a), 404)


def test_flash_sale_claims_once_per_tenant_within_stock(api, app_engine, company):
    now = clock.now()
    a, b, stranger = tenants(app_engine, [*company.tenant_ids[6:8], company.stranger_id])

    def sale(starts: timedelta, stock: int) -> int:
        return staff_adds(
            app_engine,
            FlashSale(
                project_id=company.project_id,
                room_id=company.room_id,
                title="接口测试秒杀",
                original_price=Decimal(3000),
                sale_price=Decimal(1999),
                starts_at=now + starts,
                ends_at=now + starts + timedelta(hours=3),
                stock=stock,
            ),
        )

    live, later = sale(-timedelta(hours=1), 1), sale(timedelta(hours=1), 5)
    shown = {x["id"]: x for x in listed(api, "/flash-sales", a)}
    assert shown[live]["live"] is True and shown[live]["left"] == 1 and shown[later]["live"] is False
    assert live not in {x["id"] for x in listed(api, "/flash-sales", stranger)}
    _error(post(api, f"/flash-sales/{live}/claims", stranger), 404)

    path, key = f"/flash-sales/{live}/claims", new_key()
    first = post(api, path, a, key)
    assert first.status_code == 201 and first.json()["sale_price"] == "1999.00", first.text
    replayed(api, first, path, a, key)
    _error(post(api, path, a), 409, code="already_claimed")
    _error(post(api, path, b), 409, code="sold_out")
    _error(post(api, f"/flash-sales/{later}/claims", b), 409, code="not_started")
    assert count(app_engine, "SELECT sold FROM flash_sale WHERE id = :s", s=live) == 1
    assert count(app_engine, "SELECT count(*) FROM flash_claim WHERE flash_sale_id = :s", s=live) == 1
    assert live in {x["flash_sale_id"] for x in listed(api, "/me/flash-claims", a)}
    assert live not in {x["flash_sale_id"] for x in listed(api, "/me/flash-claims", b)}
    _error(post(api, "/flash-sales/一/claims", a), 422, "sale_id")
    _error(post(api, "/flash-sales/0/claims", a), 422, "sale_id")
    _error(post(api, "/flash-sales/99999999/claims", a), 404)
    _error(post(api, path, a, {"Idempotency-Key": "x" * 65}), 422, "Idempotency-Key")
    _error(api.get("/flash-sales", headers=a.auth, params={"sort": "-sold"}), 422, "sort")


def test_bargain_with_two_friends_bought_at_the_price_reached(api, app_engine, company):
    now = clock.now()
    owner, f1, f2, f3, stranger = tenants(app_engine, [*company.tenant_ids[8:12], company.stranger_id])
    bargain_id = staff_adds(
        app_engine,
        Bargain(
            project_id=company.project_id,
            room_id=company.room_id,
            title="接口测试砍价",
            original_price=Decimal(1000),
            floor_price=Decimal(950),
            helpers_needed=2,
            min_cut=Decimal(10),
            max_cut=Decimal(20),
            stock=1,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=3),
        ),
    )
    assert bargain_id in {x["id"] for x in listed(api, "/bargains", owner)}
    assert bargain_id not in {x["id"] for x in listed(api, "/bargains", stranger)}
    _error(post(api, f"/bargains/{bargain_id}/records", stranger), 404)

    path, key = f"/bargains/{bargain_id}/records", new_key()
    started = post(api, path, owner, key)
    assert started.status_code == 201 and started.json()["current_price"] == "1000.00", started.text
    replayed(api, started, path, owner, key)
    _error(post(api, path, owner), 409, code="already_started")
    record = started.json()["id"]

    helps = f"/bargain-records/{record}/helps"
    _error(post(api, helps, owner), 409, code="own_bargain")
    _error(post(api, helps, stranger), 404)
    key1 = new_key()
    cut1 = post(api, helps, f1, key1)
    assert cut1.status_code == 201, cut1.text
    assert Decimal(10) <= Decimal(cut1.json()["cut"]) <= Decimal(20)
    assert Decimal(cut1.json()["price"]) == Decimal(1000) - Decimal(cut1.json()["cut"])
    replayed(api, cut1, helps, f1, key1)  # a retry cuts nothing more
    _error(post(api, helps, f1), 409, code="already_helped")
    cut2 = post(api, helps, f2)
    assert cut2.status_code == 201 and cut2.json()["helpers"] == 2 and cut2.json()["state"] == "succeeded"
    reached = Decimal(cut2.json()["price"])
    assert reached >= Decimal(950)
    _error(post(api, helps, f3), 409, code="closed")  # two helpers were needed: it is done
    _error(post(api, "/bargain-records/abc/helps", f3), 422, "record_id")
    _error(post(api, "/bargain-records/99999999/helps", f3), 404)
    _error(post(api, f"/bargains/{2**31}/records", f3), 422, "bargain_id")
    _error(post(api, "/bargains/x/records", f3), 422, "bargain_id")
    _error(api.post(helps, headers=f3.auth), 422, "Idempotency-Key")

    mine = {x["id"]: x for x in listed(api, "/me/bargain-records", owner)}[record]
    assert [h["cut"] for h in mine["helps"]] == [cut1.json()["cut"], cut2.json()["cut"]]
    assert Decimal(mine["current_price"]) == reached == Decimal(1000) - sum(Decimal(h["cut"]) for h in mine["helps"])
    assert mine["bargain"]["floor_price"] == "950.00"
    assert record not in {x["id"] for x in listed(api, "/me/bargain-records", f1)}
    _error(api.get(f"/me/bargain-records/{record}", headers=f1.auth), 404)

    buy = f"/bargain-records/{record}/buy"
    _error(post(api, buy, f1), 404)  # only the owner buys
    _error(post(api, "/bargain-records/0/buy", owner), 422, "record_id")
    key = new_key()
    bought = post(api, buy, owner, key)
    assert bought.status_code == 200 and Decimal(bought.json()["bought_price"]) == reached, bought.text
    replayed(api, bought, buy, owner, key)
    _error(post(api, buy, owner), 409, code="closed")
    theirs = post(api, path, f1)  # another tenant's bargain on the same activity: the one unit is gone
    assert theirs.status_code == 201
    _error(post(api, f"/bargain-records/{theirs.json()['id']}/buy", f1), 409, code="sold_out")
    assert count(app_engine, "SELECT sold FROM bargain WHERE id = :b", b=bargain_id) == 1


def test_evaluation_once_per_finished_contract_and_feedback(api, app_engine, company):
    finished = ("expired", "checked_out", "closed")
    with app_engine.connect() as c:
        unrated = sa.text(
            "SELECT c.id, c.tenant_id FROM contract c WHERE c.state IN :s AND c.tenant_id <> :t "
            "AND NOT EXISTS (SELECT 1 FROM evaluation e WHERE e.contract_id = c.id) ORDER BY c.id LIMIT 1"
        ).bindparams(sa.bindparam("s", expanding=True))
        mine, me_id = c.execute(unrated, {"s": list(finished), "t": 0}).one()
        theirs, _ = c.execute(unrated, {"s": list(finished), "t": me_id}).one()
        running = c.execute(
            sa.text(
                "SELECT id, tenant_id FROM contract WHERE state = 'active' AND tenant_id <> :t ORDER BY id LIMIT 1"
            ),
            {"t": me_id},
        ).one()
    me, tenant_running = tenants(app_engine, [me_id, running.tenant_id])
    path, key = f"/me/contracts/{mine}/evaluation", new_key()
    body = {"score": 5, "content": "管家很负责，住得舒心"}
    first = post(api, path, me, key, json=body)
    assert first.status_code == 201 and first.json()["score"] == 5, first.text
    replayed(api, first, path, me, key, json=body)
    _error(post(api, path, me, key, json={**body, "score": 4}), 422, "Idempotency-Key")
    _error(post(api, path, me, json={"score": 4}), 409, code="already_evaluated")
    assert count(app_engine, "SELECT count(*) FROM evaluation WHERE contract_id = :c", c=mine) == 1
    assert mine in {x["contract_id"] for x in listed(api, "/me/evaluations", me)}
    _error(post(api, f"/me/contracts/{theirs}/evaluation", me, json=body), 404)
    assert count(app_engine, "SELECT count(*) FROM evaluation WHERE contract_id = :c", c=theirs) == 0
    _error(post(api, f"/me/contracts/{running.id}/evaluation", tenant_running, json=body), 409, code="not_finished")
    for bad, field in [
        ({"score": 0}, "score"),
        ({"score": 6}, "score"),
        ({"score": "五"}, "score"),
        ({}, "score"),
        ({"score": 3, "content": "长" * 2001}, "content"),
        ({"score": 3, "content": 5}, "content"),
        ({"score": 3, "rating": 3}, "rating"),
    ]:
        _error(post(api, f"/me/contracts/{mine}/evaluation", me, json=bad), 422, field)

    fb = {"category": "request", "title": "希望支持电子发票", "content": "缴费后能在 APP 里开电子发票"}
    key = new_key()
    made = post(api, "/feedback", me, key, json=fb)
    assert made.status_code == 201 and made.json()["category_label"] == "功能需求", made.text
    replayed(api, made, "/feedback", me, key, json=fb)
    assert count(app_engine, "SELECT count(*) FROM feedback WHERE title = :t", t=fb["title"]) == 1
    assert made.json()["id"] in {x["id"] for x in listed(api, "/me/feedback", me)}
    _error(api.get(f"/me/feedback/{made.json()['id']}", headers=tenant_running.auth), 404)
    for bad, field in [
        ({**fb, "category": "praise"}, "category"),
        ({**fb, "title": "   "}, "title"),
        ({**fb, "title": "题" * 65}, "title"),
        ({"category": "defect", "title": "闪退"}, "content"),
        ({**fb, "content": ["x"]}, "content"),
        ({**fb, "tenant_id": 1}, "tenant_id"),
    ]:
        _error(post(api, "/feedback", me, json=bad), 422, field)
    _error(post(api, "/feedback", me, content=b"{oops", headers={"Content-Type": "application/json"}), 422)


def test_messages_paged_read_and_unread(api, app_engine, company):
    a, b = tenants(app_engine, company.tenant_ids[12:14])
    base = api.get("/me/messages/unread-count", headers=a.auth).json()["unread"]
    now = clock.now()
    ids: dict[int, list[int]] = {a.id: [], b.id: []}
    for who, title in [(a, "账单已确认"), (a, "报修进度"), (a, "活动提醒"), (b, "别人的消息")]:
        n = staff_adds(
            app_engine,
            Notification(
                company_id=company.id,
                title=title,
                body=f"{title}：详情见 APP",
                audience=Audience.TENANT,
                channel=Channel.INBOX,
                scheduled_at=now,
                state=NotificationState.SENT,
                tenant_id=who.id,
                project_id=company.project_id,
                source="接口测试",
            ),
        )
        ids[who.id].append(
            staff_adds(
                app_engine,
                NotificationMessage(
                    notification_id=n,
                    recipient=f"t:{who.id}",
                    tenant_id=who.id,
                    channel=Channel.INBOX,
                    state=MessageState.SENT,
                    sent_at=now,
                ),
            )
        )
    assert api.get("/me/messages/unread-count", headers=a.auth).json()["unread"] == base + 3

    page1 = api.get("/me/messages", headers=a.auth, params={"limit": 2}).json()
    page2 = api.get("/me/messages", headers=a.auth, params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    seen = [m["id"] for m in page1["items"] + page2["items"]]
    assert seen[:3] == sorted(ids[a.id], reverse=True) and len(seen) == len(set(seen))
    assert page1["items"][0]["title"] == "活动提醒" and page1["items"][0]["read"] is False
    assert not set(ids[b.id]) & {m["id"] for m in listed(api, "/me/messages", a)}

    one = ids[a.id][0]
    r = api.post(f"/me/messages/{one}/read", headers=a.auth)
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread": base + 2}, r.text
    assert api.post(f"/me/messages/{one}/read", headers=a.auth).json() == {"marked": 0, "unread": base + 2}
    unread = [m["id"] for m in listed(api, "/me/messages", a, unread="true")]
    assert one not in unread and set(ids[a.id][1:]) <= set(unread)
    _error(api.post(f"/me/messages/{ids[b.id][0]}/read", headers=a.auth), 404)
    assert api.get("/me/messages/unread-count", headers=b.auth).json()["unread"] >= 1  # b's stays unread
    r = api.post("/me/messages/read-all", headers=a.auth)
    assert r.status_code == 200 and r.json() == {"marked": base + 2, "unread": 0}, r.text
    assert listed(api, "/me/messages", a, unread="true") == []
    assert api.post("/me/messages/read-all", headers=a.auth).json() == {"marked": 0, "unread": 0}

    _error(api.get("/me/messages", headers=a.auth, params={"cursor": "garbage"}), 422, "cursor")
    _error(api.get("/me/messages", headers=a.auth, params={"limit": 101}), 422, "limit")
    _error(api.get("/me/messages", headers=a.auth, params={"unread": "也许"}), 422, "unread")
    _error(api.post("/me/messages/abc/read", headers=a.auth), 422, "message_id")
    _error(api.get("/me/messages"), 401)


def test_flash_sale_race_sixty_tenants_for_twenty(api, app_engine, company):
    """60 tenants at once (10 of them tapping twice, with two keys) for 20 units: 20 claims, none twice."""
    now = clock.now()
    crowd = tenants(app_engine, company.tenant_ids[:60])
    sale = staff_adds(
        app_engine,
        FlashSale(
            project_id=company.project_id,
            room_id=company.room_id,
            title="接口测试抢购（并发）",
            original_price=Decimal(3000),
            sale_price=Decimal(999),
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            stock=20,
        ),
    )
    taps = crowd + crowd[:10]
    url = str(api.base_url).rstrip("/") + f"/flash-sales/{sale}/claims"
    with (
        httpx.Client(timeout=120, limits=httpx.Limits(max_connections=len(taps))) as client,
        ThreadPoolExecutor(max_workers=len(taps)) as pool,
    ):
        answers = list(
            pool.map(lambda w: client.post(url, headers={**w.auth, "Idempotency-Key": uuid.uuid4().hex}), taps)
        )
    statuses = Counter(r.status_code for r in answers)
    assert statuses[201] == 20 and statuses[409] == len(taps) - 20, statuses
    codes = Counter(r.json()["code"] for r in answers if r.status_code == 409)
    assert set(codes) <= {"sold_out", "already_claimed"}, codes
    winners = [w.id for w, r in zip(taps, answers, strict=True) if r.status_code == 201]
    assert len(set(winners)) == 20
    with app_engine.connect() as c:
        sold, stock = c.execute(sa.text("SELECT sold, stock FROM flash_sale WHERE id = :s"), {"s": sale}).one()
        rows = c.execute(sa.text("SELECT tenant_id FROM flash_claim WHERE flash_sale_id = :s"), {"s": sale}).all()
    assert sold == stock == 20 and len(rows) == 20 and {r[0] for r in rows} == set(winners)
