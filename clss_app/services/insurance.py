"""项目保险 rules: the insurer's branch serving a project is fixed by its first plan; 赠险 is given at a
contract's first check-in, once; a tenant buys a cover of a product the project sells."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit, clock
from clss_app.core.errors import Refused
from clss_app.core.rows import saved_id
from clss_app.services.billing import add_months
from models import (
    Contract,
    ContractState,
    InsuranceCover,
    InsuranceProduct,
    PlanMode,
    Policy,
    PolicyState,
    ProjectInsurancePlan,
)

BRANCH_FIELDS = ("branch_name", "branch_code", "branch_contact")
FIXED = "分行信息由该项目的首个保险方案确定；如需修改，请先删除该项目的全部保险方案，再重新添加"


def first_plan(session: Session, project_id: int, other_than: int | None = None) -> ProjectInsurancePlan | None:
    return session.exec(
        select(ProjectInsurancePlan)
        .where(ProjectInsurancePlan.project_id == project_id, ProjectInsurancePlan.id != (other_than or -1))
        .order_by(ProjectInsurancePlan.id)
    ).first()


def plan_problems(session: Session, values: dict, row: ProjectInsurancePlan | None) -> dict[str, str]:
    out: dict[str, str] = {}
    project_id = values.get("project_id") or (row.project_id if row else None)
    first = first_plan(session, project_id, row.id if row else None) if project_id else None
    if first is None:  # the first plan of the project: its branch info is required here
        out.update({f: "该项目的首个保险方案须填写分行信息" for f in BRANCH_FIELDS if not values.get(f)})
    elif row is not None:
        out.update({f: FIXED for f in BRANCH_FIELDS if f in values and values[f] != getattr(first, f)})
    mode, cover = values.get("mode"), session.get(InsuranceCover, values.get("gift_cover_id") or 0)
    if mode == PlanMode.GIFTED and cover is None:
        out["gift_cover_id"] = "赠送方案请选择赠送的保额"
    if cover is not None and cover.product_id != values.get("product_id"):
        out["gift_cover_id"] = "所选保额不属于该保险产品"
    if mode == PlanMode.SOLD and cover is not None:
        out["gift_cover_id"] = "可购买方案由租客自选保额，无需填写赠送保额"
    return out


def inherit_branch(session: Session, values: dict) -> str:
    """A later plan takes the first plan's branch info; returns what to tell the user."""
    first = first_plan(session, values["project_id"])
    if first is None:
        return ""
    typed = {f: values.get(f) for f in BRANCH_FIELDS}
    values.update({f: getattr(first, f) for f in BRANCH_FIELDS})
    note = f"已沿用该项目首个保险方案的分行信息：{first.branch_name}（{first.branch_code}）"
    if any(v and v != getattr(first, f) for f, v in typed.items()):
        note += "。您填写的分行信息未采用：" + FIXED
    return note


def _term_end(start: date, contract: Contract) -> date:
    """A policy covers a year from its start, and never past the contract's end."""
    return min(add_months(start, 12) - timedelta(days=1), contract.end_date)


def gift_on_check_in(session: Session, contract: Contract, day: date) -> Policy | None:
    """赠险: when the contract's project has a 首次租房赠送 plan, its first check-in gives the tenant the
    plan's cover from that day (in force, nothing owed); once per contract (a partial unique index), so a
    second check-in or a racing one gives nothing. The new policy, or None."""
    plan = session.exec(
        select(ProjectInsurancePlan)
        .where(ProjectInsurancePlan.project_id == contract.project_id, ProjectInsurancePlan.mode == PlanMode.GIFTED)
        .order_by(ProjectInsurancePlan.id)
    ).first()
    if plan is None or plan.gift_cover_id is None:
        return None
    given = select(Policy.id).where(Policy.contract_id == saved_id(contract), Policy.gifted.is_(True))
    if session.exec(given).first() is not None:
        return None
    cover = session.get_one(InsuranceCover, plan.gift_cover_id)
    row = Policy(
        number=f"ZX{day:%Y%m%d}{contract.id:08d}",
        project_id=contract.project_id,
        contract_id=saved_id(contract),
        tenant_id=contract.tenant_id,
        product_id=cover.product_id,
        cover_amount=cover.cover_amount,
        premium=Decimal(0),  # a gift is never owed
        gifted=True,
        state=PolicyState.IN_FORCE,
        starts_on=day,
        ends_on=_term_end(day, contract),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:  # given meanwhile by another check-in
        return None
    audit.record(session, None, "policies", row.id, "gift", summary=f"入住赠险 {row.number}（合同 {contract.number}）")
    return row


BUYABLE = (ContractState.SIGNED, ContractState.ACTIVE)
LIVE = (PolicyState.UNPAID, PolicyState.PAID, PolicyState.IN_FORCE)


def buy_policy(session: Session, tenant_id: int, contract_id: int, cover_id: int) -> Policy:
    """投保 (the APP's purchase): a cover of a product the contract's project sells, for the tenant's own
    signed or running contract, from today for a year (not past the contract's end); 未支付 until paid.
    One live policy per contract and product."""
    contract = session.get(Contract, contract_id)
    if contract is None or contract.tenant_id != tenant_id:
        raise Refused("合同不存在")
    if contract.state not in BUYABLE:
        raise Refused(f"合同当前为{contract.state.label}，只有待执行或执行中的合同可以投保")
    cover = session.get(InsuranceCover, cover_id)
    if cover is None:
        raise Refused("保额档位不存在")
    product = session.get_one(InsuranceProduct, cover.product_id)
    if not product.enabled:
        raise Refused(f"保险产品「{product.name}」已停售")
    sold = session.exec(
        select(ProjectInsurancePlan.id).where(
            ProjectInsurancePlan.project_id == contract.project_id,
            ProjectInsurancePlan.product_id == product.id,
            ProjectInsurancePlan.mode == PlanMode.SOLD,
        )
    ).first()
    if sold is None:
        raise Refused(f"该项目不销售「{product.name}」")
    live = session.exec(
        select(Policy.number).where(
            Policy.contract_id == contract_id,
            Policy.product_id == product.id,
            Policy.gifted.is_(False),
            Policy.state.in_(LIVE),
        )
    ).first()
    if live is not None:
        raise Refused(f"该合同已投保「{product.name}」（保单号 {live}）")
    start = max(clock.today(), contract.start_date)
    if start > contract.end_date:
        raise Refused("合同已到期，不能投保")
    row = Policy(
        number=uuid.uuid4().hex[:24],
        project_id=contract.project_id,
        contract_id=contract_id,
        tenant_id=tenant_id,
        product_id=saved_id(product),
        cover_amount=cover.cover_amount,
        premium=cover.premium,
        gifted=False,
        state=PolicyState.UNPAID,
        starts_on=start,
        ends_on=_term_end(start, contract),
    )
    session.add(row)
    session.flush()
    row.number = f"TB{start:%Y%m%d}{row.id:08d}"
    session.add(row)
    session.flush()
    audit.record(session, None, "policies", row.id, "buy", summary=f"租客投保 {product.name} {row.number}")
    return row


def policies_of(session: Session, tenant_id: int) -> list[Policy]:
    """我的保障: the tenant's policies, gifted and bought, newest first."""
    mine = select(Policy).where(Policy.tenant_id == tenant_id)
    return list(session.exec(mine.order_by(Policy.starts_on.desc(), Policy.id.desc())))
