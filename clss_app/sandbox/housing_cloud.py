"""住房云's side of 用户导入, played for the demo and the tests (the protocol: services/housing_cloud.py).

Deterministic rules, checked in this order: an ID number whose GB 11643 check digit fails is refused;
the listed IDs are refused with their reason (REFUSED below, and any a test adds); the listed IDs of
people already on the platform answer 已存在, and so does a person registered by an earlier request;
everyone else is registered. Requests are keyed by request number: one sent again is answered as
before and registers nobody twice (``registrations`` counts per ID, for the tests).

Faults are set over HTTP (``/sandbox/housing-cloud/control``): slow answers (given after the work, as a
lost answer would be), the next N requests failing with 503 before any work, and ``repeat`` N: the
next N requests are done and then answered 503, so the caller must send them again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.core.privacy import id_number_problem
from clss_app.sandbox.common import request_fields
from clss_app.services import housing_cloud as hc

# Valid ID numbers 住房云 refuses, and why (the demo imports people with them).
REFUSED = {
    "11010519850615201X": "公安核验未通过：姓名与身份证号不一致",
    "110105198506152028": "该证件已挂失，请本人到柜台核实",
}
# Valid ID numbers of people already registered on the platform by another company.
EXISTING = {"310104199202283016", "440305198808084013"}


@dataclass
class World:
    answers: dict[str, dict[str, str]] = field(default_factory=dict)  # by request number
    registered: dict[str, str] = field(default_factory=dict)  # id number -> user number
    registrations: Counter[str] = field(default_factory=Counter)  # id number -> times registered
    refused: dict[str, str] = field(default_factory=dict)  # added by a test
    slow_ms: int = 0
    fail_next: int = 0
    repeat: int = 0


WORLD = World()


def _answer(fields: dict[str, str]) -> JSONResponse:
    return JSONResponse(signing.signed(fields, hc.key()))


def _decide(got: dict[str, str]) -> dict[str, str]:
    id_number, request_no = got.get("id_number", ""), got.get("request_no", "")
    problem = id_number_problem(id_number)
    if problem:
        return {"code": hc.REFUSED, "request_no": request_no, "message": f"身份证号无效：{problem}"}
    why = WORLD.refused.get(id_number) or REFUSED.get(id_number)
    if why:
        return {"code": hc.REFUSED, "request_no": request_no, "message": why}
    if id_number in EXISTING or id_number in WORLD.registered:
        user_no = WORLD.registered.get(id_number, "HC-EXT-" + id_number[-6:])
        return {"code": hc.EXISTS, "request_no": request_no, "user_no": user_no, "message": "住房云已存在该用户"}
    user_no = WORLD.registered[id_number] = f"HC{len(WORLD.registered) + 1:08d}"
    WORLD.registrations[id_number] += 1
    return {"code": hc.OK, "request_no": request_no, "user_no": user_no}


async def users(request: Request) -> Response:
    if WORLD.fail_next > 0:
        WORLD.fail_next -= 1
        return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
    got = await request_fields(request)
    if not signing.verify(got, hc.key()):
        return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
    request_no = got.get("request_no", "")
    if request_no not in WORLD.answers:
        WORLD.answers[request_no] = _decide(got)
    if WORLD.slow_ms:
        await asyncio.sleep(WORLD.slow_ms / 1000)
    if WORLD.repeat > 0:  # done, but the answer is lost: the caller must ask again
        WORLD.repeat -= 1
        return JSONResponse({"code": "SYSTEM_BUSY"}, status_code=503)
    return _answer(WORLD.answers[request_no])


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` forgets every request and fault; ``refuse`` {id number: reason};
    ``slow_ms``, ``fail_next`` and ``repeat`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.answers.clear()
        WORLD.registered.clear()
        WORLD.registrations.clear()
        WORLD.refused.clear()
        WORLD.slow_ms = WORLD.fail_next = WORLD.repeat = 0
    WORLD.refused.update({str(k): str(v) for k, v in (body.get("refuse") or {}).items()})
    for name in ("slow_ms", "fail_next", "repeat"):
        if name in body:
            setattr(WORLD, name, int(body[name]))
    return JSONResponse({"ok": True})


async def state(request: Request) -> Response:
    """Test control: the requests answered and how often each ID number was registered."""
    return JSONResponse({"requests": len(WORLD.answers), "registrations": dict(WORLD.registrations)})


routes = [
    Route("/housing-cloud/users", users, methods=["POST"]),
    Route("/sandbox/housing-cloud/control", control, methods=["POST"]),
    Route("/sandbox/housing-cloud/state", state),
]
