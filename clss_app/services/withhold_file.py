"""The bank's withholding files (批量代扣): the request file a run sends and the result file (回盘文件) the
bank returns. Both sides write and read them here (the app, and the sandbox bank playing the other side).

Both are UTF-8 text, one record a line ending in LF, fields separated by commas (no field may hold a
comma or a line break; names are checked when an agreement is signed). Amounts are whole cents, dates
YYYYMMDD (Beijing). The first field names the record: H header, D detail, T trailer.

Request file (请求文件), one per run:

    H,<委托项目编号 9 digits>,<代收账号>,<run number>,<run day YYYYMMDD>,<line count>,<total cents>
    D,<line no 1..n>,<card number 16-19 digits>,<holder name>,<amount cents>,<our reference>
    ... one D line per debit, numbered from 1 without gaps
    T,<line count>,<total cents>,<SHA-256 of the body>

Result file (回盘文件), the bank's answer to one run:

    H,<委托项目编号>,<run number>,<processing day YYYYMMDD>,<line count>,<succeeded count>,<succeeded cents>
    D,<line no>,<our reference>,<amount cents>,<S succeeded | F failed>,<bank transaction id>,<reason code>,<message>
    T,<line count>,<total cents of every D line>,<SHA-256 of the body>

The body is every line before the trailer, each with its LF, as bytes; its SHA-256 is written in lower-
case hex. A reader refuses a file whose checksum, counts, totals or numbering disagree with its lines
(``FileProblem``, a message for the user): nothing of a damaged file is applied.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

CENT = Decimal("0.01")


class FileProblem(ValueError):
    """The file is not one this layout allows; ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Debit:
    line_no: int
    card_no: str
    holder: str
    amount: Decimal
    ref: str


@dataclass(frozen=True)
class Request:
    entrust_no: str
    collect_account: str
    run_no: str
    day: date
    debits: list[Debit]

    @property
    def total(self) -> Decimal:
        return sum((d.amount for d in self.debits), Decimal("0.00"))


@dataclass(frozen=True)
class Outcome:
    line_no: int
    ref: str
    amount: Decimal
    ok: bool
    txn_id: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Result:
    entrust_no: str
    run_no: str
    day: date
    outcomes: list[Outcome]


def cents(amount: Decimal) -> int:
    if amount != amount.quantize(CENT) or amount <= 0:
        raise FileProblem(f"金额须为正数且至多两位小数：{amount}")
    return int(amount * 100)


def yuan(text: str) -> Decimal:
    if not text.isdigit():
        raise FileProblem(f"金额须为整数分：{text}")
    return (Decimal(int(text)) / 100).quantize(CENT)


def _field(value: str) -> str:
    if any(c in value for c in ",\r\n"):
        raise FileProblem(f"字段不能包含逗号或换行：{value}")
    return value


def checksum(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _sealed(records: list[str], count: int, total: int) -> str:
    """The records, each with its LF, and the trailer that seals them."""
    body = "".join(r + "\n" for r in records)
    return body + f"T,{count},{total},{checksum(body)}\n"


def write_request(r: Request) -> str:
    total = sum(cents(d.amount) for d in r.debits)
    lines = [
        ",".join(
            ["H", _field(r.entrust_no), _field(r.collect_account), _field(r.run_no), f"{r.day:%Y%m%d}"]
            + [str(len(r.debits)), str(total)]
        )
    ]
    for d in r.debits:
        lines.append(",".join(["D", str(d.line_no), _field(d.card_no), _field(d.holder), str(cents(d.amount)), d.ref]))
    return _sealed(lines, len(r.debits), total)


def write_result(r: Result) -> str:
    ok = [o for o in r.outcomes if o.ok]
    head = ["H", r.entrust_no, r.run_no, f"{r.day:%Y%m%d}", str(len(r.outcomes)), str(len(ok))]
    lines = [",".join([*head, str(sum(cents(o.amount) for o in ok))])]
    for o in r.outcomes:
        flag = "S" if o.ok else "F"
        lines.append(
            ",".join(["D", str(o.line_no), o.ref, str(cents(o.amount)), flag, o.txn_id, o.code, _field(o.message)])
        )
    return _sealed(lines, len(r.outcomes), sum(cents(o.amount) for o in r.outcomes))


def _split(text: str, head_fields: int, detail_fields: int) -> tuple[list[str], list[list[str]], str]:
    """The header, the detail records and the trailer's total of a file whose trailer seals them (its
    checksum and count); FileProblem otherwise."""
    if not text.endswith("\n"):
        raise FileProblem("文件不完整：缺少结尾换行")
    lines = text[:-1].split("\n")
    if len(lines) < 2 or not lines[-1].startswith("T,"):
        raise FileProblem("文件不完整：缺少尾记录（T）")
    body = "".join(line + "\n" for line in lines[:-1])
    trailer = lines[-1].split(",")
    if len(trailer) != 4:
        raise FileProblem("尾记录格式错误")
    if trailer[3] != checksum(body):
        raise FileProblem("文件校验值不符（SHA-256），文件可能已损坏或被改动")
    head = lines[0].split(",")
    if head[0] != "H" or len(head) != head_fields:
        raise FileProblem("首记录（H）格式错误")
    details = [line.split(",") for line in lines[1:-1]]
    for i, d in enumerate(details, start=1):
        if d[0] != "D" or len(d) != detail_fields:
            raise FileProblem(f"第 {i} 条明细格式错误")
    if trailer[1] != str(len(details)):
        raise FileProblem(f"尾记录笔数 {trailer[1]} 与明细 {len(details)} 笔不符")
    return head, details, trailer[2]


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise FileProblem(f"日期格式错误：{text}") from None


def read_request(text: str) -> Request:
    head, details, trailer_total = _split(text, 7, 6)
    debits = []
    for i, d in enumerate(details, start=1):
        if d[1] != str(i):
            raise FileProblem(f"明细序号不连续：第 {i} 条为 {d[1]}")
        debits.append(Debit(i, d[2], d[3], yuan(d[4]), d[5]))
    r = Request(head[1], head[2], head[3], _day(head[4]), debits)
    total = str(sum(cents(d.amount) for d in debits))
    if head[5] != str(len(debits)) or head[6] != total or trailer_total != total:
        raise FileProblem("首尾记录的笔数或金额与明细不符")
    return r


def read_result(text: str) -> Result:
    head, details, trailer_total = _split(text, 7, 8)
    outcomes = []
    for d in details:
        if not d[1].isdigit() or d[4] not in ("S", "F"):
            raise FileProblem(f"明细格式错误：{','.join(d[:5])}")
        ok = d[4] == "S"
        if ok and not d[5]:
            raise FileProblem(f"第 {d[1]} 笔扣款成功但没有银行流水号")
        outcomes.append(Outcome(int(d[1]), d[2], yuan(d[3]), ok, d[5], d[6], d[7]))
    ok_cents = sum(cents(o.amount) for o in outcomes if o.ok)
    if head[4] != str(len(outcomes)) or head[5] != str(sum(o.ok for o in outcomes)) or head[6] != str(ok_cents):
        raise FileProblem("首记录的笔数或成功金额与明细不符")
    if trailer_total != str(sum(cents(o.amount) for o in outcomes)):
        raise FileProblem("尾记录金额与明细不符")
    return Result(head[1], head[2], _day(head[3]), outcomes)
