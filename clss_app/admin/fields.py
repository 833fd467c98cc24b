"""Typed field specs inferred from SQLModel annotations.

One spec per column drives the list cell, the filter, the form input, the
validation message, the export cell and the import parser alike.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import SQLModel

from clss_app.admin import attachments
from clss_app.core import media
from clss_app.core.clock import SHANGHAI as SHANGHAI
from clss_app.core.errors import FieldError
from clss_app.core.images import split_images as split_images
from models.base import LabeledEnum, Money, Percent

if TYPE_CHECKING:
    from clss_app.admin.many import Many
    from clss_app.admin.scope import Scope

HINT = "__hint"  # a displayed row's key of a field's hint (FieldSpec.hint): the row's ``name + HINT``
LABEL_ATTRS = ("name", "display_name", "title", "number", "key", "username")
MAX_INT = 2**63 - 1  # a BIGINT; past it the database driver raises instead of comparing
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "启用", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "停用", ""}
# Kinds kept in string columns (an image or file is its stored name): left empty they are "", as
# their NOT NULL columns' defaults are; NULL would fail the save.
STRING_KINDS = ("str", "text", "image", "images", "file")
Kind = Literal[
    "str",
    "text",
    "int",
    "decimal",
    "money",
    "percent",
    "date",
    "datetime",
    "bool",
    "enum",
    "fk",
    "many",
    "image",
    "images",
    "file",
]
NUMBER_KINDS: tuple[Kind, ...] = ("int", "decimal", "money", "percent")


@dataclass(frozen=True)
class FieldSpec:
    """One field as every part of the engine sees it; admin options (``clss_app.admin.options``) change it."""

    name: str
    label: str
    kind: Kind
    required: bool = False
    max_length: int | None = None
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    enum: type[enum.Enum] | None = None
    fk_model: type[SQLModel] | None = None
    unique: bool = False
    primary_key: bool = False
    sortable: bool = True
    help: str = ""
    scale: int = 2  # decimal places of money/percent/decimal
    month: bool = False  # a date field holding a month (its 1st day), typed and shown as 2026-01
    within: str = ""  # a foreign key chosen among the rows sharing this field's value (a project's buildings)
    max_mb: int | None = None  # image, images, file: the largest upload
    ratio: tuple[int, int] | None = None  # image: the width:height it must have
    max_count: int = 9  # images: how many
    types: tuple[str, ...] = ()  # file: the kinds accepted (attachments.KINDS)
    labels: Mapping[Any, str] | None = None  # codes shown by their Chinese names
    labels_by: str = ""  # the labels' keys are (that column's value, code), else the code alone
    many: Many | None = None  # kind "many": the link table
    # fk and many: the data scope of the rows it may point at (their admin's, set by the site)
    fk_scope: Scope | None = None
    # Personal numbers (options.Masked): "phone" / "id_number" / "bank_card", shown masked but to ``mask_full``;
    # ``mask_reveal`` may show one in full in the detail (查看完整信息), audited.
    mask: str = ""
    mask_full: frozenset[Any] = frozenset()
    mask_reveal: frozenset[Any] = frozenset()
    # An audit snapshot (options.MaskedSnapshot): {resource: {field: spec}} of the masked fields
    # each resource's snapshots hold, the resource read from the ``masks_by`` column.
    snapshot_masks: Mapping[str, Mapping[str, FieldSpec]] | None = None
    # ... and {resource: {field: roles}} of the fields each resource hides from roles (left out for them).
    snapshot_hidden: Mapping[str, Mapping[str, frozenset[Any]]] | None = None
    masks_by: str = ""
    # labels: the stored code also shown, small, beside its name in the list (a parameter's key)
    hint: bool = False
    # options.Shown: the text a person reads, from (value, the row's ``labels_by`` value)
    show: Callable[[Any, Any], str] | None = None

    @property
    def extra(self) -> dict[str, Any]:
        """The options above by name, as the form state and components read them (``spec.extra.get("max_mb")``)."""
        names = ("month", "within", "max_mb", "ratio", "types", "labels", "many")
        out = {n: getattr(self, n) for n in names if getattr(self, n) not in (None, "", (), False)}
        return {**out, "max_count": self.max_count} if self.kind == "images" else out

    def label_of(self, value: Any, key: Any = None) -> str:
        """A code's Chinese name: by (``labels_by`` value, code) first, then by the code."""
        labels = self.labels or {}
        found = labels.get((key, value)) if self.labels_by else None
        return found or labels.get(value, str(value))

    # -------------------------------------------------------------- display
    def display(self, value: Any, fk_labels: Mapping[Any, str] | None = None, key: Any = None) -> str:
        """What a person reads; ``key`` is the row's ``labels_by`` value, if the spec has one."""
        if value is None or value == "":
            return ""
        if self.show is not None:  # a value read with the row's other column (a parameter's unit)
            return self.show(value, key)
        if self.labels is not None:  # a code shown by its Chinese name (e.g. audit resources)
            return self.label_of(value, key)
        k = self.kind
        if k == "money":
            return f"¥{Decimal(value):,.2f}"
        if k == "percent":
            return f"{Decimal(value):.{self.scale}f}%"
        if k == "decimal":
            return f"{Decimal(value):,.{self.scale}f}" if self.scale <= 2 else f"{Decimal(value):.{self.scale}f}"
        if k == "bool":
            return "是" if value else "否"
        if k == "enum":
            if isinstance(value, LabeledEnum):
                return value.label
            code = getattr(value, "value", value)  # a stored code, as a plain query returns it
            return next((m.label for m in self.enum or () if isinstance(m, LabeledEnum) and m.value == code), str(code))
        if k == "datetime":
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        if k == "date":
            return value.strftime("%Y-%m") if self.month else value.isoformat()
        if k == "fk":
            return (fk_labels or {}).get(value, f"#{value}")
        if k == "many":  # [(id, label), ...] from many.load
            return "、".join(label for _, label in value)
        if k == "image":
            return f"{media.ROUTE}/{value}"
        if k == "file":
            return attachments.shown_name(value)
        if k == "images":
            return f"{len(split_images(value))} 张"
        return str(value)

    def form_value(self, value) -> str:
        """The string a form input starts with."""
        if value is None:
            return ""
        if self.kind == "enum":
            return str(getattr(value, "value", value))
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "datetime":
            return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")  # as typed in its text box
        if self.kind in ("date",):
            return value.strftime("%Y-%m") if self.month else value.isoformat()
        if self.kind == "many":
            return ",".join(str(i) for i, _ in value)
        return str(value)

    # -------------------------------------------------------------- parsing
    def parse(self, raw):
        """Turn what a form or a spreadsheet cell holds into a Python value.

        Raises FieldError with a message fit to show next to the field.
        Foreign keys come back as given; the caller resolves them.
        """
        if isinstance(raw, str):
            raw = raw.strip()
        empty = raw is None or raw == ""
        if empty:
            if self.required and self.kind != "bool":
                raise FieldError(f"{self.label}不能为空")
            return False if self.kind == "bool" else ("" if self.kind in STRING_KINDS else None)
        k = self.kind
        if k == "image":
            if not media.NAME.match(str(raw)):
                raise FieldError(f"{self.label}请通过“上传图片”选择文件")
            return str(raw)
        if k == "images":
            names = split_images(raw)
            if not all(media.NAME.match(n) for n in names):
                raise FieldError(f"{self.label}请通过“上传图片”选择文件")
            most = self.max_count
            if len(names) > most:
                raise FieldError(f"{self.label}最多 {most} 张（当前 {len(names)} 张）")
            return ",".join(names)
        if k == "file":
            if attachments.read(str(raw)) is None or (self.max_length and len(str(raw)) > self.max_length):
                raise FieldError(f"{self.label}请通过“上传文件”选择文件")
            return str(raw)
        if k in ("str", "text"):
            value = str(raw)
            if "\x00" in value:  # PostgreSQL's text holds no NUL: the save would fail whole, naming no field
                raise FieldError(f"{self.label}含有不可见的空字符（NUL），请删除后重新填写")
            if self.max_length and len(value) > self.max_length:
                raise FieldError(f"{self.label}不能超过 {self.max_length} 个字符（当前 {len(value)} 个）")
            return value
        if k == "int":
            try:
                value = int(str(raw)) if not isinstance(raw, float) or raw.is_integer() else None
            except ValueError:
                value = None
            if value is None or abs(value) > MAX_INT:
                raise FieldError(f"{self.label}须为整数")
            return self._check_range(value)
        if k in ("money", "percent", "decimal"):
            try:
                value = Decimal(str(raw).replace(",", "").replace("¥", ""))
            except InvalidOperation:
                raise FieldError(f"{self.label}须为数字") from None
            if not value.is_finite():
                raise FieldError(f"{self.label}须为数字")
            value = self._check_range(value)
            if value.as_tuple().exponent < -self.scale:
                places = {1: "一", 2: "两"}.get(self.scale, str(self.scale))
                raise FieldError(f"{self.label}最多保留{places}位小数")
            return value.quantize(Decimal(1).scaleb(-self.scale))
        if k == "bool":
            word = str(raw).strip().lower()
            if isinstance(raw, bool):
                return raw
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise FieldError(f"{self.label}须为“是”或“否”")
        if k == "date" and self.month:  # a month, stored as its 1st day
            return self._month(raw)
        if k == "date":
            if isinstance(raw, dt.datetime):
                return raw.date()
            if isinstance(raw, dt.date):
                return raw
            try:
                return dt.date.fromisoformat(str(raw).replace("/", "-")[:10])
            except ValueError:
                raise FieldError(f"{self.label}须为日期，如 2026-01-31") from None
        if k == "datetime":
            if isinstance(raw, dt.datetime):
                value = raw
            else:
                try:
                    value = dt.datetime.fromisoformat(str(raw).replace("/", "-"))
                except ValueError:
                    raise FieldError(f"{self.label}须为时间，如 2026-01-31 09:30") from None
            return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        if k == "enum" and self.enum is not None:
            for member in self.enum:
                if raw in (member.value, getattr(member, "label", None), member.name):
                    return member
            options = "、".join(getattr(m, "label", m.value) for m in self.enum)
            raise FieldError(f"{self.label}须为以下之一：{options}")
        if k == "fk":
            return raw
        raise FieldError(f"{self.label}无法识别")

    def _month(self, raw) -> dt.date:
        try:
            return parse_month(raw)
        except ValueError:
            raise FieldError(f"{self.label}须为年月，如 2026-01") from None

    def _check_range(self, value):
        if self.min_value is not None and value < self.min_value:
            raise FieldError(f"{self.label}不能小于 {self.min_value}")
        if self.max_value is not None and value > self.max_value:
            raise FieldError(f"{self.label}不能大于 {self.max_value}")
        return value

    @property
    def filter_kind(self) -> str:
        if self.kind == "str" and self.labels is not None and not self.labels_by:
            return "choice"  # a closed set of codes (Labels): chosen by name, as in the form
        return {
            "money": "range",
            "percent": "range",
            "decimal": "range",
            "int": "range",
            "date": "daterange",
            "datetime": "daterange",
            "enum": "choice",
            "bool": "choice",
            "fk": "fk",
        }.get(self.kind, "text")

    def choices(self) -> list[tuple[str, str]]:
        if self.kind == "enum" and self.enum is not None:
            return [(m.value, getattr(m, "label", m.value)) for m in self.enum]
        if self.kind == "bool":
            return [("true", "是"), ("false", "否")]
        if self.filter_kind == "choice":  # a str with Labels
            return [(str(code), label) for code, label in (self.labels or {}).items()]
        return []

    def with_(self, **changes: Any) -> FieldSpec:
        return replace(self, **changes)


def parse_month(raw) -> dt.date:
    """The 1st of the month a person wrote (2026-01, 2026/1, 2026年1月, a date); ValueError if none."""
    if isinstance(raw, dt.date):
        return dt.date(raw.year, raw.month, 1)
    parts = str(raw).replace("/", "-").replace("年", "-").replace("月", "").split("-")
    try:
        return dt.date(int(parts[0]), int(parts[1]), 1)
    except IndexError:
        raise ValueError(raw) from None


def _unwrap_optional(tp):
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def model_for_table(table_name: str) -> type[SQLModel] | None:
    for mapper in SQLModel._sa_registry.mappers:
        if isinstance(mapper.local_table, sa.Table) and mapper.local_table.name == table_name:
            return typing.cast(type[SQLModel], mapper.class_)
    return None


def table_of(model: type[SQLModel]) -> sa.Table:
    """The table of a table model (generic code cannot name ``model.__table__`` statically)."""
    table = sa.inspect(model).local_table
    assert isinstance(table, sa.Table), model
    return table


def column(model: type[SQLModel], name: str) -> InstrumentedAttribute[Any]:
    """``model.<name>`` as a SQL expression, for code that gets the name from a declaration."""
    attr = getattr(model, name)
    assert isinstance(attr, InstrumentedAttribute), (model, name)
    return attr


def label_attr(model: type[SQLModel]) -> str:
    for name in LABEL_ATTRS:
        if name in model.model_fields:
            return name
    return "id"


def _decimal_kind(column_type: sa.types.TypeEngine[Any]) -> Kind:
    """Money and percent are declared by the column's type (models.base), never guessed from a title."""
    if isinstance(column_type, Money):
        return "money"
    return "percent" if isinstance(column_type, Percent) else "decimal"


def infer_field(model: type[SQLModel], name: str) -> FieldSpec:
    info = model.model_fields[name]
    col = table_of(model).c[name]
    tp = _unwrap_optional(info.annotation)
    has_default = not info.is_required()
    required = (not col.nullable) and not has_default and not col.primary_key
    label = info.title or name
    max_length = getattr(col.type, "length", None)
    kw: dict[str, Any] = {}
    kind: Kind
    if col.foreign_keys:
        target = next(iter(col.foreign_keys)).column.table
        kind, kw["fk_model"] = "fk", model_for_table(target.name) if isinstance(target, sa.Table) else None
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        kind, kw["enum"] = "enum", tp
    elif tp is bool:
        kind = "bool"
    elif tp is int:
        kind = "int"
    elif tp is Decimal:
        kind = _decimal_kind(col.type)
        kw["scale"] = getattr(col.type, "scale", None) or 2
        kw["min_value"] = Decimal(0)
    elif tp is dt.datetime:
        kind = "datetime"
    elif tp is dt.date:
        kind = "date"
    else:
        kind = "text" if isinstance(col.type, sa.Text) else "str"
    return FieldSpec(
        name=name,
        label=label,
        kind=kind,
        required=required,
        max_length=max_length if kind in ("str", "text") else None,
        unique=bool(col.unique),
        primary_key=bool(col.primary_key),
        **kw,
    )


def field_names(model: type[SQLModel]) -> list[str]:
    """The model's columns: those its own class declares first, then those its mixins add."""
    columns = table_of(model).c
    own = [n for n in vars(model).get("__annotations__", {}) if n in columns and n in model.model_fields]
    return own + [n for n in model.model_fields if n in columns and n not in own]


def infer_fields(model: type[SQLModel]) -> dict[str, FieldSpec]:
    return {name: infer_field(model, name) for name in field_names(model)}
