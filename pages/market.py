"""行情查询: index trend lines of several cities, a 环比 / 同比 table, export; and the series as a list with import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import plotly.graph_objects as go
import reflex as rx

from clss_app.admin import ModelAdmin, Month, Range, downloads
from clss_app.admin.fields import parse_month
from clss_app.core.roles import ADMINS, EXECUTIVES
from clss_app.services import market
from clss_app.services.permissions import VIEW, Forbidden, can
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.card import card
from clss_app.ui.event import event
from clss_app.ui.plot import escape_data_text
from models import AreaBand, IndexKind, MarketIndex, utcnow

COLOURS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777"]


class MarketIndexAdmin(ModelAdmin, model=MarketIndex, key="market_data"):
    fields_override = {"month": Month(), "value": Range(max=Decimal("9999.99"))}
    list_columns = ["kind", "city", "area_band", "month", "value", "source", "is_demo"]
    search = ["city", "source"]
    filters = ["kind", "area_band", "month", "is_demo"]
    form = ["kind", "city", "area_band", "month", "value", "source"]
    default_sort = "-month"
    can_create = can_update = can_delete = can_import = ADMINS
    can_export = EXECUTIVES


def _month(text: str) -> date | None:
    try:
        return parse_month(text)
    except ValueError:
        return None


class MarketState(AuthState):
    kind: str = IndexKind.RENT.value
    band: str = AreaBand.FROM_60.value
    cities: rx.Field[list[str]] = rx.field(default_factory=list)
    month_from: str = ""
    month_to: str = ""
    city_options: list[str] = []
    month_options: list[str] = []
    figure: go.Figure = go.Figure()
    rows: list[dict[str, str]] = []
    demo: bool = False
    can_edit: bool = False

    def _query(self) -> market.IndexQuery:
        return market.IndexQuery(
            IndexKind(self.kind),
            AreaBand(self.band),
            tuple(self.cities),
            _month(self.month_from),
            _month(self.month_to),
        )

    @event
    def load(self):
        try:
            with self._session() as (s, p):
                opts = market.options(s, p)
                self.can_edit = can(p, VIEW, "market_data")
        except Forbidden as exc:
            return self._refused(exc)
        self.city_options = opts.cities
        self.month_options = [m.strftime("%Y-%m") for m in opts.months]
        # First look: the cities the viewer operates in, else the first few.
        self.cities = (
            [c for c in self.cities if c in opts.cities]
            or [c for c in opts.cities if c in opts.operated]
            or opts.cities[:3]
        )
        if self.month_to not in self.month_options:
            self.month_to = self.month_options[-1] if self.month_options else ""
        if self.month_from not in self.month_options:
            self.month_from = self.month_options[max(len(self.month_options) - 24, 0)] if self.month_options else ""
        return self._refresh()

    def _refresh(self):
        try:
            with self._session() as (s, p):
                frame = market.series(s, p, self._query())
        except Forbidden as exc:
            return self._refused(exc)
        self.rows = market.table_rows(frame)
        self.demo = bool(frame.height and frame["is_demo"].any())
        self.figure = _figure(frame, IndexKind(self.kind))

    @event
    def set_kind(self, value: str):
        if value in {k.value for k in IndexKind}:
            self.kind = value
        return self._refresh()

    @event
    def set_band(self, value: str):
        if value in {b.value for b in AreaBand}:
            self.band = value
        return self._refresh()

    @event
    def toggle_city(self, city: str):
        if city in self.cities:
            self.cities = [c for c in self.cities if c != city]
        elif city in self.city_options:
            self.cities = [c for c in self.city_options if c in self.cities or c == city]
        return self._refresh()

    @event
    def set_range(self, which: str, value: str):
        if value in self.month_options:
            if which == "from":
                self.month_from = value
            else:
                self.month_to = value
            if self.month_from > self.month_to:  # keep the range the right way round
                self.month_from, self.month_to = self.month_to, self.month_from
        return self._refresh()

    @event
    def export(self):
        try:
            with self._session() as (s, p):
                data = market.export_xlsx(s, p, self._query())
                url = downloads.issue(s, p, data, f"行情查询-{utcnow():%Y%m%d%H%M%S}.xlsx")
        except Forbidden as exc:
            return self._refused(exc)
        return rx.download(url=url)


def _figure(frame, kind: IndexKind) -> go.Figure:
    fig = go.Figure()
    for i, city in enumerate(sorted(set(frame["city"].to_list()))):
        part = frame.filter(frame["city"] == city)
        fig.add_trace(
            go.Scatter(
                x=[m.strftime("%Y-%m") for m in part["month"]],
                y=part["value"].to_list(),
                name=city,
                mode="lines+markers",
                marker=dict(size=4),
                line=dict(width=2, color=COLOURS[i % len(COLOURS)]),
                customdata=[[_pct(a), _pct(b)] for a, b in zip(part["mom"], part["yoy"])],
                hovertemplate=f"%{{fullData.name}} %{{x}}<br>{kind.label}：%{{y:.2f}}<br>环比：%{{customdata[0]}}"
                "<br>同比：%{customdata[1]}<extra></extra>",
            )
        )
    escape_data_text(fig)
    fig.update_layout(
        height=380,
        margin=dict(l=10, r=10, t=10, b=10),
        font=dict(family=theme.FONT),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hovermode="x unified",
        legend=dict(orientation="h", y=1.08, x=0),
        separators=".,",
    )
    fig.update_xaxes(title="月份", type="category", gridcolor="#eef2f7")
    fig.update_yaxes(title=f"{kind.label}（点）", gridcolor="#eef2f7", tickformat=".1f")
    return fig


def _pct(v) -> str:
    return "—" if v is None or v != v else f"{v:+.2f}%"


def _select(id_: str, value, options, on_change) -> rx.Component:
    return rx.el.select(*options, value=value, on_change=on_change, id=id_, class_name="clss-select")


def market_body() -> rx.Component:
    S = MarketState
    filters = rx.hstack(
        _select("index-kind", S.kind, [rx.el.option(k.label, value=k.value) for k in IndexKind], S.set_kind),
        _select("area-band", S.band, [rx.el.option(b.label, value=b.value) for b in AreaBand], S.set_band),
        rx.text("月份", size="2", color=theme.TEXT_MUTED),
        _select(
            "month-from",
            S.month_from,
            [rx.foreach(S.month_options, lambda m: rx.el.option(m, value=m))],
            lambda v: S.set_range("from", v),
        ),
        rx.text("至", size="2"),
        _select(
            "month-to",
            S.month_to,
            [rx.foreach(S.month_options, lambda m: rx.el.option(m, value=m))],
            lambda v: S.set_range("to", v),
        ),
        rx.spacer(),
        rx.cond(
            S.can_edit,
            rx.link(rx.button(rx.icon("database", size=14), "指数数据与导入", variant="soft"), href="/market/data"),
        ),
        rx.button(
            rx.icon("download", size=14), "导出当前数据", on_click=S.export, variant="outline", id="market-export"
        ),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
    )
    chips = rx.hstack(
        rx.text("城市（可多选）", size="2", color=theme.TEXT_MUTED),
        rx.foreach(
            S.city_options,
            lambda c: rx.button(
                c,
                size="1",
                radius="full",
                on_click=S.toggle_city(c),
                id="city-" + c,
                variant=rx.cond(S.cities.contains(c), "solid", "outline"),
            ),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )
    table = rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(h) for h in ("城市", "月份", "指数值", "环比", "同比")])
        ),
        rx.el.tbody(
            rx.foreach(
                S.rows,
                lambda r: rx.el.tr(
                    *[rx.el.td(r[k], class_name="clss-cell") for k in ("city", "month", "value", "mom", "yoy")],
                    class_name="clss-row",
                ),
            ),
            class_name="clss-body",
        ),
        width="100%",
        size="1",
        id="market-table",
        class_name="clss-small",
    )
    return rx.vstack(
        rx.hstack(
            rx.heading("行情查询", size="5"),
            rx.cond(S.demo, rx.badge("演示数据：模拟生成，非真实行情", color_scheme="amber", id="demo-badge")),
            spacing="3",
            align="center",
        ),
        card(rx.vstack(filters, chips, spacing="3", width="100%")),
        card(
            rx.vstack(
                rx.text("指数走势", weight="medium"),
                rx.cond(
                    S.cities.length() > 0,
                    rx.plotly(
                        data=S.figure, width="100%", height="380px", config={"displaylogo": False, "responsive": True}
                    ),
                    rx.center(rx.text("请至少选择一个城市", color=theme.TEXT_MUTED), height="200px"),
                ),
                spacing="2",
                width="100%",
                id="market-chart",
            )
        ),
        card(
            rx.vstack(
                rx.text("环比 / 同比（新月份在前）", weight="medium"),
                rx.box(table, max_height="420px", overflow_y="auto", width="100%"),
                spacing="2",
                width="100%",
            )
        ),
        spacing="4",
        width="100%",
    )
