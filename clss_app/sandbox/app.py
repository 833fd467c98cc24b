"""The sandbox server: every external system's stand-in, each under its own paths (the payment provider's
in pay.py, the bank's batch withholding in bank.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.sandbox import bank, housing_chain, pay


async def ping(request: Request) -> Response:
    return JSONResponse({"ok": True, "today": (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()})


app = Starlette(routes=[Route("/ping", ping), *pay.routes, *bank.routes, *housing_chain.routes])
