"""Every set of roles the menu, the declarations and the services name, defined once."""

from __future__ import annotations

from models import Role

EVERYONE = frozenset(Role)
# 负责人 and up: they see the analytics of everything in their scope.
EXECUTIVES = frozenset({Role.SUPER_ADMIN, Role.SYSTEM_ADMIN, Role.PRINCIPAL, Role.MULTI_STORE_MANAGER})
# Who owns a project's leasing decisions (check-out, room change, refunds handed over): not the assistant.
OWNERS = frozenset({Role.PRINCIPAL, Role.MULTI_STORE_MANAGER, Role.STORE_MANAGER})
STORE = OWNERS | {Role.STORE_ASSISTANT}
SYS = frozenset({Role.SYSTEM_ADMIN})
ADMINS = frozenset({Role.SUPER_ADMIN, Role.SYSTEM_ADMIN})
FIN = frozenset({Role.FINANCE})
