"""The 建融家园 APP (landlords' side of 存房易), as the app speaks to it: an adapter over HTTP.

Protocol (JSON both ways; every message signed with the platform key, see clss_app/core/signing.py):

The app tells the APP what a company did (one endpoint, keyed by the ``Idempotency-Key`` header, which the
APP keeps: the same notice sent again after a lost answer is taken once):
POST {base}/landlord-app/notices
    kind "review": app_no, company_id, company_name, result ("approved" / "rejected"), reason, valid_until
    kind "draft":  app_no, company_id, company_name, contract_no, start_date, end_date, monthly_rent,
                   cycle (months, 0 一次性), payee_card_tail, schedule ("period_no,due_date,amount;…")
    -> {code: "0000", notice_id, sign} or {code, message}.

The APP posts the landlord's steps to the app (clss_app/landlord_routes.py, services/consign.py applies
them; each answered {code: "SUCCESS"} once held, a repeat changes nothing):
POST {CLSS_PUBLIC_URL}/_clss/landlord/notify
    kind "apply":  app_no, city, landlord_name, landlord_phone, landlord_id_number, house_address,
                   house_area, layout, expected_rent, expected_months, at (UTC, ISO 8601 with Z)
    kind "choose": app_no, company_id, at
    kind "sign":   app_no, contract_no, at

CLSS_LANDLORD_APP_URL names the APP's platform (default: CLSS_PAY_URL's, i.e. the repository's sandbox on
127.0.0.1:3101); CLSS_LANDLORD_APP_KEY is the key both sides sign with (default: the sandbox's).
"""

from __future__ import annotations

import os

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL

SANDBOX_KEY = "sandbox-landlord-key-5b7e2a90c4d1f368"
NOTIFY_ROUTE = "/_clss/landlord/notify"
ATTEMPTS = 3


class AppError(Exception):
    """The APP could not be reached or refused; ``str()`` is the reason shown on the record."""


def base_url() -> str:
    return (os.environ.get("CLSS_LANDLORD_APP_URL") or os.environ.get("CLSS_PAY_URL") or DEFAULT_URL).rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_LANDLORD_APP_KEY") or SANDBOX_KEY


def _timeout() -> httpx.Timeout:
    """CLSS_LANDLORD_APP_TIMEOUT seconds (default 5) for an answer; a request that times out is sent again."""
    return httpx.Timeout(float(os.environ.get("CLSS_LANDLORD_APP_TIMEOUT") or 5), connect=2.0)


def notify(fields: dict[str, str], idempotency_key: str) -> str:
    """Sends one notice; the APP's notice id. Retried on a timeout or a 5xx under the same key."""
    try:
        answer = signed_http.call(
            "POST",
            base_url() + "/landlord-app/notices",
            fields,
            key(),
            timeout=_timeout(),
            attempts=ATTEMPTS,
            backoff=0.3,
            headers={"Idempotency-Key": idempotency_key},
        )
    except signed_http.BadSignature:
        raise AppError("建融家园应答签名错误，请联系技术人员核对通信密钥") from None
    except signed_http.Unreachable as exc:
        raise AppError(f"建融家园暂不可用（{exc}），请稍后重新通知") from None
    if answer.get("code") != "0000":
        raise AppError(f"建融家园拒绝受理：{answer.get('message') or answer.get('code')}")
    return str(answer.get("notice_id") or "")
