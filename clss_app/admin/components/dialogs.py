"""A row's detail dialog, and the confirmation of a bulk action (with the inputs it asks for)."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import State
from clss_app.admin.view import ModelAdmin
from clss_app.ui import theme


def detail_dialog(S: State, admin: type[ModelAdmin], noun: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.hstack(
                rx.dialog.title(noun, " ", S.detail_title, id="detail-title"),
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
                                    rx.hstack(
                                        rx.text(it["value"], size="2"),
                                        rx.cond(
                                            it["reveal"] != "",
                                            rx.el.button(
                                                "查看完整信息",
                                                type="button",
                                                class_name="clss-link",
                                                on_click=S.reveal_field(it["reveal"]),
                                                data_reveal=it["reveal"],
                                            ),
                                        ),
                                        spacing="2",
                                        align="center",
                                    ),
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
