"""银行批量代扣 against the sandbox bank: cards (Luhn, masking), agreements, which bills a run takes, the
bank's files, a run of 20 where 3 fail, the re-send of exactly those, idempotent result files, a bill in
one waiting line at most, a slow or failing bank that still debits once, the daily job, and the ledger
invariant after every flow (on SQLite and, in the second run, PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from clss_app import db
from clss_app.admin import crud, io
from clss_app.admin.query import display
from clss_app.core import clock
from clss_app.core.errors import ValidationFailed
from clss_app.core.privacy import card_problem, luhn_ok, mask
from clss_app.services import bank_gateway, ledger, params, withholding
from clss_app.services.permissions import Forbidden
from clss_app.services.withhold_file import (
    Debit,
    FileProblem,
    Outcome,
    Request,
    Result,
    checksum,
    read_request,
    read_result,
    write_request,
    write_result,
)
from models import (
    AgreementState,
    Bill,
    BillState,
    Contract,
    ContractState,
    EnterpriseParam,
    FailReason,
    LedgerSource,
    LineState,
    Payer,
    Payment,
    PaymentMethod,
    Project,
    RunOrigin,
    RunState,
    SignMode,
    WithholdAgreement,
    WithholdLine,
    WithholdRun,
)
from tests.sandbox_server import sandbox_call
from tests.withholding_world import debtors, project_of

VISA_TEST = "4111111111111111"


def _ledger_holds():
    with db.session_scope() as s:
        assert ledger.mismatches(s) == []


def _admin(app_site, key):
    return app_site.admin(key)


def _action(admin, name):
    return next(a for a in admin.actions if a.name == name)


# ---------------------------------------------------------------- cards


def test_a_card_number_is_16_to_19_digits_with_its_luhn_check_digit():
    assert luhn_ok(VISA_TEST) and not luhn_ok("4111111111111112")
    assert card_problem("6222 6002 6000 1072 444") == ""  # typed in groups
    assert card_problem("6222600260001072443") == "银行卡号校验位错误"
    assert card_problem("622260026000107") == "银行卡号须为 16–19 位数字（当前 15 位）"
    assert card_problem("62226002600010724441") == "银行卡号须为 16–19 位数字（当前 20 位）"
    assert card_problem("6222a00260001072444") == "银行卡号只能包含数字"
    assert mask("bank_card", "6222600260001072444") == "6222 **** **** 2444"
    assert mask("bank_card", VISA_TEST) == "4111 **** **** 1111"  # the length tells nothing either


def test_a_card_reads_in_full_to_the_front_desk_only(session, principal_of, app_site):
    agreements = _admin(app_site, "withhold_agreements")
    row = session.exec(select(WithholdAgreement).where(WithholdAgreement.state == AgreementState.ACTIVE)).first()
    names = ["card_no", "holder_name"]
    for who in ("manager", "assistant"):
        assert display(session, agreements, principal_of(who), [row], names)[0]["card_no"] == row.card_no
    for who in ("finance", "principal", "multistore"):
        shown = display(session, agreements, principal_of(who), [row], names)[0]["card_no"]
        assert shown == f"{row.card_no[:4]} **** **** {row.card_no[-4:]}"
    lines = _admin(app_site, "withhold_lines")
    line = session.exec(select(WithholdLine)).first()
    assert display(session, lines, principal_of("finance"), [line], ["card_no"])[0]["card_no"].count("*") == 8
    # Searching by the number is for those who read it: finance may not search agreements by card.
    assert "card_no" not in agreements.search_for(principal_of("finance"))


# ---------------------------------------------------------------- agreements


def _tenant_without_agreement(session, project_name="海淀家园"):
    project = session.exec(select(Project).where(Project.name == project_name)).one()
    signed = select(WithholdAgreement.tenant_id).where(WithholdAgreement.state == AgreementState.ACTIVE)
    return session.exec(
        select(Contract)
        .where(Contract.project_id == project.id, Contract.state == ContractState.ACTIVE)
        .where(Contract.tenant_id.not_in(signed))
        .order_by(Contract.id)
    ).first()


def test_signing_an_agreement_checks_the_card_the_holder_and_one_in_force(session, principal_of, app_site):
    from models import Tenant

    admin = _admin(app_site, "withhold_agreements")
    assistant = principal_of("assistant")
    tenant = session.get(Tenant, _tenant_without_agreement(session).tenant_id)
    raw = {
        "tenant_id": str(tenant.id),
        "card_no": "6217 0000 1000 1234 568",
        "holder_name": tenant.name,
        "bank_name": "建行",
    }
    with pytest.raises(ValidationFailed) as bad:
        crud.create(session, admin, assistant, raw)
    assert bad.value.errors == {"card_no": "银行卡号校验位错误"}
    with pytest.raises(ValidationFailed) as bad:
        crud.create(session, admin, assistant, {**raw, "card_no": VISA_TEST, "holder_name": "别人"})
    assert bad.value.errors == {"holder_name": f"持卡人姓名须与租客姓名一致（租客：{tenant.name}）"}
    row, _ = crud.create(session, admin, assistant, {**raw, "card_no": "4111 1111 1111 1111"})
    assert (row.card_no, row.company_id, row.signed_by_id) == (VISA_TEST, tenant.company_id, assistant.actor_id)
    assert (row.state, row.sign_mode) == (AgreementState.ACTIVE, SignMode.SINGLE)
    with pytest.raises(ValidationFailed) as bad:
        crud.create(session, admin, principal_of("finance"), {**raw, "card_no": VISA_TEST})
    assert bad.value.errors == {"tenant_id": "该租客已有生效的代扣协议（4111 **** **** 1111），请先解约"}
    ended = crud.run_action(session, admin, _action(admin, "terminate"), assistant, ids=[row.id], text="换卡")
    assert ended.done == 1
    again, _ = crud.create(session, admin, principal_of("finance"), {**raw, "card_no": "6222600260001072444"})
    assert again.state == AgreementState.ACTIVE and session.get(WithholdAgreement, row.id).end_reason == "换卡"
    # The database says it too: a second agreement in force for the tenant is refused.
    twin = WithholdAgreement(
        company_id=tenant.company_id, tenant_id=tenant.id, card_no=VISA_TEST, holder_name="x", bank_name="x"
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(twin)
        session.flush()


def test_agreements_imported_are_batch_signed_and_a_tenant_twice_is_refused(session, principal_of, app_site):
    from models import Tenant

    admin = _admin(app_site, "withhold_agreements")
    finance = principal_of("finance")
    one = session.get(Tenant, _tenant_without_agreement(session).tenant_id)
    sheet = pl.DataFrame(
        {
            "租客": [str(one.id), str(one.id)],
            "银行卡号": [VISA_TEST, "6222600260001072444"],
            "持卡人姓名": [one.name, one.name],
            "开户银行": ["招商银行", "招商银行"],
        }
    )
    preview = io.dry_run(session, admin, finance, sheet)
    assert [e["message"] for e in preview.errors] == ["文件中该租客出现多次，每位租客只能签一份代扣协议"]
    preview = io.dry_run(session, admin, finance, sheet.head(1))
    assert preview.ok, preview.errors
    assert io.commit(session, admin, finance, preview, "协议.xlsx") == 1
    row = withholding_active(session, one.id)
    assert (row.sign_mode, row.signed_by_id, row.card_no) == (SignMode.BATCH, finance.actor_id, VISA_TEST)


def withholding_active(session, tenant_id):
    return session.exec(
        select(WithholdAgreement).where(
            WithholdAgreement.tenant_id == tenant_id, WithholdAgreement.state == AgreementState.ACTIVE
        )
    ).one()


def test_only_store_staff_and_finance_of_the_company_sign_or_end_agreements(session, principal_of, app_site):
    admin = _admin(app_site, "withhold_agreements")
    row = session.exec(select(WithholdAgreement).where(WithholdAgreement.state == AgreementState.ACTIVE)).first()
    for who in ("finance2", "principal2"):  # another company's: as if the row did not exist
        result = crud.run_action(session, admin, _action(admin, "terminate"), principal_of(who), ids=[row.id], text="x")
        assert (result.done, result.refused) == (0, [(f"#{row.id}", "记录不存在或无权访问")])
    for who in ("sysadmin", "super"):  # no leasing role at all
        with pytest.raises(Forbidden):
            crud.run_action(session, admin, _action(admin, "terminate"), principal_of(who), ids=[row.id], text="x")
    assert session.get(WithholdAgreement, row.id).state == AgreementState.ACTIVE
    with pytest.raises(Forbidden):
        crud.create(session, admin, principal_of("sysadmin"), {"tenant_id": "1"})


# ---------------------------------------------------------------- which bills


def test_a_run_takes_owed_bills_of_active_contracts_with_an_agreement_due_within_the_days(session):
    project = project_of(session)
    company, today = project.company_id, clock.today()
    mine = debtors(session, 4)
    dues = withholding.dues_for(session, company, project.id, today)
    assert sorted(d.bill_id for d in dues) == sorted(d.bill_id for d in mine)
    a, b, c, d = (session.get(Bill, x.bill_id) for x in mine)
    # Due after the window (today + 代扣提前天数 5): not yet; on its last day: taken.
    a.due_date = today + timedelta(days=6)
    b.due_date = today + timedelta(days=5)
    c.state = BillState.UNCONFIRMED  # not pushed to the tenant yet
    d.payer = Payer.COMPANY  # 企业包租: the company pays it, not the tenant's card
    session.flush()
    assert [x.bill_id for x in withholding.dues_for(session, company, project.id, today)] == [b.id]
    b.paid = b.amount + b.late_fee  # settled meanwhile (the state as a clerk would leave it)
    b.state = BillState.PAID
    session.flush()
    assert withholding.dues_for(session, company, project.id, today) == []
    # A tenant whose contract is no longer 执行中, or whose agreement ended, is left out.
    b.paid, b.state = Decimal("0.00"), BillState.CONFIRMED
    session.get(Contract, b.contract_id).state = ContractState.EXPIRED
    session.flush()
    assert withholding.dues_for(session, company, project.id, today) == []
    session.get(Contract, b.contract_id).state = ContractState.ACTIVE
    withholding_active(session, b.tenant_id).state = AgreementState.TERMINATED
    session.flush()
    assert withholding.dues_for(session, company, project.id, today) == []


def test_a_company_without_withholding_settings_cannot_run(session):
    project = project_of(session)
    company = project.company_id
    assert not isinstance(withholding.terms_of(session, company), str)

    def set_param(key, value):
        session.execute(
            sa.update(EnterpriseParam)
            .where(EnterpriseParam.company_id == company, EnterpriseParam.key == key)
            .values(value=value)
        )

    set_param("collect_account", "")
    assert withholding.terms_of(session, company) == "本企业未设置代收账号（系统管理 → 企业参数）"
    set_param("entrust_project_no", "")
    assert withholding.terms_of(session, company) == "本企业未设置委托项目编号（系统管理 → 企业参数）"
    set_param("withhold_enabled", "否")
    assert withholding.run_problems(session, company, None, clock.today()) == {
        "company_id": "本企业未开启代扣（系统管理 → 企业参数：代扣开启）"
    }
    other = session.exec(select(Project).where(Project.company_id != company)).first()
    assert withholding.run_problems(session, company, other.id, clock.today()) == {"project_id": "所选项目不属于该企业"}


def test_the_collecting_account_is_a_typed_enterprise_parameter():
    assert params.problems("enterprise", "collect_account", "abc") == {"value": "代收账号须为12–25 位数字的对公账号"}
    assert params.problems("enterprise", "collect_account", "11050162540000000123") == {}


# ---------------------------------------------------------------- the files


def _request() -> Request:
    return Request(
        "110000123",
        "11050162540000000123",
        "WH202612010005001",
        date(2026, 12, 1),
        [
            Debit(1, "6222600260001072444", "张三", Decimal("2380.50"), "WH202612010005001-00001"),
            Debit(2, VISA_TEST, "李四", Decimal("0.01"), "WH202612010005001-00002"),
        ],
    )


def test_the_request_file_layout_and_its_checksum():
    text = write_request(_request())
    lines = text.split("\n")
    assert lines[:3] == [
        "H,110000123,11050162540000000123,WH202612010005001,20261201,2,238051",
        "D,1,6222600260001072444,张三,238050,WH202612010005001-00001",
        "D,2,4111111111111111,李四,1,WH202612010005001-00002",
    ]
    body = "".join(x + "\n" for x in lines[:3])
    assert lines[3] == f"T,2,238051,{checksum(body)}" and lines[4] == "" and text.endswith("\n")
    assert len(checksum(body)) == 64 and read_request(text) == _request()
    with pytest.raises(FileProblem, match="校验值不符"):
        read_request(text.replace("238050", "238051", 1))  # one amount changed
    forged = text.replace(
        "H,110000123,11050162540000000123,WH202612010005001,20261201,2,238051",
        "H,110000123,11050162540000000123,WH202612010005001,20261201,2,238052",
    )
    with pytest.raises(FileProblem):
        read_request(forged)
    with pytest.raises(FileProblem, match="缺少尾记录"):
        read_request("".join(x + "\n" for x in lines[:3]))
    with pytest.raises(FileProblem, match="逗号"):
        write_request(
            Request("110000123", "1", "WH1", date(2026, 12, 1), [Debit(1, VISA_TEST, "张,三", Decimal(1), "r")])
        )


def test_the_result_file_layout_and_its_checksum():
    res = Result(
        "110000123",
        "WH202612010005001",
        date(2026, 12, 2),
        [
            Outcome(1, "WH202612010005001-00001", Decimal("2380.50"), True, "B0001"),
            Outcome(2, "WH202612010005001-00002", Decimal("0.01"), False, "", "3001", "余额不足"),
        ],
    )
    text = write_result(res)
    assert text.split("\n")[:3] == [
        "H,110000123,WH202612010005001,20261202,2,1,238050",
        "D,1,WH202612010005001-00001,238050,S,B0001,,",
        "D,2,WH202612010005001-00002,1,F,,3001,余额不足",
    ]
    assert read_result(text) == res
    with pytest.raises(FileProblem, match="校验值不符"):
        read_result(text.replace(",F,,3001", ",S,B0002,"))
    assert bank_gateway.reason_of("3001") == FailReason.INSUFFICIENT and bank_gateway.reason_of("9") == FailReason.OTHER


# ---------------------------------------------------------------- runs against the sandbox bank


def _generate(principal_of, app_site, project_id=None) -> int:
    """生成代扣批次 as finance does (the engine's create form): the new run's id."""
    with db.session_scope() as s:
        project = project_of(s)
        raw = {"company_id": str(project.company_id), "project_id": str(project_id or project.id)}
        row, note = crud.create(s, _admin(app_site, "withhold_runs"), principal_of("finance"), raw)
        assert note == "请核对后点击“发送”"
        return row.id


def _act(principal_of, app_site, name, run_id, who="finance"):
    admin = _admin(app_site, "withhold_runs")
    with db.session_scope() as s:
        return crud.run_action(s, admin, _action(admin, name), principal_of(who), ids=[run_id])


def _run(run_id) -> WithholdRun:
    with db.session_scope() as s:
        return s.get_one(WithholdRun, run_id)


def _lines(run_id) -> list[WithholdLine]:
    with db.session_scope() as s:
        return list(s.exec(select(WithholdLine).where(WithholdLine.run_id == run_id).order_by(WithholdLine.line_no)))


def _hands_out(run: WithholdRun, field: str, lines: int) -> None:
    """The run's detail may hand the file out (the row holds it), and it is the bank's file of ``lines``."""
    from clss_app.admin import attachments, stored_files

    with db.session_scope() as s:
        assert stored_files.owns(s, WithholdRun, run.id, field, getattr(run, field))
    found = attachments.read(getattr(run, field))
    assert found is not None and found[1] == f"{run.number}-{'请求' if field == 'request_file' else '回盘'}文件.txt"
    text = found[0].decode()
    parsed = read_request(text).debits if field == "request_file" else read_result(text).outcomes
    assert len(parsed) == lines


@pytest.fixture
def twenty(demo_db, pay_sandbox):
    """20 debtors of 海淀家园; the bank refuses three of their cards."""
    with db.session_scope() as s:
        people = debtors(s, 20)
    failing = {people[2].card_no: "3001", people[9].card_no: "3002", people[17].card_no: "3003"}
    sandbox_call(pay_sandbox, "/sandbox/bank/control", {"fail_cards": failing})
    return people, failing


def test_a_run_of_20_where_3_fail_posts_17_payments_and_keeps_3_reasons(twenty, principal_of, app_site, pay_sandbox):
    people, failing = twenty
    run_id = _generate(principal_of, app_site)
    run = _run(run_id)
    assert (run.state, run.line_count, run.origin) == (RunState.GENERATED, 20, RunOrigin.MANUAL)
    lines = _lines(run_id)
    assert {x.bill_id for x in lines} == {p.bill_id for p in people}
    assert all(x.state == LineState.PENDING and x.ref == f"{run.number}-{x.line_no:05d}" for x in lines)
    with db.session_scope() as s:
        bills = s.exec(select(Bill).where(Bill.id.in_([p.bill_id for p in people]))).all()
    assert run.amount_total == sum(b.amount + b.late_fee - b.paid for b in bills)

    _hands_out(run, "request_file", 20)
    assert _act(principal_of, app_site, "send", run_id).done == 1
    assert _run(run_id).state == RunState.SENT
    fetched = _act(principal_of, app_site, "fetch", run_id)
    assert fetched.done == 1 and "成功 17 笔，失败 3 笔" in fetched.notes[0]
    run = _run(run_id)
    assert (run.state, run.succeeded_count, run.failed_count) == (RunState.RETURNED, 17, 3)
    _hands_out(run, "result_file", 20)
    assert run.succeeded_amount + run.failed_amount == run.amount_total
    lines = _lines(run_id)
    failed = [x for x in lines if x.state == LineState.FAILED]
    assert {(x.card_no, x.reason) for x in failed} == {
        (c, r) for c, r in zip(failing, (FailReason.INSUFFICIENT, FailReason.CARD_ABNORMAL, FailReason.ACCOUNT_CLOSED))
    }
    with db.session_scope() as s:
        posted = s.exec(
            select(Payment).where(Payment.source == LedgerSource.WITHHOLDING, Payment.source_ref.like(run.number + "%"))
        ).all()
        assert len(posted) == 17 and {p.method for p in posted} == {PaymentMethod.WITHHOLDING}
        assert {p.source_ref for p in posted} == {x.ref for x in lines if x.state == LineState.SUCCEEDED}
        assert {p.process for p in posted} == {withholding.PROCESS} and all(p.recorded_by_id is None for p in posted)
        for x in lines:
            bill = s.get_one(Bill, x.bill_id)
            if x.state == LineState.SUCCEEDED:
                assert bill.state == BillState.PAID and bill.withhold_failure == ""
                assert sum(p.amount for p in posted if p.bill_id == bill.id) == x.amount
            else:
                assert (
                    bill.state == BillState.CONFIRMED and bill.withhold_failure == f"{x.reason.label}（{run.number}）"
                )
        # A failed line makes its bill eligible again.
        again = withholding.dues_for(s, run.company_id, run.project_id, clock.today())
        assert sorted(d.bill_id for d in again) == sorted(x.bill_id for x in failed)
    _ledger_holds()

    # 重新发送失败: a new run of exactly the three, its parent the first.
    sandbox_call(pay_sandbox, "/sandbox/bank/control", {"fail_cards": {}, "reset": True})  # the cards pass now
    resent = _act(principal_of, app_site, "resend", run_id)
    assert resent.done == 1 and "3 笔，已发送" in resent.notes[0]
    with db.session_scope() as s:
        child = s.exec(select(WithholdRun).where(WithholdRun.parent_id == run_id)).one()
    assert (child.origin, child.state, child.line_count) == (RunOrigin.RESEND, RunState.SENT, 3)
    assert sorted(x.bill_id for x in _lines(child.id)) == sorted(x.bill_id for x in failed)
    # A second 重新发送失败 of the same run makes nothing: the list no longer offers it, and the service,
    # asked anyway (two clerks at once), finds the run's flag already cleared.
    with pytest.raises(Forbidden, match="不能执行“重新发送失败”"):
        _act(principal_of, app_site, "resend", run_id)
    with db.session_scope() as s:
        again = withholding.resend(s, s.get_one(WithholdRun, run_id), None, "finance")
    assert again == f"失败笔已重新发送（批次 {child.number}）"
    assert _act(principal_of, app_site, "fetch", child.id).done == 1  # this time the cards pass
    with db.session_scope() as s:
        assert all(s.get_one(Bill, x.bill_id).state == BillState.PAID for x in failed)
        assert all(s.get_one(Bill, x.bill_id).withhold_failure == "" for x in failed)
    _ledger_holds()


def test_reading_a_result_file_twice_or_with_lines_twice_posts_nothing_more(
    twenty, principal_of, app_site, pay_sandbox
):
    run_id = _generate(principal_of, app_site)
    _act(principal_of, app_site, "send", run_id)
    sandbox_call(pay_sandbox, "/sandbox/bank/control", {"twice": True})  # every line listed twice
    fetched = _act(principal_of, app_site, "fetch", run_id)
    assert "成功 17 笔，失败 3 笔" in fetched.notes[0]
    run = _run(run_id)

    def count():
        with db.session_scope() as s:
            return len(
                s.exec(
                    select(Payment).where(
                        Payment.source == LedgerSource.WITHHOLDING, Payment.source_ref.like(run.number + "%")
                    )
                ).all()
            )

    assert count() == 17
    text = bank_gateway.result(run.entrust_no, run.number)
    for _ in range(2):  # the same file again (the bank may hand it out as often as asked)
        with db.session_scope() as s:
            applied = withholding.apply_result(s, s.get_one(WithholdRun, run_id), text)
        assert (applied.succeeded, applied.failed, applied.unchanged) == (0, 0, 40)
    assert count() == 17 and _run(run_id).succeeded_count == 17
    _ledger_holds()


def test_a_file_of_another_run_or_a_damaged_one_changes_nothing(twenty, principal_of, app_site):
    first = _generate(principal_of, app_site)
    _act(principal_of, app_site, "send", first)
    run = _run(first)
    text = bank_gateway.result(run.entrust_no, run.number)
    with db.session_scope() as s:
        with pytest.raises(FileProblem, match="校验值不符"):
            withholding.apply_result(s, s.get_one(WithholdRun, first), text.replace(",F,", ",S,", 1))
        other = s.get_one(WithholdRun, first).model_copy(update={"number": "WH209901010005001"})
        with pytest.raises(FileProblem, match="不是 WH209901010005001"):
            withholding.apply_result(s, other, text)
    assert {x.state for x in _lines(first)} == {LineState.PENDING} and _run(first).state == RunState.SENT


def test_a_bill_in_a_sent_run_cannot_join_another(twenty, principal_of, app_site):
    run_id = _generate(principal_of, app_site)
    _act(principal_of, app_site, "send", run_id)
    with db.session_scope() as s:
        project = project_of(s)
        assert withholding.dues_for(s, project.company_id, project.id, clock.today()) == []
        with pytest.raises(ValidationFailed) as none:
            crud.create(
                s,
                _admin(app_site, "withhold_runs"),
                principal_of("finance"),
                {"company_id": str(project.company_id), "project_id": str(project.id)},
            )
        assert "没有需要代扣的账单" in none.value.errors["project_id"]
    # The database refuses it too, whatever the code above it forgot.
    with db.session_scope() as s:
        line = s.exec(select(WithholdLine).where(WithholdLine.run_id == run_id)).first()
        twin = WithholdLine(**{**line.model_dump(exclude={"id"}), "line_no": 99, "ref": "X"})
        with pytest.raises(IntegrityError), s.begin_nested():
            s.add(twin)
            s.flush()
    # An unsent run that is 作废 frees its bills.
    _act(principal_of, app_site, "fetch", run_id)
    with db.session_scope() as s:
        project = project_of(s)
        three = withholding.dues_for(s, project.company_id, project.id, clock.today())
        assert len(three) == 3
    second = _generate(principal_of, app_site)
    assert _act(principal_of, app_site, "cancel", second).done == 1
    assert {x.state for x in _lines(second)} == {LineState.CANCELLED}
    with db.session_scope() as s:
        assert len(withholding.dues_for(s, project.company_id, project.id, clock.today())) == 3
    _ledger_holds()


def test_a_slow_or_failing_bank_still_debits_each_line_once(twenty, principal_of, app_site, pay_sandbox, monkeypatch):
    monkeypatch.setattr(bank_gateway, "TIMEOUT", bank_gateway.httpx.Timeout(1.0, connect=1.0))
    run_id = _generate(principal_of, app_site)
    # The bank takes the file, then answers too late: the retry (same run number) gets the same answer.
    sandbox_call(pay_sandbox, "/sandbox/bank/control", {"slow_ms": 2500, "slow_next": 1})
    assert _act(principal_of, app_site, "send", run_id).done == 1
    # The next request fails with a 503 once: the retry fetches the result.
    sandbox_call(pay_sandbox, "/sandbox/bank/control", {"fail_next": 1})
    assert _act(principal_of, app_site, "fetch", run_id).done == 1
    bank = _bank_state(pay_sandbox)
    run = _run(run_id)
    assert bank["batches"] == [run.number]
    assert len(bank["debits"]) == 17 and set(bank["debits"].values()) == {1}
    # The bank away altogether: the run stays 已生成 with the reason, nothing debited or posted.
    second = _generate_after_fail(principal_of, app_site, run_id)
    sandbox_call(pay_sandbox, "/sandbox/bank/control", {"fail_next": 3})
    refused = _act(principal_of, app_site, "send", second)
    assert refused.done == 0 and "银行暂不可用（HTTP 503）" in refused.refused[0][1]
    assert _run(second).state == RunState.GENERATED and "发送失败" in _run(second).note
    assert _act(principal_of, app_site, "send", second).done == 1  # later, it goes
    _ledger_holds()


def _bank_state(url):
    import json
    import urllib.request

    with urllib.request.urlopen(url + "/sandbox/bank/state", timeout=30) as r:
        return json.loads(r.read())


def _generate_after_fail(principal_of, app_site, run_id):
    """A run of the first run's refused bills (its resend would send at once: here it waits)."""
    with db.session_scope() as s:
        first = s.get_one(WithholdRun, run_id)
        dues = withholding.due_bills(s, first.company_id, None, [first.project_id])
        return withholding.start(s, first.company_id, first.project_id, dues, RunOrigin.MANUAL).id


def test_only_finance_of_the_company_generates_sends_and_reads_runs(twenty, principal_of, app_site):
    admin = _admin(app_site, "withhold_runs")
    run_id = _generate(principal_of, app_site)
    for who in ("manager", "principal", "sysadmin"):  # no role of the money's
        with pytest.raises(Forbidden):
            _act(principal_of, app_site, "send", run_id, who)
    assert _act(principal_of, app_site, "send", run_id, "finance2").refused == [(f"#{run_id}", "记录不存在或无权访问")]
    with db.session_scope() as s, pytest.raises(Forbidden):
        crud.create(s, admin, principal_of("manager"), {"company_id": "5"})
    with db.session_scope() as s:
        project = project_of(s)
        with pytest.raises(ValidationFailed) as other:  # another company's finance: not in its scope
            crud.create(s, admin, principal_of("finance2"), {"company_id": str(project.company_id)})
        assert other.value.errors["company_id"]
    assert _run(run_id).state == RunState.GENERATED


def test_the_daily_job_starts_a_projects_run_on_its_day_once(twenty, principal_of):
    from clss_app.services import jobs

    # The job's day (a 代扣开始日 is 1–28; past the 28th, three days back, the debtors' bills still due by then
    # plus 代扣提前天数), as `manage daily --date` gives it.
    today = clock.today() if clock.today().day <= 28 else clock.today() - timedelta(days=3)
    with db.session_scope() as s:
        project = project_of(s)
        project.withhold_day, project.withhold_enabled = today.day, True
        s.add(project)
    done = jobs.daily(today)
    assert (done["withhold_runs_started"], done["withhold_runs_sent"], done["withhold_results_read"]) == (1, 1, 1)
    assert done["ledger_mismatches"] == 0
    with db.session_scope() as s:
        run = s.exec(
            select(WithholdRun).where(WithholdRun.origin == RunOrigin.SCHEDULED, WithholdRun.day == today)
        ).one()
        assert (run.state, run.line_count, run.succeeded_count, run.failed_count) == (RunState.RETURNED, 20, 17, 3)
    again = jobs.daily(today)
    assert again["withhold_runs_started"] == 0  # once a day: the failed three wait for 重新发送失败
    assert withholding.run_due(today + timedelta(days=1))["withhold_runs_started"] == 0  # not its day
    _ledger_holds()


def test_only_system_admins_turn_a_projects_withholding_on(session, principal_of, app_site):
    # 在线签约设置 holds 代扣开启 and 代扣开始日: the store's list of it (合同管理), the system admin's (项目参数)
    settings, params_page = _admin(app_site, "signing_settings"), _admin(app_site, "project_params")
    project = project_of(session)
    project.withhold_enabled = False
    session.add(project)
    session.flush()
    raw = {n: str(getattr(project, n) if getattr(project, n) is not None else "") for n in settings.form}
    row, _ = crud.update(
        session,
        settings,
        principal_of("principal"),
        project.id,
        {**raw, "withhold_enabled": "是", "withhold_day": "12"},
        project.version,
    )
    assert (row.withhold_enabled, row.withhold_day) == (False, 12)  # the day is the store's, the switch is not
    with pytest.raises(ValidationFailed) as bad:
        crud.update(
            session, params_page, principal_of("sysadmin"), project.id, {**raw, "withhold_day": "29"}, row.version
        )
    assert "withhold_day" in bad.value.errors
    row, _ = crud.update(
        session,
        params_page,
        principal_of("sysadmin"),
        project.id,
        {**raw, "withhold_enabled": "是", "withhold_day": "12"},
        row.version,
    )
    assert row.withhold_enabled is True


def test_the_demo_has_agreements_and_a_returned_run_on_the_ledger(session):
    runs = session.exec(select(WithholdRun).order_by(WithholdRun.id)).all()
    assert [(r.state, r.origin) for r in runs] == [
        (RunState.RETURNED, RunOrigin.SCHEDULED),
        (RunState.RETURNED, RunOrigin.RESEND),
    ]
    # Up to three refused: as many tenants as the demo has in arrears on the run's day (1 at least).
    assert runs[0].succeeded_count == 9 and 1 <= runs[0].failed_count <= 3
    assert (runs[1].parent_id, runs[1].line_count, runs[1].failed_count) == (runs[0].id, *(runs[0].failed_count,) * 2)
    agreements = session.exec(select(WithholdAgreement)).all()
    assert all(card_problem(a.card_no) == "" and a.holder_name for a in agreements)
    assert ledger.mismatches(session) == []
    posted = session.exec(select(Payment).where(Payment.source == LedgerSource.WITHHOLDING)).all()
    assert len(posted) == 9 and {p.source_ref for p in posted} <= {x.ref for x in session.exec(select(WithholdLine))}
    for r in runs:  # each run's files, as the app would have written them
        from clss_app.core import private_files

        request, _ = private_files.read(r.request_file)
        assert read_request(request.decode()).run_no == r.number and checksum(request.decode()) == r.request_sha256
        result, _ = private_files.read(r.result_file)
        assert sum(o.ok for o in read_result(result.decode()).outcomes) == r.succeeded_count
