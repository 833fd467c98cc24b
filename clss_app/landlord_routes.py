"""The 建融家园 APP's messages (a landlord's application, choice and signature): an HTTP endpoint on the
app (services/consign.py applies them, see clss_app/inbound.py for how a race or a lock is retried)."""

from __future__ import annotations

from starlette.routing import Route

from clss_app import inbound
from clss_app.services import consign, landlord_app

_apply = inbound.applier(
    consign.receive,
    consign.Retry,
    consign.Answer(503, {"code": "FAIL", "message": "系统繁忙，请重试"}),
    "landlord message",
)


def routes() -> list[Route]:
    return [inbound.route(landlord_app.NOTIFY_ROUTE, _apply, consign.MAX_BODY)]
