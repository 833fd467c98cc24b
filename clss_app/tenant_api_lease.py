"""The tenant APP's lease endpoints under /api/v1 (issue 23 §3): pay a bill (二维码支付 order) and use a
coupon on it, confirm a contract drafted online, 报修 with photos and its progress, 我的保障. Each is a
small endpoint over services/tenant_lease.py, repairs.py and insurance.py; the POSTs that make orders,
money or rows go through an Idempotency-Key (api/idempotency.py). Reads that are scoped views of a model
are ``ApiResource`` declarations.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from clss_app import db
from clss_app.api import errors, idempotency, resource
from clss_app.api.auth import CurrentTenant
from clss_app.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from clss_app.api.idempotency import IdempotencyKey
from clss_app.api.resource import ApiFilter, ApiResource
from clss_app.core.images import split_images
from clss_app.services import repairs, tenant_lease
from models import Policy, RepairCategory, RepairOrder, RepairUrgency

router = APIRouter()

ID = Path(ge=1, le=2**31 - 1)
MEDIA_URL = "/_clss/media/"


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    said = {
        409: "状态冲突（已支付、状态不符、相同请求正在处理等）",
        503: "支付未开通或支付渠道暂不可用",
        413: "上传内容过大",
    }
    return {**ERROR_RESPONSES, **{s: {"model": ErrorBody, "description": said[s]} for s in statuses}}


errors.LABELS.update(
    bill_id="账单",
    tenant_coupon_id="优惠券",
    contract_id="合同",
    cover_id="保额档位",
    description="问题描述",
    urgency="紧急程度",
    preferred_time="期望上门时间",
    photos="报修照片",
)

errors.ROUTE_LABELS.update(
    {("POST", "/me/repairs", "room_id"): "报修房间", ("POST", "/me/repairs", "category"): "报修类别"}
)

# ---- reads: my repairs, my policies ----


def _photo_urls(row: Any) -> list[str]:
    return [MEDIA_URL + n for n in split_images(row.photos)]


RESOURCES = [
    ApiResource(
        path="/me/repairs",
        label="报修单",
        model=RepairOrder,
        fields=(
            "id",
            "number",
            "project_id",
            "room_id",
            "category",
            "urgency",
            "description",
            "preferred_time",
            "state",
            "reason",
            "created_at",
            resource.ApiField("photo_urls", list[str], _photo_urls),
        ),
        filters=(ApiFilter("state", RepairOrder.state),),
        sort=("-created_at", "created_at"),
        scope=lambda who: RepairOrder.tenant_id == who.tenant_id,
        description="我的报修单（APP 提交的与门店代登记的），新的在前；进度见报修单详情。",
        item=False,  # the item is /me/repairs/{row_id} below, with its progress
        tags=("报修",),
    ),
    ApiResource(
        path="/me/policies",
        label="保单",
        model=Policy,
        fields=(
            "id",
            "number",
            "contract_id",
            "product_id",
            "cover_amount",
            "premium",
            "gifted",
            "state",
            "starts_on",
            "ends_on",
        ),
        filters=(ApiFilter("state", Policy.state),),
        sort=("-starts_on", "starts_on"),
        scope=lambda who: Policy.tenant_id == who.tenant_id,
        description="我的保障：入住赠送的赠险（gifted=true）与自行购买的保险，含保单状态。",
        tags=("我的保障",),
    ),
]
for _res in RESOURCES:
    resource.mount(router, _res)


# ---- 缴费: pay order, coupon ----


class PayOrderOut(BaseModel):
    order_no: str = Field(description="支付订单号")
    bill_id: int
    amount: Decimal = Field(description="应付金额（元）")
    qr_content: str = Field(description="二维码内容（APP 据此展示二维码或拉起支付）")
    pay_url: str = Field(description="支付页地址（演示环境的模拟支付页；正式环境为空，用二维码内容）")
    expire_at: datetime = Field(description="订单失效时间")
    state: str
    state_label: str
    created: bool = Field(description="true：本次新建；false：返回已有的待支付订单")


@router.post(
    "/me/bills/{bill_id}/pay-order",
    status_code=201,
    response_model=PayOrderOut,
    tags=["缴费"],
    summary="账单去支付：生成（或取回待支付的）支付订单",
    description="只能支付本人的已确认、部分收款账单；已缴清的账单答 409；同一账单已有待支付订单时返回该订单。"
    "门店未开通线上支付时答 503。",
    responses={200: {"model": PayOrderOut, "description": "已有的待支付订单"}, **responses(409, 503)},
)
def pay_bill(bill_id: Annotated[int, ID], who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Any) -> tuple[int, dict]:
        v = tenant_lease.pay_order(s, who.tenant_id, bill_id)
        return 201 if v.created else 200, {"bill_id": bill_id, **v.__dict__}

    return idempotency.run(who, key, f"POST /me/bills/{bill_id}/pay-order", None, work)


class CouponIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_coupon_id: int = Field(ge=1, le=2**31 - 1, description="我领取的优惠券（领券记录 id）")


class CouponOut(BaseModel):
    bill_id: int
    tenant_coupon_id: int
    discount: Decimal = Field(description="本次抵扣金额（元）")
    outstanding: Decimal = Field(description="账单尚欠金额（元）")
    state: str
    state_label: str


@router.post(
    "/me/bills/{bill_id}/apply-coupon",
    response_model=CouponOut,
    tags=["缴费"],
    summary="账单使用优惠券",
    description="每张优惠券只能用一次，每张账单限用一张；账单有待支付订单时不能用券。",
    responses=responses(409),
)
def apply_coupon(bill_id: Annotated[int, ID], body: CouponIn, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Any) -> tuple[int, dict]:
        used = tenant_lease.apply_coupon(s, who.tenant_id, bill_id, body.tenant_coupon_id)
        return 200, used.__dict__

    return idempotency.run(who, key, f"POST /me/bills/{bill_id}/apply-coupon", body, work)


# ---- 在线签约 ----


class DraftOut(BaseModel):
    id: int
    number: str
    project_id: int
    project_name: str
    room_id: int
    room_number: str
    start_date: date
    end_date: date
    monthly_rent: Decimal
    deposit: Decimal
    cycle: str
    cycle_label: str
    terms: str = Field(description="合同条款（项目在线签约设置；为空时按标准条款）")
    state: str
    state_label: str
    can_confirm: bool = Field(description="待租客确认时为 true")


@router.get(
    "/me/contracts/{contract_id}/draft",
    response_model=DraftOut,
    tags=["我的"],
    summary="在线签约合同草稿（条款、租金、押金、租期）",
    responses=ERROR_RESPONSES,
)
def contract_draft(contract_id: Annotated[int, ID], who: CurrentTenant) -> Any:
    with db.session_scope() as s:
        return tenant_lease.draft_of(s, who.tenant_id, contract_id)


class ConfirmOut(BaseModel):
    id: int
    number: str
    state: str
    state_label: str


@router.post(
    "/me/contracts/{contract_id}/confirm",
    response_model=ConfirmOut,
    tags=["我的"],
    summary="确认在线签约（提交门店审核）",
    description="只有“待租客确认”的合同可以确认，确认后为“待审核”，由门店在线签约审核；其他状态答 409。",
    responses=responses(409),
)
def confirm_contract(contract_id: Annotated[int, ID], who: CurrentTenant) -> Any:
    with db.session_scope() as s:
        c = tenant_lease.confirm_contract(s, who.tenant_id, contract_id)
        return {"id": c.id, "number": c.number, "state": c.state.value, "state_label": c.state.label}


# ---- 报修 ----


CATEGORIES = "、".join(f"{c.value} {c.label}" for c in RepairCategory)


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room_id: int = Field(ge=1, le=2**31 - 1, description="报修房间（本人待入住或在住合同的房间）")
    category: RepairCategory = Field(description="报修类别：" + CATEGORIES)
    description: str = Field(min_length=1, max_length=repairs.MAX_DESCRIPTION, description="问题描述")
    urgency: RepairUrgency = Field(RepairUrgency.NORMAL, description="紧急程度：normal 一般，urgent 紧急")
    preferred_time: str = Field("", max_length=64, description="期望上门时间（如：工作日晚上 7 点后）")
    photos: list[UploadFile] = Field(
        default_factory=list, description=f"报修照片，JPG/PNG/WebP，每张不超过 5 MB，最多 {repairs.MAX_PHOTOS} 张"
    )


RepairForm = Annotated[RepairIn, Form(media_type="multipart/form-data")]


class ProgressStep(BaseModel):
    step: str
    at: datetime
    note: str


class RepairOut(BaseModel):
    id: int
    number: str
    project_id: int
    room_id: int
    category: str
    category_label: str
    urgency: str
    urgency_label: str
    description: str
    preferred_time: str
    state: str
    state_label: str
    reason: str = Field(description="驳回原因")
    created_at: datetime
    photo_urls: list[str]
    progress: list[ProgressStep] = Field(description="处理进度，按时间先后")


def repair_out(s: Any, order: RepairOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "project_id": order.project_id,
        "room_id": order.room_id,
        "category": order.category.value,
        "category_label": order.category.label,
        "urgency": order.urgency.value,
        "urgency_label": order.urgency.label,
        "description": order.description,
        "preferred_time": order.preferred_time,
        "state": order.state.value,
        "state_label": order.state.label,
        "reason": order.reason,
        "created_at": order.created_at,
        "photo_urls": _photo_urls(order),
        "progress": repairs.progress(s, order),
    }


@router.post(
    "/me/repairs",
    status_code=201,
    response_model=RepairOut,
    tags=["报修"],
    summary="提交报修（可带照片）",
    description="multipart/form-data：字段与照片（photos，可多张）。报修单进入门店“报修工单”待审核。",
    responses=responses(409, 413),
)
async def file_repair(body: RepairForm, who: CurrentTenant, key: IdempotencyKey) -> Any:
    if len(body.photos) > repairs.MAX_PHOTOS:  # before reading them: up to 5 MB each into memory
        raise ApiError(422, f"报修照片最多 {repairs.MAX_PHOTOS} 张（当前 {len(body.photos)} 张）", field="photos")
    # Read whole (body_limit caps the request at 9 × 5 MB): a refusal then says the photo's real size.
    photos = [(p.filename or "", await p.read()) for p in body.photos]
    fields = body.model_dump(mode="json", exclude={"photos"})
    fields["photos"] = [hashlib.sha256(data).hexdigest() for _, data in photos]
    return await _file_repair(who, key, fields, photos)


async def _file_repair(who: Any, key: str, fields: dict, photos: list[tuple[str, bytes]]) -> Any:
    def work(s: Any) -> tuple[int, dict]:
        order = tenant_lease.file_repair(s, who.tenant_id, fields, photos)
        return 201, repair_out(s, order)

    return await run_in_threadpool(idempotency.run, who, key, "POST /me/repairs", fields, work)


@router.get(
    "/me/repairs/{row_id}",
    response_model=RepairOut,
    tags=["报修"],
    summary="报修单详情与处理进度",
    responses=ERROR_RESPONSES,
)
def repair_detail(row_id: Annotated[int, ID], who: CurrentTenant) -> Any:
    with db.session_scope() as s:
        order = s.get(RepairOrder, row_id)
        if order is None or order.tenant_id != who.tenant_id:
            raise errors.not_found("报修单")
        return repair_out(s, order)


# ---- 我的保障: buy ----


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract_id: int = Field(ge=1, le=2**31 - 1, description="投保的合同（本人待执行或执行中的合同）")
    cover_id: int = Field(ge=1, le=2**31 - 1, description="保额档位")


class PolicyOut(BaseModel):
    id: int
    number: str
    contract_id: int
    product_id: int
    cover_amount: Decimal
    premium: Decimal
    gifted: bool
    state: str
    state_label: str
    starts_on: date
    ends_on: date


@router.post(
    "/me/policies",
    status_code=201,
    response_model=PolicyOut,
    tags=["我的保障"],
    summary="购买保险（投保）",
    description="为本人待执行或执行中的合同购买本项目销售的保险；同一合同同一产品只能有一份有效保单。",
    responses=responses(409),
)
def buy_policy(body: PolicyIn, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Any) -> tuple[int, dict]:
        p = tenant_lease.buy_policy(s, who.tenant_id, body.contract_id, body.cover_id)
        return 201, {
            **{k: getattr(p, k) for k in PolicyOut.model_fields if k not in ("state", "state_label")},
            "state": p.state.value,
            "state_label": p.state.label,
        }

    return idempotency.run(who, key, "POST /me/policies", body, work)
