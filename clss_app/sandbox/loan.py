"""The bank's 按居贷, played for the demo and the tests (the protocol: services/loan_bank.py).

Deterministic: an ID number's credit line is 50,000 to 1,000,000 yuan in steps of 50,000, derived
from the number's digest; an ID number listed by the test control has the line given (0: none). An
application is approved when its amount fits what the line has left (the loans approved before are
counted), else refused with the line and what is left named. Applications are keyed by loan number:
sent again, one is answered as before and lent once; the same number with another amount is refused.
It counts the loans it lent per number, so a test can see that nothing was lent twice; the faults of
sandbox/common.py are set over HTTP.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import Faults
from clss_app.services import loan_bank

STEP, STEPS = Decimal(50000), 20


def credit_line(id_number: str) -> Decimal:
    if id_number in WORLD.lines:
        return WORLD.lines[id_number]
    if not id_number:
        return Decimal(0)
    return STEP * (1 + int(hashlib.sha256(id_number.encode()).hexdigest()[:8], 16) % STEPS)


@dataclass
class Taken:
    amount: str
    answer: dict[str, str]


@dataclass
class World:
    applications: dict[str, Taken] = field(default_factory=dict)  # by loan number
    lent: Counter[str] = field(default_factory=Counter)  # loan number -> times lent
    by_person: Counter[str] = field(default_factory=Counter)  # ID number -> yuan lent (as Decimal text)
    lines: dict[str, Decimal] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)


WORLD = World()


def _signed(fields: dict[str, str]) -> JSONResponse:
    return JSONResponse(signing.signed(fields, loan_bank.key()))


async def _fields(request: Request) -> dict[str, str] | Response:
    return await WORLD.faults.fields(request, loan_bank.key())


def _lent(id_number: str) -> Decimal:
    return Decimal(WORLD.by_person[id_number]) / 100


async def credit(request: Request) -> Response:
    got = await _fields(request)
    if isinstance(got, Response):
        return got
    person = got.get("id_number", "")
    line = credit_line(person)
    answer = {"code": "0000", "id_number": person, "credit_line": str(line), "available": str(line - _lent(person))}
    return await WORLD.faults.answer(_signed(answer))


def _decide(got: dict[str, str]) -> dict[str, str]:
    no, person = got.get("loan_no", ""), got.get("id_number", "")
    amount, line = Decimal(got.get("amount") or "0"), credit_line(person)
    left = line - _lent(person)
    base = {"loan_no": no, "credit_line": str(line)}
    if line <= 0:
        return {**base, "code": "REFUSED", "reason": "该身份证号在本行无按居贷授信额度"}
    if amount <= 0 or amount > left:
        return {
            **base,
            "code": "REFUSED",
            "reason": f"贷款金额 {amount} 元超过可用授信额度 {left} 元（授信 {line} 元）",
        }
    WORLD.lent[no] += 1
    WORLD.by_person[person] += int(amount * 100)
    return {**base, "code": "0000", "bank_ref": "L" + hashlib.sha256(no.encode()).hexdigest()[:19].upper()}


async def apply(request: Request) -> Response:
    got = await _fields(request)
    if isinstance(got, Response):
        return got
    no = got.get("loan_no", "")
    taken = WORLD.applications.get(no)
    if taken is not None and taken.amount != got.get("amount"):
        answer = {"code": "REFUSED", "loan_no": no, "reason": "贷款编号已存在且金额不同"}
    else:
        if taken is None:
            taken = WORLD.applications[no] = Taken(got.get("amount", ""), _decide(got))
        answer = taken.answer
    return await WORLD.faults.answer(_signed(answer))


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` forgets every loan, line and fault; ``lines`` {ID number: yuan};
    ``slow_ms``/``slow_next``, ``fail_next`` and ``lose_next`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.applications.clear()
        WORLD.lent.clear()
        WORLD.by_person.clear()
        WORLD.lines.clear()
    WORLD.lines.update({str(k): Decimal(str(v)) for k, v in (body.get("lines") or {}).items()})
    WORLD.faults.set(body)
    return JSONResponse({"ok": True})


async def state(request: Request) -> Response:
    """Test control: how often each loan number was lent."""
    return JSONResponse({"lent": dict(WORLD.lent), "applications": sorted(WORLD.applications)})


routes = [
    Route("/bank/loans/credit", credit, methods=["POST"]),
    Route("/bank/loans/applications", apply, methods=["POST"]),
    Route("/sandbox/loan/control", control, methods=["POST"]),
    Route("/sandbox/loan/state", state),
]
