"""Demo step for 银行批量代扣, in the first company: its 企业参数 (代扣开启, 委托项目编号, 代收账号), its first
project's 代扣开始日 (ten days ago, so the run of that day is history and the next one a month away), a
dozen tenants' agreements (valid card numbers; the refused ones the sandbox bank's failing cards; one
tenant who changed cards), and that day's run: nine bills debited (their ledger lines turned into the
run's lines) and up to three refused (余额不足, 卡状态异常, 账户已销户; as many as the demo has tenants in
arrears then), sent again three days later and refused again, so their bills are still owed and carry
the reason. Each run keeps its request and result file as the app writes them (services/withhold_file.py)."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from clss_app.core import clock, private_files
from clss_app.core.privacy import luhn_ok
from clss_app.core.rows import saved_id
from clss_app.sandbox import bank as sandbox
from clss_app.services import withholding
from clss_app.services.bank_gateway import BANK
from clss_app.services.withhold_file import Debit, Outcome, Request, Result, checksum, write_request, write_result
from models import (
    AgreementState,
    Bill,
    BillKind,
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
    Room,
    RunOrigin,
    RunState,
    SignMode,
    Tenant,
    WithholdAgreement,
    WithholdLine,
    WithholdRun,
)

ENTRUST_NO = "110000123"
COLLECT_ACCOUNT = "11050162540000000123"
BANKS = ["中国建设银行", "中国工商银行", "中国农业银行", "招商银行", "中国银行"]
PREFIXES = ["62170000", "62220200", "62284800", "62258800", "62166100"]
DEBITED = 9
# The sandbox bank's failing cards, each with its code, message and what the app files it under.
REFUSED = [
    (number, code, message, reason)
    for (number, (code, message)), reason in zip(
        sandbox.DEMO_FAILING.items(),
        (FailReason.INSUFFICIENT, FailReason.CARD_ABNORMAL, FailReason.ACCOUNT_CLOSED),
        strict=True,
    )
]


def card(rng: random.Random, prefix: str) -> str:
    """A 19-digit card number of the bank's prefix with its Luhn check digit."""
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(18 - len(prefix)))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def last_run_day(today: date) -> date:
    """The project's 代扣开始日 of this month or the last: ten days ago (a 代扣开始日 is 1–28)."""
    day = today - timedelta(days=10)
    return day if day.day <= 28 else day.replace(day=28)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.SHANGHAI)


def seed_withholding(ctx) -> None:
    from clss_app.demo import staff_id

    s, today = ctx.session, clock.today()
    rng = random.Random(20)  # a generator of its own: the main one's draws stay as they were
    company = ctx.ids["company"][0]
    project = ctx.projects_by_company[company][0]
    for key, value, remark in (
        ("withhold_enabled", "是", "代扣开启"),
        ("entrust_project_no", ENTRUST_NO, "委托项目编号"),
        ("collect_account", COLLECT_ACCOUNT, "代收账号"),
    ):
        s.execute(sa.delete(EnterpriseParam).where(EnterpriseParam.company_id == company, EnterpriseParam.key == key))
        s.add(EnterpriseParam(company_id=company, key=key, value=value, remark=remark))
    day = last_run_day(today)
    s.execute(sa.update(Project).where(Project.id == project).values(withhold_day=day.day, withhold_enabled=True))
    paid, owed, signed = _bills(s, project, day)
    people = {t.id: t for t in s.scalars(sa.select(Tenant).where(Tenant.id.in_([b.tenant_id for b in paid + owed])))}
    signers = [staff_id(ctx, "assistant"), staff_id(ctx, "manager"), staff_id(ctx, "finance")]
    agreements: dict[int, WithholdAgreement] = {}
    for n, b in enumerate(paid + owed):
        k = n % len(BANKS)
        number = REFUSED[n - len(paid)][0] if n >= len(paid) else card(rng, PREFIXES[k])
        on = signed[b.tenant_id]
        if n == 0:  # this tenant changed cards before the run: the old agreement ended
            old = _agreement(company, people[b.tenant_id], card(rng, PREFIXES[1]), BANKS[1], on)
            old.state, old.ended_by_id, old.signed_by_id = AgreementState.TERMINATED, signers[0], signers[0]
            old.ended_at, old.end_reason = _at(day - timedelta(days=20), 10), "租客更换银行卡"
            s.add(old)
            on = day - timedelta(days=20)
        a = _agreement(company, people[b.tenant_id], number, BANKS[k], on)
        a.signed_by_id = signers[n % len(signers)]
        a.sign_mode = SignMode.BATCH if n % 3 == 2 else SignMode.SINGLE
        s.add(a)
        s.flush()
        agreements[b.tenant_id] = a
    first = _run(s, company, project, day, RunOrigin.SCHEDULED, None, 1)
    outcomes = _lines(s, first, paid, owed, agreements, day)
    _files(s, first, paid + owed, agreements, outcomes, day)
    ctx.counts["代扣协议"] = len(agreements) + 1
    ctx.counts["代扣批次"] = 1
    if owed:
        resent = day + timedelta(days=3)
        again = _run(s, company, project, resent, RunOrigin.RESEND, first.id, 1, staff_id(ctx, "finance"))
        _files(s, again, owed, agreements, _lines(s, again, [], owed, agreements, resent), resent)
        ctx.counts["代扣批次"] = 2


def _bills(s, project: int, day: date) -> tuple[list[Bill], list[Bill], dict[int, date]]:
    """Tenants' rent bills the run took: paid ones (one ledger line, registered), still owed ones, and
    the day each tenant signed (their agreement was signed with the contract)."""
    imported = sa.select(Room.id).where(Room.import_batch_id.is_not(None))  # yesterday's import stays cancellable
    base = (
        sa.select(Bill, Contract.signed_on)
        .join(Contract, Contract.id == Bill.contract_id)
        .where(
            Bill.project_id == project,
            Bill.room_id.not_in(imported),
            Bill.kind == BillKind.RENT,
            Bill.payer == Payer.TENANT,
            Contract.state == ContractState.ACTIVE,
            Bill.due_date <= day + timedelta(days=5),
        )
    )
    lines = sa.select(sa.func.count()).where(Payment.bill_id == Bill.id).scalar_subquery()
    elsewhere = sa.select(Payment.id).where(Payment.bill_id == Bill.id, Payment.source != LedgerSource.REGISTRATION)
    paid: list[Bill] = []
    owed: list[Bill] = []
    signed: dict[int, date] = {}
    debited = base.where(
        Bill.state == BillState.PAID,
        Bill.due_date > day - timedelta(days=25),
        Contract.signed_on <= day - timedelta(days=30),
        lines == 1,
        ~elsewhere.exists(),
    )
    unpaid = base.where(Bill.state.in_((BillState.CONFIRMED, BillState.PARTLY_PAID)), Contract.signed_on < day)
    for query, into, most in ((debited, paid, DEBITED), (unpaid, owed, len(REFUSED))):
        for b, on in s.execute(query.order_by(Bill.due_date, Bill.id)).all():
            if b.tenant_id not in signed and len(into) < most:
                into.append(b)
                signed[b.tenant_id] = on
    return paid, owed, signed


def _agreement(company: int, tenant: Tenant, number: str, bank: str, signed: date) -> WithholdAgreement:
    return WithholdAgreement(
        company_id=company,
        tenant_id=saved_id(tenant),
        card_no=number,
        holder_name=tenant.name,
        bank_name=bank,
        signed_at=_at(signed, 10, 30),
    )


def _run(s, company: int, project: int, day: date, origin, parent: int | None, n: int, by: int | None = None):
    run = WithholdRun(
        number=f"WH{day:%Y%m%d}{company:04d}{n:03d}",
        company_id=company,
        project_id=project,
        day=day,
        origin=origin,
        state=RunState.RETURNED,
        parent_id=parent,
        entrust_no=ENTRUST_NO,
        collect_account=COLLECT_ACCOUNT,
        bank_batch_no=f"CCB{day:%m%d}{n:06d}",
        sent_at=_at(day, 9, 5),
        returned_at=_at(day + timedelta(days=1), 8, 40),
        created_by_id=by,
        created_at=_at(day, 9, 0),
    )
    s.add(run)
    s.flush()
    return run


def _lines(s, run: WithholdRun, paid: list[Bill], owed: list[Bill], agreements, day: date) -> list[Outcome]:
    """The run's lines: the paid bills debited (their ledger line now the line's), the owed ones refused."""
    outcomes, taken, refused = [], Decimal("0.00"), Decimal("0.00")
    done_at = _at(day + timedelta(days=1), 8, 40)
    for n, b in enumerate(paid + owed, start=1):
        a = agreements[b.tenant_id]
        ref = withholding.line_ref(run.number, n)
        ok = b in paid
        amount = b.paid if ok else b.amount + b.late_fee - b.paid
        failed = next(r for r in REFUSED if r[0] == a.card_no) if not ok else None
        txn = "B" + hashlib.sha256(f"{run.number}/{n}".encode()).hexdigest()[:19].upper() if ok else None
        s.add(
            WithholdLine(
                run_id=saved_id(run),
                line_no=n,
                day=run.day,
                company_id=run.company_id,
                project_id=b.project_id,
                bill_id=saved_id(b),
                tenant_id=b.tenant_id,
                agreement_id=a.id,
                card_no=a.card_no,
                holder_name=a.holder_name,
                amount=amount,
                state=LineState.SUCCEEDED if ok else LineState.FAILED,
                reason=failed[3] if failed else None,
                bank_message=failed[2] if failed else "",
                bank=BANK,
                bank_txn_id=txn,
                ref=ref,
                finished_at=done_at,
            )
        )
        if ok:
            taken += amount
            s.execute(
                sa.update(Payment)
                .where(Payment.bill_id == b.id)
                .values(
                    method=PaymentMethod.WITHHOLDING,
                    source=LedgerSource.WITHHOLDING,
                    source_ref=ref,
                    receipt_no=ref,
                    recorded_by_id=None,
                    process=withholding.PROCESS,
                    paid_on=day + timedelta(days=1),
                    created_at=done_at,
                )
            )
        else:
            refused += amount
            b.withhold_failure = f"{failed[3].label}（{run.number}）" if failed else ""
        outcomes.append(
            Outcome(n, ref, amount, ok, txn or "", failed[1] if failed else "", failed[2] if failed else "")
        )
    run.line_count, run.amount_total = len(outcomes), taken + refused
    run.succeeded_count, run.succeeded_amount = len(paid), taken
    run.failed_count, run.failed_amount = len(owed), refused
    run.to_resend = bool(owed) and run.origin == RunOrigin.RESEND  # the first run's refused ones went again
    return outcomes


def _files(s, run: WithholdRun, bills: list[Bill], agreements, outcomes: list[Outcome], day: date) -> None:
    debits = [
        Debit(o.line_no, agreements[b.tenant_id].card_no, agreements[b.tenant_id].holder_name, o.amount, o.ref)
        for b, o in zip(bills, outcomes, strict=True)
    ]
    request = write_request(Request(run.entrust_no, run.collect_account, run.number, run.day, debits))
    result = write_result(Result(run.entrust_no, run.number, day + timedelta(days=1), outcomes))
    run.request_file = private_files.store(request.encode(), f"{run.number}-请求文件.txt", "txt")
    run.request_sha256 = checksum(request)
    run.result_file = private_files.store(result.encode(), f"{run.number}-回盘文件.txt", "txt")
    s.add(run)
    s.flush()
    private_files.own(s, WithholdRun, saved_id(run), "request_file", run.request_file, withholding.RESOURCE, "system")
    private_files.own(s, WithholdRun, saved_id(run), "result_file", run.result_file, withholding.RESOURCE, "system")
