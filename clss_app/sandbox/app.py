"""The sandbox server: every external system's stand-in, each under its own paths: the payment provider's
in pay.py, the bank's batch withholding in bank.py and its 按居贷 in loan.py, 住房云 in housing_cloud.py,
the 监管平台's filings in regulator.py, 住房链 in housing_chain.py, the 建融家园 APP's 存房易 in
landlord_app.py, the SMS gateway's in sms.py (its outbox: /sandbox/sms/outbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.sandbox import bank, housing_chain, housing_cloud, landlord_app, loan, pay, regulator, sms


async def ping(request: Request) -> Response:
    return JSONResponse({"ok": True, "today": (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()})


STAND_INS = (pay, bank, loan, housing_cloud, regulator, housing_chain, landlord_app, sms)
app = Starlette(routes=[Route("/ping", ping), *(route for stand_in in STAND_INS for route in stand_in.routes)])
