"""What changes a bill only with someone's approval: refunds (财务 confirms), bad debt (two levels),
and adjustments (a decrease, a waiver or a late-fee waiver needs a 负责人)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import outbox
from clss_app.services.bills import FINAL_CONTRACT, OPEN, ZERO, outstanding
from models import (
    AdjustmentKind,
    AdjustmentState,
    ApprovalState,
    BadDebt,
    Bill,
    BillAdjustment,
    BillState,
    Contract,
    LedgerSource,
    Payment,
    PaymentMethod,
    Role,
)

LEVEL1_ROLES = frozenset({Role.PRINCIPAL, Role.MULTI_STORE_MANAGER})
LEVEL2_ROLES = frozenset({Role.FINANCE})


# ---------------------------------------------------------------- refunds


def to_offline_refund(ctx: ActionContext) -> ActionResult:
    session, rows = ctx.session, ctx.rows
    return _step(rows, session, BillState.REFUND_DUE, BillState.OFFLINE_REFUND)


def confirm_refund(ctx: ActionContext) -> ActionResult:
    """Finance confirms the money went back: the bill is 已退款, the refund a negative line on its ledger and
    its paid amount (the money given back, so that the ledger adds up to it)."""
    session, p, rows = ctx.session, ctx.principal, ctx.rows
    result = _step(rows, session, BillState.OFFLINE_REFUND, BillState.REFUNDED)
    for b in rows:
        if b.state == BillState.REFUNDED:
            session.execute(sa.update(Bill).where(Bill.id == b.id).values(paid=Bill.paid - b.amount))
            session.add(
                Payment(
                    bill_id=saved_id(b),
                    project_id=b.project_id,
                    amount=-b.amount,
                    method=PaymentMethod.TRANSFER,
                    receipt_no="退款",
                    source=LedgerSource.REFUND,
                    recorded_by_id=p.actor_id,
                )
            )
    return result


def _step(rows, session, expected: BillState, target: BillState) -> ActionResult:
    result = ActionResult()
    for b in rows:
        if b.state != expected:
            result.refused.append((b.title, f"当前为{b.state.label}"))
        elif session.execute(
            sa.update(Bill)
            .where(Bill.id == b.id, Bill.state == expected)
            .values(state=target, version=Bill.version + 1)
        ).rowcount:
            b.state = target
            result.done += 1
        else:
            result.refused.append((b.title, "已被他人处理，请刷新"))
    return result


# ---------------------------------------------------------------- bad debt


def request_bad_debt(ctx: ActionContext) -> ActionResult:
    """坏账申请 on a final bill: the contract has ended and the money cannot be settled."""
    session, p, rows, reason = ctx.session, ctx.principal, ctx.rows, ctx.text
    result = ActionResult()
    for b in rows:
        contract = session.get_one(Contract, b.contract_id)
        if contract.state not in FINAL_CONTRACT:
            result.refused.append((b.title, "仅尾期账单（合同已退房或已到期）可申请坏账"))
        elif b.state not in (*OPEN, BillState.REFUND_DUE, BillState.OFFLINE_REFUND):
            result.refused.append((b.title, f"当前为{b.state.label}，无待结清款项"))
        elif session.exec(
            select(BadDebt.id).where(
                BadDebt.bill_id == b.id, BadDebt.state.in_([ApprovalState.LEVEL1, ApprovalState.LEVEL2])
            )
        ).first():
            result.refused.append((b.title, "已有审批中的坏账申请"))
        else:
            owed = outstanding(b) if b.state in OPEN else b.amount
            session.add(
                BadDebt(
                    bill_id=saved_id(b), project_id=b.project_id, amount=owed, reason=reason, requested_by_id=p.actor_id
                )
            )
            outbox.to_roles(
                session,
                LEVEL1_ROLES,
                b.project_id,
                f"坏账待一级审批：{b.title}",
                f"{p.display_name} 申请将账单「{b.title}」¥{owed:,.2f} 记为坏账，原因：{reason}",
                "审批提醒",
            )
            result.done += 1
    return result


def decide_bad_debt(approve: bool):
    """One level of the two-level approval; the role decides which level it may act on."""

    def run(ctx: ActionContext) -> ActionResult:
        session, p, rows, comment = ctx.session, ctx.principal, ctx.rows, ctx.text
        result = ActionResult()
        for d in rows:
            label = f"坏账#{d.id}"
            if d.state == ApprovalState.LEVEL1 and p.role in LEVEL1_ROLES:
                target = ApprovalState.LEVEL2 if approve else ApprovalState.REJECTED
                who = dict(level1_by_id=p.actor_id)
            elif d.state == ApprovalState.LEVEL2 and p.role in LEVEL2_ROLES:
                target = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
                who = dict(level2_by_id=p.actor_id)
            elif d.state in (ApprovalState.LEVEL1, ApprovalState.LEVEL2):
                result.refused.append((label, f"{d.state.label}，{p.role.label}不能审批此级"))
                continue
            else:
                result.refused.append((label, f"当前为{d.state.label}"))
                continue
            if not changed(
                session,
                sa.update(BadDebt)
                .where(BadDebt.id == d.id, BadDebt.state == d.state)
                .values(state=target, comment=comment[:255], version=BadDebt.version + 1, **who),
            ):
                result.refused.append((label, "已被他人审批，请刷新"))
                continue
            if target == ApprovalState.LEVEL2:
                outbox.to_roles(
                    session,
                    LEVEL2_ROLES,
                    d.project_id,
                    f"坏账待财务审批：坏账#{d.id}",
                    f"坏账#{d.id}（¥{d.amount:,.2f}）已通过一级审批，待财务审批。",
                    "审批提醒",
                )
            if target == ApprovalState.APPROVED:  # both levels agreed: the bill closes
                session.execute(
                    sa.update(Bill)
                    .where(Bill.id == d.bill_id)
                    .values(state=BillState.BAD_DEBT, version=Bill.version + 1)
                )
            result.done += 1
        return result

    return run


# ---------------------------------------------------------------- adjustments

ADJUST_APPROVERS = frozenset({Role.PRINCIPAL})


def request_adjustments(ctx: ActionContext) -> ActionResult:
    """调整金额 of unconfirmed bills: an increase applies now; a decrease or a waiver (to 0) awaits a principal."""
    session, p, rows, values = ctx.session, ctx.principal, ctx.rows, ctx.values
    result = ActionResult()
    after, reason = values["amount_after"], values["reason"]
    for b in rows:
        if b.state != BillState.UNCONFIRMED:
            result.refused.append((b.title, f"当前为{b.state.label}，只能调整未确认的账单"))
            continue
        if after == b.amount:
            result.refused.append((b.title, "调整后金额与原金额相同"))
            continue
        kind = (
            AdjustmentKind.INCREASE
            if after > b.amount
            else AdjustmentKind.WAIVE
            if after == 0
            else AdjustmentKind.DECREASE
        )
        pending = _pending_adjustment(session, b.id)
        if pending:
            result.refused.append((b.title, "已有待审批的调整"))
            continue
        adj = BillAdjustment(
            bill_id=saved_id(b),
            project_id=b.project_id,
            kind=kind,
            amount_before=b.amount,
            amount_after=after,
            reason=reason,
            requested_by_id=p.actor_id,
        )
        if kind == AdjustmentKind.INCREASE:
            if not _set_amount(session, b, after):
                result.refused.append((b.title, "账单已被他人修改，请刷新"))
                continue
            adj.state, adj.decided_by_id = AdjustmentState.APPLIED, p.actor_id
            result.notes.append(f"{b.title} 已调增至 ¥{after:,.2f}")
        else:
            result.notes.append(f"{b.title} 调减待负责人审批")
            _tell_approvers(session, p, b, f"{adj.kind.label} ¥{b.amount:,.2f} → ¥{after:,.2f}，原因：{reason}")
        session.add(adj)
        result.done += 1
    return result


def request_late_fee_waivers(ctx: ActionContext) -> ActionResult:
    """免滞纳金: always through a principal's approval."""
    session, p, rows, reason = ctx.session, ctx.principal, ctx.rows, ctx.text
    result = ActionResult()
    for b in rows:
        if b.state not in OPEN or b.late_fee <= 0:
            result.refused.append((b.title, "没有可减免的滞纳金"))
        elif _pending_adjustment(session, b.id):
            result.refused.append((b.title, "已有待审批的调整"))
        else:
            session.add(
                BillAdjustment(
                    bill_id=saved_id(b),
                    project_id=b.project_id,
                    kind=AdjustmentKind.WAIVE_LATE_FEE,
                    amount_before=b.late_fee,
                    amount_after=ZERO,
                    reason=reason,
                    requested_by_id=p.actor_id,
                )
            )
            _tell_approvers(session, p, b, f"免滞纳金 ¥{b.late_fee:,.2f}，原因：{reason}")
            result.done += 1
    return result


def _tell_approvers(session, p, b: Bill, what: str) -> None:
    """An adjustment waits: the 负责人 whose scope covers the bill's project see it in their bell."""
    outbox.to_roles(
        session, ADJUST_APPROVERS, b.project_id, f"调账待审批：{b.title}", f"{p.display_name} 申请{what}", "审批提醒"
    )


def _pending_adjustment(session, bill_id) -> bool:
    return (
        session.exec(
            select(BillAdjustment.id).where(
                BillAdjustment.bill_id == bill_id, BillAdjustment.state == AdjustmentState.PENDING
            )
        ).first()
        is not None
    )


def _set_amount(session, b: Bill, after: Decimal) -> bool:
    return (
        session.execute(
            sa.update(Bill)
            .where(Bill.id == b.id, Bill.amount == b.amount, Bill.state == BillState.UNCONFIRMED)
            .values(amount=after, version=Bill.version + 1)
        ).rowcount
        == 1
    )


def decide_adjustments(approve: bool):
    def run(ctx: ActionContext) -> ActionResult:
        session, p, rows, comment = ctx.session, ctx.principal, ctx.rows, ctx.text
        result = ActionResult()
        for a in rows:
            label = f"调整#{a.id}"
            if a.state != AdjustmentState.PENDING:
                result.refused.append((label, f"当前为{a.state.label}"))
                continue
            if p.role not in ADJUST_APPROVERS:
                result.refused.append((label, f"账单减免须由负责人审批，{p.role.label}不能审批"))
                continue
            b = session.get_one(Bill, a.bill_id)
            if approve:
                if a.kind == AdjustmentKind.WAIVE_LATE_FEE:
                    done = (
                        changed(
                            session,
                            sa.update(Bill)
                            .where(Bill.id == b.id, Bill.state.in_(OPEN))
                            .values(
                                late_fee=ZERO,
                                late_fee_waived=True,
                                version=Bill.version + 1,
                                state=sa.case((Bill.paid >= Bill.amount, BillState.PAID.value), else_=Bill.state),
                            ),
                        )
                        == 1
                    )
                else:
                    done = b.amount == a.amount_before and _set_amount(session, b, a.amount_after)
                if not done:
                    result.refused.append((label, "账单已确认、收款或被修改，调整未生效"))
                    continue
            target = AdjustmentState.APPLIED if approve else AdjustmentState.REJECTED
            session.execute(
                sa.update(BillAdjustment)
                .where(BillAdjustment.id == a.id, BillAdjustment.state == AdjustmentState.PENDING)
                .values(
                    state=target, decided_by_id=p.actor_id, comment=comment[:255], version=BillAdjustment.version + 1
                )
            )
            result.done += 1
        return result

    return run
