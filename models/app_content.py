"""APP管理: banners of the tenants' APP home page, tenant evaluations, system feedback from branches."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, utcnow


class BannerGroup(LabeledEnum):
    HOME = ("home", "首页Banner")
    FEATURED = ("featured", "运营精选")
    RECOMMEND = ("recommend", "首页推荐")


class LinkKind(LabeledEnum):
    NONE = ("none", "不跳转")
    PROJECT = ("project", "项目")
    EVENT = ("event", "活动")
    URL = ("url", "网址")


class Banner(SQLModel, table=True):
    __tablename__ = "banner"
    __table_args__ = (sa.Index("ix_banner_group_city_order", "group", "city", "sort_order"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True, title="所属分行")
    group: BannerGroup = Field(sa_column=enum_column(BannerGroup, nullable=False), title="所属分组")
    title: str = Field(max_length=32, title="标题")
    image: str = Field(max_length=64, title="图片")
    city: str = Field(max_length=32, title="城市")
    link_kind: LinkKind = Field(
        default=LinkKind.NONE, sa_column=enum_column(LinkKind, nullable=False), title="跳转类型"
    )
    project_id: int | None = Field(default=None, foreign_key="project.id", title="跳转项目")
    event_id: int | None = Field(default=None, foreign_key="event.id", title="跳转活动")
    url: str = Field(default="", max_length=255, title="跳转网址")
    sort_order: int = Field(default=0, title="排序")
    online_from: datetime = Field(sa_type=UTCDateTime, title="上线时间")
    online_to: datetime = Field(sa_type=UTCDateTime, title="下线时间")
    enabled: bool = Field(default=True, title="启用")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class Evaluation(SQLModel, table=True):
    """A tenant's rating of a finished lease, written in the APP; staff only read it."""

    __tablename__ = "evaluation"
    __table_args__ = (sa.Index("uq_evaluation_contract", "contract_id", unique=True),)  # once per contract

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    contract_id: int | None = Field(default=None, foreign_key="contract.id", title="合同")
    tenant_id: int = Field(foreign_key="tenant.id", title="租客")
    score: int = Field(title="评分")
    content: str = Field(default="", sa_type=sa.Text, title="评价内容")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="评价时间")


class FeedbackKind(LabeledEnum):
    DEFECT = ("defect", "系统缺陷")
    REQUEST = ("request", "功能需求")


class FeedbackState(LabeledEnum):
    OPEN = ("open", "待处理")
    IN_PROGRESS = ("in_progress", "处理中")
    DONE = ("done", "已解决")


class Feedback(SQLModel, table=True):
    """系统反馈: a branch admin reports a defect or asks for a feature; HQ follows it up."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True, title="提交机构")
    kind: FeedbackKind = Field(sa_column=enum_column(FeedbackKind, nullable=False), title="反馈类型")
    title: str = Field(max_length=64, title="标题")
    content: str = Field(sa_type=sa.Text, title="反馈内容")
    state: FeedbackState = Field(
        default=FeedbackState.OPEN, sa_column=enum_column(FeedbackState, nullable=False), title="处理状态"
    )
    reply: str = Field(default="", max_length=255, title="处理说明")
    submitted_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="提交人")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="提交租客")  # from the APP
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="提交时间")
    version: int = Field(default=1, title="版本")
