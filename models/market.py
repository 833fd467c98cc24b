"""行情查询: the 住房租赁指数 and 住房价格指数 series by city, area band and month."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, utcnow


class IndexKind(LabeledEnum):
    RENT = ("rent", "住房租赁指数")
    PRICE = ("price", "住房价格指数")


class AreaBand(LabeledEnum):
    UNDER_60 = ("lt60", "60㎡以下")
    FROM_60 = ("60_90", "60–90㎡")
    FROM_90 = ("90_144", "90–144㎡")
    OVER_144 = ("gt144", "144㎡以上")


class MarketIndex(SQLModel, table=True):
    """One month's index value of one city and area band."""

    __tablename__ = "market_index"
    __table_args__ = (sa.UniqueConstraint("kind", "city", "area_band", "month", name="uq_market_index_point"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: IndexKind = Field(sa_column=enum_column(IndexKind, nullable=False), title="指数类型")
    city: str = Field(max_length=32, title="城市")
    area_band: AreaBand = Field(sa_column=enum_column(AreaBand, nullable=False), title="面积段")
    month: date = Field(title="月份")  # always the 1st of the month
    value: Decimal = Field(max_digits=10, decimal_places=2, title="指数值")
    source: str = Field(default="", max_length=64, title="数据来源")
    is_demo: bool = Field(default=False, title="演示数据")
    version: int = Field(default=1, title="版本")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="更新时间")
