"""A mypy plugin: a SQLModel table's column, read on the class, is a SQL column.

``User.id`` is an ``int | None`` on a row but an ``InstrumentedAttribute[int | None]`` on the class
(``User.id == 3`` is a SQL expression, ``User.id.in_(...)`` exists). SQLModel annotates fields for
rows only, so without this every query reads as wrong to mypy.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import TypeInfo, Var
from mypy.plugin import AttributeContext, Plugin
from mypy.types import Instance, Type, get_proper_type

COLUMN = "sqlalchemy.orm.attributes.InstrumentedAttribute"


def _is_table(info: TypeInfo) -> bool:
    for base in info.mro:
        keywords = getattr(base.defn, "keywords", {})
        table = keywords.get("table")
        if table is not None and getattr(table, "fullname", "") == "builtins.True":
            return True
    return False


class SQLModelColumns(Plugin):
    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        return self._column

    def _column(self, ctx: AttributeContext) -> Type:
        owner = get_proper_type(ctx.type)
        info = getattr(owner, "type_object", lambda: None)() if hasattr(owner, "type_object") else None
        if not isinstance(info, TypeInfo) or not _is_table(info):
            return ctx.default_attr_type
        name = ctx.context.name if hasattr(ctx.context, "name") else None
        node = info.get(name).node if name and info.get(name) else None
        if not isinstance(node, Var) or node.is_classvar or name.startswith("_"):
            return ctx.default_attr_type
        column = self.lookup_fully_qualified(COLUMN)
        if column is None or not isinstance(column.node, TypeInfo):
            return ctx.default_attr_type
        return Instance(column.node, [ctx.default_attr_type])


def plugin(version: str) -> type[Plugin]:
    return SQLModelColumns
