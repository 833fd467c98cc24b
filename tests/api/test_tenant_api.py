"""A tenant walks the API on the running app: SMS login → home → listings → 预约看房 (idempotent) → my
appointments, contracts and bills, page by page; then logout. Around it: 401 without or with a dead
token, 422 naming the field in Chinese, 429 past the code, try and request limits, and another
tenant's ids refused (404) on every scoped resource. The OpenAPI document lists every route served."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from clss_app import settings
from tests.api.conftest import latest_code, login, new_key

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _error(r: httpx.Response, status: int, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) <= {"code", "message", "field"} and body["code"] and CHINESE.search(body["message"]), body
    if field is not None:
        assert body.get("field") == field, body
    return body


def _all(api: httpx.Client, path: str, headers: dict, limit: int = 3) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        params: dict = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = api.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_tenant_walk(api, sandbox_url, demo_tenants, app_engine):
    me = demo_tenants[0]
    auth = login(api, sandbox_url, me.phone)
    assert api.get("/me", headers=auth).json()["phone"] == me.phone

    home = api.get("/home", headers=auth).json()
    assert home["city"] and set(home["groups"]) == {"home", "featured", "recommend"}
    assert len(home["groups"]["recommend"]) <= 6

    projects = _all(api, "/projects", auth, limit=2)
    assert projects and len({p["id"] for p in projects}) == len(projects)
    rooms = api.get("/rooms", params={"status": "vacant", "sort": "rent", "limit": 20}, headers=auth).json()["items"]
    assert rooms and all(r["status"] == "vacant" for r in rooms)
    rents = [float(r["rent"]) for r in rooms]
    assert rents == sorted(rents)
    cheap = api.get("/rooms", params={"rent_max": rents[0], "limit": 100}, headers=auth).json()["items"]
    assert cheap and all(float(r["rent"]) <= rents[0] for r in cheap)
    room = rooms[0]
    assert api.get(f"/rooms/{room['id']}", headers=auth).json()["number"] == room["number"]

    visit = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    body = {"project_id": room["project_id"], "room_id": room["id"], "visit_at": visit, "note": "想看朝南的"}
    _error(api.post("/appointments", json=body, headers=auth), 422, "Idempotency-Key")
    key = new_key()
    made = api.post("/appointments", json=body, headers={**auth, **key})
    assert made.status_code == 201, made.text
    again = api.post("/appointments", json=body, headers={**auth, **key})  # a retry: the same answer, once
    assert again.status_code == 201 and again.json() == made.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    _error(api.post("/appointments", json={**body, "note": "别的"}, headers={**auth, **key}), 422, "Idempotency-Key")
    with app_engine.connect() as c:
        n = c.execute(
            sa.text("SELECT count(*) FROM appointment WHERE phone = :p AND note = :n"),
            {"p": me.phone, "n": "想看朝南的"},
        )
        assert n.scalar() == 1
    mine = api.get("/me/appointments", headers=auth).json()["items"]
    assert made.json()["id"] in [a["id"] for a in mine] and all(a["state"] for a in mine)

    contracts = _all(api, "/me/contracts", auth, limit=1)
    assert sorted(c["id"] for c in contracts) == me.contract_ids
    bills = _all(api, "/me/bills", auth, limit=3)
    assert sorted(b["id"] for b in bills) == me.bill_ids  # paging neither repeats nor drops a bill
    dues = [b["due_date"] for b in bills]
    assert dues == sorted(dues, reverse=True)
    one = api.get(f"/me/bills/{bills[0]['id']}", headers=auth).json()
    assert one["title"] == bills[0]["title"] and one["state_label"]
    assert api.get("/me/reservations", headers=auth).status_code == 200

    assert api.post("/auth/logout", headers=auth).json() == {"ok": True}
    _error(api.get("/me/bills", headers=auth), 401)


def test_other_tenants_rows_are_refused(api, sandbox_url, demo_tenants, app_engine):
    me, other = demo_tenants[1], demo_tenants[2]
    auth = login(api, sandbox_url, me.phone)
    for bill_id in other.bill_ids[:3]:
        _error(api.get(f"/me/bills/{bill_id}", headers=auth), 404)
    for contract_id in other.contract_ids:
        _error(api.get(f"/me/contracts/{contract_id}", headers=auth), 404)
    assert not set(other.bill_ids) & {b["id"] for b in _all(api, "/me/bills", auth, limit=100)}
    # Filters do not widen the scope: the other's contract as a filter finds nothing.
    r = api.get("/me/bills", params={"contract_id": other.contract_ids[0]}, headers=auth)
    assert r.status_code == 200 and r.json()["items"] == []
    with app_engine.connect() as c:
        theirs = c.execute(sa.text("SELECT id FROM reservation WHERE tenant_id <> :t LIMIT 1"), {"t": me.id}).scalar()
        hidden_room = c.execute(sa.text("SELECT id FROM room WHERE visible = false LIMIT 1")).scalar()
        appointment = c.execute(
            sa.text("SELECT id FROM appointment WHERE phone <> :p LIMIT 1"), {"p": me.phone}
        ).scalar()
    if theirs is not None:
        _error(api.get(f"/me/reservations/{theirs}", headers=auth), 404)
    if appointment is not None:
        _error(api.get(f"/me/appointments/{appointment}", headers=auth), 404)
    if hidden_room is not None:
        _error(api.get(f"/rooms/{hidden_room}", headers=auth), 404)


def test_unauthenticated_and_bad_input(api, sandbox_url, demo_tenants):
    for path in ("/me", "/home", "/rooms", "/me/bills", "/me/contracts/1"):
        _error(api.get(path), 401)
    _error(api.get("/me/bills", headers={"Authorization": "Bearer not-a-token"}), 401)
    _error(api.get("/no-such-thing"), 404)
    auth = login(api, sandbox_url, demo_tenants[3].phone)
    assert _error(api.get("/rooms", params={"limit": 10_000}, headers=auth), 422, "limit")["message"].startswith(
        "每页条数"
    )
    assert (
        "最低月租金" in _error(api.get("/rooms", params={"rent_min": "很多"}, headers=auth), 422, "rent_min")["message"]
    )
    _error(api.get("/rooms", params={"sort": "password"}, headers=auth), 422, "sort")
    _error(api.get("/rooms", params={"cursor": "garbage"}, headers=auth), 422, "cursor")
    _error(api.get("/me/bills/abc", headers=auth), 422, "row_id")
    _error(api.get("/me/bills/99999999999999", headers=auth), 422, "row_id")
    _error(api.post("/auth/sms-code", json={"phone": "12"}), 422, "phone")
    _error(api.post("/auth/sms-code", json={"phone": "13800000000", "admin": True}), 422, "admin")
    _error(api.post("/auth/sms-code", content=b"{not json", headers={"Content-Type": "application/json"}), 422)
    _error(api.post("/auth/sms-code", json=["x"]), 422)
    visit = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    bad = [
        ({"project_id": "一", "visit_at": visit}, "project_id"),
        ({"project_id": 1, "visit_at": "明天"}, "visit_at"),
        ({"project_id": 1}, "visit_at"),
        ({"project_id": 1, "visit_at": visit, "note": "长" * 300}, "note"),
        ({"project_id": 1, "visit_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}, "visit_at"),
        ({"project_id": 2**31 - 1, "visit_at": visit}, "project_id"),
    ]
    for body, field in bad:
        _error(api.post("/appointments", json=body, headers={**auth, **new_key()}), 422, field)
    short_key = {**auth, "Idempotency-Key": "short"}
    body = {"project_id": 1, "visit_at": visit}
    _error(api.post("/appointments", json=body, headers=short_key), 422, "Idempotency-Key")


def test_limits_answer_429(api, sandbox_url, demo_tenants):
    phone = demo_tenants[4].phone
    for _ in range(settings.SMS_CODES_PER_HOUR):
        assert api.post("/auth/sms-code", json={"phone": phone}).status_code == 200
    assert "每小时" in _error(api.post("/auth/sms-code", json={"phone": phone}), 429)["message"]
    code = latest_code(sandbox_url, phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.SMS_CODE_ATTEMPTS):
        _error(api.post("/auth/login", json={"phone": phone, "code": wrong}), 401, "code")
    _error(api.post("/auth/login", json={"phone": phone, "code": code}), 429, "code")  # tries spent

    auth = login(api, sandbox_url, demo_tenants[5].phone)
    if time.time() % 60 > 45:  # the requests below fall in one minute's window
        time.sleep(61 - time.time() % 60)
    statuses = [api.get("/me", headers=auth).status_code for _ in range(settings.api_per_minute() + 5)]
    assert statuses.count(200) <= settings.api_per_minute() and 429 in statuses
    r = api.get("/me", headers=auth)
    assert "每分钟" in _error(r, 429)["message"] and r.headers.get("Retry-After")


def test_openapi_and_docs_are_served(api):
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/me/bills" in doc["paths"]
    for path, item in doc["paths"].items():  # every documented route is served (401/405/422, never 404)
        for method in item:
            r = api.request(method.upper(), path.replace("{row_id}", "1"))
            assert r.status_code != 404 or r.json()["code"] != "not_found", (method, path)
    page = api.get("/docs")
    assert page.status_code == 200 and "预约看房" in page.text and "<script" not in page.text
