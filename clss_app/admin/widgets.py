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

The page is ``dashboard_body(dash, DashboardState)`` (components/dashboard.py) with the state the app
composed from states/dashboard.py (clss_app/admin/dashboard.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import plotly.graph_objects as go
from sqlmodel import Session

from clss_app.admin.site import served
from clss_app.services.permissions import VIEW, Principal, can, require
from clss_app.ui import theme
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
    hint: str = ""  # the figure's definition, a tooltip on hover (what is counted over what)


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
    hints: dict[str, str] = field(default_factory=dict)  # column -> its definition, a tooltip on its header

    def cell_links(self) -> dict[str, str]:
        return {**({self.columns[0][0]: self.link} if self.link else {}), **self.links}


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    all_label: str = ""  # the option meaning "no filter"; empty: a value must be chosen


def list_link(p: Principal, key: str, **filters) -> str:
    """The engine list ``key`` filtered like ``f_name=value`` (lists as "a,b"), if p may open it."""
    entry = served().menu.get(key)
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
    def first_row_charts(cls) -> list[str]:
        """The keys of the charts that fill the first row of charts: what a first look must show first."""
        keys: list[str] = []
        used = 0
        for w in cls.widgets:
            if isinstance(w, Chart):
                if keys and used + w.span > cls.columns:
                    break
                keys.append(w.key)
                used += w.span
        return keys

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
                # Plotly would measure every tick label to hide those past the chart's edge, one forced page
                # layout each (the most of a dashboard's drawing time); the margins leave room for them.
                fig.update_xaxes(ticklabeloverflow="allow")
                fig.update_yaxes(ticklabeloverflow="allow")
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
