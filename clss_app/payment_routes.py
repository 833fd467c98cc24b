"""The payment provider's callback: an HTTP endpoint on the app (services/pay_orders.py applies it, see
clss_app/inbound.py for how a race or a lock is retried)."""

from __future__ import annotations

from starlette.routing import Route

from clss_app import inbound
from clss_app.services import pay_gateway, pay_orders

NOTIFY_ROUTE = pay_gateway.NOTIFY_ROUTE

_apply = inbound.applier(
    pay_orders.handle_callback,
    pay_orders.Retry,
    pay_orders.Answer(503, {"code": "FAIL", "message": "系统繁忙，请重试"}),
    "payment callback",
)


def routes() -> list[Route]:
    return [inbound.route(NOTIFY_ROUTE, _apply, pay_orders.MAX_BODY)]
