"""按居贷: a tenant pays a contract's rent with a loan from the bank.

The rule (manual: 租期在1~5年且缴费方式为一次性支付的可以使用贷款支付功能): the contract is 待执行 or
执行中, its payment cycle is 一次性 and its term runs at least 1 and at most 5 years (start + 12 months
≤ end + 1 day ≤ start + 60 months); its project has 贷款参数 (信用 or 担保, a quota) set by the branch's
系统管理员; the tenant has an ID number. The loan pays the contract's rent bill still owed.

A loan takes its amount from the project's quota by one conditional update (never past the quota,
whoever applies at the same moment), is written 审批中, then sent to the bank under its number. The
bank's approval moves it 审批中 → 已放款 once (a conditional update) and only then pays the bill on the
ledger (source 按居贷, the loan number its reference, unique): an answer that comes twice changes
nothing. A refusal moves it to 已拒绝 with the bank's reason and gives the quota back. A bank that does
not answer leaves it 审批中 with the reason shown, its quota held; 重新提交 (or 按居贷支付 again) sends
the same number again, so a loan the bank did make is answered as made, never lent twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from clss_app import db
from clss_app.core import clock
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import ledger, loan_bank
from clss_app.services.billing import add_months
from clss_app.services.bills import OPEN, outstanding
from models import (
    Bill,
    BillKind,
    Contract,
    ContractState,
    LedgerSource,
    Loan,
    LoanParam,
    LoanState,
    PayCycle,
    PaymentMethod,
    Project,
    Tenant,
)

T = TypeVar("T")
PROCESS = "按居贷"
MIN_MONTHS, MAX_MONTHS = 12, 60
APPLICABLE = (ContractState.SIGNED, ContractState.ACTIVE)


def term_text(c: Contract) -> str:
    """The term in words: 6 个月, 2 年, 1 年 3 个月 10 天."""
    months = 0
    while add_months(c.start_date, months + 1) <= c.end_date + timedelta(days=1):
        months += 1
    days = (c.end_date + timedelta(days=1) - add_months(c.start_date, months)).days
    years, months = divmod(months, 12)
    parts = [f"{years} 年" if years else "", f"{months} 个月" if months else "", f"{days} 天" if days else ""]
    return " ".join(p for p in parts if p) or "0 天"


def rule_problem(c: Contract) -> str:
    """Why the contract may not be paid by 按居贷 ("" if it may), naming the rule."""
    if c.state not in APPLICABLE:
        return f"合同当前为{c.state.label}，只有待执行或执行中的合同可以申请按居贷"
    if c.cycle != PayCycle.ONCE:
        return f"按居贷仅限缴费方式为一次性支付的合同（本合同为{c.cycle.label}）"
    ends = c.end_date + timedelta(days=1)
    if not add_months(c.start_date, MIN_MONTHS) <= ends <= add_months(c.start_date, MAX_MONTHS):
        return f"按居贷仅限租期 1–5 年的合同（本合同租期 {term_text(c)}）"
    return ""


def param_of(session: Session, project_id: int) -> LoanParam | None:
    return session.exec(
        select(LoanParam).where(LoanParam.project_id == project_id).execution_options(populate_existing=True)
    ).first()


def _rent_bill(session: Session, c: Contract) -> Bill | None:
    bills = session.exec(
        select(Bill)
        .where(Bill.contract_id == c.id, Bill.kind == BillKind.RENT, col(Bill.state).in_(OPEN))
        .order_by(col(Bill.due_date), col(Bill.id))
    ).all()
    return next((b for b in bills if outstanding(b) > 0), None)


def reserve(session: Session, param_id: int, amount: Decimal) -> bool:
    """Takes ``amount`` from the quota, if it fits what is left now (one conditional update)."""
    return bool(
        changed(
            session,
            sa.update(LoanParam)
            .where(
                LoanParam.id == param_id,
                LoanParam.enabled == sa.true(),
                LoanParam.used + amount <= LoanParam.quota,
            )
            .values(used=LoanParam.used + amount, version=LoanParam.version + 1),
        )
    )


def _release(session: Session, project_id: int, amount: Decimal) -> None:
    session.execute(
        sa.update(LoanParam)
        .where(LoanParam.project_id == project_id)
        .values(used=LoanParam.used - amount, version=LoanParam.version + 1)
    )


def apply(session: Session, c: Contract, by_id: int | None) -> Loan | str:
    """A new 审批中 loan for the contract's rent bill, its amount taken from the quota; or why not. A
    loan of this bill still 审批中 is the one returned (to be sent again)."""
    why = rule_problem(c)
    if why:
        return why
    bill = _rent_bill(session, c)
    if bill is None:
        return "本合同没有待支付的租金账单"
    waiting = session.exec(select(Loan).where(Loan.bill_id == bill.id, Loan.state == LoanState.PENDING)).first()
    if waiting is not None:
        return waiting
    param = param_of(session, c.project_id)
    if param is None or not param.enabled:
        return "本项目未设置按居贷参数（贷款方式、额度），请联系分行系统管理员"
    if not session.get_one(Tenant, c.tenant_id).id_number:
        return "租客未登记身份证号，无法申请按居贷"
    amount = outstanding(bill)
    if not reserve(session, saved_id(param), amount):
        left = param.quota - param.used
        return f"超过项目按居贷额度：额度 {param.quota} 元，剩余 {left} 元，本次需 {amount} 元"
    loan = Loan(
        number=f"LN{clock.today():%Y%m%d}{secrets.token_hex(4).upper()}",
        company_id=session.get_one(Project, c.project_id).company_id,
        project_id=c.project_id,
        contract_id=saved_id(c),
        bill_id=saved_id(bill),
        tenant_id=c.tenant_id,
        mode=param.mode,
        amount=amount,
        created_by_id=by_id,
    )
    try:
        with session.begin_nested():
            session.add(loan)
    except IntegrityError:  # another clerk applied for this bill at the same moment
        _release(session, c.project_id, amount)
        return "该账单刚有按居贷申请，请刷新"
    return loan


def submit(
    session: Session, loan: Loan, by_id: int | None = None, bank: loan_bank.LoanBank | None = None
) -> tuple[str, str]:
    """Sends a 审批中 loan to the bank and applies its answer: (a note, "") when approved, else ("", why)."""
    if loan.state != LoanState.PENDING:
        return "", f"贷款当前为{loan.state.label}"
    tenant = session.get_one(Tenant, loan.tenant_id)
    contract = session.get_one(Contract, loan.contract_id)
    application = loan_bank.Application(
        loan.number, tenant.id_number, tenant.name, loan.amount, contract.number, loan.mode.label
    )
    try:
        decision = (bank or loan_bank.bank()).apply(application)
    except loan_bank.LoanBankError as exc:
        session.execute(sa.update(Loan).where(Loan.id == loan.id).values(note=f"银行未答复：{exc}"[:255]))
        return "", f"{exc}（贷款 {loan.number} 保持审批中，可在贷款记录中重新提交）"
    state = LoanState.APPROVED if decision.approved else LoanState.REFUSED
    won = changed(
        session,
        sa.update(Loan)
        .where(Loan.id == loan.id, Loan.state == LoanState.PENDING)
        .values(
            state=state,
            bank_ref=decision.bank_ref[:32],
            credit_line=decision.credit_line,
            note="" if decision.approved else f"银行拒绝：{decision.reason}"[:255],
            decided_at=clock.now(),
            version=Loan.version + 1,
        ),
    )
    if not won:  # answered and applied by another request meanwhile
        return "", "已被他人处理，请刷新"
    if not decision.approved:
        _release(session, loan.project_id, loan.amount)
        return "", f"银行拒绝贷款：{decision.reason}"
    ledger.settle(
        session,
        [loan.bill_id],
        loan.amount,
        company_id=loan.company_id,
        tenant_id=loan.tenant_id,
        method=PaymentMethod.LOAN,
        source=LedgerSource.LOAN,
        source_ref=loan.number,
        contract_id=loan.contract_id,
        by_id=by_id,
        process=PROCESS,
    )
    return f"{contract.number} 按居贷 {loan.amount} 元已放款（{loan.number}）", ""


def pay_by_loan(session: Session, c: Contract, by_id: int | None) -> tuple[str, str]:
    loan = apply(session, c, by_id)
    if isinstance(loan, str):
        return "", loan
    return submit(session, loan, by_id)


def _each(rows: list[T], label: Callable[[T], str], step: Callable[[T], tuple[str, str]]) -> ActionResult:
    result = ActionResult()
    for row in rows:
        note, why = step(row)
        if why:
            result.refused.append((label(row), why))
        else:
            result.done += 1
            result.notes.append(note)
    return result


def pay_contracts(ctx: ActionContext[Contract]) -> ActionResult:
    """按居贷支付 on contracts (the engine checked the role and the scope)."""
    return _each(ctx.rows, lambda c: c.number, lambda c: pay_by_loan(ctx.session, c, ctx.principal.actor_id))


def resubmit(ctx: ActionContext[Loan]) -> ActionResult:
    """重新提交 loans the bank has not answered."""
    return _each(ctx.rows, lambda x: x.number, lambda x: submit(ctx.session, x, ctx.principal.actor_id))


def retry_waiting() -> dict[str, int]:
    """The daily job's step: each loan left 审批中 by a bank that did not answer is sent again under its
    number (lent once), each in a transaction of its own."""
    waiting = select(Loan.id).where(Loan.state == LoanState.PENDING)
    return {"loans_retried": db.each_alone(waiting, lambda s, i: bool(submit(s, s.get_one(Loan, i))[0]))}


# ---------------------------------------------------------------- 贷款参数


def param_problems(quota: Decimal | None, project_id: int | None, row: LoanParam | None) -> dict[str, str]:
    """The form's check: a quota above 0, never below what loans hold of it, and a row whose quota is in
    use stays on its project (its loans' release goes back to it). The project being the company's and
    one row per project are the engine's checks."""
    used = row.used if row is not None else Decimal(0)
    if row is not None and used > 0 and project_id is not None and project_id != row.project_id:
        return {"project_id": f"本项目已占用贷款额度 {used} 元，不能改为其他项目；请为其他项目新增贷款参数"}
    if quota is not None and quota <= 0:
        return {"quota": "贷款额度须大于 0"}
    if quota is not None and quota < used:
        return {"quota": f"贷款额度不能低于已用额度 {used} 元"}
    return {}
