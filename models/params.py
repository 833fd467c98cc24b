"""Key/value parameters: 城市参数 per city, 企业参数 per company."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class CityParam(SQLModel, table=True):
    __tablename__ = "city_param"
    __table_args__ = (sa.UniqueConstraint("city", "key", name="uq_city_param_key"),)

    id: int | None = Field(default=None, primary_key=True)
    city: str = Field(max_length=32, title="城市")
    key: str = Field(max_length=64, title="参数名")
    value: str = Field(max_length=255, title="参数值")
    remark: str = Field(default="", max_length=255, title="说明")
    version: int = Field(default=1, title="版本")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="更新时间")


class EnterpriseParam(SQLModel, table=True):
    __tablename__ = "enterprise_param"
    __table_args__ = (sa.UniqueConstraint("company_id", "key", name="uq_enterprise_param_key"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    key: str = Field(max_length=64, title="参数名")
    value: str = Field(max_length=255, title="参数值")
    remark: str = Field(default="", max_length=255, title="说明")
    version: int = Field(default=1, title="版本")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="更新时间")
