"""Column types and enum conventions shared by every model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class LabeledEnum(str, Enum):
    """A string enum whose members carry their Chinese UI label.

    Declared as ``MEMBER = ("value", "标签")``: the value is what the database
    stores, the label is what forms, filters, badges and exports show.
    """

    label: str

    # ``label`` has a default for mypy only: looking a member up by value (``Role("finance")``) never
    # calls this, which runs once per member when the class is made.
    def __new__(cls, value: str, label: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self) -> str:  # so f-strings and exports never print "Role.X"
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value: str | None) -> str:
        if value is None:
            return ""
        return next((m.label for m in cls if m.value == value), str(value))


def enum_column(enum_cls: type[LabeledEnum], **kw) -> sa.Column:
    """Store an enum by its value in a plain VARCHAR.

    A VARCHAR (not a native enum) keeps migrations simple when later issues
    add members, on SQLite and PostgreSQL alike.
    """
    length = max(len(m.value) for m in enum_cls)
    return sa.Column(
        sa.Enum(
            enum_cls,
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            create_constraint=False,
            length=max(length, 16),
            validate_strings=True,
        ),
        **kw,
    )


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware datetimes stored as naive UTC.

    SQLite has no timezone type; storing UTC and handing back aware values
    means Python code never compares naive with aware datetimes.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# The clock (``clss_app.core.clock`` is its name above models): here so that column defaults read it too.
SHANGHAI = ZoneInfo("Asia/Shanghai")  # every user's business day, whatever the server's zone


def utcnow() -> datetime:
    return datetime.now(UTC)


def shanghai_today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


class Money(sa.types.TypeDecorator):
    """An amount of yuan: NUMERIC(12, 2). The admin engine shows and parses a column of this type as
    money (¥1,234.00); a plain Numeric is a decimal, whatever its title says."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 12, scale: int = 2):
        super().__init__(precision=precision, scale=scale)


class Percent(sa.types.TypeDecorator):
    """A rate in percent (0.05 means 0.05 %): NUMERIC(6, 2), shown as "0.05%"."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 6, scale: int = 2):
        super().__init__(precision=precision, scale=scale)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> sa.Index:
    """An index of the rows ``where`` (SQL) holds for, on SQLite and PostgreSQL alike: one agreement in
    force per tenant, a bill waiting in one withholding line."""
    return sa.Index(name, *columns, unique=unique, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def money(title: str, **kw: Any) -> Any:
    """A money column (the same DDL as ``Field(max_digits=12, decimal_places=2)``)."""
    return Field(max_digits=12, decimal_places=2, sa_type=Money, title=title, **kw)


def percent(title: str, **kw: Any) -> Any:
    """A percent column (the same DDL as ``Field(max_digits=6, decimal_places=2)``)."""
    return Field(max_digits=6, decimal_places=2, sa_type=Percent, title=title, **kw)


class ApprovalColumns(SQLModel):
    """What every request that waits for an approver records: who asked, when, and the approver's comment.

    A mixin of table models; the engine lists a model's own columns before the ones mixins add."""

    requested_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="申请人")
    comment: str = Field(default="", max_length=255, title="审批意见")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="申请时间")
    version: int = Field(default=1, title="版本")
