"""The white panel each part of a page sits in. Plain Reflex and the theme, no app state: the engine's
components use it as the pages do (the frame around them, ui/shell.py, is the app's)."""

from __future__ import annotations

import reflex as rx

from clss_app.ui import theme


def card(*children, **props) -> rx.Component:
    return rx.box(
        *children,
        background="white",
        border=f"1px solid {theme.BORDER}",
        border_radius="10px",
        padding="18px 20px",
        width="100%",
        **props,
    )
