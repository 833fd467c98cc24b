"""系统管理 · 员工管理: staff within my scope; unlock locked-out accounts."""
import reflex as rx

from clss_app.services import staff
from clss_app.services.permissions import Forbidden
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.shell import card

PAGE_SIZE = 20


class StaffState(AuthState):
    keyword: str = ""
    page: int = 1
    total: int = 0
    rows: list[dict[str, str | int | bool]] = []

    @rx.var
    def pages(self) -> int:
        return max(1, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    def _reload(self):
        try:
            with self._session() as (s, p):
                self.rows, self.total = staff.list_staff(s, p, self.keyword, self.page, PAGE_SIZE)
        except Forbidden as exc:
            self.rows, self.total = [], 0
            return self._refused(exc)

    @rx.event
    def load(self):
        self.page = 1
        return self._reload()

    @rx.event
    def search(self, form: dict):
        self.keyword = str(form.get("keyword", ""))[:32]
        self.page = 1
        return self._reload()

    @rx.event
    def go(self, delta: int):
        self.page = min(max(1, self.page + int(delta)), self.pages)
        return self._reload()

    @rx.event
    def unlock(self, user_id: int):
        try:
            with self._session() as (s, p):
                message = staff.unlock_user(s, p, int(user_id))
        except Forbidden as exc:
            return self._refused(exc)
        self._reload()
        return rx.toast.success(message, position="top-center")


def _row(r) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["username"]), rx.table.cell(r["display_name"]),
        rx.table.cell(rx.badge(r["role"], variant="soft")), rx.table.cell(r["unit"]),
        rx.table.cell(r["scope"]), rx.table.cell(r["active"]),
        rx.table.cell(rx.cond(
            r["locked"],
            rx.hstack(rx.badge("已锁定", color_scheme="red"),
                      rx.button("解锁", size="1", variant="soft", on_click=StaffState.unlock(r["id"]),
                                id=f"unlock-{r['username']}")),
            rx.text("正常", size="2", color=theme.TEXT_MUTED))),
        data_username=r["username"],
    )


def staff_body() -> rx.Component:
    return card(rx.vstack(
        rx.form(rx.hstack(
            rx.input(name="keyword", placeholder="登录名 / 姓名 / 手机号", width="260px", max_length=32),
            rx.button(rx.icon("search", size=15), "查询", type="submit"),
            rx.spacer(),
            rx.text("共 ", StaffState.total, " 人", size="2", color=theme.TEXT_MUTED),
            width="100%", align="center"), on_submit=StaffState.search, width="100%"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                           ("登录名", "姓名", "角色", "所属机构", "数据权限", "状态", "锁定")])),
            rx.table.body(rx.foreach(StaffState.rows, _row)),
            width="100%", size="2", id="staff-table",
        ),
        rx.hstack(
            rx.button("上一页", variant="soft", size="1", on_click=StaffState.go(-1),
                      disabled=StaffState.page <= 1),
            rx.text("第 ", StaffState.page, " / ", StaffState.pages, " 页", size="2"),
            rx.button("下一页", variant="soft", size="1", on_click=StaffState.go(1),
                      disabled=StaffState.page >= StaffState.pages),
            justify="end", width="100%", align="center",
        ),
        spacing="3", width="100%",
    ))
