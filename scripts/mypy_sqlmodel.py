"""A mypy plugin: a SQLModel table's column, read on the class, is a SQL column; a Reflex state's
field, read on the class, is a Var; an ``@rx.event`` handler makes an EventSpec.

``User.id`` is an ``int | None`` on a row but an ``InstrumentedAttribute[int | None]`` on the class
(``User.id == 3`` is a SQL expression, ``User.id.in_(...)`` exists). SQLModel annotates fields for
rows only, so without this every query reads as wrong to mypy.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_STAR, ARG_STAR2, TypeInfo, Var
from mypy.plugin import AttributeContext, FunctionContext, Plugin
from mypy.types import AnyType, CallableType, Instance, Type, TypeOfAny, get_proper_type

COLUMN = "sqlalchemy.orm.attributes.InstrumentedAttribute"
EVENT = "reflex_base.event.EventNamespace"  # rx.event
EVENT_SPEC = "reflex_base.event.EventSpec"
STATE = "reflex.state.BaseState"
# The Var a state's field becomes when read on the class (in a component), by the field's Python type.
VARS = {
    "builtins.list": "reflex_base.vars.sequence.ArrayVar",
    "builtins.tuple": "reflex_base.vars.sequence.ArrayVar",
    "builtins.set": "reflex_base.vars.sequence.ArrayVar",
    "builtins.dict": "reflex_base.vars.object.ObjectVar",
    "builtins.str": "reflex_base.vars.sequence.StringVar",
    "builtins.bool": "reflex_base.vars.number.BooleanVar",
    "builtins.int": "reflex_base.vars.number.NumberVar",
    "builtins.float": "reflex_base.vars.number.NumberVar",
}


def _is_table(info: TypeInfo) -> bool:
    for base in info.mro:
        keywords = getattr(base.defn, "keywords", {})
        table = keywords.get("table")
        if table is not None and getattr(table, "fullname", "") == "builtins.True":
            return True
    return False


class SQLModelColumns(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return self._event if fullname == EVENT else None

    def _event(self, ctx: FunctionContext) -> Type:
        """``@rx.event`` returns an event callback (Reflex types it through a ``__new__`` that returns
        no instance of its class, which mypy cannot follow): one that takes any arguments, values or
        Vars, and gives the EventSpec a component or a handler returns."""
        func = get_proper_type(ctx.arg_types[0][0]) if ctx.arg_types and ctx.arg_types[0] else None
        spec = self.lookup_fully_qualified(EVENT_SPEC)
        if not isinstance(func, CallableType) or spec is None or not isinstance(spec.node, TypeInfo):
            return ctx.default_return_type
        anything = AnyType(TypeOfAny.explicit)
        return func.copy_modified(
            arg_types=[anything, anything],
            arg_kinds=[ARG_STAR, ARG_STAR2],
            arg_names=[None, None],
            ret_type=Instance(spec.node, []),
        )

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        return self._column

    def _column(self, ctx: AttributeContext) -> Type:
        owner = get_proper_type(ctx.type)
        info = getattr(owner, "type_object", lambda: None)() if hasattr(owner, "type_object") else None
        if isinstance(info, TypeInfo) and info.has_base(STATE):
            return self._state_var(ctx, info)
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

    def _state_var(self, ctx: AttributeContext, info: TypeInfo) -> Type:
        """A Reflex state's field read on its class is a Var of the field's type (what components use)."""
        name = getattr(ctx.context, "name", None)
        found = info.get(name) if name else None
        node = found.node if found else None
        if not isinstance(node, Var) or node.is_classvar or not name or name.startswith("_"):
            return ctx.default_attr_type
        value = get_proper_type(node.type)
        var_name = VARS.get(value.type.fullname) if isinstance(value, Instance) else None
        var = self.lookup_fully_qualified(var_name) if var_name else None  # other types: as declared
        if var is None or not isinstance(var.node, TypeInfo):
            return ctx.default_attr_type
        return Instance(var.node, [AnyType(TypeOfAny.explicit)] * len(var.node.defn.type_vars))


def plugin(version: str) -> type[Plugin]:
    return SQLModelColumns
