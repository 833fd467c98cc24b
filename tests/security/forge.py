"""The forged events, generated from the app's registered states: every public event handler of every
state this project defines, with the arguments its signature declares, then wrong ones.

The handlers, their parameters, the pages they live on (the page guard's loaders), the field,
filter and action names an admin or dashboard declares, and the tables an id parameter points at
(``room_id`` → ``room``) are all read from the app. Handlers are named only where a protocol
spans several of them: the login page's own entry points (``OPEN``), how a selection is picked and
acted on (``SELECTION``, ``SELECTORS``), how a row is edited (``FORMS``) and which engine handler
exercises which permission (``permission_cases``). A new handler is covered as soon as it is
registered; one the generator cannot build arguments for fails ``test_generator`` with its name.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import reflex as rx

from clss_app.core import clock

PROJECT_MODULES = ("clss_app", "pages")
# The login page's own entry points: meant for anyone, so no role or session applies to them.
OPEN = {"AuthState.login", "AuthState.enter_login", "AuthState.logout"}
# The bell's 系统公告, on every page for every login: it answers each caller the notices addressed to them
# (role, company, branch, day: tests/unit/test_notices.py), not a page's rows; a role may not open 系统公告
# and still read the notices sent to it.
OPEN |= {"BellState.load_notices", "BellState.mark_notice_read"}
# The bell's 员工提醒 from the outbox, the same way: each caller gets and marks only their own messages
# (services/outbox.py staff_messages / mark_staff_read; tests/unit/test_outbox.py).
OPEN |= {"BellState.load_messages", "BellState.mark_message_read"}
SETVAR = "setvar"  # Reflex's generated setter of every state: set_<var_name>(value) by name, callable by anyone
FORGED = "__forged__"
BIG = "x" * 100_000
# What earlier events picked: a handler reading one of these acts on a selection (see covered_reader).
SELECTION_READERS = ("self.selected", "self.form_row_id", "self._detail_id", "self.all_matching")


class Unsupported(Exception):
    """The generator cannot build arguments for a handler (an unknown parameter type, *args)."""


# ---------------------------------------------------------------- the app's states and handlers


@dataclass(frozen=True)
class Param:
    name: str
    hint: Any
    required: bool


@dataclass(frozen=True)
class Handler:
    state: type
    name: str
    params: tuple[Param, ...]
    background: bool
    problem: str = ""  # why the generator cannot forge its arguments (reported by test_generator)

    @property
    def event(self) -> str:
        return f"{self.state.get_full_name()}.{self.name}"

    @property
    def qualname(self) -> str:
        return f"{self.state.__name__}.{self.name}"

    @property
    def open(self) -> bool:
        return self.qualname in OPEN

    def source(self) -> str:
        try:
            return inspect.getsource(getattr(self.state, self.name).fn if self.name != SETVAR else self.state.setvar.fn)
        except (OSError, TypeError):
            return ""


def _walk(state: type) -> Iterable[type]:
    yield state
    for sub in sorted(state.get_substates(), key=lambda s: s.get_full_name()):
        yield from _walk(sub)


def _ours(obj) -> bool:
    return (getattr(obj, "__module__", "") or "").split(".")[0] in PROJECT_MODULES


def project_states() -> list[type]:
    """Every rx.State subclass this project defines (imports the app, which registers them)."""
    import clss_app.clss_app  # noqa: F401

    return [s for s in _walk(rx.State) if _ours(s)]


def handlers(state: type) -> list[Handler]:
    """The state's public event handlers: its own and Reflex's setvar (skipped only if absent)."""
    out = []
    for name, h in state.event_handlers.items():
        if name != SETVAR and not _ours(h.fn):
            continue  # Reflex's own internals (hydrate, on_load) live on Reflex's states, not ours
        if name.startswith("_"):
            continue
        try:
            out.append(Handler(state, name, _params(h.fn), bool(h.is_background)))
        except Unsupported as exc:
            out.append(Handler(state, name, (), bool(h.is_background), problem=str(exc)))
    return out


def _params(fn) -> tuple[Param, ...]:
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:  # an annotation that does not resolve
        raise Unsupported(f"its type hints do not resolve ({exc})") from exc
    out = []
    for p in list(sig.parameters.values())[1:]:  # self
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise Unsupported(f"*{p.name} cannot be forged argument by argument")
        out.append(Param(p.name, hints.get(p.name, Any), p.default is inspect.Parameter.empty))
    return tuple(out)


def all_handlers() -> list[Handler]:
    return [h for s in project_states() for h in handlers(s)]


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    key: str
    route: str
    label: str
    primer: tuple[str, dict] | None  # the page's loader, as the guard sends it once the role may view


def _as_event(loader) -> tuple[str, dict, type]:
    if hasattr(loader, "handler"):  # an EventSpec: AdminState.load("rooms")
        args = {a._js_expr: getattr(b, "_var_value", None) for a, b in loader.args}
        return f"{loader.handler.state.get_full_name()}.{loader.handler.fn.__name__}", args, loader.handler.state
    return f"{loader.state.get_full_name()}.{loader.fn.__name__}", {}, loader.state


def pages() -> dict[str, Page]:
    from clss_app import menu
    from clss_app.admin.site import served

    project_states()
    out = {}
    for key, entry in menu.ENTRIES.items():
        loader = served().loader(key)
        primer = _as_event(loader)[:2] if loader is not None else None
        out[key] = Page(key, entry.route, entry.label, primer)
    return out


def pages_of(state: type) -> list[Page]:
    """The pages a state's handlers act on: those whose loader is its own or its nearest ancestor's
    (AdminIOState works on AdminState's lists); the root AuthState guards every page."""
    from clss_app import menu
    from clss_app.admin.site import served
    from clss_app.state import AuthState

    all_pages = pages()
    by_state: dict[type, list[str]] = {}
    for key, page in served().pages.items():
        if page.load is not None:
            by_state.setdefault(_as_event(page.load)[2], []).append(key)
    for s in state.__mro__:
        if s in by_state:
            return [all_pages[k] for k in by_state[s]]
        if s is AuthState:
            return [all_pages[k] for k in menu.ENTRIES]
    raise Unsupported(f"{state.__name__}: no page loads it and it does not stand on AuthState")


def states_on(page: Page) -> list[type]:
    return [s for s in project_states() if page.key in {p.key for p in pages_of(s)}]


# ---------------------------------------------------------------- what a page declares


class Facts(Protocol):
    """What the database says, for arguments that must name real rows (facts.DbFacts)."""

    def any_id(self, table: str) -> int | None: ...
    def outside(self, table: str, where: dict | None = None, prefer: str = "") -> Row | None:
        """A row outside the out-of-scope caller's scope, matching ``where`` ({column: allowed values});
        one whose column ``prefer`` is not empty if there is one."""

    def missing_id(self, table: str) -> int: ...


@dataclass
class Row:
    id: int
    label: str = ""
    values: dict = field(default_factory=dict)  # column -> stored value


def admin_of(page: Page):
    from clss_app.site import app_site

    return app_site().admin(page.key) if page.key in app_site() else None


def dashboard_of(page: Page):
    from clss_app.site import app_site

    return app_site().dashboard(page.key)


def table_of(model) -> str:
    return model.__tablename__


def _tables() -> dict[str, type]:
    from sqlmodel import SQLModel

    import models  # noqa: F401

    return {t.name: t for t in SQLModel.metadata.sorted_tables}


def model_table(name: str, page: Page) -> str | None:
    """The table a parameter or field name points at: an admin's foreign key, ``row_id`` of an
    admin page, ``<table>_id`` or ``<table>`` itself (the dashboard's ``project`` filter)."""
    admin = admin_of(page)
    if admin is not None:
        if name == "row_id":
            return table_of(admin.model)
        spec = admin.fields.get(name)
        if spec is not None and spec.kind in ("fk", "many"):
            return table_of(spec.fk_model)
    base = name[:-3] if name.endswith("_id") else name
    return base if base in _tables() else None


def names_of(page: Page, state: type) -> list[str]:
    """Field, filter and action names the page declares: what a ``name`` parameter is about."""
    admin = admin_of(page)
    if admin is not None:
        kinds = {}
        for n, spec in admin.fields.items():
            kinds.setdefault(spec.kind, n)
        picks = [kinds.get(k) for k in ("file", "image", "images", "fk", "many")]
        picks += admin.filters[:1] + admin.sortable_fields()[:1] + [a.name for a in admin.actions[:1]] + ["__delete__"]
        return list(dict.fromkeys(n for n in picks if n))
    dash = dashboard_of(page)
    if dash is not None:
        return [f.key for f in dash.filters] or [""]
    return [""]


def setvar_names(state: type) -> list[str]:
    """What ``setvar`` reaches: every set_<x> handler by its var name, and a var without a setter."""
    names = [n[4:] for n in state.event_handlers if n.startswith("set_")]
    plain = [n for n in state.base_vars if not n.startswith("_") and f"set_{n}" not in state.event_handlers]
    return names + plain[:1]


# ---------------------------------------------------------------- arguments

TYPE_DEFAULTS = {str: "", int: 1, bool: False, dict: {}, list: [], float: 1.0}
# Plausible values by parameter name, where the type's empty default would stop a handler before
# it reads anything (a refusal must come from the role or scope check, not from an empty argument).
NAMED = {
    "size": "50",
    "page": 2,
    "search": "?page=2",
    "fmt": "csv",
    "text": "a",
    "label": "x",
    "item": "x",
    "status": "vacant",
    "mode": "batch",
    "target": "vacant",
    "which": "from",
    "city": "北京",
    "value": "1",
    "is_open": True,
    "points": [{"curveNumber": 0, "pointNumber": 0}],
    "form": {},
    "files": [],
}


def _base(hint):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _base(args[0]) if args else type(None)
    return origin or hint


def default_value(param: Param):
    if param.name in NAMED:
        return NAMED[param.name]
    base = _base(param.hint)
    if base is Any:
        return "1"
    if base in TYPE_DEFAULTS:
        return TYPE_DEFAULTS[base]
    raise Unsupported(f"parameter {param.name}: no value for type {param.hint!r}")


def valid_args(h: Handler, page: Page, facts: Facts, expand: bool = True) -> list[dict]:
    """Well-formed arguments: one set, or one per declared name the handler may be about."""
    if h.problem:
        raise Unsupported(h.problem)
    base: dict = {}
    for p in h.params:
        if p.name == "key":
            base[p.name] = page.key
        elif p.name == "row_id" or p.name.endswith("_id"):
            table = model_table(p.name, page)
            found = facts.any_id(table) if table else None
            base[p.name] = _like(p, found if found is not None else 1)
        else:
            base[p.name] = default_value(p)
    if h.name == SETVAR:
        names = setvar_names(h.state)
        return [{**base, "var_name": n} for n in (names if expand else names[:1])]
    if "name" in base:
        names = names_of(page, h.state)
        return [{**base, "name": n} for n in (names if expand else names[:1])]
    return [base]


def _like(p: Param, row_id: int):
    """An id as the parameter's type wants it (the page sends ids as strings or numbers)."""
    return row_id if _base(p.hint) is int else str(row_id)


# ---------------------------------------------------------------- cases


@dataclass
class Step:
    event: str
    payload: dict

    def describe(self) -> str:
        return f"{self.event.rsplit('.', 1)[-1]}({show(self.payload)})"


@dataclass
class Case:
    kind: str  # no_session | wrong_role | action_role | out_of_scope | wrong_type | odd_value
    handler: Handler
    steps: list[Step]
    note: str = ""
    pair: str = ""  # cases with the same pair key must answer alike (an out-of-scope id and a missing one)
    canaries: tuple[str, ...] = ()  # beyond the suite's: strings of this case's out-of-scope rows
    followup: Followup | None = None
    # (list key, row id, field, value): the caller's own row, saved with a forged value in ``field``;
    # the save may go through (the value ignored), but the value must not be stored.
    landing: tuple[str, int, str, str] | None = None

    def describe(self) -> str:
        chain = " → ".join(s.describe() for s in self.steps)
        return f"{self.handler.qualname} [{self.kind}{': ' + self.note if self.note else ''}] {chain}"


@dataclass
class Followup:
    """Steps sent after the case's own, depending on its answer: ``then`` if the dict var ``var``
    holds ``value`` under ``key`` (the form took a forged reference: now save it), else ``otherwise``."""

    var: str
    key: str
    value: str
    then: list[Step]
    otherwise: list[Step]

    def took(self, shown) -> bool:
        held = str((shown or {}).get(self.key, "")) if isinstance(shown, dict) else ""
        return held == self.value or self.value in held.split(",")


def show(value, limit: int = 80) -> str:
    if isinstance(value, str):
        if len(value) > 40 and len(set(value)) == 1:
            return f"'{value[0]}'×{len(value)}"
        return repr(value if len(value) <= limit else value[:limit] + "…")
    if isinstance(value, dict):
        return ", ".join(f"{k}={show(v)}" for k, v in value.items()) if value else ""
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


def step(h: Handler, payload: dict) -> Step:
    return Step(h.event, payload)


def plain_cases(kind: str, hs: list[Handler], page: Page, facts: Facts, expand: bool = True) -> list[Case]:
    """Each handler with well-formed arguments: for no session and for a role that may not use the page."""
    return [Case(kind, h, [step(h, args)]) for h in hs for args in valid_args(h, page, facts, expand)]


# ---------------------------------------------------------------- wrong types

POOL: list[tuple[str, Any]] = [
    ("int", 4242),
    ("negative int", -1),
    ("str", "abc"),
    ("numeric str", "-1"),
    ("big numeric str", "100000"),
    ("100 kB str", BIG),
    ("dict", {FORGED: "x"}),
    ("list", [FORGED]),
    ("None", None),
]


def conforms(value, hint) -> bool:
    """Whether ``value`` is what the hint declares, after Reflex's own coercion ("5" → 5 for int)."""
    from reflex_base.event.processor.base_state_processor import _transform_event_arg

    try:
        value = _transform_event_arg(value, hint)
    except Exception:
        return False
    return _isinstance(value, hint)


def _isinstance(v, hint) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_isinstance(v, a) for a in typing.get_args(hint))
    if hint is type(None):
        return v is None
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(v, list) and all(_isinstance(x, item) for x in v)
    if origin is dict:
        k, val = typing.get_args(hint) or (Any, Any)
        return isinstance(v, dict) and all(_isinstance(a, k) and _isinstance(b, val) for a, b in v.items())
    if hint in (int, float):
        return isinstance(v, (int, float) if hint is float else int) and not isinstance(v, bool)
    if isinstance(hint, type):
        return isinstance(v, hint)
    raise Unsupported(f"type {hint!r}")


def type_cases(hs: list[Handler], page: Page) -> list[Case]:
    """Every parameter with every value of the pool, then each one missing, then one too many.
    A value the declaration does not allow (or a missing or extra argument) is ``wrong_type``: the
    handler must answer with a message. One it allows but that is extreme (100 kB, -1, a junk dict)
    is ``odd_value``: any answer but an error."""
    out = []
    for h in hs:
        if h.problem:
            raise Unsupported(h.problem)
        base = {p.name: (page.key if p.name == "key" else _blank(p)) for p in h.params}
        for p in h.params:
            for label, value in POOL:
                if value == base[p.name]:
                    continue
                kind = "odd_value" if conforms(value, p.hint) else "wrong_type"
                out.append(Case(kind, h, [step(h, {**base, p.name: value})], note=f"{p.name}: {label}"))
            if p.required:
                out.append(
                    Case(
                        "wrong_type",
                        h,
                        [step(h, {k: v for k, v in base.items() if k != p.name})],
                        note=f"{p.name} missing",
                    )
                )
        out.append(Case("wrong_type", h, [step(h, {**base, FORGED: 1})], note="an extra argument"))
    return out


def _blank(p: Param):
    """The harmless well-formed value type cases keep in the other parameters: never a name or id
    that could make a fuzzed call act on something."""
    base = _base(p.hint)
    if base is Any:
        return ""
    if base not in TYPE_DEFAULTS:
        raise Unsupported(f"parameter {p.name}: no value for type {p.hint!r}")
    return 0 if base is int else TYPE_DEFAULTS[base]


# ---------------------------------------------------------------- out of scope


@dataclass(frozen=True)
class Flow:
    """How a state acts on a selection: pick with ``pick`` (the handler taking the id), then run
    ``then``, each (handler name, payload); ``{action}`` in a payload is filled per declared action."""

    pick: str
    then: tuple[tuple[str, dict], ...]
    per_action: bool = False
    before: tuple[tuple[str, dict], ...] = ()
    after: tuple[tuple[str, dict], ...] = ()
    status: str = ""  # the picked room's status, for handlers that take it


LOCK_FORM = {"kind_label": "普通锁定", "reason": "安全测试"}
# Handlers that pick from the page itself (the rows it lists, nothing): no forged id can reach them.
SELECTORS = {
    "AdminState": {"toggle_page", "select_all_matching", "clear_selection"},
    "WorkbenchState": {"select_all_shown", "clear_selection", "set_mode", "set_target"},
}
SELECTION: dict[str, list[Flow]] = {
    "AdminState": [
        Flow(
            "toggle_row",
            (("ask_action", {"name": "{action}"}), ("run_action", {"form": "{form}"})),
            per_action=True,
            after=(("clear_selection", {}),),
        ),
        # The detail header's action on the row it shows (an out-of-scope row never opens; the run checks again).
        Flow(
            "open_detail",
            (("ask_detail_action", {"name": "{action}"}), ("run_action", {"form": "{form}"})),
            per_action=True,
        ),
        Flow("open_detail", (("download_attachment", {"name": "{file}"}),)),
        Flow("open_detail", (("reveal_field", {"name": "{masked}"}),)),  # 查看完整信息 of a personal number
    ],
    "WorkbenchState": [
        Flow("ask_lock", (("lock", {"form": LOCK_FORM}),), status="vacant"),
        Flow(
            "click_tile",
            (("ask_lock", {"room_id": ""}), ("lock", {"form": LOCK_FORM})),
            status="vacant",
            before=(("set_mode", {"mode": "batch"}), ("set_target", {"target": "vacant"})),
            after=(("clear_selection", {}), ("set_mode", {"mode": "single"})),
        ),
        Flow(
            "click_tile",
            (("unlock", {"room_id": ""}),),
            status="locked",
            before=(("set_mode", {"mode": "batch"}), ("set_target", {"target": "locked"})),
            after=(("clear_selection", {}), ("set_mode", {"mode": "single"})),
        ),
    ],
}


def action_form(action) -> dict:
    """A confirm dialog filled in plausibly, so a refusal comes from the scope check, not from an empty field."""
    form = {"input": "安全测试"} if action is None or action.input_label else {}
    for spec in getattr(action, "inputs", ()):
        choices = spec.choices()
        form[spec.name] = (
            choices[0][0]
            if choices
            else {
                "int": "1",
                "money": "1",
                "decimal": "1",
                "date": clock.today().isoformat(),
                "datetime": f"{clock.today().isoformat()}T10:00",
                "bool": "true",
            }.get(spec.kind, "安全测试")
        )
    return form


@dataclass(frozen=True)
class Form:
    """How a state edits a row: open it, save it, close it, and the var holding what was typed."""

    open: str
    save: str
    close: str
    values_var: str


FORMS = {"AdminState": Form("open_edit", "save", "close_form", "form_values")}


def scope_cases(hs: list[Handler], page: Page, facts: Facts, edit_row: int | None) -> list[Case]:
    """Ids of rows outside the caller's scope (and, as a pair, an id no row has) sent to every
    handler taking one, then acted on by the handlers that use a selection; names of models
    ((name, value) handlers: filters, pickers, form fields) given such ids, and stored file
    references of such rows set into the caller's own form (an in-scope row opened for editing)
    and saved if the form took them."""
    by_name = {h.name: h for h in hs}
    out: list[Case] = []
    admin = admin_of(page)
    form = next((FORMS[s.__name__] for s in (hs[0].state.__mro__ if hs else ()) if s.__name__ in FORMS), None)

    def twin(note: str, h: Handler, build, table: str, prefer: str = "") -> None:
        """The same steps with an out-of-scope row's id and with a missing one: answered alike."""
        own = admin is not None and table == table_of(admin.model)  # the list's own rows: those it lists
        row = facts.outside(table, where=dict(admin.only) if own else None, prefer=prefer)
        if row is None:
            return
        for i, r, label in ((row.id, row, "another scope"), (facts.missing_id(table), None, "no such row")):
            steps, followup = build(i, r or Row(i))
            landing = (page.key, edit_row, followup.key, followup.value) if followup else None
            out.append(
                Case(
                    "out_of_scope",
                    h,
                    steps,
                    note=f"{note}: {table} #{i} ({label})",
                    pair=f"{h.qualname}|{note}",
                    canaries=(row.label,) if r else (),
                    followup=followup,
                    landing=landing,
                )
            )

    for h in hs:
        names = {p.name for p in h.params}
        for p in h.params:
            table = model_table(p.name, page) if (p.name == "row_id" or p.name.endswith("_id")) else None
            if table is not None:

                def build(i, _row, h=h, p=p):
                    return [step(h, {**valid_args(h, page, facts, expand=False)[0], p.name: _like(p, i)})], None

                twin(p.name, h, build, table)
        if {"name", "value"} <= names:
            fields = (
                [n for n, s in admin.fields.items() if s.kind in ("fk", "many", "file", "image", "images")]
                if admin is not None
                else []
            )
            for name in dict.fromkeys(names_of(page, h.state) + fields):
                spec = admin.fields.get(name) if admin is not None else None
                stored = name if spec is not None and spec.kind in ("file", "image", "images") else ""
                table = table_of(admin.model) if stored else model_table(name, page)
                if table is None:
                    continue

                def build(i, row, h=h, name=name, stored=stored):
                    value = str(row.values.get(stored) or f"forged-{i}") if stored else str(i)
                    forged = step(h, {**valid_args(h, page, facts, expand=False)[0], "name": name, "value": value})
                    if form is None or edit_row is None or form.open not in by_name:
                        return [forged], None
                    # In the caller's own form: saved only if the form took the value (a filter does not).
                    opened = step(by_name[form.open], {"row_id": str(edit_row)})
                    close = step(by_name[form.close], {})
                    return [opened, forged], Followup(
                        form.values_var, name, value, [step(by_name[form.save], {"form": {}}), close], [close]
                    )

                what = f"{name}=stored {stored} of" if stored else f"{name}=id of"
                twin(what, h, build, table, prefer=stored)
        # Searching a picker by a part of an out-of-scope row's name: its options must not list it.
        if {"name", "text"} <= names and admin is not None:
            for name, spec in admin.fields.items():
                if spec.kind not in ("fk", "many"):
                    continue
                row = facts.outside(table_of(spec.fk_model))
                if row is None or len(row.label) < 3:
                    continue
                out.append(
                    Case(
                        "out_of_scope",
                        h,
                        [step(h, {"name": name, "text": row.label[:2]})],
                        note=f"{name} picker searched for '{row.label[:2]}…' of {table_of(spec.fk_model)} "
                        f"#{row.id} (another scope)",
                        canaries=(row.label,),
                    )
                )
    for flow in SELECTION.get(hs[0].state.__name__, []) if hs else []:
        out += _flow_cases(flow, by_name, page, facts)
    return out


def _flow_cases(flow: Flow, by_name: dict[str, Handler], page: Page, facts: Facts) -> list[Case]:
    if flow.pick not in by_name:
        return []
    pick = by_name[flow.pick]
    admin = admin_of(page)
    id_param = next(p for p in pick.params if p.name == "row_id" or p.name.endswith("_id"))
    table = model_table(id_param.name, page)
    if table is None:
        return []
    actions = (
        [(a.name, a) for a in admin.actions] + [("__delete__", None)] if flow.per_action and admin else [("", None)]
    )
    file_field = next((n for n, spec in admin.fields.items() if spec.kind == "file"), None) if admin else None
    if any("{file}" in p.values() for _, p in flow.then) and file_field is None:
        return []
    masked_field = next((n for n, spec in admin.fields.items() if spec.mask), None) if admin else None
    if any("{masked}" in p.values() for _, p in flow.then) and masked_field is None:
        return []
    own = admin is not None and table == table_of(admin.model)
    row = facts.outside(table, where={"status": (flow.status,)} if flow.status else dict(admin.only) if own else None)
    if row is None:
        return []
    out = []
    for action_name, action in actions:
        for i, label, canaries in (
            (row.id, "another scope", (row.label,)),
            (facts.missing_id(table), "no such row", ()),
        ):

            def fill(payload: dict, action_name=action_name, action=action) -> dict:
                return {
                    k: (
                        action_name
                        if v == "{action}"
                        else action_form(action)
                        if v == "{form}"
                        else file_field
                        if v == "{file}"
                        else masked_field
                        if v == "{masked}"
                        else v
                    )
                    for k, v in payload.items()
                }

            pick_args = {**valid_args(pick, page, facts, expand=False)[0], id_param.name: _like(id_param, i)}
            if "status" in pick_args:
                pick_args["status"] = flow.status
            steps = [Step(by_name[n].event, fill(p)) for n, p in flow.before if n in by_name]
            steps.append(step(pick, pick_args))
            steps += [Step(by_name[n].event, fill(p)) for n, p in flow.then if n in by_name]
            steps += [Step(by_name[n].event, fill(p)) for n, p in flow.after if n in by_name]
            last = by_name[flow.then[-1][0]]
            what = f"{action_name} on " if action_name else ""
            out.append(
                Case(
                    "out_of_scope",
                    last,
                    steps,
                    note=f"{what}selected {table} #{i} ({label})",
                    pair=f"{flow.pick}|{flow.then}|{flow.status}|{action_name}",
                    canaries=canaries,
                )
            )
    return out


def reads_selection(h: Handler) -> bool:
    """A handler that reads what earlier events picked (the selection, the open row), not only sets it."""
    targets = re.compile(r"^\s*self\.\w+(\s*,\s*self\.\w+)*\s*=[^=]")
    for line in h.source().splitlines():
        if targets.match(line):
            line = line.split("=", 1)[1]  # an assignment: only its right-hand side reads
        if any(re.search(re.escape(r) + r"\b", line) for r in SELECTION_READERS):
            return True
    return False


def covered_reader(h: Handler) -> bool:
    """Whether the out-of-scope cases reach a selection-reading handler: it takes an id itself, or a
    selection flow calls it after picking one, or it is the form's save, or it only picks from the page."""
    names = {c.__name__ for c in h.state.__mro__}
    if any(p.name == "row_id" or p.name.endswith("_id") for p in h.params):
        return True
    in_flows = any(h.name in (f.pick, *(n for n, _ in f.then)) for s in names for f in SELECTION.get(s, []))
    return (
        in_flows
        or any(h.name == FORMS[s].save for s in names & set(FORMS))
        or any(h.name in SELECTORS.get(s, ()) for s in names)
    )


# ---------------------------------------------------------------- a role that may view but not act


def permission_cases(hs: list[Handler], page: Page, lacks: list[str], row_id: int | None) -> list[Case]:
    """What a role may not do on a list it may view, forged anyway: the engine's handler for each
    permission (create, update, delete, export, import and every declared action)."""
    by_name = {h.name: h for h in hs}
    admin = admin_of(page)
    out = []

    def add(perm: str, *calls: tuple[str, dict]) -> None:
        if all(n in by_name for n, _ in calls):
            steps = [step(by_name[n], p) for n, p in calls]
            out.append(Case("action_role", by_name[calls[-1][0]], steps, note=f"may not {perm}"))

    for perm in lacks:
        if perm == "create":
            add(perm, ("open_create", {"key": ""}))
            add(perm, ("save", {"form": {}}))
        elif perm == "export":
            add(perm, ("export", {"fmt": "csv"}))
        elif perm == "import":
            add(perm, ("open_import", {}))
            add(perm, ("download_template", {}))
            add(perm, ("commit_import", {}))
        elif row_id is None:
            continue
        elif perm == "update":
            add(perm, ("open_edit", {"row_id": str(row_id)}))
        elif perm == "delete" or perm.startswith("action:"):
            name = "__delete__" if perm == "delete" else perm.split(":", 1)[1]
            action = next((a for a in admin.actions if a.name == name), None)
            add(
                perm,
                ("toggle_row", {"row_id": str(row_id)}),
                ("ask_action", {"name": name}),
                ("run_action", {"form": action_form(action)}),
                ("clear_selection", {}),
            )
    return out
