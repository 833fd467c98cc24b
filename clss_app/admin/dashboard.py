"""Dashboard widgets laid out declaratively: stat cards, Plotly charts, small tables.

    class HomeDashboard(Dashboard, key="home"):
        columns = 4
        widgets = [Stat("rooms", "房间", lambda d: d["rooms"], icon="door-open"),
                   Chart("status", "房态分布", status_figure, span=2),
                   Table("projects", "我的项目", [("name", "项目")], lambda d: d["projects"], span=4)]

        @classmethod
        def data(cls, session, principal):  # one query pass feeds every widget
            return overview.scope_summary(session, principal)

``data`` runs on the server with the permission core's principal, so every
widget shows only what lies inside the viewer's data scope.

A dashboard may declare ``filters`` (native selects above the widgets); the
chosen values reach ``data`` and ``filter_options``. Any figure may drill
down to the rows behind it: a Stat's ``link``, a Table's ``links`` per
column and a Chart's ``links`` per point are URLs computed from the data;
``list_link`` builds them for an engine list, and only when the viewer may
open that list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import plotly.graph_objects as go
import reflex as rx
from sqlmodel import Session

from clss_app.admin.site import served
from clss_app.services.permissions import VIEW, Forbidden, Principal, can, require
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.card import card
from clss_app.ui.plot import escape_data_text


@dataclass(frozen=True)
class Stat:
    key: str
    label: str
    value: Callable[[dict], Any]
    icon: str = "activity"
    colour: str = "#2563eb"
    link: str | Callable[[dict], str] = ""  # drill-down: the list behind the figure
    span: int = 1
    note: Callable[[dict], str] | None = None  # a line under the figure (e.g. "已收 ¥x / 应收 ¥y")


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: Callable[[dict], go.Figure]
    span: int = 2
    height: int = 280
    links: Callable[[dict], list[list[str]]] | None = None  # per trace, per point: where a click leads


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: Callable[[dict], list[dict]]
    span: int = 4
    link: str = ""  # a row key holding a URL: the first column links there (drill-down)
    empty: str = "暂无数据"
    links: dict[str, str] = field(default_factory=dict)  # column -> row key holding that cell's URL

    def cell_links(self) -> dict[str, str]:
        return {**({self.columns[0][0]: self.link} if self.link else {}), **self.links}


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    all_label: str = ""  # the option meaning "no filter"; empty: a value must be chosen


def list_link(p: Principal, key: str, **filters) -> str:
    """The engine list ``key`` filtered like ``f_name=value`` (lists as "a,b"), if p may open it."""
    from clss_app import menu

    entry = menu.ENTRIES.get(key)
    if entry is None or not can(p, VIEW, key):
        return ""
    params = {
        f"f_{k}": ",".join(map(str, v)) if isinstance(v, (list, tuple, set, frozenset)) else str(v)
        for k, v in filters.items()
        if v not in (None, "")
    }
    return entry.route + ("?" + urlencode(params) if params else "")


class Dashboard:
    key: ClassVar[str]
    columns: ClassVar[int] = 4
    widgets: ClassVar[list] = []
    filters: ClassVar[list[Filter]] = []

    def __init_subclass__(cls, key: str | None = None, **kw):
        super().__init_subclass__(**kw)
        if key:  # registered by the app on its site (AdminSite.register), not here
            cls.key = key

    @classmethod
    def data(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict:
        return {}

    @classmethod
    def filter_options(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
        """(value, label) choices of each filter; ``chosen`` lets one filter narrow another."""
        return {}

    @classmethod
    def filter_default(cls, key: str, allowed: list[str]) -> str:
        """What a filter starts at (and falls back to): its "all" option, else the first choice."""
        f = next(f for f in cls.filters if f.key == key)
        return "" if f.all_label or not allowed else allowed[0]

    @classmethod
    def render_values(cls, session: Session, p: Principal | None, chosen: dict[str, str] | None = None) -> dict:
        """Every widget's value, computed once on the server inside p's scope."""
        p = require(p, VIEW, cls.key)
        chosen = {f.key: str((chosen or {}).get(f.key, "")) for f in cls.filters}
        options = cls.filter_options(session, p, chosen)
        for f in cls.filters:  # anything not offered (another scope's project, a typo) falls back
            allowed = [v for v, _ in options.get(f.key, [])]
            if chosen.get(f.key, "") not in allowed and not (f.all_label and chosen.get(f.key, "") == ""):
                chosen[f.key] = cls.filter_default(f.key, allowed)
        d = cls.data(session, p, chosen)
        stats: dict[str, str] = {}
        stat_links: dict[str, str] = {}
        stat_notes: dict[str, str] = {}
        figures: dict[str, go.Figure] = {}
        chart_links: dict[str, list[list[str]]] = {}
        tables: dict[str, list[dict[str, str]]] = {}
        for w in cls.widgets:
            if isinstance(w, Stat):
                v = w.value(d)
                stats[w.key] = f"{v:,}" if isinstance(v, int) else str(v)
                stat_links[w.key] = w.link(d) if callable(w.link) else w.link
                stat_notes[w.key] = w.note(d) if w.note else ""
            elif isinstance(w, Chart):
                if w.links:
                    chart_links[w.key] = w.links(d)
                fig = escape_data_text(w.figure(d))
                fig.update_layout(
                    height=w.height,
                    margin=dict(l=10, r=10, t=10, b=10),
                    font=dict(family=theme.FONT),
                    paper_bgcolor="white",
                    plot_bgcolor="white",
                    separators=".,",
                )
                figures[w.key] = fig
            elif isinstance(w, Table):
                keys = [k for k, _ in w.columns] + list(w.cell_links().values())
                tables[w.key] = [{k: str(r.get(k, "")) for k in keys} for r in w.rows(d)]
        return {
            "stats": stats,
            "stat_links": stat_links,
            "stat_notes": stat_notes,
            "figures": figures,
            "chart_links": chart_links,
            "tables": tables,
            "chosen": chosen,
            "stale": bool(d.get("stale")),
            "options": {k: [{"value": v, "label": lab} for v, lab in opts] for k, opts in options.items()},
        }


class DashboardState(AuthState):
    dash_key: str = ""
    stats: dict[str, str] = {}
    stat_links: dict[str, str] = {}
    stat_notes: dict[str, str] = {}
    figures: dict[str, go.Figure] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    dash_filters: dict[str, str] = {}
    dash_options: dict[str, list[dict[str, str]]] = {}
    dash_stale: bool = False  # the data said newer figures are on their way
    _chart_links: dict[str, list[list[str]]] = {}

    # The figures are worked out in a thread: a first look at a large scope reads for seconds, and
    # this worker's other tabs go on meanwhile (this tab's state stays locked until it is done).
    @rx.event
    async def load_dashboard(self, key: str):
        if key != self.dash_key:  # another dashboard: its own filters, starting from the URL's
            self.dash_key = key
            self.dash_filters = {k: str(v) for k, v in self.router.url.query_parameters.items()}
            # Never show the previous dashboard's figures under this one's titles while it loads.
            self.stats, self.figures, self.tables, self.dash_options = {}, {}, {}, {}
            yield
        yield await asyncio.to_thread(self._render)

    @rx.event
    async def set_dash_filter(self, name: str, value: str):
        self.dash_filters = {**self.dash_filters, name: str(value)[:64]}
        return await asyncio.to_thread(self._render)

    @rx.event
    def open_point(self, chart: str, points: list[dict]):
        """A click on a bar or point of a chart opens the list behind it."""
        links = self._chart_links.get(chart, [])
        for pt in points[:1]:
            curve, index = pt.get("curveNumber"), pt.get("pointNumber")
            if not isinstance(curve, int) or not isinstance(index, int) or not 0 <= curve < len(links):
                continue
            if 0 <= index < len(links[curve]) and links[curve][index]:
                return rx.redirect(links[curve][index])

    def _render(self):
        dash = served().dashboard(self.dash_key)
        if dash is None:
            return
        try:
            with self._session() as (s, p):
                values = dash.render_values(s, p, self.dash_filters)
        except Forbidden as exc:
            self.stats, self.figures, self.tables = {}, {}, {}
            return self._refused(exc)
        self.stats, self.figures, self.tables = values["stats"], values["figures"], values["tables"]
        self.stat_links, self.stat_notes, self._chart_links = (
            values["stat_links"],
            values["stat_notes"],
            values["chart_links"],
        )
        self.dash_filters, self.dash_options = values["chosen"], values["options"]
        was_stale, self.dash_stale = self.dash_stale, values["stale"]
        if self.dash_stale and not was_stale:
            return DashboardState.refresh_when_fresh

    @rx.event(background=True)
    async def refresh_when_fresh(self):
        """Look again every second until the data is no longer stale (at most a minute)."""
        for _ in range(60):
            await asyncio.sleep(1)
            async with self:
                if not self.dash_stale:
                    return
                self.dash_stale = False  # so that _render does not start another of us
                await asyncio.to_thread(self._render)
                if not self.dash_stale:
                    return


def _stat(w: Stat) -> rx.Component:
    S = DashboardState
    body = rx.hstack(
        rx.vstack(
            rx.text(w.label, size="2", color=theme.TEXT_MUTED),
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


def _chart(w: Chart) -> rx.Component:
    S = DashboardState
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


def _table(w: Table) -> rx.Component:
    rows = rx.cond(DashboardState.tables.contains(w.key), DashboardState.tables[w.key], [])
    return card(
        rx.vstack(
            rx.text(w.title, weight="medium"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(label) for _, label in w.columns])),
                rx.table.body(
                    rx.foreach(rows, lambda r: rx.table.row(*[rx.table.cell(_cell(w, r, k)) for k, _ in w.columns]))
                ),
                width="100%",
                size="2",
                id=f"table-{w.key}",
            ),
            rx.cond(rows.length() == 0, rx.text(w.empty, color=theme.TEXT_MUTED, size="2")),
            spacing="3",
            width="100%",
            overflow_x="auto",
        ),
        grid_column=f"span {w.span}",
    )


def _filter(f: Filter) -> rx.Component:
    S = DashboardState
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


def dashboard_body(dash: type[Dashboard], header: rx.Component | None = None) -> rx.Component:
    parts = []
    for w in dash.widgets:
        parts.append(_stat(w) if isinstance(w, Stat) else _chart(w) if isinstance(w, Chart) else _table(w))
    stale = rx.cond(
        DashboardState.dash_stale,
        rx.badge(rx.spinner(size="1"), "数据已变更，正在更新…", color_scheme="amber", id="dash-stale"),
    )
    filters = (
        [
            card(
                rx.hstack(
                    *[_filter(f) for f in dash.filters],
                    rx.spacer(),
                    stale,
                    spacing="4",
                    wrap="wrap",
                    align="center",
                    width="100%",
                ),
                id="dash-filters",
            )
        ]
        if dash.filters
        else []
    )
    return rx.vstack(
        *([header] if header is not None else []),
        *filters,
        rx.grid(*parts, columns=str(dash.columns), spacing="4", width="100%"),
        spacing="4",
        width="100%",
    )
