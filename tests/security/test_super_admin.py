"""超级管理员 has no operational list (README, tests/unit/test_super_admin.py): forged anyway, its every
create, edit, delete, export, import and action on one is refused by the server and changes nothing,
with a row it would see by its data scope (everything)."""

from __future__ import annotations

import pytest

from clss_app.services.permissions import CREATE, DELETE, EXPORT, IMPORT, UPDATE, VIEW, roles_for
from clss_app.site import app_site
from models import Role
from tests.security import forge
from tests.security.conftest import failures

PAGES = forge.pages()
OPERATIONAL = [a.key for a in app_site().admins() if Role.SUPER_ADMIN not in roles_for(a.key, VIEW)]


def test_the_super_admin_is_kept_out_of_most_admins():
    assert len(OPERATIONAL) >= 30 and {"contracts", "bills", "rooms", "payments"} <= set(OPERATIONAL)


@pytest.mark.parametrize("key", OPERATIONAL)
def test_super_admin_writes_nothing_on_an_operational_list(attack, key):
    page, admin = PAGES[key], app_site().admin(key)
    perms = [CREATE, UPDATE, DELETE, EXPORT, IMPORT] + [f"action:{a.name}" for a in admin.actions]
    handlers = [h for s in forge.states_on(page) for h in forge.handlers(s) if not h.problem and not h.open]
    cases = forge.permission_cases(handlers, page, perms, attack.facts.inside(key, "super"))
    assert cases, f"no forged write on {page.label}"
    problems = failures(attack.run(cases, page, "super"), "super")
    assert not problems, "\n".join(problems)
