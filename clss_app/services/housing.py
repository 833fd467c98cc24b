"""房源 rules in plain Python: project publishing, room checks, floors, rent is not a fee item."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, func, select

from clss_app.core.images import split_images
from clss_app.core.memo import memo
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import saved_id
from clss_app.services.permissions import Principal
from models import (
    PROJECT_BOUND_ROLES,
    Floor,
    OrgUnit,
    Project,
    ProjectKind,
    PublishState,
    Room,
    RoomStatus,
    UserProject,
)

# Bounds that catch typing mistakes (an area of 3500 ㎡ for a flat, a rent of 1 yuan).
AREA = (Decimal(5), Decimal(500))
RENT = (Decimal(100), Decimal(100_000))
DEPOSIT = (Decimal(0), Decimal(500_000))
FLOOR = (-5, 200)
LONGITUDE = (Decimal(73), Decimal(136))  # China
LATITUDE = (Decimal(3), Decimal(54))
RENT_WORDS = {"租金", "房租", "月租", "月租金"}


# ---------------------------------------------------------------- projects


def submit(ctx: ActionContext) -> ActionResult:
    """草稿/已驳回 → 待审核; a whitelist company's project is published at once."""
    session, projects = ctx.session, ctx.rows
    result = ActionResult()
    for project in projects:
        if project.publish_state not in (PublishState.DRAFT, PublishState.REJECTED):
            result.refused.append((project.name, f"当前状态为{project.publish_state.label}，不能提交审核"))
            continue
        if not session.exec(select(func.count()).select_from(Room).where(Room.project_id == project.id)).one():
            result.refused.append((project.name, "项目下还没有房间，请先录入或导入房间"))
            continue
        company = session.get(OrgUnit, project.company_id)
        if company is not None and company.is_whitelist:
            project.publish_state, project.review_comment = PublishState.PUBLISHED, "白名单企业，免审核发布"
            result.notes.append(f"{project.name} 已直接发布（白名单企业）")
        else:
            project.publish_state, project.review_comment = PublishState.PENDING, ""
        project.version += 1
        session.add(project)
        result.done += 1
    return result


def review(approve: bool):
    def act(ctx: ActionContext) -> ActionResult:
        session, projects, comment = ctx.session, ctx.rows, ctx.text
        result = ActionResult()
        for project in projects:
            if project.publish_state != PublishState.PENDING:
                result.refused.append((project.name, f"当前状态为{project.publish_state.label}，不是待审核"))
                continue
            project.publish_state = PublishState.PUBLISHED if approve else PublishState.REJECTED
            project.review_comment = comment or ("审核通过" if approve else "")
            if not approve:
                project.visible = False
            project.version += 1
            session.add(project)
            result.done += 1
        return result

    return act


def project_problems(values: dict) -> dict[str, str]:
    if values.get("visible") and values.get("publish_state", PublishState.DRAFT) != PublishState.PUBLISHED:
        return {"visible": "项目审核发布后才能对租客可见"}
    return {}


def assign_creator(session: Session, p: Principal, project: Project) -> None:
    """Store staff only see their assigned projects: the one they create is theirs."""
    if p.role in PROJECT_BOUND_ROLES:
        session.add(UserProject(user_id=p.user_id, project_id=saved_id(project)))


# ---------------------------------------------------------------- rooms


def room_problems(session: Session, values: dict) -> dict[str, str]:
    errors = {}
    for name, (low, high), unit in (
        ("area", AREA, "㎡"),
        ("rent", RENT, "元"),
        ("deposit", DEPOSIT, "元"),
        ("floor_no", FLOOR, "层"),
    ):
        v = values.get(name)
        if v is not None and not low <= v <= high:
            errors[name] = f"应在 {low}–{high} {unit} 之间（当前 {v}）"
    for name, (low, high), label in (("longitude", LONGITUDE, "经度"), ("latitude", LATITUDE, "纬度")):
        v = values.get(name)
        if v is not None and not low <= v <= high:
            errors[name] = f"{label}应在 {low}–{high} 之间（国内坐标）"
    if _on_blockchain(session, values.get("project_id")):
        for name, label in (("latitude", "纬度"), ("longitude", "经度"), ("external_code", "来源平台房间编号")):
            if values.get(name) in (None, ""):
                errors.setdefault(name, f"住房链发布的项目，{label}必填")
    if values.get("visible"):
        missing = visibility_missing(values)
        if missing:
            errors["visible"] = "对租客可见前须补充：" + "、".join(missing)
    return errors


def _on_blockchain(session: Session, project_id) -> bool:
    return memo(
        session,
        ("on_blockchain", project_id),
        lambda: bool(session.exec(select(Project.on_blockchain).where(Project.id == (project_id or 0))).first()),
    )


def visibility_missing(values: dict) -> list[str]:
    """What a room still lacks before tenants may see it: its location and its pictures."""
    missing = []
    if values.get("latitude") is None or values.get("longitude") is None:
        missing.append("经纬度")
    if not values.get("cover"):
        missing.append("封面图")
    if not split_images(values.get("photos")):
        missing.append("介绍图片")
    return missing


def ensure_floor(session: Session, building_id: int, number: int) -> int:
    """The floor row of (building, number), created on first use; cached per transaction."""
    cache = session.info.setdefault("floors", {})
    key = (building_id, number)
    if key not in cache:
        found = session.exec(select(Floor.id).where(Floor.building_id == building_id, Floor.number == number)).first()
        if found is None:
            floor = Floor(building_id=building_id, number=number)
            session.add(floor)
            session.flush()
            found = floor.id
        cache[key] = found
    return cache[key]


def room_cancel_problem(room: Room) -> str:
    return "" if room.status == RoomStatus.VACANT else f"已是{room.status.label}状态"


# ---------------------------------------------------------------- unit types and fee items


def unit_type_problems(session: Session, values: dict) -> dict[str, str]:
    project = session.get(Project, values.get("project_id") or 0)
    if project is not None and project.kind != ProjectKind.CENTRALIZED:
        return {"project_id": "户型只用于集中式项目"}
    return {}


def fee_item_problems(values: dict) -> dict[str, str]:
    if str(values.get("name", "")).strip() in RENT_WORDS:
        return {"name": "租金不是费项：请在房间上设置月租金"}
    return {}
