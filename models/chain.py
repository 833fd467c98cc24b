"""区块链管理 / 住房链上架: a company's application to list a project's rooms on 住房链, and each room's result.

An application lists the rooms of its project not yet on the chain; each of them has one result row
from the moment the application is made (未上架), which the end-of-day batch turns into 上架成功 or
上架失败 with the chain's reason, once (a conditional update; a unique key per application and room).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, partial_index, utcnow


class ChainApplyState(LabeledEnum):
    PENDING = ("pending", "待审核")
    APPROVED = ("approved", "待上架")  # approved by the branch: the next end-of-day batch sends it
    LISTED = ("listed", "上架完成")  # the chain answered for every room (each room's own result may fail)
    REJECTED = ("rejected", "已驳回")


class ChainApplication(SQLModel, table=True):
    """住房链上架申请: one project of a company, reviewed by its branch's 系统管理员."""

    __tablename__ = "chain_application"
    __table_args__ = (
        # One open application a project (two heads applying at once: the second is refused here too).
        partial_index("uq_chain_application_open", "project_id", where="state IN ('pending', 'approved')", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, title="申请编号")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    state: ChainApplyState = Field(
        default=ChainApplyState.PENDING, sa_column=enum_column(ChainApplyState, nullable=False), title="状态"
    )
    remark: str = Field(default="", max_length=255, title="申请说明")
    room_count: int = Field(default=0, title="申请房间数")
    platform_name: str = Field(default="", max_length=32, title="来源平台名称")
    platform_code: str = Field(default="", max_length=32, title="来源平台编码")
    applied_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="申请人")
    applied_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="申请时间")
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="审核人")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="审核时间")
    review_comment: str = Field(default="", max_length=255, title="审核意见")
    # The batch's number is the chain's idempotency key: given at the first attempt, kept for every retry.
    batch_no: str = Field(default="", max_length=24, title="上架批次号")
    batch_day: date | None = Field(default=None, title="上架日期")
    attempts: int = Field(default=0, title="发送次数")
    listed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="上架处理时间")
    succeeded_count: int = Field(default=0, title="上架成功")
    failed_count: int = Field(default=0, title="上架失败")
    note: str = Field(default="", max_length=255, title="处理说明")  # why the last attempt did not go through
    version: int = Field(default=1, title="版本")


class ListingState(LabeledEnum):
    WAITING = ("waiting", "未上架")
    LISTED = ("listed", "上架成功")
    FAILED = ("failed", "上架失败")


class ChainListing(SQLModel, table=True):
    """上架结果: one room of an application, and what 住房链 made of it."""

    __tablename__ = "chain_listing"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "room_id", name="uq_chain_listing_application_room"),
        sa.Index("ix_chain_listing_project_day", "project_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="chain_application.id", title="上架申请")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="企业")
    project_id: int = Field(foreign_key="project.id", title="项目")
    room_id: int = Field(foreign_key="room.id", index=True, title="房间")
    external_code: str = Field(default="", max_length=64, title="来源平台房间编号")
    state: ListingState = Field(
        default=ListingState.WAITING, sa_column=enum_column(ListingState, nullable=False), title="上架结果"
    )
    reason: str = Field(default="", max_length=128, title="失败原因")
    chain_code: str = Field(default="", max_length=40, title="住房链房源编号")
    day: date | None = Field(default=None, title="上架日期")
    listed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="结果时间")
    version: int = Field(default=1, title="版本")
