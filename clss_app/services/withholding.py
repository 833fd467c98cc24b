"""银行批量代扣: which bills are withheld, the runs that carry them to the bank, and the bank's answer.

Which bills: those owed now (已确认 / 部分收款, ``amount + late_fee - paid`` > 0, the tenant paying) of
contracts 执行中 whose tenant has an agreement in force with the bill's company, in a company with 代扣开启
= 是, a 委托项目编号 and a 代收账号 (企业参数), due by the run day plus the company's 代扣提前天数, and not
waiting in another run's line. A project's 代扣开始日 (1–28) starts its run on that day of each month
(the daily job); finance starts one for a company or a project at any time (生成代扣批次).

A run (已生成 → 已发送 → 已回盘, or 已作废 before it is sent) writes the request file
(services/withhold_file.py), keeps it and the bank's result file under the private files, and numbers
its lines; each line's reference (run number and line number) is the ledger line's source_ref. Reading
a result file: a line leaves 待扣款 once, by a conditional update, in the transaction that posts its
payment (``ledger.post``: oldest due first, any rest to the tenant's 预收 balance) or, failed, writes
its reason on the line and on the bill; a bill whose line failed may join a later run. The same file
read twice, or a file listing a line twice, finds nothing left to change. 重新发送失败 makes a new run
(its parent the old one) of the failed lines whose bills are still owed, on the card in force now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from clss_app import db
from clss_app.core import clock, private_files
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import bank_gateway, ledger, params
from clss_app.services.bills import OPEN
from clss_app.services.withhold_file import (
    Debit,
    FileProblem,
    Outcome,
    Request,
    Result,
    checksum,
    read_result,
    write_request,
)
from models import (
    AgreementState,
    Bill,
    Contract,
    ContractState,
    LedgerSource,
    LineState,
    Payer,
    PaymentMethod,
    Project,
    RunOrigin,
    RunState,
    WithholdAgreement,
    WithholdLine,
    WithholdRun,
)

PROCESS = "批量代扣"
RESOURCE = "withhold_runs"  # the list whose detail hands out a run's files (pages/finance.py)
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- which bills


@dataclass(frozen=True)
class Terms:
    """A company's withholding settings (企业参数)."""

    entrust_no: str
    collect_account: str
    days: int


def terms_of(session: Session, company_id: int) -> Terms | str:
    """The company's settings, or why it cannot withhold (for the user)."""
    if not params.enterprise_value(session, company_id, "withhold_enabled"):
        return "本企业未开启代扣（系统管理 → 企业参数：代扣开启）"
    entrust = str(params.enterprise_value(session, company_id, "entrust_project_no"))
    if not entrust:
        return "本企业未设置委托项目编号（系统管理 → 企业参数）"
    account = str(params.enterprise_value(session, company_id, "collect_account"))
    if not account:
        return "本企业未设置代收账号（系统管理 → 企业参数）"
    return Terms(entrust, account, int(params.enterprise_value(session, company_id, "withhold_days")))


@dataclass(frozen=True)
class Due:
    """A bill to withhold, what it owes, and the agreement (card) to take it from."""

    bill_id: int
    project_id: int
    tenant_id: int
    agreement_id: int
    card_no: str
    holder: str
    amount: Decimal


def due_bills(
    session: Session,
    company_id: int,
    until: date | None,
    project_ids: list[int] | None = None,
    bill_ids: list[int] | None = None,
) -> list[Due]:
    """The company's bills to withhold now, due by ``until`` (None: whenever), oldest due first."""
    waiting = (
        select(WithholdLine.id).where(WithholdLine.bill_id == Bill.id, WithholdLine.state == LineState.PENDING).exists()
    )
    q = (
        sa.select(
            Bill.id,
            Bill.project_id,
            Bill.tenant_id,
            WithholdAgreement.id,
            WithholdAgreement.card_no,
            WithholdAgreement.holder_name,
            Bill.amount,
            Bill.late_fee,
            Bill.paid,
        )
        .join(Contract, Contract.id == Bill.contract_id)
        .join(Project, Project.id == Bill.project_id)
        .join(
            WithholdAgreement,
            sa.and_(
                WithholdAgreement.tenant_id == Bill.tenant_id,
                WithholdAgreement.company_id == Project.company_id,
                WithholdAgreement.state == AgreementState.ACTIVE,
            ),
        )
        .where(
            Project.company_id == company_id,
            Bill.state.in_(OPEN),
            Bill.payer == Payer.TENANT,
            Contract.state == ContractState.ACTIVE,
            Bill.amount + Bill.late_fee > Bill.paid,
            ~waiting,
        )
        .order_by(Bill.due_date, Bill.id)
    )
    if until is not None:
        q = q.where(Bill.due_date <= until)
    if project_ids is not None:
        q = q.where(Bill.project_id.in_(project_ids))
    if bill_ids is not None:
        q = q.where(Bill.id.in_(bill_ids))
    out = []
    for bill_id, project_id, tenant_id, agreement_id, card, holder, amount, late_fee, paid in session.execute(q):
        owed = Decimal(amount) + Decimal(late_fee) - Decimal(paid)
        if owed > 0:
            out.append(Due(bill_id, project_id, tenant_id, agreement_id, card, holder, owed))
    return out


def dues_for(session: Session, company_id: int, project_id: int | None, day: date) -> list[Due] | str:
    """What a run of ``day`` for the company (one project, or all) takes, or why it cannot run."""
    terms = terms_of(session, company_id)
    if isinstance(terms, str):
        return terms
    return due_bills(session, company_id, day + timedelta(days=terms.days), [project_id] if project_id else None)


def run_problems(session: Session, company_id: int | None, project_id: int | None, day: date) -> dict[str, str]:
    """{field: message} when a run for the company (and project) cannot be generated now."""
    if company_id is None:
        return {}
    if project_id is not None:
        project = session.get(Project, project_id)
        if project is None or project.company_id != company_id:
            return {"project_id": "所选项目不属于该企业"}
    dues = dues_for(session, company_id, project_id, day)
    if isinstance(dues, str):
        return {"company_id": dues}
    if not dues:
        field = "project_id" if project_id else "company_id"
        return {field: "没有需要代扣的账单（已签代扣协议、已到期或在代扣提前天数内到期的未缴账单）"}
    return {}


# ---------------------------------------------------------------- runs


def next_run_no(session: Session, company_id: int, day: date) -> str:
    """WH + the day + the company (4 digits) + a number of the day (3 digits); a unique column says it."""
    prefix = f"WH{day:%Y%m%d}{company_id:04d}"
    taken = session.execute(select(sa.func.count()).where(col(WithholdRun.number).like(prefix + "%"))).scalar_one()
    return f"{prefix}{taken + 1:03d}"


def prepare(
    session: Session,
    values: dict,
    by_id: int | None,
    origin: RunOrigin = RunOrigin.MANUAL,
    day: date | None = None,
) -> None:
    """A new run's own values: its number, day, the company's settings as they are now, who started it."""
    terms = terms_of(session, values["company_id"])
    if isinstance(terms, str):  # checked before (run_problems): a parameter changed meanwhile
        raise ValueError(terms)
    day = day or clock.today()
    values.update(
        number=next_run_no(session, values["company_id"], day),
        day=day,
        origin=origin,
        state=RunState.GENERATED,
        entrust_no=terms.entrust_no,
        collect_account=terms.collect_account,
        created_by_id=by_id,
    )


def line_ref(run_no: str, line_no: int) -> str:
    """Our reference of a line, in the files and as its ledger line's source_ref: WH…-00017."""
    return f"{run_no}-{line_no:05d}"


def fill(session: Session, run: WithholdRun, dues: list[Due], username: str) -> None:
    """Numbers the run's lines, writes its request file and keeps it with the run."""
    run_id = saved_id(run)
    rows = [
        dict(
            run_id=run_id,
            line_no=n,
            day=run.day,
            company_id=run.company_id,
            project_id=d.project_id,
            bill_id=d.bill_id,
            tenant_id=d.tenant_id,
            agreement_id=d.agreement_id,
            card_no=d.card_no,
            holder_name=d.holder,
            amount=d.amount,
            state=LineState.PENDING,
            bank_message="",
            bank=bank_gateway.BANK,
            ref=line_ref(run.number, n),
            version=1,
        )
        for n, d in enumerate(dues, start=1)
    ]
    try:
        with session.begin_nested():
            session.execute(sa.insert(WithholdLine), rows)
    except IntegrityError:
        raise BillsTaken() from None
    text = write_request(
        Request(
            run.entrust_no,
            run.collect_account,
            run.number,
            run.day,
            [Debit(n, d.card_no, d.holder, d.amount, line_ref(run.number, n)) for n, d in enumerate(dues, start=1)],
        )
    )
    run.request_file = private_files.store(text.encode(), f"{run.number}-请求文件.txt", "txt")
    run.request_sha256 = checksum(text)
    run.line_count = len(rows)
    run.amount_total = sum((d.amount for d in dues), Decimal("0.00"))
    session.add(run)
    session.flush()
    private_files.own(session, WithholdRun, saved_id(run), "request_file", run.request_file, RESOURCE, username)


class BillsTaken(Exception):
    """A bill of the run joined another run meanwhile (the partial unique index on waiting lines)."""


def start(
    session: Session,
    company_id: int,
    project_id: int | None,
    dues: list[Due],
    origin: RunOrigin,
    by_id: int | None = None,
    username: str = "system",
    parent_id: int | None = None,
    day: date | None = None,
) -> WithholdRun:
    values: dict = {"company_id": company_id, "project_id": project_id, "parent_id": parent_id}
    prepare(session, values, by_id, origin, day)
    run = WithholdRun(**values)
    session.add(run)
    session.flush()
    fill(session, run, dues, username)
    return run


def _file_text(ref: str) -> str | None:
    found = private_files.read(ref)
    return found[0].decode("utf-8") if found else None


def send(session: Session, run: WithholdRun) -> str:
    """Hands a generated run to the bank; "" when it is sent, else why not (kept on the run too)."""
    if run.state != RunState.GENERATED:
        return f"当前为{run.state.label}，只有已生成的批次可以发送"
    text = _file_text(run.request_file)
    if text is None:
        return "请求文件不存在"
    try:
        accepted = bank_gateway.send(run.entrust_no, run.number, text)
    except bank_gateway.BankError as exc:
        _note(session, run, f"发送失败：{exc}")
        return str(exc)
    won = changed(
        session,
        sa.update(WithholdRun)
        .where(WithholdRun.id == run.id, WithholdRun.state == RunState.GENERATED)
        .values(
            state=RunState.SENT,
            sent_at=clock.now(),
            bank_batch_no=accepted.batch_no[:32],
            note="",
            version=WithholdRun.version + 1,
        ),
    )
    return "" if won else "已被他人处理，请刷新"


def _note(session: Session, run: WithholdRun, note: str) -> None:
    session.execute(sa.update(WithholdRun).where(WithholdRun.id == run.id).values(note=note[:255]))


@dataclass
class Applied:
    succeeded: int = 0
    failed: int = 0
    unchanged: int = 0  # lines the file holds that were settled already (read before, or listed twice)


def fetch(session: Session, run: WithholdRun, username: str) -> tuple[Applied | None, str]:
    """Fetches and reads a sent run's result file: (what it changed, "") or (None, why not)."""
    if run.state != RunState.SENT:
        return None, f"当前为{run.state.label}，只有已发送的批次可以获取结果"
    try:
        text = bank_gateway.result(run.entrust_no, run.number)
    except bank_gateway.BankError as exc:
        return None, str(exc)
    if text is None:
        return None, "银行尚在处理，请稍后再获取结果"
    try:
        return apply_result(session, run, text, username), ""
    except FileProblem as exc:
        _note(session, run, f"回盘文件有误：{exc}")
        return None, f"回盘文件有误，未入账：{exc}"


def apply_result(session: Session, run: WithholdRun, text: str, username: str = "system") -> Applied:
    """Reads a result file of ``run``: each line still waiting is settled once; whatever was settled before
    stays as it is. Nothing of a file that is not this run's, or is damaged, is applied (FileProblem)."""
    return apply_outcomes(session, run, read_result(text), text, username)


def apply_outcomes(session: Session, run: WithholdRun, result: Result, text: str, username: str = "system") -> Applied:
    """``apply_result`` once the file is read (``text`` is kept as the run's result file)."""
    if result.run_no != run.number or result.entrust_no != run.entrust_no:
        raise FileProblem(f"回盘文件属于批次 {result.run_no}，不是 {run.number}")
    lines = {
        x.line_no: x
        for x in session.exec(
            select(WithholdLine).where(WithholdLine.run_id == run.id).execution_options(populate_existing=True)
        )
    }
    for o in result.outcomes:
        mine = lines.get(o.line_no)
        if mine is None or mine.ref != o.ref or mine.amount != o.amount:
            raise FileProblem(f"第 {o.line_no} 笔与请求文件不符（流水号或金额）")
    first: dict[int, Outcome] = {}
    for o in result.outcomes:  # a line the file lists twice is read once
        first.setdefault(o.line_no, o)
    todo = [(lines[n], o) for n, o in first.items() if lines[n].state == LineState.PENDING]
    ok = [(x, o) for x, o in todo if o.ok]
    failed = [(x, o, bank_gateway.reason_of(o.code)) for x, o in todo if not o.ok]
    try:
        # The ledger lines are written together when the savepoint ends, not one flush a line.
        with session.begin_nested(), session.no_autoflush:
            _leave_waiting(session, [saved_id(x) for x, _ in ok], LineState.SUCCEEDED)
            _leave_waiting(session, [saved_id(x) for x, _, _ in failed], LineState.FAILED)
            _by_id(
                session,
                WithholdLine,
                [{"id": x.id, "bank_txn_id": o.txn_id[:32], "bank_message": o.message[:64]} for x, o in ok]
                + [{"id": x.id, "reason": why, "bank_message": (o.message or why.label)[:64]} for x, o, why in failed],
            )
            for x, _o in ok:
                _post(session, x)
            marked = _marked(session, run)  # bills showing an earlier failure, which their success ends
            _by_id(
                session,
                Bill,
                [{"id": x.bill_id, "withhold_failure": ""} for x, _ in ok if x.bill_id in marked]
                + [{"id": x.bill_id, "withhold_failure": f"{why.label}（{run.number}）"[:64]} for x, _, why in failed],
            )
    except IntegrityError:  # one bank transaction named for two lines: nothing of the file is applied
        raise FileProblem("回盘文件中有重复的银行流水号，未入账") from None
    if not run.result_file:
        run.result_file = private_files.store(text.encode(), f"{run.number}-回盘文件.txt", "txt")
        session.execute(sa.update(WithholdRun).where(WithholdRun.id == run.id).values(result_file=run.result_file))
        private_files.own(session, WithholdRun, saved_id(run), "result_file", run.result_file, RESOURCE, username)
    _close(session, run)
    return Applied(len(ok), len(failed), len(result.outcomes) - len(todo))


class Raced(FileProblem):
    """Another reading of the same result file settled some of these lines first: nothing of this one
    is applied (the savepoint is rolled back)."""


def _leave_waiting(session: Session, ids: list[int], state: LineState) -> None:
    """The lines leave 待扣款, each once: a conditional UPDATE a chunk, which must take every line it names
    (a line another reading took meanwhile makes this reading give way whole)."""
    for k in range(0, len(ids), 500):
        chunk = ids[k : k + 500]
        taken = changed(
            session,
            sa.update(WithholdLine)
            .where(WithholdLine.id.in_(chunk), WithholdLine.state == LineState.PENDING)
            .values(state=state, finished_at=clock.now(), version=WithholdLine.version + 1)
            .execution_options(synchronize_session=False),
        )
        if taken != len(chunk):
            raise Raced("该批次的回盘正由他人同时处理，请刷新后查看")


def _by_id(session: Session, model: type[WithholdLine] | type[Bill], rows: list[dict]) -> None:
    """Per-row values by primary key, in one executemany (the session's objects are not synced)."""
    if rows:
        session.execute(sa.update(model).execution_options(synchronize_session=False), rows)


def _marked(session: Session, run: WithholdRun) -> set[int | None]:
    return set(
        session.exec(
            select(Bill.id)
            .join(WithholdLine, WithholdLine.bill_id == Bill.id)
            .where(WithholdLine.run_id == run.id, Bill.withhold_failure != "")
        ).all()
    )


def _post(session: Session, line: WithholdLine) -> None:
    """A debited line's money on the ledger: its bill paid (ledger.post), any rest the tenant's 预收."""
    ledger.settle(
        session,
        [line.bill_id],
        line.amount,
        company_id=line.company_id,
        tenant_id=line.tenant_id,
        method=PaymentMethod.WITHHOLDING,
        source=LedgerSource.WITHHOLDING,
        source_ref=line.ref,
        process=PROCESS,
    )


def _close(session: Session, run: WithholdRun) -> None:
    """The run's counts and totals from its lines; 已回盘 once none waits."""
    by_state = {
        state: (n, Decimal(total or 0))
        for state, n, total in session.execute(
            sa.select(WithholdLine.state, sa.func.count(), sa.func.sum(WithholdLine.amount))
            .where(WithholdLine.run_id == run.id)
            .group_by(WithholdLine.state)
        )
    }
    ok, failed = by_state.get(LineState.SUCCEEDED, (0, 0)), by_state.get(LineState.FAILED, (0, 0))
    values: dict = dict(
        succeeded_count=ok[0],
        succeeded_amount=Decimal(ok[1]).quantize(Decimal("0.01")),
        failed_count=failed[0],
        failed_amount=Decimal(failed[1]).quantize(Decimal("0.01")),
    )
    stmt = sa.update(WithholdRun).where(WithholdRun.id == run.id)
    if LineState.PENDING not in by_state:
        stmt = stmt.where(WithholdRun.state == RunState.SENT)
        values.update(
            state=RunState.RETURNED,
            returned_at=clock.now(),
            to_resend=failed[0] > 0,
            note="",
            version=WithholdRun.version + 1,
        )
    session.execute(stmt.values(**values))


def resend(session: Session, run: WithholdRun, by_id: int | None, username: str) -> WithholdRun | str:
    """A new run of ``run``'s failed lines whose bills are still owed (the card in force now), or why none."""
    if run.state != RunState.RETURNED:
        return f"当前为{run.state.label}，只有已回盘的批次可以重新发送失败笔"
    terms = terms_of(session, run.company_id)
    if isinstance(terms, str):
        return terms
    # Once per run, whoever clicks first: the flag is cleared by a conditional update.
    if not changed(
        session,
        sa.update(WithholdRun)
        .where(WithholdRun.id == run.id, WithholdRun.to_resend.is_(True))
        .values(to_resend=False, version=WithholdRun.version + 1),
    ):
        child = session.exec(
            select(WithholdRun).where(WithholdRun.parent_id == run.id, WithholdRun.state != RunState.CANCELLED)
        ).first()
        return f"失败笔已重新发送（批次 {child.number}）" if child else "该批次没有待重发的失败笔"
    failed = session.exec(
        select(WithholdLine.bill_id).where(WithholdLine.run_id == run.id, WithholdLine.state == LineState.FAILED)
    ).all()
    dues = due_bills(session, run.company_id, None, bill_ids=list(failed)) if failed else []
    if not dues:
        return "没有需要重发的失败笔（账单已结清、已在其他批次中或租客已解约）"
    try:
        return start(session, run.company_id, run.project_id, dues, RunOrigin.RESEND, by_id, username, saved_id(run))
    except BillsTaken:
        return "有账单已加入其他代扣批次，请刷新后重试"


def cancel(session: Session, run: WithholdRun) -> str:
    """作废 a run not yet sent: its lines free their bills for a later run (a re-send's parent may re-send
    again)."""
    if not changed(
        session,
        sa.update(WithholdRun)
        .where(WithholdRun.id == run.id, WithholdRun.state == RunState.GENERATED)
        .values(state=RunState.CANCELLED, version=WithholdRun.version + 1),
    ):
        return "只有未发送的批次可以作废"
    if run.parent_id is not None and run.origin == RunOrigin.RESEND:
        session.execute(sa.update(WithholdRun).where(WithholdRun.id == run.parent_id).values(to_resend=True))
    session.execute(
        sa.update(WithholdLine)
        .where(WithholdLine.run_id == run.id, WithholdLine.state == LineState.PENDING)
        .values(state=LineState.CANCELLED, version=WithholdLine.version + 1)
    )
    return ""


# ---------------------------------------------------------------- actions (pages/finance.py)


def _each(ctx: ActionContext[WithholdRun], step: Callable[[WithholdRun], tuple[str, str]]) -> ActionResult:
    """An action on each chosen run: ``step`` answers (a note when done, why not: "" when done)."""
    result = ActionResult()
    for run in ctx.rows:
        note, why = step(run)
        if why:
            result.refused.append((run.number, why))
            continue
        result.done += 1
        if note:
            result.notes.append(note)
    return result


def send_runs(ctx: ActionContext[WithholdRun]) -> ActionResult:
    return _each(ctx, lambda run: (f"{run.number} 已发送 {run.line_count} 笔", send(ctx.session, run)))


def fetch_results(ctx: ActionContext[WithholdRun]) -> ActionResult:
    def step(run: WithholdRun) -> tuple[str, str]:
        applied, why = fetch(ctx.session, run, ctx.principal.username)
        return (f"{run.number} 成功 {applied.succeeded} 笔，失败 {applied.failed} 笔" if applied else ""), why

    return _each(ctx, step)


def resend_failed(ctx: ActionContext[WithholdRun]) -> ActionResult:
    def step(run: WithholdRun) -> tuple[str, str]:
        child = resend(ctx.session, run, ctx.principal.actor_id, ctx.principal.username)
        if isinstance(child, str):
            return "", child
        why = send(ctx.session, child)
        sent = "已发送" if not why else f"已生成，发送失败（{why}），请稍后在新批次上点“发送”"
        return f"新批次 {child.number}：{child.line_count} 笔，{sent}", ""

    return _each(ctx, step)


def cancel_runs(ctx: ActionContext[WithholdRun]) -> ActionResult:
    return _each(ctx, lambda run: ("", cancel(ctx.session, run)))


# ---------------------------------------------------------------- the daily job


def run_due(today: date | None = None) -> dict[str, int]:
    """The day's scheduled runs (each project with 代扣开启 whose 代扣开始日 is today, once a day: a partial
    unique index says so across workers), sent at once; and the results of every sent run, fetched. Each run in a
    transaction of its own; a bank that does not answer is tried again at the next round."""
    today = today or clock.today()
    done = {"withhold_runs_started": 0, "withhold_runs_sent": 0, "withhold_results_read": 0}
    with db.session_scope() as s:
        projects = s.execute(
            select(Project.id, Project.company_id).where(Project.withhold_enabled, Project.withhold_day == today.day)
        ).all()
    for project_id, company_id in projects:
        try:
            with db.session_scope() as s:
                started = s.exec(
                    select(WithholdRun.id).where(
                        WithholdRun.project_id == project_id,
                        WithholdRun.day == today,
                        WithholdRun.origin == RunOrigin.SCHEDULED,
                    )
                ).first()
                dues = dues_for(s, company_id, project_id, today) if started is None else []
                if dues and not isinstance(dues, str):
                    start(s, company_id, project_id, dues, RunOrigin.SCHEDULED, day=today)
                    done["withhold_runs_started"] += 1
        except (IntegrityError, BillsTaken):  # another worker started it, or took its bills, meanwhile
            continue
    with db.session_scope() as s:
        waiting = s.exec(
            select(WithholdRun.id, WithholdRun.state).where(
                sa.or_(
                    sa.and_(WithholdRun.origin == RunOrigin.SCHEDULED, WithholdRun.state == RunState.GENERATED),
                    WithholdRun.state == RunState.SENT,
                )
            )
        ).all()
    for run_id, state in waiting:
        with db.session_scope() as s:
            run = s.get_one(WithholdRun, run_id)
            if state == RunState.GENERATED:
                why = send(s, run)
                done["withhold_runs_sent"] += not why
                if why:
                    log.warning("withholding run %s not sent: %s", run.number, why)
                    continue
                s.refresh(run)
            applied, why = fetch(s, run, "system")
            done["withhold_results_read"] += applied is not None
    return done
