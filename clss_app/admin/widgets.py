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
chosen values reach ``data`` and ``filter_options``. ``Filter.rows(key, label, Model)`` offers the
rows of a model inside the viewer's data scope (a project picker), ``Filter.month()`` the last months;
a value not offered (another scope's project, a forged one) falls back to the filter's default.

Every dashboard with a ``Table`` offers 导出Excel (``exportable``): one sheet per table with every row
(a table's ``limit`` caps only the screen), numbers as numbers (``types``: "int", "money" in yuan,
"percent" as a ratio), and a sheet naming the filters chosen. Who may view the page may export it,
unless ``can_export`` names fewer roles. Any figure may drill
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
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

import plotly.graph_objects as go
import polars as pl
from sqlmodel import Session, SQLModel, select

from clss_app.admin import io
from clss_app.admin.fields import column, label_attr
from clss_app.admin.site import served
from clss_app.core import clock
from clss_app.services.permissions import EXPORT, VIEW, Principal, can, require
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
    types: dict[str, CellType] = field(default_factory=dict)  # column -> how it is shown and exported
    limit: int = 0  # at most this many rows on screen (0: all); the export holds every row

    def cell_links(self) -> dict[str, str]:
        return {**({self.columns[0][0]: self.link} if self.link else {}), **self.links}

    def text(self, key: str, value: Any) -> str:
        return cell_text(self.types.get(key, "text"), value)


CellType = Literal["text", "int", "money", "percent"]
EXCEL_FORMATS = {"int": "#,##0", "money": "#,##0.00", "percent": "0.0%"}


def cell_text(kind: CellType, value: Any) -> str:
    """A table cell as the screen shows it: money in yuan as ¥1,234.50, a ratio as 12.3%, counts grouped."""
    if value is None:
        return "—" if kind == "percent" else ""
    if kind == "money":
        return f"{'-' if value < 0 else ''}¥{abs(Decimal(value)):,.2f}"
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"
    if kind == "int":
        return f"{int(value):,}"
    return value.isoformat() if isinstance(value, date) else str(value)


Choices = Callable[[Session, Principal, dict[str, str]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    all_label: str = ""  # the option meaning "no filter"; empty: a value must be chosen
    choices: Choices | None = None  # its own (value, label) options; else the dashboard's filter_options

    @classmethod
    def rows(cls, key: str, label: str, model: type[SQLModel], all_label: str = "") -> Filter:
        """A choice among ``model``'s rows inside the viewer's scope (as the admin that scopes the model
        limits its pickers), by their name; the value is the row's id."""

        def choices(session: Session, p: Principal, chosen: dict[str, str]) -> list[tuple[str, str]]:
            name, pk = column(model, label_attr(model)), column(model, "id")
            stmt = select(pk, name)
            admin = served().scoped_admin_for(model)
            if admin is not None and admin.scope:
                stmt = stmt.where(admin.scope.clause(p, model))
            return [(str(i), str(n)) for i, n in session.exec(stmt.order_by(name, pk)).all()]

        return cls(key, label, all_label, choices)

    @classmethod
    def month(cls, key: str = "month", label: str = "月份", back: int = 36, all_label: str = "") -> Filter:
        """A month (as 2026-03), this month and the ``back - 1`` before it, the latest first (the default)."""

        def choices(session: Session, p: Principal, chosen: dict[str, str]) -> list[tuple[str, str]]:
            today = clock.today()
            months = [(today.year * 12 + today.month - 1 - k) for k in range(back)]
            return [(f"{m // 12}-{m % 12 + 1:02d}",) * 2 for m in months]

        return cls(key, label, all_label, choices)


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
    description: ClassVar[str] = ""  # a line under the title of a page the engine lays out itself
    exportable: ClassVar[bool] = True  # 导出Excel of its tables, if it has any
    can_export: ClassVar[frozenset | None] = None  # who may export; None: whoever may view it

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
    def tables(cls) -> list[Table]:
        return [w for w in cls.widgets if isinstance(w, Table)]

    @classmethod
    def offers_export(cls) -> bool:
        return cls.exportable and bool(cls.tables())

    @classmethod
    def resolve(
        cls, session: Session, p: Principal, chosen: dict[str, str] | None
    ) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
        """(the filters' values, each one offered; the options of each filter) for p."""
        chosen = {f.key: str((chosen or {}).get(f.key, "")) for f in cls.filters}
        options = {f.key: f.choices(session, p, chosen) for f in cls.filters if f.choices is not None}
        options.update(cls.filter_options(session, p, chosen))
        for f in cls.filters:  # anything not offered (another scope's project, a typo) falls back
            allowed = [v for v, _ in options.get(f.key, [])]
            if chosen.get(f.key, "") not in allowed and not (f.all_label and chosen.get(f.key, "") == ""):
                chosen[f.key] = cls.filter_default(f.key, allowed)
                if f.choices is not None:  # a later filter's choices may follow this one (a month's days)
                    options.update({g.key: g.choices(session, p, chosen) for g in cls.filters if g.choices})
        return chosen, options

    @classmethod
    def export_xlsx(
        cls, session: Session, p: Principal | None, chosen: dict[str, str] | None = None
    ) -> tuple[bytes, int]:
        """The tables as an Excel workbook (a sheet each, every row, typed) and the rows in it, inside p's scope."""
        p = require(p, VIEW, cls.key)
        p = require(p, EXPORT, cls.key)
        chosen, options = cls.resolve(session, p, chosen)
        d = cls.data(session, p, chosen)
        sheets: list[tuple[str, pl.DataFrame, dict[Any, str]]] = []
        rows = 0
        shown = {
            f.key: dict(options.get(f.key, [])).get(chosen[f.key], chosen[f.key] or f.all_label) for f in cls.filters
        }
        sheets.append(
            (
                "筛选条件",
                pl.DataFrame(
                    {"筛选": [f.label for f in cls.filters], "取值": [shown[f.key] for f in cls.filters]},
                    schema={"筛选": pl.String, "取值": pl.String},
                ),
                {},
            )
        )
        for t in cls.tables():
            data = t.rows(d)
            rows += len(data)
            cols = {}
            for k, label in t.columns:
                kind = t.types.get(k, "text")
                values = [r.get(k) for r in data]
                if kind == "int":
                    cols[label] = pl.Series(label, [None if v is None else int(v) for v in values], pl.Int64)
                elif kind in ("money", "percent"):
                    cols[label] = pl.Series(label, [None if v is None else float(v) for v in values], pl.Float64)
                else:
                    cols[label] = pl.Series(label, [cell_text("text", v) for v in values], pl.String)
            frame = pl.DataFrame(list(cols.values()))
            formats = {
                label: EXCEL_FORMATS[t.types[k]] for k, label in t.columns if t.types.get(k, "text") in EXCEL_FORMATS
            }
            sheets.append((t.title, frame, formats))
        return io.write_sheets(sheets), rows

    @classmethod
    def render_values(cls, session: Session, p: Principal | None, chosen: dict[str, str] | None = None) -> dict:
        """Every widget's value, computed once on the server inside p's scope."""
        p = require(p, VIEW, cls.key)
        chosen, options = cls.resolve(session, p, chosen)
        d = cls.data(session, p, chosen)
        stats: dict[str, str] = {}
        stat_links: dict[str, str] = {}
        stat_notes: dict[str, str] = {}
        figures: dict[str, go.Figure] = {}
        chart_links: dict[str, list[list[str]]] = {}
        tables: dict[str, list[dict[str, str]]] = {}
        table_notes: dict[str, str] = {}
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
                keys, links = [k for k, _ in w.columns], list(w.cell_links().values())
                rows = w.rows(d)
                shown = rows[: w.limit] if w.limit else rows
                tables[w.key] = [
                    {**{k: w.text(k, r.get(k, "")) for k in keys}, **{k: str(r.get(k, "")) for k in links}}
                    for r in shown
                ]
                if len(shown) < len(rows):
                    table_notes[w.key] = f"共 {len(rows):,} 行，此处显示前 {len(shown):,} 行；导出Excel可得全部"
        return {
            "stats": stats,
            "stat_links": stat_links,
            "stat_notes": stat_notes,
            "figures": figures,
            "chart_links": chart_links,
            "tables": tables,
            "table_notes": table_notes,
            "chosen": chosen,
            "stale": bool(d.get("stale")),
            "options": {k: [{"value": v, "label": lab} for v, lab in opts] for k, opts in options.items()},
        }
