"""住房链's side of 房源上架, played for the demo and the tests (the protocol: services/housing_chain.py).

It checks each batch's signature, keys batches by number (a batch sent again is answered as before and
lists nothing twice) and answers every room at once, deterministically, in this order:
- a room without latitude and longitude: 4001 缺少经纬度;
- a room without cover or photos: 4003 缺少封面或介绍图片;
- a 来源平台房间编号 the chain already holds for another room of the platform (in this batch or an
  earlier one): 4002 来源平台房间编号已被其他房源使用;
- a code the test control lists, or one of the demo's refused codes: 4009 with the reason given;
- any other room is listed, with the chain's code of it derived from the platform and the room code.
It counts how often it listed each room, so a test can see that nothing was listed twice. Faults are set
over HTTP: slow answers (given after the batch is taken, as a lost answer would be), the next N requests
failing with 503, and answers that list every room's result twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import Faults, request_fields
from clss_app.services import housing_chain

# The demo's refused rooms (clss_app/demo_chain.py gives one room this code).
DEMO_REFUSED = {"JAJ-CQ0404": "产权信息核验未通过"}


@dataclass
class World:
    answers: dict[str, str] = field(default_factory=dict)  # batch number -> its results (JSON text)
    held: dict[tuple[str, str], str] = field(default_factory=dict)  # (platform, room code) -> room ref
    refused: dict[str, str] = field(default_factory=dict)  # room code -> reason
    listed: Counter[str] = field(default_factory=Counter)  # room ref -> times listed
    faults: Faults = field(default_factory=Faults)


WORLD = World()


def _answer(**fields: str) -> JSONResponse:
    return JSONResponse(signing.signed(fields, housing_chain.key()))


def _judge(platform: str, room: dict) -> dict:
    ref, code = str(room.get("ref", "")), str(room.get("external_code", ""))
    reason = ""
    if not room.get("latitude") or not room.get("longitude"):
        reason = "4001 缺少经纬度"
    elif not room.get("cover") or not int(room.get("photos") or 0):
        reason = "4003 缺少封面或介绍图片"
    elif WORLD.held.get((platform, code), ref) != ref:
        reason = "4002 来源平台房间编号已被其他房源使用"
    elif code in WORLD.refused or code in DEMO_REFUSED:
        reason = "4009 " + (WORLD.refused.get(code) or DEMO_REFUSED[code])
    if reason:
        number, message = reason.split(" ", 1)
        return {"ref": ref, "ok": False, "code": number, "message": message}
    WORLD.held[(platform, code)] = ref
    WORLD.listed[ref] += 1
    chain_code = "ZFL" + hashlib.sha256(f"{platform}/{code}".encode()).hexdigest()[:16].upper()
    return {"ref": ref, "ok": True, "chain_code": chain_code}


async def receive(request: Request) -> Response:
    busy = WORLD.faults.busy()
    if busy is not None:
        return busy
    got = await request_fields(request)
    if not signing.verify(got, housing_chain.key()):
        return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
    batch_no = got.get("batch_no", "")
    if batch_no not in WORLD.answers:
        try:
            rooms = json.loads(got.get("rooms") or "[]")
        except ValueError:
            return _answer(code="FORMAT_ERROR", message="房源列表格式错误")
        platform = got.get("platform_code", "")
        WORLD.answers[batch_no] = json.dumps([_judge(platform, r) for r in rooms], ensure_ascii=False)
    await WORLD.faults.slow()  # taken, then slow to answer: the caller may send it again
    results = WORLD.answers[batch_no]
    if WORLD.faults.twice:
        results = json.dumps([r for r in json.loads(results) for _ in range(2)], ensure_ascii=False)
    return _answer(code="0000", batch_no=batch_no, results=results)


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` forgets every batch, room and fault; ``refuse`` {room code:
    reason} refuses those rooms; ``slow_ms`` (for the next ``slow_next`` requests, or all), ``fail_next``
    and ``twice`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.answers.clear()
        WORLD.held.clear()
        WORLD.refused.clear()
        WORLD.listed.clear()
    WORLD.faults.set(body)
    WORLD.refused.update({str(k): str(v) for k, v in (body.get("refuse") or {}).items()})
    return JSONResponse({"ok": True, "batches": len(WORLD.answers)})


async def state(request: Request) -> Response:
    """Test control: the batches taken and how often each room was listed."""
    return JSONResponse({"batches": sorted(WORLD.answers), "listed": dict(WORLD.listed)})


routes = [
    Route("/chain/listing/batches", receive, methods=["POST"]),
    Route("/sandbox/chain/control", control, methods=["POST"]),
    Route("/sandbox/chain/state", state),
]
