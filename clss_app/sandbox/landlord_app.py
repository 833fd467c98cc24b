"""The 建融家园 APP's side of 存房易, played for the demo and the tests (the protocol:
services/landlord_app.py).

It takes the app's notices (a company's review, a drafted 存房合同), keyed by their Idempotency-Key: a
notice sent again is answered as before and kept once, while every delivery is counted so a test can see
what arrived twice. The landlord's steps (apply, choose a company, sign) are played by the test control
``POST /sandbox/landlord/act``: each event is signed and posted to the app's notify route, as often and
in the order asked. Faults are set over HTTP: slow answers (given after the notice is taken, as a lost
answer would be) and the next N requests failing with 503.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import request_fields
from clss_app.services import landlord_app


@dataclass
class World:
    notices: dict[str, dict[str, str]] = field(default_factory=dict)  # idempotency key -> fields (+ notice_id)
    deliveries: Counter[str] = field(default_factory=Counter)  # idempotency key -> times received
    slow_ms: int = 0
    slow_next: int | None = None  # how many requests are slow (None: every one)
    fail_next: int = 0


WORLD = World()


def message(kind: str, at: datetime | None = None, **fields: Any) -> dict[str, str]:
    """A landlord's step as the APP signs it (the demo seeds its applications through the same messages)."""
    body = {k: str(v) for k, v in fields.items()}
    body.update(kind=kind, at=(at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    body["event_id"] = body.get("event_id") or secrets.token_hex(8)
    return signing.signed(body, landlord_app.key())


async def notices(request: Request) -> Response:
    if WORLD.fail_next > 0:
        WORLD.fail_next -= 1
        return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
    fields = await request_fields(request)
    if not signing.verify(fields, landlord_app.key()):
        return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
    key = request.headers.get("Idempotency-Key", "")
    if not key or fields.get("kind") not in ("review", "draft"):
        return JSONResponse(signing.signed({"code": "PARAM_ERROR", "message": "缺少幂等键或类型"}, landlord_app.key()))
    WORLD.deliveries[key] += 1
    if key not in WORLD.notices:
        WORLD.notices[key] = {**fields, "notice_id": f"N{len(WORLD.notices) + 1:08d}"}
    if WORLD.slow_ms and WORLD.slow_next != 0:  # taken, then slow to answer: the caller may send it again
        if WORLD.slow_next is not None:
            WORLD.slow_next -= 1
        await asyncio.sleep(WORLD.slow_ms / 1000)
    return JSONResponse(
        signing.signed({"code": "0000", "notice_id": WORLD.notices[key]["notice_id"]}, landlord_app.key())
    )


async def act(request: Request) -> Response:
    """Test control: ``{"app_url", "events": [{"kind": "apply" | "choose" | "sign", ...}], "repeat": n}``
    posts each event (signed; ``at`` now unless given) ``repeat`` times, in the order listed; the app's
    answers come back in that order."""
    body = await request.json()
    url = str(body.get("app_url") or "http://127.0.0.1:3000").rstrip("/") + landlord_app.NOTIFY_ROUTE
    repeat = max(1, min(int(body.get("repeat", 1)), 20))
    answers = []
    async with httpx.AsyncClient(timeout=30) as client:
        for event in body.get("events") or []:
            fields = dict(event)
            kind = str(fields.pop("kind", ""))
            at = (
                datetime.strptime(fields.pop("at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                if "at" in fields
                else None
            )
            msg = message(kind, at, **fields)
            for _ in range(repeat):
                try:
                    r = await client.post(url, json=msg)
                    answers.append({"status": r.status_code, **r.json()})
                except (httpx.TransportError, ValueError) as exc:
                    answers.append({"status": 0, "message": type(exc).__name__})
    return JSONResponse({"answers": answers})


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` forgets every notice and fault; ``slow_ms`` (for the next
    ``slow_next`` requests, or all) and ``fail_next`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.notices.clear()
        WORLD.deliveries.clear()
        WORLD.slow_ms = WORLD.fail_next = 0
        WORLD.slow_next = None
    if "slow_ms" in body:
        WORLD.slow_ms = int(body["slow_ms"])
        WORLD.slow_next = int(body["slow_next"]) if body.get("slow_next") is not None else None
    if "fail_next" in body:
        WORLD.fail_next = int(body["fail_next"])
    return JSONResponse({"ok": True})


async def state(request: Request) -> Response:
    """Test control: the notices taken (by key) and how often each was delivered."""
    return JSONResponse({"notices": WORLD.notices, "deliveries": dict(WORLD.deliveries)})


routes = [
    Route("/landlord-app/notices", notices, methods=["POST"]),
    Route("/sandbox/landlord/act", act, methods=["POST"]),
    Route("/sandbox/landlord/control", control, methods=["POST"]),
    Route("/sandbox/landlord/state", state),
]
