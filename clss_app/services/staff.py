"""Staff accounts as system admins see them: list within scope, unlock."""
from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.services.permissions import (VIEW, Forbidden, Principal, grant, require,
                                           require_row, scope_clause)
from models import OrgUnit, Role, User, utcnow

RESOURCE = "users"
UNLOCK = "unlock"
grant(RESOURCE, UNLOCK, {Role.SUPER_ADMIN, Role.SYSTEM_ADMIN})


def list_staff(session: Session, p: Principal | None, keyword: str = "",
               page: int = 1, page_size: int = 20) -> tuple[list[dict], int]:
    p = require(p, VIEW, RESOURCE)
    cond = [scope_clause(p, User.org_unit_id, by="unit")]
    keyword = keyword.strip()[:32]
    if keyword:
        like = f"%{keyword}%"
        cond.append(sa.or_(User.username.like(like), User.display_name.like(like),
                           User.phone.like(like)))
    total = session.exec(select(sa.func.count()).select_from(User).where(*cond)).one()
    now = utcnow()
    rows = session.exec(
        select(User, OrgUnit.name).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(*cond).order_by(User.id)
        .offset((max(page, 1) - 1) * page_size).limit(page_size)).all()
    out = [{
        "id": u.id, "username": u.username, "display_name": u.display_name,
        "role": u.role.label, "unit": unit, "scope": u.data_scope.label,
        "active": "启用" if u.is_active else "停用",
        "locked": bool(u.locked_until and u.locked_until > now),
    } for u, unit in rows]
    return out, total


def unlock_user(session: Session, p: Principal | None, user_id: int) -> str:
    """Clear a lock-out; only for accounts inside the admin's scope."""
    require(p, UNLOCK, RESOURCE)
    user = session.get(User, user_id)
    if user is None:
        raise Forbidden("该员工不存在")
    require_row(p, UNLOCK, RESOURCE, unit_id=user.org_unit_id)
    user.locked_until = None
    user.failed_logins = 0
    session.add(user)
    return f"已解锁 {user.display_name}（{user.username}）"
