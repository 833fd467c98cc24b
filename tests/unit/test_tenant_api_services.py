"""The tenant API's services on the demo database (SQLite, and PostgreSQL in the test command's second
pass): SMS login codes (hashed, expiring, tries and codes per hour limited), tokens (hashed, expiring,
revoked by logout), request counters that never let more through than the limit under parallel
requests, 预约看房's checks, the home page's banners, and idempotent creation."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import BaseModel
from sqlmodel import col, func, select

from clss_app import db, settings
from clss_app.api import idempotency
from clss_app.api.errors import ApiError
from clss_app.core import clock
from clss_app.core.errors import Refused
from clss_app.services import rate_limit, sms, tenant_auth, tenant_portal
from models import (
    ApiToken,
    Appointment,
    AuditLog,
    BannerGroup,
    Contract,
    IdempotentAnswer,
    Project,
    Room,
    SmsCode,
    Tenant,
)
from tests.sandbox_server import sandbox_call


@pytest.fixture
def gateway(sandbox_url, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("CLSS_SMS_URL", sandbox_url)
    monkeypatch.setattr(sms, "TIMEOUT", sms.httpx.Timeout(2.0, connect=1.0))
    sandbox_call(sandbox_url, "/sandbox/sms/control", {"reset": True})
    yield sandbox_url
    sandbox_call(sandbox_url, "/sandbox/sms/control", {"reset": True})  # no fault left for the API tests


def _tenant(session) -> Tenant:
    """A demo tenant with a contract, and a phone no other tenant has."""
    shared = select(Tenant.phone).group_by(Tenant.phone).having(func.count() > 1)
    return session.exec(
        select(Tenant)
        .join(Contract, col(Contract.tenant_id) == Tenant.id)
        .where(col(Tenant.phone).not_in(shared))
        .order_by(col(Tenant.id))
        .limit(1)
    ).one()


def _code(url: str, phone: str) -> str:
    with urllib.request.urlopen(f"{url}/sandbox/sms/outbox?phone={phone}", timeout=10) as r:
        text = json.loads(r.read())["messages"][0]["text"]
    found = re.search(r"\d{6}", text)
    assert found is not None
    return found.group(0)


def _refused(call, status: int, field: str | None = None) -> Refused:
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.status == status, caught.value.message
    if field is not None:
        assert caught.value.field == field
    assert re.search(r"[\u4e00-\u9fff]", caught.value.message)
    return caught.value


def test_code_login_logout(demo_db, gateway):
    with db.session_scope() as s:
        t = _tenant(s)
        phone, tenant_id = t.phone, t.id
        assert tenant_auth.send_code(s, phone) == settings.SMS_CODE_MINUTES * 60
    code = _code(gateway, phone)
    with db.session_scope() as s:
        row = s.exec(select(SmsCode).where(SmsCode.phone == phone)).one()
        assert code not in (row.code_hash, row.salt) and len(row.code_hash) == 64  # kept hashed
        wrong = "000000" if code != "000000" else "111111"
        _refused(lambda: tenant_auth.login(s, phone, wrong), 401, "code")
    with db.session_scope() as s:
        token, expires, who = tenant_auth.login(s, phone, code)
        assert who == tenant_id and expires > clock.now() + timedelta(days=settings.API_TOKEN_DAYS - 1)
    with db.session_scope() as s:
        assert s.exec(select(ApiToken.token_hash)).all() != [token]  # the token itself is not stored
        _refused(lambda: tenant_auth.login(s, phone, code), 401, "code")  # a code is used once
        found = tenant_auth.check_token(s, token)
        assert found is not None and found.tenant_id == tenant_id and found.phone == phone
        assert tenant_auth.check_token(s, token, now=expires + timedelta(seconds=1)) is None
        assert tenant_auth.check_token(s, token + "x") is None
        tenant_auth.logout(s, found.token_id)
    with db.session_scope() as s:
        assert tenant_auth.check_token(s, token) is None


def test_bad_phones_are_refused_and_an_unknown_one_gets_the_same_answer_but_no_code(demo_db, gateway):
    with db.session_scope() as s:
        _refused(lambda: tenant_auth.send_code(s, "12345"), 422, "phone")
        _refused(lambda: tenant_auth.login(s, "13800000000", "12ab56"), 422, "code")
        known, unknown = _tenant(s).phone, "19999999999"
        assert s.exec(select(Tenant.id).where(Tenant.phone == unknown)).first() is None
        assert tenant_auth.send_code(s, unknown) == tenant_auth.send_code(s, known)
    with urllib.request.urlopen(f"{gateway}/sandbox/sms/outbox?phone={unknown}", timeout=10) as r:
        assert json.loads(r.read())["messages"] == []
    with db.session_scope() as s:
        assert s.exec(select(SmsCode).where(SmsCode.phone == unknown)).all() == []
        _refused(lambda: tenant_auth.login(s, unknown, "123456"), 401, "code")
        for _ in range(settings.SMS_CODES_PER_HOUR - 1):  # an unknown number is limited as a known one is
            tenant_auth.send_code(s, unknown)
        _refused(lambda: tenant_auth.send_code(s, unknown), 429)


def test_one_address_cycling_through_numbers_is_limited(demo_db, gateway, monkeypatch):
    monkeypatch.setenv("CLSS_SMS_CODES_PER_IP_HOUR", "3")
    with db.session_scope() as s:
        for k in range(3):
            tenant_auth.send_code(s, f"1990000000{k}", client="198.51.100.7")
        refused = _refused(lambda: tenant_auth.send_code(s, "19900000009", client="198.51.100.7"), 429)
        assert "每小时最多获取 3 次" in refused.message
        tenant_auth.send_code(s, "19900000009", client="198.51.100.8")  # another address is not held back


def test_the_nightly_clean_up_forgets_dead_codes_tokens_and_answers_only(demo_db, gateway):
    now = clock.now()
    with db.session_scope() as s:
        phone = _tenant(s).phone
        tenant_auth.send_code(s, phone, now=now - timedelta(days=2))
    with db.session_scope() as s:
        old_token = tenant_auth.login(s, phone, _code(gateway, phone), now=now - timedelta(days=2))[0]
    with db.session_scope() as s:
        tenant_auth.send_code(s, phone, now=now)
    with db.session_scope() as s:
        live_token = tenant_auth.login(s, phone, _code(gateway, phone), now=now)[0]
        s.add(
            IdempotentAnswer(
                owner="tenant:1",
                key="old-key-123",
                fingerprint="x",
                status=201,
                created_at=now - timedelta(days=settings.IDEMPOTENCY_DAYS + 1),
            )
        )
        s.add(IdempotentAnswer(owner="tenant:1", key="new-key-123", fingerprint="x", status=201, created_at=now))
    with db.session_scope() as s:  # a month later the first login's token has died; the second still lives
        later = now + timedelta(days=settings.API_TOKEN_DAYS + settings.API_FORGET_DAYS) - timedelta(days=1)
        assert tenant_auth.forget(s, later) >= 4
        assert s.exec(select(SmsCode).where(SmsCode.phone == phone)).all() == []
        assert s.exec(select(IdempotentAnswer.key).where(col(IdempotentAnswer.owner) == "tenant:1")).all() == []
        assert tenant_auth.check_token(s, old_token, now=later) is None
        assert s.exec(select(func.count()).select_from(ApiToken).where(ApiToken.phone == phone)).one() == 1
        assert tenant_auth.check_token(s, live_token, now=now) is not None


def test_tries_per_code_and_codes_per_hour(demo_db, gateway):
    with db.session_scope() as s:
        phone = _tenant(s).phone
        tenant_auth.send_code(s, phone)
    code = _code(gateway, phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.SMS_CODE_ATTEMPTS):
        with db.session_scope() as s:
            _refused(lambda: tenant_auth.login(s, phone, wrong), 401)
    with db.session_scope() as s:  # the right code is refused too once the tries are spent
        _refused(lambda: tenant_auth.login(s, phone, code), 429, "code")
    for _ in range(settings.SMS_CODES_PER_HOUR - 1):
        with db.session_scope() as s:
            tenant_auth.send_code(s, phone)
    with db.session_scope() as s:
        _refused(lambda: tenant_auth.send_code(s, phone), 429)
        assert s.exec(select(func.count()).select_from(SmsCode).where(SmsCode.phone == phone)).one() == 5


def test_expired_code_is_refused(demo_db, gateway):
    with db.session_scope() as s:
        phone = _tenant(s).phone
        tenant_auth.send_code(s, phone)
    code = _code(gateway, phone)
    later = clock.now() + timedelta(minutes=settings.SMS_CODE_MINUTES, seconds=1)
    with db.session_scope() as s:
        _refused(lambda: tenant_auth.login(s, phone, code, now=later), 401, "code")


def test_gateway_down_keeps_no_code(demo_db, gateway):
    sandbox_call(gateway, "/sandbox/sms/control", {"fail_next": sms.ATTEMPTS})
    with db.session_scope() as s:
        phone = _tenant(s).phone
        _refused(lambda: tenant_auth.send_code(s, phone), 503)
    with db.session_scope() as s:
        assert s.exec(select(SmsCode).where(SmsCode.phone == phone)).all() == []


def test_rate_limit_never_lets_more_through_in_parallel(demo_db):
    results: list[bool] = []
    lock = threading.Lock()

    def hit() -> None:
        for _ in range(5):
            got = rate_limit.take("token:test", 12, 60, now=1_000_000.0)
            with lock:
                results.append(got)

    threads = [threading.Thread(target=hit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 12 and len(results) == 30
    assert rate_limit.take("token:test", 12, 60, now=1_000_060.0)  # the next minute starts again


def _listed(session) -> tuple[Project, Room]:
    return session.exec(
        select(Project, Room)
        .join(Room, col(Room.project_id) == Project.id)
        .where(tenant_portal.listed_rooms())
        .order_by(col(Room.id))
        .limit(1)
    ).one()


def test_book_viewing_checks_and_audits(demo_db):
    with db.session_scope() as s:
        t = _tenant(s)
        who = tenant_auth.TenantToken(0, t.id or 0, t.phone)
        project, room = _listed(s)
        hidden = s.exec(select(Project).where(~tenant_portal.listed_projects())).first()
        other_room = s.exec(select(Room).where(Room.project_id != project.id)).first()
        soon = clock.now() + timedelta(days=1)
        if hidden is not None:
            _refused(lambda: tenant_portal.book_viewing(s, who, hidden.id or 0, None, soon, ""), 422, "project_id")
        assert other_room is not None
        _refused(lambda: tenant_portal.book_viewing(s, who, project.id or 0, other_room.id, soon, ""), 422, "room_id")
        past = clock.now() - timedelta(minutes=1)
        _refused(lambda: tenant_portal.book_viewing(s, who, project.id or 0, None, past, ""), 422, "visit_at")
        far = clock.now() + timedelta(days=tenant_portal.BOOK_AHEAD_DAYS + 1)
        _refused(lambda: tenant_portal.book_viewing(s, who, project.id or 0, None, far, ""), 422, "visit_at")
        naive = soon.replace(tzinfo=None)
        _refused(lambda: tenant_portal.book_viewing(s, who, project.id or 0, None, naive, ""), 422, "visit_at")
        a = tenant_portal.book_viewing(s, who, project.id or 0, room.id, soon, "周末看房")
        a_id = a.id
    with db.session_scope() as s:
        got = s.get(Appointment, a_id)
        assert got is not None and (got.name, got.phone, got.room_id) == (t.name, t.phone, room.id)
        assert s.exec(select(AuditLog).where(AuditLog.resource == "appointment", AuditLog.row_id == a_id)).one()


def test_home_banners_by_group_at_most_six_recommendations(demo_db):
    with db.session_scope() as s:
        t = _tenant(s)
        who = tenant_auth.TenantToken(0, t.id or 0, t.phone)
        got = tenant_portal.home(s, who, None)
        assert got["city"] == tenant_portal.tenant_city(s, who) != ""
        assert set(got["groups"]) == {g.value for g in BannerGroup}
        assert len(got["groups"]["recommend"]) <= 6
        assert any(got["groups"].values())


class _Body(BaseModel):
    n: int


def test_idempotent_creation_once_per_key(demo_db):
    who = tenant_auth.TenantToken(0, 1, "13800000000")
    runs: list[int] = []

    def work(s):
        runs.append(1)
        return 201, {"made": len(runs)}

    first = idempotency.run(who, "key-00000001", "POST /x", _Body(n=1), work)
    again = idempotency.run(who, "key-00000001", "POST /x", _Body(n=1), work)
    assert (first.status_code, again.status_code) == (201, 201) and first.body == again.body
    assert again.headers["Idempotent-Replayed"] == "true" and runs == [1]
    with pytest.raises(ApiError) as caught:
        idempotency.run(who, "key-00000001", "POST /x", _Body(n=2), work)
    assert caught.value.status == 422 and caught.value.field == "Idempotency-Key"

    def refuse(s):
        raise ApiError(422, "不行", field="n")

    with pytest.raises(ApiError):
        idempotency.run(who, "key-00000002", "POST /x", _Body(n=1), refuse)
    with db.session_scope() as s:  # a refusal leaves the key free
        keys = s.exec(select(IdempotentAnswer.key)).all()
        assert keys == ["key-00000001"]
    other = tenant_auth.TenantToken(0, 2, "13800000001")  # keys are per tenant
    assert idempotency.run(other, "key-00000001", "POST /x", _Body(n=1), work).status_code == 201
    assert runs == [1, 1]


def test_cursor_pages_cover_every_row_once(demo_db):
    """Paging by each declared sort, ids and dates and amounts alike (PostgreSQL compares the cursor's
    value with the column's own type), gives every row of the scope once, in order."""
    from clss_app import tenant_api
    from clss_app.api import resource

    with db.session_scope() as s:
        t = _tenant(s)
        who = tenant_auth.TenantToken(0, t.id or 0, t.phone)
    for res in tenant_api.RESOURCES:
        for sort in res.sort:
            whole = resource.list_rows(res, who, sort, 100, None, {})["items"]
            pages: list[dict] = []
            cursor = None
            while len(pages) < len(whole):
                page = resource.list_rows(res, who, sort, 7, cursor, {})
                pages += page["items"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            assert [r["id"] for r in pages[: len(whole)]] == [r["id"] for r in whole], (res.path, sort)


def test_a_token_speaks_only_while_its_tenant_keeps_the_phone(demo_db):
    """A tenant's number changed at the store: the tokens of the old number stop (that number may go to
    someone else, and /me/appointments is scoped by phone); the number back, they speak again."""
    with db.session_scope() as s:
        t = _tenant(s)
        phone, tenant_id = t.phone, t.id or 0
        token, _ = tenant_auth.issue_token(s, tenant_id, phone)
    with db.session_scope() as s:
        assert tenant_auth.check_token(s, token) is not None
        s.get_one(Tenant, tenant_id).phone = "19912345678"
    with db.session_scope() as s:
        assert tenant_auth.check_token(s, token) is None
        s.get_one(Tenant, tenant_id).phone = phone
    with db.session_scope() as s:
        assert tenant_auth.check_token(s, token) is not None


def test_cursors_and_filters_past_a_column_are_refused(demo_db):
    """A forged cursor or a filter with an integer past the columns' range is a 422 naming the field,
    never a query SQLite cannot bind (an OverflowError, a 500)."""
    import base64

    from clss_app import tenant_api
    from clss_app.api import resource

    res = next(r for r in tenant_api.RESOURCES if r.path == "/projects")
    with db.session_scope() as s:
        t = _tenant(s)
        who = tenant_auth.TenantToken(0, t.id or 0, t.phone)
    for forged in (["id", 2**70, 1], ["id", 1, 2**70], ["id", 1, -1], ["id", "x", 1]):
        cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
        with pytest.raises(ApiError) as refused:
            resource.list_rows(res, who, "id", 5, cursor, {})
        assert (refused.value.status, refused.value.field) == (422, "cursor")
    assert resource.list_rows(res, who, "id", 5, resource.cursor_of("id", 2**31 - 1, 2**31 - 1), {})["items"] == []
    bills = next(r for r in tenant_api.RESOURCES if r.path == "/me/bills")
    for amount in ("sNaN", "NaN", "-Infinity", "1e999999"):
        cursor = base64.urlsafe_b64encode(json.dumps(["amount", amount, 1]).encode()).decode()
        with pytest.raises(ApiError) as refused:
            resource.list_rows(bills, who, "amount", 5, cursor, {})
        assert (refused.value.status, refused.value.field) == (422, "cursor")
