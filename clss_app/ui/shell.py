"""The admin frame: sidebar menu, header with the user, and the page guard."""

from __future__ import annotations

import reflex as rx

from clss_app import menu
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.bell import bell
from clss_app.ui.menu_icons import ENTRY_ICONS


def _brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("house", size=18, color="white"),
            width="30px",
            height="30px",
            min_width="30px",
            border_radius="8px",
            background="linear-gradient(135deg,#3b82f6,#1d4ed8)",
        ),
        rx.vstack(
            rx.text("CLSS Admin", weight="bold", size="3", color="white", line_height="1.1"),
            rx.text("企业租赁服务管理系统", size="1", color=theme.SIDEBAR_MUTED, line_height="1.1"),
            spacing="0",
            class_name="clss-nav-label",
        ),
        spacing="3",
        align="center",
        height=theme.HEADER_HEIGHT,
        min_height=theme.HEADER_HEIGHT,
        border_bottom="1px solid rgba(255,255,255,0.06)",
        class_name="clss-brand",
    )


def _nav_link(key: str, label: str, route: str, icon: str) -> rx.Component:
    """One sidebar entry: its label, or only its icon when the sidebar is collapsed (clss.js then
    gives it the label as a tooltip). ``aria-current`` marks the open page for clss.js and screen readers."""
    path = rx.State.router.url.path
    active = (path == route) | (path == route + "/")  # a reload's address is the page's file: /contracts/
    return rx.link(
        rx.icon(icon, size=16, class_name="clss-nav-icon"),
        rx.text(label, size="2", class_name="clss-nav-label"),
        href=route,
        underline="none",
        color=rx.cond(active, "white", theme.SIDEBAR_TEXT),
        background=rx.cond(active, theme.SIDEBAR_ACTIVE, "transparent"),
        _hover={"background": rx.cond(active, theme.SIDEBAR_ACTIVE, theme.SIDEBAR_HOVER), "color": "white"},
        class_name="clss-nav-link",
        data_menu_key=key,
        custom_attrs={"aria-current": rx.cond(active, "page", "false")},
    )


def _menu_link(entry: menu.MenuEntry, group: menu.MenuGroup) -> rx.Component:
    return rx.cond(
        AuthState.allowed_keys.contains(entry.key),
        _nav_link(entry.key, entry.label, entry.route, ENTRY_ICONS.get(entry.key, group.icon)),
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
                class_name="clss-nav-head",
            ),
            *[_menu_link(e, group) for e in group.entries],
            spacing="1",
            width="100%",
            data_menu_group=group.label,
        ),
    )


def sidebar() -> rx.Component:
    """Dark from the window's top to the bottom of the longest page (the outer box stretches with the
    page), its menu sticky in the window; clss.js keeps the menu's scroll position from page to page
    and the collapsed choice (html[data-sidebar=collapsed], see admin.css)."""
    return rx.el.aside(
        rx.vstack(
            _brand(),
            rx.box(
                _nav_link("home", "首页", "/", "house"),
                *[_menu_group(g) for g in menu.MENU],
                id="clss-nav",
                padding="10px",
                overflow_y="auto",
                overflow_x="hidden",
                flex="1",
                width="100%",
                custom_attrs={"role": "navigation", "aria-label": "主菜单"},
            ),
            rx.el.button(
                rx.icon("panel-left-close", size=16, class_name="clss-nav-icon-toggle"),
                rx.el.span("收起菜单", class_name="clss-nav-label"),
                id="sidebar-toggle",
                class_name="clss-sidebar-toggle",
                title="收起/展开菜单",
                aria_label="收起/展开菜单",
            ),
            spacing="0",
            height="100vh",
            position="sticky",
            top="0",
        ),
        class_name="clss-sidebar",
        background=theme.SIDEBAR_BG,
        align_self="stretch",
    )


def _group_href(group: menu.MenuGroup) -> rx.Var | str:
    """The group's first entry this user may open (the group has no page of its own)."""
    href: rx.Var | str = "/"
    for e in reversed(group.entries):
        href = rx.cond(AuthState.allowed_keys.contains(e.key), e.route, href)
    return href


def _crumbs(entry: menu.MenuEntry) -> rx.Component:
    current = rx.text(entry.label, size="2", color="#111827", weight="medium", id="crumb-current")
    if entry.key == menu.HOME.key:
        return rx.hstack(current, align="center")
    sep = rx.icon("chevron-right", size=14, color=theme.TEXT_MUTED)
    trail: list[rx.Component] = [rx.link("首页", href="/", size="2", color=theme.TEXT_MUTED, id="crumb-home"), sep]
    for g in menu.MENU:
        if entry in g.entries:
            href = _group_href(g)
            trail += [rx.link(g.label, href=href, size="2", color=theme.TEXT_MUTED, id="crumb-group"), sep]
    return rx.hstack(*trail, current, spacing="2", align="center", custom_attrs={"aria-label": "面包屑"})


def header(entry: menu.MenuEntry) -> rx.Component:
    return rx.hstack(
        _crumbs(entry),
        rx.spacer(),
        rx.hstack(
            bell(),
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
    return rx.hstack(
        sidebar(),
        rx.vstack(
            header(entry),
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
