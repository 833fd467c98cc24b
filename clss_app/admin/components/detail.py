"""A row's detail as an operator reads it.

- Header: 合同 HT2025…, its state as a coloured badge, the actions that apply to it, 编辑.
- 详情: the fields in their declared groups, label and value side by side in two columns ("—" when
  empty), and beside them the timeline of what happened to the row (who, when, why).
- One tab per related list (a contract's 账单, 抄表记录): its first rows, a total line, 查看全部.
- 操作记录: the audit history, every change field by field.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from clss_app.admin.components.common import State, action_buttons
from clss_app.admin.view import ModelAdmin
from clss_app.ui import theme


def _value(S: State, it) -> rx.Component:
    return rx.cond(
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
            rx.text(it["value"], size="2", class_name="clss-detail-value"),
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
    )


def _groups(S: State) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            S.detail_groups,
            lambda g: rx.box(
                rx.cond(g != "", rx.text(g, class_name="clss-detail-group", data_group=g)),
                rx.grid(
                    rx.foreach(
                        S.detail_items,
                        lambda it: rx.cond(
                            it["group"] == g,
                            rx.hstack(
                                rx.text(it["label"], size="2", class_name="clss-detail-label"),
                                _value(S, it),
                                spacing="3",
                                align="start",
                                class_name="clss-detail-pair",
                            ),
                        ),
                    ),
                    columns="2",
                    spacing_x="5",
                    spacing_y="2",
                    width="100%",
                ),
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
        id="detail-items",
    )


def _timeline(S: State) -> rx.Component:
    return rx.vstack(
        rx.text("状态时间线", class_name="clss-detail-group"),
        rx.cond(S.detail_timeline.length() == 0, rx.text("暂无记录", size="2", color=theme.TEXT_MUTED)),
        rx.foreach(
            S.detail_timeline,
            lambda e: rx.hstack(
                rx.box(class_name="clss-dot", background="var(--" + e["tone"].to(str) + "-9)"),
                rx.vstack(
                    rx.text(e["what"], size="2", weight="medium"),
                    rx.text(e["at"], " · ", e["who"], size="1", color=theme.TEXT_MUTED),
                    rx.cond(e["why"] != "", rx.text(e["why"], size="1", color=theme.TEXT_MUTED)),
                    spacing="0",
                ),
                spacing="2",
                align="start",
                class_name="clss-timeline-entry",
            ),
        ),
        spacing="2",
        width="100%",
        class_name="clss-timeline",
        id="detail-timeline",
    )


def _related(S: State, t: Any) -> rx.Component:
    """One related list's tab (``t``: a RelatedTab var of ``S.detail_tabs``)."""
    return rx.tabs.content(
        rx.vstack(
            rx.hstack(
                rx.text(t.summary, size="2", weight="medium", class_name="clss-related-total"),
                rx.spacer(),
                rx.cond(
                    t.href != "",
                    rx.link(
                        "查看全部 →", href=t.href, on_click=S.close_detail, size="2", class_name="clss-related-all"
                    ),
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                t.rows.length() == 0,
                rx.text("暂无记录", size="2", color=theme.TEXT_MUTED),
                rx.el.table(
                    rx.el.thead(rx.el.tr(rx.foreach(t.headers, lambda h: rx.el.th(h, class_name="clss-related-th")))),
                    rx.el.tbody(
                        rx.foreach(
                            t.rows,
                            lambda r: rx.el.tr(
                                rx.foreach(
                                    r,
                                    lambda c, i: rx.el.td(
                                        c,
                                        class_name=rx.cond(t.numeric[i], "clss-cell clss-num", "clss-cell clss-nowrap"),
                                    ),
                                )
                            ),
                        )
                    ),
                    class_name="clss-related-table",
                ),
            ),
            spacing="3",
            width="100%",
            padding_top="12px",
            class_name="clss-related",
            data_tab=t.label,
        ),
        value=t.key,
    )


def _history(S: State) -> rx.Component:
    return rx.vstack(
        rx.cond(S.detail_history.length() == 0, rx.text("暂无操作记录", color=theme.TEXT_MUTED, size="2")),
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
    )


def _header(S: State, admin: type[ModelAdmin], noun: str) -> rx.Component:
    actions = action_buttons(admin.actions, S.detail_actions, S.ask_detail_action, "detail-action-")
    return rx.hstack(
        rx.hstack(
            rx.dialog.title(noun, " ", S.detail_title, id="detail-title", margin="0"),
            rx.cond(
                S.detail_state != "",
                rx.badge(S.detail_state, color_scheme=S.detail_tone, size="2", variant="soft", id="detail-state"),
            ),
            spacing="3",
            align="center",
        ),
        rx.spacer(),
        rx.hstack(
            *actions,
            rx.cond(
                S.perms["update"] & S.detail_editable,
                rx.button(
                    rx.icon("pencil", size=14),
                    "编辑",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.open_edit(S.form_row_id.to_string()),
                    id="detail-edit",
                ),
            ),
            spacing="2",
            wrap="wrap",
            justify="end",
            id="detail-actions",
        ),
        width="100%",
        align="center",
        spacing="4",
        padding_bottom="12px",
        border_bottom=f"1px solid {theme.BORDER}",
    )


def detail_dialog(S: State, admin: type[ModelAdmin], noun: str) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            _header(S, admin, noun),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger("详情", value="info"),
                    rx.foreach(
                        S.detail_tabs,
                        lambda t: rx.tabs.trigger(
                            rx.hstack(
                                t.label,
                                rx.badge(t.count, size="1", variant="soft", color_scheme="gray", radius="full"),
                                spacing="1",
                                align="center",
                            ),
                            value=t.key,
                            data_tab=t.label,
                        ),
                    ),
                    rx.tabs.trigger("操作记录", value="history"),
                ),
                rx.tabs.content(
                    rx.box(_groups(S), _timeline(S), class_name="clss-detail-body"),
                    value="info",
                ),
                rx.foreach(S.detail_tabs, lambda t: _related(S, t)),
                rx.tabs.content(_history(S), value="history"),
                default_value="info",
                id="detail-tabs",
            ),
            rx.hstack(
                rx.dialog.close(rx.button("关闭", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="16px",
            ),
            max_width="1160px",
            width="94vw",
            id="detail-dialog",
        ),
        open=S.detail_open,
        on_open_change=S.detail_open_change,
    )
