"""Start-up checks of every declaration, as Django's system checks do.

``AdminSite.finalize()`` runs them and refuses to go on if any fails; ``python -m clss_app.manage
check`` prints them, one line a problem, naming the admin, the option and the bad value:

    RoomAdmin.filters: `projcet`: no such field on Room; did you mean `project_id`?

A typo in a declaration is thus an error at start-up, never a silent fallback at run time (a scope
that widens, a column that vanishes, a role set that grants nobody).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clss_app.admin import search
from clss_app.admin.fields import FieldSpec, infer_fields
from clss_app.admin.many import Many
from clss_app.admin.options import Count, Override, Sort
from clss_app.admin.scope import Scope
from clss_app.admin.view import Action, Link, ModelAdmin, Ordering
from models import Role

if TYPE_CHECKING:
    from clss_app.admin.site import AdminSite

NAME_LISTS = ("list_columns", "search", "filters", "form", "import_form", "detail")
ROLE_OPTIONS = ("can_create", "can_update", "can_delete", "can_export", "can_import")
SEARCHABLE = search.SEARCHABLE


@dataclass(frozen=True)
class Problem:
    where: str  # the admin (or dashboard, or "site")
    option: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}.{self.option}: {self.message}"


def _q(value: object) -> str:
    return f"`{value}`"


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {_q(close[0])}?" if close else ""


class _Checker:
    def __init__(self, admin: type[ModelAdmin]):
        self.admin = admin
        self.model = admin.model.__name__
        self.problems: list[Problem] = []

    def add(self, option: str, message: str) -> None:
        self.problems.append(Problem(self.admin.__name__, option, message))

    def names(self, option: str, value: object, known: Iterable[str], what: str = "field") -> list[str]:
        """The names in ``value`` (a list of strings) that are in ``known``; each other one is a problem."""
        known = list(known)
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            self.add(option, f"must be a list of field names, not {type(value).__name__} {value!r}")
            return []
        good = []
        for name in value:
            if not isinstance(name, str):
                self.add(option, f"{name!r} is not a field name")
            elif name not in known:
                self.add(option, f"{_q(name)}: no such {what} on {self.model}{_suggest(name, known)}")
            else:
                good.append(name)
        return good

    def roles(self, option: str, value: object) -> None:
        if isinstance(value, str) or not isinstance(value, (AbstractSet, list, tuple)):
            self.add(option, f"must be a set of Role, not {type(value).__name__} {value!r}")
            return
        for member in value:
            if not isinstance(member, Role):
                guess = _suggest(str(member), [r.value for r in Role] + [r.name for r in Role])
                self.add(option, f"{member!r} is not a Role{guess}")


def check_admin(admin: type[ModelAdmin]) -> list[Problem]:
    """Every option of one admin: its names, types and values."""
    c = _Checker(admin)
    fields = admin.fields
    columns = [n for n in fields if n not in admin.many]
    for option in NAME_LISTS:
        if option == "search":
            _check_search(c)
            continue
        c.names(option, getattr(admin, option), fields)
    if admin.sortable is not None:
        c.names("sortable", admin.sortable, columns, "column")
    _check_sort(c, columns)
    _check_scalars(c)
    _check_scopes(c)
    _check_overrides(c)
    _check_mappings(c, columns)
    _check_many(c)
    for option in ROLE_OPTIONS:
        c.roles(option, getattr(admin, option))
    _check_actions(c)
    _check_detail_groups(c)
    if admin.ordering is not None:
        if not isinstance(admin.ordering, Ordering):
            c.add("ordering", f"must be Ordering(column, within=(...)), not {admin.ordering!r}")
        else:
            c.names("ordering", [admin.ordering.column, *admin.ordering.within], columns, "column")
    return c.problems


def _check_search(c: _Checker) -> None:
    """Own text fields, or paths through foreign keys to a related model's text field (search.py)."""
    value, fields = c.admin.search, c.admin.fields
    paths = [n for n in value if isinstance(n, str) and "." in n] if isinstance(value, (list, tuple)) else []
    found = c.names("search", [n for n in value if n not in paths] if paths else value, fields)
    for n in found:
        if fields[n].kind not in SEARCHABLE:
            c.add("search", f"{_q(n)}: a {fields[n].kind} field cannot be searched (only text)")
    for n in paths:
        try:
            search.resolve(c.admin.model, n)
        except search.PathError as e:
            c.add("search", str(e))


def _check_detail_groups(c: _Checker) -> None:
    """Each group a title and detail fields; no field in two groups (it would show twice); the state field
    a choice field."""
    admin, groups = c.admin, c.admin.detail_groups
    if not isinstance(groups, Mapping):
        c.add("detail_groups", f"must be a dict {{title: [field, ...]}}, not {groups!r}")
        return
    seen: dict[str, str] = {}
    for title, names in groups.items():
        if not isinstance(title, str) or not title:
            c.add("detail_groups", f"{title!r}: a group's title must be a non-empty text")
        for n in c.names(f"detail_groups[{title!r}]", names, admin.fields):
            if n not in admin.detail:
                c.add(f"detail_groups[{title!r}]", f"{_q(n)}: not one of the detail's fields")
            elif n in seen:
                c.add(f"detail_groups[{title!r}]", f"{_q(n)}: already in the group {seen[n]!r}")
            else:
                seen[n] = title
    state = admin.state_field
    if state and (state not in admin.fields or admin.fields[state].kind != "enum"):
        choices = [n for n, spec in admin.fields.items() if spec.kind == "enum"]
        c.add("state_field", f"{_q(state)}: not a choice field of {c.model}{_suggest(state, choices)}")


def _check_sort(c: _Checker, columns: list[str]) -> None:
    sort = c.admin.default_sort
    if isinstance(sort, Sort):
        _check_sort_option(c, sort, columns)
    elif not isinstance(sort, str) or not sort:
        c.add("default_sort", f'must be a column name ("-name" for descending) or a Sort, not {sort!r}')
    else:
        _check_keys(c, "default_sort", (sort,), columns)


def _check_keys(c: _Checker, option: str, keys: object, columns: list[str]) -> None:
    for key in keys if isinstance(keys, tuple) else ():
        if not isinstance(key, str) or not key.lstrip("-"):
            c.add(option, f'must be column names ("-name" for descending), not {key!r}')
        elif key.lstrip("-") not in columns:
            c.add(option, f"{_q(key)}: no such column on {c.model}{_suggest(key.lstrip('-'), columns)}")


def _check_sort_option(c: _Checker, sort: Sort, columns: list[str]) -> None:
    if not sort.by:
        c.add("default_sort", "Sort(...) needs at least one column to order by")
    _check_keys(c, "default_sort", sort.by, columns)
    _check_keys(c, "default_sort.then", sort.then, columns)
    if sort.first is None:
        if sort.then:
            c.add("default_sort.then", "orders the rows after the first group: declare first={column: values} too")
        return
    name = sort.first_column
    if not name:
        c.add(
            "default_sort.first", f"must name one column and its values, {{column: (value, ...)}}, not {sort.first!r}"
        )
        return
    if name not in columns:
        c.add("default_sort.first", f"{_q(name)}: no such column on {c.model}{_suggest(name, columns)}")
        return
    spec, values = c.admin.fields[name], sort.first[name]
    if not values:
        c.add("default_sort.first", f"{_q(name)}: list the values whose rows come first")
    for value in values:
        if spec.enum is not None and not isinstance(value, spec.enum):
            name = spec.enum.__name__
            guess = _suggest(f"{name}.{str(value).upper()}", [f"{name}.{m.name}" for m in spec.enum])
            c.add("default_sort.first", f"{value!r} is not a {name}{guess}")


def _check_scalars(c: _Checker) -> None:
    a = c.admin
    if not isinstance(a.count, Count):
        c.add("count", f"must be Count.EXACT or Count.CAPPED, not {a.count!r}")
    if not isinstance(a.count_cap, int) or isinstance(a.count_cap, bool) or a.count_cap < 1:
        c.add("count_cap", f"must be a positive whole number, not {a.count_cap!r}")
    sizes = a.page_sizes
    if not isinstance(sizes, tuple) or not sizes or not all(isinstance(n, int) and 0 < n <= 500 for n in sizes):
        c.add("page_sizes", f"must be a tuple of page sizes between 1 and 500, not {sizes!r}")
    for option in ("picker_hint", "import_scene", "noun", "create_label"):
        if not isinstance(getattr(a, option), str):
            c.add(option, f"must be a string, not {getattr(a, option)!r}")
    if a.picker_hint and (a.picker_hint not in a.fields or a.fields[a.picker_hint].kind not in ("fk", "str")):
        c.add(
            "picker_hint",
            f"{_q(a.picker_hint)}: no such foreign key or text field on {c.model}{_suggest(a.picker_hint, a.fields)}",
        )
    if isinstance(a.noun, str) and a.noun and (a.noun != a.noun.strip() or a.noun.endswith(("管理", "列表"))):
        c.add("noun", f"{a.noun!r}: what one row is called (合同), not a page's name (合同列表)")
    if a.import_scene and "import_batch_id" not in a.model.model_fields:
        c.add("import_scene", f"{c.model} has no import_batch_id column to record its batches in")
    elif a.import_scene and "import_batch_id" not in a.filters:  # 导入批次管理's 查看 opens the list filtered on it
        c.add("import_scene", "import_batch_id must be one of its filters (a batch's 查看 lists its rows)")


def _check_scopes(c: _Checker) -> None:
    for option in ("scope", "scope_on_create"):
        scope = getattr(c.admin, option)
        if scope is None:
            continue
        if not isinstance(scope, Scope):
            c.add(option, f'must be Scope.project("column") or Scope.unit("column"), not {scope!r}')
        elif scope.by not in ("unit", "project"):
            c.add(option, f"{_q(scope.by)}: a scope is by unit or by project")
        elif scope.column not in c.admin.model.model_fields:
            known = c.admin.model.model_fields
            c.add(option, f"{_q(scope.column)}: no such field on {c.model}{_suggest(scope.column, known)}")


def _check_overrides(c: _Checker) -> None:
    admin = c.admin
    inferred: dict[str, FieldSpec] = {
        **infer_fields(admin.model),
        **{n: admin.fields[n] for n in admin.many if n in admin.fields},
    }
    if not isinstance(admin.fields_override, Mapping):
        c.add("fields_override", f"must be a dict {{field: override}}, not {admin.fields_override!r}")
        return
    for name, value in admin.fields_override.items():
        if name not in inferred:
            c.add("fields_override", f"{_q(name)}: no such field on {c.model}{_suggest(name, inferred)}")
            continue
        items = value if isinstance(value, tuple) else (value,)
        for o in items:
            if not isinstance(o, Override):
                c.add("fields_override", f"{_q(name)}: {o!r} is not a field override (Image(), Range(), Input(), ...)")
                continue
            kind = inferred[name].kind
            if o.applies_to and kind not in o.applies_to:
                c.add("fields_override", f"{_q(name)}: {type(o).__name__} does not apply to a {kind} field")
                continue
            for why in o.problems(admin.model, inferred[name]):
                c.add("fields_override", f"{_q(name)}: {why}")


def _check_mappings(c: _Checker, columns: list[str]) -> None:
    admin = c.admin
    for option in ("hidden_for", "readonly_for"):
        value = getattr(admin, option)
        if not isinstance(value, Mapping):
            c.add(option, f"must be a dict {{field: roles}}, not {value!r}")
            continue
        c.names(option, list(value), admin.fields)
        for name, roles in value.items():
            c.roles(f"{option}[{name!r}]", roles)
    c.names("primary_filters", admin.primary_filters, admin.filters, "filter")
    only = admin.only
    if not isinstance(only, Mapping):
        c.add("only", f"must be a dict {{column: (values, ...)}}, not {only!r}")
    else:
        c.names("only", list(only), columns, "column")
        for name, values in only.items():
            if not isinstance(values, tuple) or not values:
                c.add("only", f"{_q(name)}: must be a non-empty tuple of values, not {values!r}")
    for option in ("defaults", "import_defaults"):
        given = getattr(admin, option)
        if not isinstance(given, Mapping):
            c.add(option, f"must be a dict {{column: value}}, not {given!r}")
        else:
            c.names(option, list(given), columns, "column")
    for link in admin.links:
        if not isinstance(link, Link):
            c.add("links", f"must be Link(label, admin key, column), not {link!r}")


def _check_many(c: _Checker) -> None:
    if not isinstance(c.admin.many, Mapping):
        c.add("many", f"must be a dict {{field: Many(...)}}, not {c.admin.many!r}")
        return
    for name, m in c.admin.many.items():
        if not isinstance(m, Many):
            c.add("many", f"{_q(name)}: must be Many(link, owner, target, label), not {m!r}")
            continue
        if name in c.admin.model.model_fields:
            c.add("many", f"{_q(name)}: a column of {c.model} already has that name")
        for why in m.problems():
            c.add("many", f"{_q(name)}: {why}")


def _check_actions(c: _Checker) -> None:
    _check_when(c, "update_when", c.admin.update_when)
    seen: set[str] = set()
    if not isinstance(c.admin.actions, (list, tuple)):
        c.add("actions", f"must be a list of Action, not {c.admin.actions!r}")
        return
    for a in c.admin.actions:
        if not isinstance(a, Action):
            c.add("actions", f"{a!r} is not an Action")
            continue
        if a.name in seen:
            c.add("actions", f"{_q(a.name)}: two actions of {c.admin.key} have that name")
        seen.add(a.name)
        if not a.name.isidentifier():
            c.add("actions", f"{_q(a.name)}: an action's name is a Python identifier")
        if not callable(a.fn):
            c.add("actions", f"{_q(a.name)}: its function is not callable")
        c.roles(f"actions[{a.name!r}].roles", a.roles)
        for spec in a.inputs:
            if not isinstance(spec, FieldSpec):
                c.add("actions", f"{_q(a.name)}: input {spec!r} is not a field (use ask(...))")
        if not isinstance(a.primary, bool):
            c.add(f"actions[{a.name!r}].primary", f"must be True or False, not {a.primary!r}")
        _check_when(c, f"actions[{a.name!r}].when", a.when)


def _check_when(c: _Checker, option: str, when: Any) -> None:
    """``when`` (an action's, ``update_when``): real columns, each with a non-empty tuple of values of its
    type (an enum's members), and at least one row of the list (``only``) it may apply to."""
    if not isinstance(when, Mapping):
        c.add(option, f"must be a dict {{column: (values, ...)}}, not {when!r}")
        return
    columns = [n for n in c.admin.fields if n not in c.admin.many]
    for name, values in when.items():
        if not isinstance(name, str) or name not in columns:
            c.add(option, f"{_q(name)}: no such column on {c.model}{_suggest(str(name), columns)}")
            continue
        if not isinstance(values, tuple) or not values:
            c.add(option, f"{_q(name)}: must be a non-empty tuple of values, not {values!r}")
            continue
        enum = c.admin.fields[name].enum
        for value in values:
            if enum is not None and not isinstance(value, enum):
                guess = _suggest(f"{enum.__name__}.{str(value).upper()}", [f"{enum.__name__}.{m.name}" for m in enum])
                c.add(option, f"{_q(name)}: {value!r} is not a {enum.__name__}{guess}")
        shown = c.admin.only.get(name) if isinstance(c.admin.only, Mapping) else None
        if shown and not set(values) & set(shown):
            c.add(option, f"{_q(name)}: applies to no row of this list (it shows only {shown!r})")


def check_site(site: AdminSite) -> list[Problem]:
    """Every admin's options, and what ties them together: keys, links, menu entries, dashboards."""
    problems: list[Problem] = [*site.registration_problems]
    admins = site.admins()
    for admin in admins:
        problems += check_admin(admin)
        if site.menu and admin.key not in site.menu:
            problems.append(
                Problem(
                    admin.__name__,
                    "key",
                    f"{_q(admin.key)}: no menu entry has that key{_suggest(admin.key, site.menu)}",
                )
            )
        for link in admin.links:
            if isinstance(link, Link):
                problems += _link_problems(site, admin, link)
    for dash in site.dashboards():
        if site.menu and dash.key not in site.menu:
            problems.append(
                Problem(
                    dash.__name__, "key", f"{_q(dash.key)}: no menu entry has that key{_suggest(dash.key, site.menu)}"
                )
            )
    for resource, action, roles in site.extra_grants:
        problems += [
            Problem("site", f"grant({resource!r}, {action!r})", f"{m!r} is not a Role")
            for m in roles
            if not isinstance(m, Role)
        ]
    return problems


def _link_problems(site: AdminSite, admin: type[ModelAdmin], link: Link) -> list[Problem]:
    where = admin.__name__
    if link.admin_in:  # the row names its list: checked when the tab is made (no tab for an unknown key)
        if link.admin_in not in admin.fields or link.admin:
            return [
                Problem(
                    where,
                    "links",
                    f'{_q(link.admin_in)}: admin_in must be a field of {admin.model.__name__} and admin then ""',
                )
            ]
        return []
    if link.admin not in site:
        return [
            Problem(
                where,
                "links",
                f"{_q(link.admin)}: no admin has that key{_suggest(link.admin, [a.key for a in site.admins()])}",
            )
        ]
    target = site.admin(link.admin)
    if link.column not in target.fields:
        known = target.fields
        return [
            Problem(
                where,
                "links",
                f"{_q(link.column)}: no such field on {target.model.__name__}{_suggest(link.column, known)}",
            )
        ]
    if link.column not in target.filters:
        return [Problem(where, "links", f"{_q(link.column)}: {target.__name__} does not offer it as a filter")]
    if link.via is not None:
        if not (isinstance(link.via, tuple) and len(link.via) == 2):
            return [Problem(where, "links", f"{link.label}: via must be (admin key, column), not {link.via!r}")]
        key, col = link.via
        if key not in site:
            return [Problem(where, "links", f"{link.label}: via {_q(key)}: no admin has that key")]
        middle = site.admin(key)
        if col not in middle.filters:
            return [
                Problem(where, "links", f"{link.label}: via {_q(col)}: {middle.__name__} does not offer it as a filter")
            ]
        if target.fields[link.column].fk_model is not middle.model:
            return [Problem(where, "links", f"{_q(link.column)}: does not point at {middle.model.__name__}")]
    if link.totals is not None:
        if isinstance(link.totals, str) or not isinstance(link.totals, tuple):
            return [
                Problem(where, "links", f"{link.label}: totals must be a tuple of money columns, not {link.totals!r}")
            ]
        money = [n for n in target.list_columns if target.fields[n].kind == "money"]
        return [
            Problem(where, "links", f"{link.label}: totals {_q(n)}: not a money column of {target.__name__}'s list")
            for n in link.totals
            if n not in money
        ]
    return []
