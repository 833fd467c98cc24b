"""The bank's side of 批量代扣, played for the demo and the tests (the protocol: services/bank_gateway.py,
the files: services/withhold_file.py).

It checks each request file's signature, checksum and layout, keys batches by run number (a run sent
again is answered as before and debited once) and answers every line at once, deterministically: a card
listed by the test control fails with the reason given, the demo's failing cards fail with theirs, every
other line succeeds with a transaction id derived from the run and the line. It counts the debits it
made per line, so a test can see that nothing was taken twice. Faults are set over HTTP: slow answers
(given after the batch is taken, as a lost answer would be), the next N requests failing with 503, and
result files that list every line twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clss_app.core import signing
from clss_app.sandbox.common import Faults, request_fields
from clss_app.services import bank_gateway
from clss_app.services.withhold_file import FileProblem, Outcome, Result, read_request, write_result

# The demo's failing cards (valid Luhn numbers): clss_app/demo_withholding.py signs agreements with them.
DEMO_FAILING = {
    "6222600260001072444": ("3001", "余额不足"),
    "6217000010001234569": ("3002", "卡状态异常"),
    "6228480018888888882": ("3003", "账户已销户"),
}
MESSAGES = {"3001": "余额不足", "3002": "卡状态异常", "3003": "账户已销户", "3004": "户名不符", "3005": "未签约"}


@dataclass
class Batch:
    sha256: str
    batch_no: str
    result: str


@dataclass
class World:
    batches: dict[str, Batch] = field(default_factory=dict)  # by run number
    failing: dict[str, str] = field(default_factory=dict)  # card -> reason code
    debits: Counter[str] = field(default_factory=Counter)  # our reference -> times debited
    faults: Faults = field(default_factory=Faults)


WORLD = World()


def _today() -> datetime:
    return datetime.now(UTC) + timedelta(hours=8)


def _answer(**fields: str) -> JSONResponse:
    return JSONResponse(signing.signed(fields, bank_gateway.key()))


async def _fields(request: Request) -> dict[str, str] | Response:
    busy = WORLD.faults.busy()
    if busy is not None:
        return busy
    fields = await request_fields(request)
    if not signing.verify(fields, bank_gateway.key()):
        return JSONResponse({"code": "SIGN_ERROR", "message": "签名错误"}, status_code=400)
    return fields


def _process(text: str) -> str:
    """Debits each line of a request file; the result file."""
    req = read_request(text)
    outcomes = []
    for d in req.debits:
        code = WORLD.failing.get(d.card_no) or DEMO_FAILING.get(d.card_no, ("", ""))[0]
        if code:
            outcomes.append(Outcome(d.line_no, d.ref, d.amount, False, "", code, MESSAGES.get(code, "交易失败")))
            continue
        txn = "B" + hashlib.sha256(f"{req.run_no}/{d.line_no}".encode()).hexdigest()[:19].upper()
        WORLD.debits[d.ref] += 1
        outcomes.append(Outcome(d.line_no, d.ref, d.amount, True, txn))
    return write_result(Result(req.entrust_no, req.run_no, _today().date(), outcomes))


async def receive(request: Request) -> Response:
    got = await _fields(request)
    if isinstance(got, Response):
        return got
    run_no, text = got.get("run_no", ""), got.get("file", "")
    sha = hashlib.sha256(text.encode()).hexdigest()
    known = WORLD.batches.get(run_no)
    if known is not None and known.sha256 != sha:
        return _answer(code="DUPLICATE_RUN", message="批次号已存在且文件内容不同")
    if known is None:
        try:
            if got.get("file_sha256") != sha:
                raise FileProblem("文件校验值与报文不符")
            if read_request(text).run_no != run_no:
                raise FileProblem("文件中的批次号与报文不符")
            known = WORLD.batches[run_no] = Batch(sha, f"CCB{len(WORLD.batches) + 1:010d}", _process(text))
        except FileProblem as exc:
            return _answer(code="FILE_ERROR", message=str(exc))
    await WORLD.faults.slow()  # taken, then slow to answer: the caller may give up and send it again
    return _answer(code="0000", run_no=run_no, batch_no=known.batch_no)


def _twice(text: str) -> str:
    """The same result file with every line listed twice (sealed anew, so it reads as a valid file)."""
    lines = text.rstrip("\n").split("\n")
    head, details = lines[0].split(","), lines[1:-1]
    doubled = [d for d in details for _ in range(2)]
    ok = [d.split(",") for d in doubled if d.split(",")[4] == "S"]
    head[4:7] = [str(len(doubled)), str(len(ok)), str(sum(int(d[3]) for d in ok))]
    body = "".join(x + "\n" for x in [",".join(head), *doubled])
    total = sum(int(d.split(",")[3]) for d in doubled)
    return body + f"T,{len(doubled)},{total},{hashlib.sha256(body.encode()).hexdigest()}\n"


async def results(request: Request) -> Response:
    got = await _fields(request)
    if isinstance(got, Response):
        return got
    await WORLD.faults.slow()
    batch = WORLD.batches.get(got.get("run_no", ""))
    if batch is None:
        return _answer(code="NOT_FOUND", message="无此批次")
    return _answer(code="0000", run_no=got["run_no"], file=_twice(batch.result) if WORLD.faults.twice else batch.result)


async def control(request: Request) -> Response:
    """Test control: ``{"reset": true}`` forgets every batch and fault; ``fail_cards`` {card: code}
    makes those cards fail; ``slow_ms`` (for the next ``slow_next`` requests, or all), ``fail_next``
    and ``twice`` set the faults."""
    body = await request.json()
    if body.get("reset"):
        WORLD.batches.clear()
        WORLD.failing.clear()
        WORLD.debits.clear()
    WORLD.faults.set(body)
    WORLD.failing.update({str(k): str(v) for k, v in (body.get("fail_cards") or {}).items()})
    return JSONResponse({"ok": True, "batches": len(WORLD.batches)})


async def state(request: Request) -> Response:
    """Test control: the batches taken and how often each line was debited."""
    return JSONResponse({"batches": sorted(WORLD.batches), "debits": dict(WORLD.debits)})


routes = [
    Route("/bank/withhold/batches", receive, methods=["POST"]),
    Route("/bank/withhold/results", results),
    Route("/sandbox/bank/control", control, methods=["POST"]),
    Route("/sandbox/bank/state", state),
]
