"""二维码支付: payment orders for a tenant's bills, the provider's callbacks, expiry and closing.

An order holds bills of one tenant that are owed now (已确认, 部分收款); a bill is in one pending
order at a time. The provider's callback is checked (signature, merchant, amount, currency) and
applied once: the order turns 已支付 by a conditional update on its state, in the transaction that
posts the ledger lines (oldest due first, the rest to the tenant's 预收 balance). A callback for an
expired or closed order pays nothing: it is kept as an exception for finance to refund. Every
callback is stored as it arrived, whatever became of it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app.core import clock, sealed, signing
from clss_app.core.results import ActionContext, ActionResult
from clss_app.core.rows import changed, saved_id
from clss_app.services import ledger, pay_gateway
from clss_app.services.bills import OPEN, outstanding
from clss_app.services.permissions import Principal
from models import (
    Bill,
    BillState,
    CallbackOutcome,
    ExceptionState,
    LedgerSource,
    PayCallback,
    PaymentMethod,
    PayOrder,
    PayOrderBill,
    PayOrderState,
    PaySettings,
    Project,
    Room,
    Tenant,
)

PROVIDER = "ccb"
PROCESS = "支付回调"
MAX_BODY = 8192


# ---------------------------------------------------------------- merchant settings


def merchant_of(session: Session, company_id: int) -> pay_gateway.Merchant | None:
    """The company's merchant with its key opened, or None when 支付参数 are missing, off or keyless."""
    s = session.exec(select(PaySettings).where(PaySettings.company_id == company_id)).first()
    if s is None or not s.enabled or not s.key_cipher:
        return None
    return pay_gateway.Merchant(s.merchant_no, s.terminal_no, sealed.unseal(s.key_cipher))


def set_key(ctx: ActionContext[PaySettings]) -> ActionResult:
    """设置签名密钥: sealed at rest; only its fingerprint is shown again."""
    result = ActionResult()
    key = ctx.text.strip()
    if not 16 <= len(key) <= 128 or not key.isascii() or any(c.isspace() for c in key):
        result.refused.append(("签名密钥", "须为 16–128 位字母、数字或符号，不含空格"))
        return result
    for s in ctx.rows:
        changed(
            ctx.session,
            sa.update(PaySettings)
            .where(PaySettings.id == s.id)
            .values(
                key_cipher=sealed.seal(key),
                key_fingerprint=sealed.fingerprint(key),
                key_set_at=clock.now(),
                updated_at=clock.now(),
                version=PaySettings.version + 1,
            ),
        )
        result.done += 1
        result.notes.append(f"密钥指纹 {sealed.fingerprint(key)}")
    return result


# ---------------------------------------------------------------- orders


def new_order_no() -> str:
    """P + the Beijing day + 12 random digits: unique (a constraint says so) and not guessable."""
    return f"P{clock.today():%Y%m%d}{secrets.randbelow(10**12):012d}"


def _company_of(session: Session, project_id: int) -> int:
    return session.get_one(Project, project_id).company_id


class OrderRefused(Exception):
    """Why no order can be made for the bills: ``problems`` [(what, why)]; ``kind`` says which rule:
    "state" (a bill owes nothing now), "mixed" (tenants or companies), "busy" (in another pending order),
    "merchant" (支付参数 missing), "gateway" (the provider did not answer)."""

    def __init__(self, kind: str, problems: list[tuple[str, str]]) -> None:
        super().__init__("；".join(f"{what}：{why}" for what, why in problems))
        self.kind, self.problems = kind, problems


def open_order(session: Session, rows: list[Bill], created_by_id: int | None) -> tuple[PayOrder, bool]:
    """One pending order for ``rows`` (bills of one tenant and company, owed now): the order already
    waiting for exactly these bills (a second click, a retried request), else a new one from the provider.
    Returns (order, made now); raises OrderRefused. The bills are locked first, by an UPDATE that changes
    nothing (PostgreSQL: their rows; SQLite: the file's one writer): two requests for the same bills at
    once make one order, the later finds it."""
    ids = sorted(saved_id(b) for b in rows)
    session.execute(
        sa.update(Bill)
        .where(Bill.id.in_(ids))
        .values(version=Bill.version)
        .execution_options(synchronize_session=False)
    )
    for b in rows:
        session.refresh(b)
    problems = [
        (b.title, "账单未确认，请先确认" if b.state == BillState.UNCONFIRMED else f"当前为{b.state.label}，无待收金额")
        for b in rows
        if b.state not in OPEN
    ]
    if problems:
        raise OrderRefused("state", problems)
    if len({b.tenant_id for b in rows}) > 1:
        raise OrderRefused("mixed", [("所选账单", "一个收款码只能包含同一租客的账单")])
    companies = {_company_of(session, b.project_id) for b in rows}
    if len(companies) > 1:
        raise OrderRefused("mixed", [("所选账单", "一个收款码只能包含同一企业的账单")])
    company_id = companies.pop()
    now = clock.now()
    busy = session.exec(
        select(PayOrder, PayOrderBill.bill_id)
        .join(PayOrderBill, PayOrderBill.order_id == PayOrder.id)
        .where(PayOrderBill.bill_id.in_(ids), PayOrder.state == PayOrderState.PENDING, PayOrder.expire_at > now)
    ).all()
    if busy:
        orders = {o.order_no: o for o, _ in busy}
        covered = {bid for _, bid in busy}
        if len(orders) == 1 and covered == set(ids):
            order = next(iter(orders.values()))
            same = session.exec(select(PayOrderBill.bill_id).where(PayOrderBill.order_id == order.id)).all()
            if sorted(same) == ids:  # the same bills again (a second click): the order already made
                return order, False
        raise OrderRefused("busy", [("所选账单", f"已在待支付的收款码 {', '.join(sorted(orders))} 中，请先关闭该订单")])
    merchant = merchant_of(session, company_id)
    if merchant is None:
        raise OrderRefused("merchant", [("支付参数", "本企业未配置或未启用支付参数（系统管理 → 支付参数）")])
    settings = session.exec(select(PaySettings).where(PaySettings.company_id == company_id)).one()
    amount = sum((outstanding(b) for b in rows), Decimal("0.00"))
    tenant = session.get_one(Tenant, rows[0].tenant_id)
    order = PayOrder(
        order_no=new_order_no(),
        company_id=company_id,
        project_id=rows[0].project_id,
        tenant_id=saved_id(tenant),
        amount=amount,
        expire_at=now + timedelta(minutes=settings.expire_minutes),
        provider=PROVIDER,
        created_by_id=created_by_id,
    )
    room = session.get(Room, rows[0].room_id)
    subject = f"{room.number if room else ''} {tenant.name} 账单 {len(rows)} 笔"
    try:
        order.qr_content = pay_gateway.create_order(merchant, order.order_no, amount, order.expire_at, subject)
    except pay_gateway.GatewayError as exc:
        raise OrderRefused("gateway", [("收款码", str(exc))]) from None
    session.add(order)
    session.flush()
    for b in rows:
        session.add(PayOrderBill(order_id=saved_id(order), bill_id=saved_id(b), amount=outstanding(b)))
    session.flush()
    return order, True


def create(ctx: ActionContext[Bill]) -> ActionResult:
    """生成收款码: one order for the chosen bills of one tenant, shown as a QR code to scan."""
    result = ActionResult()
    try:
        order, made = open_order(ctx.session, list(ctx.rows), ctx.principal.actor_id)
    except OrderRefused as exc:
        result.refused += exc.problems
        return result
    result.done = 1
    if made:
        result.notes.append(f"订单 {order.order_no}，金额 ¥{order.amount:,.2f}")
    result.goto = order_page(order.order_no)
    return result


def pending_order_of(session: Session, bill_id: int | None) -> PayOrder | None:
    """The order waiting for payment that holds the bill, if any."""
    return session.exec(
        select(PayOrder)
        .join(PayOrderBill, PayOrderBill.order_id == PayOrder.id)
        .where(PayOrderBill.bill_id == bill_id, PayOrder.state == PayOrderState.PENDING)
    ).first()


def order_page(order_no: str) -> str:
    return f"/finance/qr-pay?order={order_no}"


def close(ctx: ActionContext[PayOrder]) -> ActionResult:
    """关闭订单: the provider closes it first; an order the tenant paid meanwhile stays open for its callback."""
    session = ctx.session
    result = ActionResult()
    for o in ctx.rows:
        if o.state != PayOrderState.PENDING:
            result.refused.append((o.order_no, f"当前为{o.state.label}"))
            continue
        merchant = merchant_of(session, o.company_id)
        try:
            if merchant is not None and not pay_gateway.close_order(merchant, o.order_no):
                result.refused.append((o.order_no, "租客已支付，等待到账通知"))
                continue
        except pay_gateway.GatewayError as exc:
            result.refused.append((o.order_no, str(exc)))
            continue
        if changed(
            session,
            sa.update(PayOrder)
            .where(PayOrder.id == o.id, PayOrder.state == PayOrderState.PENDING)
            .values(state=PayOrderState.CLOSED, close_reason=ctx.text[:255], version=PayOrder.version + 1),
        ):
            result.done += 1
        else:
            result.refused.append((o.order_no, "已被他人处理，请刷新"))
    return result


def expire_due(session: Session) -> int:
    """Pending orders past their time turn 已过期 (the daily job; the order page shows it at once)."""
    return changed(
        session,
        sa.update(PayOrder)
        .where(PayOrder.state == PayOrderState.PENDING, PayOrder.expire_at <= clock.now())
        .values(state=PayOrderState.EXPIRED, version=PayOrder.version + 1),
    )


def shown_state(o: PayOrder, now: datetime | None = None) -> PayOrderState:
    """The state a person reads: a pending order past its time is 已过期 even before the job marks it."""
    if o.state == PayOrderState.PENDING and o.expire_at <= (now or clock.now()):
        return PayOrderState.EXPIRED
    return o.state


# ---------------------------------------------------------------- callbacks


@dataclass
class Answer:
    status: int
    body: dict[str, str]


OK = Answer(200, {"code": "SUCCESS"})


def _fail(message: str, status: int = 400) -> Answer:
    return Answer(status, {"code": "FAIL", "message": message})


def handle_callback(session: Session, raw: bytes) -> Answer:
    """Applies one callback in the caller's transaction; what became of it is stored with it."""
    # PostgreSQL's text holds no NUL: the body is kept with it replaced, and a field holding one is malformed.
    text = raw[:MAX_BODY].decode("utf-8", "replace").replace("\x00", "\ufffd")
    try:
        msg: Any = json.loads(text)
    except (ValueError, RecursionError):  # [[[[…: 8 KB of brackets nests deeper than the parser goes
        msg = None
    if (
        not isinstance(msg, dict)
        or not all(isinstance(v, str) for v in msg.values())
        or any("\x00" in k or "\x00" in v for k, v in msg.items())
    ):
        _store(session, {}, text, CallbackOutcome.REFUSED, "报文格式错误")
        return _fail("报文格式错误")
    settings = session.exec(select(PaySettings).where(PaySettings.merchant_no == msg.get("merchant_no", ""))).first()
    if settings is None or not settings.key_cipher:
        _store(session, msg, text, CallbackOutcome.REFUSED, "未知商户")
        return _fail("未知商户")
    if not signing.verify(msg, sealed.unseal(settings.key_cipher)):
        _store(session, msg, text, CallbackOutcome.REFUSED, "签名错误", settings.company_id)
        return _fail("签名错误")
    order = session.exec(
        select(PayOrder)
        .where(PayOrder.order_no == msg.get("order_no", ""), PayOrder.company_id == settings.company_id)
        .execution_options(populate_existing=True)
    ).first()
    try:
        amount = Decimal(msg.get("amount", ""))
    except InvalidOperation:
        amount = None
    txn = msg.get("txn_id", "")
    why = (
        "订单不存在"
        if order is None
        else "金额不符"
        if amount != order.amount
        else "币种不符"
        if msg.get("currency") != "CNY"
        else "支付状态不是成功"
        if msg.get("status") != "SUCCESS"
        else "缺少渠道流水号"
        if not txn or len(txn) > 64
        else ""
    )
    if order is None or why:
        _store(session, msg, text, CallbackOutcome.REFUSED, why, settings.company_id)
        return _fail(why)
    if order.state == PayOrderState.PAID:
        same = order.provider_txn_id == txn
        _store(
            session,
            msg,
            text,
            CallbackOutcome.DUPLICATE if same else CallbackOutcome.LATE,
            "重复通知，已入账" if same else f"订单已由流水 {order.provider_txn_id} 支付，本笔待退款",
            settings.company_id,
            exception=ExceptionState.NONE if same else ExceptionState.OPEN,
        )
        return OK
    if shown_state(order) != PayOrderState.PENDING:
        if order.state == PayOrderState.PENDING:  # past its time: say so on the order too
            _mark_expired(session, order)
        _store(
            session,
            msg,
            text,
            CallbackOutcome.LATE,
            f"订单{shown_state(order).label}后到账，待退款",
            settings.company_id,
            exception=ExceptionState.OPEN,
        )
        return OK
    won = changed(
        session,
        sa.update(PayOrder)
        .where(PayOrder.id == order.id, PayOrder.state == PayOrderState.PENDING)
        .values(state=PayOrderState.PAID, provider_txn_id=txn, paid_at=_paid_at(msg), version=PayOrder.version + 1),
    )
    if not won:  # another callback of this order got there first: it holds the transaction
        raise Retry()
    bill_ids = session.exec(select(PayOrderBill.bill_id).where(PayOrderBill.order_id == order.id)).all()
    posted, left = ledger.settle(
        session,
        list(bill_ids),
        order.amount,
        company_id=order.company_id,
        tenant_id=order.tenant_id,
        method=PaymentMethod.QR,
        source=LedgerSource.PAY_ORDER,
        source_ref=order.order_no,
        process=PROCESS,
    )
    reason = f"入账 {len(posted)} 张账单" + (f"，¥{left:,.2f} 转入预收余额" if left > 0 else "")
    _store(session, msg, text, CallbackOutcome.POSTED, reason, settings.company_id)
    return OK


def _paid_at(msg: dict) -> datetime:
    """When the tenant paid, as the provider says (its statement's day is that moment's); else now."""
    try:
        at = datetime.strptime(msg.get("paid_at", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return clock.now()
    return at if abs(at - clock.now()) < timedelta(days=3) else clock.now()


class Retry(Exception):
    """The callback raced another one of its order: run it again in a fresh transaction."""


def _mark_expired(session: Session, order: PayOrder) -> None:
    changed(
        session,
        sa.update(PayOrder)
        .where(PayOrder.id == order.id, PayOrder.state == PayOrderState.PENDING)
        .values(state=PayOrderState.EXPIRED, version=PayOrder.version + 1),
    )


def _store(
    session: Session,
    msg: dict,
    text: str,
    outcome: CallbackOutcome,
    reason: str,
    company_id: int | None = None,
    exception: ExceptionState = ExceptionState.NONE,
) -> None:
    try:
        amount = Decimal(str(msg.get("amount"))) if msg.get("amount") else None
        if amount is not None and (not amount.is_finite() or abs(amount) >= 10**10):
            amount = None
    except InvalidOperation:
        amount = None
    session.add(
        PayCallback(
            provider=PROVIDER,
            merchant_no=str(msg.get("merchant_no", ""))[:32],
            order_no=str(msg.get("order_no", ""))[:64],
            provider_txn_id=str(msg.get("txn_id", ""))[:64],
            amount=amount.quantize(Decimal("0.01")) if amount is not None else None,
            company_id=company_id,
            outcome=outcome,
            reason=reason[:255],
            exception=exception,
            body=text,
        )
    )


def mark_refunded(ctx: ActionContext[PayCallback]) -> ActionResult:
    """Finance has sent a late payment back (退款 outside the app): the exception is closed."""
    result = ActionResult()
    for c in ctx.rows:
        if changed(
            ctx.session,
            sa.update(PayCallback)
            .where(PayCallback.id == c.id, PayCallback.exception == ExceptionState.OPEN)
            .values(
                exception=ExceptionState.REFUNDED,
                resolved_by_id=ctx.principal.actor_id,
                reason=(c.reason + "；" + ctx.text)[:255] if ctx.text else c.reason,
                version=PayCallback.version + 1,
            ),
        ):
            result.done += 1
        else:
            result.refused.append((c.order_no, "无待处理的异常"))
    return result


# ---------------------------------------------------------------- the order page


def order_view(session: Session, p: Principal, order_no: str, can_see) -> dict[str, Any] | None:
    """What the order page shows, or None when ``p`` may not see the order (``can_see(project_id)``)."""
    o = session.exec(select(PayOrder).where(PayOrder.order_no == order_no)).first()
    if o is None or not can_see(o.project_id):
        return None
    tenant = session.get_one(Tenant, o.tenant_id)
    bills = session.exec(
        select(Bill)
        .join(PayOrderBill, PayOrderBill.bill_id == Bill.id)
        .where(PayOrderBill.order_id == o.id)
        .order_by(Bill.due_date, Bill.id)
    ).all()
    state = shown_state(o)
    return {
        "order_no": o.order_no,
        "amount": f"¥{o.amount:,.2f}",
        "state": state.label,
        "state_value": state.value,
        "tenant": tenant.name,
        "expire_at": o.expire_at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "paid_at": o.paid_at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if o.paid_at else "",
        "qr_content": o.qr_content if state == PayOrderState.PENDING else "",
        "demo_pay_url": o.qr_content if state == PayOrderState.PENDING and pay_gateway.is_sandbox() else "",
        "bills": [
            {
                "title": b.title,
                "due_date": b.due_date.isoformat(),
                "amount": f"¥{b.amount + b.late_fee:,.2f}",
                "paid": f"¥{b.paid:,.2f}",
                "state": b.state.label,
            }
            for b in bills
        ],
    }
