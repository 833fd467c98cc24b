"""One signed JSON request to an external system (the payment provider, the bank): its fields signed
(core.signing, with a timestamp), sent with a timeout, sent again after a timeout, a lost connection or
a 5xx, and the answer's signature checked. The other end keys each request (an order number, a run
number), so a request sent again changes nothing there; the callers turn the two failures into their
own words for the user."""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from clss_app.core import signing


class Unreachable(Exception):
    """No usable answer after every attempt; ``str()`` names the last failure (HTTP 503, ReadTimeout)."""


class BadSignature(Exception):
    """An answer came back unsigned or signed with another key."""


def call(
    method: str,
    url: str,
    fields: Mapping[str, str],
    key: str,
    *,
    timeout: httpx.Timeout,
    attempts: int = 3,
    backoff: float = 0.2,
    headers: Mapping[str, str] | None = None,
) -> dict:
    body = signing.signed({**fields, "timestamp": str(int(time.time()))}, key)
    last = ""
    for attempt in range(attempts):
        try:
            with httpx.Client(timeout=timeout, headers=dict(headers or {})) as client:
                r = client.get(url, params=body) if method == "GET" else client.post(url, json=body)
            if r.status_code < 500:
                answer = r.json()
                if not isinstance(answer, dict) or not signing.verify(answer, key):
                    raise BadSignature()
                return answer
            last = f"HTTP {r.status_code}"
        except (httpx.TransportError, ValueError) as exc:
            last = type(exc).__name__
        if attempt + 1 < attempts:
            time.sleep(backoff * (attempt + 1))
    raise Unreachable(last)


def call_or_raise(
    error: type[Exception],
    who: str,
    url: str,
    fields: Mapping[str, str],
    key: str,
    idempotency_key: str,
    *,
    timeout: httpx.Timeout,
    attempts: int,
) -> dict:
    """``call`` (a POST under an Idempotency-Key), its failures raised as ``error`` in words naming ``who``
    (监管平台, 银行): the record stays retryable with that reason shown."""
    try:
        return call(
            "POST",
            url,
            fields,
            key,
            timeout=timeout,
            attempts=attempts,
            backoff=0.3,
            headers={"Idempotency-Key": idempotency_key},
        )
    except BadSignature:
        raise error(f"{who}应答签名错误，请联系技术人员核对通信密钥") from None
    except Unreachable as exc:
        raise error(f"{who}暂不可用（{exc}），可稍后重试") from None
