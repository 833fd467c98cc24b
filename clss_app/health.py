"""GET /_clss/health for load balancers and monitoring: 200 when this worker reaches its database
(and Redis, when several workers share it), else 503 with what failed. No login, no data; which
host and process answered only to callers on the internal network."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import sqlalchemy as sa
from starlette.responses import JSONResponse

from clss_app import db

ROUTE = "/_clss/health"


def _check() -> dict:
    out: dict = {"node": db.node()}
    start = time.perf_counter()
    try:
        with db.engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        out["database"] = "ok"
    except Exception as exc:
        out["database"] = f"error: {type(exc).__name__}"
    shared = db.redis()
    if shared is not None:
        try:
            shared.ping()
            out["redis"] = "ok"
        except Exception as exc:
            out["redis"] = f"error: {type(exc).__name__}"
    out["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return out


def _private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


def internal(request) -> bool:
    """The caller and every proxy hop it came through are on a loopback or private network."""
    hops = [h for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    peer = request.client.host if request.client else ""
    return _private(peer) and all(_private(h) for h in hops)


async def health(request):
    out = await asyncio.to_thread(_check)
    if not internal(request):
        out.pop("node")
    ok = out["database"] == "ok" and out.get("redis", "ok") == "ok"
    return JSONResponse(out, status_code=200 if ok else 503, headers={"Cache-Control": "no-store"})
