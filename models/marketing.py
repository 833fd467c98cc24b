"""营销工具: events with sign-ups, coupons, flash sales, bargains and notifications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow


class Event(SQLModel, table=True):
    """活动: an offline event tenants sign up for in the APP."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=64, title="活动名称")
    starts_at: datetime = Field(sa_type=UTCDateTime, title="开始时间")
    ends_at: datetime = Field(sa_type=UTCDateTime, title="结束时间")
    address: str = Field(max_length=128, title="活动地址")
    capacity: int = Field(title="人数限制")
    signed_up: int = Field(default=0, title="已报名")  # kept by the sign-up's conditional update
    hotline: str = Field(max_length=20, title="活动热线")
    cover: str = Field(max_length=64, title="封面图")
    intro: str = Field(default="", sa_type=sa.Text, title="活动介绍")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class SignupState(LabeledEnum):
    ACTIVE = ("active", "已报名")
    CANCELLED = ("cancelled", "已取消")


class EventSignup(SQLModel, table=True):
    __tablename__ = "event_signup"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, title="活动")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="姓名")
    phone: str = Field(max_length=11, title="手机号")
    state: SignupState = Field(
        default=SignupState.ACTIVE, sa_column=enum_column(SignupState, nullable=False), title="状态"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="报名时间")
    version: int = Field(default=1, title="版本")


class CouponKind(LabeledEnum):
    AMOUNT_OFF = ("amount_off", "满减券")
    PERCENT_OFF = ("percent_off", "折扣券")
    RENT_FREE = ("rent_free", "免租券")


class Coupon(SQLModel, table=True):
    __tablename__ = "coupon"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    name: str = Field(max_length=32, title="名称")
    kind: CouponKind = Field(sa_column=enum_column(CouponKind, nullable=False), title="类型")
    amount: Decimal | None = money("减免金额(元)", default=None)
    threshold: Decimal | None = money("使用门槛(元)", default=None)
    discount: Decimal | None = Field(default=None, max_digits=4, decimal_places=1, title="折扣(折)")
    free_days: int | None = Field(default=None, title="免租天数")
    valid_from: date = Field(title="有效期起")
    valid_to: date = Field(title="有效期止")
    stock: int = Field(title="发放总量")
    issued: int = Field(default=0, title="已领取")
    per_user_limit: int = Field(default=1, title="每人限领")
    enabled: bool = Field(default=True, title="启用")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class CouponProject(SQLModel, table=True):
    __tablename__ = "coupon_project"

    coupon_id: int = Field(foreign_key="coupon.id", primary_key=True)
    project_id: int = Field(foreign_key="project.id", primary_key=True)


class FlashSale(SQLModel, table=True):
    """秒杀: a room at a special price for a window, for as many claims as there is stock."""

    __tablename__ = "flash_sale"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    room_id: int = Field(foreign_key="room.id", title="房间")
    title: str = Field(max_length=64, title="活动标题")
    original_price: Decimal = money("原价(元/月)")
    sale_price: Decimal = money("秒杀价(元/月)")
    starts_at: datetime = Field(sa_type=UTCDateTime, title="开始时间")
    ends_at: datetime = Field(sa_type=UTCDateTime, title="结束时间")
    stock: int = Field(title="库存")
    sold: int = Field(default=0, title="已抢")  # only ever moved by the claim's conditional update
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class FlashClaim(SQLModel, table=True):
    __tablename__ = "flash_claim"
    __table_args__ = (sa.UniqueConstraint("flash_sale_id", "phone", name="uq_flash_claim_phone"),)

    id: int | None = Field(default=None, primary_key=True)
    flash_sale_id: int = Field(foreign_key="flash_sale.id", index=True, title="秒杀活动")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="姓名")
    phone: str = Field(max_length=11, title="手机号")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="抢购时间")


class Bargain(SQLModel, table=True):
    """砍价: friends help a tenant cut the price from the original down to at most the floor."""

    __tablename__ = "bargain"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    room_id: int | None = Field(default=None, foreign_key="room.id", title="房间")
    title: str = Field(max_length=64, title="活动标题")
    original_price: Decimal = money("原价(元/月)")
    floor_price: Decimal = money("底价(元/月)")
    helpers_needed: int = Field(title="需助力人数")
    starts_at: datetime = Field(sa_type=UTCDateTime, title="开始时间")
    ends_at: datetime = Field(sa_type=UTCDateTime, title="结束时间")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class BargainState(LabeledEnum):
    GOING = ("going", "砍价中")
    SUCCEEDED = ("succeeded", "砍价成功")
    FAILED = ("failed", "已失效")


class BargainRecord(SQLModel, table=True):
    __tablename__ = "bargain_record"

    id: int | None = Field(default=None, primary_key=True)
    bargain_id: int = Field(foreign_key="bargain.id", index=True, title="砍价活动")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    name: str = Field(max_length=32, title="发起人")
    phone: str = Field(max_length=11, title="手机号")
    helpers: int = Field(default=0, title="已助力")
    current_price: Decimal = money("当前价(元/月)")
    state: BargainState = Field(
        default=BargainState.GOING, sa_column=enum_column(BargainState, nullable=False), title="状态"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="发起时间")


class Audience(LabeledEnum):
    ALL = ("all", "全部租客")
    PROJECT = ("project", "指定项目租客")
    TENANTS = ("tenants", "指定租客")


class Channel(LabeledEnum):
    APP = ("app", "APP推送")
    SMS = ("sms", "短信")
    INBOX = ("inbox", "站内信")


class NotificationState(LabeledEnum):
    SCHEDULED = ("scheduled", "待发送")
    SENT = ("sent", "已发送")
    WITHDRAWN = ("withdrawn", "已撤回")


class Notification(SQLModel, table=True):
    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    title: str = Field(max_length=64, title="标题")
    body: str = Field(sa_type=sa.Text, title="内容")
    audience: Audience = Field(sa_column=enum_column(Audience, nullable=False), title="发送对象")
    project_id: int | None = Field(default=None, foreign_key="project.id", title="项目")
    channel: Channel = Field(sa_column=enum_column(Channel, nullable=False), title="发送渠道")
    scheduled_at: datetime = Field(sa_type=UTCDateTime, title="发送时间")
    state: NotificationState = Field(
        default=NotificationState.SCHEDULED, sa_column=enum_column(NotificationState, nullable=False), title="状态"
    )
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="创建人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class NotificationTenant(SQLModel, table=True):
    __tablename__ = "notification_tenant"

    notification_id: int = Field(foreign_key="notification.id", primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True)
