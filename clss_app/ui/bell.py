"""The header's bell: what waits for the user (待我处理, services/inbox.py), with its count.

Loaded beside the page, never in its way: the page's own events do not wait for it (a background
event), and one login's answer is kept for ``TTL`` seconds in this worker, so clicking through ten
pages costs one set of counts, not ten. The counts take about 10 ms on the demo data and 18 ms with a
million bills (SQLite; the inbox's counts use the bill's (project_id, state, due_date) index).
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx
from reflex.vars import ObjectVar
from sqlmodel import Session

from clss_app import db, menu
from clss_app.compat import event
from clss_app.services import auth, inbox
from clss_app.services.permissions import Principal
from clss_app.state import AuthState
from clss_app.ui import theme

TTL = 30.0
_cache: dict[tuple, tuple[float, list[dict[str, str]]]] = {}


def todo_links(session: Session, p: Principal) -> list[dict[str, str]]:
    """待我处理 with a link to the list behind each item (the home page's table and the bell)."""
    return [
        {**i, "href": menu.ENTRIES[i["key"]].route + (f"?{i['query']}" if i["query"] else "")}
        for i in inbox.todo(session, p, menu.visible_keys(p.role))
    ]


def total(items: list[dict[str, str]]) -> int:
    return sum(int(i["count"].replace(",", "")) for i in items)


def cached_todo(session: Session, p: Principal, now: float | None = None) -> list[dict[str, str]]:
    """todo_links, remembered per login session for TTL seconds (a changed role or scope is a new key;
    so is a new login, which thus always starts with fresh counts)."""
    now = time.monotonic() if now is None else now
    key = (p.session_id, p.user_id, p.role, p.unit_ids, p.project_ids)
    hit = _cache.get(key)
    if hit and hit[0] > now:
        return hit[1]
    items = todo_links(session, p)
    if len(_cache) > 1000:  # users who left: forget what has expired
        for k in [k for k, (until, _) in _cache.items() if until <= now]:
            del _cache[k]
    _cache[key] = (now + TTL, items)
    return items


def _todo_for(token: str) -> list[dict[str, str]] | None:
    with db.session_scope() as s:
        p = auth.principal_for_token(s, token)
        return None if p is None else cached_todo(s, p)


class BellState(AuthState):
    bell_items: list[dict[str, str]] = []
    bell_total: int = 0
    _bell_token: str = ""  # whose items these are: another login in this tab must not see them

    @event(background=True)
    async def load_bell(self):
        async with self:
            token = self.token
            if token != self._bell_token:
                self.bell_items, self.bell_total, self._bell_token = [], 0, token
        items = await asyncio.to_thread(_todo_for, token)
        async with self:
            if self.token == token:
                self.bell_items = items or []
                self.bell_total = total(self.bell_items)


def _item(i: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.text(i["item"], size="2"),
            rx.spacer(),
            rx.badge(i["count"], color_scheme="red", variant="soft"),
            align="center",
            width="100%",
        ),
        href=i["href"],
        underline="none",
        color="#111827",
        display="block",
        padding="8px 10px",
        border_radius="6px",
        _hover={"background": theme.PAGE_BG},
        class_name="clss-bell-item",
    )


def bell() -> rx.Component:
    _badge = rx.cond(BellState.bell_total > 99, "99+", BellState.bell_total)
    return rx.popover.root(
        rx.popover.trigger(
            rx.el.button(
                rx.icon("bell", size=18),
                rx.cond(BellState.bell_total > 0, rx.el.span(_badge, class_name="clss-bell-n")),
                id="bell",
                class_name="clss-bell",
                title="待我处理",
                aria_label="待我处理",
                custom_attrs={"data-count": BellState.bell_total},
                on_mount=BellState.load_bell,
            )
        ),
        rx.popover.content(
            rx.text("待我处理", weight="bold", size="2", padding="2px 10px 6px 10px", as_="div"),
            rx.cond(
                BellState.bell_items,
                rx.foreach(BellState.bell_items, _item),
                rx.text("暂无待办，一切就绪", size="2", color=theme.TEXT_MUTED, padding="8px 10px", as_="div"),
            ),
            id="bell-list",
            width="280px",
            padding="8px",
        ),
    )
