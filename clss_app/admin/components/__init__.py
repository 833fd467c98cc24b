"""The generated page for one ModelAdmin: toolbar, filters, table, pager, dialogs.

``admin_body(admin, label, AdminState, AdminIOState)``: the app passes the state classes it composed
(clss_app/admin/state.py); every part binds to those.
"""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import IOState, State
from clss_app.admin.components.detail import detail_dialog
from clss_app.admin.components.dialogs import confirm_dialog
from clss_app.admin.components.filters import filter_bar
from clss_app.admin.components.form import form_dialog
from clss_app.admin.components.import_dialog import import_dialog
from clss_app.admin.components.table import bulk_bar, pager, table, toolbar
from clss_app.admin.view import ModelAdmin
from clss_app.ui.card import card


def history_sync(S: State) -> rx.Component:
    """Back/forward inside a list: assets/clss.js clicks this to hand the popped query to the server."""
    return rx.el.button(
        id="admin-popstate",
        display="none",
        type="button",
        on_click=rx.call_script("window.location.search", callback=S.apply_search),
    )


def admin_body(admin: type[ModelAdmin], label: str, S: State, IO: IOState) -> rx.Component:
    return card(
        rx.vstack(
            history_sync(S),
            toolbar(S, IO, admin, label),
            filter_bar(S, admin),
            bulk_bar(S, admin),
            # "clss-init" until this list's first reply: one state serves every admin, and the
            # rows of the previously viewed list must never show under this list's headers.
            rx.box(
                rx.box(class_name="clss-progress"),
                table(S, admin),
                pager(S, admin),
                id="admin-list",
                width="100%",
                position="relative",
                custom_attrs={"data-route": admin.site.menu[admin.key].route},
                class_name=rx.cond(S.rows_key == admin.key, "", "clss-init"),
            ),
            form_dialog(S, admin, admin.title_noun()),
            detail_dialog(S, admin, admin.title_noun()),
            confirm_dialog(S),
            import_dialog(IO, admin.title_noun()),
            spacing="3",
            width="100%",
        )
    )
