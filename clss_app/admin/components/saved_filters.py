"""常用筛选: the list's saved filter sets (apply one, delete one) and the dialog that names a new one."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import State
from clss_app.ui import theme
from models.saved_filter import NAME_MAX

EMPTY = "还没有常用筛选。设好搜索和筛选后，点“保存当前筛选”。"


def _saved_row(S: State, f) -> rx.Component:
    return rx.hstack(
        rx.popover.close(
            rx.el.button(
                f["name"],
                type="button",
                on_click=S.apply_saved_filter(f["id"]),
                class_name="clss-saved-apply",
                title=f["query"],
                data_list_change=True,
                data_saved_filter=f["name"],
            )
        ),
        rx.el.button(
            rx.icon("trash-2", size=13),
            type="button",
            on_click=S.delete_saved_filter(f["id"]),
            class_name="clss-saved-delete",
            aria_label="删除 " + f["name"],
            title="删除",
            data_saved_delete=f["name"],
        ),
        spacing="1",
        align="center",
        width="100%",
    )


def save_filter_dialog(S: State) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("保存为常用筛选"),
            rx.form(
                rx.vstack(
                    rx.text("当前的搜索、筛选和排序将以此名称保存，仅您自己可见。", size="2", color=theme.TEXT_MUTED),
                    rx.text("名称", rx.text.span(" *", color="#dc2626"), size="2", weight="medium"),
                    rx.input(
                        name="name",
                        id="saved-filter-name",
                        placeholder=f"如：本月待收，不超过 {NAME_MAX} 个字",
                        max_length=NAME_MAX + 10,
                        width="100%",
                        auto_focus=True,
                    ),
                    rx.cond(
                        S.save_filter_error != "",
                        rx.text(S.save_filter_error, size="1", color="#dc2626", id="saved-filter-error"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray", type="button")),
                        rx.button("保存", type="submit", id="saved-filter-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=S.save_filter,
                reset_on_submit=False,
            ),
            max_width="420px",
        ),
        open=S.save_filter_open,
        on_open_change=S.save_filter_open_change,
    )


def saved_filters_menu(S: State) -> rx.Component:
    return rx.fragment(
        rx.popover.root(
            rx.popover.trigger(
                rx.button(
                    rx.icon("bookmark", size=14),
                    "常用筛选",
                    rx.icon("chevron-down", size=14),
                    variant="ghost",
                    size="2",
                    type="button",
                    id="saved-filters",
                )
            ),
            rx.popover.content(
                rx.vstack(
                    rx.cond(
                        S.saved_filters.length() == 0,
                        rx.text(EMPTY, size="2", color=theme.TEXT_MUTED),
                        rx.vstack(rx.foreach(S.saved_filters, lambda f: _saved_row(S, f)), spacing="1", width="100%"),
                    ),
                    rx.divider(),
                    rx.popover.close(
                        rx.button(
                            rx.icon("plus", size=14),
                            "保存当前筛选",
                            variant="soft",
                            size="1",
                            type="button",
                            on_click=S.open_save_filter,
                            disabled=(S.filters.length() == 0) & (S.q == ""),
                            id="saved-filter-new",
                        )
                    ),
                    spacing="2",
                    width="100%",
                ),
                width="260px",
                id="saved-filters-panel",
            ),
        ),
        save_filter_dialog(S),
    )
