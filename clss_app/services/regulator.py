"""The city's 住房租赁监管平台 (网签备案), as the app speaks to it: a small interface and its HTTP adapter.

Protocol (JSON both ways, every message signed as the bank's are, clss_app/core/signing.py, with the
platform's key):

POST {base}/regulator/filings        header Idempotency-Key: <contract number>
    contract_no, city, project, room, tenant_name, id_number, start_date, end_date, monthly_rent,
    timestamp, sign
    -> {code: "0000", contract_no, filing_no, filed_at (ISO, UTC)}: filed. The platform keys filings
    by contract number: the same filing sent again (a retry after a lost answer) gets the same number
    and is filed once. {code: "REFUSED", reason}: not filed, for the reason given (a contract already
    filed with other terms, a room filed under another contract, no ID number, …).
POST {base}/regulator/revocations    header Idempotency-Key: <contract number>
    contract_no, filing_no, timestamp, sign
    -> {code: "0000", contract_no, revoked_at}; a revocation sent again is answered alike.
    {code: "REFUSED", reason}: the filing is not this contract's.

CLSS_REGULATOR_URL names the platform (default: CLSS_BANK_URL's, else the repository's sandbox on
127.0.0.1:3101); CLSS_REGULATOR_KEY is the key the platform gave the operator (default: the sandbox's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL

SANDBOX_KEY = "sandbox-regulator-key-9b41d07e55"
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
ATTEMPTS = 3


class RegulatorError(Exception):
    """The platform could not be reached or answered unsigned; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Filing:
    """What the platform is asked to file: a contract, its parties and terms."""

    contract_no: str
    city: str
    project: str
    room: str
    tenant_name: str
    id_number: str
    start_date: str
    end_date: str
    monthly_rent: Decimal


@dataclass(frozen=True)
class Answer:
    """The platform's answer: ``ok`` with the filing number and time, or the reason it refused."""

    ok: bool
    filing_no: str = ""
    at: datetime | None = None
    reason: str = ""


class Regulator(Protocol):
    def file(self, filing: Filing) -> Answer: ...

    def revoke(self, contract_no: str, filing_no: str) -> Answer: ...


def base_url() -> str:
    url = os.environ.get("CLSS_REGULATOR_URL") or os.environ.get("CLSS_BANK_URL") or DEFAULT_URL
    return url.rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_REGULATOR_KEY") or SANDBOX_KEY


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


class HttpRegulator:
    """The platform over HTTP: signed requests, a timeout, sent again (same key) after a lost answer."""

    def _call(self, path: str, fields: dict[str, str], contract_no: str) -> dict:
        return signed_http.call_or_raise(
            RegulatorError,
            "监管平台",
            base_url() + path,
            fields,
            key(),
            contract_no,
            timeout=TIMEOUT,
            attempts=ATTEMPTS,
        )

    def _answer(self, answer: dict, contract_no: str, number: str, stamp: str) -> Answer:
        code = answer.get("code")
        if code == "0000" and answer.get("contract_no") == contract_no:
            return Answer(True, str(answer.get(number) or ""), _when(answer.get(stamp)))
        if code == "REFUSED":
            return Answer(False, reason=str(answer.get("reason") or "监管平台未说明原因"))
        raise RegulatorError(f"监管平台应答无法识别：{answer.get('message') or code}")

    def file(self, filing: Filing) -> Answer:
        fields = {k: str(v) for k, v in filing.__dict__.items()}
        answer = self._call("/regulator/filings", fields, filing.contract_no)
        return self._answer(answer, filing.contract_no, "filing_no", "filed_at")

    def revoke(self, contract_no: str, filing_no: str) -> Answer:
        answer = self._call("/regulator/revocations", {"contract_no": contract_no, "filing_no": filing_no}, contract_no)
        return self._answer(answer, contract_no, "filing_no", "revoked_at")


def platform() -> Regulator:
    return HttpRegulator()
