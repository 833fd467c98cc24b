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
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from clss_app.admin.fields import FieldSpec, label_attr, model_for_table

MAX_CHOSEN = 1_000  # links of one row in one field (a master lease of a whole building)


@dataclass(frozen=True)
class Many:
    link: type[SQLModel]
    owner: str  # link column pointing at the admin's row
    target: str  # link column pointing at the chosen rows
    label: str
    required: bool = False
    help: str = ""

    def target_model(self) -> type[SQLModel]:
        column = self.link.__table__.c[self.target]
        return model_for_table(next(iter(column.foreign_keys)).column.table.name)

    def spec(self, name: str) -> FieldSpec:
        return FieldSpec(
            name=name,
            label=self.label,
            kind="many",
            required=self.required,
            help=self.help,
            fk_model=self.target_model(),
            sortable=False,
            extra={"many": self},
        )


def names_of(admin, names) -> list[str]:
    return [n for n in names if admin.fields[n].kind == "many"]


def load(session: Session, admin, row_ids, names) -> dict[str, dict[int, list[tuple[int, str]]]]:
    """{field: {row id: [(target id, label), ...]}} for the given rows, two queries a field."""
    out: dict[str, dict[int, list[tuple[int, str]]]] = {}
    row_ids = [i for i in row_ids if i is not None]
    for name in names_of(admin, names):
        m: Many = admin.fields[name].extra["many"]
        target = m.target_model()
        owner, tcol = getattr(m.link, m.owner), getattr(m.link, m.target)
        lbl = getattr(target, label_attr(target))
        pairs = (
            session.exec(
                select(owner, target.id, lbl).join(target, target.id == tcol).where(owner.in_(row_ids)).order_by(lbl)
            ).all()
            if row_ids
            else []
        )
        found: dict[int, list] = defaultdict(list)
        for row_id, tid, label in pairs:
            found[row_id].append((tid, str(label)))
        out[name] = found
    return out


def save(session: Session, admin, row_id: int, values: dict[str, list[int]]) -> None:
    """Replace the row's links for each field given."""
    for name, ids in values.items():
        m: Many = admin.fields[name].extra["many"]
        session.execute(sa.delete(m.link).where(getattr(m.link, m.owner) == row_id))
        if ids:
            session.execute(sa.insert(m.link), [{m.owner: row_id, m.target: i} for i in ids])


def split(raw) -> list[str]:
    """Ids from a form ("3,5") or names from a sheet ("A、B")."""
    if raw is None:
        return []
    if isinstance(raw, (list, tuple)):
        return [str(x).strip() for x in raw if str(x).strip()]
    text = str(raw).replace("、", ",").replace("，", ",").replace(";", ",")
    return list(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
