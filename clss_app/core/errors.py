"""Exceptions whose message the user reads (Chinese), raised by services and the engine alike."""

from __future__ import annotations


class Forbidden(Exception):
    """Refused by the permission core; the message is shown to the user."""


class NotLoggedIn(Forbidden):
    def __init__(self, message: str = "登录已失效，请重新登录"):
        super().__init__(message)


class FieldError(ValueError):
    """A value a user typed or imported is not acceptable; the message is Chinese."""


class ValidationFailed(Exception):
    """Values that break a rule: {field: message}, each shown next to its field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


class Conflict(Exception):
    """Someone else saved the row after it was opened."""


class Refused(ValueError):
    """A tenant's request (a claim, a sign-up, a payment, a login) that cannot be taken; the message is
    Chinese and shown as is. ``status`` is what the tenant API answers with it: 409 a conflict (full,
    sold out, already in, not running), 404 not found or not the tenant's, 422 a bad value of ``field``,
    401/429/503 as HTTP means them; ``code`` names the reason for the APP."""

    def __init__(self, message: str, *, status: int = 409, code: str = "conflict", field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.status, self.code, self.field = message, status, code, field
