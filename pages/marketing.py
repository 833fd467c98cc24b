"""营销工具: events and sign-ups, coupons, flash sales, bargains and notifications, as declarations."""

from sqlmodel import Session

from clss_app.admin import Action, Errors, Image, Input, Link, Many, Masked, ModelAdmin, Range, Scope, Sort, Values, ask
from clss_app.core.errors import Refused, ValidationFailed
from clss_app.core.roles import FRONT_DESK, OWNERS, STORE, SYS
from clss_app.services import marketing
from clss_app.services.permissions import Principal
from models import (
    Bargain,
    BargainHelp,
    BargainRecord,
    Coupon,
    CouponProject,
    Event,
    EventSignup,
    FlashClaim,
    FlashSale,
    Notification,
    NotificationState,
    NotificationTenant,
    Role,
    Room,
    SignupState,
    TenantCoupon,
)

R = Role
COVER_RATIO = (335, 160)

# Signed-up and claiming tenants' phones: in full to the store staff only (core.roles.FRONT_DESK).
PHONE_MASKED = Masked("phone", full=FRONT_DESK, reveal=OWNERS)


class EventAdmin(ModelAdmin, model=Event, key="events"):
    fields_override = {
        "cover": Image(max_mb=2, ratio=COVER_RATIO, help="宽高比 335:160，如 670×320 像素"),
        "capacity": Range(1, 100_000),
    }
    list_columns = ["name", "project_id", "starts_at", "ends_at", "capacity", "signed_up", "hotline"]
    search = ["name", "address"]
    filters = ["project_id", "starts_at"]
    form = ["project_id", "name", "starts_at", "ends_at", "address", "capacity", "hotline", "cover", "intro"]
    default_sort = "-starts_at"
    scope = Scope.project("project_id")
    links = [Link("报名情况", "event_signups", "event_id")]
    can_create = can_update = can_delete = SYS | OWNERS
    can_export = SYS | STORE

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Event | None) -> Errors:
        return marketing.event_problems(values) or marketing.capacity_problem(session, values, row)


class EventSignupAdmin(ModelAdmin, model=EventSignup, key="event_signups"):
    fields_override = {"phone": PHONE_MASKED}
    list_columns = ["event_id", "name", "phone", "state", "created_at"]
    search = ["name", "phone"]
    filters = ["event_id", "state", "project_id"]
    form = ["event_id", "name", "phone"]
    scope = Scope.project("project_id")
    can_create = SYS | STORE  # 代客报名: a tenant who calls the hotline
    can_export = SYS | STORE
    actions = [
        Action(
            "cancel",
            "取消报名",
            marketing.cancel_signups,
            SYS | STORE,
            confirm="确定取消选中的 {n} 条报名吗？名额将释放给其他人。",
            danger=True,
            when={"state": (SignupState.ACTIVE,)},
        )
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: EventSignup | None) -> Errors:
        return marketing.signup_problems(session, values)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: EventSignup | None) -> str:
        try:  # the place is taken here, by a conditional update, in the same transaction as the row
            event = marketing.take_place(session, values["event_id"])
        except Refused as exc:
            raise ValidationFailed({"event_id": str(exc)}) from None
        values["project_id"] = event.project_id
        return f"剩余名额 {event.capacity - event.signed_up - 1} 个" if event.capacity else ""


class CouponAdmin(ModelAdmin, model=Coupon, key="coupons"):
    many = {"projects": Many(CouponProject, "coupon_id", "project_id", "适用项目", help="不选则企业下全部项目可用")}
    fields_override = {
        "discount": Input(help="如 8.5 表示八五折"),
        "stock": Range(1),
        "per_user_limit": Range(1),
        "free_days": Range(1),
    }
    list_columns = [
        "name",
        "kind",
        "amount",
        "threshold",
        "discount",
        "free_days",
        "valid_from",
        "valid_to",
        "fee_kind",
        "stock",
        "issued",
        "used",
        "per_user_limit",
        "enabled",
    ]
    search = ["name"]
    filters = ["kind", "fee_kind", "enabled", "company_id", "valid_to"]
    form = [
        "company_id",
        "name",
        "kind",
        "amount",
        "threshold",
        "discount",
        "free_days",
        "valid_from",
        "valid_to",
        "fee_kind",
        "stock",
        "per_user_limit",
        "projects",
        "enabled",
    ]
    scope = Scope.unit("company_id")
    links = [Link("领券记录", "tenant_coupons", "coupon_id")]
    can_create = can_update = can_delete = SYS | OWNERS
    can_export = SYS | STORE
    actions = [
        Action(
            "grant",
            "发放给租客",
            marketing.grant_to_phones,
            SYS | OWNERS,
            input_label="租客手机号（每行一个，或用逗号分隔）",
            input_required=True,
            confirm="将选中的优惠券发放给所填手机号的租客（须为该券所属企业的租客），计入已领取，不超过发放总量与每人限领。",
        )
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Coupon | None) -> Errors:
        return marketing.coupon_problems(values)


class TenantCouponAdmin(ModelAdmin, model=TenantCoupon, key="tenant_coupons"):
    list_columns = ["coupon_id", "tenant_id", "state", "granted_by_id", "bill_id", "discount", "created_at", "used_at"]
    filters = ["coupon_id", "state", "company_id", "created_at"]
    noun = "领券记录"
    default_sort = "-created_at"
    scope = Scope.unit("company_id")
    can_export = SYS | STORE


class FlashSaleAdmin(ModelAdmin, model=FlashSale, key="flash_sales"):
    fields_override = {"stock": Range(1, 10_000)}
    list_columns = [
        "title",
        "project_id",
        "room_id",
        "original_price",
        "sale_price",
        "starts_at",
        "ends_at",
        "stock",
        "sold",
    ]
    search = ["title"]
    filters = ["project_id", "starts_at"]
    form = ["project_id", "room_id", "title", "original_price", "sale_price", "starts_at", "ends_at", "stock"]
    default_sort = "-starts_at"
    scope = Scope.project("project_id")
    links = [Link("抢购记录", "flash_claims", "flash_sale_id")]
    can_create = can_update = can_delete = SYS | OWNERS
    can_export = SYS | STORE
    actions = [
        Action(
            "claim",
            "代客抢购",
            marketing.claim_for,
            SYS | STORE,
            inputs=ask(FlashClaim, "name", "phone", required=("name", "phone")),
        )
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: FlashSale | None) -> Errors:
        out = marketing.flash_sale_problems(values, row)
        room = session.get(Room, values.get("room_id") or 0)
        if room is not None and room.project_id != values.get("project_id"):
            out["room_id"] = "所选房间不属于该项目"
        return out


class FlashClaimAdmin(ModelAdmin, model=FlashClaim, key="flash_claims"):
    fields_override = {"phone": PHONE_MASKED}
    list_columns = ["flash_sale_id", "name", "phone", "created_at"]
    search = ["name", "phone"]
    filters = ["flash_sale_id", "project_id"]
    scope = Scope.project("project_id")
    can_export = SYS | STORE


class BargainAdmin(ModelAdmin, model=Bargain, key="bargains"):
    list_columns = [
        "title",
        "project_id",
        "room_id",
        "original_price",
        "floor_price",
        "min_cut",
        "max_cut",
        "helpers_needed",
        "stock",
        "sold",
        "starts_at",
        "ends_at",
    ]
    search = ["title"]
    filters = ["project_id", "starts_at"]
    fields_override = {"stock": Range(1, 10_000), "helpers_needed": Range(1, 100)}
    form = [
        "project_id",
        "room_id",
        "title",
        "original_price",
        "floor_price",
        "min_cut",
        "max_cut",
        "helpers_needed",
        "stock",
        "starts_at",
        "ends_at",
    ]
    scope = Scope.project("project_id")
    links = [Link("砍价记录", "bargain_records", "bargain_id")]
    can_create = can_update = can_delete = SYS | OWNERS
    can_export = SYS | STORE

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Bargain | None) -> Errors:
        return marketing.bargain_problems(values)


class BargainRecordAdmin(ModelAdmin, model=BargainRecord, key="bargain_records"):
    fields_override = {"phone": PHONE_MASKED}
    list_columns = [
        "bargain_id",
        "name",
        "phone",
        "helpers",
        "current_price",
        "state",
        "bought_price",
        "bought_at",
        "created_at",
    ]
    search = ["name", "phone"]
    filters = ["bargain_id", "state", "project_id"]
    scope = Scope.project("project_id")
    links = [Link("助力记录", "bargain_helps", "record_id")]
    can_export = SYS | STORE


class BargainHelpAdmin(ModelAdmin, model=BargainHelp, key="bargain_helps"):
    """Who helped a bargain, by how much, and the price after each cut."""

    list_columns = ["record_id", "bargain_id", "name", "amount", "price_after", "created_at"]
    search = ["name"]
    filters = ["record_id", "bargain_id", "project_id", "created_at"]
    noun = "助力记录"
    default_sort = "-created_at"
    scope = Scope.project("project_id")
    can_export = SYS | STORE


class NotificationAdmin(ModelAdmin, model=Notification, key="notifications"):
    many = {
        "tenants": Many(
            NotificationTenant, "notification_id", "tenant_id", "指定租客", help="发送对象为“指定租客”时选择"
        )
    }
    list_columns = [
        "title",
        "audience",
        "project_id",
        "channel",
        "scheduled_at",
        "state",
        "recipients",
        "fail_reason",
        "source",
        "created_by_id",
    ]
    search = ["title", "body"]
    filters = ["audience", "channel", "state", "source", "scheduled_at"]
    form = ["company_id", "title", "body", "audience", "project_id", "city", "tenants", "channel", "scheduled_at"]
    noun = "通知"
    # Those still to send lead, the next first; the sent and withdrawn follow, latest first.
    default_sort = Sort("scheduled_at", first={"state": (NotificationState.SCHEDULED,)}, then="-scheduled_at")
    scope = Scope.unit("company_id")
    can_create = SYS | OWNERS
    can_export = SYS | STORE
    # Sent by the outbox's worker (services/outbox.py) once its 发送时间 comes; 立即发送 brings that forward.
    actions = [
        Action(
            "send_now",
            "立即发送",
            marketing.send_notifications_now,
            SYS | OWNERS,
            confirm="确定立即发送选中的 {n} 条通知吗？",
            when={"state": (NotificationState.SCHEDULED, NotificationState.FAILED)},
        ),
        Action(
            "withdraw",
            "撤回",
            marketing.withdraw_notifications,
            SYS | OWNERS,
            confirm="确定撤回选中的 {n} 条通知吗？",
            danger=True,
            when={"state": (NotificationState.SCHEDULED, NotificationState.FAILED)},
        ),
    ]

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Notification | None) -> Errors:
        return marketing.notification_problems(values, row)

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Notification | None) -> str:
        if row is None:
            values["created_by_id"] = p.actor_id
        return ""
