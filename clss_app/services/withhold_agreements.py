"""代扣协议: a tenant lets the bank debit a card for the company's bills (manual: 客户和银行签订代扣协议,
支持客户端单笔签订和后台批量导入时批量签订（企业代签）).

A card is 16–19 digits with its Luhn check digit; its holder is the tenant (the name as the tenant's);
one agreement is in force per tenant and company (a partial unique index says it too). Agreements are
signed by store staff or finance, one in the form or many by import (批量签约, the company signing for
its tenants), and ended by 解约 with a reason; a new card is a new agreement.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock
from clss_app.core.privacy import card_problem, mask, normalise_card
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed
from clss_app.services.permissions import Principal
from models import AgreementState, SignMode, Tenant, WithholdAgreement


def active_of(session: Session, tenant_id: int, company_id: int) -> WithholdAgreement | None:
    return session.exec(
        select(WithholdAgreement).where(
            WithholdAgreement.tenant_id == tenant_id,
            WithholdAgreement.company_id == company_id,
            WithholdAgreement.state == AgreementState.ACTIVE,
        )
    ).first()


def problems(session: Session, values: dict, row: WithholdAgreement | None) -> dict[str, str]:
    """{field: message} of an agreement about to be signed (forms and imports alike)."""
    out: dict[str, str] = {}
    card = values.get("card_no")
    if card is not None:
        why = card_problem(card)
        if why:
            out["card_no"] = why
    tenant = session.get(Tenant, values.get("tenant_id") or 0)
    holder = (values.get("holder_name") or "").strip()
    if tenant is not None and holder and holder != tenant.name:
        out["holder_name"] = f"持卡人姓名须与租客姓名一致（租客：{tenant.name}）"
    elif any(c in holder for c in ",\r\n"):
        out["holder_name"] = "持卡人姓名不能包含逗号或换行"
    if row is None and tenant is not None:
        held = active_of(session, tenant.id or 0, tenant.company_id)
        if held is not None:
            out["tenant_id"] = f"该租客已有生效的代扣协议（{mask('bank_card', held.card_no)}），请先解约"
    return out


def prepare(session: Session, p: Principal, values: dict) -> None:
    """What a new agreement records besides what was typed: its company (the tenant's), who signed, when."""
    values["card_no"] = normalise_card(values.get("card_no") or "")
    values["holder_name"] = (values.get("holder_name") or "").strip()
    tenant = session.get(Tenant, values.get("tenant_id") or 0)
    if tenant is not None:
        values["company_id"] = tenant.company_id
    values.setdefault("sign_mode", SignMode.SINGLE)
    values["signed_by_id"] = p.actor_id
    values["signed_at"] = clock.now()


def repeated_tenant(seen: set[int], values: dict) -> dict[str, str]:
    """A tenant twice in one import file (``seen``: the file's tenants so far): the second row is refused,
    as one agreement is in force per tenant."""
    tenant_id = values.get("tenant_id")
    if tenant_id is None:
        return {}
    if tenant_id in seen:
        return {"tenant_id": "文件中该租客出现多次，每位租客只能签一份代扣协议"}
    seen.add(tenant_id)
    return {}


def terminate(ctx: ActionContext[WithholdAgreement]) -> ActionResult:
    """解约: the agreement ends now; runs already sent keep their lines, later runs leave the tenant out."""
    result = ActionResult()
    for a in ctx.rows:
        if changed(
            ctx.session,
            sa.update(WithholdAgreement)
            .where(WithholdAgreement.id == a.id, WithholdAgreement.state == AgreementState.ACTIVE)
            .values(
                state=AgreementState.TERMINATED,
                ended_by_id=ctx.principal.actor_id,
                ended_at=clock.now(),
                end_reason=ctx.text[:255],
                version=WithholdAgreement.version + 1,
            ),
        ):
            result.done += 1
        else:
            result.refused.append((a.holder_name, "协议已解约"))
    return result


def replace_card(session: Session, p: Principal, tenant: Tenant, card: str, bank_name: str) -> str:
    """修改代扣银行卡号 (from a contract's detail): the tenant's agreement in force ends and one on the new
    card begins (a new card is a new agreement); "" when done, else why not (nothing changed)."""
    why = card_problem(card)
    if why:
        return why
    card = normalise_card(card)
    held = active_of(session, tenant.id or 0, tenant.company_id)
    if held is not None and held.card_no == card:
        return "新卡号与当前代扣卡号相同"
    bank = bank_name.strip() or (held.bank_name if held is not None else "")
    if not bank:
        return "请填写开户银行"
    if held is not None and not changed(
        session,
        sa.update(WithholdAgreement)
        .where(WithholdAgreement.id == held.id, WithholdAgreement.state == AgreementState.ACTIVE)
        .values(
            state=AgreementState.TERMINATED,
            ended_by_id=p.actor_id,
            ended_at=clock.now(),
            end_reason=f"更换代扣银行卡为 {mask('bank_card', card)}",
            version=WithholdAgreement.version + 1,
        ),
    ):
        return "代扣协议已被他人修改，请刷新"
    session.add(
        WithholdAgreement(
            company_id=tenant.company_id,
            tenant_id=tenant.id or 0,
            card_no=card,
            holder_name=tenant.name,
            bank_name=bank[:32],
            sign_mode=SignMode.BATCH,  # the company signs for its tenant, as 批量签约(企业代签)
            signed_by_id=p.actor_id,
            signed_at=clock.now(),
        )
    )
    session.flush()
    return ""
