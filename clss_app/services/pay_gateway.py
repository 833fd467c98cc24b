"""The payment provider (龙支付), as the app speaks to it: an adapter over HTTP.

Protocol (JSON both ways; every message signed, see clss_app/core/signing.py):

POST {base}/gateway/orders
    merchant_no, terminal_no, order_no, amount ("123.45", yuan), currency ("CNY"), expire_at (UTC,
    ISO 8601 with Z), notify_url, subject, timestamp, sign
    -> {code: "0000", order_no, qr_content, sign} or {code, message}. The provider keys orders by
    order_no: sending the same order again returns the same QR content, so a retry is safe.
POST {base}/gateway/orders/close    merchant_no, order_no, timestamp, sign
    -> {code: "0000"}, or {code: "ORDER_PAID"} when the tenant has paid meanwhile.
GET  {base}/gateway/statement       merchant_no, date (YYYY-MM-DD, Beijing), timestamp, sign
    -> {code: "0000", date, lines, sign}: ``lines`` is the statement file, one transaction a line,
    "txn_id,order_no,amount,paid_at", signed with the rest
The provider's callback (POST to notify_url) carries merchant_no, order_no, txn_id, amount, currency,
status ("SUCCESS"), paid_at and sign; the app answers {"code": "SUCCESS"} once it holds the callback
(services/pay_orders.py), and the provider repeats a callback until it does.

CLSS_PAY_URL names the provider (default: the repository's sandbox on 127.0.0.1:3101, started by
scripts/run and the test command).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx

from clss_app.services import signed_http

DEFAULT_URL = "http://127.0.0.1:3101"
NOTIFY_ROUTE = "/_clss/pay/notify"  # the app's callback endpoint (clss_app/payment_routes.py)


def _timeout() -> httpx.Timeout:
    """CLSS_PAY_TIMEOUT seconds (default 5) for an answer; a request that times out is sent again."""
    return httpx.Timeout(float(os.environ.get("CLSS_PAY_TIMEOUT") or 5), connect=2.0)


ATTEMPTS = 3


class GatewayError(Exception):
    """The provider could not be reached or refused; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Merchant:
    merchant_no: str
    terminal_no: str
    key: str


@dataclass(frozen=True)
class StatementLine:
    txn_id: str
    order_no: str
    amount: Decimal
    paid_at: str


def base_url() -> str:
    return (os.environ.get("CLSS_PAY_URL") or DEFAULT_URL).rstrip("/")


def is_sandbox() -> bool:
    """Whether the provider is the repository's sandbox (the demo): the order page then links its pay page,
    since nobody scans a code that points at 127.0.0.1."""
    return os.environ.get("CLSS_PAY_SANDBOX") == "1" or not os.environ.get("CLSS_PAY_URL")


def notify_url() -> str:
    """Where the provider posts its callbacks: the app's public address (CLSS_PUBLIC_URL; scripts/run sets
    it to its own port) and the callback route."""
    return (os.environ.get("CLSS_PUBLIC_URL") or "http://127.0.0.1:3000").rstrip("/") + NOTIFY_ROUTE


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call(method: str, path: str, m: Merchant, fields: dict) -> dict:
    """One signed request, retried on a timeout or a 5xx (the provider keys each request by its order)."""
    try:
        return signed_http.call(
            method,
            base_url() + path,
            {**fields, "merchant_no": m.merchant_no},
            m.key,
            timeout=_timeout(),
            attempts=ATTEMPTS,
        )
    except signed_http.BadSignature:
        raise GatewayError("支付渠道应答签名错误，请联系财务核对支付参数") from None
    except signed_http.Unreachable as exc:
        raise GatewayError(f"支付渠道暂不可用（{exc}），请稍后再试") from None


def create_order(m: Merchant, order_no: str, amount: Decimal, expire_at: datetime, subject: str) -> str:
    """Places the order; returns the QR code's content."""
    answer = _call(
        "POST",
        "/gateway/orders",
        m,
        {
            "terminal_no": m.terminal_no,
            "order_no": order_no,
            "amount": f"{amount:.2f}",
            "currency": "CNY",
            "expire_at": iso(expire_at),
            "notify_url": notify_url(),
            "subject": subject,
        },
    )
    if answer.get("code") != "0000" or not answer.get("qr_content"):
        raise GatewayError(f"支付渠道拒绝下单：{answer.get('message') or answer.get('code')}")
    return str(answer["qr_content"])


def close_order(m: Merchant, order_no: str) -> bool:
    """Closes the order at the provider; False if it was paid meanwhile (its callback is on its way)."""
    answer = _call("POST", "/gateway/orders/close", m, {"order_no": order_no})
    if answer.get("code") == "ORDER_PAID":
        return False
    if answer.get("code") not in ("0000", "ORDER_NOT_FOUND"):
        raise GatewayError(f"支付渠道拒绝关闭订单：{answer.get('message') or answer.get('code')}")
    return True


def statement(m: Merchant, day: date) -> list[StatementLine]:
    """The provider's settled transactions of a Beijing day (the 15:00 clearing reads the day before)."""
    answer = _call("GET", "/gateway/statement", m, {"date": day.isoformat()})
    if answer.get("code") != "0000":
        raise GatewayError(f"支付渠道未返回对账单：{answer.get('message') or answer.get('code')}")
    out = []
    for row in str(answer.get("lines") or "").splitlines():
        txn_id, order_no, amount, paid_at = row.split(",")
        out.append(StatementLine(txn_id, order_no, Decimal(amount), paid_at))
    return out
