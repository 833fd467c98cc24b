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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import plotly.graph_objects as go
import reflex as rx
from sqlmodel import Session

from clss_app.services.permissions import VIEW, Forbidden, Principal, require
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.shell import card

DASHBOARDS: dict[str, type["Dashboard"]] = {}


@dataclass(frozen=True)
class Stat:
    key: str
    label: str
    value: Callable[[dict], Any]
    icon: str = "activity"
    colour: str = "#2563eb"
    link: str = ""  # drill-down: the list behind the figure
    span: int = 1


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: Callable[[dict], go.Figure]
    span: int = 2
    height: int = 280


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: Callable[[dict], list[dict]]
    span: int = 4
    link: str = ""  # a row key holding a URL: the first column links there (drill-down)
    empty: str = "暂无数据"


class Dashboard:
    key: ClassVar[str]
    columns: ClassVar[int] = 4
    widgets: ClassVar[list] = []

    def __init_subclass__(cls, key: str | None = None, **kw):
        super().__init_subclass__(**kw)
        if key:
            cls.key = key
            DASHBOARDS[key] = cls

    @classmethod
    def data(cls, session: Session, p: Principal) -> dict:
        return {}

    @classmethod
    def render_values(cls, session: Session, p: Principal | None) -> dict:
        """Every widget's value, computed once on the server inside p's scope."""
        require(p, VIEW, cls.key)
        d = cls.data(session, p)
        out = {"stats": {}, "figures": {}, "tables": {}}
        for w in cls.widgets:
            if isinstance(w, Stat):
                v = w.value(d)
                out["stats"][w.key] = f"{v:,}" if isinstance(v, int) else str(v)
            elif isinstance(w, Chart):
                fig = w.figure(d)
                fig.update_layout(height=w.height, margin=dict(l=10, r=10, t=10, b=10),
                                  font=dict(family=theme.FONT), paper_bgcolor="white", plot_bgcolor="white",
                                  separators=".,")
                out["figures"][w.key] = fig
            elif isinstance(w, Table):
                keys = [k for k, _ in w.columns] + ([w.link] if w.link else [])
                out["tables"][w.key] = [{k: str(r.get(k, "")) for k in keys} for r in w.rows(d)]
        return out


class DashboardState(AuthState):
    stats: dict[str, str] = {}
    figures: dict[str, go.Figure] = {}
    tables: dict[str, list[dict[str, str]]] = {}

    @rx.event
    def load_dashboard(self, key: str):
        dash = DASHBOARDS.get(key)
        if dash is None:
            return
        try:
            with self._session() as (s, p):
                values = dash.render_values(s, p)
        except Forbidden as exc:
            self.stats, self.figures, self.tables = {}, {}, {}
            return self._refused(exc)
        self.stats, self.figures, self.tables = values["stats"], values["figures"], values["tables"]


def _stat(w: Stat) -> rx.Component:
    body = rx.hstack(
        rx.vstack(rx.text(w.label, size="2", color=theme.TEXT_MUTED),
                  rx.text(rx.cond(DashboardState.stats.contains(w.key), DashboardState.stats[w.key], "—"),
                          size="7", weight="bold", id=f"stat-{w.key}"), spacing="1"),
        rx.spacer(),
        rx.center(rx.icon(w.icon, size=22, color=w.colour), width="44px", height="44px", border_radius="10px",
                  background=f"{w.colour}1a"),
        align="center", width="100%")
    if w.link:
        body = rx.link(body, href=w.link, underline="none", color="inherit")
    return card(body, grid_column=f"span {w.span}")


def _chart(w: Chart) -> rx.Component:
    return card(rx.vstack(
        rx.text(w.title, weight="medium"),
        rx.cond(DashboardState.figures.contains(w.key),
                rx.plotly(data=DashboardState.figures[w.key], width="100%", height=f"{w.height}px",
                          config={"displaylogo": False, "displayModeBar": False, "responsive": True}),
                rx.center(rx.spinner(), height=f"{w.height}px")),
        spacing="2", width="100%", id=f"chart-{w.key}"), grid_column=f"span {w.span}")


def _table(w: Table) -> rx.Component:
    rows = rx.cond(DashboardState.tables.contains(w.key), DashboardState.tables[w.key], [])
    return card(rx.vstack(
        rx.text(w.title, weight="medium"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(label) for _, label in w.columns])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(*[
                rx.table.cell(rx.link(r[k], href=r[w.link]) if w.link and i == 0 else r[k])
                for i, (k, _) in enumerate(w.columns)]))),
            width="100%", size="2", id=f"table-{w.key}"),
        rx.cond(rows.length() == 0, rx.text(w.empty, color=theme.TEXT_MUTED, size="2")),
        spacing="3", width="100%"), grid_column=f"span {w.span}")


def dashboard_body(dash: type[Dashboard], header: rx.Component | None = None) -> rx.Component:
    parts = []
    for w in dash.widgets:
        parts.append(_stat(w) if isinstance(w, Stat) else _chart(w) if isinstance(w, Chart) else _table(w))
    return rx.vstack(
        *([header] if header is not None else []),
        rx.grid(*parts, columns=str(dash.columns), spacing="4", width="100%"),
        spacing="4", width="100%")
