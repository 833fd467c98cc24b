"""数据分析 · 经营看板: the executives' dashboard, declared; every figure opens the list behind it.

The figures are ``clss_app.services.analytics``'s; this module lays them out, formats them in
Chinese and turns each into a link to the engine list filtered to the rows it counts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import plotly.graph_objects as go
import reflex as rx
from sqlmodel import Session

from clss_app.admin.components.dashboard import dashboard_body
from clss_app.admin.dashboard import DashboardState
from clss_app.admin.fields import parse_month
from clss_app.admin.widgets import Chart, Dashboard, Filter, Stat, Table, list_link
from clss_app.core import clock
from clss_app.core.money import from_cents
from clss_app.services import analytics as an
from clss_app.services import figures
from clss_app.services.permissions import Principal
from clss_app.ui import theme
from models import RoomStatus

MONTHS_OFFERED = 36
BLUE, GREEN, ORANGE, RED, PURPLE, GREY = "#2563eb", "#16a34a", "#ea580c", "#dc2626", "#7c3aed", "#94a3b8"


def money(cents: int) -> str:
    return f"¥{from_cents(cents):,.2f}"


percent = figures.percent


# ---------------------------------------------------------------- drill-down links


def _links(p, d: dict, narrowed: bool) -> dict:
    """Where each figure leads: the engine list, filtered to the rows the figure counts."""
    projects = (d["project_ids"] or [0]) if narrowed else None  # [0]: a city without projects shows nothing
    start, end, due_end, today = d["start"], d["end"], d["due_end"], d["today"]
    signed_states = list(an.SIGNED_STATES)

    def bills(**kw):
        return list_link(p, "bills", project_id=projects, **kw)

    def contracts(**kw):
        return list_link(p, "contracts", project_id=projects, **kw)

    month_rows = []
    for m in d["monthly"]:
        last = an.month_end(m["month"])
        month_rows.append(
            {
                "due": bills(state=an.DUE_STATES, due_date__gte=m["month"], due_date__lte=min(last, due_end))
                if m["month"] <= due_end
                else "",
                "revenue": list_link(p, "payments", project_id=projects, paid_on__gte=m["month"], paid_on__lte=last),
                "signings": contracts(
                    state=signed_states, source=an.NEW_SOURCES, signed_on__gte=m["month"], signed_on__lte=last
                ),
                "renewals": contracts(
                    state=signed_states, source="renewal", signed_on__gte=m["month"], signed_on__lte=last
                ),
                "check_outs": contracts(checked_out_on__gte=m["month"], checked_out_on__lte=last),
            }
        )
    arrears = [
        bills(
            state=an.OPEN_STATES,
            due_date__lte=today - timedelta(days=b["low"]),
            due_date__gte=None if b["high"] is None else today - timedelta(days=b["high"]),
        )
        for b in d["arrears"]
    ]
    return {
        "occupancy": list_link(p, "rooms", project_id=projects, status=an.RENTED),
        "collection": bills(state=an.DUE_STATES, due_date__gte=start, due_date__lte=due_end),
        "revenue": list_link(p, "payments", project_id=projects, paid_on__gte=start, paid_on__lte=end),
        "arrears_total": bills(state=an.OPEN_STATES, due_date__lte=figures.last_overdue_due_date(today)),
        "arrears": arrears,
        "expiring": [
            contracts(state=an.EXPIRING_STATES, end_date__gte=today, end_date__lte=today + timedelta(days=e["days"]))
            for e in d["expiring"]
        ],
        "rent_per_sqm": [
            list_link(
                p,
                "rooms",
                project_id=projects,
                unit_type_id=r["unit_type_ids"] or [0],
                status=RoomStatus.OCCUPIED.value,
            )
            for r in d["rent_per_sqm"]
        ],
        "funnel": [
            list_link(p, "appointments", project_id=projects, created_at__gte=start, created_at__lte=end),
            list_link(p, "reservations", project_id=projects, created_at__gte=start, created_at__lte=end),
            contracts(state=signed_states, source=an.NEW_SOURCES, signed_on__gte=start, signed_on__lte=end),
        ],
        "months": month_rows,
        "project_rooms": {r["project_id"]: list_link(p, "rooms", project_id=r["project_id"]) for r in d["projects"]},
        "project_arrears": {
            r["project_id"]: list_link(
                p,
                "bills",
                project_id=r["project_id"],
                state=an.OPEN_STATES,
                due_date__lte=figures.last_overdue_due_date(today),
            )
            for r in d["projects"]
        },
    }


# ---------------------------------------------------------------- charts


def _layout(fig: go.Figure, y_title: str, money_axis: bool = False) -> go.Figure:
    fig.update_layout(legend=dict(orientation="h", y=1.12, x=0), bargap=0.25, hoverlabel=dict(font_size=12))
    fig.update_xaxes(type="category")
    fig.update_yaxes(
        title=y_title,
        gridcolor="#eef2f7",
        tickprefix="¥" if money_axis else "",
        tickformat=",.0f" if money_axis else ",d",
        rangemode="tozero",
    )
    return fig


def _month_labels(d) -> list[str]:
    return [m["month"].strftime("%Y-%m") for m in d["monthly"]]


def collection_figure(d) -> go.Figure:
    x = _month_labels(d)
    owed = [m["owed"] / 100 for m in d["monthly"]]
    paid = [m["paid"] / 100 for m in d["monthly"]]
    rate = [an.ratio(m["paid"], m["owed"]) for m in d["monthly"]]
    fig = go.Figure(
        [
            go.Bar(name="应收", x=x, y=owed, marker_color=GREY, hovertemplate="%{x} 应收：¥%{y:,.2f}<extra></extra>"),
            go.Bar(name="已收", x=x, y=paid, marker_color=BLUE, hovertemplate="%{x} 已收：¥%{y:,.2f}<extra></extra>"),
            go.Scatter(
                name="收缴率",
                x=x,
                y=[None if r is None else r * 100 for r in rate],
                yaxis="y2",
                mode="lines+markers",
                line=dict(color=GREEN),
                hovertemplate="%{x} 收缴率：%{y:.1f}%<extra></extra>",
            ),
        ]
    )
    _layout(fig, "金额（元）", money_axis=True)  # before the rate's own axis, which it would restyle
    fig.update_layout(
        yaxis2=dict(overlaying="y", side="right", range=[0, 105], ticksuffix="%", showgrid=False, title="收缴率")
    )
    return fig


def collection_links(d) -> list[list[str]]:
    due = [m["due"] for m in d["links"]["months"]]
    return [due, due, due]


def leasing_figure(d) -> go.Figure:
    x = _month_labels(d)
    fig = go.Figure(
        [
            go.Bar(
                name=label,
                x=x,
                y=[m[key] for m in d["monthly"]],
                marker_color=colour,
                hovertemplate=f"%{{x}} {label}：%{{y:,}} 份<extra></extra>",
            )
            for key, label, colour in (
                ("signings", "新签", BLUE),
                ("renewals", "续租", GREEN),
                ("check_outs", "退房", ORANGE),
            )
        ]
    )
    return _layout(fig, "合同数（份）")


def leasing_links(d) -> list[list[str]]:
    return [[m[k] for m in d["links"]["months"]] for k in ("signings", "renewals", "check_outs")]


def revenue_figure(d) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=_month_labels(d),
            y=[m["revenue"] / 100 for m in d["monthly"]],
            marker_color=PURPLE,
            name="实收",
            hovertemplate="%{x} 实收：¥%{y:,.2f}<extra></extra>",
        )
    )
    return _layout(fig, "实收（元）", money_axis=True)


def arrears_figure(d) -> go.Figure:
    bands = d["arrears"]
    fig = go.Figure(
        go.Bar(
            x=[b["band"] for b in bands],
            y=[b["amount"] / 100 for b in bands],
            marker_color=["#fbbf24", ORANGE, "#f97316", RED],
            name="欠费",
            customdata=[b["bills"] for b in bands],
            text=[money(b["amount"]) for b in bands],
            textposition="outside",
            hovertemplate="逾期 %{x}：¥%{y:,.2f}（%{customdata} 笔）<extra></extra>",
        )
    )
    return _layout(fig, "欠费金额（元）", money_axis=True)


def rent_figure(d) -> go.Figure:
    rows = d["rent_per_sqm"]
    fig = go.Figure(
        go.Bar(
            x=[r["unit_type"] for r in rows],
            y=[round(r["per_sqm"], 2) for r in rows],
            marker_color=BLUE,
            customdata=[r["contracts"] for r in rows],
            name="租金单价",
            hovertemplate="%{x}：¥%{y:,.2f}/㎡·月（%{customdata} 份合同）<extra></extra>",
        )
    )
    fig.update_yaxes(tickprefix="¥")
    return _layout(fig, "月租金 / ㎡（元）")


def funnel_figure(d) -> go.Figure:
    f = d["funnel"]
    return go.Figure(
        go.Funnel(
            y=["预约看房", "预定", "新签合同"],
            x=[f["appointments"], f["reservations"], f["contracts"]],
            textinfo="value+percent initial",
            marker_color=[BLUE, ORANGE, GREEN],
            hovertemplate="%{y}：%{x:,}<extra></extra>",
        )
    )


# ---------------------------------------------------------------- the dashboard


class AnalyticsDashboard(Dashboard, key="dashboard"):
    columns = 4
    filters = [
        Filter("city", "城市", "全部城市"),
        Filter("project", "项目", "全部项目"),
        Filter("month_from", "起始月份"),
        Filter("month_to", "截止月份"),
    ]
    widgets = [
        Stat(
            figures.OCCUPANCY.key,
            figures.OCCUPANCY.label,
            lambda d: figures.occupancy_text(d["rented"], d["rentable"]),
            "percent",
            BLUE,
            link=lambda d: d["links"]["occupancy"],
            note=lambda d: figures.occupancy_note(d["rented"], d["rentable"]),
            hint=figures.OCCUPANCY.hint,
        ),
        Stat(
            figures.COLLECTION.key,
            figures.COLLECTION.label,
            lambda d: percent(an.ratio(d["paid"], d["owed"])),
            "badge-check",
            GREEN,
            link=lambda d: d["links"]["collection"],
            note=lambda d: f"已收 {money(d['paid'])} / 应收 {money(d['owed'])}",
            hint=figures.COLLECTION.hint,
        ),
        Stat(
            "revenue",
            "实收金额",
            lambda d: money(d["revenue"]),
            "wallet",
            PURPLE,
            link=lambda d: d["links"]["revenue"],
            note=lambda d: f"{d['start']:%Y-%m} 至 {d['end']:%Y-%m} 收款合计",
            hint=figures.REVENUE.hint,
        ),
        Stat(
            "arrears",
            "欠费总额",
            lambda d: money(d["arrears_total"]),
            "triangle-alert",
            RED,
            link=lambda d: d["links"]["arrears_total"],
            note=lambda d: f"截至 {d['today']:%Y-%m-%d}，{sum(b['bills'] for b in d['arrears']):,} 笔未结清",
            hint=figures.ARREARS.hint,
        ),
        Chart("collection", "每月应收与收缴率（按应收日期）", collection_figure, span=2, links=collection_links),
        Chart("leasing", "每月新签 / 续租 / 退房", leasing_figure, span=2, links=leasing_links),
        Chart("arrears", "欠费账龄", arrears_figure, span=2, links=lambda d: [d["links"]["arrears"]]),
        Chart(
            "funnel", "转化漏斗：预约看房 → 预定 → 签约", funnel_figure, span=2, links=lambda d: [d["links"]["funnel"]]
        ),
        Chart(
            "revenue",
            "每月实收",
            revenue_figure,
            span=2,
            links=lambda d: [[m["revenue"] for m in d["links"]["months"]]],
        ),
        Chart("rent", "户型租金单价（执行中合同）", rent_figure, span=2, links=lambda d: [d["links"]["rent_per_sqm"]]),
        Table(
            "expiring",
            "即将到期合同（执行中）",
            [("label", "到期时间"), ("count", "合同数")],
            lambda d: [
                {"label": f"{e['days']} 天内", "count": f"{e['count']:,}", "href": href}
                for e, href in zip(d["expiring"], d["links"]["expiring"])
            ],
            span=1,
            links={"count": "href"},
        ),
        Table(
            "months",
            "月度明细",
            [
                ("month", "月份"),
                ("owed", "应收"),
                ("paid", "已收"),
                ("rate", "收缴率"),
                ("revenue", "实收"),
                ("signings", "新签"),
                ("renewals", "续租"),
                ("check_outs", "退房"),
            ],
            lambda d: [
                {
                    "month": m["month"].strftime("%Y-%m"),
                    "owed": money(m["owed"]),
                    "paid": money(m["paid"]),
                    "rate": percent(an.ratio(m["paid"], m["owed"])),
                    "revenue": money(m["revenue"]),
                    "signings": f"{m['signings']:,}",
                    "renewals": f"{m['renewals']:,}",
                    "check_outs": f"{m['check_outs']:,}",
                    **{f"{k}_href": v for k, v in links.items()},
                }
                for m, links in zip(d["monthly"], d["links"]["months"])
            ],
            span=3,
            links={
                "owed": "due_href",
                "revenue": "revenue_href",
                "signings": "signings_href",
                "renewals": "renewals_href",
                "check_outs": "check_outs_href",
            },
        ),
        Table(
            "projects",
            "分项目",
            [
                ("name", "项目"),
                ("city", "城市"),
                ("rooms", "房间"),
                ("occupancy", "出租率"),
                ("owed", "应收"),
                ("paid", "已收"),
                ("rate", "收缴率"),
                ("revenue", "实收"),
                ("arrears", "欠费"),
            ],
            lambda d: [
                {
                    "name": r["name"],
                    "city": r["city"],
                    "rooms": f"{r['rooms']:,}",
                    "occupancy": figures.occupancy_text(r["rented"], r["rentable"]),
                    "owed": money(r["owed"]),
                    "paid": money(r["paid"]),
                    "rate": percent(an.ratio(r["paid"], r["owed"])),
                    "revenue": money(r["revenue"]),
                    "arrears": money(r["arrears"]),
                    "rooms_href": d["links"]["project_rooms"][r["project_id"]],
                    "arrears_href": d["links"]["project_arrears"][r["project_id"]],
                }
                for r in d["projects"]
            ],
            span=4,
            links={"name": "rooms_href", "arrears": "arrears_href"},
            hints={
                "occupancy": figures.OCCUPANCY.hint,
                "rate": figures.COLLECTION.hint,
                "arrears": figures.ARREARS.hint,
            },
        ),
    ]

    @classmethod
    def filter_options(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
        projects = an.project_choices(session, p)
        cities = sorted({c for _, _, c in projects})
        months = [m.strftime("%Y-%m") for m in an.months_back(clock.today(), MONTHS_OFFERED)]
        city = chosen.get("city", "")
        return {
            "city": [(c, c) for c in cities],
            "project": [(str(i), n) for i, n, c in projects if not city or c == city],
            "month_from": [(m, m) for m in months],
            "month_to": [(m, m) for m in months],
        }

    @classmethod
    def filter_default(cls, key: str, allowed: list[str]) -> str:
        if key == "month_from" and allowed:
            return allowed[min(11, len(allowed) - 1)]  # the last twelve months
        return super().filter_default(key, allowed)

    @classmethod
    def data(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, Any]:
        first, last = sorted([parse_month(chosen["month_from"]), parse_month(chosen["month_to"])])
        f = an.Filters(month_from=first, month_to=last, city=chosen["city"], project_id=int(chosen["project"] or 0))
        d = an.dashboard(session, p, f, clock.today())
        return {**d, "links": _links(p, d, bool(f.city or f.project_id))}


def analytics_body() -> rx.Component:
    return dashboard_body(
        AnalyticsDashboard,
        DashboardState,
        header=rx.vstack(
            rx.heading("经营看板", size="5"),
            rx.text(
                "数据范围：您的数据权限内的项目。点击任一数字或柱形，可查看其背后的明细列表。",
                size="2",
                color=theme.TEXT_MUTED,
            ),
            spacing="1",
        ),
    )


ANALYTICS_LOAD = DashboardState.load_dashboard("dashboard")
