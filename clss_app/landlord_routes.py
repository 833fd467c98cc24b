"""The 建融家园 APP's messages (a landlord's application, choice and signature): an HTTP endpoint on the
app; services/consign.py applies them.

Each message runs in a transaction of its own, off the event loop. One that lost a race with another
message of its application, or met a locked database, is run again: it then finds the row moved and is
a repeat. The APP repeats a message until it gets an answer below 500, so a 503 loses nothing.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clss_app import db
from clss_app.services import consign, landlord_app

ATTEMPTS = 5
log = logging.getLogger(__name__)


def _apply(raw: bytes) -> consign.Answer:
    for attempt in range(ATTEMPTS):
        try:
            with db.session_scope() as s:
                return consign.receive(s, raw)
        except (consign.Retry, DBAPIError):  # a race or a lock: the next pass sees the winner's commit
            if attempt + 1 == ATTEMPTS:
                log.exception("landlord message not applied after %d attempts", ATTEMPTS)
    return consign.Answer(503, {"code": "FAIL", "message": "系统繁忙，请重试"})


async def notify(request: Request) -> JSONResponse:
    raw = await request.body()
    if len(raw) > consign.MAX_BODY:
        return JSONResponse({"code": "FAIL", "message": "报文过长"}, status_code=413)
    answer = await asyncio.to_thread(_apply, raw)
    return JSONResponse(answer.body, status_code=answer.status)


def routes() -> list[Route]:
    return [Route(landlord_app.NOTIFY_ROUTE, notify, methods=["POST"])]
