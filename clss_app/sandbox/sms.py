"""The SMS gateway (短信平台), played for the demo and the tests (the protocol: services/sms.py).

It checks each request's signature and keys messages by the caller's ``client_ref``: the same message
sent again gets the same id and lands in the outbox once. Nothing is really delivered: the outbox is
what a phone would have received, newest first, at GET /sandbox/sms/outbox (?phone=… for one number;
JSON, or a small page when a browser asks for HTML), so the demo reads its login codes there. Test
control: numbers refused with the reason given, and the faults of sandbox/common.py.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import Faults
from clss_app.services import sms

KEEP = 500  # the outbox keeps the newest messages only


@dataclass
class Sent:
    message_id: str
    phone: str
    text: str
    sent_at: str


@dataclass
class World:
    by_ref: dict[str, Sent] = field(default_factory=dict)
    outbox: list[Sent] = field(default_factory=list)  # oldest first
    refuse: dict[str, str] = field(default_factory=dict)  # phone -> reason
    faults: Faults = field(default_factory=Faults)


WORLD = World()


def _answer(**fields: str) -> JSONResponse:
    return JSONResponse(signing.signed(fields, sms.key()))


async def message(request: Request) -> Response:
    got = await WORLD.faults.fields(request, sms.key())
    if isinstance(got, Response):
        return got
    ref, phone, text = got.get("client_ref", ""), got.get("phone", ""), got.get("text", "")
    if not ref or not phone or not text:
        return _answer(code="REFUSED", client_ref=ref, reason="手机号、内容和 client_ref 不能为空")
    if phone in WORLD.refuse:
        return _answer(code="REFUSED", client_ref=ref, reason=WORLD.refuse[phone])
    held = WORLD.by_ref.get(ref)
    if held is None:
        mid = "SM" + hashlib.sha256(ref.encode()).hexdigest()[:16].upper()
        held = WORLD.by_ref[ref] = Sent(mid, phone, text, datetime.now(UTC).isoformat(timespec="seconds"))
        WORLD.outbox.append(held)
        if len(WORLD.outbox) > KEEP:
            gone = WORLD.outbox.pop(0)
            WORLD.by_ref.pop(next(k for k, v in WORLD.by_ref.items() if v is gone), None)
    return await WORLD.faults.answer(_answer(code="0000", client_ref=ref, message_id=held.message_id))


async def outbox(request: Request) -> Response:
    """What was sent, newest first (``?phone=`` for one number, ``?limit=`` at most 500)."""
    phone = request.query_params.get("phone", "")
    try:
        limit = max(1, min(KEEP, int(request.query_params.get("limit", "50"))))
    except ValueError:
        limit = 50
    rows = [m for m in reversed(WORLD.outbox) if not phone or m.phone == phone][:limit]
    if "text/html" in request.headers.get("accept", ""):
        lines = "".join(
            f"<tr><td>{html.escape(m.sent_at)}</td><td>{html.escape(m.phone)}</td><td>{html.escape(m.text)}</td></tr>"
            for m in rows
        )
        page = (
            '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>短信发件箱（沙箱）</title>'
            "<h1>短信发件箱（沙箱）</h1><p>演示环境不真正发送短信：发给租客的验证码都在这里。</p>"
            f"<table border=1 cellpadding=4><tr><th>时间 (UTC)</th><th>手机号</th><th>内容</th></tr>{lines}</table>"
        )
        return HTMLResponse(page)
    return JSONResponse({"messages": [asdict(m) for m in rows]})


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` empties the outbox and forgets faults; ``refuse`` {phone: reason};
    ``slow_ms``/``slow_next``, ``fail_next`` and ``lose_next`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.by_ref.clear()
        WORLD.outbox.clear()
        WORLD.refuse.clear()
    WORLD.refuse.update({str(k): str(v) for k, v in (body.get("refuse") or {}).items()})
    WORLD.faults.set(body)
    return JSONResponse({"ok": True})


routes = [
    Route("/sms/messages", message, methods=["POST"]),
    Route("/sandbox/sms/outbox", outbox),
    Route("/sandbox/sms/control", control, methods=["POST"]),
]
