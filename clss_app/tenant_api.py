"""The tenant APP's endpoints under /api/v1 (the engine: clss_app/api). Read-only resources are
``ApiResource`` declarations, each with the scope the engine applies to every query; login and the
writes are small endpoints over services (tenant_auth, tenant_portal), creating POSTs behind an
Idempotency-Key (api/idempotency.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col

from clss_app import db
from clss_app.api import errors, idempotency, resource
from clss_app.api.auth import CurrentTenant
from clss_app.api.errors import ERROR_RESPONSES, ApiError
from clss_app.api.idempotency import IdempotencyKey
from clss_app.api.resource import ApiFilter, ApiResource
from clss_app.services import tenant_auth, tenant_portal
from models import Appointment, Bill, Contract, Payer, Project, Reservation, Room, Tenant

router = APIRouter()


def join_project(stmt: Any) -> Any:
    return stmt.join(Project, col(Project.id) == Room.project_id)


RESOURCES = [
    ApiResource(
        path="/projects",
        label="项目",
        model=Project,
        fields=("id", "name", "city", "district", "address", "kind", "cover"),
        filters=(
            ApiFilter("city", Project.city),
            ApiFilter("district", Project.district),
            ApiFilter("kind", Project.kind),
            ApiFilter("q", Project.name, op="contains", label="项目名称关键字"),
        ),
        sort=("id", "name", "-id"),
        scope=lambda who: tenant_portal.listed_projects(),
        description="已发布且租客可见的项目。",
        tags=("找房",),
    ),
    ApiResource(
        path="/rooms",
        label="房间",
        model=Room,
        fields=(
            "id",
            "project_id",
            "number",
            "floor_no",
            "area",
            "rent",
            "deposit",
            "orientation",
            "status",
            "unit_type_id",
            "cover",
            "photos",
        ),
        filters=(
            ApiFilter("project_id", Room.project_id),
            ApiFilter("city", Project.city, label="城市", type=str),
            ApiFilter("status", Room.status),
            ApiFilter("rent_min", Room.rent, op="gte", label="最低月租金"),
            ApiFilter("rent_max", Room.rent, op="lte", label="最高月租金"),
            ApiFilter("area_min", Room.area, op="gte", label="最小面积"),
            ApiFilter("area_max", Room.area, op="lte", label="最大面积"),
        ),
        sort=("rent", "-rent", "area", "-area", "id"),
        scope=lambda who: tenant_portal.listed_rooms(),
        query=join_project,
        description="已发布项目中租客可见的房间；status=vacant 为空闲可租。",
        tags=("找房",),
    ),
    ApiResource(
        path="/me/reservations",
        label="预定",
        model=Reservation,
        fields=("id", "project_id", "room_id", "deposit", "hold_until", "state", "deposit_state", "created_at"),
        filters=(ApiFilter("state", Reservation.state),),
        sort=("-created_at", "created_at"),
        scope=lambda who: Reservation.tenant_id == who.tenant_id,
        tags=("我的",),
    ),
    ApiResource(
        path="/me/appointments",
        label="看房预约",
        model=Appointment,
        fields=("id", "project_id", "room_id", "visit_at", "state", "note", "created_at"),
        filters=(ApiFilter("state", Appointment.state),),
        sort=("-visit_at", "visit_at"),
        scope=lambda who: Appointment.phone == who.phone,
        tags=("我的",),
    ),
    ApiResource(
        path="/me/contracts",
        label="合同",
        model=Contract,
        fields=(
            "id",
            "number",
            "project_id",
            "room_id",
            "start_date",
            "end_date",
            "monthly_rent",
            "deposit",
            "cycle",
            "state",
            "signed_on",
            "checked_in_on",
            "checked_out_on",
        ),
        filters=(ApiFilter("state", Contract.state),),
        sort=("-start_date", "start_date"),
        scope=lambda who: Contract.tenant_id == who.tenant_id,
        tags=("我的",),
    ),
    ApiResource(
        path="/me/bills",
        label="账单",
        model=Bill,
        fields=(
            "id",
            "contract_id",
            "room_id",
            "title",
            "kind",
            "fee_name",
            "period_start",
            "period_end",
            "due_date",
            "amount",
            "paid",
            "late_fee",
            "state",
        ),
        filters=(
            ApiFilter("state", Bill.state),
            ApiFilter("contract_id", Bill.contract_id),
            ApiFilter("due_from", Bill.due_date, op="gte", label="应收日期起"),
            ApiFilter("due_to", Bill.due_date, op="lte", label="应收日期止"),
        ),
        sort=("-due_date", "due_date", "amount", "-amount"),
        # Bills the tenant pays, once confirmed (未确认 ones are still the operator's), never revoked ones.
        scope=lambda who: (
            (Bill.tenant_id == who.tenant_id)
            & (Bill.payer == Payer.TENANT)
            & col(Bill.state).not_in(tenant_portal.HIDDEN_BILL_STATES)
        ),
        tags=("我的",),
    ),
]
for _res in RESOURCES:
    resource.mount(router, _res)


# ---- login ----


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=11, description="手机号")


class LoginIn(PhoneIn):
    code: str = Field(max_length=6, description="短信验证码")


class CodeSent(BaseModel):
    expires_in: int = Field(description="验证码有效秒数")


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
    tenant_id: int


class Ok(BaseModel):
    ok: bool


errors.LABELS.update(
    phone="手机号", code="验证码", project_id="项目", room_id="意向房间", visit_at="看房时间", note="备注", city="城市"
)


@router.post(
    "/auth/sms-code",
    response_model=CodeSent,
    tags=["登录"],
    summary="发送登录验证码",
    description="每个手机号每小时至多 5 次、每个网络地址每小时有上限；未登记为租客的手机号收不到验证码"
    "（应答相同，不透露号码是否登记）。",
    responses=ERROR_RESPONSES,
)
def send_code(body: PhoneIn, request: Request) -> dict:
    with db.session_scope() as s:
        client = request.client.host if request.client else ""
        return {"expires_in": tenant_auth.send_code(s, body.phone, client=client)}


@router.post(
    "/auth/login", response_model=LoginOut, tags=["登录"], summary="验证码登录，换取令牌", responses=ERROR_RESPONSES
)
def login(body: LoginIn) -> dict:
    with db.session_scope() as s:
        token, expires, tenant_id = tenant_auth.login(s, body.phone, body.code)
    return {"token": token, "expires_at": expires, "tenant_id": tenant_id}


@router.post(
    "/auth/logout", response_model=Ok, tags=["登录"], summary="退出登录（令牌作废）", responses=ERROR_RESPONSES
)
def logout(who: CurrentTenant) -> dict:
    with db.session_scope() as s:
        tenant_auth.logout(s, who.token_id)
    return {"ok": True}


# ---- me and home ----


class MeOut(BaseModel):
    id: int
    name: str
    phone: str


@router.get("/me", response_model=MeOut, tags=["我的"], summary="当前租客", responses=ERROR_RESPONSES)
def me(who: CurrentTenant) -> dict:
    with db.session_scope() as s:
        t = s.get(Tenant, who.tenant_id)
    if t is None:
        raise ApiError(401, "登录已失效，请重新登录", code="token_invalid")
    return {"id": t.id, "name": t.name, "phone": t.phone}


class BannerCard(BaseModel):
    id: int
    title: str
    image: str
    link_kind: str
    project_id: int | None
    event_id: int | None
    url: str


class HomeOut(BaseModel):
    city: str
    groups: dict[str, list[BannerCard]] = Field(
        description="home 首页Banner，featured 运营精选，recommend 首页推荐（至多 6 条）"
    )


@router.get(
    "/home", response_model=HomeOut, tags=["首页"], summary="首页：城市的 Banner 与推荐", responses=ERROR_RESPONSES
)
def home(
    who: CurrentTenant,
    city: Annotated[str | None, Query(max_length=32, description="城市；不传为租客所租项目的城市")] = None,
) -> dict:
    with db.session_scope() as s:
        return tenant_portal.home(s, who, city)


# ---- 预约看房 ----


class AppointmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project_id: int = Field(ge=1, le=2**31 - 1, description="项目")
    room_id: int | None = Field(None, ge=1, le=2**31 - 1, description="意向房间（可不选）")
    visit_at: datetime = Field(description="看房时间，带时区")
    note: str = Field("", max_length=255, description="备注")


class AppointmentOut(BaseModel):
    id: int
    project_id: int
    room_id: int | None
    visit_at: datetime
    state: str
    state_label: str


@router.post(
    "/appointments",
    status_code=201,
    response_model=AppointmentOut,
    tags=["找房"],
    summary="预约看房",
    responses={**ERROR_RESPONSES, 409: {"model": errors.ErrorBody, "description": "相同请求正在处理"}},
)
def book_viewing(body: AppointmentIn, who: CurrentTenant, key: IdempotencyKey) -> Any:
    def work(s: Any) -> tuple[int, dict]:
        a = tenant_portal.book_viewing(s, who, body.project_id, body.room_id, body.visit_at, body.note)
        return 201, {
            "id": a.id,
            "project_id": a.project_id,
            "room_id": a.room_id,
            "visit_at": a.visit_at,
            "state": a.state.value,
            "state_label": a.state.label,
        }

    return idempotency.run(who, key, "POST /appointments", body, work)
