"""登录页."""

import reflex as rx

from clss_app.state import AuthState
from clss_app.ui import theme


def _field(label: str, name: str, icon: str, **props) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium", color="#374151"),
        rx.input(
            rx.input.slot(rx.icon(icon, size=16)), name=name, id=name, size="3", width="100%", max_length=128, **props
        ),
        rx.cond(
            (AuthState.login_error != "") & (AuthState.login_error_field == name),
            rx.text(AuthState.login_error, size="2", color="#dc2626", id=f"{name}-error"),
        ),
        spacing="1",
        width="100%",
    )


def _aside() -> rx.Component:
    points = [
        ("layout-grid", "房态一屏掌握", "空闲、锁定、预定、在租，一目了然"),
        ("file-text", "租务全流程", "预约、预定、签约、入住、退房在线办理"),
        ("wallet", "账单自动生成", "按月、按季、按年，对日或月初计费"),
        ("chart-column", "经营数据分析", "出租率、收缴率、欠费账龄实时可见"),
    ]
    return rx.vstack(
        rx.hstack(
            rx.center(
                rx.icon("house", size=20, color="white"),
                width="36px",
                height="36px",
                border_radius="9px",
                background="rgba(255,255,255,0.16)",
            ),
            rx.text("CLSS Admin", size="5", weight="bold", color="white"),
            spacing="3",
            align="center",
        ),
        rx.vstack(
            rx.heading("企业租赁服务管理系统", size="7", color="white", weight="bold"),
            rx.text("面向持牌租赁企业的房源、租务、财务一体化运营后台", size="3", color="rgba(255,255,255,0.75)"),
            spacing="2",
            margin_top="auto",
        ),
        rx.vstack(
            *[
                rx.hstack(
                    rx.center(
                        rx.icon(i, size=18, color="white"),
                        width="36px",
                        height="36px",
                        border_radius="8px",
                        background="rgba(255,255,255,0.12)",
                    ),
                    rx.vstack(
                        rx.text(t, size="2", weight="medium", color="white"),
                        rx.text(d, size="1", color="rgba(255,255,255,0.65)"),
                        spacing="0",
                    ),
                    spacing="3",
                    align="center",
                )
                for i, t, d in points
            ],
            spacing="4",
            margin_top="32px",
            margin_bottom="auto",
        ),
        rx.text("© 2026 CLSS Admin · 开源企业租赁运营后台", size="1", color="rgba(255,255,255,0.5)"),
        height="100vh",
        padding="40px 48px",
        width="46%",
        min_width="420px",
        background="linear-gradient(150deg,#0f1e3a 0%,#1e3a8a 60%,#2563eb 100%)",
    )


def login_page() -> rx.Component:
    return rx.hstack(
        _aside(),
        rx.center(
            rx.form(
                rx.vstack(
                    rx.heading("账号登录", size="6"),
                    rx.text("请使用企业分配的员工账号登录", size="2", color=theme.TEXT_MUTED),
                    _field(
                        "用户名",
                        "username",
                        "user",
                        placeholder="请输入用户名",
                        auto_complete="username",
                        auto_focus=True,
                    ),
                    _field(
                        "密码",
                        "password",
                        "lock",
                        placeholder="请输入密码",
                        type="password",
                        auto_complete="current-password",
                    ),
                    rx.cond(
                        (AuthState.login_error != "") & (AuthState.login_error_field == ""),
                        rx.callout(
                            AuthState.login_error, icon="triangle-alert", color_scheme="red", size="1", width="100%"
                        ),
                    ),
                    rx.button("登录", type="submit", size="3", width="100%", id="login-submit", loading=False),
                    rx.text("连续输错密码后，需稍候再试；每次登录都会记入登录日志。", size="1", color=theme.TEXT_MUTED),
                    spacing="4",
                    width="100%",
                ),
                on_submit=AuthState.login,
                reset_on_submit=False,
                width="360px",
            ),
            flex="1",
            height="100vh",
            background="white",
        ),
        spacing="0",
        width="100%",
        font_family=theme.FONT,
    )
