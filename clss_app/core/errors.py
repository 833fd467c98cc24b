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
