"""营销工具: events with sign-ups, coupons, flash sales, bargains and notifications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import LabeledEnum, UTCDateTime, enum_column, money, utcnow
from models.leasing import BillKind


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
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
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
    used: int = Field(default=0, title="已使用")  # moved by apply_coupon's conditional update, never past issued
    # The bill kind it may lower (none: any); the projects are in coupon_project.
    fee_kind: BillKind | None = Field(default=None, sa_column=enum_column(BillKind, nullable=True), title="适用费项")
    enabled: bool = Field(default=True, title="启用")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class CouponProject(SQLModel, table=True):
    __tablename__ = "coupon_project"

    coupon_id: int = Field(foreign_key="coupon.id", primary_key=True)
    project_id: int = Field(foreign_key="project.id", primary_key=True)


class TenantCouponState(LabeledEnum):
    UNUSED = ("unused", "未使用")
    USED = ("used", "已使用")


class TenantCoupon(SQLModel, table=True):
    """One coupon a tenant holds: claimed in the APP or granted by staff; used once, on one bill.

    ``seq`` is the tenant's n-th of this coupon: (coupon, tenant, seq) unique makes the per-user limit
    hold when two claims of the same tenant race."""

    __tablename__ = "tenant_coupon"
    __table_args__ = (sa.UniqueConstraint("coupon_id", "tenant_id", "seq", name="uq_tenant_coupon_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int = Field(foreign_key="coupon.id", index=True, title="优惠券")
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    tenant_id: int = Field(foreign_key="tenant.id", index=True, title="租客")
    seq: int = Field(default=1, title="第几张")
    granted_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="发放人")
    state: TenantCouponState = Field(
        default=TenantCouponState.UNUSED, sa_column=enum_column(TenantCouponState, nullable=False), title="状态"
    )
    bill_id: int | None = Field(default=None, foreign_key="bill.id", title="抵扣账单")
    discount: Decimal | None = money("抵扣金额(元)", default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="领取时间")
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="使用时间")
    version: int = Field(default=1, title="版本")


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
    __table_args__ = (
        sa.UniqueConstraint("flash_sale_id", "phone", name="uq_flash_claim_phone"),
        sa.Index("uq_flash_claim_tenant", "flash_sale_id", "tenant_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    flash_sale_id: int = Field(foreign_key="flash_sale.id", index=True, title="秒杀活动")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
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
    min_cut: Decimal = money("每次最少砍(元)", default=Decimal(1))
    max_cut: Decimal = money("每次最多砍(元)", default=Decimal(50))
    stock: int = Field(default=1, title="库存")
    sold: int = Field(default=0, title="已购")  # only ever moved by buy_bargain's conditional update
    starts_at: datetime = Field(sa_type=UTCDateTime, title="开始时间")
    ends_at: datetime = Field(sa_type=UTCDateTime, title="结束时间")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class BargainState(LabeledEnum):
    GOING = ("going", "砍价中")
    SUCCEEDED = ("succeeded", "砍价成功")
    FAILED = ("failed", "已失效")
    BOUGHT = ("bought", "已购买")


class BargainRecord(SQLModel, table=True):
    """One tenant's bargain on an activity (one per tenant): its helpers and the price reached."""

    __tablename__ = "bargain_record"
    __table_args__ = (sa.Index("uq_bargain_record_tenant", "bargain_id", "tenant_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    bargain_id: int = Field(foreign_key="bargain.id", index=True, title="砍价活动")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
    name: str = Field(max_length=32, title="发起人")
    phone: str = Field(max_length=11, title="手机号")
    helpers: int = Field(default=0, title="已助力")
    current_price: Decimal = money("当前价(元/月)")
    state: BargainState = Field(
        default=BargainState.GOING, sa_column=enum_column(BargainState, nullable=False), title="状态"
    )
    bought_price: Decimal | None = money("成交价(元/月)", default=None)
    bought_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="购买时间")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="发起时间")
    version: int = Field(default=1, title="版本")


class BargainHelp(SQLModel, table=True):
    """One friend's cut on a bargain: who helped, by how much, and the price after it."""

    __tablename__ = "bargain_help"
    __table_args__ = (sa.UniqueConstraint("record_id", "tenant_id", name="uq_bargain_help_tenant"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="bargain_record.id", index=True, title="砍价记录")
    bargain_id: int = Field(foreign_key="bargain.id", title="砍价活动")
    project_id: int = Field(foreign_key="project.id", index=True, title="项目")
    tenant_id: int = Field(foreign_key="tenant.id", title="助力租客")
    name: str = Field(max_length=32, title="助力人")
    amount: Decimal = money("砍掉(元)")
    price_after: Decimal = money("砍后价(元/月)")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="助力时间")


class Audience(LabeledEnum):
    ALL = ("all", "全部租客")
    PROJECT = ("project", "指定项目租客")
    TENANTS = ("tenants", "指定租客")
    CITY = ("city", "指定城市租客")
    TENANT = ("tenant", "租客本人")  # what an event (bill confirmed, repair progress) tells one tenant
    ROLE = ("role", "指定角色员工")  # staff of a role whose data scope covers the project (or the company)
    EVENT = ("event", "活动报名人")  # the active sign-ups of an event (by phone)


class Channel(LabeledEnum):
    APP = ("app", "APP推送")  # delivered as a 站内信: the APP lists the tenant's messages
    SMS = ("sms", "短信")
    INBOX = ("inbox", "站内信")
    BELL = ("bell", "员工提醒")  # the admin's bell, with its unread count


class NotificationState(LabeledEnum):
    SCHEDULED = ("scheduled", "待发送")
    SENDING = ("sending", "发送中")
    SENT = ("sent", "已发送")
    FAILED = ("failed", "失败")
    WITHDRAWN = ("withdrawn", "已撤回")


class Notification(SQLModel, table=True):
    """One entry of the outbox (services/outbox.py): what to say, to whom (``audience`` and its target),
    through which channel, from when; the worker sends it once, retrying a failure with backoff."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_due", "state", "scheduled_at"),)

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="org_unit.id", index=True, title="所属企业")
    title: str = Field(max_length=64, title="标题")
    body: str = Field(sa_type=sa.Text, title="内容")
    audience: Audience = Field(sa_column=enum_column(Audience, nullable=False), title="发送对象")
    project_id: int | None = Field(default=None, foreign_key="project.id", title="项目")
    city: str = Field(default="", max_length=32, title="城市")
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
    # The roles of an audience 指定角色员工, by value, comma-separated ("principal,multi_store_manager").
    roles: str = Field(default="", max_length=128, title="接收角色")
    event_id: int | None = Field(default=None, foreign_key="event.id", title="活动")
    channel: Channel = Field(sa_column=enum_column(Channel, nullable=False), title="发送渠道")
    scheduled_at: datetime = Field(sa_type=UTCDateTime, title="发送时间")
    state: NotificationState = Field(
        default=NotificationState.SCHEDULED, sa_column=enum_column(NotificationState, nullable=False), title="状态"
    )
    source: str = Field(default="人工", max_length=16, title="来源")
    # One notification per happening that must not repeat (an event's reminder): unique when set.
    source_key: str | None = Field(default=None, max_length=64, unique=True, index=True, title="来源标识")
    attempts: int = Field(default=0, title="发送次数")
    next_try_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="下次重试")
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime, title="发送锁定至")
    fail_reason: str = Field(default="", max_length=255, title="失败原因")
    recipients: int = Field(default=0, title="送达人数")
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="发送完成时间")
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id", title="创建人")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
    version: int = Field(default=1, title="版本")


class NotificationTenant(SQLModel, table=True):
    __tablename__ = "notification_tenant"

    notification_id: int = Field(foreign_key="notification.id", primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True)


class MessageState(LabeledEnum):
    PENDING = ("pending", "待发送")
    SENDING = ("sending", "发送中")
    SENT = ("sent", "已发送")
    FAILED = ("failed", "失败")


class NotificationMessage(SQLModel, table=True):
    """One recipient of a notification: a tenant's 站内信, a staff member's bell item or one SMS.
    (notification, recipient) is unique, so resolving the target twice delivers nothing twice; an SMS
    is claimed by a conditional UPDATE before it goes out and is never sent again once claimed."""

    __tablename__ = "notification_message"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "recipient", name="uq_notification_message_recipient"),
        sa.Index("ix_notification_message_tenant", "tenant_id", "id"),
        sa.Index("ix_notification_message_user", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", index=True, title="通知")
    recipient: str = Field(max_length=40, title="接收人")  # "t:12" tenant, "u:5" staff, "p:138…" phone
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", title="租客")
    user_id: int | None = Field(default=None, foreign_key="app_user.id", title="员工")
    phone: str = Field(default="", max_length=20, title="手机号")
    channel: Channel = Field(sa_column=enum_column(Channel, nullable=False), title="渠道")
    state: MessageState = Field(
        default=MessageState.PENDING, sa_column=enum_column(MessageState, nullable=False), title="状态"
    )
    fail_reason: str = Field(default="", max_length=255, title="失败原因")
    provider_ref: str = Field(default="", max_length=64, title="短信流水号")
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="送达时间")
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime, title="阅读时间")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, title="创建时间")
