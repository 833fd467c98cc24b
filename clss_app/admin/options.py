"""Typed options of a ModelAdmin: count mode and field overrides (the data scope is in scope.py).

    scope = Scope.project("project_id")
    count = Count.CAPPED
    fields_override = {"cover": Image(max_mb=2, ratio=(335, 160)), "building_id": Within("project_id"),
                       "bedrooms": Range(0, 10), "late_fee_rate": (Range(0, 5), Input(help="按日计"))}

Each option is an object the start-up checks (``checks.py``) can inspect: a typo is an error
with a name, never a silent fallback.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlmodel import SQLModel

from clss_app.admin import attachments
from clss_app.admin.fields import NUMBER_KINDS, FieldSpec, Kind
from clss_app.core import media
from clss_app.core.privacy import MASK_KINDS
from models import Role

if TYPE_CHECKING:
    from clss_app.admin.site import AdminSite


class Count(str, enum.Enum):
    """How a list counts its rows: exactly, or never past ``count_cap`` (a "10,000+" on huge tables)."""

    EXACT = "exact"
    CAPPED = "capped"


class Sort:
    """A list's own order (``default_sort``), used while the user has not clicked a header.

        default_sort = Sort("due_date", first={"state": UNPAID}, then="-due_date")

    The rows whose ``first`` column holds one of the listed values lead (the work waiting), ordered
    by ``by``; the others follow, ordered by ``then`` (default: ``by``). Each part is a column name,
    "-name" for descending; the id breaks ties. Each part of the order is a plain ``ORDER BY`` on
    columns (query.py pages it run by run), so an index serves it and a deep page stays cheap.
    """

    def __init__(self, *by: str, first: Mapping[str, Iterable[Any]] | None = None, then: str | Iterable[str] = ()):
        self.by = by
        self.first = {k: tuple(v) for k, v in first.items()} if isinstance(first, Mapping) else first
        self.then = (then,) if isinstance(then, str) else tuple(then)

    @property
    def first_column(self) -> str:
        return next(iter(self.first)) if isinstance(self.first, Mapping) and len(self.first) == 1 else ""

    def runs(self) -> list[tuple[bool | None, tuple[str, ...]]]:
        """[(in the first group? None: every row, keys)]: the order as consecutive runs of rows."""
        if not self.first_column:
            return [(None, self.by)]
        return [(True, self.by), (False, self.then or self.by)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sort) and (self.by, self.first, self.then) == (other.by, other.first, other.then)

    def __hash__(self) -> int:
        return hash((self.by, self.then))

    def __repr__(self) -> str:
        return f"Sort({', '.join(map(repr, self.by))}, first={self.first!r}, then={self.then!r})"


# ---------------------------------------------------------------- field overrides


class Override:
    """One change to a field the engine inferred from the model (its kind, limits or wording)."""

    # The inferred kinds it may change (empty: any); the checks name any other.
    applies_to: ClassVar[tuple[Kind, ...]] = ()

    def apply(self, spec: FieldSpec) -> FieldSpec:
        raise NotImplementedError

    def bind(self, spec: FieldSpec, site: AdminSite) -> FieldSpec:
        """What the field becomes once the site is complete (labels built from every admin)."""
        return spec

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        """What is wrong with this override on that field, beyond its kind (see checks.py)."""
        return []


@dataclass(frozen=True)
class Image(Override):
    """A public image (content-checked, stored under data/media/), in a string column."""

    max_mb: int = media.DEFAULT_MAX_MB
    ratio: tuple[int, int] | None = None
    help: str = ""
    applies_to: ClassVar[tuple[Kind, ...]] = ("str",)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(kind="image", max_mb=self.max_mb, ratio=self.ratio, help=self.help or spec.help)


@dataclass(frozen=True)
class Images(Override):
    """Several public images ("a.png,b.jpg"), in a string column."""

    max_count: int = 9
    max_mb: int = media.DEFAULT_MAX_MB
    help: str = ""
    applies_to: ClassVar[tuple[Kind, ...]] = ("str",)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(kind="images", max_count=self.max_count, max_mb=self.max_mb, help=self.help or spec.help)


@dataclass(frozen=True)
class File(Override):
    """A private attachment (data/private/files/, downloaded once through a ticket), in a string column."""

    types: tuple[str, ...] = attachments.DEFAULT_TYPES
    max_mb: int = attachments.DEFAULT_MAX_MB
    help: str = ""
    applies_to: ClassVar[tuple[Kind, ...]] = ("str",)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(kind="file", types=self.types, max_mb=self.max_mb, help=self.help or spec.help)

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        unknown = [t for t in self.types if t not in attachments.KINDS]
        return [f"unknown file type {t!r} (one of {', '.join(attachments.KINDS)})" for t in unknown]


@dataclass(frozen=True)
class Money(Override):
    """Money (¥1,234.00) on a decimal column not declared with models.base.Money (e.g. an action's input)."""

    applies_to: ClassVar[tuple[Kind, ...]] = ("decimal", "money")

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(kind="money", scale=2)


@dataclass(frozen=True)
class Percent(Override):
    """A rate in percent (0.05%) on a decimal column not declared with models.base.Percent."""

    applies_to: ClassVar[tuple[Kind, ...]] = ("decimal", "percent")

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(kind="percent")


@dataclass(frozen=True)
class Month(Override):
    """A date column holding a month (stored as its 1st day), typed and shown as 2026-01."""

    applies_to: ClassVar[tuple[Kind, ...]] = ("date",)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(month=True)


@dataclass(frozen=True)
class Within(Override):
    """A foreign key chosen among the rows that share this row's ``field`` (a room's building, in its project)."""

    field: str
    applies_to: ClassVar[tuple[Kind, ...]] = ("fk",)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(within=self.field)

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        if self.field not in model.model_fields:
            return [f"Within({self.field!r}): no such field on {model.__name__}"]
        target = spec.fk_model
        if target is not None and self.field not in target.model_fields:
            return [f"Within({self.field!r}): {target.__name__} has no field {self.field!r} to match"]
        return []


@dataclass(frozen=True)
class Range(Override):
    """The smallest and largest value a number may take (either may be left open)."""

    min: int | Decimal | None = None
    max: int | Decimal | None = None
    applies_to: ClassVar[tuple[Kind, ...]] = NUMBER_KINDS

    def apply(self, spec: FieldSpec) -> FieldSpec:
        changes = {"min_value": self.min} if self.min is not None else {}
        return spec.with_(**changes, **({"max_value": self.max} if self.max is not None else {}))

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        if self.min is not None and self.max is not None and self.min > self.max:
            return [f"Range({self.min}, {self.max}): the minimum is above the maximum"]
        return []


@dataclass(frozen=True)
class Input(Override):
    """How a field reads in forms and action dialogs: its label, its help line, whether it is required."""

    label: str = ""
    help: str = ""
    required: bool | None = None

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(
            label=self.label or spec.label,
            help=self.help or spec.help,
            required=spec.required if self.required is None else self.required,
        )


@dataclass(frozen=True)
class Labels(Override):
    """Codes stored in the column, shown by their Chinese names (``{"rooms": "房间管理"}``)."""

    names: Mapping[Any, str]
    hint: bool = False  # the code too, small, beside its name in the list and detail (a parameter's key)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(labels=self.names, hint=self.hint)


@dataclass(frozen=True)
class Shown(Override):
    """A value read with another column of its row: ``Shown(params.shown_city, by="key")`` shows a
    parameter's value with its key's unit (3 天). ``fn(value, that column's value) -> text``; in the
    list, detail and export alike. The stored value and the form are unchanged."""

    fn: Callable[[Any, Any], str]
    by: str = ""

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(show=self.fn, labels_by=self.by)

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        if self.by and self.by not in model.model_fields:
            return [f"Shown(by={self.by!r}): no such field"]
        return [] if callable(self.fn) else [f"Shown: {self.fn!r} is not a function"]


@dataclass(frozen=True)
class AuditActions(Override):
    """An audit log's action codes by name, each named as its own resource does (``cancel`` of
    appointments is 取消预约, of sign-ups 取消报名): the labels the site builds at finalize."""

    by: str = "resource"

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(labels={}, labels_by=self.by)

    def bind(self, spec: FieldSpec, site: AdminSite) -> FieldSpec:
        return spec.with_(labels=site.audit_labels, labels_by=self.by)

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        return [] if self.by in model.model_fields else [f"AuditActions(by={self.by!r}): no such field"]


@dataclass(frozen=True)
class Masked(Override):
    """A personal number (``"phone"`` 138****1234, ``"id_number"`` 1101**********1234, ``"bank_card"``
    6222 **** **** 1234) shown masked in the
    list, detail, export and audit log to every role but ``full``; ``reveal`` roles may show it in full
    in the detail (查看完整信息), each time written to the audit log."""

    kind: str
    full: AbstractSet[Role] = frozenset()
    reveal: AbstractSet[Role] = frozenset()
    applies_to: ClassVar[tuple[Kind, ...]] = ("str",)

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(mask=self.kind, mask_full=frozenset(self.full), mask_reveal=frozenset(self.reveal))

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        out = [] if self.kind in MASK_KINDS else [f"Masked({self.kind!r}): one of {', '.join(MASK_KINDS)}"]
        odd = [r for r in (*self.full, *self.reveal) if not isinstance(r, Role)]
        return out + [f"Masked: {r!r} is not a Role" for r in odd]


@dataclass(frozen=True)
class MaskedSnapshot(Override):
    """An audit log's before/after snapshot (JSON): the fields each resource declares ``Masked`` are masked
    in it, and those it hides from a role (``hidden_for``) left out, as on that resource's own pages
    (``by``: the column naming the resource)."""

    by: str = "resource"
    applies_to: ClassVar[tuple[Kind, ...]] = ("str", "text")

    def apply(self, spec: FieldSpec) -> FieldSpec:
        return spec.with_(snapshot_masks={}, masks_by=self.by)

    def bind(self, spec: FieldSpec, site: AdminSite) -> FieldSpec:
        masks = {a.key: {n: f for n, f in a.fields.items() if f.mask} for a in site.admins()}
        hidden = {a.key: {n: frozenset(r) for n, r in a.hidden_for.items()} for a in site.admins()}
        return spec.with_(
            snapshot_masks={k: m for k, m in masks.items() if m}, snapshot_hidden={k: h for k, h in hidden.items() if h}
        )

    def problems(self, model: type[SQLModel], spec: FieldSpec) -> list[str]:
        return [] if self.by in model.model_fields else [f"MaskedSnapshot(by={self.by!r}): no such field"]


FieldOverride = Override | tuple[Override, ...]


def overrides_of(value: object) -> tuple[Override, ...]:
    """The overrides one ``fields_override`` entry holds (one, or a tuple of them)."""
    items = value if isinstance(value, tuple) else (value,)
    return tuple(o for o in items if isinstance(o, Override))


def apply_overrides(specs: dict[str, FieldSpec], overrides: Mapping[str, object]) -> dict[str, FieldSpec]:
    """``specs`` with each override applied in order; unknown names and values are left to the checks."""
    out = dict(specs)
    for name, value in overrides.items():
        if name in out:
            for o in overrides_of(value):
                out[name] = o.apply(out[name])
    return out
