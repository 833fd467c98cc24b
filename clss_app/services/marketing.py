"""APP content and 营销工具 rules: banner targets and limits, event sign-ups and flash-sale claims that
never go past capacity or stock, coupon, bargain and notification terms.

Capacity and stock are held by a counter on the row, moved only by a conditional UPDATE
(``… SET n = n + 1 WHERE id = ? AND n < limit``): two clerks or a thousand tenants at once can
never take the last place twice, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services.permissions import Principal, scope_clause
from models import (
    Audience,
    Banner,
    BannerGroup,
    CouponKind,
    Event,
    EventSignup,
    FlashClaim,
    FlashSale,
    LinkKind,
    Notification,
    NotificationState,
    Project,
    SignupState,
    utcnow,
)

MAX_RECOMMENDATIONS = 6
PHONE = re.compile(r"^1\d{10}$")
URL = re.compile(r"^https?://\S+$")


class Refused(ValueError):
    """A claim or sign-up that cannot be taken; the message is shown as is."""


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
        raise Refused(f"活动名额已满（限 {event.capacity} 人）")
    return event


def sign_up(session: Session, event_id: int, name: str, phone: str) -> EventSignup:
    """Sign one person up (as the APP does), or refuse: full, over, or this phone already in."""
    problems = signup_problems(session, {"event_id": event_id, "phone": phone})
    if not (name or "").strip():
        problems["name"] = "请填写姓名"
    if problems:
        raise Refused("；".join(problems.values()))
    event = take_place(session, event_id)
    row = EventSignup(event_id=event_id, project_id=event.project_id, name=name.strip(), phone=phone.strip())
    session.add(row)
    session.flush()
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
    session, rows = ctx.session, ctx.rows
    return _move_each(
        session, rows, Notification, NotificationState.SCHEDULED, NotificationState.WITHDRAWN, "只能撤回待发送的通知"
    )


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


def claim(session: Session, sale_id: int, name: str, phone: str, now: datetime | None = None) -> FlashClaim:
    """One unit of a flash sale for this phone, or refuse; never past the stock."""
    now = now or utcnow()
    if not PHONE.match((phone or "").strip()):
        raise Refused("手机号须为 11 位数字，以 1 开头")
    sale = session.get(FlashSale, sale_id)
    if sale is None:
        raise Refused("秒杀活动不存在")
    if not sale.starts_at <= now < sale.ends_at:
        raise Refused("不在秒杀时间内")
    taken = changed(
        session,
        sa.update(FlashSale)
        .where(FlashSale.id == sale_id, FlashSale.sold < FlashSale.stock)
        .values(sold=FlashSale.sold + 1)
        .execution_options(synchronize_session=False),
    )
    if taken != 1:
        raise Refused("已抢光")
    row = FlashClaim(
        flash_sale_id=sale_id, project_id=sale.project_id, name=name.strip() or "租客", phone=phone.strip()
    )
    session.add(row)
    try:
        session.flush()
    except sa.exc.IntegrityError:  # the same phone twice: the caller's transaction rolls the stock back too
        raise Refused(f"手机号 {phone} 已抢购过") from None
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
    if row is None and values.get("scheduled_at") and values["scheduled_at"] < utcnow():
        out["scheduled_at"] = "发送时间不能早于现在"
    return out
