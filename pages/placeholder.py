"""Menu entries whose pages later issues build: guarded, and honest about it."""

import reflex as rx

from clss_app import menu
from clss_app.ui import theme
from clss_app.ui.card import card


def placeholder(entry: menu.MenuEntry) -> rx.Component:
    return card(
        rx.vstack(
            rx.icon("construction", size=40, color="#f59e0b"),
            rx.heading(entry.label, size="5"),
            rx.text("该功能正在建设中，将在后续版本上线。", color=theme.TEXT_MUTED, id="placeholder-note"),
            align="center",
            spacing="3",
            padding="56px 0",
        ),
    )
