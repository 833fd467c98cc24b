"""The tenant APP's 营销 and 消息 endpoints under /api/v1: events (报名), coupons (领券, 我的优惠券), flash
sales (抢购), bargains (发起, 帮砍, 购买), evaluations of a finished stay, 系统反馈 and the tenant's 站内信.

Lists that are a scoped view of a model are ``ApiResource`` declarations (the engine applies the scope to
every query). Every write is a service call (services/marketing.py, evaluations.py, outbox.py) whose
``Refused`` is answered as it says: 404 not found or not the tenant's, 409 a conflict (full, sold out,
already done, not running), 422 a field. Every creating POST takes an Idempotency-Key.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from clss_app import db
from clss_app.api import errors, idempotency, resource
from clss_app.api.auth import CurrentTenant
from clss_app.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from clss_app.api.idempotency import IdempotencyKey
from clss_app.api.resource import ApiField, ApiFilter, ApiResource
from clss_app.core import clock
from clss_app.core.rows import saved_id
from clss_app.services import evaluations, marketing, outbox
from clss_app.services.tenant_auth import TenantToken
from models import (
    Bargain,
    BargainHelp,
    BargainRecord,
    Coupon,
    CouponProject,
    Evaluation,
    Event,
    EventSignup,
    Feedback,
    FeedbackKind,
    FlashClaim,
    FlashSale,
    Project,
    Tenant,
    TenantCoupon,
    TenantCouponState,
    utcnow,
)

router = APIRouter()

errors.LABELS.update(
    event_id="活动",
    coupon_id="优惠券",
    sale_id="秒杀活动",
    bargain_id="砍价活动",
    record_id="砍价记录",
    message_id="消息",
    score="评分",
    content="内容",
    title="标题",
    category="反馈类型",
    unread="仅看未读",
)

CONFLICTS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    409: {"model": ErrorBody, "description": "冲突：名额已满、已抢光、已领过、不在活动时间内或相同请求正在处理"},
}
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _company(who: TenantToken) -> Any:
    return sa.select(Tenant.company_id).where(Tenant.id == who.tenant_id).scalar_subquery()


def _company_projects(who: TenantToken) -> Any:
    """The projects of the tenant's company: the activities a tenant may see and take part in."""
    return sa.select(Project.id).where(Project.company_id == _company(who))


def _join_project(model: Any) -> Any:
    return lambda stmt: stmt.join(Project, col(Project.id) == model.project_id)


def _left(row: FlashSale | Bargain) -> int:
    return max(row.stock - row.sold, 0)


def _live(row: Any) -> bool:
    return bool(row.starts_at <= utcnow() < row.ends_at)


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    return {saved_id(r): r for r in session.exec(select(model).where(col(model.id).in_(ids))).all()}


# ---------------------------------------------------------------- answers


class CouponTerms(BaseModel):
    name: str
    kind: str
    kind_label: str
    amount: Decimal | None = Field(description="满减券的减免金额（元）")
    threshold: Decimal | None = Field(description="使用门槛（元）")
    rate: Decimal | None = Field(description="折扣券的折扣（折）")
    free_days: int | None = Field(description="免租券的免租天数")
    fee_kind: str | None = Field(description="适用费项；空为不限")
    valid_from: date
    valid_to: date


def _terms(c: Coupon) -> dict[str, Any]:
    return {
        "name": c.name,
        "kind": c.kind.value,
        "kind_label": c.kind.label,
        "amount": c.amount,
        "threshold": c.threshold,
        "rate": c.discount,
        "free_days": c.free_days,
        "fee_kind": c.fee_kind.value if c.fee_kind else None,
        "valid_from": c.valid_from,
        "valid_to": c.valid_to,
    }


def _coupon_terms(session: Session, rows: list[TenantCoupon]) -> dict[int, Any]:
    coupons = _by_id(session, Coupon, {r.coupon_id for r in rows})
    return {saved_id(r): _terms(coupons[r.coupon_id]) for r in rows}


def _usable(session: Session, rows: list[TenantCoupon]) -> dict[int, Any]:
    """未使用, 启用 and within its validity today."""
    coupons, today = _by_id(session, Coupon, {r.coupon_id for r in rows}), clock.today()
    return {
        saved_id(r): r.state == TenantCouponState.UNUSED
        and coupons[r.coupon_id].enabled
        and coupons[r.coupon_id].valid_from <= today <= coupons[r.coupon_id].valid_to
        for r in rows
    }


def _coupon_projects(session: Session, rows: list[Coupon]) -> dict[int, Any]:
    out: dict[int, list[int]] = {r.id: [] for r in rows if r.id is not None}
    pairs = session.exec(
        select(CouponProject.coupon_id, CouponProject.project_id)
        .where(col(CouponProject.coupon_id).in_(out))
        .order_by(col(CouponProject.project_id))
    ).all()
    for coupon_id, project_id in pairs:
        out[coupon_id].append(project_id)
    return out


class Helper(BaseModel):
    name: str = Field(description="助力人")
    cut: Decimal = Field(description="砍掉（元）")
    price_after: Decimal = Field(description="砍后价（元/月）")
    at: datetime


def _helpers(session: Session, rows: list[BargainRecord]) -> dict[int, Any]:
    out: dict[int, list[dict]] = {r.id: [] for r in rows if r.id is not None}
    for h in session.exec(
        select(BargainHelp).where(col(BargainHelp.record_id).in_(out)).order_by(col(BargainHelp.id))
    ).all():
        out[h.record_id].append({"name": h.name, "cut": h.amount, "price_after": h.price_after, "at": h.created_at})
    return out


class BargainTerms(BaseModel):
    title: str
    original_price: Decimal
    floor_price: Decimal
    helpers_needed: int
    ends_at: datetime


def _bargain_terms(session: Session, rows: list[BargainRecord]) -> dict[int, Any]:
    bargains = _by_id(session, Bargain, {r.bargain_id for r in rows})
    out: dict[int, Any] = {}
    for r in rows:
        b = bargains[r.bargain_id]
        out[saved_id(r)] = {
            "title": b.title,
            "original_price": b.original_price,
            "floor_price": b.floor_price,
            "helpers_needed": b.helpers_needed,
            "ends_at": b.ends_at,
        }
    return out


def _sale_titles(session: Session, rows: list[FlashClaim]) -> dict[int, Any]:
    sales = _by_id(session, FlashSale, {r.flash_sale_id for r in rows})
    return {saved_id(r): sales[r.flash_sale_id].title for r in rows}


def _event_names(session: Session, rows: list[EventSignup]) -> dict[int, Any]:
    events = _by_id(session, Event, {r.event_id for r in rows})
    return {saved_id(r): events[r.event_id].name for r in rows}


RESOURCES = [
    ApiResource(
        path="/events",
        label="活动",
        model=Event,
        fields=(
            "id",
            "project_id",
            "name",
            "starts_at",
            "ends_at",
            "address",
            "capacity",
            "signed_up",
            ApiField("places_left", int, lambda e: max(e.capacity - e.signed_up, 0)),
            "hotline",
            "cover",
            "intro",
        ),
        filters=(ApiFilter("project_id", Event.project_id), ApiFilter("city", Project.city, label="城市", type=str)),
        sort=("starts_at", "-starts_at"),
        scope=lambda who: col(Event.project_id).in_(_company_projects(who)) & (Event.ends_at > utcnow()),
        query=_join_project(Event),
        description="租客所在企业各项目未结束的活动，places_left 为剩余名额。",
        tags=("活动",),
    ),
    ApiResource(
        path="/me/event-signups",
        label="活动报名",
        model=EventSignup,
        fields=("id", "event_id", "project_id", ApiField("event", str, many=_event_names), "state", "created_at"),
        filters=(ApiFilter("state", EventSignup.state),),
        sort=("-created_at", "created_at"),
        scope=lambda who: EventSignup.tenant_id == who.tenant_id,
        tags=("活动",),
    ),
    ApiResource(
        path="/coupons",
        label="优惠券",
        model=Coupon,
        fields=(
            "id",
            "name",
            "kind",
            "amount",
            "threshold",
            "discount",
            "free_days",
            "fee_kind",
            "valid_from",
            "valid_to",
            "stock",
            "issued",
            ApiField("left", int, lambda c: max(c.stock - c.issued, 0)),
            "per_user_limit",
            ApiField("project_ids", list[int], many=_coupon_projects, default=[]),
        ),
        filters=(ApiFilter("coupon_kind", Coupon.kind, label="优惠券类型"),),
        sort=("-id", "valid_to"),
        # Claimable: the company's, enabled, not expired, not all given out, the tenant under the limit.
        scope=lambda who: (
            (Coupon.company_id == _company(who))
            & col(Coupon.enabled).is_(True)
            & (Coupon.valid_to >= clock.today())
            & (Coupon.issued < Coupon.stock)
            & (
                sa.select(sa.func.count())
                .select_from(TenantCoupon)
                .where(TenantCoupon.coupon_id == Coupon.id, TenantCoupon.tenant_id == who.tenant_id)
                .scalar_subquery()
                < Coupon.per_user_limit
            )
        ),
        description="可领取的优惠券（本企业的、启用中、未过期、未领完、未到每人限领）；project_ids 为空即不限项目。",
        tags=("优惠券",),
    ),
    ApiResource(
        path="/me/coupons",
        label="我的优惠券",
        model=TenantCoupon,
        fields=(
            "id",
            "coupon_id",
            ApiField("coupon", CouponTerms, many=_coupon_terms),
            "state",
            ApiField("usable", bool, many=_usable, default=False),
            "bill_id",
            "discount",
            "created_at",
            "used_at",
        ),
        filters=(ApiFilter("state", TenantCoupon.state),),
        sort=("-created_at", "created_at"),
        scope=lambda who: TenantCoupon.tenant_id == who.tenant_id,
        description="我领取或获赠的优惠券：state 为未使用/已使用，usable 为今天可用（未使用、启用且在有效期内）。",
        tags=("优惠券",),
    ),
    ApiResource(
        path="/flash-sales",
        label="秒杀活动",
        model=FlashSale,
        fields=(
            "id",
            "project_id",
            "room_id",
            "title",
            "original_price",
            "sale_price",
            "starts_at",
            "ends_at",
            "stock",
            "sold",
            ApiField("left", int, _left),
            ApiField("live", bool, _live),
        ),
        filters=(ApiFilter("project_id", FlashSale.project_id),),
        sort=("starts_at", "-starts_at"),
        scope=lambda who: col(FlashSale.project_id).in_(_company_projects(who)) & (FlashSale.ends_at > utcnow()),
        description="租客所在企业未结束的秒杀（live 为正在进行，left 为剩余库存）。",
        tags=("秒杀",),
    ),
    ApiResource(
        path="/me/flash-claims",
        label="我的秒杀",
        model=FlashClaim,
        fields=("id", "flash_sale_id", "project_id", ApiField("title", str, many=_sale_titles), "created_at"),
        sort=("-created_at", "created_at"),
        scope=lambda who: FlashClaim.tenant_id == who.tenant_id,
        tags=("秒杀",),
    ),
    ApiResource(
        path="/bargains",
        label="砍价活动",
        model=Bargain,
        fields=(
            "id",
            "project_id",
            "room_id",
            "title",
            "original_price",
            "floor_price",
            "helpers_needed",
            "min_cut",
            "max_cut",
            "stock",
            "sold",
            ApiField("left", int, _left),
            "starts_at",
            "ends_at",
            ApiField("live", bool, _live),
        ),
        filters=(ApiFilter("project_id", Bargain.project_id),),
        sort=("ends_at", "-ends_at"),
        scope=lambda who: col(Bargain.project_id).in_(_company_projects(who)) & (Bargain.ends_at > utcnow()),
        description="租客所在企业未结束的砍价活动。",
        tags=("砍价",),
    ),
    ApiResource(
        path="/me/bargain-records",
        label="我的砍价",
        model=BargainRecord,
        fields=(
            "id",
            "bargain_id",
            "project_id",
            ApiField("bargain", BargainTerms, many=_bargain_terms),
            "current_price",
            "helpers",
            ApiField("helps", list[Helper], many=_helpers, default=[]),
            "state",
            "bought_price",
            "bought_at",
            "created_at",
        ),
        filters=(ApiFilter("state", BargainRecord.state),),
        sort=("-created_at", "created_at"),
        scope=lambda who: BargainRecord.tenant_id == who.tenant_id,
        description="我发起的砍价：当前价、助力人与各自砍掉的金额（helps）。",
        tags=("砍价",),
    ),
    ApiResource(
        path="/me/evaluations",
        label="评价",
        model=Evaluation,
        fields=("id", "contract_id", "project_id", "score", "content", "created_at"),
        sort=("-created_at", "created_at"),
        scope=lambda who: Evaluation.tenant_id == who.tenant_id,
        tags=("评价与反馈",),
    ),
    ApiResource(
        path="/me/feedback",
        label="反馈",
        model=Feedback,
        fields=("id", "kind", "title", "content", "state", "reply", "created_at"),
        sort=("-created_at", "created_at"),
        scope=lambda who: Feedback.tenant_id == who.tenant_id,
        tags=("评价与反馈",),
    ),
]
for _res in RESOURCES:
    resource.mount(router, _res)


def _run(who: TenantToken, key: str, what: str, body: BaseModel | None, out: type[BaseModel], work: Any) -> Any:
    """``idempotency.run`` with the services' refusals answered as they say (everything rolled back) and
    the answer written as its model writes it (amounts as "1234.50", as the lists give them)."""

    def guarded(s: Session) -> tuple[int, Any]:
        status, answer = work(s)
        return status, out.model_validate(answer).model_dump(mode="json")

    return idempotency.run(who, key, what, body, guarded)


# ---------------------------------------------------------------- 报名


class SignupOut(BaseModel):
    id: int
    event_id: int
    state: str
    state_label: str
    created_at: datetime
    places_left: int = Field(description="报名后的剩余名额")


@router.post(
    "/events/{event_id}/signups",
    status_code=201,
    response_model=SignupOut,
    tags=["活动"],
    summary="活动报名（以本人姓名、手机号，每人一次，不超过人数限制）",
    responses=CONFLICTS,
)
def sign_up(event_id: RowId, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        row = marketing.sign_up_tenant(s, who.tenant_id, event_id)
        event = s.get_one(Event, event_id)
        s.refresh(event)
        return 201, {
            "id": row.id,
            "event_id": row.event_id,
            "state": row.state.value,
            "state_label": row.state.label,
            "created_at": row.created_at,
            "places_left": max(event.capacity - event.signed_up, 0),
        }

    return _run(who, key, f"POST /events/{event_id}/signups", None, SignupOut, work)


# ---------------------------------------------------------------- 领券


class MyCouponOut(BaseModel):
    id: int
    coupon_id: int
    coupon: CouponTerms
    state: str
    state_label: str
    created_at: datetime


@router.post(
    "/coupons/{coupon_id}/claim",
    status_code=201,
    response_model=MyCouponOut,
    tags=["优惠券"],
    summary="领取优惠券（不超过发放总量与每人限领）",
    responses=CONFLICTS,
)
def claim_coupon(coupon_id: RowId, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        row = marketing.claim_coupon(s, who.tenant_id, coupon_id)
        return 201, {
            "id": row.id,
            "coupon_id": row.coupon_id,
            "coupon": _terms(s.get_one(Coupon, row.coupon_id)),
            "state": row.state.value,
            "state_label": row.state.label,
            "created_at": row.created_at,
        }

    return _run(who, key, f"POST /coupons/{coupon_id}/claim", None, MyCouponOut, work)


# ---------------------------------------------------------------- 秒杀


class FlashClaimOut(BaseModel):
    id: int
    flash_sale_id: int
    sale_price: Decimal
    created_at: datetime


@router.post(
    "/flash-sales/{sale_id}/claims",
    status_code=201,
    response_model=FlashClaimOut,
    tags=["秒杀"],
    summary="秒杀抢购（每人一次，不超过库存）",
    responses=CONFLICTS,
)
def claim_flash_sale(sale_id: RowId, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        row = marketing.claim_flash_sale(s, who.tenant_id, sale_id)
        sale = s.get_one(FlashSale, sale_id)
        return 201, {
            "id": row.id,
            "flash_sale_id": row.flash_sale_id,
            "sale_price": sale.sale_price,
            "created_at": row.created_at,
        }

    return _run(who, key, f"POST /flash-sales/{sale_id}/claims", None, FlashClaimOut, work)


# ---------------------------------------------------------------- 砍价


class RecordOut(BaseModel):
    id: int
    bargain_id: int
    current_price: Decimal = Field(description="当前价（元/月）")
    helpers: int = Field(description="已助力人数")
    state: str
    state_label: str
    bought_price: Decimal | None = Field(description="成交价（元/月）")
    bought_at: datetime | None
    created_at: datetime


def _record(r: BargainRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "bargain_id": r.bargain_id,
        "current_price": r.current_price,
        "helpers": r.helpers,
        "state": r.state.value,
        "state_label": r.state.label,
        "bought_price": r.bought_price,
        "bought_at": r.bought_at,
        "created_at": r.created_at,
    }


@router.post(
    "/bargains/{bargain_id}/records",
    status_code=201,
    response_model=RecordOut,
    tags=["砍价"],
    summary="发起砍价（每人每个活动一次，从原价开始）",
    responses=CONFLICTS,
)
def start_bargain(bargain_id: RowId, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        return 201, _record(marketing.start_bargain(s, who.tenant_id, bargain_id))

    return _run(who, key, f"POST /bargains/{bargain_id}/records", None, RecordOut, work)


class HelpOut(BaseModel):
    id: int
    record_id: int
    cut: Decimal = Field(description="这一刀砍掉的金额（元）")
    price: Decimal = Field(description="砍后达到的价格（元/月）")
    helpers: int = Field(description="已助力人数")
    state: str
    state_label: str


@router.post(
    "/bargain-records/{record_id}/helps",
    status_code=201,
    response_model=HelpOut,
    tags=["砍价"],
    summary="帮好友砍一刀（每人一次，不能给自己砍，不低于底价）",
    responses=CONFLICTS,
)
def help_bargain(record_id: RowId, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        row = marketing.help_bargain(s, who.tenant_id, record_id)
        record = s.get_one(BargainRecord, record_id)
        return 201, {
            "id": row.id,
            "record_id": record_id,
            "cut": row.amount,
            "price": row.price_after,
            "helpers": record.helpers,
            "state": record.state.value,
            "state_label": record.state.label,
        }

    return _run(who, key, f"POST /bargain-records/{record_id}/helps", None, HelpOut, work)


@router.post(
    "/bargain-records/{record_id}/buy",
    response_model=RecordOut,
    tags=["砍价"],
    summary="以砍到的价格购买（活动结束前，先到先得，不超过库存）",
    responses=CONFLICTS,
)
def buy_bargain(record_id: RowId, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        return 200, _record(marketing.buy_bargain(s, who.tenant_id, record_id))

    return _run(who, key, f"POST /bargain-records/{record_id}/buy", None, RecordOut, work)


# ---------------------------------------------------------------- 评价, 系统反馈


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5, description="评分（1–5）")
    content: str = Field("", max_length=evaluations.MAX_TEXT, description="评价内容")


class EvaluationOut(BaseModel):
    id: int
    contract_id: int
    score: int
    content: str
    created_at: datetime


@router.post(
    "/me/contracts/{contract_id}/evaluation",
    status_code=201,
    response_model=EvaluationOut,
    tags=["评价与反馈"],
    summary="评价租住（租住结束的合同，每份合同一次）",
    responses=CONFLICTS,
)
def evaluate(contract_id: RowId, body: EvaluationIn, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        row = evaluations.evaluate(s, who.tenant_id, contract_id, body.score, body.content)
        return 201, {
            "id": row.id,
            "contract_id": contract_id,
            "score": row.score,
            "content": row.content,
            "created_at": row.created_at,
        }

    return _run(who, key, f"POST /me/contracts/{contract_id}/evaluation", body, EvaluationOut, work)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Literal["defect", "request"] = Field(description="反馈类型：defect 系统缺陷，request 功能需求")
    title: str = Field(min_length=1, max_length=64, description="标题")
    content: str = Field(min_length=1, max_length=evaluations.MAX_TEXT, description="反馈内容")


class FeedbackOut(BaseModel):
    id: int
    category: str
    category_label: str
    title: str
    state: str
    state_label: str
    created_at: datetime


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackOut,
    tags=["评价与反馈"],
    summary="系统反馈（缺陷或需求）",
    responses=CONFLICTS,
)
def feedback(body: FeedbackIn, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Session) -> tuple[int, dict]:
        row = evaluations.submit_feedback(s, who.tenant_id, FeedbackKind(body.category), body.title, body.content)
        return 201, {
            "id": row.id,
            "category": row.kind.value,
            "category_label": row.kind.label,
            "title": row.title,
            "state": row.state.value,
            "state_label": row.state.label,
            "created_at": row.created_at,
        }

    return _run(who, key, "POST /feedback", body, FeedbackOut, work)


# ---------------------------------------------------------------- 消息


class MessageOut(BaseModel):
    id: int
    title: str
    body: str
    source: str
    sent_at: datetime | None
    read: bool
    read_at: datetime | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


def _message_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(["messages", last_id]).encode()).decode().rstrip("=")


def _before(cursor: str) -> int:
    try:
        name, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if name != "messages" or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValueError
        if not 1 <= last_id <= resource.INT_MAX:
            raise ValueError
    except (ValueError, TypeError):
        raise ApiError(422, "分页游标无效，请从第一页重新获取", field="cursor") from None
    return last_id


@router.get(
    "/me/messages",
    response_model=MessagePage,
    tags=["消息"],
    summary="我的消息（站内信，已读与未读，新的在前）",
    responses=ERROR_RESPONSES,
)
def messages(
    who: CurrentTenant,
    limit: Annotated[int, Query(ge=1, le=100, description="每页条数（1–100）")] = 20,
    cursor: Annotated[str | None, Query(max_length=400, description="上一页的 next_cursor；不传为第一页")] = None,
    unread: Annotated[bool, Query(description="只看未读")] = False,
) -> dict:
    before = _before(cursor) if cursor else None
    with Session(db.engine()) as s:
        items = outbox.tenant_messages(s, who.tenant_id, unread_only=unread, before_id=before, limit=limit + 1)
    more = len(items) > limit or len(items) == limit == 100
    items = items[:limit]
    return {"items": items, "next_cursor": _message_cursor(items[-1]["id"]) if more and items else None}


class UnreadOut(BaseModel):
    unread: int = Field(description="未读消息数")


@router.get(
    "/me/messages/unread-count",
    response_model=UnreadOut,
    tags=["消息"],
    summary="未读消息数",
    responses=ERROR_RESPONSES,
)
def unread_count(who: CurrentTenant) -> dict:
    with Session(db.engine()) as s:
        return {"unread": outbox.tenant_unread(s, who.tenant_id)}


class ReadOut(BaseModel):
    marked: int = Field(description="这次标为已读的条数（已读过的不计）")
    unread: int = Field(description="剩余未读消息数")


@router.post(
    "/me/messages/{message_id}/read",
    response_model=ReadOut,
    tags=["消息"],
    summary="标为已读（一条）",
    responses=ERROR_RESPONSES,
)
def read_one(message_id: RowId, who: CurrentTenant) -> dict:
    with db.session_scope() as s:
        if outbox.tenant_message(s, who.tenant_id, message_id) is None:
            raise errors.not_found("消息")
        marked = outbox.mark_tenant_read(s, who.tenant_id, message_id)
        return {"marked": marked, "unread": outbox.tenant_unread(s, who.tenant_id)}


@router.post(
    "/me/messages/read-all", response_model=ReadOut, tags=["消息"], summary="全部标为已读", responses=ERROR_RESPONSES
)
def read_all(who: CurrentTenant) -> dict:
    with db.session_scope() as s:
        marked = outbox.mark_tenant_read(s, who.tenant_id)
        return {"marked": marked, "unread": outbox.tenant_unread(s, who.tenant_id)}
