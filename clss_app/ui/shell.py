"""The admin frame: sidebar menu, header with the user, and the page guard."""

from __future__ import annotations

import reflex as rx

from clss_app import menu
from clss_app.state import AuthState
from clss_app.ui import theme


def _brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("house", size=18, color="white"),
            width="30px",
            height="30px",
            border_radius="8px",
            background="linear-gradient(135deg,#3b82f6,#1d4ed8)",
        ),
        rx.vstack(
            rx.text("CLSS Admin", weight="bold", size="3", color="white", line_height="1.1"),
            rx.text("企业租赁服务管理系统", size="1", color=theme.SIDEBAR_MUTED, line_height="1.1"),
            spacing="0",
        ),
        spacing="3",
        align="center",
        padding="16px 18px",
        height=theme.HEADER_HEIGHT,
        border_bottom="1px solid rgba(255,255,255,0.06)",
    )


def _menu_link(entry: menu.MenuEntry) -> rx.Component:
    active = rx.State.router.url.path == entry.route
    return rx.cond(
        AuthState.allowed_keys.contains(entry.key),
        rx.link(
            rx.text(entry.label, size="2"),
            href=entry.route,
            underline="none",
            color=rx.cond(active, "white", theme.SIDEBAR_TEXT),
            background=rx.cond(active, theme.SIDEBAR_ACTIVE, "transparent"),
            border_radius="6px",
            padding="6px 12px 6px 38px",
            display="block",
            _hover={"background": rx.cond(active, theme.SIDEBAR_ACTIVE, theme.SIDEBAR_HOVER), "color": "white"},
            data_menu_key=entry.key,
        ),
    )


def _menu_group(group: menu.MenuGroup) -> rx.Component:
    return rx.cond(
        AuthState.allowed_groups.contains(group.label),
        rx.vstack(
            rx.hstack(
                rx.icon(group.icon, size=16),
                rx.text(group.label, size="2", weight="medium"),
                spacing="2",
                align="center",
                color=theme.SIDEBAR_MUTED,
                padding="10px 12px 4px 12px",
            ),
            *[_menu_link(e) for e in group.entries],
            spacing="1",
            width="100%",
            data_menu_group=group.label,
        ),
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        _brand(),
        rx.box(
            rx.link(
                rx.hstack(rx.icon("house", size=16), rx.text("首页", size="2"), spacing="2", align="center"),
                href="/",
                underline="none",
                display="block",
                border_radius="6px",
                padding="8px 12px",
                color=rx.cond(rx.State.router.url.path == "/", "white", theme.SIDEBAR_TEXT),
                background=rx.cond(rx.State.router.url.path == "/", theme.SIDEBAR_ACTIVE, "transparent"),
                _hover={"color": "white"},
                data_menu_key="home",
            ),
            *[_menu_group(g) for g in menu.MENU],
            padding="10px",
            overflow_y="auto",
            flex="1",
            width="100%",
            custom_attrs={"role": "navigation"},
        ),
        spacing="0",
        width=theme.SIDEBAR_WIDTH,
        min_width=theme.SIDEBAR_WIDTH,
        height="100vh",
        background=theme.SIDEBAR_BG,
        position="sticky",
        top="0",
    )


def header(crumbs: list[str]) -> rx.Component:
    trail = []
    for i, c in enumerate(crumbs):
        if i:
            trail.append(rx.icon("chevron-right", size=14, color=theme.TEXT_MUTED))
        trail.append(
            rx.text(
                c,
                size="2",
                color="#111827" if i == len(crumbs) - 1 else theme.TEXT_MUTED,
                weight="medium" if i == len(crumbs) - 1 else "regular",
            )
        )
    return rx.hstack(
        rx.hstack(*trail, spacing="2", align="center"),
        rx.spacer(),
        rx.hstack(
            rx.center(
                rx.text(AuthState.display_name[0:1], size="2", weight="bold", color="white"),
                width="32px",
                height="32px",
                border_radius="50%",
                background="#2563eb",
            ),
            rx.vstack(
                rx.text(AuthState.display_name, size="2", weight="medium", id="current-user"),
                rx.text(AuthState.unit_name, size="1", color=theme.TEXT_MUTED),
                spacing="0",
            ),
            rx.badge(AuthState.role_label, variant="soft", color_scheme="indigo", id="current-role"),
            rx.separator(orientation="vertical", size="2"),
            rx.button(
                rx.icon("log-out", size=15),
                "退出登录",
                variant="ghost",
                color_scheme="gray",
                on_click=AuthState.logout,
                id="logout",
            ),
            spacing="3",
            align="center",
        ),
        # Which worker holds this tab's connection: for support (and the cross-worker test), not for show.
        custom_attrs={"data-node": AuthState.served_by},
        height=theme.HEADER_HEIGHT,
        padding_x="24px",
        align="center",
        width="100%",
        background="white",
        border_bottom=f"1px solid {theme.BORDER}",
        position="sticky",
        top="0",
        z_index="5",
    )


def forbidden() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("shield-x", size=48, color="#dc2626"),
            rx.heading("无权访问此页面", size="5", id="forbidden"),
            rx.text("您的角色没有打开此页面的权限。如需开通，请联系系统管理员。", color=theme.TEXT_MUTED),
            rx.link(rx.button("返回首页", variant="soft"), href="/"),
            align="center",
            spacing="3",
        ),
        padding="80px 0",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="80px 0")


def admin_page(key: str, body: rx.Component, entry: menu.MenuEntry | None = None) -> rx.Component:
    """A page behind the login: the frame, and the body only once the guard said ok."""
    entry = entry or menu.ENTRIES[key]
    crumbs = [g.label for g in menu.MENU if entry in g.entries] + [entry.label]
    return rx.hstack(
        sidebar(),
        rx.vstack(
            header(crumbs),
            rx.box(
                rx.match(AuthState.page_status, ("ok", body), ("forbidden", forbidden()), loading()),
                padding="20px 24px",
                width="100%",
                flex="1",
            ),
            spacing="0",
            flex="1",
            min_width="0",
            min_height="100vh",
            background=theme.PAGE_BG,
        ),
        spacing="0",
        width="100%",
        align="start",
        font_family=theme.FONT,
    )
