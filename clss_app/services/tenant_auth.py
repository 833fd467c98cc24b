"""Tenant login for the APP's API: a phone number and an SMS code give an opaque bearer token.

- A code is six random digits, kept as SHA-256 of a random salt and the code; it lasts
  SMS_CODE_MINUTES, takes SMS_CODE_ATTEMPTS wrong tries (each counted by a conditional UPDATE before
  the code is compared) and is used once. A phone gets SMS_CODES_PER_HOUR codes an hour, a client
  address sms_codes_per_ip_hour() (rate_limit, shared by every worker).
- A phone maps to the tenant registered with it (the earliest such row when several companies
  registered the same person). A phone no tenant has gets no code, but the same answer as one that
  does: the endpoint does not tell who is a tenant.
- A token is 32 random bytes; the server keeps its hash, expiry (API_TOKEN_DAYS) and revocation.

Refusals are ``core.errors.Refused`` in Chinese, which the API answers as they say.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from clss_app import settings
from clss_app.core.errors import Refused
from clss_app.core.rows import changed, saved_id
from clss_app.services import rate_limit, sms
from models import ApiToken, IdempotentAnswer, SmsCode, Tenant, utcnow

PHONE = re.compile(r"1\d{10}")
CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class TenantToken:
    """Who a live token speaks for: the scope of every tenant query."""

    token_id: int
    tenant_id: int
    phone: str


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check_phone(phone: str) -> None:
    if not PHONE.fullmatch(phone or ""):
        raise Refused("手机号须为 11 位数字、以 1 开头", status=422, code="invalid_field", field="phone")


def tenant_of_phone(session: Session, phone: str) -> int | None:
    return session.exec(select(Tenant.id).where(Tenant.phone == phone).order_by(col(Tenant.id)).limit(1)).first()


def send_code(session: Session, phone: str, now: datetime | None = None, client: str = "") -> int:
    """Send a login code to ``phone`` (asked from the address ``client``); the code's lifetime in seconds.
    The code row is committed only once the gateway took the message (the caller's transaction)."""
    _check_phone(phone)
    now = now or utcnow()
    lifetime = settings.SMS_CODE_MINUTES * 60
    per_ip = settings.sms_codes_per_ip_hour()
    if client and not rate_limit.take(f"ip:{client}", per_ip, 3600, now.timestamp()):
        raise Refused(f"本网络每小时最多获取 {per_ip} 次验证码，请稍后再试", status=429, code="too_many_codes")
    if not rate_limit.take(f"phone:{phone}", settings.SMS_CODES_PER_HOUR, 3600, now.timestamp()):
        raise Refused(
            f"该手机号每小时最多获取 {settings.SMS_CODES_PER_HOUR} 次验证码，请稍后再试",
            status=429,
            code="too_many_codes",
        )
    if tenant_of_phone(session, phone) is None:
        return lifetime  # nothing sent, nothing kept: the login that follows finds no live code
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    text = f"【CLSS租房】您的登录验证码是 {code}，{settings.SMS_CODE_MINUTES} 分钟内有效。请勿告诉他人。"
    try:
        message_id = sms.send(phone, text)
    except sms.SmsFailed as exc:
        raise Refused(f"验证码发送失败：{exc.reason}", status=503, code="sms_failed") from None
    session.add(
        SmsCode(
            phone=phone,
            salt=salt,
            code_hash=_hash(salt + code),
            expires_at=now + timedelta(minutes=settings.SMS_CODE_MINUTES),
            message_id=message_id,
            created_at=now,
        )
    )
    rate_limit.purge(session, now.timestamp())
    return lifetime


def login(session: Session, phone: str, code: str, now: datetime | None = None) -> tuple[str, datetime, int]:
    """(token, expiry, tenant id) for a right code of ``phone``'s latest live code; Refused otherwise."""
    _check_phone(phone)
    if not CODE.fullmatch(code or ""):
        raise Refused("验证码须为 6 位数字", status=422, code="invalid_field", field="code")
    now = now or utcnow()
    latest = session.exec(
        select(SmsCode)
        .where(SmsCode.phone == phone, col(SmsCode.used_at).is_(None), SmsCode.expires_at > now)
        .order_by(col(SmsCode.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        raise Refused("验证码已失效，请重新获取", status=401, code="code_expired", field="code")
    # The try is counted before the code is compared: parallel guesses cannot pass the limit.
    counted = changed(
        session,
        sa.update(SmsCode)
        .where(SmsCode.id == latest.id, SmsCode.attempts < settings.SMS_CODE_ATTEMPTS, col(SmsCode.used_at).is_(None))
        .values(attempts=SmsCode.attempts + 1),
    )
    session.commit()
    if not counted:
        raise Refused("验证码错误次数过多，请重新获取验证码", status=429, code="too_many_attempts", field="code")
    if not hmac.compare_digest(_hash(latest.salt + code), latest.code_hash):
        left = settings.SMS_CODE_ATTEMPTS - latest.attempts - 1
        raise Refused(f"验证码错误，还可尝试 {max(left, 0)} 次", status=401, code="wrong_code", field="code")
    used = changed(
        session,
        sa.update(SmsCode).where(SmsCode.id == latest.id, col(SmsCode.used_at).is_(None)).values(used_at=now),
    )
    tenant_id = tenant_of_phone(session, phone)
    if not used or tenant_id is None:
        raise Refused("验证码已失效，请重新获取", status=401, code="code_expired", field="code")
    token, expires = issue_token(session, tenant_id, phone, now)
    return token, expires, tenant_id


def issue_token(session: Session, tenant_id: int, phone: str, now: datetime | None = None) -> tuple[str, datetime]:
    """A new token for the tenant, as a login gives it (only its hash is kept): (token, expiry). Login
    calls it once the code is right; the load test and the API tests mint their tenants' tokens with it."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=settings.API_TOKEN_DAYS)
    session.add(ApiToken(token_hash=_hash(token), tenant_id=tenant_id, phone=phone, created_at=now, expires_at=expires))
    return token, expires


def check_token(session: Session, token: str | None, now: datetime | None = None) -> TenantToken | None:
    """The tenant a live token speaks for, or None (unknown, expired, revoked, or its phone since changed)."""
    if not token:
        return None
    now = now or utcnow()
    # Only while the tenant still has the phone it logged in with: a token must not outlive a change of
    # number (the old number may be given to someone else, and /me/appointments is scoped by phone).
    row = session.exec(
        select(ApiToken)
        .join(Tenant, col(Tenant.id) == ApiToken.tenant_id)
        .where(
            ApiToken.token_hash == _hash(token),
            col(ApiToken.revoked_at).is_(None),
            ApiToken.expires_at > now,
            Tenant.phone == ApiToken.phone,
        )
    ).first()
    return None if row is None else TenantToken(saved_id(row), row.tenant_id, row.phone)


def logout(session: Session, token_id: int, now: datetime | None = None) -> None:
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )


def forget(session: Session, now: datetime | None = None) -> int:
    """The nightly job's clean-up: codes dead for a day, tokens dead for API_FORGET_DAYS, idempotent
    answers older than IDEMPOTENCY_DAYS. The number of rows deleted."""
    now = now or utcnow()
    dead = now - timedelta(days=settings.API_FORGET_DAYS)
    return (
        changed(session, sa.delete(SmsCode).where(SmsCode.expires_at < now - timedelta(days=1)))
        + changed(
            session,
            sa.delete(ApiToken).where(
                sa.or_(
                    ApiToken.expires_at < dead,
                    sa.and_(col(ApiToken.revoked_at).is_not(None), ApiToken.revoked_at < dead),
                )
            ),
        )
        + changed(
            session,
            sa.delete(IdempotentAnswer).where(
                IdempotentAnswer.created_at < now - timedelta(days=settings.IDEMPOTENCY_DAYS)
            ),
        )
    )
