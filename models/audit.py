"""Who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_resource_row", "resource", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True, title="时间")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", title="操作人")
    username: str = Field(default="", max_length=32, title="操作人")
    org_unit_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True, title="操作人机构")
    resource: str = Field(max_length=48, index=True, title="对象")
    row_id: int | None = Field(default=None, title="记录ID")
    action: str = Field(max_length=32, title="操作")
    summary: str = Field(default="", max_length=255, title="摘要")
    before: str | None = Field(default=None, sa_type=sa.Text, title="修改前")
    after: str | None = Field(default=None, sa_type=sa.Text, title="修改后")
