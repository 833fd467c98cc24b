"""APP content and 营销工具 rules: banner targets and limits, event sign-ups and flash-sale claims that
never go past capacity or stock, coupon, bargain and notification terms.

Capacity and stock are held by a counter on the row, moved only by a conditional UPDATE
(``… SET n = n + 1 WHERE id = ? AND n < limit``): two clerks or a thousand tenants at once can
never take the last place twice, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit, clock
from clss_app.core.errors import Refused
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import ledger, outbox
from clss_app.services.bills import OPEN, outstanding
from clss_app.services.permissions import Principal, scope_clause
from models import (
    Audience,
    Banner,
    BannerGroup,
    Bargain,
    BargainHelp,
    BargainRecord,
    BargainState,
    Bill,
    BillKind,
    Channel,
    Coupon,
    CouponKind,
    CouponProject,
    Event,
    EventSignup,
    FlashClaim,
    FlashSale,
    LedgerSource,
    LinkKind,
    Notification,
    NotificationState,
    PaymentMethod,
    Project,
    SignupState,
    Tenant,
    TenantCoupon,
    TenantCouponState,
    utcnow,
)

CENT = Decimal("0.01")

MAX_RECOMMENDATIONS = 6
PHONE = re.compile(r"^1\d{10}$")
URL = re.compile(r"^https?://\S+$")


def missing(what: str) -> Refused:
    """Not found, or not the tenant's to act on: the API answers 404 either way."""
    return Refused(f"{what}不存在", status=404, code="not_found")


def tenant_of(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise missing("租客")
    return tenant


def _within(session: Session, tenant: Tenant, project_id: int, what: str) -> None:
    """A tenant acts only on the activities of their own company's projects."""
    project = session.get(Project, project_id)
    if project is None or project.company_id != tenant.company_id:
        raise missing(f"该{what}")


# ---------------------------------------------------------------- banners


def banner_problems(session: Session, values: dict, row: Banner | None) -> dict[str, str]:
    out: dict[str, str] = {}
    group, link = values.get("group"), values.get("link_kind") or LinkKind.NONE
    if values.get("online_from") and values.get("online_to") and values["online_to"] <= values["online_from"]:
        out["online_to"] = "下线时间须晚于上线时间"
    if link == LinkKind.PROJECT and not values.get("project_id"):
        out["project_id"] = "跳转到项目时请选择项目"
    if link == LinkKind.EVENT and not values.get("event_id"):
        out["event_id"] = "跳转到活动时请选择活动"
    if link == LinkKind.URL and not URL.match(values.get("url") or ""):
        out["url"] = "请填写以 http:// 或 https:// 开头的网址"
    if group == BannerGroup.RECOMMEND:
        # 首页推荐 recommends projects of the city, at most six of them.
        if link != LinkKind.PROJECT:
            out["link_kind"] = "首页推荐只能推荐项目，请选择跳转到项目"
        project = session.get(Project, values.get("project_id") or 0)
        if project is not None and project.city != values.get("city"):
            out["project_id"] = f"所选项目在{project.city}，与推荐城市（{values.get('city')}）不一致"
        if values.get("enabled", True):
            others = session.exec(
                select(sa.func.count())
                .select_from(Banner)
                .where(
                    Banner.group == BannerGroup.RECOMMEND,
                    Banner.city == values.get("city"),
                    Banner.enabled.is_(True),
                    Banner.id != (row.id if row else -1),
                )
            ).one()
            if others >= MAX_RECOMMENDATIONS:
                out["city"] = (
                    f"{values.get('city')}的首页推荐已有 {others} 个，最多 {MAX_RECOMMENDATIONS} 个；请先停用或删除一个"
                )
    return out


def home_preview(session: Session, city: str, now: datetime | None = None) -> dict[str, list[Banner]]:
    """What a tenant in ``city`` sees on the APP home page now: each group's live banners in order."""
    now = now or utcnow()
    rows = session.exec(
        select(Banner)
        .where(Banner.city == city, Banner.enabled.is_(True), Banner.online_from <= now, Banner.online_to > now)
        .order_by(Banner.group, Banner.sort_order, Banner.id)
    ).all()
    out = {g.value: [b for b in rows if b.group == g] for g in BannerGroup}
    out[BannerGroup.RECOMMEND.value] = out[BannerGroup.RECOMMEND.value][:MAX_RECOMMENDATIONS]
    return out


def preview_cities(session: Session, p: Principal) -> list[str]:
    """The cities of the banners inside p's scope, for the APP首页预览's city picker."""
    return list(
        session.exec(
            select(Banner.city).distinct().where(scope_clause(p, Banner.branch_id, by="unit")).order_by(Banner.city)
        ).all()
    )


def preview_cards(session: Session, p: Principal, city: str) -> dict[str, list[dict[str, str]]]:
    """``home_preview`` as p may see it: per group, the live banners of p's scope as
    {image (stored name), title, target ("项目：…", "活动：…" or the URL)}."""
    live = home_preview(session, city)
    mine = set(session.exec(select(Banner.id).where(scope_clause(p, Banner.branch_id, by="unit"))).all())
    shown = [b for bs in live.values() for b in bs]
    projects = {b.project_id for b in shown} - {None}
    events = {b.event_id for b in shown} - {None}
    names = dict(session.exec(select(Project.id, Project.name).where(Project.id.in_(projects))).all())
    titles = dict(session.exec(select(Event.id, Event.name).where(Event.id.in_(events))).all())

    def card(b: Banner) -> dict[str, str]:
        target = {
            LinkKind.PROJECT: f"项目：{names.get(b.project_id, '')}",
            LinkKind.EVENT: f"活动：{titles.get(b.event_id, '')}",
            LinkKind.URL: b.url,
        }.get(b.link_kind, "")
        return {"image": b.image, "title": b.title, "target": target}

    return {g: [card(b) for b in bs if b.id in mine] for g, bs in live.items()}


# ---------------------------------------------------------------- events


def event_problems(values: dict) -> dict[str, str]:
    out = {}
    if values.get("starts_at") and values.get("ends_at") and values["ends_at"] <= values["starts_at"]:
        out["ends_at"] = "结束时间须晚于开始时间"
    if values.get("capacity") is not None and values["capacity"] < 1:
        out["capacity"] = "人数限制至少为 1"
    if values.get("hotline") and not re.match(r"^[0-9\-]{7,20}$", values["hotline"]):
        out["hotline"] = "活动热线须为电话号码，如 010-12345678"
    return out


def capacity_problem(session: Session, values: dict, row: Event | None) -> dict[str, str]:
    """A smaller capacity may not drop below the people already signed up."""
    if row is not None and values.get("capacity") is not None and values["capacity"] < row.signed_up:
        return {"capacity": f"已有 {row.signed_up} 人报名，人数限制不能少于此数"}
    return {}


def signup_problems(session: Session, values: dict) -> dict[str, str]:
    """A sign-up's own checks; the place itself is taken by ``take_place``."""
    phone = (values.get("phone") or "").strip()
    if not PHONE.match(phone):
        return {"phone": "手机号须为 11 位数字，以 1 开头"}
    event = session.get(Event, values.get("event_id") or 0)
    if event is None:
        return {"event_id": "请选择活动"}
    if event.ends_at <= utcnow():
        return {"event_id": "活动已结束，不能报名"}
    if session.exec(
        select(EventSignup.id).where(
            EventSignup.event_id == event.id, EventSignup.phone == phone, EventSignup.state == SignupState.ACTIVE
        )
    ).first():
        return {"phone": f"手机号 {phone} 已报名该活动"}
    return {}


def take_place(session: Session, event_id: int) -> Event:
    """One place of the event, by a conditional UPDATE; Refused when it is full."""
    taken = changed(
        session,
        sa.update(Event)
        .where(Event.id == event_id, Event.signed_up < Event.capacity)
        .values(signed_up=Event.signed_up + 1, version=Event.version + 1)
        .execution_options(synchronize_session=False),
    )
    event = session.get_one(Event, event_id)
    if taken != 1:
        raise Refused(f"活动名额已满（限 {event.capacity} 人）", code="full")
    return event


def sign_up(session: Session, event_id: int, name: str, phone: str, tenant_id: int | None = None) -> EventSignup:
    """Sign one person up (as the APP does), or refuse: full, over, or this phone already in."""
    problems = signup_problems(session, {"event_id": event_id, "phone": phone})
    if not (name or "").strip():
        problems["name"] = "请填写姓名"
    if problems:
        raise Refused("；".join(problems.values()))
    event = take_place(session, event_id)
    row = EventSignup(
        event_id=event_id, project_id=event.project_id, name=name.strip(), phone=phone.strip(), tenant_id=tenant_id
    )
    session.add(row)
    session.flush()
    return row


def _signed_up(session: Session, event_id: int, tenant: Tenant) -> bool:
    """The tenant (or their phone, signed up by a clerk) already holds a place of the event."""
    return (
        session.exec(
            select(EventSignup.id).where(
                EventSignup.event_id == event_id,
                (EventSignup.tenant_id == saved_id(tenant)) | (EventSignup.phone == tenant.phone),
                EventSignup.state == SignupState.ACTIVE,
            )
        ).first()
        is not None
    )


def sign_up_tenant(session: Session, tenant_id: int, event_id: int, now: datetime | None = None) -> EventSignup:
    """The APP's 报名: the tenant signs up under their own name and phone, once; never past the capacity.

    The place is taken first (a conditional UPDATE of the event's row, which PostgreSQL keeps locked
    until the commit), then the tenant's earlier sign-up is looked for again: a second sign-up of the same
    tenant at the same moment waits for the first, sees it and gives its place back (the savepoint)."""
    tenant = tenant_of(session, tenant_id)
    event = session.get(Event, event_id)
    if event is None:
        raise missing("活动")
    _within(session, tenant, event.project_id, "活动")
    if event.ends_at <= (now or utcnow()):
        raise Refused("活动已结束，不能报名", code="ended")
    already = Refused("您已报名该活动", code="already_signed_up")
    if _signed_up(session, event_id, tenant):
        raise already
    with session.begin_nested():
        take_place(session, event_id)
        if _signed_up(session, event_id, tenant):
            raise already
        row = EventSignup(
            event_id=event_id, project_id=event.project_id, name=tenant.name, phone=tenant.phone, tenant_id=tenant_id
        )
        session.add(row)
        session.flush()
    audit.record(session, None, "event_signups", row.id, "create", summary=f"租客 {tenant.name} 报名 {event.name}")
    return row


def _move_each(session: Session, rows: list, model, from_state, to_state, refusal: str, after=None) -> ActionResult:
    """Move each row from one state to the next by a conditional UPDATE; rows already moved are refused."""
    result = ActionResult()
    for r in rows:
        moved = changed(
            session,
            sa.update(model)
            .where(model.id == r.id, model.state == from_state)
            .values(state=to_state, version=model.version + 1)
            .execution_options(synchronize_session=False),
        )
        if moved:
            result.done += 1
            if after:
                after(r)
        else:
            result.refused.append((str(getattr(r, "name", None) or getattr(r, "title", "")), refusal))
    return result


def cancel_signups(ctx: ActionContext) -> ActionResult:
    session, rows = ctx.session, ctx.rows

    def free_place(r):
        session.execute(
            sa.update(Event)
            .where(Event.id == r.event_id, Event.signed_up > 0)
            .values(signed_up=Event.signed_up - 1)
            .execution_options(synchronize_session=False)
        )

    return _move_each(session, rows, EventSignup, SignupState.ACTIVE, SignupState.CANCELLED, "报名已取消", free_place)


def withdraw_notifications(ctx: ActionContext) -> ActionResult:
    """撤回: a notification not sent yet (待发送, or 失败 waiting for its retry) is never sent."""
    result = ActionResult()
    for n in ctx.rows:
        if outbox.withdraw(ctx.session, saved_id(n)):
            result.done += 1
        else:
            result.refused.append((n.title, "只能撤回待发送或发送失败的通知"))
    return result


def send_notifications_now(ctx: ActionContext) -> ActionResult:
    """立即发送: the worker sends it in its next round (a few seconds), a failed one without waiting for its retry."""
    result = ActionResult()
    now = utcnow()
    for n in ctx.rows:
        if changed(
            ctx.session,
            sa.update(Notification)
            .where(
                Notification.id == n.id, Notification.state.in_([NotificationState.SCHEDULED, NotificationState.FAILED])
            )
            .values(
                state=NotificationState.SCHEDULED, scheduled_at=now, next_try_at=None, version=Notification.version + 1
            )
            .execution_options(synchronize_session=False),
        ):
            result.done += 1
        else:
            result.refused.append((n.title, f"当前为{n.state.label}，不能立即发送"))
    return result


# ---------------------------------------------------------------- flash sales, bargains, coupons


def flash_sale_problems(values: dict, row: FlashSale | None) -> dict[str, str]:
    out = {}
    if values.get("starts_at") and values.get("ends_at") and values["ends_at"] <= values["starts_at"]:
        out["ends_at"] = "结束时间须晚于开始时间"
    if (
        values.get("sale_price") is not None
        and values.get("original_price") is not None
        and values["sale_price"] >= values["original_price"]
    ):
        out["sale_price"] = "秒杀价须低于原价"
    if values.get("stock") is not None and values["stock"] < max(1, row.sold if row else 0):
        out["stock"] = f"库存不能少于 {max(1, row.sold if row else 0)}（已抢 {row.sold if row else 0}）"
    return out


def _claim(
    session: Session, sale: FlashSale, name: str, phone: str, tenant_id: int | None, now: datetime
) -> FlashClaim:
    """Take one unit by a conditional UPDATE and write the claim, in a savepoint: a repeated claim
    (the phone or the tenant already in: a unique index) gives its unit back before it is refused."""
    if not sale.starts_at <= now < sale.ends_at:
        raise (
            Refused("不在秒杀时间内", code="not_started") if now < sale.ends_at else Refused("秒杀已结束", code="ended")
        )
    taken_by = select(FlashClaim.id).where(
        FlashClaim.flash_sale_id == saved_id(sale),
        (FlashClaim.tenant_id == tenant_id) if tenant_id is not None else (FlashClaim.phone == phone),
    )
    if session.exec(taken_by).first() is not None:
        raise Refused(
            "您已抢购过该秒杀" if tenant_id is not None else f"手机号 {phone} 已抢购过", code="already_claimed"
        )
    try:
        with session.begin_nested():
            taken = changed(
                session,
                sa.update(FlashSale)
                .where(FlashSale.id == sale.id, FlashSale.sold < FlashSale.stock)
                .values(sold=FlashSale.sold + 1)
                .execution_options(synchronize_session=False),
            )
            if taken != 1:
                raise Refused("已抢光", code="sold_out")
            row = FlashClaim(
                flash_sale_id=saved_id(sale),
                project_id=sale.project_id,
                tenant_id=tenant_id,
                name=name.strip() or "租客",
                phone=phone.strip(),
            )
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:  # the same tenant or phone at the same moment: the unit went back
        raise Refused(
            "您已抢购过该秒杀" if tenant_id is not None else f"手机号 {phone} 已抢购过", code="already_claimed"
        ) from None
    return row


def claim(session: Session, sale_id: int, name: str, phone: str, now: datetime | None = None) -> FlashClaim:
    """代客抢购: one unit of a flash sale for this phone, or refuse; never past the stock. A phone of a
    registered tenant of the project's company is that tenant's claim (their once-only counts)."""
    now = now or utcnow()
    if not PHONE.match((phone or "").strip()):
        raise Refused("手机号须为 11 位数字，以 1 开头")
    sale = session.get(FlashSale, sale_id)
    if sale is None:
        raise missing("秒杀活动")
    project = session.get_one(Project, sale.project_id)
    tenant = session.exec(
        select(Tenant).where(Tenant.company_id == project.company_id, Tenant.phone == phone.strip())
    ).first()
    return _claim(session, sale, name, phone, tenant.id if tenant else None, now)


def claim_flash_sale(session: Session, tenant_id: int, sale_id: int, now: datetime | None = None) -> FlashClaim:
    """The APP's 抢购: one unit for this tenant, once per tenant, never past the stock."""
    tenant = tenant_of(session, tenant_id)
    sale = session.get(FlashSale, sale_id)
    if sale is None:
        raise missing("秒杀活动")
    _within(session, tenant, sale.project_id, "秒杀活动")
    row = _claim(session, sale, tenant.name, tenant.phone, tenant_id, now or utcnow())
    audit.record(session, None, "flash_claims", row.id, "claim", summary=f"租客 {tenant.name} 抢购 {sale.title}")
    return row


def claim_for(ctx: ActionContext) -> ActionResult:
    """代客抢购: one claim on each chosen sale for the person named, each refused by its reason."""
    session, rows, values = ctx.session, ctx.rows, ctx.values
    result = ActionResult()
    for sale in rows:
        try:
            claim(session, saved_id(sale), values.get("name") or "", values.get("phone") or "")
            result.done += 1
        except Refused as exc:
            result.refused.append((sale.title, str(exc)))
    return result


def bargain_problems(values: dict) -> dict[str, str]:
    out = {}
    low, high = values.get("min_cut"), values.get("max_cut")
    if low is not None and low <= 0:
        out["min_cut"] = "每次最少砍须大于 0"
    if low is not None and high is not None and high < low:
        out["max_cut"] = "每次最多砍不能少于每次最少砍"
    if (
        high is not None
        and values.get("floor_price") is not None
        and values.get("original_price") is not None
        and high > values["original_price"] - values["floor_price"]
    ):
        out["max_cut"] = "每次最多砍不能超过原价与底价之差"
    if values.get("stock") is not None and values["stock"] < 1:
        out["stock"] = "库存至少为 1"
    if (
        values.get("floor_price") is not None
        and values.get("original_price") is not None
        and values["floor_price"] >= values["original_price"]
    ):
        out["floor_price"] = "底价须低于原价"
    if values.get("helpers_needed") is not None and not 1 <= values["helpers_needed"] <= 100:
        out["helpers_needed"] = "需助力人数须在 1–100 之间"
    if values.get("starts_at") and values.get("ends_at") and values["ends_at"] <= values["starts_at"]:
        out["ends_at"] = "结束时间须晚于开始时间"
    return out


def coupon_problems(values: dict) -> dict[str, str]:
    """Each kind needs its own terms, and only those."""
    out = {}
    kind = values.get("kind")
    if kind == CouponKind.AMOUNT_OFF:
        if not values.get("amount"):
            out["amount"] = "满减券请填写减免金额"
        elif values.get("threshold") is not None and values["threshold"] and values["amount"] >= values["threshold"]:
            out["amount"] = "减免金额须小于使用门槛"
    if kind == CouponKind.PERCENT_OFF and not (values.get("discount") and 1 <= values["discount"] < 10):
        out["discount"] = "折扣须在 1.0–9.9 折之间"
    if kind == CouponKind.RENT_FREE and not (values.get("free_days") and 1 <= values["free_days"] <= 90):
        out["free_days"] = "免租天数须在 1–90 之间"
    if values.get("valid_from") and values.get("valid_to") and values["valid_to"] < values["valid_from"]:
        out["valid_to"] = "有效期止不能早于有效期起"
    if values.get("stock") is not None and values["stock"] < 1:
        out["stock"] = "发放总量至少为 1"
    if (
        values.get("per_user_limit") is not None
        and values.get("stock") is not None
        and not 1 <= values["per_user_limit"] <= values["stock"]
    ):
        out["per_user_limit"] = "每人限领须在 1 与发放总量之间"
    return out


def notification_problems(values: dict, row) -> dict[str, str]:
    out = {}
    audience = values.get("audience")
    if audience == Audience.PROJECT and not values.get("project_id"):
        out["project_id"] = "发送给指定项目时请选择项目"
    if audience == Audience.TENANTS and not values.get("tenants"):
        out["tenants"] = "发送给指定租客时请至少选择一位租客"
    if audience == Audience.CITY and not (values.get("city") or "").strip():
        out["city"] = "发送给指定城市时请填写城市"
    if audience in (Audience.TENANT, Audience.ROLE, Audience.EVENT):
        out["audience"] = f"“{audience.label}”仅用于系统事件的通知，请选择全部租客、指定项目、指定城市或指定租客"
    if values.get("channel") == Channel.BELL:
        out["channel"] = "员工提醒只发给员工，租客请选择站内信、APP推送或短信"
    if row is None and values.get("scheduled_at") and values["scheduled_at"] < utcnow():
        out["scheduled_at"] = "发送时间不能早于现在"
    return out


# ---------------------------------------------------------------- coupons held by tenants


def _issue(session: Session, coupon: Coupon, tenant: Tenant, granted_by_id: int | None = None) -> TenantCoupon:
    """One coupon to one tenant: the total by a conditional UPDATE of ``issued``, the per-user limit by
    the (coupon, tenant, seq) unique key; both in a savepoint, so a refusal leaves nothing taken."""
    today = clock.today()
    if not coupon.enabled:
        raise Refused(f"优惠券「{coupon.name}」已停用", code="disabled")
    if coupon.valid_to < today:
        raise Refused(f"优惠券「{coupon.name}」已过期（有效期至 {coupon.valid_to}）", code="expired")
    if coupon.company_id != tenant.company_id:
        raise Refused(f"优惠券「{coupon.name}」不适用于{tenant.name}所在企业", status=404, code="not_found")
    held = session.exec(
        select(sa.func.count())
        .select_from(TenantCoupon)
        .where(TenantCoupon.coupon_id == saved_id(coupon), TenantCoupon.tenant_id == saved_id(tenant))
    ).one()
    over = f"优惠券「{coupon.name}」每人限领 {coupon.per_user_limit} 张，{tenant.name}已领 {held} 张"
    if held >= coupon.per_user_limit:
        raise Refused(over, code="already_claimed")
    try:
        with session.begin_nested():
            taken = changed(
                session,
                sa.update(Coupon)
                .where(Coupon.id == coupon.id, Coupon.issued < Coupon.stock, Coupon.enabled.is_(True))
                .values(issued=Coupon.issued + 1, version=Coupon.version + 1)
                .execution_options(synchronize_session=False),
            )
            if taken != 1:
                raise Refused(f"优惠券「{coupon.name}」已领完（共 {coupon.stock} 张）", code="sold_out")
            row = TenantCoupon(
                coupon_id=saved_id(coupon),
                company_id=coupon.company_id,
                tenant_id=saved_id(tenant),
                seq=held + 1,
                granted_by_id=granted_by_id,
            )
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:  # the same tenant's other claim won the same place: the count went back
        raise Refused(over, code="already_claimed") from None
    return row


def claim_coupon(session: Session, tenant_id: int, coupon_id: int) -> TenantCoupon:
    """The APP's 领券: one coupon for the tenant, never past the total nor the per-user limit."""
    tenant = tenant_of(session, tenant_id)
    coupon = session.get(Coupon, coupon_id)
    if coupon is None or coupon.company_id != tenant.company_id:
        raise missing("优惠券")
    row = _issue(session, coupon, tenant)
    audit.record(session, None, "coupons", coupon.id, "claim", summary=f"租客 {tenant.name} 领取 {coupon.name}")
    return row


def grant_coupon(session: Session, p: Principal, coupon_id: int, tenant_ids: list[int]) -> ActionResult:
    """发券: staff give the coupon to chosen tenants of its company; each refused by its own reason."""
    coupon = session.get_one(Coupon, coupon_id)
    result = ActionResult()
    for tid in dict.fromkeys(tenant_ids):
        tenant = session.get(Tenant, tid)
        if tenant is None:
            result.refused.append((str(tid), "租客不存在"))
            continue
        try:
            _issue(session, coupon, tenant, granted_by_id=p.actor_id if p else None)
        except Refused as exc:
            result.refused.append((tenant.name, str(exc)))
            continue
        audit.record(session, p, "coupons", coupon.id, "grant", summary=f"发放 {coupon.name} 给 {tenant.name}")
        result.done += 1
    return result


PHONE_LIST = re.compile(r"[\s,，;；、]+")


def grant_to_phones(ctx: ActionContext) -> ActionResult:
    """发放给租客 (the 优惠券 page's action): the tenants typed by phone, one per line or comma-separated,
    each looked up in the coupon's company; a phone that is no tenant there is refused by name."""
    session, p = ctx.session, ctx.principal
    phones = [x for x in PHONE_LIST.split(ctx.text or "") if x]
    result = ActionResult()
    if not phones:
        result.refused.append(("租客手机号", "请填写至少一个租客手机号"))
        return result
    for coupon in ctx.rows:
        ids: list[int] = []
        for phone in dict.fromkeys(phones):
            if not PHONE.match(phone):
                result.refused.append((phone, "手机号须为 11 位数字，以 1 开头"))
                continue
            tid = session.exec(
                select(Tenant.id).where(Tenant.company_id == coupon.company_id, Tenant.phone == phone)
            ).first()
            if tid is None:
                result.refused.append((phone, f"不是「{coupon.name}」所属企业的租客"))
                continue
            ids.append(tid)
        one = grant_coupon(session, p, saved_id(coupon), ids)
        result.done += one.done
        result.refused += [(f"{coupon.name}·{who}", why) for who, why in one.refused]
    return result


def coupon_discount(coupon: Coupon, bill: Bill) -> Decimal:
    """What the coupon takes off the bill's amount, by its kind (before the cap at what is still owed)."""
    if coupon.kind == CouponKind.AMOUNT_OFF:
        return Decimal(coupon.amount or 0)
    if coupon.kind == CouponKind.PERCENT_OFF:
        rate = (Decimal(10) - Decimal(coupon.discount or 10)) / Decimal(10)
        return (bill.amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    days = (bill.period_end - bill.period_start).days + 1
    free = min(coupon.free_days or 0, days)
    return (bill.amount * free / days).quantize(CENT, rounding=ROUND_HALF_UP)


def coupon_problem(session: Session, coupon: Coupon, bill: Bill) -> str:
    """Why the coupon cannot lower this bill ("" when it can): validity, fee kind, project, minimum, state."""
    today = clock.today()
    if not coupon.enabled:
        return f"优惠券「{coupon.name}」已停用"
    if today < coupon.valid_from:
        return f"优惠券「{coupon.name}」{coupon.valid_from} 起可用"
    if today > coupon.valid_to:
        return f"优惠券「{coupon.name}」已过期（有效期至 {coupon.valid_to}）"
    if bill.state not in OPEN:
        return f"账单「{bill.title}」当前为{bill.state.label}，只有已确认待缴的账单可以用券"
    kind = coupon.fee_kind or (BillKind.RENT if coupon.kind == CouponKind.RENT_FREE else None)
    if kind is not None and bill.kind != kind:
        return f"优惠券「{coupon.name}」仅限{kind.label}账单使用"
    projects = session.exec(select(CouponProject.project_id).where(CouponProject.coupon_id == coupon.id)).all()
    if projects and bill.project_id not in projects:
        return f"优惠券「{coupon.name}」不适用于该账单的项目"
    project = session.get_one(Project, bill.project_id)
    if project.company_id != coupon.company_id:
        return f"优惠券「{coupon.name}」不适用于该账单的项目"
    if coupon.threshold and bill.amount < coupon.threshold:
        return f"账单金额 ¥{bill.amount:,.2f} 未达使用门槛 ¥{coupon.threshold:,.2f}"
    if outstanding(bill) <= 0:
        return f"账单「{bill.title}」已无待缴金额"
    return ""


def apply_coupon(
    session: Session, tenant_id: int, tenant_coupon_id: int, bill_id: int, by_id: int | None = None
) -> Decimal:
    """用券: the tenant's coupon lowers what the bill still owes, as a ledger line of its own (method
    优惠券抵扣, source 优惠券, ref ``coupon:<id>``); the coupon is used once (a conditional UPDATE of its
    state) and the coupon's ``used`` count moves with it, never past ``issued``. Returns the discount."""
    held = session.get(TenantCoupon, tenant_coupon_id)
    if held is None or held.tenant_id != tenant_id:
        raise missing("优惠券")
    if held.state == TenantCouponState.USED:
        raise Refused("该优惠券已使用", code="used")
    bill = session.get(Bill, bill_id)
    if bill is None or bill.tenant_id != tenant_id:
        raise missing("账单")
    session.refresh(bill)
    coupon = session.get_one(Coupon, held.coupon_id)
    problem = coupon_problem(session, coupon, bill)
    if problem:
        raise Refused(problem)
    discount = min(coupon_discount(coupon, bill), outstanding(bill))
    with session.begin_nested():
        # One coupon a bill, with two coupons applied to it at once too: the bill's row is locked (an
        # UPDATE changing nothing) before looking for a coupon already on it, so the second waits for
        # the first to commit and then sees it (PostgreSQL; SQLite has one writer at a time anyway).
        session.execute(
            sa.update(Bill)
            .where(Bill.id == bill_id)
            .values(version=Bill.version)
            .execution_options(synchronize_session=False)
        )
        if session.exec(select(TenantCoupon.id).where(TenantCoupon.bill_id == bill_id)).first() is not None:
            raise Refused(f"账单「{bill.title}」已使用过优惠券，每张账单限用一张")
        used = changed(
            session,
            sa.update(TenantCoupon)
            .where(TenantCoupon.id == tenant_coupon_id, TenantCoupon.state == TenantCouponState.UNUSED)
            .values(
                state=TenantCouponState.USED,
                bill_id=bill_id,
                discount=discount,
                used_at=utcnow(),
                version=TenantCoupon.version + 1,
            )
            .execution_options(synchronize_session=False),
        )
        counted = used and changed(
            session,
            sa.update(Coupon)
            .where(Coupon.id == coupon.id, Coupon.used < Coupon.issued)
            .values(used=Coupon.used + 1)
            .execution_options(synchronize_session=False),
        )
        if not counted:
            raise Refused("该优惠券已使用")
        _posted, left = ledger.post(
            session,
            [bill_id],
            discount,
            method=PaymentMethod.COUPON,
            source=LedgerSource.COUPON,
            source_ref=f"coupon:{tenant_coupon_id}",
            by_id=by_id,
            process=f"优惠券「{coupon.name}」",
        )
        if left > 0:  # paid meanwhile: the coupon stays unused, nothing is written
            raise Refused(f"账单「{bill.title}」刚有其他缴费，请刷新后重试")
    session.refresh(held)
    audit.record(session, None, "coupons", coupon.id, "use", summary=f"券 {held.id} 抵扣账单 {bill.title} ¥{discount}")
    return discount


# ---------------------------------------------------------------- bargains


def _bargain_open(bargain: Bargain, now: datetime) -> None:
    if now < bargain.starts_at:
        raise Refused("砍价活动尚未开始", code="not_started")
    if now >= bargain.ends_at:
        raise Refused("砍价活动已结束", code="ended")


def start_bargain(session: Session, tenant_id: int, bargain_id: int, now: datetime | None = None) -> BargainRecord:
    """发起砍价: the tenant's own bargain at the original price (one per tenant and activity)."""
    tenant = tenant_of(session, tenant_id)
    bargain = session.get(Bargain, bargain_id)
    if bargain is None:
        raise missing("砍价活动")
    _within(session, tenant, bargain.project_id, "砍价活动")
    _bargain_open(bargain, now or utcnow())
    mine = select(BargainRecord.id).where(BargainRecord.bargain_id == bargain_id, BargainRecord.tenant_id == tenant_id)
    if session.exec(mine).first() is not None:
        raise Refused("您已发起过该砍价", code="already_started")
    try:
        with session.begin_nested():
            row = BargainRecord(
                bargain_id=bargain_id,
                project_id=bargain.project_id,
                tenant_id=tenant_id,
                name=tenant.name,
                phone=tenant.phone,
                current_price=bargain.original_price,
            )
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:
        raise Refused("您已发起过该砍价", code="already_started") from None
    return row


def help_bargain(
    session: Session,
    tenant_id: int,
    record_id: int,
    now: datetime | None = None,
    draw: Callable[[int, int], int] | None = None,
) -> BargainHelp:
    """帮砍: a friend cuts a random amount within the activity's bounds (``draw(lo, hi)`` in cents; the
    system's random by default), never below the floor; once per friend and bargain. The price moves by a
    conditional UPDATE on the price read (a racing help makes it read again), with the help row in the
    same savepoint: two helps at the floor never both cut."""
    tenant = tenant_of(session, tenant_id)
    record = session.get(BargainRecord, record_id)
    if record is None:
        raise missing("砍价")
    bargain = session.get_one(Bargain, record.bargain_id)
    _within(session, tenant, bargain.project_id, "砍价")
    if record.tenant_id == tenant_id:
        raise Refused("不能给自己砍价", code="own_bargain")
    _bargain_open(bargain, now or utcnow())
    helped = select(BargainHelp.id).where(BargainHelp.record_id == record_id, BargainHelp.tenant_id == tenant_id)
    if session.exec(helped).first() is not None:
        raise Refused("您已帮TA砍过价", code="already_helped")
    lo, hi = int(bargain.min_cut * 100), int(bargain.max_cut * 100)
    cut = Decimal((draw or random.SystemRandom().randint)(lo, hi)) / 100
    floor = bargain.floor_price
    for _ in range(50):
        price, helpers, state = session.execute(
            select(BargainRecord.current_price, BargainRecord.helpers, BargainRecord.state).where(
                BargainRecord.id == record_id
            )
        ).one()
        if state != BargainState.GOING:
            raise Refused(f"该砍价{state.label}，不能再助力", code="closed")
        if price <= floor:
            raise Refused(f"已砍到底价 ¥{floor:,.2f}", code="at_floor")
        if helpers >= bargain.helpers_needed:
            raise Refused(f"助力人数已满（{bargain.helpers_needed} 人）", code="helpers_full")
        after = max(Decimal(price) - cut, floor)
        done = after <= floor or helpers + 1 >= bargain.helpers_needed
        try:
            with session.begin_nested() as step:
                moved = changed(
                    session,
                    sa.update(BargainRecord)
                    .where(
                        BargainRecord.id == record_id,
                        BargainRecord.current_price == price,
                        BargainRecord.helpers == helpers,
                        BargainRecord.state == BargainState.GOING,
                    )
                    .values(
                        current_price=after,
                        helpers=BargainRecord.helpers + 1,
                        state=BargainState.SUCCEEDED if done else BargainState.GOING,
                        version=BargainRecord.version + 1,
                    )
                    .execution_options(synchronize_session=False),
                )
                if not moved:
                    step.rollback()
                    continue
                row = BargainHelp(
                    record_id=record_id,
                    bargain_id=saved_id(bargain),
                    project_id=bargain.project_id,
                    tenant_id=tenant_id,
                    name=tenant.name,
                    amount=Decimal(price) - after,
                    price_after=after,
                )
                session.add(row)
                session.flush()
        except sa.exc.IntegrityError:
            raise Refused("您已帮TA砍过价", code="already_helped") from None
        session.expire(record)
        return row
    raise Refused("助力的人太多，请稍后再试", code="busy")


def buy_bargain(session: Session, tenant_id: int, record_id: int, now: datetime | None = None) -> BargainRecord:
    """砍价购买: the bargain's owner buys at the price reached, before the activity ends; the first
    ``stock`` buyers get it (a conditional UPDATE of ``sold``), each bargain once."""
    record = session.get(BargainRecord, record_id)
    if record is None or record.tenant_id != tenant_id:
        raise missing("砍价")
    bargain = session.get_one(Bargain, record.bargain_id)
    _bargain_open(bargain, now or utcnow())
    session.refresh(record)
    if record.state not in (BargainState.GOING, BargainState.SUCCEEDED):
        raise Refused(f"该砍价{record.state.label}，不能购买", code="closed")
    with session.begin_nested():
        taken = changed(
            session,
            sa.update(Bargain)
            .where(Bargain.id == bargain.id, Bargain.sold < Bargain.stock)
            .values(sold=Bargain.sold + 1, version=Bargain.version + 1)
            .execution_options(synchronize_session=False),
        )
        if taken != 1:
            raise Refused(f"已售罄（共 {bargain.stock} 套）", code="sold_out")
        bought = changed(
            session,
            sa.update(BargainRecord)
            .where(
                BargainRecord.id == record_id,
                BargainRecord.state.in_((BargainState.GOING, BargainState.SUCCEEDED)),
            )
            .values(
                state=BargainState.BOUGHT,
                bought_price=BargainRecord.current_price,
                bought_at=utcnow(),
                version=BargainRecord.version + 1,
            )
            .execution_options(synchronize_session=False),
        )
        if not bought:
            raise Refused("该砍价已购买", code="already_bought")
    session.refresh(record)
    audit.record(
        session, None, "bargain_records", record.id, "buy", summary=f"{record.name} 以 ¥{record.bought_price} 购买"
    )
    return record
