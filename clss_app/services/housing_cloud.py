"""住房云 (the platform's user registry), as the app speaks to it: it verifies a person (name, 身份证号,
phone) and registers them as a customer of the platform.

Protocol (JSON both ways; every message signed as the bank's are, clss_app/core/signing.py, with the
platform's 住房云 key):

POST {base}/housing-cloud/users        header Idempotency-Key: <request number>
    request_no, company, name, id_number, phone, timestamp, sign
    -> {code: "0000", request_no, user_no, sign}: verified and registered;
       {code: "EXISTS", request_no, user_no, message}: the person is already registered (已存在);
       {code: "REFUSED", request_no, message}: not verified, ``message`` says why.
    The counterpart keys requests by request number: the same request sent again (a retry after a lost
    answer) is answered as before and registers nobody twice.

CLSS_HOUSING_CLOUD_URL names 住房云 (default: the repository's sandbox, CLSS_PAY_URL's address);
CLSS_HOUSING_CLOUD_KEY is the key 住房云 gave the platform (default: the sandbox's).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL

SANDBOX_KEY = "sandbox-housing-cloud-key-7d2e41a9c0b8"
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
ATTEMPTS = 3
OK, EXISTS, REFUSED = "0000", "EXISTS", "REFUSED"


class HousingCloudError(Exception):
    """住房云 could not be reached or answered nonsense; ``str()`` is the reason shown on the row."""


@dataclass(frozen=True)
class Verdict:
    code: str  # OK / EXISTS / REFUSED
    message: str = ""
    user_no: str = ""


@dataclass(frozen=True)
class Person:
    company_id: int
    name: str
    id_number: str
    phone: str

    def request_no(self) -> str:
        """The same person with the same details is the same request: a retry, or the nightly batch run
        again, asks 住房云 nothing new; changed details (a fixed name) are a new request."""
        text = f"{self.company_id}|{self.name}|{self.id_number}|{self.phone}"
        return "IU" + hashlib.sha256(text.encode()).hexdigest()[:30]


class HousingCloud(Protocol):
    def verify(self, person: Person) -> Verdict: ...


def base_url() -> str:
    return (os.environ.get("CLSS_HOUSING_CLOUD_URL") or os.environ.get("CLSS_PAY_URL") or DEFAULT_URL).rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_HOUSING_CLOUD_KEY") or SANDBOX_KEY


@dataclass(frozen=True)
class HttpHousingCloud:
    base: str
    secret: str
    timeout: httpx.Timeout = field(default_factory=lambda: TIMEOUT)
    attempts: int = ATTEMPTS

    def verify(self, person: Person) -> Verdict:
        request_no = person.request_no()
        fields = {
            "request_no": request_no,
            "company": str(person.company_id),
            "name": person.name,
            "id_number": person.id_number,
            "phone": person.phone,
        }
        try:
            answer = signed_http.call(
                "POST",
                self.base + "/housing-cloud/users",
                fields,
                self.secret,
                timeout=self.timeout,
                attempts=self.attempts,
                backoff=0.2,
                headers={"Idempotency-Key": request_no},
            )
        except signed_http.BadSignature:
            raise HousingCloudError("住房云应答签名错误，请联系技术人员核对通信密钥") from None
        except signed_http.Unreachable as exc:
            raise HousingCloudError(f"住房云暂不可用（{exc}），待重试") from None
        code = str(answer.get("code") or "")
        if code not in (OK, EXISTS, REFUSED) or answer.get("request_no") != request_no:
            raise HousingCloudError(f"住房云应答无法识别（{code or '无应答码'}），待重试")
        return Verdict(code, str(answer.get("message") or ""), str(answer.get("user_no") or ""))


def client() -> HousingCloud:
    return HttpHousingCloud(base_url(), key())
