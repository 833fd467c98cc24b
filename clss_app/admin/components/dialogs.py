"""The confirmation of a bulk action (with the inputs it asks for); a row's detail is detail.py."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import State


def _action_input(S: State, f) -> rx.Component:
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
            rx.el.input(
                type=f.kind,
                class_name="clss-input",
                placeholder=f.hint,
                custom_attrs={"data-date-picker": f.picker},
                **attrs,
            ),
        ),
        rx.cond(
            S.confirm_errors.contains(f.name),
            rx.text(S.confirm_errors[f.name], size="1", color="#dc2626", id="input-error-" + f.name),
        ),
        spacing="1",
        width="100%",
        margin_top="12px",
    )


def confirm_dialog(S: State) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(S.confirm_title, id="confirm-title"),
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
                rx.foreach(S.confirm_inputs, lambda f: _action_input(S, f)),
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
