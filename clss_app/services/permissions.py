"""The permission core: who may do what, on which rows.

Everything that reads or writes data asks here: pages, the engine, services,
imports and exports. Two questions, answered on the server:

* ``require(p, action, resource)``: may this role do this action at all?
* ``scope_clause(p, column)`` / ``require_row(...)``: which rows are inside
  the user's data scope (本级及下级, 本级 or 自定义, and for store staff the
  projects assigned to them)?
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core.errors import Forbidden, NotLoggedIn
from clss_app.core.principal import Principal
from clss_app.core.rows import saved_id
from models import PROJECT_BOUND_ROLES, DataScope, OrgUnit, Project, Role, User, UserProject, UserScopeUnit

__all__ = ["Forbidden", "NotLoggedIn", "Principal"]  # where most callers have always found them

# A row outside the scope gets the answer of a missing one: an answer must not tell them apart.
NOT_FOUND = "记录不存在或无权访问"

VIEW, CREATE, UPDATE, DELETE, EXPORT, IMPORT = "view", "create", "update", "delete", "export", "import"
ACTION_LABELS = {VIEW: "查看", CREATE: "新增", UPDATE: "修改", DELETE: "删除", EXPORT: "导出", IMPORT: "导入"}


# ---------------------------------------------------------------- policies

_POLICY: dict[str, dict[str, frozenset[Role]]] = {}


def grant(resource: str, action: str, roles: Iterable[Role]) -> None:
    """Declare that ``roles`` may do ``action`` on ``resource`` (additive)."""
    actions = _POLICY.setdefault(resource, {})
    actions[action] = actions.get(action, frozenset()) | frozenset(roles)


def roles_for(resource: str, action: str) -> frozenset[Role]:
    return _POLICY.get(resource, {}).get(action, frozenset())


def can(p: Principal | None, action: str, resource: str) -> bool:
    return p is not None and p.role in roles_for(resource, action)


def require(p: Principal | None, action: str, resource: str) -> Principal:
    """Return the principal if allowed, else raise with a Chinese message."""
    if p is None:
        raise NotLoggedIn()
    if not can(p, action, resource):
        verb = ACTION_LABELS.get(action)  # a declared action ("action:approve") has no word here: said plainly
        raise Forbidden(f"您的角色（{p.role.label}）" + (f"无权{verb}此内容" if verb else "无权执行此操作"))
    return p


# ---------------------------------------------------------------- data scope


def _children_map(session: Session) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for uid, parent in session.exec(select(OrgUnit.id, OrgUnit.parent_id)).all():
        if uid is not None:  # always, for a stored row
            children.setdefault(parent, []).append(uid)
    return children


def _subtree(children: dict[int | None, list[int]], roots: Iterable[int]) -> set[int]:
    out: set[int] = set()
    stack = list(roots)
    while stack:
        u = stack.pop()
        if u in out:
            continue
        out.add(u)
        stack.extend(children.get(u, ()))
    return out


def load_principal(session: Session, user: User) -> Principal:
    """Resolve a user's role and data scope into concrete unit and project sets."""
    unit = session.get(OrgUnit, user.org_unit_id)
    children = _children_map(session)
    if user.data_scope == DataScope.SELF:
        unit_ids: set[int] | None = {user.org_unit_id}
    elif user.data_scope == DataScope.CUSTOM:
        chosen = session.exec(select(UserScopeUnit.unit_id).where(UserScopeUnit.user_id == user.id)).all()
        unit_ids = _subtree(children, chosen)
    else:
        unit_ids = _subtree(children, [user.org_unit_id])
        if unit is not None and unit.parent_id is None:
            unit_ids = None  # the root's subtree is everything: no filter at all

    project_ids: set[int] | None = None
    if unit_ids is not None:
        found = session.exec(select(Project.id).where(Project.company_id.in_(unit_ids))).all()
        project_ids = {i for i in found if i is not None}
    if user.role in PROJECT_BOUND_ROLES:
        assigned = set(session.exec(select(UserProject.project_id).where(UserProject.user_id == user.id)).all())
        project_ids = assigned if project_ids is None else project_ids & assigned

    return Principal(
        user_id=saved_id(user),
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit_id=user.org_unit_id,
        unit_name=unit.name if unit else "",
        unit_ids=None if unit_ids is None else frozenset(unit_ids),
        project_ids=None if project_ids is None else frozenset(project_ids),
    )


def scope_clause(p: Principal, column, by: str = "project"):
    """SQL condition limiting ``column`` (a unit or project id) to p's scope."""
    allowed = p.project_ids if by == "project" else p.unit_ids
    if allowed is None:
        return sa.true()
    if not allowed:
        return sa.false()
    return column.in_(sorted(allowed))


def in_scope(p: Principal, *, unit_id: int | None = None, project_id: int | None = None) -> bool:
    if project_id is not None:
        return p.project_ids is None or project_id in p.project_ids
    if unit_id is not None:
        return p.unit_ids is None or unit_id in p.unit_ids
    return False


def require_row(
    p: Principal | None, action: str, resource: str, *, unit_id: int | None = None, project_id: int | None = None
) -> Principal:
    """``require`` plus: the row (given by its unit or project) is in scope."""
    p = require(p, action, resource)
    if not in_scope(p, unit_id=unit_id, project_id=project_id):
        raise Forbidden(NOT_FOUND)
    return p
