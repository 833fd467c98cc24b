"""A hostile client against the running app's tenant API: forged cursors and integers past any column,
NUL characters in text, a token outliving its tenant's change of phone, other tenants' and companies' ids
in paths and bodies, double taps from threads, and malformed requests of every kind. Every answer is the
one error shape ({code, message in Chinese, field?}), never a 500, and the app log shows no traceback
for any of it."""

from __future__ import annotations

import base64
import http.client
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from clss_app.core import clock
from clss_app.services import tenant_auth
from models import Coupon, CouponKind, TenantCoupon
from tests.api.conftest import UNIQUE_PHONE, new_key
from tests.api.test_tenant_api import _error
from tests.app_server import APP_LOG


def _rows(app_engine, sql: str, **params) -> list[tuple]:
    with app_engine.connect() as c:
        return [tuple(r) for r in c.execute(sa.text(sql), params).all()]


def _token(app_engine, tenant_id: int) -> dict[str, str]:
    with Session(app_engine) as s:
        phone = s.execute(sa.text("SELECT phone FROM tenant WHERE id = :t"), {"t": tenant_id}).scalar_one()
        token, _ = tenant_auth.issue_token(s, tenant_id, phone)
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def no_traceback() -> Iterator[None]:
    """The app log gains no traceback while the test runs (the server logs each 500 it answers)."""
    start = APP_LOG.stat().st_size if APP_LOG.exists() else 0
    yield
    with APP_LOG.open("rb") as f:
        f.seek(start)
        new = f.read().decode(errors="replace")
    failed = re.findall(r"API [A-Z]+ \S+ failed", new)  # what the API logs with each 500's traceback
    assert not failed, new[-3000:]


@pytest.fixture
def tenant(app_engine) -> tuple[int, dict[str, str]]:
    """A tenant of its own phone with a contract in force, and a token for it."""
    tid = _rows(
        app_engine,
        f"SELECT t.id FROM tenant t WHERE {UNIQUE_PHONE} AND EXISTS "
        "(SELECT 1 FROM contract c WHERE c.tenant_id = t.id AND c.state = 'active') ORDER BY t.id DESC LIMIT 1",
    )[0][0]
    return tid, _token(app_engine, tid)


def test_forged_cursors_and_integers_past_any_column_are_422(api, tenant, no_traceback):
    _, auth = tenant
    huge = 2**70
    # The engine's list endpoints: a cursor's id or value past 64 bits could not even be bound (SQLite).
    for path, sort, value in (("/projects", "id", huge), ("/me/bills", "-due_date", "2026-01-01")):
        for forged in ([sort, value, huge], [sort, value, -1], [sort, value, 2**40]):
            _error(api.get(path, params={"cursor": _cursor(forged)}, headers=auth), 422, "cursor")
    _error(api.get("/rooms", params={"sort": "id", "cursor": _cursor(["id", huge, 1])}, headers=auth), 422, "cursor")
    for cursor in (_cursor(["messages", huge]), _cursor(["messages", -5]), _cursor({"messages": 1}), "%%%", "__4"):
        _error(api.get("/me/messages", params={"cursor": cursor}, headers=auth), 422, "cursor")
    # Integer filters: bounded like the columns they compare with, named in Chinese.
    for path, name in (("/events", "project_id"), ("/rooms", "project_id"), ("/me/bills", "contract_id")):
        for value in (2**63, 2**31, -(2**63)):
            body = _error(api.get(path, params={name: value}, headers=auth), 422, name)
            assert name not in body["message"], body
        assert api.get(path, params={name: 2**31 - 1}, headers=auth).json()["items"] == []
    for value in (2**63, 0, -1, "1.5", "abc"):
        body = _error(api.get(f"/me/bills/{value}", headers=auth), 422, "row_id")
        assert "编号" in body["message"], body
        body = _error(api.post(f"/me/bills/{value}/pay-order", headers={**auth, **new_key()}), 422, "bill_id")
        assert "账单" in body["message"], body
    for amount in ("sNaN", "NaN", "1e999999"):  # an amount past any NUMERIC, or none at all
        forged = _cursor(["amount", amount, 1])
        _error(api.get("/me/bills", params={"sort": "amount", "cursor": forged}, headers=auth), 422, "cursor")
        _error(api.get("/rooms", params={"rent_min": amount}, headers=auth), 422, "rent_min")
    for limit in (2**64, 0, -1, "1.5"):
        _error(api.get("/me/bills", params={"limit": limit}, headers=auth), 422, "limit")


def test_text_with_nul_is_refused_naming_its_field(api, app_engine, tenant, no_traceback):
    tid, auth = tenant
    room = _rows(app_engine, "SELECT room_id FROM contract WHERE tenant_id = :t AND state = 'active'", t=tid)[0][0]
    before = _rows(app_engine, "SELECT count(*) FROM feedback WHERE tenant_id = :t", t=tid)[0][0]
    for body, field in (
        ({"category": "defect", "title": "漏\x00水", "content": "内容"}, "title"),
        ({"category": "request", "title": "标题", "content": "\x00"}, "content"),
    ):
        r = _error(api.post("/feedback", json=body, headers={**auth, **new_key()}), 422, field)
        assert "空字符" in r["message"], r
    assert _rows(app_engine, "SELECT count(*) FROM feedback WHERE tenant_id = :t", t=tid)[0][0] == before
    _error(api.get("/projects", params={"q": "青\x00年"}, headers=auth), 422, "q")
    form = {"room_id": str(room), "category": "utilities", "description": "漏水\x00"}
    _error(api.post("/me/repairs", data=form, headers={**auth, **new_key()}), 422, "description")
    # Everything else of the kind still answers: emoji and the longest text allowed.
    ok = {"category": "defect", "title": "😀" * 64, "content": "长" * 2000}
    assert api.post("/feedback", json=ok, headers={**auth, **new_key()}).status_code == 201


def test_a_token_dies_with_its_phone(api, app_engine, no_traceback):
    tid, phone = _rows(
        app_engine,
        f"SELECT t.id, t.phone FROM tenant t WHERE {UNIQUE_PHONE} AND t.phone <> '' "
        "AND NOT EXISTS (SELECT 1 FROM bill b WHERE b.tenant_id = t.id) ORDER BY t.id DESC LIMIT 1",
    )[0]
    auth = _token(app_engine, tid)
    assert api.get("/me", headers=auth).status_code == 200
    with app_engine.begin() as c:  # the store records the tenant's new number
        c.execute(sa.text("UPDATE tenant SET phone = '19912345678' WHERE id = :t"), {"t": tid})
    try:
        _error(api.get("/me", headers=auth), 401)
        _error(api.get("/me/appointments", headers=auth), 401)
    finally:
        with app_engine.begin() as c:
            c.execute(sa.text("UPDATE tenant SET phone = :p WHERE id = :t"), {"p": phone, "t": tid})
    assert api.get("/me", headers=auth).status_code == 200  # the number back: the token speaks again
    out = api.post("/auth/logout", headers=auth)
    assert out.status_code == 200
    _error(api.get("/me", headers=auth), 401)  # revoked: for good


def test_other_tenants_ids_in_paths_and_bodies(api, app_engine, tenant, no_traceback):
    tid, auth = tenant
    company = _rows(app_engine, "SELECT company_id FROM tenant WHERE id = :t", t=tid)[0][0]

    def one(sql: str, **params) -> int:
        rows = _rows(app_engine, sql, t=tid, c=company, **params)
        assert rows, sql
        return int(rows[0][0])

    contract = one("SELECT id FROM contract WHERE tenant_id <> :t ORDER BY id LIMIT 1")
    my_contract = one("SELECT id FROM contract WHERE tenant_id = :t AND state = 'active'")
    coupon = one("SELECT id FROM tenant_coupon WHERE tenant_id <> :t AND state = 'unused' ORDER BY id LIMIT 1")
    record = one(
        "SELECT r.id FROM bargain_record r JOIN project p ON p.id = r.project_id WHERE p.company_id <> :c LIMIT 1"
    )
    cover = one(
        "SELECT v.id FROM insurance_cover v WHERE v.product_id NOT IN (SELECT pl.product_id FROM "
        "project_insurance_plan pl JOIN project p ON p.id = pl.project_id WHERE p.company_id = :c) LIMIT 1"
    )
    room = one("SELECT r.id FROM room r JOIN project p ON p.id = r.project_id WHERE p.company_id <> :c LIMIT 1")
    bill = one("SELECT id FROM bill WHERE tenant_id <> :t ORDER BY id LIMIT 1")
    my_bill = _rows(
        app_engine,
        "SELECT id FROM bill WHERE tenant_id = :t AND payer = 'tenant' AND state IN ('confirmed', 'partial') LIMIT 1",
        t=tid,
    )
    with_key = {**auth}
    for method, path, kw in (
        ("post", f"/me/bills/{bill}/pay-order", {}),
        ("post", f"/me/bills/{bill}/apply-coupon", {"json": {"tenant_coupon_id": coupon}}),
        ("get", f"/me/contracts/{contract}/draft", {}),
        ("post", f"/me/contracts/{contract}/confirm", {}),
        ("post", f"/me/contracts/{contract}/evaluation", {"json": {"score": 5}}),
        ("post", f"/bargain-records/{record}/helps", {}),
        ("post", f"/bargain-records/{record}/buy", {}),
        ("get", f"/me/bargain-records/{record}", {}),
        ("get", f"/me/coupons/{coupon}", {}),
        ("post", "/me/policies", {"json": {"contract_id": contract, "cover_id": cover}}),
        ("post", "/me/repairs", {"data": {"room_id": str(room), "category": "utilities", "description": "漏水"}}),
    ):
        r = getattr(api, method)(path, headers={**with_key, **new_key()}, **kw)
        _error(r, 404)
    r = api.post("/me/policies", json={"contract_id": my_contract, "cover_id": cover}, headers={**auth, **new_key()})
    assert r.status_code in (404, 409) and r.status_code != 201, r.text
    _error(r, r.status_code)
    if my_bill:  # another tenant's coupon on my own bill: not found, and the coupon stays unused
        r = api.post(
            f"/me/bills/{my_bill[0][0]}/apply-coupon", json={"tenant_coupon_id": coupon}, headers={**auth, **new_key()}
        )
        _error(r, 404, "tenant_coupon_id")
    assert _rows(app_engine, "SELECT state, bill_id FROM tenant_coupon WHERE id = :i", i=coupon)[0] == ("unused", None)
    message = _rows(app_engine, "SELECT id FROM notification_message WHERE tenant_id <> :t LIMIT 1", t=tid)
    if message:
        before = _rows(app_engine, "SELECT * FROM notification_message WHERE id = :i", i=message[0][0])
        _error(api.post(f"/me/messages/{message[0][0]}/read", headers=auth), 404)
        assert _rows(app_engine, "SELECT * FROM notification_message WHERE id = :i", i=message[0][0]) == before


def _photo(data: bytes) -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", ("a.jpg", data, "image/jpeg"))


def test_malformed_requests_answer_the_one_shape(api, app_engine, tenant, no_traceback):
    tid, auth = tenant
    room = _rows(app_engine, "SELECT room_id FROM contract WHERE tenant_id = :t AND state = 'active'", t=tid)[0][0]
    form = {"room_id": str(room), "category": "utilities", "description": "漏水"}
    feedback = {"category": "defect", "title": "标题", "content": "内容"}
    cases: list[tuple[str, str, dict, int, str | None]] = [
        ("post", "/feedback", {"json": [feedback]}, 422, "body"),
        ("post", "/feedback", {"json": None}, 422, "body"),
        ("post", "/feedback", {"content": b"{not json"}, 422, "body"),
        ("post", "/feedback", {"content": json.dumps(feedback), "headers": {"Content-Type": "text/plain"}}, 422, None),
        ("post", "/feedback", {"data": feedback}, 422, "body"),
        ("post", "/feedback", {"json": {**feedback, "tenant_id": 1}}, 422, "tenant_id"),
        ("post", "/feedback", {"json": {**feedback, "title": 123}}, 422, "title"),
        ("post", "/feedback", {"json": {**feedback, "content": "长" * 10_000}}, 422, "content"),
        ("post", "/feedback", {"json": {**feedback, "title": None}}, 422, "title"),
        ("post", "/me/policies", {"json": {"contract_id": 2**63, "cover_id": 1}}, 422, "contract_id"),
        ("post", "/me/policies", {"json": {"contract_id": 1.5, "cover_id": 1}}, 422, "contract_id"),
        ("post", "/me/policies", {"json": {"contract_id": [1], "cover_id": 1}}, 422, "contract_id"),
        ("post", "/me/repairs", {"data": {**form, "room_id": str(2**63)}}, 422, "room_id"),
        ("post", "/me/repairs", {"data": {**form, "photos": "not a file"}}, 422, "photos"),
        ("post", "/me/repairs", {"data": form, "files": [_photo(b"")]}, 422, "photos"),
        ("post", "/me/repairs", {"data": form, "files": [_photo(b"<html>not a picture</html>")]}, 422, "photos"),
        ("post", "/me/repairs", {"data": form, "files": [_photo(b"x")] * 10}, 422, "photos"),
        ("post", "/me/repairs", {"json": form}, 422, "room_id"),
        (
            "post",
            "/me/repairs",
            {"content": b"garbage", "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
            422,
            None,
        ),
        ("put", "/feedback", {}, 405, None),
        ("get", "/no-such-thing", {}, 404, None),
    ]
    for method, path, kw, status, field in cases:
        headers = {**auth, **new_key(), **kw.pop("headers", {})}
        r = api.request(method.upper(), path, headers=headers, **kw)
        assert r.headers["content-type"].startswith("application/json"), (path, r.text)
        if r.status_code == 400:  # a multipart body the parser cannot read at all
            _error(r, 400)
            continue
        _error(r, status, field)
    for token in ("", "Bearer nope", "Basic eDp4", "Bearer " + "x" * 8000):
        bad = {"Authorization": token} if token else {}
        _error(api.get("/me/bills", headers=bad), 401)


def test_double_taps_from_threads_act_once(api, app_engine, tenant, no_traceback):
    tid, auth = tenant
    company = _rows(app_engine, "SELECT company_id FROM tenant WHERE id = :t", t=tid)[0][0]
    events = _rows(
        app_engine,
        "SELECT e.id FROM event e JOIN project p ON p.id = e.project_id WHERE p.company_id = :c "
        "AND e.capacity > e.signed_up AND e.id NOT IN (SELECT event_id FROM event_signup WHERE tenant_id = :t) "
        "ORDER BY e.id LIMIT 1",
        c=company,
        t=tid,
    )
    if not events:
        pytest.skip("no event of the company with places left")
    event = events[0][0]

    def tap(key: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            return client.post(f"/events/{event}/signups", headers={**auth, **key})

    same = new_key()
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(tap, [same] * 3 + [new_key() for _ in range(3)]))
    for r in answers:
        assert r.status_code in (201, 409), r.text
        if r.status_code == 409:
            _error(r, 409)
    assert Counter(r.status_code for r in answers)[201] >= 1
    created = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(created) == 1, [r.text for r in answers]
    n = _rows(app_engine, "SELECT count(*) FROM event_signup WHERE event_id = :e AND tenant_id = :t", e=event, t=tid)
    assert n[0][0] == 1


def _declared(api: httpx.Client, path: str, headers: dict[str, str], length: int, kind: str) -> httpx.Response:
    """A POST announcing a body of ``length`` bytes and sending none of it: the answer comes at the door."""
    url = urlsplit(str(api.base_url))
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.putrequest("POST", url.path + path)
        for name, value in {**headers, "Content-Type": kind, "Content-Length": str(length)}.items():
            conn.putheader(name, value)
        conn.endheaders()
        got = conn.getresponse()
        return httpx.Response(got.status, headers=dict(got.getheaders()), content=got.read())
    finally:
        conn.close()


def test_bodies_past_their_limit_are_413(api, tenant, no_traceback):
    _, auth = tenant
    r = _declared(api, "/feedback", {**auth, **new_key()}, 300_000, "application/json")
    assert "请求体过大" in _error(r, 413)["message"]
    r = _declared(api, "/me/repairs", {**auth, **new_key()}, 1024 * 1024 * 1024, "multipart/form-data; boundary=b")
    _error(r, 413)

    def streamed() -> Iterator[bytes]:  # chunked: no Content-Length to refuse at the door
        yield b'{"category": "defect", "title": "t", "content": "'
        for _ in range(27):
            yield b"x" * 10_000
        yield b'"}'

    r = api.post("/feedback", content=streamed(), headers={**auth, **new_key(), "Content-Type": "application/json"})
    _error(r, 413)
    ok = {"category": "defect", "title": "标题", "content": "长" * 2000}  # the longest text allowed still fits
    assert api.post("/feedback", json=ok, headers={**auth, **new_key()}).status_code == 201


def test_two_coupons_tapped_at_once_on_one_bill_one_is_used(api, app_engine, no_traceback):
    """每张账单限用一张 with four coupons applied at once (several workers on PostgreSQL): one is used."""
    bill, tid, company = _rows(
        app_engine,
        "SELECT b.id, t.id, p.company_id FROM bill b JOIN tenant t ON t.id = b.tenant_id "
        "JOIN project p ON p.id = b.project_id WHERE b.state = 'confirmed' AND b.payer = 'tenant' "
        f"AND b.amount > 100 AND {UNIQUE_PHONE} AND b.id NOT IN (SELECT bill_id FROM pay_order_bill) "
        "AND b.id NOT IN (SELECT bill_id FROM tenant_coupon WHERE bill_id IS NOT NULL) ORDER BY b.id LIMIT 1",
    )[0]
    with Session(app_engine) as s:
        coupon = Coupon(
            company_id=company,
            name=f"并发券{uuid.uuid4().hex[:6]}",
            kind=CouponKind.AMOUNT_OFF,
            amount=Decimal(1),
            valid_from=clock.today() - timedelta(days=1),
            valid_to=clock.today() + timedelta(days=30),
            stock=4,
            issued=4,
            per_user_limit=4,
            enabled=True,
        )
        s.add(coupon)
        s.flush()
        held = [TenantCoupon(coupon_id=coupon.id, company_id=company, tenant_id=tid, seq=i) for i in range(1, 5)]
        s.add_all(held)
        s.commit()
        ids = [h.id for h in held]
    auth = _token(app_engine, tid)

    def tap(held_id: int | None) -> httpx.Response:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            body = {"tenant_coupon_id": held_id}
            return client.post(f"/me/bills/{bill}/apply-coupon", json=body, headers={**auth, **new_key()})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(tap, ids))
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409], [r.text for r in answers]
    for r in answers:
        if r.status_code == 409:
            _error(r, 409, "tenant_coupon_id")
    used = _rows(app_engine, "SELECT count(*) FROM tenant_coupon WHERE bill_id = :b", b=bill)[0][0]
    lines = _rows(app_engine, "SELECT count(*) FROM payment WHERE bill_id = :b AND source = 'coupon'", b=bill)[0][0]
    assert (used, lines) == (1, 1)
