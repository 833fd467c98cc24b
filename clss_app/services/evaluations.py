"""The tenant's word: 评价 of a finished stay (once per contract) and 系统反馈 from the APP."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit
from clss_app.core.errors import Refused
from models import Contract, ContractState, Evaluation, Feedback, FeedbackKind, Tenant

FINISHED = (ContractState.EXPIRED, ContractState.CHECKED_OUT, ContractState.CLOSED)
MAX_TEXT = 2000


def evaluate(session: Session, tenant_id: int, contract_id: int, score: int, content: str = "") -> Evaluation:
    """评价: the tenant rates their own finished stay 1–5, once per contract (a unique index)."""
    contract = session.get(Contract, contract_id)
    if contract is None or contract.tenant_id != tenant_id:
        raise Refused("合同不存在", status=404, code="not_found")
    if contract.state not in FINISHED:
        raise Refused(f"合同当前为{contract.state.label}，租住结束（已到期、已退房）后才能评价", code="not_finished")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Refused("评分须为 1–5 的整数", status=422, code="invalid_field", field="score")
    text = (content or "").strip()
    if len(text) > MAX_TEXT:
        raise Refused(f"评价内容最多 {MAX_TEXT} 字", status=422, code="invalid_field", field="content")
    if session.exec(select(Evaluation.id).where(Evaluation.contract_id == contract_id)).first() is not None:
        raise Refused("该合同已评价过", code="already_evaluated")
    row = Evaluation(
        project_id=contract.project_id, contract_id=contract_id, tenant_id=tenant_id, score=score, content=text
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:
        raise Refused("该合同已评价过", code="already_evaluated") from None
    return row


def submit_feedback(session: Session, tenant_id: int, kind: FeedbackKind, title: str, content: str) -> Feedback:
    """系统反馈 from the APP: filed under the tenant's company, 待处理 until HQ follows it up."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise Refused("租客不存在", status=404, code="not_found")
    if not isinstance(kind, FeedbackKind):
        raise Refused(
            "反馈类型须为：" + "、".join(k.label for k in FeedbackKind), status=422, code="invalid_field", field="kind"
        )
    title, content = (title or "").strip(), (content or "").strip()
    if not title:
        raise Refused("请填写标题", status=422, code="invalid_field", field="title")
    if len(title) > 64:
        raise Refused("标题最多 64 字", status=422, code="invalid_field", field="title")
    if not content:
        raise Refused("请填写反馈内容", status=422, code="invalid_field", field="content")
    if len(content) > MAX_TEXT:
        raise Refused(f"反馈内容最多 {MAX_TEXT} 字", status=422, code="invalid_field", field="content")
    row = Feedback(branch_id=tenant.company_id, tenant_id=tenant_id, kind=kind, title=title, content=content)
    session.add(row)
    session.flush()
    audit.record(session, None, "feedback", row.id, "create", summary=f"租客 {tenant.name} 反馈：{title}")
    return row
