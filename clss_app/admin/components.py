"""The generated page for one ModelAdmin: toolbar, filters, table, pager, dialogs."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.state import AdminIOState as IO
from clss_app.admin.state import AdminState as S
from clss_app.admin.view import ModelAdmin
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.shell import card
from clss_app.upload_guard import SESSION_HEADER


def _files(upload_id: str):
    """The files of an upload, sent with the login token: the upload guard refuses them without it."""
    return rx.upload_files(upload_id=upload_id, extra_headers={SESSION_HEADER: AuthState.token})


def _filter_value(key: str):
    return rx.cond(S.filters.contains(key), S.filters[key], "")


def _options(name: str):
    return rx.cond(S.fk_options.contains(name), S.fk_options[name], [])


def _select_filter(admin, name: str, options) -> rx.Component:
    """A native <select>: choosing costs one change event, where a Radix Select's portal,
    focus trap and page-wide aria-hidden cost ~70 ms of main thread on a 50-row page."""
    spec = admin.fields[name]
    return rx.el.select(
        rx.el.option(f"{spec.label}：全部", value=""),
        options,
        value=rx.cond(S.filters.contains(name), S.filters[name], ""),
        on_change=lambda v: S.set_filter(name, v),
        name=f"f_{name}",
        title=spec.label,
        class_name="clss-select",
        data_filter=name,
        data_list_change=True,
    )


def _choice_filter(admin, name: str) -> rx.Component:
    label = admin.fields[name].label
    return _select_filter(
        admin,
        name,
        rx.fragment(*[rx.el.option(f"{label}：{text}", value=value) for value, text in admin.fields[name].choices()]),
    )


def _fk_filter(admin, name: str) -> rx.Component:
    label = admin.fields[name].label
    return _select_filter(
        admin, name, rx.foreach(_options(name), lambda o: rx.el.option(f"{label}：" + o["label"], value=o["id"]))
    )


def _range_filter(admin, name: str, input_type: str) -> rx.Component:
    spec = admin.fields[name]

    def box(suffix, placeholder):
        key = f"{name}{suffix}"
        return rx.input(
            type=input_type,
            placeholder=placeholder,
            default_value=_filter_value(key),
            key=_filter_value(key),
            on_blur=lambda v: S.set_filter(key, v),
            size="2",
            width="130px" if input_type == "date" else "100px",
            name=f"f_{key}",
        )

    return rx.hstack(
        rx.text(spec.label, size="2", color=theme.TEXT_MUTED),
        box("__gte", "从"),
        rx.text("–", size="2"),
        box("__lte", "到"),
        spacing="1",
        align="center",
    )


def filter_bar(admin: type[ModelAdmin]) -> rx.Component:
    parts = []
    for name in (n for n in admin.filters if n not in admin.only):  # a view of one state needs no state filter
        fk = admin.fields[name].filter_kind
        if fk == "choice":
            parts.append(_unless_hidden(name, _choice_filter(admin, name)))
        elif fk == "fk":
            parts.append(_unless_hidden(name, _fk_filter(admin, name)))
        elif fk == "range":
            parts.append(_unless_hidden(name, _range_filter(admin, name, "number")))
        elif fk == "daterange":
            parts.append(_unless_hidden(name, _range_filter(admin, name, "date")))
    search = []
    if admin.search:
        search = [
            rx.form(
                rx.hstack(
                    rx.input(
                        rx.input.slot(rx.icon("search", size=15)),
                        name="q",
                        placeholder="搜索" + S.search_labels,
                        default_value=S.q,
                        key=S.q,
                        width="240px",
                        max_length=64,
                        id="admin-search",
                    ),
                    rx.button("查询", type="submit", variant="soft"),
                    spacing="2",
                ),
                on_submit=S.search,
                width="auto",
                data_list_change=True,
            )
        ]
    return rx.hstack(
        *search,
        *parts,
        rx.cond(
            (S.filters.length() > 0) | (S.q != ""),
            rx.button(
                rx.icon("x", size=14),
                "清除筛选",
                variant="ghost",
                size="2",
                on_click=S.clear_filters,
                data_list_change=True,
            ),
        ),
        spacing="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


def toolbar(admin: type[ModelAdmin], label: str) -> rx.Component:
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
            S.perms[CREATE_KEY],
            rx.button(rx.icon("plus", size=15), "新增", on_click=S.open_create(admin.key), id="admin-create"),
        ),
        width="100%",
        align="center",
        spacing="3",
    )


CREATE_KEY, DELETE_KEY = "create", "delete"


def bulk_bar(admin: type[ModelAdmin]) -> rx.Component:
    buttons = [
        rx.cond(
            S.action_perms[a.name],
            rx.button(
                a.label,
                size="2",
                variant="soft",
                color_scheme="red" if a.danger else "blue",
                on_click=S.ask_action(a.name),
                id=f"action-{a.name}",
            ),
        )
        for a in admin.actions
    ]
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
            *buttons,
            rx.cond(
                S.perms[DELETE_KEY],
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


def _unless_hidden(name: str, component: rx.Component) -> rx.Component:
    """Columns and filters hidden from the viewer's role are not rendered (nor sent: see _display_rows)."""
    return rx.cond(S.hidden_columns.contains(name), rx.fragment(), component)


def _header_cell(admin, name: str) -> rx.Component:
    return _unless_hidden(name, _header_cell_inner(admin, name))


def _header_cell_inner(admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    if name not in admin.sortable_fields():
        return rx.table.column_header_cell(spec.label)
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
        ),
    )


def _cell(admin, name: str, r, numeric: bool) -> rx.Component:
    # Plain <td>s with Radix Themes' own class names: the same look, a fraction of the
    # React work per render (every state delta re-renders the whole table).
    if admin.fields[name].kind == "image":
        return rx.el.td(
            rx.cond(r[name] != "", rx.el.img(src=r[name], class_name="clss-thumb"), ""), class_name="rt-TableCell"
        )
    return rx.el.td(r[name], class_name="rt-TableCell clss-num" if numeric else "rt-TableCell clss-nowrap")


def table(admin: type[ModelAdmin]) -> rx.Component:
    cols = admin.list_columns
    numeric = {n for n in cols if admin.fields[n].kind in ("money", "decimal", "int")}

    def row(r):
        return rx.el.tr(
            rx.el.td(
                rx.el.input(
                    type="checkbox",
                    checked=S.selected.contains(r["id"]),
                    class_name="clss-check",
                    on_change=lambda _: S.toggle_row(r["id"]),
                ),
                class_name="rt-TableCell",
            ),
            *[_unless_hidden(n, _cell(admin, n, r, n in numeric)) for n in cols],
            rx.el.td(
                rx.el.button("查看", type="button", on_click=S.open_detail(r["id"]), class_name="clss-link"),
                rx.cond(
                    S.perms["update"],
                    rx.el.button("编辑", type="button", on_click=S.open_edit(r["id"]), class_name="clss-link"),
                ),
                class_name="rt-TableCell clss-nowrap",
            ),
            class_name="rt-TableRow",
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
                        width="36px",
                    ),
                    *[_header_cell(admin, n) for n in cols],
                    rx.table.column_header_cell("操作", width="110px"),
                )
            ),
            rx.el.tbody(rx.foreach(S.rows, row), class_name="rt-TableBody"),
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
        overflow_x="auto",
    )


def pager(admin: type[ModelAdmin]) -> rx.Component:
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
            on_click=S.go_page(S.page - 1),
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
            on_click=S.go_page(S.page + 1),
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


# ---------------------------------------------------------------- form


def _fk_picker(admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    shown = rx.cond(
        S.fk_labels_shown.contains(name) & (S.fk_labels_shown[name] != ""),
        S.fk_labels_shown[name],
        f"请选择{spec.label}",
    )
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                shown,
                rx.icon("chevrons-up-down", size=14),
                variant="surface",
                color_scheme="gray",
                width="100%",
                justify_content="space-between",
                type="button",
                id=f"fk-{name}",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.input(
                    placeholder=f"搜索{spec.label}",
                    on_change=lambda v: S.fk_search(name, v).debounce(250),
                    width="100%",
                    data_fk_search=name,
                ),
                rx.scroll_area(
                    rx.vstack(
                        rx.foreach(
                            _options(name),
                            lambda o: rx.popover.close(
                                rx.box(
                                    rx.text(o["label"], size="2"),
                                    padding="6px 8px",
                                    border_radius="6px",
                                    cursor="pointer",
                                    width="100%",
                                    _hover={"background": "#eff6ff"},
                                    on_click=S.pick_fk(name, o["id"], o["label"]),
                                    data_option=o["label"],
                                )
                            ),
                        ),
                        spacing="0",
                        width="100%",
                    ),
                    max_height="220px",
                    type="auto",
                ),
                spacing="2",
                width="100%",
            ),
            width="320px",
        ),
    )


def _many_picker(admin, name: str) -> rx.Component:
    """Chosen rows as chips (× removes one) and a searchable list to add more."""
    spec = admin.fields[name]
    chosen = rx.cond(S.many_shown.contains(name), S.many_shown[name], [])
    readonly = S.readonly_fields.contains(name)
    chip = lambda c: rx.badge(  # noqa: E731
        c["label"],
        rx.cond(
            readonly,
            rx.fragment(),
            rx.el.button(
                "×",
                type="button",
                on_click=S.remove_many(name, c["id"]),
                class_name="clss-chip-x",
                aria_label="移除 " + c["label"],
            ),
        ),
        variant="soft",
        size="2",
        data_chip=c["label"],
    )
    add = rx.popover.root(
        rx.popover.trigger(
            rx.button(rx.icon("plus", size=14), "添加", size="1", variant="soft", type="button", id=f"many-{name}")
        ),
        rx.popover.content(
            rx.vstack(
                rx.input(
                    placeholder=f"搜索{spec.label}",
                    on_change=lambda v: S.fk_search(name, v).debounce(250),
                    width="100%",
                    data_fk_search=name,
                ),
                rx.scroll_area(
                    rx.vstack(
                        rx.foreach(
                            _options(name),
                            lambda o: rx.box(
                                rx.text(o["label"], size="2"),
                                padding="6px 8px",
                                border_radius="6px",
                                cursor="pointer",
                                width="100%",
                                _hover={"background": "#eff6ff"},
                                on_click=S.add_many(name, o["id"], o["label"]),
                                data_option=o["label"],
                            ),
                        ),
                        spacing="0",
                        width="100%",
                    ),
                    max_height="220px",
                    type="auto",
                ),
                spacing="2",
                width="100%",
            ),
            width="320px",
        ),
    )
    return rx.flex(
        rx.foreach(chosen, chip),
        rx.cond(readonly, rx.fragment(), add),
        rx.cond(chosen.length() == 0, rx.text("未选择", size="2", color=theme.TEXT_MUTED)),
        wrap="wrap",
        gap="6px",
        align="center",
        width="100%",
        id=f"field-{name}",
    )


def _file_input(admin, name: str, value) -> rx.Component:
    from clss_app.admin import attachments

    spec, upload_id = admin.fields[name], f"upload-{name}"
    types = spec.extra.get("types", attachments.DEFAULT_TYPES)
    accept = {mime: exts for t in types for mime, exts in attachments.ACCEPT[t].items()}
    hint = (
        "、".join(attachments.KINDS[t] for t in types)
        + f"，不超过 {spec.extra.get('max_mb', attachments.DEFAULT_MAX_MB)} MB"
    )
    shown = value.split("/")[1]  # "<hash>.<ext>/<name>"; names never hold "/"
    return rx.hstack(
        rx.cond(
            value != "",
            rx.hstack(
                rx.icon("paperclip", size=14), rx.text(shown, size="2", id=f"file-{name}"), spacing="1", align="center"
            ),
            rx.text("未上传", size="2", color=theme.TEXT_MUTED),
        ),
        rx.upload.root(
            rx.hstack(
                rx.button(rx.icon("upload", size=14), "上传文件", size="1", variant="soft", type="button"),
                rx.text(hint, size="1", color=theme.TEXT_MUTED),
                spacing="2",
                align="center",
            ),
            id=upload_id,
            max_files=1,
            multiple=False,
            accept=accept,
            on_drop=S.upload_field(_files(upload_id), name),
            border="none",
            padding="0",
        ),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def _images_input(admin, name: str, value) -> rx.Component:
    from clss_app.admin.media import ROUTE

    spec, upload_id = admin.fields[name], f"upload-{name}"
    most, max_mb = spec.extra.get("max_count", 9), spec.extra.get("max_mb", 5)

    def thumb(img):
        return rx.cond(
            img != "",
            rx.box(
                rx.image(
                    src=ROUTE + "/" + img,
                    height="64px",
                    width="86px",
                    object_fit="cover",
                    border_radius="6px",
                    border=f"1px solid {theme.BORDER}",
                ),
                rx.el.button(
                    "×",
                    type="button",
                    on_click=S.remove_image(name, img),
                    class_name="clss-thumb-x",
                    aria_label="删除图片",
                ),
                position="relative",
                data_image=img,
            ),
        )

    return rx.vstack(
        rx.flex(rx.foreach(value.split(","), thumb), wrap="wrap", gap="8px", id=f"images-{name}"),
        rx.upload.root(
            rx.hstack(
                rx.button(rx.icon("images", size=14), "上传图片", size="1", variant="soft", type="button"),
                rx.text(
                    f"可多选，最多 {most} 张，JPG/PNG/WebP，每张不超过 {max_mb} MB", size="1", color=theme.TEXT_MUTED
                ),
                spacing="2",
                align="center",
            ),
            id=upload_id,
            max_files=most,
            multiple=True,
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]},
            on_drop=S.upload_field(_files(upload_id), name),
            border="none",
            padding="0",
        ),
        spacing="2",
        width="100%",
    )


def _image_input(admin, name: str, value) -> rx.Component:
    from clss_app.admin.media import ROUTE

    spec, upload_id = admin.fields[name], f"upload-{name}"
    max_mb = spec.extra.get("max_mb", 5)
    return rx.hstack(
        rx.cond(
            value != "",
            rx.image(
                src=ROUTE + "/" + value,
                height="72px",
                width="auto",
                border_radius="6px",
                border=f"1px solid {theme.BORDER}",
                id=f"preview-{name}",
            ),
            rx.center(
                rx.icon("image", size=24, color="#94a3b8"),
                width="96px",
                height="72px",
                border=f"1px dashed {theme.BORDER}",
                border_radius="6px",
            ),
        ),
        rx.upload.root(
            rx.vstack(
                rx.button(rx.icon("upload", size=14), "上传图片", size="1", variant="soft", type="button"),
                rx.text(f"JPG/PNG/WebP，不超过 {max_mb} MB", size="1", color=theme.TEXT_MUTED),
                spacing="1",
            ),
            id=upload_id,
            max_files=1,
            multiple=False,
            accept={"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]},
            on_drop=S.upload_field(_files(upload_id), name),
            border="none",
            padding="0",
        ),
        spacing="3",
        align="center",
    )


def _input(admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    value = rx.cond(S.form_values.contains(name), S.form_values[name], "")
    if spec.kind == "image":
        return _image_input(admin, name, value)
    if spec.kind == "file":
        return _file_input(admin, name, value)
    if spec.kind == "images":
        return _images_input(admin, name, value)
    disabled = S.readonly_fields.contains(name)
    common = dict(name=name, id=f"field-{name}", disabled=disabled, width="100%")
    if spec.kind == "fk":
        return _fk_picker(admin, name)
    if spec.kind == "many":
        return _many_picker(admin, name)
    if spec.kind in ("enum", "bool"):
        return rx.select.root(
            rx.select.trigger(placeholder=f"请选择{spec.label}", width="100%", id=f"field-{name}"),
            rx.select.content(*[rx.select.item(label, value=v) for v, label in spec.choices()]),
            default_value=value,
            on_change=lambda v: S.set_form_value(name, v),
            name=name,
            disabled=disabled,
        )
    if spec.kind == "text":
        return rx.text_area(default_value=value, max_length=spec.max_length, **common)
    kinds = {"int": "number", "money": "text", "decimal": "text", "date": "date", "datetime": "datetime-local"}
    return rx.input(
        default_value=value,
        type=kinds.get(spec.kind, "text"),
        max_length=spec.max_length + 10 if spec.max_length else None,
        input_mode="decimal" if spec.kind in ("money", "decimal") else None,
        **common,
    )


def _form_field(admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    return rx.cond(
        S.form_values.contains(name),
        rx.vstack(
            rx.text(
                spec.label, rx.cond(spec.required, rx.text.span(" *", color="#dc2626"), ""), size="2", weight="medium"
            ),
            _input(admin, name),
            rx.text(spec.help, size="1", color=theme.TEXT_MUTED) if spec.help else rx.fragment(),
            rx.cond(
                S.form_errors.contains(name),
                rx.text(S.form_errors[name], size="1", color="#dc2626", id=f"error-{name}"),
            ),
            spacing="1",
            width="100%",
            grid_column="1 / -1" if spec.kind in ("many", "text", "images") else None,
        ),
    )


def form_dialog(admin: type[ModelAdmin], label: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.form_mode == "create", f"新增{label}", f"编辑{label}")),
            rx.form(
                rx.vstack(
                    rx.grid(*[_form_field(admin, n) for n in admin.form], columns="2", spacing="4", width="100%"),
                    rx.cond(
                        S.form_error != "",
                        rx.callout(
                            S.form_error,
                            icon="triangle-alert",
                            color_scheme="red",
                            size="1",
                            width="100%",
                            id="form-error",
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray", type="button")),
                        rx.button("保存", type="submit", id="form-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=S.save,
                key=S.form_nonce.to_string(),
                reset_on_submit=False,
            ),
            max_width="720px",
        ),
        open=S.form_open,
        on_open_change=S.form_open_change,
    )


def detail_dialog(admin: type[ModelAdmin], label: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(label, "：", S.detail_title),
                rx.spacer(),
                rx.cond(
                    S.perms["update"],
                    rx.button(
                        rx.icon("pencil", size=14),
                        "编辑",
                        variant="soft",
                        on_click=S.open_edit(S.form_row_id.to_string()),
                        id="detail-edit",
                    ),
                ),
            ),
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("详情", value="info"), rx.tabs.trigger("操作记录", value="history")),
                rx.tabs.content(
                    rx.grid(
                        rx.foreach(
                            S.detail_items,
                            lambda it: rx.vstack(
                                rx.text(it["label"], size="1", color=theme.TEXT_MUTED),
                                rx.cond(
                                    it["file"] != "",
                                    rx.hstack(
                                        rx.icon("paperclip", size=14),
                                        rx.text(it["value"], size="2"),
                                        rx.el.button(
                                            "下载",
                                            type="button",
                                            class_name="clss-link",
                                            on_click=S.download_attachment(it["file"]),
                                            data_download=it["file"],
                                        ),
                                        spacing="1",
                                        align="center",
                                    ),
                                    rx.text(it["value"], size="2"),
                                ),
                                spacing="0",
                            ),
                        ),
                        columns="2",
                        spacing="4",
                        padding_top="12px",
                        id="detail-items",
                    ),
                    rx.hstack(
                        rx.foreach(
                            S.detail_links,
                            lambda link: rx.link(
                                rx.button(rx.icon("list", size=14), link["label"], size="1", variant="soft"),
                                href=link["href"],
                            ),
                        ),
                        spacing="2",
                        padding_top="12px",
                        id="detail-links",
                    ),
                    value="info",
                ),
                rx.tabs.content(
                    rx.vstack(
                        rx.cond(
                            S.detail_history.length() == 0, rx.text("暂无操作记录", color=theme.TEXT_MUTED, size="2")
                        ),
                        rx.foreach(
                            S.detail_history,
                            lambda h: rx.vstack(
                                rx.hstack(
                                    rx.text(h["at"], size="1", color=theme.TEXT_MUTED),
                                    rx.text(h["who"], size="1"),
                                    rx.text(h["summary"], size="2", weight="medium"),
                                    spacing="3",
                                ),
                                rx.cond(h["changes"] != "", rx.text(h["changes"], size="1", color=theme.TEXT_MUTED)),
                                spacing="1",
                                padding="8px 0",
                                border_bottom=f"1px solid {theme.BORDER}",
                                width="100%",
                            ),
                        ),
                        padding_top="12px",
                        id="detail-history",
                    ),
                    value="history",
                ),
                default_value="info",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("关闭", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="16px",
            ),
            max_width="760px",
        ),
        open=S.detail_open,
        on_open_change=S.detail_open_change,
    )


def _action_input(f) -> rx.Component:
    """One field of an action's small form (native inputs: the dialog is rebuilt for each action)."""
    attrs = dict(name=f.name, id="input-" + f.name)
    return rx.vstack(
        rx.text(f.label, rx.cond(f.required, rx.text.span(" *", color="#dc2626"), ""), size="2", weight="medium"),
        rx.cond(
            f.kind == "select",
            rx.el.select(
                rx.el.option("请选择", value=""),
                rx.foreach(f.options, lambda o: rx.el.option(o.label, value=o.value)),
                class_name="clss-select clss-wide",
                **attrs,
            ),
            rx.el.input(type=f.kind, class_name="clss-input", placeholder=f.hint, **attrs),
        ),
        rx.cond(
            S.confirm_errors.contains(f.name),
            rx.text(S.confirm_errors[f.name], size="1", color="#dc2626", id="input-error-" + f.name),
        ),
        spacing="1",
        width="100%",
        margin_top="12px",
    )


def confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("请确认"),
            rx.alert_dialog.description(S.confirm_text, id="confirm-text"),
            rx.form(
                rx.cond(
                    S.confirm_input_label != "",
                    rx.vstack(
                        rx.text(S.confirm_input_label, size="2", weight="medium"),
                        rx.text_area(
                            name="input",
                            max_length=255,
                            width="100%",
                            id="confirm-input",
                            placeholder="请输入" + S.confirm_input_label,
                        ),
                        spacing="1",
                        width="100%",
                        margin_top="12px",
                    ),
                ),
                rx.foreach(S.confirm_inputs, _action_input),
                rx.cond(S.confirm_error != "", rx.text(S.confirm_error, size="1", color="#dc2626", id="confirm-error")),
                rx.hstack(
                    rx.alert_dialog.cancel(
                        rx.button("取消", variant="soft", color_scheme="gray", type="button", on_click=S.cancel_action)
                    ),
                    rx.button("确定", type="submit", id="confirm-ok"),
                    justify="end",
                    spacing="3",
                    margin_top="16px",
                ),
                on_submit=S.run_action,
                reset_on_submit=False,
            ),
        ),
        open=S.confirm_open,
    )


def import_dialog(label: str) -> rx.Component:
    from clss_app.admin.io import MAX_IMPORT_BYTES

    upload_id = "admin-import-upload"
    # Said here: the server refuses a larger file at the door (upload_guard), without a word to the page.
    too_big = f"只能上传不超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB 的 .xlsx 或 .csv 文件"
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(f"导入{label}"),
            rx.vstack(
                rx.hstack(
                    rx.text("第一步：下载模板，按模板填写（列：", IO.import_columns.join("、"), "）", size="2"),
                    rx.button(
                        rx.icon("file-down", size=14),
                        "下载模板",
                        size="1",
                        variant="soft",
                        on_click=IO.download_template,
                        id="import-template",
                    ),
                    align="center",
                ),
                rx.text("第二步：上传填好的 .xlsx 或 .csv 文件，系统先校验，不会写入任何数据。", size="2"),
                rx.upload.root(
                    rx.vstack(
                        rx.icon("upload", size=24, color="#64748b"),
                        rx.text("点击或拖入文件", size="2", color=theme.TEXT_MUTED),
                        align="center",
                    ),
                    id=upload_id,
                    accept={
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
                        "text/csv": [".csv"],
                    },
                    max_files=1,
                    max_size=MAX_IMPORT_BYTES,
                    on_drop=IO.upload_import(_files(upload_id)),
                    on_drop_rejected=lambda _: rx.toast.error(too_big, position="top-center"),
                    border="1px dashed #cbd5e1",
                    border_radius="8px",
                    padding="20px",
                    width="100%",
                    cursor="pointer",
                ),
                rx.cond(
                    IO.io_busy,
                    rx.hstack(
                        rx.spinner(),
                        rx.text(IO.io_message, size="2"),
                        rx.progress(value=IO.io_progress, width="160px"),
                        align="center",
                    ),
                ),
                rx.cond(
                    IO.import_filename != "",
                    rx.text(
                        "文件：", IO.import_filename, "，共 ", IO.import_total, " 行", size="2", id="import-summary"
                    ),
                ),
                rx.cond(
                    IO.import_errors.length() > 0,
                    rx.vstack(
                        rx.text(
                            "发现 ",
                            IO.import_errors.length(),
                            " 处错误，请修改文件后重新上传（未导入任何数据）：",
                            size="2",
                            color="#dc2626",
                            weight="medium",
                        ),
                        rx.scroll_area(
                            rx.table.root(
                                rx.table.header(
                                    rx.table.row(
                                        rx.table.column_header_cell("行号"),
                                        rx.table.column_header_cell("列"),
                                        rx.table.column_header_cell("原因"),
                                    )
                                ),
                                rx.table.body(
                                    rx.foreach(
                                        IO.import_errors,
                                        lambda e: rx.table.row(
                                            rx.table.cell(e["row"]),
                                            rx.table.cell(e["column"]),
                                            rx.table.cell(e["message"]),
                                        ),
                                    )
                                ),
                                size="1",
                                width="100%",
                                id="import-errors",
                            ),
                            max_height="220px",
                            type="auto",
                        ),
                        width="100%",
                    ),
                ),
                rx.cond(
                    IO.import_ready,
                    rx.callout(
                        "校验通过：" + IO.import_total.to_string() + " 行均可导入。点击“确认导入”一次性写入，"
                        "任何一行失败则全部不写入。",
                        icon="circle-check",
                        color_scheme="green",
                        size="1",
                        id="import-ok",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray")),
                    rx.button("确认导入", on_click=IO.commit_import, disabled=~IO.import_ready, id="import-commit"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="720px",
        ),
        open=IO.import_open,
        on_open_change=IO.import_open_change,
    )


def history_sync() -> rx.Component:
    """Back/forward inside a list: assets/clss.js clicks this to hand the popped query to the server."""
    return rx.el.button(
        id="admin-popstate",
        display="none",
        type="button",
        on_click=rx.call_script("window.location.search", callback=S.apply_search),
    )


def admin_body(admin: type[ModelAdmin], label: str) -> rx.Component:
    return card(
        rx.vstack(
            history_sync(),
            toolbar(admin, label),
            filter_bar(admin),
            bulk_bar(admin),
            # "clss-init" until this list's first reply: one state serves every admin, and the
            # rows of the previously viewed list must never show under this list's headers.
            rx.box(
                rx.box(class_name="clss-progress"),
                table(admin),
                pager(admin),
                id="admin-list",
                width="100%",
                position="relative",
                custom_attrs={"data-route": admin.site.menu[admin.key].route},
                class_name=rx.cond(S.rows_key == admin.key, "", "clss-init"),
            ),
            form_dialog(admin, label.removesuffix("管理")),
            detail_dialog(admin, label.removesuffix("管理")),
            confirm_dialog(),
            import_dialog(label.removesuffix("管理")),
            spacing="3",
            width="100%",
        )
    )
