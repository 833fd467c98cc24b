"""The payment provider's callback: an HTTP endpoint on the app (services/pay_orders.py applies it).

Each callback runs in a transaction of its own, off the event loop. One that lost a race with another
callback of its order, or met a locked database, is run again: it then finds the order paid and is a
duplicate. The provider repeats a callback until it gets {"code": "SUCCESS"}, so an answer of 503 loses
nothing.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clss_app import db
from clss_app.services import pay_gateway, pay_orders

NOTIFY_ROUTE = pay_gateway.NOTIFY_ROUTE
ATTEMPTS = 5
log = logging.getLogger(__name__)


def _apply(raw: bytes) -> pay_orders.Answer:
    for attempt in range(ATTEMPTS):
        try:
            with db.session_scope() as s:
                return pay_orders.handle_callback(s, raw)
        except (pay_orders.Retry, DBAPIError):  # a race or a lock: the next pass sees the winner's commit
            if attempt + 1 == ATTEMPTS:
                log.exception("payment callback not applied after %d attempts", ATTEMPTS)
    return pay_orders.Answer(503, {"code": "FAIL", "message": "系统繁忙，请重试"})


async def notify(request: Request) -> JSONResponse:
    raw = await request.body()
    if len(raw) > pay_orders.MAX_BODY:
        return JSONResponse({"code": "FAIL", "message": "报文过长"}, status_code=413)
    answer = await asyncio.to_thread(_apply, raw)
    return JSONResponse(answer.body, status_code=answer.status)


def routes() -> list[Route]:
    return [Route(NOTIFY_ROUTE, notify, methods=["POST"])]
