"""Small facts about rows and statements that the type checker cannot see by itself."""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, SQLModel


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table model's Core table (``Model.__table__``, which the type checker does not know)."""
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not a table")
    return table


def saved_id(row: _Row) -> int:
    """The id of a row read from the database or flushed (a table's id is None only before that)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


def changed(
    session: Session, statement: sa.Update | sa.Delete, params: dict[str, Any] | list[dict[str, Any]] | None = None
) -> int:
    """Run an UPDATE or DELETE (with the values of its bound parameters, or once per ``params`` row of a
    list); how many rows it changed (0: someone else changed them first)."""
    result = session.execute(statement, params)
    if not isinstance(result, sa.CursorResult):
        raise TypeError(f"{statement!r} gave no row count")
    return result.rowcount


def engine_of(session: Session) -> sa.Engine:
    """The engine a session is bound to (the app binds sessions to engines, never to connections)."""
    bind = session.get_bind()
    if not isinstance(bind, sa.Engine):
        raise TypeError(f"session bound to {bind!r}, not an engine")
    return bind
