"""The logged-in user as every layer sees them (resolved by ``services.permissions.load_principal``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Role


@dataclass(frozen=True)
class Principal:
    """``unit_ids`` / ``project_ids`` are None when the scope is unrestricted
    (an HQ user with 本级及下级); otherwise the exact sets allowed.
    """

    user_id: int
    username: str
    display_name: str
    role: Role
    unit_id: int
    unit_name: str
    unit_ids: frozenset[int] | None
    project_ids: frozenset[int] | None = field(default=None)
    session_id: int | None = field(default=None)  # the login session it came from (None outside one)

    @property
    def actor_id(self) -> int | None:
        """The user id stored in the columns that name who did something (经办人, 申请人, ...); None for the
        system's own jobs (user id 0, no row in the user table)."""
        return self.user_id or None

    @property
    def role_label(self) -> str:
        return self.role.label
