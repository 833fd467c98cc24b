"""Column types and enum conventions shared by every model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from zoneinfo import ZoneInfo

import sqlalchemy as sa


class LabeledEnum(str, Enum):
    """A string enum whose members carry their Chinese UI label.

    Declared as ``MEMBER = ("value", "标签")``: the value is what the database
    stores, the label is what forms, filters, badges and exports show.
    """

    label: str

    def __new__(cls, value: str, label: str = ""):  # a member is looked up by its value alone
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
        try:
            return cls(value).label
        except ValueError:
            return str(value)


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
