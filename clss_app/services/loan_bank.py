"""The bank's 按居贷 (rent loans), as the app speaks to it: a small interface and its HTTP adapter.

Protocol (JSON both ways, every message signed, clss_app/core/signing.py, with the platform's loan key):

POST {base}/bank/loans/credit          id_number, name, timestamp, sign
    -> {code: "0000", id_number, credit_line, available}: the tenant's credit line and what is left.
POST {base}/bank/loans/applications    header Idempotency-Key: <loan number>
    loan_no, id_number, name, amount, contract_no, mode, timestamp, sign
    -> {code: "0000", loan_no, bank_ref, credit_line}: approved, the amount paid to the operator;
    {code: "REFUSED", loan_no, reason, credit_line}: refused (past the credit line, no credit line).
    The bank keys applications by loan number: the same loan sent again (a retry after a lost answer)
    gets the same answer and is lent once; the same number with another amount is refused.

CLSS_LOAN_URL names the bank (default: CLSS_BANK_URL's, else the repository's sandbox on
127.0.0.1:3101); CLSS_LOAN_KEY is the key the bank gave the platform for loans (default: the sandbox's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL

SANDBOX_KEY = "sandbox-loan-key-52e7a1c9f03d"
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
ATTEMPTS = 3


class LoanBankError(Exception):
    """The bank could not be reached or answered unsigned; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Application:
    loan_no: str
    id_number: str
    name: str
    amount: Decimal
    contract_no: str
    mode: str


@dataclass(frozen=True)
class Decision:
    approved: bool
    bank_ref: str = ""
    reason: str = ""
    credit_line: Decimal | None = None


class LoanBank(Protocol):
    def credit_line(self, id_number: str, name: str) -> Decimal: ...

    def apply(self, application: Application) -> Decision: ...


def base_url() -> str:
    return (os.environ.get("CLSS_LOAN_URL") or os.environ.get("CLSS_BANK_URL") or DEFAULT_URL).rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_LOAN_KEY") or SANDBOX_KEY


def _money(text: object) -> Decimal | None:
    try:
        return Decimal(str(text)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


class HttpLoanBank:
    def _call(self, path: str, fields: dict[str, str], idempotency_key: str) -> dict:
        url = base_url() + path
        return signed_http.call_or_raise(
            LoanBankError, "银行", url, fields, key(), idempotency_key, timeout=TIMEOUT, attempts=ATTEMPTS
        )

    def credit_line(self, id_number: str, name: str) -> Decimal:
        answer = self._call("/bank/loans/credit", {"id_number": id_number, "name": name}, id_number)
        line = _money(answer.get("credit_line"))
        if answer.get("code") != "0000" or line is None:
            raise LoanBankError(f"银行未返回授信额度：{answer.get('message') or answer.get('code')}")
        return line

    def apply(self, application: Application) -> Decision:
        fields = {k: str(v) for k, v in application.__dict__.items()}
        answer = self._call("/bank/loans/applications", fields, application.loan_no)
        code, line = answer.get("code"), _money(answer.get("credit_line"))
        if answer.get("loan_no") == application.loan_no:
            if code == "0000":
                return Decision(True, str(answer.get("bank_ref") or ""), credit_line=line)
            if code == "REFUSED":
                return Decision(False, reason=str(answer.get("reason") or "银行未说明原因"), credit_line=line)
        raise LoanBankError(f"银行应答无法识别：{answer.get('message') or code}")


def bank() -> LoanBank:
    return HttpLoanBank()
