"""Hand-ordered rows (banners in a carousel): a new row goes last in its group; 上移 / 下移 swap it
with its neighbour in the same group.

Declared on an admin as ``ordering = ("sort_order", ("group", "city"))``: the column holding the
position and the columns whose values make a group.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.admin.view import ActionResult
from clss_app.services.permissions import Principal, scope_clause


def _group(admin, values) -> list:
    _, within = admin.ordering
    get = values.get if isinstance(values, dict) else lambda c: getattr(values, c)
    return [getattr(admin.model, c) == get(c) for c in within]


def next_position(session: Session, admin, values: dict) -> int:
    column = getattr(admin.model, admin.ordering[0])
    return (session.exec(select(sa.func.max(column)).where(*_group(admin, values))).one() or 0) + 1


def move(admin, step: int):
    """The action function moving one row a place up (step -1) or down (+1) in its group."""

    def run(session: Session, p: Principal, rows: list) -> ActionResult:
        result = ActionResult()
        if len(rows) != 1:
            result.refused += [(admin.row_label(r), "请只选择一条记录来调整顺序") for r in rows]
            return result
        row, field = rows[0], admin.ordering[0]
        column, model = getattr(admin.model, field), admin.model
        here = getattr(row, field)
        nearer = column < here if step < 0 else column > here
        where = _group(admin, row) + [nearer]
        if admin.scope:
            where.append(scope_clause(p, getattr(model, admin.scope[0]), by=admin.scope[1]))
        other = session.exec(
            select(model).where(*where).order_by(column.desc() if step < 0 else column.asc()).limit(1)
        ).first()
        if other is None:
            result.refused.append((admin.row_label(row), "已在最前" if step < 0 else "已在最后"))
            return result
        theirs = getattr(other, field)
        for target, value in ((row, theirs), (other, here)):
            session.execute(
                sa.update(model)
                .where(model.id == target.id)
                .values({field: value, **({"version": model.version + 1} if "version" in admin.fields else {})})
                .execution_options(synchronize_session=False)
            )
        result.done = 1
        return result

    return run
