"""Failed-login counters with a growing delay, safe under parallel attempts.

Three counters answer for each attempt: the typed username from this client address, the username
from everywhere, and the address for any username. An attempt is counted as a failure *before* its
password is checked, by one conditional UPDATE per counter that only passes while the counter lets
an attempt through; the reservation is committed on its own, so parallel attempts see it at once.
A success takes the count back. The numbers are in ``settings`` (LOGIN_*).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from clss_app import db, settings
from clss_app.core.rows import table_of
from models import LoginThrottle

T = LoginThrottle
ANY = ""  # the address of a username's own counter, the username of an address's counter


def client_key(ip: str | None) -> str:
    """The address a counter is kept for: an IPv6 client counts by its /64 (one host holds them all)."""
    try:
        addr = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "unknown"
    if addr.version == 6:
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)


def _open(free: int, now: datetime):
    """SQL: the counter lets an attempt through at ``now``.

    Past ``free`` failures the next attempt waits from the last failure: the first delay, doubled per
    failure, up to the maximum; a counter quiet for LOGIN_FORGET_MINUTES starts again."""
    first = timedelta(seconds=settings.LOGIN_FIRST_DELAY_SECONDS)
    most = timedelta(minutes=settings.LOGIN_MAX_DELAY_MINUTES)
    cases = [T.failures < free, T.last_failed_at <= now - timedelta(minutes=settings.LOGIN_FORGET_MINUTES)]
    step, delay = 0, first
    while delay < most:
        cases.append(sa.and_(T.failures == free + step, T.last_failed_at <= now - delay))
        step, delay = step + 1, delay * 2
    cases.append(sa.and_(T.failures >= free + step, T.last_failed_at <= now - most))
    return sa.or_(*cases)


def _bump(now: datetime):
    quiet = now - timedelta(minutes=settings.LOGIN_FORGET_MINUTES)
    return {"failures": sa.case((T.last_failed_at <= quiet, 1), else_=T.failures + 1), "last_failed_at": now}


def _take(s: Session, username: str, address: str, free: int, now: datetime, count: bool) -> int | None:
    """The counter's failures after counting this attempt (or only asking, ``count=False``); None if it
    says wait. One statement, so two attempts can never both take the last free place."""
    stmt = sa.update(T).where(T.username == username, T.address == address, _open(free, now))
    stmt = stmt.values(**_bump(now)) if count else stmt.values(failures=T.failures)
    return s.execute(stmt.returning(T.failures)).scalar()


def reserve(bind: sa.Engine, username: str, address: str, now: datetime) -> int | None:
    """Count this attempt as a failure before its password is checked, in a transaction of its own.

    Returns the username counter's failures afterwards (0 when this attempt did not add to it), or
    None when any counter says wait: then nothing was counted and no password may be checked."""
    with Session(bind) as s:
        db.insert_ignoring_duplicates(
            s,
            table_of(T),
            [(username, address, 0, now), (username, ANY, 0, now), (ANY, address, 0, now)],
            ["username", "address", "failures", "last_failed_at"],
        )
        pair = _take(s, username, address, settings.LOGIN_FREE_PER_PAIR, now, count=True)
        # One address feeds the username's own counter only with its first few failures.
        counts = pair is not None and pair <= settings.LOGIN_FREE_PER_PAIR
        name = None if pair is None else _take(s, username, ANY, settings.LOGIN_FREE_PER_USERNAME, now, counts)
        place = None if name is None else _take(s, ANY, address, settings.LOGIN_FREE_PER_ADDRESS, now, True)
        if place is None:
            s.rollback()
            return None
        s.commit()
        return name if counts else 0


def forgive(session: Session, username: str, address: str) -> None:
    """A success: the username's counters start again; the address's takes back this one attempt
    (and no more: one good account must not wash an address's other failures away)."""
    for addr in (address, ANY):  # the order ``reserve`` locks them in
        session.execute(sa.update(T).where(T.username == username, T.address == addr).values(failures=0))
    session.execute(
        sa.update(T).where(T.username == ANY, T.address == address, T.failures > 0).values(failures=T.failures - 1)
    )


def waiting(session: Session, usernames: list[str], now: datetime) -> set[str]:
    """Which of these usernames have a counter that makes them wait now (from any address)."""
    if not usernames:
        return set()
    shut = sa.or_(
        sa.and_(T.address == ANY, ~_open(settings.LOGIN_FREE_PER_USERNAME, now)),
        sa.and_(T.address != ANY, ~_open(settings.LOGIN_FREE_PER_PAIR, now)),
    )
    return set(session.exec(select(T.username).where(T.username.in_(usernames), shut)).all())


def clear(session: Session, username: str) -> None:
    """Every counter of this username, from every address."""
    session.execute(sa.delete(T).where(T.username == username))
