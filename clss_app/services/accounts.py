"""Creating staff accounts (CLI and demo data; the engine's forms come later)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from clss_app.core.rows import saved_id
from clss_app.services.auth import USERNAME_MAX, hash_password, password_problem
from models import ROLE_UNIT_KIND, OrgUnit, Role, User


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str | Role,
    unit_name: str = "",
    unit_id: int | None = None,
) -> User:
    """Create one account; raises ValueError with a Chinese reason."""
    username = username.strip()
    if not username or len(username) > USERNAME_MAX:
        raise ValueError(f"登录名不能为空且不超过 {USERNAME_MAX} 个字符")
    if not display_name.strip() or len(display_name) > 32:
        raise ValueError("姓名不能为空且不超过 32 个字符")
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    try:
        role = Role(role)
    except ValueError:
        raise ValueError(f"未知角色 {role}，可选：" + "、".join(r.value for r in Role)) from None
    if session.exec(select(User).where(User.username == username)).first():
        raise ValueError(f"登录名 {username} 已存在")
    if unit_id is not None:
        unit = session.get(OrgUnit, unit_id)
    elif unit_name:
        unit = session.exec(select(OrgUnit).where(OrgUnit.name == unit_name)).first()
    else:
        unit = session.exec(select(OrgUnit).where(OrgUnit.parent_id.is_(None))).first()
    if unit is None:
        raise ValueError("找不到所属机构" + (f"：{unit_name}" if unit_name else "，请先生成组织机构"))
    if unit.kind != ROLE_UNIT_KIND[role]:
        raise ValueError(f"{role.label}应设在{ROLE_UNIT_KIND[role].label}，而 {unit.name} 是{unit.kind.label}")
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        org_unit_id=saved_id(unit),
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def staff_names(session: Session, ids: Iterable[int | None] = (), logins: Iterable[str] = ()) -> dict[int | str, str]:
    """People by name: {user id: 姓名} and {login: 姓名} of the given staff, in at most two queries.
    A login that no longer exists keeps reading as itself."""
    wanted_ids, wanted_logins = {i for i in ids if i}, {n for n in logins if n}
    out: dict[int | str, str] = {n: n for n in wanted_logins}
    if wanted_ids:
        for uid, name in session.exec(select(User.id, User.display_name).where(col(User.id).in_(wanted_ids))).all():
            out[int(uid or 0)] = name
    if wanted_logins:
        query = select(User.username, User.display_name).where(col(User.username).in_(wanted_logins))
        out.update(session.exec(query).all())
    return out
