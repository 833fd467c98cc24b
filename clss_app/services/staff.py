"""Staff account rules: unlocking, resetting passwords, who may hold which role."""

from __future__ import annotations

import secrets
import string

from sqlmodel import Session, select

from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import saved_id
from clss_app.services import auth, throttle
from clss_app.services.permissions import Principal
from models import PROJECT_BOUND_ROLES, ROLE_UNIT_KIND, DataScope, OrgUnit, Project, Role


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(10))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def role_problems(session: Session, p: Principal, role: Role | None, unit_id: int | None) -> dict[str, str]:
    """Where a role may sit, and who may hand it out."""
    errors = {}
    if role == Role.SUPER_ADMIN and p.role != Role.SUPER_ADMIN:
        errors["role"] = "只有超级管理员可以设置超级管理员"
    unit = session.get(OrgUnit, unit_id) if unit_id else None
    if role is not None and unit is not None and unit.kind != ROLE_UNIT_KIND[role]:
        errors["org_unit_id"] = f"{role.label}应设在{ROLE_UNIT_KIND[role].label}，{unit.name}是{unit.kind.label}"
    return errors


def assignment_problems(session: Session, values: dict) -> dict[str, str]:
    """A 自定义 scope needs its units; store staff need projects of their own company."""
    errors = {}
    if values.get("data_scope") == DataScope.CUSTOM and not values.get("scope_units"):
        errors["scope_units"] = "数据权限为自定义时，须至少选择一个机构"
    role, projects = values.get("role"), values.get("projects") or []
    if role in PROJECT_BOUND_ROLES:
        if not projects:
            errors["projects"] = f"{role.label}须至少负责一个项目"
        for project in session.exec(select(Project).where(Project.id.in_(projects))).all():
            if project.company_id != values.get("org_unit_id"):
                errors["projects"] = f"项目“{project.name}”不属于该员工的所属机构"
                break
    return errors


def drop_unused_assignments(values: dict, role: Role | None, data_scope: DataScope | None) -> None:
    """Switching away from 自定义 or from a store role clears what no longer applies."""
    if "scope_units" in values and data_scope != DataScope.CUSTOM:
        values["scope_units"] = []
    if "projects" in values and role not in PROJECT_BOUND_ROLES:
        values["projects"] = []


def unlock(ctx: ActionContext) -> ActionResult:
    """Lift a lock and the login counters that make a user wait (the engine checked role and scope)."""
    session, p, users = ctx.session, ctx.principal, ctx.rows
    result = ActionResult()
    locked = auth.is_locked(session, users)
    for u in users:
        if u.id not in locked:
            result.refused.append((u.username, "未被锁定"))
            continue
        auth.unlock(session, u, by=p.username)
        result.done += 1
    return result


def reset_password(ctx: ActionContext) -> ActionResult:
    """New random password per user, shown once; their sessions end."""
    session, p, users = ctx.session, ctx.principal, ctx.rows
    result = ActionResult()
    notes = []
    for u in users:
        if u.id == p.user_id:
            result.refused.append((u.username, "不能重置自己的密码"))
            continue
        pw = temporary_password()
        u.password_hash = auth.hash_password(pw)
        u.locked_until = None
        session.add(u)
        throttle.clear(session, u.username)
        auth.revoke_all_sessions(session, saved_id(u))
        notes.append(f"{u.username} 的新密码：{pw}")
        result.done += 1
    result.notes = notes
    return result
