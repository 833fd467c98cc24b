"""The city's 监管平台 (网签备案), played for the demo and the tests (the protocol: services/regulator.py).

It checks each request's signature and keys filings by contract number, deterministically: a contract
filed gets a number derived from it (``BA`` + 14 hex digits); the same filing sent again gets the same
number and is filed once; a second filing of a contract in force with other terms is refused, with the
filing it already holds named, as is a room filed under another contract whose term overlaps, and a
tenant with no ID number; a revoked contract may be filed again (a new number). A revocation sent again
is answered alike. A filing number of the sandbox's form that it does not hold (made before it started,
as the demo's) is taken as this contract's when revoked. Test control: listed contracts are refused
with the reason given, and the faults of sandbox/common.py.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import Faults
from clss_app.services import regulator

TERMS = ("city", "project", "room", "tenant_name", "id_number", "start_date", "end_date", "monthly_rent")


def filing_number(contract_no: str, seq: int = 1) -> str:
    return "BA" + hashlib.sha256(f"{contract_no}/{seq}".encode()).hexdigest()[:14].upper()


@dataclass
class Held:
    filing_no: str
    terms: str
    room: str
    start: str
    end: str
    filed_at: str
    revoked_at: str = ""


@dataclass
class World:
    filings: dict[str, Held] = field(default_factory=dict)  # by contract number
    filed: Counter[str] = field(default_factory=Counter)  # contract number -> times filed
    refuse: dict[str, str] = field(default_factory=dict)  # contract number -> reason
    faults: Faults = field(default_factory=Faults)


WORLD = World()


def _answer(**fields: str) -> JSONResponse:
    return JSONResponse(signing.signed(fields, regulator.key()))


async def _fields(request: Request) -> dict[str, str] | Response:
    return await WORLD.faults.fields(request, regulator.key())


def _refusal(got: dict[str, str]) -> str:
    no = got.get("contract_no", "")
    if no in WORLD.refuse:
        return WORLD.refuse[no]
    if not got.get("id_number"):
        return "承租人身份证号为空，不予备案"
    terms = "|".join(got.get(k, "") for k in TERMS)
    held = WORLD.filings.get(no)
    if held is not None and not held.revoked_at and held.terms != terms:
        return f"合同 {no} 已备案（备案号 {held.filing_no}），不得重复备案"
    room = f"{got.get('city')}/{got.get('project')}/{got.get('room')}"
    for other, h in WORLD.filings.items():
        overlaps = h.start <= got.get("end_date", "") and got.get("start_date", "") <= h.end
        if other != no and not h.revoked_at and h.room == room and overlaps:
            return f"该房屋已有有效备案合同 {other}（备案号 {h.filing_no}），租期重叠"
    return ""


async def file(request: Request) -> Response:
    got = await _fields(request)
    if isinstance(got, Response):
        return got
    no = got.get("contract_no", "")
    why = _refusal(got)
    if why:
        return await WORLD.faults.answer(_answer(code="REFUSED", contract_no=no, reason=why))
    held = WORLD.filings.get(no)
    if held is None or held.revoked_at:  # new, or filed again after a revocation: a new number
        WORLD.filed[no] += 1
        held = WORLD.filings[no] = Held(
            filing_number(no, WORLD.filed[no]),
            "|".join(got.get(k, "") for k in TERMS),
            f"{got.get('city')}/{got.get('project')}/{got.get('room')}",
            got.get("start_date", ""),
            got.get("end_date", ""),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
    return await WORLD.faults.answer(
        _answer(code="0000", contract_no=no, filing_no=held.filing_no, filed_at=held.filed_at)
    )


async def revoke(request: Request) -> Response:
    got = await _fields(request)
    if isinstance(got, Response):
        return got
    no, filing_no = got.get("contract_no", ""), got.get("filing_no", "")
    held = WORLD.filings.get(no)
    if held is None and filing_no.startswith("BA") and len(filing_no) == 16:
        held = WORLD.filings[no] = Held(filing_no, "", "", "", "", "")  # filed before the sandbox started
    if held is None or held.filing_no != filing_no:
        return _answer(code="REFUSED", contract_no=no, reason=f"备案号 {filing_no} 不属于合同 {no}")
    held.revoked_at = held.revoked_at or datetime.now(UTC).isoformat(timespec="seconds")
    return await WORLD.faults.answer(
        _answer(code="0000", contract_no=no, filing_no=filing_no, revoked_at=held.revoked_at)
    )


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` forgets every filing and fault; ``refuse`` {contract: reason};
    ``slow_ms``/``slow_next``, ``fail_next`` and ``lose_next`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.filings.clear()
        WORLD.filed.clear()
        WORLD.refuse.clear()
    WORLD.refuse.update({str(k): str(v) for k, v in (body.get("refuse") or {}).items()})
    WORLD.faults.set(body)
    return JSONResponse({"ok": True})


async def state(request: Request) -> Response:
    """Test control: how often each contract was filed, and which filings are in force."""
    active = sorted(no for no, h in WORLD.filings.items() if not h.revoked_at)
    return JSONResponse({"filed": dict(WORLD.filed), "active": active})


routes = [
    Route("/regulator/filings", file, methods=["POST"]),
    Route("/regulator/revocations", revoke, methods=["POST"]),
    Route("/sandbox/regulator/control", control, methods=["POST"]),
    Route("/sandbox/regulator/state", state),
]
