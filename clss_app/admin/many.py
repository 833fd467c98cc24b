"""Many-to-many fields: a row's links to other rows through a link table.

    class UserAdmin(ModelAdmin, model=User, key="users"):
        many = {"projects": Many(UserProject, "user_id", "project_id", "负责项目")}
        form = [..., "projects"]

The field is edited as a list of chips with a searchable picker (the
target's data scope applies, as for a foreign key), saved in the same
transaction as the row, shown joined in lists and details, and audited
with the row's other changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from clss_app.admin.fields import FieldSpec, column, label_attr, model_for_table, table_of

if TYPE_CHECKING:
    from clss_app.admin.view import ModelAdmin

MAX_CHOSEN = 1_000  # links of one row in one field (a master lease of a whole building)


@dataclass(frozen=True)
class Many:
    link: type[SQLModel]
    owner: str  # link column pointing at the admin's row
    target: str  # link column pointing at the chosen rows
    label: str
    required: bool = False
    help: str = ""

    def problems(self) -> list[str]:
        """What is wrong with the declaration (see checks.py): its link table must hold both columns,
        the target one a foreign key."""
        columns = table_of(self.link).c
        out = [f"{self.link.__name__} has no column {c!r}" for c in (self.owner, self.target) if c not in columns]
        if not out and not columns[self.target].foreign_keys:
            out.append(f"{self.link.__name__}.{self.target} is not a foreign key")
        return out

    def valid(self) -> bool:
        return not self.problems()

    def target_model(self) -> type[SQLModel]:
        fk = next(iter(table_of(self.link).c[self.target].foreign_keys))
        found = model_for_table(fk.column.table.name) if isinstance(fk.column.table, sa.Table) else None
        assert found is not None, self
        return found

    def spec(self, name: str) -> FieldSpec:
        return FieldSpec(
            name=name,
            label=self.label,
            kind="many",
            required=self.required,
            help=self.help,
            fk_model=self.target_model(),
            sortable=False,
            many=self,
        )


def names_of(admin: type[ModelAdmin], names: Iterable[str]) -> list[str]:
    return [n for n in names if admin.fields[n].kind == "many"]


def _many(admin: type[ModelAdmin], name: str) -> Many:
    m = admin.fields[name].many
    assert m is not None, (admin, name)
    return m


def load(
    session: Session, admin: type[ModelAdmin], row_ids: Iterable[int | None], names: Iterable[str]
) -> dict[str, dict[int, list[tuple[int, str]]]]:
    """{field: {row id: [(target id, label), ...]}} for the given rows, two queries a field."""
    out: dict[str, dict[int, list[tuple[int, str]]]] = {}
    ids = [i for i in row_ids if i is not None]
    for name in names_of(admin, names):
        m = _many(admin, name)
        target = m.target_model()
        owner, tcol, tid = column(m.link, m.owner), column(m.link, m.target), column(target, "id")
        lbl = column(target, label_attr(target))
        pairs = (
            session.exec(select(owner, tid, lbl).join(target, tid == tcol).where(owner.in_(ids)).order_by(lbl)).all()
            if ids
            else []
        )
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for row_id, target_id, label in pairs:
            found[row_id].append((target_id, str(label)))
        out[name] = found
    return out


def save(session: Session, admin: type[ModelAdmin], row_id: int, values: dict[str, list[int]]) -> None:
    """Replace the row's links for each field given."""
    for name, ids in values.items():
        m = _many(admin, name)
        session.execute(sa.delete(m.link).where(column(m.link, m.owner) == row_id))
        if ids:
            session.execute(sa.insert(m.link), [{m.owner: row_id, m.target: i} for i in ids])


def split(raw: Any) -> list[str]:
    """Ids from a form ("3,5") or names from a sheet ("A、B")."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return [str(x).strip() for x in raw if str(x).strip()]
    text = str(raw).replace("、", ",").replace("，", ",").replace(";", ",")
    return list(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
