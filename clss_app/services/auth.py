"""Passwords, logins with lock-out, and server-side sessions."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from clss_app import db, settings
from clss_app.services.permissions import Principal, load_principal
from models import User, UserSession, utcnow

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

USERNAME_MAX = 32
PASSWORD_MAX = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, in Chinese; None when it is."""
    if len(password) < 8:
        return "密码至少 8 位"
    if len(password) > PASSWORD_MAX:
        return f"密码不能超过 {PASSWORD_MAX} 位"
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return "密码须同时包含字母和数字"
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class LoginResult:
    ok: bool
    message: str = ""
    token: str = ""
    field: str = ""  # which form field the message belongs to


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 59) // 60)


def login(session: Session, username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check credentials; count failures and lock the account after too many.

    Returns a result rather than raising so that the failure count is
    committed together with the refusal.
    """
    now = now or utcnow()
    username = (username or "").strip()
    if not username:
        return LoginResult(False, "请输入用户名", field="username")
    if not password:
        return LoginResult(False, "请输入密码", field="password")
    if len(username) > USERNAME_MAX or len(password) > PASSWORD_MAX:
        return LoginResult(False, "用户名或密码错误", field="password")

    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return LoginResult(False, "用户名或密码错误", field="password")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(False, f"账号已锁定，请 {_minutes_left(user.locked_until, now)} 分钟后再试，"
                                  "或联系系统管理员解锁", field="password")
    if not verify_password(user.password_hash, password):
        # One atomic UPDATE, so parallel wrong guesses are all counted.
        session.execute(sa.update(User).where(User.id == user.id)
                        .values(failed_logins=User.failed_logins + 1))
        session.refresh(user)
        left = settings.MAX_FAILED_LOGINS - user.failed_logins
        if left <= 0:
            user.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
            user.failed_logins = 0
            session.add(user)
            return LoginResult(False, f"密码连续错误 {settings.MAX_FAILED_LOGINS} 次，账号已锁定 "
                                      f"{settings.LOCKOUT_MINUTES} 分钟", field="password")
        return LoginResult(False, f"用户名或密码错误，还可尝试 {left} 次", field="password")
    if not user.is_active:
        return LoginResult(False, "账号已停用，请联系系统管理员", field="username")

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(hours=settings.SESSION_HOURS)))
    return LoginResult(True, token=token)


# Every event asks who is behind its token: five queries on a cache miss. The answer is kept until a
# write to any table it is built from (the shared write generations: any worker's commit counts) or
# until the session expires, and for a TTL at most (writes made outside the app, e.g. by hand in SQL).
PRINCIPAL_TABLES = ("user_session", "app_user", "org_unit", "user_scope_unit", "user_project", "project")
PRINCIPAL_TTL = 30.0
_principals: OrderedDict[str, tuple[tuple, float, datetime, Principal]] = OrderedDict()
_principals_lock = threading.Lock()


def principal_for_token(session: Session, token: str | None, now: datetime | None = None) -> Principal | None:
    """The principal behind a browser's token, or None if it is not a live session."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    key = _token_hash(token)
    generation = db.generation(*PRINCIPAL_TABLES)
    with _principals_lock:
        hit = _principals.get(key)
    if hit is not None and hit[0] == generation and time.monotonic() - hit[1] < PRINCIPAL_TTL and hit[2] > now:
        return hit[3]
    row = session.exec(select(UserSession).where(UserSession.token_hash == key)).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    principal = load_principal(session, user)
    with _principals_lock:
        _principals[key] = (generation, time.monotonic(), row.expires_at, principal)
        _principals.move_to_end(key)
        while len(_principals) > 10_000:
            _principals.popitem(last=False)
    return principal


def logout(session: Session, token: str | None, now: datetime | None = None) -> None:
    if not token:
        return
    session.execute(sa.update(UserSession)
                    .where(UserSession.token_hash == _token_hash(token),
                           UserSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))


def revoke_all_sessions(session: Session, user_id: int, now: datetime | None = None) -> None:
    session.execute(sa.update(UserSession)
                    .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))
