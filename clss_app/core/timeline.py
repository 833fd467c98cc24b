"""A row's timeline: what happened to it, who did it, when and why, from every log that tells.

The audit log, a room's status log, a bill's payments and approvals each give ``Event``s; ``assemble``
puts them in one order (the latest first) and names the people. Plain Python: services produce
events, the engine shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from models.base import SHANGHAI

SYSTEM = "系统"


class Event(NamedTuple):
    at: dt.datetime | dt.date  # a date alone when the log keeps no time (a payment's 收款日期)
    who: str | int | None  # a login name, or a user's id (a column like recorded_by_id); ""/None: the system
    what: str  # "签约", "空闲可租 → 在租", "登记收款 ¥1,200.00"
    why: str = ""  # a reason, a comment, what changed
    tone: str = ""  # a Radix colour for the dot: "green", "red", … ("" for gray)


def _key(at: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(at, dt.datetime):
        return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    # A date alone sorts at the end of its day in Beijing: after the day's timed events it summarises.
    return dt.datetime.combine(at, dt.time(23, 59, 59), tzinfo=SHANGHAI)


def shown_at(at: dt.datetime | dt.date) -> str:
    if isinstance(at, dt.datetime):
        return _key(at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return at.isoformat()


def assemble(events: Iterable[Event], names: Mapping[str | int, str], limit: int = 100) -> list[dict[str, str]]:
    """The events the latest first (``events`` in the order they happened: of two at the same time the one
    given later shows first), each person by the name the user table gives (``names``: login or user id →
    姓名), else by the login as stored."""
    ordered = sorted(enumerate(events), key=lambda ie: (_key(ie[1].at), ie[0]), reverse=True)
    return [
        {
            "at": shown_at(e.at),
            "who": str(names.get(e.who, e.who)) if e.who else SYSTEM,
            "what": e.what,
            "why": e.why,
            "tone": e.tone or "gray",
        }
        for _, e in ordered[:limit]
    ]
