"""The Reflex app: every menu entry becomes a guarded page."""

import os
from functools import partial

import reflex as rx
from starlette.applications import Starlette
from starlette.routing import Route

import pages.finance
import pages.housing
import pages.insurance
import pages.leasing
import pages.marketing
import pages.system  # noqa: F401
from clss_app import event_guard, health, menu
from clss_app.admin import downloads
from clss_app.admin.components import admin_body
from clss_app.admin.state import AdminIOState, AdminState
from clss_app.admin.view import REGISTRY
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
from pages.placeholder import placeholder
from pages.workbench import WorkbenchState, workbench_body

app = rx.App(
    html_lang="zh-CN",
    # Applied in order: UploadGuard wraps our routes and Reflex's, so an upload is refused before it is
    # read; WebGuard wraps everything (headers, CSP, cross-origin refusals).
    api_transformer=[
        Starlette(routes=[*downloads.routes(), Route(health.ROUTE, health.health)]),
        UploadGuard,
        WebGuard,
    ],
    style={"font_family": theme.FONT},
    stylesheets=["/admin.css"],
    head_components=[rx.script(src="/clss.js")],
    backend_exception_handler=event_guard.backend_exception,
)
app.add_middleware(event_guard.ArgumentCheck())  # every event's payload fits its handler, or it never runs

if os.environ.get("CLSS_JOBS", "1") != "0":  # several workers take turns through Redis (jobs._my_turn)
    from clss_app.services import jobs

    app.register_lifespan_task(jobs.run_forever)

app.add_page(login_page, route="/login", title="登录 · CLSS Admin", on_load=AuthState.enter_login)

# Pages built so far; every other entry is a guarded placeholder.
if os.environ.get("CLSS_BENCH") == "1":
    import benchmarks.bench_bills  # noqa: F401  (a synthetic 1M-row admin for benchmarks/engine_list.py)

BUILT = {
    "home": (home_body, HOME_LOAD),
    "workbench": (workbench_body, WorkbenchState.load),
    "market_index": (market_body, MarketState.load),
    "dashboard": (analytics_body, ANALYTICS_LOAD),
    "app_preview": (preview_body, PreviewState.load),
}
for _key, _admin in REGISTRY.items():
    BUILT[_key] = (
        partial(admin_body, _admin, menu.ENTRIES[_key].label, AdminState, AdminIOState),
        AdminState.load(_key),
    )

for key, entry in menu.ENTRIES.items():
    body, load = BUILT.get(key, (None, None))
    if load is not None:
        AuthState._page_loaders[key] = load
    component = admin_page(key, body() if body else placeholder(entry))
    app.add_page(component, route=entry.route, title=f"{entry.label} · CLSS Admin", on_load=AuthState.enter_page(key))
