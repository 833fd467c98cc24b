"""系统公告: what a branch's system admin tells the staff of its companies, and who has read it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, shanghai_today, utcnow


class NoticeState(LabeledEnum):
    DRAFT = ("draft", "草稿")
    PUBLISHED = ("published", "已发布")
    WITHDRAWN = ("withdrawn", "已撤回")


class Notice(SQLModel, table=True):
    """A notice of a branch (its system admin's unit) to chosen roles of its companies, or of some of them
    (``notice_company``; none chosen: every company of the branch), shown from ``starts_on`` to ``ends_on``
    (Shanghai days, both included) while published."""

    __tablename__ = "notice"
    __table_args__ = (sa.Index("ix_notice_state_days", "state", "starts_on", "ends_on"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True, title="发布机构")
    title: str = Field(max_length=64, title="标题")
    body: str = Field(sa_type=sa.Text, title="内容")
    to_principal: bool = Field(default=False, title="发给负责人")
    to_multi_store: bool = Field(default=False, title="发给多店店长")
    to_store_manager: bool = Field(default=False, title="发给店长")
    to_store_assistant: bool = Field(default=False, title="发给店助")
    to_finance: bool = Field(default=False, title="发给财务")
    audience: str = Field(default="", max_length=255, title="发送对象")
    starts_on: date = Field(default_factory=shanghai_today, title="生效日期")
    ends_on: date | None = Field(default=None, title="失效日期")
    state: NoticeState = Field(
        default=NoticeState.DRAFT, sa_column=enum_column(NoticeState, nullable=False), title="状态"
    )
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="创建人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="发布时间")
    version: int = Field(default=1, title="版本")


class NoticeCompany(SQLModel, table=True):
    """A company a notice is addressed to (a notice with none goes to every company of its branch)."""

    __tablename__ = "notice_company"

    notice_id: int = Field(foreign_key="notice.id", primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", primary_key=True, index=True)


class NoticeRead(SQLModel, table=True):
    """已读: one user has read one notice (it leaves their home page and bell)."""

    __tablename__ = "notice_read"

    notice_id: int = Field(foreign_key="notice.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    read_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="阅读时间")
