"""APP管理: banners (with a preview of a city's APP home page), tenant evaluations and system feedback."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from clss_app.admin import Errors, Image, Input, ModelAdmin, Ordering, Scope, Sort, Values
from clss_app.core.media import ROUTE as MEDIA
from clss_app.core.roles import STORE, SYS
from clss_app.services import marketing
from clss_app.services.permissions import VIEW, Forbidden, Principal, require
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.card import card
from models import Banner, BannerGroup, Evaluation, Feedback, FeedbackState, Role

R = Role


class BannerAdmin(ModelAdmin, model=Banner, key="banners"):
    fields_override = {
        "image": Image(max_mb=2, help="JPG / PNG / WebP，不超过 2 MB"),
        "url": Input(help="跳转类型为“网址”时填写，以 http(s):// 开头"),
    }
    list_columns = ["group", "city", "sort_order", "title", "image", "link_kind", "online_from", "online_to", "enabled"]
    search = ["title", "city"]
    filters = ["group", "link_kind", "enabled", "branch_id"]
    form = [
        "branch_id",
        "group",
        "city",
        "title",
        "image",
        "link_kind",
        "project_id",
        "event_id",
        "url",
        "online_from",
        "online_to",
        "enabled",
    ]
    default_sort = "sort_order"
    ordering = Ordering("sort_order", within=("group", "city"))
    scope = Scope.unit("branch_id")
    can_create = can_update = can_delete = SYS

    @classmethod
    def validate(cls, session: Session, p: Principal, values: Values, row: Banner | None) -> Errors:
        return marketing.banner_problems(session, values, row)


class EvaluationAdmin(ModelAdmin, model=Evaluation, key="evaluations"):
    noun = "评价"
    list_columns = ["project_id", "tenant_id", "contract_id", "score", "content", "created_at"]
    search = ["content"]
    filters = ["project_id", "score", "created_at"]
    default_sort = "-created_at"
    scope = Scope.project("project_id")
    can_export = SYS | STORE  # read-only: tenants write them in the APP, replies are not supported


class FeedbackAdmin(ModelAdmin, model=Feedback, key="feedback"):
    list_columns = ["title", "kind", "branch_id", "submitted_by_id", "state", "reply", "created_at"]
    search = ["title", "content"]
    filters = ["kind", "state", "branch_id"]
    form = ["kind", "title", "content", "state", "reply"]
    noun = "反馈"
    # What HQ has still to answer leads, the oldest first; the answered follow, latest first.
    default_sort = Sort(
        "created_at", first={"state": (FeedbackState.OPEN, FeedbackState.IN_PROGRESS)}, then="-created_at"
    )
    scope = Scope.unit("branch_id")
    # Branch admins write it; HQ answers it.
    readonly_for = {
        "state": {R.SYSTEM_ADMIN},
        "reply": {R.SYSTEM_ADMIN},
        "kind": {R.SUPER_ADMIN},
        "title": {R.SUPER_ADMIN},
        "content": {R.SUPER_ADMIN},
    }
    can_create = SYS
    can_update = frozenset({R.SUPER_ADMIN})
    can_export = SYS | {R.SUPER_ADMIN}

    @classmethod
    def before_save(cls, session: Session, p: Principal, values: Values, row: Feedback | None) -> str:
        if row is None:
            values.update(branch_id=p.unit_id, submitted_by_id=p.actor_id)
            return "已提交，总行处理后可在列表中查看处理状态"
        return ""


# ---------------------------------------------------------------- APP home page preview


class PreviewState(AuthState):
    cities: list[str] = []
    city: str = ""
    home: list[dict[str, str]] = []
    featured: list[dict[str, str]] = []
    recommended: list[dict[str, str]] = []

    @rx.event
    def load(self):
        try:
            with self._session() as (s, p):
                self.cities = marketing.preview_cities(s, require(p, VIEW, "app_preview"))
        except Forbidden as exc:
            return self._refused(exc)
        if self.city not in self.cities:
            self.city = self.cities[0] if self.cities else ""
        return self._show()

    @rx.event
    def choose(self, city: str):
        self.city = city if city in self.cities else self.city
        return self._show()

    def _show(self):
        try:
            with self._session() as (s, p):
                cards = marketing.preview_cards(s, require(p, VIEW, "app_preview"), self.city)
        except Forbidden as exc:
            return self._refused(exc)
        rows = {g: [{**c, "image": f"{MEDIA}/{c['image']}"} for c in cs] for g, cs in cards.items()}
        self.home, self.featured = rows[BannerGroup.HOME.value], rows[BannerGroup.FEATURED.value]
        self.recommended = rows[BannerGroup.RECOMMEND.value]


def _phone_section(title: str, items, tile, empty: str, id_: str) -> rx.Component:
    return rx.vstack(
        rx.text(title, weight="bold", size="2"),
        rx.cond(items.length() > 0, tile, rx.text(empty, size="1", color=theme.TEXT_MUTED)),
        spacing="2",
        width="100%",
        id=id_,
    )


def preview_body() -> rx.Component:
    S = PreviewState
    image = lambda src, h: rx.image(src=src, width="100%", height=h, object_fit="cover", border_radius="8px")  # noqa: E731
    phone = rx.box(
        rx.vstack(
            rx.hstack(
                rx.icon("map-pin", size=14),
                rx.text(S.city, size="2", weight="bold"),
                rx.spacer(),
                rx.text("搜索房源", size="1", color=theme.TEXT_MUTED),
                width="100%",
            ),
            _phone_section(
                "首页Banner",
                S.home,
                rx.vstack(
                    rx.foreach(
                        S.home,
                        lambda b: rx.box(
                            image(b["image"], "150px"),
                            rx.text(b["target"], size="1", color=theme.TEXT_MUTED),
                            width="100%",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                "暂无上线的首页Banner",
                "preview-home",
            ),
            _phone_section(
                "运营精选",
                S.featured,
                rx.grid(
                    rx.foreach(
                        S.featured,
                        lambda b: rx.vstack(
                            image(b["image"], "70px"), rx.text(b["title"], size="1", weight="medium"), spacing="1"
                        ),
                    ),
                    columns="2",
                    spacing="2",
                    width="100%",
                ),
                "暂无运营精选",
                "preview-featured",
            ),
            _phone_section(
                "首页推荐",
                S.recommended,
                rx.grid(
                    rx.foreach(
                        S.recommended,
                        lambda b: rx.vstack(
                            image(b["image"], "80px"),
                            rx.text(b["title"], size="1", weight="medium"),
                            rx.text(b["target"], size="1", color=theme.TEXT_MUTED),
                            spacing="1",
                        ),
                    ),
                    columns="2",
                    spacing="2",
                    width="100%",
                ),
                "暂无首页推荐",
                "preview-recommend",
            ),
            rx.text("查看更多 ›", size="1", color="#2563eb", align="center", width="100%"),
            spacing="4",
            width="100%",
        ),
        width="375px",
        min_height="667px",
        padding="16px",
        background="white",
        border="10px solid #1f2937",
        border_radius="36px",
        overflow_y="auto",
    )
    return rx.vstack(
        rx.hstack(
            rx.heading("APP首页预览", size="5"),
            rx.spacer(),
            rx.el.select(
                rx.foreach(S.cities, lambda c: rx.el.option(c, value=c)),
                value=S.city,
                on_change=S.choose,
                id="preview-city",
                class_name="clss-select",
            ),
            width="100%",
            align="center",
        ),
        rx.text(
            "按当前时间展示：已启用、且在上线时间内的 Banner，按排序先后；首页推荐最多 6 个。",
            size="2",
            color=theme.TEXT_MUTED,
        ),
        card(rx.center(phone, width="100%")),
        spacing="4",
        width="100%",
    )
