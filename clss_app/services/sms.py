"""The SMS gateway (短信平台), as the app speaks to it: ``send(phone, text)`` over HTTP.

Protocol (JSON both ways, every message signed as the bank's are, clss_app/core/signing.py, with the
gateway's key):

POST {base}/sms/messages        header Idempotency-Key: <client_ref>
    phone (11 digits), text, client_ref (ours, unique per message), timestamp, sign
    -> {code: "0000", client_ref, message_id, sign}: accepted for delivery. The gateway keys messages
    by client_ref: the same message sent again (a retry after a lost answer) gets the same id and is
    delivered once. {code: "REFUSED", reason}: not sent (an empty number, a number on its block list…).

CLSS_SMS_URL names the gateway (default: CLSS_BANK_URL's, else the repository's sandbox on
127.0.0.1:3101); CLSS_SMS_KEY is the key the gateway gave the operator (default: the sandbox's). The
sandbox keeps what it was sent in an outbox: GET {sandbox}/sandbox/sms/outbox (?phone=…) lists it.
"""

from __future__ import annotations

import os
import re
import secrets

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL

SANDBOX_KEY = "sandbox-sms-key-3c8e61a2f4"
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
ATTEMPTS = 3
PHONE = re.compile(r"1\d{10}")
MAX_TEXT = 500
REF = re.compile(r"[A-Za-z0-9_\-]{8,64}")


class SmsFailed(Exception):
    """The message was not sent; ``reason`` (and ``str()``) says why, in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def base_url() -> str:
    url = os.environ.get("CLSS_SMS_URL") or os.environ.get("CLSS_BANK_URL") or DEFAULT_URL
    return url.rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_SMS_KEY") or SANDBOX_KEY


def send(phone: str, text: str, ref: str | None = None) -> str:
    """Send ``text`` to ``phone``; the gateway's message id. Raises SmsFailed when it is not sent.

    ``ref`` is the caller's key for this message (8–64 characters): a caller that retries a message
    whose answer was lost passes the same ref, and the gateway delivers it once. Without one the
    message gets a fresh ref (retried only within this call)."""
    if not PHONE.fullmatch(phone or ""):
        raise SmsFailed("手机号格式不正确")
    if not text or len(text) > MAX_TEXT:
        raise SmsFailed(f"短信内容须为 1–{MAX_TEXT} 个字")
    if ref is not None and not REF.fullmatch(ref):
        raise SmsFailed("消息编号格式不正确")
    ref = ref or secrets.token_hex(12)
    answer = signed_http.call_or_raise(
        SmsFailed,
        "短信平台",
        base_url() + "/sms/messages",
        {"phone": phone, "text": text, "client_ref": ref},
        key(),
        ref,
        timeout=TIMEOUT,
        attempts=ATTEMPTS,
    )
    code = answer.get("code")
    if code == "0000" and answer.get("client_ref") == ref and answer.get("message_id"):
        return str(answer["message_id"])
    if code == "REFUSED":
        raise SmsFailed(str(answer.get("reason") or "短信平台拒绝发送，未说明原因"))
    raise SmsFailed(f"短信平台应答无法识别：{answer.get('message') or code}")
