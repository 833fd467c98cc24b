"""The payment provider's side, played for the demo and the tests (the protocol: services/pay_gateway.py).

Deterministic: it keeps orders in memory, pays one when told (``POST /sandbox/pay``, or the pay page a
phone opens from the QR code), and sends the signed callback to the order's notify_url, as often as
asked. Faults are set over HTTP too: slow answers, failed answers, a statement line planted or
changed. Merchants and their keys: the demo's, plus any registered by ``POST /sandbox/merchants``.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import request_fields

# The demo company's merchant (clss_app/demo.py seeds the same key, sealed, in its 支付参数).
DEMO_MERCHANT_NO = "105110000000001"
DEMO_TERMINAL_NO = "10000001"
DEMO_KEY = "sandbox-demo-key-6f1d2c9a8b7e4d30"
BEIJING = timedelta(hours=8)


@dataclass
class Order:
    merchant_no: str
    order_no: str
    amount: str
    expire_at: str
    notify_url: str
    subject: str
    txn_id: str = ""
    paid_at: str = ""
    closed: bool = False


@dataclass
class World:
    merchants: dict[str, str] = field(default_factory=lambda: {DEMO_MERCHANT_NO: DEMO_KEY})
    orders: dict[tuple[str, str], Order] = field(default_factory=dict)
    slow_ms: int = 0
    slow_next: int = 0  # how many gateway requests to answer only after slow_ms (else: all of them)
    fail_next: int = 0  # how many gateway requests to answer 503
    planted: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (merchant, day): extra lines
    changed_amounts: dict[str, str] = field(default_factory=dict)  # txn_id: amount the statement says


WORLD = World()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _gateway_fields(request: Request) -> tuple[dict, str] | Response:
    """The signed fields of a gateway request and the merchant's key, or the answer refusing it."""
    if WORLD.slow_ms and WORLD.slow_next >= 0:
        if WORLD.slow_next > 0:
            WORLD.slow_next -= 1
            WORLD.slow_next = WORLD.slow_next or -1  # the last slow one: fast from now on
        await asyncio.sleep(WORLD.slow_ms / 1000)
    if WORLD.fail_next > 0:
        WORLD.fail_next -= 1
        return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
    fields = await request_fields(request)
    key = WORLD.merchants.get(fields.get("merchant_no", ""))
    if key is None:
        return JSONResponse({"code": "MERCHANT_UNKNOWN", "message": "商户不存在"}, status_code=400)
    if not signing.verify(fields, key):
        return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
    return fields, key


def _answer(key: str, **fields: str) -> JSONResponse:
    return JSONResponse(signing.signed(fields, key))


async def create_order(request: Request) -> Response:
    got = await _gateway_fields(request)
    if isinstance(got, Response):
        return got
    f, key = got
    k = (f["merchant_no"], f.get("order_no", ""))
    existing = WORLD.orders.get(k)
    if existing is None:
        if not f.get("order_no") or Decimal(f.get("amount", "0")) <= 0:
            return _answer(key, code="PARAM_ERROR", message="订单号或金额有误")
        existing = WORLD.orders[k] = Order(
            f["merchant_no"], f["order_no"], f["amount"], f["expire_at"], f["notify_url"], f.get("subject", "")
        )
    elif existing.amount != f.get("amount"):
        return _answer(key, code="ORDER_CONFLICT", message="订单号已存在且金额不同")
    base = str(request.base_url).rstrip("/")
    return _answer(key, code="0000", order_no=existing.order_no, qr_content=f"{base}/pay/{existing.order_no}")


async def close_order(request: Request) -> Response:
    got = await _gateway_fields(request)
    if isinstance(got, Response):
        return got
    f, key = got
    order = WORLD.orders.get((f["merchant_no"], f.get("order_no", "")))
    if order is None:
        return _answer(key, code="ORDER_NOT_FOUND")
    if order.txn_id:
        return _answer(key, code="ORDER_PAID")
    order.closed = True
    return _answer(key, code="0000")


async def statement(request: Request) -> Response:
    got = await _gateway_fields(request)
    if isinstance(got, Response):
        return got
    f, key = got
    day = f.get("date", "")
    lines = []
    for o in WORLD.orders.values():
        if o.merchant_no != f["merchant_no"] or not o.paid_at:
            continue
        paid = datetime.strptime(o.paid_at, "%Y-%m-%dT%H:%M:%SZ") + BEIJING
        if paid.date().isoformat() == day:
            lines.append(f"{o.txn_id},{o.order_no},{WORLD.changed_amounts.get(o.txn_id, o.amount)},{o.paid_at}")
    lines += WORLD.planted.get((f["merchant_no"], day), [])
    return _answer(key, code="0000", date=day, lines="\n".join(lines))


# ---------------------------------------------------------------- the payer's side


def _pay(order: Order) -> str | None:
    """Marks the order paid; None if it cannot be (closed). Paying again keeps the one transaction."""
    if order.closed:
        return None
    if not order.txn_id:
        order.txn_id = "T" + secrets.token_hex(10).upper()
        order.paid_at = _now()
    return order.txn_id


async def _notify(order: Order, amount: str | None = None, key: str | None = None) -> int:
    msg = {
        "merchant_no": order.merchant_no,
        "order_no": order.order_no,
        "txn_id": order.txn_id,
        "amount": amount or order.amount,
        "currency": "CNY",
        "status": "SUCCESS",
        "paid_at": order.paid_at,
    }
    body = signing.signed(msg, key or WORLD.merchants[order.merchant_no])
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            r = await client.post(order.notify_url, json=body)
        except httpx.TransportError:
            return 0
    return r.status_code


async def sandbox_pay(request: Request) -> Response:
    """Test control: pay an order and send its callback ``repeat`` times (``concurrent``: all at once).
    ``amount`` or ``bad_key`` make a forged callback instead (a wrong amount, a wrong signature)."""
    body = await request.json()
    order = next((o for o in WORLD.orders.values() if o.order_no == body.get("order_no")), None)
    if order is None:
        return JSONResponse({"error": "order not found"}, status_code=404)
    if _pay(order) is None:
        return JSONResponse({"error": "order closed"}, status_code=409)
    repeat = max(1, min(int(body.get("repeat", 1)), 2000))
    amount, key = body.get("amount"), body.get("bad_key")
    if body.get("concurrent"):
        codes = await asyncio.gather(*(_notify(order, amount, key) for _ in range(repeat)))
    else:
        codes = [await _notify(order, amount, key) for _ in range(repeat)]
    return JSONResponse({"txn_id": order.txn_id, "codes": list(codes)})


async def pay_page(request: Request) -> Response:
    """What a phone opens from the QR code: the order and a button to pay it."""
    order = next((o for o in WORLD.orders.values() if o.order_no == request.path_params["order_no"]), None)
    if order is None:
        return HTMLResponse("<h3>订单不存在</h3>", status_code=404)
    if request.method == "POST" and _pay(order) is not None:
        await _notify(order)
    state = "已关闭" if order.closed else "已支付" if order.txn_id else "待支付"
    button = (
        f'<form method="post"><button style="font-size:20px;padding:12px 40px">确认支付 ¥{order.amount}</button></form>'
        if state == "待支付"
        else ""
    )
    return HTMLResponse(
        f"<meta name=viewport content='width=device-width'><h2>龙支付（沙箱）</h2>"
        f"<p>{html.escape(order.subject)}</p><p>订单号 {html.escape(order.order_no)}</p>"
        f"<p>金额 ¥{html.escape(order.amount)}</p><p>状态：{state}</p>{button}"
    )


async def control(request: Request) -> Response:
    """Test control: faults, merchants, statement changes; ``{"reset": true}`` forgets everything."""
    body = await request.json()
    if body.get("reset"):
        WORLD.orders.clear()
        WORLD.planted.clear()
        WORLD.changed_amounts.clear()
        WORLD.slow_ms = WORLD.fail_next = WORLD.slow_next = 0
    if "slow_ms" in body:
        WORLD.slow_ms = int(body["slow_ms"])
    if "slow_next" in body:
        WORLD.slow_next = int(body["slow_next"])
    if "fail_next" in body:
        WORLD.fail_next = int(body["fail_next"])
    for no, key in (body.get("merchants") or {}).items():
        WORLD.merchants[str(no)] = str(key)
    for p in body.get("plant") or []:  # {merchant_no, date, txn_id, order_no, amount}
        line = f"{p['txn_id']},{p['order_no']},{p['amount']},{p.get('paid_at', _now())}"
        WORLD.planted.setdefault((p["merchant_no"], p["date"]), []).append(line)
    WORLD.changed_amounts.update({str(k): str(v) for k, v in (body.get("change_amounts") or {}).items()})
    return JSONResponse({"ok": True, "orders": len(WORLD.orders)})


routes = [
    Route("/gateway/orders", create_order, methods=["POST"]),
    Route("/gateway/orders/close", close_order, methods=["POST"]),
    Route("/gateway/statement", statement),
    Route("/pay/{order_no}", pay_page, methods=["GET", "POST"]),
    Route("/sandbox/pay", sandbox_pay, methods=["POST"]),
    Route("/sandbox/control", control, methods=["POST"]),
]
