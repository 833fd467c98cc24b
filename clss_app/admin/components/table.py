"""The list itself: title and buttons, the bar of a selection, the table of rows, the pager."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import IOState, State, action_buttons, unless_hidden
from clss_app.admin.fields import HINT
from clss_app.admin.look import column_look, tones
from clss_app.admin.view import ModelAdmin
from clss_app.ui import theme


def toolbar(S: State, IO: IOState, admin: type[ModelAdmin], label: str) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.heading(label, size="5"),
            rx.text("共 ", rx.text.strong(S.total_text, id="admin-total"), " 条", size="2", color=theme.TEXT_MUTED),
            spacing="1",
        ),
        rx.spacer(),
        rx.cond(
            IO.io_busy,
            rx.hstack(
                rx.spinner(size="2"),
                rx.text(IO.io_message, size="2"),
                rx.progress(value=IO.io_progress, width="120px"),
                align="center",
                id="io-progress",
            ),
        ),
        rx.cond(
            S.perms["import"],
            rx.button(rx.icon("upload", size=15), "导入", variant="soft", on_click=IO.open_import, id="admin-import"),
        ),
        rx.cond(
            S.perms["export"],
            rx.menu.root(
                rx.menu.trigger(
                    rx.button(
                        rx.icon("download", size=15), "导出", variant="soft", id="admin-export", disabled=IO.io_busy
                    )
                ),
                rx.menu.content(
                    rx.menu.item("导出 Excel（全部符合条件的记录）", on_click=IO.export("xlsx"), id="export-xlsx"),
                    rx.menu.item("导出 CSV（全部符合条件的记录）", on_click=IO.export("csv"), id="export-csv"),
                ),
            ),
        ),
        rx.cond(
            S.perms["create"],
            rx.button(
                rx.icon("plus", size=15),
                admin.create_label or "新增",
                on_click=S.open_create(admin.key),
                id="admin-create",
            ),
        ),
        width="100%",
        align="center",
        spacing="3",
    )


def bulk_bar(S: State, admin: type[ModelAdmin]) -> rx.Component:
    # Only the actions valid for every ticked row (for every matching row): the server's list.
    buttons = action_buttons(admin.actions, S.bulk_actions, S.ask_action, "action-")
    return rx.cond(
        S.selected.length() > 0,
        rx.hstack(
            rx.text(
                rx.cond(
                    S.all_matching,
                    "已选择全部 " + S.total_text + " 条符合条件的记录",
                    "已选 " + S.selected.length().to_string() + " 条",
                ),
                size="2",
                weight="medium",
                id="selection-count",
            ),
            rx.cond(
                ~S.all_matching & (S.total > S.rows.length()),
                rx.link(
                    "选择全部 " + S.total_text + " 条符合条件的记录",
                    on_click=S.select_all_matching,
                    size="2",
                    id="select-all-matching",
                    cursor="pointer",
                ),
            ),
            rx.spacer(),
            rx.cond(S.bulk_hint != "", rx.text(S.bulk_hint, size="1", color=theme.TEXT_MUTED, id="bulk-hint")),
            *buttons,
            rx.cond(
                S.perms["delete"],
                rx.button(
                    "删除",
                    size="2",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.ask_action("__delete__"),
                    id="action-delete",
                ),
            ),
            rx.button("取消选择", size="2", variant="ghost", on_click=S.clear_selection),
            width="100%",
            align="center",
            padding="8px 12px",
            background="#eff6ff",
            border="1px solid #bfdbfe",
            border_radius="8px",
        ),
    )


def _col_class(admin, name: str) -> str:
    """The column's width and alignment by its field's kind (admin/look.py); the first column sticks
    to the left while the table scrolls sideways."""
    first = " clss-sticky-first" if admin.list_columns and name == admin.list_columns[0] else ""
    return column_look(admin.fields[name]).classes + first


def _header_cell(S: State, admin, name: str) -> rx.Component:
    return unless_hidden(S, name, _header_cell_inner(S, admin, name))


def _header_cell_inner(S: State, admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    cls = "clss-th " + _col_class(admin, name)
    if name not in admin.sortable_fields():
        return rx.table.column_header_cell(spec.label, class_name=cls)
    icon = rx.cond(
        S.sort == name,
        rx.icon("arrow-up", size=13),
        rx.cond(
            S.sort == f"-{name}", rx.icon("arrow-down", size=13), rx.icon("arrow-up-down", size=13, color="#cbd5e1")
        ),
    )
    return rx.table.column_header_cell(
        rx.hstack(
            rx.text(spec.label),
            icon,
            spacing="1",
            align="center",
            cursor="pointer",
            on_click=S.sort_by(name),
            data_sort=name,
            data_list_change=True,
            justify="end" if column_look(spec).align == "right" else "start",
            class_name="clss-sort",
        ),
        class_name=cls + " clss-sortable",
    )


def _cell(admin, name: str, r) -> rx.Component:
    # Plain <td>s styled as Radix Themes' cells (assets/admin.css): the same look, a fraction of
    # the React work per render (every state delta re-renders the whole table).
    spec = admin.fields[name]
    look = column_look(spec)
    cls = "clss-cell " + _col_class(admin, name)
    if spec.kind == "image":
        return rx.el.td(rx.cond(r[name] != "", rx.el.img(src=r[name], class_name="clss-thumb"), ""), class_name=cls)
    if look.badge:  # a state: a badge coloured by what it means (look.tone_of), one mapping for every list
        tone = rx.match(r[name], *[(label, t) for label, t in tones(spec).items()], "blue")
        return rx.el.td(
            rx.cond(r[name] != "", rx.el.span(r[name], class_name="clss-badge", data_tone=tone)), class_name=cls
        )
    if spec.hint:  # a code's name, the code itself small beside it (a parameter's key)
        return rx.el.td(r[name], rx.el.span(r[name + HINT], class_name="clss-hint"), class_name=cls)
    if look.ellipsis:  # long text: cut at the column's max width, the whole of it in the tooltip
        return rx.el.td(rx.el.div(r[name], title=r[name], class_name="clss-ellipsis"), class_name=cls)
    return rx.el.td(r[name], class_name=cls)


ACTION_CELL_WIDTH = "140px"


def action_cell(S: State, admin: type[ModelAdmin], r) -> rx.Component:
    """操作, at most three items wide: the row's primary action (the first that applies to it, see
    Action.when) as a button, 查看, and 更多 holding 编辑 and the other actions that apply; a row
    without a primary action shows 编辑 in its place. The row carries which ones (``_primary``,
    ``_acts``, ``_more``: computed on the server for the viewer's role, states/listing.py)."""
    if not admin.actions:
        return rx.el.td(
            rx.el.div(_view_link(S, r), _edit_link(S, r), class_name="clss-row-actions"),
            class_name="clss-cell clss-nowrap clss-ops",
        )
    has_primary = r["_primary"] != ""
    primary = [
        rx.cond(
            r["_primary"] == a.name,
            rx.el.button(
                a.label,
                type="button",
                on_click=S.row_action(r["id"], a.name),
                class_name="clss-row-primary clss-row-danger" if a.danger else "clss-row-primary",
                data_row_action=a.name,
            ),
        )
        for a in admin.actions
        if a.primary
    ]
    others = [
        rx.cond(
            r["_acts"].contains(f",{a.name},") & (r["_primary"] != a.name),
            rx.menu.item(
                a.label,
                on_click=S.row_action(r["id"], a.name),
                color="red" if a.danger else None,
                data_row_action=a.name,
            ),
        )
        for a in admin.actions
    ]
    more = rx.menu.root(
        rx.menu.trigger(rx.el.button("更多", type="button", class_name="clss-link", data_row_action="more")),
        rx.menu.content(
            rx.cond(
                S.perms["update"] & has_primary & (r["_edit"] == "1"),
                rx.menu.item("编辑", on_click=S.open_edit(r["id"]), data_row_action="edit"),
            ),
            *others,
            size="1",
        ),
    )
    return rx.el.td(
        rx.el.div(
            *primary,
            _view_link(S, r),
            rx.cond(has_primary, rx.fragment(), _edit_link(S, r)),
            rx.cond((S.perms["update"] & has_primary & (r["_edit"] == "1")) | (r["_more"] == "1"), more),
            class_name="clss-row-actions",
        ),
        class_name="clss-cell clss-nowrap clss-ops",
    )


def _view_link(S: State, r) -> rx.Component:
    return rx.el.button("查看", type="button", on_click=S.open_detail(r["id"]), class_name="clss-link")


def _edit_link(S: State, r) -> rx.Component:
    return rx.cond(
        S.perms["update"] & (r["_edit"] == "1"),
        rx.el.button("编辑", type="button", on_click=S.open_edit(r["id"]), class_name="clss-link"),
    )


def table(S: State, admin: type[ModelAdmin]) -> rx.Component:
    cols = admin.list_columns

    def row(r):
        return rx.el.tr(
            rx.el.td(
                rx.el.input(
                    type="checkbox",
                    checked=S.selected.contains(r["id"]),
                    class_name="clss-check",
                    on_change=lambda _: S.toggle_row(r["id"]),
                ),
                class_name="clss-cell clss-sticky-check",
            ),
            *[unless_hidden(S, n, _cell(admin, n, r)) for n in cols],
            action_cell(S, admin, r),
            class_name="clss-row",
            data_row_id=r["id"],
        )

    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(
                        rx.el.input(
                            type="checkbox",
                            checked=(S.rows.length() > 0) & (S.selected.length() >= S.rows.length()),
                            on_change=lambda _: S.toggle_page(),
                            id="select-page",
                            class_name="clss-check",
                        ),
                        class_name="clss-th clss-sticky-check",
                    ),
                    *[_header_cell(S, admin, n) for n in cols],
                    rx.table.column_header_cell("操作", width=ACTION_CELL_WIDTH, class_name="clss-th clss-ops"),
                )
            ),
            rx.el.tbody(rx.foreach(S.rows, row), class_name="clss-body"),
            width="100%",
            size="2",
            id="admin-table",
        ),
        rx.cond(
            S.rows.length() == 0,
            rx.center(
                rx.vstack(
                    rx.icon("inbox", size=32, color="#94a3b8"),
                    rx.text("暂无符合条件的数据", color=theme.TEXT_MUTED, id="admin-empty"),
                    align="center",
                ),
                padding="40px 0",
                class_name="clss-empty",
            ),
        ),
        width="100%",
        class_name="clss-table-wrap",
    )


def pager(S: State, admin: type[ModelAdmin]) -> rx.Component:
    return rx.hstack(
        rx.text("每页", size="2", color=theme.TEXT_MUTED, white_space="nowrap"),
        rx.el.select(
            *[rx.el.option(f"{n} 条", value=str(n)) for n in admin.page_sizes],
            value=S.page_size.to_string(),
            on_change=S.set_page_size,
            id="page-size",
            class_name="clss-select clss-select-small",
            data_list_change=True,
        ),
        rx.spacer(),
        rx.button(
            rx.icon("chevron-left", size=14),
            "上一页",
            size="1",
            variant="soft",
            on_click=S.go_page((S.page - 1).to(int)),
            disabled=S.page <= 1,
            id="page-prev",
            data_list_change=True,
        ),
        rx.text(
            "第 ", rx.text.strong(S.page, id="page-current"), " / ", S.pages_text, " 页", size="2", white_space="nowrap"
        ),
        rx.button(
            "下一页",
            rx.icon("chevron-right", size=14),
            size="1",
            variant="soft",
            on_click=S.go_page((S.page + 1).to(int)),
            disabled=S.page >= S.pages,
            id="page-next",
            data_list_change=True,
        ),
        rx.form(
            rx.hstack(
                rx.input(name="page", placeholder="页码", width="64px", size="1", id="page-jump"),
                rx.button("跳转", size="1", variant="soft", type="submit"),
                spacing="1",
            ),
            on_submit=S.jump,
            data_list_change=True,
        ),
        width="100%",
        align="center",
        spacing="3",
    )
