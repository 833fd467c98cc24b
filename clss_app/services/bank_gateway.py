"""The bank (批量代扣), as the app speaks to it: an adapter over HTTP.

Protocol (JSON both ways; every message signed as the payment provider's are, clss_app/core/signing.py,
with the platform's bank key):

POST {base}/bank/withhold/batches       header Idempotency-Key: <run number>
    entrust_no, run_no, file (the request file, services/withhold_file.py), file_sha256, timestamp, sign
    -> {code: "0000", run_no, batch_no, sign}: accepted. The bank keys batches by run number: the same
    run sent again (a retry after a lost answer) gets the same answer and is debited once; the same run
    number with another file is refused (DUPLICATE_RUN). A file whose checksum or layout is wrong is
    refused whole (FILE_ERROR).
GET  {base}/bank/withhold/results       entrust_no, run_no, timestamp, sign
    -> {code: "0000", run_no, file, sign} (the result file), {code: "PROCESSING"} while the bank works,
    {code: "NOT_FOUND"} for a run it never accepted. A result may be fetched again: it is the same file.

Reason codes of a failed line (the result file's code field), and what the app files them under:
3001 余额不足, 3002 卡状态异常, 3003 账户已销户, 3004 户名不符, 3005 未签约或协议已失效, 3006 超过单笔限额;
any other code is 其他, with the bank's message kept.

CLSS_BANK_URL names the bank (default: the repository's sandbox on 127.0.0.1:3101, as CLSS_PAY_URL);
CLSS_BANK_KEY is the key the bank gave the platform (default: the sandbox's, for the demo and tests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL
from clss_app.services.withhold_file import checksum
from models import FailReason

BANK = "ccb"  # the bank whose transaction ids the lines carry (unique per bank)
SANDBOX_KEY = "sandbox-bank-key-3c0f9e21d8a74b56"
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
ATTEMPTS = 3
REASONS = {
    "3001": FailReason.INSUFFICIENT,
    "3002": FailReason.CARD_ABNORMAL,
    "3003": FailReason.ACCOUNT_CLOSED,
    "3004": FailReason.NAME_MISMATCH,
    "3005": FailReason.NO_AGREEMENT,
    "3006": FailReason.OVER_LIMIT,
}


class BankError(Exception):
    """The bank could not be reached or refused; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class Accepted:
    batch_no: str


def base_url() -> str:
    return (os.environ.get("CLSS_BANK_URL") or DEFAULT_URL).rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_BANK_KEY") or SANDBOX_KEY


def reason_of(code: str) -> FailReason:
    return REASONS.get(code, FailReason.OTHER)


def _call(method: str, path: str, fields: dict[str, str], idempotency_key: str) -> dict:
    """One signed request, retried on a timeout, a lost connection or a 5xx: the bank keys it by the run
    number, so a retry of a request it did receive changes nothing there."""
    try:
        return signed_http.call(
            method,
            base_url() + path,
            fields,
            key(),
            timeout=TIMEOUT,
            attempts=ATTEMPTS,
            backoff=0.3,
            headers={"Idempotency-Key": idempotency_key},
        )
    except signed_http.BadSignature:
        raise BankError("银行应答签名错误，请联系技术人员核对银行通信密钥") from None
    except signed_http.Unreachable as exc:
        raise BankError(f"银行暂不可用（{exc}），请稍后重试") from None


def send(entrust_no: str, run_no: str, file: str) -> Accepted:
    """Hands the run's request file to the bank."""
    answer = _call(
        "POST",
        "/bank/withhold/batches",
        {"entrust_no": entrust_no, "run_no": run_no, "file": file, "file_sha256": checksum(file)},
        run_no,
    )
    if answer.get("code") != "0000" or answer.get("run_no") != run_no:
        raise BankError(f"银行拒绝受理：{answer.get('message') or answer.get('code')}")
    return Accepted(str(answer.get("batch_no") or ""))


def result(entrust_no: str, run_no: str) -> str | None:
    """The run's result file, or None while the bank is still working on it."""
    answer = _call("GET", "/bank/withhold/results", {"entrust_no": entrust_no, "run_no": run_no}, run_no)
    code = answer.get("code")
    if code == "PROCESSING":
        return None
    if code != "0000" or answer.get("run_no") != run_no or not isinstance(answer.get("file"), str):
        raise BankError(f"银行未返回回盘文件：{answer.get('message') or code}")
    return str(answer["file"])
