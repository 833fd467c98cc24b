"""The Reflex app built from an AdminSite: every menu entry becomes a guarded page (clss_app/clss_app.py)."""

import os
from collections.abc import Mapping
from functools import partial

import reflex as rx
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from clss_app import event_guard, health, landlord_routes, menu, payment_routes
from clss_app.admin import downloads
from clss_app.admin.components import admin_body
from clss_app.admin.components.dashboard import dashboard_body, dashboard_title
from clss_app.admin.dashboard import DashboardState
from clss_app.admin.site import AdminSite
from clss_app.admin.state import AdminIOState, AdminState
from clss_app.api import app as tenant_api_app
from clss_app.state import AuthState
from clss_app.ui import theme
from clss_app.ui.shell import admin_page
from clss_app.upload_guard import UploadGuard
from clss_app.web_guard import WebGuard
from pages.analytics import ANALYTICS_LOAD, analytics_body
from pages.app_content import PreviewState, preview_body
from pages.home import HOME_LOAD, home_body
from pages.login import login_page
from pages.market import MarketState, market_body
from pages.meter_entry import MeterEntryState, meter_entry_body
from pages.placeholder import placeholder
from pages.qr_pay import QrPayState, qr_pay_body
from pages.workbench import WorkbenchState, workbench_body


def build_app(site: AdminSite, entries: Mapping[str, menu.MenuEntry] = menu.ENTRIES) -> rx.App:
    """The Reflex app serving ``site``: each menu entry becomes a guarded page."""
    app = rx.App(
        html_lang="zh-CN",
        # Applied in order: UploadGuard wraps our routes and Reflex's, so an upload is refused before it is
        # read; WebGuard wraps everything (headers, CSP, cross-origin refusals).
        api_transformer=[
            Starlette(
                routes=[
                    *downloads.routes(),
                    *payment_routes.routes(),
                    *landlord_routes.routes(),
                    Route(health.ROUTE, health.health),
                    Mount(tenant_api_app.PREFIX, app=tenant_api_app.build()),  # the tenant APP's JSON API
                ]
            ),
            UploadGuard,
            WebGuard,
        ],
        style={"font_family": theme.FONT},
        stylesheets=["/admin.css"],
        # The icon named, or every fresh load asks for /favicon.ico and logs its 404 in the console.
        head_components=[rx.script(src="/clss.js"), rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
        backend_exception_handler=event_guard.backend_exception,
    )
    app.add_middleware(event_guard.ArgumentCheck())  # every event's payload fits its handler, or it never runs

    if os.environ.get("CLSS_JOBS", "1") != "0":  # several workers take turns through Redis (jobs._my_turn)
        from clss_app.services import jobs

        app.register_lifespan_task(jobs.run_forever)
        app.register_lifespan_task(jobs.run_clearing_forever)
        app.register_lifespan_task(jobs.run_outbox_forever)
    app.register_lifespan_task(_warm_dashboard)

    app.add_page(login_page, route="/login", title="登录 · CLSS Admin", on_load=AuthState.enter_login)

    site.add_page("home", home_body, HOME_LOAD)
    site.add_page("workbench", workbench_body, WorkbenchState.load)
    site.add_page("market_index", market_body, MarketState.load)
    site.add_page("dashboard", analytics_body, ANALYTICS_LOAD)
    site.add_page("app_preview", preview_body, PreviewState.load)
    site.add_page("qr_pay", qr_pay_body, QrPayState.load)
    site.add_page("meter_entry", meter_entry_body, MeterEntryState.load)
    for dash in site.dashboards():  # a declared dashboard without a page of its own: the engine's layout
        if dash.key not in site.pages:
            header = dashboard_title(entries[dash.key].label, dash.description)
            site.add_page(
                dash.key, partial(dashboard_body, dash, DashboardState, header), DashboardState.load_dashboard(dash.key)
            )
    for admin in site.admins():
        body = partial(admin_body, admin, entries[admin.key].label, AdminState, AdminIOState)
        site.add_page(admin.key, body, AdminState.load(admin.key))

    # Every menu entry becomes a guarded page; one not built yet is a placeholder.
    for key, entry in entries.items():
        page = site.pages.get(key)
        component = page.body() if page else placeholder(entry)
        route, title = entry.route, f"{entry.label} · CLSS Admin"
        app.add_page(admin_page(key, component, entry), route=route, title=title, on_load=AuthState.enter_page(key))
    return app


async def _warm_dashboard() -> None:
    """经营看板's and 收费报表's data read in the background as the app starts: the first look finds it."""
    from clss_app.services import analytics, fee_reports

    analytics.warm()
    fee_reports.CACHE.warm()
