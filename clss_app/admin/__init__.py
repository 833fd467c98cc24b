"""The low-code engine: ModelAdmin declarations become list, detail and form pages.

It knows SQLModel and Reflex and nothing about rentals. Permission and data
scope come from ``clss_app.services.permissions`` and are applied here, so a
declaration cannot forget them.
"""

from clss_app.admin.many import Many
from clss_app.admin.view import Action, ActionResult, ModelAdmin, ask

__all__ = ["Action", "ActionResult", "Many", "ModelAdmin", "ask"]
