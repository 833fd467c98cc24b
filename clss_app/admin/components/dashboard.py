"""A declared dashboard's page: filters above a grid of stat cards, charts and tables.

``dashboard_body(dash, DashboardState)``: the app passes the state it composed (clss_app/admin/dashboard.py);
every part binds to it.
"""

from __future__ import annotations

import plotly.graph_objects as go
import reflex as rx

from clss_app.admin.states.dashboard import DashboardMixin
from clss_app.admin.widgets import Chart, Dashboard, Filter, Stat, Table
from clss_app.ui import theme
from clss_app.ui.card import card

State = type[DashboardMixin]  # the composed dashboard state (clss_app/admin/dashboard.py: DashboardState)


def _hinted(label: str, hint: str, id_: str, muted: bool = True) -> rx.Component:
    """A label with its definition on hover (an info mark says there is one); a table header keeps its own look."""
    look = {"size": "2", "color": theme.TEXT_MUTED} if muted else {}
    if not hint:
        return rx.text(label, **look)
    return rx.tooltip(
        rx.hstack(
            rx.text(label, **look),
            rx.icon("info", size=13, color=theme.TEXT_MUTED),
            spacing="1",
            align="center",
            cursor="help",
            id=id_,
        ),
        content=hint,
    )


def _stat(S: State, w: Stat) -> rx.Component:
    body = rx.hstack(
        rx.vstack(
            _hinted(w.label, w.hint, f"stat-hint-{w.key}"),
            rx.text(rx.cond(S.stats.contains(w.key), S.stats[w.key], "—"), size="7", weight="bold", id=f"stat-{w.key}"),
            *(
                [rx.text(S.stat_notes[w.key], size="1", color=theme.TEXT_MUTED, id=f"stat-note-{w.key}")]
                if w.note
                else []
            ),
            spacing="1",
        ),
        rx.spacer(),
        rx.center(
            rx.icon(w.icon, size=22, color=w.colour),
            width="44px",
            height="44px",
            border_radius="10px",
            background=f"{w.colour}1a",
        ),
        align="center",
        width="100%",
    )
    if callable(w.link):  # known only once the data is: a link when the viewer may open the list
        href = rx.cond(S.stat_links.contains(w.key), S.stat_links[w.key], "")
        body = rx.cond(
            href != "", rx.link(body, href=href, underline="none", color="inherit", id=f"stat-link-{w.key}"), body
        )
    elif w.link:
        body = rx.link(body, href=w.link, underline="none", color="inherit")
    return card(body, grid_column=f"span {w.span}")


def _chart(S: State, w: Chart) -> rx.Component:
    return card(
        rx.vstack(
            rx.hstack(
                rx.text(w.title, weight="medium"),
                rx.spacer(),
                *([rx.text("点击柱形查看明细", size="1", color=theme.TEXT_MUTED)] if w.links else []),
                width="100%",
            ),
            rx.cond(
                S.figures.contains(w.key),
                rx.plotly(
                    data=S.figures[w.key],
                    width="100%",
                    height=f"{w.height}px",
                    config={"displaylogo": False, "displayModeBar": False, "responsive": True},
                    **({"on_click": lambda points: S.open_point(w.key, points)} if w.links else {}),
                ),
                rx.center(rx.spinner(), height=f"{w.height}px"),
            ),
            spacing="2",
            width="100%",
            id=f"chart-{w.key}",
        ),
        grid_column=f"span {w.span}",
    )


def _cell(w: Table, r, key: str) -> rx.Component:
    link = w.cell_links().get(key)
    if not link:
        return r[key]
    return rx.cond(r[link] != "", rx.link(r[key], href=r[link]), r[key])


def _table(S: State, w: Table) -> rx.Component:
    rows = rx.cond(S.tables.contains(w.key), S.tables[w.key], [])
    return card(
        rx.vstack(
            rx.text(w.title, weight="medium"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(
                                _hinted(label, w.hints[k], f"col-hint-{w.key}-{k}", muted=False)
                                if k in w.hints
                                else label
                            )
                            for k, label in w.columns
                        ]
                    )
                ),
                rx.table.body(
                    rx.foreach(rows, lambda r: rx.table.row(*[rx.table.cell(_cell(w, r, k)) for k, _ in w.columns]))
                ),
                width="100%",
                size="2",
                id=f"table-{w.key}",
            ),
            rx.cond(rows.length() == 0, rx.text(w.empty, color=theme.TEXT_MUTED, size="2")),
            rx.cond(
                S.table_notes.contains(w.key),
                rx.text(S.table_notes[w.key], size="1", color=theme.TEXT_MUTED, id=f"table-note-{w.key}"),
            ),
            spacing="3",
            width="100%",
            overflow_x="auto",
        ),
        grid_column=f"span {w.span}",
    )


def _filter(S: State, f: Filter) -> rx.Component:
    options = rx.cond(S.dash_options.contains(f.key), S.dash_options[f.key], [])
    return rx.hstack(
        rx.text(f.label, size="2", color=theme.TEXT_MUTED),
        rx.el.select(
            *([rx.el.option(f.all_label, value="")] if f.all_label else []),
            rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"])),
            value=rx.cond(S.dash_filters.contains(f.key), S.dash_filters[f.key], ""),
            on_change=lambda v: S.set_dash_filter(f.key, v),
            id=f"dash-filter-{f.key}",
            class_name="clss-select",
        ),
        spacing="2",
        align="center",
    )


def dashboard_title(title: str, description: str = "") -> rx.Component:
    """The heading of a dashboard page the engine lays out by itself (``AdminSite``'s declared dashboards)."""
    return rx.vstack(
        rx.heading(title, size="5"),
        *([rx.text(description, size="2", color=theme.TEXT_MUTED)] if description else []),
        spacing="1",
    )


def dashboard_body(dash: type[Dashboard], S: State, header: rx.Component | None = None) -> rx.Component:
    parts = []
    for w in dash.widgets:
        parts.append(_stat(S, w) if isinstance(w, Stat) else _chart(S, w) if isinstance(w, Chart) else _table(S, w))
    stale = rx.cond(
        S.dash_stale,
        rx.badge(rx.spinner(size="1"), "数据已变更，正在更新…", color_scheme="amber", id="dash-stale"),
    )
    export = (
        [
            rx.button(
                rx.icon("file-spreadsheet", size=14),
                "导出Excel",
                on_click=S.export_dashboard,
                loading=S.dash_exporting,
                variant="outline",
                id="dash-export",
            )
        ]
        if dash.offers_export()
        else []
    )
    filters = (
        [
            card(
                rx.hstack(
                    *[_filter(S, f) for f in dash.filters],
                    rx.spacer(),
                    stale,
                    *export,
                    spacing="4",
                    wrap="wrap",
                    align="center",
                    width="100%",
                ),
                id="dash-filters",
            )
        ]
        if dash.filters or export
        else []
    )
    # A chart is a lazily loaded component, mounted once its figure has come: Plotly's module would only
    # then be fetched and compiled, and every chart would wait for it. An empty plot, out of sight from
    # the start, has it ready while the server still works the figures out.
    charts = any(isinstance(w, Chart) for w in dash.widgets)
    warm = [rx.box(rx.plotly(data=go.Figure()), display="none", aria_hidden="true")] if charts else []
    return rx.vstack(
        *([header] if header is not None else []),
        *filters,
        rx.grid(*parts, columns=str(dash.columns), spacing="4", width="100%"),
        *warm,
        spacing="4",
        width="100%",
    )
