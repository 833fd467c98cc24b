"""The app's AdminSite: every page module's declarations, registered and checked in one place.

``app_site()`` builds it once per process (the app at start, ``manage check``, the tests): it
registers each page module's admins and dashboards, the grants and audit labels that come from
outside the admins, then ``finalize()`` checks every declaration (a failed check stops the app
here, naming each problem) and grants the roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from clss_app import menu
from clss_app.admin.site import AdminSite
from clss_app.core.roles import EXECUTIVES, STORE
from clss_app.services import market, room_status
from clss_app.services import meters as meter_rules
from clss_app.services.permissions import EXPORT
from pages import (
    analytics,
    app_content,
    chain,
    consign,
    daily_reports,
    fee_reports,
    filing_and_loans,
    finance,
    home,
    housing,
    insurance,
    leasing,
    marketing,
    meters,
    notices,
    repairs,
    signing,
    system,
    users,
    withholding,
)
from pages import market as market_page

PAGE_MODULES = (
    home,
    housing,
    leasing,
    users,
    finance,
    withholding,
    daily_reports,
    filing_and_loans,
    consign,
    chain,
    repairs,
    meters,
    signing,
    marketing,
    app_content,
    insurance,
    market_page,
    analytics,
    fee_reports,
    system,
    notices,
)


def build(entries: Mapping[str, menu.MenuEntry] = menu.ENTRIES) -> AdminSite:
    """A new site with the app's declarations, not yet finalized (``manage check`` lists its problems)."""
    site = AdminSite(entries)
    site.register_all(*PAGE_MODULES)
    site.grant(market.RESOURCE, EXPORT, EXECUTIVES)  # whoever sees the chart may take its numbers away
    site.grant(room_status.RESOURCE, room_status.LOCK, STORE)  # the 房态图's batch lock and unlock
    site.grant(room_status.RESOURCE, room_status.UNLOCK, STORE)
    site.grant(meter_rules.RESOURCE, meter_rules.RECORD, STORE)  # 抄表录入: saving and importing readings
    site.label(meter_rules.RESOURCE, meter_rules.RECORD, "抄表")
    # What the 房态图 and the daily job write to the audit log, outside any admin.
    site.label("rooms", "action:lock", "锁定房间")
    site.label("rooms", "action:unlock", "解锁房间")
    site.label("jobs", "daily", "每日任务")
    site.label("jobs", "ledger_check", "账本核对")
    site.label("user_imports", "verify", "住房云验证")
    for resource, action, label in consign.AUDIT_LABELS:  # the APP's and the daily job's moves
        site.label(resource, action, label)
    site.label("chain_applications", "list", "住房链上架")  # the listing batch (services/chain_listing.py)
    site.label("chain_applications", "list_failed", "住房链上架未成功")
    site.label("contract_imports", "t1_batch", "日终批处理")
    return site


@cache
def app_site() -> AdminSite:
    """The app's site, finalized and served (built once per process)."""
    return build().finalize().serve()
