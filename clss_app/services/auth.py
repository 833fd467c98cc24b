"""Passwords, logins behind a throttle, the login log, and server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from clss_app import db, settings
from clss_app.core.rows import changed, engine_of, saved_id
from clss_app.services import throttle
from clss_app.services.permissions import Principal, load_principal
from models import LoginLog, LoginOutcome, User, UserSession, utcnow

_hasher = PasswordHasher()
# Verified whenever no real password may be checked (unknown name, lock, throttle): every refusal
# costs as long as a wrong password.
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


FAILED = "用户名或密码错误（多次失败后需稍候再试）"  # every refusal says this, whatever the reason
DOWNLOAD_COOKIE = "clss_dl"  # holds the session's download key (see downloads.py)


@dataclass
class LoginResult:
    ok: bool
    message: str = ""
    token: str = ""
    field: str = ""  # which form field the message belongs to
    download_key: str = ""


def _record(
    session: Session,
    outcome: LoginOutcome,
    username: str,
    user: User | None,
    address: str,
    now: datetime,
    detail: str = "",
) -> None:
    session.add(
        LoginLog(
            at=now,
            username=username[:USERNAME_MAX],
            user_id=user.id if user else None,
            org_unit_id=user.org_unit_id if user else None,
            address=(address or "")[:64],
            outcome=outcome,
            detail=detail[:255],
        )
    )


def login(
    session: Session, username: str, password: str, now: datetime | None = None, address: str = ""
) -> LoginResult:
    """Check credentials behind the throttle (``throttle.py``) and open a session.

    Every refusal, be the name unknown, the password wrong, the account locked or the client made to
    wait, gives the same message after the same work (one password hash verified), so that neither
    the answer nor its time tells whether a username exists. ``address`` is the client's IP.
    Returns a result rather than raising, so that the log rows are committed with the refusal.
    """
    now = now or utcnow()
    username = (username or "").strip()
    if not username:
        return LoginResult(False, "请输入用户名", field="username")
    if not password:
        return LoginResult(False, "请输入密码", field="password")
    refused = LoginResult(False, FAILED, field="password")
    if len(username) > USERNAME_MAX or len(password) > PASSWORD_MAX:
        verify_password(_DUMMY_HASH, password[:PASSWORD_MAX])
        _record(session, LoginOutcome.UNKNOWN, username, None, address, now, "用户名或密码超长")
        return refused

    # First, on a connection of its own: this session must hold none while it waits for another.
    counted = throttle.reserve(engine_of(session), username, throttle.client_key(address), now)
    user = session.exec(select(User).where(User.username == username)).first()
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    checked = user.password_hash if user is not None and counted is not None and not locked else None
    right = verify_password(checked or _DUMMY_HASH, password)  # a dummy check takes as long as a real one
    if user is None or counted is None or locked or checked is None or not right:
        outcome = (
            LoginOutcome.THROTTLED
            if counted is None
            else LoginOutcome.LOCKED
            if locked
            else LoginOutcome.UNKNOWN
            if user is None
            else LoginOutcome.FAILED
        )
        _record(session, outcome, username, user, address, now)
        if outcome == LoginOutcome.FAILED and user and counted and counted >= settings.LOGIN_LOCK_AFTER:
            _lock(session, user, counted, address, now)
        return refused
    # The password was right; the lock may have been set (or the account stopped) while it was checked.
    opened = changed(
        session,
        sa.update(User)
        .where(
            User.id == user.id, User.is_active.is_(True), sa.or_(User.locked_until.is_(None), User.locked_until <= now)
        )
        .values(last_login_at=now),
    )
    if not opened:
        session.refresh(user)
        inactive = not user.is_active
        _record(session, LoginOutcome.INACTIVE if inactive else LoginOutcome.LOCKED, username, user, address, now)
        return LoginResult(False, "账号已停用，请联系系统管理员", field="username") if inactive else refused

    throttle.forgive(session, username, throttle.client_key(address))
    token, download_key = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=saved_id(user),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.SESSION_HOURS),
            download_key_hash=_token_hash(download_key),
        )
    )
    _record(session, LoginOutcome.SUCCESS, username, user, address, now)
    return LoginResult(True, token=token, download_key=download_key)


def _lock(session: Session, user: User, failures: int, address: str, now: datetime) -> None:
    until = now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    locked = changed(
        session,
        sa.update(User)
        .where(User.id == user.id, sa.or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(locked_until=until),
    )
    if locked:
        _record(
            session,
            LoginOutcome.LOCK,
            user.username,
            user,
            address,
            now,
            f"累计失败 {failures} 次，锁定 {settings.LOGIN_LOCK_MINUTES} 分钟",
        )


def is_locked(session: Session, users: list[User], now: datetime | None = None) -> set[int]:
    """Ids of the users with a lock in force or a login counter that makes them wait."""
    now = now or utcnow()
    waiting = throttle.waiting(session, [u.username for u in users], now)
    return {
        saved_id(u) for u in users if u.username in waiting or (u.locked_until is not None and u.locked_until > now)
    }


def unlock(session: Session, user: User, by: str, now: datetime | None = None) -> None:
    """Lift the lock and every login counter of this user, and say so in the login log."""
    now = now or utcnow()
    session.execute(sa.update(User).where(User.id == user.id).values(locked_until=None))
    throttle.clear(session, user.username)
    _record(session, LoginOutcome.UNLOCK, user.username, user, "", now, f"由 {by} 解锁")


# Every event asks who is behind its token: five queries on a cache miss. The answer is kept until a
# write to any table it is built from (the shared write generations: any worker's commit counts) or
# until the session expires, and for a TTL at most (writes made outside the app, e.g. by hand in SQL).
# The session's last activity is written at most once a minute (TOUCH_SECONDS) and moves no generation;
# the cache keeps its own copy, so an idle session ends on time whatever is cached.
PRINCIPAL_TABLES = ("user_session", "app_user", "org_unit", "user_scope_unit", "user_project", "project")
PRINCIPAL_TTL = 30.0
TOUCH_SECONDS = 60


@dataclass
class _Cached:
    generation: tuple
    at: float  # time.monotonic() when cached
    expires_at: datetime
    last_seen_at: datetime
    principal: Principal


_principals: OrderedDict[str, _Cached] = OrderedDict()
_principals_lock = threading.Lock()


def _live_clause(where, now: datetime):
    """SQL: the session matching ``where`` is not revoked, not past its maximum, not idle."""
    S = UserSession
    idle = now - timedelta(minutes=settings.IDLE_MINUTES)
    return sa.and_(where, S.revoked_at.is_(None), S.expires_at > now, S.last_seen_at > idle)


def _live(conn: sa.Connection, where, now: datetime) -> tuple | None:
    """(id, user_id, expires_at, last_seen_at) of the live session matching ``where``, its activity noted
    if the last note is over TOUCH_SECONDS old; None if there is none (revoked, expired, idle)."""
    S = UserSession
    live = _live_clause(where, now)
    row = conn.execute(select(S.id, S.user_id, S.expires_at, S.last_seen_at).where(live)).first()
    if row is None or now - row.last_seen_at < timedelta(seconds=TOUCH_SECONDS):
        return row
    touched = conn.execute(
        sa.update(S).where(live).values(last_seen_at=now).execution_options(**{db.UNTRACKED: True})
    ).rowcount
    return (row.id, row.user_id, row.expires_at, now) if touched else None


def _check_session(session: Session, where, now: datetime) -> tuple | None:
    """``_live`` on a connection of its own, committed at once: the caller's transaction may run long
    (on SQLite a write would hold the whole database until it ends), and the caller's session holds no
    connection yet, so this one never waits on a pool it is itself keeping busy."""
    with engine_of(session).connect() as conn:
        found = _live(conn, where, now)
        conn.commit()
    return found


def principal_for_token(session: Session, token: str | None, now: datetime | None = None) -> Principal | None:
    """The principal behind a browser's token, or None if it is not a live session. Counts as activity.

    Call it first in a fresh session (see ``_check_session``)."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    key = _token_hash(token)
    generation = db.generation(*PRINCIPAL_TABLES)
    with _principals_lock:
        hit = _principals.get(key)
    if hit is not None and hit.generation == generation and time.monotonic() - hit.at < PRINCIPAL_TTL:
        if hit.expires_at > now and now - hit.last_seen_at < timedelta(seconds=TOUCH_SECONDS):
            return hit.principal
        found = _check_session(session, UserSession.id == hit.principal.session_id, now)
        if found is None:
            return None
        hit.last_seen_at = found[3]
        return hit.principal
    found = _check_session(session, UserSession.token_hash == key, now)
    if found is None:
        return None
    session_id, user_id, expires_at, last_seen_at = found
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    principal = replace(load_principal(session, user), session_id=session_id)
    with _principals_lock:
        _principals[key] = _Cached(generation, time.monotonic(), expires_at, last_seen_at, principal)
        _principals.move_to_end(key)
        while len(_principals) > 10_000:
            _principals.popitem(last=False)
    return principal


def live_session(session: Session, session_id: int | None, now: datetime | None = None) -> UserSession | None:
    """The session if it is live and its user still active (for what is checked without a token)."""
    row = session.exec(select(UserSession).where(_live_clause(UserSession.id == session_id, now or utcnow()))).first()
    user = session.get(User, row.user_id) if row is not None else None
    return row if user is not None and user.is_active else None


def logout(session: Session, token: str | None, now: datetime | None = None) -> None:
    if not token:
        return
    session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_all_sessions(session: Session, user_id: int, now: datetime | None = None) -> None:
    session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
