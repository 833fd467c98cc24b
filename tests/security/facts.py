"""What the app's database says right now, for arguments naming real rows and for the strings that
must never come back: read when the suite starts (the Chromium tests before it changed the data),
through the app's own permission core, so "outside the scope" means what the app means by it.
"""

from __future__ import annotations

import re
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from clss_app.admin.fields import label_attr
from clss_app.services.permissions import can, load_principal
from clss_app.site import app_site
from models import Role, User
from tests.security.forge import Row

# Demo logins the suite uses (finance3/finance4 are not: the Chromium tests lock them on purpose).
ACCOUNTS = ("assistant", "manager", "multistore", "principal", "finance", "sysadmin", "super", "store2", "principal2")
OUTSIDER = "store2"  # 店长 of 燕园: the rows of 京安居 and every other company are outside its scope


def distinctive(text) -> bool:
    """Long or specific enough that finding it in an answer means that row's data was sent."""
    if not isinstance(text, str):
        return False
    text = text.strip()
    if re.fullmatch(r"#?\d{1,7}|[\d\-:. T]+|true|false", text):
        return False
    return len(re.findall(r"[\u4e00-\u9fff]", text)) >= 3 or len(text) >= 8


class DbFacts:
    def __init__(self, url: str):
        self.engine = sa.create_engine(url)
        self.models = {m.__tablename__: m for m in _table_models()}
        with Session(self.engine) as s:
            self.users = {u.username: u for u in s.exec(select(User).where(User.username.in_(ACCOUNTS)))}
            self.principals = {name: load_principal(s, u) for name, u in self.users.items()}
        self.outsider = self.principals[OUTSIDER]

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ accounts
    def account(self, roles_ok, usable=lambda name: True) -> str | None:
        """The first demo login whose role passes ``roles_ok`` (and ``usable``)."""
        for name in ACCOUNTS:
            p = self.principals.get(name)
            if p is not None and self.users[name].is_active and roles_ok(p.role) and usable(name):
                return name
        return None

    def identity(self, name: str | None) -> set[str]:
        """Strings a caller legitimately sees about itself on every page (name, unit, role)."""
        if name is None:
            return set()
        p = self.principals[name]
        return {p.display_name, p.unit_name, p.role.label, p.username}

    # ------------------------------------------------------------ rows
    @cache
    def any_id(self, table: str) -> int | None:
        model = self.models.get(table)
        if model is None or "id" not in model.model_fields:
            return None
        with Session(self.engine) as s:
            return s.exec(select(sa.func.min(model.id))).one()

    @cache
    def missing_id(self, table: str) -> int:
        model = self.models[table]
        with Session(self.engine) as s:
            return (s.exec(select(sa.func.max(model.id))).one() or 0) + 1_000_000

    def outside(self, table: str, where: dict | None = None, prefer: str = "") -> Row | None:
        return self._outside(table, tuple(sorted((k, tuple(v)) for k, v in (where or {}).items())), prefer)

    @cache
    def _outside(self, table: str, where: tuple, prefer: str) -> Row | None:
        model = self.models.get(table)
        admin = app_site().scoped_admin_for(model) if model is not None else None
        if admin is None or admin.scope is None:
            return None  # rows without a scope (city parameters, insurance products): nothing is outside
        inside = admin.scope.clause(self.outsider, model)
        stmt = select(model).where(sa.not_(inside))
        for name, values in where:
            stmt = stmt.where(getattr(model, name).in_([getattr(v, "value", v) for v in values]))
        with Session(self.engine) as s:
            row = None
            if prefer:
                # A stored reference that no row of the caller's holds: the demo's pictures are shared by
                # content hash, and one the caller's own row holds is no one else's to borrow.
                col = getattr(model, prefer)
                held = select(col).where(inside, col.is_not(None))
                row = s.exec(
                    stmt.where(col.is_not(None), col != "", col.not_in(held)).order_by(model.id).limit(1)
                ).first()
            fallback = row is None
            row = row or s.exec(stmt.order_by(model.id).limit(1)).first()
            if row is None:
                return None
            values = row.model_dump()
            if prefer and fallback:
                values[prefer] = None  # no reference of its own to borrow: the cases forge one
            return Row(row.id, self._canary(s, model, inside, label_attr(model), values), values)

    def _canary(self, s: Session, model, inside, attr: str, values: dict) -> str:
        """The row's label if no row inside the caller's scope has the same one."""
        label = values.get(attr)
        if not distinctive(label):
            return ""
        clash = s.exec(select(model.id).where(inside, getattr(model, attr) == label).limit(1)).first()
        return "" if clash is not None else str(label)

    @cache
    def inside(self, admin_key: str, name: str) -> int | None:
        """A row of that list inside the login's scope (in a state the list shows)."""
        admin, p = app_site().admin(admin_key), self.principals[name]
        stmt = select(admin.model.id)
        if admin.scope:
            stmt = stmt.where(admin.scope.clause(p, admin.model))
        for col, values in admin.only.items():
            stmt = stmt.where(getattr(admin.model, col).in_([getattr(v, "value", v) for v in values]))
        with Session(self.engine) as s:
            return s.exec(stmt.order_by(admin.model.id).limit(1)).first()

    @cache
    def canaries(self) -> frozenset[str]:
        """Labels of a few rows of every list: none may reach a caller without a session or the role."""
        out = set()
        with Session(self.engine) as s:
            for admin in app_site().admins():
                attr = label_attr(admin.model)
                if attr == "id":
                    continue
                for label in s.exec(select(getattr(admin.model, attr)).order_by(admin.model.id).limit(3)):
                    if distinctive(label):
                        out.add(str(label))
        return frozenset(out)

    def holds(self, key: str, row_id: int, name: str, value: str) -> bool:
        """Whether the list's row stores ``value`` in field ``name`` (a column, or a many-to-many link)."""
        admin = app_site().admin(key)
        with Session(self.engine) as s:
            if name in admin.many:
                m = admin.many[name]
                held = s.exec(select(getattr(m.link, m.target)).where(getattr(m.link, m.owner) == row_id)).all()
                return any(str(v) == value for v in held)
            stored = s.exec(select(getattr(admin.model, name)).where(admin.model.id == row_id)).first()
        stored = "" if stored is None else str(getattr(stored, "value", stored))
        return stored == value or value in stored.split(",")

    def own_tables(self, key: str) -> set[str]:
        """What saving a row of that list writes: the row's table and its many-to-many link tables."""
        admin = app_site().admin(key)
        return {admin.model.__tablename__, *(m.link.__tablename__ for m in admin.many.values())}

    @cache
    def size(self, admin) -> int:
        with Session(self.engine) as s:
            return s.exec(select(sa.func.count()).select_from(admin.model)).one()

    def may(self, name: str, action: str, key: str) -> bool:
        return can(self.principals[name], action, key)

    def role(self, name: str) -> Role:
        return self.principals[name].role


def _table_models() -> list[type[SQLModel]]:
    import models  # noqa: F401  (registers every table)

    seen, out = set(), []
    stack = list(SQLModel.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if getattr(cls, "__table__", None) is not None and cls.__tablename__ not in seen:
            seen.add(cls.__tablename__)
            out.append(cls)
    return out
