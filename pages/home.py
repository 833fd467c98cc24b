"""首页: what lies inside my data scope, as a declared dashboard."""

from typing import Any

import plotly.graph_objects as go
import reflex as rx
from sqlmodel import Session

from clss_app.admin.components.dashboard import dashboard_body
from clss_app.admin.dashboard import DashboardState
from clss_app.admin.widgets import Chart, Dashboard, Stat, Table
from clss_app.services import figures, overview
from clss_app.services.permissions import Principal
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.bell import notice_board, todo_links
from models import RoomStatus

STATUS_COLOURS = {
    "vacant": "#30a46c",
    "locked": "#8b8d98",
    "reserved": "#ffc53d",
    "signed": "#00a2c7",
    "occupied": "#0090ff",
}


def _status_figure(d) -> go.Figure:
    labels = [s.label for s in RoomStatus]
    values = [d["status_counts"][s.value] for s in RoomStatus]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            marker_color=[STATUS_COLOURS[s.value] for s in RoomStatus],
            text=[f"{v:,}" for v in values],
            textposition="outside",
            hovertemplate="%{x}：%{y:,} 间<extra></extra>",
        )
    )
    fig.update_yaxes(title="房间数", gridcolor="#eef2f7")
    return fig


def _projects_figure(d) -> go.Figure:
    top = sorted(d["projects"], key=lambda r: -r["rooms"])[:8][::-1]
    return go.Figure(
        go.Bar(
            y=[r["name"] for r in top],
            x=[r["rooms"] for r in top],
            orientation="h",
            marker_color="#3b82f6",
            hovertemplate="%{y}：%{x:,} 间<extra></extra>",
        )
    )


class HomeDashboard(Dashboard, key="home"):
    columns = 4
    exportable = False  # a start page, not a report
    widgets = [
        Stat("projects", "项目", lambda d: d["projects_total"], "building-2", "#2563eb", link="/housing/projects"),
        Stat("rooms", "房间", lambda d: d["rooms_total"], "door-open", "#7c3aed"),
        Stat("vacant", "空闲可租", lambda d: d["status_counts"][RoomStatus.VACANT.value], "key-round", "#16a34a"),
        Stat(
            figures.OCCUPANCY.key,
            figures.OCCUPANCY.label,
            lambda d: figures.occupancy_text(d["rented"], d["rentable"]),
            "percent",
            "#ea580c",
            note=lambda d: figures.occupancy_note(d["rented"], d["rentable"]),
            hint=figures.OCCUPANCY.hint,
        ),
        Table(
            "todo",
            "待我处理",
            [("item", "事项"), ("count", "数量")],
            lambda d: d["todo"],
            span=4,
            link="href",
            empty="暂无待办，一切就绪",
        ),
        Chart("status", "房态分布", _status_figure, span=2),
        Chart("projects", "房间最多的项目", _projects_figure, span=2),
        Table(
            "projects",
            "我的项目",
            [
                ("name", "项目名称"),
                ("city", "城市"),
                ("company", "所属企业"),
                ("kind", "类型"),
                ("rooms", "房间数"),
                ("occupancy", "出租率"),
            ],
            lambda d: d["projects"],
            span=4,
            hints={"occupancy": figures.OCCUPANCY.hint},
        ),
    ]

    @classmethod
    def data(cls, session: Session, p: Principal, chosen: dict[str, str]) -> dict[str, Any]:
        return {**overview.scope_summary(session, p, limit=50), "todo": todo_links(session, p)}


def home_body() -> rx.Component:
    return dashboard_body(
        HomeDashboard,
        DashboardState,
        header=rx.vstack(
            rx.heading("欢迎回来，", AuthState.display_name, size="6"),
            rx.text("以下数据均在您的数据权限范围内（", AuthState.unit_name, "）", color=theme.TEXT_MUTED, size="2"),
            notice_board(),
            spacing="1",
            width="100%",
        ),
    )


HOME_LOAD = DashboardState.load_dashboard("home")
