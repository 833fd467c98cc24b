"""存房易 against the sandbox APP: the landlord's application reaching the companies that take part, the
review within ten Shanghai days, the landlord's choice lapsing the other approvals, the 存房合同 drafted and
signed with its payable schedule (the billing engine's periods), repeated and out-of-order messages
changing nothing, the daily job's lapses at the day's edge, and a slow or failing APP that takes each
notice once and leaves the row retryable with the reason shown."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from sqlmodel import select

from clss_app import db, landlord_routes
from clss_app.admin import crud
from clss_app.core import clock, signing
from clss_app.core.errors import ValidationFailed
from clss_app.demo_consign import PAYEE_CARD, _id_number
from clss_app.sandbox.landlord_app import message
from clss_app.services import billing, consign, params
from clss_app.services.permissions import Forbidden
from models import (
    AuditLog,
    BillMode,
    ConsignApplication,
    ConsignContract,
    ConsignContractState,
    ConsignPayment,
    ConsignState,
    EnterpriseParam,
    OrgUnit,
    PayCycle,
)
from tests.sandbox_server import sandbox_call

JING, YAN = "京安居住房租赁有限公司", "燕园公寓管理有限公司"


@pytest.fixture
def app_sandbox(pay_sandbox):
    sandbox_call(pay_sandbox, "/sandbox/landlord/control", {"reset": True})
    return pay_sandbox


def _company(name: str) -> int:
    with db.session_scope() as s:
        return s.exec(select(OrgUnit.id).where(OrgUnit.name == name)).one()


def _deliver(kind: str, at: datetime | None = None, **fields) -> tuple[int, dict]:
    """One message of the APP through the notify route's own code (a transaction of its own)."""
    answer = landlord_routes._apply(json.dumps(message(kind, at, **fields)).encode())
    return answer.status, answer.body


LANDLORD = {
    "landlord_name": "周房东",
    "landlord_phone": "13912345678",
    "landlord_id_number": _id_number("11010519800101123"),
    "house_address": "北京市朝阳区测试路 1 号 101",
    "house_area": "80.5",
    "layout": "2室1厅1卫",
    "expected_rent": "6000",
    "expected_months": "24",
}


def _apply(app_no: str, at: datetime | None = None, city: str = "北京") -> tuple[int, dict]:
    return _deliver("apply", at, app_no=app_no, city=city, **LANDLORD)


def _apply_with(**changes: str) -> tuple[int, dict]:
    return _deliver("apply", None, **{**LANDLORD, "app_no": "T0004", "city": "北京", **changes})


def _rows(app_no: str) -> dict[int, ConsignApplication]:
    with db.session_scope() as s:
        rows = s.exec(select(ConsignApplication).where(ConsignApplication.number == app_no)).all()
        for r in rows:
            s.expunge(r)
        return {r.company_id: r for r in rows}


def _action(app_site, key: str, name: str, who, ids: list[int], text: str = "", raw: dict | None = None):
    admin = app_site.admin(key)
    action = next(a for a in admin.actions if a.name == name)
    with db.session_scope() as s:
        return crud.run_action(s, admin, action, who, ids=ids, text=text, raw=raw)


def _notices(url: str) -> dict:
    """What the sandbox APP took (by idempotency key) and how often each notice arrived."""
    with urllib.request.urlopen(url + "/sandbox/landlord/state", timeout=30) as r:
        return json.loads(r.read())


DRAFT = {
    "start_date": "",
    "end_date": "",
    "monthly_rent": "5800",
    "cycle": "3",
    "bill_mode": "same_day",
    "payee_bank": "中国建设银行",
    "payee_card_no": PAYEE_CARD,
}


def _draft_values(start: date) -> dict:
    end = billing.add_months(start, 24) - timedelta(days=1)  # 24 whole months
    return {**DRAFT, "start_date": start.isoformat(), "end_date": end.isoformat()}


# ---------------------------------------------------------------- the catalogue


def test_consign_is_an_enterprise_parameter_off_by_default(session):
    p = params.param("enterprise", "consign_enabled")
    assert p is not None and p.kind == "bool" and p.default == "否"
    assert params.enterprise_value(session, _company("申城安居企业管理有限公司"), "consign_enabled") is False
    assert params.enterprise_value(session, _company(JING), "consign_enabled") is True  # the demo's


# ---------------------------------------------------------------- the landlord's application


def test_an_application_reaches_each_company_of_its_city_that_takes_part_once(demo_db):
    status, body = _apply("T0001")
    assert (status, body["result"]) == (200, "applied")
    rows = _rows("T0001")
    assert set(rows) == {_company(JING), _company(YAN)}
    assert {r.state for r in rows.values()} == {ConsignState.PENDING}
    status, body = _apply("T0001")  # delivered again: nothing more
    assert (status, body["result"]) == (200, "duplicate")
    assert len(_rows("T0001")) == 2
    assert _apply("T0002", city="深圳")[0] == 409  # no company there takes part: the landlord is told


def test_a_message_signed_with_another_key_or_malformed_changes_nothing(demo_db):
    forged = message("apply", app_no="T0003", city="北京")
    forged["sign"] = signing.sign(forged, "another-key-000000")
    assert landlord_routes._apply(json.dumps(forged).encode()).status == 400
    assert landlord_routes._apply(b"not json").status == 400
    bad = _deliver("apply", app_no="T0003", city="北京", landlord_name="周", landlord_phone="12")
    assert bad == (400, {"code": "FAIL", "message": "面积、期望租金或期限格式错误"})
    bad = _apply_with(landlord_phone="12")
    assert bad == (400, {"code": "FAIL", "message": "房东手机号须为 11 位数字"})
    assert _rows("T0003") == {}


@pytest.mark.parametrize(
    ("submitted", "deadline"),
    [
        (datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC), date(2026, 12, 11)),  # 23:59:59 on 1 Dec in Shanghai
        (datetime(2026, 12, 1, 16, 0, 0, tzinfo=UTC), date(2026, 12, 12)),  # 00:00 on 2 Dec in Shanghai
    ],
)
def test_an_application_may_be_reviewed_up_to_its_shanghai_submission_day_plus_ten(
    submitted, deadline, app_sandbox, principal_of, app_site
):
    _apply("T0010", at=submitted)
    row = _rows("T0010")[_company(JING)]
    assert row.valid_until == deadline
    last_minute = datetime.combine(deadline, datetime.max.time(), tzinfo=clock.SHANGHAI).replace(microsecond=0)
    with time_machine.travel(last_minute + timedelta(seconds=1), tick=False):  # the next Shanghai day
        late = _action(app_site, "consign_applications", "approve", principal_of("manager"), [row.id])
    assert late.done == 0 and "超过有效期" in late.refused[0][1]
    with time_machine.travel(last_minute, tick=False):
        ok = _action(app_site, "consign_applications", "approve", principal_of("manager"), [row.id])
    assert ok.done == 1
    row = _rows("T0010")[_company(JING)]
    assert row.state == ConsignState.APPROVED
    assert row.valid_until == deadline + timedelta(days=10)  # now the landlord's ten days


# ---------------------------------------------------------------- review, choice, draft, signature


def test_the_chain_from_application_to_a_signed_contract_with_its_payable_schedule(app_sandbox, principal_of, app_site):
    jing, yan = _company(JING), _company(YAN)
    _apply("T0020")
    rows = _rows("T0020")
    with pytest.raises(ValidationFailed):  # 驳回 needs its reason
        _action(app_site, "consign_applications", "reject", principal_of("principal2"), [rows[yan].id])
    assert _action(app_site, "consign_applications", "approve", principal_of("manager"), [rows[jing].id]).done == 1
    assert _action(app_site, "consign_applications", "approve", principal_of("principal2"), [rows[yan].id]).done == 1
    rows = _rows("T0020")
    assert not rows[jing].app_pending and rows[jing].reviewed_at is not None
    taken = _notices(app_sandbox)["notices"]
    assert taken[f"review:T0020:{jing}"]["result"] == "approved"

    # Out of order: a signature before any contract, and a choice of a company that never received it.
    assert _deliver("sign", app_no="T0020", contract_no="CF000")[0] == 409
    assert _deliver("choose", app_no="T0020", company_id=str(_company("鹏城长租公寓有限公司")))[0] == 409

    status, body = _deliver("choose", app_no="T0020", company_id=str(jing))
    assert (status, body["result"]) == (200, "applied")
    assert _deliver("choose", app_no="T0020", company_id=str(jing))[1]["result"] == "duplicate"
    assert _deliver("choose", app_no="T0020", company_id=str(yan))[1]["message"] == "房东已选择其他企业"
    rows = _rows("T0020")
    assert rows[jing].state == ConsignState.CHOSEN
    assert (rows[yan].state, rows[yan].reason) == (ConsignState.LAPSED, "房东已选择其他企业")

    # 燕园 may not draft (its approval lapsed); 京安居 drafts.
    start = clock.today() + timedelta(days=3)
    with pytest.raises(Forbidden):
        _action(
            app_site,
            "consign_applications",
            "draft",
            principal_of("principal2"),
            [rows[yan].id],
            raw=_draft_values(start),
        )
    done = _action(
        app_site, "consign_applications", "draft", principal_of("manager"), [rows[jing].id], raw=_draft_values(start)
    )
    assert done.done == 1 and done.goto.startswith("/consign/contracts?q=CF")
    with db.session_scope() as s:
        c = s.exec(select(ConsignContract).where(ConsignContract.application_id == rows[jing].id)).one()
        s.expunge(c)
    assert (c.state, c.cycle, c.monthly_rent, c.app_pending) == (
        ConsignContractState.DRAFTED,
        PayCycle.QUARTERLY,
        Decimal("5800.00"),
        False,
    )
    assert _notices(app_sandbox)["notices"][f"draft:{c.number}"]["schedule"].startswith(f"1,{start},17400.00")

    for _ in range(3):  # the signature delivered three times: signed once, scheduled once
        assert _deliver("sign", app_no="T0020", contract_no=c.number)[0] == 200
    with db.session_scope() as s:
        c2 = s.get_one(ConsignContract, c.id)
        assert c2.state == ConsignContractState.ACTIVE and c2.signed_at is not None
        paid = s.exec(select(ConsignPayment).where(ConsignPayment.contract_id == c.id).order_by("period_no")).all()
        expected = billing.schedule(start, c.end_date, Decimal("5800"), 3, billing.SAME_DAY)
        assert [(p.period_no, p.due_date, p.amount) for p in paid] == [(e.no, e.due, e.amount) for e in expected]
        assert len(paid) == 8 and sum(p.amount for p in paid) == Decimal("5800") * 24
        assert s.get_one(ConsignApplication, rows[jing].id).state == ConsignState.SIGNED
        moves = s.exec(
            select(AuditLog.action).where(AuditLog.resource == "consign_contracts", AuditLog.row_id == c.id)
        ).all()
        assert moves.count("app_sign") == 1
    assert _apply("T0020")[1]["result"] == "duplicate"  # a stale repeat of the application: nothing
    assert _rows("T0020")[jing].state == ConsignState.SIGNED


def test_a_choice_past_the_approvals_ten_days_is_refused(app_sandbox, principal_of, app_site):
    jing = _company(JING)
    _apply("T0030")
    row = _rows("T0030")[jing]
    _action(app_site, "consign_applications", "approve", principal_of("manager"), [row.id])
    until = _rows("T0030")[jing].valid_until
    late = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=clock.SHANGHAI)
    status, body = _deliver("choose", at=late, app_no="T0030", company_id=str(jing))
    assert status == 409 and "已失效" in body["message"]
    in_time = late - timedelta(seconds=1)
    assert _deliver("choose", at=in_time, app_no="T0030", company_id=str(jing))[0] == 200


def test_a_company_without_consign_is_refused_on_the_server(app_sandbox, principal_of, app_site):
    jing = _company(JING)
    _apply("T0040")
    row = _rows("T0040")[jing]
    with db.session_scope() as s:
        s.execute(
            sa.update(EnterpriseParam)
            .where(EnterpriseParam.company_id == jing, EnterpriseParam.key == "consign_enabled")
            .values(value="否")
        )
    refused = _action(app_site, "consign_applications", "approve", principal_of("manager"), [row.id])
    assert refused.done == 0 and "未开通存房易" in refused.refused[0][1]
    assert _rows("T0040")[jing].state == ConsignState.PENDING


def test_another_companys_staff_cannot_touch_an_application(app_sandbox, principal_of, app_site):
    _apply("T0050")
    row = _rows("T0050")[_company(JING)]
    result = _action(app_site, "consign_applications", "approve", principal_of("principal2"), [row.id])
    assert result.done == 0 and _rows("T0050")[_company(JING)].state == ConsignState.PENDING


# ---------------------------------------------------------------- the daily job


def test_the_daily_job_lapses_unreviewed_and_unchosen_steps_after_their_last_day(app_sandbox, principal_of, app_site):
    jing, yan = _company(JING), _company(YAN)
    _apply("T0060")
    rows = _rows("T0060")
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):  # approved two days on
        _action(app_site, "consign_applications", "approve", principal_of("manager"), [rows[jing].id])
    rows = _rows("T0060")
    review_until, choose_until = rows[yan].valid_until, rows[jing].valid_until
    with db.session_scope() as s:
        consign.expire_lapsed(s, review_until)  # its last day: still open (the demo's older ones lapse)
    assert _rows("T0060")[yan].state == ConsignState.PENDING
    with db.session_scope() as s:
        consign.expire_lapsed(s, review_until + timedelta(days=1))
    rows = _rows("T0060")
    assert (rows[yan].state, rows[yan].reason) == (ConsignState.LAPSED, "超过 10 日未审核")
    assert rows[jing].state == ConsignState.APPROVED
    with db.session_scope() as s:
        consign.expire_lapsed(s, choose_until)
    assert _rows("T0060")[jing].state == ConsignState.APPROVED
    with db.session_scope() as s:
        assert consign.expire_lapsed(s, choose_until + timedelta(days=1)) >= 1
        assert consign.expire_lapsed(s, choose_until + timedelta(days=1)) == 0  # run again: nothing
    assert _rows("T0060")[jing].state == ConsignState.LAPSED
    assert _deliver("choose", app_no="T0060", company_id=str(jing))[0] == 409
    with db.session_scope() as s:
        lapses = s.exec(
            select(AuditLog.summary).where(AuditLog.resource == "consign_applications", AuditLog.action == "lapse")
        ).all()
        assert "已失效：房东 10 日内未选择" in lapses


def test_a_schedule_follows_the_billing_rules_for_a_month_start_contract(demo_db):
    c = ConsignContract(
        number="X",
        application_id=1,
        company_id=1,
        landlord_name="x",
        landlord_phone="13900000000",
        landlord_id_number="",
        house_address="x",
        house_area=Decimal("1"),
        start_date=date(2027, 1, 15),
        end_date=date(2027, 7, 14),
        monthly_rent=Decimal("3100"),
        cycle=PayCycle.QUARTERLY,
        bill_mode=BillMode.MONTH_START,
        payee_bank="x",
        payee_card_no="x",
    )
    periods = consign.schedule_of(c)
    assert [(p.start, p.end) for p in periods] == [
        (date(2027, 1, 15), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 6, 30)),
        (date(2027, 7, 1), date(2027, 7, 14)),
    ]
    assert [p.amount for p in periods] == [Decimal("7900.00"), Decimal("9300.00"), Decimal("1400.00")]


# ---------------------------------------------------------------- a slow or failing APP


def test_a_slow_app_takes_the_review_once_and_a_failing_one_leaves_it_retryable(
    app_sandbox, principal_of, app_site, monkeypatch
):
    monkeypatch.setenv("CLSS_LANDLORD_APP_TIMEOUT", "0.5")
    jing, yan = _company(JING), _company(YAN)
    _apply("T0070")
    rows = _rows("T0070")
    # The first answer is lost (slower than the timeout): sent again under the same key, taken once.
    sandbox_call(app_sandbox, "/sandbox/landlord/control", {"slow_ms": 1500, "slow_next": 1})
    assert _action(app_site, "consign_applications", "approve", principal_of("manager"), [rows[jing].id]).done == 1
    state = _notices(app_sandbox)
    assert state["deliveries"][f"review:T0070:{jing}"] == 2
    assert len([k for k in state["notices"] if k.startswith("review:T0070")]) == 1
    assert not _rows("T0070")[jing].app_pending

    # Every attempt fails: the decision stands, the row waits for 重新通知APP with the reason.
    sandbox_call(app_sandbox, "/sandbox/landlord/control", {"slow_ms": 0, "fail_next": 3})
    result = _action(
        app_site, "consign_applications", "reject", principal_of("principal2"), [rows[yan].id], text="不收"
    )
    assert result.done == 1 and "通知建融家园失败" in result.notes[0]
    row = _rows("T0070")[yan]
    assert row.state == ConsignState.REJECTED and row.app_pending and "HTTP 503" in row.app_error
    assert f"review:T0070:{yan}" not in _notices(app_sandbox)["notices"]
    again = _action(app_site, "consign_applications", "tell_again", principal_of("principal2"), [row.id])
    assert again.done == 1
    row = _rows("T0070")[yan]
    assert not row.app_pending and row.app_error == ""
    assert _notices(app_sandbox)["notices"][f"review:T0070:{yan}"]["result"] == "rejected"
    with pytest.raises(Forbidden):  # told already: the action no longer applies
        _action(app_site, "consign_applications", "tell_again", principal_of("principal2"), [row.id])


def test_a_draft_is_held_to_a_leases_limits():
    """拟定合同 by a clerk: a term of 20 years or more, or a rent past the lease limit, is refused at the
    field (a century's term would write, and send the APP, 1,200 payments at signing)."""
    start = clock.today() + timedelta(days=1)
    card = PAYEE_CARD
    century = {"start_date": start, "end_date": billing.add_months(start, 1200), "monthly_rent": Decimal(5000)}
    assert consign.draft_problems({**century, "payee_card_no": card}) == {"end_date": "存房期限不能超过 20 年"}
    too_much = {**century, "end_date": billing.add_months(start, 24), "monthly_rent": Decimal(99999999)}
    refused = consign.draft_problems({**too_much, "payee_card_no": card})
    assert refused == {"monthly_rent": "月租金不能超过 1,000,000 元"}
    fine = {**too_much, "monthly_rent": Decimal(5000)}
    assert consign.draft_problems({**fine, "payee_card_no": card}) == {}
