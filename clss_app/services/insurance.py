"""项目保险 rules: the insurer's branch serving a project is fixed by its first plan."""

from __future__ import annotations

from sqlmodel import Session, select

from models import InsuranceCover, PlanMode, ProjectInsurancePlan

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
