"""ModelAdmin: how staff see and change one model, declared in a few lines.

    class CompanyAdmin(ModelAdmin, model=OrgUnit, key="org_units"):
        list_columns = ["name", "kind", "parent_id", "city"]
        search = ["name"]
        filters = ["kind", "city"]
        form = ["name", "kind", "parent_id", "city"]
        scope = ("id", "unit")

``key`` is the menu entry (label, route, who may view); create, update,
delete, export and import are granted to the roles the declaration names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from sqlmodel import Session, SQLModel

from clss_app.admin.fields import FieldSpec, infer_field, infer_fields, label_attr
from clss_app.admin.many import Many
from clss_app.core.results import ActionResult
from clss_app.services.permissions import CREATE, DELETE, EXPORT, IMPORT, UPDATE, Principal, can, grant
from models import Role

REGISTRY: dict[str, type[ModelAdmin]] = {}


@dataclass(frozen=True)
class Action:
    """A bulk/row action: ``fn(session, principal, rows) -> ActionResult``.

    The function is a service call; the engine has already checked the
    role (``roles``) and that every row is inside the user's data scope.
    """

    name: str
    label: str
    fn: Callable[[Session, Principal, list], ActionResult]
    roles: frozenset[Role]
    confirm: str = ""
    danger: bool = False
    # Asks for a text before running (e.g. 驳回原因); the function then gets it as a 4th argument.
    input_label: str = ""
    input_required: bool = False
    # Or asks for a few typed fields (see ``ask``); the function then gets {name: parsed value}.
    inputs: tuple[FieldSpec, ...] = ()


def ask(model: type[SQLModel], *names: str, required: Iterable[str] = (), **changes: dict) -> tuple[FieldSpec, ...]:
    """Fields of ``model`` an action asks for, typed and checked like the model's own form.

    ``required`` makes optional columns required here; ``changes`` adjusts one field
    (``monthly_rent={"min_value": 1}``).
    """
    specs = []
    for n in names:
        spec = infer_field(model, n)
        if n in required:
            spec = spec.with_(required=True)
        specs.append(spec.with_(**changes.get(n, {})))
    return tuple(specs)


class ModelAdmin:
    model: ClassVar[type[SQLModel]]
    key: ClassVar[str]

    list_columns: ClassVar[list[str]] = []
    search: ClassVar[list[str]] = []
    filters: ClassVar[list[str]] = []
    form: ClassVar[list[str]] = []
    detail: ClassVar[list[str]] = []
    sortable: ClassVar[list[str] | None] = None  # default: every list column
    default_sort: ClassVar[str] = "-id"
    page_sizes: ClassVar[tuple[int, ...]] = (20, 50, 100)
    count: ClassVar[str] = "exact"  # or "capped": never COUNT(*) past count_cap
    count_cap: ClassVar[int] = 10_000
    # (column, "unit" | "project"): rows visible only inside the user's data scope.
    scope: ClassVar[tuple[str, str] | None] = None
    # Checked on create when the row's own scope column is not yet known (e.g. its id).
    scope_on_create: ClassVar[tuple[str, str] | None] = None
    fields_override: ClassVar[dict[str, dict]] = {}
    hidden_for: ClassVar[dict[str, Iterable[Role]]] = {}  # field -> roles that never see it
    readonly_for: ClassVar[dict[str, Iterable[Role]]] = {}  # field -> roles that cannot change it
    can_create: ClassVar[Iterable[Role]] = ()
    can_update: ClassVar[Iterable[Role]] = ()
    can_delete: ClassVar[Iterable[Role]] = ()
    can_export: ClassVar[Iterable[Role]] = ()
    can_import: ClassVar[Iterable[Role]] = ()
    actions: ClassVar[list[Action]] = []
    defaults: ClassVar[dict] = {}  # values set on create that the form does not show
    many: ClassVar[dict[str, Many]] = {}  # many-to-many fields, edited through a link table
    # (label, admin key, column): links in the detail to that admin's list filtered on this row
    links: ClassVar[list[tuple[str, str, str]]] = []
    # A foreign key of this model whose label pickers add to each option, so that rows with the
    # same name tell apart: "物业费（海淀悦居）".
    picker_hint: ClassVar[str] = ""
    # Imports become batches (导入批次) under this scene name; the model needs import_batch_id.
    import_scene: ClassVar[str] = ""
    # A view of some rows only ({"state": ["signed"]}: 办理入住 lists the contracts awaiting check-in).
    only: ClassVar[dict[str, tuple]] = {}
    # Hand-ordered rows: (position column, columns making a group); adds 上移 / 下移 (see ordering.py).
    ordering: ClassVar[tuple[str, tuple[str, ...]] | None] = None

    fields: ClassVar[dict[str, FieldSpec]]
    label_field: ClassVar[str]

    def __init_subclass__(cls, model: type[SQLModel] | None = None, key: str | None = None, **kw):
        super().__init_subclass__(**kw)
        if model is None or key is None:
            return
        cls.model, cls.key = model, key
        specs = infer_fields(model)
        specs.update({name: m.spec(name) for name, m in cls.many.items()})
        for name, changes in cls.fields_override.items():
            specs[name] = specs[name].with_(**changes)
        cls.fields = specs
        cls.label_field = label_attr(model)
        if not cls.detail:
            cls.detail = [n for n in specs if n not in ("version",)]
        for action, roles in (
            (CREATE, cls.can_create),
            (UPDATE, cls.can_update),
            (DELETE, cls.can_delete),
            (EXPORT, cls.can_export),
            (IMPORT, cls.can_import),
        ):
            grant(key, action, roles)
        if cls.ordering:
            from clss_app.admin import ordering

            movers = [
                Action(f"move_{d}", label, ordering.move(cls, step), frozenset(cls.can_update))
                for d, label, step in (("up", "上移", -1), ("down", "下移", 1))
            ]
            cls.actions = [*[a for a in cls.actions if not a.name.startswith("move_")], *movers]
        for a in cls.actions:
            grant(key, f"action:{a.name}", a.roles)
        REGISTRY[key] = cls

    # ---------------------------------------------------------------- hooks
    @classmethod
    def validate(cls, session: Session, p: Principal, values: dict, row: SQLModel | None) -> dict[str, str]:
        """Rules beyond one field (override): {field: message}. ``values`` is the whole row."""
        return {}

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: dict, row: SQLModel | None) -> str:
        """Last changes to ``values`` before insert/update (override); returns a note for the user."""
        return ""

    # ---------------------------------------------------------------- helpers
    @classmethod
    def after_create(cls, session: Session, p: Principal, row: SQLModel) -> None:
        """Runs once the new row has its id, in the same transaction (override)."""

    @classmethod
    def cancel_problem(cls, row) -> str:
        """Why an imported row may no longer be removed by cancelling its batch (override)."""
        return ""

    @classmethod
    def sortable_fields(cls) -> list[str]:
        return cls.sortable if cls.sortable is not None else [n for n in cls.list_columns if n not in cls.many]

    @classmethod
    def sortable_for(cls, p: Principal | None) -> list[str]:
        """What ``p``'s role may sort by: the sortable columns it sees, and the list's own default order."""
        return [*cls.visible(p, cls.sortable_fields()), cls.default_sort.lstrip("-"), "id"]

    @classmethod
    def filters_for(cls, p: Principal | None) -> list[str]:
        return cls.visible(p, cls.filters)

    @classmethod
    def search_for(cls, p: Principal | None) -> list[str]:
        return cls.visible(p, cls.search)

    @classmethod
    def columns(cls) -> list[str]:
        """The fields stored on the row itself (not many-to-many)."""
        return [n for n in cls.fields if n not in cls.many]

    @classmethod
    def visible(cls, p: Principal | None, names: Iterable[str]) -> list[str]:
        """``names`` less the fields hidden from ``p``'s role: not shown, searched, sorted, filtered or exported."""
        hidden = {n for n, roles in cls.hidden_for.items() if p is None or p.role in set(roles)}
        return [n for n in names if n not in hidden]

    @classmethod
    def editable(cls, p: Principal, names: Iterable[str]) -> list[str]:
        return [n for n in cls.visible(p, names) if p.role not in set(cls.readonly_for.get(n, ()))]

    @classmethod
    def allowed(cls, p: Principal | None, action: str) -> bool:
        return can(p, action, cls.key)

    @classmethod
    def row_label(cls, row) -> str:
        return str(getattr(row, cls.label_field, None) or f"#{row.id}")


def option_hints(session: Session, model: type[SQLModel], ids: list[int]) -> dict[int, str]:
    """{id: hint} for picker options of ``model``, from the picker_hint its admin declares."""
    from sqlmodel import select

    from clss_app.admin.query import labels_for

    admin = next((a for a in REGISTRY.values() if a.model is model and a.picker_hint), None)
    if admin is None or not ids:
        return {}
    owners = dict(session.exec(select(model.id, getattr(model, admin.picker_hint)).where(model.id.in_(ids))).all())
    labels = labels_for(session, admin.fields[admin.picker_hint], owners.values())
    return {i: str(labels.get(o, "")) for i, o in owners.items()}


def scoped_admin_for(model: type[SQLModel]) -> type[ModelAdmin] | None:
    """The admin that limits ``model``'s rows to a data scope (so a picker of them must too)."""
    return next((a for a in REGISTRY.values() if a.model is model and a.scope), None)
