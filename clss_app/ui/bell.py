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
from clss_app.services import auth, inbox, notices, outbox
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


def _notices_for(token: str, read: int | None = None) -> list[dict[str, str]] | None:
    """The 系统公告 the user has still to read (never cached: marking one read shows at once), after
    marking ``read`` read (the service checks it is theirs to read)."""
    with db.session_scope() as s:
        p = auth.principal_for_token(s, token)
        if p is None:
            return None
        if read is not None:
            notices.mark_read(s, p, read)
        return notices.cards(s, p)


def _messages_for(token: str, read: int | None = None) -> list[dict[str, str]] | None:
    """The user's unread 员工提醒 from the outbox (an approval waiting…), after marking ``read`` read (only
    a message of their own: services/outbox.py)."""
    with db.session_scope() as s:
        p = auth.principal_for_token(s, token)
        if p is None:
            return None
        if read is not None:
            outbox.mark_staff_read(s, p, read)
        return outbox.staff_messages(s, p)


class BellState(AuthState):
    bell_items: list[dict[str, str]] = []
    bell_notices: list[dict[str, str]] = []  # 系统公告 not yet read: counted in the bell, shown on the home page
    bell_total: int = 0
    _bell_token: str = ""  # whose items these are: another login in this tab must not see them
    _notices_token: str = ""
    bell_messages: list[dict[str, str]] = []  # 员工提醒 not yet read (services/outbox.py), counted in the bell
    _messages_token: str = ""

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
                self.bell_total = total(self.bell_items) + len(self.bell_notices) + len(self.bell_messages)

    # The notices are a handler of their own, open to every login on every page (tests/security/forge.py
    # OPEN): what it answers is addressed to the caller, whatever page they are on (services/notices.py).
    @event(background=True)
    async def load_notices(self):
        async with self:
            token = self.token
            if token != self._notices_token:  # another login in this tab: never the last one's notices
                self.bell_total -= len(self.bell_notices)
                self.bell_notices, self._notices_token = [], token
        unread = await asyncio.to_thread(_notices_for, token) or []
        async with self:
            if self.token == token:
                self.bell_total += len(unread) - len(self.bell_notices)
                self.bell_notices = unread

    # Like the notices, open to every login on every page (tests/security/forge.py OPEN): it answers the
    # caller's own messages only.
    @event(background=True)
    async def load_messages(self):
        async with self:
            token = self.token
            if token != self._messages_token:
                self.bell_total -= len(self.bell_messages)
                self.bell_messages, self._messages_token = [], token
        unread = await asyncio.to_thread(_messages_for, token) or []
        async with self:
            if self.token == token:
                self.bell_total += len(unread) - len(self.bell_messages)
                self.bell_messages = unread

    @event
    def mark_message_read(self, notification_message_id: int):
        """已读 of a 员工提醒 this tab shows (the service checks again that it is the user's)."""
        if str(notification_message_id) not in {m["id"] for m in self.bell_messages}:
            return None
        unread = _messages_for(self.token, notification_message_id)
        if unread is None:
            return self._to_login()
        self.bell_total += len(unread) - len(self.bell_messages)
        self.bell_messages = unread
        return None

    @event
    def mark_notice_read(self, notice_id: int):
        """已读, from the home page's card or the bell: only of a notice this tab shows (the service
        checks again that it is addressed to the user)."""
        if str(notice_id) not in {n["id"] for n in self.bell_notices}:
            return None
        unread = _notices_for(self.token, notice_id)
        if unread is None:
            return self._to_login()
        self.bell_total += len(unread) - len(self.bell_notices)
        self.bell_notices = unread
        return None


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


def _notice(n: ObjectVar[dict[str, str]], full: bool) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.icon("megaphone", size=15, color="#ea580c", flex_shrink="0"),
            rx.text(n["title"], size="2", weight="medium", flex="1"),
            rx.cond(full, rx.text(n["day"], size="1", color=theme.TEXT_MUTED)),
            rx.button(
                "标为已读",
                size="1",
                variant="soft",
                on_click=BellState.mark_notice_read(n["id"].to(int)),
                class_name="clss-notice-read",
            ),
            align="center",
            width="100%",
        ),
        rx.cond(full, rx.text(n["body"], size="2", color="#374151", white_space="pre-wrap", padding_top="4px")),
        padding="8px 10px",
        border_radius="6px",
        class_name="clss-notice",
        custom_attrs={"data-notice": n["id"]},
    )


def _message(m: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.icon("bell-ring", size=15, color="#2563eb", flex_shrink="0"),
            rx.text(m["title"], size="2", weight="medium", flex="1"),
            rx.button(
                "标为已读",
                size="1",
                variant="soft",
                on_click=BellState.mark_message_read(m["id"].to(int)),
                class_name="clss-message-read",
            ),
            align="center",
            width="100%",
        ),
        rx.text(m["body"], size="1", color="#374151", padding_top="2px"),
        rx.text(m["day"], size="1", color=theme.TEXT_MUTED),
        padding="8px 10px",
        border_radius="6px",
        class_name="clss-message",
        custom_attrs={"data-message": m["id"]},
    )


def notice_board() -> rx.Component:
    """The home page's card of 系统公告 not yet read (nothing when none)."""
    return rx.cond(
        BellState.bell_notices,
        rx.card(
            rx.text("系统公告", weight="bold", size="3"),
            rx.foreach(BellState.bell_notices, lambda n: _notice(n, True)),
            id="notice-board",
            width="100%",
        ),
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
                on_mount=[BellState.load_bell, BellState.load_notices, BellState.load_messages],
            )
        ),
        rx.popover.content(
            rx.text("待我处理", weight="bold", size="2", padding="2px 10px 6px 10px", as_="div"),
            rx.cond(
                BellState.bell_items,
                rx.foreach(BellState.bell_items, _item),
                rx.text("暂无待办，一切就绪", size="2", color=theme.TEXT_MUTED, padding="8px 10px", as_="div"),
            ),
            rx.cond(
                BellState.bell_messages,
                rx.box(
                    rx.text("消息提醒", weight="bold", size="2", padding="8px 10px 2px 10px", as_="div"),
                    rx.foreach(BellState.bell_messages, _message),
                    id="bell-messages",
                ),
            ),
            rx.cond(
                BellState.bell_notices,
                rx.box(
                    rx.text("系统公告", weight="bold", size="2", padding="8px 10px 2px 10px", as_="div"),
                    rx.foreach(BellState.bell_notices, lambda n: _notice(n, False)),
                    id="bell-notices",
                ),
            ),
            id="bell-list",
            width="280px",
            padding="8px",
        ),
    )
