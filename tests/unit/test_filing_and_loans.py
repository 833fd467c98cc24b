"""网签备案 and 按居贷 against the sandbox's 监管平台 and bank: the city parameter, 备案 then 撤销备案, a
refusal with its reason, a platform that times out, fails or answers twice (filed once, the contract
retryable meanwhile); the loan rule (1–5 years, 一次性), a loan that pays its bill once through the
ledger, a refused one that gives its quota back, a bank that times out or answers twice (lent and
posted once), the quota held by a conditional update against a stale read; roles and scope on the
server; the ledger invariant after every flow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import col, select

from clss_app import db
from clss_app.admin import crud
from clss_app.core import clock
from clss_app.demo_filing_loans import id_number, manager_and_project, sign_contract
from clss_app.sandbox import loan as sandbox_loan
from clss_app.services import filing, ledger, loan_bank, loans, params, regulator
from clss_app.services.permissions import Forbidden
from models import (
    AuditLog,
    Bill,
    BillKind,
    BillState,
    Contract,
    ContractState,
    FilingState,
    LedgerSource,
    Loan,
    LoanParam,
    LoanState,
    PayCycle,
    Payment,
    Project,
    Room,
    RoomStatus,
    Tenant,
)
from tests.sandbox_server import sandbox_call


@pytest.fixture
def platforms(sandbox_url, monkeypatch) -> str:
    """The sandbox as this test's 监管平台 and loan bank, what earlier tests left there forgotten; a short
    timeout, so that a slow answer is a timeout here."""
    monkeypatch.setenv("CLSS_BANK_URL", sandbox_url)
    for path in ("/sandbox/regulator/control", "/sandbox/loan/control"):
        sandbox_call(sandbox_url, path, {"reset": True})
    monkeypatch.setattr(regulator, "TIMEOUT", regulator.httpx.Timeout(1.0, connect=1.0))
    monkeypatch.setattr(loan_bank, "TIMEOUT", loan_bank.httpx.Timeout(1.0, connect=1.0))
    return sandbox_url


def _state(url: str, kind: str) -> dict:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{url}/sandbox/{kind}/state", timeout=10) as r:
        return json.loads(r.read())


def act(session, app_site, p, key, name, ids):
    admin = app_site.admin(key)
    action = next(a for a in admin.actions if a.name == name)
    return crud.run_action(session, admin, action, p, ids=ids)


def _ledger_holds():
    with db.session_scope() as s:
        assert ledger.mismatches(s) == []


# ---------------------------------------------------------------- 网签备案


def _unfiled(session, project_id=1, skip=0) -> Contract:
    return session.exec(
        select(Contract)
        .join(Tenant, col(Tenant.id) == Contract.tenant_id)
        .where(
            Contract.project_id == project_id,
            Contract.state == ContractState.ACTIVE,
            Contract.filing_state == FilingState.NONE,
            Tenant.id_number != "",
        )
        .order_by(col(Contract.id))
        .offset(skip)
    ).first()


def test_only_cities_connected_to_their_platform_file(session):
    p = params.param("city", "filing_connected")
    assert p is not None and p.default == "否"
    assert params.problems("city", "filing_connected", "也许") == {"value": "对接监管平台须为 是 或 否"}
    assert filing.connected(session, "北京") and not filing.connected(session, "上海")
    assert not filing.connected(session, "深圳")  # not set: the catalogue's 否
    shanghai = session.exec(select(Project).where(Project.city == "上海")).first()
    c = session.exec(select(Contract).where(Contract.project_id == shanghai.id)).first()
    c.state = ContractState.ACTIVE
    assert filing.file(session, c) == ("", "上海未对接监管平台（城市参数“对接监管平台”为否），不能网签备案")
    assert session.get(Contract, c.id).filing_state == FilingState.NONE


def test_file_then_revoke_shows_the_number_and_can_file_again(session, principal_of, app_site, platforms):
    manager = principal_of("manager")
    c = _unfiled(session)
    done = act(session, app_site, manager, "contract_filings", "file", [c.id])
    assert done.done == 1, done.refused
    assert done.notes[0].startswith(f"{c.number} 备案 BA")
    session.refresh(c)
    assert c.filing_state == FilingState.FILED and c.filing_state.label == "是"
    assert c.filing_no.startswith("BA") and len(c.filing_no) == 16 and c.filed_at is not None
    first = c.filing_no
    assert _state(platforms, "regulator")["filed"] == {c.number: 1}
    audit = session.exec(select(AuditLog).where(AuditLog.resource == "contract_filings", AuditLog.row_id == c.id)).all()
    assert any(first in a.summary for a in audit)

    done = act(session, app_site, manager, "contract_filings", "revoke", [c.id])
    assert done.done == 1 and done.notes == [f"{c.number} 撤销备案 {first}"], done.refused
    session.refresh(c)
    assert c.filing_state == FilingState.NONE and c.filing_no == "" and c.filed_at is None
    assert f"撤销备案 {first}" in c.filing_note
    assert _state(platforms, "regulator")["active"] == []

    assert act(session, app_site, manager, "contract_filings", "file", [c.id]).done == 1
    session.refresh(c)
    assert c.filing_state == FilingState.FILED and c.filing_no != first  # a new filing, a new number


def test_the_platform_refuses_a_second_filing_and_a_room_filed_twice_naming_why(session, platforms):
    c = _unfiled(session)
    request = filing.request_of(session, c)
    platform = regulator.platform()
    first = platform.file(request)
    assert first.ok
    assert platform.file(request) == first  # the same filing again: the same number, filed once
    changed = platform.file(regulator.Filing(**{**request.__dict__, "monthly_rent": Decimal("1.00")}))
    assert not changed.ok and changed.reason == f"合同 {c.number} 已备案（备案号 {first.filing_no}），不得重复备案"
    other = regulator.Filing(**{**request.__dict__, "contract_no": "HT-OTHER"})
    refused = platform.file(other)
    assert not refused.ok and f"该房屋已有有效备案合同 {c.number}" in refused.reason
    assert _state(platforms, "regulator")["filed"] == {c.number: 1}


def test_a_refusal_shows_the_platforms_reason_on_the_contract(session, principal_of, app_site, platforms):
    c = _unfiled(session)
    sandbox_call(platforms, "/sandbox/regulator/control", {"refuse": {c.number: "合同网签信息与登记不一致"}})
    result = act(session, app_site, principal_of("manager"), "contract_filings", "file", [c.id])
    assert result.done == 0 and result.refused == [(c.number, "监管平台拒绝备案：合同网签信息与登记不一致")]
    session.refresh(c)
    assert c.filing_state == FilingState.NONE and c.filing_note == "监管平台拒绝备案：合同网签信息与登记不一致"
    no_id = _unfiled(session, skip=1)
    session.get(Tenant, no_id.tenant_id).id_number = ""
    session.flush()
    assert filing.file(session, no_id)[1] == "监管平台拒绝备案：承租人身份证号为空，不予备案"


def test_a_platform_that_times_out_or_fails_leaves_it_retryable_and_files_once(session, principal_of, platforms):
    c = _unfiled(session)
    # Taken, then answered too late for every attempt: 备案中 with the reason; the retry gets the same number.
    sandbox_call(platforms, "/sandbox/regulator/control", {"slow_ms": 1500, "slow_next": 3})
    number, why = filing.file(session, c)
    assert number == "" and why.startswith("监管平台暂不可用（ReadTimeout）") and "可再次点击“备案”重试" in why
    session.refresh(c)
    assert c.filing_state == FilingState.FILING and c.filing_note.startswith("备案未完成：监管平台暂不可用")
    number, why = filing.file(session, c)
    session.refresh(c)
    assert why == "" and c.filing_state == FilingState.FILED and c.filing_no == number and c.filing_note == ""
    # Failing (503) twice, then answering: the adapter's own retries carry it through.
    d = _unfiled(session, skip=1)
    sandbox_call(platforms, "/sandbox/regulator/control", {"fail_next": 2})
    assert filing.file(session, d)[1] == ""
    # Taken, and the answer lost (503): sent again under the same key, answered with the same number.
    e = _unfiled(session, skip=2)
    sandbox_call(platforms, "/sandbox/regulator/control", {"lose_next": 2})
    assert filing.file(session, e)[1] == ""
    # Down for longer than the attempts: retryable, nothing filed.
    f = _unfiled(session, skip=3)
    sandbox_call(platforms, "/sandbox/regulator/control", {"fail_next": 3})
    assert "HTTP 503" in filing.file(session, f)[1]
    session.refresh(f)
    assert f.filing_state == FilingState.FILING
    filed = _state(platforms, "regulator")["filed"]
    assert filed == {c.number: 1, d.number: 1, e.number: 1}
    # Revoking through a platform that is down: still 是, the reason noted, to try again.
    sandbox_call(platforms, "/sandbox/regulator/control", {"fail_next": 3})
    assert "HTTP 503" in filing.revoke(session, c)[1]
    session.refresh(c)
    assert c.filing_state == FilingState.FILED and c.filing_note.startswith("撤销备案未完成")
    assert filing.revoke(session, c)[1] == "" and filing.revoke(session, c)[1].startswith("政府备案当前为否")


def test_filing_is_store_staff_of_the_contracts_project_only(session, principal_of, app_site, platforms):
    c = _unfiled(session)
    for who in ("finance", "sysadmin"):
        with pytest.raises(Forbidden):
            act(session, app_site, principal_of(who), "contract_filings", "file", [c.id])
    other = session.exec(select(Project).where(Project.company_id != 5, Project.city == "北京")).first()
    stranger = _unfiled(session, project_id=other.id)
    result = act(session, app_site, principal_of("manager"), "contract_filings", "file", [stranger.id])
    assert result.done == 0 and len(result.refused) == 1  # outside the manager's scope: not found
    assert session.get(Contract, stranger.id).filing_state == FilingState.NONE


# ---------------------------------------------------------------- 按居贷


def _contract(session, months, cycle=PayCycle.ONCE, skip=0, seq=7, rent="3000"):
    p, project = manager_and_project(session)
    room = session.exec(
        select(Room)
        .where(Room.project_id == project.id, Room.status == RoomStatus.VACANT)
        .order_by(col(Room.id))
        .offset(skip)
    ).first()
    tenant = Tenant(company_id=project.company_id, name="贷款测试", phone=f"1370000{seq:04d}", id_number=id_number(seq))
    session.add(tenant)
    session.flush()
    return sign_contract(session, p, room, tenant.id, clock.today(), months, cycle, Decimal(rent))


def test_the_loan_rule_names_the_term_and_the_payment_cycle(session):
    six = _contract(session, 6)
    assert loans.rule_problem(six) == "按居贷仅限租期 1–5 年的合同（本合同租期 6 个月）"
    monthly = _contract(session, 24, PayCycle.MONTHLY, skip=1, seq=8)
    assert loans.rule_problem(monthly) == "按居贷仅限缴费方式为一次性支付的合同（本合同为按月）"
    for months, ok in ((12, True), (60, True), (11, False), (61, False), (24, True)):
        c = Contract(start_date=clock.today(), end_date=loans.add_months(clock.today(), months) - timedelta(days=1))
        c.cycle, c.state = PayCycle.ONCE, ContractState.SIGNED
        assert (loans.rule_problem(c) == "") is ok, months
    c = Contract(start_date=clock.today(), end_date=loans.add_months(clock.today(), 14) + timedelta(days=9))
    c.cycle, c.state = PayCycle.ONCE, ContractState.SIGNED
    assert loans.term_text(c) == "1 年 2 个月 10 天"


def test_a_loan_pays_the_bill_once_through_the_ledger(session, principal_of, app_site, platforms):
    c = _contract(session, 24)
    param = loans.param_of(session, c.project_id)
    used = param.used
    refused = act(
        session, app_site, principal_of("assistant"), "contracts", "loan", [_contract(session, 6, skip=1, seq=17).id]
    )
    assert refused.refused[0][1] == "按居贷仅限租期 1–5 年的合同（本合同租期 6 个月）"
    result = act(session, app_site, principal_of("assistant"), "contracts", "loan", [c.id])
    assert result.done == 1, result.refused
    loan = session.exec(select(Loan).where(Loan.contract_id == c.id)).one()
    bill = session.get(Bill, loan.bill_id)
    assert loan.state == LoanState.APPROVED and loan.amount == Decimal("72000.00") and loan.bank_ref
    assert loan.credit_line == sandbox_loan.credit_line(id_number(7)) == loan_bank.bank().credit_line(id_number(7), "")
    assert bill.kind == BillKind.RENT and bill.state == BillState.PAID and bill.paid == bill.amount
    lines = session.exec(select(Payment).where(Payment.bill_id == bill.id)).all()
    assert [(x.source, x.source_ref, x.amount) for x in lines] == [(LedgerSource.LOAN, loan.number, loan.amount)]
    session.refresh(param)
    assert param.used == used + loan.amount
    # Asked again: nothing left to pay by loan.
    again = act(session, app_site, principal_of("assistant"), "contracts", "loan", [c.id])
    assert again.refused == [(c.number, "本合同没有待支付的租金账单")]
    # The bank's answer arriving twice (a stale copy of the loan sent again): lent and posted once.
    stale = Loan(**{**loan.model_dump(), "state": LoanState.PENDING})
    assert loans.submit(session, stale)[1] == "已被他人处理，请刷新"
    assert len(session.exec(select(Payment).where(Payment.bill_id == bill.id)).all()) == 1
    assert _state(platforms, "loan")["lent"] == {loan.number: 1}
    session.commit()
    _ledger_holds()


def test_a_refused_loan_gives_its_quota_back(session, principal_of, app_site, platforms):
    c = _contract(session, 36, seq=9)
    sandbox_call(platforms, "/sandbox/loan/control", {"lines": {id_number(9): 50000}})
    param = loans.param_of(session, c.project_id)
    used = param.used
    result = act(session, app_site, principal_of("manager"), "contracts", "loan", [c.id])
    assert result.refused == [
        (c.number, "银行拒绝贷款：贷款金额 108000.00 元超过可用授信额度 50000 元（授信 50000 元）")
    ]
    loan = session.exec(select(Loan).where(Loan.contract_id == c.id)).one()
    assert loan.state == LoanState.REFUSED and loan.note.startswith("银行拒绝：")
    session.refresh(param)
    assert param.used == used
    # The quota: a loan past what is left is refused before the bank is asked.
    param.quota = param.used + Decimal("1000")
    session.flush()
    sandbox_call(platforms, "/sandbox/loan/control", {"lines": {id_number(9): 1000000}})
    result = act(session, app_site, principal_of("manager"), "contracts", "loan", [c.id])
    assert result.refused[0][1].startswith("超过项目按居贷额度：") and "剩余 1000.00 元" in result.refused[0][1]
    session.commit()
    _ledger_holds()


def test_a_bank_that_times_out_or_loses_its_answer_lends_and_posts_once(session, principal_of, app_site, platforms):
    c = _contract(session, 24)
    sandbox_call(platforms, "/sandbox/loan/control", {"slow_ms": 1500, "slow_next": 3})
    result = act(session, app_site, principal_of("manager"), "contracts", "loan", [c.id])
    assert result.done == 0 and "银行暂不可用（ReadTimeout）" in result.refused[0][1]
    loan = session.exec(select(Loan).where(Loan.contract_id == c.id)).one()
    assert loan.state == LoanState.PENDING and loan.note.startswith("银行未答复：")
    held = loans.param_of(session, c.project_id).used
    # 按居贷支付 again sends the same loan (no second application, no second hold of the quota) …
    sandbox_call(platforms, "/sandbox/loan/control", {"lose_next": 1})
    result = act(session, app_site, principal_of("manager"), "loans", "resubmit", [loan.id])
    assert result.done == 1, result.refused
    session.refresh(loan)
    assert loan.state == LoanState.APPROVED
    assert loans.param_of(session, c.project_id).used == held
    assert len(session.exec(select(Loan).where(Loan.contract_id == c.id)).all()) == 1
    assert _state(platforms, "loan")["lent"] == {loan.number: 1}
    assert session.exec(select(Payment).where(Payment.source_ref == loan.number)).one().amount == loan.amount
    session.commit()
    _ledger_holds()


def test_two_loans_at_once_cannot_both_pass_the_quota(demo_db):
    with db.session_scope() as s:
        project_id = manager_and_project(s)[1].id
        param_id = loans.param_of(s, project_id).id
        s.execute(LoanParam.__table__.update().where(LoanParam.id == param_id).values(quota=Decimal("100000"), used=0))
    first, second = db.session_scope(), db.session_scope()
    s1, s2 = first.__enter__(), second.__enter__()
    seen1, seen2 = s1.get(LoanParam, param_id), s2.get(LoanParam, param_id)  # both read 100000 left
    assert seen1.quota - seen1.used == seen2.quota - seen2.used == Decimal("100000.00")
    assert loans.reserve(s1, param_id, Decimal("60000"))
    first.__exit__(None, None, None)
    assert not loans.reserve(s2, param_id, Decimal("60000"))  # what it read was stale: the update says so
    assert loans.reserve(s2, param_id, Decimal("40000"))
    second.__exit__(None, None, None)
    with db.session_scope() as s:
        assert s.get(LoanParam, param_id).used == Decimal("100000.00")


def test_loan_parameters_are_the_branch_admins_and_checked(session, principal_of, app_site):
    admin = app_site.admin("loan_params")
    sysadmin = principal_of("sysadmin")
    project = session.exec(select(Project).where(Project.company_id != 5, Project.city == "北京")).first()
    company = str(project.company_id)
    with pytest.raises(Forbidden):
        crud.create(session, admin, principal_of("principal"), {"company_id": company, "project_id": str(project.id)})
    with pytest.raises(crud.ValidationFailed) as exc:  # one row per project: the engine's unique check
        crud.create(session, admin, sysadmin, {"company_id": "5", "project_id": "1", "mode": "credit", "quota": "9"})
    assert list(exc.value.errors) == ["project_id"]
    with pytest.raises(crud.ValidationFailed) as exc:
        crud.create(session, admin, sysadmin, {"company_id": "5", "project_id": str(project.id), "quota": "9"})
    assert list(exc.value.errors) == ["project_id"]  # the engine's: the project is not the company's
    with pytest.raises(crud.ValidationFailed) as exc:
        crud.create(session, admin, sysadmin, {"company_id": company, "project_id": str(project.id), "quota": "0"})
    assert exc.value.errors == {"quota": "贷款额度须大于 0"}
    param = loans.param_of(session, 1)
    with pytest.raises(crud.ValidationFailed) as exc:
        raw = {"company_id": "5", "project_id": "1", "mode": "credit", "quota": str(param.used - 1)}
        crud.update(session, admin, sysadmin, param.id, raw, param.version)
    assert exc.value.errors == {"quota": f"贷款额度不能低于已用额度 {param.used} 元"}
    # Its quota in use, the row stays on its project (a loan's release goes back to the project it took from).
    moved = loans.param_problems(param.quota, (param.project_id or 0) + 1, param)
    assert "不能改为其他项目" in moved["project_id"]
    assert loans.param_problems(param.quota, param.project_id, param) == {}
    row, _ = crud.create(
        session,
        admin,
        sysadmin,
        {
            "company_id": company,
            "project_id": str(project.id),
            "mode": "guarantee",
            "quota": "500000",
            "enabled": "true",
        },
    )
    assert row.mode.label == "担保" and row.used == 0
    with pytest.raises(Forbidden):
        act(session, app_site, principal_of("sysadmin"), "contracts", "loan", [1])


def test_the_daily_job_sends_again_what_a_counterpart_left_unanswered(demo_db, platforms):
    with db.session_scope() as s:
        c = _unfiled(s)
        loan_contract = _contract(s, 24, seq=11)
        sandbox_call(platforms, "/sandbox/regulator/control", {"fail_next": 3})
        assert "HTTP 503" in filing.file(s, c)[1]
        sandbox_call(platforms, "/sandbox/loan/control", {"fail_next": 3})
        assert "HTTP 503" in loans.pay_by_loan(s, loan_contract, None)[1]
        ids = c.id, loan_contract.id
    assert filing.retry_waiting() == {"filings_retried": 1}
    assert loans.retry_waiting() == {"loans_retried": 1}
    assert filing.retry_waiting() | loans.retry_waiting() == {"filings_retried": 0, "loans_retried": 0}
    with db.session_scope() as s:
        assert s.get(Contract, ids[0]).filing_state == FilingState.FILED
        loan = s.exec(select(Loan).where(Loan.contract_id == ids[1])).one()
        assert loan.state == LoanState.APPROVED and loan.note == ""
    _ledger_holds()
