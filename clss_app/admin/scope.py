"""Scope: which rows of a model a user may see, declared once and used by every query and row check."""

from __future__ import annotations

from typing import Literal, NamedTuple

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel

from clss_app.admin.fields import column
from clss_app.services.permissions import Principal, in_scope, scope_clause

ScopeBy = Literal["unit", "project"]


class Scope(NamedTuple):
    """The rows whose ``column`` holds a unit (``by="unit"``) or a project inside the user's data scope.

    The one judge of both the list query (``clause``) and a single row (``allows``)."""

    column: str
    by: ScopeBy

    @classmethod
    def project(cls, column: str) -> Scope:
        return cls(column, "project")

    @classmethod
    def unit(cls, column: str) -> Scope:
        return cls(column, "unit")

    def clause(self, p: Principal, model: type[SQLModel]) -> ColumnElement[bool]:
        return scope_clause(p, column(model, self.column), by=self.by)

    def allows(self, p: Principal, value: int | None) -> bool:
        """Is a row whose scope column holds ``value`` inside p's scope? (No value: only for the unrestricted.)"""
        if value is None:
            return (p.unit_ids if self.by == "unit" else p.project_ids) is None
        return in_scope(p, unit_id=value) if self.by == "unit" else in_scope(p, project_id=value)
