"""扫码收款: an order's QR code for the tenant to scan, and its state, live: 待支付 turns 已支付 and its bills
已收款 on screen as the provider's callback is posted, without a reload."""

from __future__ import annotations

import asyncio

import reflex as rx

from clss_app.compat import event
from clss_app.core.errors import Forbidden
from clss_app.services import documents, pay_orders
from clss_app.services.permissions import VIEW, in_scope, require
from clss_app.state import AuthState
from clss_app.ui import theme

KEY = "qr_pay"
POLL_SECONDS = 1.0
POLL_LIMIT = 3 * 3600  # an order page left open stops asking after three hours


class QrPayState(AuthState):
    order: dict[str, str] = {}
    order_bills: list[dict[str, str]] = []
    qr: str = ""
    missing: bool = False
    _watch: int = 0  # the live loop of the order on screen; an older loop sees a newer number and stops

    @rx.event
    def load(self):
        self.order, self.order_bills, self.qr, self.missing = {}, [], "", False
        self._watch += 1
        order_no = str(self.router.url.query_parameters.get("order", ""))[:32]
        if not order_no:
            return
        refused = self._read(order_no)
        if refused is not None:
            return refused
        if self.order.get("state_value") == "pending":
            return QrPayState.watch

    def _read(self, order_no: str):
        try:
            with self._session() as (s, p):
                p = require(p, VIEW, KEY)
                view = pay_orders.order_view(s, p, order_no, lambda pid: in_scope(p, project_id=pid))
        except Forbidden as exc:
            return self._refused(exc)
        if view is None:
            self.missing = True
            return None
        bills = view.pop("bills")
        qr = view.pop("qr_content")
        self.order = {k: str(v) for k, v in view.items()}
        self.order_bills = bills
        self.qr = documents.qr_svg_uri(qr) if qr else ""
        return None

    @event(background=True)
    async def watch(self):
        """Reads the order again every second while it waits for payment and this page shows it."""
        async with self:  # one loop per tab: a newer one (or a forged second call) ends this one
            self._watch += 1
            mine, order_no = self._watch, self.order.get("order_no", "")
        for _ in range(int(POLL_LIMIT / POLL_SECONDS)):
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                if self._watch != mine or not self.router.url.path.rstrip("/").endswith("/finance/qr-pay"):
                    return
                refused = self._read(order_no)
                if refused is not None:
                    return
                if self.order.get("state_value") != "pending":
                    return


def _state_badge() -> rx.Component:
    S = QrPayState
    colour = rx.match(S.order["state_value"], ("paid", "green"), ("pending", "blue"), "gray")
    return rx.badge(S.order["state"], color_scheme=colour, size="3", id="qr-order-state")


def _bills_table() -> rx.Component:
    S = QrPayState
    head = ("账单", "应收日期", "应收金额", "已收金额", "状态")
    return rx.table.root(
        rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in head))),
        rx.table.body(
            rx.foreach(
                S.order_bills,
                lambda b: rx.table.row(
                    rx.table.cell(b["title"]),
                    rx.table.cell(b["due_date"]),
                    rx.table.cell(b["amount"]),
                    rx.table.cell(b["paid"]),
                    rx.table.cell(
                        rx.badge(b["state"], color_scheme=rx.cond(b["state"] == "已收款", "green", "orange"))
                    ),
                    class_name="qr-bill-row",
                ),
            )
        ),
        variant="surface",
        width="100%",
    )


def qr_pay_body() -> rx.Component:
    S = QrPayState
    order = rx.hstack(
        rx.box(
            rx.cond(
                S.qr != "",
                rx.image(src=S.qr, width="260px", height="260px", alt="收款二维码", id="qr-code"),
                rx.center(
                    rx.icon(rx.cond(S.order["state_value"] == "paid", "circle-check", "circle-off"), size=64),
                    width="260px",
                    height="260px",
                    color=rx.cond(S.order["state_value"] == "paid", "var(--green-9)", "var(--gray-8)"),
                ),
            ),
            rx.text(
                rx.cond(S.qr != "", "请租客使用手机扫码支付", ""), size="2", color=theme.TEXT_MUTED, align="center"
            ),
            padding="16px",
            border=f"1px solid {theme.BORDER}",
            border_radius="12px",
            background="white",
        ),
        rx.vstack(
            rx.hstack(rx.heading(S.order["amount"], size="7"), _state_badge(), align="center", spacing="3"),
            rx.text("订单号：", S.order["order_no"], size="2"),
            rx.text("租客：", S.order["tenant"], size="2"),
            rx.text("有效期至：", S.order["expire_at"], size="2"),
            rx.cond(S.order["paid_at"] != "", rx.text("支付时间：", S.order["paid_at"], size="2")),
            rx.text("支付成功后账单自动入账，本页无需刷新。", size="1", color=theme.TEXT_MUTED),
            rx.cond(
                S.order["demo_pay_url"] != "",
                rx.link(
                    "演示环境：打开沙箱支付页模拟租客扫码",
                    href=S.order["demo_pay_url"],
                    is_external=True,
                    size="2",
                    id="qr-demo-pay",
                ),
            ),
            _bills_table(),
            spacing="2",
            flex="1",
            align="start",
        ),
        spacing="6",
        align="start",
        width="100%",
    )
    hint = rx.callout(
        "在「财务管理 → 账单管理」中勾选同一租客已确认的账单，点击「生成收款码」，即在此显示二维码。",
        icon="info",
    )
    return rx.vstack(
        rx.heading("扫码收款", size="5"),
        rx.cond(
            S.missing,
            rx.callout("订单不存在或不在您的数据范围内", icon="triangle-alert", color_scheme="red"),
            rx.cond(S.order.contains("order_no"), order, hint),
        ),
        spacing="4",
        width="100%",
    )
