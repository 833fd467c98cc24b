"""项目参数 / 在线签约设置: what a project's contracts take by default (manual: 设置项目在线签约参数).

合同条款 (printed on the contract), 代扣开启 and 代扣开始日 (the daily job starts the project's
withholding run that day), 账单类型 月初/对日 and 缴费周期 (合同批量导入 bills by them), and the default
amounts of the 手工录入 fee items (on the fee items). Only a system admin turns 代扣 on; "同一个项目下所有
合同请采用同一种计费方式": 账单类型 cannot change while the project has open contracts of the other kind.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.services import params
from clss_app.services.permissions import Principal
from models import (
    BillMode,
    Contract,
    ContractImport,
    ContractState,
    FeeItem,
    FeeKind,
    ImportState,
    PriceUnit,
    PricingStandard,
    Project,
    Role,
)

OPEN_CONTRACTS = (ContractState.PENDING_REVIEW, ContractState.SIGNED, ContractState.ACTIVE)
OPEN_IMPORTS = (ImportState.PENDING, ImportState.CONFIRMED)


def problems(session: Session, p: Principal, values: dict, row: Project | None) -> dict[str, str]:
    """{field: message} of a change of a project's signing settings."""
    out: dict[str, str] = {}
    turning_on = bool(values.get("withhold_enabled")) and not (row is not None and row.withhold_enabled)
    if turning_on and p.role != Role.SYSTEM_ADMIN:
        out["withhold_enabled"] = "只有系统管理员可以开启代扣，请联系当地分行系统管理员"
    if values.get("withhold_enabled") and not values.get("withhold_day"):
        out["withhold_day"] = "开启代扣须填写代扣开始日（每月 1–28 日）"
    mode = values.get("bill_mode")
    if row is not None and mode is not None and mode != row.bill_mode:
        n = other_mode_count(session, row.id or 0, BillMode(mode))
        if n:
            out["bill_mode"] = (
                f"本项目还有 {n} 份未结束的非“{BillMode(mode).label}”合同（含待生成的导入合同），"
                "同一个项目下所有合同须采用同一种计费方式，不能修改账单类型"
            )
    return out


def other_mode_count(session: Session, project_id: int, mode: BillMode) -> int:
    """Open contracts and imports waiting to become contracts, of the project, billed otherwise than ``mode``."""
    contracts = session.execute(
        select(sa.func.count()).where(
            Contract.project_id == project_id, Contract.state.in_(OPEN_CONTRACTS), Contract.bill_mode != mode
        )
    ).scalar_one()
    imports = session.execute(
        select(sa.func.count()).where(
            ContractImport.project_id == project_id,
            ContractImport.state.in_(OPEN_IMPORTS),
            ContractImport.bill_mode != mode,
        )
    ).scalar_one()
    return int(contracts) + int(imports)


def manual_fees_missing(session: Session, project_id: int) -> list[str]:
    """Names of the project's 手工录入 fee items (periodic or one-off) that have no default amount."""
    rows = session.execute(
        select(FeeItem.id, FeeItem.name, FeeItem.default_amount, PricingStandard.unit)
        .join(PricingStandard, PricingStandard.fee_item_id == FeeItem.id)
        .where(FeeItem.project_id == project_id, FeeItem.kind.in_((FeeKind.PERIODIC, FeeKind.ONE_OFF)))
        .order_by(FeeItem.id, PricingStandard.id)
    ).all()
    first: dict[int, tuple] = {}
    for fee_id, name, amount, unit in rows:  # the first pricing standard prices the fee (services/bills.py)
        first.setdefault(fee_id, (name, amount, unit))
    return [name for name, amount, unit in first.values() if unit == PriceUnit.MANUAL and amount is None]


def import_problem(session: Session, project: Project) -> str:
    """Why contracts cannot be imported into the project now ("" if they can)."""
    if not params.enterprise_value(session, project.company_id, "withhold_enabled"):
        return "本企业未开通批量代扣（企业参数：代扣开启），不能导入合同"
    if project.bill_mode is None:
        return f"项目“{project.name}”未设置账单类型（项目参数 → 在线签约设置）"
    if not project.withhold_enabled or not project.withhold_day:
        return f"项目“{project.name}”未开启代扣或未设置代扣开始日（项目参数 → 在线签约设置）"
    missing = manual_fees_missing(session, project.id or 0)
    if missing:
        return f"项目“{project.name}”的手工录入费项未填写默认金额：{'、'.join(missing)}（费项管理）"
    return ""


def terms_of(project: Project) -> str:
    """The contract's 合同条款 text when the project set one ("" : the print's default)."""
    return project.contract_terms.strip()
