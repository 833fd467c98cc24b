"""The create / edit form dialog: one field per declared form name, each with its error."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import State
from clss_app.admin.components.inputs import file_input, fk_picker, image_input, images_input, many_picker
from clss_app.admin.view import ModelAdmin
from clss_app.ui import theme


def _input(S: State, admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    value = rx.cond(S.form_values.contains(name), S.form_values[name], "")
    if spec.kind == "image":
        return image_input(S, admin, name, value)
    if spec.kind == "file":
        return file_input(S, admin, name, value)
    if spec.kind == "images":
        return images_input(S, admin, name, value)
    disabled = S.readonly_fields.contains(name)
    common = dict(name=name, id=f"field-{name}", disabled=disabled, width="100%")
    if spec.kind == "fk":
        return fk_picker(S, admin, name)
    if spec.kind == "many":
        return many_picker(S, admin, name)
    # A closed set of codes shown by their names (a parameter's key) is chosen by name, never typed.
    named = [(str(code), label) for code, label in (spec.labels or {}).items()] if spec.kind == "str" else []
    if spec.kind in ("enum", "bool") or named:
        return rx.select.root(
            rx.select.trigger(placeholder=f"请选择{spec.label}", width="100%", id=f"field-{name}"),
            rx.select.content(*[rx.select.item(label, value=v) for v, label in spec.choices() or named]),
            default_value=value,
            on_change=lambda v: S.set_form_value(name, v),
            name=name,
            disabled=disabled,
        )
    if spec.kind == "text":
        return rx.text_area(default_value=value, max_length=spec.max_length, **common)
    kinds = {"int": "number"}  # dates: text boxes with the page's calendar (assets/clss.js), never mm/dd/yyyy
    dated = spec.kind in ("date", "datetime") and not spec.month
    placeholders = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
    return rx.input(
        default_value=value,
        type=kinds.get(spec.kind, "text"),
        placeholder="yyyy-mm" if spec.month else placeholders.get(spec.kind),
        custom_attrs={"data-date-picker": spec.kind} if dated else {},
        auto_complete="off" if dated else None,
        max_length=spec.max_length + 10 if spec.max_length else None,
        input_mode="decimal" if spec.kind in ("money", "decimal") else None,
        **common,
    )


def _form_field(S: State, admin, name: str) -> rx.Component:
    spec = admin.fields[name]
    return rx.cond(
        S.form_values.contains(name),
        rx.vstack(
            rx.text(
                spec.label, rx.cond(spec.required, rx.text.span(" *", color="#dc2626"), ""), size="2", weight="medium"
            ),
            _input(S, admin, name),
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


def form_dialog(S: State, admin: type[ModelAdmin], noun: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(
                rx.cond(S.form_mode == "create", admin.create_label or f"新增{noun}", f"编辑{noun}"), id="form-title"
            ),
            rx.form(
                rx.vstack(
                    rx.grid(*[_form_field(S, admin, n) for n in admin.form], columns="2", spacing="4", width="100%"),
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
