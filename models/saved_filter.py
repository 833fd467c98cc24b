"""常用筛选: a filter set (search, filters, sort) a user saved by name on one list."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow

NAME_MAX = 20


class SavedFilter(SQLModel, table=True):
    __tablename__ = "saved_filter"
    __table_args__ = (sa.UniqueConstraint("user_id", "admin_key", "name", name="uq_saved_filter_user_list_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, title="用户")
    admin_key: str = Field(max_length=64, title="列表")
    name: str = Field(max_length=NAME_MAX, title="名称")
    query: str = Field(max_length=2000, title="筛选条件")  # the list's URL query string (q, f_*, sort)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="保存时间")
