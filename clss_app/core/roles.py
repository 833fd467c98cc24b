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
# Who reads tenants' phones and 身份证号 in full: the store staff who call the leads, sign the contract
# and check the ID at the counter (manual: 店长和店助负责管理全流程的租赁业务). 负责人 and 多店店长 approve
# and supervise; they see the numbers masked and may reveal one (audited). Everyone else: masked only.
FRONT_DESK = frozenset({Role.STORE_MANAGER, Role.STORE_ASSISTANT})
