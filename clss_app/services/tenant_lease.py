"""What a tenant does in the APP about their lease (issue 23 §3): pay a bill (the 二维码支付 order the
back office makes, services/pay_orders.py), use a coupon on it (services/marketing.py), confirm a contract
the store drafted online (then 在线签约审核, services/leasing.py), 报修 (services/repairs.py) and 我的保障
(services/insurance.py).

Every function takes the tenant's id and answers only about their own rows: another tenant's row is
"not found" (404), never "not yours". Refusals are ``Refused`` (status, code, Chinese
message, field), as the API answers them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import audit, clock, media
from clss_app.core.errors import FieldError, Refused, ValidationFailed
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import (
    insurance,
    leasing,
    marketing,
    outbox,
    pay_gateway,
    pay_orders,
    permissions,
    repairs,
    signing,
)
from clss_app.services.billing import add_months
from clss_app.services.bills import OPEN, outstanding
from clss_app.services.permissions import Principal
from clss_app.services.tenant_portal import HIDDEN_BILL_STATES
from models import (
    UNSIGNED_CONTRACT_STATES,
    Bill,
    BillMode,
    BillState,
    Contract,
    ContractSource,
    ContractState,
    PayCycle,
    Payer,
    PayOrder,
    PayOrderState,
    Policy,
    Project,
    RepairOrder,
    Room,
    RoomStatus,
    Tenant,
)

# ---------------------------------------------------------------- bills


def own_bill(session: Session, tenant_id: int, bill_id: int) -> Bill:
    """The tenant's bill as /me/bills shows it (theirs to pay, confirmed, not revoked), else 404."""
    bill = session.get(Bill, bill_id)
    if bill is None or bill.tenant_id != tenant_id or bill.payer != Payer.TENANT or bill.state in HIDDEN_BILL_STATES:
        raise Refused("账单不存在或无权查看", status=404, code="not_found")
    return bill


@dataclass(frozen=True)
class PayOrderView:
    order_no: str
    amount: Decimal
    qr_content: str
    pay_url: str  # the sandbox's pay page in the demo ("" with a real provider: the APP shows the QR)
    expire_at: datetime
    state: str
    state_label: str
    created: bool  # False: the order already waiting for this bill


def pay_order(session: Session, tenant_id: int, bill_id: int) -> PayOrderView:
    """去支付: the pending order for this one bill (made now, or the one already waiting for it)."""
    bill = own_bill(session, tenant_id, bill_id)
    if bill.state == BillState.PAID:
        raise Refused("该账单已缴清，无需再次支付", code="bill_paid")
    if bill.state not in OPEN:
        raise Refused(f"账单当前为{bill.state.label}，不能支付", code="bill_not_payable")
    try:
        order, made = pay_orders.open_order(session, [bill], None)
    except pay_orders.OrderRefused as exc:
        raise _order_refusal(exc) from None
    return view_of(order, made)


def _order_refusal(exc: pay_orders.OrderRefused) -> Refused:
    if exc.kind == "merchant":
        return Refused("该门店暂未开通线上支付，请联系门店缴费", status=503, code="pay_not_configured")
    if exc.kind == "gateway":
        return Refused(f"支付渠道暂不可用，请稍后重试（{exc.problems[0][1]}）", status=503, code="pay_unavailable")
    if exc.kind == "busy":
        return Refused("该账单已在门店生成的收款码中，请扫描门店出示的收款码支付", code="bill_in_order")
    if exc.kind == "state":
        state_why = exc.problems[0][1]
        return Refused(f"账单{state_why}，不能支付", code="bill_not_payable")
    return Refused(str(exc), code="bill_not_payable")


def view_of(order: PayOrder, created: bool) -> PayOrderView:
    state = pay_orders.shown_state(order)
    return PayOrderView(
        order_no=order.order_no,
        amount=order.amount,
        qr_content=order.qr_content,
        pay_url=order.qr_content if pay_gateway.is_sandbox() else "",
        expire_at=order.expire_at,
        state=state.value,
        state_label=state.label,
        created=created,
    )


@dataclass(frozen=True)
class CouponUsed:
    bill_id: int
    tenant_coupon_id: int
    discount: Decimal
    outstanding: Decimal
    state: str
    state_label: str


def apply_coupon(session: Session, tenant_id: int, bill_id: int, tenant_coupon_id: int) -> CouponUsed:
    """用券 on the tenant's own bill (marketing.apply_coupon: its own ledger line, the coupon used once).
    Not while an order waiting for payment holds the bill: its amount is what the tenant is paying."""
    bill = own_bill(session, tenant_id, bill_id)
    if bill.state not in OPEN:
        raise Refused(f"账单当前为{bill.state.label}，不能使用优惠券", code="bill_not_payable")
    waiting = pay_orders.pending_order_of(session, bill.id)
    if waiting is not None and pay_orders.shown_state(waiting) == PayOrderState.PENDING:
        raise Refused(
            f"该账单已生成待支付订单 {waiting.order_no}，请先完成支付或待订单过期后再用券", code="bill_in_order"
        )
    try:
        discount = marketing.apply_coupon(session, tenant_id, tenant_coupon_id, bill_id)
    except Refused as exc:
        message = str(exc)
        if message == "优惠券不存在":
            raise Refused("优惠券不存在或无权使用", status=404, code="not_found", field="tenant_coupon_id") from None
        raise Refused(message, code="coupon_refused", field="tenant_coupon_id") from None
    session.refresh(bill)
    return CouponUsed(bill_id, tenant_coupon_id, discount, outstanding(bill), bill.state.value, bill.state.label)


# ---------------------------------------------------------------- 在线签约


def draft_online(
    session: Session,
    tenant_id: int,
    room: Room,
    start: date,
    drafted_by_id: int | None,
    months: int = 12,
    monthly_rent: Decimal | None = None,
    p: Principal | None = None,
) -> Contract:
    """The store drafts an online contract (待租客确认) for ``months`` (a year) from ``start`` on a vacant
    room, at its rent (or ``monthly_rent``), deposit and the project's pay cycle and bill mode; the tenant
    then confirms it in the APP. Audited as ``p``'s (the demo's: nobody's). No checks: ``draft_for``'s."""
    project = session.get_one(Project, room.project_id)
    c = Contract(
        number=f"tmp-{room.id}",
        project_id=room.project_id,
        room_id=saved_id(room),
        tenant_id=tenant_id,
        start_date=start,
        end_date=add_months(start, months) - timedelta(days=1),
        monthly_rent=room.rent if monthly_rent is None else monthly_rent,
        deposit=room.deposit,
        cycle=project.pay_cycle or PayCycle.MONTHLY,
        bill_mode=project.bill_mode or BillMode.SAME_DAY,
        signed_on=clock.today(),
        source=ContractSource.ONLINE,
        state=ContractState.AWAITING_TENANT,
        created_by_id=drafted_by_id,
    )
    session.add(c)
    session.flush()
    c.number = leasing.contract_number(session, c)
    session.add(c)
    session.flush()
    audit.record(
        session,
        p,
        "contracts",
        c.id,
        "create",
        None,
        {"state": ContractState.AWAITING_TENANT.value},
        summary=f"门店起草在线签约合同 {c.number}（{room.number}），待租客在 APP 确认",
    )
    return c


DRAFT_RESOURCE, DRAFT_ACTION = "rooms", "action:draft_online"  # 房间列表's 起草在线合同 (pages/housing.py)
MAX_DRAFT_MONTHS = 12 * leasing.MAX_TERM_YEARS
PHONE = re.compile(r"^1\d{10}$")


def draft_for(
    session: Session,
    p: Principal | None,
    room: Room,
    tenant_phone: str,
    start: date,
    months: int = 12,
    monthly_rent: Decimal | None = None,
) -> Contract:
    """起草在线合同 in the back office: store staff whose data scope holds the room's project draft an online
    contract (``draft_online``) for a tenant of the project's company, found by phone, on a vacant room no
    other online contract waits for; the tenant is told in the APP's 站内信. A refusal is
    ``ValidationFailed({field: Chinese message})`` ("room_id" for the room itself), nothing written.

    Two staff drafting the same room at once: the room's version moves by a conditional UPDATE, so the
    second one's draft is refused (the room changed since it was read)."""
    permissions.require_row(p, DRAFT_ACTION, DRAFT_RESOURCE, project_id=room.project_id)
    errors: dict[str, str] = {}
    phone = (tenant_phone or "").strip()
    project = session.get_one(Project, room.project_id)
    tenant = None
    if not PHONE.match(phone):
        errors["tenant_phone"] = "租客手机号须为 11 位数字，以 1 开头"
    else:
        mine = select(Tenant).where(Tenant.company_id == project.company_id, Tenant.phone == phone)
        tenant = session.exec(mine).first()
        if tenant is None:
            errors["tenant_phone"] = f"未找到手机号为 {phone} 的本公司租客，请先在租客管理中登记"
    today = clock.today()
    if start < today:
        errors["start_date"] = f"起租日不能早于今天（{today}）"
    if not 1 <= months <= MAX_DRAFT_MONTHS:
        errors["months"] = f"租期须为 1–{MAX_DRAFT_MONTHS} 个月"
    rent = room.rent if monthly_rent is None else monthly_rent
    if rent is None or not 0 < rent <= leasing.MAX_RENT:
        errors["monthly_rent"] = (
            f"月租金须大于 0 且不超过 {leasing.MAX_RENT:,.0f} 元"
            if monthly_rent is not None
            else f"房间 {room.number} 未设置月租金，请填写月租金"
        )
    room_problem = draft_room_problem(session, room)
    if room_problem:
        errors["room_id"] = room_problem
    if errors or tenant is None:
        raise ValidationFailed(errors)
    if not changed(
        session,
        sa.update(Room)
        .where(Room.id == room.id, Room.version == room.version, Room.status == RoomStatus.VACANT)
        .values(version=Room.version + 1)
        .execution_options(synchronize_session=False),
    ):
        raise ValidationFailed({"room_id": f"房间 {room.number} 刚被他人起草合同、预定、签约或锁定，请刷新后重试"})
    session.refresh(room)
    c = draft_online(session, saved_id(tenant), room, start, p.actor_id if p else None, months, rent, p)
    outbox.to_tenant(
        session,
        saved_id(tenant),
        room.project_id,
        f"在线签约待确认：{c.number}",
        f"门店已为您起草在线签约合同 {c.number}（{project.name} {room.number}，{c.start_date} 至 {c.end_date}，"
        f"月租金 ¥{c.monthly_rent:,.2f}，押金 ¥{c.deposit:,.2f}），请在 APP 中确认。",
        "在线签约",
    )
    return c


def draft_rooms(ctx: ActionContext) -> ActionResult:
    """房间列表's 起草在线合同: ``draft_for`` on the chosen room (one at a time: one tenant, one room). A
    problem with a typed value is shown next to that field; one with the room, as the room's refusal."""
    result = ActionResult()
    if len(ctx.rows) > 1:
        result.refused += [(r.number, "一次只能为一个房间起草在线合同，请只选一间") for r in ctx.rows]
        return result
    v = ctx.values
    for room in ctx.rows:
        try:
            with ctx.session.begin_nested():
                c = draft_for(
                    ctx.session,
                    ctx.principal,
                    room,
                    v.get("tenant_phone") or "",
                    v["start_date"],
                    v.get("months") or 12,
                    v.get("monthly_rent"),
                )
        except ValidationFailed as exc:
            fields = {k: m for k, m in exc.errors.items() if k != "room_id"}
            if fields:
                raise ValidationFailed(fields) from None
            result.refused.append((room.number, exc.errors["room_id"]))
            continue
        result.done += 1
        result.notes.append(f"在线合同 {c.number}（待租客在 APP 确认）")
    return result


def draft_room_problem(session: Session, room: Room) -> str:
    """Why no online contract may be drafted on ``room`` now ("" if one may): not vacant, or one waiting."""
    if room.status != RoomStatus.VACANT:
        return f"房间 {room.number} 当前为{room.status.label}，只能为空闲可租的房间起草在线合同"
    waiting = session.exec(
        select(Contract).where(Contract.room_id == room.id, Contract.state.in_(UNSIGNED_CONTRACT_STATES))
    ).first()
    if waiting is not None:
        return f"房间 {room.number} 已有{waiting.state.label}的在线合同 {waiting.number}，不能重复起草"
    return ""


def withdraw_drafts(ctx: ActionContext) -> ActionResult:
    """撤回在线合同 (store staff): an online contract still 待租客确认 (drafted for the wrong tenant, rent or
    date, or never confirmed) is voided with the reason given, by a conditional UPDATE, so a confirm the
    tenant sends meanwhile finds it gone; the tenant is told in the APP and the room may be drafted,
    reserved or signed again. One the tenant already confirmed is decided in 在线签约审核 instead."""
    session, result = ctx.session, ActionResult()
    reason = (ctx.text or "").strip()[:255]  # the engine keeps the audit entry and each row's move
    for c in ctx.rows:
        if c.state != ContractState.AWAITING_TENANT:
            result.refused.append((c.number, f"当前为{c.state.label}，只有待租客确认的在线合同可以撤回"))
            continue
        moved = changed(
            session,
            sa.update(Contract)
            .where(Contract.id == c.id, Contract.state == ContractState.AWAITING_TENANT)
            .values(state=ContractState.VOID, void_reason=reason, version=Contract.version + 1)
            .execution_options(synchronize_session=False),
        )
        if not moved:
            result.refused.append((c.number, "租客刚刚确认或已被他人处理，请刷新"))
            continue
        outbox.to_tenant(
            session,
            c.tenant_id,
            c.project_id,
            f"在线签约已撤回：{c.number}",
            f"门店已撤回为您起草的在线签约合同 {c.number}（原因：{reason}），无需再确认；如有疑问请联系门店。",
            "在线签约",
        )
        result.done += 1
    return result


def own_contract(session: Session, tenant_id: int, contract_id: int) -> Contract:
    c = session.get(Contract, contract_id)
    if c is None or c.tenant_id != tenant_id:
        raise Refused("合同不存在或无权查看", status=404, code="not_found")
    return c


def draft_of(session: Session, tenant_id: int, contract_id: int) -> dict[str, Any]:
    """The contract the tenant is asked to confirm (or has confirmed): its terms, rent, deposit, dates."""
    c = own_contract(session, tenant_id, contract_id)
    if c.source != ContractSource.ONLINE:
        raise Refused("该合同不是在线签约合同", status=404, code="not_found")
    project = session.get_one(Project, c.project_id)
    room = session.get_one(Room, c.room_id)
    return {
        "id": c.id,
        "number": c.number,
        "project_id": c.project_id,
        "project_name": project.name,
        "room_id": c.room_id,
        "room_number": room.number,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "monthly_rent": c.monthly_rent,
        "deposit": c.deposit,
        "cycle": c.cycle.value,
        "cycle_label": c.cycle.label,
        "terms": signing.terms_of(project),
        "state": c.state.value,
        "state_label": c.state.label,
        "can_confirm": c.state == ContractState.AWAITING_TENANT,
    }


def confirm_contract(session: Session, tenant_id: int, contract_id: int) -> Contract:
    """确认签约: the drafted online contract goes from 待租客确认 to 待审核 (在线签约审核 at the store), by a
    conditional UPDATE; audited as the tenant's. Refused while the room is no longer free to sign."""
    c = own_contract(session, tenant_id, contract_id)
    if c.state != ContractState.AWAITING_TENANT:
        raise Refused(f"合同当前为{c.state.label}，只有待租客确认的合同可以确认签约", code="contract_state")
    room = session.get_one(Room, c.room_id)
    if room.status != RoomStatus.VACANT:
        raise Refused(f"房间 {room.number} 当前为{room.status.label}，不能签约，请联系门店", code="room_taken")
    if not changed(
        session,
        sa.update(Contract)
        .where(Contract.id == c.id, Contract.state == ContractState.AWAITING_TENANT)
        .values(state=ContractState.PENDING_REVIEW, signed_on=clock.today(), version=Contract.version + 1)
        .execution_options(synchronize_session=False),
    ):
        session.refresh(c)
        raise Refused(f"合同当前为{c.state.label}，只有待租客确认的合同可以确认签约", code="contract_state")
    session.refresh(c)
    tenant = session.get_one(Tenant, tenant_id)
    audit.record(
        session,
        None,
        "contracts",
        c.id,
        "tenant:confirm",
        {"state": ContractState.AWAITING_TENANT.value},
        {"state": ContractState.PENDING_REVIEW.value},
        summary=f"租客 {tenant.name} 在 APP 确认在线签约 {c.number}，待门店审核",
    )
    return c


# ---------------------------------------------------------------- 报修


def check_photos(photos: Sequence[tuple[str, bytes]]) -> list[tuple[bytes, str]]:
    """The 报修照片 (file name, bytes) as the admin checks images, by content: (bytes, extension) each; at
    most 9, each a JPG/PNG/WebP of at most 5 MB, or the first one at fault refused, naming it."""
    if len(photos) > repairs.MAX_PHOTOS:
        raise Refused(
            f"报修照片最多 {repairs.MAX_PHOTOS} 张（当前 {len(photos)} 张）",
            status=422,
            code="invalid_field",
            field="photos",
        )
    checked = []
    for i, (name, data) in enumerate(photos, 1):
        try:
            checked.append((data, media.check_image(data, f"第 {i} 张报修照片{f'（{name}）' if name else ''}")))
        except FieldError as exc:
            raise Refused(str(exc), status=422, code="invalid_field", field="photos") from None
    return checked


def file_repair(
    session: Session, tenant_id: int, values: dict[str, Any], photos: Sequence[tuple[str, bytes]] = ()
) -> RepairOrder:
    """报修 (repairs.file_by_tenant) with its photos; a room that is not one of the tenant's is not found.
    The photos are written to data/media (by content, as the admin stores images) only once the order
    is accepted: a refused 报修 leaves no files behind."""
    checked = check_photos(photos)
    names = ",".join(media.name_for(data, ext) for data, ext in checked)
    try:
        order = repairs.file_by_tenant(session, tenant_id, {**values, "photos": names})
    except repairs.TenantRefused as exc:
        status, code = (404, "not_found") if exc.field == "room_id" else (422, "invalid_field")
        raise Refused(str(exc), status=status, code=code, field=exc.field) from None
    for data, ext in checked:
        media.store(data, ext)
    return order


# ---------------------------------------------------------------- 我的保障


def buy_policy(session: Session, tenant_id: int, contract_id: int, cover_id: int) -> Policy:
    """投保 through insurance.buy_policy; its refusals as the API answers them."""
    try:
        return insurance.buy_policy(session, tenant_id, contract_id, cover_id)
    except Refused as exc:
        message = str(exc)
        if message == "合同不存在":
            raise Refused("合同不存在或无权查看", status=404, code="not_found", field="contract_id") from None
        if message == "保额档位不存在":
            raise Refused("保额档位不存在", status=404, code="not_found", field="cover_id") from None
        raise Refused(message, code="policy_refused") from None
