"""首页: what lies inside my data scope."""
import reflex as rx

from clss_app.services import overview
from clss_app.services.permissions import Forbidden
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.shell import card
from models import RoomStatus


class HomeState(AuthState):
    projects_total: int = 0
    rooms_total: int = 0
    status_counts: dict[str, int] = {}
    occupancy: str = "—"
    projects: list[dict[str, str | int]] = []

    @rx.event
    def load(self):
        try:
            with self._session() as (s, p):
                data = overview.scope_summary(s, p)
        except Forbidden as exc:
            return self._refused(exc)
        self.projects_total = data["projects_total"]
        self.rooms_total = data["rooms_total"]
        self.status_counts = data["status_counts"]
        occ = data["status_counts"][RoomStatus.OCCUPIED.value]
        self.occupancy = f"{occ / data['rooms_total'] * 100:.1f}%" if data["rooms_total"] else "—"
        self.projects = data["projects"]


def _stat(label: str, value, icon: str, colour: str, test_id: str) -> rx.Component:
    return card(
        rx.hstack(
            rx.vstack(rx.text(label, size="2", color=theme.TEXT_MUTED),
                      rx.text(value, size="7", weight="bold", id=test_id), spacing="1"),
            rx.spacer(),
            rx.center(rx.icon(icon, size=22, color=colour), width="44px", height="44px",
                      border_radius="10px", background=f"{colour}1a"),
            align="center", width="100%",
        ),
    )


def _status_bar() -> rx.Component:
    return rx.hstack(
        *[rx.hstack(
            rx.box(width="10px", height="10px", border_radius="3px",
                   background=f"var(--{theme.STATUS_COLOURS[s.value]}-9)"),
            rx.text(s.label, size="2", color=theme.TEXT_MUTED),
            rx.text(HomeState.status_counts[s.value].to_string(), size="2", weight="bold"),
            spacing="2", align="center") for s in RoomStatus],
        spacing="5", wrap="wrap",
    )


def home_body() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(f"欢迎回来，", AuthState.display_name, size="6"),
            rx.text("以下数据均在您的数据权限范围内（", AuthState.unit_name, "）", color=theme.TEXT_MUTED, size="2"),
            spacing="1",
        ),
        rx.grid(
            _stat("项目", HomeState.projects_total, "building-2", "#2563eb", "stat-projects"),
            _stat("房间", HomeState.rooms_total, "door-open", "#7c3aed", "stat-rooms"),
            _stat("空闲可租", HomeState.status_counts[RoomStatus.VACANT.value], "key-round", "#16a34a",
                  "stat-vacant"),
            _stat("出租率", HomeState.occupancy, "percent", "#ea580c", "stat-occupancy"),
            columns="4", spacing="4", width="100%",
        ),
        card(rx.vstack(rx.text("房态分布", weight="medium"), _status_bar(), spacing="3")),
        card(
            rx.vstack(
                rx.hstack(rx.text("我的项目", weight="medium"), rx.spacer(),
                          rx.text("共 ", HomeState.projects_total, " 个", size="2", color=theme.TEXT_MUTED)),
                rx.cond(
                    HomeState.projects.length() > 0,
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            *[rx.table.column_header_cell(h) for h in
                              ("项目名称", "城市", "所属企业", "类型", "房间数", "出租率")])),
                        rx.table.body(rx.foreach(HomeState.projects, lambda r: rx.table.row(
                            rx.table.cell(r["name"]), rx.table.cell(r["city"]), rx.table.cell(r["company"]),
                            rx.table.cell(r["kind"]), rx.table.cell(r["rooms"]),
                            rx.table.cell(r["occupancy"])))),
                        width="100%", size="2", id="home-projects",
                    ),
                    rx.text("您的数据范围内暂无项目", color=theme.TEXT_MUTED, id="home-empty"),
                ),
                spacing="3", width="100%",
            ),
        ),
        spacing="4", width="100%",
    )
