"""ModelAdmin: how staff see and change one model, declared in a few lines.

    class CompanyAdmin(ModelAdmin, model=OrgUnit, key="org_units"):
        list_columns = ["name", "kind", "parent_id", "city"]
        search = ["name"]
        filters = ["kind", "city"]
        form = ["name", "kind", "parent_id", "city"]
        scope = Scope.unit("id")

Declaring a class registers nothing: the app registers it on its ``AdminSite`` (site.py), whose
``finalize()`` checks every option, grants the roles the declaration names and builds the labels.
``key`` is the menu entry (label, route, who may view). docs/engine.md lists every option.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from sqlmodel import Session, SQLModel

from clss_app.admin import privacy, search
from clss_app.admin.fields import FieldSpec, infer_field, infer_fields, label_attr
from clss_app.admin.many import Many
from clss_app.admin.options import Count, FieldOverride, Sort, apply_overrides, overrides_of
from clss_app.admin.scope import Scope
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.timeline import Event
from clss_app.services.permissions import Principal, can
from models import Role

if TYPE_CHECKING:
    from clss_app.admin.site import AdminSite

Roles = AbstractSet[Role]
NOBODY: frozenset[Role] = frozenset()
Values = dict[str, Any]  # a row's values by field name, as the hooks get them
Errors = dict[str, str]  # {field: Chinese message}


ActionFn = Callable[[ActionContext], ActionResult]


When = Mapping[str, tuple[Any, ...]]  # {column: (values, ...)}: the rows an action applies to


@dataclass(frozen=True)
class Action:
    """A bulk/row action: ``fn(ctx) -> ActionResult``, a service call.

    The engine has already checked the role (``roles``), that every row is inside the user's
    data scope and that the action applies to every row (``when``); ``input_label`` asks for a
    text (ctx.text), ``inputs`` for typed fields (ctx.values).

    ``when={"state": (BillState.CONFIRMED, BillState.PARTLY_PAID)}``: the rows it applies to (each
    column holds one of its values); none: every row. A row shows its first applicable ``primary``
    action as a button and the others under 更多; the bulk bar offers those valid for every ticked row.
    """

    name: str
    label: str
    fn: ActionFn
    roles: Roles
    confirm: str = ""
    danger: bool = False
    input_label: str = ""
    input_required: bool = False
    inputs: tuple[FieldSpec, ...] = ()
    when: When = field(default_factory=dict, hash=False)
    primary: bool = False
    # The options of its select inputs that depend on the rows acted on ({input name: [(value, label)]}),
    # e.g. the fee items of the contracts' project; the action's service still checks what comes back.
    choices: Callable[[Session, Any, list[Any]], Mapping[str, list[tuple[str, str]]]] | None = field(
        default=None, hash=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))

    def applies(self, row: Any) -> bool:
        """Whether the action applies to ``row`` (a model instance, or anything with its columns)."""
        return not self.why_not(row)

    def why_not(self, row: Any) -> str:
        """Why it does not apply to ``row`` ("当前为已确认"); "" if it does."""
        return when_problem(self.when, row)


def when_problem(when: When, row: Any) -> str:
    """Why ``row`` is not one of the rows ``when`` names ("当前为已确认"); "" if it is."""
    for name, values in when.items():
        value = getattr(row, name, None)
        if value not in values:
            return "当前为" + str(getattr(value, "label", None) or ("空" if value is None else value))
    return ""


def approve_reject(
    decide: Callable[[bool], ActionFn], roles: Roles, verb: str = "审核", when: When | None = None
) -> list[Action]:
    """The 审核通过 / 驳回 pair: ``decide(True)`` approves with an optional comment, ``decide(False)``
    rejects with a required reason (``verb="审批"`` makes it 审批通过 / 审批意见). ``when``: the rows
    awaiting a decision; approving is the row's button."""
    when = when or {}
    return [
        Action("approve", f"{verb}通过", decide(True), roles, input_label=f"{verb}意见", when=when, primary=True),
        Action(
            "reject", "驳回", decide(False), roles, danger=True, input_label="驳回原因", input_required=True, when=when
        ),
    ]


def ask(
    model: type[SQLModel], *names: str, required: Iterable[str] = (), **changes: FieldOverride
) -> tuple[FieldSpec, ...]:
    """Fields of ``model`` an action asks for, typed and checked like the model's own form.

    ``required`` makes optional columns required here; ``changes`` adjusts one field
    (``monthly_rent=Input(required=False, help="不填按房间月租金")``).
    """
    specs = []
    for n in names:
        spec = infer_field(model, n)
        if n in required:
            spec = spec.with_(required=True)
        for o in overrides_of(changes.get(n, ())):
            spec = o.apply(spec)
        specs.append(spec)
    return tuple(specs)


class Ordering(NamedTuple):
    """Hand-ordered rows: the position column and the columns whose values make a group (see ordering.py)."""

    column: str
    within: tuple[str, ...] = ()


class Link(NamedTuple):
    """A link in the detail to another admin's list, filtered on this row (``?f_<column>=<row id>``)."""

    label: str
    admin: str  # that admin's key
    column: str  # its column holding this row's id
    # The money columns the detail's tab sums ("应收金额 ¥… · 已收金额 ¥…"); None: every money column of
    # that list; (): none (a sum of monthly rents means nothing).
    totals: tuple[str, ...] | None = None
    # Through a list in between: ("bills", "contract_id") lists the rows whose ``column`` holds one of the
    # bills of this contract (a contract's 收款记录, found through its bills).
    via: tuple[str, str] | None = None
    # A column of this row holding the other admin's key, for rows that name their list themselves (an
    # import batch names the admin of the rows it made): ``admin`` is then left "", and "{noun}" in the
    # ``label`` reads as that list's noun (导入的{noun}: 导入的房间).
    admin_in: str = ""


class ModelAdmin:
    model: ClassVar[type[SQLModel]]
    key: ClassVar[str]
    site: ClassVar[AdminSite]  # the site that finalized it (AdminSite.finalize)

    list_columns: ClassVar[list[str]] = []
    search: ClassVar[list[str]] = []
    filters: ClassVar[list[str]] = []
    # The filters in sight (3–4); the others sit under 更多筛选. Default: the first three.
    primary_filters: ClassVar[list[str]] = []
    form: ClassVar[list[str]] = []
    import_form: ClassVar[list[str]] = []  # the import template's columns; default: the form's (less uploads)
    detail: ClassVar[list[str]] = []  # default: every field but the id and the version
    export_id: ClassVar[bool] = False  # exports lead with the id (set when ``detail`` is the default)
    sortable: ClassVar[list[str] | None] = None  # default: every list column
    # "name" / "-name", or a Sort that puts the work first: Sort("due_date", first={"state": (...)}).
    default_sort: ClassVar[str | Sort] = "-id"
    # What one row is called, in dialog titles (新增合同, 合同 HT2025…); default: the menu label
    # less 管理 / 列表 (合同列表 -> 合同).
    noun: ClassVar[str] = ""
    page_sizes: ClassVar[tuple[int, ...]] = (20, 50, 100)
    count: ClassVar[Count] = Count.EXACT
    count_cap: ClassVar[int] = 10_000
    scope: ClassVar[Scope | None] = None  # rows visible only inside the user's data scope
    # Checked on create when the row's own scope column is not yet known (e.g. its id).
    scope_on_create: ClassVar[Scope | None] = None
    fields_override: ClassVar[Mapping[str, FieldOverride]] = {}
    hidden_for: ClassVar[Mapping[str, Roles]] = {}  # field -> roles that never see it
    readonly_for: ClassVar[Mapping[str, Roles]] = {}  # field -> roles that cannot change it
    can_create: ClassVar[Roles] = NOBODY
    can_update: ClassVar[Roles] = NOBODY
    can_delete: ClassVar[Roles] = NOBODY
    can_export: ClassVar[Roles] = NOBODY
    can_import: ClassVar[Roles] = NOBODY
    # The rows 编辑 applies to ({"state": (…)}, as Action.when); the others read only. Default: every row.
    update_when: ClassVar[When] = {}
    actions: ClassVar[list[Action]] = []
    defaults: ClassVar[Mapping[str, Any]] = {}  # values set on create that the form does not show
    # Values an imported row gets that a row made in the form does not (代扣协议 imported are 批量签约).
    import_defaults: ClassVar[Mapping[str, Any]] = {}
    # The 新增 button's words and the new row's dialog title, when making a row is a deed of its own
    # (生成代扣批次); default: 新增 and 新增<noun>.
    create_label: ClassVar[str] = ""
    many: ClassVar[Mapping[str, Many]] = {}  # many-to-many fields, edited through a link table
    links: ClassVar[list[Link]] = []
    # The detail's fields in titled groups ({"基本信息": [...], "租期与租金": [...]}); the detail's fields that
    # no group names follow under 其他. Default: one group of every detail field.
    detail_groups: ClassVar[Mapping[str, list[str]]] = {}
    # The choice field the detail's header shows as a badge; default: a choice field named state or status.
    state_field: ClassVar[str] = ""
    # A foreign key of this model whose label pickers add to each option, so that rows with the
    # same name tell apart: "物业费（海淀悦居）".
    picker_hint: ClassVar[str] = ""
    # Imports become batches (导入批次) under this scene name; the model needs import_batch_id.
    import_scene: ClassVar[str] = ""
    # A view of some rows only ({"state": (ContractState.SIGNED,)}: 办理入住 lists the contracts awaiting check-in).
    only: ClassVar[Mapping[str, tuple[Any, ...]]] = {}
    ordering: ClassVar[Ordering | None] = None  # hand-ordered rows: adds 上移 / 下移

    fields: ClassVar[dict[str, FieldSpec]]
    label_field: ClassVar[str]

    def __init_subclass__(cls, model: type[SQLModel] | None = None, key: str | None = None, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if model is None or key is None:
            return
        cls.model, cls.key = model, key
        # Derived from the declaration alone; what is wrong in it is for the checks to name (checks.py).
        specs = infer_fields(model)
        specs.update({name: m.spec(name) for name, m in cls.many.items() if isinstance(m, Many) and m.valid()})
        cls.fields = apply_overrides(specs, cls.fields_override)
        cls.label_field = label_attr(model)
        if not cls.detail:  # an operator reads no id in a detail; an export keeps it (to find the row again)
            cls.detail = [n for n in cls.fields if n not in ("id", "version")]
            cls.export_id = "id" in cls.fields

    @classmethod
    def bind(cls, site: AdminSite) -> None:
        """Attach to the finalized ``site``: what comes from the whole site (the scope of each foreign key's
        target, audit labels) is set here."""
        cls.site = site
        for name, value in cls.fields_override.items():
            for o in overrides_of(value):
                if name in cls.fields:
                    cls.fields[name] = o.bind(cls.fields[name], site)
        for name, spec in cls.fields.items():  # a picker and its validation follow the target's own scope
            target = site.scoped_admin_for(spec.fk_model) if spec.fk_model is not None else None
            cls.fields[name] = spec.with_(fk_scope=target.scope if target is not None else None)

    # ---------------------------------------------------------------- hooks
    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Any | None) -> Errors:
        """Rules beyond one field (override): {field: message}. ``values`` is the whole row."""
        return {}

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Any | None) -> str:
        """Last changes to ``values`` before insert/update (override); returns a note for the user."""
        return ""

    @classmethod
    def after_create(cls, session: Session, p: Principal, row: Any) -> None:
        """Runs once the new row has its id, in the same transaction (override)."""

    @classmethod
    def cancel_problem(cls, row: Any) -> str:
        """Why an imported row may no longer be removed by cancelling its batch (override)."""
        return ""

    @classmethod
    def timeline(cls, session: Session, p: Principal | None, row: Any) -> list[Event]:
        """What the detail's timeline shows besides the row's audit entries (override): its status log,
        payments, approvals, as ``Event(at, login, what, why)``. ``row`` is one ``p`` may view."""
        return []

    # ---------------------------------------------------------------- helpers
    @classmethod
    def sortable_fields(cls) -> list[str]:
        if cls.sortable is not None:
            return cls.sortable
        # A personal number is no order by default: most roles read it masked (sortable_for drops it for them).
        return [n for n in cls.list_columns if n not in cls.many and not cls.fields[n].mask]

    @classmethod
    def sortable_for(cls, p: Principal | None) -> list[str]:
        """What ``p``'s role may sort by: the sortable columns it reads in full (an order by a number shown
        masked would tell its hidden digits apart), and the list's own default order."""
        return [
            *(n for n in cls.visible(p, cls.sortable_fields()) if not privacy.masked(cls.fields[n], p)),
            *([cls.default_key().lstrip("-")] if cls.default_key() else []),
            "id",
        ]

    @classmethod
    def default_key(cls) -> str:
        """The ``sort`` a list without one in its URL has: the column of a plain default, "" for a Sort."""
        return "" if isinstance(cls.default_sort, Sort) else cls.default_sort

    @classmethod
    def order_for(cls, sort: str) -> Sort:
        """The order a list query's ``sort`` means ("" and the default key: the declared default)."""
        if sort and sort != cls.default_key():
            return Sort(sort)
        return cls.default_sort if isinstance(cls.default_sort, Sort) else Sort(cls.default_sort)

    @classmethod
    def title_noun(cls) -> str:
        label = cls.site.menu[cls.key].label
        return cls.noun or label.removesuffix("管理").removesuffix("列表")

    @classmethod
    def filters_for(cls, p: Principal | None) -> list[str]:
        return cls.visible(p, cls.filters)

    @classmethod
    def search_for(cls, p: Principal | None) -> list[str]:
        """The search paths ``p``'s role may search: fields it sees in full (search.py)."""
        return search.searchable(cls, p)

    @classmethod
    def columns(cls) -> list[str]:
        """The fields stored on the row itself (not many-to-many)."""
        return [n for n in cls.fields if n not in cls.many]

    @classmethod
    def visible(cls, p: Principal | None, names: Iterable[str]) -> list[str]:
        """``names`` less the fields hidden from ``p``'s role: not shown, searched, sorted, filtered or exported."""
        hidden = {n for n, roles in cls.hidden_for.items() if p is None or p.role in roles}
        return [n for n in names if n not in hidden]

    @classmethod
    def editable(cls, p: Principal, names: Iterable[str]) -> list[str]:
        return [n for n in cls.visible(p, names) if p.role not in cls.readonly_for.get(n, NOBODY)]

    @classmethod
    def allowed(cls, p: Principal | None, action: str) -> bool:
        return can(p, action, cls.key)

    @classmethod
    def state_name(cls) -> str:
        """The field whose value is the row's state (the detail's badge), "" when it has none."""
        if cls.state_field:
            return cls.state_field
        return next((n for n in ("state", "status") if n in cls.fields and cls.fields[n].kind == "enum"), "")

    @classmethod
    def groups_for(cls, p: Principal | None) -> list[tuple[str, list[str]]]:
        """The detail's groups as ``p`` reads them: (title, fields it sees), empty groups left out."""
        shown = cls.visible(p, cls.detail)
        if not cls.detail_groups:
            return [("", shown)]
        named = {n for names in cls.detail_groups.values() for n in names}
        groups = [(title, [n for n in names if n in shown]) for title, names in cls.detail_groups.items()]
        groups.append(("其他", [n for n in shown if n not in named]))
        return [(title, names) for title, names in groups if names]

    @classmethod
    def update_problem(cls, row: Any) -> str:
        """Why ``row`` may not be edited (its state: ``update_when``); "" if it may."""
        why = when_problem(cls.update_when, row)
        return f"{why}，不可编辑" if why else ""

    @classmethod
    def row_label(cls, row: Any) -> str:
        value = getattr(row, cls.label_field, None)
        spec = cls.fields.get(cls.label_field)
        if value and spec is not None and spec.labels is not None:  # a code by its name (a parameter's key)
            return spec.label_of(value)
        return str(value or f"#{row.id}")
