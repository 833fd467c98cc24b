"""The list's search box and filters (choices, links to other rows, number and date ranges): the
primary ones in sight, the rest under 更多筛选, and 常用筛选 (admin/filter_sets.py)."""

from __future__ import annotations

import reflex as rx

from clss_app.admin.components.common import State, options, unless_hidden
from clss_app.admin.components.saved_filters import saved_filters_menu
from clss_app.admin.filter_sets import primary_split
from clss_app.admin.view import ModelAdmin
from clss_app.ui import theme


def _filter_value(S: State, key: str):
    return rx.cond(S.filters.contains(key), S.filters[key], "")


def _select_filter(S: State, admin, name: str, options) -> rx.Component:
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


def _choice_filter(S: State, admin, name: str) -> rx.Component:
    label = admin.fields[name].label
    return _select_filter(
        S,
        admin,
        name,
        rx.fragment(*[rx.el.option(f"{label}：{text}", value=value) for value, text in admin.fields[name].choices()]),
    )


def _fk_filter(S: State, admin, name: str) -> rx.Component:
    label = admin.fields[name].label
    return _select_filter(
        S, admin, name, rx.foreach(options(S, name), lambda o: rx.el.option(f"{label}：" + o["label"], value=o["id"]))
    )


def _range_filter(S: State, admin, name: str, input_type: str) -> rx.Component:
    spec = admin.fields[name]

    dated = input_type == "date"

    def box(suffix, placeholder):
        key = f"{name}{suffix}"
        # Dates: a text box typed yyyy-mm-dd with the page's calendar (assets/clss.js), never the
        # browser's own date input, which shows mm/dd/yyyy in an en-US browser.
        return rx.input(
            type="text" if dated else input_type,
            placeholder=("开始 " if suffix == "__gte" else "结束 ") + "yyyy-mm-dd" if dated else placeholder,
            default_value=_filter_value(S, key),
            key=_filter_value(S, key),
            on_blur=lambda v: S.set_filter(key, v),
            size="2",
            width="132px" if dated else "100px",
            name=f"f_{key}",
            auto_complete="off",
            custom_attrs={"data-date-picker": "date"} if dated else {},
        )

    return rx.hstack(
        rx.text(spec.label, size="2", color=theme.TEXT_MUTED),
        box("__gte", "从"),
        rx.text("–", size="2"),
        box("__lte", "到"),
        spacing="1",
        align="center",
    )


def _one_filter(S: State, admin, name: str) -> rx.Component:
    fk = admin.fields[name].filter_kind
    if fk == "choice":
        part = _choice_filter(S, admin, name)
    elif fk == "fk":
        part = _fk_filter(S, admin, name)
    elif fk == "range":
        part = _range_filter(S, admin, name, "number")
    elif fk == "daterange":
        part = _range_filter(S, admin, name, "date")
    else:
        return rx.fragment()
    # A filter that cannot matter in this view (filter_sets.idle_filters) is not shown.
    return unless_hidden(S, name, rx.cond(S.idle_filters.contains(name), rx.fragment(), part))


def filter_bar(S: State, admin: type[ModelAdmin]) -> rx.Component:
    shown = [n for n in admin.filters if n not in admin.only]  # a view of one state needs no state filter
    primary, more = primary_split(admin, shown)
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
    # 更多筛选 opens and closes in the page (assets/clss.js sets data-more on #admin-filters): no round trip.
    toggle = (
        [
            rx.el.button(
                rx.icon("sliders-horizontal", size=14),
                "更多筛选",
                rx.cond(S.more_active > 0, rx.el.span(S.more_active, class_name="clss-more-n", id="more-filters-n")),
                rx.icon("chevron-down", size=14, class_name="clss-more-chevron"),
                type="button",
                id="more-filters",
                class_name="clss-more-toggle",
                aria_controls="more-filters-panel",
            )
        ]
        if more
        else []
    )
    return rx.vstack(
        rx.hstack(
            *search,
            *[_one_filter(S, admin, n) for n in primary],
            *toggle,
            saved_filters_menu(S),
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
        ),
        rx.hstack(
            *[_one_filter(S, admin, n) for n in more],
            spacing="3",
            wrap="wrap",
            align="center",
            width="100%",
            class_name="clss-more-filters",
            id="more-filters-panel",
        )
        if more
        else rx.fragment(),
        spacing="2",
        width="100%",
        id="admin-filters",
    )
