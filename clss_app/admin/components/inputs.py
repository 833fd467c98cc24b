"""Form inputs that are more than a text box: pickers of other rows, chips, image and file uploads."""

from __future__ import annotations

import reflex as rx

from clss_app.admin import attachments
from clss_app.admin.components.common import State, files, options
from clss_app.compat import upload_event
from clss_app.core import media
from clss_app.ui import theme


def _search_list(S: State, name: str, label: str, pick, close: bool) -> rx.Component:
    """A search box over the other table's rows and the matching ones; clicking one calls ``pick``
    (and closes the popover when ``close``: a single choice)."""

    def option(o):
        row = rx.box(
            rx.text(o["label"], size="2"),
            padding="6px 8px",
            border_radius="6px",
            cursor="pointer",
            width="100%",
            _hover={"background": "#eff6ff"},
            on_click=pick(name, o["id"], o["label"]),
            data_option=o["label"],
        )
        return rx.popover.close(row) if close else row

    return rx.popover.content(
        rx.vstack(
            rx.input(
                placeholder=f"搜索{label}",
                on_change=lambda v: S.fk_search(name, v).debounce(250),
                width="100%",
                data_fk_search=name,
            ),
            rx.scroll_area(
                rx.vstack(rx.foreach(options(S, name), option), spacing="0", width="100%"),
                max_height="220px",
                type="auto",
            ),
            spacing="2",
            width="100%",
        ),
        width="320px",
    )


def fk_picker(S: State, admin, name: str) -> rx.Component:
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
        _search_list(S, name, spec.label, S.pick_fk, close=True),
    )


def many_picker(S: State, admin, name: str) -> rx.Component:
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
        _search_list(S, name, spec.label, S.add_many, close=False),
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


IMAGE_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}


def _upload_button(icon: str, label: str) -> rx.Component:
    return rx.button(rx.icon(icon, size=14), label, size="1", variant="soft", type="button")


def _hint(text) -> rx.Component:
    return rx.text(text, size="1", color=theme.TEXT_MUTED)


def _upload_zone(
    S: State, name: str, face: rx.Component, accept: dict, most: int = 1, multiple: bool = False
) -> rx.Component:
    """The drop zone of a form field's upload: files go to ``S.upload_field`` for ``name``."""
    upload_id = f"upload-{name}"
    return rx.upload.root(
        face,
        id=upload_id,
        max_files=most,
        multiple=multiple,
        accept=accept,
        on_drop=upload_event(S.upload_field, files(S, upload_id), name),
        border="none",
        padding="0",
    )


def file_input(S: State, admin, name: str, value) -> rx.Component:
    spec = admin.fields[name]
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
        _upload_zone(
            S, name, rx.hstack(_upload_button("upload", "上传文件"), _hint(hint), spacing="2", align="center"), accept
        ),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def images_input(S: State, admin, name: str, value) -> rx.Component:
    spec = admin.fields[name]
    most, max_mb = spec.extra.get("max_count", 9), spec.extra.get("max_mb", 5)

    def thumb(img):
        return rx.cond(
            img != "",
            rx.box(
                rx.image(
                    src=media.ROUTE + "/" + img,
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
        _upload_zone(
            S,
            name,
            rx.hstack(
                _upload_button("images", "上传图片"),
                _hint(f"可多选，最多 {most} 张，JPG/PNG/WebP，每张不超过 {max_mb} MB"),
                spacing="2",
                align="center",
            ),
            IMAGE_TYPES,
            most=most,
            multiple=True,
        ),
        spacing="2",
        width="100%",
    )


def image_input(S: State, admin, name: str, value) -> rx.Component:
    spec = admin.fields[name]
    max_mb = spec.extra.get("max_mb", 5)
    return rx.hstack(
        rx.cond(
            value != "",
            rx.image(
                src=media.ROUTE + "/" + value,
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
        _upload_zone(
            S,
            name,
            rx.vstack(_upload_button("upload", "上传图片"), _hint(f"JPG/PNG/WebP，不超过 {max_mb} MB"), spacing="1"),
            IMAGE_TYPES,
        ),
        spacing="3",
        align="center",
    )
