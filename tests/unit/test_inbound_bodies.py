"""The external systems' way in (clss_app/inbound.py: the 建融家园 APP's landlord messages, the payment
callbacks) against bodies no counterpart sends: one far past the limit is refused after reading no more
than the limit (not held whole in memory first), and a small body of nested brackets is a malformed
message (400), not a crash the caller would repeat for ever."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from starlette.applications import Starlette

from clss_app import inbound, landlord_routes, payment_routes

CHUNK = 64 * 1024
NESTED = b"[" * 4000 + b"]" * 4000  # 8,000 bytes: within the 8 KB limit, deeper than json goes


@dataclass
class _Seen:
    status: int = 0
    body: bytes = b""
    pulled: int = 0  # body chunks the app read


def _post(app, chunks: int, content_length: bool = False) -> _Seen:
    """A POST of ``chunks`` × 64 KB, streamed to the ASGI app as a server would, counting what it reads."""
    seen = _Seen()
    headers = [(b"content-type", b"application/json")]
    if content_length:
        headers.append((b"content-length", str(chunks * CHUNK).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/inbound",
        "raw_path": b"/inbound",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive():
        if seen.pulled < chunks:
            seen.pulled += 1
            return {"type": "http.request", "body": b"x" * CHUNK, "more_body": seen.pulled < chunks}
        await asyncio.sleep(3600)  # the client waits for the answer
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            seen.status = message["status"]
        elif message["type"] == "http.response.body":
            seen.body += message.get("body", b"")

    # On a thread of its own: earlier tests in the session (Playwright's sync API) leave a loop running here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(app(scope, receive, send), 30)).result()
    return seen


@dataclass
class _Answer:
    status: int
    body: dict[str, str]


def _app(applied: list[bytes]) -> Starlette:
    def apply(raw: bytes) -> _Answer:
        applied.append(raw)
        return _Answer(200, {"code": "SUCCESS"})

    return Starlette(routes=[inbound.route("/inbound", apply, 8192)])


def test_a_body_past_the_limit_is_refused_after_reading_only_the_limit():
    applied: list[bytes] = []
    streamed = _post(_app(applied), chunks=256)  # 16 MB, no length announced (chunked)
    assert streamed.status == 413 and "报文过长".encode() in streamed.body
    assert streamed.pulled <= 2, f"read {streamed.pulled} × 64 KB of a body refused at 8 KB"
    announced = _post(_app(applied), chunks=256, content_length=True)
    assert announced.status == 413 and announced.pulled == 0
    assert applied == []


def test_a_body_within_the_limit_is_applied_whole():
    applied: list[bytes] = []
    app = Starlette(
        routes=[inbound.route("/inbound", lambda raw: applied.append(raw) or _Answer(200, {"code": "OK"}), CHUNK * 3)]
    )
    assert _post(app, chunks=3).status == 200
    assert applied == [b"x" * CHUNK * 3]


def test_nested_brackets_are_a_malformed_message_not_a_crash(demo_db):
    assert landlord_routes._apply(NESTED).status == 400
    assert payment_routes._apply(NESTED).status == 400


def test_malformed_landlord_messages_are_refused_as_such(demo_db):
    """Each answered 400 without a write: not UTF-8, not an object, a value not text, a NUL in a value,
    no signature, a signature of other fields."""
    import json

    from clss_app.core import signing
    from clss_app.services import landlord_app

    good = signing.signed({"kind": "choose", "app_no": "X1", "company_id": "5", "at": "2026-12-01T00:00:00Z"}, "k")
    for body in (
        b"\xff\xfe{}",
        b"[]",
        b'"text"',
        json.dumps({"kind": "apply", "house_area": 80}).encode(),
        json.dumps({"kind": "apply", "city": "北京\x00"}).encode(),
        json.dumps({"kind": "choose", "app_no": "X1"}).encode(),
        json.dumps(good).encode(),  # signed with another key
        json.dumps({**signing.signed(good, landlord_app.key()), "company_id": "6"}).encode(),  # a company swapped in
    ):
        assert landlord_routes._apply(body).status == 400, body


def test_a_signed_application_cannot_be_replayed_as_a_choice_its_fields_spell(demo_db):
    """The signature is over "k=v&k=v…", unescaped: an application whose 户型 reads "x&company_id=5&kind=choose"
    (26 characters, a valid 户型) is signed as the same text as a choice of company 5 whose 城市 holds the
    rest. Neither is taken: no field may hold the separator."""
    import json

    from clss_app.core import signing
    from clss_app.core.privacy import check_digit
    from clss_app.services import landlord_app

    key = landlord_app.key()
    applied = {
        "app_no": "R2X1",
        "at": "2026-12-01T00:00:00Z",
        "city": "北京",
        "event_id": "e1",
        "expected_months": "12",
        "expected_rent": "6000",
        "house_address": "北京市朝阳区测试路 1 号",
        "house_area": "80",
        "kind": "apply",
        "landlord_id_number": "11010519800101123" + check_digit("11010519800101123"),
        "landlord_name": "周房东",
        "landlord_phone": "13912345678",
        "layout": "x&company_id=5&kind=choose",
    }
    sign = signing.sign(applied, key)
    canonical = signing.canonical(applied)
    city = canonical.split("city=", 1)[1].split("&layout=x")[0] + "&layout=x"
    chosen = {"app_no": "R2X1", "at": applied["at"], "city": city, "company_id": "5", "kind": "choose", "sign": sign}
    assert signing.verify(chosen, key)  # the weakness itself: the same text, the same signature
    for msg in ({**applied, "sign": sign}, chosen):
        answer = landlord_routes._apply(json.dumps(msg).encode())
        assert (answer.status, answer.body.get("message")) == (400, "报文格式错误"), msg["kind"]
