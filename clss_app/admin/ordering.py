"""Hand-ordered rows (banners in a carousel): a new row goes last in its group; 上移 / 下移 swap it
with its neighbour in the same group.

Declared on an admin as ``ordering = Ordering("sort_order", within=("group", "city"))``: the column
holding the position and the columns whose values make a group. The site adds the two actions.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from clss_app.admin.fields import column
from clss_app.admin.view import Action, ActionContext, ActionFn, ActionResult, ModelAdmin, Ordering


def _ordering(admin: type[ModelAdmin]) -> Ordering:
    assert admin.ordering is not None, admin
    return admin.ordering


def _group(admin: type[ModelAdmin], values: Any) -> list[ColumnElement[bool]]:
    get = values.get if isinstance(values, dict) else lambda c: getattr(values, c)
    return [column(admin.model, c) == get(c) for c in _ordering(admin).within]


def next_position(session: Session, admin: type[ModelAdmin], values: dict[str, Any]) -> int:
    position = column(admin.model, _ordering(admin).column)
    return int(session.exec(select(sa.func.max(position)).where(*_group(admin, values))).one() or 0) + 1


def movers(admin: type[ModelAdmin]) -> list[Action]:
    """上移 / 下移, for whoever may edit the rows."""
    return [
        Action(f"move_{d}", label, move(admin, step), admin.can_update)
        for d, label, step in (("up", "上移", -1), ("down", "下移", 1))
    ]


def move(admin: type[ModelAdmin], step: int) -> ActionFn:
    """The action function moving one row a place up (step -1) or down (+1) in its group."""

    def run(ctx: ActionContext) -> ActionResult:
        session, p, rows = ctx.session, ctx.principal, ctx.rows
        result = ActionResult()
        if len(rows) != 1:
            result.refused += [(admin.row_label(r), "请只选择一条记录来调整顺序") for r in rows]
            return result
        row, field = rows[0], _ordering(admin).column
        model = admin.model
        position, pk = column(model, field), column(model, "id")
        here = getattr(row, field)
        nearer = position < here if step < 0 else position > here
        where = [*_group(admin, row), nearer]
        if admin.scope:
            where.append(admin.scope.clause(p, model))
        other: Any = session.exec(
            select(model).where(*where).order_by(position.desc() if step < 0 else position.asc()).limit(1)
        ).first()
        if other is None:
            result.refused.append((admin.row_label(row), "已在最前" if step < 0 else "已在最后"))
            return result
        theirs = getattr(other, field)
        bump = {"version": column(model, "version") + 1} if "version" in admin.fields else {}
        for target, value in ((row, theirs), (other, here)):
            session.execute(
                sa.update(model)
                .where(pk == target.id)
                .values({field: value, **bump})
                .execution_options(synchronize_session=False)
            )
        result.done = 1
        return result

    return run
