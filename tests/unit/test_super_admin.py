"""超级管理员: what the manual gives it (configure the branches' system admins and the city parameters, and
as an executive read the figures), exactly, and nothing operational. The README's roles section says
the same."""

from __future__ import annotations

import re
from pathlib import Path

from clss_app import menu
from clss_app.services import permissions
from clss_app.site import app_site
from models import Role

SUPER = Role.SUPER_ADMIN
# resource -> what 超级管理员 may do there; nothing anywhere else.
EXPECTED = {
    "home": {"view"},
    "dashboard": {"view", "export"},  # its tables to Excel, as every dashboard with tables
    "market_index": {"view", "export"},
    "market_data": {"view", "create", "update", "delete", "export", "import"},
    "org_units": {"view", "create", "update", "export", "import"},
    "users": {"view", "create", "update", "export", "action:unlock", "action:reset_password"},
    "city_params": {"view", "create", "update", "delete", "export", "import"},
    "audit_log": {"view", "export"},
    "login_log": {"view", "export"},
    "feedback": {"view", "update", "export"},
}
# The operational lists the manual leaves to the branches and companies.
OPERATIONAL = {
    "workbench", "projects", "rooms", "contracts", "check_ins", "check_outs", "bills", "payments", "refunds",
    "bad_debts", "tenants", "reservations", "appointments", "events", "coupons", "policies", "banners",
}  # fmt: skip


def _held() -> dict[str, set[str]]:
    """Every (resource, action) the permission core grants 超级管理员 over the app's resources: its menu,
    its admins and the grants its site makes beyond them (other tests' sites grant resources of their own)."""
    site = app_site()
    resources = set(menu.ENTRIES) | {a.key for a in site.admins()} | {r for r, _, _ in site.extra_grants}
    held = {
        resource: {action for action, roles in permissions._POLICY.get(resource, {}).items() if SUPER in roles}
        for resource in resources
    }
    return {k: v for k, v in held.items() if v}


def test_super_admin_holds_exactly_its_grants():
    assert _held() == EXPECTED
    assert set(menu.visible_keys(SUPER)) == set(EXPECTED)


def test_super_admin_has_no_operational_list():
    held = _held()
    assert not OPERATIONAL & set(held)
    for key in OPERATIONAL:
        assert SUPER not in menu.ENTRIES[key].roles


def test_the_readme_names_exactly_the_entries_it_opens():
    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    section = readme.split("**超级管理员** is the manual's HQ role", 1)[1].split("\n## ", 1)[0]
    labels = {menu.ENTRIES[k].label for k in EXPECTED}
    named = {label for e in menu.ENTRIES.values() if (label := e.label) in section}
    assert labels <= named
    opens = section.split("It has no operational list", 1)[0]
    assert {e.label for e in menu.ENTRIES.values() if e.label in opens} == labels
    assert re.search(rf"only these {len(EXPECTED)} entries", section)
